"""A file's problems come all at once, from every stage of the check (header, cells, the rows
against each other, the rows against the store), never in rounds; and nothing is imported."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reunite.cases import add_user, import_families, import_found, import_profiles, import_reports
from reunite.cases.models import DnaSample, FoundChild, MissingReport
from reunite.errors import InputError

from .helpers import write


def problems_of(fn, *args, **kw) -> set[tuple[int | None, str | None]]:
    with pytest.raises(InputError) as exc:
        fn(*args, **kw)
    return {(p.line, p.field) for p in exc.value.problems}


def test_found_children_header_and_rows_together(session, tmp_path):
    f = write(tmp_path / "found.csv", """\
        case_number,sex,found_on,foundplace
        KM-1,male,2014-13-01,Kunming
        KM-1,female,2014-02-20,Kunming
        KM-3,robot,2014-02-20,Kunming
        """)
    got = problems_of(import_found, session, f)
    # the misspelt column (line 1), the bad date (2), the repeated case number (3), the bad sex (4)
    assert {(1, "foundplace"), (2, "found_on"), (3, "case_number"), (4, "sex")} <= got
    assert session.scalar(select(func.count()).select_from(FoundChild)) == 0


def test_reports_header_and_rows_together(session, tmp_path):
    f = write(tmp_path / "reports.csv", """\
        report_number,child_name,sex,date_of_birth,disappeared_on,report_number
        R-1,Li Ming,male,2013-06-01,2013-01-01,R-1
        R-2,Wang Fang,female,not a date,2013-10-01,R-2
        """)
    got = problems_of(import_reports, session, f)
    assert {(1, "report_number"), (2, "disappeared_on"), (3, "date_of_birth")} <= got
    assert session.scalar(select(func.count()).select_from(MissingReport)) == 0


def test_profiles_reader_metadata_and_store_together(session, tmp_path):
    write(tmp_path / "first.csv", "sample,marker,allele1,allele2\nS-9,D3S1358,15,16\n")
    import_profiles(session, tmp_path / "first.csv", lab="Lab A")
    f = write(tmp_path / "profiles.csv", """\
        sample,marker,allele1,allele2,typed_on
        S-1,D3S1358,15,banana,2014-03-01
        S-1,vWA,17,18,2014-03-02
        S-9,vWA,17,18,
        """)
    got = problems_of(import_profiles, session, f, lab="Lab B")
    # a bad allele (the reader), two typing dates for one sample (its description), a sample of
    # another lab (the store)
    assert {(2, "allele2"), (3, "typed_on"), (4, "sample")} <= got
    assert session.scalar(select(func.count()).select_from(DnaSample)) == 1


def test_families_reader_and_store_together(session, tmp_path, files):
    import_reports(session, files["reports"])
    add_user(session, "lab", "lab_analyst")
    f = write(tmp_path / "families.csv", """\
        family,id,father,mother,sex,sample,missing,consent
        R-1,F,,,male,S-F1,0,maybe
        R-1,C,F,X,male,,1,
        R-77,M,,,female,S-M7,0,1
        R-77,C,,M,female,,1,
        """)
    got = problems_of(import_families, session, f)
    # consent that is not yes/no (line 2), an unknown mother (3), a family that is no stored report (4)
    assert {(2, "consent"), (3, "mother"), (4, "family")} <= got


def test_a_file_with_thousands_of_problems_reports_them_all(session, tmp_path):
    rows = "\n".join(f"KM-{i},robot" for i in range(3000))
    f = write(tmp_path / "found.csv", "case_number,sex\n" + rows + "\n")
    with pytest.raises(InputError) as exc:
        import_found(session, f)
    assert len(exc.value.problems) == 3000
