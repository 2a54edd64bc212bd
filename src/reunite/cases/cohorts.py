"""Cohorts: the found children of one rescue, solved together against the families with DNA.

A :class:`~reunite.cases.models.Cohort` is the found children of one rescue (the ``cohort`` column
of ``found_children.csv``, or :func:`add_cohort`).  :func:`solve_stored_cohort` builds a
:class:`reunite.genetics.cohort.Cohort` from the store and solves it with
:func:`reunite.genetics.cohort.solve_cohort` (dvir's joint model, see docs/cohort.md):

- the found children of the cohort with a DNA profile (``id``: the case number; ``sex``: the
  recorded sex, unknown fits both, Amelogenin checked against it; ``birth_year``: from the age
  estimate).  Children without a profile are listed in the solution, not solved;
- every open report whose family has DNA, and every report a confirmation closed to a child of
  the cohort (the families of the matching,
  :func:`reunite.cases.families.stored_family`), one cohort family per report: ``id`` the report
  number, members ``REPORT/MEMBER`` (pedigree ids are local to a report), the missing member, and
  the report's other children when it lists them (``other_children_listed``);
- the frequency table and the mutation model of the matching (:class:`MatchingSettings`), theta 0,
  and dvir's decision thresholds (:class:`reunite.genetics.cohort.Rules`).

Markers outside the frequency table are left out (a found child's Amelogenin is kept: it gives
the sex).  The solution is stored (:class:`~reunite.cases.models.CohortSolution`) with the table's
SHA-256 (its content stored once, as a candidate's), the mutation model, the rules, the software
version and a digest of the input, and the solve is audited (counts only: no names, no genotypes).

``other_children`` of a report: :func:`parse_other_children` reads the one-cell form used by the
``other_children`` column of ``missing_reports.csv`` and by the family portal (``none``, or items
such as ``female 2008; male 2015``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from .. import __version__
from ..errors import InputError, Problem
from ..genetics.cohort import CohortResult, Rules, load_cohort, solve_cohort
from ..genetics.frequencies import FrequencyTable
from ..genetics.markers import AMELOGENIN
from .audit import append_audit, canonical_json
from .families import stored_family, stored_profile
from .models import SEXES, Candidate, Cohort, CohortSolution, DnaSample, FoundChild, MissingReport, ReportOtherChild
from .provenance import mutation_record, read_table, store_table
from .settings import MatchingSettings

__all__ = [
    "COHORT_CODE",
    "CohortInput",
    "add_cohort",
    "cohort_code_problem",
    "cohort_input",
    "current_solution",
    "format_other_children",
    "get_cohort",
    "list_cohorts",
    "parse_other_children",
    "set_other_children",
    "solve_stored_cohort",
]

#: A cohort code: 1 to 64 letters, digits, dots, dashes and underscores, starting with a letter or
#: digit (it is part of the review page's address).
COHORT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


def cohort_code_problem(code: str) -> str | None:
    """What is wrong with a cohort code (None: nothing)."""
    if COHORT_CODE.match(code or ""):
        return None
    return (f"{code!r} is not a cohort code: use 1 to 64 letters, digits, dots, dashes or underscores, "
            f"starting with a letter or digit")


# ------------------------------------------------------------------------------ other children

_NONE_WORDS = {"none", "no", "0", "无", "没有", "無", "没", "否"}
_SEX_WORDS = {"male": "male", "m": "male", "boy": "male", "son": "male", "男": "male", "男孩": "male",
              "儿子": "male", "兒子": "male",
              "female": "female", "f": "female", "girl": "female", "daughter": "female", "女": "female",
              "女孩": "female", "女儿": "female", "女兒": "female",
              "unknown": "unknown", "u": "unknown", "?": "unknown", "不详": "unknown", "未知": "unknown"}
_ITEM = re.compile(r"^(?P<sex>[^\d\s]+)?\s*(?P<year>\d{4})?\s*(年)?$")
_SPLIT = re.compile(r"[;；,，、\n]+")
#: At most this many other children per report.
MAX_OTHER_CHILDREN = 20


def parse_other_children(text: str | None, *, this_year: int | None = None
                         ) -> tuple[bool, list[tuple[str, int | None]]]:
    """Read a report's other children from one cell: ``(listed, [(sex, birth_year), ...])``.

    Empty: the report does not list them (``listed`` False).  ``none`` (or ``无``, ``没有``): the
    family has no other children.  Otherwise items separated by ``;`` or ``,`` (also ``；``, ``，``,
    ``、``), each a sex (``male``/``female``/``unknown``, ``M``/``F``/``U``, ``boy``/``girl``,
    ``男``/``女``) and/or a birth year: ``female 2008; male 2015``, ``女2008，男2015``.  Raises
    :class:`ValueError` naming the item that cannot be read.
    """
    text = (text or "").strip()
    if not text:
        return False, []
    if text.lower() in _NONE_WORDS:
        return True, []
    this_year = this_year or dt.date.today().year
    out: list[tuple[str, int | None]] = []
    for k, raw in enumerate((p.strip() for p in _SPLIT.split(text) if p.strip()), start=1):
        m = _ITEM.match(raw)
        sex_word = (m.group("sex") or "").strip().lower() if m else None
        if m is None or (sex_word and sex_word not in _SEX_WORDS) or not (sex_word or m.group("year")):
            raise ValueError(f"other child {k} ({raw!r}) is not a sex and a birth year such as 'female 2008'")
        year = int(m.group("year")) if m.group("year") else None
        if year is not None and not 1900 <= year <= this_year:
            raise ValueError(f"other child {k}: {year} is not a birth year from 1900 to {this_year}")
        out.append((_SEX_WORDS.get(sex_word, "unknown") if sex_word else "unknown", year))
    if len(out) > MAX_OTHER_CHILDREN:
        raise ValueError(f"{len(out)} other children are listed; at most {MAX_OTHER_CHILDREN}")
    return True, out


def format_other_children(report: MissingReport) -> str:
    """A report's other children in the form :func:`parse_other_children` reads ('' if not listed)."""
    if not report.other_children_listed:
        return ""
    if not report.other_children:
        return "none"
    return "; ".join(" ".join(x for x in (c.sex, str(c.birth_year) if c.birth_year else "") if x)
                     for c in report.other_children)


