"""The trafficking network (reunite.network): people, relations and transfers of children.

- ``network_people``: a person of an investigation (code unique within it), role, home place,
  arrest status and date, ``parent_of`` (a report number), source, who entered it.
- ``network_relations``: kin, friend, same town, paid, phoned between two people.
- ``network_transfers``: a child (found child, report or unknown, by code) handed from one person
  to another, with date, place, price, source and who entered it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ROLES = ("organiser", "broker", "courier", "seller", "buyer", "forger", "parent", "suspect", "other")
_ARREST = ("at_large", "arrested", "convicted", "released", "dead", "unknown")
_RELATIONS = ("kin", "friend", "same_town", "paid", "phoned")
_CHILDREN = ("found", "report", "unknown")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _entered() -> list[sa.Column]:
    return [sa.Column("source", sa.Text(), nullable=True),
            sa.Column("entered_by", sa.String(length=100), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "network_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("home_place", sa.Text(), nullable=True),
        sa.Column("arrest_status", sa.String(length=20), nullable=False),
        sa.Column("arrested_on", sa.Date(), nullable=True),
        sa.Column("parent_of", sa.String(length=64), nullable=True),
        *_entered(),
        sa.CheckConstraint(_in("role", _ROLES), name=op.f("ck_network_people_role")),
        sa.CheckConstraint(_in("arrest_status", _ARREST), name=op.f("ck_network_people_arrest_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_people")),
        sa.UniqueConstraint("investigation", "code", name=op.f("uq_network_people_investigation_code")),
    )
    op.create_table(
        "network_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        *_entered(),
        sa.CheckConstraint(_in("kind", _RELATIONS), name=op.f("ck_network_relations_kind")),
        sa.ForeignKeyConstraint(["person_id"], ["network_people.id"],
                                name=op.f("fk_network_relations_person_id_network_people"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["network_people.id"],
                                name=op.f("fk_network_relations_other_id_network_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_relations")),
        sa.UniqueConstraint("person_id", "other_id", "kind", name=op.f("uq_network_relations_person_id_other_id_kind")),
    )
    op.create_index(op.f("ix_network_relations_other_id"), "network_relations", ["other_id"], unique=False)
    op.create_table(
        "network_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("child_kind", sa.String(length=10), nullable=False),
        sa.Column("child", sa.String(length=100), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=True),
        sa.Column("to_id", sa.Integer(), nullable=True),
        sa.Column("transferred_on", sa.Date(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("price_yuan", sa.Float(), nullable=True),
        *_entered(),
        sa.CheckConstraint(_in("child_kind", _CHILDREN), name=op.f("ck_network_transfers_child_kind")),
        sa.CheckConstraint("price_yuan IS NULL OR price_yuan >= 0", name=op.f("ck_network_transfers_price")),
        sa.ForeignKeyConstraint(["from_id"], ["network_people.id"],
                                name=op.f("fk_network_transfers_from_id_network_people"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["to_id"], ["network_people.id"],
                                name=op.f("fk_network_transfers_to_id_network_people"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_transfers")),
        sa.UniqueConstraint("investigation", "code", name=op.f("uq_network_transfers_investigation_code")),
    )
    op.create_index("ix_network_transfers_child", "network_transfers", ["child", "child_kind"], unique=False)
    op.create_index(op.f("ix_network_transfers_from_id"), "network_transfers", ["from_id"], unique=False)
    op.create_index(op.f("ix_network_transfers_to_id"), "network_transfers", ["to_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_network_transfers_to_id"), table_name="network_transfers")
    op.drop_index(op.f("ix_network_transfers_from_id"), table_name="network_transfers")
    op.drop_index("ix_network_transfers_child", table_name="network_transfers")
    op.drop_table("network_transfers")
    op.drop_index(op.f("ix_network_relations_other_id"), table_name="network_relations")
    op.drop_table("network_relations")
    op.drop_table("network_people")
