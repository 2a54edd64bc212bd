"""Mutation models, with the definitions and parameter names of the R package pedmut.

A model is built into a matrix per marker over that marker's alleles in the frequency table's
order (an added allele included): row = the parent's allele, column = the allele transmitted.
Mothers transmit through the female model, fathers through the male model.  No stationarity
adjustment is made.

Models (``rate`` etc. as in pedmut's ``mutationMatrix``):

- ``equal`` (rate): M_ii = 1 - rate, M_ij = rate / (n - 1).
- ``proportional`` (rate): alpha = rate / sum_k p_k (1 - p_k); M = (1 - alpha) I + alpha 1 p^T;
  an error if an entry exceeds 1.
- ``stepwise`` (rate, rate2, range): numeric alleles with at most one decimal, grouped by their
  microvariant part; within a group weights range^|x_i - x_j| scaled to sum to ``rate``; to
  another group rate2 / (n - size of own group); the diagonal 1 - rate if all alleles share a
  group, 1 - rate2 if the allele is alone in its group, else 1 - rate - rate2.
- ``onestep`` (rate): integer alleles; mutation only to x - 1 and x + 1 where those exist, the
  rate split between them.
- ``trivial``: the identity (also used for any marker with a single allele).
- ``custom`` (matrix, alleles): a given matrix; rows must sum to 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MutationError

__all__ = ["MODELS", "MutationModel", "SexSpecificMutation", "mutation_matrix", "parse_mutation"]

MODELS = ("equal", "proportional", "stepwise", "onestep", "trivial", "custom")
_PARAMS = {
    "equal": ("rate",),
    "proportional": ("rate",),
    "stepwise": ("rate", "rate2", "range"),
    "onestep": ("rate",),
    "trivial": (),
    "custom": ("matrix", "alleles"),
}


@dataclass(frozen=True)
class MutationModel:
    """One pedmut-style model: its name and parameters."""

    model: str
    rate: float = 0.0
    rate2: float = 0.0
    range: float = 1.0
    matrix: tuple[tuple[float, ...], ...] | None = None
    alleles: tuple[str, ...] | None = None

    def as_dict(self) -> dict:
        d: dict = {"model": self.model}
        for p in _PARAMS[self.model]:
            d[p] = getattr(self, p)
            if isinstance(d[p], tuple):
                d[p] = [list(r) if isinstance(r, tuple) else r for r in d[p]]
        return d

    def describe(self) -> str:
        if self.model == "stepwise":
            return f"stepwise (rate {self.rate:g}, rate2 {self.rate2:g}, range {self.range:g})"
        if self.model in ("equal", "proportional", "onestep"):
            return f"{self.model} (rate {self.rate:g})"
        return self.model


@dataclass(frozen=True)
class SexSpecificMutation:
    """The model mothers transmit through and the one fathers transmit through."""

    female: MutationModel
    male: MutationModel

    def as_dict(self) -> dict:
        if self.female == self.male:
            return self.female.as_dict()
        return {"female": self.female.as_dict(), "male": self.male.as_dict()}

    def describe(self) -> str:
        if self.female == self.male:
            return self.female.describe()
        return f"female: {self.female.describe()}; male: {self.male.describe()}"


def _number(d: Mapping, key: str, where: str, *, positive: bool = False) -> float:
    if key not in d or d[key] is None:
        raise MutationError(f"{where}: the model {d.get('model')!r} needs {key!r}")
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise MutationError(f"{where}: {key!r} must be a number, got {v!r}")
    v = float(v)
    if v < 0 or (positive and v <= 0):
        raise MutationError(f"{where}: {key!r} must be {'positive' if positive else 'non-negative'}, got {v!r}")
    return v


def _parse_one(d: object, where: str) -> MutationModel:
    if not isinstance(d, Mapping):
        raise MutationError(f"{where}: a mutation model is an object such as "
                            f'{{"model": "equal", "rate": 0.002}}')
    model = d.get("model")
    if model not in MODELS:
        raise MutationError(f"{where}: unknown mutation model {model!r}; use one of {', '.join(MODELS)}")
    unknown = set(d) - {"model", *_PARAMS[model]}
    if unknown:
        raise MutationError(f"{where}: the {model} model takes no parameter(s) {', '.join(sorted(unknown))}")
    if model in ("equal", "proportional", "onestep"):
        rate = _number(d, "rate", where)
        if rate > 1:
            raise MutationError(f"{where}: 'rate' must be in [0, 1], got {rate}")
        return MutationModel(model, rate=rate)
    if model == "stepwise":
        rate, rate2 = _number(d, "rate", where), _number(d, "rate2", where)
        rng = _number(d, "range", where, positive=True)
        if rate + rate2 > 1:
            raise MutationError(f"{where}: the total rate rate + rate2 must be in [0, 1]")
        return MutationModel(model, rate=rate, rate2=rate2, range=rng)
    if model == "custom":
        mat, als = d.get("matrix"), d.get("alleles")
        if not isinstance(mat, Sequence) or not isinstance(als, Sequence) or isinstance(als, str):
            raise MutationError(f"{where}: the custom model needs 'matrix' (rows) and 'alleles'")
        arr = np.array(mat, dtype=float)
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] != len(als):
            raise MutationError(f"{where}: the custom matrix must be square with one row per allele")
        if (arr < 0).any() or (arr > 1).any() or not np.allclose(arr.sum(1), 1, atol=5e-4):
            raise MutationError(f"{where}: custom matrix entries must be in [0, 1] with rows summing to 1")
        return MutationModel(model, matrix=tuple(map(tuple, arr.tolist())),
                             alleles=tuple(str(a).strip() for a in als))
    return MutationModel("trivial")


def parse_mutation(spec: object) -> SexSpecificMutation | None:
    """Parse a case's ``mutation``: null, one model for both sexes, or ``{"female":…, "male":…}``."""
    if spec is None:
        return None
    if isinstance(spec, MutationModel):
        return SexSpecificMutation(spec, spec)
    if isinstance(spec, SexSpecificMutation):
        return spec
    if isinstance(spec, Mapping) and "model" not in spec and ("female" in spec or "male" in spec):
        extra = set(spec) - {"female", "male"}
        if extra or not ("female" in spec and "male" in spec):
            raise MutationError("mutation: a sex-specific model needs exactly 'female' and 'male'")
        return SexSpecificMutation(_parse_one(spec["female"], "mutation.female"),
                                   _parse_one(spec["male"], "mutation.male"))
    m = _parse_one(spec, "mutation")
    return SexSpecificMutation(m, m)


