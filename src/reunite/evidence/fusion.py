"""Evidence fusion: an explicit prior times every likelihood ratio, in log space.

For a found child C and a missing-child report R, H1 = "C is R's missing child" and H2 = "C is
another child, unrelated to R's family".  Bayes' rule in odds form::

    posterior odds = prior odds × LR_DNA × LR_sex × LR_age × LR_time × (any other LRs)

**Assumption, stated in every result:** the pieces of evidence are independent given each
hypothesis, so their LRs multiply.  The non-DNA models are built to make this hold as far as it
can: the age LR is computed given the recorded dates, which are what the time LR is about, and
Amelogenin enters the sex LR only (the DNA LR uses autosomal markers).

**Non-DNA evidence never decides.** The non-DNA items together count for at most
:data:`NON_DNA_MAX_LOG10` (a combined LR of 1,000, ten times below :data:`DNA_SUPPORT_LOG10`,
the lowest LR any bundled rule set calls DNA support): their product is capped there before it
meets the prior, whether or not there is DNA.  The cap is also the model's answer to what the
independence assumption cannot promise among weak, loosely related items (age, time, place,
photographs, marks): however many of them agree, they rank whom to ask for DNA first and never
stand in for it.  Items below 1 are not capped: evidence against a match keeps its full weight.

The prior is explicit: by default ``1 / number of open reports`` (each open report equally likely
to be the child's, before any evidence), or a value the user gives (raised, for example, by
investigative leads such as a trafficking ring's source villages).  Everything is summed in
log10, so LRs of 10^300 and beyond neither overflow nor lose the posterior; an LR of exactly 0
(an exclusion) gives a posterior of exactly 0.

:class:`EvidenceItem` is one factor with its LR, log10 LR, the model and parameters that produced
it and a sentence a person can read; :class:`Posterior` is the combination, explained.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..genetics import format_lr, verbal_equivalent
from ._common import fail, lr_from_log, number

__all__ = [
    "DNA_SUPPORT_LOG10",
    "H1",
    "H1_ZH",
    "H2",
    "H2_ZH",
    "INDEPENDENCE",
    "NON_DNA_EXCLUDES_LOG10",
    "NON_DNA_MAX_LOG10",
    "EvidenceItem",
    "Posterior",
    "dna_evidence",
    "from_lr",
    "fuse",
    "item_sentence",
    "kind_label",
    "nondna_excludes",
    "nondna_log10",
    "prior_from_open_reports",
]

#: The hypotheses every LR of this layer compares.
H1 = "the found child is the missing child of this report"
H2 = "the found child is some other child (unrelated to this report's family)"
INDEPENDENCE = ("the pieces of evidence are independent given each hypothesis, "
                "so their likelihood ratios multiply")

#: The lowest log10 LR at which a bundled rule set calls DNA evidence support (GB/T 37223: 10^4).
DNA_SUPPORT_LOG10 = 4.0
#: The most the non-DNA items together may count for, in log10 (LR 1000): see the module.
NON_DNA_MAX_LOG10 = 3.0
NON_DNA_RULE = ("the non-DNA evidence together counts for at most a likelihood ratio of 1,000, ten times "
                "below the lowest DNA support threshold (10^4), so it never decides a match without DNA")
#: A pair without DNA is kept as a candidate unless its non-DNA evidence excludes it: together at least 100
#: times more probable if the found child is another child (log10 LR ≤ -2).  A recorded sex mismatch (LR
#: about 0.04) does not exclude alone; a child found long before the disappearance or an age the missing
#: child cannot have (each at its model's gross-error floor, 0.001) does.
NON_DNA_EXCLUDES_LOG10 = -2.0


#: The hypotheses in Chinese (the candidate page and the Chinese report).
H1_ZH = "被寻儿童是该报告的失踪儿童"
H2_ZH = "被寻儿童是另一个儿童"

# Filled by :func:`reunite.evidence.registry.register`, the one registration point: each kind's
# labels (English, Chinese) and the kinds that are DNA evidence.
_LABELS: dict[str, tuple[str, str]] = {}
_DNA_KINDS: set[str] = {"dna"}


def nondna_log10(items: Iterable[EvidenceItem]) -> float:
    """The non-DNA items' combined log10 LR, uncapped (-inf for an LR of 0): the product the matching ranks
    reports without DNA by (:func:`fuse` caps it above at :data:`NON_DNA_MAX_LOG10`)."""
    logs = [i.log10_lr for i in items if not _is_dna(i.kind)]
    return -math.inf if any(v is None for v in logs) else math.fsum(logs)  # type: ignore[arg-type]


def nondna_excludes(items: Iterable[EvidenceItem]) -> bool:
    """Whether the non-DNA evidence excludes a pair (:data:`NON_DNA_EXCLUDES_LOG10`): such a pair without DNA
    is not kept as a candidate; any other is, ranked by :func:`nondna_log10`."""
    return nondna_log10(items) <= NON_DNA_EXCLUDES_LOG10


def _is_dna(kind: str) -> bool:
    return kind in _DNA_KINDS


def kind_label(kind: str, lang: str = "en") -> str:
    """A kind's label in ``lang`` (``en`` or ``zh``); an unregistered kind is labelled by its name."""
    labels = _LABELS.get(kind)
    if labels is None:
        return kind.replace("_", " ")
    return labels[1] if lang == "zh" else labels[0]


