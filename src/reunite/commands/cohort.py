"""``reunite cohort solve``: a rescued cohort of found children solved jointly against many families."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register", "render_cohort_text"]

cohort_app = typer.Typer(help="Many found children against many families, solved jointly (dvir's model).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite cohort`` to ``app``."""
    app.add_typer(cohort_app, name="cohort")


@cohort_app.command("solve")
def cohort_solve(
    cohort: Annotated[Path, typer.Argument(help="The cohort JSON file (families, genotypes, found).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    top: Annotated[int, typer.Option("--top", min=5, help="How many joint assignments to list.")] = 10,
):
    """Solve a cohort jointly: pairwise LRs, the best joint assignments with posteriors, one
    conclusion per found child (identified, probable, disputed, inconclusive, no_match,
    excluded, with the rule in its note) and the found children's relationships to each other.

    An assignment gives each found child at most one missing person of compatible sex, and no
    missing person to two children; its LR is against "nobody identified", and the prior is
    flat over all admissible assignments.  The search is exact (see docs/cohort.md).
    """
    from ..genetics.cohort import load_cohort, solve_cohort

    try:
        res = solve_cohort(load_cohort(cohort), top=top)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(res.as_dict()))
    else:
        typer.echo(render_cohort_text(res))


def _fmt(log10: float | None, lr: float | None = None) -> str:
    if log10 is None:
        return "0" if lr == 0 else "-"
    if -2 <= log10 < 4:
        return f"{10 ** log10:,.4g}"
    exp = math.floor(log10)
    return f"{10 ** (log10 - exp):.2f}e{exp}"


def render_cohort_text(res) -> str:
    """A cohort's joint solution as a person would want to read it."""
    lines = []
    if res.id:
        lines.append(f"Cohort {res.id}")
    lines.append(f"{len(res.conclusions)} found children; {res.n_admissible:,.0f} admissible joint "
                 f"assignments (the empty one included).")
    lines.append("")
    lines.append("Conclusions")
    lines.append(f"  {'found':<10}{'conclusion':<14}{'missing':<14}{'family':<10}{'LR':>12}"
                 f"{'posterior':>11}")
    for c in res.conclusions:
        post = f"{c['posterior']:.3f}" if c.get("posterior") is not None else "-"
        lines.append(f"  {c['found']:<10}{c['conclusion']:<14}{c['missing'] or '-':<14}"
                     f"{c['family'] or '-':<10}{_fmt(c.get('log10_lr'), c.get('lr')):>12}{post:>11}")
    lines.append("")
    for c in res.conclusions:
        lines.append(f"  {c['found']}: {c['note']}.")
    lines.append("")
    lines.append("Best joint assignments (LR against nobody identified)")
    for k, a in enumerate(res.assignments, start=1):
        placed = ", ".join(f"{v}={m}" for v, m in a["assignment"].items() if m) or "nobody identified"
        lines.append(f"  {k:>2}. LR {_fmt(a['log10_lr']):>12}  posterior {a['posterior']:.4f}  {placed}")
    rel = [r for r in res.found_relatives if r["relationship"] != "unrelated"]
    lines.append("")
    lines.append("Found children related to each other" + ("" if rel else ": none supported"))
    for r in rel:
        lines.append(f"  {r['a']} and {r['b']}: {r['relationship'].replace('_', ' ')} "
                     f"(LR vs unrelated {_fmt(max(v for v in r['log10_lrs'].values() if v is not None))})")
    lines.append("")
    lines.append(f"  Frequencies: {res.frequencies}.  Mutation model: {res.mutation}.  Theta: {res.theta:g}.")
    lines.append(f"  Method: {res.method}.")
    return "\n".join(lines)
