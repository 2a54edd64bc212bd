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
  untyped, and the found person as a singleton), computes the LR marker by marker with
  ``pedprobr::likelihood`` (theta as in the case; one marker at a time, since pedprobr refuses to mix
  autosomal and X-chromosomal markers in one call) and compares it with Reunite's log10 LR, written
  into the script (an exclusion, LR 0, is ``-Inf`` on both sides); with forrel installed it also runs
  ``forrel::kinshipLR``, once for the autosomal and once for the X-chromosomal markers.
- ``reunite.json``: Reunite's own result (log10 LR and the per-marker LRs) for the comparison.

Marker names are written with white space (and quotes, ``#``) as ``_`` (``Penta D`` as ``Penta_D``,
as pedtools' own ``fixNames`` does): ``readFreqDatabase`` reads the list format with ``read.table``,
which splits a line at any white space.  At X-chromosomal markers the sex written is the one
Reunite resolved (from the pedigree, Amelogenin, or heterozygosity), so that pedprobr treats the
same people as hemizygous; the markers are marked with ``chrom(x, m) = "X"``.  With theta > 0 only
the autosomal markers are compared (pedprobr's theta correction gives a male founder two X alleles).

The script was run with R 4.2 and the pedsuite sources (docs/labfiles.md, "Checked with R forrel"):
without a mutation model it reproduces Reunite's LR to 1e-14.  With a mutation model the pedsuite's
conventions changed between releases (the golden cases, computed with forrel 1.9.0, agree with
Reunite to 1e-9; older pedprobr/pedmut differ); the script's comments say how, and say where this
version of Reunite and pedprobr differ with theta > 0.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from ..errors import InputError, Problem
from ..genetics import KinshipCase, missing_person_lr
from ..genetics.frequencies import DEFAULT_NEW_ALLELE_FREQ
from ..genetics.kinship import _x_pedigree, observed_alleles
from ..genetics.mutation import MutationModel
from ._common import write_atomic

__all__ = ["export_pedtools", "pedtools_files"]

_SEX = {"male": "1", "female": "2", "unknown": "0"}


def _file_name(marker: str) -> str:
    """A marker's name as the export writes it: white space, quotes and ``#`` become ``_``.

    pedtools' ``readFreqDatabase`` reads the list format with ``read.table``, which splits a line at
    any white space and treats quotes and ``#`` specially, so ``Penta D`` would be read as a marker
    ``Penta`` with a frequency ``D`` (its own ``fixNames = TRUE`` also turns spaces into ``_``)."""
    return re.sub(r"[\s'\"#]", "_", marker)


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
    names = [_file_name(table.markers[k].name) for k in keys]
    # At X-chromosomal markers, the sexes Reunite resolved (Amelogenin, heterozygosity): pedprobr
    # must treat the same people as hemizygous.
    x_keys = [k for k in keys if table.markers[k].is_x]
    pedigree = _x_pedigree(case, x_keys)[0] if x_keys else case.pedigree
    lines = ["\t".join(["id", "fid", "mid", "sex", *names])]
    for pid, p in pedigree.persons.items():
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
        blocks.append("\n".join([_file_name(mf.name), *(f"{a}\t{f!r}" for a, f in zip(mf.alleles, mf.freqs.tolist(),
                                                                            strict=True))]))
    freq = "\n\n".join(blocks) + "\n"

    mut_lines = []
    if case.mutation is not None:
        for k in keys:
            mf = table.markers[k]
            spec = case.mutation.for_marker(mf.name)
            if spec is None:
                continue
            rname = _r_str(_file_name(mf.name))
            als = f"afreq(h1, {rname}) |> names()"
            fr = f"afreq(h1, {rname})"
            mut_lines.append(f"mutmod(h1, {rname}) = mutationModel(list(\n"
                             f"  female = {_r_model(spec.female, als, fr)},\n"
                             f"  male = {_r_model(spec.male, als, fr)}))")
    x_lines = [f"chrom(h1, {_r_str(_file_name(table.markers[k].name))}) = \"X\"" for k in keys
               if table.markers[k].is_x]
    log10 = result.log10_lr
    expected = "-Inf" if log10 is None else repr(log10)   # None: an exclusion, LR 0
    theta_x = case.theta > 0 and any(table.markers[k].is_x for k in keys)
    if theta_x:
        # pedprobr's theta correction samples two alleles for every founder, a male included, at an
        # X-chromosomal marker; Reunite one (KINSHIP.md): compare the autosomal markers only.
        lrs = {m.marker: m.lr for m in result.markers}
        auto = [lrs.get(table.markers[k].name, 1.0) for k in keys if not table.markers[k].is_x]
        expected = "-Inf" if any(v == 0 for v in auto) else repr(math.fsum(math.log10(v) for v in auto))
        compare = ("# theta > 0 at X-chromosomal markers: pedprobr's theta correction samples two alleles for\n"
                   "# every founder, males included, where Reunite samples one for a male; only the autosomal\n"
                   "# markers are compared (the X markers' LRs are printed above for information).\n"
                   "compared = !isXmarker(h1)")
        over = " over the autosomal markers"
    else:
        compare, over = "compared = rep(TRUE, length(lr_marker))", ""
    r = f"""# Recompute Reunite's LR for case {case.id or ''} with the R pedsuite.
# Written by Reunite; run from this folder:  Rscript lr.R
# H1: {case.missing} (the found person) is the missing member of the family in ped.tsv.
# H2: the found person is unrelated; the family keeps its pedigree with {case.missing} untyped.
# Reunite follows the conventions of forrel 1.9.0 (the version its golden cases were computed with).
# With a mutation model the pedsuite changed between releases, and an older pedprobr/pedmut can
# stop below with a small difference: a typed relative whose parents are untyped founders that
# connect them to no other typed person is a Hardy-Weinberg founder in forrel 1.9.0 even under a
# non-stationary mutation model (older pedprobr computes that person's genotype through the
# mutation matrix), and the stepwise model groups microvariants (9.3, 10.3, ...) by their exact
# decimal (older pedmut compared floating-point remainders).  Without a mutation model no such
# difference is known.
# With theta > 0, when the missing member is the only link between typed relatives (both parents of
# a missing child, say), this version of Reunite computes those relatives as separate pedigrees
# under H2 and pedprobr as one pedigree (their alleles sampled jointly): the LRs then differ and
# the comparison below stops.
library(pedtools)
library(pedprobr)
library(pedmut)

db = readFreqDatabase("frequencies.txt", format = "list")
df = read.delim("ped.tsv", colClasses = "character", check.names = FALSE, quote = "",
                na.strings = character(0))
df$sex = as.integer(df$sex)
h1 = as.ped(df, locusAttributes = db, missing = "-", sep = "/")
{chr(10).join(x_lines)}
{chr(10).join(mut_lines)}

missing = {_r_str(case.missing)}
theta = {case.theta!r}
# H2: the family with the missing member untyped, and the found person alone.
ref = setAlleles(h1, ids = missing, alleles = 0)
poi = transferMarkers(h1, singleton(missing, sex = getSex(h1, missing)))
# One marker at a time: pedprobr refuses to mix autosomal and X-chromosomal markers in one call.
lik = function(x) vapply(name(h1), function(m) likelihood(x, markers = m, theta = theta), numeric(1))
lr_marker = lik(h1) / (lik(ref) * lik(poi))
print(lr_marker)
{compare}
log10_lr = sum(log10(lr_marker[compared]))
cat("log10 LR (pedsuite):", log10_lr, "\\n")

reunite_log10_lr = {expected}   # Reunite's result{over}, reunite.json (-Inf: an exclusion, LR 0)
cat("log10 LR (Reunite): ", reunite_log10_lr, "\\n")
if (is.infinite(reunite_log10_lr)) stopifnot(log10_lr == reunite_log10_lr) else
  stopifnot(abs(log10_lr - reunite_log10_lr) < 1e-6)

if (requireNamespace("forrel", quietly = TRUE) && theta == 0) {{
  # forrel::kinshipLR, once per chromosome type (pedprobr does not mix them); the product is the LR.
  for (ms in split(name(h1), ifelse(isXmarker(h1), "X", "autosomal"))) {{
    sel = function(x) selectMarkers(x, markers = ms)
    print(forrel::kinshipLR(sel(h1), list(sel(ref), sel(poi))))
  }}
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
