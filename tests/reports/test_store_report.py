"""`reunite report ID` from the case store: HTML and PDF, and the genotype read is audited."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from needs import need_cjk_font, need_tool
from reunite.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from reunite.kunming import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out, echo=lambda *_: None, reports=False)
    return out / "reunite-demo.db"


def _best_candidate(url):
    from reunite.cases.db import open_session
    from reunite.cases.models import Candidate

    with open_session(url) as s:
        c = max((c for c in s.scalars(select(Candidate)) if c.dna_log10_lr is not None),
                key=lambda c: c.dna_log10_lr)
        return c.id, c.report.child_name, c.dna_log10_lr


def test_report_command_html_and_pdf(demo_db, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{demo_db}"
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    cid, name, log10 = _best_candidate(url)
    assert main(["report", str(cid), "--format", "html", "--out", str(tmp_path), "--user", "李分析师"]) == 0
    html = (tmp_path / f"candidate-{cid}.html").read_text(encoding="utf-8")
    assert name in html and f"{log10:.2f}" in html
    need_cjk_font()
    pdftotext = need_tool("pdftotext")
    assert main(["report", str(cid), "--format", "pdf", "--out", str(tmp_path), "--user", "李分析师"]) == 0
    text = subprocess.run([pdftotext, str(tmp_path / f"candidate-{cid}.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert name in text
    from reunite.cases.db import open_session
    from reunite.cases.models import AuditEntry

    with open_session(url) as s:
        reads = [e for e in s.scalars(select(AuditEntry)) if e.action == "genotypes.read"]
    assert len(reads) >= 2 and all(e.actor == "李分析师" for e in reads[-2:])


def test_report_of_unknown_candidate_is_a_clear_error(demo_db, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REUNITE_DATABASE_URL", f"sqlite:///{demo_db}")
    assert main(["report", "999999", "--out", str(tmp_path)]) == 2
    assert "no candidate has id 999999" in capsys.readouterr().err
