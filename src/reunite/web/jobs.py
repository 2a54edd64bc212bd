"""Imports run in the background: a thread per job, its status kept in memory for the pages.

A job reads the uploaded CSV from a private folder of the spool (:func:`spool_dir`), imports it in one transaction
(all-or-nothing, see :mod:`reunite.cases.importing`), optionally runs the matching, and records
``queued`` → ``running`` → ``done`` or ``failed`` with the problems row by row.

Jobs run one at a time in a process (and the store's lock, :mod:`reunite.cases.state`, serialises
them with other processes).  A job's status says what was stored: ``failed`` with ``stored`` false
means nothing was imported; an import that committed and whose matching then failed is ``failed``
with ``stored`` true, its summary saying what was imported, and the matching stays owed (run by the
next import, ``reunite match`` or the application's start, :meth:`JobManager.finish_owed_matching`).
A failure is logged by the job's id, kind and the error's type, never with the file's values.

An upload holds names, phone numbers or genotypes: its folder is deleted when the job ends, and a
folder left by a server stopped mid-job (killed, restarted) is deleted when the next one starts (each
job holds a lock on its folder, so only folders whose process is gone are swept; a queued upload is
lost with its process and must be sent again).

Every job's end is recorded in the store's history of imports (:mod:`reunite.cases.import_history`).
A job keeps at most :data:`MAX_PROBLEMS` problems to show (the first ones, by line) and says how many
there were in all (``problems_total``).

Choosing the discrete Laplace method for the store's Y-STR database fits the database (minutes at 50,000
haplotypes): :meth:`JobManager.start_method` does it in the background, then saves the method
(:func:`reunite.cases.lineage.set_lineage_method`, which keeps the fit) and runs the matching; the page
answers at once and says the fit is running (:meth:`JobManager.method_state`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cases import importing
from ..cases.db import store_busy
from ..cases.famimport import import_fam
from ..cases.import_history import record_import_run
from ..cases.lineage import import_reference_database, set_lineage_method
from ..cases.matching import run_matching
from ..cases.models import utcnow
from ..cases.settings import MatchingSettings
from ..cases.state import is_matching_owed
from ..errors import InputError, ReuniteError

__all__ = ["DB_KINDS", "KINDS", "LAB_KINDS", "MAX_PROBLEMS", "ImportJob", "JobManager", "spool_dir", "sweep_spool"]

log = logging.getLogger(__name__)

#: Import kind -> the role that may run it.
KINDS = {"found": "investigator", "reports": "investigator", "profiles": "lab_analyst", "families": "lab_analyst",
         "genemapper": "lab_analyst", "cmf": "lab_analyst", "mt": "lab_analyst", "fam": "lab_analyst",
         "ydb": "lab_analyst", "mtdb": "lab_analyst"}
#: The kinds that are lab files (read by reunite.labfiles, stored as profiles; a Familias case as a report's
#: family and its relatives' profiles), with their files' suffix.
LAB_KINDS = {"genemapper": ".txt", "cmf": ".xml", "mt": ".emp", "fam": ".fam"}
#: The kinds that are reference databases of lineage markers (Y-STR, mtDNA; :mod:`reunite.cases.lineage`).
DB_KINDS = ("ydb", "mtdb")
#: The most problems a job keeps to show (a file wrong on every one of 100,000 rows stays readable).
MAX_PROBLEMS = 500


@dataclass
class ImportJob:
    """The state of one background import."""

    id: str
    kind: str
    filename: str
    user: str
    status: str = "queued"
    step: str = "waiting"
    summary: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the import's rows are in the store (committed), whatever happened afterwards.
    stored: bool = False
    #: Why the job failed (the error's type and its message if it is one of Reunite's), else None.
    error: str | None = None
    #: What the import stored (``added``, ``updated``, ``unchanged``) and what the matching did to the
    #: candidates: the page says them in its language (``summary`` is the English sentence).
    counts: dict[str, int] = field(default_factory=dict)
    matching: dict[str, int] = field(default_factory=dict)
    #: How many problems the file had in all (``problems`` keeps the first :data:`MAX_PROBLEMS`).
    problems_total: int = 0
    started_at: dt.datetime = field(default_factory=utcnow)

    def as_dict(self) -> dict[str, Any]:
        """What the status endpoint answers."""
        return {"id": self.id, "kind": self.kind, "filename": self.filename, "status": self.status,
                "step": self.step, "summary": self.summary, "problems": self.problems, "stored": self.stored,
                "error": self.error, "counts": self.counts, "matching": self.matching,
                "problems_total": self.problems_total}


def _matching_settings() -> dict[str, Any]:
    return MatchingSettings.from_env().matching_kwargs()


def spool_dir() -> Path:
    """Where uploads wait for their job: ``$REUNITE_IMPORT_SPOOL``, else ``reunite-imports`` in the
    system's temporary folder (made 0700)."""
    root = Path(os.environ.get("REUNITE_IMPORT_SPOOL") or Path(tempfile.gettempdir()) / "reunite-imports")
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _held(folder: Path):
    """Lock ``folder``'s ``.lock`` for this process (the open file, or None if another process holds it)."""
    fh = open(folder / ".lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def sweep_spool(root: Path) -> int:
    """Delete the upload folders in ``root`` whose job's process is gone (their lock is free); how many."""
    removed = 0
    for folder in root.glob("job-*"):
        if not folder.is_dir():
            continue
        fh = _held(folder)
        if fh is None:
            continue   # a running server's job
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        finally:
            fh.close()
    return removed


class JobManager:
    """Starts import jobs and keeps their state (the newest 500)."""

    def __init__(self, open_session, *, match: bool = True, spool: Path | None = None):
        self._open_session = open_session
        self.match = match
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._run_lock = threading.Lock()   # one job at a time in this process (see the module's text)
        self.spool = spool or spool_dir()
        #: The latest background change of the Y-STR population method: method, alpha, user, status, error.
        self._method: dict[str, Any] | None = None
        left = sweep_spool(self.spool)
        if left:
            log.warning("deleted %d upload(s) left by an import server stopped mid-job; not imported", left)

    def get(self, job_id: str) -> ImportJob | None:
        """The job with this id, or None."""
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, kind: str, filename: str, data: bytes, user: str, options: dict[str, Any]) -> ImportJob:
        """Save the upload and start importing it in a thread."""
        job = ImportJob(secrets.token_hex(16), kind, filename, user)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > 500:
                self._jobs.pop(next(iter(self._jobs)))
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=self.spool))
        held = _held(folder)   # (released when the job ends, or by the process's death)
        # (a reference database keeps the name it was uploaded under: every lineage result names it)
        path = folder / (filename if kind in DB_KINDS and filename else f"{kind}{LAB_KINDS.get(kind, '.csv')}")
        path.write_bytes(data)
        t = threading.Thread(target=self._run, args=(job, path, options, held), daemon=True,
                             name=f"import-{job.id[:8]}")
        self._threads.append(t)
        t.start()
        return job

    def start_method(self, method: str, alpha: float, user: str) -> dict[str, Any]:
        """Set the Y-STR population method in a thread: fit the database (discrete Laplace), save the method
        (audited; the matching owed), then run the matching.  ``method`` and ``alpha`` are checked by the
        caller (:func:`reunite.cases.lineage.validate_method`)."""
        state = {"method": method, "alpha": alpha, "user": user, "status": "running", "error": None,
                 "started_at": utcnow()}
        with self._lock:
            self._method = state
        t = threading.Thread(target=self._run_method, args=(state,), daemon=True, name="lineage-method")
        self._threads.append(t)
        t.start()
        return state

    def method_state(self) -> dict[str, Any] | None:
        """The latest background method change (None: none since the process started)."""
        with self._lock:
            return None if self._method is None else dict(self._method)

    def _run_method(self, state: dict[str, Any]) -> None:
        with self._run_lock:
            try:
                with self._open_session() as s:
                    set_lineage_method(s, state["method"], alpha=state["alpha"], user=state["user"])
                    state["status"] = "matching"
                    if self.match:
                        s.rollback()
                        run_matching(s, user=state["user"], **_matching_settings())
                state["status"] = "done"
            except Exception as exc:
                state["status"] = "failed" if state["status"] == "running" else "saved_matching_failed"
                state["error"] = type(exc).__name__
                log.error("the background change of the Y-STR population method failed: %s", type(exc).__name__)

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for every running job (tests, shutdown)."""
        for t in list(self._threads):
            t.join(timeout)

    def finish_owed_matching(self) -> None:
        """Run the matching in a thread if an import left it owed (a process killed during it)."""
        if not self.match:
            return
        t = threading.Thread(target=self._finish_owed, daemon=True, name="import-owed-matching")
        self._threads.append(t)
        t.start()

    def _finish_owed(self) -> None:
        try:
            with self._run_lock, self._open_session() as s:
                if is_matching_owed(s):
                    s.rollback()
                    log.info("matching owed by an earlier import: running it")
                    run_matching(s, user="matching", **_matching_settings())
        except Exception as exc:
            log.error("the owed matching failed: %s", type(exc).__name__)

    def _run(self, job: ImportJob, path: Path, options: dict[str, Any], held=None) -> None:
        fn = {"found": importing.import_found, "reports": importing.import_reports,
              "profiles": importing.import_profiles, "families": importing.import_families,
              **{k: functools.partial(importing.import_lab_profiles, kind=k) for k in LAB_KINDS if k != "fam"},
              "fam": import_fam,
              **{k: functools.partial(import_reference_database, kind=k) for k in DB_KINDS}}[job.kind]
        # The history is written under the run lock too: written after it, it raced the next job's import
        # and matching for the store's write lock and was lost on SQLite when they held it longer than
        # the busy timeout.
        with self._run_lock:
            try:
                job.status, job.step = "running", "checking and importing"
                self._import_and_match(job, fn, path, options)
                job.status, job.step = "done", "finished"
            except Exception as exc:
                self._failed(job, exc)
            finally:
                shutil.rmtree(path.parent, ignore_errors=True)
                if held is not None:
                    held.close()
                self._record(job)

    def _record(self, job: ImportJob, attempts: int = 3) -> None:
        """Write the job's end to the store's history of imports, trying again while another writer (another
        process's import) holds the store; a failure to do so is logged."""
        outcome = "done" if job.status == "done" else ("stored" if job.stored else "failed")
        for attempt in range(1, attempts + 1):
            try:
                with self._open_session() as s:
                    record_import_run(s, kind=job.kind, file_name=job.filename, user=job.user,
                                      started_at=job.started_at, outcome=outcome, problems=job.problems_total,
                                      error=job.error and job.error.split(":")[0], **job.counts)
                return
            except Exception as exc:
                if attempt < attempts and store_busy(exc):
                    time.sleep(1.0)
                    continue
                log.error("import job %s: its history could not be recorded (%s)", job.id, type(exc).__name__)
                return

    def _import_and_match(self, job: ImportJob, fn, path: Path, options: dict[str, Any]) -> None:
        with self._open_session() as s:
            result = fn(s, path, user=job.user, **options)   # committed here
            job.stored = True
            job.summary = str(result).replace(str(path), job.filename)
            job.counts = {"added": result.added, "updated": result.updated, "unchanged": result.unchanged}
            job.summary += "".join(f"; note: {r}" for r in result.remarks)   # what a lab-file reader left out
            if self.match and (result.added or result.updated or is_matching_owed(s)):
                s.rollback()   # end the read, so the matching's transaction starts with the store's lock
                job.step = "matching"
                summary = run_matching(s, user=job.user, **_matching_settings())
                c = summary.candidates
                job.matching = {k: c[k] for k in ("added", "updated", "unchanged")}
                job.summary += (f"; matching: candidates {c['added']} added, {c['updated']} updated, "
                                f"{c['unchanged']} unchanged")

    def _failed(self, job: ImportJob, exc: Exception) -> None:
        """Record what the failure left stored, keep the error in the job and log it (no values)."""
        if isinstance(exc, InputError):
            job.problems = [{**p.as_dict(), "file": job.filename if p.file else None}
                            for p in exc.problems[:MAX_PROBLEMS]]
            job.problems_total = len(exc.problems)
            job.error = f"{type(exc).__name__}: {len(exc.problems)} problems"
        elif isinstance(exc, ReuniteError):
            job.problems = [{"file": job.filename, "line": None, "field": None, "message": str(exc)}]
            job.error = f"{type(exc).__name__}: {exc}"
            job.problems_total = 1
        else:
            what = "the matching" if job.stored else "the import"
            job.problems = [{"file": job.filename, "line": None, "field": None,
                             "message": f"{what} failed unexpectedly ({type(exc).__name__})"}]
            job.error = type(exc).__name__
            job.problems_total = 1
        if job.stored:
            job.status, job.step = "failed", "imported; the matching failed and will run again"
        else:
            job.status, job.step = "failed", "nothing was imported"
        # By type only: a database error's or a parser's text may quote the file's values.
        log.error("import job %s (%s) failed at %s: %s; rows stored: %s", job.id, job.kind,
                  "matching" if job.stored else "import", type(exc).__name__, "yes" if job.stored else "no")
