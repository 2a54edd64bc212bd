"""Tests of the kinship reports, mirroring ``reunite.reports``."""
