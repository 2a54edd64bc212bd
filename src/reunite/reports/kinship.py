"""The kinship report a lab signs: one found child against one missing-child report's family.

:func:`build_report` gathers everything a report shows from a :class:`~reunite.genetics.KinshipCase`
and its :class:`~reunite.genetics.LRResult` into a :class:`KinshipReport`; :func:`render_html` and
:func:`reunite.reports.pdf.render_pdf` print it, in Chinese (``lang="zh"``) or English.  Both show the
same texts (:func:`view`), in this order.

The DNA opinion, standing alone: the laboratory (name, accreditation number, address), the case
identifiers, the samples with their kit, collection and typing dates and chain of custody (who
collected, sealed and received each), the hypotheses, the conclusion under the decision rules
(:mod:`reunite.genetics.rules`: decision, reason, the rule and its source, the LR and its verbal
equivalent), the pedigree drawing, the per-marker table, the method (frequency table and its source,
theta and its convention, the mutation model and its source, independence), the provenance and the
signature and seal fields.  Then, on a page of its own that says it is not part of the DNA opinion,
the investigative evidence: one line per evidence item (DNA, sex, age, time, place, marks ...: every
kind registered in :mod:`reunite.evidence.registry`, with its LR and its sentence in the report's
language), the prior and the posterior (computed by :func:`reunite.evidence.fuse`).  The software
version and the content hash are printed on every page.

The content hash is the SHA-256 of :meth:`KinshipReport.canonical_json`: the report's content
(identifiers, names, laboratory, samples, pedigree, genotypes, results, conclusion, evidence,
assumptions, software version and a digest of the frequency table) as sorted, compact UTF-8 JSON.
It leaves out the generation time and the hash itself, so the same content always gives the same
hash, and any change to it, a single allele included, gives another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from .. import __version__
from ..errors import InputError, Problem
from ..evidence.fusion import EvidenceItem, dna_evidence, from_lr, fuse, kind_label
from ..genetics import KinshipCase, LRResult, display_name, format_lr, marker_key
from ..genetics.frequencies import FrequencyTable, bundled_tables, source_readme
from ..genetics.mutation import DEFAULT_MUTATION, MutationSpec
from ..genetics.rules import DEFAULT_RULES, Conclusion
from .lineage import lineage_section
from .pedigree_drawing import PedigreeDrawing, draw_pedigree

__all__ = [
    "LANGUAGES",
    "Assumptions",
    "EvidenceLR",
    "KinshipReport",
    "LabInfo",
    "MarkerRow",
    "SampleRecord",
    "build_report",
    "default_language",
    "render_html",
]

#: Version of the canonical JSON the content hash is taken over; bump it if its shape changes.
HASH_FORMAT = "reunite-kinship-report/2"
LANGUAGES = ("zh", "en")

INDEPENDENCE = ("Markers are treated as independent (product rule); the DNA and each other piece of "
                "evidence are treated as independent given each hypothesis, so their LRs multiply.")
H1 = "the found child is the missing member of the family's pedigree"
H2 = "the found child is unrelated to the family"
UNTYPED = "–"
THETA_SOURCE = ("Balding DJ, Nichols RA (1994), Forensic Sci Int 64:125–140; pedprobr (R pedsuite), "
                "likelihood(theta =)")
MUTATION_SOURCE = ("AABB Parentage Testing Program, Annual Report Summary for Testing in 2002 (2003), p. 15, "
                   "as printed in Butler, Forensic DNA Typing, 2nd ed. (2005), Table 6.3; stepwise model of "
                   "pedmut (rate2 1e-6, range 0.1); markers without a published rate: the mean of the 17 rates")
MUTATION_GIVEN = "model and parameters as given (definitions of the R package pedmut)"


def default_language(rules: str) -> str:
    """The report's language by default: Chinese under China's standards (``gbt``), else English."""
    return "zh" if rules == "gbt" else "en"


@dataclass(frozen=True)
class MarkerRow:
    """One line of the per-marker table.

    ``relatives`` holds one genotype per member of :attr:`KinshipReport.typed_relatives`, in that
    order; genotypes are written ``12/14`` and an untyped marker ``–``.
    """

    marker: str
    found: str
    relatives: tuple[str, ...]
    lr: float
    log10_lr: float | None
    inconsistent: bool
    added_alleles: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceLR:
    """A non-DNA evidence LR shown on the investigative page: its name, value and a sentence.

    A stored item gives its ``kind`` (its label is then the registered one, in the report's
    language) and its ``log10_lr`` (authoritative when set: an LR beyond the range of floats)."""

    name: str
    lr: float
    sentence: str = ""
    kind: str = ""
    log10_lr: float | None = None

    def item(self) -> EvidenceItem:
        """The evidence item :func:`reunite.evidence.fuse` combines."""
        kind = self.kind or self.name
        if self.log10_lr is not None:
            return from_lr(kind, log10_lr=self.log10_lr)
        return from_lr(kind, self.lr)


@dataclass(frozen=True)
class LabInfo:
    """The laboratory that signs the report: its name (and Chinese name), accreditation, address."""

    name: str
    name_zh: str = ""
    accreditation: str = ""
    address: str = ""


@dataclass(frozen=True)
class SampleRecord:
    """One sample in the report, with its typing and its chain of custody (None: not recorded).

    ``person`` is the pedigree member id (the found child's is ``found``), ``relation`` its relation
    to the missing child as recorded (e.g. ``father``)."""

    sample: str
    person: str
    relation: str = ""
    kind: str | None = None
    kit: str | None = None
    typed_on: dt.date | None = None
    collected_on: dt.date | None = None
    collected_by: str | None = None
    sealed_by: str | None = None
    received_by: str | None = None
    received_on: dt.date | None = None

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Assumptions:
    """Everything the LR rests on besides the data."""

    frequency_table: str
    frequency_source: str
    mutation: str
    theta: float
    independence: str = INDEPENDENCE
    hypotheses: tuple[str, str] = (H1, H2)
    notes: tuple[str, ...] = ()
    mutation_source: str = ""
    frequencies_sha256: str = ""


@dataclass(frozen=True)
class KinshipReport:
    """Everything one kinship report shows; build it with :func:`build_report`.

    ``case_number`` is the found child's case number, ``report_number`` the missing-child report's
    number and ``candidate_id`` the candidate (found child x report) the report is about.  Names
    (``missing_child_name``, ``found_child_name``, ``member_labels`` by pedigree id) may be
    Chinese or empty.  ``prior`` and ``posterior`` are probabilities of H1 (the investigative page).
    ``conclusion`` is the DNA conclusion under ``rules``; ``lang`` the language it is printed in.
    """

    case_number: str
    report_number: str
    candidate_id: str
    case: KinshipCase
    result: LRResult
    typed_relatives: tuple[str, ...]
    markers: tuple[MarkerRow, ...]
    assumptions: Assumptions
    conclusion: Conclusion
    rules: str = DEFAULT_RULES
    lang: str = "en"
    missing_child_name: str = ""
    found_child_name: str = ""
    member_labels: Mapping[str, str] = field(default_factory=dict)
    laboratory: str = ""
    lab: LabInfo | None = None
    samples: tuple[SampleRecord, ...] = ()
    other_evidence: tuple[EvidenceLR, ...] = ()
    prior: float | None = None
    posterior: float | None = None
    posterior_log10_odds: float | None = None
    #: The lineage evidence (Y-STR, mtDNA) the matching multiplied into the candidate's DNA LR: the DNA
    #: item's stored data (:mod:`reunite.cases.matching`); printed as the lineage section.
    lineage: Mapping | None = None
    #: For a family imported from a Familias file: the candidate's LR under the file's own frequencies,
    #: mutation model and theta (:class:`reunite.cases.famimport.FamiliasLR` as a dict), printed after the
    #: conclusion as a comparison; the evidence stays :attr:`result` (the national table).
    familias: Mapping | None = None
    software_version: str = __version__
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    # -------------------------------------------------------------- what the result says
    @property
    def combined_lr(self) -> float | None:
        return self.result.lr

    @property
    def log10_lr(self) -> float | None:
        return self.result.log10_lr

    @property
    def verbal(self) -> str:
        """The verbal equivalent of the combined DNA LR, as the conclusion says it (English)."""
        return self.conclusion.verbal

    @property
    def inconsistent_markers(self) -> list[str]:
        return [r.marker for r in self.markers if r.inconsistent]

    # ------------------------------------------------------------------------ the hash
    def content(self) -> dict:
        """The report's content as plain data: what the hash covers (no time, no hash)."""
        case = self.case
        lab = self.lab
        return {
            "format": HASH_FORMAT,
            "lang": self.lang,
            "identifiers": {"case_number": self.case_number, "report_number": self.report_number,
                            "candidate_id": self.candidate_id, "case_id": case.id},
            "names": {"missing_child": self.missing_child_name, "found_child": self.found_child_name,
                      "members": dict(sorted(self.member_labels.items())), "laboratory": self.laboratory},
            "lab": None if lab is None else {"name": lab.name, "name_zh": lab.name_zh,
                                             "accreditation": lab.accreditation, "address": lab.address},
            "samples": [s.as_dict() for s in self.samples],
            "pedigree": case.pedigree.as_records(),
            "missing": case.missing,
            "genotypes": {pid: _profile_data(prof) for pid, prof in sorted(case.profiles.items())},
            "found": _profile_data(case.found),
            "found_amelogenin": list(case.found.amelogenin) if case.found.amelogenin else None,
            "typed_relatives": list(self.typed_relatives),
            "markers": [
                {"marker": r.marker, "found": r.found, "relatives": list(r.relatives), "lr": _num(r.lr),
                 "log10_lr": _num(r.log10_lr), "inconsistent": r.inconsistent,
                 "added_alleles": list(r.added_alleles)}
                for r in self.markers],
            "result": {"lr": _num(self.result.lr), "log10_lr": _num(self.result.log10_lr),
                       "markers_compared": self.result.markers_compared,
                       "inconsistent_markers": list(self.result.inconsistent_markers),
                       "skipped_markers": list(self.result.skipped_markers),
                       "warnings": list(self.result.warnings)},
            "conclusion": _plain(self.conclusion.as_dict()),
            "rules": self.rules,
            "other_evidence": [{"name": e.name, "lr": _num(e.lr), "sentence": e.sentence,
                                **({"kind": e.kind, "log10_lr": _num(e.log10_lr)} if e.kind else {})}
                               for e in self.other_evidence],
            **({"familias": _plain(dict(self.familias))} if self.familias else {}),
            "prior": _num(self.prior),
            "posterior": _num(self.posterior),
            "posterior_log10_odds": _num(self.posterior_log10_odds),
            "assumptions": {"frequency_table": self.assumptions.frequency_table,
                            "frequency_source": self.assumptions.frequency_source,
                            "frequencies_sha256": _table_digest(case.frequencies),
                            "frequencies_content_sha256": self.assumptions.frequencies_sha256,
                            "mutation": self.assumptions.mutation,
                            "mutation_source": self.assumptions.mutation_source,
                            "theta": _num(self.assumptions.theta),
                            "independence": self.assumptions.independence,
                            "hypotheses": list(self.assumptions.hypotheses),
                            "notes": list(self.assumptions.notes)},
            "software": f"reunite {self.software_version}",
        }

    def canonical_json(self) -> str:
        """:meth:`content` as canonical JSON (sorted keys, no spaces, UTF-8 text kept as is)."""
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)

    @property
    def content_hash(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`, printed on every page of the report."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def drawing(self) -> PedigreeDrawing:
        """The pedigree drawing: typed relatives filled, the missing member marked."""
        labels = dict(self.member_labels)
        if self.missing_child_name and self.case.missing not in labels:
            labels[self.case.missing] = self.missing_child_name
        return draw_pedigree(self.case.pedigree, typed=self.typed_relatives, missing=self.case.missing,
                             labels=labels, lineage_typed=self.lineage_typed())

    def lineage_typed(self) -> dict[str, str]:
        """The members typed only at lineage markers (``"Y"``, ``"mt"`` or ``"Y+mt"``), read from the
        lineage evidence: every relative of the line it lists that has no autosomal profile here.  (A
        man typed at Y-STR off the paternal line is in no lineage comparison, so not known here.)"""
        kinds: dict[str, list[str]] = {}
        for e in (self.lineage or {}).get("lineage") or []:
            kind = "Y" if e.get("marker") == "Y-STR" else "mt"
            who = {e.get("relative"), *(e.get("others_on_line") or []),
                   *(r.get("relative") for r in e.get("line") or [])}
            for pid in who:
                if pid and pid in self.case.pedigree.persons and pid not in self.typed_relatives \
                        and kind not in kinds.setdefault(pid, []):
                    kinds[pid].append(kind)
        return {pid: "+".join(sorted(k, key=("Y", "mt").index)) for pid, k in kinds.items()}


def _num(x: float | None) -> float | str | None:
    """A number for canonical JSON: floats as Python writes them, non-finite ones as text."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _plain(data):
    """Data for canonical JSON: tuples as lists, non-finite floats as text."""
    if isinstance(data, float):
        return _num(data)
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return data


def _profile_data(prof) -> dict[str, list[str]]:
    return {k: list(v) for k, v in sorted(prof.genotypes.items())}


def _table_digest(table: FrequencyTable) -> str:
    h = hashlib.sha256()
    for key in sorted(table.markers):
        mf = table.markers[key]
        h.update(json.dumps([key, list(mf.alleles), [float(f) for f in mf.freqs]]).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------ building
@lru_cache(maxsize=64)
def _bundled_source(name: str) -> str | None:
    """The source of a bundled table, from the bundled tables' README."""
    previous = None
    for line in source_readme().splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [re.sub(r"[`*]", "", c).strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or cells[0] == "file":
            continue
        population, _markers, size, source, licence = cells[1:6]
        if source.lower().startswith("as above") and previous:
            source = previous
        previous = source
        if re.search(rf"(^|[\s,]){re.escape(name)}\.csv\b", cells[0]):
            return f"{population}; sample size: {size}. Source: {source}. Licence: {licence}."
    return None


