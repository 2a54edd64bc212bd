"""Write a simulated population as the CSV files the search reads.

``out_dir/profiles.csv``   typed family members (sample ids ``F000001-M``), the profiles format
``out_dir/families.csv``   one row per pedigree member, the families format
``out_dir/found.csv``      the found children (sample ids ``C000001``), the profiles format
``out_dir/truth.csv``      ``sample,family``: the family a found child belongs to, empty if unrelated

The formats are those of :mod:`reunite.search.io`.  Every profile carries an Amelogenin row
(X,X or X,Y) after its markers.  Columns are built with numpy and written by pyarrow, so a
million families take seconds, not minutes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..genetics.markers import display_name, parse_profile
from ..genetics.pedigree import make_pedigree
from ..genetics.simulate import SimulatedPopulation
from ..search.io import FAMILY_COLUMNS, PROFILE_COLUMNS, FamilyRecord

__all__ = ["family_records", "write_population"]

_AMEL = display_name("AMEL")


def write_population(pop: SimulatedPopulation, out_dir: str | os.PathLike) -> dict[str, Path]:
    """Write ``profiles.csv``, ``families.csv``, ``found.csv`` and ``truth.csv`` into ``out_dir``
    (created if needed); return their paths by stem."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vocab, lut = _allele_vocabulary(pop)
    fam_ids = pa.array(pop.family_ids(), type=pa.string())
    found_ids = pa.array(pop.found_ids(), type=pa.string())
    paths = {stem: out / f"{stem}.csv" for stem in ("profiles", "families", "found", "truth")}

    # Typed members, ordered by family then by their place in the pedigree.
    fam_idx, member, alleles, male = [], [], [], []
    members = _member_names(pop)
    for grp in pop.groups:
        lay = grp.layout
        for pid in lay.typed:
            fam_idx.append(grp.family_index)
            member.append(np.full(len(grp), members.index(pid), dtype=np.int32))
            alleles.append(grp.alleles[pid])
            male.append(grp.male[pid])
    pos = {pid: i for i, pid in enumerate(members)}
    if fam_idx:
        fi = np.concatenate(fam_idx)
        mi = np.concatenate(member)
        # Pedigree order within a family: rank members by their position in their layout.
        order_key = np.concatenate([np.full(len(grp), [p for p, *_ in grp.layout.members].index(pid))
                                    for grp in pop.groups for pid in grp.layout.typed])
        order = np.lexsort((order_key, fi))
        fi, mi = fi[order], mi[order]
        al = np.concatenate(alleles)[order]
        ml = np.concatenate(male)[order]
    else:
        fi = mi = np.zeros(0, np.int64)
        al = np.zeros((0, len(pop.markers), 2), np.uint8)
        ml = np.zeros(0, bool)
    samples = pc.binary_join_element_wise(fam_ids.take(pa.array(fi)),
                                          pa.array(members, pa.string()).take(pa.array(mi)), "-")
    _write_profiles(paths["profiles"], samples, al, ml, pop, vocab, lut)
    _write_profiles(paths["found"], found_ids, pop.found_alleles, pop.found_male, pop, vocab, lut)
    _write_families(paths["families"], pop, fam_ids, members, pos)
    # Unrelated children (family -1) take the empty id appended after the families.
    with_empty = pa.concat_arrays([fam_ids, pa.array([""], pa.string())])
    fam_col = with_empty.take(pa.array(np.where(pop.found_family >= 0, pop.found_family, pop.n_families)))
    _write(paths["truth"], ("sample", "family"), [found_ids, fam_col])
    return paths


def _member_names(pop: SimulatedPopulation) -> list[str]:
    names: dict[str, None] = {}
    for grp in pop.groups:
        for pid, *_ in grp.layout.members:
            names.setdefault(pid)
    return list(names)


def _allele_vocabulary(pop: SimulatedPopulation) -> tuple[pa.Array, np.ndarray]:
    """All allele labels (plus X, Y) and ``lut[marker, allele index]`` -> vocabulary index."""
    labels: dict[str, int] = {"X": 0, "Y": 1}
    width = max((len(a) for a in pop.alleles), default=1)
    lut = np.zeros((len(pop.alleles), width), dtype=np.int32)
    for m, als in enumerate(pop.alleles):
        for k, a in enumerate(als):
            lut[m, k] = labels.setdefault(a, len(labels))
    return pa.array(list(labels), type=pa.string()), lut


