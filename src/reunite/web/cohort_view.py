"""What the cohort review page and the guidance boxes show, built from stored results.

A stored cohort solution (:class:`reunite.cases.models.CohortSolution`) is turned into rows for
the template here: one sentence per found child in the page's language (from its conclusion and
flags; the rule itself is the solver's note), the joint assignments, the related found children,
and the pairwise matrix (found children × the families' missing members, the families with no
LR above 1 for any child left out).  The guidance boxes say which relatives to swab, for the
investigators with the figures, for the family in plain words without any LR or genotype.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

from ..genetics.kinship import format_lr
from .i18n import mutation_words

__all__ = ["LruCache", "cohort_page_data", "family_guidance_lines", "guidance_box"]


class LruCache(MutableMapping):
    """A small least-recently-used mapping (the guidance of the pages, by a digest of its input)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._d: OrderedDict[str, Any] = OrderedDict()

    def __getitem__(self, key):
        value = self._d[key]
        self._d.move_to_end(key)
        return value

    def __setitem__(self, key, value):
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def __delitem__(self, key):
        del self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


def _member(missing: str | None, family: str | None) -> str | None:
    if missing is None:
        return None
    return missing[len(family) + 1:] if family and missing.startswith(family + "/") else missing


def lr_text(lr: float | None, log10: float | None) -> str:
    """An LR as the pages print it (``0`` for an exclusion, ``–`` for none)."""
    if log10 is None and lr is None:
        return "–"
    if log10 is None:
        return "0" if lr == 0 else format_lr(lr, None)
    return format_lr(lr if lr is not None and math.isfinite(lr) else None, log10)


def _sentence(c: dict, t, max_inconsistent: int) -> str:
    who, fam, member = c["found"], c["family"], _member(c["missing"], c["family"])
    flags = c.get("flags", [])
    k = c["conclusion"]
    if k == "identified" and "symmetric" in flags:
        text = t("cohort.say.identified_symmetric", found=who, family=fam, member=member)
    elif k in ("identified", "probable", "disputed"):
        text = t(f"cohort.say.{k}", found=who, family=fam, member=member)
    elif k == "excluded":
        text = t("cohort.say.excluded", found=who, k=max_inconsistent)
    else:
        text = t(f"cohort.say.{k}", found=who)
    extra = []
    if "downgraded" in flags:
        extra.append(t("cohort.say.downgraded"))
    if "another_child_fits_better" in flags:
        extra.append(t("cohort.say.another_fits", member=member))
    if "unreported_sibling_possible" in flags:
        extra.append(t("cohort.say.unreported_sibling", found=who, family=fam))
    for f in flags:
        if f.startswith("sibling_of_placed_child:"):
            extra.append(t("cohort.say.sibling_of_placed", found=who, other=f.split(":", 1)[1]))
    return " ".join([text, *extra])


_RULE_KEYS = {"identified": "cohort.note.identified", "probable": "cohort.note.probable",
              "disputed": "cohort.note.disputed", "inconclusive": "cohort.note.inconclusive",
              "no_match": "cohort.note.no_match", "excluded": "cohort.note.excluded"}


def rule_note(c: dict, t, rules: dict, inconsistent: int | None) -> str:
    """The rule a conclusion follows, in the page's language, from its conclusion, flags and figures (the
    solver's own ``note`` is English prose; the English page shows that one)."""
    t1, t2, k = (f"{rules.get('threshold', 10_000):g}", f"{rules.get('threshold2', 1_000):g}",
                 int(rules.get("max_inconsistent", 2)))
    flags, concl = c.get("flags", []), c["conclusion"]
    member = _member(c["missing"], c["family"])
    if "downgraded" in flags:
        key = "cohort.note.downgraded"
    elif concl == "identified" and "symmetric" in flags:
        key = "cohort.note.identified_symmetric"
    elif concl == "disputed" and "another_child_fits_better" in flags:
        key = "cohort.note.another_fits"
    else:
        key = _RULE_KEYS[concl]
    parts = [t(key, t1=t1, t2=t2, k=k, family=c["family"] or "–", member=member or "–")]
    if "placed_beyond_max_inconsistent" in flags:
        parts.insert(0, t("cohort.note.beyond_max", k=k))
    if c.get("log10_lr") is not None:
        parts.append(t("cohort.note.pairwise", lr=lr_text(c.get("lr"), c["log10_lr"]),
                       n=inconsistent if inconsistent is not None else "–"))
    if c.get("log10_glr") is not None:
        parts.append(t("cohort.note.generalised", glr=lr_text(None, c["log10_glr"])))
    return t("cohort.note.join").join(parts)


