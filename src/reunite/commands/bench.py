"""``reunite bench``: benchmarks that print figures."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import fail, parse_mutation_option

__all__ = ["register"]

bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``reunite bench`` to ``app``."""
    app.add_typer(bench_app, name="bench")


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
    from ..benchmarking.search import run_bench

    try:
        mut = parse_mutation_option("none" if mutation is None else mutation)
        figures = run_bench(families, found, frequencies, seed, mutation=mut, accuracy=accuracy)
    except ReuniteError as exc:
        fail(exc)
    typer.echo(json.dumps(figures))
