"""Lineage markers (Y-STR, mtDNA) in the store: imported with the profiles, a reference database imported
into the store, the matching multiplying the lineage LR with the autosomal LR, exclusions, and the erasure
on withdrawal of consent; on SQLite and PostgreSQL.

Expected values are computed by hand below (the stepwise kernel's probability of no net change over 3
meioses written out term by term; the Clopper–Pearson bound from its closed form or its defining equation;
the avuncular LR from κ1 = 1/2), never by the code under test.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from sqlalchemy import select, text

from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.lineage import database_info, import_lineage_database, use_simulated_database
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, DnaSample
from reunite.errors import InputError

from .helpers import write

REPORTS = """\
report_number,sex,date_of_birth,disappeared_on
R-U,male,2013-06-01,2013-09-01
R-U2,male,2013-06-01,2013-09-01
R-X,male,2013-06-01,2013-09-01
"""

# R-U: the boy's paternal uncle U (autosomal and Y) and maternal grandmother MGM (mtDNA) are typed.
# R-U2: the same uncle typed at the autosomal marker only.  R-X: an uncle whose DYS19 is 10 repeats away.
FAMILIES = """\
family,id,father,mother,sex,sample,missing
R-U,GF,,,male,,0
R-U,GM,,,female,,0
R-U,MGF,,,male,,0
R-U,MGM,,,female,S-MGM,0
R-U,F,GF,GM,male,,0
R-U,M,MGF,MGM,female,,0
R-U,U,GF,GM,male,S-U,0
R-U,C,F,M,male,,1
R-U2,GF,,,male,,0
R-U2,GM,,,female,,0
R-U2,F,GF,GM,male,,0
R-U2,M,,,female,,0
R-U2,U,GF,GM,male,S-U2,0
R-U2,C,F,M,male,,1
R-X,GF,,,male,,0
R-X,GM,,,female,,0
R-X,F,GF,GM,male,,0
R-X,M,,,female,,0
R-X,U,GF,GM,male,S-X,0
R-X,C,F,M,male,,1
"""

FOUND = """\
case_number,sex,found_on,sample
KM-Y,male,2014-02-20,S-CY
"""

PROFILES = """\
sample,marker,allele1,allele2,mt_range,mt_variants
S-U,D3S1358,15,16,,
S-U,DYS19,15,,,
S-U,DYS389I,13,,,
S-U,DYS390,23,,,
S-U,DYS392,11,,,
S-U2,D3S1358,15,16,,
S-X,DYS19,25,,,
S-X,DYS389I,13,,,
S-X,DYS390,23,,,
S-MGM,mtDNA,,,16024-16365 73-340,16223T 16362C 73G
S-CY,D3S1358,15,17,,
S-CY,DYS19,15,,,
S-CY,DYS389I,13,,,
S-CY,DYS390,23,,,
S-CY,mtDNA,,,16024-16365 73-340,16223T 16362C 73G
"""

# A Y-STR database of 20 men, none with the boy's haplotype (15, 13, 23) on the three loci compared.
YDB = "id,DYS19,DYS389I,DYS390\n" + "".join(
    f"Y{i:02d},{14 + i % 3},{12 + i % 2},{22 + (i % 5 == 0)}\n" for i in range(20))
# An mtDNA database of 10 sequences, one of them the boy's.
MTDB = "id,range,variants\n" + "".join(
    f"M{i:02d},16024-16365 73-340,{'16223T 16362C 73G' if i == 0 else f'{16100 + i}T 73G'}\n" for i in range(10))

# Hand computation. Stepwise kernel per meiosis: 1 − μ unchanged, a1 = μ(1 − w)/2 each way by one repeat,
# a2 = μw/2 each way by two, w = 1/26.23 (Ballantyne 2010).  No net change over the 3 meioses from the
# boy to his uncle (boy → father → grandfather → uncle): all three unchanged; +1, −1 and 0 in any of 3! = 6
# orders; +2, −2 and 0 likewise; +2, −1, −1 (3 orders) and −2, +1, +1 (3 orders).
W = 1 / 26.23


def _no_change_3(mu: float) -> float:
    a1, a2 = mu * (1 - W) / 2, mu * W / 2
    return (1 - mu) ** 3 + 6 * (1 - mu) * (a1 ** 2 + a2 ** 2) + 6 * a2 * a1 ** 2


# Rates per meiosis of the bundled table (YHRD release 61): DYS19 0.00220, DYS389I 0.00272, DYS390 0.00208.
Y_NUMERATOR = _no_change_3(0.00220) * _no_change_3(0.00272) * _no_change_3(0.00208)
Y_BOUND = 1 - 0.05 ** (1 / 20)            # unseen among 20: the one-sided 95% Clopper–Pearson bound
# Seen once among 10: the bound p solves (1 − p)^10 + 10 p (1 − p)^9 = 0.05; p = 0.3942 (binomial tables).
MT_BOUND = 0.3942
# Avuncular LR at D3S1358 (uncle 15/16, boy 15/17, p15 = 0.36598 in nist1036_us_asian):
# κ0 = κ1 = 1/2; given one allele IBD the boy is 15/17 with probability p17/2, unrelated 2 p15 p17.
P15 = 0.36597938144329895
AUTO_LR = 0.5 + 0.5 / (4 * P15)


def load_store(session, tmp_path, profiles: str = PROFILES):
    """The store of this module's files (``profiles`` in place of PROFILES) with its lineage databases."""
    import_reports(session, write(tmp_path / "reports.csv", REPORTS), user="t")
    import_found(session, write(tmp_path / "found.csv", FOUND), user="t")
    import_profiles(session, write(tmp_path / "profiles.csv", profiles), lab="lab", user="t")
    import_families(session, write(tmp_path / "families.csv", FAMILIES), user="t")
    import_lineage_database(session, write(tmp_path / "ydb.csv", YDB), kind="y", user="t")
    import_lineage_database(session, write(tmp_path / "mtdb.csv", MTDB), kind="mt", user="t")
    return session


