"""Decision rules (pure: no engine): one conclusion per kinship result, following a named standard.

The public face is :mod:`reunite.genetics.rules`, which re-exports this module and adds what runs
the kinship engine (:func:`~reunite.genetics.rules.conclude_case`,
:func:`~reunite.genetics.rules.alternative_relationships`); :mod:`.kinship` imports this module,
so the engine's results carry their conclusion without an import cycle.

A rule set (``gbt``: China's standards; ``isfg``: the ENFSI/ISFG verbal scale without categorical
decisions) is data, in ``reunite/data/rules/<name>.json``: one rule per relationship class, each
with its source (standard and clause) and its thresholds.  docs/rules.md cites every threshold and
says which could not be verified; a rule whose standard publishes no threshold has none, and its
conclusion is the verbal scale with no categorical decision.

Relationship classes, from the typed relatives closest to the missing member:

``parentage_trio``  both parents of the missing member typed (or a typed child of the missing
                    member together with the child's other parent: the classic trio)
``parentage_duo``   one parent (or a child) of the missing member typed
``full_siblings``   no parent or child, a full sibling typed
``second_degree``   none of these, a half sibling, grandparent, grandchild, uncle/aunt or
                    nephew/niece typed
``distant``         anything else

A mixed family is classed by its closest typed member: a mother and a sibling typed is
``parentage_duo`` (the parentage rule decides; the sibling adds to the same LR).

:func:`conclude` turns (log10 LR, inconsistent markers, class) into a :class:`Conclusion` whose
decision, excluded flag and verbal phrase never contradict each other.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources

from ..errors import InputError, Problem
from .pedigree import Pedigree

__all__ = [
    "DEFAULT_RULES",
    "PARENTAGE",
    "RELATIONSHIPS",
    "RULESETS",
    "Alternative",
    "Conclusion",
    "Rule",
    "RuleSet",
    "conclude",
    "format_lr",
    "load_rules",
    "parents_of",
    "relationship_class",
    "verbal_scale",
]

RULESETS = ("gbt", "isfg")
DEFAULT_RULES = "gbt"
RELATIONSHIPS = ("parentage_trio", "parentage_duo", "full_siblings", "second_degree", "distant")
DECISIONS = ("support", "exclusion", "inconclusive", "no_decision")
PARENTAGE = ("parentage_trio", "parentage_duo")


@dataclass(frozen=True)
class Rule:
    """One decision rule: a relationship class, its source and its thresholds (None: not published)."""

    id: str
    relationship: str
    source: str
    clause: str | None
    support_log10: float | None          # log10 LR at or above which H1 is supported
    exclusion_log10: float | None        # log10 LR at or below which H1 is excluded
    max_inconsistent_support: int | None  # support needs at most this many inconsistent markers
    inconsistent_exclusion: int | None    # this many inconsistent markers exclude (a parent)
    exclusion_needs: str                  # "lr", "inconsistent_or_lr" or "inconsistent_and_lr"
    min_markers: int | None               # markers the standard asks to compare
    type_more_markers: bool               # the standard says: in between, type more markers
    text_en: str
    text_zh: str
    notes: str = ""

    @property
    def categorical(self) -> bool:
        """Whether the rule makes categorical decisions (it has a published threshold)."""
        return (self.support_log10 is not None or self.exclusion_log10 is not None
                or self.inconsistent_exclusion is not None)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RuleSet:
    """The rules of one jurisdiction or body, one per relationship class."""

    name: str
    title: str
    title_zh: str
    rules: tuple[Rule, ...]

    def rule(self, relationship: str) -> Rule:
        """The rule for a relationship class (an :class:`InputError` naming it if unknown)."""
        for r in self.rules:
            if r.relationship == relationship:
                return r
        raise InputError(Problem(f"rule set {self.name!r} has no rule for relationship "
                                 f"{relationship!r}; the classes are {', '.join(RELATIONSHIPS)}",
                                 field="relationship"))


@cache
def _load(name: str) -> RuleSet:
    text = resources.files("reunite").joinpath(f"data/rules/{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    rules = []
    for r in data["rules"]:
        rules.append(Rule(
            id=r["id"], relationship=r["relationship"], source=r["source"], clause=r.get("clause"),
            support_log10=r.get("support_log10"), exclusion_log10=r.get("exclusion_log10"),
            max_inconsistent_support=r.get("max_inconsistent_support"),
            inconsistent_exclusion=r.get("inconsistent_exclusion"),
            exclusion_needs=r.get("exclusion_needs", "lr"), min_markers=r.get("min_markers"),
            type_more_markers=bool(r.get("type_more_markers", False)),
            text_en=r["text"]["en"], text_zh=r["text"]["zh"], notes=r.get("notes", "")))
    return RuleSet(data["name"], data["title"], data["title_zh"], tuple(rules))


def load_rules(name: str | RuleSet) -> RuleSet:
    """A bundled rule set by name (``gbt`` or ``isfg``)."""
    if isinstance(name, RuleSet):
        return name
    key = str(name).strip().lower()
    if key not in RULESETS:
        raise InputError(Problem(f"unknown rules {name!r}; choose one of {', '.join(RULESETS)}",
                                 field="rules"))
    return _load(key)


# --- relationship classes -------------------------------------------------------------------

def parents_of(ped: Pedigree, pid: str) -> tuple[str, ...]:
    p = ped[pid]
    return () if p.father is None else (p.father, p.mother)


def _relation(ped: Pedigree, x: str, t: str) -> str | None:
    """The class of the relationship between ``x`` and ``t`` (None: more distant or unrelated)."""
    px, pt = set(parents_of(ped, x)), set(parents_of(ped, t))
    if t in px or x in pt:
        return "parent_child"
    if px and px == pt:
        return "full_siblings"
    if px & pt:
        return "second_degree"            # half siblings
    gx = {g for p in px for g in parents_of(ped, p)}
    gt = {g for p in pt for g in parents_of(ped, p)}
    if t in gx or x in gt:
        return "second_degree"            # grandparent / grandchild
    # uncle/aunt: t is a full sibling of a parent of x (or the reverse)
    for p in px:
        if parents_of(ped, p) and set(parents_of(ped, p)) == pt and p != t:
            return "second_degree"
    for p in pt:
        if parents_of(ped, p) and set(parents_of(ped, p)) == px and p != x:
            return "second_degree"
    return None


def relationship_class(pedigree: Pedigree, missing: str, typed: Iterable[str]) -> str:
    """The relationship class a result is judged under, from the typed members closest to ``missing``.

    Both parents typed: ``parentage_trio``; one parent: ``parentage_duo``.  A typed child of the
    missing member is parentage too (a trio when the child's other parent is typed).  Otherwise a
    typed full sibling: ``full_siblings``; a half sibling, grandparent, grandchild, uncle/aunt or
    nephew/niece: ``second_degree``; else ``distant``.  Mixed families take the closest class
    (mother and sibling typed: ``parentage_duo``).
    """
    typed_set = {t for t in typed if t in pedigree and t != missing}
    parents = [p for p in parents_of(pedigree, missing) if p in typed_set]
    if len(parents) == 2:
        return "parentage_trio"
    children = [c for c in pedigree.children(missing) if c in typed_set]
    for c in children:
        other = [p for p in parents_of(pedigree, c) if p != missing]
        if other and other[0] in typed_set:
            return "parentage_trio"
    if parents or children:
        return "parentage_duo"
    rels = {_relation(pedigree, missing, t) for t in typed_set}
    if "full_siblings" in rels:
        return "full_siblings"
    if "second_degree" in rels:
        return "second_degree"
    return "distant"


# --- the conclusion ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Alternative:
    """The LR of the found person against one typed relative as another relationship (vs unrelated)."""

    relationship: str
    relative: str
    lr: float | None
    log10_lr: float | None

    def as_dict(self) -> dict:
        return {"relationship": self.relationship, "relative": self.relative,
                "lr": self.lr, "log10_lr": self.log10_lr}


@dataclass(frozen=True)
class Conclusion:
    """One conclusion for one result: decision, reason and verbal phrase that never contradict."""

    rules: str
    rule_id: str
    relationship: str
    source: str
    decision: str      # 'support' | 'exclusion' | 'inconclusive' | 'no_decision'
    excluded: bool
    reason: str
    reason_zh: str
    verbal: str
    verbal_zh: str
    type_more_markers: bool
    alternatives: tuple[Alternative, ...] = field(default=())

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in (
            "rules", "rule_id", "relationship", "source", "decision", "excluded", "reason",
            "reason_zh", "verbal", "verbal_zh", "type_more_markers")}
        d["alternatives"] = [a.as_dict() for a in self.alternatives]
        return d

    def sentence(self, lang: str = "en") -> str:
        """The conclusion as one paragraph (``lang`` 'en' or 'zh')."""
        if lang == "zh":
            out = f"{_DECISION_ZH[self.decision]}：{self.reason_zh}（{self.verbal_zh}）"
            if self.alternatives:
                out += " " + _alternatives_text(self.alternatives, "zh")
            return out
        if lang != "en":
            raise InputError(Problem(f"unknown language {lang!r}; choose en or zh", field="lang"))
        out = f"{_DECISION_EN[self.decision]}: {self.reason} ({self.verbal})."
        if self.alternatives:
            out += " " + _alternatives_text(self.alternatives, "en")
        return out


_DECISION_EN = {"support": "Supported", "exclusion": "Excluded", "inconclusive": "Inconclusive",
                "no_decision": "No categorical decision"}
_DECISION_ZH = {"support": "支持", "exclusion": "排除", "inconclusive": "无法判定",
                "no_decision": "不作分类判定"}
_REL_EN = {"parentage_trio": "parentage", "parentage_duo": "parentage",
           "full_siblings": "full siblings", "second_degree": "second-degree kinship",
           "distant": "distant kinship", "first_cousins": "first cousins"}
_REL_ZH = {"parentage_trio": "亲子关系", "parentage_duo": "亲子关系", "full_siblings": "全同胞关系",
           "second_degree": "二级亲缘关系", "distant": "远亲关系", "first_cousins": "堂（表）兄弟姐妹关系"}

# ENFSI (2015) verbal scale: lower bound of log10 LR of each band, English and Chinese.
_SCALE = (
    (6, "extremely strong support", "极强支持"),
    (4, "very strong support", "很强支持"),
    (3, "strong support", "强支持"),
    (2, "moderately strong support", "较强支持"),
    (1, "moderate support", "中等支持"),
    (0, "weak support", "弱支持"),
)


def verbal_scale(log10_lr: float, lang: str = "en") -> str:
    """The ENFSI (2015) verbal equivalent of a nonzero LR given by its log10, for H1 or (LR < 1) H2."""
    if abs(log10_lr) < 1e-12:
        return "no support for either hypothesis (LR 1)" if lang == "en" else "对两种假设均无支持（LR 为 1）"
    mag = abs(log10_lr)
    en = zh = None
    for bound, e, z in _SCALE:
        if mag >= bound:
            en, zh = e, z
            break
    if lang == "zh":
        side = "被寻人员是失踪者" if log10_lr > 0 else "被寻人员与该家庭无关"
        return f"{zh}“{side}”的假设"
    side = "that the found person is the missing member" if log10_lr > 0 else \
        "that the found person is unrelated to the family"
    return f"{en} {side}"


def format_lr(lr: float | None, log10_lr: float | None) -> str:
    """An LR in forensic notation: plain from 0.01 to 10,000, scientific outside (from the log10,
    so 10^-340 and 10^400 print as ``1.00 × 10^-340``); ``0`` only for an LR of exactly 0."""
    if log10_lr is None:
        if lr is None or math.isnan(lr):
            return "undefined"
        if lr == 0:
            return "0"
        if math.isinf(lr):
            return "infinite"
        log10_lr = math.log10(lr)
    if -2 <= log10_lr < 4:
        return f"{10 ** log10_lr:,.4g}"
    exp = math.floor(log10_lr)
    mant = 10 ** (log10_lr - exp)
    if mant >= 9.995:
        mant, exp = 1.0, exp + 1
    return f"{mant:.2f} × 10^{exp}"


def _fmt(log10_lr: float | None) -> str:
    if log10_lr is None:
        return "0"
    return format_lr(None, log10_lr)


def conclude(*, log10_lr: float | None, inconsistent: int, relationship: str,
             rules: str | RuleSet = DEFAULT_RULES, markers_compared: int | None = None,
             mutation: bool = False, alternatives: Iterable[Alternative] = ()) -> Conclusion:
    """The conclusion of one result under a rule set.

    ``log10_lr`` None means the LR is exactly 0.  ``inconsistent`` counts the markers
    inconsistent without mutation; ``mutation`` says whether the LR was computed with a mutation
    model.  ``alternatives`` are shown with an exclusion as parent.
    """
    rs = load_rules(rules)
    if relationship not in RELATIONSHIPS:
        raise InputError(Problem(f"unknown relationship {relationship!r}; the classes are "
                                 f"{', '.join(RELATIONSHIPS)}", field="relationship"))
    if isinstance(inconsistent, bool) or not isinstance(inconsistent, int) or inconsistent < 0:
        raise InputError(Problem(f"inconsistent must be a count of markers, got {inconsistent!r}",
                                 field="inconsistent"))
    if log10_lr is not None and not math.isfinite(log10_lr):
        raise InputError(Problem(f"log10_lr must be finite or None (LR 0), got {log10_lr!r}",
                                 field="log10_lr"))
    rule = rs.rule(relationship)
    alts = tuple(alternatives)
    n = inconsistent
    lr_txt = _fmt(log10_lr)
    rel_en, rel_zh = _REL_EN[relationship], _REL_ZH[relationship]
    src = rule.source + (f", {rule.clause}" if rule.clause else "")

    def make(decision, reason, reason_zh, verbal, verbal_zh, more=False, with_alts=False):
        return Conclusion(rs.name, rule.id, relationship, src, decision, decision == "exclusion",
                          reason, reason_zh, verbal, verbal_zh, more, alts if with_alts else ())

    # LR exactly 0 without a mutation model, with fewer inconsistencies than exclude: the
    # standards (and ISFG) ask for the LR with mutation before concluding.
    k = rule.inconsistent_exclusion
    if log10_lr is None and not mutation and (k is None or n < k):
        verbal = "not evaluated: the LR is 0 only because no mutation model was used"
        verbal_zh = "未评估：似然比为 0 仅因未使用突变模型"
        reason = (f"{n} inconsistent marker(s) and no mutation model, so the LR is 0; compute the LR "
                  f"with a mutation model before concluding")
        reason_zh = f"{n} 个基因座不符合遗传规律且未使用突变模型，似然比为 0；应使用突变模型计算似然比后再下结论"
        return make("inconclusive" if rule.categorical else "no_decision", reason, reason_zh,
                    verbal, verbal_zh)

    # Exclusion by inconsistent markers (parentage).
    excl_n = k is not None and n >= k
    excl_lr = rule.exclusion_log10 is not None and (log10_lr is None or log10_lr <= rule.exclusion_log10)
    if rule.exclusion_needs == "inconsistent_and_lr":
        excluded = excl_n and excl_lr
    elif rule.exclusion_needs == "inconsistent_or_lr":
        excluded = excl_n or excl_lr
    else:
        excluded = excl_lr
    if log10_lr is None and rule.categorical and rule.exclusion_needs != "inconsistent_and_lr":
        excluded = True
    if log10_lr is None and not rule.categorical:
        # LR exactly 0 with a mutation model (or ≥ k inconsistencies): H1 is impossible under the
        # model; that is a logical exclusion, not a threshold.
        excluded = True

    if excluded:
        if excl_n:
            reason = (f"{n} markers are inconsistent with {rel_en} (the rule excludes at {k} or more; "
                      f"{rule.source})")
            reason_zh = f"{n} 个基因座不符合遗传规律（≥{k} 个即排除；{rule.source}）"
            if log10_lr is not None and log10_lr > 0:
                verbal = (f"the LR ({lr_txt}) is not used for the conclusion: {n} inconsistent markers "
                          f"exclude {rel_en}")
                verbal_zh = f"似然比（{lr_txt}）不用于本结论：{n} 个基因座不符合遗传规律，排除{rel_zh}"
            elif log10_lr is None:
                verbal = "exclusion: the found person cannot be the missing member (LR 0)"
                verbal_zh = "排除：被寻人员不可能是失踪者（似然比为 0）"
            else:
                verbal, verbal_zh = verbal_scale(log10_lr), verbal_scale(log10_lr, "zh")
        elif log10_lr is None:
            reason = ("the LR is exactly 0: the genotypes are impossible if the found person is the "
                      "missing member, even with the mutation model" if mutation else
                      "the LR is exactly 0: the genotypes are impossible if the found person is the "
                      "missing member")
            reason_zh = "似然比为 0：若被寻人员是失踪者，其基因型不可能出现"
            verbal = "exclusion: the found person cannot be the missing member (LR 0)"
            verbal_zh = "排除：被寻人员不可能是失踪者（似然比为 0）"
        else:
            reason = (f"the LR {lr_txt} is at or below the exclusion threshold "
                      f"{_fmt(rule.exclusion_log10)} ({rule.source})")
            reason_zh = f"似然比 {lr_txt} 不大于排除阈值 {_fmt(rule.exclusion_log10)}（{rule.source}）"
            verbal, verbal_zh = verbal_scale(log10_lr), verbal_scale(log10_lr, "zh")
        return make("exclusion", reason, reason_zh, verbal, verbal_zh,
                    with_alts=relationship in PARENTAGE)

    assert log10_lr is not None
    verbal, verbal_zh = verbal_scale(log10_lr), verbal_scale(log10_lr, "zh")
    if not rule.categorical:
        reason = (f"{rs.title}: the LR {lr_txt} is reported on the verbal scale; no categorical "
                  f"decision under this standard")
        reason_zh = f"{rs.title_zh}：似然比 {lr_txt} 以文字等级表述；本标准不作分类判定"
        if rs.name == "gbt":
            reason = (f"no published threshold for {rule.text_en} ({rule.source}); the LR {lr_txt} is "
                      f"reported on the verbal scale; no categorical decision under this standard")
            reason_zh = f"{rule.text_zh}无已公布的判定阈值；似然比 {lr_txt} 以文字等级表述；本标准不作分类判定"
        return make("no_decision", reason, reason_zh, verbal, verbal_zh)

    few = markers_compared is not None and rule.min_markers is not None and \
        markers_compared < rule.min_markers
    m_ok = rule.max_inconsistent_support is None or n <= rule.max_inconsistent_support
    if (rule.support_log10 is not None and log10_lr >= rule.support_log10 and m_ok and not few):
        reason = (f"the LR {lr_txt} reaches the support threshold {_fmt(rule.support_log10)}"
                  + (f" with {n} inconsistent marker(s) (at most {rule.max_inconsistent_support}"
                     f"{', weighed by the mutation model' if n else ''})"
                     if rule.max_inconsistent_support is not None else "")
                  + f" ({rule.source})")
        reason_zh = (f"似然比 {lr_txt} 达到支持阈值 {_fmt(rule.support_log10)}"
                     + (f"，{n} 个基因座不符合遗传规律（不超过 {rule.max_inconsistent_support} 个）"
                        if rule.max_inconsistent_support is not None else "")
                     + f"（{rule.source}）")
        return make("support", reason, reason_zh, verbal, verbal_zh)

    parts = []
    parts_zh = []
    if few:
        parts.append(f"{markers_compared} markers compared, fewer than the {rule.min_markers} the "
                     f"standard asks for")
        parts_zh.append(f"比较了 {markers_compared} 个基因座，少于标准要求的 {rule.min_markers} 个")
    lo = _fmt(rule.exclusion_log10) if rule.exclusion_log10 is not None else None
    hi = _fmt(rule.support_log10) if rule.support_log10 is not None else None
    if lo and hi:
        parts.append(f"the LR {lr_txt} lies between the thresholds {lo} and {hi}")
        parts_zh.append(f"似然比 {lr_txt} 介于阈值 {lo} 与 {hi} 之间")
    elif hi:
        parts.append(f"the LR {lr_txt} is below the support threshold {hi}")
        parts_zh.append(f"似然比 {lr_txt} 低于支持阈值 {hi}")
    if not m_ok:
        parts.append(f"{n} inconsistent markers exceed the {rule.max_inconsistent_support} allowed for support")
        parts_zh.append(f"{n} 个基因座不符合遗传规律，超过支持所允许的 {rule.max_inconsistent_support} 个")
    more = rule.type_more_markers
    reason = "; ".join(parts) + f" ({rule.source})" + ("; type more markers" if more else "")
    reason_zh = "；".join(parts_zh) + f"（{rule.source}）" + ("；应增加检测的遗传标记" if more else "")
    return make("inconclusive", reason, reason_zh, verbal, verbal_zh, more=more)


def _alternatives_text(alts: tuple[Alternative, ...], lang: str) -> str:
    best = max((a for a in alts if a.log10_lr is not None), key=lambda a: a.log10_lr, default=None)
    if lang == "zh":
        items = "；".join(f"与 {a.relative} 为{_REL_ZH.get(a.relationship, a.relationship)}："
                         f"似然比 {_fmt(a.log10_lr)}" for a in alts)
        return f"其他关系（相对无关）：{items}。"
    items = "; ".join(f"{_REL_EN.get(a.relationship, a.relationship)} of {a.relative}: LR {_fmt(a.log10_lr)}"
                      for a in alts)
    tail = ""
    if best is not None and best.log10_lr > 0:
        tail = (f" The profile fits best as {_REL_EN.get(best.relationship, best.relationship)} of "
                f"{best.relative} ({verbal_scale(best.log10_lr).split(' that')[0]}).")
    return f"Other relationships (each against unrelated): {items}.{tail}"
