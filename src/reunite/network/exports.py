"""The network exported for analysts' tools: GraphML and CSV, as files (registered, so that a
withdrawal of consent finds them) or as bytes (the web's downloads), every export audited.

The CSV export is :meth:`~reunite.network.analysis.Network.write_csv`'s three files (``ring.csv``
and ``transfers.csv`` in the import's formats, ``chains.csv`` step by step); as bytes they come in
one ZIP archive.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import networkx as nx
from sqlalchemy.orm import Session

from ..cases.privacy import register_written_file
from ..errors import InputError, Problem
from .analysis import Network, audit_read

__all__ = ["FORMATS", "export_bytes", "export_network"]

#: The export formats: GraphML (one file) and CSV (a folder; a ZIP archive as bytes).
FORMATS = ("graphml", "csv")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(Problem(f"format {fmt!r} is not one of {', '.join(FORMATS)}", field="format"))


def export_network(session: Session, net: Network, fmt: str, out: str | Path, *, user: str) -> list[Path]:
    """Write ``net`` as ``fmt`` to ``out`` (a GraphML file, or a folder for CSV); register every file
    written (:func:`reunite.cases.privacy.register_written_file`) and audit the export."""
    _check(fmt)
    paths = [net.write_graphml(out)] if fmt == "graphml" else list(net.write_csv(out).values())
    for p in paths:
        register_written_file(session, p, kind="export", user=user, table_name="network", commit=False)
    audit_read(session, user, f"export.{fmt}", net.investigation, count=len(net.transfers))
    return paths


def export_bytes(session: Session, net: Network, fmt: str, *, user: str) -> bytes:
    """``net`` as ``fmt`` in memory (GraphML text, or a ZIP of the CSV files), audited; nothing stays
    on disk."""
    _check(fmt)
    if fmt == "graphml":
        buf = io.BytesIO()
        nx.write_graphml(net.graph(), buf)
        data = buf.getvalue()
    else:
        buf = io.BytesIO()
        with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, path in net.write_csv(tmp).items():
                z.write(path, f"{name}.csv")
        data = buf.getvalue()
    audit_read(session, user, f"export.{fmt}", net.investigation, count=len(net.transfers))
    return data