@pytest.fixture
def loaded(session, tmp_path):
    return load_store(session, tmp_path)


def _cand(session, report: str) -> Candidate | None:
    return session.scalars(select(Candidate).where(Candidate.report.has(report_number=report))).first()


def test_the_hand_values_are_what_they_say():
    # The mtDNA bound solves its defining equation (to the 4 decimals quoted).
    p = MT_BOUND
    assert (1 - p) ** 10 + 10 * p * (1 - p) ** 9 == pytest.approx(0.05, abs=2e-4)
    assert AUTO_LR < 1 < AUTO_LR * Y_NUMERATOR / Y_BOUND     # the uncle's STRs alone stay below min_lr 1


def test_haplotypes_and_sequences_are_stored_with_the_samples(loaded):
    s = {d.sample: d for d in loaded.scalars(select(DnaSample))}
    assert s["S-U"].genotypes == {"D3S1358": ["15", "16"]}
    assert s["S-U"].y_haplotype == {"DYS19": "15", "DYS389I": "13", "DYS390": "23", "DYS392": "11"}
    assert s["S-MGM"].genotypes == {} and s["S-MGM"].mt_sequence == {"range": "16024-16365 73-340",
                                                                      "variants": "16223T 16362C 73G"}
    assert s["S-U2"].y_haplotype is None and s["S-U2"].mt_sequence is None
    info = database_info(loaded)
    assert (info["y"].size, info["y"].simulated, info["mt"].size) == (20, False, 10)


