"""Privacy on disk and in logs: NUL in imports refused by file, line and field without the value."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reunite.cases import import_reports
from reunite.cases.models import MissingReport
from reunite.cli import main
from reunite.errors import InputError

from .helpers import REPORTS, write

SECRET = "Li Ming"


def nul_reports(tmp_path):
    return write(tmp_path / "reports.csv", REPORTS.replace(f"R-1,{SECRET},", f"R-1,{SECRET}\x00,"))


def test_a_nul_in_an_import_is_refused_by_file_line_and_field(session, tmp_path):
    with pytest.raises(InputError) as info:
        import_reports(session, nul_reports(tmp_path), user="inv")
    [p] = info.value.problems
    assert (p.line, p.field) == (2, "child_name") and p.file.endswith("reports.csv")
    assert "NUL" in p.message and SECRET not in str(info.value)
    assert session.scalar(select(func.count()).select_from(MissingReport)) == 0


def test_the_cli_import_names_the_field_and_prints_no_personal_data(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_USER", "cli-officer")
    code = main(["import", "reports", str(nul_reports(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 2
    assert "line 2" in err and "child_name" in err and "NUL" in err
    assert SECRET not in out + err and "Traceback" not in out + err and "Li Wei" not in out + err


def test_database_errors_carry_no_submitted_values(url):
    from sqlalchemy.exc import DBAPIError, StatementError

    from reunite.cases import db as store

    eng = store.make_engine(url)
    with pytest.raises((DBAPIError, StatementError)) as info, eng.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table WHERE x = %s" if eng.dialect.name == "postgresql"
                             else "SELECT * FROM no_such_table WHERE x = ?", (SECRET,))
    assert SECRET not in str(info.value)
