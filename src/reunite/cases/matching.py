"""Automatic matching: every found child against every open report, through the search index.

For each open report whose family has DNA, the family is compiled into the reference index
(kept on disk and updated incrementally: only new or changed families are recompiled, removed
ones are taken out); every found child with a profile is searched against it, and each family
with a DNA LR of at least ``min_lr`` becomes (or updates) a candidate, unless the decision rules
(:mod:`reunite.genetics.rules`, ``rules``: ``gbt`` or ``isfg``) exclude the pair for the family's
relationship class (parentage trio or duo, full siblings, second degree, distant: from its pedigree
and typed members): an excluded pair never becomes a new candidate, and an existing candidate the
rules now exclude keeps its row, with posterior 0 and the exclusion's reason (it is shown, not
hidden).  Every candidate with DNA evidence stores what produced it: the frequency table (name and
the SHA-256 of its content, the content stored once), the mutation model, theta, the rules and the
software version (:mod:`reunite.cases.provenance`).  Every registered non-DNA kind of evidence
(:func:`reunite.evidence.registry.compute_items`: sex, age, time ...) is computed for each candidate
and stored as an item beside the DNA item; :func:`reunite.evidence.fuse` combines them with an
explicit prior (default 1 / number of open reports) into the posterior when the candidate is
recorded.  A report without DNA yet becomes a candidate of every found child its non-DNA evidence
does not exclude (:func:`reunite.evidence.fusion.nondna_excludes`: together at least 100 times more
probable for another child, e.g. found long before the disappearance, an age the missing child cannot
have), so no true pair is lost to a ranking cut; these pairs are ranked by that evidence (whose DNA to
ask for first), listed apart from the DNA candidates, and the non-DNA evidence never counts for more
than an LR of 1,000 (:data:`reunite.evidence.fusion.NON_DNA_MAX_LOG10`).  Running it again changes
nothing.

Lineage markers (:mod:`reunite.cases.lineage`): a found child with a Y-STR haplotype or an mtDNA
sequence is compared with every open family whose typed relatives include men of the missing boy's
paternal line (with a haplotype) or people of the missing child's maternal line (with a sequence),
derived from the stored pedigree.  The lineage LR (the closest typed relative of the line, the others
listed with their own LRs; the population probability estimated from the configured database by the
configured method, :func:`reunite.cases.lineage.lineage_method`; discrete Laplace fits kept) multiplies
the autosomal LR of the same pair into the one DNA item (the markers are inherited independently;
the item's data keep both factors and its sentence says so); a lineage exclusion makes it 0.  The
threshold ``min_lr`` applies to the product, so a family whose only typed relative is a paternal
uncle can become a DNA candidate by his Y-STRs; a family typed at lineage markers only has the
lineage LR as its DNA LR (it is DNA evidence, never capped like the non-DNA kinds).

Every (child, lineage family) pair is scored at once by the national search's vectorized kernel
(:func:`reunite.search.lineage.lineage_log10`, on the families' closest typed relative of each line,
with the store's databases, method and discrete Laplace fits); the full pair details
(:func:`~reunite.cases.lineage.pair_lineage`: every typed relative of the line with his own LR, the
sentences) are built only for the pairs kept (new candidates, existing ones).  A family whose closest
typed relative cannot be compared with the child (the store then uses the next one), and a decision
within 1e-9 (log10) of its threshold, are evaluated pair by pair.  ``run_matching(lineage_kernel=False)``
is the pair-by-pair path: the same candidates and stored values (tests/cases/test_lineage_store_kernel.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from ..evidence._bilingual import BilingualItem
from ..evidence.face import face_embedding
from ..evidence.fusion import EvidenceItem, from_lr, nondna_excludes, nondna_log10
from ..evidence.population import MIN_REFERENCE_PLACES as _MIN_PLACES
from ..evidence.population import reference_context
from ..evidence.registry import compute_items, kinds
from ..evidence.sex import MIN_POPULATION_SEXES
from ..genetics.decisions import verbal_scale
from ..genetics.haplotype import YHaplotype
from ..genetics.lineage import combine_with_autosomal
from ..genetics.markers import Profile
from ..genetics.mutation import DEFAULT_MUTATION
from ..genetics.rules import DEFAULT_RULES, RULESETS, conclude, relationship_class
from ..genetics.ystr import YDatabase
from ..search.index import ReferenceIndex, build_index
from ..search.kernel import search_child
from ..search.lineage import LineageIndex, LineageOptions, empty_lineage, lineage_log10, y_codes
from .audit import append_audit
from .families import StoredFamily, stored_family, stored_profile
from .lineage import (
    LINEAGE_MODEL,
    LineageFamily,
    LineageResult,
    configured_databases,
    lineage_family,
    pair_lineage,
    save_fits,
    stored_mt,
    stored_y,
)
from .models import Candidate, DnaSample, FoundChild, MissingReport
from .photos import photo_path
from .privacy import register_written_file
from .provenance import Provenance, mutation_record, read_table, store_table
from .records import DNA_MODEL, drop_dna, record_candidate
from .state import lock_store, matching_done

__all__ = ["MatchSummary", "add_context_provider", "run_matching"]


@dataclass
class MatchSummary:
    """What a matching run did."""

    children_searched: int = 0
    families_indexed: int = 0
    families_recompiled: int = 0
    candidates: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0})
    nondna_candidates: int = 0
    prior: float | None = None
    #: Pairs the rules exclude that were not made candidates.
    excluded_pairs: int = 0
    #: Existing candidates the rules exclude now (kept, with posterior 0 and the reason).
    candidates_excluded: int = 0
    rules: str = DEFAULT_RULES
    #: Pairs of a found child and a family compared by lineage markers (Y-STR, mtDNA).
    lineage_pairs: int = 0

    def as_dict(self) -> dict:
        return {"children_searched": self.children_searched, "families_indexed": self.families_indexed,
                "families_recompiled": self.families_recompiled, "candidates": self.candidates,
                "nondna_candidates": self.nondna_candidates, "prior": self.prior,
                "excluded_pairs": self.excluded_pairs, "candidates_excluded": self.candidates_excluded,
                "rules": self.rules, "lineage_pairs": self.lineage_pairs}


def _families(session: Session, samples: dict[str, DnaSample]) -> tuple[dict[str, StoredFamily], list[MissingReport]]:
    """Families with DNA (by report number) and the open reports without DNA."""
    fams: dict[str, StoredFamily] = {}
    no_dna: list[MissingReport] = []
    for rep in session.scalars(select(MissingReport).where(MissingReport.status == "open")):
        fam = stored_family(rep, samples)
        if fam is None:
            no_dna.append(rep)
        else:
            fams[rep.report_number] = fam
    return fams, no_dna


def _fingerprint(f: StoredFamily) -> str:
    data = {"pedigree": f.pedigree.as_records(), "missing": f.missing,
            "genotypes": {p: sorted(map(list, g.genotypes.items())) for p, g in sorted(f.profiles.items())}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _update_index(fams: dict[str, StoredFamily], table, mutation, index_dir: Path | None, summary: MatchSummary,
                  digest: str = "") -> ReferenceIndex | None:
    if not fams:
        return None
    prints = {k: _fingerprint(f) for k, f in fams.items()}
    if index_dir is not None and (index_dir / "meta.json").exists():
        try:
            index = ReferenceIndex.load(index_dir, mmap=False)
            manifest = json.loads((index_dir / "manifest.json").read_text())
            # (a table edited under the same name changes its digest: the index is rebuilt)
            if manifest.get("frequencies") != table.name or manifest.get("mutation") != mutation \
                    or manifest.get("frequencies_sha256", digest) != digest:
                raise ValueError("settings changed")
        except (InputError, ValueError, OSError):
            index, manifest = None, {}
        if index is not None:
            known = manifest.get("families", {})
            searched = {f for f, a in zip(index.family_ids, index.searched, strict=True) if a}
            # Families set aside (inconsistent without mutation) stay so until their DNA changes.
            aside = {e["family"] for e in index.set_aside}
            for fam in searched | aside:
                if fam not in prints or known.get(fam) != prints[fam]:
                    index.remove_family(fam)
            new = [fams[k] for k in fams if known.get(k) != prints[k] or (k not in searched and k not in aside)]
            if new:
                markers_ok = all(m in index.markers for f in new for p in f.profiles.values() for m in p.genotypes
                                 if m in table.markers)
                # (a family with more typed relatives than the index's tables hold: rebuild too)
                markers_ok = markers_ok and all(min(2 * len(f.profiles), 64) <= index.allele_slots for f in new)
                if markers_ok:
                    index.add_families(new)
                else:
                    index = None
            summary.families_recompiled = len(new)
        if index is not None:
            _save(index, index_dir, table, mutation, prints, digest)
            summary.families_indexed = index.size
            return index
    index = build_index(fams.values(), table, mutation=mutation)
    summary.families_recompiled = len(fams)
    summary.families_indexed = index.size
    if index_dir is not None:
        _save(index, index_dir, table, mutation, prints, digest)
    return index


def _save(index, index_dir: Path, table, mutation, prints, digest: str = "") -> None:
    index.save(index_dir)
    (index_dir / "manifest.json").write_text(json.dumps({"frequencies": table.name, "mutation": mutation,
                                                         "frequencies_sha256": digest, "families": prints}))


#: Fewer resolved lost places than this and the place LR's H2 is every county (the default).
MIN_REFERENCE_PLACES = _MIN_PLACES
#: Fewer found children of known sex than this and P(male) is 0.5 (the sex LR's default).
MIN_REFERENCE_SEXES = MIN_POPULATION_SEXES


#: Functions of the store adding plain data to the evidence kinds' context, registered by a layer to the
#: right of the store that has evidence to give (the trafficking network's chain sources:
#: :func:`reunite.network.leads.matching_context`); the store does not import those layers.
_CONTEXT_PROVIDERS: list[Callable[[Session], Mapping[str, object]]] = []


def add_context_provider(provider: Callable[[Session], Mapping[str, object]]) -> None:
    """Have :func:`population_context` add what ``provider(session)`` gives (once per provider)."""
    if provider not in _CONTEXT_PROVIDERS:
        _CONTEXT_PROVIDERS.append(provider)


def population_context(session: Session) -> dict[str, object]:
    """The references of the non-DNA models from the store's own population
    (:func:`reunite.evidence.population.reference_context`; each falls back to its documented default
    while the store is small): the found children's ages and sexes, the reports' and children's dates,
    the confirmed pairs' delays and places, the reports' lost places; then what the registered providers
    add (:func:`add_context_provider`)."""
    confirmed = [c for c in session.scalars(select(Candidate).where(Candidate.status == "confirmed"))
                 if c.report.disappeared_on is not None and c.found_child.found_on is not None]
    context = reference_context(
        session.scalars(select(MissingReport)), session.scalars(select(FoundChild)),
        confirmed_delays_days=[(c.found_child.found_on - c.report.disappeared_on).days for c in confirmed],
        confirmed_places=[(c.report.disappeared_place, c.found_child.found_place) for c in confirmed],
        min_places=MIN_REFERENCE_PLACES, min_sexes=MIN_REFERENCE_SEXES)
    for provider in _CONTEXT_PROVIDERS:
        context.update(provider(session))
    return context


def face_embeddings(media: str | Path | None = None):
    """A function giving the face embeddings of a found child's or a report's photographs (read from the
    media directory with the ``faces`` extra; each photograph once, by its SHA-256; no face: left out)."""
    cache: dict[str, object] = {}

    def of(owner) -> list:
        out = []
        for photo in getattr(owner, "photos", None) or ():
            if photo.sha256 not in cache:
                cache[photo.sha256] = face_embedding(photo_path(photo, media))
            if cache[photo.sha256] is not None:
                out.append(cache[photo.sha256])
        return out

    return of


def _nondna(child: FoundChild, rep: MissingReport, amel, context: dict) -> list[EvidenceItem]:
    """Every registered non-DNA item of the pair (:func:`reunite.evidence.registry.compute_items`)."""
    return compute_items(child, rep, amelogenin=amel, **context)


def _computed_kinds(faces: bool) -> tuple[str, ...]:
    """The registered kinds this run computes (an item of one that no longer applies is dropped).  Without
    ``faces`` the photographs are not compared this time: the face items of an earlier run are kept."""
    return tuple(k.name for k in kinds() if k.compute is not None and (faces or k.name != "face"))


def _pair_dna(index: ReferenceIndex, prof: Profile, family: str):
    """The exact DNA result of one child against one indexed family (an exclusion included), by the
    same search as every other pair (so a mutation-model index is honoured too)."""
    row = index.row_of(family)
    (found,) = search_child(index, prof, min_lr=0.0, top=0, rows=range(row, row + 1))
    return found


def _lineage_families(session: Session, samples: dict[str, DnaSample]) -> dict[str, LineageFamily]:
    """The open families with typed relatives on a lineage line of their missing child (by report number)."""
    if not any(s.y_haplotype or s.mt_sequence for s in samples.values()):
        return {}
    out = {}
    for rep in session.scalars(select(MissingReport).where(MissingReport.status == "open")):
        fam = lineage_family(rep, samples)
        if fam is not None:
            out[rep.report_number] = fam
    return out


def _child_lineage_pairs(sample: DnaSample | None, fams: dict[str, LineageFamily], dbs) -> dict[str, LineageResult]:
    """The lineage evidence of a found child's sample against every lineage family (by report number), pair by
    pair (:func:`~reunite.cases.lineage.pair_lineage`): the reference the vectorized path is tested against."""
    if not fams or sample is None:
        return {}
    y, mt = stored_y(sample), stored_mt(sample)
    if y is None and mt is None:
        return {}
    out = {}
    for number, fam in fams.items():
        res = pair_lineage(y, mt, fam, dbs)
        if res is not None:
            out[number] = res
    return out


@dataclass(frozen=True)
class _Score:
    """A pair's lineage LR as the matching's decisions need it: log10 (None: an exclusion), which kinds."""

    log10_lr: float | None
    excluded: bool
    markers: tuple[str, ...]


def _score(res: LineageResult) -> _Score:
    return _Score(res.log10_lr, res.excluded, tuple(res.markers))


#: How close to a threshold a vectorized log10 LR is re-evaluated pair by pair before a decision
#: (the kernel equals the pair functions to about 1e-14).
_NEAR = 1e-9


@dataclass
class _LineageIndex:
    """The run's lineage families as rows of the national search's lineage index
    (:class:`reunite.search.lineage.LineageIndex`: the closest typed man of the paternal line, the closest
    typed person of the maternal line), and the options the kernel counts with (the store's databases
    and method)."""

    numbers: list[str]
    index: LineageIndex
    dbs: object
    #: a Y database seen in the found child's locus order, per order (discrete Laplace fits are kept by loci)
    ordered: dict = field(default_factory=dict)

    def options(self, y: YHaplotype | None) -> LineageOptions:
        method = self.dbs.method
        ydb = self.dbs.y
        if method.method == "discrete_laplace" and y is not None:
            order = tuple(x for x in y.alleles if x in set(ydb.loci))
            ydb = self.ordered.get(order) or self.ordered.setdefault(order, _OrderedY(ydb, order))
        return LineageOptions(ydb, self.dbs.mt, method.method, method.alpha)


class _OrderedY:
    """The store's Y database as the kernel sees it with the discrete Laplace method: a fit asked for on a
    set of loci is the one :func:`~reunite.genetics.ystr.y_lineage_lr` asks for (the loci in the found
    child's order, so the fits kept in the store are found and the same fit gives the same probability);
    counts, loci and name are the database's."""

    def __init__(self, db: YDatabase, order: tuple[str, ...]):
        self._db, self._order = db, order
        self._counts: dict = {}     # the kernel's cache of population probabilities, per order
        self.loci, self.source, self.simulated = db.loci, db.source, db.simulated
        self.haplotypes = db.haplotypes

    def __len__(self) -> int:
        return len(self._db)

    def count(self, haplotype: YHaplotype, loci) -> tuple[int, int]:
        return self._db.count(haplotype, loci)

    def discrete_laplace(self, loci, **kw):
        want = set(loci)
        return self._db.discrete_laplace([x for x in self._order if x in want], **kw)


def _lineage_index(fams: dict[str, LineageFamily], dbs) -> _LineageIndex | None:
    """The kernel's rows of the lineage families (their closest typed relative of each line)."""
    if not fams:
        return None
    numbers = list(fams)
    loci = sorted({x for f in fams.values() if f.y for x in f.y[0][2].alleles})
    li = empty_lineage(len(numbers), loci)
    seq_at: dict[tuple, int] = {}
    for r, number in enumerate(numbers):
        fam = fams[number]
        if fam.y:
            _pid, m, hap = fam.y[0]
            li.y_meioses[r] = m
            li.y_count[r], li.y_alleles[r] = y_codes(hap, loci)
        if fam.mt:
            _pid, m, seq = fam.mt[0]
            key = (seq.range, tuple(sorted(seq.variants.items())))
            if key not in seq_at:
                seq_at[key] = len(li.mt_sequences)
                li.mt_sequences.append(seq)
            li.mt_meioses[r] = m
            li.mt_seq[r] = seq_at[key]
    return _LineageIndex(numbers, li, dbs)


class _ChildLineage:
    """A found child's lineage evidence against every lineage family: the LR of every pair (vectorized by
    :func:`reunite.search.lineage.lineage_log10`, or pair by pair), and the full pair details
    (:func:`~reunite.cases.lineage.pair_lineage`: every typed relative of the line listed, the sentences) built
    only for the pairs the matching keeps.

    The kernel evaluates the closest typed relative of each line; where that one cannot be compared with the
    child (no locus shared with the child and the database, no shared mtDNA range, a haplotype the discrete
    Laplace fit cannot evaluate) and the line has other typed relatives, the store uses the next one: such a
    pair is evaluated pair by pair."""

    def __init__(self, sample: DnaSample | None, fams: dict[str, LineageFamily], dbs,
                 compiled: _LineageIndex | None, kernel: bool = True):
        self.fams, self.dbs = fams, dbs
        self.scores: dict[str, _Score] = {}
        self.full: dict[str, LineageResult] = {}
        self.y = self.mt = None
        if not fams or sample is None:
            return
        self.y, self.mt = stored_y(sample), stored_mt(sample)
        if self.y is None and self.mt is None:
            return
        if not kernel or compiled is None:
            self.full = _child_lineage_pairs(sample, fams, dbs)
            self.scores = {k: _score(v) for k, v in self.full.items()}
            return
        y = self.y if self.y is not None and self.y.alleles else None
        li = compiled.index
        sc = lineage_log10(li, np.arange(li.rows), y, self.mt, compiled.options(y))
        for r, number in enumerate(compiled.numbers):
            fam = fams[number]
            ly, lmt, st = float(sc.y[r]), float(sc.mt[r]), int(sc.mt_state[r])
            y_used = y is not None and bool(fam.y)
            mt_used = self.mt is not None and bool(fam.mt)
            if (y_used and math.isnan(ly) and len(fam.y) > 1) or (mt_used and st < 0 and len(fam.mt) > 1):
                res = pair_lineage(self.y, self.mt, fam, dbs)   # the closest is not comparable: the next one
                if res is not None:
                    self.full[number] = res
                    self.scores[number] = _score(res)
                continue
            markers = tuple(m for m, ok in (("Y-STR", y_used and not math.isnan(ly)), ("mtDNA", mt_used and st >= 0))
                            if ok)
            if not markers:
                continue
            excluded = (y_used and ly == -math.inf) or (mt_used and st == 2)
            total = None
            if not excluded:
                total = 0.0
                if "Y-STR" in markers:
                    total += ly
                if "mtDNA" in markers and st == 0:
                    total += lmt
            self.scores[number] = _Score(total, excluded, markers)

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, number: str) -> bool:
        return number in self.scores

    def numbers(self) -> set[str]:
        return set(self.scores)

    def score(self, number: str) -> _Score | None:
        return self.scores.get(number)

    def get(self, number: str) -> LineageResult | None:
        """The pair's full lineage evidence (None: no lineage marker applies), built once."""
        if number not in self.scores:
            return None
        res = self.full.get(number)
        if res is None:
            res = self.full[number] = pair_lineage(self.y, self.mt, self.fams[number], self.dbs)
        return res

    def log10(self, number: str, near: float) -> float:
        """The pair's lineage log10 LR (0 for none), the pair's own value when within :data:`_NEAR` of
        ``near`` (a threshold a decision compares it with)."""
        lg = self.scores[number].log10_lr or 0.0
        if abs(lg - near) <= _NEAR:
            lg = self.get(number).log10_lr or 0.0
        return lg