def set_other_children(session: Session, report: MissingReport, listed: bool,
                       items: list[tuple[str, int | None]]) -> bool:
    """Replace a report's other children; True if anything changed (the caller commits and audits)."""
    items = [(s if s in SEXES else "unknown", y) for s, y in items] if listed else []
    have = [(c.sex, c.birth_year) for c in report.other_children]
    if bool(report.other_children_listed) == listed and have == items:
        return False
    report.other_children_listed = listed
    if report.other_children:
        report.other_children.clear()
        session.flush()
    for sex, year in items:
        report.other_children.append(ReportOtherChild(sex=sex, birth_year=year))
    session.flush()
    return True


# ------------------------------------------------------------------------------------ cohorts


def get_cohort(session: Session, code: str) -> Cohort | None:
    """The cohort with this code, or None."""
    return session.scalars(select(Cohort).where(Cohort.code == code)).first()


def list_cohorts(session: Session) -> list[Cohort]:
    """Every cohort, newest rescue first (then by code)."""
    rows = session.scalars(select(Cohort).options(selectinload(Cohort.children))).all()
    return sorted(rows, key=lambda c: (c.rescued_on is None, -(c.rescued_on.toordinal() if c.rescued_on else 0),
                                       c.code))


def add_cohort(session: Session, code: str, *, user: str, title: str | None = None,
               rescued_on: dt.date | None = None, place: str | None = None, children: list[str] | None = None,
               commit: bool = True) -> Cohort:
    """Create a cohort, or update its title, date and place (the values given); ``children`` (case
    numbers) are put in it.  Audited; raises :class:`InputError` naming every problem."""
    problems = []
    msg = cohort_code_problem(code)
    if msg:
        problems.append(Problem(msg, field="code"))
    found: list[FoundChild] = []
    if children:
        rows = {c.case_number: c for c in session.scalars(select(FoundChild).where(
            FoundChild.case_number.in_(children)))}
        for case in children:
            if case not in rows:
                problems.append(Problem(f"there is no found child {case!r}", field="children"))
            else:
                found.append(rows[case])
    if rescued_on is not None and rescued_on > dt.date.today():
        problems.append(Problem(f"the rescue date {rescued_on} is in the future", field="rescued_on"))
    if problems:
        raise InputError(problems)
    cohort = get_cohort(session, code)
    action = "cohort.update"
    if cohort is None:
        cohort = Cohort(code=code, created_by=user)
        session.add(cohort)
        action = "cohort.add"
    for col, value in (("title", title), ("rescued_on", rescued_on), ("place", place)):
        if value is not None:
            setattr(cohort, col, value)
    session.flush()
    for child in found:
        child.cohort_id = cohort.id
    session.flush()
    append_audit(session, user, action, entity="cohort", entity_id=code,
                 details={"children_added": len(found)})
    if commit:
        session.commit()
    return cohort