def test_the_uncle_s_y_str_and_the_grandmother_s_mtdna_raise_the_candidate(loaded, tmp_path):
    summary = run_matching(loaded, mutation=None, index_dir=tmp_path / "ix")
    assert summary.lineage_pairs == 2     # R-U (Y and mtDNA) and R-X (Y); R-U2 has no lineage marker
    cand = _cand(loaded, "R-U")
    dna = cand.item("dna")
    data = dna.data
    y, mt = data["lineage"]
    assert (y["marker"], y["relative"], y["relation"], y["meioses"]) == ("Y-STR", "U", "paternal_uncle", 3)
    assert y["loci_compared"] == ["DYS19", "DYS389I", "DYS390"] and y["differences"] == 0
    assert y["not_typed"] == ["DYS392"]     # typed in the uncle only (and not in the database): not compared
    assert (y["count"], y["n"], y["method"]) == (0, 20, "clopper_pearson")
    assert y["probability"] == pytest.approx(Y_BOUND, rel=1e-12)
    assert y["numerator"] == pytest.approx(Y_NUMERATOR, rel=1e-12)
    assert (mt["marker"], mt["relative"], mt["relation"], mt["meioses"]) == ("mtDNA", "MGM", "maternal_grandmother", 2)
    assert (mt["conclusion"], mt["count"], mt["n"]) == ("cannot_exclude", 1, 10)
    assert mt["probability"] == pytest.approx(MT_BOUND, abs=1e-4)
    assert data["autosomal_log10_lr"] == pytest.approx(math.log10(AUTO_LR), abs=1e-9)
    expected = math.log10(AUTO_LR) + math.log10(Y_NUMERATOR / Y_BOUND) - math.log10(MT_BOUND)
    assert cand.dna_log10_lr == pytest.approx(expected, abs=2e-4)
    assert cand.dna_log10_lr == pytest.approx(data["autosomal_log10_lr"] + data["lineage_log10_lr"], abs=1e-12)
    # The stored explanation says that the LRs multiply, in English and Chinese.
    assert "inherited independently" in dna.sentence and "multiply" in dna.sentence
    assert "独立遗传" in dna.sentence_zh and "相乘" in dna.sentence_zh
    # No allele or variant is kept with the evidence.
    assert "16223T" not in json.dumps(data) and '"15"' not in json.dumps(data)
    # The same uncle without a Y haplotype: his STRs alone (LR 0.84 < 1) make no candidate.
    assert _cand(loaded, "R-U2") is None
    # DYS19 10 repeats apart: impossible in 3 meioses of at most 2 steps each; the pair is excluded.
    assert _cand(loaded, "R-X") is None and summary.excluded_pairs >= 1


def test_the_matching_is_idempotent_and_follows_the_configured_database(loaded, tmp_path):
    run_matching(loaded, mutation=None, index_dir=tmp_path / "ix")
    again = run_matching(loaded, mutation=None, index_dir=tmp_path / "ix")
    assert again.candidates["added"] == again.candidates["updated"] == 0
    use_simulated_database(loaded, kind="y", user="t")
    run_matching(loaded, mutation=None, index_dir=tmp_path / "ix")
    y = _cand(loaded, "R-U").item("dna").data["lineage"][0]
    assert y["simulated"] and y["n"] == 500 and y["database_sha256"] is None
    actions = [e.action for e in loaded.scalars(select(AuditEntry))]
    assert actions.count("lineage_database.import") == 2 and "lineage_database.simulated" in actions


def test_a_lineage_only_family_is_a_dna_candidate_without_a_categorical_decision(session, tmp_path):
    profiles = "\n".join(line for line in PROFILES.splitlines() if not line.startswith("S-U,D3S1358")) + "\n"
    load_store(session, tmp_path, profiles)
    run_matching(session, mutation=None, index_dir=tmp_path / "ix")
    cand = _cand(session, "R-U")
    assert cand.has_dna and not cand.item("dna").data["autosomal"]
    expected = math.log10(Y_NUMERATOR / Y_BOUND) - math.log10(MT_BOUND)
    assert cand.dna_log10_lr == pytest.approx(expected, abs=2e-4)
    assert cand.dna_decision == "no_decision" and not cand.dna_excluded
    assert "autosomal" in cand.dna_conclusion["reason"]


def test_bad_lineage_rows_and_databases_are_refused_whole(session, tmp_path):
    bad = write(tmp_path / "bad.csv", """\
        sample,marker,allele1,allele2,mt_range,mt_variants
        S1,D3S1358,15,16,,
        S1,DYS19,15x,,,
        S1,DYS385,13,19,,
        S1,DYS385,13,19,,
        S1,mtDNA,,,,16223T 900G
        S1,TH01,9,9,,73G
        S2,DYS385,"13,19",20,,
        """)
    with pytest.raises(InputError) as exc:
        import_profiles(session, bad, lab="lab", user="t")
    where = [(p.line, p.field) for p in exc.value.problems]
    assert where == [(3, "allele1"), (5, "marker"), (6, "mt_variants"), (7, "mt_variants"), (8, "allele2")]
    assert session.scalars(select(DnaSample)).all() == []
    ydb = write(tmp_path / "ydb.csv", "id,DYS19,DYS390\nA,15,23\nB,fifteen,23\n")
    with pytest.raises(InputError) as exc:
        import_lineage_database(session, ydb, kind="y", user="t")
    assert [(p.file, p.line, p.field) for p in exc.value.problems] == [("ydb.csv", 3, "DYS19")]
    assert database_info(session)["y"].simulated


