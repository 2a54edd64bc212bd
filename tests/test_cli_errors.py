"""An unexpected error in a command is one line naming its type, never a traceback with a row's values.

The failure is real: the import writes into a store opened read-only (SQLite's ``mode=ro``), so the
database driver refuses the first write with its own error (``OperationalError``), whose text and
traceback quote the statement.  The command is run as the console script runs it (``reunite.cli:app``
called) in a subprocess, and through :func:`reunite.cli.main`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reunite.cli import main

NAME, PHONE = "张小明", "13800001111"
REPORTS = f"report_number,child_name,sex,contact_name,contact_phone\nR-9,{NAME},male,张三,{PHONE}\n"


@pytest.fixture
def read_only_store(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite store, the environment that opens it read-only, and a reports file."""
    db = tmp_path / "s.db"
    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{db}")
    assert main(["db", "upgrade"]) == 0
    csv = tmp_path / "reports.csv"
    csv.write_text(REPORTS, encoding="utf-8")
    env = {**os.environ, "REUNITE_DATABASE_URL": f"sqlite:///file:{db}?mode=ro&uri=true"}
    env.pop("REUNITE_DEBUG", None)
    return csv, env


def _console(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    code = "import sys; from reunite.cli import app; sys.argv[0] = 'reunite'; app()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_the_console_script_prints_one_line_with_the_type(read_only_store):
    csv, env = read_only_store
    r = _console(["import", "reports", str(csv), "--no-match"], env)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: the command stopped on an unexpected OperationalError;")
    assert "REUNITE_DEBUG=1" in lines[0]
    assert "Traceback" not in r.stderr and "INSERT" not in r.stderr
    assert NAME not in r.stderr + r.stdout and PHONE not in r.stderr + r.stdout


def test_reunite_debug_shows_the_traceback(read_only_store):
    csv, env = read_only_store
    r = _console(["import", "reports", str(csv), "--no-match"], {**env, "REUNITE_DEBUG": "1"})
    assert r.returncode != 0
    assert "Traceback (most recent call last)" in r.stderr and "OperationalError" in r.stderr


def test_main_returns_1_and_reunite_errors_keep_their_message(read_only_store, monkeypatch, capsys):
    csv, env = read_only_store
    monkeypatch.setenv("REUNITE_DATABASE_URL", env["REUNITE_DATABASE_URL"])
    assert main(["import", "reports", str(csv), "--no-match"]) == 1
    err = capsys.readouterr().err
    assert "unexpected OperationalError" in err and NAME not in err
    # An error of Reunite's own is still its message, exit code 2.
    assert main(["kinship", "lr", str(csv.with_name("missing.json"))]) == 2
    assert "missing.json" in capsys.readouterr().err
