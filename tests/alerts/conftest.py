"""Fixtures of the alerts tests: the case store's two-backend fixtures, a store with a report lost in
Kunming and a published appeal, links signed with a test key, and the real local servers."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.conftest import _pg_migrated, _sqlite_template, backend, db_url  # noqa: F401
from cases.conftest import session as session
from cases.conftest import url as url
from notify.servers import SmtpSink, WebhookReceiver

SECRET = "alerts-test-secret-key"
T0 = dt.datetime(2026, 12, 5, 8, 0, 0)       # when the child went missing (the clock's start)


@pytest.fixture
def links():
    from reunite.alerts import Links

    return Links(SECRET, "http://reunite.test")


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def hook():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def store(session):
    """A report lost in Kunming (R-KM) and a found child's published appeal (found in Kunming)."""
    from reunite.cases.models import Appeal, FoundChild, MissingReport

    session.add(MissingReport(report_number="R-KM", child_name="Secret Name", sex="female",
                              date_of_birth=dt.date(2025, 12, 1), disappeared_on=dt.date(2026, 12, 5),
                              disappeared_place="云南省昆明市", contact_phone="+86 13900000000"))
    child = FoundChild(case_number="KM-F1", sex="male", age_months=8, found_on=dt.date(2014, 2, 20),
                       found_place="Kunming", care_location="Kunming nursery")
    session.add(child)
    session.flush()
    session.add(Appeal(found_child_id=child.id, hotline="0871-110", published=True, published_by="inv",
                       published_at=dt.datetime(2014, 3, 1)))
    session.commit()
    return session