def _child_lineage(sample: DnaSample | None, fams: dict[str, LineageFamily], dbs,
                   compiled: _LineageIndex | None = None, *, kernel: bool = True) -> _ChildLineage:
    """The lineage evidence of a found child's sample against every lineage family (see :class:`_ChildLineage`)."""
    return _ChildLineage(sample, fams, dbs, compiled, kernel)


def _not_kept(ls: _Score, pair, base: dict | None, min_lr: float) -> str:
    """Why a new pair with lineage evidence does not become a candidate ("excluded", "below"; "" when it may),
    decided from its LRs as the DNA item and the conclusion built from its full details would decide it
    (:func:`_combined_item`, :func:`_lineage_conclusion`): the details are built only for a pair kept.  A
    product within :data:`_NEAR` of the threshold is left to the full details."""
    auto = pair is not None
    if ls.excluded or (auto and pair.lr == 0 and pair.log10_lr is None):
        return "excluded"            # the item's LR is 0
    if min_lr > 0:
        auto_lg = float(pair.log10_lr) if auto else 0.0
        total = auto_lg + (ls.log10_lr or 0.0)
        if total < math.log10(min_lr) - _NEAR:
            return "below"           # the product stays below the threshold
    if base is not None and base["excluded"]:
        return "excluded"            # the rules exclude it on the autosomal STRs
    return ""


