"""Erasing a withdrawn relative everywhere the store put their genotype, and knowing what it wrote.

A genotype leaves the database by :func:`~reunite.cases.records.erase_sample`; copies of it may be in
files the store wrote outside the database.  :func:`erase_everywhere`, called by every withdrawal of
consent, removes them at once:

- the **reference index** on disk: the files of every directory a matching saved an index to (each is
  registered in ``written_files``, kind ``index``, before its files are written: the demo's, one named
  by another ``$REUNITE_INDEX_DIR``) and of ``$REUNITE_INDEX_DIR`` (see :mod:`reunite.cases.settings`)
  are deleted, so the family cannot be searched with the old alleles; the next matching rebuilds the
  index from the store, which no longer holds them;
- **kinship reports** written for the report's candidates (HTML or PDF, by the web application, by
  ``reunite report`` or by the demo): deleted;
- **exports** of tables (``reunite export``): deleted, since any of them may hold the relative's data;
- **posters** and press kits of the report's own appeal (a missing child's, ``reunite appeals poster``):
  deleted (made again from the store if the appeal stays published); unpublishing an appeal deletes
  its posters too (:func:`reunite.cases.appeals.set_published`).

Reports and exports are found through ``written_files``, the registry every writer adds to
(:func:`register_written_file`); a file copied elsewhere by hand is outside the store's reach.  On
SQLite the erasure runs with ``secure_delete`` on, so the erased values are overwritten in the
database file too rather than left in its free pages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .models import Appeal, Candidate, MissingReport, WrittenFile, utcnow

__all__ = ["INDEX_FILES", "Erasure", "erase_child_files", "erase_everywhere", "erase_posters", "planned_erasure",
           "register_written_file", "secure_delete"]

#: The names of the files a saved :class:`~reunite.search.index.ReferenceIndex` and the matching write.
INDEX_FILES = ("meta.json", "manifest.json", "family_ids.txt", "lineage.json", "*.npy", "found_samples.txt",
               "found_lineage.json")


@dataclass(frozen=True)
class Erasure:
    """What :func:`erase_everywhere` removed: index files, report files, export files and posters."""

    index_files: int
    reports: int
    exports: int
    posters: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"index_files": self.index_files, "reports": self.reports, "exports": self.exports,
                "posters": self.posters}


def register_written_file(session: Session, path: str | Path, *, kind: str, user: str,
                          candidate_id: int | None = None, table_name: str | None = None,
                          appeal_id: int | None = None, commit: bool = True) -> WrittenFile:
    """Record that the store wrote ``path`` (``kind`` ``report`` with its candidate, ``export`` with its
    table, ``poster`` with its appeal, or ``index``: a directory the matching saves the reference index
    to), so that a withdrawal of consent can find and delete it."""
    full = str(Path(path).resolve())
    row = session.scalars(select(WrittenFile).where(WrittenFile.path == full)).first()
    if row is None:
        row = WrittenFile(path=full, kind=kind)
        session.add(row)
    row.candidate_id, row.table_name, row.appeal_id = candidate_id, table_name, appeal_id
    row.written_at, row.written_by = utcnow(), str(user)
    session.flush()
    if commit:
        session.commit()
    return row


def secure_delete(session: Session) -> None:
    """On SQLite, overwrite deleted and replaced content in the database file from now on in this
    connection (``PRAGMA secure_delete``); PostgreSQL's dead rows are reclaimed by its vacuum."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def _index_dir(index_dir: str | Path | None) -> Path:
    if index_dir is not None:
        return Path(index_dir)
    return Path(os.environ.get("REUNITE_INDEX_DIR") or "reunite-index")


def _index_files(index_dir: Path) -> list[Path]:
    """The files of the index in ``index_dir`` (meta.json first), none if it holds no index."""
    if not (index_dir / "meta.json").exists() and not (index_dir / "manifest.json").exists():
        return []
    return [f for pattern in INDEX_FILES for f in sorted(index_dir.glob(pattern))]


def _index_dirs(session: Session, index_dir: str | Path | None) -> list[Path]:
    """The index directory given (else ``$REUNITE_INDEX_DIR``) and every one a matching registered."""
    dirs = [_index_dir(index_dir).resolve()]
    for path in session.scalars(select(WrittenFile.path).where(WrittenFile.kind == "index")):
        if Path(path) not in dirs:
            dirs.append(Path(path))
    return dirs


