"""Trivial passwords are refused (a maintained strength estimator, zxcvbn), in the library, the web
registration and the ``reunite users`` CLI."""

from __future__ import annotations

import io
import sys

import pytest

from reunite.cases.accounts import check_password, hash_password
from reunite.errors import InputError

TRIVIAL = [" " * 10, "1234567890", "password12", "qwertyuiop", "aaaaaaaaaaaa", "short"]


@pytest.mark.parametrize("password", TRIVIAL)
def test_trivial_passwords_are_refused(password):
    with pytest.raises(InputError) as err:
        hash_password(password)
    assert err.value.problems[0].field == "password"
    assert password.strip() == "" or password not in str(err.value)


def test_the_user_name_is_refused():
    with pytest.raises(InputError, match="user name"):
        check_password("zhangwei.kunming", "zhangwei.kunming")
    with pytest.raises(InputError):
        check_password("Zhangwei.Kunming!", "zhangwei.kunming")


def test_a_short_name_inside_a_long_password_is_fine():
    check_password("a long family password", "fam")
    check_password("tea with li at the river", "li")


@pytest.mark.parametrize("password", ["correct horse battery", "a long readme password", "红色 河流 2014 雨季"])
def test_passphrases_are_accepted(password):
    check_password(password, "inv")


def test_cli_refuses_a_trivial_password(tmp_path, monkeypatch, capsys):
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setattr(sys, "stdin", io.StringIO("1234567890\n"))
    assert main(["users", "add", "chen", "--role", "investigator", "--password-stdin"]) != 0
    assert "too easy to guess" in capsys.readouterr().err



def test_tokens_sessions_and_approval_on_every_backend(session):
    """The account records behind the web's sessions, tokens and approvals, on SQLite and PostgreSQL."""
    from argon2 import PasswordHasher

    from reunite.cases import accounts

    accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    adm = accounts.register_user(session, "adm", "admin", password="correct horse battery", by="operator")
    adm2 = accounts.register_user(session, "adm2", "admin", password="correct horse battery", by="operator")
    new = accounts.request_account(session, "new.inv", "investigator", by=adm, password="another long password")
    assert new.pending_approval_by == "adm"
    assert accounts.authenticate(session, "new.inv", "another long password") is None
    with pytest.raises(InputError):
        accounts.approve_user(session, "new.inv", by=adm)
    accounts.approve_user(session, "new.inv", by=adm2)
    assert accounts.authenticate(session, "new.inv", "another long password") is not None
    tok = accounts.record_token(session, new, "tid-1", 3600)
    assert accounts.token_is_live(session, "tid-1", new.id)
    assert [t.id for t in accounts.list_tokens(session, new)] == [tok.id]
    fam = accounts.register_user(session, "fam", "family", password="a long family password", by="operator")
    with pytest.raises(InputError):
        accounts.revoke_token(session, tok.id, fam)
    accounts.revoke_token(session, tok.id, adm)
    assert not accounts.token_is_live(session, "tid-1", new.id)
    epoch = new.session_epoch
    accounts.end_sessions(session, new)
    assert new.session_epoch == epoch + 1
