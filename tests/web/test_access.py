"""The access table: every route has a rule, and every route answers every role as the rule says."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reunite.web.access import ANONYMOUS, EVERYONE, RULES

from .conftest import ROLE_USER, bearer

pytestmark = pytest.mark.both_backends  # and PostgreSQL (tests/web/conftest.py)

ROLES = sorted(EVERYONE)


def _routes(app):
    for r in app.routes:
        for m in sorted(getattr(r, "methods", None) or ()):
            if m != "HEAD":
                yield m, r.path


def test_every_route_has_a_rule(app):
    missing = [(m, p) for m, p in _routes(app) if (m, p) not in RULES]
    assert not missing, f"routes without an access rule in reunite.web.access.RULES: {missing}"
    stale = set(RULES) - set(list(_routes(app)))
    assert not stale, f"rules for routes that do not exist: {stale}"


def _fill(path: str, ids: dict) -> str:
    values = {"{case_number}": "KM-001", "{report_number}": "R-1", "{candidate_id}": str(ids["candidate"]),
              "{sample}": "S-C1", "{job_id}": "0" * 32, "{appeal_id}": str(ids["appeal"]),
              "{filename}": f"candidate-{ids['candidate']}.html", "{path:path}": ids["appeal_photo"],
              "{member_id}": "M", "{name}": "cw2", "{code}": "KM-RESCUE", "{token_id}": "1",
              "{token}": "not-a-signed-token", "{alert_id}": "1", "{kind}": "found"}
    for k, v in values.items():
        path = path.replace(k, v)
    assert "{" not in path, path
    return path


@pytest.fixture
def with_cohort(world):
    """The seeded store with a cohort of two found children (so the cohort routes have one to show)."""
    from reunite.cases import db as store
    from reunite.cases.cohorts import add_cohort

    with store.open_session(world[0]) as s:
        add_cohort(s, "KM-RESCUE", user="inv", children=["KM-001", "KM-002"])


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(app, as_user, ids, role, with_cohort):
    client = as_user(ROLE_USER.get(role))
    failures = []
    for method, path in _routes(app):
        if (method, path) == ("POST", "/logout"):
            continue  # checked last
        rule = RULES[(method, path)]
        url = _fill(path, ids)
        if method == "GET":
            r = client.get(url, follow_redirects=False)
        else:
            r = client.post(url, json={}, headers={"X-CSRF-Token": client.csrf}, follow_redirects=False)
        allowed = role in rule.roles
        if r.status_code >= 500:
            failures.append(f"{method} {path}: {r.status_code}")
        elif allowed and (r.status_code in (401, 403) or r.headers.get("location", "").startswith("/login")):
            failures.append(f"{method} {path}: {role} allowed but got {r.status_code}")
        elif not allowed:
            if role == ANONYMOUS:
                ok = r.status_code == 401 if path.startswith("/api/") else (
                    r.status_code == 303 and r.headers["location"].startswith("/login"))
            else:
                ok = r.status_code == 403
            if not ok:
                failures.append(f"{method} {path}: {role} not allowed but got {r.status_code}")
            if path.startswith("/api/") and ok:
                assert set(r.json()) == {"error"}, r.text
    r = client.post("/logout", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert not failures, "\n".join(failures)


def test_bearer_tokens_get_the_same_answers(client, ids):
    for name in ("inv", "lab", "cw", "fam", "pub"):
        h = bearer(client, name)
        role = client.get("/api/v1/me", headers=h).json()["role"]
        for method, path in [("GET", "/api/v1/candidates"), ("GET", "/api/v1/samples/{sample}"),
                             ("GET", "/api/v1/tips"), ("GET", "/api/v1/my/reports")]:
            r = client.get(_fill(path, ids), headers=h)
            assert (r.status_code == 200) == (role in RULES[(method, path)].roles), (name, path, r.status_code)


def test_family_sees_only_its_own_reports_and_never_genotypes(client):
    h = bearer(client, "fam")
    mine = client.get("/api/v1/my/reports", headers=h).json()["items"]
    assert [r["report_number"] for r in mine] == ["R-1"]
    one = client.get("/api/v1/my/reports/R-1", headers=h)
    assert one.status_code == 200
    text = one.text
    for forbidden in ("genotypes", "dna_log10_lr", "posterior", "S-F1", "9.3", "Li Wei"):
        assert forbidden not in text
    assert client.get("/api/v1/my/reports/R-2", headers=h).status_code == 404
    assert client.get("/api/v1/reports/R-1", headers=h).status_code == 403
    assert client.get("/api/v1/samples/S-F1", headers=h).status_code == 403


def test_family_pages_show_only_own_report(as_user):
    c = as_user("fam2")
    assert c.get("/family/reports/R-1").status_code == 404
    page = c.get("/family").text
    assert "R-2" in page and "R-1" not in page


def test_caseworker_sees_only_children_in_care(client):
    h = bearer(client, "cw")
    items = client.get("/api/v1/found-children", headers=h).json()["items"]
    assert {c["case_number"] for c in items} == {"KM-001", "KM-002"}
    assert client.get("/api/v1/found-children/KM-003", headers=h).status_code == 404
    h2 = bearer(client, "cw2")
    assert client.get("/api/v1/found-children/KM-001", headers=h2).status_code == 404
    assert {c["case_number"] for c in client.get("/api/v1/found-children", headers=h2).json()["items"]} == {"KM-003"}
    assert "genotypes" not in client.get("/api/v1/found-children/KM-001", headers=h).text
    assert client.get("/api/v1/samples/S-C1", headers=h).status_code == 403
    assert client.get("/api/v1/candidates", headers=h).status_code == 403


def test_every_genotype_read_is_audited(client, world, ids):
    from reunite.cases import db as store
    from reunite.cases.models import AuditEntry

    url = world[0]

    def reads():
        with store.open_session(url) as s:
            return s.scalars(select(AuditEntry).where(AuditEntry.action == "genotypes.read")).all()

    before = len(reads())
    h = bearer(client, "lab")
    r = client.get("/api/v1/samples/S-C1", headers=h)
    assert r.status_code == 200 and r.json()["genotypes"]["TH01"] == ["9.3", "9.3"]
    r = client.get(f"/files/reports/candidate-{ids['candidate']}.html", headers=h)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    after = reads()
    assert len(after) == before + 2 and {e.actor for e in after[-2:]} == {"lab"}


def test_public_sees_published_appeals_only(client, ids):
    items = client.get("/api/v1/appeals").json()["items"]
    assert [a["id"] for a in items] == [ids["appeal"]]
    body = client.get("/api/v1/appeals").text
    for forbidden in ("KM-002", "Kunming nursery", "S-C2", "case_number", "care_location"):
        assert forbidden not in body
    assert client.get(f"/media/{ids['appeal_photo']}").status_code == 200
    assert client.get(f"/media/{ids['private_photo']}").status_code == 404
    assert client.get(f"/media/{ids['report_photo']}").status_code == 404
    h = bearer(client, "inv")
    assert client.post(f"/api/v1/appeals/{ids['appeal']}/unpublish", headers=h).status_code == 200
    assert client.get("/api/v1/appeals").json()["items"] == []
    assert client.get(f"/appeals/{ids['appeal']}").status_code == 404
    assert client.get(f"/media/{ids['appeal_photo']}").status_code == 404


def test_disabled_user_loses_access_at_once(client, as_user, world):
    from reunite.cases import db as store
    from reunite.cases.accounts import disable_user

    c = as_user("inv")
    h = bearer(client, "inv")
    assert c.get("/dashboard").status_code == 200
    with store.open_session(world[0]) as s:
        disable_user(s, "inv", by="admin")
    assert c.get("/dashboard", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=h).status_code == 401
    assert client.post("/api/v1/token", json={"username": "inv", "password": "correct horse battery"}).status_code \
        == 401


def test_admin_manages_accounts_and_sees_no_cases(as_user, client):
    adm = as_user("adm")
    page = adm.get("/admin/users")
    assert page.status_code == 200 and "cw2" in page.text
    r = adm.post("/admin/users", data={"csrf_token": adm.csrf, "name": "new.inv", "role": "investigator",
                                       "password": "another long password", "unit": ""}, follow_redirects=False)
    assert r.status_code == 303
    assert "new.inv" in adm.get("/admin/users").text
    # a staff account waits for a second admin (tests/web/test_accounts_approval.py)
    assert client.post("/api/v1/token", json={"username": "new.inv", "password": "another long password"}
                       ).status_code == 401
    from reunite.cases import db as store
    from reunite.cases.accounts import approve_user, register_user

    with store.open_session(client.app.state.settings.database_url) as s:
        approve_user(s, "new.inv", by=register_user(s, "adm2", "admin", by="operator"))
    assert bearer(client, "new.inv", "another long password")
    r = adm.post("/admin/users/new.inv/disable", data={"csrf_token": adm.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.post("/api/v1/token", json={"username": "new.inv", "password": "another long password"}
                       ).status_code in (400, 401)
    assert adm.post("/admin/users/adm/disable", data={"csrf_token": adm.csrf}).status_code == 400
    for url in ("/dashboard", "/api/v1/candidates", "/api/v1/samples/S-C1", "/tips"):
        assert adm.get(url, follow_redirects=False).status_code == 403, url