#: Chinese for the notes the sex, age and time models write (other kinds carry their own ``note_zh``).
_NOTES_ZH = {
    "(A sex is not recorded on one side, so sex says nothing here.)": "（一方未记录性别，性别不提供信息。）",
    "(The found child's recorded sex and Amelogenin disagree; check the records.)":
        "（被寻儿童记录的性别与 Amelogenin 分型不一致，请核对记录。）",
    "(The date of disappearance is not recorded, so time says nothing here.)": "（未记录失踪日期，时间不提供信息。）",
    "(The date found is not recorded, so time says nothing here.)": "（未记录发现日期，时间不提供信息。）",
    "(The child is recorded as found before it went missing.)": "（记录显示儿童在失踪之前即被发现。）",
    "(The found child has no age estimate, so age says nothing here.)": "（被寻儿童没有年龄估计，年龄不提供信息。）",
    "(The report gives neither a date of birth nor an age, so age says nothing here.)":
        "（报告既无出生日期也无年龄，年龄不提供信息。）",
}


def _times(log10: float) -> str:
    return format_lr(10.0 ** log10 if log10 < 308 else math.inf, log10)


def item_sentence(item: EvidenceItem, lang: str = "en") -> str:
    """An item's sentence in ``lang`` (``en`` or ``zh``): what its LR says, with its note.

    An item that writes its own Chinese sentence (``sentence_zh``) is taken at its word."""
    if lang != "zh":
        what = f"The {kind_label(item.kind)} evidence"
        if item.log10_lr is None:
            text = f"{what} is impossible if {H1} (LR 0): it excludes the match."
        elif abs(item.log10_lr) < 1e-9:
            text = f"{what} is equally probable whether or not {H1} (LR 1): it neither supports nor weakens the match."
        elif item.log10_lr > 0:
            text = f"{what} is {_times(item.log10_lr)} times more probable if {H1} than if {H2}."
        else:
            text = f"{what} is {_times(-item.log10_lr)} times more probable if {H2} than if {H1}."
        return f"{text} {item.note}".strip()
    own = getattr(item, "sentence_zh", None)
    if isinstance(own, str) and own:
        return own
    what = f"{kind_label(item.kind, 'zh')}证据"
    if item.log10_lr is None:
        text = f"若“{H1_ZH}”，{what}不可能出现（似然比为 0）：排除匹配。"
    elif abs(item.log10_lr) < 1e-9:
        text = f"{what}在两种假设下出现的概率相同（似然比为 1）：既不支持也不削弱匹配。"
    elif item.log10_lr > 0:
        text = f"{what}在“{H1_ZH}”的假设下出现的概率，是在“{H2_ZH}”的假设下的 {_times(item.log10_lr)} 倍。"
    else:
        text = f"{what}在“{H2_ZH}”的假设下出现的概率，是在“{H1_ZH}”的假设下的 {_times(-item.log10_lr)} 倍。"
    note = getattr(item, "note_zh", "") or _NOTES_ZH.get(item.note, "")
    return f"{text}{note}"