class _Dna:
    """What the DNA evidence of this run is computed with, stored lazily (the table's content once)."""

    def __init__(self, session: Session, table, text: str, mutation: object, rules: str):
        self.session, self.table, self.text, self.rules = session, table, text, rules
        self.mutation = mutation
        self.with_mutation = mutation_record(mutation) is not None
        self._prov: dict | None = None
        self.classes: dict[str, str] = {}

    def provenance(self) -> dict:
        if self._prov is None:
            sha = store_table(self.session, self.table.name, self.text)
            self._prov = Provenance(self.table.name, sha, mutation_record(self.mutation), 0.0, self.rules).columns()
        return self._prov

    def relationship(self, fam: StoredFamily) -> str:
        cls = self.classes.get(fam.family)
        if cls is None:
            cls = self.classes[fam.family] = relationship_class(fam.pedigree, fam.missing, fam.profiles.keys())
        return cls

    def conclusion(self, fam: StoredFamily, lr: float | None, log10_lr: float | None, inconsistent: int,
                   markers_compared: int) -> dict:
        """The rules' conclusion for one pair, as stored (``Conclusion.as_dict()``)."""
        return conclude(log10_lr=None if lr == 0 else log10_lr, inconsistent=inconsistent,
                        relationship=self.relationship(fam), rules=self.rules, markers_compared=markers_compared,
                        mutation=self.with_mutation).as_dict()


