"""Privacy on disk and in logs: NUL in imports refused by file, line and field without the value."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from reunite.cases import import_reports
from reunite.cases.models import MissingReport
from reunite.cli import main
from reunite.errors import InputError

from .helpers import REPORTS, write

SECRET = "Li Ming"


def nul_reports(tmp_path):
    return write(tmp_path / "reports.csv", REPORTS.replace(f"R-1,{SECRET},", f"R-1,{SECRET}\x00,"))


def test_a_nul_in_an_import_is_refused_by_file_line_and_field(session, tmp_path):
    with pytest.raises(InputError) as info:
        import_reports(session, nul_reports(tmp_path), user="inv")
    [p] = info.value.problems
    assert (p.line, p.field) == (2, "child_name") and p.file.endswith("reports.csv")
    assert "NUL" in p.message and SECRET not in str(info.value)
    assert session.scalar(select(func.count()).select_from(MissingReport)) == 0


def test_the_cli_import_names_the_field_and_prints_no_personal_data(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_USER", "cli-officer")
    code = main(["import", "reports", str(nul_reports(tmp_path))])
    out, err = capsys.readouterr()
    assert code == 2
    assert "line 2" in err and "child_name" in err and "NUL" in err
    assert SECRET not in out + err and "Traceback" not in out + err and "Li Wei" not in out + err


def test_database_errors_carry_no_submitted_values(url):
    from sqlalchemy.exc import DBAPIError, StatementError

    from reunite.cases import db as store

    eng = store.make_engine(url)
    with pytest.raises((DBAPIError, StatementError)) as info, eng.connect() as conn:
        conn.exec_driver_sql("SELECT * FROM no_such_table WHERE x = %s" if eng.dialect.name == "postgresql"
                             else "SELECT * FROM no_such_table WHERE x = ?", (SECRET,))
    assert SECRET not in str(info.value)


# ------------------------------------------------------------------ consent withdrawal, everywhere


@pytest.fixture
def loaded(session, tmp_path):
    from reunite.cases.importing import import_families, import_found, import_profiles
    from reunite.cases.matching import run_matching
    from reunite.kunming import build_demo, write_demo_files

    data = build_demo(11)
    keep = {r for r in data.truth.values() if r}
    data.reports = [r for r in data.reports if r["report_number"] in keep]
    data.families = [f for f in data.families if f["family"] in keep]
    samples = {f["sample"] for f in data.families if f["sample"]} | {c["sample"] for c in data.found}
    data.profiles = [p for p in data.profiles if p[0] in samples]
    paths = write_demo_files(data, tmp_path / "in")  # the lab's files: not the store's
    import_reports(session, paths["reports"], user="t")
    import_found(session, paths["found"], user="t")
    import_profiles(session, paths["profiles"], lab="lab", user="t")
    import_families(session, paths["families"], user="t")
    run_matching(session, index_dir=tmp_path / "store" / "index")
    return data


def owned_files(root):
    """Every file under the store's directories (the database file, its journal, the index, the
    reports and exports), as bytes by path."""
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "in" not in p.relative_to(root).parts}


def test_withdrawal_removes_the_genotype_from_index_reports_exports_and_the_database_file(session, loaded, tmp_path,
                                                                                         url):
    from sqlalchemy import text

    from reunite.cases.export import export_table
    from reunite.cases.models import AuditEntry, Candidate, DnaSample, Relative, WithdrawalReason, WrittenFile
    from reunite.cases.records import withdraw_consent
    from reunite.reports.store import write_candidate_report

    store_dir = tmp_path / "store"
    best = max((c for c in session.scalars(select(Candidate)) if c.dna_log10_lr is not None),
               key=lambda c: c.dna_log10_lr)
    number = best.report.report_number
    typed = [d for d in session.scalars(select(Relative).where(Relative.report_id == best.report_id)) if d.sample]
    report_file = write_candidate_report(session, best.id, store_dir / "reports", fmt="html", user="lab")
    export_file = store_dir / "exports" / "dna_samples.csv"
    export_file.parent.mkdir(parents=True)
    export_table(session, "dna_samples", "csv", export_file, user="lab")
    # The genotypes exactly as the database holds them: the text to grep every file for.
    stored = [session.execute(text("SELECT CAST(genotypes AS TEXT) FROM dna_samples WHERE sample = :s"),
                              {"s": d.sample}).scalar_one() for d in typed]
    texts = set(stored)
    for g in stored:  # and as an export or a report may write them
        obj = json.loads(g)
        texts |= {json.dumps(obj, sort_keys=k, separators=sep) for k in (False, True) for sep in ((",", ":"), None)}
    needles = [t.encode("utf-8") for t in texts] + [t.replace('"', '""').encode("utf-8") for t in texts]
    before = owned_files(tmp_path)
    assert any(n in data for data in before.values() for n in needles)  # the grep finds them today
    assert (store_dir / "index" / "meta.json").exists() and report_file.exists()
    with_index = {p.name for p in (store_dir / "index").iterdir()}
    assert with_index

    reason = "she moved away, call her son on +86 138 0013 8000"
    for d in typed:
        done = withdraw_consent(session, number, d.member_id, user="officer", reason=reason,
                                index_dir=store_dir / "index")
        assert done["sample"] == d.sample
    session.commit()
    session.close()
    if url.startswith("sqlite"):
        from reunite.cases import db as store

        store.dispose_engines()

    after = owned_files(tmp_path)
    holding = [str(p) for p, data in after.items() if any(n in data for n in needles)]
    assert holding == []
    assert not report_file.exists() and not export_file.exists()
    assert not list((store_dir / "index").glob("*.npy")) and not (store_dir / "index" / "meta.json").exists()
    from sqlalchemy.orm import sessionmaker

    from reunite.cases import db as store

    with sessionmaker(store.make_engine(url))() as s:
        assert s.scalars(select(WrittenFile)).all() == []
        for d in typed:
            assert s.scalars(select(DnaSample).where(DnaSample.sample == d.sample)).one().genotypes == {}
        # The reason is kept for investigators, never in the audit log.
        assert {r.reason for r in s.scalars(select(WithdrawalReason))} == {reason}
        audit = " ".join(e.details for e in s.scalars(select(AuditEntry)))
        assert "0013" not in audit and "her son" not in audit
    # The next matching rebuilds the index without the withdrawn relatives.
    from reunite.cases.matching import run_matching

    with sessionmaker(store.make_engine(url))() as s:
        run_matching(s, index_dir=store_dir / "index")
        s.commit()
    assert (store_dir / "index" / "meta.json").exists()
    assert not [str(p) for p, data in owned_files(tmp_path).items() if any(n in data for n in needles)]


def test_withdrawal_erases_an_index_saved_elsewhere_than_reunite_index_dir(session, loaded, tmp_path, monkeypatch):
    """The demo (and a server started with another REUNITE_INDEX_DIR) save the index to their own folder;
    an operator's withdrawal, run without that setting, erased only ./reunite-index and left the family's
    alleles searchable in the other folder."""
    from reunite.cases.models import Relative, WrittenFile
    from reunite.cases.privacy import planned_erasure
    from reunite.cases.records import withdraw_consent

    saved = tmp_path / "store" / "index"
    assert (saved / "meta.json").exists()
    assert [w.path for w in session.scalars(select(WrittenFile).where(WrittenFile.kind == "index"))] == [
        str(saved.resolve())]
    monkeypatch.setenv("REUNITE_INDEX_DIR", str(tmp_path / "elsewhere"))   # what the operator's shell says
    rel = next(d for d in session.scalars(select(Relative)) if d.sample)
    number = rel.report.report_number
    assert planned_erasure(session, number).index_files == len(list(saved.iterdir()))
    done = withdraw_consent(session, number, rel.member_id, user="officer", reason="moved away")
    session.commit()
    assert done["index_files"] > 0
    assert not (saved / "meta.json").exists() and not list(saved.glob("*.npy"))
    assert not (saved / "family_ids.txt").exists()
