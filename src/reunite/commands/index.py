"""``reunite index``: build a reference index of families, show its status, compile found children."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, ReuniteError
from ._common import fail, parse_mutation_option

__all__ = ["lineage_line", "register", "set_aside_lines"]

_SHOWN_SET_ASIDE = 50  # index build lists at most this many set-aside entries (index status lists all)

index_app = typer.Typer(help="Build the reference index of families.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite index`` to ``app``."""
    app.add_typer(index_app, name="index")


def set_aside_lines(entries: list[dict], limit: int | None = None) -> list[str]:
    """One line per set-aside entry: family, member(s), marker, why (labels only, never alleles)."""
    shown = entries if limit is None else entries[:limit]
    lines = [f"  family {e['family']}  member(s) {', '.join(e.get('members', [])) or '-'}  "
             f"marker {e.get('marker', '-')}: {e.get('why', '')}" for e in shown]
    if len(entries) > len(shown):
        lines.append(f"  ... and {len(entries) - len(shown)} more (`reunite index status` lists them all)")
    return lines


@index_app.command("build")
def index_build(
    families: Annotated[Path, typer.Option(help="families.csv")],
    profiles: Annotated[Path, typer.Option(help="profiles.csv of the typed relatives")],
    frequencies: Annotated[str, typer.Option(help="Bundled table name or CSV path")],
    out: Annotated[Path, typer.Option(help="Directory to write the index to")],
    mutation: Annotated[str | None, typer.Option(help="Mutation model as JSON (as in a kinship case), "
                                                      "'default' (the bundled published per-locus rates, "
                                                      "used when absent) or 'none' (mutation-free)")] = None,
):
    """Compile families.csv + profiles.csv into a reference index directory.

    The index uses the bundled published per-locus mutation rates unless --mutation says
    otherwise; every reported LR is exact under that model.

    Without a mutation model, a family whose own relatives are inconsistent at a marker is set
    aside (not indexed); the build ends with a list of them (family, member(s), marker, why)."""
    from ..genetics import load_frequencies
    from ..search.columnar import read_reference_columns
    from ..search.index import build_index, compile_index
    from ..search.io import profiles_have_lineage, read_families, read_profiles_lineage

    try:
        t0 = time.perf_counter()
        table = load_frequencies(frequencies)
        mut = parse_mutation_option(mutation)
        if profiles_have_lineage(profiles):
            # Y-STR / mtDNA rows: read with them, and the families' paternal and maternal lines indexed.
            prof = read_profiles_lineage(profiles)
            fams = read_families(families, prof.profiles)
            idx = build_index(fams.values(), table, mutation=mut, y=prof.y, mt=prof.mt)
        else:
            # Columnar reading (pyarrow), straight into the index's groups; same checks and messages.
            idx = compile_index(table, *read_reference_columns(families, profiles, table, mutation=mut),
                                mutation=mut)
        idx.save(out)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"indexed {idx.size} families over {len(idx.markers)} markers "
               f"({len(idx.records)} evaluated by the kinship engine) in {time.perf_counter() - t0:.1f} s "
               f"-> {out}")
    aside = {e["family"] for e in idx.set_aside}
    if aside:
        typer.echo(f"set aside {len(aside)} famil{'y' if len(aside) == 1 else 'ies'} (not indexed, not searched): "
                   + ("their own relatives are inconsistent without mutation" if idx.mutation is None else
                      "their own relatives are impossible even with the mutation model"))
        for line in set_aside_lines(idx.set_aside, _SHOWN_SET_ASIDE):
            typer.echo(line)
    else:
        typer.echo("set aside: none")
    if idx.lineage is not None:
        typer.echo(lineage_line(idx.lineage.counts(), idx.lineage.loci))
    for note in idx.notes:
        typer.echo(f"note: {note}")


def lineage_line(counts: dict, loci: list[str]) -> str:
    """What the index holds of lineage markers, in one line."""
    return (f"lineage markers: {counts['y']} famil{'y' if counts['y'] == 1 else 'ies'} with a typed man of the "
            f"missing child's paternal line (Y-STR, {len(loci)} loci), {counts['mt']} with a typed relative of the "
            f"maternal line (mtDNA); {counts['either']} with either (their lineage LRs multiply with the autosomal LR)")


@index_app.command("status")
def index_status_cmd(
    index: Annotated[Path, typer.Argument(help="Index directory")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
):
    """Size, markers, frequency table, mutation model and set-aside families of an index."""
    from ..search.index import index_status

    try:
        st = index_status(index)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(st))
        return
    typer.echo(f"index {st['index']} (format version {st['version']})")
    if not st.get("readable", st["version"] == st["current_version"]):
        typer.echo(f"  this Reunite reads format version {st['current_version']}: rebuild the index")
    typer.echo(f"families indexed: {st['families']} ({st['engine_evaluated']} evaluated by the kinship engine; "
               f"{st['set_aside_families']} set aside; {st['rows']} rows)")
    typer.echo(f"size on disk: {st['bytes']:,} bytes")
    typer.echo(f"frequency table: {st['frequencies']}")
    typer.echo(f"markers ({len(st['markers'])}): {', '.join(st['markers'])}")
    typer.echo(f"mutation model: {st['mutation_text']}")
    lin = st.get("lineage")
    typer.echo(lineage_line(lin, lin.get("loci", [])) if lin else "lineage markers: none (autosomal only)")
    if st["set_aside"]:
        typer.echo(f"set-aside families ({st['set_aside_families']}):")
        for line in set_aside_lines(st["set_aside"]):
            typer.echo(line)
    else:
        typer.echo("set-aside families: none")
    for note in st.get("notes", ()):
        typer.echo(f"note: {note}")


@index_app.command("found")
def index_found(
    profiles: Annotated[Path, typer.Option(help="Found children's profiles.csv")],
    index: Annotated[Path, typer.Option(help="The reference index the children will be searched against")],
    out: Annotated[Path, typer.Option(help="Directory to write the found-children arrays to")],
):
    """Compile found children once, for fast reverse searches (a new family against all children)."""
    from ..search.index import ReferenceIndex
    from ..search.io import profiles_have_lineage, read_profiles, read_profiles_lineage
    from ..search.kernel import FoundChildIndex

    try:
        idx = ReferenceIndex.load(index)
        # Lineage rows (Y-STR, mtDNA) are compiled too: `reunite search --family --found-index` uses them.
        lin = None
        if profiles_have_lineage(profiles):
            r = read_profiles_lineage(profiles)
            kids = r.profiles
            lin = {s: (r.y.get(s), r.mt.get(s)) for s in dict.fromkeys([*r.y, *r.mt])}
        else:
            kids = read_profiles(profiles)
        found = FoundChildIndex.from_profiles(idx, kids, lineage=lin)
        if found.irregular:
            raise InputError(f"{len(found.irregular)} found children carry alleles absent from the frequency "
                             "table; search them with --found-profiles instead")
        found.save(out)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(f"compiled {len(found.samples)} found children over {len(idx.markers)} markers -> {out}")
    if found.lineage:
        ny = sum(1 for y, _m in found.lineage.values() if y is not None)
        nm = sum(1 for _y, m in found.lineage.values() if m is not None)
        typer.echo(f"lineage markers: {ny} with a Y-STR haplotype, {nm} with an mtDNA sequence")
