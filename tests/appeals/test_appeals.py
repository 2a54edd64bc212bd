"""What an appeal publishes, how the public finds it, and what a poster's token says (both backends)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from reunite.cases.appeals import (
    FACTS,
    age_parts,
    poster_token,
    public_view,
    publish,
    search,
    set_published,
    verify_token,
)
from reunite.cases.models import AuditEntry
from reunite.errors import InputError, NotFoundError

from .conftest import ADDRESS, HOTLINE, TODAY, signer


def _found(store, case="KM-A", **kw):
    kw.setdefault("photo_id", store.info["photo"] if case == "KM-A" else None)
    if kw["photo_id"] is None:
        kw.setdefault("no_photo_reason", "the child was not photographed when rescued")
    return publish(store, user="inv", hotline=HOTLINE, case_number=case, **kw)


def _missing(store, **kw):
    kw.setdefault("no_photo_reason", "the family has no photo of him")
    return publish(store, user="inv", hotline=HOTLINE, report_number="R-Z", **kw)


# ------------------------------------------------------------------------------------ ages


def test_an_infant_found_in_2014_is_a_teenager_now_and_an_infant_then(store):
    v = public_view(_found(store), TODAY)
    # by hand: 8 months on 2014-02-20; to 2026-12-05 is 4,671 days = 153.46 months (30.4375 days each)
    assert v.age_then_months == pytest.approx(8.0)
    assert v.age_now_months == pytest.approx(8 + 4671 / 30.4375, abs=1e-9)
    assert age_parts(v.age_now_months) == ("years", 13)       # the card says "about 13 years" now ...
    assert age_parts(v.age_then_months) == ("months", 8)      # ... and "about 8 months" when found


def test_a_missing_childs_age_then_is_from_birth_to_the_day_lost(store):
    v = public_view(_missing(store), TODAY)
    assert v.age_then_months == pytest.approx(92 / 30.4375)   # 2013-06-01 to 2013-09-01: 92 days
    assert age_parts(v.age_then_months) == ("months", 3)
    assert age_parts(v.age_now_months) == ("years", 13)      # born 2013-06-01, 13 on 2026-06-01


def test_age_words_switch_from_months_to_years_at_two():
    assert age_parts(23.4) == ("months", 23)
    assert age_parts(24.0) == ("years", 2)
    assert age_parts(35.9) == ("years", 2)


# ----------------------------------------------------------------------------- what is public


def test_the_place_is_the_county_never_the_address(store):
    v = public_view(_found(store), TODAY)
    assert v.place_zh == "云南省昆明市盘龙区" and v.place_en == "Panlong, Kunming, Yunnan"
    assert "12号" not in json.dumps(v.as_dict(), ensure_ascii=False)
    assert "金星" not in json.dumps(v.as_dict(), ensure_ascii=False)
    m = public_view(_missing(store), TODAY)
    assert m.place_zh == "云南省昭通市镇雄县" and "坡头" not in json.dumps(m.as_dict(), ensure_ascii=False)


def test_nothing_private_is_in_the_public_view(store):
    text = json.dumps(public_view(_missing(store, facts=list(FACTS)), TODAY).as_dict(), ensure_ascii=False)
    text += json.dumps(public_view(_found(store), TODAY).as_dict(), ensure_ascii=False)
    for private in ("R-Z", "KM-A", "Li Wei", "+86 139", "福利院", "S-A", "D3S1358", "15", ADDRESS):
        assert private not in text, private
    assert "Li Xiaoming" in text          # the name: chosen, for a missing child, with the family's agreement


def test_only_the_chosen_facts_are_published(store):
    v = public_view(_found(store, facts=["sex", "marks"]), TODAY)
    assert (v.sex, v.marks) == ("male", "congenital glaucoma (left eye)")   # marks default to the record's
    assert (v.age_now_months, v.age_then_months, v.place_zh, v.date, v.description) == (None,) * 5
    assert search(store, place="Kunming", today=TODAY) == []             # the place is not published
    with pytest.raises(InputError) as exc:
        _found(store, facts=["sex", "name", "shoe size"])
    assert exc.value.problems[0].field == "facts" and "name" in str(exc.value)


def test_an_appeal_without_a_photo_says_why(store):
    with pytest.raises(InputError) as exc:
        publish(store, user="inv", hotline="not a phone", case_number="KM-B")
    assert [p.field for p in exc.value.problems] == ["hotline", "no_photo_reason"]
    store.rollback()
    v = public_view(_found(store, "KM-B"), TODAY)
    assert v.photo_url is None and v.no_photo_reason == "the child was not photographed when rescued"
    v = public_view(_found(store), TODAY)
    assert v.photo_url.startswith("/media/") and v.no_photo_reason is None
    with pytest.raises(InputError, match="one of this child's photos"):
        _found(store, "KM-B", photo_id=store.info["photo"])
    with pytest.raises(NotFoundError):
        publish(store, user="inv", hotline=HOTLINE, case_number="KM-404", no_photo_reason="none taken")


# ----------------------------------------------------------------------------------- search


@pytest.mark.parametrize("query", ["Kunming", "kunming", "KUNMING", "昆明", "昆明市", "Kunming, Yunnan", "盘龙区",
                                   "Panlong"])
def test_a_place_is_found_in_chinese_pinyin_or_english(store, query):
    a = _found(store)
    assert [v.id for v in search(store, place=query, today=TODAY)] == [a.id]


def test_a_province_finds_its_prefectures_and_other_places_do_not(store):
    a, b, c = _found(store), _found(store, "KM-B"), _found(store, "KM-C")
    m = _missing(store)
    assert {v.id for v in search(store, place="Yunnan", today=TODAY)} == {a.id, b.id, m.id}
    assert {v.id for v in search(store, place="云南", today=TODAY)} == {a.id, b.id, m.id}
    assert [v.id for v in search(store, place="Jinan", today=TODAY)] == [c.id]
    assert [v.id for v in search(store, place="Zhenxiong", today=TODAY)] == [m.id]
    assert search(store, place="Guangzhou", today=TODAY) == []
    assert search(store, place="nowhere-at-all", today=TODAY) == []


def test_search_by_sex_kind_age_then_age_now_and_date(store):
    a, b, c = _found(store), _found(store, "KM-B"), _found(store, "KM-C")
    m = _missing(store)

    def ids(**kw):
        return {v.id for v in search(store, today=TODAY, **kw)}

    assert ids(sex="female") == {b.id, c.id}
    assert ids(kind="missing") == {m.id}
    # age then: the three infants were under a year; KM-C was 30 months (2 years) when found
    assert ids(age_then=(None, 0)) == {a.id, b.id, m.id}
    assert ids(age_then=(2, 2)) == {c.id}
    # age now: the 2014 infants are 13, the missing boy 13, KM-C (30 months in 2020) is 9
    assert ids(age_now=(13, 13)) == {a.id, b.id, m.id}
    assert ids(age_now=(9, 9)) == {c.id}
    assert ids(age_now=(0, 1)) == set()                      # no infant now: the age now is not the age then
    assert ids(date_from=dt.date(2014, 1, 1), date_to=dt.date(2014, 12, 31)) == {a.id, b.id}
    assert ids(date_to=dt.date(2013, 12, 31)) == {m.id}


def test_unpublished_appeals_are_not_found_and_publishing_is_audited(store):
    a = _found(store)
    set_published(store, a.id, False, user="inv")
    assert search(store, today=TODAY) == []
    actions = store.scalars(select(AuditEntry.action).where(AuditEntry.entity == "appeal")).all()
    assert actions == ["appeal.publish", "appeal.unpublish"]


# ---------------------------------------------------------------------------------- tokens


def test_a_posters_token_is_genuine_while_published(store):
    a = _found(store)
    token = poster_token(a, signer())
    v = verify_token(store, token, a.id, signer=signer())
    assert (v.status, v.appeal_id, v.published_on) == ("genuine", a.id, a.published_at.date().isoformat())
    assert verify_token(store, token, signer=signer()).status == "genuine"


@pytest.mark.parametrize("change", ["mac", "edition", "id", "garbage", "empty"])
def test_a_forged_token_is_called_forged(store, change):
    a, b = _found(store), _found(store, "KM-B")
    aid, edition, mac = poster_token(a, signer()).split(".")
    token = {"mac": f"{aid}.{edition}.{'A' * 16}",
             "edition": f"{aid}.{edition[:-1]}{'0' if edition[-1] != '0' else '1'}.{mac}",
             "id": f"{b.id}.{edition}.{mac}", "garbage": "<script>", "empty": ""}[change]
    assert verify_token(store, token, None if change == "id" else a.id, signer=signer()).status == "forged"


def test_a_token_opened_on_another_appeals_page_is_forged(store):
    a, b = _found(store), _found(store, "KM-B")
    assert verify_token(store, poster_token(a, signer()), b.id, signer=signer()).status == "forged"


def test_unpublished_is_withdrawn_and_republished_is_superseded(store):
    a = _found(store)
    token = poster_token(a, signer())
    set_published(store, a.id, False, user="inv")
    assert verify_token(store, token, a.id, signer=signer()).status == "withdrawn"
    a.published_at = a.published_at - dt.timedelta(days=3)     # an earlier edition, printed then
    a.published = True
    store.commit()
    old = poster_token(a, signer())
    set_published(store, a.id, True, user="inv")               # published again today: a new edition
    v = verify_token(store, old, a.id, signer=signer())
    assert v.status == "superseded" and v.current_on == a.published_at.date().isoformat()
    assert verify_token(store, poster_token(a, signer()), a.id, signer=signer()).status == "genuine"


def test_no_token_before_publication(store):
    a = _found(store)
    set_published(store, a.id, False, user="inv")
    with pytest.raises(InputError, match="not published"):
        poster_token(a, signer())


def test_the_public_search_reads_rows_not_objects(store):
    """The public list and search read one query of plain columns: no appeal, child, report or photo is
    loaded as an ORM object (loading and tracking them cost most of the appeals API's time: issue 14's
    benchmark fell from 97 to 41 requests/s when the search moved from SQL to such objects)."""
    from sqlalchemy import event

    from reunite.cases.models import Base

    a, b, c = _found(store), _found(store, "KM-B"), _found(store, "KM-C")
    m = _missing(store)
    store.expunge_all()
    loaded, selects = [], []

    def on_load(target, context):
        loaded.append(type(target).__name__)

    def on_sql(conn, cursor, statement, *rest):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    engine = store.get_bind()
    event.listen(Base, "load", on_load, propagate=True)
    event.listen(engine, "before_cursor_execute", on_sql)
    try:
        assert [v.id for v in search(store, place="Kunming", today=TODAY)] == [a.id]
        assert {v.id for v in search(store, today=TODAY)} == {a.id, b.id, c.id, m.id}
    finally:
        event.remove(Base, "load", on_load)
        event.remove(engine, "before_cursor_execute", on_sql)
    assert loaded == []
    assert len(selects) == 2          # one query a search
