"""The pedtools export as R reads it: what running ``lr.R`` with R 4.2 and the pedsuite sources showed
(docs/labfiles.md, "Checked with R forrel"), pinned without R.

Each expected file below is written by hand from pedtools' documented formats: ``readFreqDatabase(format
= "list")`` reads the file with ``read.table`` (fields split at any white space, a marker name alone
on its line, then ``allele frequency`` lines); ``as.ped`` takes the columns id, fid, mid, sex (0
unknown, 1 male, 2 female), then one ``a/b`` column per marker; pedprobr's ``likelihood`` refuses to
mix autosomal and X-chromosomal markers in one call ("Cannot mix autosomal and X-linked markers in
the same likelihood calculation").
"""

from __future__ import annotations

import math

import pytest

from reunite.genetics import load_case, missing_person_lr
from reunite.labfiles import pedtools_files

TRIO = [{"id": "F", "sex": "male"}, {"id": "M", "sex": "female"},
        {"id": "C", "father": "F", "mother": "M", "sex": "female"}]


def read_freq_database_list(text: str) -> dict[str, dict[str, float]]:
    """pedtools' ``readFreqDatabase(format = "list")`` with its defaults: ``read.table(fill = TRUE,
    colClasses = c("character", "numeric"))`` splits each line at white space; a line whose second
    field is empty starts a marker; a second field that is not a number is an error."""
    db: dict[str, dict[str, float]] = {}
    name = None
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) == 1:
            name = fields[0]
            db[name] = {}
            continue
        db[name][fields[0]] = float(fields[1])   # ValueError: "scan() expected 'a real'"
    return db


