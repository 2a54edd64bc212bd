"""The reference index: every family compiled for fast, exact one-vs-all search.

For each family and marker the index stores the distribution of the missing child's genotype
given the typed relatives, over the family's own alleles plus one "rest" state for every other
allele (exact without mutation: an allele the relatives do not carry came from an untyped
founder, so within the rest it is distributed as the population frequencies).  With K the
index's ``allele_slots`` (room for the most distinct alleles a family can have at a marker:
twice its typed relatives, e.g. 4 when two are typed), P = (K + 1)(K + 2) / 2 and, for marker m and family row f,

* ``S[m, f, :]`` (``ReferenceIndex.family_alleles``, shape (M, F, K), int16, marker-major for
  the kernel; ``S.npy``): the family's distinct alleles at the marker, sorted (allele indices, -1
  padding); the code of an allele is its position there, K for any other allele (the "rest"), and
* ``U[m, :, f]`` (``ReferenceIndex.genotype_tables``, shape (M, P, F), float32, each entry's
  families contiguous; ``U.npy``): the packed upper triangle of the symmetric table
  P(missing child has genotype {i, j} | family) over the codes 0..K,

the LR of a found child with genotype {x, y} is, per marker::

    LR = U[m, packed(code(x), code(y)), f] * w(x) * w(y) * (2 if x != y both in the rest) / P_HW(x, y)

with w(x) = p_x / p_rest for an allele in the rest and 1 otherwise.  With K = 4 that is 60 bytes
of ``U`` and 8 of ``S`` per family and marker; ``U`` ranks and prefilters with a safety margin,
and the LRs reported are recomputed in float64 from the family's genotypes by the same peeling
code as ``reunite kinship lr``, so they agree with it to 1e-12.

With a mutation model the compact tables do not apply; families are still grouped (same
pedigree, missing member and typed members) and searched exactly, many (family, marker)
problems peeled together, by :mod:`reunite.search.mutation`, which also stores per group what
does not depend on the found child.  Families with an allele absent from the frequency table
(which changes the table for that pair) are kept as records and evaluated by the kinship engine
itself, pair by pair.

The index is autosomal: X-chromosomal markers of the frequency table (``MarkerFrequencies.chromosome
== "X"``) are left out of it, said in ``ReferenceIndex.x_markers_skipped``, its ``notes`` and
``reunite index status``; they are never treated as autosomal (``reunite kinship lr`` computes them).
Asking for an X marker explicitly (``markers=``) is an error that says so.

No family stops the build: without a mutation model, a family whose own relatives are inconsistent
at a marker is set aside (its row is not ``searched``) and ``ReferenceIndex.set_aside`` says, per marker,
which family, members and marker, and why (labels only, never alleles).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, ReuniteError
from ..genetics.frequencies import FrequencyTable, MarkerFrequencies, load_frequencies
from ..genetics.kinship import KinshipCase, missing_person_lr
from ..genetics.likelihood import peel_batch, relevant_people
from ..genetics.markers import Profile, marker_key, parse_profile
from ..genetics.mutation import SexSpecificMutation, parse_mutation
from ..genetics.pedigree import Pedigree, Person
from .codes import lump_codes
from .lineage import LINEAGE_FILES, LineageIndex, compile_lineage, empty_lineage
from .mutation import prepare_group

__all__ = [
    "INDEX_VERSION",
    "READABLE_VERSIONS",
    "FamilyGroup",
    "GroupInput",
    "ReferenceIndex",
    "build_index",
    "compile_index",
    "family_tables",
    "group_families",
    "index_status",
]

INDEX_VERSION = 4  # 4: lineage markers (lineage*.npy, lineage.json); 3: the mutation index keeps pattern tables
#: Versions this Reunite loads: an index without lineage data is still written as version 3, and
#: loads and searches exactly as before.
READABLE_VERSIONS = (3, 4)
_CHUNK = 50_000


def family_tables(ped: Pedigree, missing: str, typed: Sequence[str], geno: np.ndarray,
                  freqs: Sequence[np.ndarray], k: int, *, bad: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Compile families that share one pedigree: S (F, M, k) int16 and U (F, M, P) float64.

    ``geno`` is (F, M, T, 2) allele indices of the ``typed`` members (-1 where untyped).  All
    (family, marker) pairs are peeled together in chunks, grouped by who is typed.

    A family whose own genotypes are impossible at a marker without mutation is an error, unless
    ``bad`` (an (F, M) bool array) is given: then it is marked there and its table at that marker
    is left zero (LR 0 for every child).
    """
    f_n, m_n, t_n, _ = geno.shape
    k1 = k + 1
    iu = np.triu_indices(k1)
    z_n = f_n * m_n
    flat = np.asarray(geno).reshape(z_n, t_n, 2)
    nmax = max((len(f) for f in freqs), default=1)   # no marker: lineage-only families
    ptab = np.zeros((m_n, nmax))
    for m, f in enumerate(freqs):
        ptab[m, : len(f)] = f
    marker_of = np.tile(np.arange(m_n), f_n)
    s_out = np.full((z_n, k), -1, dtype=np.int16)
    u_out = np.zeros((z_n, len(iu[0])))
    bad_flat = np.zeros(z_n, dtype=bool)
    ped1 = ped.trimmed(set(typed) | {missing})
    people_cache: dict[int, list[str]] = {}
    chunk = max(1, _CHUNK * 4)
    for c0 in range(0, z_n, chunk):
        sl = slice(c0, min(z_n, c0 + chunk))
        g = flat[sl]
        n = g.shape[0]
        uniq, codes = lump_codes(g.reshape(n, 2 * t_n), k)
        if (codes >= k).any():
            raise InputError(f"a family carries more than {k} alleles at one marker")
        s_out[sl] = uniq
        valid = uniq >= 0
        fr = np.zeros((n, k1))
        fr[:, :k] = np.where(valid, ptab[marker_of[sl][:, None], np.where(valid, uniq, 0)], 0.0)
        fr[:, k] = 1.0 - fr[:, :k].sum(axis=1)
        codes = codes.reshape(n, t_n, 2)
        bits = ((codes[:, :, 0] >= 0).astype(np.int64) << np.arange(t_n)).sum(axis=1)
        keys, inverse = np.unique(bits, return_inverse=True)
        table = np.zeros((n, k1, k1))
        for pi, key in enumerate(keys):
            key = int(key)
            pat = [(key >> t) & 1 == 1 for t in range(t_n)]
            rows = np.nonzero(inverse == pi)[0] if len(keys) > 1 else np.arange(n)
            ts = [typed[t] for t in range(t_n) if pat[t]]
            if not ts:
                table[rows, k, k] = 1.0
                continue
            people = people_cache.get(key)
            if people is None:
                people = people_cache[key] = relevant_people(ped1, set(ts), {missing})
            gsub = {ts_id: codes[rows, t] for t, ts_id in enumerate(typed) if pat[t]}
            table[rows] = peel_batch(ped1, people, ts, gsub, fr[rows], None, 0.0, missing)
        tot = table.sum(axis=(1, 2))
        impossible = ~(tot > 0)
        if impossible.any():
            if bad is None:
                raise InputError("a family's own genotypes are impossible at a marker without mutation")
            bad_flat[sl] = impossible
            tot = np.where(impossible, 1.0, tot)
        t = table / tot[:, None, None]
        sym = t + t.transpose(0, 2, 1)
        sym[:, np.arange(k1), np.arange(k1)] = t[:, np.arange(k1), np.arange(k1)]
        u_out[sl] = sym[:, iu[0], iu[1]]
    if bad is not None:
        bad |= bad_flat.reshape(f_n, m_n)
    return s_out.reshape(f_n, m_n, k), u_out.reshape(f_n, m_n, len(iu[0]))


