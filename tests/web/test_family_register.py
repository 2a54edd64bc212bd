"""Families register with a mobile number and a code texted through reunite.notify (its console backend
here), log in with the number, reset a forgotten password by a code, and show a Chinese name."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reunite.cases import db as store
from reunite.cases.models import AuditEntry, User
from reunite.notify import ConsoleChannel

from .conftest import csrf_of

PASSWORD = "river bamboo lantern"


@pytest.fixture
def sms(app):
    """The app's text messages go to a console channel that records them (no real SMS)."""
    app.state.sms = ConsoleChannel("sms", stream=None)
    return app.state.sms


@pytest.fixture
def web(app, sms):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def last_code(sms, phone="+8613800138000") -> str:
    sent = [s for s in sms.sent if s.recipient == phone]
    assert sent, "no text message was sent"
    return re.search(r"\b(\d{6})\b", sent[-1].message.body_zh).group(1)


def register(c: TestClient, **fields):
    data = {"phone": "138 0013 8000", "display_name": "陈秀英", "password": PASSWORD, "password2": PASSWORD,
            "csrf_token": csrf_of(c, "/register"), **fields}
    return c.post("/register", data=data, follow_redirects=False)


def test_register_with_a_phone_and_the_texted_code(web, sms, world):
    r = register(web)
    assert r.status_code == 303 and r.headers["location"] == "/register/verify"
    page = web.get("/register/verify?lang=zh").text
    assert "138****8000" in page and "13800138000" not in page
    msg = sms.sent[-1].message
    assert sms.sent[-1].recipient == "+8613800138000" and msg.body_zh.startswith("【团圆】")
    code = last_code(sms)
    # not logged in before the code: the family pages send to the login page
    assert web.get("/family", follow_redirects=False).status_code == 303
    wrong = "000000" if code != "000000" else "111111"
    r = web.post("/register/verify", data={"code": wrong, "csrf_token": csrf_of(web, "/register/verify")})
    assert r.status_code == 400
    assert 'aria-invalid="true"' in r.text and 'aria-describedby="verify-code-error"' in r.text
    r = web.post("/register/verify", data={"code": code, "csrf_token": csrf_of(web, "/register/verify")},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family?welcome=1"
    home = web.get("/family?welcome=1&lang=zh").text
    assert "陈秀英" in home and "账号已开通" in home    # the Chinese name in the header
    with store.open_session(world[0]) as s:
        u = s.scalars(select(User).where(User.phone == "13800138000")).one()
        assert u.name.isascii() and u.phone_verified_at is not None and u.display_name == "陈秀英"
        audit = " ".join(f"{e.entity_id} {e.details}" for e in s.scalars(select(AuditEntry)))
        assert "13800138000" not in audit and "陈秀英" not in audit and code not in audit


def test_login_by_phone_number(web, sms, as_user):
    register(web)
    web.post("/register/verify", data={"code": last_code(sms), "csrf_token": csrf_of(web, "/register/verify")})
    fresh = as_user(None)
    r = fresh.post("/login", data={"username": "+86 138-0013-8000", "password": PASSWORD, "csrf_token": fresh.csrf},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family"


@pytest.mark.parametrize("phone", ["abc", "12345", "2380013800", "+1 415 555 0100"])
def test_a_phone_like_abc_is_refused_beside_the_field_and_the_rest_is_kept(web, sms, phone):
    r = register(web, phone=phone, display_name="李 明")
    assert r.status_code == 400 and not sms.sent
    assert 'id="register-phone-error"' in r.text and "11 digits" in r.text
    # the wrong field: marked, described by its error, focused; the other values kept
    field = re.search(r'<input id="register-phone"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in field and "register-phone-error" in field and "autofocus" in field
    assert 'value="李 明"' in r.text


def test_every_problem_beside_its_field_first_focused(web, sms):
    r = register(web, phone="abc", password="1234567890", password2="1234567890", username="bad name!")
    for f in ("phone", "password", "username"):
        assert f'id="register-{f}-error"' in r.text
    assert r.text.count("autofocus") == 1 and re.search(r'id="register-phone"[^>]*autofocus', r.text)
    r = register(web, password2="another long phrase")
    assert r.status_code == 400 and 'id="register-password2-error"' in r.text
    assert re.search(r'id="register-password2"[^>]*autofocus', r.text)


def _answers(c: TestClient, **fields) -> list:
    """What someone registering sees: the register answer, the verify page, two wrong codes and a resend."""
    r = register(c, **fields)
    seen = [r.status_code, r.headers.get("location")]
    page = c.get("/register/verify?lang=zh").text
    seen.append(re.sub(r'name="csrf_token" value="[^"]*"', "", page))
    for _ in range(2):
        r = c.post("/register/verify", data={"code": "999999", "csrf_token": csrf_of(c, "/register/verify")})
        seen += [r.status_code, re.sub(r'name="csrf_token" value="[^"]*"', "", r.text)]
    r = c.post("/register/resend", data={"csrf_token": csrf_of(c, "/register/verify")}, follow_redirects=False)
    return [*seen, r.status_code, r.headers.get("location")]


def test_a_registered_number_is_not_told_apart_from_a_new_one(app, web, sms, world):
    """Registering a number that has an account looks exactly like registering a new one; the owner gets a
    notice (no code, no second account)."""
    register(web)
    web.post("/register/verify", data={"code": last_code(sms), "csrf_token": csrf_of(web, "/register/verify")})
    web.post("/logout", data={"csrf_token": csrf_of(web, "/family")})
    before = len(sms.sent)
    with TestClient(app, raise_server_exceptions=False) as a, TestClient(app, raise_server_exceptions=False) as b:
        taken = _answers(a, phone="13800138000", display_name="", username="")
        new = _answers(b, phone="13900139000", display_name="", username="")
    assert taken[0] == 303 and taken[1] == "/register/verify"
    assert [str(x).replace("139****9000", "138****8000") for x in new] == [str(x) for x in taken]
    owner = [s for s in sms.sent[before:] if s.recipient == "+8613800138000"]
    assert len(owner) == 1 and not re.search(r"\b\d{6}\b", owner[0].message.body_zh)
    assert "已经注册" in owner[0].message.body_zh
    with store.open_session(world[0]) as s:
        assert len(s.scalars(select(User).where(User.phone == "13800138000")).all()) == 1
    # a wrong field is still named (and nothing about the number): the same answer as for a new number
    with TestClient(app, raise_server_exceptions=False) as a:
        r = register(a, phone="13800138000", password2="another long phrase")
    assert r.status_code == 400 and 'id="register-password2-error"' in r.text and "already" not in r.text
    assert 'id="register-phone-error"' not in r.text


def test_resend_voids_the_first_code(web, sms):
    register(web)
    first = last_code(sms)
    web.post("/register/resend", data={"csrf_token": csrf_of(web, "/register/verify")})
    second = last_code(sms)
    assert len(sms.sent) == 2
    if first != second:
        r = web.post("/register/verify", data={"code": first, "csrf_token": csrf_of(web, "/register/verify")})
        assert r.status_code == 400
    r = web.post("/register/verify", data={"code": second, "csrf_token": csrf_of(web, "/register/verify")},
                 follow_redirects=False)
    assert r.status_code == 303


def test_password_reset_by_a_code_to_the_verified_phone(web, sms, as_user):
    register(web)
    web.post("/register/verify", data={"code": last_code(sms), "csrf_token": csrf_of(web, "/register/verify")})
    other = as_user(None)
    # an unregistered number gets the same answer, and no message
    r = other.post("/password/reset", data={"phone": "13912345678", "csrf_token": other.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password/reset/verify"
    assert len(sms.sent) == 1
    r = other.post("/password/reset", data={"phone": "abc", "csrf_token": other.csrf})
    assert r.status_code == 400 and 'id="reset-phone-error"' in r.text
    r = other.post("/password/reset", data={"phone": "13800138000", "csrf_token": other.csrf}, follow_redirects=False)
    assert r.status_code == 303 and len(sms.sent) == 2 and "重设密码" in sms.sent[-1].message.body_zh
    code = last_code(sms)
    token = csrf_of(other, "/password/reset/verify")
    r = other.post("/password/reset/verify", data={"code": code, "password": "password12", "password2": "password12",
                                                   "csrf_token": token})
    assert r.status_code == 400 and 'id="reset-password-error"' in r.text
    r = other.post("/password/reset/verify", data={"code": code, "password": "a fresh long phrase",
                                                   "password2": "a fresh long phrase", "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/family?reset=1"
    # the registering browser's session ended; the new password works, the old one not
    assert web.get("/family", follow_redirects=False).status_code == 303
    fresh = as_user(None)
    ok = fresh.post("/login", data={"username": "13800138000", "password": "a fresh long phrase",
                                    "csrf_token": fresh.csrf}, follow_redirects=False)
    assert ok.headers["location"] == "/family"
    fresh = as_user(None)
    bad = fresh.post("/login", data={"username": "13800138000", "password": PASSWORD, "csrf_token": fresh.csrf})
    assert bad.status_code == 400


def test_without_a_configured_channel_registration_says_so(app, world, monkeypatch):
    monkeypatch.delenv("REUNITE_NOTIFY_BACKEND", raising=False)
    monkeypatch.delenv("REUNITE_SMS_URL", raising=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = register(c)
    assert r.status_code == 503


@pytest.mark.parametrize("username", ["13912345679", "li-139-1234-5679", "id530102198001011234"])
def test_a_user_name_that_holds_a_phone_or_id_number_is_refused(web, sms, world, username):
    """The user name is what the audit log and the server's log record for every act of the account: a
    family that chose its phone number as its name had it written into every audit entry."""
    r = register(web, username=username)
    assert r.status_code == 400 and not sms.sent
    assert 'id="register-username-error"' in r.text and "phone or ID number" in r.text
    with store.open_session(world[0]) as s:
        assert s.scalars(select(User).where(User.name == username)).first() is None
        assert not [e for e in s.scalars(select(AuditEntry)) if username in (e.actor, e.entity_id)]


def test_an_admin_cannot_name_an_account_with_a_phone_number(as_user, world):
    admin = as_user("adm")
    r = admin.post("/admin/users", data={"name": "13912345679", "role": "investigator",
                                         "password": "violet tractor museum 88", "csrf_token": admin.csrf},
                   headers={"Accept": "application/json"})
    assert r.status_code == 400 and "phone or ID number" in r.text