@dataclass(frozen=True)
class EvidenceItem:
    """One likelihood ratio with everything needed to explain and replay it.

    ``log10_lr`` is authoritative (None when the LR is exactly 0); ``lr`` is ``10**log10_lr`` and
    overflows to ``inf`` above 10^308.  ``model`` states the model in words, ``parameters`` the
    values it used, ``observed`` the (non-identifying) quantities it compared, and ``note``
    anything the reader should know (for instance that a value was not recorded).
    """

    kind: str
    lr: float
    log10_lr: float | None
    model: str = ""
    parameters: Mapping[str, object] = field(default_factory=dict)
    observed: Mapping[str, object] = field(default_factory=dict)
    note: str = ""

    def __post_init__(self) -> None:  # own copies, so the caller's dicts can change freely
        object.__setattr__(self, "parameters", dict(self.parameters or {}))
        object.__setattr__(self, "observed", dict(self.observed or {}))

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def verbal(self) -> str:
        """The ENFSI verbal equivalent (shared with the DNA report)."""
        return verbal_equivalent(self.lr, self.log10_lr)

    @property
    def sentence(self) -> str:
        """One sentence a person can read, e.g. "The age evidence is 3.1 times more probable if …"."""
        return item_sentence(self, "en")

    def sentence_in(self, lang: str) -> str:
        """The sentence in ``lang`` (``en`` or ``zh``; see :func:`item_sentence`)."""
        return item_sentence(self, lang)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "lr": self.lr if math.isfinite(self.lr) else None,
            "log10_lr": self.log10_lr,
            "verbal": self.verbal,
            "sentence": self.sentence,
            "model": self.model,
            "parameters": dict(self.parameters),
            "observed": dict(self.observed),
            "note": self.note,
        }


def _kind(kind: object) -> str:
    if not isinstance(kind, str) or not kind.strip():
        raise fail("kind", "must be a non-empty name such as dna, sex, age, time, face")
    return kind.strip().lower()


def from_lr(kind: str, lr: float | None = None, *, log10_lr: float | None = None, model: str = "",
            parameters: Mapping[str, object] | None = None, observed: Mapping[str, object] | None = None,
            note: str = "") -> EvidenceItem:
    """Wrap an LR computed elsewhere (a face or place comparison, say) as an :class:`EvidenceItem`.

    Give ``lr`` (>= 0, finite) or ``log10_lr`` (finite; use it for LRs beyond 10^308), not both.
    """
    kind = _kind(kind)
    if (lr is None) == (log10_lr is None):
        raise fail("lr", "give either lr or log10_lr")
    if lr is not None:
        value = number(lr, "lr", lo=0.0)
        log10 = math.log10(value) if value > 0 else None
    else:
        log10 = number(log10_lr, "log10_lr")
        value, log10 = lr_from_log(log10 * math.log(10.0))
    return EvidenceItem(kind, value, log10, model, parameters or {}, observed or {}, note)


def dna_evidence(result: object) -> EvidenceItem:
    """The DNA factor from a :class:`reunite.genetics.LRResult` (its log10 LR is authoritative)."""
    if not hasattr(result, "log10_lr") or not hasattr(result, "lr"):
        raise fail("dna", "must be a kinship result (reunite.genetics.LRResult)")
    params = {
        "frequencies": getattr(result, "frequencies", None),
        "mutation": getattr(result, "mutation", None),
        "theta": getattr(result, "theta", None),
    }
    inconsistent = list(getattr(result, "inconsistent_markers", []) or [])
    observed = {"inconsistent_markers": len(inconsistent)}
    if hasattr(result, "markers_compared"):
        observed["markers_compared"] = result.markers_compared
    model = ("exact pedigree likelihood ratio: L(family with the found child as the missing member) / "
             "(L(family) × P(found child's genotypes)); markers independent")
    if result.log10_lr is None:
        if result.lr not in (0, 0.0):
            raise fail("dna", "kinship result has no LR (neither log10_lr nor an LR of 0)")
        return EvidenceItem("dna", 0.0, None, model, params, observed)
    return from_lr("dna", log10_lr=result.log10_lr, model=model, parameters=params, observed=observed)