def _write_profiles(path: Path, samples: pa.Array, alleles: np.ndarray, male: np.ndarray,
                    pop: SimulatedPopulation, vocab: pa.Array, lut: np.ndarray) -> None:
    n, n_m = alleles.shape[0], len(pop.markers)
    per = n_m + 1
    m = np.arange(n_m)
    codes = np.empty((n, per, 2), dtype=np.int32)
    codes[:, :n_m, 0] = lut[m, alleles[..., 0]]
    codes[:, :n_m, 1] = lut[m, alleles[..., 1]]
    codes[:, n_m, 0] = 0
    codes[:, n_m, 1] = np.where(male, 1, 0)
    markers = pa.array([*pop.marker_names, _AMEL], type=pa.string())
    cols = [
        samples.take(pa.array(np.repeat(np.arange(n), per))),
        pa.DictionaryArray.from_arrays(pa.array(np.tile(np.arange(per, dtype=np.int32), n)), markers),
        pa.DictionaryArray.from_arrays(pa.array(codes[..., 0].ravel()), vocab),
        pa.DictionaryArray.from_arrays(pa.array(codes[..., 1].ravel()), vocab),
    ]
    _write(path, PROFILE_COLUMNS, cols)


def _write_families(path: Path, pop: SimulatedPopulation, fam_ids: pa.Array, members: list[str],
                    pos: dict[str, int]) -> None:
    names = pa.array(["", *members], type=pa.string())  # code 0: no parent
    sexes = pa.array(["female", "male", "unknown"], type=pa.string())
    flags = pa.array(["0", "1"], type=pa.string())
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("fam", "slot", "id", "father", "mother", "sex",
                                                          "typed", "missing")}
    for grp in pop.groups:
        lay = grp.layout
        for slot, (pid, fa, mo, _sex) in enumerate(lay.members):
            n = len(grp)
            parts["fam"].append(grp.family_index)
            parts["slot"].append(np.full(n, slot))
            parts["id"].append(np.full(n, pos[pid] + 1, np.int32))
            parts["father"].append(np.full(n, pos[fa] + 1 if fa else 0, np.int32))
            parts["mother"].append(np.full(n, pos[mo] + 1 if mo else 0, np.int32))
            parts["sex"].append(grp.male[pid].astype(np.int32))
            parts["typed"].append(np.full(n, pid in lay.typed))
            parts["missing"].append(np.full(n, int(pid == lay.missing), np.int32))
    if not parts["fam"]:
        _write(path, FAMILY_COLUMNS, [pa.array([], pa.string())] * len(FAMILY_COLUMNS))
        return
    col = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((col["slot"], col["fam"]))
    col = {k: v[order] for k, v in col.items()}
    fam = fam_ids.take(pa.array(col["fam"]))
    ids = names.take(pa.array(col["id"]))
    sample = pc.if_else(pa.array(col["typed"]), pc.binary_join_element_wise(fam, ids, "-"), "")
    dict_col = lambda k, d: pa.DictionaryArray.from_arrays(pa.array(col[k]), d)  # noqa: E731
    _write(path, FAMILY_COLUMNS, [fam, ids, dict_col("father", names), dict_col("mother", names),
                                  dict_col("sex", sexes), sample, dict_col("missing", flags)])


def _write(path: Path, header: tuple[str, ...], columns: list[pa.Array]) -> None:
    table = pa.table(dict(zip(header, columns, strict=True)))
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(header) + "\n").encode())
        if table.num_rows:
            pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, quoting_style="none",
                                                              batch_size=1 << 16))


def family_records(pop: SimulatedPopulation) -> list[FamilyRecord]:
    """The population's families as :class:`~reunite.search.io.FamilyRecord` objects (typed members'
    profiles included), as ``read_families`` would give them from the written files."""
    out = []
    for f in pop.families:
        gts = {pid: parse_profile({m: list(g) for m, g in gt.items()}) for pid, gt in f.profiles.items()}
        out.append(FamilyRecord(family=f.family, pedigree=make_pedigree(f.pedigree), missing=f.missing,
                                profiles=gts))
    return out
