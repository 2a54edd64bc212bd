"""Request bodies are refused before they are read: an anonymous upload on a route that needs a
login gets its 401 before its body is consumed, and a streamed body (chunked, no Content-Length)
is cut off with a 413 once it passes the limit."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from .conftest import bearer

CHUNK = 64 * 1024
PART_HEAD = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'


class Stream:
    """A chunked request body of ``total`` bytes that counts what the server pulled."""

    def __init__(self, total: int):
        self.total, self.sent = total, 0

    def __iter__(self):
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"a" * CHUNK


@pytest.fixture
def small_app(world, tmp_path):
    from reunite.web import create_app

    url, media, _ = world
    return create_app(url, media, reports_dir=tmp_path / "reports", secret_key="test-secret", secure_cookies=False,
                      match_after_import=False, max_csv_bytes=0)  # the body limit is then 1 MiB


@pytest.mark.parametrize("path", ["/api/v1/imports", "/imports", "/children/KM-001/photos",
                                  "/api/v1/found-children/KM-001/photos"])
def test_anonymous_upload_is_refused_before_its_body_is_read(client, path):
    body = Stream(200 * CHUNK)
    r = client.post(path, content=body, headers={"Content-Type": "multipart/form-data; boundary=x",
                                                 "Accept": "application/json"})
    assert r.status_code == 401
    assert body.sent <= CHUNK, f"{body.sent:,} bytes were read before the 401"


def test_forged_bearer_token_does_not_open_the_body(client):
    body = Stream(50 * CHUNK)
    r = client.post("/api/v1/imports", content=body, headers={"Authorization": "Bearer forged",
                                                              "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 401 and body.sent <= CHUNK


def asgi_post(app, path: str, total: int, headers: dict[str, str]) -> tuple[int, int]:
    """POST a chunked body of ``total`` bytes straight through ASGI: (status, bytes the app pulled)."""
    pulled, status = 0, []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in
                         {**headers, "host": "testserver", "transfer-encoding": "chunked"}.items()]}

    async def receive():
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        head = b"" if pulled else PART_HEAD
        pulled += CHUNK
        return {"type": "http.request", "body": head + b"a" * (CHUNK - len(head)), "more_body": pulled < total}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    asyncio.run(app(scope, receive, send))
    return status[0], pulled


def test_streamed_body_without_length_is_cut_off(small_app):
    with TestClient(small_app, raise_server_exceptions=False) as c:
        h = bearer(c, "lab")
    status, pulled = asgi_post(small_app, "/api/v1/imports", 40 * 1024 * 1024,
                               {**h, "content-type": "multipart/form-data; boundary=x"})
    assert status == 413
    assert pulled <= 1024 * 1024 + 2 * CHUNK, f"{pulled:,} bytes were read"


def test_anonymous_body_is_not_pulled(small_app):
    status, pulled = asgi_post(small_app, "/api/v1/imports", 40 * 1024 * 1024,
                               {"content-type": "multipart/form-data; boundary=x"})
    assert status == 401 and pulled == 0


def test_declared_length_over_the_limit_is_refused(small_app):
    with TestClient(small_app, raise_server_exceptions=False) as c:
        h = bearer(c, "lab")
        r = c.post("/api/v1/imports", content=b"a" * (1024 * 1024 + 10),
                   headers={**h, "Content-Type": "multipart/form-data; boundary=x"})
        assert r.status_code == 413


def test_anonymous_bodies_on_public_routes_still_work(client, ids):
    r = client.post("/api/v1/token", json={"username": "nobody", "password": "wrong password"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.post(f"/api/v1/appeals/{ids['appeal']}/tips", json={"message": "seen near the station"})
    assert r.status_code in (200, 201)


def test_a_logged_out_cookie_does_not_open_the_body(app, as_user):
    c = as_user("lab")
    saved = c.cookies.get("reunite_session")
    c.post("/logout", data={"csrf_token": c.csrf})
    status, pulled = asgi_post(app, "/api/v1/imports", 10 * 1024 * 1024,
                               {"content-type": "multipart/form-data; boundary=x",
                                "cookie": f"reunite_session={saved}"})
    assert status == 401 and pulled == 0


def test_a_revoked_token_does_not_open_the_body(app, client):
    h = bearer(client, "lab")
    number = client.get("/api/v1/tokens", headers=h).json()["items"][0]["number"]
    client.post(f"/api/v1/tokens/{number}/revoke", headers=h)
    status, pulled = asgi_post(app, "/api/v1/imports", 10 * 1024 * 1024,
                               {"content-type": "multipart/form-data; boundary=x",
                                "authorization": h["Authorization"]})
    assert status == 401 and pulled == 0


@pytest.mark.parametrize(("path", "kind"), [("/login", "application/x-www-form-urlencoded"),
                                            ("/api/v1/token", "application/json"),
                                            ("/api/v1/appeals/1/tips", "application/json")])
def test_an_anonymous_form_or_json_body_stops_at_one_mebibyte(app, path, kind):
    """Routes open to anyone read a login form or a tip: such a body stops at 1 MiB (it was read up to
    the upload limit, 51 MiB by default, before its 413: an anonymous client could make the server
    pull 51 MiB per request).  Only a file upload may be larger."""
    from reunite.web.app import MAX_TEXT_BODY

    status, pulled = asgi_post(app, path, 40 * 1024 * 1024, {"content-type": kind})
    assert status == 413
    assert pulled <= MAX_TEXT_BODY + 2 * CHUNK, f"{pulled:,} bytes were read"
