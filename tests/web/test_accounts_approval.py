"""A staff account an admin creates waits for a second admin's approval; every step is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.accounts import register_user
from reunite.cases.models import AuditEntry

from .conftest import PASSWORD, login

NEW = "another long password"


@pytest.fixture
def second_admin(world):
    with store.open_session(world[0]) as s:
        register_user(s, "adm2", "admin", password=PASSWORD, by="operator")


def _token(client, name):
    return client.post("/api/v1/token", json={"username": name, "password": NEW}).status_code


@pytest.mark.parametrize("role", ["investigator", "lab_analyst", "caseworker", "admin"])
def test_staff_account_waits_for_a_second_admin(as_user, client, world, second_admin, role):
    adm = as_user("adm")
    r = adm.post("/admin/users", data={"csrf_token": adm.csrf, "name": "new.staff", "role": role,
                                       "password": NEW, "unit": ""}, follow_redirects=False)
    assert r.status_code == 303
    assert _token(client, "new.staff") == 401
    assert "waits for approval" in adm.get("/admin/users").text
    assert "等待批准（申请人：adm）" in adm.get("/admin/users?lang=zh").text
    adm.get("/admin/users?lang=en")
    # the admin who asked cannot approve
    assert adm.post("/admin/users/new.staff/approve", data={"csrf_token": adm.csrf}).status_code == 400
    assert _token(client, "new.staff") == 401
    adm2 = as_user("adm2")
    r = adm2.post("/admin/users/new.staff/approve", data={"csrf_token": adm2.csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert _token(client, "new.staff") == 200
    with store.open_session(world[0]) as s:
        acts = [(e.actor, e.action) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == "new.staff").order_by(AuditEntry.id))]
    assert ("adm", "user.request") in acts and ("adm2", "user.approve") in acts


def test_public_and_family_accounts_need_no_approval(as_user, client):
    adm = as_user("adm")
    adm.post("/admin/users", data={"csrf_token": adm.csrf, "name": "new.fam", "role": "family",
                                   "password": NEW, "unit": ""})
    assert _token(client, "new.fam") == 200


def test_admin_cannot_reset_an_existing_account_by_creating_it(as_user, client):
    adm = as_user("adm")
    r = adm.post("/admin/users", data={"csrf_token": adm.csrf, "name": "inv", "role": "investigator",
                                       "password": NEW, "unit": ""})
    assert r.status_code == 400
    assert _token(client, "inv") == 401
    assert login(as_user(None), "inv").status_code == 303


def test_cli_registers_directly_and_is_audited(world, monkeypatch):
    import io
    import sys

    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", world[0])
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW + "\n"))
    assert main(["users", "add", "op.inv", "--role", "investigator", "--password-stdin", "--user", "operator"]) == 0
    with store.open_session(world[0]) as s:
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == "op.inv")).all()


@pytest.mark.parametrize("password", [" " * 10, "1234567890", "password12", "li.family.2014"])
def test_web_registration_refuses_a_trivial_password(client, password):
    from .conftest import csrf_of

    token = csrf_of(client, "/register")
    r = client.post("/register", data={"username": "li.family.2014", "password": password, "password2": password,
                                       "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 400 and "too easy to guess" in r.text