def _dna_item(lr: float | None, log10_lr: float | None, inconsistent: int, markers_compared: int,
              provenance: dict, lineage: LineageResult | None = None, *, autosomal: bool = True) -> EvidenceItem:
    """The DNA item of a pair: its log10 LR (LR 0 as 0), the model, what computed it, the marker counts.

    With ``lineage`` the item's LR is the autosomal LR times the lineage LR (``autosomal`` False: the
    family has no autosomal profile, the lineage LR alone); the data keep both factors."""
    params = {k: provenance.get(k) for k in ("frequencies", "frequencies_sha256", "theta", "rules")}
    params["mutation"] = (provenance.get("mutation_model") or {}).get("description")
    data = {"inconsistent_markers": inconsistent, "markers_compared": markers_compared}
    if lineage is not None:
        return _combined_item(lr, log10_lr, params, data, lineage, autosomal)
    if lr == 0 and log10_lr is None:
        return EvidenceItem("dna", 0.0, None, DNA_MODEL, params, data)
    return from_lr("dna", log10_lr=log10_lr, model=DNA_MODEL, parameters=params, observed=data)


def _combined_item(lr, log10_lr, params: dict, data: dict, lineage: LineageResult, autosomal: bool) -> EvidenceItem:
    """The DNA item of a pair with lineage evidence: autosomal × lineage, with the sentence that they multiply."""
    auto_zero = autosomal and lr == 0 and log10_lr is None
    auto = 0.0 if not autosomal else (None if auto_zero else float(log10_lr))
    data.update(autosomal=autosomal, autosomal_log10_lr=auto if autosomal else None, lineage=lineage.entries,
                lineage_log10_lr=lineage.log10_lr)
    params["lineage"] = {e["marker"]: {"database": e["database"], "database_sha256": e["database_sha256"],
                                       "simulated": e["simulated"], "method": e["method"], "alpha": e["alpha"]}
                         for e in lineage.entries}
    marker = " and ".join(lineage.markers)
    model = (DNA_MODEL + " " if autosomal else "") + LINEAGE_MODEL
    if auto is None or lineage.excluded:
        total = None
        if lineage.excluded:
            combo = combine_with_autosomal(auto if auto is not None else 0.0, -math.inf,
                                           marker="mtDNA" if _excluding(lineage) == "mtDNA" else "Y-STR")
        else:
            combo = {"sentence": {"en": "The autosomal STRs exclude the pair (LR 0), so the combined LR is 0.",
                                  "zh": "常染色体STR排除该配对（似然比为0），合并似然比为0。"}}
    else:
        total = auto + (lineage.log10_lr or 0.0)
        combo = combine_with_autosomal(auto, lineage.log10_lr or 0.0, marker=marker)
        if not autosomal:
            combo = {"sentence": {
                "en": f"No autosomal STRs are compared (the found child's or the family's are not typed): the DNA "
                      f"LR is the {marker} LR alone (log10 {lineage.log10_lr:.2f}).",
                "zh": f"未比对常染色体STR（被寻儿童或该家庭未检测）：DNA似然比仅为{_zh_marker(marker)}似然比"
                      f"（log10 {lineage.log10_lr:.2f}）。"}}
    data["combined_log10_lr"] = total
    sent = combo["sentence"]
    note = f"({sent['en']})"
    note_zh = f"（{sent['zh']}）"
    if total is None:
        return BilingualItem("dna", 0.0, None, model, params, data, note, note_zh)
    base = from_lr("dna", log10_lr=total)
    return BilingualItem("dna", base.lr, base.log10_lr, model, params, data, note, note_zh)


