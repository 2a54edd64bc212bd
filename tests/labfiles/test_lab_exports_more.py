"""The lab-file follow-ups (issue 15): mtDNA sequences out as an EMPOP table (``reunite export mt``) and
back into a fresh store; the KIT of the Y-STR loci in a CMF export (``--y-kit``); "not typed" stored as SQL
NULL (migration 0023) so that Y-only and mt-only labs are listed (both backends)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from reunite.cases import db as store
from reunite.cases.importing import import_lab_profiles
from reunite.cases.labexport import export_cmf, export_mt, sample_labs
from reunite.cases.models import AuditEntry, DnaSample, WrittenFile
from reunite.cases.privacy import erase_everywhere
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics.ystr import KITS
from reunite.labfiles import read_emp, validate_cmf
from reunite.web.i18n import problem_words

HERE = Path(__file__).parent
EMP, CMF_Y = HERE / "empop_good.emp", HERE / "specimens_ystr.xml"
# Hand-read from empop_good.emp (as in test_empop.py): what the store holds after `import mt`.
HV, CR = "16024-16365 73-340", "16024-16569 1-576"
WANT = {
    "R1-M1": {"range": HV, "variants": "16223T 16362C 73G 263G 315.1C"},
    "R1-B1": {"range": HV, "variants": "16223T 16362C 73G 263G 309.1C 315.1C"},
    "R2-M2": {"range": HV, "variants": "263G 315.1C"},
    "R3-GM": {"range": CR, "variants": "16189C 16217C 16519C 73G 249d 263G 315.1C 499A"},
    "R3-M3": {"range": CR, "variants": "16189Y 16217C 16519C 73G 249d 263G 315.1C 499A"},
}


def _fresh_store(request, tmp_path) -> sessionmaker:
    path = tmp_path / "fresh.db"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    return sessionmaker(store.make_engine(f"sqlite:///{path}"), expire_on_commit=False)


def test_export_mt_round_trip_into_a_fresh_store(session, tmp_path, request):
    import_lab_profiles(session, EMP, kind="mt", lab="MTLAB", user="ana")
    import_lab_profiles(session, CMF_Y, kind="cmf", user="ana")          # Y only: not in the mt export
    out = tmp_path / "out" / "seq.emp"
    assert export_mt(session, out, lab="MTLAB", user="ana") == 5
    assert "249DEL" in out.read_text() and "249d" not in out.read_text()   # EMPOP's notation of a deletion
    assert {s.sample: dict(s.mt_sequence) for s in read_emp(out).samples} == WANT
    with _fresh_store(request, tmp_path)() as fresh:
        result = import_lab_profiles(fresh, out, kind="mt", lab="MTLAB", user="bo")
        assert result.added == 5
        fresh.expire_all()
        assert {s.sample: s.mt_sequence for s in fresh.scalars(select(DnaSample))} == WANT
    # Given samples only; audited without a sequence; registered, and erased with every export.
    two = tmp_path / "two.emp"
    assert export_mt(session, two, samples=["R3-M3", "R1-M1"], user="ana") == 2
    assert {s.sample for s in read_emp(two).samples} == {"R3-M3", "R1-M1"}
    rows = session.scalars(select(WrittenFile).where(WrittenFile.table_name == "mt")).all()
    assert sorted(r.path for r in rows) == sorted([str(out.resolve()), str(two.resolve())])
    audits = [a for a in session.scalars(select(AuditEntry)) if a.action == "export.mt"]
    assert [json.loads(a.details)["samples"] for a in audits] == [5, 2]
    blob = " ".join(a.details for a in audits)
    assert "16223" not in blob and "263G" not in blob
    assert erase_everywhere(session, "R-none", index_dir=tmp_path / "idx").exports == 2
    assert not out.exists() and not two.exists()


def test_export_mt_refuses_what_it_cannot_write(session, tmp_path):
    import_lab_profiles(session, EMP, kind="mt", lab="MTLAB", user="ana")
    import_lab_profiles(session, CMF_Y, kind="cmf", user="ana")
    out = tmp_path / "x.emp"
    with pytest.raises(InputError) as exc:
        export_mt(session, out, samples=["S-B1", "NOPE", "R1-M1"], lab="XX0000001", user="ana")
    got = sorted((p.code, p.params["sample"]) for p in exc.value.problems)
    assert got == [("export_sample_no_mt", "S-B1"), ("export_sample_not_stored", "NOPE"),
                   ("export_sample_other_lab", "R1-M1")]
    for p in exc.value.problems:
        assert problem_words(p, "zh"), p.code
    with pytest.raises(InputError) as exc:
        export_mt(session, out, lab="XX0000001", user="ana")
    assert [p.code for p in exc.value.problems] == ["export_nothing_mt"]
    assert not out.exists()
    assert session.scalars(select(WrittenFile)).all() == []


def test_cmf_y_kit_is_written_on_the_y_loci_only(session, tmp_path):
    import_lab_profiles(session, CMF_Y, kind="cmf", user="ana")
    out = tmp_path / "y.xml"
    assert export_cmf(session, out, source_lab="XX1", destination_ori="XX0", kit="GlobalFiler", y_kit="Yfiler-Plus",
                      user="ana") == 2
    assert validate_cmf(out) == []
    ns = {"c": "urn:CODISImportFile-schema"}
    doc = etree.parse(str(out))
    kits = {(sp.findtext("c:SPECIMENID", namespaces=ns), loc.findtext("c:LOCUSNAME", namespaces=ns)): loc.get("KIT")
            for sp in doc.iterfind("c:SPECIMEN", ns) for loc in sp.iterfind("c:LOCUS", ns)}
    # Hand-read from specimens_ystr.xml: S-B1 has three Y loci, S-F1 seven and autosomal loci.
    y = {k: v for k, v in kits.items() if k[1].startswith(("DYS", "DYF", "YGATA"))}
    assert len(y) == 10 and set(y.values()) == {"yfiler_plus"}
    auto = {k: v for k, v in kits.items() if k not in y}
    assert auto and set(auto.values()) == {"GlobalFiler"}
    with pytest.raises(InputError) as exc:
        export_cmf(session, tmp_path / "bad.xml", source_lab="XX1", destination_ori="XX0", y_kit="Yfiler Platinum",
                   user="ana")
    (p,) = exc.value.problems
    assert (p.field, p.code) == ("y_kit", "unknown_y_kit") and "yfiler_plus" in p.message
    assert "Yfiler Platinum" in problem_words(p, "zh")
    assert not (tmp_path / "bad.xml").exists()
    assert set(KITS) <= set(p.params["known"].split(", "))


def test_not_typed_is_sql_null_and_y_only_and_mt_only_labs_are_listed(session):
    import_lab_profiles(session, EMP, kind="mt", lab="MTLAB", user="ana")     # 5 samples, mtDNA only
    import_lab_profiles(session, CMF_Y, kind="cmf", user="ana")              # S-F1 autosomal + Y, S-B1 Y only
    nulls = session.execute(text("SELECT sample FROM dna_samples WHERE y_haplotype IS NULL ORDER BY sample")).scalars()
    assert list(nulls) == sorted(WANT)
    nulls = session.execute(text("SELECT sample FROM dna_samples WHERE mt_sequence IS NULL ORDER BY sample")).scalars()
    assert list(nulls) == ["S-B1", "S-F1"]
    assert sample_labs(session) == [("MTLAB", 5), ("XX0000001", 2)]


def test_migration_0023_turns_json_null_into_sql_null(db_url):
    store.upgrade(db_url, "0022")
    eng = store.make_engine(db_url)
    ins = ("INSERT INTO dna_samples (id, sample, lab, imported_by, imported_at, genotypes, marker_count, erased, "
           "y_haplotype, mt_sequence) VALUES (:id, :s, 'L', 'x', '2026-01-01', '{}', 0, false, :y, :mt)")
    with eng.begin() as conn:
        conn.execute(text(ins), [{"id": 1, "s": "Y-ONLY", "y": '{"DYS19": "14"}', "mt": "null"},
                                 {"id": 2, "s": "MT-ONLY", "y": "null", "mt": '{"range": "73-340", "variants": "73G"}'},
                                 {"id": 3, "s": "EMPTY", "y": "{}", "mt": None}])
    store.upgrade(db_url, "0023")
    with eng.connect() as conn:
        rows = conn.execute(text("SELECT sample, y_haplotype IS NULL, mt_sequence IS NULL FROM dna_samples "
                                 "ORDER BY id")).all()
    assert [(s, bool(y), bool(m)) for s, y, m in rows] == [("Y-ONLY", False, True), ("MT-ONLY", True, False),
                                                           ("EMPTY", True, True)]
    store.dispose_engines()
    with sessionmaker(store.make_engine(db_url))() as s:
        assert s.get(DnaSample, 1).y_haplotype == {"DYS19": "14"}
        assert sample_labs(s) == [("L", 2)]
    store.downgrade(db_url, "0022")
    store.upgrade(db_url)


def test_the_commands(url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    assert main(["import", "mt", str(EMP), "--lab", "MTLAB", "--user", "ana", "--no-match"]) == 0
    assert main(["import", "cmf", str(CMF_Y), "--user", "ana", "--no-match"]) == 0
    capsys.readouterr()
    out = tmp_path / "seq.emp"
    assert main(["export", "mt", "--out", str(out), "--lab", "MTLAB", "--user", "ana"]) == 0
    assert "5 mtDNA sequences written to" in capsys.readouterr().out
    assert {s.sample: dict(s.mt_sequence) for s in read_emp(out).samples} == WANT
    assert main(["export", "mt", "--out", str(out), "--samples", "S-B1"]) == 2
    assert "S-B1" in capsys.readouterr().err
    xml = tmp_path / "y.xml"
    assert main(["export", "cmf", "--out", str(xml), "--source-lab", "XX1", "--destination-ori", "XX0",
                 "--y-kit", "ppy23"]) == 0
    assert validate_cmf(xml) == [] and 'KIT="ppy23"' in xml.read_text()
    assert main(["export", "cmf", "--out", str(tmp_path / "n.xml"), "--source-lab", "XX1", "--destination-ori", "XX0",
                 "--y-kit", "nope"]) == 2
    assert "unknown Y-STR kit 'nope'" in capsys.readouterr().err
