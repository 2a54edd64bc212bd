"""Small array helpers shared by the index and the kernels: allele codes within a family and the
packed layout of a symmetric genotype table."""

from __future__ import annotations

import numpy as np

__all__ = ["lump_codes", "packed_index"]


def packed_index(k1: int) -> np.ndarray:
    """(k1, k1) -> position in the packed upper triangle (symmetric)."""
    idx = np.zeros((k1, k1), dtype=np.int64)
    pos = 0
    for i in range(k1):
        for j in range(i, k1):
            idx[i, j] = idx[j, i] = pos
            pos += 1
    return idx


def lump_codes(alleles: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the sorted distinct non-negative alleles (padded with -1 to ``k``) and each
    allele's code (its position among them; -1 stays -1)."""
    big = np.iinfo(np.int32).max
    a = alleles.astype(np.int32)
    s = np.sort(np.where(a < 0, big, a), axis=1)
    dup = np.zeros_like(s, dtype=bool)
    dup[:, 1:] = s[:, 1:] == s[:, :-1]
    s = np.sort(np.where(dup, big, s), axis=1)[:, :k]
    if s.shape[1] < k:
        s = np.pad(s, ((0, 0), (0, k - s.shape[1])), constant_values=big)
    codes = (s[:, None, :] < a[:, :, None]).sum(axis=2)
    codes = np.where(a < 0, -1, codes)
    uniq = np.where(s == big, -1, s).astype(np.int16)
    return uniq, codes
