"""Moved to :mod:`reunite.benchmarking.search`; this re-export stays only until the command modules import it there."""
from ..benchmarking.search import index_from_population, run_bench  # noqa: F401
