"""Stored records written out as the files labs exchange: profiles as CODIS CMF XML
(:mod:`reunite.labfiles.cmf`), mtDNA sequences as an EMPOP table (:mod:`reunite.labfiles.empop`), and
a stored candidate (a found child against a family) as a Familias ``.fam`` case and as R pedsuite files
(:mod:`reunite.labfiles.familias`, :mod:`reunite.labfiles.pedtools`).

A candidate's case is rebuilt exactly as its kinship report is (:mod:`reunite.reports.store`): the
stored pedigree and profiles, with the frequency table, mutation model and theta the matching recorded
with the candidate (:mod:`reunite.cases.provenance`), never the environment's.  So the file carries the
frequencies and mutation model Reunite used for that candidate's LR, and Familias or forrel recompute
that LR.  Markers the table does not hold are left out of the files, as the LR leaves them out.

An export reads genotypes, so it is audited (who, which candidate or how many samples, the file's name;
never a genotype or a name), and the file holds them, so it is registered in ``written_files`` as an
export: a withdrawal of consent deletes it with every other export (:mod:`reunite.cases.privacy`).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from ..genetics import display_name, parse_profile
from ..genetics.kinship import KinshipCase, missing_person_lr
from ..genetics.markers import Profile
from ..genetics.ystr import KITS
from ..labfiles import SampleProfile, fam_text, pedtools_files, write_cmf, write_emp
from ..labfiles._common import write_atomic
from .audit import append_audit
from .families import stored_family, stored_profile
from .famimport import candidate_fam_case, stored_fam_case
from .importing import _existing, default_user
from .models import Candidate, DnaSample
from .privacy import register_written_file
from .provenance import stored_mutation, stored_table

__all__ = [
    "CandidateExport",
    "candidate_case",
    "check_y_kit",
    "export_candidate_fam",
    "export_candidate_familias_fam",
    "export_candidate_pedtools",
    "export_cmf",
    "export_mt",
    "export_report_fam",
    "lab_mt_samples",
    "lab_samples",
    "sample_labs",
]


def _chosen(session: Session, samples: Iterable[str] | None, lab: str | None = None) -> list[DnaSample]:
    """The samples to export: those named (each must be stored, not erased and, with ``lab``, typed by
    that lab), else every stored one (of ``lab``)."""
    if samples is None:
        q = select(DnaSample).where(DnaSample.erased.is_(False))
        if lab is not None:
            q = q.where(DnaSample.lab == lab)
        # (a sample typed for Y-STRs only has no autosomal marker but a haplotype CMF carries)
        return [r for r in session.scalars(q.order_by(DnaSample.sample)) if r.marker_count > 0 or r.y_haplotype]
    return _named(session, samples, lab, gone=lambda r: r.erased or not (r.genotypes or r.y_haplotype))


def _named(session: Session, samples: Iterable[str], lab: str | None, *, gone,
           lacking=None) -> list[DnaSample]:
    """The named samples of an export, in the order named (duplicates dropped), each of which must be
    stored, not ``gone`` (erased, or with nothing the export carries: said as erased), not ``lacking``
    (a row -> the Problem of a sample without what the export writes, or None) and, with ``lab``, typed by
    that lab; every problem at once."""
    names = list(dict.fromkeys(s.strip() for s in samples if s.strip()))
    if not names:
        raise InputError(Problem("name at least one sample to export", field="samples", code="export_no_samples"))
    stored = _existing(session, DnaSample, DnaSample.sample, names)
    problems = [Problem(f"sample {n!r} is not stored", field="samples", code="export_sample_not_stored",
                        params={"sample": n}) for n in names if n not in stored]
    problems += [Problem(f"sample {n!r} was erased when consent was withdrawn", field="samples",
                         code="export_sample_erased", params={"sample": n})
                 for n in names if n in stored and gone(stored[n])]
    if lacking is not None:
        problems += [p for n in names if n in stored and not gone(stored[n])
                     for p in [lacking(stored[n])] if p is not None]
    if lab is not None:
        problems += [Problem(f"sample {n!r} was typed by another lab", field="samples",
                             code="export_sample_other_lab", params={"sample": n})
                     for n in names if n in stored and stored[n].lab != lab]
    if problems:
        raise InputError(problems)
    return [stored[n] for n in names]


def check_y_kit(name: str | None, problems: list[Problem]) -> str:
    """The Y-STR kit ``name`` as :data:`reunite.genetics.ystr.KITS` spells it (case and ``-``/space
    folded), ``""`` for none; an unknown name adds a problem listing the known ones."""
    raw = (name or "").strip()
    if not raw:
        return ""
    key = raw.lower().replace("-", "_").replace(" ", "_")
    if key in KITS:
        return key
    problems.append(Problem(f"unknown Y-STR kit {raw!r}; the known kits are {', '.join(sorted(KITS))}",
                            field="y_kit", code="unknown_y_kit",
                            params={"kit": raw, "known": ", ".join(sorted(KITS))}))
    return ""


def _typed(column):
    """The column holds a value: SQL NULL is "not typed" (models.DnaSample); the JSON ``null`` of rows
    written before migration 0023 is converted by it."""
    return column.is_not(None)


def sample_labs(session: Session) -> list[tuple[str, int]]:
    """The labs of the stored, unerased samples with a profile (autosomal markers, a Y-STR haplotype or
    an mtDNA sequence), each with its number of samples."""
    q = (select(DnaSample.lab, func.count(DnaSample.id))
         .where(DnaSample.erased.is_(False),
                or_(DnaSample.marker_count > 0, _typed(DnaSample.y_haplotype), _typed(DnaSample.mt_sequence)))
         .group_by(DnaSample.lab).order_by(DnaSample.lab))
    return [(lab, int(n)) for lab, n in session.execute(q)]


def lab_samples(session: Session, lab: str | None = None) -> list[DnaSample]:
    """The stored, unerased samples with a profile (of ``lab``), by sample code: what a CMF export offers."""
    return _chosen(session, None, lab)


def lab_mt_samples(session: Session, lab: str | None = None) -> list[DnaSample]:
    """The stored, unerased samples with an mtDNA sequence (of ``lab``), by sample code: what an EMPOP
    export (:func:`export_mt`) offers."""
    return _chosen_mt(session, None, lab)


def export_cmf(session: Session, out: str | Path, *, samples: Iterable[str] | None = None, source_lab: str,
               destination_ori: str, category: str = "Unidentified Person", kit: str = "", y_kit: str = "",
               user: str | None = None, lab: str | None = None, commit: bool = True) -> int:
    """Write stored profiles as a CMF 3.2 XML file ``out`` (atomically); return the number of specimens.

    ``samples`` are sample codes (default: every stored, unerased sample, or every one of ``lab``).  The
    file is validated against the CMF schema as it is written, registered for erasure and the export
    audited in the same transaction.  ``y_kit`` is the KIT written on the Y-STR loci: one of
    :data:`reunite.genetics.ystr.KITS` (``yfiler_plus``, ``ppy23`` ...), or empty for none."""
    problems = [Problem(f"{what} is required", field=what, code="required") for what, v in
                (("source_lab", source_lab), ("destination_ori", destination_ori)) if not (v or "").strip()]
    y_kit = check_y_kit(y_kit, problems)
    if problems:
        raise InputError(problems)
    rows = _chosen(session, samples, lab)
    if not rows:
        raise InputError(Problem("there is no stored profile to export", field="samples", code="export_nothing"))
    who = user or default_user()
    profiles = [SampleProfile(r.sample, parse_profile({display_name(k): v for k, v in r.genotypes.items()},
                                                      source=f"sample {r.sample}"),
                              y_haplotype=r.y_haplotype or None) for r in rows]
    n = write_cmf(profiles, out, source_lab=source_lab.strip(), destination_ori=destination_ori.strip(),
                  category=category, user=who, kit=kit, y_kit=y_kit)
    return _register_export(session, out, n, who=who, table_name="cmf", fmt="cmf", action="export.cmf",
                            lab=lab, commit=commit)


def _register_export(session: Session, out: str | Path, n: int, *, who: str, table_name: str, fmt: str,
                     action: str, lab: str | None, commit: bool) -> int:
    """Register a written export of ``n`` samples for erasure (reunite.cases.privacy) and audit it; on any
    failure the file is deleted (an unregistered file could not be erased: leave none).  Returns ``n``."""
    try:
        register_written_file(session, out, kind="export", user=who, table_name=table_name, commit=False)
        details = {"format": fmt, "samples": n, "file": Path(out).name}
        if lab is not None:
            details["lab"] = lab
        append_audit(session, who, action, entity="dna_sample", details=details)
        if commit:
            session.commit()
    except BaseException:
        Path(out).unlink(missing_ok=True)
        raise
    return n


def _chosen_mt(session: Session, samples: Iterable[str] | None, lab: str | None) -> list[DnaSample]:
    """The samples whose mtDNA sequences to export: those named (each stored, not erased, with a sequence
    and, with ``lab``, typed by that lab), else every stored one with a sequence (of ``lab``)."""
    if samples is None:
        q = select(DnaSample).where(DnaSample.erased.is_(False), _typed(DnaSample.mt_sequence))
        if lab is not None:
            q = q.where(DnaSample.lab == lab)
        return list(session.scalars(q.order_by(DnaSample.sample)))
    return _named(session, samples, lab, gone=lambda r: r.erased, lacking=_no_mt)


def _no_mt(row: DnaSample) -> Problem | None:
    """The problem of a named sample without an mtDNA sequence (None when it has one)."""
    if row.mt_sequence:
        return None
    return Problem(f"sample {row.sample!r} has no mtDNA sequence", field="samples", code="export_sample_no_mt",
                   params={"sample": row.sample})


def export_mt(session: Session, out: str | Path, *, samples: Iterable[str] | None = None, lab: str | None = None,
              user: str | None = None, commit: bool = True) -> int:
    """Write the stored mtDNA sequences of ``samples`` (sample codes; default every stored, unerased
    sample with a sequence, or every one of ``lab``) as an EMPOP table ``out`` (atomically;
    :func:`reunite.labfiles.write_emp`, which ``reunite import mt`` reads back); return the number of
    samples.  Registered for erasure and audited (``export.mt``: the number of samples, the lab, the
    file's name) in the same transaction."""
    rows = _chosen_mt(session, samples, lab)
    if not rows:
        raise InputError(Problem("there is no stored mtDNA sequence to export", field="samples",
                                 code="export_nothing_mt"))
    who = user or default_user()
    title = f"Reunite export: mtDNA sequences of {len(rows)} sample(s)" + (f" of {lab}" if lab else "")
    n = write_emp({r.sample: dict(r.mt_sequence) for r in rows}, out, title=title)
    return _register_export(session, out, n, who=who, table_name="mt", fmt="empop", action="export.mt",
                            lab=lab, commit=commit)


# ------------------------------------------------------------------ a candidate as a kinship case


def _in_table(profile: Profile, markers) -> Profile:
    keep = {k: v for k, v in profile.genotypes.items() if k in markers}
    return Profile(keep, {k: profile.names.get(k, k) for k in keep}, profile.amelogenin)


def candidate_case(session: Session, candidate_id: int) -> tuple[Candidate, KinshipCase]:
    """The stored candidate and its kinship case: the report's pedigree with its typed relatives, the
    found child as the found person, and the frequency table, mutation model and theta stored with the
    candidate; profiles restricted to the table's markers (the LR leaves the others out).  Reads
    genotypes: the caller audits."""
    cand = session.get(Candidate, int(candidate_id))
    if cand is None:
        raise InputError(Problem(f"no candidate has id {candidate_id}", field="candidate"))
    rep, child = cand.report, cand.found_child
    if not child.sample:
        raise InputError(Problem(f"found child {child.case_number} has no DNA sample", field="candidate"))
    if cand.frequencies_sha256 is None:
        raise InputError(Problem(f"candidate {cand.id} has no stored DNA provenance (frequency table, mutation "
                                 "model); run `reunite match` to record it", field="candidate"))
    samples = {r.sample for r in rep.pedigree if r.sample} | {child.sample}
    stored = {s.sample: s for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(samples)))}
    found = stored_profile(stored.get(child.sample))
    family = stored_family(rep, stored)
    if found is None or family is None:
        raise InputError(Problem(f"candidate {cand.id}: the found child or the family has no usable DNA (erased, "
                                 "or not typed)", field="candidate"))
    table = stored_table(session, cand.frequencies_sha256)
    markers = set(table.markers)
    case = KinshipCase(family.pedigree, {p: _in_table(prof, markers) for p, prof in family.profiles.items()},
                       family.missing, _in_table(found, markers), table, stored_mutation(cand.mutation_model),
                       float(cand.theta or 0.0), id=f"candidate-{cand.id}")
    return cand, case


