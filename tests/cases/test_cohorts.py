"""Cohorts in the store: importing them, reports' other children, and the stored joint solution
(equal to :func:`reunite.genetics.cohort.solve_cohort` on the same data), on both backends."""

from __future__ import annotations

import csv
import json
import math

import pytest
from sqlalchemy import select

from reunite.cases import import_families, import_found, import_profiles, import_reports
from reunite.cases.audit import verify_audit
from reunite.cases.cohorts import (
    add_cohort,
    cohort_input,
    format_other_children,
    get_cohort,
    parse_other_children,
    solution_is_current,
    solve_stored_cohort,
)
from reunite.cases.models import AuditEntry, Candidate, Cohort, FoundChild, MissingReport
from reunite.cases.settings import MatchingSettings
from reunite.cli import main
from reunite.errors import InputError
from reunite.genetics.cohort import load_cohort, simulate_cohort, solve_cohort

from .helpers import FOUND, REPORTS, snapshot, write

TABLE = "nist1036_us_asian"
FEW = ["D3S1358", "vWA", "FGA", "D8S1179", "D21S11", "D18S51", "TH01", "D13S317", "D16S539", "D2S1338",
       "CSF1PO", "TPOX"]
SETTINGS = MatchingSettings(frequencies=TABLE, mutation=None)


def _csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def store_simulated(session, tmp_path, spec: dict, code: str = "RESCUE-1") -> None:
    """Write a simulated cohort (one missing child per family) into the store through the imports."""
    found = [(c["id"], c["sex"], 12 if c["birth_year"] == 2013 else 3, "2014-06-01", "Kunming", f"{c['id']}-DNA",
              code) for c in spec["found"]]
    reports, fams = [], []
    for f in spec["families"]:
        (missing,) = f["missing"]
        sex = next(p["sex"] for p in f["pedigree"] if p["id"] == missing)
        others = f.get("other_children")
        cell = "" if others is None else ("none" if not others else "; ".join(
            f"{o['sex'] or 'unknown'} {o['birth_year']}" for o in others))
        reports.append((f["id"], sex, cell))
        for p in f["pedigree"]:
            sample = f"{p['id']}-DNA" if p["id"] in spec["genotypes"] else ""
            fams.append((f["id"], p["id"], p["father"] or "", p["mother"] or "", p["sex"], sample,
                         int(p["id"] == missing)))
    profiles = [(f"{pid}-DNA", m, *g) for pid, prof in spec["genotypes"].items() for m, g in prof.items()]
    profiles += [(f"{c['id']}-DNA", m, *g) for c in spec["found"] for m, g in c["genotypes"].items()]
    import_reports(session, _csv(tmp_path / "r.csv", ["report_number", "sex", "other_children"], reports))
    import_found(session, _csv(tmp_path / "f.csv", ["case_number", "sex", "age_months", "found_on", "found_place",
                                                    "sample", "cohort"], found))
    import_profiles(session, _csv(tmp_path / "p.csv", ["sample", "marker", "allele1", "allele2"], profiles),
                    lab="lab")
    import_families(session, _csv(tmp_path / "fam.csv", ["family", "id", "father", "mother", "sex", "sample",
                                                         "missing"], fams))


def renamed(spec: dict) -> dict:
    """The simulated spec with the store's ids: members ``REPORT/MEMBER``."""
    out = json.loads(json.dumps(spec))
    genotypes = {}
    for f in out["families"]:
        pre = f["id"] + "/"
        for p in f["pedigree"]:
            if p["id"] in spec["genotypes"]:
                genotypes[pre + p["id"]] = spec["genotypes"][p["id"]]
            p["id"] = pre + p["id"]
            p["father"] = pre + p["father"] if p["father"] else None
            p["mother"] = pre + p["mother"] if p["mother"] else None
        f["missing"] = [pre + m for m in f["missing"]]
    out["genotypes"] = genotypes
    out["id"] = "RESCUE-1"
    return out


