"""The kinship report a lab signs: one found child against one missing-child report's family.

:func:`build_report` gathers everything a report shows from a :class:`~reunite.genetics.KinshipCase`
and its :class:`~reunite.genetics.LRResult` into a :class:`KinshipReport`; :func:`render_html` and
:func:`reunite.reports.pdf.render_pdf` print it.  Both show the same texts, in this order: the case identifiers and
names, the conclusion (combined LR, log10 LR, verbal equivalent, the GB/T 37223 decision), the
pedigree drawing, the per-marker table (genotypes of the found child and the typed relatives,
per-marker LR, inconsistencies), the other evidence LRs, prior and posterior, every assumption,
and the provenance (software version, generation time, content hash).

The content hash is the SHA-256 of :meth:`KinshipReport.canonical_json`: the report's content
(identifiers, names, pedigree, genotypes, results, evidence, assumptions, software version and a
digest of the frequency table) as sorted, compact UTF-8 JSON.  It leaves out the generation time
and the hash itself, so the same content always gives the same hash, and any change to it, a
single allele included, gives another.
"""

from __future__ import annotations

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
from ..genetics import KinshipCase, LRResult, display_name, format_lr, marker_key
from ..genetics.frequencies import FrequencyTable, bundled_tables, source_readme
from .pedigree_drawing import PedigreeDrawing, draw_pedigree

__all__ = [
    "Assumptions",
    "EvidenceLR",
    "KinshipReport",
    "MarkerRow",
    "build_report",
    "render_html",
]

#: Version of the canonical JSON the content hash is taken over; bump it if its shape changes.
HASH_FORMAT = "reunite-kinship-report/1"

INDEPENDENCE = ("Markers are treated as independent (product rule); the DNA and each other piece of "
                "evidence are treated as independent given each hypothesis, so their LRs multiply.")
H1 = "the found child is the missing member of the family's pedigree"
H2 = "the found child is unrelated to the family"
UNTYPED = "–"


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
    """A non-DNA evidence LR shown on the report: its name, value and a sentence explaining it."""

    name: str
    lr: float
    sentence: str = ""


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


