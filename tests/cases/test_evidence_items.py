"""One evidence model: a candidate's evidence is a list of items keyed by kind (``candidate_evidence``),
the posterior is :func:`reunite.evidence.fuse`'s, and a kind registered once reaches the store, the
matching and the lab report's investigative page without a change to any of them."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import sessionmaker

import reunite
from reunite.cases import db as store
from reunite.cases.matching import run_matching
from reunite.cases.models import Candidate, CandidateEvidence
from reunite.cases.records import candidate_items, candidate_posterior, record_candidate
from reunite.demo import build_report_example
from reunite.evidence import from_lr, fuse, register
from reunite.evidence.fusion import NON_DNA_MAX_LOG10
from reunite.evidence.registry import kinds, sentence, unregister
from reunite.reports.kinship import view
from reunite.reports.store import candidate_report

OLD = ("dna_lr", "dna_log10_lr", "inconsistent_markers", "markers_compared", "sex_lr", "age_lr", "time_lr")


def test_migration_0008_moves_the_columns_into_items_and_back(db_url):
    store.upgrade(db_url, "0007")
    eng = store.make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO found_children (id, case_number, sex, created_at, updated_at) VALUES "
                          "(1, 'KM-1', 'male', '2014-01-15', '2014-01-15'), (2, 'KM-2', 'male', '2014-01-15', "
                          "'2014-01-15')"))
        conn.execute(text("INSERT INTO missing_reports (id, report_number, sex, multiple_missing, suspected_of_sale, "
                          "status, other_children_listed, created_at, updated_at) VALUES (1, 'R-1', 'male', false, "
                          "false, 'open', false, '2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO candidates (id, found_child_id, report_id, dna_lr, dna_log10_lr, "
                          "inconsistent_markers, markers_compared, sex_lr, age_lr, time_lr, prior, posterior, status, "
                          "dna_withdrawn, dna_excluded, created_at, updated_at) VALUES "
                          "(1, 1, 1, 100000.0, 5.0, 1, 20, 1.96, 0.0, NULL, 0.01, 0.999, 'new', false, false, "
                          "'2014-01-15', '2014-01-15'), "
                          "(2, 2, 1, 0.0, NULL, 4, 20, NULL, NULL, 2.5, 0.01, 0.0, 'new', false, false, "
                          "'2014-01-15', '2014-01-15')"))
    store.upgrade(db_url, "0008")
    assert store.current_revision(db_url) == "0008"
    assert not set(OLD) & {c["name"] for c in inspect(eng).get_columns("candidates")}
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT candidate_id, kind, log10_lr, lr, data, sentence, sentence_zh "
                                 "FROM candidate_evidence ORDER BY candidate_id, kind")).fetchall()
        assert conn.execute(text("SELECT prior, posterior FROM candidates WHERE id = 1")).one() == (0.01, 0.999)
    got = {(r[0], r[1]): r for r in rows}
    assert set(got) == {(1, "age"), (1, "dna"), (1, "sex"), (2, "dna"), (2, "time")}
    assert got[1, "dna"][2] == 5.0 and got[1, "dna"][3] == pytest.approx(1e5)
    data = got[1, "dna"][4]
    data = data if isinstance(data, dict) else __import__("json").loads(data)
    assert data == {"inconsistent_markers": 1, "markers_compared": 20}
    assert got[1, "sex"][2] == pytest.approx(math.log10(1.96))
    assert got[1, "age"][2] is None and got[1, "age"][3] == 0.0            # LR 0: log10 NULL
    assert got[2, "dna"][2] is None and got[2, "dna"][3] == 0.0
    assert all(r[5] and r[6] for r in rows)
    store.upgrade(db_url, "head")                  # the models are today's: they read the items at head
    store.dispose_engines()
    eng = store.make_engine(db_url)
    with sessionmaker(eng)() as s:                                           # the models read the items
        c = s.get(Candidate, 1)
        assert (c.dna_log10_lr, c.inconsistent_markers, c.markers_compared, c.sex_lr, c.age_lr, c.time_lr) == \
            (5.0, 1, 20, pytest.approx(1.96), 0.0, None)
        assert c.has_dna and s.get(Candidate, 2).dna_lr == 0.0
        best = s.scalars(select(Candidate).order_by(Candidate.dna_log10_lr.desc().nulls_last())).first()
        assert best.id == 1
    store.downgrade(db_url, "0007")
    store.dispose_engines()
    eng = store.make_engine(db_url)
    assert "candidate_evidence" not in inspect(eng).get_table_names()
    with eng.connect() as conn:
        back = {r[0]: r[1:] for r in conn.execute(text(f"SELECT id, {', '.join(OLD)} FROM candidates ORDER BY id"))}
    assert back[1][:4] == (pytest.approx(1e5), 5.0, 1, 20)
    assert back[1][4:] == (pytest.approx(1.96), 0.0, None)
    assert back[2] == (0.0, None, 4, 20, None, None, pytest.approx(2.5))


# ------------------------------------------------------------------------------ one registration point


@pytest.fixture
def trio(url, tmp_path):
    """The trio example and two unrelated found children, matched (a candidate with a lab report)."""
    ex = build_report_example("trio-mutation", tmp_path / "ex", url=url, unrelated=2)
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        yield ex, s


@pytest.fixture
def scar_kind():
    """A kind of evidence registered by the test alone (nothing else in the code knows it)."""
    def compute(found, report, context):
        return from_lr("test_scar", 40.0, model="test model: a scar on both records", parameters={"p": 0.025},
                       observed={"sites": 1})

    register("test_scar", compute, label="test scar", label_zh="测试疤痕")
    yield "test_scar"
    unregister("test_scar")


def test_a_kind_registered_once_is_stored_fused_and_printed(trio, scar_kind):
    ex, s = trio
    run_matching(s, frequencies="nist1036_us_asian", prior=0.001)
    s.expire_all()
    cand = s.get(Candidate, ex["candidate"])
    item = cand.item(scar_kind)
    assert item is not None and item.lr == pytest.approx(40.0) and item.parameters == {"p": 0.025}
    assert item.data == {"sites": 1} and item.model.startswith("test model")
    assert "40 times more probable" in item.sentence and "测试疤痕证据" in item.sentence_zh
    # the posterior is fuse()'s over the stored items
    post = fuse(candidate_items(cand), prior=cand.prior)
    assert cand.posterior == post.probability == candidate_posterior(cand).probability
    # the lab report's investigative page: one line per item, in the report's language
    for lang, name, said in (("en", "test scar", "40 times more probable"), ("zh", "测试疤痕", "测试疤痕证据")):
        lines = {e["name"]: e for e in view(candidate_report(s, cand.id, lang=lang))["evidence"]}
        assert said in lines[name]["sentence"] and lines[name]["lr"] == "40"
        assert {"sex", "time"} <= {k.name for k in kinds()} and len(lines) == len(cand.evidence)


def test_every_item_is_on_the_investigative_page_from_the_items_list(trio):
    ex, s = trio
    cand = s.get(Candidate, ex["candidate"])
    record_candidate(s, cand.found_child.case_number, cand.report.report_number,
                     items=[from_lr("marks", 1000.0, observed={"terms": ["glaucoma"]})], commit=True)
    v = view(candidate_report(s, cand.id, lang="zh"))
    names = [e["name"] for e in v["evidence"]]
    assert names[0].startswith("DNA") and "体征与疾病" in names
    assert len(names) == len(cand.evidence)


# ------------------------------------------------------------------------------ the posterior, once


def test_the_stored_posterior_is_fuses_and_excluded_pairs_are_zero(session, files):
    from reunite.cases import import_found, import_reports

    import_reports(session, files["reports"])
    import_found(session, files["found"])
    cand, _ = record_candidate(session, "KM-001", "R-1", items=[from_lr("dna", log10_lr=5.0), from_lr("age", 12.0)],
                               prior=0.01, commit=True)
    assert cand.posterior == fuse([from_lr("dna", log10_lr=5.0), from_lr("age", 12.0)], prior=0.01).probability
    cand, what = record_candidate(session, "KM-001", "R-1", items=[from_lr("age", 12.0)], prior=0.01, commit=True)
    assert what == "unchanged"
    cand, _ = record_candidate(session, "KM-001", "R-1", conclusion={"decision": "exclusion", "excluded": True},
                               commit=True)
    assert cand.posterior == 0.0
    audit = session.execute(text("SELECT details FROM audit_log WHERE action LIKE 'candidate.%'")).scalars().all()
    assert all("KM-001" in d and "Li" not in d for d in audit)


def test_non_dna_evidence_alone_never_passes_the_dna_threshold(session, files):
    from reunite.cases import import_found, import_reports

    import_reports(session, files["reports"])
    import_found(session, files["found"])
    huge = [from_lr("age", 1e3), from_lr("time", 1e3), from_lr("place", 1e3), from_lr("marks", 1e3)]
    cand, _ = record_candidate(session, "KM-001", "R-1", items=huge, prior=0.01, commit=True)
    post = candidate_posterior(cand)
    assert not cand.has_dna and post.non_dna_capped and post.log10_lr == NON_DNA_MAX_LOG10
    prior_odds = 0.01 / 0.99
    assert cand.posterior / (1 - cand.posterior) == pytest.approx(prior_odds * 10 ** NON_DNA_MAX_LOG10)
    with_dna, _ = record_candidate(session, "KM-002", "R-1", items=[from_lr("dna", log10_lr=4.0)], prior=0.01,
                                   commit=True)
    assert with_dna.posterior > cand.posterior        # the weakest DNA support outranks any non-DNA evidence
    # the store's queries tell them apart (on every backend): DNA first, a filter either way
    ranked = session.scalars(select(Candidate).order_by(Candidate.has_dna.desc(), Candidate.posterior.desc(),
                                                        Candidate.dna_log10_lr.desc().nulls_last())).all()
    assert [c.id for c in ranked] == [with_dna.id, cand.id]
    assert session.scalars(select(Candidate.id).where(~Candidate.has_dna)).all() == [cand.id]
    assert session.scalars(select(Candidate.id).where(Candidate.has_dna)).all() == [with_dna.id]


def test_sentences_are_stored_in_both_languages(session, files):
    from reunite.cases import import_found, import_reports

    import_reports(session, files["reports"])
    import_found(session, files["found"])
    item = from_lr("sex", 0.04)
    cand, _ = record_candidate(session, "KM-001", "R-1", items=[item], prior=0.5, commit=True)
    row = session.scalars(select(CandidateEvidence).where(CandidateEvidence.candidate_id == cand.id)).one()
    assert row.sentence == sentence(item, "en") and "25 times more probable if the found child is some other" \
        in row.sentence
    assert row.sentence_zh == sentence(item, "zh") and row.sentence_zh.startswith("性别证据")


# ------------------------------------------------------------------------------ fuse is the only posterior

#: What computing posterior odds from a prior looks like (a prior turned into odds, odds into a probability).
POSTERIOR_MATH = re.compile(r"log10\(\s*prior\b|log\(\s*prior\b|log1p\(\s*-\s*prior\)|\(1(\.0)?\s*-\s*prior\)"
                            r"|prior\s*/\s*\(1|prior_odds\s*=|odds\s*/\s*\(1(\.0)?\s*\+\s*odds\)")


def test_fuse_is_the_only_place_a_posterior_is_computed():
    src = Path(reunite.__file__).parent
    found = {}
    for path in sorted(src.rglob("*.py")):
        hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if POSTERIOR_MATH.search(line)]
        if hits:
            found[str(path.relative_to(src))] = hits
    assert set(found) == {"evidence/fusion.py"}, found


def test_the_matching_takes_the_models_references_from_the_stores_population(session, files, monkeypatch):
    from reunite.cases import import_families, import_found, import_profiles, import_reports, matching

    import_reports(session, files["reports"])
    import_found(session, files["found"])
    import_profiles(session, files["profiles"], lab="lab")
    import_families(session, files["families"])
    small = matching.population_context(session)      # a small store: the documented defaults
    assert small["place_reference"] is None and small["p_male"] == 0.5
    assert "default" in small["time_reference"].describe()
    monkeypatch.setattr(matching, "MIN_REFERENCE_PLACES", 2)
    monkeypatch.setattr(matching, "MIN_REFERENCE_SEXES", 2)
    assert matching.population_context(session)["p_male"] == pytest.approx(1 / 3)   # one boy, two girls
    ref = matching.population_context(session)["place_reference"]
    assert ref is not None and "resolved lost places of reports" in ref.describe()
    run_matching(session, prior=0.01)
    places = session.scalars(select(CandidateEvidence).where(CandidateEvidence.kind == "place")).all()
    assert places and all("resolved lost places of reports" in p.parameters["reference"] for p in places)


def test_photographs_add_a_face_item_when_the_matching_is_asked_to(session, files, media):
    """Two photographs of one (adult, licensed) person on a found child and a report without DNA."""
    pytest.importorskip("dlib")
    from reunite.cases import add_photo, import_found, import_reports
    from shared_paths import SHARED

    faces = SHARED / "data" / "faces" / "london"
    if not faces.exists():
        pytest.skip(f"{faces} is not there")
    import_reports(session, files["reports"])
    import_found(session, files["found"])
    add_photo(session, (faces / "neutral" / "010_03.jpg").read_bytes(), found_child="KM-003", user="t", media=media)
    add_photo(session, (faces / "smiling" / "010_08.jpg").read_bytes(), report="R-3", user="t", media=media)
    session.commit()
    run_matching(session, prior=0.01)
    assert not session.scalars(select(CandidateEvidence).where(CandidateEvidence.kind == "face")).all()
    run_matching(session, prior=0.01, faces=True, media=media)
    face = session.scalars(select(CandidateEvidence).where(CandidateEvidence.kind == "face")).all()
    assert face and all(f.data["distance"] < 0.6 and f.log10_lr > 0 for f in face)
    assert "照片" in face[0].sentence_zh
