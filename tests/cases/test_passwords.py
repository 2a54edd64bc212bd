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


@pytest.mark.parametrize("password", ["correct horse battery", "a long readme password", "红色 河流 2014 雨季"])
def test_passphrases_are_accepted(password):
    check_password(password, "inv")


def test_cli_refuses_a_trivial_password(tmp_path, monkeypatch, capsys):
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setattr(sys, "stdin", io.StringIO("1234567890\n"))
    assert main(["users", "add", "chen", "--role", "investigator", "--password-stdin"]) != 0
    assert "too easy to guess" in capsys.readouterr().err