def current_solution(cohort: Cohort) -> CohortSolution | None:
    """The cohort's newest stored solution, or None."""
    return cohort.solutions[-1] if cohort.solutions else None


# ------------------------------------------------------------------------------ the input


@dataclass
class CohortInput:
    """What a stored cohort is solved with: the cohort spec of :func:`reunite.genetics.load_cohort`
    (``frequencies`` the table itself), the provenance, and what was left out."""

    code: str
    spec: dict[str, Any]
    table: FrequencyTable
    table_text: str
    mutation: dict | None
    untyped: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """SHA-256 of everything solved (children, families, genotypes, table content, mutation)."""
        data = {**self.spec, "frequencies": hashlib.sha256(self.table_text.encode("utf-8")).hexdigest(),
                "mutation": self.mutation, "untyped": self.untyped}
        return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _birth_year(child: FoundChild) -> int | None:
    at = child.age_assessed_on or child.found_on
    if child.age_months is None or at is None:
        return None
    return (at - dt.timedelta(days=child.age_months * 30.4375)).year


def _genotypes(sample: DnaSample | None, table: FrequencyTable, *, amel: bool) -> dict[str, list[str]]:
    prof = stored_profile(sample)
    if prof is None:
        return {}
    out = {k: list(g) for k, g in prof.genotypes.items() if k in table.markers}
    if amel and out and prof.amelogenin is not None:
        out[AMELOGENIN] = list(prof.amelogenin)
    return out


def cohort_input(session: Session, code: str, *, settings: MatchingSettings | None = None,
                 rules: Mapping | None = None) -> CohortInput:
    """The stored cohort ``code`` as a cohort spec (see the module docstring)."""
    settings = settings or MatchingSettings()
    cohort = get_cohort(session, code)
    if cohort is None:
        raise InputError(Problem(f"there is no cohort {code!r}", field="code"))
    table, text = read_table(settings.frequencies)
    mutation = mutation_record(settings.mutation)
    # The open reports, and those a confirmation closed to one of this cohort's children (the
    # confirmed pair is part of the joint answer: leaving its family out would exclude the child).
    confirmed_here = (select(Candidate.report_id)
                      .where(Candidate.status == "confirmed",
                             Candidate.found_child_id.in_([c.id for c in cohort.children])))
    reports = list(session.scalars(select(MissingReport)
                                   .where(or_(MissingReport.status == "open", MissingReport.id.in_(confirmed_here)))
                                   .options(selectinload(MissingReport.pedigree),
                                            selectinload(MissingReport.other_children))
                                   .order_by(MissingReport.report_number)))
    # Only the samples of the cohort's children and of the open reports' pedigrees are read.
    codes = {c.sample for c in cohort.children if c.sample} | {m.sample for r in reports for m in r.pedigree
                                                               if m.sample}
    samples: dict[str, DnaSample] = {}
    codes_list = sorted(codes)
    for i in range(0, len(codes_list), 500):
        part = codes_list[i:i + 500]
        samples.update((s.sample, s) for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(part))))
    found, untyped = [], []
    for child in sorted(cohort.children, key=lambda c: c.case_number):
        g = _genotypes(samples.get(child.sample), table, amel=True) if child.sample else {}
        if not any(k != AMELOGENIN for k in g):
            untyped.append(child.case_number)
            continue
        found.append({"id": child.case_number, "sex": None if child.sex == "unknown" else child.sex,
                      "birth_year": _birth_year(child), "genotypes": g})
    families, genotypes, numbers = [], {}, []
    for rep in reports:
        fam = stored_family(rep, samples)
        if fam is None:
            continue
        pre = f"{rep.report_number}/"
        typed = {}
        for row in rep.pedigree:
            if row.member_id in fam.profiles:
                g = _genotypes(samples.get(row.sample), table, amel=False)
                if g:
                    typed[pre + row.member_id] = g
        if not typed:
            continue
        ped = [{"id": pre + m.member_id, "father": pre + m.father if m.father else None,
                "mother": pre + m.mother if m.mother else None, "sex": m.sex} for m in rep.pedigree]
        f: dict[str, Any] = {"id": rep.report_number, "pedigree": ped, "missing": [pre + fam.missing]}
        if rep.other_children_listed:
            f["other_children"] = [{"sex": None if c.sex == "unknown" else c.sex, "birth_year": c.birth_year}
                                   for c in rep.other_children]
        families.append(f)
        genotypes.update(typed)
        numbers.append(rep.report_number)
    spec = {"id": code, "frequencies": table, "mutation": mutation["model"] if mutation else None, "theta": 0.0,
            "families": families, "genotypes": genotypes, "found": found,
            "rules": dict(rules) if rules else Rules().as_dict()}
    return CohortInput(code, spec, table, text, mutation, untyped, numbers)


