"""A Familias ``.fam`` case into the store: its family (the pedigree, the missing person, the typed
relatives) as a report's reference family, and the relatives' genotypes as their DNA samples.

The file is read by :func:`reunite.labfiles.read_fam` (which chooses H1, H2 and the person of
interest as ``reunite convert familias`` does).  H1's pedigree becomes the report's pedigree, the
person of interest its missing member (untyped in the store, as every reference family's missing
child is); each other typed person becomes a relative with a sample ``REPORT-PERSON`` typed by
``lab``.  Then everything is stored by the paths ``reunite import families`` and ``reunite import
profiles`` take: all-or-nothing under the store's lock, every problem named by file, line and field
(a marker Reunite does not know, a stored sample that differs or belongs to another lab, a report
that is not stored, a sex that contradicts the report), idempotent, audited (counts, never names
or genotypes), then the matching.

Not stored (each said in a note): the person of interest's genotype (import it as a found child's
profile), and the file's frequency database and mutation models (the matching uses Reunite's own
settings, recorded with each candidate; ``reunite export fam --candidate`` writes those).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session, selectinload

from ..errors import InputError, Problem
from ..genetics import marker_key, parse_profile
from ..genetics.pedigree import make_pedigree
from ..labfiles import read_fam
from ._csv import Sheet
from .importing import (
    ImportResult,
    _existing,
    _finish,
    _genotypes,
    _guard,
    _relation,
    _store_profiles,
    known_markers,
)
from .models import MissingReport, PedigreeMember, Relative
from .state import owe_matching

__all__ = ["import_fam", "sample_code"]


def sample_code(report: str, person: str) -> str:
    """The sample code of a ``.fam`` person stored as a relative of ``report``."""
    return f"{report}-{person}"[:64]


@_guard
def import_fam(session: Session, path: str | Path, *, report: str, lab: str, kit: str | None = None,
               typed_on: dt.date | None = None, found: str | None = None, h1: str | None = None,
               h2: str | None = None, create_report: bool = False, user: str | None = None,
               commit: bool = True) -> ImportResult:
    """Import a Familias ``.fam`` case as the reference family of report ``report`` (see the module
    docstring).  ``found``, ``h1``, ``h2`` choose the person of interest and the hypotheses when the
    file leaves them ambiguous.  The result's ``remarks`` say what the reader and the import left out."""
    source = str(path)
    report = (report or "").strip()
    lab = (lab or "").strip()
    problems = [Problem(f"{what} is required", file=source, field=what, code="required")
                for what, v in (("report", report), ("lab", lab)) if not v]
    if problems:
        raise InputError(problems)
    fc = read_fam(path, found=found, h1=h1, h2=h2)
    case = fc.case
    missing = case["missing"]
    sheet = Sheet(Path(path), [], [])
    field_person, field_locus = "person", "locus"

    # Relatives' genotypes, as the store keeps them (markers Reunite knows only).
    profiles: dict[str, dict[str, list[str]]] = {}
    where: dict[tuple[str, str], int] = {}
    first_line: dict[str, int] = {}
    members: dict[str, str] = {}
    for person, gts in case["genotypes"].items():
        code = sample_code(report, person)
        first_line[code] = fc.person_lines.get(person, 0)
        unknown = [loc for loc in gts if marker_key(loc) not in known_markers()]
        for loc in unknown:
            sheet.problems.append(Problem(
                f"person {person!r}, locus {loc}: not a marker Reunite knows (it has no frequency table for it); "
                f"remove it from the file", file=source, line=fc.genotype_lines.get((person, loc)), field=field_locus,
                code="marker_unknown", params={"marker": loc}))
        if unknown:
            continue
        prof = parse_profile(gts, source=source)
        profiles[code] = _genotypes(prof)
        members[person] = code
        for loc in gts:
            where[code, marker_key(loc)] = fc.genotype_lines.get((person, loc), first_line[code])

    rep = _existing(session, MissingReport, MissingReport.report_number, [report],
                    load=(selectinload(MissingReport.pedigree), selectinload(MissingReport.relatives))).get(report)
    records = case["pedigree"]
    msex = next(r["sex"] for r in records if r["id"] == missing)
    if rep is None and not create_report:
        sheet.problems.append(Problem(f"report {report!r} is not stored; import the report first (or create it)",
                                      file=source, field="report", code="family_not_stored",
                                      params={"family": report}))
    elif rep is not None and "unknown" not in (msex, rep.sex) and msex != rep.sex:
        sheet.problems.append(Problem(f"the missing person is {msex} in the file but report {report} says {rep.sex}",
                                      file=source, line=fc.person_lines.get(missing), field=field_person,
                                      code="family_sex", params={"family": report}))

    # The profiles are checked against the store (and every problem raised) before anything is written.
    samples = ImportResult("profiles", sheet.name)
    _store_profiles(session, sheet, samples, profiles, names=profiles, lab=lab, kit=kit, typed_on=typed_on,
                    meta={}, first_line=first_line, where=where, user=user, fields=(field_person, field_locus))

    result = ImportResult("fam", sheet.name, remarks=list(fc.notes))
    result.remarks.append("the person of interest's genotype is not stored (import it as a found child's "
                          "profile); the file's frequency database and mutation models are not stored either "
                          "(the matching uses Reunite's settings)")
    if rep is None:
        rep = MissingReport(report_number=report, sex=msex)
        session.add(rep)
    pedigree = make_pedigree(records, source=source)
    persons = pedigree.persons
    want_ped = sorted((p.id, p.father, p.mother, p.sex, members.get(p.id), p.id == missing)
                      for p in persons.values())
    have_ped = sorted((p.member_id, p.father, p.mother, p.sex, p.sample, p.missing) for p in rep.pedigree)
    old = {d.member_id: (d.sample, d.consent_given, d.consent_scope) for d in rep.relatives}
    kept = [(d.member_id, d.relation, d.consent_given, d.consent_scope, d.sample) for d in rep.relatives
            if d.member_id not in persons]
    want_rel = list(kept)
    for pid, code in members.items():
        prev = old.get(pid)
        given, scope = (prev[1], prev[2]) if prev is not None and prev[0] == code else (None, None)
        want_rel.append((pid, _relation(pid, persons, persons[missing]), given, scope, code))
    want_rel.sort(key=lambda t: t[0])
    have_rel = sorted(((d.member_id, d.relation, d.consent_given, d.consent_scope, d.sample)
                       for d in rep.relatives), key=lambda t: t[0])
    if want_ped == have_ped and want_rel == have_rel:
        result.unchanged += 1
    else:
        if rep.pedigree or rep.relatives:
            result.updated += 1
            rep.pedigree.clear()
            rep.relatives.clear()
            session.flush()  # delete before inserting rows with the same member ids
        else:
            result.added += 1
        for mid, father, mother, sex, sample, miss in want_ped:
            rep.pedigree.append(PedigreeMember(member_id=mid, father=father, mother=mother, sex=sex,
                                               sample=sample, missing=miss))
        for mid, relation, given, scope, sample in want_rel:
            rep.relatives.append(Relative(member_id=mid, relation=relation, consent_given=given,
                                          consent_scope=scope, sample=sample))
    session.flush()
    result.notes.update(members=len(persons), samples_added=samples.added, samples_updated=samples.updated,
                        samples_unchanged=samples.unchanged, lab=lab)
    if samples.added or samples.updated:
        owe_matching(session)   # new DNA for an unchanged family: the matching must run all the same
    return _finish(session, result, user, commit)
