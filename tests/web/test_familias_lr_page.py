"""The candidate page of a family imported from a Familias file: the LR under the file's own frequencies and
mutation model, beside (and after) the national LR, and the file's case as a download; zh and en."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reunite.cases import db as store
from reunite.cases.famimport import familias_lr, import_fam
from reunite.cases.matching import run_matching
from reunite.cases.models import AuditEntry, Candidate, FoundChild, MissingReport, WrittenFile
from reunite.genetics import format_lr
from reunite.labfiles import read_fam

DUO = Path(__file__).parents[1] / "labfiles" / "duo.fam"


def test_the_candidate_page_shows_the_files_lr_and_offers_its_case(as_user, world, tmp_path):
    url = world[0]
    with Session(store.make_engine(url), expire_on_commit=False) as s:
        import_fam(s, DUO, report="R-9", lab="LAB1", create_report=True, user="ana")
        run_matching(s, min_lr=0.0, index_dir=tmp_path / "ix")
        cand = s.scalars(select(Candidate).join(FoundChild).join(MissingReport).where(
            FoundChild.case_number == "R-9-F", MissingReport.report_number == "R-9")).one()
        other_id = s.scalars(select(Candidate.id).join(MissingReport)
                             .where(MissingReport.report_number != "R-9")).first()
        want = familias_lr(s, cand).log10_lr
        national = cand.dna_log10_lr
    lab = as_user("lab")
    en = unescape(lab.get(f"/candidates/{cand.id}?lang=en").text)
    zh = unescape(lab.get(f"/candidates/{cand.id}?lang=zh").text)
    lr = format_lr(None, want)
    assert f"with the Familias file's frequencies and mutation model: LR {lr}" in en
    assert f"按 Familias 文件自带的等位基因频率和突变模型：似然比 {lr}" in zh
    assert f'href="/candidates/{cand.id}/familias.fam"' in en and "Familias 文件自带设置的案例" in zh
    # Secondary: after the ordinary lab-file downloads, and the national LR is the report's evidence.
    assert en.index('id="familias-line"') > en.index('id="lab-files"')
    r = lab.get(f"/candidates/{cand.id}/familias.fam")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    fam = tmp_path / "got.fam"
    fam.write_bytes(r.content)
    assert read_fam(fam).case["missing"] == "F"
    with Session(store.make_engine(url)) as s:
        assert s.get(Candidate, cand.id).dna_log10_lr == national
        (a,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.fam")).all()
        assert (a.actor, a.entity_id, json.loads(a.details)["samples"]) == ("lab", str(cand.id), 2)
        assert s.scalars(select(WrittenFile).where(WrittenFile.candidate_id == cand.id)).one().kind == "export"
    assert as_user("cw").get(f"/candidates/{cand.id}/familias.fam").status_code == 403
    # A candidate of a family not from a Familias file has neither the line nor the download.
    other = lab.get(f"/candidates/{other_id}?lang=en").text
    assert 'id="kinship-report"' in other and 'id="familias-line"' not in other
