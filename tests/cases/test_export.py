"""Export of any table to CSV (with formula escaping) and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from reunite.cases import csv_cell, export_table, import_found, import_profiles, record_candidate, table_names
from reunite.cases.export import export_string
from reunite.cases.models import AuditEntry
from reunite.errors import InputError

from .helpers import write


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("Kunming nursery", "Kunming nursery"),
    ("a=b", "a=b"),
    (-3.25, "-3.25"),
    (7, "7"),
    (True, "1"),
    (None, ""),
    ({"VWA": ["17", "18"]}, '{"VWA":["17","18"]}'),
])
def test_csv_cells(value, cell):
    assert csv_cell(value) == cell


def test_csv_export_escapes_formulas(session, tmp_path):
    write(tmp_path / "f.csv", """\
        case_number,sex,marks,care_location,age_months
        KM-001,male,=cmd|' /C calc'!A0,@nursery,8
        KM-002,female,-scar on chin,+86 nursery,7.5
        """)
    import_found(session, tmp_path / "f.csv")
    out = tmp_path / "out.csv"
    assert export_table(session, "found_children", "csv", out, user="officer") == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["marks"] for r in rows] == ["'=cmd|' /C calc'!A0", "'-scar on chin"]
    assert [r["care_location"] for r in rows] == ["'@nursery", "'+86 nursery"]
    assert [r["age_months"] for r in rows] == ["8.0", "7.5"]
    assert rows[0]["case_number"] == "KM-001" and rows[0]["found_on"] == ""
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert json.loads(entry.details) == {"table": "found_children", "format": "csv", "rows": 2}


def test_json_export(session, files):
    import_found(session, files["found"])
    import_profiles(session, files["profiles"], lab="lab")
    data = json.loads(export_string(session, "found_children", "json"))
    assert [d["case_number"] for d in data] == ["KM-001", "KM-002", "KM-003"]
    assert data[0]["found_on"] == "2014-02-20" and data[0]["age_months"] == 8.0
    samples = json.loads(export_string(session, "dna_samples", "json"))
    assert samples[0]["genotypes"]["VWA"] == ["17", "18"] and samples[0]["erased"] is False
    assert json.loads(export_string(session, "candidates", "json")) == []
    assert export_string(session, "candidates", "csv").startswith("id,found_child_id,report_id,prior,posterior,")
    assert export_string(session, "candidate_evidence", "csv").startswith("id,candidate_id,kind,log10_lr,lr,")


def test_every_table_exports_and_unknown_ones_are_refused(session):
    for name in table_names():
        header = export_string(session, name, "csv").splitlines()[0]
        assert header.startswith("id,")
    with pytest.raises(InputError, match="there is no table 'children'"):
        export_string(session, "children")
    with pytest.raises(InputError, match="not csv or json"):
        export_string(session, "users", "xlsx")


def test_negative_numbers_stay_numbers(session, files):
    from reunite.cases import import_reports

    import_found(session, files["found"])
    import_reports(session, files["reports"])
    record_candidate(session, "KM-001", "R-2", dna_log10_lr=-4.5, commit=True)
    rows = list(csv.DictReader(io.StringIO(export_string(session, "candidate_evidence", "csv"))))
    assert (rows[0]["kind"], rows[0]["log10_lr"]) == ("dna", "-4.5")
