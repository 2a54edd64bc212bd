"""The reunite command end to end: kinship lr in its three forms, frequencies, errors, help."""

from __future__ import annotations

import json

import pytest

from reunite.cli import main
from shared_paths import SHARED

CASES = SHARED / "kinship-cases"


def test_kinship_lr_json_matches_golden(capsys):
    path = CASES / "K0133.json"
    assert main(["kinship", "lr", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = json.loads(path.read_text())["expected"]
    assert abs(out["log10_lr"] - want["log10_lr"]) < 1e-9
    assert set(out) >= {"lr", "log10_lr", "markers", "inconsistent_markers", "verbal"}
    for name, lr in want["markers"].items():
        assert out["markers"][name] == pytest.approx(lr, rel=1e-9)


def test_kinship_lr_directory_prints_one_line_per_case(capsys):
    assert main(["kinship", "lr", str(CASES)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(list(CASES.glob("*.json")))
    ids = {json.loads(line)["id"] for line in lines}
    assert "K0001" in ids and "K0135" in ids


def test_kinship_lr_text_is_readable(capsys):
    assert main(["kinship", "lr", str(CASES / "K0001.json")]) == 0
    out = capsys.readouterr().out
    assert "times more probable" in out
    assert "Verbal equivalent" in out and "extremely strong support" in out


def test_kinship_lr_bad_case_names_the_problem(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({
        "frequencies": "nist1036_us_asian", "mutation": None,
        "pedigree": [{"id": "F", "father": None, "mother": None, "sex": "female"},
                     {"id": "C", "father": "F", "mother": "X", "sex": "male"}],
        "genotypes": {}, "missing": "C", "found": {"TH01": ["6", "7"]}}))
    assert main(["kinship", "lr", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err
    assert "'X' is not in the pedigree" in err
    assert "must be male" in err


def test_unknown_marker_is_an_error_unless_skipped(tmp_path, capsys):
    case = json.loads((CASES / "K0001.json").read_text())
    case["found"]["D99S999"] = ["10", "11"]
    p = tmp_path / "c.json"
    p.write_text(json.dumps(case))
    assert main(["kinship", "lr", str(p)]) == 2
    assert "D99S999" in capsys.readouterr().err
    assert main(["kinship", "lr", str(p), "--json", "--skip-unknown-markers"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skipped_markers"] == ["D99S999"]
    assert abs(out["log10_lr"] - case["expected"]["log10_lr"]) < 1e-9


def test_kinship_lr_conclusion_under_the_rules_and_language(capsys):
    path = CASES / "K0001.json"   # a typed parent: GB/T 37223, CPI 4.85 × 10^7
    assert main(["kinship", "lr", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["relationship"] == "parentage_duo" and out["decision"] == "support"
    assert out["conclusion"]["rules"] == "gbt" and "GB/T 37223-2018" in out["conclusion"]["source"]
    assert main(["kinship", "lr", str(path), "--json", "--rules", "isfg"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["conclusion"]["rules"] == "isfg" and out["decision"] == "no_decision"
    assert main(["kinship", "lr", str(path), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "结论" in out and "支持" in out and "GB/T 37223-2018" in out and "倍" in out
    assert main(["kinship", "lr", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Decision           support" in out and "Rules              gbt: GB/T 37223-2018" in out
    assert main(["kinship", "lr", str(path), "--rules", "nfsi"]) == 2
    assert "'nfsi'" in capsys.readouterr().err
    assert main(["kinship", "lr", str(path), "--lang", "fr"]) == 2


def test_kinship_lr_beyond_1e_minus_300_is_shown_from_log10(tmp_path, capsys):
    """60 markers, each needing two mutations: log10 LR -318.4; JSON "lr" null, text 10^-319."""
    freqs = {f"D{i}": {str(a): 0.1 for a in range(10, 20)} for i in range(1, 61)}
    case = {"frequencies": freqs, "mutation": {"model": "equal", "rate": 0.002},
            "pedigree": [{"id": "FA", "sex": "male"}, {"id": "MO", "sex": "female"},
                         {"id": "C", "father": "FA", "mother": "MO"}],
            "genotypes": {"FA": {k: ["10", "10"] for k in freqs}, "MO": {k: ["11", "11"] for k in freqs}},
            "missing": "C", "found": {k: ["18", "19"] for k in freqs}}
    p = tmp_path / "far.json"
    p.write_text(json.dumps(case))
    assert main(["kinship", "lr", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lr"] is None and out["log10_lr"] < -300 and out["lr_text"] == "4.12 × 10^-319"
    assert out["conclusion"]["decision"] == "exclusion" and "LR 0" not in out["verbal"]
    assert main(["kinship", "lr", str(p)]) == 0
    out = capsys.readouterr().out
    assert "4.12 × 10^-319" in out and "(LR 0)" not in out


def test_frequencies_list_and_show(capsys):
    assert main(["frequencies", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("nist1036_us_asian", "norstr_east_asia", "ukdna17_chinese", "norwegian_forrel"):
        assert name in out
    assert main(["frequencies", "show", "nist1036_us_asian", "--marker", "vWA"]) == 0
    assert "17" in capsys.readouterr().out
    assert main(["frequencies", "show", "no_such_table"]) == 2


def test_help_lists_the_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "kinship" in out and "frequencies" in out


def test_demo_runs(capsys):
    from reunite.demo import main as demo

    demo()
    out = capsys.readouterr().out
    assert "found child A" in out and "found child B" in out
    assert "extremely strong support that the found person is the missing member" in out



# `reunite --help` lists the commands, then the groups, in the order reunite.cli registers them.
ROOT = ["guidance", "demo", "simulate", "export", "match", "review", "report", "serve", "kinship", "cohort",
        "lineage", "frequencies", "index", "search", "bench", "import", "convert", "consent", "audit", "candidates",
        "users", "labs", "photos", "appeals", "db", "network", "alerts", "evidence"]
SUBCOMMANDS = {"kinship": ["lr"], "lineage": ["y", "mt", "method"],
               "cohort": ["solve", "add", "list", "show", "solve-stored"],
               "frequencies": ["list", "show"],
               "index": ["build", "status", "found"],
               "search": ["batch"], "bench": ["search"],
               "import": ["profiles", "genemapper", "cmf", "mt", "fam", "ydb", "mtdb", "families", "found", "reports"],
               "convert": ["genemapper", "cmf", "familias", "to-familias", "to-pedtools", "to-cmf"],
               "consent": ["withdraw"], "audit": ["verify"], "candidates": ["list", "show"],
               "users": ["add", "disable", "list"], "labs": ["add", "list"], "photos": ["add", "strip-metadata"],
               "appeals": ["publish", "unpublish", "list", "poster", "press-kit", "verify"],
               "db": ["upgrade", "status"], "network": ["import", "chain", "unfound", "gaps", "brokers", "export"],
               "alerts": ["subscribe", "confirm", "unsubscribe", "send", "tick", "log"],
               "evidence": ["calibrate"]}


def _commands():
    from typer.main import get_command

    from reunite.cli import app

    root = get_command(app)
    return {name: root.get_command(None, name) for name in root.list_commands(None)}


def test_every_command_is_registered_in_the_order_of_the_help():
    cmds = _commands()
    assert list(cmds) == ROOT
    groups = {name: list(cmd.list_commands(None)) for name, cmd in cmds.items() if hasattr(cmd, "list_commands")}
    assert groups == SUBCOMMANDS


def test_every_command_has_help():
    cmds = _commands()
    missing = [name for name, cmd in cmds.items() if not (cmd.help or "").strip()]
    missing += [f"{name} {sub}" for name, cmd in cmds.items() if hasattr(cmd, "list_commands")
                for sub in cmd.list_commands(None) if not (cmd.get_command(None, sub).help or "").strip()]
    assert not missing, missing