def _frequency_source(table: FrequencyTable) -> str:
    if table.name in bundled_tables():
        found = _bundled_source(table.name)
        if found:
            return found
    if table.name == "inline":
        return "frequencies given with the case (inline)"
    return table.source or table.name


def mutation_source(mutation, spec: object = None) -> str:
    """Where a mutation model's rates come from: the bundled published rates' source, or 'as given'."""
    if mutation is None:
        return ""
    bundled = (isinstance(mutation, MutationSpec) and mutation.name == DEFAULT_MUTATION) or \
        (isinstance(spec, str) and spec.strip().lower() in ("default", DEFAULT_MUTATION))
    return MUTATION_SOURCE if bundled else MUTATION_GIVEN


def _genotype(prof, key: str) -> str:
    gt = prof.genotypes.get(key) if prof is not None else None
    return "/".join(gt) if gt else UNTYPED


def _evidence(items: Iterable[EvidenceLR | Sequence]) -> tuple[EvidenceLR, ...]:
    out = []
    problems = []
    for i, item in enumerate(items, start=1):
        ev = item if isinstance(item, EvidenceLR) else EvidenceLR(*item)
        if isinstance(ev.lr, bool) or not isinstance(ev.lr, int | float) or not (ev.lr >= 0 and math.isfinite(ev.lr)):
            problems.append(Problem(f"other evidence {i} ({ev.name}): the LR must be a finite number >= 0, "
                                    f"got {ev.lr!r}", field="other_evidence"))
            continue
        out.append(EvidenceLR(str(ev.name), float(ev.lr), str(ev.sentence or ""), str(ev.kind or ""),
                              None if ev.log10_lr is None else float(ev.log10_lr)))
    if problems:
        raise InputError(problems)
    return tuple(out)


