"""``reunite search``: found children against the reference index, a family against found children,
and (``search batch``) all found children on Dask."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, ReuniteError
from ._common import fail

# The lineage options of single and batch search (the same words in both).
YDatabaseOption = Annotated[Path | None, typer.Option(
    help="Y-STR reference database CSV for the lineage LR (one row per man, one column per locus; "
         "default: the bundled SIMULATED database)")]
MtDatabaseOption = Annotated[Path | None, typer.Option(
    help="mtDNA reference database CSV (id, range, variants; default: the bundled SIMULATED database)")]
LineageMethodOption = Annotated[str, typer.Option(
    help="Population probability of the found haplotype: clopper_pearson (default), count, augmented "
         "or discrete_laplace")]

__all__ = ["register"]

search_app = typer.Typer(help="Search found children against families (or a family against children).",
                         invoke_without_command=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite search`` to ``app``."""
    app.add_typer(search_app, name="search")


def _print(results, as_json: bool) -> None:
    from ..genetics import format_lr

    for sample, cands in results.items():
        if as_json:
            typer.echo(json.dumps({"sample": sample, "candidates": [c.as_dict() for c in cands]}))
            continue
        typer.echo(f"{sample}: {len(cands)} candidate(s)")
        for i, c in enumerate(cands, start=1):
            who = c.family if c.family != sample else c.sample
            if c.flagged:
                if c.lineage:
                    typer.echo(f"       {c.sentence('en')}")
                n = c.inconsistent
                other = c.markers_compared - n
                lr = format_lr(None, c.log10_lr_consistent)
                typer.echo(f"  {i:>3}. {who:<16} {n} inconsistent marker{'s' if n != 1 else ''} — LR 0 without a "
                           f"mutation model; LR over the other {other} marker{'s' if other != 1 else ''} {lr}")
                continue
            typer.echo(f"  {i:>3}. {who:<16} LR {format_lr(c.lr, c.log10_lr):>18}   "
                       f"inconsistent {c.inconsistent}   markers {c.markers_compared}")
            if c.lineage:
                typer.echo(f"       {c.sentence('en')}")


@search_app.callback()
def search(
    ctx: typer.Context,
    index: Annotated[Path | None, typer.Option(help="Index directory")] = None,
    profiles: Annotated[Path | None, typer.Option(help="Found children's profiles.csv")] = None,
    sample: Annotated[str | None, typer.Option(help="Search only this sample")] = None,
    family: Annotated[str | None, typer.Option(help="Reverse: this family against found children")] = None,
    found_profiles: Annotated[Path | None, typer.Option(help="Found children (reverse direction)")] = None,
    found_index: Annotated[Path | None, typer.Option(help="Compiled found children")] = None,
    min_lr: Annotated[float, typer.Option(help="Report candidates with LR at least this")] = 1.0,
    top: Annotated[int, typer.Option(help="At most this many candidates (0: all)")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines")] = False,
    y_database: YDatabaseOption = None,
    mt_database: MtDatabaseOption = None,
    lineage_method: LineageMethodOption = "clopper_pearson",
):
    """Search found children against all families, or (--family) a family against all children.

    Where the index has lineage markers (Y-STR, mtDNA rows in the families' profiles.csv) and a found
    child has them too, a family's LR is the autosomal LR times the lineage LRs (independently
    inherited markers); that product ranks the candidates and passes --min-lr."""
    if ctx.invoked_subcommand is not None:
        return
    from ..search.index import ReferenceIndex
    from ..search.kernel import FoundChildIndex, search_child, search_family

    try:
        if index is None:
            raise InputError("--index is required")
        idx = ReferenceIndex.load(index)
        if family is not None:
            lin = {}
            if found_index is not None:
                kids = FoundChildIndex.load(found_index)
                lin = kids.lineage or {}   # the children's lineage markers compiled with them
            elif found_profiles is not None:
                kids, lin = _read_found(found_profiles, idx)
            else:
                raise InputError("--family needs --found-profiles or --found-index")
            opts = _options(lin, y_database, mt_database, lineage_method)
            res = {family: search_family(idx, family, kids, min_lr=min_lr, top=top, found_lineage=lin,
                                         lineage=opts)}
        else:
            if profiles is None:
                raise InputError("--profiles is required (or --family with --found-profiles)")
            kids, lin = _read_found(profiles, idx)
            if sample is not None:
                if sample not in kids:
                    raise InputError(f"sample {sample!r} is not in {profiles}")
                kids = {sample: kids[sample]}
            opts = _options(lin, y_database, mt_database, lineage_method)
            none = (None, None)
            res = {s: search_child(idx, p, sample=s, min_lr=min_lr, top=top, found_y=lin.get(s, none)[0],
                                   found_mt=lin.get(s, none)[1], lineage=opts) for s, p in kids.items()}
    except ReuniteError as exc:
        fail(exc)
    _print(res, as_json)


def _read_found(path: Path, idx=None):
    """Found children's profiles and, when the file has lineage rows, {sample: (haplotype, sequence)}."""
    from ..search.io import profiles_have_lineage, read_profiles, read_profiles_lineage

    if not profiles_have_lineage(path):
        return read_profiles(path), {}
    r = read_profiles_lineage(path)
    return r.profiles, {s: (r.y.get(s), r.mt.get(s)) for s in dict.fromkeys([*r.y, *r.mt])}


def _options(lin, y_database, mt_database, method):
    from ..search.lineage import lineage_options

    if not lin and y_database is None and mt_database is None and method == "clopper_pearson":
        return None
    return lineage_options(y_database, mt_database, method=method)


@search_app.command("batch")
def search_batch(
    index: Annotated[Path, typer.Option(help="Index directory")],
    profiles: Annotated[Path, typer.Option(help="Found children's profiles.csv")],
    out: Annotated[Path, typer.Option(help="Results Parquet file")],
    scheduler: Annotated[str, typer.Option(help="'local' or tcp://HOST:PORT")] = "local",
    min_lr: Annotated[float, typer.Option()] = 1.0,
    top: Annotated[int, typer.Option()] = 20,
    workers: Annotated[int, typer.Option(help="Workers of the local cluster")] = 2,
    y_database: YDatabaseOption = None,
    mt_database: MtDatabaseOption = None,
    lineage_method: LineageMethodOption = "clopper_pearson",
):
    """All found children against all families on Dask; results written as Parquet (with the autosomal,
    Y-STR and mtDNA parts of each LR when lineage markers were used)."""
    from ..search.batch import batch_search, write_results

    try:
        kids, lin = _read_found(profiles)
        opts = _options(lin, y_database, mt_database, lineage_method)
        res = batch_search(index, kids, scheduler=scheduler, min_lr=min_lr, top=top, workers=workers,
                           found_lineage=lin, lineage=opts)
        write_results(res, out)
    except (ReuniteError, ImportError) as exc:  # ImportError: the batch extra is not installed
        fail(exc)
    n = sum(len(v) for v in res.values())
    typer.echo(f"searched {len(kids)} children; {n} candidates -> {out}")