def close(a, b, path="") -> None:
    """Nested equality, floats to 1e-12 relative."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, path
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300), (path, a, b)
    elif isinstance(a, dict):
        assert set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


@pytest.fixture
def simulated():
    spec, truth = simulate_cohort(TABLE, 5, 6, seed=11, markers=FEW, two_missing=0.0, unreported=1, listed=0.5)
    return spec, truth


def test_the_stored_solution_is_solve_cohort_on_the_same_data(session, tmp_path, simulated):
    spec, _truth = simulated
    store_simulated(session, tmp_path, spec)
    sol = solve_stored_cohort(session, "RESCUE-1", settings=SETTINGS, user="lab")
    expected = json.loads(json.dumps(solve_cohort(load_cohort(renamed(spec))).as_dict()))
    got = dict(sol.result)
    assert got.pop("store") == {"cohort": "RESCUE-1", "untyped_children": [],
                                "families": sorted(f["id"] for f in spec["families"])}
    for key in ("pairwise", "assignments", "conclusions", "found_relatives", "search"):
        close(got[key], expected[key], key)
    assert got["assumptions"]["frequencies"] == TABLE and got["assumptions"]["mutation"] == "none"
    # The provenance, as a candidate keeps it.
    assert sol.frequencies == TABLE and len(sol.frequencies_sha256) == 64 and sol.mutation_model is None
    assert sol.rules["threshold"] == 1e4 and sol.software_version and sol.solved_by == "lab"
    assert solution_is_current(session, sol, settings=SETTINGS)
    # The family that lists its other children is the one the unreported-sibling rule can rely on.
    listed = {f["id"] for f in spec["families"] if "other_children" in f}
    reps = session.scalars(select(MissingReport)).all()
    assert {r.report_number for r in reps if r.other_children_listed} == listed


def test_a_report_closed_by_a_confirmation_stays_in_its_childs_cohort(session, tmp_path, simulated):
    """A confirmation closes the report (cases.workflow); the cohort still weighs that family, or the
    confirmed child would come out excluded from every family.  A report closed otherwise is left out."""
    spec, _truth = simulated
    store_simulated(session, tmp_path, spec)
    reports = {r.report_number: r for r in session.scalars(select(MissingReport))}
    child = session.scalars(select(FoundChild).where(FoundChild.cohort_id.is_not(None))).first()
    first, second = sorted(reports)[:2]
    session.add(Candidate(found_child_id=child.id, report_id=reports[first].id, status="confirmed"))
    reports[first].status = reports[second].status = "closed"
    session.commit()
    sol = solve_stored_cohort(session, "RESCUE-1", settings=SETTINGS, user="lab")
    families = sol.result["store"]["families"]
    assert first in families and second not in families
    assert families == sorted(set(reports) - {second})


def test_solving_is_audited_without_names_or_genotypes(session, tmp_path, simulated):
    spec, _ = simulated
    store_simulated(session, tmp_path, spec)
    solve_stored_cohort(session, "RESCUE-1", settings=SETTINGS, user="lab")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cohort.solve")).one()
    assert entry.entity_id == "RESCUE-1" and entry.actor == "lab"
    details = json.loads(entry.details)
    assert set(details) == {"solution", "found_children", "untyped_children", "families", "conclusions",
                            "frequencies_sha256", "mutation", "seconds"}
    assert details["found_children"] == 6 and details["families"] == 5
    text = entry.details
    for prof in [*spec["genotypes"].values(), *(c["genotypes"] for c in spec["found"])]:
        for marker in prof:
            assert marker not in text
    assert verify_audit(session) is None


def test_the_solution_goes_stale_when_the_data_change(session, tmp_path, simulated):
    spec, _ = simulated
    store_simulated(session, tmp_path, spec)
    sol = solve_stored_cohort(session, "RESCUE-1", settings=SETTINGS, user="lab")
    rep = session.scalars(select(MissingReport).where(MissingReport.other_children_listed.is_(False))).first()
    import_reports(session, write(tmp_path / "o.csv", f"report_number,other_children\n{rep.report_number},none\n"))
    assert not solution_is_current(session, sol, settings=SETTINGS)
    sol2 = solve_stored_cohort(session, "RESCUE-1", settings=SETTINGS, user="lab")
    assert solution_is_current(session, sol2, settings=SETTINGS)
    assert [s.id for s in get_cohort(session, "RESCUE-1").solutions] == [sol.id, sol2.id]
    # Another mutation model is another computation.
    assert not solution_is_current(session, sol2, settings=MatchingSettings(frequencies=TABLE))


def test_children_without_dna_are_listed_not_solved(session, files, tmp_path):
    import_reports(session, files["reports"])
    import_profiles(session, files["profiles"], lab="lab")
    import_families(session, files["families"])
    found = FOUND.replace("sample\n", "sample,cohort\n").replace(",S-C1\n", ",S-C1,KM-RESCUE\n") \
        .replace(",S-C2\n", ",S-C2,KM-RESCUE\n").replace(",S-C3\n", ",S-C3,\n")
    import_found(session, write(tmp_path / "found.csv", found))
    sol = solve_stored_cohort(session, "KM-RESCUE", settings=SETTINGS, user="inv")
    assert sol.result["store"]["untyped_children"] == ["KM-002"]      # S-C2 has no profile
    assert [c["found"] for c in sol.result["conclusions"]] == ["KM-001"]
    assert sol.result["store"]["families"] == ["R-1"]                 # R-2's relatives are untyped
    add_cohort(session, "EMPTY-1", user="inv", children=["KM-002"])
    with pytest.raises(InputError, match="no found child in it has a DNA profile"):
        solve_stored_cohort(session, "EMPTY-1", settings=SETTINGS, user="inv")
    with pytest.raises(InputError, match="no cohort 'NOPE'"):
        solve_stored_cohort(session, "NOPE", settings=SETTINGS, user="inv")
    # Markers outside the table are left out; the child's Amelogenin stays (it gives the sex).
    inp = cohort_input(session, "KM-RESCUE", settings=SETTINGS)
    assert set(inp.spec["found"][0]["genotypes"]) == {"D3S1358", "VWA", "TH01", "AMEL"}


# ------------------------------------------------------------------------------------ import


def test_the_cohort_column_creates_and_fills_cohorts(session, tmp_path):
    found = FOUND.replace("sample\n", "sample,cohort\n").replace(",S-C1\n", ",S-C1,KM-RESCUE\n") \
        .replace(",S-C2\n", ",S-C2,KM-RESCUE\n").replace(",S-C3\n", ",S-C3,\n")
    res = import_found(session, write(tmp_path / "found.csv", found), user="inv")
    assert res.added == 3 and res.notes["cohorts_added"] == 1
    c = session.scalars(select(Cohort)).one()
    assert (c.code, str(c.rescued_on), c.place, c.created_by) == ("KM-RESCUE", "2014-02-20", "Kunming", "inv")
    assert [k.case_number for k in c.children] == ["KM-001", "KM-002"]
    again = import_found(session, write(tmp_path / "found.csv", found), user="inv")
    assert (again.unchanged, again.notes["cohorts_added"]) == (3, 0)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import.found_children")
                            .order_by(AuditEntry.id)).first()
    assert json.loads(entry.details)["cohorts_added"] == 1
    # An empty cell takes the child out; a file without the column leaves it as stored.
    out = found.replace(",S-C2,KM-RESCUE\n", ",S-C2,\n")
    assert import_found(session, write(tmp_path / "found.csv", out)).updated == 1
    import_found(session, write(tmp_path / "plain.csv", FOUND))
    session.expire_all()
    assert [k.case_number for k in get_cohort(session, "KM-RESCUE").children] == ["KM-001"]


def test_bad_cohort_codes_are_named_and_nothing_is_written(session, tmp_path):
    before = snapshot(session)
    found = FOUND.replace("sample\n", "sample,cohort\n").replace(",S-C1\n", ",S-C1,KM RESCUE/1\n") \
        .replace(",S-C2\n", ",S-C2,OK-1\n").replace(",S-C3\n", f",S-C3,{'x' * 65}\n")
    with pytest.raises(InputError) as err:
        import_found(session, write(tmp_path / "found.csv", found))
    problems = err.value.problems
    assert [(p.line, p.field) for p in problems] == [(2, "cohort"), (4, "cohort"), (4, "cohort")]
    assert "'KM RESCUE/1' is not a cohort code" in problems[0].message
    assert snapshot(session) == before


def test_other_children_column(session, tmp_path):
    import_reports(session, write(tmp_path / "r.csv", REPORTS))
    text = ("report_number,other_children\nR-1,female 2008; male 2015\nR-2,none\nR-3,女2010，男\n")
    res = import_reports(session, write(tmp_path / "o.csv", text), user="inv")
    assert (res.updated, res.notes["other_children_listed"]) == (3, 3)
    reps = {r.report_number: r for r in session.scalars(select(MissingReport))}
    assert [(c.sex, c.birth_year) for c in reps["R-1"].other_children] == [("female", 2008), ("male", 2015)]
    assert reps["R-2"].other_children_listed and not reps["R-2"].other_children
    assert format_other_children(reps["R-3"]) == "female 2010; male"
    assert import_reports(session, write(tmp_path / "o.csv", text)).unchanged == 3
    # Only the list changes: the report is updated; an empty cell un-lists.
    res = import_reports(session, write(tmp_path / "o2.csv", "report_number,other_children\nR-1,female 2008\nR-2,\n"))
    assert (res.updated, res.unchanged) == (2, 0)
    session.expire_all()
    reps = {r.report_number: r for r in session.scalars(select(MissingReport))}
    assert format_other_children(reps["R-1"]) == "female 2008" and not reps["R-2"].other_children_listed


def test_bad_other_children_are_named_and_nothing_is_written(session, tmp_path):
    import_reports(session, write(tmp_path / "r.csv", REPORTS))
    before = snapshot(session)
    text = "report_number,other_children\nR-1,female 20x8\nR-2,alien 2008\nR-3,male 1850\n"
    with pytest.raises(InputError) as err:
        import_reports(session, write(tmp_path / "o.csv", text))
    got = [(p.line, p.field, p.message) for p in err.value.problems]
    assert [g[:2] for g in got] == [(2, "other_children"), (3, "other_children"), (4, "other_children")]
    assert "other child 1 ('alien 2008')" in got[1][2] and "1850 is not a birth year" in got[2][2]
    assert snapshot(session) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("", (False, [])), ("  ", (False, [])), ("none", (True, [])), ("无", (True, [])),
    ("female 2008; male 2015", (True, [("female", 2008), ("male", 2015)])),
    ("女2008，男孩2015年、2011", (True, [("female", 2008), ("male", 2015), ("unknown", 2011)])),
    ("F 2001, m", (True, [("female", 2001), ("male", None)])),
])
def test_parse_other_children(text, expected):
    assert parse_other_children(text, this_year=2026) == expected


@pytest.mark.parametrize("text", ["cat 2008", "female 2008 male", "2030", "1899", "female 12"])
def test_parse_other_children_refuses(text):
    with pytest.raises(ValueError, match="other child 1"):
        parse_other_children(text, this_year=2026)


def test_add_cohort_names_its_problems(session, files):
    import_found(session, files["found"])
    with pytest.raises(InputError) as err:
        add_cohort(session, "bad code", user="inv", children=["KM-001", "KM-404"])
    assert {p.field for p in err.value.problems} == {"code", "children"}
    c = add_cohort(session, "KM-R", user="inv", title="Kunming raid", children=["KM-001", "KM-003"])
    assert [k.case_number for k in c.children] == ["KM-001", "KM-003"] and c.title == "Kunming raid"
    assert session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "cohort")).all() == ["cohort.add"]


# ---------------------------------------------------------------------------------- migration


def test_migration_0007_keeps_the_data_both_ways(db_url, tmp_path):
    """Up from 0006 with found children, photos' owners, candidates, reviews and pedigrees stored: nothing
    is lost (on SQLite the batch copies of found_children and missing_reports must not cascade);
    down again: the rows are kept, the new tables gone."""
    from sqlalchemy import inspect, text

    from reunite.cases import db as store

    store.upgrade(db_url, "0006")
    eng = store.make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at, disabled) VALUES "
                          "(1, 'u', 'investigator', '2014-01-15', false)"))
        conn.execute(text("INSERT INTO found_children (id, case_number, sex, created_at, updated_at) "
                          "VALUES (1, 'KM-1', 'male', '2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO missing_reports (id, report_number, sex, multiple_missing, suspected_of_sale, "
                          "status, created_at, updated_at) VALUES (1, 'R-1', 'male', false, false, 'open', "
                          "'2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO pedigree_members (id, report_id, member_id, sex, missing) VALUES "
                          "(1, 1, 'C', 'male', true)"))
        conn.execute(text("INSERT INTO candidates (id, found_child_id, report_id, status, dna_withdrawn, dna_excluded, "
                          "created_at, updated_at) VALUES (1, 1, 1, 'new', false, false, '2014-01-15', '2014-01-15')"))
        conn.execute(text("INSERT INTO reviews (id, candidate_id, from_status, to_status, user_id, reason, at) "
                          "VALUES (1, 1, 'new', 'under_review', 1, 'x', '2014-01-16')"))
    counts = ("found_children", "missing_reports", "pedigree_members", "candidates", "reviews")

    def n(table):
        with eng.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()

    store.upgrade(db_url, "0007")
    assert store.current_revision(db_url) == "0007"
    assert [n(t) for t in counts] == [1] * 5
    with eng.begin() as conn:
        assert conn.execute(text("SELECT cohort_id FROM found_children")).scalar_one() is None
        assert not conn.execute(text("SELECT other_children_listed FROM missing_reports")).scalar_one()
        conn.execute(text("INSERT INTO cohorts (id, code, created_by, created_at, updated_at) VALUES "
                          "(1, 'C-1', 'u', '2014-01-15', '2014-01-15')"))
        conn.execute(text("UPDATE found_children SET cohort_id = 1"))
        conn.execute(text("INSERT INTO report_other_children (report_id, sex, birth_year) VALUES (1, 'female', 2008)"))
    store.downgrade(db_url, "0006")
    store.dispose_engines()
    eng = store.make_engine(db_url)
    assert not {"cohorts", "cohort_solutions", "report_other_children"} & set(inspect(eng).get_table_names())
    assert "cohort_id" not in {c["name"] for c in inspect(eng).get_columns("found_children")}
    assert [n(t) for t in counts] == [1] * 5


# -------------------------------------------------------------------------------------- CLI


def test_cli_add_list_solve_show(session, url, tmp_path, simulated, monkeypatch, capsys):
    spec, _ = simulated
    store_simulated(session, tmp_path, spec)
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    monkeypatch.setenv("REUNITE_MUTATION", "none")
    monkeypatch.setenv("REUNITE_USER", "cli-analyst")

    def run(*argv):
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("cohort", "add", "RESCUE-1", "--title", "Kunming raid", "--rescued-on", "2014-06-01")
    assert code == 0 and "cohort RESCUE-1: 6 found children" in out
    code, out, _ = run("cohort", "show", "RESCUE-1")
    assert code == 0 and "not solved yet" in out
    code, out, _ = run("cohort", "solve-stored", "RESCUE-1", "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["conclusions"]) == 6 and data["solution"]["solved_by"] == "cli-analyst"
    assert data["solution"]["current"] is True and data["solution"]["mutation_model"] is None
    code, out, _ = run("cohort", "show", "RESCUE-1", "--lang", "zh")
    assert code == 0 and "结论" in out and "计算于" in out
    code, out, _ = run("cohort", "list")
    assert code == 0 and "RESCUE-1" in out and "2014-06-01" in out
    code, _, err = run("cohort", "solve-stored", "NOPE")
    assert code == 2 and "no cohort 'NOPE'" in err
    code, _, err = run("cohort", "add", "bad code")
    assert code == 2 and "not a cohort code" in err