def _conflicting_members(ped: Pedigree, missing: str, typed: Sequence[str], geno_m: np.ndarray,
                         freqs_m: np.ndarray) -> list[str]:
    """Typed members whose genotypes at one marker (``geno_m`` (T, 2) allele indices) cannot occur
    together without mutation: a minimal such set (none can be left out), found by leaving members
    out one at a time."""

    def impossible(ids: list[str]) -> bool:
        sub = [typed.index(i) for i in ids]
        bad = np.zeros((1, 1), dtype=bool)
        family_tables(ped, missing, ids, geno_m[sub][None, None], [freqs_m], 2 * len(ids), bad=bad)
        return bool(bad[0, 0])

    keep = [pid for t, pid in enumerate(typed) if geno_m[t, 0] >= 0]
    for pid in list(keep):
        trial = [q for q in keep if q != pid]
        if trial and impossible(trial):
            keep = trial
    return keep


def _set_aside_entries(table: FrequencyTable, markers: Sequence[str], ped: Pedigree, missing: str,
                       typed: Sequence[str], family: str, geno: np.ndarray, bad: np.ndarray,
                       freqs: Sequence[np.ndarray], *, with_mutation: bool = False) -> list[dict]:
    """One entry per marker at which a family is inconsistent without mutation (or, with
    ``with_mutation``, impossible even with the index's mutation model): family, members,
    marker and why (labels only, never alleles)."""
    out = []
    for mi in np.nonzero(bad)[0]:
        members = _conflicting_members(ped, missing, list(typed), np.asarray(geno[mi]), freqs[mi])
        name = table.markers[markers[mi]].name
        if with_mutation:
            out.append({"family": family, "members": members, "marker": name, "kind": "impossible",
                        "why": f"the genotypes of {', '.join(members)} at {name} cannot be inherited as the pedigree "
                               "says even with the index's mutation model (a sample mix-up or a wrong relationship?); "
                               "set aside from the index: check the samples and the pedigree"})
            continue
        out.append({"family": family, "members": members, "marker": name, "kind": "inconsistent",
                    "why": f"the genotypes of {', '.join(members)} at {name} cannot be inherited as the pedigree "
                           "says without a mutation (or a sample mix-up, or a wrong relationship); set aside from "
                           "the mutation-free index: build the index with a mutation model to search it"})
    return out