def _excluding(lineage: LineageResult) -> str:
    return next((e["marker"] for e in lineage.entries if e["conclusion"] == "exclusion"), "Y-STR")


def _zh_marker(marker: str) -> str:
    return marker.replace("mtDNA", "线粒体DNA").replace(" and ", "与")


def _lineage_conclusion(base: dict | None, lineage: LineageResult, rules: str,
                        combined_log10: float | None = None) -> dict:
    """The stored DNA conclusion of a pair with lineage evidence: the rules' conclusion on the autosomal
    STRs (``base``; the standards' thresholds are for autosomal STRs), turned into an exclusion when a
    lineage marker excludes the line; for a family typed at lineage markers only, no categorical decision."""
    if lineage.excluded:
        which = _excluding(lineage)
        out = dict(base or {"rules": rules, "rule_id": "lineage", "relationship": "distant", "source": "",
                            "source_zh": "", "alternatives": [], "type_more_markers": False})
        line = "maternal" if which == "mtDNA" else "paternal"
        out.update(decision="exclusion", excluded=True,
                   reason=f"the {which} result excludes the {line} line (" + (
                       "two or more differences, SWGDAM 2019" if which == "mtDNA" else
                       "differences the mutation model cannot produce over the meioses") + ")",
                   reason_zh=f"{_zh_marker(which)}结果排除了{'母系' if which == 'mtDNA' else '父系'}关系",
                   verbal=f"exclusion by {which}", verbal_zh=f"{_zh_marker(which)}排除")
        return out
    if base is not None:
        # The decision stays the autosomal STRs'; the reason says what the lineage markers add.
        out = dict(base)
        lg = lineage.log10_lr or 0.0
        out["reason"] = (f"{base.get('reason', '')}; the decision is that of the autosomal STRs (the standards' "
                         f"thresholds are for them): the lineage markers ({', '.join(lineage.markers)}) multiply "
                         f"their LR by 10^{lg:.2f}").lstrip("; ")
        out["reason_zh"] = (f"{base.get('reason_zh', '')}；以上判定依据常染色体STR（标准阈值针对常染色体STR）；"
                            f"单亲遗传标记另使似然比乘以 10^{lg:.2f}").lstrip("；")
        if combined_log10 is not None and not base.get("excluded"):
            # the verbal equivalent of the DNA LR the candidate shows: the product
            out["verbal"], out["verbal_zh"] = verbal_scale(combined_log10), verbal_scale(combined_log10, "zh")
        return out
    return {"rules": rules, "rule_id": "lineage", "relationship": "distant",
            "source": "lineage markers only", "source_zh": "仅有单亲遗传标记",
            "decision": "no_decision", "excluded": False,
            "reason": "only lineage markers (Y-STR, mtDNA) of the family are typed; the decision standards are "
                      "written for autosomal STRs: no categorical decision; type the relative's autosomal STRs",
            "reason_zh": "该家庭仅检测了单亲遗传标记（Y-STR、线粒体DNA）；判定标准针对常染色体STR，不作分类判定；"
                         "请检测该亲属的常染色体STR",
            "verbal": verbal_scale(combined_log10) if combined_log10 is not None else "see the LR",
            "verbal_zh": verbal_scale(combined_log10, "zh") if combined_log10 is not None else "见似然比",
            "type_more_markers": True, "alternatives": []}


