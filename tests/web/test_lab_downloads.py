"""Lab files from the web: a candidate's Familias case and pedtools ZIP on the candidate page, and a lab's
profiles as CODIS CMF on the lab profiles page; roles, audit, no genotype in logs, both languages."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.cases import db as store
from reunite.cases.models import AuditEntry, WrittenFile
from reunite.genetics import load_case, missing_person_lr
from reunite.labfiles import read_cmf, read_fam, validate_cmf

#: Genotype labels of the seeded profiles that appear nowhere else on the pages or in the logs.
GENOTYPES = ("9.3", "17/18", "15/16")


def _audit(url, action):
    with Session(store.make_engine(url)) as s:
        return [(a.actor, a.entity_id, json.loads(a.details))
                for a in s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_the_candidate_page_offers_the_fam_and_the_pedtools_zip(as_user, world, ids, tmp_path, caplog):
    url = world[0]
    lab = as_user("lab")
    cid = ids["candidate"]
    page = lab.get(f"/candidates/{cid}")
    assert f'href="/candidates/{cid}/case.fam"' in page.text and f'href="/candidates/{cid}/pedtools.zip"' in page.text
    with caplog.at_level(logging.DEBUG):
        r = lab.get(f"/candidates/{cid}/case.fam")
        z = as_user("inv").get(f"/candidates/{cid}/pedtools.zip")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="candidate-{cid}.fam"'
    assert r.headers["cache-control"] == "no-store"
    fam = tmp_path / "c.fam"
    fam.write_bytes(r.content)
    case = load_case(read_fam(fam).case)
    # The seeded family R-1: F 15/15 and M 16/17 at D3S1358, the found child KM-001 (S-C1) 15/16.
    assert case.missing == "C" and dict(case.found.genotypes)["D3S1358"] == ("15", "16")
    assert missing_person_lr(case).log10_lr is not None
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as f:
        assert f"candidate-{cid}/ped.tsv" in f.namelist()
    assert [(a, e) for a, e, _ in _audit(url, "export.fam")] == [("lab", str(cid))]
    assert [(a, e) for a, e, _ in _audit(url, "export.pedtools")] == [("inv", str(cid))]
    with Session(store.make_engine(url)) as s:
        files = {w.table_name: w for w in s.scalars(select(WrittenFile).where(WrittenFile.candidate_id == cid))}
    assert files["fam"].kind == "export" and files["pedtools"].path.endswith(f"candidate-{cid}-pedtools.zip")
    logged = caplog.text
    assert not any(g in logged for g in GENOTYPES) and "Li Wei" not in logged
    assert as_user("cw").get(f"/candidates/{cid}/case.fam").status_code == 403
    assert as_user("fam").get(f"/candidates/{cid}/pedtools.zip").status_code == 403
    assert lab.get("/candidates/999999/case.fam").status_code == 404


def test_the_lab_profiles_page_exports_all_or_chosen_samples_as_cmf(as_user, world, caplog):
    url = world[0]
    lab = as_user("lab")
    page = lab.get("/lab/profiles")
    assert page.status_code == 200
    # The only lab of the seeded store is chosen; its samples are listed by code, never with genotypes.
    assert 'value="Kunming lab" selected' in page.text
    assert all(f'value="{s}"' in page.text for s in ("S-C1", "S-F1", "S-M1"))
    assert not any(g in page.text for g in GENOTYPES)
    form = {"csrf_token": lab.csrf, "lab": "Kunming lab", "source_lab": "KM0000001", "destination_ori": "YN0000000"}
    with caplog.at_level(logging.DEBUG):
        r = lab.post("/lab/profiles/cmf", data={**form, "scope": "chosen", "samples": ["S-F1", "S-M1"]})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="reunite-cmf-')
    xml = world[1].parent / "chosen.xml"
    xml.write_bytes(r.content)
    assert validate_cmf(xml) == []
    back = read_cmf(xml)
    assert [s.sample for s in back.samples] == ["S-F1", "S-M1"] and back.source_lab == "KM0000001"
    assert dict(back.samples[0].profile.genotypes)["TH01"] == ("6", "9.3")
    r = lab.post("/lab/profiles/cmf", data={**form, "scope": "all"})
    xml.write_bytes(r.content)
    assert [s.sample for s in read_cmf(xml).samples] == ["S-C1", "S-F1", "S-M1"]
    audits = _audit(url, "export.cmf")
    assert [(a, d["samples"], d["lab"]) for a, _, d in audits] == [("lab", 2, "Kunming lab"), ("lab", 3, "Kunming lab")]
    assert not any(g in caplog.text for g in GENOTYPES)
    # Refused with the reason, nothing written: a sample of another lab, an ORI too long for CMF.
    r = lab.post("/lab/profiles/cmf", data={**form, "scope": "chosen", "samples": ["S-F1", "nope"]})
    assert r.status_code == 400 and "&#39;nope&#39; is not stored" in r.text
    r = lab.post("/lab/profiles/cmf", data={**form, "source_lab": "X" * 11, "scope": "all"})
    assert r.status_code == 400 and "at most 10 characters" in r.text
    r = lab.post("/lab/profiles/cmf?lang=zh", data={**form, "source_lab": "X" * 11, "scope": "all"})
    assert r.status_code == 400 and "SOURCELAB 最多 10 个字符；此处为 11 个" in r.text   # said in Chinese
    r = lab.post("/lab/profiles/cmf?lang=zh", data={**form, "scope": "chosen", "samples": ["nope"]})
    assert "样本 nope 未存储" in r.text
    assert len(_audit(url, "export.cmf")) == 2
    assert as_user("cw").get("/lab/profiles").status_code == 403
    assert as_user("pub").post("/lab/profiles/cmf", data=form).status_code == 403


@pytest.mark.parametrize("lang, words", [("en", ("Lab profiles", "Download CMF XML", "Familias case (.fam)")),
                                         ("zh", ("实验室分型", "下载 CMF XML", "Familias 案例（FAM 文件）"))])
def test_the_labels_in_both_languages(as_user, ids, lang, words):
    lab = as_user("lab")
    page = lab.get(f"/lab/profiles?lang={lang}").text + lab.get(f"/candidates/{ids['candidate']}?lang={lang}").text
    assert all(w in page for w in words)