def test_a_stored_haplotype_never_changes(loaded, tmp_path):
    changed = write(tmp_path / "p2.csv", "sample,marker,allele1,allele2\nS-U,DYS19,16,\nS-U,DYS393,13,\n")
    with pytest.raises(InputError) as exc:
        import_profiles(loaded, changed, lab="lab", user="t")
    assert [(p.line, p.field) for p in exc.value.problems] == [(2, "marker")]
    more = write(tmp_path / "p3.csv", "sample,marker,allele1,allele2\nS-U,DYS393,13,\n")
    r = import_profiles(loaded, more, lab="lab", user="t")
    assert (r.added, r.updated) == (0, 1)
    loaded.expire_all()
    assert loaded.scalars(select(DnaSample).where(DnaSample.sample == "S-U")).one().y_haplotype["DYS393"] == "13"


def test_withdrawal_erases_the_haplotype_everywhere(loaded, tmp_path, url):
    from reunite.cases.records import withdraw_consent
    from reunite.reports.store import write_candidate_report

    store_dir = tmp_path / "store"
    run_matching(loaded, mutation=None, index_dir=store_dir / "index")
    cand = _cand(loaded, "R-U")
    report = write_candidate_report(loaded, cand.id, store_dir / "reports", fmt="html", user="lab")
    stored = loaded.execute(text("SELECT CAST(y_haplotype AS TEXT) FROM dna_samples WHERE sample = 'S-U'")).scalar_one()
    obj = json.loads(stored)
    needles = {stored} | {json.dumps(obj, sort_keys=k, separators=sep) for k in (False, True)
                          for sep in ((",", ":"), None)}
    needles = [n.encode() for n in needles]
    db_file = [p for p in tmp_path.glob("*.db")]

    def holding() -> list[str]:
        files = [*db_file, *(p for p in store_dir.rglob("*") if p.is_file())]
        return [str(p) for p in files if any(n in p.read_bytes() for n in needles)]

    if url.startswith("sqlite"):
        assert holding()          # the grep finds it today
    withdraw_consent(loaded, "R-U", "U", user="officer", reason="moved away", index_dir=store_dir / "index")
    loaded.commit()
    loaded.close()
    from reunite.cases import db as store

    store.dispose_engines()
    assert holding() == [] and not report.exists()
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(store.make_engine(url))() as s:
        u = s.scalars(select(DnaSample).where(DnaSample.sample == "S-U")).one()
        assert u.erased and u.y_haplotype is None and u.mt_sequence is None and u.genotypes == {}
        run_matching(s, mutation=None, index_dir=store_dir / "index")
        cand = s.scalars(select(Candidate).where(Candidate.report.has(report_number="R-U"))).first()
        # the grandmother's mtDNA is still there: the DNA item is the mtDNA alone now
        assert [e["marker"] for e in cand.item("dna").data["lineage"]] == ["mtDNA"]