_METHOD = re.compile(r"over (\d+) families with (\d+) shared found children as state \((\d+) states\)")


def method_words(method: str, t, lang: str) -> str:
    """The solver's method in the page's language (its English sentence names three numbers)."""
    m = _METHOD.search(method or "")
    if lang == "en" or m is None:
        return method
    return t("cohort.method_exact", families=m.group(1), shared=m.group(2), states=m.group(3))


def cohort_page_data(result: dict, t, lang: str = "en") -> dict[str, Any]:
    """Rows of the review page from a stored solution's ``result``."""
    rules = result.get("assumptions", {}).get("rules", {})
    max_inc = int(rules.get("max_inconsistent", 2))
    inconsistent = {(p["found"], p["missing"]): p.get("inconsistent") for p in result["pairwise"]}
    conclusions = [{**c, "member": _member(c["missing"], c["family"]),
                    "lr_text": lr_text(c.get("lr"), c.get("log10_lr")), "sentence": _sentence(c, t, max_inc),
                    "note": c["note"] if lang == "en" else
                    rule_note(c, t, rules, inconsistent.get((c["found"], c["missing"])))}
                   for c in result["conclusions"]]
    fam_of = {p["missing"]: p["family"] for p in result["pairwise"]}
    assignments = []
    for k, a in enumerate(result["assignments"], start=1):
        placed = [(v, _member(m, fam_of.get(m)), fam_of.get(m)) for v, m in a["assignment"].items() if m]
        assignments.append({"rank": k, "lr_text": lr_text(None, a["log10_lr"]), "posterior": a["posterior"],
                            "placed": placed})
    relatives = []
    for r in result["found_relatives"]:
        if r["relationship"] == "unrelated":
            continue
        best = max((v for v in r.get("log10_lrs", {}).values() if v is not None), default=None)
        relatives.append({"a": r["a"], "b": r["b"], "relationship": r["relationship"],
                          "lr_text": lr_text(None, best), "support": r.get("log10_support")})
    # The matrix: found children × missing members, families with some LR above 1 only.
    found = [c["found"] for c in result["conclusions"]]
    cells: dict[tuple[str, str], dict] = {}
    columns: dict[str, str] = {}
    for p in result["pairwise"]:
        cells[(p["found"], p["missing"])] = p
        columns.setdefault(p["missing"], p["family"])
    shown = [m for m in columns if any((cells.get((v, m)) or {}).get("log10_lr") is not None
                                       and cells[(v, m)]["log10_lr"] > 0 for v in found)]
    shown.sort(key=lambda m: (columns[m], m))
    placed = {c["found"]: c["missing"] for c in result["conclusions"]
              if c["conclusion"] in ("identified", "probable")}
    matrix = []
    for v in found:
        row = []
        for m in shown:
            p = cells.get((v, m))
            if p is None:
                row.append({"text": "–", "class": "muted", "title": ""})
                continue
            l10, inc = p.get("log10_lr"), p.get("inconsistent", 0)
            text = "✕" if inc > max_inc else ("0" if l10 is None else f"{l10:.1f}")
            cls = "strong" if l10 is not None and l10 >= 4 and inc <= max_inc else (
                "weak" if l10 is not None and l10 >= 3 and inc <= max_inc else "")
            if placed.get(v) == m:
                cls += " placed"
            row.append({"text": text, "class": cls.strip(),
                        "title": t("cohort.cell", found=v, missing=m, lr=lr_text(p.get("lr"), l10), n=inc,
                                   p=f"{p.get('posterior', 0):.3g}")})
        matrix.append({"found": v, "cells": row})
    return {"conclusions": conclusions, "assignments": assignments, "relatives": relatives,
            "columns": [{"missing": m, "member": _member(m, columns[m]), "family": columns[m]} for m in shown],
            "hidden_families": len({columns[m] for m in columns} - {columns[m] for m in shown}),
            "matrix": matrix, "max_inconsistent": max_inc,
            "n_admissible": result["search"]["admissible_assignments"],
            "method": method_words(result["search"]["method"], t, lang),
            "untyped": result.get("store", {}).get("untyped_children", []),
            "families": len(result.get("store", {}).get("families", [])),
            "assumptions": result.get("assumptions", {})}