def _posterior(result: LRResult, evidence: Sequence[EvidenceLR], prior: float,
               excluded: bool) -> tuple[float | None, float | None]:
    """Posterior probability of H1 and its log10 odds, by :func:`reunite.evidence.fuse` from the prior,
    the DNA result and every other LR (0 if excluded)."""
    if result.log10_lr is None and result.lr != 0:
        return None, None
    post = fuse([dna_evidence(result), *(e.item() for e in evidence)], prior=prior, excluded=excluded)
    return post.probability, post.log10_posterior_odds


def build_report(case: KinshipCase, result: LRResult, *, case_number: str, report_number: str,
                 candidate_id: str = "", missing_child_name: str = "", found_child_name: str = "",
                 member_labels: Mapping[str, str] | None = None, laboratory: str = "",
                 other_evidence: Iterable[EvidenceLR | Sequence] = (), prior: float | None = None,
                 posterior: float | None = None, frequency_source: str | None = None,
                 generated_at: datetime | None = None, rules: str = DEFAULT_RULES, lang: str | None = None,
                 conclusion: Conclusion | None = None, lab: LabInfo | None = None,
                 samples: Iterable[SampleRecord] = (), mutation_description: str | None = None,
                 mutation_spec: object = None, frequencies_sha256: str = "",
                 posterior_log10_odds: float | None = None, notes: Iterable[str] = (),
                 lineage: Mapping | None = None, familias: Mapping | None = None) -> KinshipReport:
    """Fill a :class:`KinshipReport` from a case and the result of ``missing_person_lr(case)``.

    ``other_evidence`` holds :class:`EvidenceLR` or ``(name, lr, sentence)`` tuples.  Given a
    ``prior`` (probability of H1) and no ``posterior``, the posterior is computed from the prior,
    the DNA LR and every other LR (0 when the conclusion excludes); a stored candidate passes both,
    as stored, so the report prints what the store holds.  ``frequency_source`` overrides the source
    text found for the frequency table.  ``conclusion`` defaults to the result's conclusion under
    ``rules`` for this case (:meth:`LRResult.conclusion`); ``lang`` (``zh`` or ``en``) to
    :func:`default_language` of the rules.  ``lab`` and ``samples`` are the laboratory and the
    samples (with their chain of custody) the report prints.  ``posterior_log10_odds`` (with a given
    posterior) is printed to write a posterior near 1 as ``1 − ε``.  ``notes`` are added to the
    assumptions' notes.
    """
    problems = []
    for name, value in (("case_number", case_number), ("report_number", report_number)):
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(f"{name} must be a non-empty text", field=name))
    for name, value in (("prior", prior), ("posterior", posterior)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not 0 <= value <= 1 or (name == "prior" and value in (0, 1))):
            problems.append(Problem(f"{name} must be a probability {'in (0, 1)' if name == 'prior' else 'in [0, 1]'}"
                                    f", got {value!r}", field=name))
    lang = lang if lang is not None else default_language(rules)
    if lang not in LANGUAGES:
        problems.append(Problem(f"the report's language must be zh or en, not {lang!r}", field="lang"))
    if problems:
        raise InputError(problems)
    notes_extra = [str(n) for n in notes]
    if conclusion is None:
        conclusion = result.conclusion(case, rules)
    evidence = _evidence(other_evidence)
    table = case.frequencies
    used = [marker_key(m.marker) for m in result.markers]
    relatives = tuple(pid for pid in case.pedigree.order
                      if pid != case.missing and pid in case.profiles
                      and any(k in case.profiles[pid].genotypes for k in used))
    rows = tuple(
        MarkerRow(display_name(m.marker), "/".join(m.found) if m.found else UNTYPED,
                  tuple(_genotype(case.profiles.get(pid), key) for pid in relatives),
                  m.lr, m.log10_lr, m.inconsistent, tuple(m.added_alleles))
        for m, key in zip(result.markers, used, strict=True))
    notes = []
    for marker, alleles in result.added_alleles.items():
        notes.append(f"{display_name(marker)}: allele(s) {', '.join(alleles)} not in the frequency table, "
                     "added at frequency 0.001 with the others scaled by 0.999.")
    if result.skipped_markers:
        notes.append("Typed in the found child but not in the frequency table, left out of the LR: "
                     + ", ".join(display_name(m) for m in result.skipped_markers) + ".")
    untyped = [display_name(m.marker) for m in result.markers if m.found is None]
    if untyped:
        notes.append("Not typed in the found child (LR 1): " + ", ".join(untyped) + ".")
    notes.extend(result.warnings)
    notes.append("Untyped members of the pedigree are summed over (exact peeling).")
    notes.extend(notes_extra)
    mutation = mutation_description or result.mutation
    assumptions = Assumptions(
        frequency_table=result.frequencies,
        frequency_source=frequency_source if frequency_source is not None else _frequency_source(table),
        mutation=mutation if mutation != "none" else "none (an inconsistent marker gives LR 0)",
        theta=float(result.theta), notes=tuple(notes),
        mutation_source=mutation_source(case.mutation, mutation_spec), frequencies_sha256=frequencies_sha256)
    log_odds = None
    if prior is not None and posterior is None:
        posterior, log_odds = _posterior(result, evidence, float(prior), conclusion.excluded)
    elif posterior is not None and posterior_log10_odds is not None and posterior > 0:
        log_odds = float(posterior_log10_odds)
    elif posterior is not None and 0 < posterior < 1:
        log_odds = math.log10(posterior) - math.log10(1 - posterior)
    return KinshipReport(
        case_number=case_number.strip(), report_number=report_number.strip(), candidate_id=str(candidate_id).strip(),
        case=case, result=result, typed_relatives=relatives, markers=rows, assumptions=assumptions,
        conclusion=conclusion, rules=rules, lang=lang,
        missing_child_name=missing_child_name, found_child_name=found_child_name,
        member_labels=dict(member_labels or {}), laboratory=laboratory, lab=lab, samples=tuple(samples),
        other_evidence=evidence,
        prior=None if prior is None else float(prior), posterior=None if posterior is None else float(posterior),
        posterior_log10_odds=log_odds, lineage=lineage, familias=familias,
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0))


