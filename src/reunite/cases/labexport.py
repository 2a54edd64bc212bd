"""Stored profiles written out as the files labs exchange: CODIS CMF XML (:mod:`reunite.labfiles.cmf`).

An export reads genotypes, so it is audited (who, how many samples, the file's name; never the
genotypes), and the file holds them, so it is registered in ``written_files`` as an export: a
withdrawal of consent deletes it with every other export (:mod:`reunite.cases.privacy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from ..genetics import display_name, parse_profile
from ..labfiles import SampleProfile, write_cmf
from .audit import append_audit
from .importing import _existing, default_user
from .models import DnaSample
from .privacy import register_written_file

__all__ = ["export_cmf"]


def _chosen(session: Session, samples: Iterable[str] | None) -> list[DnaSample]:
    """The samples to export: those named (each must be stored and not erased), else every stored one."""
    if samples is None:
        return list(session.scalars(select(DnaSample).where(DnaSample.erased.is_(False), DnaSample.marker_count > 0)
                                    .order_by(DnaSample.sample)))
    names = list(dict.fromkeys(s.strip() for s in samples if s.strip()))
    if not names:
        raise InputError(Problem("name at least one sample to export", field="samples"))
    stored = _existing(session, DnaSample, DnaSample.sample, names)
    problems = [Problem(f"sample {n!r} is not stored", field="samples") for n in names if n not in stored]
    problems += [Problem(f"sample {n!r} was erased when consent was withdrawn", field="samples")
                 for n in names if n in stored and (stored[n].erased or not stored[n].genotypes)]
    if problems:
        raise InputError(problems)
    return [stored[n] for n in names]


def export_cmf(session: Session, out: str | Path, *, samples: Iterable[str] | None = None, source_lab: str,
               destination_ori: str, category: str = "Unidentified Person", kit: str = "",
               user: str | None = None, commit: bool = True) -> int:
    """Write stored profiles as a CMF 3.2 XML file ``out`` (atomically); return the number of specimens.

    ``samples`` are sample codes (default: every stored, unerased sample).  The file is registered for
    erasure and the export audited in the same transaction."""
    problems = [Problem(f"{what} is required", field=what) for what, v in
                (("source_lab", source_lab), ("destination_ori", destination_ori)) if not (v or "").strip()]
    if problems:
        raise InputError(problems)
    rows = _chosen(session, samples)
    if not rows:
        raise InputError(Problem("there is no stored profile to export", field="samples"))
    who = user or default_user()
    profiles = [SampleProfile(r.sample, parse_profile({display_name(k): v for k, v in r.genotypes.items()},
                                                      source=f"sample {r.sample}")) for r in rows]
    n = write_cmf(profiles, out, source_lab=source_lab.strip(), destination_ori=destination_ori.strip(),
                  category=category, user=who, kit=kit)
    try:
        # Registered, so that a withdrawal of consent deletes it (reunite.cases.privacy).
        register_written_file(session, out, kind="export", user=who, table_name="cmf", commit=False)
        append_audit(session, who, "export.cmf", entity="dna_sample",
                     details={"format": "cmf", "samples": n, "file": Path(out).name})
        if commit:
            session.commit()
    except BaseException:
        Path(out).unlink(missing_ok=True)   # an unregistered file could not be erased: leave none
        raise
    return n
