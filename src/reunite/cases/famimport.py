"""A Familias ``.fam`` case into the store: its family (the pedigree, the missing person, the typed
relatives) as a report's reference family, the relatives' genotypes as their DNA samples, the person of
interest's genotypes as a found child's sample, and the file's frequency database, mutation models and
theta as the report's kinship settings (:class:`~reunite.cases.models.ReportKinship`).

The file is read by :func:`reunite.labfiles.read_fam` (which chooses H1, H2 and the person of
interest as ``reunite convert familias`` does).  H1's pedigree becomes the report's pedigree, the
person of interest its missing member (untyped in the store, as every reference family's missing
child is); each other typed person becomes a relative with a sample ``REPORT-PERSON`` typed by
``lab``.  The person of interest's genotypes (Familias types the person of interest as one of the
file's persons, in the pedigrees like any other; the reader takes the typed person related to the
family in H1 and unrelated in H2) become the sample ``REPORT-PERSON`` of a found child (``found_case``,
default that sample code; created with the file's sex if it is not stored), so that the matching
compares it with every family.  The file's frequency database is stored as a named table
(``frequency_tables``, once per content: ``fam:REPORT:FILE``), and with its mutation model and theta
recorded for the report (``report_kinship``): :func:`stored_fam_case` rebuilds the file's case from the
store, with the file's own settings, and its LR is the LR the file implies.

Everything is stored by the paths ``reunite import families`` and ``reunite import profiles`` take:
all-or-nothing under the store's lock, every problem named by file, line and field (a marker Reunite
does not know, a stored sample that differs or belongs to another lab, a report that is not stored, a
sex that contradicts the report, a found child that holds another sample), idempotent, audited
(counts, never names or genotypes), then the matching.  The matching itself computes each candidate
with Reunite's settings (``REUNITE_FREQUENCIES``, the mutation model), recorded with the candidate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import FrequencyError, InputError, Problem
from ..genetics import marker_key, parse_profile
from ..genetics.frequencies import load_frequencies
from ..genetics.kinship import KinshipCase, missing_person_lr
from ..genetics.markers import Profile
from ..genetics.pedigree import make_pedigree
from ..labfiles import read_fam
from ._csv import Sheet
from .families import stored_family, stored_profile
from .importing import (
    ImportResult,
    _existing,
    _finish,
    _genotypes,
    _guard,
    _relation,
    _store_profiles,
    default_user,
    known_markers,
)
from .models import Candidate, DnaSample, FoundChild, MissingReport, PedigreeMember, Relative, ReportKinship
from .provenance import mutation_record, store_table, stored_mutation, stored_table
from .state import owe_matching

__all__ = ["FamiliasLR", "candidate_fam_case", "familias_lr", "frequency_csv", "import_fam", "sample_code",
           "stored_fam_case"]


def sample_code(report: str, person: str) -> str:
    """The sample code of a ``.fam`` person stored as a relative of ``report``."""
    return f"{report}-{person}"[:64]


def frequency_csv(frequencies: dict[str, dict[str, float]]) -> str:
    """A ``.fam`` database as Reunite's frequency table CSV (``marker,allele,frequency``), every frequency
    written with full precision (``repr``), so the stored table is the file's to the last bit."""
    rows = ["marker,allele,frequency"]
    for marker, alleles in frequencies.items():
        rows += [f"{marker},{allele},{float(f)!r}" for allele, f in alleles.items()]
    return "\n".join(rows) + "\n"


def _in_table(profile: Profile, markers) -> Profile:
    keep = {k: v for k, v in profile.genotypes.items() if k in markers}
    return Profile(keep, {k: profile.names.get(k, k) for k in keep}, profile.amelogenin)


