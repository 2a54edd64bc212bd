"""A kinship case in the form of R's pedsuite (pedtools, pedprobr, forrel), so that any Reunite LR
can be recomputed independently.

Written into a folder:

- ``ped.tsv``: the pedigree under H1 as a pedtools ped data frame (tab-separated): ``id``,
  ``fid``, ``mid`` (``0`` for a founder), ``sex`` (1 male, 2 female, 0 unknown), then one column
  per marker with genotypes ``a/b`` (``-/-`` untyped); the missing member carries the found
  person's genotypes (H1 places the found person there).  Read with
  ``pedtools::as.ped(df, locusAttributes = db, missing = "-", sep = "/")`` — the data frame layout of
  pedtools' ``as.ped.data.frame``.
- ``frequencies.txt``: the frequency table in pedtools' "list" format (``readFreqDatabase(format
  = "list")``: a marker name, then ``allele frequency`` lines, a blank line between markers), with
  any allele absent from the table already added as Reunite adds it (so both use one table).
- ``lr.R``: the script: reads both files, sets each marker's mutation model (pedmut's
  ``mutationMatrix`` with the case's parameters), builds H2 (the family with the missing member
  untyped, and the found person as a singleton), computes the per-marker and total LR with
  ``pedprobr::likelihood`` (theta as in the case) and compares it with Reunite's log10 LR, written
  into the script; with forrel installed it also runs ``forrel::kinshipLR``.
- ``reunite.json``: Reunite's own result (log10 LR and the per-marker LRs) for the comparison.

The script was written from the pedsuite's documentation; it was not run here (no R on the build
machines).  X-chromosomal markers are marked with ``chrom(x, m) = "X"``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import InputError, Problem
from ..genetics import KinshipCase, missing_person_lr
from ..genetics.frequencies import DEFAULT_NEW_ALLELE_FREQ
from ..genetics.kinship import observed_alleles
from ..genetics.mutation import MutationModel
from ._common import write_atomic

__all__ = ["export_pedtools", "pedtools_files"]

_SEX = {"male": "1", "female": "2", "unknown": "0"}


def _r_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_model(m: MutationModel, als: str, fr: str) -> str:
    if m.model in ("equal", "proportional", "onestep"):
        return f'mutationMatrix("{m.model}", alleles = {als}, afreq = {fr}, rate = {m.rate!r})'
    if m.model == "stepwise":
        return (f'mutationMatrix("stepwise", alleles = {als}, afreq = {fr}, rate = {m.rate!r}, '
                f'rate2 = {m.rate2!r}, range = {m.range!r})')
    if m.model == "trivial":
        return f'mutationMatrix("trivial", alleles = {als})'
    rows = ", ".join(repr(v) for row in (m.matrix or ()) for v in row)
    return (f'mutationMatrix("custom", alleles = {als}, matrix = matrix(c({rows}), nrow = {len(m.matrix or ())}, '
            f'byrow = TRUE, dimnames = list({als}, {als})))')


def pedtools_files(case: KinshipCase, *, new_allele_freq: float = DEFAULT_NEW_ALLELE_FREQ) -> dict[str, str]:
    """The files of the export as ``{file name: text}``."""
    result = missing_person_lr(case, new_allele_freq=new_allele_freq)
    table = case.frequencies
    everyone = {**{p: prof for p, prof in case.profiles.items() if p != case.missing}, case.missing: case.found}
    observed = observed_alleles(case)
    table = table.with_alleles(observed, new_allele_freq)
    keys = [k for k in table.markers if k in observed]
    bad = [pid for pid in case.pedigree.persons if pid in ("0", "")]
    if bad:
        raise InputError(Problem("a person id '0' cannot be written: pedtools reads 0 as 'no parent'", field="id"))
    names = [table.markers[k].name for k in keys]
    lines = ["\t".join(["id", "fid", "mid", "sex", *names])]
    for pid, p in case.pedigree.persons.items():
        prof = everyone.get(pid)
        cells = [pid, p.father or "0", p.mother or "0", _SEX[p.sex]]
        for k in keys:
            pair = prof.genotypes.get(k) if prof is not None else None
            cells.append(f"{pair[0]}/{pair[1]}" if pair else "-/-")
        lines.append("\t".join(cells))
    ped = "\n".join(lines) + "\n"
    blocks = []
    for k in keys:
        mf = table.markers[k]
        blocks.append("\n".join([mf.name, *(f"{a}\t{f!r}" for a, f in zip(mf.alleles, mf.freqs.tolist(),
                                                                            strict=True))]))
    freq = "\n\n".join(blocks) + "\n"

    mut_lines = []
    if case.mutation is not None:
        for k in keys:
            mf = table.markers[k]
            spec = case.mutation.for_marker(mf.name)
            if spec is None:
                continue
            als = f"afreq(h1, {_r_str(mf.name)}) |> names()"
            fr = f"afreq(h1, {_r_str(mf.name)})"
            mut_lines.append(f"mutmod(h1, {_r_str(mf.name)}) = mutationModel(list(\n"
                             f"  female = {_r_model(spec.female, als, fr)},\n"
                             f"  male = {_r_model(spec.male, als, fr)}))")
    x_lines = [f"chrom(h1, {_r_str(table.markers[k].name)}) = \"X\"" for k in keys if table.markers[k].is_x]
    log10 = result.log10_lr
    expected = "NA" if log10 is None else repr(log10)
    r = f"""# Recompute Reunite's LR for case {case.id or ''} with the R pedsuite.
