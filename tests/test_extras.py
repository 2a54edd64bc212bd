"""Optional extras: Dask (``reunite[batch]``) is needed only by the batch search, and says so."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from reunite.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_dask(monkeypatch):
    """Dask as if it were not installed: importing it raises ImportError."""
    for name in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)


def test_dask_is_the_batch_extra_and_the_tests_install_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {d.split(">")[0].split("[")[0].strip() for d in project["dependencies"]}
    assert not names & {"dask", "distributed", "playwright"}
    extras = project["optional-dependencies"]
    assert {d.split(">")[0] for d in extras["batch"]} == {"dask", "distributed"}
    assert "reunite[batch]" in extras["test"] and any(d.startswith("playwright") for d in extras["test"])


def test_the_search_imports_without_dask():
    code = ("import sys, reunite.search, reunite.search.batch, reunite.cli\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_batch_search_without_dask_gives_the_install_hint(no_dask, tmp_path):
    from reunite.search.batch import batch_search

    with pytest.raises(ImportError, match=r"pip install 'reunite\[batch\]'"):
        batch_search(tmp_path, {})


def test_search_batch_command_without_dask_gives_the_install_hint(no_dask, tmp_path, capsys):
    profiles = tmp_path / "profiles.csv"
    profiles.write_text("sample,marker,allele1,allele2\nC1,TH01,6,9.3\n", encoding="utf-8")
    code = main(["search", "batch", "--index", str(tmp_path / "idx"), "--profiles", str(profiles),
                 "--out", str(tmp_path / "out.parquet")])
    assert code == 2
    assert "pip install 'reunite[batch]'" in capsys.readouterr().err
