"""The compiled one-vs-all kernel (numba): approximate log10 LR of one child against all families."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def approx_all(S, U, packed, x, freqs, offsets, rows, cap):  # pragma: no cover - compiled
    """S (M, F, K) int16, U (M, P, F) float32, x (M, 2) child alleles (-1 untyped), freqs flat
    with offsets per marker, rows (R,) family rows.  Returns (log10 LR over the consistent markers
    (R,), the number of inconsistent markers (R,), counted up to ``cap``).

    A family is left at its ``cap``-th inconsistent marker (LR 0 stays 0 in float32); its log10 is then
    -inf.  Below ``cap`` the sum runs on past the inconsistent markers."""
    m_n = S.shape[0]
    k = S.shape[2]
    r_n = rows.shape[0]
    total = np.zeros(r_n)
    zeros = np.zeros(r_n, dtype=np.int32)
    typed = np.empty(m_n, dtype=np.int64)
    nt = 0
    for mi in range(m_n):
        if x[mi, 0] >= 0:
            typed[nt] = mi
            nt += 1
    hw = np.empty(m_n)
    for t in range(nt):
        mi = typed[t]
        a = x[mi, 0]
        b = x[mi, 1]
        pa = freqs[offsets[mi] + a]
        pb = freqs[offsets[mi] + b]
        hw[mi] = pa * pa if a == b else 2.0 * pa * pb
    # Markers with the child's rarest alleles first: a family with inconsistent markers is left sooner.
    share = np.empty(nt)
    for t in range(nt):
        mi = typed[t]
        share[t] = freqs[offsets[mi] + x[mi, 0]] + freqs[offsets[mi] + x[mi, 1]]
    typed = typed[:nt][np.argsort(share)]
    for ri in range(r_n):
        f = rows[ri]
        prod = 1.0
        acc = 0.0
        nz = 0
        for t in range(nt):
            mi = typed[t]
            a = x[mi, 0]
            b = x[mi, 1]
            off = offsets[mi]
            cx = k
            cy = k
            psum = 0.0
            for j in range(k):
                s = S[mi, f, j]
                if s < 0:
                    break
                psum += freqs[off + s]
                if s == a:
                    cx = j
                if s == b:
                    cy = j
            val = float(U[mi, packed[cx, cy], f])
            if val <= 0.0:
                nz += 1
                if nz >= cap:
                    break
                continue
            if cx == k or cy == k:
                prest = 1.0 - psum
                if cx == k:
                    val *= freqs[off + a] / prest
                if cy == k:
                    val *= freqs[off + b] / prest
                if cx == k and cy == k and a != b:
                    val *= 2.0
            prod *= val / hw[mi]
            if t % 8 == 7:
                acc += math.log10(prod)
                prod = 1.0
        zeros[ri] = nz
        if nz >= cap:
            total[ri] = -np.inf
        else:
            total[ri] = acc + math.log10(prod)
    return total, zeros


@numba.njit(cache=True, nogil=True)
def family_vs_children(S, U, packed, X, freqs, offsets, cap):  # pragma: no cover - compiled
    """One family's tables S (M, K) int16, U (M, P) float64 against children X (N, M, 2).

    Returns (log10 LR over the consistent markers (N,), inconsistent markers counted up to ``cap``
    (N,), markers compared (N,)); the log10 is -inf for a child with ``cap`` inconsistent markers."""
    m_n = S.shape[0]
    k = S.shape[1]
    n = X.shape[0]
    total = np.zeros(n)
    zeros = np.zeros(n, dtype=np.int32)
    compared = np.zeros(n, dtype=np.int32)
    prest = np.empty(m_n)
    for mi in range(m_n):
        ps = 0.0
        for j in range(k):
            s = S[mi, j]
            if s < 0:
                break
            ps += freqs[offsets[mi] + s]
        prest[mi] = 1.0 - ps
    for i in range(n):
        acc = 0.0
        for mi in range(m_n):
            a = X[i, mi, 0]
            b = X[i, mi, 1]
            if a < 0:
                continue
            compared[i] += 1
            if zeros[i] >= cap:
                continue
            off = offsets[mi]
            cx = k
            cy = k
            for j in range(k):
                s = S[mi, j]
                if s < 0:
                    break
                if s == a:
                    cx = j
                if s == b:
                    cy = j
            val = U[mi, packed[cx, cy]]
            if val <= 0.0:
                zeros[i] += 1
                continue
            pa = freqs[off + a]
            pb = freqs[off + b]
            if cx == k:
                val *= pa / prest[mi]
            if cy == k:
                val *= pb / prest[mi]
            if cx == k and cy == k and a != b:
                val *= 2.0
            hw = pa * pa if a == b else 2.0 * pa * pb
            acc += math.log10(val / hw)
        total[i] = -np.inf if zeros[i] >= cap else acc
    return total, zeros, compared