def stored_fam_case(session: Session, report: str, *, found_child: FoundChild | None = None) -> KinshipCase:
    """The kinship case of a report imported from a Familias file, rebuilt from the store: the stored
    pedigree and the relatives' stored profiles, the person of interest's profile (its found child's
    sample) as the found person, and the file's frequency table, mutation model and theta as stored
    (``report_kinship``).  With ``found_child``, that child's profile is the found person instead (a
    candidate's found child: the LR under the file's settings).  Reads genotypes: the caller audits."""
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == report)).first()
    kin = None if rep is None else session.scalars(
        select(ReportKinship).where(ReportKinship.report_id == rep.id)).first()
    if rep is None or kin is None:
        raise InputError(Problem(f"report {report!r} has no case imported from a Familias file (reunite import "
                                 f"fam)", field="report", code="fam_no_case", params={"family": report}))
    child = found_child if found_child is not None else kin.found_child
    names = {r.sample for r in rep.pedigree if r.sample} | ({child.sample} if child and child.sample else set())
    stored = {s.sample: s for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(names)))}
    found = stored_profile(stored.get(child.sample)) if child is not None and child.sample else None
    family = stored_family(rep, stored)
    if found is None or family is None:
        raise InputError(Problem(f"report {report!r}: the person of interest or the family has no usable DNA "
                                 f"(erased, or not typed)", field="report", code="fam_no_dna",
                                 params={"family": report}))
    table = stored_table(session, kin.frequencies_sha256)
    markers = set(table.markers)
    return KinshipCase(family.pedigree, {p: _in_table(prof, markers) for p, prof in family.profiles.items()},
                       family.missing, _in_table(found, markers), table, stored_mutation(kin.mutation_model),
                       float(kin.theta or 0.0), id=f"report-{report}")


def candidate_fam_case(session: Session, candidate: Candidate) -> tuple[ReportKinship, KinshipCase] | None:
    """For a candidate whose family came from a Familias file (``reunite import fam``): the report's
    kinship settings and the file's case with the candidate's found child as the found person (the
    file's frequencies, mutation model and theta; :func:`stored_fam_case`); None for any other family.
    Reads genotypes: the caller audits."""
    rep = candidate.report
    kin = session.scalars(select(ReportKinship).where(ReportKinship.report_id == rep.id)).first()
    if kin is None:
        return None
    return kin, stored_fam_case(session, rep.report_number, found_child=candidate.found_child)


@dataclass(frozen=True)
class FamiliasLR:
    """The LR of a candidate under the Familias file's own settings: secondary to the candidate's LR
    (computed with the store's national frequency table), which stays the evidence.  ``log10_lr`` None
    is an LR of 0 (an exclusion under the file's mutation model)."""

    log10_lr: float | None
    source_file: str
    frequencies: str
    frequencies_sha256: str
    mutation: str | None
    theta: float
    markers: int

    def as_dict(self) -> dict:
        """The fields as a dict (what a kinship report keeps)."""
        return asdict(self)


def familias_lr(session: Session, candidate: Candidate) -> FamiliasLR | None:
    """The candidate's LR with the Familias file's frequencies, mutation model and theta, computed by the
    kinship engine from :func:`candidate_fam_case` (None when the family did not come from a ``.fam``
    file; markers the file's table does not hold are left out, as the file's own LR leaves them out).
    Reads genotypes: the caller audits."""
    got = candidate_fam_case(session, candidate)
    if got is None:
        return None
    kin, case = got
    result = missing_person_lr(case, skip_unknown_markers=True)
    mut = kin.mutation_model or {}
    return FamiliasLR(result.log10_lr, kin.source_file, kin.frequencies, kin.frequencies_sha256,
                      mut.get("description"), float(kin.theta or 0.0), len(result.markers))


