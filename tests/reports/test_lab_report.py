"""The lab report of a stored candidate, as a Chinese lab signs it: read back from the PDF's text.

A trio with one paternal mutation (reunite.demo.build_report_example), matched with the bundled
mutation rates and the gbt rules, printed with ``reunite report ID --format pdf`` (Chinese by
default under gbt) and ``--lang en``.
"""

from __future__ import annotations

import json
import subprocess

import pytest

import reunite
from needs import need_cjk_font, need_tool
from reunite.cases.db import open_session
from reunite.cases.models import Candidate
from reunite.cli import main
from reunite.demo import build_report_example
from reunite.reports.kinship import render_html
from reunite.reports.store import candidate_report

DNA_HEADINGS_ZH = ("亲缘关系鉴定意见书", "鉴定机构", "案件信息", "检材与流转记录", "鉴定假设", "鉴定意见", "家系图",
                   "基因分型与各基因座似然比", "计算方法与依据", "签署与盖章")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    need_cjk_font()
    need_tool("pdftotext")
    ex = build_report_example("trio-mutation", tmp_path_factory.mktemp("trio"))
    return ex


def _pages(pdf) -> list[str]:
    out = subprocess.run([need_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    pages = out.stdout.decode("utf-8").split("\f")
    return [" ".join(p.split()) for p in pages if p.strip()]


@pytest.fixture(scope="module")
def printed(example, tmp_path_factory):
    """The PDF in Chinese (the default) and in English, through the command, and the report object."""
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.setenv("REUNITE_DATABASE_URL", example["url"])
    try:
        cid = str(example["candidate"])
        assert main(["report", cid, "--format", "pdf", "--out", str(out / "zh"), "--user", "李分析师"]) == 0
        assert main(["report", cid, "--format", "pdf", "--lang", "en", "--out", str(out / "en"),
                     "--user", "李分析师"]) == 0
        assert main(["report", cid, "--format", "html", "--out", str(out / "zh"), "--user", "李分析师"]) == 0
    finally:
        mp.undo()
    with open_session(example["url"]) as s:
        report = candidate_report(s, example["candidate"], user="李分析师")
        cand = s.get(Candidate, example["candidate"])
        prior = cand.prior
    name = f"candidate-{cid}"
    return {"zh": _pages(out / "zh" / f"{name}.pdf"), "en": _pages(out / "en" / f"{name}.pdf"),
            "html": (out / "zh" / f"{name}.html").read_text(encoding="utf-8"), "report": report, "prior": prior}


def test_the_dna_opinion_is_in_chinese_with_its_headings(printed):
    opinion = " ".join(printed["zh"][:-1])
    for heading in DNA_HEADINGS_ZH:
        assert heading in opinion, heading
    for field in ("检验人", "复核人", "授权签字人", "签发日期", "鉴定机构盖章"):
        assert field in opinion, field


def test_lab_samples_kit_dates_and_chain_of_custody(printed):
    opinion = " ".join(printed["zh"][:-1])
    for text in ("云南省公安厅物证鉴定中心DNA实验室（示例）", "CNAS L9999", "KM-2014-005-DNA", "YN-2013-017-F",
                 "YN-2013-017-M", "血样卡", "口腔拭子", "Goldeneye 22NC", "2014-01-16", "2014-01-20", "2014-01-22",
                 "2014-02-01", "赵警官", "钱警官", "孙技术员", "父亲", "母亲"):
        assert text in opinion, text


def test_the_rule_its_source_theta_and_mutation_model_with_their_sources(printed):
    opinion = " ".join(printed["zh"][:-1])
    for text in ("GB/T 37223-2018", "gbt37223-trio", "支持", "亲子关系（三联体）", "不符合遗传规律的基因座",
                 "Balding–Nichols", "pedprobr", "Balding DJ, Nichols RA (1994)", "published per-locus rates",
                 "AABB Parentage Testing Program", "nist1036_us_asian", "Hill et al.", "不符合"):
        assert text in opinion, text


def test_version_and_hash_on_every_page(printed):
    report = printed["report"]
    for lang in ("zh", "en"):
        pages = printed[lang]
        assert len(pages) >= 3
        for i, page in enumerate(pages, start=1):
            assert f"Reunite {reunite.__version__}" in page, (lang, i)
    for i, page in enumerate(printed["zh"], start=1):
        assert report.content_hash in page, i
        assert f"第 {i} 页，共 {len(printed['zh'])} 页" in page


def test_the_investigative_evidence_is_a_separate_last_page_that_says_so(printed):
    last, opinion = printed["zh"][-1], " ".join(printed["zh"][:-1])
    assert "侦查参考信息——不属于 DNA 鉴定意见" in last
    assert "不属于前述 DNA 鉴定意见" in last and "not part of the DNA opinion" in last   # both languages
    for text in ("先验概率", "后验概率", "性别", "年龄", "时间"):
        assert text in last, text
    for text in ("先验概率", "后验概率", "侦查参考信息"):
        assert text not in opinion, text
    en_last, en_opinion = printed["en"][-1], " ".join(printed["en"][:-1])
    assert "Investigative evidence — not part of the DNA opinion" in en_last
    assert "不属于前述 DNA 鉴定意见" in en_last
    assert "Prior probability of H1" in en_last and "Prior probability" not in en_opinion
    assert "Laboratory" in en_opinion and "Samples and chain of custody" in en_opinion


def test_the_prior_is_the_stored_one_on_the_page_the_pdf_and_in_json(printed, example, monkeypatch, capsys):
    monkeypatch.setenv("REUNITE_DATABASE_URL", example["url"])
    capsys.readouterr()
    assert main(["candidates", "list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    row = next(r for r in rows if r["id"] == example["candidate"])
    assert row["prior"] == printed["prior"] == printed["report"].prior == 0.001
    shown = "1.00 × 10<sup>−3</sup>（约 1,000 分之 1）"
    assert shown in printed["html"]
    assert "约 1,000 分之 1" in printed["zh"][-1] and "1.00 × 10" in printed["zh"][-1]
    assert render_html(printed["report"]).count("约 1,000 分之 1") == 1


def test_the_html_has_the_same_opinion_and_a_page_break_before_the_investigative_page(printed):
    html = printed["html"]
    assert '<html lang="zh-CN">' in html
    for heading in DNA_HEADINGS_ZH:
        assert heading in html, heading
    opinion, investigative = html.split('<section id="investigative"', 1)
    assert "先验概率" not in opinion and "先验概率" in investigative
    assert "break-before: page" in html
    assert html.count(printed["report"].content_hash) >= 4
