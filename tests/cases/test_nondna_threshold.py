"""Non-DNA evidence alone never lifts a pair past the DNA decision threshold: through the matching, the
store and the stored posterior, with the priors the matching uses, on SQLite and PostgreSQL.

A report and a found child that agree on everything but DNA: the same sex, an age that fits to the
week, found two months after the disappearance in the same county, and three rare conditions on both
records (congenital glaucoma 1.1/10,000, cleft lip 17/10,000, an extra finger 22/10,000) with a
birthmark on the back.  The items' product is far above 1,000; the stored posterior is the prior odds
× 1,000 exactly, below the posterior any pair with DNA at the support threshold (LR 10^4) has with
the same prior, and the pair carries no DNA decision."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from reunite.cases import import_found, import_reports
from reunite.cases.matching import run_matching
from reunite.cases.models import Candidate
from reunite.cases.records import candidate_items, candidate_posterior
from reunite.evidence import from_lr, fuse
from reunite.evidence.fusion import DNA_SUPPORT_LOG10, NON_DNA_MAX_LOG10, nondna_log10

from .helpers import write

REPORTS = """\
report_number,child_name,sex,date_of_birth,disappeared_on,disappeared_place,marks,contact_name
R-TRUE,A,male,2013-03-01,2013-06-01,云南省昭通市镇雄县,先天性青光眼，唇腭裂，六指，背部有胎记,B
""" + "".join(f"R-{i:02d},C,{'male' if i % 2 else 'female'},2012-{1 + i % 12:02d}-10,2013-0{1 + i % 5}-20,"
              f"{('四川省凉山州', '贵州省毕节市', '云南省曲靖市会泽县')[i % 3]},,D\n" for i in range(1, 20))

FOUND = """\
case_number,sex,age_months,age_sd_months,age_assessed_on,found_on,found_place,health_conditions,marks
KM-ALL,male,5.0,0.5,2013-08-01,2013-08-01,云南省昭通市镇雄县,先天性青光眼,唇腭裂，多指，背上有胎记
"""


@pytest.mark.parametrize("prior", [None, 0.2], ids=["1/open reports", "investigator's 0.2"])
def test_everything_but_dna_agreeing_stays_below_the_dna_threshold(session, tmp_path, prior):
    import_reports(session, write(tmp_path / "reports.csv", REPORTS), user="t")
    import_found(session, write(tmp_path / "found.csv", FOUND), user="t")
    summary = run_matching(session, prior=prior)
    assert summary.prior == (1 / 20 if prior is None else prior)
    cand = session.scalars(select(Candidate).where(Candidate.report.has(report_number="R-TRUE"))).one()
    items = candidate_items(cand)
    assert {"sex", "age", "time", "place", "marks"} <= {i.kind for i in items}
    assert not cand.has_dna and cand.dna_decision is None
    # the evidence itself says far more than 1,000 ...
    assert nondna_log10(items) > NON_DNA_MAX_LOG10 + 1
    # ... but the stored posterior (fuse's, over the stored items) counts 1,000
    post = candidate_posterior(cand)
    assert cand.posterior == post.probability and post.non_dna_capped
    prior_odds = summary.prior / (1 - summary.prior)
    assert math.log10(cand.posterior / (1 - cand.posterior)) == pytest.approx(
        math.log10(prior_odds) + NON_DNA_MAX_LOG10, abs=1e-9)
    # below what the weakest DNA support gives with the same prior, whatever the non-DNA items beside it
    at_threshold = fuse([from_lr("dna", log10_lr=DNA_SUPPORT_LOG10)], prior=summary.prior).probability
    assert cand.posterior < at_threshold
    assert fuse([from_lr("dna", log10_lr=DNA_SUPPORT_LOG10), *items], prior=summary.prior).probability > \
        cand.posterior
    # and it is the first of the child's candidates without DNA
    others = session.scalars(select(Candidate).where(Candidate.report.has(report_number="R-TRUE") == False)).all()  # noqa: E712
    assert all(o.posterior < cand.posterior for o in others)
