"""The candidate list's query (has_dna, the DNA LR subquery, the total order, pages) on SQLite and
PostgreSQL; the pages and the API are tested in tests/web/test_candidates_list.py."""

from __future__ import annotations

import pytest

from reunite.cases import import_found, import_reports, record_candidate
from reunite.cases.candidate_list import CandidateQuery, list_candidate_page, parse_candidate_query
from reunite.errors import InputError


def test_the_list_on_both_backends(session, files):
    """The query itself (has_dna, the DNA LR subquery, the order) on SQLite and PostgreSQL."""
    import_found(session, files["found"])
    import_reports(session, files["reports"])
    for case, report, ev in [("KM-001", "R-1", {"dna_log10_lr": 6.0}), ("KM-002", "R-2", {"sex_lr": 2.0}),
                             ("KM-003", "R-3", {"dna_log10_lr": 3.0})]:
        record_candidate(session, case, report, prior=0.1, **ev)
    session.commit()
    got = list_candidate_page(session, CandidateQuery(dna=None, per_page=2))
    assert ([c.found_child.case_number for c in got.items], got.total, got.pages) == (["KM-001", "KM-003"], 3, 2)
    assert [c.found_child.case_number for c in list_candidate_page(
        session, CandidateQuery(dna=None, per_page=2, page=2)).items] == ["KM-002"]
    assert list_candidate_page(session, CandidateQuery(min_log10_lr=4)).total == 1



def test_parsing_reports_every_problem_by_field():
    with pytest.raises(InputError) as exc:
        parse_candidate_query({"dna": "perhaps", "min_log10_lr": "9", "max_log10_lr": "2", "sort": "name",
                               "page": "-1", "colour": "red"})
    assert {p.field for p in exc.value.problems} == {"dna", "min_log10_lr", "sort", "page", "colour"}
    q = parse_candidate_query({"dna": "false", "min_log10_lr": " ", "suspected_of_sale": "yes", "per_page": "10"})
    assert (q.dna, q.min_log10_lr, q.suspected_of_sale, q.per_page) == (False, None, True, 10)
