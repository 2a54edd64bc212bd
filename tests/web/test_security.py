"""CSRF, XSS, SQL injection, path traversal, uploads, rate limits, cookies."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from needs import need_cjk_font
from reunite.cases import db as store
from reunite.cases.models import MissingReport, Photo, Tip

from .conftest import PASSWORD, XSS, bearer, login, png

SQLI = ["' OR '1'='1", "%' OR 1=1 --", "\"; DROP TABLE users; --", "' UNION SELECT name, role FROM users --",
        "%", "_", "\\", "KM-001' --"]


def test_post_without_csrf_token_is_refused(as_user, ids, client):
    c = as_user("inv")
    r = c.post(f"/candidates/{ids['candidate']}/review", data={"to": "under_review", "reason": "x"},
               follow_redirects=False)
    assert r.status_code == 403 and "expired" in r.text
    r = c.post(f"/candidates/{ids['candidate']}/review", data={"to": "under_review", "reason": "x",
                                                               "csrf_token": "forged"})
    assert r.status_code == 403
    assert c.get(f"/api/v1/candidates/{ids['candidate']}").json()["status"] == "new"
    # the API with cookie auth needs the header too; with a bearer token it does not
    assert c.post(f"/api/v1/appeals/{ids['appeal']}/unpublish").status_code == 403
    r = client.post("/login", data={"username": "inv", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/api/v1/appeals/{ids['appeal']}/unpublish", headers=bearer(client, "inv"))
    assert r.status_code == 200


def test_review_with_reason_through_the_page(as_user, ids):
    c = as_user("inv")
    page = c.get(f"/candidates/{ids['candidate']}")
    assert 'id="review-under_review-form"' in page.text
    r = c.post(f"/candidates/{ids['candidate']}/review", data={"to": "under_review", "reason": "  ",
                                                               "csrf_token": c.csrf})
    assert r.status_code == 400 and "reason" in r.text
    r = c.post(f"/candidates/{ids['candidate']}/review", data={"to": "under_review", "reason": "strong DNA",
                                                               "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "under_review" in c.get(f"/candidates/{ids['candidate']}").text


def test_script_in_a_name_is_escaped_on_every_page(as_user, ids):
    staff = as_user("inv")
    fam = as_user("fam")
    pages = [(staff, "/reports/R-1"), (staff, "/children/KM-001"), (staff, f"/candidates/{ids['candidate']}"),
             (fam, "/family"), (fam, "/family/reports/R-1")]
    for c, url in pages:
        r = c.get(url)
        assert r.status_code == 200, url
        assert XSS not in r.text, url
        assert "&lt;script&gt;" in r.text or "&amp;lt;script&amp;gt;" in r.text, url
    assert XSS not in staff.get(f"/files/reports/candidate-{ids['candidate']}.html").text
    r = staff.get("/api/v1/reports/R-1")
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("attack", SQLI)
def test_sql_injection_in_search_fields(client, attack):
    h = bearer(client, "inv")
    for url, key in [("/api/v1/found-children", "q"), ("/api/v1/reports", "q"), ("/api/v1/appeals", "place")]:
        r = client.get(url, params={key: attack}, headers=h)
        assert r.status_code == 200, (url, r.text)
        # no stored value contains these strings: no rows (wildcards are escaped, so % matches only %)
        assert r.json()["items"] == [], (url, attack)
    for url, key in [("/children", "q"), ("/appeals", "place")]:
        r = client.get(url, params={key: attack}, headers=h)
        assert r.status_code == 200


TRAVERSAL = ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
             "ab/../../reunite.db", "/etc/passwd", "..\\..\\etc\\passwd", "ab%00.png"]


def test_path_traversal_is_refused(client, ids):
    h = bearer(client, "inv")
    for bad in TRAVERSAL:
        for url in (f"/media/{bad}", f"/files/reports/{bad}", f"/files/reports/candidate-1.html/{bad}"):
            r = client.get(url, headers=h)
            # (400: a NUL in the path is refused before routing, web/nul_guard.py)
            assert r.status_code in (404, 422) or (r.status_code == 400 and "%00" in bad), (url, r.status_code)
            assert "root:" not in r.text and "SQLite format" not in r.text
    # ... while the candidate's report itself is served (HTML: the PDF needs a CJK font, next test)
    assert client.get(f"/files/reports/candidate-{ids['candidate']}.html", headers=h).status_code == 200


def test_the_pdf_report_is_served(client, ids):
    need_cjk_font()
    r = client.get(f"/files/reports/candidate-{ids['candidate']}.pdf", headers=bearer(client, "inv"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


def _photos(url):
    with store.open_session(url) as s:
        return s.scalar(select(func.count()).select_from(Photo))


def test_oversized_and_non_image_uploads_store_nothing(as_user, world):
    url, media, _ = world
    files_before = sorted(p for p in media.rglob("*") if p.is_file())
    before = _photos(url)
    c = as_user("cw")
    big = png(size=(400, 400)) + b"\0" * 60_000
    r = c.post("/children/KM-001/photos", files={"photo": ("big.png", big, "image/png")}, data={"csrf_token": c.csrf})
    assert r.status_code == 413
    r = c.post("/children/KM-001/photos", files={"photo": ("x.png", b"<?php echo 1; ?>", "image/png")},
               data={"csrf_token": c.csrf})
    assert r.status_code == 400
    r = c.post("/api/v1/found-children/KM-001/photos", files={"file": ("x.gif", b"GIF89a" + b"\0" * 20, "image/gif")},
               headers={"X-CSRF-Token": c.csrf})
    assert r.status_code == 400 and set(r.json()) == {"error"}
    assert _photos(url) == before
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files_before
    r = c.post("/children/KM-001/photos", files={"photo": ("ok.png", png(color=(1, 2, 3)), "image/png")},
               data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and _photos(url) == before + 1
    # a family's report with a bad photo stores no report
    f = as_user("fam")
    with store.open_session(url) as s:
        reports = s.scalar(select(func.count()).select_from(MissingReport))
    r = f.post("/family/reports", data={"csrf_token": f.csrf, "child_name": "A", "disappeared_on": "2020-01-01",
                                        "disappeared_place": "Zhaotong", "contact_phone": "123"},
               files={"photo": ("a.jpg", b"not an image", "image/jpeg")})
    assert r.status_code == 400 and 'id="report-photo-error"' in r.text
    with store.open_session(url) as s:
        assert s.scalar(select(func.count()).select_from(MissingReport)) == reports


def test_login_rate_limit_and_cookie_flags(app, client):
    for _ in range(5):
        assert login(client, "lab", "wrong password!").status_code == 400
    assert login(client, "lab").status_code == 429
    r = client.post("/api/v1/token", json={"username": "lab", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert client.post("/api/v1/token", json={"username": "inv", "password": PASSWORD}).status_code == 200


def test_secure_cookie_flags(world, tmp_path):
    from fastapi.testclient import TestClient

    from reunite.web import create_app

    app = create_app(world[0], world[1], secret_key="k", secure_cookies=True, match_after_import=False)
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/login")
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_tips_are_validated_rate_limited_and_private(client, as_user, ids, world):
    url = f"/api/v1/appeals/{ids['appeal']}/tips"
    assert client.post(url, json={"message": "hi"}).status_code == 422
    assert client.post(url, json={"message": "I saw her in Kunming market"}).status_code == 201
    c = as_user(None)
    r = c.post(f"/appeals/{ids['appeal']}/tips", data={"message": "Another sighting near Dali", "csrf_token": c.csrf})
    assert r.status_code == 200 and 'id="tip-message"' in r.text
    for _ in range(3):
        client.post(url, json={"message": "more tips, more tips"})
    assert client.post(url, json={"message": "one tip too many"}).status_code == 429
    assert "Kunming market" not in client.get(f"/appeals/{ids['appeal']}").text
    assert "Kunming market" not in client.get("/api/v1/appeals").text
    tips = client.get("/api/v1/tips", headers=bearer(client, "inv")).json()["items"]
    assert any("Kunming market" in t["message"] for t in tips)
    with store.open_session(world[0]) as s:
        assert s.scalar(select(func.count()).select_from(Tip)) == 5


def test_errors_have_one_shape_and_no_trace(client):
    for r in (client.get("/api/v1/nothing"), client.get("/api/v1/candidates/abc", headers=bearer(client, "inv")),
              client.post("/api/v1/token", content=b"{not json", headers={"content-type": "application/json"}),
              client.get("/api/v1/me")):
        body = r.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "problems"}
        assert "Traceback" not in r.text
