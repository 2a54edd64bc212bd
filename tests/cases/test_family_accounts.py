"""Family accounts with a mobile number: the number's format, the code sent to the phone, login by
phone, password reset by a code, a Chinese display name; nothing of it in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from reunite.cases import accounts
from reunite.cases.accounts import (
    CODE_ATTEMPTS,
    CODE_EXPIRED,
    CODE_LOCKED,
    CODE_OK,
    CODE_WRONG,
    CODES_PER_HOUR,
    authenticate,
    check_code,
    find_by_phone,
    issue_code,
    normalise_phone,
    register_family,
    reset_password,
    verify_phone,
)
from reunite.cases.models import AuditEntry, PhoneCode, User
from reunite.errors import InputError

PASSWORD = "river bamboo lantern"
PHONE = "138 0013 8000"


@pytest.mark.parametrize("text, number", [("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
                                          ("+86 139-1234-5678", "13912345678"), ("008619912345678", "19912345678")])
def test_chinese_mobile_numbers_are_normalised(text, number):
    assert normalise_phone(text) == number


@pytest.mark.parametrize("text", ["abc", "", "12800138000", "1380013800", "138001380001", "+1 415 555 0100",
                                  "10086", "0871 6316 0110", "１３８００１３８０００"])
def test_other_numbers_are_refused_without_repeating_them(text):
    with pytest.raises(InputError) as err:
        normalise_phone(text)
    assert err.value.problems[0].field == "phone"
    assert not text or text not in str(err.value)


def test_register_verify_and_log_in_by_phone_with_a_chinese_name(session):
    user = register_family(session, PHONE, PASSWORD, display_name=" 陈秀英 ")
    assert (user.role, user.phone, user.display_name, user.phone_verified_at) == ("family", "13800138000", "陈秀英",
                                                                                  None)
    assert user.name.isascii() and user.name.startswith("family-")
    # not verified: cannot log in yet, neither by phone nor by user name
    assert authenticate(session, "13800138000", PASSWORD) is None
    assert authenticate(session, user.name, PASSWORD) is None
    code = issue_code(session, user, "register")
    assert len(code) == 6 and code.isdigit()
    assert session.scalars(select(PhoneCode)).one().code_hash != code   # only a hash is stored
    wrong = "000000" if code != "000000" else "111111"
    assert verify_phone(session, user, wrong) == CODE_WRONG
    assert verify_phone(session, user, code[:3] + " " + code[3:]) == CODE_OK
    assert user.phone_verified_at is not None
    assert authenticate(session, "138-0013-8000", PASSWORD).id == user.id
    assert authenticate(session, user.name, PASSWORD).id == user.id
    assert verify_phone(session, user, code) == CODE_EXPIRED   # used once
    audit = " ".join(f"{e.actor} {e.entity_id} {e.details}" for e in session.scalars(select(AuditEntry)))
    for secret in ("13800138000", "陈秀英", code):
        assert secret not in audit
    assert "user.register" in {e.action for e in session.scalars(select(AuditEntry))}


def test_every_problem_is_reported_together(session):
    with pytest.raises(InputError) as err:
        register_family(session, "abc", "1234567890", display_name="x" * 51, name="no spaces allowed")
    assert {p.field for p in err.value.problems} == {"phone", "password", "display_name", "name"}
    assert session.scalars(select(User)).first() is None
    with pytest.raises(InputError, match="phone number"):
        register_family(session, PHONE, "13800138000 river bamboo")


def test_a_verified_number_is_refused_an_unverified_one_is_taken_over(session):
    first = register_family(session, PHONE, PASSWORD)
    again = register_family(session, "13800138000", "another long phrase here", display_name="李")
    assert again.id == first.id and again.display_name == "李"   # never verified: the new registration wins
    verify_phone(session, again, issue_code(session, again, "register"))
    with pytest.raises(InputError) as err:
        register_family(session, PHONE, PASSWORD)
    assert err.value.problems[0].message == accounts.PHONE_TAKEN
    assert find_by_phone(session, "+86 13800138000").id == first.id
    assert find_by_phone(session, "abc") is None


def test_a_chosen_user_name_is_kept_and_must_be_free(session):
    user = register_family(session, PHONE, PASSWORD, name="chen.family")
    assert user.name == "chen.family"
    with pytest.raises(InputError) as err:
        register_family(session, "13900000000", PASSWORD, name="chen.family")
    assert err.value.problems[0].field == "name"


def test_codes_expire_lock_after_wrong_tries_and_are_limited_per_hour(session):
    user = register_family(session, PHONE, PASSWORD)
    code = issue_code(session, user, "register")
    for _ in range(CODE_ATTEMPTS - 1):
        assert check_code(session, user, "register", "abcdef") == CODE_WRONG
    assert check_code(session, user, "register", "abcdef") == CODE_LOCKED
    assert check_code(session, user, "register", code) == CODE_LOCKED   # even the right one now
    code = issue_code(session, user, "register")
    row = session.scalars(select(PhoneCode).order_by(PhoneCode.id.desc())).first()
    row.expires_at = row.created_at - dt.timedelta(seconds=1)
    session.commit()
    assert check_code(session, user, "register", code) == CODE_EXPIRED
    # a new code voids the previous one
    first = issue_code(session, user, "register")
    second = issue_code(session, user, "register")
    if first != second:
        assert check_code(session, user, "register", first) == CODE_WRONG
    assert check_code(session, user, "register", second) == CODE_OK
    with pytest.raises(InputError) as err:
        for _ in range(CODES_PER_HOUR + 1):
            issue_code(session, user, "register")
    assert err.value.problems[0].message == accounts.TOO_MANY_CODES


def test_password_reset_by_a_code_ends_the_sessions(session):
    user = register_family(session, PHONE, PASSWORD)
    verify_phone(session, user, issue_code(session, user, "register"))
    epoch = user.session_epoch or 0
    with pytest.raises(InputError):
        reset_password(session, user, "123456", "password12")   # trivial: refused before the code
    code = issue_code(session, user, "reset")
    assert check_code(session, user, "register", code) == CODE_EXPIRED   # a reset code is for reset only
    assert reset_password(session, user, "999999" if code != "999999" else "888888", "a new long phrase") \
        == CODE_WRONG
    assert authenticate(session, PHONE, "a new long phrase") is None
    assert reset_password(session, user, code, "a new long phrase") == CODE_OK
    assert authenticate(session, PHONE, "a new long phrase").id == user.id
    assert authenticate(session, PHONE, PASSWORD) is None
    assert user.session_epoch == epoch + 1
    assert "user.password_reset" in {e.action for e in session.scalars(select(AuditEntry))}


def test_a_code_is_stored_keyed_not_as_a_plain_hash(session, monkeypatch):
    """A plain SHA-256 of six digits is reversed by trying a million codes; the stored value is an HMAC under
    a key kept outside the database, so the database alone does not give a code away."""
    import hashlib
    import hmac

    monkeypatch.setenv("REUNITE_SECRET_KEY", "the server's secret")
    user = register_family(session, PHONE, PASSWORD)
    code = issue_code(session, user, "register")
    stored = session.scalars(select(PhoneCode)).one().code_hash
    message = f"{user.id}:register:{code}".encode()
    assert stored != hashlib.sha256(message).hexdigest()
    # no code's plain hash matches what is stored: the brute force on the database alone finds nothing
    assert all(hashlib.sha256(f"{user.id}:register:{c:06d}".encode()).hexdigest() != stored
               for c in range(int(code) - 500, int(code) + 500) if c >= 0)
    key = hashlib.sha256(b"reunite-phone-code|the server's secret").digest()
    assert stored == hmac.new(key, message, hashlib.sha256).hexdigest()
    # another key (a copy of the database on another machine) cannot check the code
    monkeypatch.setenv("REUNITE_SECRET_KEY", "another secret")
    assert verify_phone(session, user, code) == CODE_WRONG
    monkeypatch.setenv("REUNITE_SECRET_KEY", "the server's secret")
    assert verify_phone(session, user, code) == CODE_OK


def test_without_the_secret_key_the_audit_key_keys_the_codes(session, monkeypatch):
    monkeypatch.delenv("REUNITE_SECRET_KEY", raising=False)
    user = register_family(session, PHONE, PASSWORD)
    code = issue_code(session, user, "register")
    stored = session.scalars(select(PhoneCode)).one().code_hash
    import hashlib

    assert stored != hashlib.sha256(f"{user.id}:register:{code}".encode()).hexdigest()
    assert verify_phone(session, user, code) == CODE_OK


def test_a_registered_number_gets_a_notice_and_no_code(session):
    from reunite.notify import ConsoleChannel

    user = register_family(session, PHONE, PASSWORD)
    verify_phone(session, user, issue_code(session, user, "register"))
    sms = ConsoleChannel("sms", stream=None)
    assert accounts.send_taken_notice(session, "+86 13800138000", sms)
    assert [s.recipient for s in sms.sent] == ["+8613800138000"]
    import re

    assert not re.search(r"\d{6}", sms.sent[0].message.body_zh + sms.sent[0].message.body_en)
    assert not accounts.send_taken_notice(session, "13900139000", sms) and len(sms.sent) == 1
    audit = " ".join(f"{e.entity_id} {e.details}" for e in session.scalars(select(AuditEntry)))
    assert "user.register_refused" in {e.action for e in session.scalars(select(AuditEntry))}
    assert "13800138000" not in audit