@dataclass(frozen=True)
class KinshipReport:
    """Everything one kinship report shows; build it with :func:`build_report`.

    ``case_number`` is the found child's case number, ``report_number`` the missing-child report's
    number and ``candidate_id`` the candidate (found child x report) the report is about.  Names
    (``missing_child_name``, ``found_child_name``, ``member_labels`` by pedigree id) may be
    Chinese or empty.  ``prior`` and ``posterior`` are probabilities of H1.
    """

    case_number: str
    report_number: str
    candidate_id: str
    case: KinshipCase
    result: LRResult
    typed_relatives: tuple[str, ...]
    markers: tuple[MarkerRow, ...]
    assumptions: Assumptions
    missing_child_name: str = ""
    found_child_name: str = ""
    member_labels: Mapping[str, str] = field(default_factory=dict)
    laboratory: str = ""
    other_evidence: tuple[EvidenceLR, ...] = ()
    prior: float | None = None
    posterior: float | None = None
    posterior_log10_odds: float | None = None
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
        """The ENFSI verbal equivalent of the combined DNA LR."""
        return self.result.verbal

    @property
    def inconsistent_markers(self) -> list[str]:
        return [r.marker for r in self.markers if r.inconsistent]

    # ------------------------------------------------------------------------ the hash
    def content(self) -> dict:
        """The report's content as plain data: what the hash covers (no time, no hash)."""
        case = self.case
        return {
            "format": HASH_FORMAT,
            "identifiers": {"case_number": self.case_number, "report_number": self.report_number,
                            "candidate_id": self.candidate_id, "case_id": case.id},
            "names": {"missing_child": self.missing_child_name, "found_child": self.found_child_name,
                      "members": dict(sorted(self.member_labels.items())), "laboratory": self.laboratory},
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
                       "verbal": self.result.verbal, "decision": self.result.decision,
                       "markers_compared": self.result.markers_compared,
                       "inconsistent_markers": list(self.result.inconsistent_markers),
                       "skipped_markers": list(self.result.skipped_markers),
                       "warnings": list(self.result.warnings)},
            "other_evidence": [{"name": e.name, "lr": _num(e.lr), "sentence": e.sentence}
                               for e in self.other_evidence],
            "prior": _num(self.prior),
            "posterior": _num(self.posterior),
            "posterior_log10_odds": _num(self.posterior_log10_odds),
            "assumptions": {"frequency_table": self.assumptions.frequency_table,
                            "frequency_source": self.assumptions.frequency_source,
                            "frequencies_sha256": _table_digest(case.frequencies),
                            "mutation": self.assumptions.mutation, "theta": _num(self.assumptions.theta),
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
        """SHA-256 (hex) of :meth:`canonical_json`, printed on the report."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def drawing(self) -> PedigreeDrawing:
        """The pedigree drawing: typed relatives filled, the missing member marked."""
        labels = dict(self.member_labels)
        if self.missing_child_name and self.case.missing not in labels:
            labels[self.case.missing] = self.missing_child_name
        return draw_pedigree(self.case.pedigree, typed=self.typed_relatives, missing=self.case.missing,
                             labels=labels)


def _num(x: float | None) -> float | str | None:
    """A number for canonical JSON: floats as Python writes them, non-finite ones as text."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else repr(x)


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
        out.append(EvidenceLR(str(ev.name), float(ev.lr), str(ev.sentence or "")))
    if problems:
        raise InputError(problems)
    return tuple(out)


def _posterior(result: LRResult, evidence: Sequence[EvidenceLR], prior: float) -> tuple[float | None, float | None]:
    """Posterior probability of H1 and its log10 odds, from the prior and every LR."""
    if result.lr == 0 or any(e.lr == 0 for e in evidence):
        return 0.0, None
    if result.log10_lr is None:
        return None, None
    log_odds = (math.log10(prior) - math.log10(1.0 - prior) + result.log10_lr
                + math.fsum(math.log10(e.lr) for e in evidence))
    posterior = 1.0 / (1.0 + 10.0 ** -log_odds) if log_odds > -300 else 0.0
    return posterior, log_odds


def build_report(case: KinshipCase, result: LRResult, *, case_number: str, report_number: str,
                 candidate_id: str = "", missing_child_name: str = "", found_child_name: str = "",
                 member_labels: Mapping[str, str] | None = None, laboratory: str = "",
                 other_evidence: Iterable[EvidenceLR | Sequence] = (), prior: float | None = None,
                 posterior: float | None = None, frequency_source: str | None = None,
                 generated_at: datetime | None = None) -> KinshipReport:
    """Fill a :class:`KinshipReport` from a case and the result of ``missing_person_lr(case)``.

    ``other_evidence`` holds :class:`EvidenceLR` or ``(name, lr, sentence)`` tuples.  Given a
    ``prior`` (probability of H1) and no ``posterior``, the posterior is computed from the prior,
    the DNA LR and every other LR.  ``frequency_source`` overrides the source text found for the
    frequency table (the bundled tables' README, or the CSV file's path).
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
    if problems:
        raise InputError(problems)
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
    assumptions = Assumptions(
        frequency_table=result.frequencies,
        frequency_source=frequency_source if frequency_source is not None else _frequency_source(table),
        mutation=result.mutation if result.mutation != "none" else "none (an inconsistent marker gives LR 0)",
        theta=float(result.theta), notes=tuple(notes))
    log_odds = None
    if prior is not None and posterior is None:
        posterior, log_odds = _posterior(result, evidence, float(prior))
    elif posterior is not None and 0 < posterior < 1:
        log_odds = math.log10(posterior) - math.log10(1 - posterior)
    return KinshipReport(
        case_number=case_number.strip(), report_number=report_number.strip(), candidate_id=str(candidate_id).strip(),
        case=case, result=result, typed_relatives=relatives, markers=rows, assumptions=assumptions,
        missing_child_name=missing_child_name, found_child_name=found_child_name,
        member_labels=dict(member_labels or {}), laboratory=laboratory, other_evidence=evidence,
        prior=None if prior is None else float(prior), posterior=None if posterior is None else float(posterior),
        posterior_log10_odds=log_odds,
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0))


# ---------------------------------------------------------------------- what is printed
def _sci(x: float) -> str:
    """A small or large number in the notation of :func:`format_lr` (``3.20 × 10^-5``)."""
    if x == 0:
        return "0"
    return format_lr(x, math.log10(x))


def _probability(p: float | None, log_odds: float | None = None) -> str:
    if p is None:
        return "undefined"
    if p == 0:
        return "0"
    if log_odds is not None and log_odds > 3:
        # 1 - p = 1 / (1 + odds), written without the rounding of p itself.
        return f"1 − {_sci(10.0 ** -log_odds / (1.0 + 10.0 ** -log_odds))}"
    if p >= 0.01:
        return f"{p:.4g}"
    return _sci(p) + (f" (1 in {1 / p:,.0f})" if p < 0.5 else "")


def _log10(x: float | None, lr: float | None = None) -> str:
    if x is None:
        return "−∞" if lr == 0 else "undefined"
    return f"{x:.2f}".replace("-", "−")


def _evidence_sentence(lr: float) -> str:
    """What an LR given without a sentence says, in words."""
    if lr == 0:
        return "This evidence excludes that the found child is the missing child."
    if lr == 1:
        return "This evidence supports neither hypothesis."
    if lr > 1:
        return f"This evidence is {format_lr(lr, math.log10(lr))} times more probable if H1 is true than if H2 is."
    return f"This evidence is {format_lr(1 / lr, -math.log10(lr))} times more probable if H2 is true than if H1 is."


def view(report: KinshipReport) -> dict:
    """The texts both renderers print, in the report's order (numbers may hold ``10^N``)."""
    res = report.result
    dash = "—"
    found_head = "Found child" + (f" ({report.found_child_name})" if report.found_child_name else "")
    identifiers = [
        ("Found child case number", report.case_number),
        ("Found child's name", report.found_child_name or dash),
        ("Missing-child report number", report.report_number),
        ("Missing child's name", report.missing_child_name or dash),
        ("Candidate", report.candidate_id or dash),
        ("Kinship case", report.case.id or dash),
        ("Laboratory", report.laboratory or dash),
    ]
    relatives = [(pid, report.member_labels.get(pid, "")) for pid in report.typed_relatives]
    rows = [{"marker": r.marker, "found": r.found, "relatives": list(r.relatives),
             "lr": format_lr(r.lr, r.log10_lr), "log10": _log10(r.log10_lr, r.lr),
             "note": "inconsistent" if r.inconsistent else ("allele added" if r.added_alleles else ""),
             "inconsistent": r.inconsistent} for r in report.markers]
    inconsistent = report.inconsistent_markers
    conclusion = [
        ("Combined likelihood ratio (DNA)", format_lr(res.lr, res.log10_lr)),
        ("log10 LR", _log10(res.log10_lr, res.lr)),
        ("Verbal equivalent (ENFSI)", res.verbal),
        ("GB/T 37223 parentage practice", res.decision),
        ("Markers compared", str(res.markers_compared)),
        ("Inconsistent markers", ", ".join(inconsistent) if inconsistent else "none"),
    ]
    evidence = [{"name": "DNA (autosomal STRs)", "lr": format_lr(res.lr, res.log10_lr),
                 "log10": _log10(res.log10_lr, res.lr), "sentence": res.sentence()}]
    for e in report.other_evidence:
        lg = math.log10(e.lr) if e.lr > 0 else None
        evidence.append({"name": e.name, "lr": format_lr(e.lr, lg), "log10": _log10(lg, e.lr),
                         "sentence": e.sentence or _evidence_sentence(e.lr)})
    odds = []
    if report.prior is not None:
        odds.append(("Prior probability of H1", _probability(report.prior)))
    if report.posterior is not None:
        odds.append(("Posterior probability of H1", _probability(report.posterior, report.posterior_log10_odds)))
    if odds and report.prior is not None and report.posterior_log10_odds is not None:
        odds.append(("Posterior odds (log10)", _log10(report.posterior_log10_odds)))
    a = report.assumptions
    assumptions = [
        ("H1", a.hypotheses[0]),
        ("H2", a.hypotheses[1]),
        ("Allele frequencies", a.frequency_table),
        ("Frequency source", a.frequency_source),
        ("Mutation model", a.mutation),
        ("Theta (FST)", f"{a.theta:g}"),
        ("Independence", a.independence),
        *(("Note", n) for n in a.notes),
    ]
    return {
        "title": "Kinship report: missing-person identification",
        "identifiers": identifiers,
        "found_head": found_head,
        "relatives": relatives,
        "rows": rows,
        "sentence": res.sentence(),
        "conclusion": conclusion,
        "exclusion": res.lr == 0,
        "evidence": evidence,
        "odds": odds,
        "assumptions": assumptions,
        "software": f"Reunite {report.software_version}",
        "generated": report.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "hash": report.content_hash,
        "missing": report.case.missing,
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
    """The report as one self-contained HTML page (inline CSS and SVG; everything escaped)."""
    return _env().get_template("kinship.html.j2").render(v=view(report), drawing=report.drawing())
