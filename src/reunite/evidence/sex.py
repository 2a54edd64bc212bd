"""The sex likelihood ratio: the found child's recorded (and Amelogenin) sex against the report's.

Model
-----
* Each child has a true sex.  Before any record is read, P(male) = ``p_male`` for the found child
  and for the missing child alike (default 0.5; set it to the sex ratio of found children when it
  is known).  Using the same value on both sides makes a record that says nothing ("unknown")
  give an LR of exactly 1.
* H1 (the found child is the report's missing child): the two true sexes are equal.
  H2 (another child): the found child's true sex is independent of the missing child's.
* A recorded sex (the found child's file, the report) is wrong with probability ``e_record``,
  independently: default 0.01, a clerical error rate of about one record in a hundred (a
  mis-ticked box, a form filled in by someone who never saw the child).
* An Amelogenin typing reads the wrong sex with probability ``e_amel``: default 0.002.  The
  known cause is a deletion of AMELY (the Y copy), which makes a male type as X only (female);
  such deletions are rare in most populations but reach about 1 % in some, and sample mix-ups add
  to it.  Raise it for populations with a known high rate of AMELY deletions.
* The observations are independent given the true sexes, so::

      LR = Σ_s P(S_missing = s | report) P(found record | s) P(Amelogenin | s)
           / Σ_s p(s) P(found record | s) P(Amelogenin | s)

With the defaults: a found child recorded with the report's sex gives LR ≈ 1.96; the opposite sex
≈ 0.040 (a near exclusion that DNA can still overturn, because records can be wrong); a
mismatch confirmed by Amelogenin ≈ 0.020; anything unknown on one side gives 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from ._common import fail, lr_from_log, probability, sex_value
from .fusion import EvidenceItem

__all__ = ["DEFAULT_E_AMEL", "DEFAULT_E_RECORD", "DEFAULT_P_MALE", "MIN_POPULATION_SEXES", "amelogenin_sex",
           "p_male_from_population", "sex_lr"]

#: Probability that a recorded sex (found child's file or the report) is wrong.
DEFAULT_E_RECORD = 0.01
#: Probability that Amelogenin reads the wrong sex (mostly AMELY deletions in males).
DEFAULT_E_AMEL = 0.002
#: Probability that a child is male before its records are read.
DEFAULT_P_MALE = 0.5
#: Found children of known sex a store needs before P(male) is taken from them.
MIN_POPULATION_SEXES = 30


def p_male_from_population(sexes: Iterable[str], *, minimum: int = MIN_POPULATION_SEXES) -> tuple[float, str]:
    """P(male) of the sex LR from a population's found children (their recorded sexes), and a note
    saying which: the share of boys when at least ``minimum`` are of known sex (kept within 1 %–99 %,
    as a share of exactly 0 or 1 would make the other sex impossible), else the default."""
    known = [s for s in sexes if s in ("male", "female")]
    if len(known) >= minimum:
        p_male = min(0.99, max(0.01, known.count("male") / len(known)))
        return p_male, f"population: p_male {p_male:.3f}, the share of boys among {len(known)} found children"
    return DEFAULT_P_MALE, f"default p_male {DEFAULT_P_MALE} (fewer than {minimum} found children of known sex)"

MODEL = ("true sexes equal under H1 and independent under H2 (P(male) = p_male on both sides); "
         "each recorded sex wrong with probability e_record, Amelogenin with probability e_amel, independently")

_AMEL_WORDS = {"male": "male", "m": "male", "female": "female", "f": "female",
               "unknown": None, "u": None, "": None, "?": None}


def amelogenin_sex(value: object) -> str | None:
    """The sex an Amelogenin typing indicates: ``male`` (a Y allele), ``female`` (X only), or None.

    Accepts alleles (``("X", "Y")``, ``["X"]``), text (``"XY"``, ``"X,Y"``, ``"X/Y"``, ``"XX"``,
    ``"X"``) or the words ``male``/``female``/``unknown``.
    """
    if value is None:
        return None
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _AMEL_WORDS:
            return _AMEL_WORDS[key]
        alleles = [a for a in key.replace(",", " ").replace("/", " ").replace(";", " ").split() if a]
        if len(alleles) == 1 and len(alleles[0]) <= 2:
            alleles = list(alleles[0])
    elif isinstance(value, Sequence) and all(isinstance(a, str) for a in value):
        alleles = [a.strip().lower() for a in value if a.strip()]
    else:
        raise fail("amelogenin", "must be Amelogenin alleles (X, Y) or male, female, unknown")
    if not alleles:
        return None
    if len(alleles) > 2 or any(a not in ("x", "y") for a in alleles):
        raise fail("amelogenin", "must be Amelogenin alleles (X, Y) or male, female, unknown")
    return "male" if "y" in alleles else "female"


def _p_obs(observed: str | None, true: str, error: float) -> float:
    if observed is None or observed == "unknown":
        return 1.0
    return 1.0 - error if observed == true else error


def sex_lr(found_sex: str | None, report_sex: str | None, amelogenin: object = None, *,
           e_record: float = DEFAULT_E_RECORD, e_amel: float = DEFAULT_E_AMEL,
           p_male: float = DEFAULT_P_MALE) -> EvidenceItem:
    """The sex LR of a found child against a missing-child report (see the module for the model).

    ``found_sex`` and ``report_sex`` are ``male``, ``female`` or ``unknown`` (None, ``M``/``F``/``U``
    accepted); ``amelogenin`` is the found child's Amelogenin typing if any (see
    :func:`amelogenin_sex`).  Error rates must be in [0, 0.5); an error rate of 0 makes a
    mismatch an exclusion (LR 0).
    """
    found = sex_value(found_sex, "found_sex")
    report = sex_value(report_sex, "report_sex")
    amel = amelogenin_sex(amelogenin)
    e_record = probability(e_record, "e_record", hi=0.5, hi_open=True)
    e_amel = probability(e_amel, "e_amel", hi=0.5, hi_open=True)
    p_male = probability(p_male, "p_male", lo_open=True, hi_open=True)

    prior = {"male": p_male, "female": 1.0 - p_male}
    like_c = {s: _p_obs(found, s, e_record) * _p_obs(amel, s, e_amel) for s in prior}
    post_m = {s: prior[s] * _p_obs(report, s, e_record) for s in prior}
    norm = sum(post_m.values())
    num = sum(post_m[s] / norm * like_c[s] for s in prior)
    den = sum(prior[s] * like_c[s] for s in prior)
    params = {"e_record": e_record, "e_amel": e_amel, "p_male": p_male}
    observed = {"found_sex": found, "amelogenin": amel or "not typed", "report_sex": report}
    note = ""
    if report == "unknown" or (found == "unknown" and amel is None):
        note = "(A sex is not recorded on one side, so sex says nothing here.)"
        num = den  # exactly 1, not 1 ± rounding
    elif amel is not None and found != "unknown" and amel != found:
        note = "(The found child's recorded sex and Amelogenin disagree; check the records.)"
    if num == 0.0:
        lr, log10 = 0.0, None
    else:
        lr, log10 = lr_from_log(math.log(num) - math.log(den))
    return EvidenceItem("sex", lr, log10, MODEL, params, observed, note)