@dataclass
class FamilyGroup:
    """Families that share one pedigree, missing member and typed members."""

    pedigree: Pedigree
    missing: str
    typed: tuple[str, ...]
    rows: np.ndarray            # rows of these families in the index arrays
    geno: np.ndarray            # (F, M, T, 2) int16 allele indices
    # Compiled search tables of the mutation-model index (reunite.search.mutation): named arrays,
    # saved as group<i>_x_<name>.npy and memory-mapped on load.
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def subset(self, keep: np.ndarray) -> FamilyGroup:
        """The families of this group where ``keep`` (F,) is true."""
        return FamilyGroup(self.pedigree, self.missing, self.typed, self.rows[keep], self.geno[keep],
                           extra={n: (a[keep] if n == "pid" else a) for n, a in self.extra.items()})


@dataclass
class ReferenceIndex:
    """The compiled reference families; see the module docstring."""

    table: FrequencyTable
    markers: list[str]                      # marker keys, table order
    allele_slots: int                       # K: room for a family's distinct alleles at a marker
    family_ids: list[str]
    family_alleles: np.ndarray              # (M, F, K) int16, marker-major for the kernel (S.npy)
    genotype_tables: np.ndarray             # (M, P, F) float32, each entry's families contiguous (U.npy)
    searched: np.ndarray                    # (F,) bool: False once removed or set aside (alive.npy)
    groups: list[FamilyGroup] = field(default_factory=list)
    row_group: np.ndarray | None = None     # (F,) group number, -1 for engine-evaluated
    row_pos: np.ndarray | None = None       # (F,) position within the group
    records: dict[str, object] = field(default_factory=dict)   # engine-evaluated families
    mutation: SexSpecificMutation | None = None
    # Families not indexed (rows not searched): {family, members, marker, why, kind} per marker at which
    # a family's own genotypes are inconsistent without mutation (mutation-free index only).
    set_aside: list[dict] = field(default_factory=list)
    # X-chromosomal markers of the frequency table left out (the index is autosomal), display names.
    x_markers_skipped: list[str] = field(default_factory=list)
    # The families' closest typed relatives of the paternal and maternal lines (reunite.search.lineage),
    # one row per index row; None when no family has lineage markers.
    lineage: LineageIndex | None = None

    @property
    def notes(self) -> list[str]:
        """Sentences about what the index leaves out (for build summaries and status)."""
        return _x_notes(self.x_markers_skipped)

    @property
    def size(self) -> int:
        return int(self.searched.sum())

    def nbytes(self) -> int:
        return int(self.family_alleles.nbytes + self.genotype_tables.nbytes + self.searched.nbytes
                   + sum(g.geno.nbytes + g.rows.nbytes for g in self.groups)
                   + sum(np.asarray(a).nbytes for g in self.groups for a in g.extra.values())
                   + (self.row_group.nbytes + self.row_pos.nbytes if self.row_group is not None else 0)
                   + (self.lineage.nbytes() if self.lineage is not None else 0))

    def freq_arrays(self) -> list[np.ndarray]:
        return [np.asarray(self.table.markers[m].freqs, dtype=float) for m in self.markers]

    def row_of(self, family: str) -> int:
        try:
            r = self._rows[family]
        except KeyError:
            raise InputError(f"family {family!r} is not in the index") from None
        if not self.searched[r]:
            aside = self.set_aside_of(family)
            if aside:
                raise InputError(f"family {family!r} was set aside when it was indexed: "
                                 f"{'; '.join(e['why'] for e in aside)}")
            raise InputError(f"family {family!r} was removed from the index")
        return r

    def set_aside_of(self, family: str) -> list[dict]:
        """The set-aside entries of one family (empty if it is not set aside)."""
        return [e for e in self.set_aside if e["family"] == family]

    @property
    def _rows(self) -> dict[str, int]:
        d = self.__dict__.get("_row_map")
        if d is None or len(d) != len(self.family_ids):
            d = {f: i for i, f in enumerate(self.family_ids)}
            self.__dict__["_row_map"] = d
        return d

    # ------------------------------------------------------------------ incremental updates

    def add_families(self, families: Iterable, mutation=None, *, y: Mapping | None = None,
                     mt: Mapping | None = None) -> int:
        """Compile and append families (FamilyRecord-like); return how many were added.

        ``y``/``mt`` (sample id → haplotype / sequence) give the new families' lineage markers."""
        new = build_index(families, self.table, mutation=self.mutation, markers=self.markers, k=self.allele_slots,
                          y=y, mt=mt)
        dup = set(new.family_ids) & {f for f, a in zip(self.family_ids, self.searched, strict=True) if a}
        if dup:
            raise InputError(f"{len(dup)} family id(s) are already in the index (e.g. {sorted(dup)[0]!r}); "
                             "remove them first")
        off = len(self.family_ids)
        self.family_ids = self.family_ids + new.family_ids
        if self.mutation is None:
            self.family_alleles = np.concatenate([np.asarray(self.family_alleles), new.family_alleles], axis=1)
            self.genotype_tables = np.concatenate([np.asarray(self.genotype_tables), new.genotype_tables], axis=2)
        else:  # the mutation index has no float32 tables (empty); its k only records the largest
            self.allele_slots = max(self.allele_slots, new.allele_slots)
        self.searched = np.concatenate([np.asarray(self.searched), new.searched])
        goff = len(self.groups)
        for g in new.groups:
            self.groups.append(FamilyGroup(g.pedigree, g.missing, g.typed, g.rows + off, g.geno, extra=g.extra))
        self.row_group = np.concatenate([self.row_group, np.where(new.row_group >= 0, new.row_group + goff, -1)])
        self.row_pos = np.concatenate([self.row_pos, new.row_pos])
        self.records.update(new.records)
        if new.lineage is not None or self.lineage is not None:
            if self.lineage is None:
                self.lineage = empty_lineage(off, new.lineage.loci)
            self.lineage.extend(new.lineage, len(new.family_ids))
        again = set(new.family_ids)
        self.set_aside = [e for e in self.set_aside if e["family"] not in again] + new.set_aside
        return new.size

    def remove_family(self, family: str) -> None:
        """Take a family out of every future search (its row is tombstoned; a set-aside family is
        forgotten)."""
        if self.set_aside_of(family):
            self.set_aside = [e for e in self.set_aside if e["family"] != family]
            r = self._rows.get(family)
            if r is None or not self.searched[r]:
                return
        r = self.row_of(family)
        searched = np.array(self.searched)
        searched[r] = False
        self.searched = searched
        self.records.pop(family, None)

    # --------------------------------------------------------------------------- save / load

    def save(self, out: str | Path) -> Path:
        """Write the index to a directory (numpy arrays + JSON), loadable with :meth:`load`.

        Each file is written beside its final name and then renamed over it, so a process that has
        the old index memory-mapped keeps reading the old files (never a truncated one)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _save_npy(out / "S.npy", np.asarray(self.family_alleles))
        _save_npy(out / "U.npy", np.asarray(self.genotype_tables))
        _save_npy(out / "alive.npy", np.asarray(self.searched))
        _save_npy(out / "row_group.npy", self.row_group)
        _save_npy(out / "row_pos.npy", self.row_pos)
        _save_text(out / "family_ids.txt", "\n".join(self.family_ids) + "\n")
        groups = []
        for i, g in enumerate(self.groups):
            _save_npy(out / f"group{i}_geno.npy", g.geno)
            _save_npy(out / f"group{i}_rows.npy", g.rows)
            for name, arr in g.extra.items():
                _save_npy(out / f"group{i}_x_{name}.npy", np.asarray(arr))
            groups.append({"pedigree": g.pedigree.as_records(), "missing": g.missing, "typed": list(g.typed),
                           "extra": sorted(g.extra)})
        records = [_record_to_json(r) for r in self.records.values()]
        if self.lineage is not None:
            self.lineage.save(out, _save_npy, _save_text)
        meta = {
            "version": INDEX_VERSION if self.lineage is not None else 3,
            "frequencies": self.table.name,
            "frequency_table": {m: {"alleles": list(self.table.markers[m].alleles),
                                    "freqs": [float(x) for x in self.table.markers[m].freqs],
                                    "name": self.table.markers[m].name} for m in self.markers},
            "markers": self.markers,
            "k": self.allele_slots,
            "mutation": self.mutation.as_dict() if self.mutation else None,
            "groups": groups,
            "records": records,
            "set_aside": self.set_aside,
            "x_markers_skipped": self.x_markers_skipped,
        }
        if self.lineage is not None:
            meta["lineage"] = {"files": list(LINEAGE_FILES), "loci": self.lineage.loci, **self.lineage.counts()}
        _save_text(out / "meta.json", json.dumps(meta))
        return out

    @classmethod
    def load(cls, path: str | Path, *, mmap: bool = True) -> ReferenceIndex:
        """Load an index written by :meth:`save` (large arrays memory-mapped)."""
        path = Path(path)
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except OSError:
            raise InputError(f"{path}: not a Reunite index (no meta.json); build one with "
                             "`reunite index build`") from None
        if meta.get("version") not in READABLE_VERSIONS:
            raise InputError(f"{path}: index version {meta.get('version')} is not {INDEX_VERSION}; rebuild it")
        mode = "r" if mmap else None
        table = _table_from_meta(meta)
        groups = []
        for i, g in enumerate(meta["groups"]):
            ped = Pedigree(Person(r["id"], r["father"], r["mother"], r["sex"]) for r in g["pedigree"])
            groups.append(FamilyGroup(ped, g["missing"], tuple(g["typed"]),
                                      np.load(path / f"group{i}_rows.npy"),
                                      np.load(path / f"group{i}_geno.npy", mmap_mode=mode),
                                      extra={name: np.load(path / f"group{i}_x_{name}.npy", mmap_mode=mode)
                                             for name in g.get("extra", [])}))
        ids = (path / "family_ids.txt").read_text(encoding="utf-8").splitlines()
        records = {}
        for r in meta["records"]:
            rec = _record_from_json(r)
            records[rec.family] = rec
        return cls(table, meta["markers"], meta["k"], ids,
                   np.load(path / "S.npy", mmap_mode=mode), np.load(path / "U.npy", mmap_mode=mode),
                   np.load(path / "alive.npy"), groups, np.load(path / "row_group.npy"),
                   np.load(path / "row_pos.npy"), records, parse_mutation(meta["mutation"]),
                   set_aside=list(meta.get("set_aside", [])),
                   x_markers_skipped=list(meta.get("x_markers_skipped", [])),
                   lineage=LineageIndex.load(path, mode) if meta.get("lineage") else None)


def _x_notes(skipped: Sequence[str]) -> list[str]:
    if not skipped:
        return []
    return [f"X-chromosomal marker(s) {', '.join(skipped)} of the frequency table are not used by the "
            f"index (it is autosomal: males carry one X allele); compute them with `reunite kinship lr`"]


def _x_checked(table: FrequencyTable, markers: Sequence[str] | None) -> FrequencyTable:
    """The autosomal part of ``table``; an error if ``markers`` asks for an X marker."""
    if markers is not None:
        asked = [marker_key(m) for m in markers]
        x = [table.markers[m].name for m in asked if m in table.markers and table.markers[m].chromosome == "X"]
        if x:
            raise InputError(f"marker(s) {', '.join(x)} are X-chromosomal; the search index is autosomal "
                             "(leave them out of the index markers; `reunite kinship lr` computes them)")
    return table.autosomal()


def _save_npy(path: Path, arr) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, np.asarray(arr))
    os.replace(tmp, path)


def _save_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _table_from_meta(meta) -> FrequencyTable:
    mk = {k: MarkerFrequencies(v["name"], tuple(v["alleles"]), np.array(v["freqs"], dtype=float))
          for k, v in meta["frequency_table"].items()}
    return FrequencyTable(meta["frequencies"], mk, source=f"index copy of {meta['frequencies']}")


@dataclass
class _Record:
    family: str
    pedigree: Pedigree
    missing: str
    profiles: dict[str, Profile]


def _record_to_json(r) -> dict:
    return {"family": r.family, "pedigree": r.pedigree.as_records(), "missing": r.missing,
            "genotypes": {pid: {p.names[k]: list(v) for k, v in p.genotypes.items()}
                          for pid, p in r.profiles.items()}}


def _record_from_json(d) -> _Record:
    ped = Pedigree(Person(r["id"], r["father"], r["mother"], r["sex"]) for r in d["pedigree"])
    return _Record(d["family"], ped, d["missing"], {pid: parse_profile(g) for pid, g in d["genotypes"].items()})


def _signature(ped: Pedigree) -> tuple:
    return tuple((p.id, p.father, p.mother, p.sex) for p in (ped[i] for i in ped.order))


def build_index(families: Iterable, frequencies: str | FrequencyTable, *, mutation: object = None,
                markers: Sequence[str] | None = None, k: int | None = None, y: Mapping | None = None,
                mt: Mapping | None = None) -> ReferenceIndex:
    """Compile families (objects with ``family``, ``pedigree``, ``missing``, ``profiles``).

    ``markers`` defaults to the table's markers typed in at least one family.  Families that
    need the kinship engine (an allele absent from the table; with a mutation model, no member
    typed at a marker of the table, or a table marker outside ``markers``) are kept as records
    and searched pair by pair.  ``y``/``mt`` (sample id → Y-STR haplotype / mtDNA sequence, as
    :func:`reunite.search.io.read_profiles_lineage` reads them; the families then need ``samples``)
    add the lineage rows (:mod:`reunite.search.lineage`).
    """
    table = load_frequencies(frequencies)
    mut = parse_mutation(mutation)
    fams = list(families)
    markers, ids, structures, records = group_families(fams, table, mutation=mut, markers=markers)
    idx = compile_index(table, list(markers), ids, structures, records, mutation=mut, k=k)
    if y or mt:
        idx.lineage = compile_lineage(idx.family_ids, fams, y or {}, mt or {})
    return idx


def group_families(families: Iterable, frequencies: str | FrequencyTable, *, mutation: object = None,
                   markers: Sequence[str] | None = None
                   ) -> tuple[list[str], list[str], list[GroupInput], dict[str, object]]:
    """Group family records by (pedigree, missing member, typed members) into the input of
    :func:`compile_index`: ``(markers, family_ids, structures, records)``.  The one place
    these decisions are made (the columnar CSV reader makes the same ones on arrays)."""
    table = _x_checked(load_frequencies(frequencies), markers)
    mut = parse_mutation(mutation)
    fams = list(families)
    ids = [f.family for f in fams]
    if len(set(ids)) != len(ids):
        seen, dup = set(), None
        for i in ids:
            if i in seen:
                dup = i
                break
            seen.add(i)
        raise InputError(f"family id {dup!r} appears twice")
    if markers is None:
        typed_keys = set()
        for f in fams:
            for prof in f.profiles.values():
                typed_keys.update(prof.genotypes)
        markers = [m for m in table.markers if m in typed_keys]
    else:
        markers = [marker_key(m) for m in markers]
        unknown = [m for m in markers if m not in table.markers]
        if unknown:
            raise InputError(f"marker(s) {', '.join(unknown)} are not in the frequency table {table.name!r}")
    m_n = len(markers)
    # Split into compact (grouped) and engine-evaluated families, reading each genotype once.
    regular: dict[tuple, list[tuple[int, np.ndarray]]] = {}
    records: dict[str, object] = {}
    peds: dict[int, tuple] = {}
    luts = {mk: {a: i for i, a in enumerate(table.markers[mk].alleles)} for mk in markers}
    mpos = {mk: i for i, mk in enumerate(markers)}
    for i, f in enumerate(fams):
        if mut is None:
            typed = tuple(pid for pid in f.pedigree.order if pid in f.profiles and len(f.profiles[pid])
                          and pid != f.missing)
        else:  # the kinship engine's relatives: typed at a marker of the table
            typed = tuple(pid for pid in f.pedigree.order if pid in f.profiles and pid != f.missing
                          and any(mk in table.markers for mk in f.profiles[pid].genotypes))
        ok = mut is None or bool(typed)
        g = np.full((m_n, len(typed), 2), -1, dtype=np.int16)
        if ok:
            for ti, pid in enumerate(typed):
                for mk, (a, b) in f.profiles[pid].genotypes.items():
                    mi = mpos.get(mk)
                    if mi is None:
                        if mk in table.markers and (mut is not None  # used by the engine, not the index
                                                    or a not in luts.get(mk, table.markers[mk]._index)
                                                    or b not in table.markers[mk]._index):
                            ok = False
                            break
                        continue
                    lut = luts[mk]
                    ia, ib = lut.get(a), lut.get(b)
                    if ia is None or ib is None:
                        ok = False
                        break
                    g[mi, ti, 0] = ia
                    g[mi, ti, 1] = ib
                if not ok:
                    break
        if not ok:
            records[f.family] = f
            continue
        sig = peds.get(id(f.pedigree))
        if sig is None:
            sig = peds[id(f.pedigree)] = _signature(f.pedigree)
        regular.setdefault((sig, f.missing, typed), []).append((i, g))
    structures = []
    for (_sig, missing, typed), members in regular.items():
        rows = np.array([i for i, _g in members], dtype=np.int64)
        structures.append(GroupInput(fams[int(rows[0])].pedigree, missing, typed, rows,
                                     np.stack([g for _i, g in members])))
        members.clear()
    return list(markers), ids, structures, records


@dataclass
class GroupInput:
    """Families of one pedigree, missing member and typed members, ready to compile:
    ``rows`` their rows in the index (positions in ``family_ids``), ``geno`` (F, M, T, 2) int16
    allele indices into the table (-1 untyped) over the index's markers."""

    pedigree: Pedigree
    missing: str
    typed: tuple[str, ...]
    rows: np.ndarray
    geno: np.ndarray