# ---------------------------------------------------------------------- what is printed
#: The texts of the report in each language (numbers and data are filled in by :func:`view`).
TEXT = {
    "en": {
        "title": "Kinship report: missing-person identification",
        "subtitle": "DNA opinion",
        "header": "Reunite · kinship report",
        "header_pair": "Found child {case} × report {report}",
        "page": "Page {n} of {total}",
        "lab": "Laboratory", "case": "Case", "samples": "Samples and chain of custody",
        "hypotheses": "Hypotheses", "conclusion": "Conclusion", "pedigree": "Pedigree",
        "markers": "Genotypes and per-marker likelihood ratios", "method": "Method and assumptions",
        "provenance": "Provenance", "signatures": "Signatures and seal",
        "lab_name": "Laboratory", "lab_name_zh": "Name (Chinese)", "accreditation": "Accreditation number",
        "address": "Address", "not_recorded": "not recorded",
        "found_case": "Found child case number", "found_name": "Found child's name",
        "report_number": "Missing-child report number", "missing_name": "Missing child's name",
        "candidate": "Candidate", "kinship_case": "Kinship case", "laboratory": "Laboratory",
        "sample_cols": ("Sample", "Person", "Kind", "Kit", "Collected (date, by)", "Sealed by",
                        "Received (date, by)", "Typed on"),
        "found_child": "found child", "no_samples": "No sample records were given with this report.",
        "decision": "Decision", "reason": "Reason", "rule": "Rule", "source": "Source",
        "relationship": "Relationship class", "lr": "Combined likelihood ratio (DNA)", "log10": "log10 LR",
        "verbal": "Verbal equivalent (ENFSI)", "compared": "Markers compared",
        "inconsistent": "Inconsistent markers", "none": "none", "alternatives": "Other relationships (LR)",
        "type_more": "Type more markers", "yes": "yes", "no": "no",
        "lr_head": "The DNA results are {x} times more probable if the found child is the family's missing member "
                   "than if unrelated.",
        "lr_zero": "LR 0: {n} marker(s) cannot be explained without mutation.",
        "m_marker": "Marker", "m_found": "Found child", "m_lr": "LR", "m_log10": "log10 LR", "m_note": "Note",
        "m_inconsistent": "inconsistent", "m_added": "allele added",
        "m_legend": "Genotypes are allele repeat numbers; “–” is not typed. “inconsistent”: the marker cannot be "
                    "explained without mutation; its LR is computed under the mutation model in the assumptions.",
        "pedigree_legend": ("male", "female", "sex unknown", "typed relative", "untyped (summed over)",
                            "missing member {m} (the found child under H1)"),
        "freq": "Allele frequencies", "freq_source": "Frequency source", "freq_sha": "Frequency table (SHA-256)",
        "theta": "Theta (FST)", "theta_convention": "Theta convention", "theta_source": "Theta source",
        "mutation": "Mutation model", "mutation_source": "Mutation rates source", "independence": "Independence",
        "note": "Note", "rules": "Decision rules",
        "theta_text": "Founders' alleles are sampled jointly by the Balding–Nichols formula, as pedprobr's "
                      "likelihood(theta = ) does: the j-th founder allele, of type a, has probability "
                      "(b·θ + (1 − θ)·p_a) / (1 + (j − 2)·θ), b the number of earlier founder alleles of type a; "
                      "with θ = 0 the founders are in Hardy–Weinberg equilibrium.",
        "software": "Software", "generated": "Generated", "hash": "Content hash (SHA-256)",
        "sign": ("Analyst (name, signature, date)", "Reviewer (name, signature, date)",
                 "Authorised signatory (name, signature, date)", "Date of issue"),
        "seal": "Seal of the laboratory\n鉴定机构盖章",
        "inv_title": "Investigative evidence — not part of the DNA opinion",
        "evidence": "Evidence", "says": "What it says", "dna": "DNA (autosomal STRs)",
        "prior": "Prior probability of H1", "posterior": "Posterior probability of H1",
        "odds": "Posterior odds (log10)", "no_prior": "No prior was given, so no posterior probability is stated.",
        "excluded_posterior": "0 (the DNA conclusion excludes the pair)",
        "one_in": " (1 in {n})",
    },
    "zh": {
        "title": "亲缘关系鉴定意见书",
        "subtitle": "DNA 鉴定意见（失踪人员认定）",
        "header": "Reunite · 亲缘关系鉴定",
        "header_pair": "被寻儿童 {case} × 报案 {report}",
        "page": "第 {n} 页，共 {total} 页",
        "lab": "鉴定机构", "case": "案件信息", "samples": "检材与流转记录",
        "hypotheses": "鉴定假设", "conclusion": "鉴定意见", "pedigree": "家系图",
        "markers": "基因分型与各基因座似然比", "method": "计算方法与依据",
        "provenance": "数据来源", "signatures": "签署与盖章",
        "lab_name": "鉴定机构", "lab_name_zh": "机构名称（英文）", "accreditation": "认可证书编号",
        "address": "地址", "not_recorded": "未记录",
        "found_case": "被寻儿童案件编号", "found_name": "被寻儿童姓名",
        "report_number": "失踪儿童报案编号", "missing_name": "失踪儿童姓名",
        "candidate": "比中记录", "kinship_case": "亲缘案例", "laboratory": "检验实验室",
        "sample_cols": ("样本编号", "被检人", "样本类型", "试剂盒", "采集（日期、采集人）", "封存人",
                        "接收（日期、接收人）", "检验日期"),
        "found_child": "被寻儿童", "no_samples": "本报告未附样本记录。",
        "decision": "判定", "reason": "理由", "rule": "判定规则", "source": "依据标准",
        "relationship": "亲缘关系类别", "lr": "累积似然比（DNA）", "log10": "log10 似然比",
        "verbal": "言语等级（ENFSI）", "compared": "比对基因座数", "inconsistent": "不符合遗传规律的基因座",
        "none": "无", "alternatives": "其他亲缘关系（似然比）", "type_more": "需增加检测基因座",
        "yes": "是", "no": "否",
        "lr_head": "DNA 分型结果在“被寻儿童是该家系失踪成员”假设下出现的概率是“与该家系无关”假设下的 {x} 倍。",
        "lr_zero": "似然比为 0：{n} 个基因座在不考虑突变时无法解释。",
        "m_marker": "基因座", "m_found": "被寻儿童", "m_lr": "似然比", "m_log10": "log10", "m_note": "备注",
        "m_inconsistent": "不符合", "m_added": "补入等位基因",
        "m_legend": "分型为等位基因重复数；“–”表示未检测。“不符合”：不考虑突变时该基因座无法解释，"
                    "其似然比按下文的突变模型计算。",
        "pedigree_legend": ("男", "女", "性别不详", "已检测亲属", "未检测（求和）",
                            "失踪成员 {m}（H1 下即被寻儿童）"),
        "freq": "等位基因频率表", "freq_source": "频率数据来源", "freq_sha": "频率表内容（SHA-256）",
        "theta": "θ（FST）", "theta_convention": "θ 的处理方式", "theta_source": "θ 的依据",
        "mutation": "突变模型", "mutation_source": "突变率来源", "independence": "独立性假设", "note": "说明",
        "rules": "判定规则集",
        "theta_text": "按 pedprobr 软件 likelihood(theta = ) 的方法，以 Balding–Nichols 抽样公式对家系所有奠基者的"
                      "等位基因联合抽样：第 j 个奠基者等位基因为 a 的概率为 (b·θ + (1 − θ)·p_a) / (1 + (j − 2)·θ)，"
                      "b 为此前已抽到的 a 的个数；θ = 0 时奠基者符合哈迪–温伯格平衡。",
        "software": "软件", "generated": "生成时间", "hash": "内容哈希（SHA-256）",
        "sign": ("检验人（签名、日期）", "复核人（签名、日期）", "授权签字人（签名、日期）", "签发日期"),
        "seal": "鉴定机构盖章",
        "inv_title": "侦查参考信息——不属于 DNA 鉴定意见",
        "evidence": "证据", "says": "含义", "dna": "DNA（常染色体 STR）",
        "prior": "H1 的先验概率", "posterior": "H1 的后验概率", "odds": "后验几率（log10）",
        "no_prior": "未给出先验概率，故不给出后验概率。",
        "excluded_posterior": "0（DNA 鉴定意见排除）",
        "one_in": "（约 {n} 分之 1）",
    },
}
#: The notice of the investigative page, always in both languages.
INVESTIGATIVE_NOTICE = (
    "本页所列性别、年龄、时间、地点、体征等非 DNA 证据以及先验概率、后验概率仅供侦查参考，不属于前述 DNA 鉴定意见，"
    "鉴定机构不对其作出鉴定。",
    "The non-DNA evidence on this page (sex, age, time, place, marks ...), the prior and the posterior are for the "
    "investigators only: they are not part of the DNA opinion above, and the laboratory does not certify them.",
)
_HYPOTHESES = {"en": (H1, H2), "zh": ("被寻儿童是该家系中的失踪成员", "被寻儿童与该家系无血缘关系")}
_INDEPENDENCE_ZH = "各基因座相互独立（乘积规则）；DNA 与其他各项证据在每一假设下相互独立，其似然比相乘。"
_KINDS = {"en": {"blood_card": "blood card", "buccal_swab": "buccal swab", "blood": "blood", "hair": "hair",
                 "tissue": "tissue", "bone": "bone", "tooth": "tooth", "other": "other"},
          "zh": {"blood_card": "血样卡", "buccal_swab": "口腔拭子", "blood": "血液", "hair": "毛发",
                 "tissue": "组织", "bone": "骨骼", "tooth": "牙齿", "other": "其他"}}
