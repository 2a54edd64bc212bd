"""What a search returns: one hit (a family for a found child, or a found child for a family)
with its exact LR, and the order hits are reported in."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["MAX_INCONSISTENT", "SearchHit", "lr_from_log10"]

MAX_INCONSISTENT = 2  # mutation-free search: families with up to this many inconsistent markers are reported


@dataclass(frozen=True)
class SearchHit:
    """One search hit: a family found for a child (or a child for a family), with its exact LR."""

    family: str
    sample: str
    lr: float | None      # None beyond 10^±300 (log10_lr says it); 0 exactly when log10_lr is None
    log10_lr: float | None
    inconsistent: int
    markers_compared: int
    # log10 LR over the consistent markers only (mutation-free search; None when not computed).
    log10_lr_consistent: float | None = None
    # Lineage markers (reunite.search.lineage), when the family and the child have them: ``log10_lr``
    # (and ``log10_lr_consistent``) are then the autosomal log10 LR plus the Y-STR and mtDNA ones (the
    # LRs multiply: independently inherited markers); the parts are kept here.  ``lineage``: one entry
    # per line compared: marker, relative, relation, meioses, conclusion, log10_lr (None: no LR / LR 0).
    log10_lr_autosomal: float | None = None
    log10_lr_y: float | None = None
    log10_lr_mt: float | None = None
    lineage: tuple = ()

    @property
    def flagged(self) -> bool:
        """LR 0 without a mutation model, but at most MAX_INCONSISTENT inconsistent markers."""
        return self.log10_lr is None and self.log10_lr_consistent is not None \
            and 0 < self.inconsistent <= MAX_INCONSISTENT

    def as_dict(self) -> dict:
        out = {"family": self.family, "sample": self.sample,
               "lr": self.lr if self.lr is not None and math.isfinite(self.lr) else None,
               "log10_lr": self.log10_lr, "inconsistent": self.inconsistent,
               "markers_compared": self.markers_compared, "log10_lr_consistent": self.log10_lr_consistent}
        if self.lineage:
            out.update({"log10_lr_autosomal": self.log10_lr_autosomal, "log10_lr_y": self.log10_lr_y,
                        "log10_lr_mt": self.log10_lr_mt, "lineage": [dict(e) for e in self.lineage],
                        "sentence": {"en": self.sentence("en"), "zh": self.sentence("zh")}})
        return out

    def sentence(self, lang: str = "en") -> str:
        """How the LR is made of its parts (lineage hits), in English or Chinese."""
        if not self.lineage:
            return ""
        names = {"Y-STR": "Y-STR", "mtDNA": "mtDNA" if lang == "en" else "线粒体DNA"}
        parts = []
        for e in self.lineage:
            lg = e.get("log10_lr")
            c = e.get("conclusion")
            if c == "exclusion":
                val = "0 (exclusion)" if lang == "en" else "0（排除）"
            elif lg is None:
                val = "1 (inconclusive, no LR)" if lang == "en" else "1（不确定，不计LR）"
            else:
                val = f"10^{lg:.2f}"
            who = e.get("relation") or e.get("relative")
            if lang == "zh":
                parts.append(f"{names[e['marker']]}（{who}，相隔 {e['meioses']} 次减数分裂）{val}")
            else:
                parts.append(f"{names[e['marker']]} ({who}, {e['meioses']} meioses) {val}")
        auto = self.log10_lr_autosomal
        a = "0" if auto is None else f"10^{auto:.2f}"
        total = "0" if self.log10_lr is None else f"10^{self.log10_lr:.2f}"
        if lang == "zh":
            return (f"常染色体STR LR {a} × " + " × ".join(parts) + f" = {total}；谱系标记与常染色体STR独立遗传，"
                    "似然比相乘。")
        return (f"autosomal STR LR {a} × " + " × ".join(parts) + f" = {total}; the lineage markers are inherited "
                "independently of the autosomal STRs, so the LRs multiply.")


def lr_from_log10(log10_lr: float | None) -> float | None:
    """The LR of a log10 LR: 0 for None (an exclusion), None beyond 10^±300 (the log10 says it)."""
    if log10_lr is None:
        return 0.0
    return 10.0 ** log10_lr if -300 <= log10_lr <= 300 else None


def _rank(c: SearchHit, other: str) -> tuple:
    """Sort key: LR > 0 best first, then flagged hits by their LR over the consistent markers,
    then the rest (LR 0), each by ``other`` (family or sample) on ties."""
    if c.log10_lr is not None:
        return (0, -c.log10_lr, getattr(c, other))
    if c.flagged:
        return (1, -c.log10_lr_consistent, getattr(c, other))
    return (2, 0.0, getattr(c, other))


def _passes(c: SearchHit, min_lr: float) -> bool:
    """A hit is reported if its LR passes ``min_lr``, or it is flagged and its LR over the
    consistent markers does."""
    if min_lr <= 0:
        return True
    if c.log10_lr is not None and c.log10_lr >= math.log10(min_lr):
        return True
    return c.flagged and c.log10_lr_consistent >= math.log10(min_lr)


