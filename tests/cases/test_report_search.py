"""The reports search through its indexes (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) gives the
answers of the plain scan (tests/reference/report_search.py), on both backends: hypothesis draws
reports (Chinese, pinyin, mixed case, LIKE wildcards, quotes) and queries (pieces of them, 1 to 6
characters, and random text), after inserts, updates and deletes (the triggers keep the index)."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text, update

from reference.report_search import scan_reports
from reunite.cases.models import MissingReport
from reunite.cases.queries import search_reports

ALPHABET = "李王张小明红云南省昭通市曲靖昆明镇雄县" + "KunmigZhaotABÜü" + string.ascii_lowercase[:6] + "%_\\\"' -*0123"
TEXT = st.text(alphabet=ALPHABET, min_size=0, max_size=12)


def _numbers(session, q, **kw) -> list[str]:
    return [r.report_number for r in search_reports(session, q, **kw)]


def _fill(session, rows) -> None:
    session.execute(delete(MissingReport))
    session.execute(insert(MissingReport), [
        {"report_number": f"R-{i:03d}{number}", "child_name": name or None, "disappeared_place": place or None,
         "sex": "unknown"} for i, (number, name, place) in enumerate(rows)])
    session.commit()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=25), data=st.data())
def test_indexed_search_answers_as_the_scan(session, rows, data):
    _fill(session, rows)
    pieces = [t for row in rows for t in row if t]
    queries = [data.draw(TEXT)]
    if pieces:
        src = data.draw(st.sampled_from(pieces))
        i = data.draw(st.integers(0, len(src) - 1))
        n = data.draw(st.integers(1, 6))
        piece = src[i:i + n]
        queries += [piece, piece.upper(), piece.lower()]
    for q in queries:
        assert _numbers(session, q) == scan_reports(session, q), q


def test_chinese_and_pinyin_of_every_length(session):
    _fill(session, [("", "李小明", "云南省昭通市镇雄县"), ("", "王红", "Kunming, Yunnan"), ("", "张三", "云南省昆明市"),
                    ("", None, "昭通")])
    cases = {"李": [0], "小明": [0], "李小明": [0], "昭通": [0, 3], "昭通市": [0], "云南省": [0, 2],
             "kunming": [1], "KUNMING, y": [1], "un": [1], "Z": [], "R-00": [0, 1, 2, 3], "%": [], "_": []}
    for q, idx in cases.items():
        want = [f"R-{i:03d}" for i in idx]
        assert _numbers(session, q) == want == scan_reports(session, q), q


def test_index_follows_updates_and_deletes(session):
    _fill(session, [("", "李小明", "云南省昭通市"), ("", "王红", "四川省凉山州")])
    assert _numbers(session, "昭通市") == ["R-000"]
    session.execute(update(MissingReport).where(MissingReport.report_number == "R-000")
                    .values(disappeared_place="贵州省毕节市", child_name=None))
    session.execute(update(MissingReport).where(MissingReport.report_number == "R-001")
                    .values(disappeared_place="云南省昭通市"))
    session.commit()
    assert _numbers(session, "昭通市") == ["R-001"] == scan_reports(session, "昭通市")
    assert _numbers(session, "李小明") == [] and _numbers(session, "毕节市") == ["R-000"]
    session.execute(delete(MissingReport).where(MissingReport.report_number == "R-001"))
    session.commit()
    assert _numbers(session, "昭通市") == []


def test_limit_and_within_are_kept(session):
    _fill(session, [("", f"李{i}", "云南省") for i in range(30)])
    assert _numbers(session, "云南省", limit=5) == [f"R-{i:03d}" for i in range(5)]
    within = select(MissingReport).where(MissingReport.report_number >= "R-010")
    assert _numbers(session, "云南省", within=within, limit=3) == ["R-010", "R-011", "R-012"]


def test_the_indexes_exist_and_are_used(session):
    if session.get_bind().dialect.name == "sqlite":
        plan = " ".join(str(r) for r in session.execute(text(
            "EXPLAIN QUERY PLAN SELECT rowid FROM missing_reports_fts WHERE missing_reports_fts MATCH '\"昭通市\"'")))
        assert "VIRTUAL TABLE INDEX" in plan
    else:
        names = set(session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'missing_reports'")))
        assert {"ix_missing_reports_report_number_trgm", "ix_missing_reports_child_name_trgm",
                "ix_missing_reports_disappeared_place_trgm"} <= names
