"""The repository itself: .gitignore never hides a tracked file; `make bench` runs every benchmark; the
glossary has every concept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_gitignore_matches_no_tracked_file():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [], f".gitignore matches tracked files: {out}"


@pytest.mark.parametrize("target", ["bench", "bench-full"])
def test_make_bench_runs_every_benchmark(target):
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    lines = text.split(f"\n{target}:", 1)[1].splitlines()[1:]
    recipe = " ".join(ln for ln in lines[:next((i for i, ln in enumerate(lines) if not ln.startswith("\t")),
                                              len(lines))])
    scripts = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py"))
    missing = [s for s in scripts if f"/{s}" not in recipe]
    assert not missing, f"make {target} does not run {missing}"


GLOSSARY_TERMS = ["found child", "missing child", "report", "family", "relative", "reference", "donor", "sample",
                  "profile", "genotype", "marker", "allele", "candidate", "search hit", "evidence", "cohort",
                  "likelihood ratio", "inconsistency", "pattern", "set-aside family"]


def test_the_glossary_has_an_entry_with_its_word_and_its_forbidden_words_for_each_concept():
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    entries = {e.split("**", 1)[0]: e for e in text.split("\n**")[1:]}
    for term in GLOSSARY_TERMS:
        assert term in entries, f"docs/glossary.md has no entry **{term}**"
        assert "Not:" in entries[term] and ("Word:" in entries[term] or "not a Reunite word" in entries[term]), term
