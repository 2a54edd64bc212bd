"""The store's lineage evidence (issue 15): the population method chosen by the lab (Clopper–Pearson, count,
augmented count, discrete Laplace) stored, audited and used by the matching, which re-evaluates the open
candidates; the discrete Laplace fits kept in the store and read back; every typed man of a line listed with
his own LR, the closest one used; on SQLite and PostgreSQL.

Expected values are computed by hand (the stepwise kernel's no-change probabilities written term by term,
(x + 1)/(N + 1), the Clopper–Pearson bound's closed form), never by the code under test.
"""

from __future__ import annotations

import json
import math

import pytest
from sqlalchemy import select

from reunite.cases import lineage as store_lineage
from reunite.cases.importing import import_families, import_found, import_profiles, import_reports
from reunite.cases.lineage import (
    configured_databases,
    import_lineage_database,
    lineage_method,
    set_lineage_method,
)
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, LineageFit
from reunite.cases.state import is_matching_owed
from reunite.errors import InputError
from reunite.reports.lineage import lineage_section

from .helpers import write
from .test_lineage_store import Y_BOUND, YDB, W, _no_change_3

REPORTS = "report_number,sex,date_of_birth,disappeared_on\nR-2,male,2013-06-01,2013-09-01\n"
# the boy's brothers B2 and B1 (2 meioses; a tie, broken by id: B1) and his paternal uncle U
# (3 meioses) are typed at Y-STRs only; B2 differs from the boy by one repeat at DYS19.
FAMILIES = """\
family,id,father,mother,sex,sample,missing
R-2,GF,,,male,,0
R-2,GM,,,female,,0
R-2,F,GF,GM,male,,0
R-2,M,,,female,,0
R-2,U,GF,GM,male,S-U,0
R-2,B2,F,M,male,S-B2,0
R-2,B1,F,M,male,S-B1,0
R-2,C,F,M,male,,1
"""
FOUND = "case_number,sex,found_on,sample\nKM-2,male,2014-02-20,S-C\n"
PROFILES = """\
sample,marker,allele1,allele2
S-U,DYS19,15,
S-U,DYS389I,13,
S-U,DYS390,23,
S-B1,DYS19,15,
S-B1,DYS389I,13,
S-B1,DYS390,23,
S-B2,DYS19,16,
S-B2,DYS389I,13,
S-B2,DYS390,23,
S-C,DYS19,15,
S-C,DYS389I,13,
S-C,DYS390,23,
"""
MU = {"DYS19": 0.00220, "DYS389I": 0.00272, "DYS390": 0.00208}


def _no_change_2(mu: float) -> float:
    """No net change over 2 meioses: both unchanged, or +1/−1, or +2/−2 in either order."""
    a1, a2 = mu * (1 - W) / 2, mu * W / 2
    return (1 - mu) ** 2 + 2 * (a1 ** 2 + a2 ** 2)


def _one_up_2(mu: float) -> float:
    """A net change of +1 over 2 meioses: (+1, 0) or (0, +1), (+2, −1) or (−1, +2)."""
    a1, a2 = mu * (1 - W) / 2, mu * W / 2
    return 2 * (1 - mu) * a1 + 2 * a2 * a1


B1_NUM = math.prod(_no_change_2(m) for m in MU.values())
B2_NUM = _one_up_2(MU["DYS19"]) * _no_change_2(MU["DYS389I"]) * _no_change_2(MU["DYS390"])
U_NUM = math.prod(_no_change_3(m) for m in MU.values())


@pytest.fixture
def two_men(session, tmp_path):
    import_reports(session, write(tmp_path / "reports.csv", REPORTS), user="t")
    import_found(session, write(tmp_path / "found.csv", FOUND), user="t")
    import_profiles(session, write(tmp_path / "profiles.csv", PROFILES), lab="lab", user="t")
    import_families(session, write(tmp_path / "families.csv", FAMILIES), user="t")
    import_lineage_database(session, write(tmp_path / "ydb.csv", YDB), kind="y", user="t")
    run_matching(session, mutation=None, index_dir=tmp_path / "ix")
    return session


def _y(session) -> dict:
    cand = session.scalars(select(Candidate).where(Candidate.report.has(report_number="R-2"))).one()
    session.refresh(cand)
    return cand.item("dna").data["lineage"][0]


