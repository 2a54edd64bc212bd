"""Kinship reports of stored candidates: from the case store to HTML or PDF.

The report is recomputed by the kinship engine from the stored profiles with exactly what the
matching recorded with the candidate (:mod:`reunite.cases.provenance`): the frequency table's
stored content, the mutation model as parsed then, theta and the decision rules; nothing is read
from the environment.  The investigative page prints the candidate's evidence items (every kind, one
line each, with the sentence stored in the report's language), and the prior and the posterior as
stored (what :func:`reunite.evidence.fuse` gave; its log10 odds come from the same function).  The
laboratory (``reunite labs add``) and every sample's kit, dates and chain of custody come from the
store.  Reading the genotypes of a candidate's found child and relatives is audited (who, which
candidate).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..cases.audit import append_audit
from ..cases.families import stored_family, stored_profile
from ..cases.famimport import familias_lr
from ..cases.labs import lab_of
from ..cases.lineage import lineage_method
from ..cases.models import Candidate, DnaSample
from ..cases.privacy import register_written_file
from ..cases.provenance import stored_mutation, stored_table
from ..cases.records import candidate_posterior
from ..errors import InputError, Problem
from ..evidence.registry import get_kind, order_of
from ..genetics.kinship import KinshipCase, missing_person_lr
from ..genetics.rules import RULESETS
from .kinship import (
    _RELATIONS_ZH,
    LANGUAGES,
    EvidenceLR,
    KinshipReport,
    LabInfo,
    SampleRecord,
    build_report,
    default_language,
    render_html,
)
from .lineage import TEXT as LINEAGE_TEXT
from .lineage import _method as method_words
from .pdf import render_pdf

__all__ = ["candidate_report", "other_evidence", "write_candidate_report"]


def _sample_record(sample: DnaSample, person: str, relation: str) -> SampleRecord:
    return SampleRecord(sample.sample, person, relation, sample.sample_kind, sample.kit, sample.typed_on,
                        sample.collected_on, sample.collected_by, sample.sealed_by, sample.received_by,
                        sample.received_on)


def _log_odds(cand: Candidate) -> float | None:
    """The log10 posterior odds of the stored posterior (None when it is 0 or not known), by
    :func:`reunite.evidence.fuse` from the stored prior and items: printed to write a posterior near 1
    as 1 − ε, never a different value."""
    if not cand.posterior:
        return None
    post = candidate_posterior(cand)
    return None if post is None else post.log10_posterior_odds


def other_evidence(cand: Candidate, lang: str) -> list[EvidenceLR]:
    """The candidate's non-DNA items for the investigative page, in the registry's order, each with its
    stored sentence in ``lang``."""
    out = []
    for ev in sorted(cand.evidence, key=lambda e: order_of(e.kind)):
        kind = get_kind(ev.kind)
        if ev.kind == "dna" or (kind is not None and kind.dna):
            continue
        lr = 0.0 if ev.log10_lr is None else (ev.lr if ev.lr is not None else 10.0 ** min(ev.log10_lr, 300))
        out.append(EvidenceLR(ev.kind, lr, ev.sentence_in(lang), ev.kind, ev.log10_lr))
    return out


#: The note of a report whose Y-STR result was computed with another population method than the store's now.
STALE_METHOD = {
    "en": ("The Y-STR result in this report was computed with the population method {old}; the store's method "
           "is now {new}. Run the matching again (reunite match) and print the report again before relying on "
           "the Y-STR LR."),
    "zh": "本报告中的 Y-STR 结果按群体概率估计方法“{old}”计算；本库现在的方法为“{new}”。请重新运行比对（reunite match）"
          "并重新打印报告后再采用该 Y-STR 似然比。",
}


def stale_method_note(lineage: dict | None, current: dict, lang: str) -> str | None:
    """The report's note when a stored Y-STR entry was computed by another method (or α) than ``current``
    (``{"method", "alpha"}``, the store's configured one), as the candidate page marks it; None otherwise."""
    t = LINEAGE_TEXT["zh" if lang == "zh" else "en"]
    for e in (lineage or {}).get("lineage") or ():
        if e.get("marker") == "Y-STR" and (e.get("method"), float(e.get("alpha") or 0.05)) != (
                current["method"], float(current["alpha"])):
            return STALE_METHOD["zh" if lang == "zh" else "en"].format(old=method_words(e, t),
                                                                       new=method_words(current, t))
    return None


def candidate_report(session, candidate_id: int, *, user: str = "reports", lang: str | None = None) -> KinshipReport:
    """The kinship report of a stored candidate (its family must have DNA, and the candidate the
    provenance the matching records: run ``reunite match`` for one stored before it).

    ``lang`` is ``zh`` or ``en`` (default: Chinese under the ``gbt`` rules, English under ``isfg``)."""
    cand = session.get(Candidate, int(candidate_id))
    if cand is None:
        raise InputError(Problem(f"no candidate has id {candidate_id}", field="candidate"))
    if lang is not None and lang not in LANGUAGES:
        raise InputError(Problem(f"the report's language must be zh or en, not {lang!r}", field="lang"))
    rep, child = cand.report, cand.found_child
    if not child.sample:
        raise InputError(Problem(f"found child {child.case_number} has no DNA sample", field="candidate"))
    if cand.frequencies_sha256 is None or cand.rules not in RULESETS:
        raise InputError(Problem(f"candidate {candidate_id} has no stored DNA provenance (frequency table, mutation "
                                 "model, rules); run `reunite match` to record it", field="candidate"))
    rows = rep.pedigree
    samples = {r.sample for r in rows if r.sample} | {child.sample}
    stored = {s.sample: s for s in session.scalars(select(DnaSample).where(DnaSample.sample.in_(samples)))}

    found = stored_profile(stored.get(child.sample))
    family = stored_family(rep, stored)
    if found is None or family is None:
        raise InputError(Problem(f"candidate {candidate_id}: the found child or the family has no usable DNA; "
                                 "a kinship report needs both", field="candidate"))
    table = stored_table(session, cand.frequencies_sha256)
    mutation = stored_mutation(cand.mutation_model)
    case = KinshipCase(family.pedigree, family.profiles, family.missing, found, table, mutation,
                       float(cand.theta or 0.0))
    result = missing_person_lr(case, skip_unknown_markers=True)
    append_audit(session, user, "genotypes.read", entity="candidate", entity_id=cand.id,
                 details={"purpose": "kinship report", "samples": len(family.profiles) + 1})
    session.commit()
    relations = {d.member_id: d.relation for d in rep.relatives}
    records = [_sample_record(stored[child.sample], "found", "")]
    records += [_sample_record(stored[r.sample], r.member_id, relations.get(r.member_id, ""))
                for r in rows if r.sample in stored and r.member_id in family.profiles]
    lab_name = stored[child.sample].lab
    lab = lab_of(session, lab_name)
    labs = {stored[child.sample].lab} | {stored[r.sample].lab for r in rows if r.sample in stored}
    mut = cand.mutation_model or {}
    rules = cand.rules
    lang = lang or default_language(rules)
    other = other_evidence(cand, lang)
    labels = {mid: (_RELATIONS_ZH.get(rel, rel) if lang == "zh" else rel) for mid, rel in relations.items()
              if mid in family.profiles}
    notes = []
    conclusion = result.conclusion(case, rules)
    stored_decision = (cand.dna_conclusion or {}).get("decision")
    dna_item = cand.item("dna")
    lineage = (dna_item.data or {}) if dna_item is not None and (dna_item.data or {}).get("lineage") else None
    if lineage is not None and lineage.get("lineage_log10_lr") is None:
        stored_decision = None   # excluded by a lineage marker, which the recomputed autosomal conclusion cannot see
    stale = stale_method_note(lineage, lineage_method(session).as_dict(), lang) if lineage is not None else None
    if stale is not None:
        notes.append(stale)
    if stored_decision is not None and (stored_decision, bool(cand.dna_excluded)) != (conclusion.decision,
                                                                                      conclusion.excluded):
        notes.append(f"The conclusion stored at matching (Reunite {cand.software_version}) was "
                     f"'{stored_decision}'; recomputed now it is '{conclusion.decision}'. Run `reunite match` "
                     "to bring the candidate up to date.")
    # (labfollow) A family imported from a Familias file: the LR under the file's own settings, shown
    # as a comparison; the report's LR above stays the evidence (reunite.cases.famimport.familias_lr).
    fam_lr = familias_lr(session, cand)
    familias = None if fam_lr is None else fam_lr.as_dict()
    return build_report(case, result, case_number=child.case_number, report_number=rep.report_number,
                        candidate_id=str(cand.id), missing_child_name=rep.child_name or "",
                        laboratory=", ".join(sorted(labs)), other_evidence=other, prior=cand.prior,
                        posterior=cand.posterior, posterior_log10_odds=_log_odds(cand), rules=rules, lang=lang,
                        member_labels=labels,
                        lab=None if lab is None else LabInfo(lab.name, lab.name_zh or "", lab.accreditation or "",
                                                             lab.address or ""),
                        samples=records, mutation_description=mut.get("description"),
                        mutation_spec=mut.get("spec"), frequencies_sha256=cand.frequencies_sha256,
                        conclusion=conclusion, notes=notes, lineage=lineage, familias=familias)


def write_candidate_report(session, candidate_id: int, folder: str | Path, *, fmt: str = "html",
                           user: str = "reports", lang: str | None = None) -> Path:
    """Write the report of a candidate as ``candidate-ID.html`` or ``.pdf`` in ``folder``."""
    if fmt not in ("html", "pdf"):
        raise InputError(Problem(f"format must be html or pdf, not {fmt!r}", field="format"))
    report = candidate_report(session, candidate_id, user=user, lang=lang)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"candidate-{int(candidate_id)}.{fmt}"
    if fmt == "html":
        path.write_text(render_html(report), encoding="utf-8")
    else:
        render_pdf(report, path)
    # Registered, so that a withdrawal of consent deletes it (reunite.cases.privacy).
    register_written_file(session, path, kind="report", user=user, candidate_id=int(candidate_id))
    return path
