"""Decision rules (pure: no engine): one conclusion per kinship result, following a named standard.

Import from :mod:`reunite.genetics.rules`, the public face, which re-exports this module together
with what runs the kinship engine (:func:`~reunite.genetics.rules.conclude_case`,
:func:`~reunite.genetics.rules.alternative_relationships`).  :mod:`.kinship` imports this module, so
that every result carries its conclusion without an import cycle.

A rule set (``gbt``: China's standards; ``isfg``: the ENFSI/ISFG verbal scale without categorical
decisions) is data, ``reunite/data/rules/<name>.json``: one rule per relationship class, with its
standard, clause and thresholds; docs/rules.md cites each and says what could not be verified.  A
rule whose standard publishes no threshold has none: its conclusion is the verbal scale and "no
categorical decision under this standard".

How :func:`conclude` decides, in order:

1. LR exactly 0 with fewer inconsistent markers than the rule excludes on: not evaluated (the LR is
   0 only because there is no mutation model, or because the model gives the needed mutation
   probability 0); compute it with a mutation model that allows it.
2. At least ``inconsistent_exclusion`` markers inconsistent without mutation (parentage: 3):
   excluded as parent, whatever the LR with a mutation model; the LR is "not used for the
   conclusion", and :func:`~reunite.genetics.rules.conclude_case` says which other relationship the
   profile supports.
3. LR at or below ``exclusion_log10`` where the rule excludes by LR (full siblings: 10^-4): excluded.
4. No threshold (second degree, distant, every ``isfg`` rule): the verbal scale, no decision.
5. LR at or above ``support_log10`` with at most ``max_inconsistent_support`` inconsistent markers
   (1-2 are weighed by the mutation model): supported.
6. Otherwise inconclusive, and "type more markers" where the rule says so.

The decision, the ``excluded`` flag and the verbal phrase never contradict: the phrase says
"exclusion" only for an exclusion with an LR of exactly 0, never "support" for the missing-member
hypothesis when excluded, and a tiny nonzero LR is strong support for "unrelated", never "LR 0".
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
    "DECISIONS",
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

#: The bundled rule sets, by name (``--rules``).
RULESETS = ("gbt", "isfg")
DEFAULT_RULES = "gbt"
#: The relationship classes a rule can be for.
RELATIONSHIPS = ("parentage_trio", "parentage_duo", "full_siblings", "second_degree", "distant")
#: The decisions of a :class:`Conclusion`.
DECISIONS = ("support", "exclusion", "inconclusive", "no_decision")
PARENTAGE = ("parentage_trio", "parentage_duo")
_EXCLUSION_BY = (None, "inconsistent", "lr", "inconsistent_or_lr", "inconsistent_and_lr")


@dataclass(frozen=True)
class Rule:
    """One decision rule: a relationship class, its source and its thresholds (None: not published)."""

    id: str
    relationship: str
    standard: str                         # short name, e.g. "GB/T 37223-2018"
    source: str                           # full title and dates
    clause: str | None
    support_log10: float | None           # log10 LR at or above which H1 is supported
    exclusion_log10: float | None         # log10 LR at or below which H1 is excluded (if exclusion_by has lr)
    max_inconsistent_support: int | None  # support needs at most this many inconsistent markers
    inconsistent_exclusion: int | None    # this many inconsistent markers exclude (a parent)
    exclusion_by: str | None              # None, "inconsistent", "lr", "inconsistent_or_lr", "inconsistent_and_lr"
    min_markers: int | None               # markers the standard asks to compare (None: not encoded)
    type_more_markers: bool               # the standard says: in between, type more markers
    text_en: str
    text_zh: str
    verified: str = ""
    notes: str = ""
    source_zh: str = ""                   # the source as a Chinese report prints it
    clause_zh: str | None = None

    @property
    def categorical(self) -> bool:
        """Whether the rule makes categorical decisions (it has a published threshold)."""
        return self.support_log10 is not None or self.exclusion_by is not None

    @property
    def cite(self) -> str:
        """Standard and clause, for a sentence."""
        return self.standard + (f", {self.clause}" if self.clause else "")

    @property
    def cite_zh(self) -> str:
        """Standard and clause, for a Chinese sentence."""
        clause = self.clause_zh or self.clause
        return self.standard + (f"，{clause}" if clause else "")

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

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "title_zh": self.title_zh,
                "rules": [r.as_dict() for r in self.rules]}


@cache
def _load(name: str) -> RuleSet:
    text = resources.files("reunite").joinpath(f"data/rules/{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    rules = []
    for r in data["rules"]:
        rule = Rule(
            id=r["id"], relationship=r["relationship"], standard=r["standard"], source=r["source"],
            clause=r.get("clause"), support_log10=r.get("support_log10"),
            exclusion_log10=r.get("exclusion_log10"),
            max_inconsistent_support=r.get("max_inconsistent_support"),
            inconsistent_exclusion=r.get("inconsistent_exclusion"), exclusion_by=r.get("exclusion_by"),
            min_markers=r.get("min_markers"), type_more_markers=bool(r.get("type_more_markers", False)),
            text_en=r["text"]["en"], text_zh=r["text"]["zh"], verified=r.get("verified", ""),
            notes=r.get("notes", ""), source_zh=r.get("source_zh") or r["source"],
            clause_zh=r.get("clause_zh"))
        if rule.relationship not in RELATIONSHIPS or rule.exclusion_by not in _EXCLUSION_BY:
            raise InputError(Problem(f"rule {rule.id}: relationship {rule.relationship!r} or exclusion_by "
                                     f"{rule.exclusion_by!r} is not known", file=f"data/rules/{name}.json"))
        rules.append(rule)
    missing = set(RELATIONSHIPS) - {r.relationship for r in rules}
    if missing:
        raise InputError(Problem(f"no rule for {', '.join(sorted(missing))}", file=f"data/rules/{name}.json"))
    return RuleSet(data["name"], data["title"], data["title_zh"], tuple(rules))


def load_rules(name: str | RuleSet) -> RuleSet:
    """A bundled rule set by name (``gbt`` or ``isfg``); an :class:`InputError` naming any other."""
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
    """The LR of the found person against one typed relative as another relationship (vs unrelated).

    ``relationship`` is ``full_siblings``, ``second_degree`` or ``first_cousins``; ``lr`` is None
    beyond 10^+-300 (``log10_lr`` set) and 0 with ``log10_lr`` None for an LR of exactly 0.
    """

    relationship: str
    relative: str
    lr: float | None
    log10_lr: float | None

    def as_dict(self) -> dict:
        return {"relationship": self.relationship, "relative": self.relative,
                "lr": self.lr, "log10_lr": self.log10_lr, "lr_text": format_lr(self.lr, self.log10_lr)}


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
    source_zh: str = ""   # the source in Chinese (the rule's source_zh)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in (
            "rules", "rule_id", "relationship", "source", "source_zh", "decision", "excluded", "reason",
            "reason_zh", "verbal", "verbal_zh", "type_more_markers")}
        d["alternatives"] = [a.as_dict() for a in self.alternatives]
        return d

    def best_alternative(self) -> Alternative | None:
        """The other relationship with the largest LR above 1, if any."""
        best = max((a for a in self.alternatives if a.log10_lr is not None), key=lambda a: a.log10_lr,
                   default=None)
        return best if best is not None and best.log10_lr > 0 else None

    def sentence(self, lang: str = "en", *, verbal: bool = True) -> str:
        """The conclusion as one paragraph (``lang`` 'en' or 'zh'); ``verbal=False`` leaves out the
        verbal phrase (when the sentence before it already gives it)."""
        if lang not in ("en", "zh"):
            raise InputError(Problem(f"unknown language {lang!r}; choose en or zh", field="lang"))
        if lang == "zh":
            out = (f"{_DECISION_ZH[self.decision]}：{self.reason_zh}"
                   + (f"（{self.verbal_zh}）" if verbal else "") + "。")
        else:
            out = f"{_DECISION_EN[self.decision]}: {self.reason}" + (f" ({self.verbal})" if verbal else "") + "."
        if self.alternatives:
            out += " " + _alternatives_text(self, lang)
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
_ALT_EN = {"full_siblings": "a full sibling", "second_degree": "a second-degree relative (half sibling, "
           "grandparent, uncle or aunt)", "first_cousins": "a first cousin"}
_ALT_ZH = {"full_siblings": "全同胞", "second_degree": "二级亲属（半同胞、祖孙、叔伯姑舅姨）",
           "first_cousins": "堂（表）兄弟姐妹"}

# ENFSI (2015) verbal scale: lower bound of the |log10 LR| band, English, Chinese.
_SCALE = (
    (6, "extremely strong support", "极强支持"),
    (4, "very strong support", "很强支持"),
    (3, "strong support", "强支持"),
    (2, "moderately strong support", "较强支持"),
    (1, "moderate support", "中等支持"),
    (0, "weak support", "弱支持"),
)
H1_EN = "that the found person is the missing member"
H2_EN = "that the found person is unrelated to the family"


def verbal_scale(log10_lr: float, lang: str = "en") -> str:
    """The ENFSI (2015) verbal equivalent of a nonzero LR given by its log10: support for H1 (LR > 1)
    or for H2 (LR < 1), by the bands 1, 10, 100, 1,000, 10,000, 10^6."""
    if abs(log10_lr) < 1e-12:
        return "no support for either hypothesis (LR 1)" if lang == "en" else "对两种假设均无支持（似然比为 1）"
    mag = abs(log10_lr)
    en, zh = _SCALE[-1][1:]
    for bound, e, z in _SCALE:
        if mag >= bound:
            en, zh = e, z
            break
    if lang == "zh":
        side = "被寻人员是失踪者" if log10_lr > 0 else "被寻人员与该家庭无关"
        return f"{zh}“{side}”的假设"
    return f"{en} {H1_EN if log10_lr > 0 else H2_EN}"


def _band(log10_lr: float, lang: str) -> str:
    """The ENFSI band of |log10 LR| alone ("very strong support"), without the hypothesis."""
    for bound, en, zh in _SCALE:
        if abs(log10_lr) >= bound:
            return en if lang == "en" else zh
    return _SCALE[-1][1] if lang == "en" else _SCALE[-1][2]


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
        plain = f"{10 ** log10_lr:,.4g}"
        if "e" not in plain:          # 9,999.97 rounds to 1e+04: scientific below
            return plain
    exp = math.floor(log10_lr)
    mant = 10 ** (log10_lr - exp)
    if mant >= 9.995:
        mant, exp = 1.0, exp + 1
    return f"{mant:.2f} × 10^{exp}"


def _fmt(log10_lr: float | None) -> str:
    return "0" if log10_lr is None else format_lr(None, log10_lr)


def conclude(*, log10_lr: float | None, inconsistent: int, relationship: str,
             rules: str | RuleSet = DEFAULT_RULES, markers_compared: int | None = None,
             mutation: bool = False, alternatives: Iterable[Alternative] = ()) -> Conclusion:
    """The conclusion of one result under a rule set (see the module docstring for the order).

    ``log10_lr`` None means the LR is exactly 0.  ``inconsistent`` counts the markers inconsistent
    without mutation; ``mutation`` says whether the LR was computed with a mutation model;
    ``markers_compared`` the markers typed in the found person (checked against a rule's
    ``min_markers``).  ``alternatives`` are kept with an exclusion as parent.
    """
    rs = load_rules(rules)
    problems = []
    if relationship not in RELATIONSHIPS:
        problems.append(Problem(f"unknown relationship {relationship!r}; the classes are "
                                f"{', '.join(RELATIONSHIPS)}", field="relationship"))
    if isinstance(inconsistent, bool) or not isinstance(inconsistent, int) or inconsistent < 0:
        problems.append(Problem(f"inconsistent must be a count of markers, got {inconsistent!r}",
                                field="inconsistent"))
    if log10_lr is not None and (isinstance(log10_lr, bool) or not isinstance(log10_lr, int | float)
                                 or not math.isfinite(log10_lr)):
        problems.append(Problem(f"log10_lr must be a finite number, or None for an LR of 0; got {log10_lr!r}",
                                field="log10_lr"))
    if problems:
        raise InputError(problems)
    rule = rs.rule(relationship)
    n, L, k = inconsistent, log10_lr, rule.inconsistent_exclusion
    lr_txt = _fmt(L)
    rel_en, rel_zh = _REL_EN[relationship], _REL_ZH[relationship]
    cite, cite_zh = rule.cite, rule.cite_zh

    def make(decision, reason, reason_zh, verbal, verbal_zh, *, more=False, alts=()):
        return Conclusion(rs.name, rule.id, relationship, rule.source + (f"; {rule.clause}" if rule.clause else ""),
                          decision,
                          decision == "exclusion", reason, reason_zh, verbal, verbal_zh, more, tuple(alts),
                          rule.source_zh + (f"；{rule.clause_zh or rule.clause}" if rule.clause else ""))

    # 1. LR exactly 0 that no rule excludes on: not evaluated.
    if L is None and (k is None or n < k):
        verbal = ("not evaluated: the LR is 0 only because no mutation model was used" if not mutation else
                  "not evaluated: the mutation model gives the needed mutation probability 0")
        verbal_zh = ("未评估：似然比为 0 仅因未使用突变模型" if not mutation else
                     "未评估：所用突变模型中所需突变的概率为 0")
        if not mutation:
            reason = (f"{n} marker(s) inconsistent without mutation and no mutation model, so the LR is 0; "
                      f"compute the LR with a mutation model before concluding")
            reason_zh = f"{n} 个基因座不符合遗传规律且未使用突变模型，似然比为 0；应使用突变模型计算似然比后再下结论"
        else:
            reason = (f"the LR is 0 even with the mutation model ({n} inconsistent marker(s)); use a model "
                      f"that allows every mutation (e.g. stepwise or proportional) before concluding")
            reason_zh = f"使用突变模型后似然比仍为 0（{n} 个基因座不符合遗传规律）；应使用允许所有突变的模型后再下结论"
        return make("inconclusive" if rule.categorical else "no_decision", reason, reason_zh, verbal, verbal_zh)

    by_n = k is not None and n >= k and rule.exclusion_by in ("inconsistent", "inconsistent_or_lr",
                                                              "inconsistent_and_lr")
    by_lr = (rule.exclusion_log10 is not None and (L is None or L <= rule.exclusion_log10)
             and rule.exclusion_by in ("lr", "inconsistent_or_lr", "inconsistent_and_lr"))
    if rule.exclusion_by == "inconsistent_and_lr":
        by_n = by_lr = by_n and by_lr

    # 2. Excluded by inconsistent markers (as parent).
    if by_n:
        reason = (f"{n} markers are inconsistent with {rel_en} when mutation is not considered ({cite}: "
                  f"{k} or more exclude)")
        reason_zh = f"{n} 个基因座不符合遗传规律（{cite_zh}：≥{k} 个即排除）"
        if L is None:
            verbal = "exclusion: the found person cannot be the missing member (LR 0)"
            verbal_zh = "排除：被寻人员不可能是失踪者（似然比为 0）"
        elif L > 0:
            verbal = (f"the LR ({lr_txt}, with the mutation model) is not used for the conclusion: "
                      f"{n} inconsistent markers exclude {rel_en}")
            verbal_zh = f"似然比（{lr_txt}，含突变模型）不用于本结论：{n} 个基因座不符合遗传规律，排除{rel_zh}"
        else:
            verbal, verbal_zh = verbal_scale(L), verbal_scale(L, "zh")
            if rule.exclusion_log10 is not None and L <= rule.exclusion_log10:
                reason += f", and the LR {lr_txt} is at or below {_fmt(rule.exclusion_log10)}"
                reason_zh += f"，且似然比 {lr_txt} 不大于 {_fmt(rule.exclusion_log10)}"
        return make("exclusion", reason, reason_zh, verbal, verbal_zh, alts=alternatives)

    # 3. Excluded by the LR.
    if by_lr:
        assert L is not None
        reason = f"the LR {lr_txt} is at or below the exclusion threshold {_fmt(rule.exclusion_log10)} ({cite})"
        reason_zh = f"似然比 {lr_txt} 不大于排除阈值 {_fmt(rule.exclusion_log10)}（{cite_zh}）"
        return make("exclusion", reason, reason_zh, verbal_scale(L), verbal_scale(L, "zh"))

    assert L is not None
    verbal, verbal_zh = verbal_scale(L), verbal_scale(L, "zh")
    # 4. No threshold: the verbal scale only.
    if not rule.categorical:
        if rs.name == "gbt":
            reason = (f"no published threshold for {rule.text_en}; the LR {lr_txt} is given on the "
                      f"verbal scale; no categorical decision under this standard")
            reason_zh = f"{rule.text_zh}无已公布的判定阈值；似然比 {lr_txt} 以文字等级表述；本标准不作分类判定"
        else:
            reason = (f"the LR {lr_txt} is given on the ENFSI verbal scale; the ISFG/ENFSI rules make no "
                      f"categorical decision")
            reason_zh = f"似然比 {lr_txt} 以 ENFSI 文字等级表述；ISFG/ENFSI 规则不作分类判定"
        if n:
            reason += f" ({n} marker(s) inconsistent without mutation, weighed by the mutation model)"
            reason_zh += f"（{n} 个基因座不符合遗传规律，已按突变模型计算）"
        return make("no_decision", reason, reason_zh, verbal, verbal_zh)

    # 5. Supported.
    few = (markers_compared is not None and rule.min_markers is not None
           and markers_compared < rule.min_markers)
    m_ok = rule.max_inconsistent_support is None or n <= rule.max_inconsistent_support
    S = rule.support_log10
    if S is not None and L >= S and m_ok and not few:
        reason = f"the LR {lr_txt} reaches the support threshold {_fmt(S)} ({cite})"
        reason_zh = f"似然比 {lr_txt} 达到支持阈值 {_fmt(S)}（{cite_zh}）"
        if n:
            reason += (f", with {n} inconsistent marker(s) weighed by the mutation model (at most "
                       f"{rule.max_inconsistent_support} allowed)")
            reason_zh += f"，{n} 个不符合遗传规律的基因座已按突变模型计算（至多 {rule.max_inconsistent_support} 个）"
        return make("support", reason, reason_zh, verbal, verbal_zh)

    # 6. Inconclusive.
    parts, parts_zh = [], []
    if few:
        parts.append(f"{markers_compared} markers compared, fewer than the {rule.min_markers} the standard asks for")
        parts_zh.append(f"比较了 {markers_compared} 个基因座，少于标准要求的 {rule.min_markers} 个")
    if not m_ok:
        parts.append(f"{n} inconsistent markers, more than the {rule.max_inconsistent_support} allowed for support")
        parts_zh.append(f"{n} 个基因座不符合遗传规律，超过支持所允许的 {rule.max_inconsistent_support} 个")
    E = rule.exclusion_log10
    if E is not None and L <= E:
        parts.append(f"the LR {lr_txt} is at or below {_fmt(E)}, but {n} inconsistent marker(s) are fewer than "
                     f"the {k} that exclude")
        parts_zh.append(f"似然比 {lr_txt} 不大于 {_fmt(E)}，但不符合遗传规律的基因座（{n} 个）少于排除所需的 {k} 个")
    elif S is not None and L < S:
        lr_excludes = E is not None and rule.exclusion_by in ("lr", "inconsistent_or_lr")
        parts.append(f"the LR {lr_txt} is below the support threshold {_fmt(S)}"
                     + (f" and above the exclusion threshold {_fmt(E)}" if lr_excludes else ""))
        parts_zh.append(f"似然比 {lr_txt} 低于支持阈值 {_fmt(S)}"
                        + (f"、高于排除阈值 {_fmt(E)}" if lr_excludes else ""))
    more = rule.type_more_markers
    reason = "; ".join(parts) + f" ({cite})" + ("; type more markers" if more else "")
    reason_zh = "；".join(parts_zh) + f"（{cite_zh}）" + ("；应增加检测的遗传标记" if more else "")
    return make("inconclusive", reason, reason_zh, verbal, verbal_zh, more=more)


def _alternatives_text(c: Conclusion, lang: str) -> str:
    alts = c.alternatives
    best = c.best_alternative()
    if lang == "zh":
        items = "；".join(f"与 {a.relative} 为{_ALT_ZH.get(a.relationship, a.relationship)}：似然比 {_fmt(a.log10_lr)}"
                         for a in alts)
        tail = (f"该图谱最符合与 {best.relative} 为{_ALT_ZH.get(best.relationship, best.relationship)}"
                f"（相对于无关个体为{_band(best.log10_lr, 'zh')}）。" if best else "其他关系均未得到支持。")
        return f"其他关系（各自相对无关）：{items}。{tail}"
    items = "; ".join(f"{_ALT_EN.get(a.relationship, a.relationship)} of {a.relative}: LR {_fmt(a.log10_lr)}"
                      for a in alts)
    tail = (f" The profile fits best as {_ALT_EN.get(best.relationship, best.relationship)} of {best.relative} "
            f"({_band(best.log10_lr, 'en')} against unrelated)." if best else
            " None of these relationships is supported.")
    return f"As other relationships (each against unrelated): {items}.{tail}"
