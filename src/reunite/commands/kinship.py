"""``reunite kinship``: the missing-person LR of kinship case files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register", "render_lr_text"]

kinship_app = typer.Typer(help="Kinship likelihood ratios for one found person and one family.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite kinship`` to ``app``."""
    app.add_typer(kinship_app, name="kinship")


def _case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(x for x in p.iterdir() if x.suffix.lower() == ".json"))
        else:
            files.append(p)
    return files


@kinship_app.command("lr")
def kinship_lr(
    cases: Annotated[list[Path], typer.Argument(
        help="A case JSON file, several files, or a directory of them.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per case.")] = False,
    skip_unknown_markers: Annotated[bool, typer.Option(
        "--skip-unknown-markers",
        help="Leave out markers of the found person that the frequency table lacks.")] = False,
    new_allele_freq: Annotated[float, typer.Option(
        "--new-allele-freq", help="Frequency given to an allele absent from the table.")] = 0.001,
):
    """Compute the missing-person LR of kinship cases.

    H1: the found person is the pedigree's missing member; H2: unrelated.  With several cases
    (or a directory) one JSON line is printed per case, carrying its id; a case that fails
    prints a line with "error" and the command exits with 1 at the end.
    """
    from ..genetics import load_case, missing_person_lr

    files = _case_files(cases)
    if not files:
        typer.echo("error: no case files found", err=True)
        raise typer.Exit(2)
    many = len(files) > 1 or any(p.is_dir() for p in cases)
    failed = 0
    for f in files:
        try:
            case = load_case(f)
            res = missing_person_lr(case, skip_unknown_markers=skip_unknown_markers,
                                    new_allele_freq=new_allele_freq)
        except ReuniteError as exc:
            if not many:
                fail(exc)
            failed += 1
            typer.echo(json.dumps({"id": f.stem, "error": str(exc)}))
            continue
        if many or as_json:
            typer.echo(json.dumps(res.as_dict()))
        else:
            typer.echo(render_lr_text(res))
    if failed:
        raise typer.Exit(1)


def render_lr_text(res) -> str:
    """A kinship result as a person would want to read it."""
    from ..genetics import format_lr

    lines = []
    if res.id:
        lines.append(f"Case {res.id}")
    lines.append(res.sentence())
    lines.append("")
    lines.append(f"  Likelihood ratio   {format_lr(res.lr, res.log10_lr)}"
                 + (f"   (log10 {res.log10_lr:.3f})" if res.log10_lr is not None else ""))
    lines.append(f"  Verbal equivalent  {res.verbal}")
    lines.append(f"  GB/T 37223         {res.decision}")
    lines.append(f"  Markers compared   {res.markers_compared}")
    inc = ", ".join(res.inconsistent_markers) if res.inconsistent_markers else "none"
    lines.append(f"  Inconsistent       {inc}")
    lines.append("")
    lines.append(f"  {'marker':<12}{'found person':>16}{'LR':>14}  note")
    for m in res.markers:
        gt = "/".join(m.found) if m.found else "untyped"
        note = []
        if m.inconsistent:
            note.append("inconsistent without mutation")
        if m.added_alleles:
            note.append("allele(s) added to table: " + ", ".join(m.added_alleles))
        lines.append(f"  {m.marker:<12}{gt:>16}{format_lr(m.lr, m.log10_lr):>14}  {'; '.join(note)}")
    lines.append("")
    lines.append(f"  Frequencies: {res.frequencies}.  Mutation model: {res.mutation}.  "
                 f"Theta: {res.theta:g}.")
    for w in res.warnings:
        lines.append(f"  Warning: {w}")
    if res.skipped_markers:
        lines.append("  Not in the frequency table (left out): " + ", ".join(res.skipped_markers))
    lines.append("  Markers are assumed independent; H2 = unrelated to the family.")
    return "\n".join(lines)
