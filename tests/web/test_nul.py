"""A NUL character in any text input is refused with 400 naming the field, on SQLite and PostgreSQL,
and no submitted value reaches the log."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from cases.conftest import _new_pg_schema, _pg_admin
from needs import need_postgresql
from reunite.cases import accounts
from reunite.cases import db as store

from .conftest import PASSWORD, csrf_of

SECRET = "Zhang Xiuying"  # a name typed into a field: must never be logged


@pytest.fixture(params=["sqlite", "postgresql"])
def nul_app(request, tmp_path):
    """An app on a migrated store with one investigator and one family account, on each backend."""
    from reunite.cases.records import add_user
    from reunite.web import create_app

    schema = None
    if request.param == "postgresql":
        need_postgresql()
        schema, url = _new_pg_schema()
    else:
        url = f"sqlite:///{tmp_path / 'reunite.db'}"
    store.init_db(url)
    with store.open_session(url) as s:
        for name, role in (("inv", "investigator"), ("fam", "family")):
            add_user(s, name, role, by="setup", commit=False).password_hash = accounts.hash_password(PASSWORD)
        s.commit()
    app = create_app(url, tmp_path / "media", reports_dir=tmp_path / "reports", secret_key="test-secret",
                     secure_cookies=False, match_after_import=False)
    try:
        yield app
    finally:
        store.dispose_engines()
        if schema:
            _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


def refused(r, field: str) -> None:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    if r.headers["content-type"].startswith("application/json"):
        err = r.json()["error"]
        assert err["code"] == "invalid" and [p["field"] for p in err["problems"]] == [field]
    else:  # the error page of a browser's form
        assert f"{field} contains a NUL character" in r.text
    assert SECRET not in r.text and "\x00" not in r.text and "\\u0000" not in r.text


def test_nul_in_login_search_and_forms_is_a_400_with_the_field(nul_app, caplog):
    caplog.set_level(logging.DEBUG)
    with TestClient(nul_app, raise_server_exceptions=False) as c:
        token = csrf_of(c)
        refused(c.post("/login", data={"username": f"{SECRET}\x00", "password": PASSWORD, "csrf_token": token}),
                "username")
        refused(c.post("/api/v1/token", json={"username": f"{SECRET}\x00", "password": PASSWORD}), "username")
        r = c.post("/api/v1/token", json={"username": "inv", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        refused(c.get("/api/v1/reports", params={"q": f"{SECRET}\x00"}, headers=auth), "q")
        refused(c.get("/api/v1/found-children", params={"q": f"\x00{SECRET}"}, headers=auth), "q")
        refused(c.get("/appeals", params={"place": f"{SECRET}\x00"}), "place")
        # A multipart form field (the files beside it may hold NUL bytes: they are not text).
        refused(c.post("/login", files={"photo": ("a.png", b"\x89PNG\x00\x00", "image/png")},
                       data={"username": f"{SECRET}\x00", "password": "x", "csrf_token": token}), "username")
        # The same requests without NUL still work.
        assert c.get("/api/v1/reports", params={"q": SECRET}, headers=auth).status_code == 200
        assert c.post("/login", data={"username": "inv", "password": PASSWORD, "csrf_token": token},
                      follow_redirects=False).status_code == 303
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert SECRET not in logged and "Traceback" not in logged


def test_a_family_form_with_nul_stores_nothing(nul_app):
    from sqlalchemy import func, select

    from reunite.cases.models import MissingReport

    with TestClient(nul_app, raise_server_exceptions=False) as c:
        token = csrf_of(c)
        assert c.post("/login", data={"username": "fam", "password": PASSWORD, "csrf_token": token},
                      follow_redirects=False).status_code == 303
        token = csrf_of(c, "/login")
        refused(c.post("/family/reports", data={"csrf_token": token, "child_name": f"{SECRET}\x00",
                                                "disappeared_on": "2020-01-01", "disappeared_place": "Dali"}),
                "child_name")
    url = str(nul_app.state.sessionmaker.kw["bind"].url.render_as_string(hide_password=False))
    with store.open_session(url) as s:
        assert s.scalar(select(func.count()).select_from(MissingReport)) == 0


def test_an_unexpected_error_is_logged_without_the_request_values(nul_app, caplog, capsys):
    from fastapi import Form

    def boom(name: str = Form()):
        raise ValueError(f"could not handle {name}")

    nul_app.add_api_route("/boom", boom, methods=["POST"])
    caplog.set_level(logging.DEBUG)
    with TestClient(nul_app, raise_server_exceptions=True) as c:
        r = c.post("/boom", data={"name": SECRET}, headers={"Accept": "application/json"})
    assert r.status_code == 500 and r.json()["error"]["code"] == "internal"
    assert SECRET not in r.text
    logged = "\n".join(f"{rec.getMessage()} {rec.exc_text or ''}" for rec in caplog.records)
    assert "ValueError" in logged and SECRET not in logged and "Traceback" not in logged
    out, err = capsys.readouterr()
    assert SECRET not in out + err