def compile_index(table: FrequencyTable, markers: list[str], family_ids: list[str],
                  structures: Sequence[GroupInput], records: Mapping[str, object], *,
                  mutation: object = None, k: int | None = None) -> ReferenceIndex:
    """Compile grouped families (and engine-evaluated ``records``, whose rows are those of their
    ids in ``family_ids``) into an index.  The one place an index is compiled."""
    mut = parse_mutation(mutation)
    x_skipped = [table.markers[m].name for m in table.x_markers()]
    table = _x_checked(table, markers)
    records = dict(records)
    f_n = len(family_ids)
    m_n = len(markers)
    row_group = np.full(f_n, -1, dtype=np.int32)
    row_pos = np.full(f_n, -1, dtype=np.int64)
    # K: the most distinct alleles any family has at a marker (at least 2).
    kmax = 2
    for s in structures:
        kmax = max(kmax, min(2 * len(s.typed), 64))
    free = mut is None
    if not free:   # the mutation index's tables are sized per group; k only records the largest
        k = max(kmax, k or 0)
    k = k or kmax
    if kmax > k:
        raise InputError(f"families carry up to {kmax} alleles per marker, more than the index's {k}")
    p_n = (k + 1) * (k + 2) // 2
    S = np.full((m_n, f_n if free else 0, k), -1, dtype=np.int16)
    U = np.zeros((m_n, p_n, f_n if free else 0), dtype=np.float32)
    freqs = [np.asarray(table.markers[m].freqs, dtype=float) for m in markers]
    groups: list[FamilyGroup] = []
    searched = np.ones(f_n, dtype=bool)
    set_aside: list[dict] = []
    for s in structures:
        ped, missing, typed, rows_a, geno = s.pedigree, s.missing, tuple(s.typed), s.rows, s.geno
        group = FamilyGroup(ped, missing, typed, rows_a, geno)
        if not free:
            bad = prepare_group(_IndexLike(table, list(markers), mut), group)
            out = bad.any(axis=1)
            if out.any():  # impossible even with the mutation model: set aside, saying why
                for j in np.nonzero(out)[0]:
                    set_aside += _set_aside_entries(table, markers, ped, missing, typed, family_ids[rows_a[j]],
                                                    geno[j], bad[j], freqs, with_mutation=True)
                searched[rows_a[out]] = False
                group = group.subset(~out)
                rows_a = group.rows
                if not len(rows_a):
                    continue
        else:
            bad = np.zeros((len(rows_a), m_n), dtype=bool)
            for c0 in range(0, len(rows_a), _CHUNK):
                sl = slice(c0, min(len(rows_a), c0 + _CHUNK))
                st, ut = family_tables(ped, missing, typed, geno[sl], freqs, k, bad=bad[sl])
                S[:, rows_a[sl]] = st.transpose(1, 0, 2)
                U[:, :, rows_a[sl]] = ut.astype(np.float32).transpose(1, 2, 0)
            out = bad.any(axis=1)
            if out.any():  # inconsistent without mutation: set aside (not indexed), saying why
                for j in np.nonzero(out)[0]:
                    set_aside += _set_aside_entries(table, markers, ped, missing, typed, family_ids[rows_a[j]],
                                                    geno[j], bad[j], freqs)
                searched[rows_a[out]] = False
                group = group.subset(~out)
                rows_a = group.rows
                if not len(rows_a):
                    continue
        row_group[rows_a] = len(groups)
        row_pos[rows_a] = np.arange(len(rows_a))
        groups.append(group)
    if free:
        U[:, -1, row_group < 0] = 1.0   # engine-evaluated rows: neutral placeholder (never used)
    return ReferenceIndex(table, list(markers), k, list(family_ids), S, U, searched, groups,
                          row_group, row_pos, records, mut, set_aside=set_aside, x_markers_skipped=x_skipped)


