"""What some tests need from the machine, in one place: PostgreSQL, Chromium (with Playwright), the
poppler tools, a CJK font and Postfix's smtp-sink.

A test calls ``need_…()`` first.  When the need is not met the test is skipped with the reason and the
way to meet it, except on CI (``CI=true``), where that is a failure: ``.ci/run`` installs everything,
so a skip there would hide a test that never ran.  (A module, not ``tests/conftest.py``: with
``--import-mode=importlib`` a conftest cannot be imported by the tests.)
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "PG_URL", "need", "need_chromium", "need_cjk_font", "need_postgresql", "need_smtp_sink",
           "need_tool", "on_ci", "pg_conninfo"]

PG_URL = os.environ.get("REUNITE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHROMIUM = Path("/usr/bin/chromium")


def on_ci() -> bool:
    """Whether the tests run on CI (``CI=true``), where every need must be met."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(problem: str | None, fix: str | None) -> None:
    """Skip the test (fail it on CI) when ``problem`` says what is missing; ``fix`` says how to get it
    (None when the problem already says)."""
    if problem is None:
        return
    reason = f"{problem}; {fix}" if fix else problem
    if on_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def pg_conninfo() -> str:
    """The libpq connection string of :data:`PG_URL` (``$REUNITE_TEST_PG_URL``)."""
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}", f"dbname={u.database}",
             f"user={u.username or 'postgres'}", "connect_timeout=3"]
    if u.password:
        parts.append(f"password={u.password}")
    return " ".join(parts)


@functools.cache
def pg_problem() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None (asked once per session)."""
    try:
        import psycopg

        with psycopg.connect(pg_conninfo()) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__}: {exc})".strip()
    return None


def need_postgresql() -> None:
    """The test PostgreSQL server (database ``test`` on 127.0.0.1:5432, or ``$REUNITE_TEST_PG_URL``)."""
    need(pg_problem(), "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
                       "or set REUNITE_TEST_PG_URL")


def need_chromium() -> Path:
    """Debian's Chromium and the Playwright package that drives it; the browser's path."""
    need(None if CHROMIUM.exists() else f"{CHROMIUM} is missing", "apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        need("the Python package playwright is not installed", "pip install -e '.[test]'")
    return CHROMIUM


def need_tool(name: str) -> str:
    """The path of a poppler tool (``pdftotext``, ``pdftoppm``, ``pdffonts``)."""
    path = shutil.which(name)
    need(None if path else f"{name} not found", "install the Debian package poppler-utils")
    return path


def need_cjk_font() -> None:
    """A CJK font for the PDF reports (``reunite.reports.find_cjk_font``)."""
    from reunite.reports import MissingFontError, find_cjk_font

    try:
        find_cjk_font()
    except MissingFontError as exc:
        need(str(exc), None)   # the message names the package and REUNITE_CJK_FONT


def need_smtp_sink() -> str:
    """Postfix's ``smtp-sink`` test server (a fast SMTP server that announces PIPELINING)."""
    path = "/usr/sbin/smtp-sink"
    need(None if os.access(path, os.X_OK) else f"{path} is missing",
         "DEBIAN_FRONTEND=noninteractive apt-get install -y postfix")
    return path
