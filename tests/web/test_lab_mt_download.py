"""The lab profiles page lists a lab whose samples are typed only at mtDNA (or Y-STR) and offers their
mtDNA sequences as an EMPOP table; the CMF form takes a Y-STR kit; audited, registered, both languages."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.cases import db as store
from reunite.cases.importing import import_lab_profiles
from reunite.cases.models import AuditEntry, WrittenFile
from reunite.labfiles import read_emp

EMP = Path(__file__).parents[1] / "labfiles" / "empop_good.emp"


def test_an_mt_only_lab_is_listed_and_its_sequences_download(as_user, world, tmp_path):
    url = world[0]
    with Session(store.make_engine(url)) as s:
        import_lab_profiles(s, EMP, kind="mt", lab="MT lab", user="ana")
        want = {r.sample: r.mt_sequence for r in read_emp(EMP).samples}
    lab = as_user("lab")
    page = lab.get("/lab/profiles?lab=MT+lab")
    assert page.status_code == 200
    assert 'value="MT lab" selected' in page.text and 'id="labp-mt"' in page.text
    assert 'id="labp-export"' not in page.text          # no sample of this lab for CMF
    assert "16223T" not in page.text                     # no sequence on the page
    r = lab.post("/lab/profiles/mt", data={"csrf_token": lab.csrf, "lab": "MT lab"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="reunite-mtdna-')
    out = tmp_path / "got.emp"
    out.write_bytes(r.content)
    assert {s.sample: dict(s.mt_sequence) for s in read_emp(out).samples} == want
    with Session(store.make_engine(url)) as s:
        (a,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.mt")).all()
        assert (a.actor, json.loads(a.details)["samples"]) == ("lab", 5)
        assert s.scalars(select(WrittenFile).where(WrittenFile.table_name == "mt")).one().kind == "export"
    zh = lab.get("/lab/profiles?lab=MT+lab&lang=zh").text
    assert "下载 EMPOP 表格（.emp）" in zh and "Download the EMPOP table (.emp)" in page.text
    # The Kunming lab has no mtDNA: no EMPOP form; its CMF form offers the Y-STR kits.
    km = lab.get("/lab/profiles?lab=Kunming+lab").text
    assert 'id="labp-mt"' not in km and '<option value="yfiler_plus" translate="no">' in km
    assert as_user("cw").post("/lab/profiles/mt", data={"lab": "MT lab"}).status_code == 403