def _numeric(alleles: Sequence[str], marker: str, model: str) -> np.ndarray:
    try:
        x = np.array([float(a) for a in alleles])
    except ValueError:
        raise MutationError(
            f"marker {marker}: the {model} model needs numeric alleles") from None
    if np.any(np.round(x, 1) != x):
        raise MutationError(f"marker {marker}: microvariants must have one decimal for {model}")
    return x


def mutation_matrix(model: MutationModel, alleles: Sequence[str], freqs: np.ndarray,
                    marker: str = "?") -> np.ndarray:
    """Build the n x n mutation matrix of ``model`` over ``alleles`` (in this order)."""
    n = len(alleles)
    if model.model == "custom":
        idx = {a: i for i, a in enumerate(model.alleles or ())}
        missing = [a for a in alleles if a not in idx]
        if missing:
            raise MutationError(f"marker {marker}: the custom matrix lacks {len(missing)} "
                                f"allele(s) of the frequency table")
        full = np.array(model.matrix, dtype=float)
        sel = [idx[a] for a in alleles]
        return full[np.ix_(sel, sel)].copy()
    if n <= 1 or model.model == "trivial":
        return np.eye(n)
    r = model.rate
    if model.model == "equal":
        m = np.full((n, n), r / (n - 1))
        np.fill_diagonal(m, 1.0 - r)
        return m
    if model.model == "proportional":
        p = np.asarray(freqs, dtype=float)
        alpha = r / float(np.sum(p * (1.0 - p)))
        m = (1.0 - alpha) * np.eye(n) + alpha * np.broadcast_to(p, (n, n))
        if np.any(m > 1) or np.any(m < 0):
            raise MutationError(f"marker {marker}: impossible proportional matrix (an entry outside [0, 1]); "
                                f"reduce 'rate'")
        return m
    if model.model == "stepwise":
        x = _numeric(alleles, marker, "stepwise")
        group = np.round((x - np.round(x)) * 10)
        same = group[:, None] == group[None, :]
        size = same.sum(axis=1)
        off = ~np.eye(n, dtype=bool)
        within = same & off
        w = np.where(within, model.range ** np.abs(x[:, None] - x[None, :]), 0.0)
        wsum = w.sum(axis=1, keepdims=True)
        w = np.divide(w, wsum, out=np.zeros_like(w), where=wsum > 0) * r
        between = np.where(~same, model.rate2 / np.maximum(n - size, 1)[:, None], 0.0)
        m = w + between
        if size.min() == n:
            diag = np.full(n, 1.0 - r)
        else:
            diag = np.where(size == 1, 1.0 - model.rate2, 1.0 - r - model.rate2)
        m[np.arange(n), np.arange(n)] = diag
        return m
    if model.model == "onestep":
        x = _numeric(alleles, marker, "onestep")
        if np.any(np.round(x) != x):
            raise MutationError(f"marker {marker}: the onestep model needs integer alleles")
        m = np.zeros((n, n))
        for i in range(n):
            nei = np.abs(x - x[i]) == 1
            k = int(nei.sum())
            m[i, i] = 1.0 - r if k else 1.0
            if k:
                m[i, nei] = r / k
        return m
    raise MutationError(f"marker {marker}: unknown model {model.model!r}")
