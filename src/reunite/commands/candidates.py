"""``reunite candidates`` and ``reunite review``: candidate matches and their review workflow."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..cases.models import CANDIDATE_STATUSES, OUTCOMES
from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]

candidates_app = typer.Typer(help="Candidate matches of found children and reports.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite candidates`` and ``reunite review`` to ``app``."""
    app.add_typer(candidates_app, name="candidates")
    app.command("review")(review_cmd)


def _fmt(x: float | None, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


def _items(c) -> list[dict]:
    return [{"kind": e.kind, "lr": e.lr, "log10_lr": e.log10_lr} for e in c.evidence]


@candidates_app.command("list")
def candidates_list_cmd(
    status: Annotated[str | None, typer.Option("--status", help=f"Only this status: {', '.join(CANDIDATE_STATUSES)}.")]
    = None,
    dna: Annotated[bool | None, typer.Option("--dna/--no-dna", help="Only candidates with (or without) DNA "
                                                                    "evidence.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
):
    """List candidates: those with DNA evidence first (best posterior, then DNA LR), then, apart, the
    pairs without DNA (ranked by the non-DNA evidence alone: whose DNA to ask for first)."""
    from ..cases.db import open_session
    from ..cases.queries import list_candidates

    try:
        with open_session() as s:
            rows = [(c, case, rep, c.has_dna, _items(c)) for c, case, rep in list_candidates(s, status)]
    except ReuniteError as exc:
        fail(exc)
    if dna is not None:
        rows = [r for r in rows if r[3] == dna]
    rows.sort(key=lambda r: not r[3])  # (stable: the query's order within each group)
    if as_json:
        for c, case, rep, has_dna, items in rows:
            typer.echo(json.dumps({"id": c.id, "case_number": case, "report_number": rep, "status": c.status,
                                   "dna": has_dna, "dna_lr": c.dna_lr, "dna_log10_lr": c.dna_log10_lr,
                                   "dna_decision": c.dna_decision, "dna_excluded": c.dna_excluded, "rules": c.rules,
                                   "prior": c.prior, "posterior": c.posterior, "outcome": c.outcome,
                                   "evidence": items}))
        return
    if not rows:
        typer.echo("no candidates" + (f" with status {status}" if status else ""))
        return
    head = (f"{'id':>6}  {'case':<14}{'report':<14}{'log10 LR':>9}{'DNA':>14}{'posterior':>11}  "
            f"{'status':<24}outcome")
    with_dna = [r for r in rows if r[3]]
    without = [r for r in rows if not r[3]]
    if with_dna:
        typer.echo(head)
    for c, case, rep, _, _ in with_dna:
        typer.echo(f"{c.id:>6}  {case:<14}{rep:<14}{_fmt(c.dna_log10_lr, '.2f'):>9}{c.dna_decision or '-':>14}"
                   f"{_fmt(c.posterior, '.4g'):>11}  {c.status:<24}{c.outcome or ''}")
    if without:
        typer.echo(("\n" if with_dna else "") + "Without DNA (ask for DNA first; non-DNA evidence never decides):")
        typer.echo(f"{'id':>6}  {'case':<14}{'report':<14}{'non-DNA log10 LR':>17}{'posterior':>11}  status")
        for c, case, rep, _, items in without:
            logs = [i["log10_lr"] for i in items]
            total = "-inf" if any(x is None for x in logs) else f"{sum(logs):.2f}"
            typer.echo(f"{c.id:>6}  {case:<14}{rep:<14}{total:>17}{_fmt(c.posterior, '.4g'):>11}  {c.status}")


@candidates_app.command("show")
def candidates_show_cmd(candidate_id: Annotated[int, typer.Argument(metavar="ID", help="The candidate id.")]):
    """Show a candidate: the pair, every evidence LR, prior, posterior, and its review history."""
    from ..cases.db import open_session
    from ..cases.queries import get_candidate
    from ..cases.workflow import allowed_transitions
    from ..evidence.registry import label, order_of
    from ..genetics import format_lr

    try:
        with open_session() as s:
            c = get_candidate(s, candidate_id)
            child, rep = c.found_child, c.report
            reviews = [(r.at, r.from_status, r.to_status, r.outcome, r.user.name, r.reason) for r in c.reviews]
            items = [(e.kind, e.lr, e.log10_lr, e.sentence or "") for e in sorted(c.evidence,
                                                                                  key=lambda e: order_of(e.kind))]
            has_lr = c.dna_log10_lr is not None or c.dna_lr == 0
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"Candidate {c.id}: found child {child.case_number} × report {rep.report_number}"
               + ("  (report of multiple missing children)" if rep.multiple_missing else ""))
    typer.echo(f"  status             {c.status}" + (f" ({c.outcome})" if c.outcome else ""))
    typer.echo(f"  DNA LR             {format_lr(c.dna_lr, c.dna_log10_lr) if has_lr else '-'}"
               f"   log10 {_fmt(c.dna_log10_lr, '.3f')}")
    if c.dna_conclusion:
        k = c.dna_conclusion
        typer.echo(f"  DNA conclusion     {k.get('decision')} ({c.rules}: {k.get('rule_id')}, {k.get('relationship')})"
                   + ("  EXCLUDED" if c.dna_excluded else ""))
        typer.echo(f"  reason             {k.get('reason')}")
    if c.frequencies_sha256:
        typer.echo(f"  computed with      {c.frequencies} (sha256 {c.frequencies_sha256[:12]}), mutation "
                   f"{(c.mutation_model or {}).get('description', 'none')}, theta {c.theta:g}, "
                   f"reunite {c.software_version}")
    if has_lr:
        typer.echo(f"  markers compared   {_fmt(c.markers_compared, 'd')}   "
                   f"inconsistent {_fmt(c.inconsistent_markers, 'd')}")
    else:
        typer.echo("  no DNA evidence     ask for the family's DNA first (non-DNA evidence never decides)")
    typer.echo("  evidence:")
    for kind, lr, log10, sentence in items:
        shown = format_lr(lr, log10) if log10 is not None else "0"
        typer.echo(f"    {label(kind):<22}LR {shown:<16}{sentence}")
    typer.echo(f"  prior              {_fmt(c.prior)}")
    typer.echo(f"  posterior          {_fmt(c.posterior, '.6g')}   (reunite.evidence.fuse, as stored)")
    nxt = allowed_transitions(c.status)
    typer.echo(f"  may move to        {', '.join(nxt) if nxt else 'nothing'}")
    if reviews:
        typer.echo("  reviews:")
        for at, a, b, outcome, who, reason in reviews:
            typer.echo(f"    {at:%Y-%m-%d %H:%M}  {a} -> {b}{f' ({outcome})' if outcome else ''}  by {who}: {reason}")


def review_cmd(
    candidate_id: Annotated[int, typer.Argument(metavar="ID", help="The candidate id.")],
    to: Annotated[str, typer.Option("--to", help=f"New status: {', '.join(CANDIDATE_STATUSES)}.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    user: Annotated[str, typer.Option("--user", help="The registered investigator or lab analyst deciding.")],
    outcome: Annotated[str | None, typer.Option("--outcome", help=f"When confirming: {', '.join(OUTCOMES)}.")]
    = None,
):
    """Move a candidate through the review workflow."""
    from ..cases.db import open_session
    from ..cases.workflow import review

    try:
        with open_session() as s:
            rv = review(s, candidate_id, to, user=user, reason=reason, outcome=outcome)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"candidate {candidate_id}: {rv.from_status} -> {rv.to_status}"
               + (f" ({rv.outcome})" if rv.outcome else ""))
