"""Benchmark runners: figures for ``reunite bench`` and the scripts in ``benchmarks/``.

:mod:`reunite.benchmarking.search` simulates a population, builds the reference index and times
the search both ways.  A layer over :mod:`reunite.genetics` and :mod:`reunite.search`; it never
imports the store, the web or the CLI.  Benchmarks print figures; they are not tests.
"""

from .search import index_from_population, run_bench

__all__ = ["index_from_population", "run_bench"]
