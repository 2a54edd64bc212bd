"""Moved to :mod:`reunite.simulation.io`; this re-export stays only until the command modules import it there."""
from ..simulation.io import family_records, write_population  # noqa: F401
