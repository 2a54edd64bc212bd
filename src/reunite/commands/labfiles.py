"""``reunite convert``: the files labs exchange, to and from Reunite's own formats.

Into Reunite: a GeneMapper ID-X Genotypes table or a CODIS CMF XML file becomes the profiles CSV
of docs/formats.md (``reunite import profiles`` reads it); a Familias ``.fam`` case becomes a
kinship case JSON (``reunite kinship lr`` reads it).  Out of Reunite: a kinship case as a Familias
file or as R pedsuite files (ped data frame, frequencies, an R script recomputing the LR), and a
profiles CSV as CMF XML.  Nothing touches the store.  Errors print ``error: …`` lines (file,
line, field) and exit with 2 having written nothing; notes (what was left out or flagged) print
as ``note: …`` lines.  docs/labfiles.md describes each format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail

__all__ = ["register"]

convert_app = typer.Typer(help="Convert lab files (GeneMapper, Familias, CODIS CMF, pedtools) to and from "
                               "Reunite's formats.", no_args_is_help=True)

OutFile = Annotated[Path, typer.Option("--out", help="The file to write.")]
SkipUnknown = Annotated[bool, typer.Option(
    "--skip-unknown-markers", help="Leave out (with a note) markers Reunite does not know instead of failing.")]


def register(app: typer.Typer) -> None:
    """Add ``reunite convert`` to ``app``."""
    app.add_typer(convert_app, name="convert")


def _notes(notes: list[str]) -> None:
    for n in notes:
        typer.echo(f"note: {n}", err=True)


def _profiles_out(result, out: Path) -> None:
    from ..labfiles import write_profiles_csv

    rows = write_profiles_csv(result.samples, out)
    _notes(result.notes)
    typer.echo(f"{len(result.samples)} samples, {rows} rows written to {out}")


@convert_app.command("genemapper")
def convert_genemapper(
    file: Annotated[Path, typer.Argument(help="A GeneMapper ID-X Genotypes table (tab-separated text).")],
    out: OutFile,
    skip_unknown_markers: SkipUnknown = False,
):
    """GeneMapper ID-X Genotypes table -> profiles CSV (OL alleles and mixtures refused)."""
    from ..labfiles import read_genemapper

    try:
        result = read_genemapper(file, skip_unknown_markers=skip_unknown_markers)
        _profiles_out(result, out)
    except ReuniteError as exc:
        fail(exc)


@convert_app.command("cmf")
def convert_cmf(
    file: Annotated[Path, typer.Argument(help="A CODIS CMF 3.2 XML file.")],
    out: OutFile,
    skip_unknown_markers: SkipUnknown = False,
    lenient: Annotated[bool, typer.Option("--lenient", help="Do not validate against the CMF 3.2 schema (read "
                                                            "attributes for elements, no namespace needed).")]
    = False,
):
    """CODIS CMF XML specimens -> profiles CSV (the file is validated against the CMF 3.2 schema)."""
    from ..labfiles import read_cmf

    try:
        result = read_cmf(file, skip_unknown_markers=skip_unknown_markers, validate=not lenient)
        _profiles_out(result, out)
    except ReuniteError as exc:
        fail(exc)


@convert_app.command("familias")
def convert_familias(
    file: Annotated[Path, typer.Argument(help="A Familias .fam file (two pedigrees: H1 and H2).")],
    out: OutFile,
    found: Annotated[str | None, typer.Option(
        "--found", help="The person of the file who is the found person (default: the one typed person "
                        "related in H1 and unrelated in H2).")] = None,
    h1: Annotated[str | None, typer.Option("--h1", help="The name of the H1 pedigree.")] = None,
    h2: Annotated[str | None, typer.Option("--h2", help="The name of the H2 pedigree.")] = None,
):
    """Familias .fam case -> kinship case JSON (checked as `kinship lr` checks it)."""
    from ..genetics import load_case
    from ..labfiles import read_fam
    from ..labfiles._common import write_atomic

    try:
        fc = read_fam(file, found=found, h1=h1, h2=h2)
        load_case(fc.case, source=str(file))
        write_atomic(out, json.dumps(fc.case, indent=1, ensure_ascii=False) + "\n")
    except ReuniteError as exc:
        fail(exc)
    _notes(fc.notes)
    typer.echo(f"case {fc.case['id']!r} (found person {fc.case['missing']!r}, "
               f"{len(fc.case['pedigree'])} persons, {len(fc.case['frequencies'])} markers) written to {out}")


def _load_case(path: Path):
    from ..genetics import load_case

    return load_case(path)


@convert_app.command("to-familias")
def convert_to_familias(
    case: Annotated[Path, typer.Argument(help="A kinship case JSON file.")],
    out: OutFile,
):
    """Kinship case JSON -> Familias .fam (H1 and H2 as Reunite computes them)."""
    from ..labfiles import write_fam

    try:
        notes = write_fam(_load_case(case), out)
    except ReuniteError as exc:
        fail(exc)
    _notes(notes)
    typer.echo(f"Familias file written to {out}")


@convert_app.command("to-pedtools")
def convert_to_pedtools(
    case: Annotated[Path, typer.Argument(help="A kinship case JSON file.")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write ped.tsv, frequencies.txt, lr.R "
                                                    "and reunite.json into.")],
):
    """Kinship case JSON -> R pedsuite files and a script that recomputes the LR (forrel/pedprobr)."""
    from ..labfiles import export_pedtools

    try:
        paths = export_pedtools(_load_case(case), out)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{', '.join(p.name for p in paths)} written to {out}; run: cd {out} && Rscript lr.R")


@convert_app.command("to-cmf")
def convert_to_cmf(
    profiles: Annotated[Path, typer.Argument(help="A profiles CSV (sample,marker,allele1,allele2).")],
    out: OutFile,
    source_lab: Annotated[str, typer.Option("--source-lab", help="SOURCELAB: the submitting lab's ORI.")],
    destination_ori: Annotated[str, typer.Option("--destination-ori", help="DESTINATIONORI: the receiving "
                                                                          "CODIS lab's ORI.")],
    category: Annotated[str, typer.Option("--category", help="SPECIMENCATEGORY of every specimen.")] =
        "Unidentified Person",
    kit: Annotated[str, typer.Option("--kit", help="The typing kit (LOCUS KIT).")] = "",
    submitter: Annotated[str, typer.Option("--submitter", help="SUBMITBYUSERID and READINGBY: the analyst's "
                                                               "CODIS user id (default: $REUNITE_USER, else the "
                                                               "login name).")] = "",
):
    """Profiles CSV -> CODIS CMF 3.2 XML (validated against the CMF schema before it is written)."""
    from ..cases.importing import default_user
    from ..labfiles import read_profiles_csv, write_cmf

    try:
        n = write_cmf(read_profiles_csv(profiles), out, source_lab=source_lab, destination_ori=destination_ori,
                      category=category, kit=kit, user=submitter or default_user())
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"{n} specimens written to {out}")
