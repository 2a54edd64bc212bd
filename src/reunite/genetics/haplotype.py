"""The lineage-marker haplotype type and its error, shared by :mod:`.ystr` and :mod:`.disclap`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import MarkerError

__all__ = ["HaplotypeError", "YHaplotype"]


class HaplotypeError(MarkerError):
    """A Y-STR or mtDNA haplotype that cannot be read: a locus name, an allele, a variant, a range."""


@dataclass(frozen=True)
class YHaplotype:
    """A Y-STR haplotype: locus → sorted tuple of allele labels (empty tuple = a null allele)."""

    alleles: Mapping[str, tuple[str, ...]]

    @property
    def loci(self) -> list[str]:
        return list(self.alleles)

    def key(self, loci: Sequence[str]) -> tuple | None:
        """The haplotype restricted to ``loci`` as a hashable key; None if a locus is untyped."""
        if any(locus not in self.alleles for locus in loci):
            return None
        return tuple(self.alleles[locus] for locus in loci)

    def as_dict(self) -> dict[str, str]:
        return {k: (",".join(v) if v else "null") for k, v in self.alleles.items()}