def _record_from_arrays(table, markers, ped, missing, typed, family, geno) -> _Record:
    """A family record (labels) from its compiled allele indices (M, T, 2)."""
    gts = {}
    for ti, pid in enumerate(typed):
        d = {}
        for mi, mk in enumerate(markers):
            a, b = int(geno[mi, ti, 0]), int(geno[mi, ti, 1])
            if a >= 0:
                al = table.markers[mk].alleles
                d[table.markers[mk].name] = [al[a], al[b]]
        gts[pid] = parse_profile(d)
    return _Record(family, ped, missing, gts)


@dataclass
class _IndexLike:
    """What reunite.search.mutation needs of an index while it is being built."""

    table: FrequencyTable
    markers: list[str]
    mutation: SexSpecificMutation


def build_index_arrays(table: FrequencyTable, markers: Sequence[str], structures: Mapping[str, tuple],
                       k: int = 4, *, mutation: object = None) -> ReferenceIndex:
    """Compile families straight from arrays (used by the simulator and benchmarks).

    ``structures`` maps a structure name to (pedigree, missing, typed ids, family ids, geno)
    with ``geno`` (F, M, T, 2) allele indices.
    """
    ids: list[str] = []
    groups = []
    off = 0
    for _name, (ped, missing, typed, fids, geno) in structures.items():
        n = len(fids)
        groups.append(GroupInput(ped, missing, tuple(typed), np.arange(off, off + n), np.asarray(geno, dtype=np.int16)))
        ids.extend(fids)
        off += n
    return compile_index(table, [marker_key(m) for m in markers], ids, groups, {}, mutation=mutation,
                         k=None if mutation is not None else k)


