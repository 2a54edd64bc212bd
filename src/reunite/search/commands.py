"""The search layer's commands: index build, search (both directions), batch, simulate, bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..clitools import fail as _fail
from ..errors import InputError, ReuniteError

__all__ = ["register"]

_SHOWN_SET_ASIDE = 50  # index build lists at most this many set-aside entries (index status lists all)


def _parse_mutation_option(text: str | None):
    """``--mutation``: a mutation model as JSON, or a word ``parse_mutation`` knows (``none`` for the
    mutation-free search, ``default`` for the bundled published per-locus rates); absent: the
    bundled rates.  Validated here."""
    from ..genetics.mutation import DEFAULT_MUTATION, parse_mutation

    if text is None:
        return DEFAULT_MUTATION
    word = text.strip()
    try:
        spec = json.loads(word)
    except json.JSONDecodeError as exc:
        if word[:1] in ("{", "[", '"'):
            raise InputError(f"--mutation is not valid JSON: {exc.msg}") from None
        spec = word
    return None if parse_mutation(spec) is None else spec


def _set_aside_lines(entries: list[dict], limit: int | None = None) -> list[str]:
    """One line per set-aside entry: family, member(s), marker, why (labels only, never alleles)."""
    shown = entries if limit is None else entries[:limit]
    lines = [f"  family {e['family']}  member(s) {', '.join(e.get('members', [])) or '-'}  "
             f"marker {e.get('marker', '-')}: {e.get('why', '')}" for e in shown]
    if len(entries) > len(shown):
        lines.append(f"  ... and {len(entries) - len(shown)} more (`reunite index status` lists them all)")
    return lines


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
                n = c.inconsistent
                other = c.markers_compared - n
                lr = format_lr(None, c.log10_lr_consistent)
                typer.echo(f"  {i:>3}. {who:<16} {n} inconsistent marker{'s' if n != 1 else ''} — LR 0 without a "
                           f"mutation model; LR over the other {other} marker{'s' if other != 1 else ''} {lr}")
                continue
            typer.echo(f"  {i:>3}. {who:<16} LR {format_lr(c.lr, c.log10_lr):>18}   "
                       f"inconsistent {c.inconsistent}   markers {c.markers_compared}")


def register(app: typer.Typer) -> None:
    """Add the search commands to the ``reunite`` app."""
    index_app = typer.Typer(help="Build the reference index of families.", no_args_is_help=True)
    search_app = typer.Typer(help="Search found children against families (or a family against children).",
                             invoke_without_command=True)
    bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
    app.add_typer(index_app, name="index")
    app.add_typer(search_app, name="search")
    app.add_typer(bench_app, name="bench")

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
        import time

        from ..genetics import load_frequencies
        from .columnar import read_reference_columns
        from .index import compile_index

        try:
            t0 = time.perf_counter()
            table = load_frequencies(frequencies)
            mut = _parse_mutation_option(mutation)
            # Columnar reading (pyarrow), straight into the index's groups; same checks and messages.
            idx = compile_index(table, *read_reference_columns(families, profiles, table, mutation=mut),
                                mutation=mut)
            idx.save(out)
        except ReuniteError as exc:
            _fail(exc)
        typer.echo(f"indexed {idx.size} families over {len(idx.markers)} markers "
                   f"({len(idx.records)} evaluated by the kinship engine) in {time.perf_counter() - t0:.1f} s "
                   f"-> {out}")
        aside = {e["family"] for e in idx.set_aside}
        if aside:
            typer.echo(f"set aside {len(aside)} famil{'y' if len(aside) == 1 else 'ies'} (not indexed, not searched): "
                       "their own relatives are inconsistent without mutation")
            for line in _set_aside_lines(idx.set_aside, _SHOWN_SET_ASIDE):
                typer.echo(line)
        else:
            typer.echo("set aside: none")

    @index_app.command("status")
    def index_status_cmd(
        index: Annotated[Path, typer.Argument(help="Index directory")],
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object")] = False,
    ):
        """Size, markers, frequency table, mutation model and set-aside families of an index."""
        from .index import index_status

        try:
            st = index_status(index)
        except ReuniteError as exc:
            _fail(exc)
        if as_json:
            typer.echo(json.dumps(st))
            return
        typer.echo(f"index {st['index']} (format version {st['version']})")
        if st["version"] != st["current_version"]:
            typer.echo(f"  this Reunite reads format version {st['current_version']}: rebuild the index")
        typer.echo(f"families indexed: {st['families']} ({st['engine_evaluated']} evaluated by the kinship engine; "
                   f"{st['set_aside_families']} set aside; {st['rows']} rows)")
        typer.echo(f"size on disk: {st['bytes']:,} bytes")
        typer.echo(f"frequency table: {st['frequencies']}")
        typer.echo(f"markers ({len(st['markers'])}): {', '.join(st['markers'])}")
        typer.echo(f"mutation model: {st['mutation_text']}")
        if st["set_aside"]:
            typer.echo(f"set-aside families ({st['set_aside_families']}):")
            for line in _set_aside_lines(st["set_aside"]):
                typer.echo(line)
        else:
            typer.echo("set-aside families: none")

    @index_app.command("found")
    def index_found(
        profiles: Annotated[Path, typer.Option(help="Found children's profiles.csv")],
        index: Annotated[Path, typer.Option(help="The reference index the children will be searched against")],
        out: Annotated[Path, typer.Option(help="Directory to write the found-children arrays to")],
    ):
        """Compile found children once, for fast reverse searches (a new family against all children)."""
        from .index import ReferenceIndex
        from .io import read_profiles
        from .kernel import FoundChildren

        try:
            idx = ReferenceIndex.load(index)
            found = FoundChildren.from_profiles(idx, read_profiles(profiles))
            if found.irregular:
                raise InputError(f"{len(found.irregular)} found children carry alleles absent from the frequency "
                                 "table; search them with --found-profiles instead")
            found.save(out)
        except ReuniteError as exc:
            _fail(exc)
        typer.echo(f"compiled {len(found.samples)} found children over {len(idx.markers)} markers -> {out}")

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
    ):
        """Search found children against all families, or (--family) a family against all children."""
        if ctx.invoked_subcommand is not None:
            return
        from .index import ReferenceIndex
        from .io import read_profiles
        from .kernel import search_child, search_family

        try:
            if index is None:
                raise InputError("--index is required")
            idx = ReferenceIndex.load(index)
            if family is not None:
                if found_index is not None:
                    from .kernel import FoundChildren

                    kids = FoundChildren.load(found_index)
                elif found_profiles is not None:
                    kids = read_profiles(found_profiles)
                else:
                    raise InputError("--family needs --found-profiles or --found-index")
                res = {family: search_family(idx, family, kids, min_lr=min_lr, top=top)}
            else:
                if profiles is None:
                    raise InputError("--profiles is required (or --family with --found-profiles)")
                kids = read_profiles(profiles)
                if sample is not None:
                    if sample not in kids:
                        raise InputError(f"sample {sample!r} is not in {profiles}")
                    kids = {sample: kids[sample]}
                res = {s: search_child(idx, p, sample=s, min_lr=min_lr, top=top) for s, p in kids.items()}
        except ReuniteError as exc:
            _fail(exc)
        _print(res, as_json)

    @search_app.command("batch")
    def search_batch(
        index: Annotated[Path, typer.Option(help="Index directory")],
        profiles: Annotated[Path, typer.Option(help="Found children's profiles.csv")],
        out: Annotated[Path, typer.Option(help="Results Parquet file")],
        scheduler: Annotated[str, typer.Option(help="'local' or tcp://HOST:PORT")] = "local",
        min_lr: Annotated[float, typer.Option()] = 1.0,
        top: Annotated[int, typer.Option()] = 20,
        workers: Annotated[int, typer.Option(help="Workers of the local cluster")] = 2,
    ):
        """All found children against all families on Dask; results written as Parquet."""
        from .batch import batch_search, write_results
        from .io import read_profiles

        try:
            kids = read_profiles(profiles)
            res = batch_search(index, kids, scheduler=scheduler, min_lr=min_lr, top=top, workers=workers)
            write_results(res, out)
        except ReuniteError as exc:
            _fail(exc)
        n = sum(len(v) for v in res.values())
        typer.echo(f"searched {len(kids)} children; {n} candidates -> {out}")

    @bench_app.command("search")
    def bench_search(
        families: Annotated[int, typer.Option()] = 10_000,
        found: Annotated[int, typer.Option()] = 100,
        frequencies: Annotated[str, typer.Option()] = "nist1036_us_asian",
        seed: Annotated[int, typer.Option()] = 1,
        mutation: Annotated[str | None, typer.Option(help="Mutation model of the index as JSON, or 'none' "
                                                          "(the default)")] = None,
        accuracy: Annotated[bool, typer.Option(help="Also check the true families' ranks")] = True,
    ):
        """Simulate, build and search; print one JSON object of figures (build_s, index_bytes,
        median_s, p95_s, peak_rss_bytes, ...)."""
        from .bench import run_bench

        try:
            mut = _parse_mutation_option("none" if mutation is None else mutation)
            figures = run_bench(families, found, frequencies, seed, mutation=mut, accuracy=accuracy)
        except ReuniteError as exc:
            _fail(exc)
        typer.echo(json.dumps(figures))

    try:
        from .simcommands import register as register_sim
    except ImportError:  # pragma: no cover
        return
    register_sim(app)
