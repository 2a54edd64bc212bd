"""Laboratories and each sample's chain of custody: the optional columns of profiles.csv, ``reunite labs``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from reunite.cases import import_profiles
from reunite.cases.labs import add_lab, lab_of, list_labs
from reunite.cases.models import AuditEntry, DnaSample
from reunite.cli import main
from reunite.errors import InputError

from .helpers import snapshot, write

CUSTODY = """\
sample,marker,allele1,allele2,sample_kind,collected_on,collected_by,sealed_by,received_by,received_on,kit
S-C1,D3S1358,15,16,blood card,2014-01-16,Officer Zhao,Officer Qian,Tech Sun,2014-01-22,Goldeneye 22NC
S-C1,vWA,17,18,,,,,,,
S-F1,D3S1358,15,15,buccal_swab,2014-01-20,Officer Zhao,Officer Qian,Tech Sun,2014-01-22,
"""


def test_custody_columns_are_stored_per_sample(session, tmp_path):
    result = import_profiles(session, write(tmp_path / "p.csv", CUSTODY), lab="Kunming lab", kit="Kit X",
                             typed_on=dt.date(2014, 2, 1), user="lab")
    assert result.added == 2 and result.notes["samples_described"] == 2
    c1, f1 = (session.scalars(select(DnaSample).where(DnaSample.sample == s)).one() for s in ("S-C1", "S-F1"))
    assert c1.sample_kind == "blood_card" and c1.collected_on == dt.date(2014, 1, 16)
    assert (c1.collected_by, c1.sealed_by, c1.received_by) == ("Officer Zhao", "Officer Qian", "Tech Sun")
    assert c1.received_on == dt.date(2014, 1, 22) and c1.kit == "Goldeneye 22NC" and c1.typed_on == dt.date(2014, 2, 1)
    assert f1.sample_kind == "buccal_swab" and f1.kit is None     # an empty cell clears it
    # The audit entry holds counts, not the people.
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import.profiles")).one()
    assert "Zhao" not in entry.details and "Qian" not in entry.details
    # Correcting the custody of a stored sample updates it; the same file again changes nothing.
    again = import_profiles(session, write(tmp_path / "p.csv", CUSTODY), lab="Kunming lab", user="lab")
    assert again.updated == 0 and again.unchanged == 2
    fixed = CUSTODY.replace("Tech Sun,2014-01-22,Goldeneye", "Tech Zhou,2014-01-22,Goldeneye")
    assert import_profiles(session, write(tmp_path / "q.csv", fixed), lab="Kunming lab", user="lab").updated == 1


def test_custody_problems_are_all_reported_and_nothing_is_written(session, tmp_path):
    bad = CUSTODY.replace("S-C1,vWA,17,18,,,,,,,", "S-C1,vWA,17,18,buccal_swab,,Officer Wu,,,,")
    bad = bad.replace("buccal_swab,2014-01-20", "envelope,2014-01-20")
    bad += "S-M1,D3S1358,16,17,blood,2014-01-25,,,,2014-01-22,\n"
    before = snapshot(session)
    with pytest.raises(InputError) as exc:
        import_profiles(session, write(tmp_path / "bad.csv", bad), lab="Kunming lab", user="lab")
    text = str(exc.value)
    assert "line 3" in text and "sample_kind differs from line 2" in text
    assert "collected_by differs from line 2" in text and "Officer Wu" not in text   # people are not repeated
    assert "'envelope' is not a sample kind" in text
    assert "received_on (2014-01-22) is before collected_on (2014-01-25)" in text
    assert snapshot(session) == before


def test_labs_are_added_updated_and_audited(session):
    _lab, what = add_lab(session, "Kunming lab", name_zh="昆明市公安局DNA实验室", accreditation="CNAS L0001",
                        address="昆明", user="admin")
    assert what == "added" and lab_of(session, "Kunming lab").accreditation == "CNAS L0001"
    assert add_lab(session, "Kunming lab", accreditation="CNAS L0001", user="admin")[1] == "unchanged"
    assert add_lab(session, "Kunming lab", accreditation="CNAS L0002", user="admin")[1] == "updated"
    assert lab_of(session, "Kunming lab").name_zh == "昆明市公安局DNA实验室"     # not given: kept
    assert [x.name for x in list_labs(session)] == ["Kunming lab"] and lab_of(session, "other") is None
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["lab.add", "lab.update"]
    with pytest.raises(InputError, match="needs a name"):
        add_lab(session, " ", user="admin")


def test_labs_command(url, monkeypatch, capsys):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    assert main(["labs", "add", "Kunming lab", "--name-zh", "昆明市公安局DNA实验室", "--accreditation",
                 "CNAS L0001", "--user", "admin"]) == 0
    assert "Kunming lab: added" in capsys.readouterr().out
    assert main(["labs", "list", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row == {"name": "Kunming lab", "name_zh": "昆明市公安局DNA实验室", "accreditation": "CNAS L0001",
                   "address": None}