_RELATIONS_ZH = {"father": "父亲", "mother": "母亲", "full sibling": "全同胞", "half sibling": "半同胞",
                 "child": "子女", "grandparent": "祖辈", "aunt or uncle": "叔伯姑舅姨", "other relative": "其他亲属"}
_CLASSES = {"en": {"parentage_trio": "parentage (trio: both parents typed)",
                   "parentage_duo": "parentage (duo: one parent typed)", "full_siblings": "full siblings",
                   "second_degree": "second-degree kinship", "distant": "distant kinship"},
            "zh": {"parentage_trio": "亲子关系（三联体）", "parentage_duo": "亲子关系（二联体）",
                   "full_siblings": "全同胞关系", "second_degree": "二级亲缘关系", "distant": "远亲关系"}}
_DECISIONS = {"en": {"support": "support", "exclusion": "exclusion", "inconclusive": "inconclusive",
                     "no_decision": "no categorical decision"},
              "zh": {"support": "支持", "exclusion": "排除", "inconclusive": "无法判定", "no_decision": "不作分类判定"}}
_EVIDENCE_ZH = {"sex": "性别", "age": "年龄", "time": "时间"}


def _sci(x: float) -> str:
    """A small or large number in the notation of :func:`format_lr` (``3.20 × 10^-5``)."""
    if x == 0:
        return "0"
    return format_lr(x, math.log10(x))


