"""Reunite: trace the families of rescued and missing children by exact DNA kinship."""

__version__ = "0.1.0"

__all__ = ["__version__"]