# Written by Reunite; run from this folder:  Rscript lr.R
# H1: {case.missing} (the found person) is the missing member of the family in ped.tsv.
# H2: the found person is unrelated; the family keeps its pedigree with {case.missing} untyped.
library(pedtools)
library(pedprobr)
library(pedmut)

db = readFreqDatabase("frequencies.txt", format = "list")
df = read.delim("ped.tsv", colClasses = "character", check.names = FALSE)
df$sex = as.integer(df$sex)
h1 = as.ped(df, locusAttributes = db, missing = "-", sep = "/")
{chr(10).join(x_lines)}
{chr(10).join(mut_lines)}

missing = {_r_str(case.missing)}
theta = {case.theta!r}
# H2: the family with the missing member untyped, and the found person alone.
ref = setAlleles(h1, ids = missing, alleles = 0)
poi = transferMarkers(h1, singleton(missing, sex = getSex(h1, missing)))
lr_marker = likelihood(h1, theta = theta) / (likelihood(ref, theta = theta) * likelihood(poi, theta = theta))
names(lr_marker) = name(h1)
print(lr_marker)
log10_lr = sum(log10(lr_marker))
cat("log10 LR (pedsuite):", log10_lr, "\\n")

reunite_log10_lr = {expected}   # Reunite's result, reunite.json
cat("log10 LR (Reunite): ", reunite_log10_lr, "\\n")
stopifnot(abs(log10_lr - reunite_log10_lr) < 1e-6)

if (requireNamespace("forrel", quietly = TRUE) && theta == 0) {{
  print(forrel::kinshipLR(h1, list(ref, poi)))
}}
"""
    res = {"case": case.id, "log10_lr": log10,
           "lr": result.lr if result.lr is not None and math.isfinite(result.lr) else None,
           "markers": {m.marker: m.lr for m in result.markers},
           "mutation": result.mutation, "theta": case.theta, "added_alleles": result.added_alleles}
    return {"ped.tsv": ped, "frequencies.txt": freq, "lr.R": r,
            "reunite.json": json.dumps(res, indent=1) + "\n"}


def export_pedtools(case: KinshipCase, outdir: str | os.PathLike, **kw) -> list[Path]:
    """Write the export into ``outdir`` (created); return the paths written."""
    files = pedtools_files(case, **kw)
    out = Path(outdir)
    paths = []
    for name, text in files.items():
        write_atomic(out / name, text)
        paths.append(out / name)
    return paths