def _probability(p: float | None, log_odds: float | None = None, lang: str = "en") -> str:
    if p is None:
        return "undefined" if lang == "en" else "无法计算"
    if p == 0:
        return "0"
    if log_odds is not None and log_odds > 3:
        # 1 - p = 1 / (1 + odds), written without the rounding of p itself.
        return f"1 − {_sci(10.0 ** -log_odds / (1.0 + 10.0 ** -log_odds))}"
    if p >= 0.01:
        return f"{p:.4g}"
    return _sci(p) + (TEXT[lang]["one_in"].format(n=f"{1 / p:,.0f}") if p < 0.5 else "")


def _log10(x: float | None, lr: float | None = None) -> str:
    if x is None:
        return "−∞" if lr == 0 else "undefined"
    return f"{x:.2f}".replace("-", "−")


def _evidence_sentence(lr: float, lang: str = "en") -> str:
    """What an LR given without a sentence says, in words."""
    if lang == "zh":
        if lr == 0:
            return "该证据排除被寻儿童是失踪儿童。"
        if lr == 1:
            return "该证据对两种假设均无支持。"
        if lr > 1:
            return f"该证据在 H1 下出现的概率是 H2 下的 {format_lr(lr, math.log10(lr))} 倍。"
        return f"该证据在 H2 下出现的概率是 H1 下的 {format_lr(1 / lr, -math.log10(lr))} 倍。"
    if lr == 0:
        return "This evidence excludes that the found child is the missing child."
    if lr == 1:
        return "This evidence supports neither hypothesis."
    if lr > 1:
        return f"This evidence is {format_lr(lr, math.log10(lr))} times more probable if H1 is true than if H2 is."
    return f"This evidence is {format_lr(1 / lr, -math.log10(lr))} times more probable if H2 is true than if H1 is."


_NOTES_ZH = (
    (re.compile(r"^(.*): allele\(s\) (.*) not in the frequency table, added at frequency 0\.001 with the others "
                r"scaled by 0\.999\.$"), "{0}：等位基因 {1} 不在频率表中，按频率 0.001 补入，其余频率乘以 0.999。"),
    (re.compile(r"^Typed in the found child but not in the frequency table, left out of the LR: (.*)\.$"),
     "被寻儿童已检测、但频率表中没有的基因座，未计入似然比：{0}。"),
    (re.compile(r"^Not typed in the found child \(LR 1\): (.*)\.$"), "被寻儿童未检测的基因座（似然比计为 1）：{0}。"),
    (re.compile(r"^Untyped members of the pedigree are summed over \(exact peeling\)\.$"),
     "家系中未检测的成员按其全部可能基因型求和（精确剥离算法）。"),
    (re.compile(r"^The conclusion stored at matching \(Reunite (.*)\) was '(.*)'; recomputed now it is '(.*)'\. "
                r"Run `reunite match` to bring the candidate up to date\.$"),
     "比对时（Reunite {0}）存储的判定为“{1}”，现重新计算为“{2}”；请运行 `reunite match` 更新该比中记录。"),
)


