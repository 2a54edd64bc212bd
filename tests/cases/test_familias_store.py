"""Familias and pedtools with the store (issue 15): a ``.fam`` case imported as a report's reference
family (``reunite.cases.famimport``), and a stored candidate exported as a ``.fam`` and as pedtools
files with the frequencies and mutation model of its LR (``reunite.cases.labexport``); both backends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from reunite.cases import db as store
from reunite.cases.famimport import import_fam
from reunite.cases.labexport import export_candidate_fam, export_candidate_pedtools
from reunite.cases.models import AuditEntry, Candidate, DnaSample, MissingReport, WrittenFile
from reunite.cases.provenance import stored_mutation, stored_table
from reunite.cases.state import is_matching_owed
from reunite.demo import build_report_example
from reunite.errors import InputError
from reunite.genetics import load_case, missing_person_lr
from reunite.labfiles import read_fam

from .helpers import snapshot

DUO = Path(__file__).resolve().parents[1] / "labfiles" / "duo.fam"
#: The round trip's tolerance on log10 LR: the .fam holds every frequency and rate with full
#: floating-point precision (repr), so only summation order can differ.
TOL = 1e-9


@pytest.fixture
def trio(url, tmp_path):
    """The trio example (one paternal mutation, published stepwise rates), matched."""
    ex = build_report_example("trio-mutation", tmp_path / "ex", url=url)
    with sessionmaker(store.make_engine(url), expire_on_commit=False)() as s:
        yield ex, s


def test_a_stored_candidate_as_fam_read_back_gives_the_stored_lr(trio, tmp_path):
    ex, s = trio
    cand = s.get(Candidate, ex["candidate"])
    stored_lr = cand.dna_log10_lr
    assert stored_lr is not None and cand.inconsistent_markers == 1   # the mutation model matters here
    out = tmp_path / "exports" / "case.fam"
    done = export_candidate_fam(s, cand.id, out, user="ana")
    assert done.paths == [out] and out.exists()
    back = load_case(read_fam(out).case)
    lr = missing_person_lr(back)
    assert lr.log10_lr == pytest.approx(stored_lr, abs=TOL)
    assert done.log10_lr == pytest.approx(stored_lr, abs=TOL)
    # The frequencies and the mutation model are the ones stored with the candidate.
    table, model = stored_table(s, cand.frequencies_sha256), stored_mutation(cand.mutation_model)
    for k, mf in back.frequencies.markers.items():
        assert mf.freqs.tolist() == table.markers[k].freqs.tolist()
        want, got = model.for_marker(mf.name), back.mutation.for_marker(mf.name)
        assert (got.male.rate, got.female.rate, got.male.model) == (want.male.rate, want.female.rate, "stepwise")
    # Without the mutation model the paternal mutation makes the LR 0: the model was carried over.
    assert missing_person_lr(load_case({**read_fam(out).case, "mutation": None})).log10_lr is None
    row = s.scalars(select(WrittenFile).where(WrittenFile.table_name == "fam")).one()
    assert (row.kind, row.candidate_id, row.path) == ("export", cand.id, str(out.resolve()))
    audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.fam")).one()
    assert audit.entity_id == str(cand.id) and json.loads(audit.details)["files"] == ["case.fam"]


def test_a_stored_candidate_as_pedtools_files_and_zip(trio, tmp_path):
    ex, s = trio
    cand = s.get(Candidate, ex["candidate"])
    done = export_candidate_pedtools(s, cand.id, tmp_path / "ped", user="ana")
    assert sorted(p.name for p in done.paths) == ["frequencies.txt", "lr.R", "ped.tsv", "reunite.json"]
    res = json.loads((tmp_path / "ped" / "reunite.json").read_text())
    assert res["log10_lr"] == pytest.approx(cand.dna_log10_lr, abs=TOL)
    ped = (tmp_path / "ped" / "ped.tsv").read_text().splitlines()
    header = ped[0].split("\t")
    assert header[:4] == ["id", "fid", "mid", "sex"] and len(header) == 4 + len(res["markers"])
    rows = {r.split("\t")[0]: r.split("\t") for r in ped[1:]}
    rep = cand.report
    missing = next(m.member_id for m in rep.pedigree if m.missing)
    assert rows[missing][4] != "-/-"        # H1: the missing member carries the found child's genotypes
    z = tmp_path / "cand.zip"
    export_candidate_pedtools(s, cand.id, zip_path=z, user="ana")
    with zipfile.ZipFile(z) as f:
        assert sorted(f.namelist()) == [f"candidate-{cand.id}/{n}" for n in
                                        ("frequencies.txt", "lr.R", "ped.tsv", "reunite.json")]
        assert f.read(f"candidate-{cand.id}/ped.tsv").decode().splitlines() == ped
    assert s.scalars(select(WrittenFile).where(WrittenFile.table_name == "pedtools")).all()
    # A withdrawal of consent by the family deletes every file these exports wrote.
    from reunite.cases.privacy import erase_everywhere

    gone = erase_everywhere(s, rep.report_number, index_dir=tmp_path / "idx")
    assert gone.exports == 5 and not z.exists() and not list((tmp_path / "ped").iterdir())
    with pytest.raises(InputError, match="no candidate has id 999"):
        export_candidate_fam(s, 999, tmp_path / "x.fam")
    assert not (tmp_path / "x.fam").exists()


def test_a_fam_case_becomes_a_reference_family(session):
    result = import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    assert (result.added, result.updated, result.unchanged) == (1, 0, 0)
    # C's sample, and the person of interest F's as found child R-9-F's (tests/labfiles/test_fam_store.py)
    assert result.notes["samples_added"] == 2 and any("found child R-9-F created" in r for r in result.remarks)
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == "R-9")).one()
    assert rep.sex == "male"
    assert sorted((m.member_id, m.father, m.mother, m.sex, m.sample, m.missing) for m in rep.pedigree) == [
        ("C", "F", "M", "female", "R-9-C", False), ("F", None, None, "male", None, True),
        ("M", None, None, "female", None, False)]
    assert [(d.member_id, d.relation, d.sample, d.consent_given) for d in rep.relatives] == [
        ("C", "child", "R-9-C", None)]
    sample = session.scalars(select(DnaSample).where(DnaSample.sample == "R-9-C")).one()
    # duo.fam: C is 14/16 at D3S1358 and 7/9.3 at TH01 (allele indices 0,2 and 0,1 of the database).
    assert (sample.sample, sample.lab, sample.genotypes) == ("R-9-C", "LAB1", {"D3S1358": ["14", "16"],
                                                                               "TH01": ["7", "9.3"]})
    assert is_matching_owed(session)
    again = import_fam(session, DUO, report="R-9", lab="LAB1", user="ana")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1) and again.notes["samples_unchanged"] == 2
    details = [a.details for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "import.fam"))]
    assert len(details) == 2 and all("14" not in d and '"C"' not in d for d in details)


def test_a_bad_fam_changes_nothing_and_names_lines(session, tmp_path):
    import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    before = snapshot(session)
    lines = DUO.read_text().splitlines()
    # The child's D3S1358 genotype (allele indices on lines 30-31, the marker index on 32) changed to 15/16.
    changed = [*lines[:29], "1", *lines[30:]]
    p = tmp_path / "changed.fam"
    p.write_text("\n".join(changed) + "\n")
    with pytest.raises(InputError) as err:
        import_fam(session, p, report="R-9", lab="LAB1", user="ana")
    assert [(x.file, x.line, x.field) for x in err.value.problems] == [(str(p), 30, "locus")]
    assert "sample 'R-9-C': marker D3S1358 differs from the stored profile" in str(err.value)
    with pytest.raises(InputError) as err:
        import_fam(session, DUO, report="R-10", lab="LAB1", user="ana")
    assert "report 'R-10' is not stored" in str(err.value)
    with pytest.raises(InputError, match="typed by another lab"):
        import_fam(session, DUO, report="R-9", lab="LAB2", user="ana")
    unknown = tmp_path / "unknown.fam"
    unknown.write_text(DUO.read_text().replace('"TH01"', '"D99S999"'))
    with pytest.raises(InputError) as err:
        import_fam(session, unknown, report="R-9", lab="LAB1", user="ana")
    # C's TH01 (now D99S999) genotype starts on line 33, the found person F's on line 15.
    assert [(x.line, x.field) for x in err.value.problems] == [(15, "locus"), (33, "locus")]
    assert "person 'C', locus D99S999: not a marker Reunite knows" in str(err.value)
    assert snapshot(session) == before


def test_the_commands(trio, url, monkeypatch, capsys, tmp_path):
    ex, s = trio
    from reunite.cli import main

    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "idx"))
    cid = ex["candidate"]
    stored = s.get(Candidate, cid).dna_log10_lr
    s.close()   # (no read transaction left open while the commands write)
    fam = tmp_path / "c.fam"
    assert main(["export", "fam", "--candidate", str(cid), str(fam), "--user", "ana"]) == 0
    out = capsys.readouterr().out
    assert f"candidate {cid} (log10 LR {stored:.6f}) written to {fam}" in out
    assert missing_person_lr(load_case(read_fam(fam).case)).log10_lr == pytest.approx(stored, abs=TOL)
    assert main(["export", "pedtools", "--candidate", str(cid), str(tmp_path / "ped")]) == 0
    assert (tmp_path / "ped" / "lr.R").exists()
    assert main(["export", "pedtools", "--candidate", str(cid), str(tmp_path / "ped.zip")]) == 0
    assert zipfile.is_zipfile(tmp_path / "ped.zip")
    capsys.readouterr()
    assert main(["export", "fam", str(fam)]) == 2
    assert "give --candidate" in capsys.readouterr().err
    assert main(["import", "fam", str(DUO), "--report", "R-9", "--lab", "LAB1", "--create-report"]) == 0
    cap = capsys.readouterr()
    assert "fam from duo.fam: 1 added, 0 updated, 0 unchanged" in cap.out and "matching:" in cap.out
    assert "note: found child R-9-F created for the person of interest 'F'" in cap.err
    bad = tmp_path / "bad.fam"
    bad.write_text(DUO.read_text().replace('"TH01"', '"D99S999"'))
    assert main(["import", "fam", str(bad), "--report", "R-9", "--lab", "LAB1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}, line 15") and f"error: {bad}, line 33" in err and "D99S999" in err


def _read_pedtools(folder: Path) -> dict:
    """The export read back by the rules the pedtools documentation gives (as.ped, data.frame method:
    columns id, fid, mid, sex with 0 = unknown, 1 = male, 2 = female and fid/mid 0 for a founder, then one
    genotype column per marker split at ``sep = "/"``, ``missing = "-"``; readFreqDatabase, "list" format:
    a marker name, then allele and frequency lines, a blank line between markers)."""
    lines = (folder / "ped.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert [h.lower() for h in header[:4]] == ["id", "fid", "mid", "sex"]
    markers = header[4:]
    pedigree, genotypes = [], {}
    for row in lines[1:]:
        cells = row.split("\t")
        assert len(cells) == len(header) and cells[3] in ("0", "1", "2")
        pid, fid, mid = cells[:3]
        pedigree.append({"id": pid, "father": None if fid == "0" else fid, "mother": None if mid == "0" else mid,
                         "sex": {"1": "male", "2": "female", "0": "unknown"}[cells[3]]})
        for m, g in zip(markers, cells[4:], strict=True):
            a, b = g.split("/")
            assert (a == "-") == (b == "-")
            if a != "-":
                genotypes.setdefault(pid, {})[m] = [a, b]
    freqs = {}
    for block in (folder / "frequencies.txt").read_text().strip().split("\n\n"):
        name, *rows = block.splitlines()
        freqs[name] = {r.split("\t")[0]: float(r.split("\t")[1]) for r in rows}
        assert abs(sum(freqs[name].values()) - 1) < 1e-9
    assert set(freqs) == set(markers)
    script = (folder / "lr.R").read_text()
    missing = next(line.split('"')[1] for line in script.splitlines() if line.startswith("missing = "))
    for call in ('as.ped(df, locusAttributes = db, missing = "-", sep = "/")',
                 'readFreqDatabase("frequencies.txt", format = "list")'):
        assert call in script
    found = genotypes.pop(missing)
    return {"frequencies": freqs, "pedigree": pedigree, "genotypes": genotypes, "missing": missing, "found": found}


def test_the_pedtools_files_read_back_as_pedtools_reads_them_give_the_stored_lr(trio, tmp_path):
    ex, s = trio
    cand = s.get(Candidate, ex["candidate"])
    export_candidate_pedtools(s, cand.id, tmp_path / "ped", user="ana")
    spec = _read_pedtools(tmp_path / "ped")
    spec["mutation"] = cand.mutation_model["model"]      # lr.R sets it with pedmut's mutationMatrix
    assert missing_person_lr(load_case(spec)).log10_lr == pytest.approx(cand.dna_log10_lr, abs=TOL)


def test_a_candidate_exported_as_fam_and_imported_as_a_family_matches_with_the_same_lr(trio, tmp_path):
    """Out and back in: the .fam of a stored candidate, imported as a new report's family, is matched
    with the same found child at the same LR (the family's DNA survived both ways)."""
    from reunite.cases.matching import run_matching

    ex, s = trio
    cand = s.get(Candidate, ex["candidate"])
    child, stored = cand.found_child.case_number, cand.dna_log10_lr
    fam = tmp_path / "c.fam"
    export_candidate_fam(s, cand.id, fam, user="ana")
    result = import_fam(s, fam, report="R-COPY", lab="LAB-COPY", create_report=True, user="ana")
    # (the relatives' samples, and the person of interest's as a new found child's: a copy of the child)
    assert result.added == 1 and result.notes["samples_added"] == len(cand.report.relatives) + 1
    run_matching(s, frequencies="nist1036_us_asian", rules="gbt", prior=0.001, index_dir=tmp_path / "idx")
    copy = s.scalars(select(Candidate).join(Candidate.report).where(MissingReport.report_number == "R-COPY")).all()
    assert [(c.found_child.case_number, c.dna_log10_lr) for c in copy
            if c.dna_log10_lr is not None and c.found_child.case_number == child] == [
        (child, pytest.approx(stored, abs=TOL))]
