"""``reunite serve`` as it runs: what its log holds.  A search's query string holds what was searched
for (a child's name, a phone number): the access log named every request with it.  On SQLite and
PostgreSQL, through a real server and its real log."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cases.conftest import _new_pg_schema, _pg_admin
from needs import need_postgresql
from reunite.cases import accounts
from reunite.cases import db as store

from .conftest import PASSWORD

NAME = "Zhang Xiuying"        # typed into a search, a login and a NUL-laden field
PHONE = "13800138000"


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request, tmp_path):
    """A `reunite serve` process on a migrated store with one investigator (REUNITE_SECRET_KEY unset):
    (base URL, a function that stops it and returns its log)."""
    from reunite.cases.records import add_user

    schema = None
    if request.param == "postgresql":
        need_postgresql()
        schema, url = _new_pg_schema()
    else:
        url = f"sqlite:///{tmp_path / 'reunite.db'}"
    store.init_db(url)
    with store.open_session(url) as s:
        add_user(s, "inv", "investigator", by="setup", commit=False).password_hash = accounts.hash_password(PASSWORD)
        s.commit()
    store.dispose_engines()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "REUNITE_SECRET_KEY"}
    env.update(REUNITE_DATABASE_URL=url, REUNITE_MEDIA_DIR=str(tmp_path / "media"),
               REUNITE_INDEX_DIR=str(tmp_path / "index"), REUNITE_REPORTS_DIR=str(tmp_path / "reports"))
    log_path = tmp_path / "server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "reunite", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--insecure-cookies", "--no-match"], env=env, cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def stop() -> str:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(15)
        log.flush()
        return log_path.read_text(encoding="utf-8", errors="replace")

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{stop()[-2000:]}")
            time.sleep(0.2)
        yield base, stop
    finally:
        stop()
        log.close()
        if schema:
            _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


def _call(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_server_log_holds_no_searched_name_phone_or_submitted_value(served):
    import json

    base, stop = served
    status, body = _call("POST", base + "/api/v1/token", body=json.dumps(
        {"username": "inv", "password": PASSWORD}).encode(), headers={"Content-Type": "application/json"})
    assert status == 200
    auth = {"Authorization": "Bearer " + json.loads(body)["access_token"]}
    for q in (NAME, PHONE):
        status, _ = _call("GET", base + "/api/v1/reports?" + urllib.parse.urlencode({"q": q}), headers=auth)
        assert status == 200
    # A NUL in a search filter and in a login name: 400 naming the field, the value nowhere.
    status, body = _call("GET", base + "/api/v1/found-children?" + urllib.parse.urlencode({"q": NAME + "\x00"}),
                         headers=auth)
    assert status == 400 and b'"q"' in body and NAME.encode() not in body
    status, body = _call("POST", base + "/api/v1/token", body=json.dumps(
        {"username": NAME + "\x00", "password": "x"}).encode(), headers={"Content-Type": "application/json"})
    assert status == 400 and b"username" in body and NAME.encode() not in body
    log = stop()
    assert "GET /api/v1/reports?… HTTP/1.1" in log                  # the request is logged, its query is not
    for value in (NAME, urllib.parse.quote(NAME), urllib.parse.quote_plus(NAME), PHONE, PASSWORD):
        assert value not in log
    assert "Traceback" not in log and " 500 " not in log
    assert "REUNITE_SECRET_KEY is not set" in log                    # the warning at start