def prior_from_open_reports(open_reports: int) -> float:
    """The default prior: 1 / number of open missing-child reports."""
    if isinstance(open_reports, bool) or not isinstance(open_reports, int) or open_reports < 1:
        raise fail("open_reports", "must be a whole number of at least 1")
    return 1.0 / open_reports


def _format_probability(p: float, q: float, log10_q: float | None = None) -> str:
    """A probability for a report; near 1 it is written as 1 − q so digits are not lost."""
    if p == 0.0:
        return "0"
    if log10_q is None and q > 0.0:
        log10_q = math.log10(q)
    if log10_q is None:
        return "1"
    if p < 1e-4:
        return format_lr(p, math.log10(p))
    if log10_q < -4:
        return f"1 − {format_lr(q if q > 0 else None, log10_q)}"
    return f"{p:.6g}"


@dataclass(frozen=True)
class Posterior:
    """Prior × LRs, explained: every factor, the prior and where it came from, the posterior.

    ``log10_posterior_odds`` is authoritative (None when the posterior is 0);
    ``probability`` is P(H1 | evidence) and ``probability_not`` is 1 − probability computed without
    cancellation (so 1 − 10^-250 is still distinguishable from 1); ``log10_probability_not`` keeps
    it beyond the range of floats.
    """

    prior: float
    prior_source: str
    items: tuple[EvidenceItem, ...]
    log10_prior_odds: float
    log10_lr: float | None
    log10_posterior_odds: float | None
    probability: float
    probability_not: float
    log10_probability_not: float
    assumptions: tuple[str, ...]
    #: The non-DNA items' combined log10 LR before the cap (None: one of them is LR 0).
    log10_non_dna_lr: float | None = 0.0
    #: Whether the non-DNA product was capped at :data:`NON_DNA_MAX_LOG10`.
    non_dna_capped: bool = False
    #: Whether the DNA conclusion under the rules excludes the pair (the posterior is then 0).
    excluded: bool = False

    @property
    def has_dna(self) -> bool:
        """Whether a DNA item is among the evidence (a pair without one is listed apart)."""
        return any(_is_dna(i.kind) for i in self.items)

    @property
    def lr(self) -> float:
        """The combined LR (inf above 10^308; see ``log10_lr``)."""
        if self.log10_lr is None:
            return 0.0
        return 10.0 ** self.log10_lr if self.log10_lr < 308 else math.inf

    @property
    def posterior_odds(self) -> float:
        if self.log10_posterior_odds is None:
            return 0.0
        return 10.0 ** self.log10_posterior_odds if self.log10_posterior_odds < 308 else math.inf

    @property
    def verbal(self) -> str:
        return verbal_equivalent(self.lr, self.log10_lr)

    def factor(self, kind: str) -> EvidenceItem | None:
        for item in self.items:
            if item.kind == kind:
                return item
        return None

    @property
    def sentence(self) -> str:
        prior = _format_probability(self.prior, 1.0 - self.prior)
        post = _format_probability(self.probability, self.probability_not, self.log10_probability_not)
        kinds = ", ".join(i.label for i in self.items) or "no evidence"
        combined = format_lr(self.lr, self.log10_lr)
        return (f"Starting from a prior probability of {prior} ({self.prior_source}) and a combined likelihood "
                f"ratio of {combined} ({kinds}), the probability that {H1} is {post}, assuming "
                f"{INDEPENDENCE.split(', so')[0]}.")

    def explain(self) -> list[str]:
        """Lines for a report: the prior, each factor's sentence, the posterior, the assumptions."""
        lines = [f"Prior: {_format_probability(self.prior, 1.0 - self.prior)} ({self.prior_source})."]
        lines += [item.sentence for item in self.items]
        lines.append(self.sentence)
        lines += [f"Assumption: {a}." for a in self.assumptions]
        return lines

    def as_dict(self) -> dict:
        return {
            "prior": self.prior,
            "prior_source": self.prior_source,
            "log10_prior_odds": self.log10_prior_odds,
            "evidence": [i.as_dict() for i in self.items],
            "lr": self.lr if math.isfinite(self.lr) else None,
            "log10_lr": self.log10_lr,
            "verbal": self.verbal,
            "log10_posterior_odds": self.log10_posterior_odds,
            "posterior": self.probability,
            "posterior_not": self.probability_not,
            "log10_posterior_not": self.log10_probability_not,
            "sentence": self.sentence,
            "assumptions": list(self.assumptions),
            "hypotheses": {"H1": H1, "H2": H2},
            "dna": self.has_dna,
            "log10_non_dna_lr": self.log10_non_dna_lr,
            "non_dna_capped": self.non_dna_capped,
            "excluded": self.excluded,
        }


