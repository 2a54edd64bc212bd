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

A case's ``mutation`` (:func:`parse_mutation`) is one of:

- null or ``"none"``: no mutation;
- one model for both sexes, or ``{"female": model, "male": model}`` (a
  :class:`SexSpecificMutation`);
- ``{"per_marker": {MARKER: model_or_sexspecific, ...}, "default": model_or_sexspecific_or_null}``
  (a :class:`MutationSpec`): a model per marker, names folded with
  :func:`~reunite.genetics.markers.marker_key`; markers not listed take ``default`` (none if
  absent or null);
- ``"default"`` or :data:`DEFAULT_MUTATION`: the bundled table of published marker-specific rates
  (:func:`default_mutation`, ``reunite/data/mutation/README.md``).

Both :class:`SexSpecificMutation` and :class:`MutationSpec` answer
``for_marker(name) -> SexSpecificMutation | None``; :func:`marker_matrices` gives the (female,
male) matrices of one marker, cached.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources

import numpy as np

from ..errors import MarkerError, MutationError
from .markers import marker_key

__all__ = [
    "DEFAULT_MUTATION",
    "MODELS",
    "MutationModel",
    "MutationSpec",
    "SexSpecificMutation",
    "default_mutation",
    "marker_matrices",
    "mutation_matrix",
    "parse_mutation",
]

#: Name of the bundled per-marker mutation model (``parse_mutation("published_rates")``; the
#: string ``"default"`` means the same).
DEFAULT_MUTATION = "published_rates"

#: The stepwise parameters the bundled per-marker rates are used with (pedmut's ``stepwise``;
#: ``rate`` is the marker's rate).
DEFAULT_RATE2 = 1e-6
DEFAULT_RANGE = 0.1

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

    def for_marker(self, marker_name: str) -> SexSpecificMutation | None:
        """The model of a marker: the same for every marker."""
        return self


@dataclass(frozen=True)
class MutationSpec:
    """A model per marker: ``per_marker`` holds (marker key, model) pairs sorted by key; markers
    not listed take ``default`` (None: no mutation).  ``name`` labels a bundled spec (it is not
    part of equality)."""

    per_marker: tuple[tuple[str, SexSpecificMutation], ...]
    default: SexSpecificMutation | None = None
    name: str | None = field(default=None, compare=False)

    @cached_property
    def _lookup(self) -> dict[str, SexSpecificMutation]:
        return dict(self.per_marker)

    def for_marker(self, marker_name: str) -> SexSpecificMutation | None:
        """The model of ``marker_name`` (any spelling), or the default, or None for none."""
        return self._lookup.get(marker_key(marker_name), self.default)

    def as_dict(self) -> dict:
        d: dict = {"per_marker": {k: m.as_dict() for k, m in self.per_marker}}
        d["default"] = self.default.as_dict() if self.default is not None else None
        return d

    def describe(self) -> str:
        dflt = self.default.describe() if self.default is not None else "no mutation"
        if self.name == DEFAULT_MUTATION:
            rates = [m.male.rate for _, m in self.per_marker]
            return (f"published per-locus rates ({len(rates)} loci, stepwise, rate "
                    f"{min(rates):g}–{max(rates):g}, rate2 {DEFAULT_RATE2:g}, range "
                    f"{DEFAULT_RANGE:g}; other markers: {dflt})")
        parts = [f"{k}: {m.describe()}" for k, m in self.per_marker]
        return "per marker: " + "; ".join(parts) + f"; other markers: {dflt}"


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


def _parse_model_or_sex(spec: object, where: str) -> SexSpecificMutation:
    """One model for both sexes or ``{"female": ..., "male": ...}``."""
    if isinstance(spec, MutationModel):
        return SexSpecificMutation(spec, spec)
    if isinstance(spec, SexSpecificMutation):
        return spec
    if isinstance(spec, Mapping) and "model" not in spec and ("female" in spec or "male" in spec):
        extra = set(spec) - {"female", "male"}
        if extra or not ("female" in spec and "male" in spec):
            raise MutationError(f"{where}: a sex-specific model needs exactly 'female' and 'male'"
                                + (f" (unknown key(s) {', '.join(map(repr, sorted(map(str, extra))))})"
                                   if extra else ""))
        return SexSpecificMutation(_parse_one(spec["female"], f"{where}.female"),
                                   _parse_one(spec["male"], f"{where}.male"))
    m = _parse_one(spec, where)
    return SexSpecificMutation(m, m)


