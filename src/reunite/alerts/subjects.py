"""What an alert is about, as the investigator names it: a report, a found child's appeal, or a missing
child's appeal, and when the radius clock starts.

:func:`alert_subject` is what the web form (``POST /alerts``) and ``reunite alerts send`` call; it
hands :func:`reunite.alerts.sender.create_alert` the subject it takes:

- a **missing child's appeal** is alerted as its report (the place and the day the child was lost,
  the report's facts), with the appeal's hotline unless another is given, and the appeal's public
  page as the alert's link;
- the clock of a **report** (or a missing child's appeal) starts when the child went missing: the
  time the investigator gives, else the end of the day lost (23:59:59 China Standard Time, the latest
  moment the date allows, so the circle never runs ahead of the time missing), or now when that is
  later (lost today, hour unknown).  A child lost in 2013 is reached 500 km around at once; before,
  an alert without a time started its clock when sent, 100 km around the place;
- a **found child's appeal** is alerted as it is (where it was found, the clock starting when sent).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.models import Appeal, MissingReport, utcnow
from ..errors import InputError, Problem
from .models import Alert
from .sender import create_alert

__all__ = ["CHINA_TIME", "alert_subject", "lost_at"]

#: China Standard Time (UTC+8, no summer time): the zone of the store's dates.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


def lost_at(report: MissingReport, now: dt.datetime) -> dt.datetime:
    """When the radius clock of ``report`` starts without a time given (naive UTC, as the store keeps
    times): the end of the day lost in China Standard Time, or ``now`` if that is later or the day is
    unknown."""
    if report.disappeared_on is None:
        return now
    end = dt.datetime.combine(report.disappeared_on, dt.time(23, 59, 59), CHINA_TIME)
    return min(now, end.astimezone(dt.UTC).replace(tzinfo=None))


def alert_subject(session: Session, *, user: str, report: str | None = None, appeal_id: int | None = None,
                  started_at: dt.datetime | None = None, now: dt.datetime | None = None,
                  hotline: str | None = None, description_zh: str = "", description_en: str = "",
                  public_url: str | None = None) -> Alert:
    """Create the alert of a report or a published appeal (see the module for what each becomes)."""
    now = now or utcnow()
    page = None
    if appeal_id is not None and report is None:
        ap = session.get(Appeal, appeal_id)
        if ap is not None and ap.published and ap.found_child_id is None:       # a missing child's appeal
            report, appeal_id = ap.report.report_number, None
            hotline = hotline or ap.hotline
            page = f"{public_url.rstrip('/')}/appeals/{ap.id}" if public_url else None
    if report is not None and started_at is None:
        rep = session.scalars(select(MissingReport).where(MissingReport.report_number == report)).first()
        if rep is None:
            raise InputError(Problem(f"there is no report {report}", field="report", code="no_report",
                                     params={"report": report}))
        started_at = lost_at(rep, now)
    alert = create_alert(session, user=user, report=report, appeal_id=appeal_id, started_at=started_at, now=now,
                         hotline=hotline, description_zh=description_zh, description_en=description_en,
                         public_url=public_url)
    if page is not None:
        alert.url = page
        alert.body_zh += f"\n详情：{page}"
        alert.body_en += f"\nDetails: {page}"
        session.commit()
    return alert