def _drop_index(index_dir: Path) -> int:
    files = _index_files(index_dir)
    # meta.json first: once it is gone the directory is no index, whatever else remains.
    for f in files:
        f.unlink(missing_ok=True)
    if files:
        for f in index_dir.glob(".tmp-*"):
            f.unlink(missing_ok=True)
    return len(files)


def _written(session: Session, report_number: str) -> tuple[list[WrittenFile], list[WrittenFile], list[WrittenFile]]:
    """The registered files that may hold the genotypes of report ``report_number``'s relatives: the report
    files of its candidates, every export, and the posters of its own appeal."""
    rep = session.scalars(select(MissingReport).where(MissingReport.report_number == report_number)).first()
    if rep is None:
        return [], list(session.scalars(select(WrittenFile).where(WrittenFile.kind == "export"))), []
    cand_ids = list(session.scalars(select(Candidate.id).where(Candidate.report_id == rep.id)))
    appeal_ids = list(session.scalars(select(Appeal.id).where(Appeal.report_id == rep.id)))
    return (_registered(session, "report", WrittenFile.candidate_id, cand_ids),
            list(session.scalars(select(WrittenFile).where(WrittenFile.kind == "export"))),
            _registered(session, "poster", WrittenFile.appeal_id, appeal_ids))


def _registered(session: Session, kind: str, column, ids: list[int]) -> list[WrittenFile]:
    if not ids:
        return []
    return list(session.scalars(select(WrittenFile).where(WrittenFile.kind == kind, column.in_(ids))))


def _delete(session: Session, rows: list[WrittenFile]) -> int:
    n = 0
    for row in rows:
        p = Path(row.path)
        if p.exists():
            p.unlink()
            n += 1
        session.delete(row)
    return n


def erase_posters(session: Session, appeal_ids: list[int]) -> int:
    """Delete the poster and press-kit files the store wrote for these appeals; how many files were
    deleted.  Runs in the session's transaction (the registry rows go with it)."""
    return _delete(session, _registered(session, "poster", WrittenFile.appeal_id, appeal_ids))


def planned_erasure(session: Session, report_number: str, *, index_dir: str | Path | None = None) -> Erasure:
    """What :func:`erase_everywhere` would remove for report ``report_number`` now (files that exist),
    removing nothing: what a family is told before it confirms a withdrawal of consent."""
    reports, exports, posters = _written(session, report_number)
    return Erasure(sum(len(_index_files(d)) for d in _index_dirs(session, index_dir)),
                   *(sum(Path(r.path).exists() for r in rows)
                                                              for rows in (reports, exports, posters)))


def erase_child_files(session: Session, found_child_id: int, *, dry_run: bool = False) -> Erasure:
    """Remove the files the store wrote that may hold a found child's genotype (a self-registered person
    withdrawing consent): the report files of its candidates and every export (the reference index holds
    families only).  With ``dry_run``, count the files that exist and remove nothing."""
    cand_ids = list(session.scalars(select(Candidate.id).where(Candidate.found_child_id == found_child_id)))
    reports = _registered(session, "report", WrittenFile.candidate_id, cand_ids)
    exports = list(session.scalars(select(WrittenFile).where(WrittenFile.kind == "export")))
    if dry_run:
        return Erasure(0, sum(Path(r.path).exists() for r in reports), sum(Path(r.path).exists() for r in exports))
    removed = Erasure(0, _delete(session, reports), _delete(session, exports))
    session.flush()
    return removed


def erase_everywhere(session: Session, report_number: str, *, index_dir: str | Path | None = None) -> Erasure:
    """Remove what the store wrote outside the database that may hold the genotypes of report
    ``report_number``'s relatives (see the module docstring); return what was removed.

    Runs in the session's transaction (the registry rows go with it); the files are deleted at once.
    """
    reports, exports, posters = _written(session, report_number)
    index_files = sum(_drop_index(d) for d in _index_dirs(session, index_dir))
    # (the next matching registers its directory again before it writes the index there)
    for row in session.scalars(select(WrittenFile).where(WrittenFile.kind == "index")):
        session.delete(row)
    removed = Erasure(index_files, _delete(session, reports), _delete(session, exports), _delete(session, posters))
    session.flush()
    return removed