@dataclass
class CandidateExport:
    """What a candidate's export wrote: the paths, the LR recomputed from the files' case (log10), the LR
    stored with the candidate, and notes (what was left out or added)."""

    paths: list[Path]
    log10_lr: float | None
    stored_log10_lr: float | None
    notes: list[str] = field(default_factory=list)


def _lr_notes(cand: Candidate, case: KinshipCase) -> tuple[float | None, list[str]]:
    result = missing_person_lr(case)
    log10 = result.log10_lr
    stored = cand.dna_log10_lr
    notes = []
    same = (log10 is None and stored is None) or (
        log10 is not None and stored is not None and math.isclose(log10, stored, rel_tol=0, abs_tol=1e-6))
    if not same:
        notes.append(f"the LR recomputed from the stored profiles (log10 {log10}) is not the one stored with the "
                     f"candidate (log10 {stored}); run `reunite match` to bring the candidate up to date")
    return log10, notes


def _record(session: Session, cand: Candidate, paths: list[Path], fmt: str, who: str, n: int,
            commit: bool) -> None:
    try:
        for p in paths:
            register_written_file(session, p, kind="export", user=who, candidate_id=cand.id, table_name=fmt,
                                  commit=False)
        append_audit(session, who, f"export.{fmt}", entity="candidate", entity_id=cand.id,
                     details={"format": fmt, "samples": n, "files": [p.name for p in paths]})
        if commit:
            session.commit()
    except BaseException:
        for p in paths:
            Path(p).unlink(missing_ok=True)
        raise


