"""``reunite simulate``: gene-dropped reference families and found children, written as CSV."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, ReuniteError
from ._common import fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``reunite simulate`` to ``app``."""
    app.command("simulate")(simulate)


def simulate(
    families: Annotated[int, typer.Option("--families", min=0, help="Number of reference families.")],
    found: Annotated[int, typer.Option("--found", min=0, help="Number of found children.")],
    frequencies: Annotated[str, typer.Option(
        "--frequencies", help="Frequency table: a bundled name (see `reunite frequencies list`) or a CSV.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the CSV files into (created).")],
    related_fraction: Annotated[float, typer.Option(
        "--related-fraction", min=0.0, max=1.0,
        help="Share of the found children who are the missing child of a family.")] = 0.5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 1,
    structures: Annotated[str | None, typer.Option(
        "--structures", help="Comma-separated family structures (default: all): both_parents, mother_only, "
                             "father_only, mother_and_sibling, grandparents, siblings_only.")] = None,
    markers: Annotated[str | None, typer.Option(
        "--markers", help="Markers to simulate: a set name (codis20, cn23) or comma-separated marker names "
                          "(default: every marker of the table).")] = None,
    mutation: Annotated[str | None, typer.Option(
        "--mutation", help='Mutation model at transmission, as JSON, e.g. \'{"model": "stepwise", '
                           '"rate": 0.002, "rate2": 1e-06, "range": 0.1}\' (default: none).')] = None,
    y_haplotypes: Annotated[bool, typer.Option(
        "--y-haplotypes", help="Also write SIMULATED Y-STR haplotypes (Yfiler Plus loci) for the typed men of "
                               "the families and the found boys, dropped along the paternal lines with the "
                               "stepwise mutation model the lineage LR uses.")] = False,
):
    """Gene-drop reference families and found children and write them as CSV.

    Writes OUT/profiles.csv (typed family members), OUT/families.csv, OUT/found.csv (the
    found children's profiles) and OUT/truth.csv (sample,family: the family each found
    child belongs to, empty when unrelated), in the formats `reunite index build` and
    `reunite search` read.  Families are spread evenly over the structures.  With --y-haplotypes
    the men's Y-STR rows are added to profiles.csv and found.csv (docs/formats.md, lineage rows).
    """
    from ..genetics.simulate import simulate_population
    from ..simulation.io import write_population

    t0 = time.perf_counter()
    try:
        spec = None
        if mutation is not None:
            try:
                spec = json.loads(mutation)
            except json.JSONDecodeError as exc:
                raise InputError(f"--mutation is not valid JSON: {exc.msg}") from None
        pop = simulate_population(frequencies, families, found, related_fraction, seed,
                                  structures=structures, markers=markers, mutation=spec)
        paths = write_population(pop, out)
        y_note = ""
        if y_haplotypes:
            from ..simulation.lineage import append_y_rows, population_y

            men, boys = population_y(pop, seed=seed)
            append_y_rows(paths["profiles"], men)
            append_y_rows(paths["found"], boys)
            y_note = f"; Y-STR haplotypes for {len(men)} typed men and {len(boys)} found boys (SIMULATED)"
    except ReuniteError as exc:
        fail(exc)
    counts = ", ".join(f"{k} {v}" for k, v in pop.counts().items())
    related = int((pop.found_family >= 0).sum())
    typer.echo(f"simulated {pop.n_families} families ({counts}) and {pop.n_found} found children "
               f"({related} related) at {len(pop.markers)} markers of {pop.table}, seed {seed}, "
               f"in {time.perf_counter() - t0:.1f} s; wrote {out}/profiles.csv, families.csv, found.csv, "
               f"truth.csv{y_note}")
