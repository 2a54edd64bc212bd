"""A candidate whose family came from a Familias file: the LR under the file's own frequencies, mutation
model and theta (the kinship engine on ``stored_fam_case`` with the candidate's found child) is shown in
the kinship report and on the candidate page, secondary to the national LR, which stays the evidence and
unchanged; the case is offered as a ``.fam`` download (audited, registered).  The expected LRs come from
``reunite kinship lr`` on the JSON case ``reunite convert familias`` reads straight from the file."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from cases.helpers import write
from reunite.cases.famimport import familias_lr, import_fam
from reunite.cases.importing import import_found, import_profiles
from reunite.cases.labexport import export_candidate_familias_fam
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, FoundChild, WrittenFile
from reunite.cases.privacy import erase_everywhere
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics import format_lr
from reunite.labfiles import read_fam
from reunite.reports import render_html, render_pdf
from reunite.reports.store import candidate_report

DUO = Path(__file__).parent / "duo.fam"


def _kinship_lr(case: dict, tmp_path: Path, capsys) -> float:
    """log10 LR of `reunite kinship lr` on a JSON case."""
    js = tmp_path / "case.json"
    js.write_text(json.dumps(case))
    capsys.readouterr()
    assert main(["kinship", "lr", str(js), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[0])["log10_lr"]


def _file_case(tmp_path: Path, capsys) -> dict:
    js = tmp_path / "duo.json"
    assert main(["convert", "familias", str(DUO), "--out", str(js)]) == 0
    return json.loads(js.read_text())


def _candidate(session, case_number: str) -> Candidate:
    return session.scalars(select(Candidate).join(FoundChild).where(FoundChild.case_number == case_number)).one()


def test_the_files_lr_beside_the_national_lr(session, tmp_path, capsys):
    import_fam(session, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
    # A second found child, typed by the national lab: 16/16 at D3S1358, 9.3/9.3 at TH01 (both in the file).
    import_found(session, write(tmp_path / "found.csv", "case_number,sex,found_on,sample\nKM-2,male,2014-02-20,S-2\n"),
                 user="t")
    import_profiles(session, write(tmp_path / "p.csv", "sample,marker,allele1,allele2\nS-2,D3S1358,16,16\n"
                                                        "S-2,TH01,9.3,9.3\n"), lab="lab", user="t")
    run_matching(session, min_lr=0.0, index_dir=tmp_path / "ix")
    case = _file_case(tmp_path, capsys)
    for number, found in (("R-9-F", None), ("KM-2", {"D3S1358": ["16", "16"], "TH01": ["9.3", "9.3"]})):
        cand = _candidate(session, number)
        national = cand.dna_log10_lr
        spec = dict(case)
        if found is not None:   # the same case with KM-2's genotypes as the person of interest's
            spec["found"] = found
        want = _kinship_lr(spec, tmp_path, capsys)
        got = familias_lr(session, cand)
        assert got.log10_lr == pytest.approx(want, abs=1e-12), number
        assert (got.source_file, got.frequencies, got.markers) == ("duo.fam", "fam:R-9:duo.fam", 2)
        for lang, words in (("en", "with the Familias file's frequencies and mutation model: LR "),
                            ("zh", "按 Familias 文件自带的等位基因频率和突变模型：似然比 ")):
            report = candidate_report(session, cand.id, lang=lang)
            # The national LR is the report's evidence, unchanged by the Familias line.
            assert report.result.log10_lr == pytest.approx(national, abs=1e-9)
            assert report.familias["log10_lr"] == pytest.approx(want, abs=1e-12)
            html = unescape(render_html(report))
            assert words + format_lr(None, want).split(" × ")[0] in html
            assert html.index('id="familias-lr"') > html.index('class="sentence"')     # after the conclusion
        session.expire_all()
        assert _candidate(session, number).dna_log10_lr == national
    render_pdf(report, tmp_path / "r.pdf")
    # The file's case as a .fam download: the candidate's found child as the person of interest.
    cand = _candidate(session, "KM-2")
    out = tmp_path / "km2.fam"
    done = export_candidate_familias_fam(session, cand.id, out, user="ana")
    assert done.log10_lr == pytest.approx(familias_lr(session, cand).log10_lr, abs=1e-12)
    back = read_fam(out).case
    assert sorted(back["found"]["D3S1358"]) == ["16", "16"] and back["missing"] == "F"
    assert back["frequencies"]["TH01"] == case["frequencies"]["TH01"]
    (a,) = [a for a in session.scalars(select(AuditEntry)) if a.action == "export.fam"]
    assert a.entity_id == str(cand.id) and "16" not in json.loads(a.details)["files"][0]
    row = session.scalars(select(WrittenFile).where(WrittenFile.candidate_id == cand.id)).one()
    assert (row.kind, row.path) == ("export", str(out.resolve()))
    assert erase_everywhere(session, "R-9", index_dir=tmp_path / "ix").exports >= 1 and not out.exists()


def test_a_family_not_from_a_fam_file_has_no_such_line(session, tmp_path):
    from cases.test_lineage_store import FAMILIES, FOUND, PROFILES, REPORTS
    from reunite.cases.importing import import_families, import_reports

    import_reports(session, write(tmp_path / "r.csv", REPORTS), user="t")
    import_found(session, write(tmp_path / "f.csv", FOUND), user="t")
    import_profiles(session, write(tmp_path / "p.csv", PROFILES), lab="lab", user="t")
    import_families(session, write(tmp_path / "fa.csv", FAMILIES), user="t")
    run_matching(session, min_lr=0.0, index_dir=tmp_path / "ix")
    cand = session.scalars(select(Candidate)).first()
    assert familias_lr(session, cand) is None
    report = candidate_report(session, cand.id, lang="en")
    assert report.familias is None and "familias-lr" not in render_html(report)
    assert "familias" not in report.content()
    with pytest.raises(InputError) as exc:
        export_candidate_familias_fam(session, cand.id, tmp_path / "x.fam", user="ana")
    assert exc.value.problems[0].code == "fam_no_case" and not (tmp_path / "x.fam").exists()
