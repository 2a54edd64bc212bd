"""Every case-store command end to end through ``reunite.cli.main``, on both backends."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import text

from reunite.cases import db as store
from reunite.cases import record_candidate
from reunite.cli import main

from .helpers import write


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REUNITE_USER", "cli-officer")
    monkeypatch.setenv("REUNITE_MEDIA_DIR", str(tmp_path / "media"))

    def _run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def cli_url(url, monkeypatch):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    return url


def test_end_to_end(cli_url, run, files, tmp_path):
    assert run("users", "add", "Inspector Chen", "--role", "investigator")[0] == 0
    code, out, _ = run("import", "found", files["found"], "--no-match")
    assert code == 0 and "found_children from found_children.csv: 3 added" in out
    assert run("import", "reports", files["reports"], "--no-match")[0] == 0
    code, out, _ = run("import", "profiles", files["profiles"], "--no-match", "--lab", "Kunming lab",
                          "--kit", "GlobalFiler",
                       "--date", "2014-03-01")
    assert code == 0 and "3 added" in out and "lab Kunming lab" in out
    code, out, _ = run("import", "families", files["families"], "--no-match")
    assert code == 0 and "2 added" in out and "samples awaiting profiles 1" in out
    code, out, _ = run("import", "found", files["found"], "--no-match")
    assert code == 0 and "0 added, 0 updated, 3 unchanged" in out

    with store.open_session(cli_url) as s:
        record_candidate(s, "KM-001", "R-1", dna_log10_lr=6.3, sex_lr=1.9, prior=1 / 3, inconsistent_markers=0,
                         markers_compared=3)
        record_candidate(s, "KM-002", "R-2", dna_log10_lr=-2.0, prior=1 / 3)
        s.commit()

    code, out, _ = run("candidates", "list")
    assert code == 0 and out.index("KM-001") < out.index("KM-002") and "6.30" in out
    code, out, _ = run("candidates", "list", "--status", "under_review")
    assert code == 0 and "no candidates with status under_review" in out
    code, out, _ = run("candidates", "list", "--json")
    assert [json.loads(line)["case_number"] for line in out.splitlines()] == ["KM-001", "KM-002"]

    code, out, _ = run("review", "1", "--to", "under_review", "--reason", "DNA LR above 10^6", "--user",
                       "Inspector Chen")
    assert code == 0 and "candidate 1: new -> under_review" in out
    code, _, err = run("review", "1", "--to", "confirmed", "--reason", "sure", "--user", "Inspector Chen",
                       "--outcome", "reunited")
    assert code == 2 and "error: field 'to': candidate 1 is under_review; it can move to" in err
    code, out, _ = run("candidates", "show", "1")
    assert code == 0 and "found child KM-001 × report R-1" in out and "log10 6.300" in out
    assert "new -> under_review  by Inspector Chen: DNA LR above 10^6" in out
    assert "may move to        confirmation_requested, excluded" in out

    out_csv = tmp_path / "found.csv"
    code, out, _ = run("export", "found_children", "--format", "csv", "--out", out_csv)
    assert code == 0 and "3 rows of found_children written" in out
    assert out_csv.read_text().startswith("id,case_number,")
    code, out, _ = run("export", "candidates", "--format", "json")
    assert code == 0 and [c["status"] for c in json.loads(out)] == ["under_review", "new"]

    code, out, _ = run("audit", "verify")
    assert code == 0 and "audit log verifies" in out
    with store.make_engine(cli_url).begin() as conn:
        conn.execute(text("UPDATE audit_log SET details = '{}' WHERE id = 2"))
    code, _, err = run("audit", "verify")
    assert code == 1 and "error: audit entry 2" in err


def test_input_errors_print_every_problem_and_exit_2(cli_url, run, tmp_path):
    bad = write(tmp_path / "found.csv", "case_number,sex,age_months\nKM-1,boy,8\nKM-2,male,old\n")
    code, out, err = run("import", "found", bad)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {bad}, line 2, field 'sex': 'boy' is not a sex; write male, female or unknown (or M, F, U)",
        f"error: {bad}, line 3, field 'age_months': 'old' is not a number",
    ]
    assert run("import", "profiles", bad, "--lab", "x", "--date", "yesterday")[0] == 2
    code, _, err = run("export", "nothing")
    assert code == 2 and "there is no table 'nothing'" in err
    code, _, err = run("candidates", "show", "42")
    assert code == 2 and "there is no candidate 42" in err
    code, _, err = run("candidates", "list", "--status", "maybe")
    assert code == 2 and "not one of" in err
    code, _, err = run("users", "add", "x", "--role", "king")
    assert code == 2 and "role 'king'" in err


def test_photos_and_users(cli_url, run, files, tmp_path):
    run("import", "found", files["found"], "--no-match")
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 20, 30)).save(buf, "PNG")
    (tmp_path / "baby.png").write_bytes(buf.getvalue())
    code, out, _ = run("photos", "add", tmp_path / "baby.png", "--child", "KM-002")
    assert code == 0 and "32×24 image/png" in out
    (tmp_path / "fake.png").write_bytes(b"GIF89a nope")
    code, _, err = run("photos", "add", tmp_path / "fake.png", "--child", "KM-002")
    assert code == 2 and "is not an image" in err
    run("users", "add", "Dr Liu", "--role", "lab_analyst")
    code, out, _ = run("users", "list")
    assert code == 0 and "Dr Liu" in out and "lab_analyst" in out


def test_a_new_database_is_created_and_upgraded(db_url, run, monkeypatch, files):
    monkeypatch.setenv("REUNITE_DATABASE_URL", db_url)
    code, out, _ = run("db", "upgrade")
    assert code == 0 and f"database at revision {store.head_revision()}" in out
    code, out, _ = run("db", "status")
    assert code == 0 and "found_children" in out


def test_the_default_store_is_reunite_db_in_the_working_directory(run, monkeypatch, tmp_path, files):
    monkeypatch.delenv("REUNITE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    try:
        assert run("import", "found", files["found"], "--no-match")[0] == 0
    finally:
        store.dispose_engines()
    assert (tmp_path / "reunite.db").exists()


def test_help_documents_the_commands(run):
    code, out, _ = run("import", "--help")
    assert code == 0 and all(c in out for c in ("profiles", "families", "found", "reports"))
    code, out, _ = run("review", "--help")
    assert code == 0 and "--outcome" in out and "referred_for_investigation" in out


def test_cli_imports_go_into_the_history(cli_url, run, files, tmp_path):
    """``reunite import`` records each import's end in the store's history, as the web's jobs do."""
    from reunite.cases.import_history import import_history

    assert run("import", "found", files["found"], "--no-match")[0] == 0
    bad = write(tmp_path / "bad.csv", "case_number,sex\nKM-9,robot\nKM-8,robot\n")
    assert run("import", "found", bad, "--no-match")[0] == 2
    with store.open_session(cli_url) as s:
        runs = import_history(s).runs
    assert [(r.kind, r.file_name, r.outcome, r.added, r.problems, r.user) for r in runs] == [
        ("found", "bad.csv", "failed", 0, 2, "cli-officer"),
        ("found", "found_children.csv", "done", 3, 0, "cli-officer")]