def test_the_commands(url, monkeypatch, capsys, tmp_path):
    """reunite import profiles (with Y-STR and mtDNA rows), import ydb|mtdb, and the matching after each."""
    from reunite.cases import db as store
    from reunite.cases.models import ImportRun
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("REUNITE_MUTATION", "none")
    for kind, text_ in (("reports", REPORTS), ("found", FOUND), ("families", FAMILIES)):
        write(tmp_path / f"{kind}.csv", text_)
    assert main(["import", "reports", str(tmp_path / "reports.csv"), "--no-match"]) == 0
    assert main(["import", "found", str(tmp_path / "found.csv"), "--no-match"]) == 0
    assert main(["import", "profiles", str(write(tmp_path / "profiles.csv", PROFILES)), "--lab", "lab",
                 "--no-match"]) == 0
    assert "y haplotypes 3, mt sequences 2" in capsys.readouterr().out
    assert main(["import", "families", str(tmp_path / "families.csv")]) == 0
    assert "pairs compared by Y-STR/mtDNA" in capsys.readouterr().out
    assert main(["import", "ydb", str(write(tmp_path / "ydb.csv", YDB))]) == 0
    out = capsys.readouterr().out
    assert "ydb from ydb.csv: 1 added" in out and "haplotypes 20" in out and "2 pairs compared by Y-STR/mtDNA" in out
    assert main(["import", "mtdb", str(write(tmp_path / "mtdb.csv", MTDB))]) == 0
    assert "sequences 10" in capsys.readouterr().out
    bad = write(tmp_path / "bad.csv", "id,DYS19\nA,x\n")
    assert main(["import", "ydb", str(bad)]) == 2
    assert "error: bad.csv, line 2, field 'DYS19'" in capsys.readouterr().err
    with store.open_session() as s:
        cand = s.scalars(select(Candidate).where(Candidate.report.has(report_number="R-U"))).one()
        expected = math.log10(AUTO_LR) + math.log10(Y_NUMERATOR / Y_BOUND) - math.log10(MT_BOUND)
        assert cand.dna_log10_lr == pytest.approx(expected, abs=2e-4)
        runs = [(r.kind, r.outcome) for r in s.scalars(select(ImportRun).order_by(ImportRun.id))]
        assert runs[-3:] == [("ydb", "done"), ("mtdb", "done"), ("ydb", "failed")]
    assert main(["import", "ydb", "simulated"]) == 0
    assert "simulated_ystr_database.csv" in capsys.readouterr().out


BAD_LINEAGE = """\
sample,marker,allele1,allele2,mt_range,mt_variants
S-A,DYS19,,,,
S-A,DYS385,"14,18",21,,
S-A,DYS390,23,,,
S-A,DYS390,24,,,
S-A,DYS391,abc,,,
,DYS392,11,,,
S-B,mtDNA,16,,16024-16365,16223T
S-B,mtDNA,,,16024-16365,16224T
S-C,mtDNA,,,16024-16365,99999Z
S-D,D3S1358,15,16,16024-16365,
"""


def test_lineage_row_problems_have_codes_and_chinese_words_without_alleles(session, tmp_path):
    from reunite.web.i18n import problem_line, problem_words

    problems = []
    for name, body in (("bad.csv", BAD_LINEAGE),
                       ("nocol.csv", "sample,marker,allele1,allele2\nS-E,mtDNA,,\n")):
        with pytest.raises(InputError) as err:
            import_profiles(session, write(tmp_path / name, body), lab="lab", user="t")
        problems += err.value.problems
    by_code = {p.code: p for p in problems}
    assert {"lineage_y_allele_empty", "lineage_y_allele2", "lineage_y_twice", "lineage_y_invalid", "sample_empty",
            "lineage_mt_alleles", "lineage_mt_twice", "lineage_mt_invalid", "lineage_mt_column_stray",
            "lineage_mt_no_column"} <= set(by_code), [(p.code, p.message) for p in problems]
    assert (by_code["lineage_y_twice"].line, by_code["lineage_y_twice"].params) == (
        5, {"sample": "S-A", "marker": "DYS390", "other": 4})
    assert by_code["lineage_mt_twice"].params == {"sample": "S-B", "other": 8}
    assert by_code["lineage_mt_invalid"].params == {"sample": "S-C", "column": "mt_variants"}
    for p in problems:
        assert p.code, p.message
        # parameters name samples, markers, columns and lines: never an allele or a variant
        for v in p.params.values():
            assert str(v) in {"S-A", "S-B", "S-C", "S-D", "S-E", "DYS19", "DYS385", "DYS390", "DYS391",
                              "mt_variants", "mt_range", "4", "8"}, (p.code, p.params)
        words = problem_words(p, "zh")
        line, said = problem_line(p, "zh")
        assert words and said and words in line, p.code
        columns = r"mt_variants|mt_range|allele1|allele2|marker|sample|null|rCRS|EMPOP"
        assert not re.search(r"[a-z]{4,}", re.sub(columns, "", words)), (p.code, words)
        for value in ("abc", "99999Z", "16224T", "14,18", "21"):
            assert value not in words, (p.code, words)
