"""Tests of the DNA kinship engine, mirroring ``reunite.genetics``."""