def _note(text: str, lang: str) -> str:
    if lang == "zh":
        for pattern, zh in _NOTES_ZH:
            m = pattern.match(text)
            if m:
                return zh.format(*m.groups())
    return text


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d is not None else "—"


def _lr_head(report: KinshipReport, lang: str) -> str:
    """The combined LR in words."""
    res, t = report.result, TEXT[lang]
    if res.lr == 0 and res.log10_lr is None:
        return t["lr_zero"].format(n=len(res.inconsistent_markers))
    return t["lr_head"].format(x=format_lr(res.lr, res.log10_lr))


def _lr_sentence(report: KinshipReport, lang: str) -> str:
    """The combined LR in words, then the conclusion under the rules (one paragraph, never contradicting)."""
    return _lr_head(report, lang) + (" " if lang == "en" else "") + report.conclusion.sentence(lang)


def _alternatives(c: Conclusion, lang: str) -> str:
    out = []
    for a in c.alternatives:
        name = a.relationship.replace("_", " ")
        if lang == "zh":
            name = _CLASSES["zh"].get(a.relationship, {"half_siblings": "半同胞关系", "grandparent": "祖孙关系",
                                                        "uncle": "叔侄关系", "first_cousins": "堂（表）兄弟姐妹关系"}
                                      .get(a.relationship, name))
        out.append(f"{a.relative}: {name}, {format_lr(a.lr, a.log10_lr)}")
    return "; ".join(out)


#: The legend of the pedigree's members typed only at lineage markers (grey, with Y or mt in the symbol).
LINEAGE_LEGEND = {
    "en": {"Y": "typed at Y-STR only (not in the autosomal LR)", "mt": "typed at mtDNA only (not in the autosomal LR)",
           "Y+mt": "typed at Y-STR and mtDNA only (not in the autosomal LR)"},
    "zh": {"Y": "仅有Y-STR分型（不计入常染色体似然比）", "mt": "仅有线粒体DNA分型（不计入常染色体似然比）",
           "Y+mt": "仅有Y-STR和线粒体DNA分型（不计入常染色体似然比）"},
}


#: The line of the LR under a Familias file's own settings (secondary; the national LR is the evidence).
FAMILIAS_LINE = {
    "en": ("For comparison, not the evidence: with the Familias file's frequencies and mutation model: LR {lr} "
           "(log10 {log10}); file {file}, frequencies {freq}, mutation model {mut}, θ = {theta}, {n} markers. The "
           "evidence is the LR above, computed with the national frequency table."),
    "zh": ("仅供比较，不作为证据：按 Familias 文件自带的等位基因频率和突变模型：似然比 {lr}（log10 {log10}）；"
           "文件 {file}，频率表 {freq}，突变模型 {mut}，θ = {theta}，{n} 个基因座。"
           "证据为上文按全国频率表计算的似然比。"),
}


def familias_line(data: Mapping | None, lang: str) -> str | None:
    """The sentence of a Familias file's LR (``KinshipReport.familias``) in ``lang``; None without one."""
    if not data:
        return None
    lg = data.get("log10_lr")
    none = "无" if lang == "zh" else "none"
    return FAMILIAS_LINE["zh" if lang == "zh" else "en"].format(
        lr=format_lr(0.0 if lg is None else None, lg), log10="–∞" if lg is None else f"{lg:.2f}".replace("-", "−"),
        file=data.get("source_file") or "–", freq=data.get("frequencies") or "–", mut=data.get("mutation") or none,
        theta=f"{float(data.get('theta') or 0):g}", n=data.get("markers"))