def _parse_per_marker(spec: Mapping) -> MutationSpec:
    unknown = sorted(str(k) for k in spec if k not in ("per_marker", "default"))
    if unknown:
        raise MutationError(f"mutation: unknown key(s) {', '.join(map(repr, unknown))} in a per-marker "
                            f"spec; it takes 'per_marker' and 'default'")
    raw = spec.get("per_marker")
    if not isinstance(raw, Mapping):
        raise MutationError("mutation.per_marker must be an object of marker: model, e.g. "
                            '{"D3S1358": {"model": "stepwise", "rate": 0.0012, "rate2": 1e-06, '
                            '"range": 0.1}}')
    models: dict[str, SexSpecificMutation] = {}
    names: dict[str, str] = {}
    for name, model in raw.items():
        try:
            key = marker_key(name)
        except MarkerError:
            raise MutationError(f"mutation.per_marker: marker name {name!r} is empty or not text") from None
        if key in models:
            raise MutationError(f"mutation.per_marker: markers {names[key]!r} and {name!r} are the "
                                f"same marker ({key}); give it once")
        if model is None:
            raise MutationError(f"mutation.per_marker.{name}: null is not a model; use "
                                f'{{"model": "trivial"}} for no mutation at this marker')
        models[key] = _parse_model_or_sex(model, f"mutation.per_marker.{name}")
        names[key] = str(name)
    dflt = spec.get("default")
    default = None if dflt is None or _is_word(dflt, "none") else _parse_model_or_sex(dflt, "mutation.default")
    return MutationSpec(tuple(sorted(models.items())), default)


def _is_word(spec: object, *words: str) -> bool:
    return isinstance(spec, str) and spec.strip().lower() in words


def parse_mutation(spec: object) -> SexSpecificMutation | MutationSpec | None:
    """Parse a case's ``mutation``.

    null or ``"none"``: None.  One model, or ``{"female":…, "male":…}``: a
    :class:`SexSpecificMutation`.  ``{"per_marker": {MARKER: model, ...}, "default": model}``: a
    :class:`MutationSpec`.  ``"default"`` or :data:`DEFAULT_MUTATION`: :func:`default_mutation`.
    """
    if spec is None or _is_word(spec, "none"):
        return None
    if isinstance(spec, MutationSpec):
        return spec
    if _is_word(spec, "default", DEFAULT_MUTATION):
        return default_mutation()
    if isinstance(spec, str):
        raise MutationError(f"mutation: {spec!r} is not a mutation model; give an object such as "
                            f'{{"model": "stepwise", "rate": 0.002, "rate2": 1e-06, "range": 0.1}}, '
                            f'"none", or "default" (the bundled published rates)')
    if isinstance(spec, Mapping) and "per_marker" in spec:
        return _parse_per_marker(spec)
    return _parse_model_or_sex(spec, "mutation")


@lru_cache(maxsize=1)
def default_mutation() -> MutationSpec:
    """The bundled published marker-specific rates as a :class:`MutationSpec` (stepwise, rate2
    1e-6, range 0.1, sex-specific where the table gives paternal and maternal rates); markers
    not in the table get stepwise at the table's mean rate.  See ``reunite/data/mutation``."""
    text = resources.files("reunite").joinpath("data/mutation/published_rates.csv").read_text(
        encoding="utf-8")
    per: dict[str, SexSpecificMutation] = {}
    rates: list[float] = []

    def num(row: dict, col: str) -> float | None:
        v = (row.get(col) or "").strip()
        if not v:
            return None
        x = float(v)
        if not (math.isfinite(x) and 0 <= x < 1):
            raise MutationError(f"bundled mutation table: {col} {v!r} of {row['marker']} is not a rate")
        return x

    def step(rate: float) -> MutationModel:
        return MutationModel("stepwise", rate=rate, rate2=DEFAULT_RATE2, range=DEFAULT_RANGE)

    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        rate = num(row, "rate")
        if rate is None:
            continue  # no published figure: the marker takes the default
        rates.append(rate)
        male, female = num(row, "paternal"), num(row, "maternal")
        per[marker_key(row["marker"])] = SexSpecificMutation(
            step(female if female is not None else rate), step(male if male is not None else rate))
    mean = float(np.mean(rates))
    dflt = step(mean)
    return MutationSpec(tuple(sorted(per.items())), SexSpecificMutation(dflt, dflt), DEFAULT_MUTATION)


@lru_cache(maxsize=8192)
def _matrix_cached(model: MutationModel, alleles: tuple[str, ...], freqs: bytes,
                   marker: str) -> np.ndarray:
    m = mutation_matrix(model, alleles, np.frombuffer(freqs), marker)
    m.setflags(write=False)
    return m


def marker_matrices(mutation: SexSpecificMutation | MutationSpec | None, marker_name: str,
                    alleles: Sequence[str], freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The (female, male) mutation matrices of ``marker_name`` over ``alleles`` (in this order),
    or None when the marker has no mutation.  Cached and read-only; when both sexes share a
    model the same array is returned twice."""
    if mutation is None:
        return None
    m = mutation.for_marker(marker_name)
    if m is None:
        return None
    als = tuple(alleles)
    fb = np.ascontiguousarray(freqs, dtype=float).tobytes()
    fem = _matrix_cached(m.female, als, fb, marker_name)
    male = fem if m.male == m.female else _matrix_cached(m.male, als, fb, marker_name)
    return fem, male


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