def export_candidate_fam(session: Session, candidate_id: int, out: str | Path, *, user: str | None = None,
                         commit: bool = True) -> CandidateExport:
    """Write a stored candidate as a Familias ``.fam`` file (H1: the found child is the report's missing
    child; H2: unrelated), with the stored frequencies and mutation model; audited and registered."""
    cand, case = candidate_case(session, candidate_id)
    text, notes = fam_text(case)
    log10, more = _lr_notes(cand, case)
    out = Path(out)
    write_atomic(out, text)
    _record(session, cand, [out], "fam", user or default_user(), len(case.profiles) + 1, commit)
    return CandidateExport([out], log10, cand.dna_log10_lr, notes + more)


def export_candidate_pedtools(session: Session, candidate_id: int, outdir: str | Path | None = None, *,
                              zip_path: str | Path | None = None, user: str | None = None,
                              commit: bool = True) -> CandidateExport:
    """Write a stored candidate as R pedsuite files (``ped.tsv``, ``frequencies.txt``, ``lr.R``,
    ``reunite.json``) into ``outdir``, or as one ZIP file ``zip_path`` (the files in a folder
    ``candidate-ID/``); audited and registered."""
    if (outdir is None) == (zip_path is None):
        raise InputError(Problem("give either a folder or a ZIP file to write", field="out"))
    cand, case = candidate_case(session, candidate_id)
    files = pedtools_files(case)
    log10, notes = _lr_notes(cand, case)
    if zip_path is not None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(f"candidate-{cand.id}/{name}", text)
        paths = [Path(zip_path)]
        write_atomic(paths[0], buf.getvalue())
    else:
        out = Path(outdir)
        paths = []
        for name, text in files.items():
            write_atomic(out / name, text)
            paths.append(out / name)
    _record(session, cand, paths, "pedtools", user or default_user(), len(case.profiles) + 1, commit)
    return CandidateExport(paths, log10, cand.dna_log10_lr, notes)