def run_matching(session: Session, *, frequencies: str = "nist1036_us_asian", mutation: object = DEFAULT_MUTATION,
                 min_lr: float = 1.0, prior: float | None = None, index_dir: str | Path | None = None,
                 user: str = "matching", rules: str = DEFAULT_RULES, faces: bool = False,
                 media: str | Path | None = None, lineage_kernel: bool = True) -> MatchSummary:
    """Search every found child with DNA against every open family; record candidates (idempotent).

    ``rules`` (``gbt`` or ``isfg``, :mod:`reunite.genetics.rules`) decides which pairs are excluded.
    ``faces`` adds the face evidence of the photographs (in ``media``, default ``$REUNITE_MEDIA_DIR``;
    the ``faces`` extra).  ``lineage_kernel`` False evaluates the lineage markers pair by pair instead of with
    the vectorized kernel (the same candidates and values: tests and benchmarks/lineage_store.py compare them)."""
    if not (min_lr >= 0 and math.isfinite(min_lr)):
        raise InputError(Problem(f"min_lr must be a non-negative number, got {min_lr}", field="min_lr"))
    if rules not in RULESETS:
        raise InputError(Problem(f"rules must be one of {', '.join(RULESETS)}, got {rules!r}", field="rules"))
    lock_store(session)   # one import or matching run at a time (reunite.cases.state)
    table, text = read_table(frequencies)
    summary = MatchSummary(rules=rules)
    samples = {s.sample: s for s in session.scalars(select(DnaSample))}
    fams, no_dna = _families(session, samples)
    open_reports = len(fams) + len(no_dna)
    if open_reports == 0:
        matching_done(session)
        session.commit()
        return summary
    if prior is None:
        prior = 1.0 / (open_reports + 1) if open_reports == 1 else 1.0 / open_reports
    if not 0 < prior < 1:
        raise InputError(Problem(f"the prior must be strictly between 0 and 1, got {prior}", field="prior"))
    summary.prior = prior
    if index_dir:
        # Before a file is written: a withdrawal of consent finds every directory an index was saved to
        # (reunite.cases.privacy.erase_everywhere), whatever REUNITE_INDEX_DIR says at that moment.
        register_written_file(session, index_dir, kind="index", user=user, commit=False)
    index = _update_index(fams, table, mutation, Path(index_dir) if index_dir else None, summary,
                          hashlib.sha256(text.encode("utf-8")).hexdigest())
    dna = _Dna(session, table, text, mutation, rules)
    reports = {r.report_number: r for r in session.scalars(select(MissingReport))}
    population = population_context(session)
    if faces:
        population["face_embeddings"] = face_embeddings(media)
    lineage_fams = _lineage_families(session, samples)
    dbs = configured_databases(session) if lineage_fams else None
    compiled = _lineage_index(lineage_fams, dbs) if lineage_kernel else None
    for child in session.scalars(select(FoundChild).order_by(FoundChild.case_number)):
        sample = samples.get(child.sample) if child.sample else None
        prof = stored_profile(sample)
        amel = prof.amelogenin if prof is not None else None
        touched: set[str] = set()
        has_dna = prof is not None and len(prof) > 0 and index is not None
        existing = {c.report.report_number for c in child.candidates}
        lineage = _child_lineage(sample, lineage_fams, dbs, compiled, kernel=lineage_kernel)
        if lineage:
            summary.lineage_pairs += len(lineage)
        if has_dna or lineage:
            summary.children_searched += has_dna
            hits = {hit.family: hit for hit in search_child(index, prof, sample=child.sample, min_lr=min_lr, top=0)} \
                if has_dna else {}
            for number in sorted(set(hits) | lineage.numbers()):
                ls = lineage.score(number)
                if number in hits:
                    pair = hits[number]
                elif number in fams and has_dna and not index.set_aside_of(number):
                    # Below min_lr alone: only a lineage LR above 1 can raise it (the exact pair is costly).
                    if number not in existing and (ls.excluded or lineage.log10(number, 0.0) <= 0.0):
                        summary.excluded_pairs += ls.excluded
                        continue
                    pair = _pair_dna(index, prof, number)
                else:
                    pair = None
                auto = pair is not None
                if ls is None and (not auto or pair.lr == 0):
                    continue  # an exclusion is not a candidate (an existing one is updated below)
                if auto:
                    base = dna.conclusion(fams[number], pair.lr, pair.log10_lr, pair.inconsistent,
                                          pair.markers_compared)
                elif has_dna and number in fams:
                    continue    # (a family set aside from the index keeps its earlier DNA evidence)
                else:
                    base = None   # no autosomal STRs to compare (the child's or the family's): lineage alone
                why = _not_kept(ls, pair, base, min_lr) if ls is not None and number not in existing else ""
                if why:
                    summary.excluded_pairs += why == "excluded"
                    continue
                lin = lineage.get(number)   # a pair kept: its full lineage details
                item = _dna_item(pair.lr if auto else None, pair.log10_lr if auto else None,
                                 pair.inconsistent if auto else 0, pair.markers_compared if auto else 0,
                                 dna.provenance(), lin, autosomal=auto)
                conclusion = base if lin is None else _lineage_conclusion(base, lin, rules, item.log10_lr)
                if lin is not None and number not in existing:
                    if item.log10_lr is None:
                        summary.excluded_pairs += 1     # the lineage markers exclude it
                        continue
                    if item.lr < min_lr:
                        continue                        # the product stays below the threshold
                if conclusion["excluded"] and number not in existing:
                    summary.excluded_pairs += 1     # the rules exclude it: never a new candidate
                    continue
                rep = reports[number]
                items = [item, *_nondna(child, rep, amel, population)]
                _, what = record_candidate(session, child.case_number, number, user=user, prior=prior,
                                           provenance=dna.provenance(), conclusion=conclusion, items=items,
                                           drop=_computed_kinds(faces))
                summary.candidates[what] += 1
                summary.candidates_excluded += bool(conclusion["excluded"] and what != "unchanged")
                touched.add(number)
        # Reports without DNA: every pair its non-DNA evidence does not exclude, ranked by that evidence.
        by_evidence = []
        for rep in no_dna:
            if rep.report_number in lineage:
                continue   # typed at lineage markers only: compared by them above, as DNA
            items = _nondna(child, rep, amel, population)
            if not nondna_excludes(items):
                by_evidence.append((nondna_log10(items), rep.report_number, items))
        by_evidence.sort(key=lambda x: (-x[0], x[1]))
        stale = {c.report.report_number: c for c in child.candidates if c.has_dna}
        for _lr, number, items in by_evidence:
            if number in stale:   # the report has no DNA now: its earlier DNA evidence is gone
                drop_dna(stale[number])
            _, what = record_candidate(session, child.case_number, number, user=user, prior=prior, items=items,
                                       drop=_computed_kinds(faces))
            summary.candidates[what] += 1
            summary.nondna_candidates += 1
            touched.add(number)
        # Candidates recorded earlier and not found again: bring their evidence up to date (e.g. the
        # family has given DNA since, and it excludes the child, or the prior changed).
        for old in list(child.candidates):
            number = old.report.report_number
            if number in touched:
                continue
            items = _nondna(child, old.report, amel, population)
            extra: dict = {}
            lin = lineage.get(number)
            if has_dna and number in fams and not index.set_aside_of(number):
                # (a family set aside from the index keeps its earlier DNA evidence; its report page says why)
                pair = _pair_dna(index, prof, number)
                item = _dna_item(pair.lr, pair.log10_lr, pair.inconsistent, pair.markers_compared,
                                 dna.provenance(), lin)
                items.append(item)
                base = dna.conclusion(fams[number], pair.lr, pair.log10_lr, pair.inconsistent, pair.markers_compared)
                extra = {"provenance": dna.provenance(),
                         "conclusion": base if lin is None else _lineage_conclusion(base, lin, rules, item.log10_lr)}
            elif lin is not None and not (has_dna and number in fams):
                item = _dna_item(None, None, 0, 0, dna.provenance(), lin, autosomal=False)
                items.append(item)
                extra = {"provenance": dna.provenance(),
                         "conclusion": _lineage_conclusion(None, lin, rules, item.log10_lr)}
            elif number not in fams and old.has_dna:
                # The family's DNA is gone (consent withdrawn, sample erased): so is this evidence.
                drop_dna(old)
            _, what = record_candidate(session, child.case_number, number, user=user, prior=prior, items=items,
                                       drop=_computed_kinds(faces), **extra)
            summary.candidates[what] += 1
            if extra and extra["conclusion"]["excluded"] and what != "unchanged":
                summary.candidates_excluded += 1
    if summary.candidates["added"] or summary.candidates["updated"]:
        append_audit(session, user, "matching.run", entity="matching", entity_id=None,
                     details={k: v for k, v in summary.as_dict().items()})
    if dbs is not None:
        save_fits(session, dbs)   # a discrete Laplace fit made in this run is kept: the next run reads it back
    matching_done(session)   # in the transaction that records the candidates: complete, or still owed
    session.commit()
    return summary
