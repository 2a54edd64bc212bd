"""The matching settings, read from the environment in one place.

``REUNITE_FREQUENCIES`` (a bundled table name or a CSV path; default ``nist1036_us_asian``),
``REUNITE_MUTATION`` (a mutation model as JSON, a per-marker spec, or a word: ``default`` for the
bundled published per-marker rates — the default — or ``none`` for the mutation-free search),
``REUNITE_MIN_LR`` (default 1), ``REUNITE_INDEX_DIR`` (default ``./reunite-index``) and
``REUNITE_RULES`` (the decision rules of :mod:`reunite.genetics.rules`: ``gbt``, China's standards,
the default, or ``isfg``, the verbal scale without categorical decisions).  The matching and the
web's background imports use these; every candidate stores the settings it was computed with, and
its kinship report is printed from those, not from the environment.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from ..genetics.mutation import DEFAULT_MUTATION, parse_mutation
from ..genetics.rules import DEFAULT_RULES, RULESETS

__all__ = ["MatchingSettings"]


@dataclass(frozen=True)
class MatchingSettings:
    """What the matching runs with; see the module docstring."""

    frequencies: str = "nist1036_us_asian"
    mutation: object = DEFAULT_MUTATION       # what parse_mutation takes; None: mutation-free
    min_lr: float = 1.0
    index_dir: Path = Path("reunite-index")
    rules: str = DEFAULT_RULES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MatchingSettings:
        """The settings of the environment (``os.environ`` by default), validated."""
        env = os.environ if environ is None else environ
        mutation: object = DEFAULT_MUTATION
        raw = env.get("REUNITE_MUTATION")
        if raw is not None and raw.strip():
            text = raw.strip()
            try:
                mutation = json.loads(text)
            except json.JSONDecodeError as exc:
                if text[:1] in "{[\"":
                    raise InputError(Problem(f"REUNITE_MUTATION is not valid JSON: {exc.msg}",
                                             field="REUNITE_MUTATION")) from None
                mutation = text
            parse_mutation(mutation)            # validated now, not in the middle of a matching
            if parse_mutation(mutation) is None:
                mutation = None
        try:
            min_lr = float(env.get("REUNITE_MIN_LR", "1"))
        except ValueError:
            raise InputError(Problem(f"REUNITE_MIN_LR must be a number, got {env.get('REUNITE_MIN_LR')!r}",
                                     field="REUNITE_MIN_LR")) from None
        if not math.isfinite(min_lr) or min_lr < 0:
            raise InputError(Problem(f"REUNITE_MIN_LR must be a non-negative number, got {min_lr}",
                                     field="REUNITE_MIN_LR"))
        rules = (env.get("REUNITE_RULES") or DEFAULT_RULES).strip().lower()
        if rules not in RULESETS:
            raise InputError(Problem(f"REUNITE_RULES must be one of {', '.join(RULESETS)}, got {rules!r}",
                                     field="REUNITE_RULES"))
        return cls(env.get("REUNITE_FREQUENCIES", "nist1036_us_asian"), mutation, min_lr,
                   Path(env.get("REUNITE_INDEX_DIR", "reunite-index")), rules)

    def matching_kwargs(self) -> dict:
        """Keyword arguments of :func:`reunite.cases.matching.run_matching`."""
        return {"frequencies": self.frequencies, "mutation": self.mutation, "min_lr": self.min_lr,
                "index_dir": self.index_dir, "rules": self.rules}