def export_candidate_familias_fam(session: Session, candidate_id: int, out: str | Path, *, user: str | None = None,
                                  commit: bool = True) -> CandidateExport:
    """For a candidate whose family came from a Familias file: its case with the file's own frequencies,
    mutation model and theta (:func:`reunite.cases.famimport.candidate_fam_case`: the candidate's found
    child as the person of interest) as a ``.fam`` file; audited (``export.fam``, the candidate) and
    registered.  ``log10_lr`` is that case's LR; ``stored_log10_lr`` the candidate's (national) LR."""
    cand = session.get(Candidate, int(candidate_id))
    if cand is None:
        raise InputError(Problem(f"no candidate has id {candidate_id}", field="candidate"))
    got = candidate_fam_case(session, cand)
    if got is None:
        raise InputError(Problem(f"candidate {cand.id}'s family was not imported from a Familias file",
                                 field="candidate", code="fam_no_case", params={"family": cand.report.report_number}))
    _kin, case = got
    text, notes = fam_text(case)
    log10 = missing_person_lr(case, skip_unknown_markers=True).log10_lr
    out = Path(out)
    write_atomic(out, text)
    _record(session, cand, [out], "fam", user or default_user(), len(case.profiles) + 1, commit)
    return CandidateExport([out], log10, cand.dna_log10_lr, notes)


def export_report_fam(session: Session, report: str, out: str | Path, *, user: str | None = None,
                      commit: bool = True) -> CandidateExport:
    """Write the case of a report imported from a Familias file (``reunite import fam``) back as a ``.fam``
    file: the stored pedigree, the relatives' and the person of interest's stored profiles, and the file's
    frequency table, mutation model and theta as the store keeps them
    (:func:`reunite.cases.famimport.stored_fam_case`); audited (``export.fam``, the report) and registered."""
    case = stored_fam_case(session, report)
    text, notes = fam_text(case)
    log10 = missing_person_lr(case).log10_lr
    out = Path(out)
    who = user or default_user()
    write_atomic(out, text)
    try:
        register_written_file(session, out, kind="export", user=who, table_name="fam", commit=False)
        append_audit(session, who, "export.fam", entity="missing_report", details={
            "format": "fam", "report": report, "samples": len(case.profiles) + 1, "files": [out.name]})
        if commit:
            session.commit()
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return CandidateExport([out], log10, None, notes)
