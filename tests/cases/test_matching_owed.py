"""Matching owed: an import that changed something leaves ``matching_owed`` set in its own transaction,
and only a completed matching run clears it; a process killed in between has it finished by the next
import, ``reunite match`` or the web application's start (on both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reunite.cases import db as store
from reunite.cases import importing
from reunite.cases.models import Candidate
from reunite.cases.state import is_matching_owed
from reunite.cli import main


@pytest.fixture
def env(url, monkeypatch, tmp_path):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "ix"))
    monkeypatch.setenv("REUNITE_USER", "officer")
    return url


def _state(url) -> tuple[bool, int]:
    """(matching owed, number of candidates)."""
    with store.open_session(url) as s:
        return is_matching_owed(s), s.scalar(select(func.count()).select_from(Candidate))


def _import_then_killed(url, files) -> None:
    """Every file imported (each committed), then the process dies before the matching completes."""
    with store.open_session(url) as s:
        importing.import_reports(s, files["reports"])
        importing.import_found(s, files["found"])
        importing.import_profiles(s, files["profiles"], lab="Kunming lab")
        importing.import_families(s, files["families"])
    assert _state(url) == (True, 0)


def test_a_fresh_store_owes_nothing(env):
    assert _state(env) == (False, 0)


def test_the_next_import_finishes_the_owed_matching(env, files, capsys):
    _import_then_killed(env, files)
    capsys.readouterr()
    assert main(["import", "families", str(files["families"])]) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 updated" in out and "matching:" in out
    owed, candidates = _state(env)
    assert not owed and candidates > 0


def test_reunite_match_finishes_it(env, files):
    _import_then_killed(env, files)
    assert main(["match"]) == 0
    owed, candidates = _state(env)
    assert not owed and candidates > 0


def test_a_matching_that_dies_part_way_stays_owed(env, files, monkeypatch):
    _import_then_killed(env, files)
    import reunite.cases.matching as matching

    def killed(*_a, **_k):
        raise KeyboardInterrupt   # the process is stopped in the middle of the search

    monkeypatch.setattr(matching, "search_child", killed)
    with store.open_session(env) as s, pytest.raises(KeyboardInterrupt):
        matching.run_matching(s)
    assert _state(env) == (True, 0)
    monkeypatch.undo()
    monkeypatch.setenv("REUNITE_DATABASE_URL", env)
    assert main(["match"]) == 0
    assert _state(env)[0] is False


def test_an_import_without_changes_owes_nothing(env, files):
    _import_then_killed(env, files)
    assert main(["match"]) == 0
    with store.open_session(env) as s:
        result = importing.import_found(s, files["found"])
    assert (result.added, result.updated) == (0, 0)
    assert _state(env)[0] is False


def test_the_web_application_finishes_it_at_start(env, files, tmp_path):
    from reunite.web import create_app

    _import_then_killed(env, files)
    app = create_app(env, tmp_path / "media", reports_dir=tmp_path / "reports", secret_key="test-secret",
                     secure_cookies=False)
    app.state.jobs.wait()
    owed, candidates = _state(env)
    assert not owed and candidates > 0