def test_every_typed_man_is_listed_with_his_own_lr_and_the_closest_is_used(two_men):
    y = _y(two_men)
    line = y["line"]
    assert [(m["relative"], m["relation"], m["meioses"], m["differences"], m["used"]) for m in line] == [
        ("B1", "brother", 2, 0, True), ("B2", "brother", 2, 1, False), ("U", "paternal_uncle", 3, 0, False)]
    assert line[1]["differing"] == ["DYS19"]
    # Each man's own LR, by hand: numerator over the bound of a haplotype unseen among 20.
    for m, num in zip(line, (B1_NUM, B2_NUM, U_NUM), strict=True):
        assert m["log10_lr"] == pytest.approx(math.log10(num / Y_BOUND), abs=1e-12)
    # The evidence is the closest man's LR (B1, the tie with B2 broken by id), not a product of the three.
    assert y["relative"] == "B1" and y["log10_lr"] == pytest.approx(math.log10(B1_NUM / Y_BOUND), abs=1e-12)
    assert y["others_on_line"] == ["B2", "U"] and y["choice"] == "closest"
    assert "15" not in json.dumps(line) and "16" not in json.dumps(line).replace("DYS", "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_section_lists_the_men_and_says_which_is_used(two_men, lang):
    cand = two_men.scalars(select(Candidate)).one()
    sec = lineage_section(cand.item("dna").data, lang)
    (e,) = sec["entries"]
    assert [r["id"] for r in e["line"]["rows"]] == ["B1", "B2", "U"]
    assert [r["used"] for r in e["line"]["rows"]] == [True, False, False]
    assert sec["closest"] is None     # said per line instead
    rows = dict(e["rows"])
    if lang == "zh":
        assert "B1（兄弟）" in e["choice"] and "不相乘" in e["choice"] and "成员编号" in e["choice"]
        assert e["line"]["rows"][0]["cells"][4] == "采用" and "1 步（DYS19）" in e["line"]["rows"][1]["cells"][2]
        assert "Clopper–Pearson" in rows["群体概率估计方法"] and "α = 0.05" in rows["群体概率估计方法"]
    else:
        assert "B1 (brother)" in e["choice"] and "not multiplied" in e["choice"] and "member id" in e["choice"]
        assert e["line"]["rows"][0]["cells"][4] == "used"
        assert rows["Population method"].startswith("count, one-sided 95% Clopper–Pearson")


def test_changing_the_method_is_audited_and_re_evaluates_the_candidates(two_men, tmp_path):
    assert lineage_method(two_men).method == "clopper_pearson" and not is_matching_owed(two_men)
    set_lineage_method(two_men, "augmented", user="lab1")
    assert is_matching_owed(two_men)
    (entry,) = [e for e in two_men.scalars(select(AuditEntry)) if e.action == "lineage_database.method"]
    assert entry.actor == "lab1" and json.loads(entry.details) == {"method": "augmented", "alpha": 0.05,
                                                        "previous_method": "clopper_pearson", "previous_alpha": 0.05}
    # Until the matching has run, the pages mark the stored evidence stale, in both languages.
    data = {"lineage": [_y(two_men)], "lineage_log10_lr": 0.0}
    now = lineage_method(two_men).as_dict()
    assert "changed to augmented count" in lineage_section(data, "en", current_method=now)["stale"]
    assert "已改为：加一计数" in lineage_section(data, "zh", current_method=now)["stale"]
    summary = run_matching(two_men, mutation=None, index_dir=tmp_path / "ix")
    assert summary.candidates["updated"] == 1 and not is_matching_owed(two_men)
    data = {"lineage": [_y(two_men)], "lineage_log10_lr": 0.0}
    assert lineage_section(data, "en", current_method=lineage_method(two_men).as_dict())["stale"] is None
    y = _y(two_men)
    assert (y["method"], y["probability"]) == ("augmented", pytest.approx(1 / 21, rel=1e-12))
    assert y["log10_lr"] == pytest.approx(math.log10(B1_NUM * 21), abs=1e-12)
    assert y["line"][2]["log10_lr"] == pytest.approx(math.log10(U_NUM * 21), abs=1e-12)
    # The same method again changes nothing; α 0.01 with Clopper–Pearson: 1 − 0.01^(1/20).
    set_lineage_method(two_men, "augmented", user="lab1")
    assert not is_matching_owed(two_men)
    set_lineage_method(two_men, "clopper_pearson", alpha=0.01, user="lab1")
    run_matching(two_men, mutation=None, index_dir=tmp_path / "ix")
    y = _y(two_men)
    assert (y["method"], y["alpha"]) == ("clopper_pearson", 0.01)
    assert y["probability"] == pytest.approx(1 - 0.01 ** (1 / 20), rel=1e-12)
    with pytest.raises(InputError) as e:
        set_lineage_method(two_men, "bayes", user="lab1")
    assert e.value.problems[0].code == "lineage_method"
    with pytest.raises(InputError) as e:
        set_lineage_method(two_men, "count", alpha=1.5, user="lab1")
    assert e.value.problems[0].code == "lineage_alpha"
    assert lineage_method(two_men).method == "clopper_pearson"


def test_the_discrete_laplace_fit_is_kept_and_read_back(two_men, tmp_path):
    set_lineage_method(two_men, "discrete_laplace", user="lab1")
    (fit,) = two_men.scalars(select(LineageFit)).all()
    assert fit.loci == "DYS19,DYS389I,DYS390" and fit.fit_seconds > 0
    assert set(fit.params) >= {"weights", "centres", "dispersion"}
    run_matching(two_men, mutation=None, index_dir=tmp_path / "ix")
    y = _y(two_men)
    assert y["method"] == "discrete_laplace"
    first = y["probability"]
    # The probability from the kept parameters by the mixture formula, computed here by hand.
    p = fit.params
    x = [15, 13, 23]
    hand = sum(w * math.prod((1 - d) / (1 + d) * d ** abs(a - c) for a, c, d in zip(x, cs, ds, strict=True))
               for w, cs, ds in zip(p["weights"], p["centres"], p["dispersion"], strict=True))
    assert first == pytest.approx(hand, rel=1e-12)
    # A new process (the parsed databases forgotten) reads the fit back: the same value to the last bit.
    store_lineage._PARSED.clear()
    dbs = configured_databases(two_men)
    ((loci, _seed), kept), = dbs.y.discrete_laplace_fits().items()
    assert loci == ("DYS19", "DYS389I", "DYS390") and kept.seconds == 0.0    # read back, not refitted
    run_matching(two_men, mutation=None, index_dir=tmp_path / "ix")
    assert _y(two_men)["probability"] == first
    assert len(two_men.scalars(select(LineageFit)).all()) == 1
    # Another database: the old fits go.
    import_lineage_database(two_men, write(tmp_path / "ydb2.csv", YDB + "Y99,15,13,23\n"), kind="y", user="t")
    assert two_men.scalars(select(LineageFit)).all() == []


def test_import_with_a_method(session, tmp_path):
    import_lineage_database(session, write(tmp_path / "ydb.csv", YDB), kind="y", user="t", method="count",
                            alpha=0.1)
    assert lineage_method(session) == store_lineage.MethodInfo("count", 0.1)
    with pytest.raises(InputError) as e:
        import_lineage_database(session, write(tmp_path / "ydb.csv", YDB), kind="mt", user="t", method="count")
    assert e.value.problems[0].code == "lineage_method_y_only"


def test_the_method_command(url, monkeypatch, capsys, tmp_path):
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    monkeypatch.setenv("REUNITE_MUTATION", "none")
    assert main(["lineage", "method"]) == 0
    out = capsys.readouterr().out
    assert "simulated_ystr_database.csv (500 haplotypes, SIMULATED)" in out and "clopper_pearson, alpha 0.05" in out
    assert main(["lineage", "method", "augmented"]) == 0
    assert "method: augmented" in capsys.readouterr().out
    assert main(["lineage", "method", "nonsense"]) == 2
    assert "error: field 'method'" in capsys.readouterr().err
    assert main(["import", "ydb", str(write(tmp_path / "ydb.csv", YDB)), "--method", "count", "--alpha", "0.01"]) == 0
    capsys.readouterr()
    assert main(["lineage", "method"]) == 0
    assert "count, alpha 0.01" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_says_when_the_y_result_was_computed_with_another_method(session, tmp_path, lang):
    import re
    import subprocess

    from needs import need_cjk_font, need_tool
    from reunite.reports.store import write_candidate_report

    from .test_lineage_store import loaded as _loaded_fixture

    loaded = _loaded_fixture.__wrapped__(session, tmp_path)
    run_matching(loaded, mutation=None)
    cand = loaded.scalars(select(Candidate).where(Candidate.report.has(report_number="R-U"))).one()
    note = {"en": "computed with the population method", "zh": "计算；本库现在的方法为"}[lang]
    html = write_candidate_report(loaded, cand.id, tmp_path / "r1", user="lab", lang=lang).read_text("utf-8")
    assert "Y-STR" in html and note not in html       # computed with the method configured
    set_lineage_method(loaded, "augmented", alpha=0.05, user="lab")   # changed; the matching not run yet
    html = write_candidate_report(loaded, cand.id, tmp_path / "r2", user="lab", lang=lang).read_text("utf-8")
    assert note in html
    if lang == "en":
        assert re.search(r"method count, one-sided 95% Clopper–Pearson upper bound \(α = 0\.05\); the store(&#39;|')s "
                         r"method is now augmented count \(count \+ 1\) / \(N \+ 1\)", html)
    else:
        from reunite.reports.lineage import TEXT

        assert f"本库现在的方法为“{TEXT['zh']['m_augmented']}”" in html
    need_cjk_font()
    pdf = write_candidate_report(loaded, cand.id, tmp_path / "r3", fmt="pdf", user="lab", lang=lang)
    text_ = subprocess.run([need_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert note.replace(" ", "") in re.sub(r"\s+", "", text_)
    run_matching(loaded, mutation=None)      # the matching re-evaluates it: the note goes
    html = write_candidate_report(loaded, cand.id, tmp_path / "r4", user="lab", lang=lang).read_text("utf-8")
    assert note not in html