# ------------------------------------------------------------------------------ the solution


def _finite(value):
    """JSON every backend stores: non-finite floats become None (LR 0 is a null log10 already)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def solve_stored_cohort(session: Session, code: str, *, settings: MatchingSettings | None = None,
                        user: str = "cohort", top: int = 10, rules: Mapping | None = None,
                        commit: bool = True) -> CohortSolution:
    """Solve the stored cohort ``code`` jointly, store the solution and audit it (see the module
    docstring).  Raises :class:`InputError` (no such cohort, no typed child, a problem in the
    data, each named) and stores nothing then."""
    t0 = time.perf_counter()
    inp = cohort_input(session, code, settings=settings, rules=rules)
    if not inp.spec["found"]:
        raise InputError(Problem(f"cohort {code}: no found child in it has a DNA profile yet "
                                 f"({len(inp.untyped)} without)", field="code"))
    res: CohortResult = solve_cohort(load_cohort(inp.spec, source=f"cohort {code}"), top=top)
    seconds = time.perf_counter() - t0
    result = res.as_dict()
    result["store"] = {"cohort": code, "untyped_children": inp.untyped, "families": inp.families}
    cohort = get_cohort(session, code)
    sha = store_table(session, inp.table.name, inp.table_text)
    sol = CohortSolution(cohort_id=cohort.id, solved_by=user, frequencies=inp.table.name, frequencies_sha256=sha,
                         mutation_model=inp.mutation, theta=res.theta, rules=res.rules.as_dict(),
                         software_version=__version__, input_sha256=inp.digest, seconds=round(seconds, 3),
                         result=json.loads(json.dumps(_finite(result))))
    session.add(sol)
    session.flush()
    counts: dict[str, int] = {}
    for c in res.conclusions:
        counts[c["conclusion"]] = counts.get(c["conclusion"], 0) + 1
    append_audit(session, user, "cohort.solve", entity="cohort", entity_id=code,
                 details={"solution": sol.id, "found_children": len(inp.spec["found"]),
                          "untyped_children": len(inp.untyped), "families": len(inp.families),
                          "conclusions": counts, "frequencies_sha256": sha,
                          "mutation": (inp.mutation or {}).get("description", "none"),
                          "seconds": round(seconds, 3)})
    if commit:
        session.commit()
    return sol


def solution_is_current(session: Session, sol: CohortSolution, *, settings: MatchingSettings | None = None) -> bool:
    """Whether the stored data (children, families, genotypes, settings) are what ``sol`` solved."""
    try:
        inp = cohort_input(session, sol.cohort.code, settings=settings, rules=sol.rules)
    except InputError:
        return False
    return inp.digest == sol.input_sha256
