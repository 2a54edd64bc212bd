"""The README's examples run: every ``reunite`` line of its shell blocks goes through
``reunite.cli.main`` on small data (sizes made small, placeholders filled in), and its JSON case
parses and computes.

Each test runs in a fresh folder (the README's relative paths land there) with the store, index
and media there too.  A line that cannot run offline in a test is listed in ``NOT_RUN`` with the
reason; any other README line this file does not recognise fails the first test, so a new
example cannot stay untested silently.
"""

from __future__ import annotations

import io
import json
import math
import re
import shlex
import sys
from pathlib import Path

import pytest

from reunite.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

#: Placeholders and sizes of the README's lines, and what the tests put in their place.
SMALL = {"--families": "30", "--found": "6"}
#: Subcommands whose README lines are not run here, and why.
NOT_RUN = {"serve": "starts a web server; tests/e2e/test_story.py runs `reunite serve` in a browser"}
#: The groups of README lines each test runs (by subcommand).
SEARCH = ("kinship", "simulate", "index", "search", "bench")
REGISTRY = ("users", "import", "match", "candidates", "review", "report", "export", "audit")


def _blocks(lang: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [body for tag, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S) if tag == lang]


def readme_lines() -> list[str]:
    """The ``reunite`` command lines of the README's plain fenced blocks, without their comments."""
    out = []
    for body in _blocks(""):
        for line in body.splitlines():
            line = re.split(r"\s{2,}#", line)[0].strip()
            words = line.split()
            while words and re.match(r"^[A-Z_]+=", words[0]):
                words = words[1:]
            if words and words[0] == "reunite":
                out.append(line)
    return out


def subcommand(line: str) -> str:
    return shlex.split(line.split("reunite ", 1)[1])[0]


def argv(line: str, fill: dict[str, str]) -> list[str]:
    """The argument list of a README line: optional ``[...]`` parts dropped, the first of ``a|b``
    alternatives taken, sizes made small, placeholders (``ID``, ``NAME``, ...) filled in."""
    line = line.split("reunite ", 1)[1]
    line = re.sub(r"\s*\[[^\]]*\]", "", line)
    line = re.sub(r"(\w+)(\|\w+)+", r"\1", line)
    words = shlex.split(line)
    for i in range(1, len(words)):
        if words[i - 1] in SMALL and words[i].isdigit():
            words[i] = SMALL[words[i - 1]]
    return [fill.get(w, w) for w in words]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fresh working folder with its own store, index and media; no matching settings set."""
    monkeypatch.chdir(tmp_path)
    for var in ("REUNITE_DATABASE_URL", "REUNITE_FREQUENCIES", "REUNITE_MUTATION", "REUNITE_INDEX_DIR",
                "REUNITE_MIN_LR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REUNITE_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("REUNITE_USER", "readme")
    return tmp_path


def _run(capsys, words: list[str]) -> str:
    capsys.readouterr()
    code = main(words)
    out, err = capsys.readouterr()
    assert code == 0, f"reunite {' '.join(words)} exited {code}:\n{out}\n{err}"
    return out


def test_every_readme_line_is_run_or_said_why_not():
    lines = readme_lines()
    assert len(lines) > 20
    unknown = [ln for ln in lines if subcommand(ln) not in SEARCH + REGISTRY + tuple(NOT_RUN)]
    assert not unknown, f"README lines no test here runs (add them to a group or to NOT_RUN): {unknown}"


def test_the_json_case_parses_and_computes(folder, capsys):
    from reunite.genetics import load_case, missing_person_lr

    (case_json,) = _blocks("json")
    spec = json.loads(case_json)
    res = missing_person_lr(load_case(spec))
    assert res.lr is not None and res.lr > 0 and math.isfinite(res.log10_lr)
    (folder / "CASE.json").write_text(case_json, encoding="utf-8")
    out = _run(capsys, ["kinship", "lr", "CASE.json", "--json"])
    assert json.loads(out)["log10_lr"] == pytest.approx(res.log10_lr, abs=1e-9)


def test_the_kinship_and_search_examples_run(folder, capsys):
    (case_json,) = _blocks("json")
    (folder / "CASE.json").write_text(case_json, encoding="utf-8")
    (folder / "cases").mkdir()
    (folder / "cases" / "K1.json").write_text(case_json, encoding="utf-8")
    fill = {"DIR_OR_FILES...": "cases"}
    ran = []
    for line in readme_lines():
        if subcommand(line) in SEARCH:
            words = argv(line, fill)
            out = _run(capsys, words)
            ran.append(words[0])
            if words[:1] == ["search"] and "--json" in words:
                assert out.strip(), line
    assert {"kinship", "simulate", "index", "search", "bench"} <= set(ran)
    assert (folder / "results.parquet").exists() and (folder / "idx").is_dir()


def test_the_case_registry_and_web_account_examples_run(folder, capsys, monkeypatch):
    from sqlalchemy import select

    from reunite.cases import Candidate, open_session
    from reunite.kunming import build_demo, write_demo_files

    write_demo_files(build_demo(), folder)
    # The lab files the README imports: the hand-written examples of tests/labfiles (the CMF's sample
    # codes changed, as a sample code belongs to one lab).
    lab = Path(__file__).resolve().parent / "labfiles"
    (folder / "GENOTYPES.txt").write_bytes((lab / "genemapper_good.txt").read_bytes())
    (folder / "SPECIMENS.xml").write_text((lab / "specimens.xml").read_text(encoding="utf-8")
                                          .replace("S-C1", "CM-C1").replace("S-M1", "CM-M1"), encoding="utf-8")
    (folder / "CASE.fam").write_bytes((lab / "duo.fam").read_bytes())
    (folder / "HAPLOTYPES.emp").write_bytes((lab / "empop_good.emp").read_bytes())
    # `reunite import ydb ystr_database.csv`: a Y-STR database of the README's name (the shipped one's rows)
    from importlib import resources

    (folder / "ystr_database.csv").write_bytes(
        resources.files("reunite").joinpath("data/lineage/simulated_ystr_database.csv").read_bytes())
    lines = [ln for ln in readme_lines() if subcommand(ln) in REGISTRY]
    # Reviews need a registered reviewer: the README's account lines run first.
    accounts = [ln for ln in lines if subcommand(ln) == "users"]
    assert accounts
    for line in accounts:
        monkeypatch.setattr(sys, "stdin", io.StringIO("a long readme password\n"))
        _run(capsys, argv(line, {}))
    fill = {"NAME": argv(accounts[0], {})[2]}
    for line in lines:
        if subcommand(line) == "users":
            continue
        if "ID" in shlex.split(line) and "ID" not in fill:
            with open_session("sqlite:///reunite.db") as s:
                best = s.scalars(select(Candidate).where(Candidate.dna_log10_lr.is_not(None))
                                 .order_by(Candidate.dna_log10_lr.desc())).first()
                assert best is not None, "the demo's imports made no DNA candidate"
                fill["ID"] = str(best.id)
        _run(capsys, argv(line, fill))
    assert list((folder / "reports").glob("candidate-*.html"))
