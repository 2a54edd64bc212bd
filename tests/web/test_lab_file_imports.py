"""Lab files uploaded by a lab analyst (kinds ``genemapper`` and ``cmf``): the same job, lock and status
as every import, the profiles stored, a bad file naming line, sample and marker and storing nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.cases import db as store
from reunite.cases.models import AuditEntry, DnaSample

LAB = Path(__file__).resolve().parents[1] / "labfiles"


def _import(client, who, kind, path: Path, **data):
    r = who.post("/api/v1/imports", data={"kind": kind, **data}, files={"file": (path.name, path.read_bytes())},
                 headers={"X-CSRF-Token": who.csrf})
    assert r.status_code == 202, r.text
    client.app.state.jobs.wait()
    return who.get(r.json()["status_url"]).json()


def _samples(url) -> dict[str, DnaSample]:
    with Session(store.make_engine(url)) as s:
        return {d.sample: d for d in s.scalars(select(DnaSample).where(DnaSample.sample.in_(["S-C1", "S-M1",
                                                                                              "S-X1", "S-X2"])))}


def test_a_genemapper_table_is_stored_and_a_bad_one_is_refused_line_by_line(as_user, client, world):
    lab = as_user("lab")
    before = {k: dict(v.genotypes) for k, v in _samples(world[0]).items()}
    bad = _import(client, lab, "genemapper", LAB / "genemapper_bad.txt", lab="LAB9")
    assert bad["status"] == "failed" and not bad["stored"] and bad["problems_total"] == 7
    mixture = next(p for p in bad["problems"] if p["line"] == 3)
    assert (mixture["file"], mixture["field"]) == ("genemapper_bad.txt", "Allele 3")
    assert "sample 'S-X1', marker vWA" in mixture["message"] and "mixture" in mixture["message"]
    assert {k: dict(v.genotypes) for k, v in _samples(world[0]).items()} == before
    # The seeded store holds S-C1 and S-M1 typed by another lab: the clash is named, nothing stored.
    clash = _import(client, lab, "genemapper", LAB / "genemapper_good.txt", lab="LAB9")
    assert clash["status"] == "failed" and "typed by another lab" in clash["problems"][0]["message"]
    renamed = (LAB / "genemapper_good.txt").read_text().replace("S-C1", "GM-C1").replace("S-M1", "GM-M1")
    r = lab.post("/api/v1/imports", data={"kind": "genemapper", "lab": "LAB9"},
                 files={"file": ("run 7.txt", renamed.encode())}, headers={"X-CSRF-Token": lab.csrf})
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "done" and st["counts"] == {"added": 2, "updated": 0, "unchanged": 0}
    assert "note: Y-STR haplotype read for 1 sample(s) at 1 locus/loci: DYS391" in st["summary"]
    with Session(store.make_engine(world[0])) as s:
        gm = s.scalars(select(DnaSample).where(DnaSample.sample == "GM-C1")).one()
        assert (gm.lab, gm.genotypes["VWA"], gm.imported_by) == ("LAB9", ["17", "17"], "lab")
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "import.genemapper")).first() is not None


def test_cmf_needs_no_lab_and_only_a_lab_analyst_may_import_it(as_user, client, world):
    lab = as_user("lab")
    renamed = (LAB / "specimens.xml").read_text().replace("S-C1", "CM-C1").replace("S-M1", "CM-M1")
    r = lab.post("/api/v1/imports", data={"kind": "cmf"}, files={"file": ("s.xml", renamed.encode())},
                 headers={"X-CSRF-Token": lab.csrf})
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"]).json()
    assert st["status"] == "done" and st["counts"]["added"] == 2 and "lab XX0000001" in st["summary"]
    inv = as_user("inv")
    r = inv.post("/api/v1/imports", data={"kind": "cmf"}, files={"file": ("s.xml", renamed.encode())},
                 headers={"X-CSRF-Token": inv.csrf})
    assert r.status_code == 403
    r = lab.post("/api/v1/imports", data={"kind": "genemapper"}, files={"file": ("g.txt", b"x")},
                 headers={"X-CSRF-Token": lab.csrf})
    assert r.status_code == 400 and "needs the lab" in r.text


def test_the_form_offers_the_lab_files_in_both_languages(as_user):
    lab = as_user("lab")
    en = lab.get("/imports?lang=en").text
    assert '<option value="genemapper">GeneMapper ID-X genotypes table</option>' in en
    assert '<option value="cmf">CODIS CMF XML (specimen profiles)</option>' in en
    assert 'accept=".csv,text/csv,.txt,.xml,.emp,.fam"' in en and "/imports/templates/cmf.csv" not in en
    assert "GeneMapper ID-X 基因型表" in lab.get("/imports?lang=zh").text


def test_an_empop_mtdna_table_is_stored_and_a_bad_one_said_in_chinese(as_user, client, world):
    lab = as_user("lab")
    en, zh = lab.get("/imports?lang=en").text, lab.get("/imports?lang=zh").text
    assert '<option value="mt">mtDNA haplotypes (EMPOP table)</option>' in en
    assert '<option value="mt">线粒体DNA 单倍型（EMPOP 表）</option>' in zh
    bad = _import(client, lab, "mt", LAB / "empop_bad.emp", lab="LAB9")
    assert bad["status"] == "failed" and not bad["stored"] and bad["problems_total"] == 8
    count = next(p for p in bad["problems"] if p["line"] == 7)
    assert (count["file"], count["field"], count["code"]) == ("empop_bad.emp", "count", "mt_count")
    r = lab.post("/api/v1/imports", data={"kind": "mt", "lab": "LAB9"},
                 files={"file": ("empop_bad.emp", (LAB / "empop_bad.emp").read_bytes())},
                 headers={"X-CSRF-Token": lab.csrf, "Accept-Language": "zh"})
    client.app.state.jobs.wait()
    st = lab.get(r.json()["status_url"], headers={"Accept-Language": "zh"}).json()
    assert "样本 R1-B1：C 列必须为 1" in next(p for p in st["problems"] if p["line"] == 7)["words"]
    good = _import(client, lab, "mt", LAB / "empop_good.emp", lab="LAB9")
    assert good["status"] == "done" and good["counts"] == {"added": 5, "updated": 0, "unchanged": 0}, good
    with Session(store.make_engine(world[0])) as s:
        m1 = s.scalars(select(DnaSample).where(DnaSample.sample == "R3-GM")).one()
        assert (m1.lab, m1.mt_sequence["range"], m1.genotypes) == ("LAB9", "16024-16569 1-576", {})
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "import.mt")).first() is not None
    assert lab.post("/api/v1/imports", data={"kind": "mt"}, files={"file": ("m.emp", b"x")},
                    headers={"X-CSRF-Token": lab.csrf}).status_code == 400   # the lab is required
