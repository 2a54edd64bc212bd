"""The case store: found children, missing-child reports, DNA, candidates, reviews and the audit log.

A layer over :mod:`reunite.genetics` (it never imports the web layer or the CLI).  The store is a
SQLAlchemy database, SQLite by default and PostgreSQL in production (``REUNITE_DATABASE_URL``),
whose schema is managed by Alembic migrations (:func:`upgrade`).

>>> from reunite.cases import open_session, import_found          # doctest: +SKIP
>>> with open_session("sqlite:///cases.db") as s:                  # doctest: +SKIP
...     print(import_found(s, "found_children.csv"))
found_children from found_children.csv: 11 added, 0 updated, 0 unchanged
"""

from .audit import append_audit, verify_audit
from .db import SchemaError, check_schema, database_url, init_db, make_engine, open_session, upgrade
from .export import csv_cell, export_table, table_names
from .importing import ImportResult, import_families, import_found, import_profiles, import_reports
from .models import (
    AuditEntry,
    Base,
    Candidate,
    CandidateEvidence,
    DnaSample,
    FoundChild,
    MissingReport,
    PedigreeMember,
    Photo,
    Relative,
    Review,
    User,
)
from .photos import add_photo, check_image
from .records import add_user, candidate_items, candidate_posterior, erase_sample, record_candidate
from .workflow import WorkflowError, review

__all__ = [
    "AuditEntry",
    "Base",
    "Candidate",
    "CandidateEvidence",
    "DnaSample",
    "FoundChild",
    "ImportResult",
    "MissingReport",
    "PedigreeMember",
    "Photo",
    "Relative",
    "Review",
    "SchemaError",
    "User",
    "WorkflowError",
    "add_photo",
    "add_user",
    "append_audit",
    "candidate_items",
    "candidate_posterior",
    "check_image",
    "check_schema",
    "csv_cell",
    "database_url",
    "erase_sample",
    "export_table",
    "import_families",
    "import_found",
    "import_profiles",
    "import_reports",
    "init_db",
    "make_engine",
    "open_session",
    "record_candidate",
    "review",
    "table_names",
    "upgrade",
    "verify_audit",
]