# ------------------------------------------------------------------------------------ guidance

_RELATIONS = ("father", "mother", "brother", "sister", "sibling", "half_sibling", "grandfather", "grandmother",
              "uncle", "aunt", "child", "relative")


def _who(relations: list[str], t) -> str:
    words = [t(f"guidance.rel.{r}" if r in _RELATIONS else "guidance.rel.relative") for r in relations]
    return t("guidance.and").join(words)


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def guidance_box(g: dict, t, lang: str) -> dict[str, Any]:
    """What the investigator's report page shows of a report's sampling guidance."""
    sw = g["swab"]
    options = [{"who": _who(o["relation"], t), "ids": ", ".join(o["swab"]), "p": _pct(o["p"]),
                "se": f"{100 * o['se']:.0f}"} for o in sw["options"][:6]]
    ip = g["typed"]["inclusion_power"]
    return {"advice": sw["advice"]["zh" if lang == "zh" else "en"], "now": _pct(sw["p_now"]),
            "exclusion": f"{g['typed']['exclusion_power']['total']:.6f}", "options": options,
            "nsim": ip["nsim"], "seed": g["assumptions"]["seed"], "frequencies": g["assumptions"]["frequencies"],
            "mutation": mutation_words(g["assumptions"].get("mutation_model"), lang),
            "template": g.get("pedigree_template", False),
            "typed": g["typed"]["relatives"]}


def chance_words(p: float, t) -> str:
    """How often a test gives a clear answer, for a family: "in about 42 of 100 cases" (大约每100次中有42次),
    and at the ends, where the rounded number would say "100 of 100" or "0 of 100", "almost every time"
    (几乎每次都) or "in fewer than 1 of 100 cases" (每100次中不到1次)."""
    n = math.floor(100 * min(max(p, 0.0), 1.0) + 0.5)
    if n >= 100:
        return t("guidance.chance.almost_always")
    if n < 1:
        return t("guidance.chance.almost_never")
    return t("guidance.chance.about", n=n)


def family_guidance_lines(g: dict, t) -> list[str]:
    """The guidance in plain words for the family's page: no LR, no genotype, no member ids."""
    sw = g["swab"]
    now = chance_words(sw["p_now"], t)
    if sw["p_now"] >= 0.99:
        return [t("guidance.family.enough")]
    ones = [o for o in sw["options"] if len(o["swab"]) == 1]
    twos = [o for o in sw["options"] if len(o["swab"]) == 2]
    if not ones:
        return [t("guidance.family.no_more")]
    one = ones[0]
    who = _who(one["relation"], t)
    lines = [t("guidance.family.one", who=who)]
    if not g["typed"]["relatives"]:
        lines.append(t("guidance.family.nothing_yet", who=who, then=chance_words(one["p"], t)))
    else:
        lines.append(t("guidance.family.chance", now=now, who=who, then=chance_words(one["p"], t)))
    if twos and twos[0]["p"] > one["p"] + 0.02:
        lines.append(t("guidance.family.two", who=_who(twos[0]["relation"], t), then=chance_words(twos[0]["p"], t)))
    return lines
