"""Family portal, appeals, imports, i18n and the CLI commands of the web layer."""

from __future__ import annotations

import time

from reunite.web.i18n import MESSAGES

from .conftest import bearer, png


def test_every_message_exists_in_both_languages():
    assert set(MESSAGES["en"]) == set(MESSAGES["zh"])
    assert all(v.strip() for lang in MESSAGES.values() for v in lang.values())


def test_language_switch(client, as_user):
    assert "寻亲公告" in client.get("/appeals?lang=zh").text
    assert "寻亲公告" in client.get("/appeals").text  # remembered in the session
    assert "Appeals" in client.get("/appeals?lang=en").text
    fresh = as_user(None)
    assert "寻亲公告" in fresh.get("/appeals", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text


def test_family_registers_reports_and_follows_status(app, as_user, ids):
    import re

    from reunite.notify import ConsoleChannel

    app.state.sms = ConsoleChannel("sms", stream=None)
    c = as_user(None)
    r = c.post("/register", data={"phone": "13800138000", "username": "li.family", "password": "a long password",
                                  "password2": "a long password", "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/register/verify"
    code = re.search(r"\d{6}", app.state.sms.sent[-1].message.body_en).group(0)
    r = c.post("/register/verify", data={"code": code, "csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/family")
    c.csrf = c.get("/family/reports/new").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/family/reports", data={"csrf_token": c.csrf, "child_name": "Li Xiaoming", "sex": "male",
                                        "date_of_birth": "2013-06-01", "disappeared_on": "2014-01-05",
                                        "disappeared_place": "Zhaotong, Yunnan", "marks": "mole on left hand",
                                        "contact_phone": "+86 139"},
               files={"photo": ("me.png", png(color=(5, 5, 5)), "image/png")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"])
    assert "Li Xiaoming" in page.text and "We are searching" in page.text
    number = page.text.split('id="family-report-number">')[1].split("<")[0]
    r = c.post(f"/family/reports/{number}/relatives", data={"csrf_token": c.csrf, "relation": "mother",
                                                            "consent": "true", "scope": "this_report"})
    assert r.status_code == 200 and "consent given" in r.text
    assert "正在寻找中" in c.get(f"/family/reports/{number}?lang=zh").text
    assert c.get("/family/reports/R-1").status_code == 404


def test_family_status_follows_the_review(client, as_user, ids):
    h = bearer(client, "inv")
    cid = ids["candidate"]
    for to, kw in [("under_review", {}), ("confirmation_requested", {}), ("confirmed", {"outcome": "reunited"})]:
        r = client.post(f"/api/v1/candidates/{cid}/review", json={"to": to, "reason": "checked", **kw}, headers=h)
        assert r.status_code == 200, r.text
    f = bearer(client, "fam")
    status = client.get("/api/v1/my/reports/R-1", headers=f).json()["status"]
    assert status.startswith("Your child has been found")


def test_investigator_publishes_and_public_searches(as_user, client, ids):
    c = as_user("inv")
    r = c.post("/children/KM-003/appeal", data={"csrf_token": c.csrf, "hotline": "110"}, follow_redirects=False)
    assert r.status_code == 400  # no photo and no reason why
    r = c.post("/children/KM-003/appeal", data={"csrf_token": c.csrf, "hotline": "110",
                                                "no_photo_reason": "not photographed yet"}, follow_redirects=False)
    assert r.status_code == 303
    assert len(client.get("/api/v1/appeals").json()["items"]) == 2
    # KM-002 was found in Kunming; KM-003's "Dali" is ambiguous (大理, Yunnan / 大荔, Shaanxi), so its
    # place is not published and a search by place does not find it (reunite.cases.appeals)
    assert len(client.get("/api/v1/appeals", params={"place": "Kunming"}).json()["items"]) == 1
    assert len(client.get("/api/v1/appeals", params={"min_age": 100}).json()["items"]) == 0
    assert len(client.get("/api/v1/appeals", params={"min_age": 5, "max_age": 30}).json()["items"]) == 2
    page = client.get("/appeals", params={"place": "昆明"})
    assert page.text.count('class="card appeal"') == 1
    assert c.post("/children/KM-003/appeal", data={"csrf_token": c.csrf, "hotline": "<b>"}).status_code == 400


def test_imports_run_in_the_background_with_problems_row_by_row(as_user, client):
    lab = as_user("lab")
    good = "sample,marker,allele1,allele2\nS-X1,D3S1358,15,16\nS-X1,vWA,17,18\n"
    r = lab.post("/imports", data={"csrf_token": lab.csrf, "kind": "profiles", "lab": "Kunming lab"},
                 files={"file": ("p.csv", good.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    job = r.headers["location"].rsplit("/", 1)[1]
    for _ in range(100):
        st = lab.get(f"/api/v1/imports/{job}").json()
        if st["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert st["status"] == "done", st
    bad = "sample,marker,allele1,allele2\nS-X2,NOPE,15,16\nS-X2,vWA,abc,18\n"
    r = lab.post("/api/v1/imports", data={"kind": "profiles", "lab": "L"}, files={"file": ("bad.csv", bad.encode())},
                 headers={"X-CSRF-Token": lab.csrf})
    assert r.status_code == 202
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "failed" and len(st["problems"]) >= 2 and all(p["line"] for p in st["problems"])
    page = lab.get(f"/imports/{st['id']}").text
    assert 'id="import-problems"' in page and "line" in page
    # kinds follow roles: a lab analyst may not import found children
    r = lab.post("/api/v1/imports", data={"kind": "found"}, files={"file": ("f.csv", b"case_number\nX\n")},
                 headers={"X-CSRF-Token": lab.csrf})
    assert r.status_code == 403
    assert as_user("inv").get(f"/imports/{job}").status_code == 200
    assert client.get(f"/api/v1/imports/{job}", headers=bearer(client, "cw")).status_code == 403


def test_cli_users_and_serve(tmp_path, monkeypatch, capsys):
    import io
    import sys

    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long password\n"))
    assert main(["users", "add", "Chen", "--role", "investigator", "--unit", "Kunming PSB", "--password-stdin"]) == 0
    assert "can log in" in capsys.readouterr().out
    assert main(["users", "disable", "Chen"]) == 0
    assert main(["users", "list"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["serve", "--help"]) == 0
    assert "--port" in capsys.readouterr().out
    from reunite.cases import db as store

    store.dispose_engines()


def test_family_withdraws_consent_for_a_relative(as_user, client, world, ids):
    from sqlalchemy import select

    from reunite.cases import db as store
    from reunite.cases.models import Candidate, DnaSample

    fam = as_user("fam")
    other = as_user("fam2")
    assert other.post("/family/reports/R-1/relatives/M/withdraw", data={"csrf_token": other.csrf}).status_code == 404
    assert fam.post("/family/reports/R-1/relatives/M/withdraw", data={}).status_code in (400, 403)
    inv = as_user("inv")
    assert inv.post("/family/reports/R-1/relatives/M/withdraw", data={"csrf_token": inv.csrf}).status_code == 403
    r = fam.post("/family/reports/R-1/relatives/M/withdraw", data={"csrf_token": fam.csrf, "reason": "changed mind",
                                                                   "confirm": "yes"}, follow_redirects=False)
    assert r.status_code == 303
    assert "no longer compared" in fam.get(r.headers["location"]).text
    url = world[0]
    with store.open_session(url) as s:
        assert s.scalars(select(DnaSample).where(DnaSample.sample == "S-M1")).one().erased
        cand = s.get(Candidate, ids["candidate"])
        assert cand.dna_withdrawn and cand.dna_lr is None