def index_status(path: str | Path) -> dict:
    """What ``reunite index status`` shows of an index directory (read without loading its tables):
    families indexed, markers, frequency table, mutation model and the set-aside families."""
    path = Path(path)
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        alive = np.load(path / "alive.npy", mmap_mode="r")
    except (OSError, ValueError):
        raise InputError(f"{path}: not a Reunite index (no readable meta.json and alive.npy); build one with "
                         "`reunite index build`") from None
    aside = list(meta.get("set_aside", []))
    try:
        mut = parse_mutation(meta.get("mutation"))
        mutation_text = mut.describe() if mut is not None else "none (mutation-free search)"
    except (ReuniteError, AttributeError, TypeError, ValueError):
        mutation_text = json.dumps(meta.get("mutation"))
    tables = meta.get("frequency_table", {})
    return {"index": str(path), "version": meta.get("version"), "current_version": INDEX_VERSION,
            "readable": meta.get("version") in READABLE_VERSIONS,
            "families": int(np.count_nonzero(alive)), "rows": len(alive),
            "engine_evaluated": len(meta.get("records", [])),
            "set_aside_families": len({e["family"] for e in aside}),
            "bytes": sum(f.stat().st_size for f in path.iterdir() if f.is_file()),
            "frequencies": meta.get("frequencies"),
            "markers": [tables.get(m, {}).get("name", m) for m in meta.get("markers", [])],
            "mutation": meta.get("mutation"), "mutation_text": mutation_text, "set_aside": aside,
            "x_markers_skipped": list(meta.get("x_markers_skipped", [])),
            "lineage": meta.get("lineage"),
            "notes": _x_notes(meta.get("x_markers_skipped", []))}


def engine_lr(index: ReferenceIndex, record, child: Profile, *, skip_unknown_markers: bool = True):
    """The kinship engine's result for one engine-evaluated family and one child."""
    case = KinshipCase(record.pedigree, record.profiles, record.missing, child, index.table, index.mutation)
    return missing_person_lr(case, skip_unknown_markers=skip_unknown_markers)
