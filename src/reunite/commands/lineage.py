"""``reunite lineage y|mt``: Y-STR and mtDNA evidence for a lineage case (reunite.genetics.lineage);
``reunite lineage method``: the population method of the store's Y-STR database (reunite.cases.lineage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register", "render_lineage_text"]

lineage_app = typer.Typer(help="Lineage markers: Y-STR haplotypes (paternal line) and mtDNA (maternal line).",
                          no_args_is_help=True)

CaseArg = Annotated[Path, typer.Argument(
    help="A lineage case (JSON): 'pedigree', 'missing', 'haplotypes' (Y) or 'sequences' (mt), 'found', "
         "and 'database' ('simulated' or a CSV path relative to the case).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of the text: en or zh.")]


def register(app: typer.Typer) -> None:
    """Add ``reunite lineage`` to ``app``."""
    app.add_typer(lineage_app, name="lineage")


def _run(case: Path, kind: str, as_json: bool, lang: str) -> None:
    from ..genetics.lineage import evaluate_mt_case, evaluate_y_case, load_lineage_case

    if lang not in ("en", "zh"):
        typer.echo(f"error: --lang {lang!r}: use en or zh", err=True)
        raise typer.Exit(2)
    try:
        c = load_lineage_case(case)
        res = evaluate_y_case(c) if kind == "y" else evaluate_mt_case(c)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, default=str))
    else:
        typer.echo(render_lineage_text(res, lang))


@lineage_app.command("y")
def lineage_y(case: CaseArg, as_json: JsonOpt = False, lang: LangOpt = "en"):
    """Y-STR evidence: the typed men of the missing boy's paternal line (father, brothers, paternal
    grandfather, uncles and their sons), each compared with the found person under the stepwise
    mutation model over the meioses between them, and the LR against an unrelated man from the
    haplotype's count in the database (one-sided 95% Clopper–Pearson bound)."""
    _run(case, "y", as_json, lang)


@lineage_app.command("mt")
def lineage_mt(case: CaseArg, as_json: JsonOpt = False, lang: LangOpt = "en"):
    """mtDNA evidence: the typed relatives of the missing person's maternal line, the number of
    differences (0 cannot exclude, 1 inconclusive, 2 or more exclusion; SWGDAM 2019) and, if not
    excluded, the LR from the sequence's count in the database."""
    _run(case, "mt", as_json, lang)


@lineage_app.command("method")
def lineage_method_cmd(
    method: Annotated[str | None, typer.Argument(
        help="clopper_pearson (the default), count, augmented or discrete_laplace; none: show the current one")] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="α of the one-sided Clopper–Pearson bound.")] = 0.05,
    no_match: Annotated[bool, typer.Option("--no-match", help="Do not run the matching after the change.")] = False,
    user: UserOpt = None,
):
    """The method the store's matching estimates a Y-STR haplotype's population probability by (docs/lineage.md):
    counting in the configured database with a one-sided Clopper–Pearson bound, the count over N, the
    augmented count, or the discrete Laplace mixture fitted to the database (fitted once per database and set
    of loci, and kept in the store).  A change is audited and the matching runs again, re-evaluating the
    lineage evidence of every candidate."""
    from ..cases.db import open_session
    from ..cases.importing import default_user
    from ..cases.lineage import database_info, lineage_method, set_lineage_method
    from ..cases.state import is_matching_owed

    try:
        with open_session() as s:
            if method is None:
                m, y = lineage_method(s), database_info(s)["y"]
                typer.echo(f"Y-STR database: {y.name} ({y.size:,} haplotypes{', SIMULATED' if y.simulated else ''})")
                typer.echo(f"method: {m.method}, alpha {m.alpha:g}")
                return
            new = set_lineage_method(s, method, alpha=alpha, user=user or default_user())
            typer.echo(f"method: {new.method}, alpha {new.alpha:g}")
            if not no_match and is_matching_owed(s):
                from .imports import _match

                s.rollback()
                _match(s)
    except ReuniteError as exc:
        fail(exc)


def render_lineage_text(res: dict, lang: str = "en") -> str:
    """A lineage result as a person would read it."""
    lines = []
    if res.get("id"):
        lines.append(f"Case {res['id']}  ({res['marker']})")
    db = res["database"]
    lines.append(f"Database: {db['source']}, {db['n']} {'SIMULATED ' if db['simulated'] else ''}haplotypes")
    for r in res["relatives"]:
        if res["marker"] == "Y-STR":
            lg = "LR 0" if r["log10_lr"] is None else f"log10 LR {r['log10_lr']:.2f}"
            lines.append(f"  {r['relative']:<10} {r['meioses']} meioses  {r['differences']} steps at "
                         f"{', '.join(r['differing_loci']) or 'no locus'}  {lg}")
        else:
            lg = "no LR" if r["lr"] is None else ("LR 0" if r["log10_lr"] is None else f"log10 LR {r['log10_lr']:.2f}")
            lines.append(f"  {r['relative']:<10} {r['meioses']} meioses  {len(r['differences'])} differences  "
                         f"{r['conclusion']}  {lg}")
    if res["not_on_the_line"]:
        lines.append(f"  Typed but not on the line: {', '.join(res['not_on_the_line'])}")
    lines.append("")
    lines.append(res["sentence"][lang])
    return "\n".join(lines)
