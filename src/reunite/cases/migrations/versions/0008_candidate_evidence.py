"""One evidence model: a candidate's evidence as items keyed by kind.

- ``candidate_evidence``: one row per candidate and kind (``dna``, ``sex``, ``age``, ``time``,
  ``place`` ...): log10 LR (NULL: LR 0), LR, model, parameters (JSON), data used (JSON), the
  sentence in English and Chinese; unique (candidate_id, kind).
- The candidate's columns ``dna_lr``, ``dna_log10_lr``, ``inconsistent_markers``,
  ``markers_compared``, ``sex_lr``, ``age_lr`` and ``time_lr`` are moved into it (the DNA item's
  data keeps the marker counts); ``prior``, ``posterior``, the DNA conclusion and its provenance
  stay on the candidate.

Items moved from the old columns say so in their model ("recorded before the evidence model"):
the model and parameters that made them were not stored; ``reunite match`` recomputes them.
Down again, the columns are filled from the items (other kinds are dropped).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MOVED = "recorded before the evidence model (migration 0008); run `reunite match` to recompute it with its model"
_LABELS = {"dna": ("DNA", "DNA"), "sex": ("sex", "性别"), "age": ("age", "年龄"), "time": ("time", "时间")}
_LR_COLUMNS = {"sex": "sex_lr", "age": "age_lr", "time": "time_lr"}

_evidence = sa.table(
    "candidate_evidence",
    sa.column("candidate_id", sa.Integer), sa.column("kind", sa.String), sa.column("log10_lr", sa.Float),
    sa.column("lr", sa.Float), sa.column("model", sa.Text), sa.column("parameters", sa.JSON),
    sa.column("data", sa.JSON), sa.column("sentence", sa.Text), sa.column("sentence_zh", sa.Text))


def _sentences(kind: str, log10: float | None) -> tuple[str, str]:
    en, zh = _LABELS[kind]
    if log10 is None:
        return f"The {en} evidence excludes the match (LR 0).", f"{zh}证据排除匹配（似然比为 0）。"
    return (f"The {en} evidence has a likelihood ratio of 10^{log10:.3g} ({_MOVED}).",
            f"{zh}证据的似然比为 10^{log10:.3g}（证据模型之前记录，请重新运行 reunite match 以按其模型重算）。")


def _item(cid: int, kind: str, lr: float | None, log10: float | None, data: dict | None = None) -> dict:
    if lr is not None and log10 is None and lr > 0:
        log10 = math.log10(lr)
    if log10 is not None and lr is None and -300 <= log10 <= 300:
        lr = 10.0 ** log10
    en, zh = _sentences(kind, log10)
    return {"candidate_id": cid, "kind": kind, "log10_lr": log10, "lr": lr, "model": _MOVED, "parameters": {},
            "data": data or {}, "sentence": en, "sentence_zh": zh}


def upgrade() -> None:
    op.create_table(
        "candidate_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("log10_lr", sa.Float(), nullable=True),
        sa.Column("lr", sa.Float(), nullable=True),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=True),
        sa.Column("sentence_zh", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"],
                                name=op.f("fk_candidate_evidence_candidate_id_candidates"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_evidence")),
        sa.UniqueConstraint("candidate_id", "kind", name=op.f("uq_candidate_evidence_candidate_id_kind")),
    )
    op.create_index(op.f("ix_candidate_evidence_candidate_id"), "candidate_evidence", ["candidate_id"], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, dna_lr, dna_log10_lr, inconsistent_markers, markers_compared, sex_lr, "
                                "age_lr, time_lr FROM candidates ORDER BY id")).fetchall()
    items = []
    for cid, dna_lr, dna_log10, inconsistent, compared, *others in rows:
        if dna_lr is not None or dna_log10 is not None:
            data = {"inconsistent_markers": inconsistent, "markers_compared": compared}
            items.append(_item(cid, "dna", dna_lr, None if dna_lr == 0 else dna_log10, data))
        for kind, lr in zip(_LR_COLUMNS, others, strict=True):
            if lr is not None:
                items.append(_item(cid, kind, lr, None))
    if items:
        op.bulk_insert(_evidence, items)
    with op.batch_alter_table("candidates") as batch:
        for col in ("dna_lr", "dna_log10_lr", "inconsistent_markers", "markers_compared", "sex_lr", "age_lr",
                    "time_lr"):
            batch.drop_column(col)


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        for col in ("dna_lr", "dna_log10_lr"):
            batch.add_column(sa.Column(col, sa.Float(), nullable=True))
        for col in ("inconsistent_markers", "markers_compared"):
            batch.add_column(sa.Column(col, sa.Integer(), nullable=True))
        for col in _LR_COLUMNS.values():
            batch.add_column(sa.Column(col, sa.Float(), nullable=True))
    conn = op.get_bind()
    candidates = sa.table("candidates", sa.column("id", sa.Integer), *(sa.column(c, sa.Float) for c in (
        "dna_lr", "dna_log10_lr", *_LR_COLUMNS.values())), sa.column("inconsistent_markers", sa.Integer),
        sa.column("markers_compared", sa.Integer))
    rows = conn.execute(sa.select(_evidence.c.candidate_id, _evidence.c.kind, _evidence.c.log10_lr, _evidence.c.lr,
                                  _evidence.c.data)).fetchall()
    values: dict[int, dict] = {}
    for cid, kind, log10, lr, data in rows:
        v = values.setdefault(cid, {})
        if kind == "dna":
            data = data or {}
            v.update(dna_log10_lr=log10, dna_lr=0.0 if log10 is None else lr,
                     inconsistent_markers=data.get("inconsistent_markers"),
                     markers_compared=data.get("markers_compared"))
        elif kind in _LR_COLUMNS:
            v[_LR_COLUMNS[kind]] = 0.0 if log10 is None else lr
    for cid, v in values.items():
        conn.execute(candidates.update().where(candidates.c.id == cid).values(**v))
    op.drop_index(op.f("ix_candidate_evidence_candidate_id"), table_name="candidate_evidence")
    op.drop_table("candidate_evidence")