@_guard
def import_fam(session: Session, path: str | Path, *, report: str, lab: str, kit: str | None = None,
               typed_on: dt.date | None = None, found: str | None = None, h1: str | None = None,
               h2: str | None = None, create_report: bool = False, found_case: str | None = None,
               user: str | None = None, commit: bool = True) -> ImportResult:
    """Import a Familias ``.fam`` case as the reference family of report ``report`` (see the module
    docstring).  ``found``, ``h1``, ``h2`` choose the person of interest and the hypotheses when the
    file leaves them ambiguous; ``found_case`` is the case number of the found child that holds the
    person of interest's profile (default: its sample code, ``REPORT-PERSON``).  The result's
    ``remarks`` say what the reader and the import left out and what was created."""
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

    # The person of interest's genotypes: a found child's sample, checked like the relatives'.
    poi_code = sample_code(report, missing)
    found_case = (found_case or "").strip() or poi_code
    first_line[poi_code] = fc.person_lines.get(missing, 0)
    unknown = [loc for loc in case["found"] if marker_key(loc) not in known_markers()]
    for loc in unknown:
        sheet.problems.append(Problem(
            f"person {missing!r}, locus {loc}: not a marker Reunite knows (it has no frequency table for it); "
            f"remove it from the file", file=source, line=fc.genotype_lines.get((missing, loc)), field=field_locus,
            code="marker_unknown", params={"marker": loc}))
    if not unknown:
        profiles[poi_code] = _genotypes(parse_profile(case["found"], source=source))
        for loc in case["found"]:
            where[poi_code, marker_key(loc)] = fc.genotype_lines.get((missing, loc), first_line[poi_code])
    child = _existing(session, FoundChild, FoundChild.case_number, [found_case]).get(found_case)
    if child is not None and child.sample not in (None, poi_code):
        sheet.problems.append(Problem(f"found child {found_case!r} holds another sample; give another found case",
                                      file=source, line=fc.person_lines.get(missing), field="found_case",
                                      code="fam_found_case_sample", params={"case": found_case}))
    try:
        table = load_frequencies(case["frequencies"])
    except FrequencyError as exc:
        table = None
        sheet.problems.extend(Problem(f"the database: {p.message}", file=source, field="database",
                                      code="fam_database", params={}) for p in exc.problems)

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

    # The person of interest's found child, and the report's kinship settings from the file.
    if child is None:
        child = FoundChild(case_number=found_case, sex=msex)
        session.add(child)
        result.remarks.append(f"found child {found_case} created for the person of interest {missing!r} "
                              f"(sample {poi_code})")
    if child.sample != poi_code:
        child.sample = poi_code
        session.flush()
    name = f"fam:{report}:{Path(source).name}"[:200]
    sha = store_table(session, name, frequency_csv(case["frequencies"]))
    want = {"frequencies": name, "frequencies_sha256": sha, "mutation_model": mutation_record(case["mutation"]),
            "theta": float(case["theta"] or 0.0), "found_child_id": child.id}
    kin = session.scalars(select(ReportKinship).where(ReportKinship.report_id == rep.id)).first()
    if kin is None:
        kin = ReportKinship(report_id=rep.id, source_file=Path(source).name[:200], imported_by=user or default_user(),
                            **want)
        session.add(kin)
        kin_changed = True
    else:
        kin_changed = any(getattr(kin, k) != v for k, v in want.items())
        for k, v in want.items():
            setattr(kin, k, v)
        if kin_changed:
            kin.source_file, kin.imported_by = Path(source).name[:200], user or default_user()
    if kin_changed and result.unchanged:
        result.unchanged, result.updated = 0, 1
    result.remarks.append(f"the file's frequency database ({len(table.markers)} loci), mutation model and theta "
                          f"stored as the report's kinship settings (table {name}); the matching computes "
                          f"candidates with Reunite's own settings")
    session.flush()
    result.notes.update(members=len(persons), samples_added=samples.added, samples_updated=samples.updated,
                        samples_unchanged=samples.unchanged, lab=lab, found_case=found_case)
    if samples.added or samples.updated:
        owe_matching(session)   # new DNA for an unchanged family: the matching must run all the same
    return _finish(session, result, user, commit)