def test_a_marker_name_with_a_space_is_written_with_an_underscore():
    """``Penta D`` (the bundled tables' spelling) split by read.table would be a marker "Penta" with
    the frequency "D"; the export writes ``Penta_D`` in both files and the script."""
    spec = {"id": "T", "frequencies": {"Penta D": {"9": 0.25, "10": 0.25, "12": 0.5},
                                       "TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}},
            "pedigree": TRIO, "missing": "C",
            "genotypes": {"F": {"Penta D": ["9", "10"], "TH01": ["6", "7"]}},
            "found": {"Penta D": ["10", "12"], "TH01": ["7", "9.3"]},
            "mutation": {"model": "equal", "rate": 0.002}}
    files = pedtools_files(load_case(spec))
    assert files["frequencies.txt"] == "Penta_D\n9\t0.25\n10\t0.25\n12\t0.5\n\nTH01\n6\t0.2\n7\t0.3\n9.3\t0.5\n"
    assert files["ped.tsv"] == ("id\tfid\tmid\tsex\tPenta_D\tTH01\n"
                                "F\t0\t0\t1\t9/10\t6/7\n"
                                "M\t0\t0\t2\t-/-\t-/-\n"
                                "C\tF\tM\t2\t10/12\t7/9.3\n")
    assert read_freq_database_list(files["frequencies.txt"]) == {
        "Penta_D": {"9": 0.25, "10": 0.25, "12": 0.5}, "TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}}
    r = files["lr.R"]
    assert 'mutmod(h1, "Penta_D") = mutationModel(list(' in r and '"Penta D"' not in r
    # The space as read.table would see it: the old export's file cannot be read.
    with pytest.raises(ValueError):
        read_freq_database_list("Penta D\n9\t0.25\n")


def test_an_exclusion_is_compared_as_minus_infinity():
    """LR 0: pedprobr's log10 LR is -Inf; the script compares -Inf with -Inf (NA made it stop)."""
    spec = {"id": "X", "frequencies": {"TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}}, "pedigree": TRIO,
            "missing": "C", "genotypes": {"F": {"TH01": ["6", "6"]}}, "found": {"TH01": ["7", "9.3"]}}
    case = load_case(spec)
    assert missing_person_lr(case).lr == 0
    r = pedtools_files(case)["lr.R"]
    assert "reunite_log10_lr = -Inf" in r
    assert ("if (is.infinite(reunite_log10_lr)) stopifnot(log10_lr == reunite_log10_lr) else\n"
            "  stopifnot(abs(log10_lr - reunite_log10_lr) < 1e-6)") in r


X_FREQS = {"DXS10135": {"18": 0.1, "19": 0.2, "20": 0.3, "21": 0.4},
           "TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}}


def test_x_and_autosomal_markers_are_computed_one_marker_at_a_time():
    spec = {"id": "XA", "frequencies": X_FREQS, "pedigree": TRIO, "missing": "C",
            "genotypes": {"F": {"DXS10135": ["18"], "TH01": ["6", "7"]}},
            "found": {"DXS10135": ["18", "21"], "TH01": ["7", "9.3"]}}
    r = pedtools_files(load_case(spec))["lr.R"]
    assert 'chrom(h1, "DXS10135") = "X"' in r
    assert ("lik = function(x) vapply(name(h1), function(m) likelihood(x, markers = m, theta = theta), "
            "numeric(1))\nlr_marker = lik(h1) / (lik(ref) * lik(poi))") in r
    assert "likelihood(h1, theta = theta)" not in r
    # kinshipLR(..., markers = ) fails on a list hypothesis ("Unknown marker name"): select first.
    assert ('for (ms in split(name(h1), ifelse(isXmarker(h1), "X", "autosomal"))) {\n'
            "    sel = function(x) selectMarkers(x, markers = ms)\n"
            "    print(forrel::kinshipLR(sel(h1), list(sel(ref), sel(poi))))") in r
    assert "compared = rep(TRUE, length(lr_marker))\nlog10_lr = sum(log10(lr_marker[compared]))" in r


def test_with_theta_only_the_autosomal_markers_are_compared_when_x_markers_are_used():
    """pedprobr's theta correction gives a male founder two alleles at an X marker (Reunite one):
    the script compares Reunite's sum of the autosomal markers' log10 LRs, by hand here."""
    spec = {"id": "XT", "frequencies": X_FREQS, "pedigree": TRIO, "missing": "C", "theta": 0.02,
            "genotypes": {"F": {"DXS10135": ["18"], "TH01": ["6", "7"]}},
            "found": {"DXS10135": ["18", "21"], "TH01": ["7", "9.3"]}}
    case = load_case(spec)
    res = missing_person_lr(case)
    th01 = {m.marker: m.lr for m in res.markers}["TH01"]
    # TH01 by hand: F 6/7, mother untyped; the child 7/9.3 has her father's 7 with 1/2 and 9.3 from the
    # mother; with theta the mother's allele 9.3 is the 3rd founder allele (after F's 6 and 7) under H1,
    # and the found person alone is 2 (1 - theta) p7 p9.3 under H2.
    t = 0.02
    h1 = 0.5 * ((1 - t) * 0.5) / (1 + t)            # P(9.3 | 6, 7 drawn) = (0 + (1-t) p) / (1 + t)
    assert th01 == pytest.approx(h1 / (2 * (1 - t) * 0.3 * 0.5), rel=1e-12)
    r = pedtools_files(case)["lr.R"]
    assert f"reunite_log10_lr = {math.log10(th01)!r}   # Reunite's result over the autosomal markers" in r
    assert "compared = !isXmarker(h1)\nlog10_lr = sum(log10(lr_marker[compared]))" in r


@pytest.mark.parametrize(("found", "extra", "sex"), [
    ({"DXS10135": ["18", "21"]}, {}, "2"),                       # heterozygous at X: female
    ({"DXS10135": ["18"]}, {"AMEL": ["X", "Y"]}, "1"),           # Amelogenin X/Y: male
])
def test_the_sex_reunite_resolved_at_x_markers_is_written(found, extra, sex):
    """A found person whose sex the pedigree leaves unknown is hemizygous or not as Reunite decided;
    pedprobr reads sex 0 at an X marker as two alleles, so the resolved sex must be in ped.tsv."""
    ped = [dict(p) for p in TRIO]
    ped[2]["sex"] = "unknown"
    spec = {"id": "XS", "frequencies": X_FREQS, "pedigree": ped, "missing": "C",
            "genotypes": {"F": {"DXS10135": ["18"], "TH01": ["6", "7"]}},
            "found": {**found, **extra, "TH01": ["7", "9.3"]}}
    case = load_case(spec)
    files = pedtools_files(case)
    g = "/".join(found["DXS10135"] * (2 if len(found["DXS10135"]) == 1 else 1))
    assert files["ped.tsv"] == ("id\tfid\tmid\tsex\tDXS10135\tTH01\n"
                                "F\t0\t0\t1\t18/18\t6/7\n"
                                "M\t0\t0\t2\t-/-\t-/-\n"
                                f"C\tF\tM\t{sex}\t{g}\t7/9.3\n")
    assert 'singleton(missing, sex = getSex(h1, missing))' in files["lr.R"]
    assert math.isfinite(missing_person_lr(case).log10_lr)


def test_the_script_reads_ped_tsv_without_quotes():
    """A double quote in an id would open a quoted field in read.delim's default reading."""
    spec = {"id": "Q", "frequencies": {"TH01": {"6": 0.2, "7": 0.3, "9.3": 0.5}},
            "pedigree": [{"id": 'F "Li"', "sex": "male"}, {"id": "M", "sex": "female"},
                         {"id": "C", "father": 'F "Li"', "mother": "M", "sex": "female"}],
            "missing": "C", "genotypes": {'F "Li"': {"TH01": ["6", "7"]}}, "found": {"TH01": ["7", "9.3"]}}
    files = pedtools_files(load_case(spec))
    assert files["ped.tsv"].splitlines()[1:] == ['F "Li"\t0\t0\t1\t6/7', "M\t0\t0\t2\t-/-", 'C\tF "Li"\tM\t2\t7/9.3']
    assert ('df = read.delim("ped.tsv", colClasses = "character", check.names = FALSE, quote = "",\n'
            "                na.strings = character(0))") in files["lr.R"]