def fuse(evidence: Iterable[EvidenceItem], *, prior: float | None = None,
         open_reports: int | None = None, excluded: bool = False) -> Posterior:
    """Combine a prior with any set of evidence LRs into the posterior: the one place where a
    posterior is computed (the store, the CLI, the reports and the web read what it gives).

    The prior is ``prior`` when given (0 < prior < 1), else ``1 / open_reports``; one of the two is
    required.  Each kind of evidence may appear once (a second DNA factor would count the same
    evidence twice).  An LR of 0 makes the posterior 0 whatever the other factors are, and so does
    ``excluded`` (the DNA conclusion under the decision rules excludes the pair, e.g. for too many
    inconsistent markers, even where a mutation model gives an LR above 0).  The non-DNA items
    together count for at most :data:`NON_DNA_MAX_LOG10` (see the module).
    """
    if prior is not None:
        p = number(prior, "prior", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        source = "given"
    elif open_reports is not None:
        p = prior_from_open_reports(open_reports)
        if open_reports == 1:
            raise fail("open_reports", "with a single open report the default prior would be 1; give a prior")
        source = f"1 / {open_reports:,} open reports"
    else:
        raise fail("prior", "give a prior or the number of open reports")
    if isinstance(evidence, EvidenceItem):
        evidence = [evidence]
    items = tuple(evidence)
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, EvidenceItem):
            raise fail(f"evidence[{i}]", "must be an EvidenceItem (use from_lr or dna_evidence to make one)")
        if item.kind in seen:
            raise fail(f"evidence[{i}]", f"{item.kind} evidence given twice; each kind may be counted once")
        seen.add(item.kind)
    log10_prior_odds = math.log10(p) - math.log1p(-p) / math.log(10.0)
    zero = any(item.log10_lr is None for item in items)
    kinds = ", ".join(item.kind for item in items) or "none"
    assumptions = (
        f"H1: {H1}; H2: {H2}",
        f"{INDEPENDENCE} (evidence used: {kinds})",
        NON_DNA_RULE,
        f"the prior probability is {p:.6g} ({source})",
    )
    other = [item for item in items if not _is_dna(item.kind)]
    log10_other = None if any(i.log10_lr is None for i in other) else math.fsum(i.log10_lr for i in other)
    if zero or excluded:
        return Posterior(p, source, items, log10_prior_odds, None, None, 0.0, 1.0, 0.0, assumptions,
                         log10_other, False, bool(excluded))
    capped = log10_other > NON_DNA_MAX_LOG10  # type: ignore[operator]
    log10_lr = math.fsum([*(i.log10_lr for i in items if _is_dna(i.kind)),  # type: ignore[misc]
                          min(log10_other, NON_DNA_MAX_LOG10)])  # type: ignore[type-var]
    lpo = log10_prior_odds + log10_lr
    # P = 1 / (1 + 10^-lpo) and 1 - P = 1 / (1 + 10^lpo), each computed on its stable side
    t = 10.0 ** -abs(lpo)  # underflows to 0 harmlessly for |lpo| > 323
    if lpo >= 0:
        prob, prob_not = 1.0 / (1.0 + t), t / (1.0 + t)
    else:
        prob, prob_not = t / (1.0 + t), 1.0 / (1.0 + t)
    log10_not = -(max(lpo, 0.0) + math.log1p(t) / math.log(10.0))
    return Posterior(p, source, items, log10_prior_odds, log10_lr, lpo, prob, prob_not, log10_not, assumptions,
                     log10_other, capped, False)
