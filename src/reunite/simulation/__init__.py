"""Simulated populations as files: the simulator's I/O.

The simulator itself (gene dropping, :func:`reunite.genetics.simulate.simulate_population`) is
part of the pure numeric core; this package writes what it simulates as the CSV files the search
and the case store read (:mod:`reunite.simulation.io`).  It sits beside the search layer: it
imports :mod:`reunite.genetics` and the CSV formats of :mod:`reunite.search.io`, never the store,
the web or the CLI.
"""

from .io import family_records, write_population

__all__ = ["family_records", "write_population"]