def view(report: KinshipReport) -> dict:
    """The texts both renderers print, in the report's order and language (numbers may hold ``10^N``)."""
    lang = report.lang
    t = TEXT[lang]
    res, c = report.result, report.conclusion
    dash = "—"
    lab = report.lab
    if lab is not None:
        lab_rows = [(t["lab_name"], (lab.name_zh or lab.name) if lang == "zh" else lab.name)]
        other = lab.name if lang == "zh" else lab.name_zh
        if other:
            lab_rows.append((t["lab_name_zh"], other))
        lab_rows += [(t["accreditation"], lab.accreditation or t["not_recorded"]),
                     (t["address"], lab.address or t["not_recorded"])]
    else:
        lab_rows = [(t["lab_name"], report.laboratory or dash), (t["accreditation"], t["not_recorded"])]
    found_head = t["m_found"] + (f" ({report.found_child_name})" if report.found_child_name else "")
    identifiers = [
        (t["found_case"], report.case_number),
        (t["found_name"], report.found_child_name or dash),
        (t["report_number"], report.report_number),
        (t["missing_name"], report.missing_child_name or dash),
        (t["candidate"], report.candidate_id or dash),
        (t["kinship_case"], report.case.id or dash),
        (t["laboratory"], report.laboratory or dash),
    ]
    samples = []
    for s in report.samples:
        if s.person == "found":
            person = t["found_child"]
        else:
            rel = _RELATIONS_ZH.get(s.relation, s.relation) if lang == "zh" else s.relation
            person = s.person + (f" ({rel})" if rel else "")
        kind = _KINDS[lang].get(s.kind, s.kind) if s.kind else dash
        samples.append([s.sample, person, kind, s.kit or dash,
                        f"{_date(s.collected_on)}\n{s.collected_by or dash}", s.sealed_by or dash,
                        f"{_date(s.received_on)}\n{s.received_by or dash}", _date(s.typed_on)])
    relatives = [(pid, report.member_labels.get(pid, "")) for pid in report.typed_relatives]
    rows = [{"marker": r.marker, "found": r.found, "relatives": list(r.relatives),
             "lr": format_lr(r.lr, r.log10_lr), "log10": _log10(r.log10_lr, r.lr),
             "note": t["m_inconsistent"] if r.inconsistent else (t["m_added"] if r.added_alleles else ""),
             "inconsistent": r.inconsistent} for r in report.markers]
    inconsistent = report.inconsistent_markers
    verbal = c.verbal_zh if lang == "zh" else c.verbal
    conclusion = [
        (t["decision"], _DECISIONS[lang].get(c.decision, c.decision)),
        (t["rule"], f"{c.rule_id} ({report.rules})"),
        (t["source"], (c.source_zh or c.source) if lang == "zh" else c.source),
        (t["relationship"], _CLASSES[lang].get(c.relationship, c.relationship)),
        (t["lr"], format_lr(res.lr, res.log10_lr)),
        (t["log10"], _log10(res.log10_lr, res.lr)),
        (t["verbal"], verbal),
        (t["compared"], str(res.markers_compared)),
        (t["inconsistent"], ", ".join(inconsistent) if inconsistent else t["none"]),
    ]
    if c.type_more_markers:
        conclusion.append((t["type_more"], t["yes"]))
    if c.alternatives:
        conclusion.append((t["alternatives"], _alternatives(c, lang)))
    a = report.assumptions
    hyp = _HYPOTHESES[lang] if a.hypotheses == (H1, H2) else a.hypotheses
    method = [
        (t["freq"], a.frequency_table),
        (t["freq_source"], a.frequency_source),
        (t["freq_sha"], a.frequencies_sha256 or _table_digest(report.case.frequencies)),
        (t["theta"], f"{a.theta:g}"),
        (t["theta_convention"], t["theta_text"]),
        (t["theta_source"], THETA_SOURCE),
        (t["mutation"], a.mutation),
    ]
    if a.mutation_source:
        method.append((t["mutation_source"], a.mutation_source))
    method += [(t["independence"], _INDEPENDENCE_ZH if lang == "zh" and a.independence == INDEPENDENCE
                else a.independence),
               (t["rules"], report.rules),
               *((t["note"], _note(n, lang)) for n in a.notes)]
    # The investigative page.
    dna_name = t["dna"]
    evidence = [{"name": dna_name, "lr": format_lr(res.lr, res.log10_lr), "log10": _log10(res.log10_lr, res.lr),
                 "sentence": _lr_head(report, lang)}]
    for e in report.other_evidence:
        lg = e.log10_lr if e.log10_lr is not None else (math.log10(e.lr) if e.lr > 0 else None)
        if e.kind:
            name = kind_label(e.kind, lang)
        else:
            name = _EVIDENCE_ZH.get(e.name.lower(), e.name) if lang == "zh" else e.name
        evidence.append({"name": name, "lr": format_lr(e.lr, lg), "log10": _log10(lg, e.lr),
                         "sentence": e.sentence or _evidence_sentence(e.lr, lang)})
    lineage = lineage_section(report.lineage, lang)
    if lineage is not None:
        lin = report.lineage
        lg = lin.get("lineage_log10_lr")
        evidence.insert(1, {"name": lineage["title"], "lr": "0" if lg is None else format_lr(
            10.0 ** lg if lg < 308 else math.inf, lg), "log10": _log10(lg, 0.0 if lg is None else None),
            "sentence": lineage["sentence"]})
    odds = []
    if report.prior is not None:
        odds.append((t["prior"], _probability(report.prior, lang=lang)))
    if report.posterior is not None:
        shown = t["excluded_posterior"] if report.posterior == 0 and c.excluded else \
            _probability(report.posterior, report.posterior_log10_odds, lang)
        odds.append((t["posterior"], shown))
    if odds and report.prior is not None and report.posterior_log10_odds is not None:
        odds.append((t["odds"], _log10(report.posterior_log10_odds)))
    software = f"Reunite {report.software_version}"
    return {
        "lang": lang,
        "t": t,
        "title": t["title"],
        "subtitle": t["subtitle"],
        "lab": lab_rows,
        "identifiers": identifiers,
        "header_pair": t["header_pair"].format(case=report.case_number, report=report.report_number),
        "samples": samples,
        "hypotheses": [("H1", hyp[0]), ("H2", hyp[1])],
        "found_head": found_head,
        "relatives": relatives,
        "rows": rows,
        "sentence": _lr_sentence(report, lang),
        "conclusion": conclusion,
        "exclusion": bool(c.excluded) or res.lr == 0,
        "method": method,
        "assumptions": method,
        "evidence": evidence,
        "odds": odds,
        "notice": INVESTIGATIVE_NOTICE,
        "software": software,
        "generated": report.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "hash": report.content_hash,
        "missing": report.case.missing,
        "legend": [x.format(m=report.case.missing) for x in t["pedigree_legend"]],
        "legend_lineage": [(k, LINEAGE_LEGEND[lang][k]) for k in ("Y", "mt", "Y+mt")
                           if k in report.lineage_typed().values()],
        "familias": familias_line(report.familias, lang),
        "lineage": lineage,
    }


_SUP = re.compile(r"10\^(-?\d+)")


def split_sup(text: str) -> list[tuple[str, bool]]:
    """``"3.2 × 10^-5"`` as runs ``[("3.2 × 10", False), ("−5", True)]`` (True: superscript)."""
    runs: list[tuple[str, bool]] = []
    pos = 0
    for m in _SUP.finditer(text):
        runs.append((text[pos:m.start()] + "10", False))
        runs.append((m.group(1).replace("-", "−"), True))
        pos = m.end()
    if pos < len(text):
        runs.append((text[pos:], False))
    return [r for r in runs if r[0]]


# --------------------------------------------------------------------------- rendering
def _environment():
    env = Environment(loader=PackageLoader("reunite.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def sup(text: str) -> Markup:
        return Markup("").join(Markup("<sup>{}</sup>").format(t) if s else escape(t) for t, s in split_sup(str(text)))

    env.filters["sup"] = sup
    return env


@lru_cache(maxsize=1)
def _env():
    return _environment()


def render_html(report: KinshipReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; everything escaped), the DNA
    opinion first and the investigative evidence after a page break, in the report's language."""
    return _env().get_template("kinship.html.j2").render(v=view(report), drawing=report.drawing())
