"""Imports run in the background: a thread per job, its status kept in memory for the pages.

A job reads the uploaded CSV from a private temporary folder, imports it in one transaction
(all-or-nothing, see :mod:`reunite.cases.importing`), optionally runs the matching, and records
``queued`` → ``running`` → ``done`` or ``failed`` with the problems row by row.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cases import importing
from ..cases.matching import run_matching
from ..cases.settings import MatchingSettings
from ..errors import InputError, ReuniteError

__all__ = ["KINDS", "ImportJob", "JobManager"]

#: Import kind -> the role that may run it.
KINDS = {"found": "investigator", "reports": "investigator", "profiles": "lab_analyst", "families": "lab_analyst"}


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

    def as_dict(self) -> dict[str, Any]:
        """What the status endpoint answers."""
        return {"id": self.id, "kind": self.kind, "filename": self.filename, "status": self.status,
                "step": self.step, "summary": self.summary, "problems": self.problems}


def _matching_settings() -> dict[str, Any]:
    return MatchingSettings.from_env().matching_kwargs()


class JobManager:
    """Starts import jobs and keeps their state (the newest 500)."""

    def __init__(self, open_session, *, match: bool = True):
        self._open_session = open_session
        self.match = match
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

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
        folder = Path(tempfile.mkdtemp(prefix="reunite-import-"))
        path = folder / f"{kind}.csv"
        path.write_bytes(data)
        t = threading.Thread(target=self._run, args=(job, path, options), daemon=True, name=f"import-{job.id[:8]}")
        self._threads.append(t)
        t.start()
        return job

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for every running job (tests, shutdown)."""
        for t in list(self._threads):
            t.join(timeout)

    def _run(self, job: ImportJob, path: Path, options: dict[str, Any]) -> None:
        fn = {"found": importing.import_found, "reports": importing.import_reports,
              "profiles": importing.import_profiles, "families": importing.import_families}[job.kind]
        job.status, job.step = "running", "checking and importing"
        try:
            with self._open_session() as s:
                result = fn(s, path, user=job.user, **options)
                job.summary = str(result).replace(str(path), job.filename)
                if self.match and (result.added or result.updated):
                    job.step = "matching"
                    summary = run_matching(s, user=job.user, **_matching_settings())
                    c = summary.candidates
                    job.summary += (f"; matching: candidates {c['added']} added, {c['updated']} updated, "
                                    f"{c['unchanged']} unchanged")
            job.status, job.step = "done", "finished"
        except InputError as exc:
            job.problems = [{**p.as_dict(), "file": job.filename if p.file else None} for p in exc.problems]
            job.status, job.step = "failed", "nothing was imported"
        except ReuniteError as exc:
            job.problems = [{"file": job.filename, "line": None, "field": None, "message": str(exc)}]
            job.status, job.step = "failed", "nothing was imported"
        except Exception:
            job.problems = [{"file": job.filename, "line": None, "field": None,
                             "message": "the import failed unexpectedly; nothing was imported"}]
            job.status, job.step = "failed", "nothing was imported"
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
