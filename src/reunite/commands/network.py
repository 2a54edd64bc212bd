"""``reunite network``: the trafficking network of an investigation (:mod:`reunite.network`).

``import`` reads ``ring.csv`` and ``transfers.csv``; ``chain``, ``unfound``, ``gaps``,
``brokers`` and ``export`` read the network, and every read is audited (who, which view, which
investigation or child; never a name).  The store is ``--db`` or ``$REUNITE_DATABASE_URL``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ReuniteError
from ._common import UserOpt, fail

__all__ = ["register"]

network_app = typer.Typer(help="The trafficking network: people, transfers of children, chains of custody, leads.",
                          no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: $REUNITE_DATABASE_URL or "
                                                         "sqlite:///reunite.db).")]
InvOpt = Annotated[str | None, typer.Option("--investigation", help="The investigation's code (default: the only "
                                                                     "one stored).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add ``reunite network`` to ``app``."""
    app.add_typer(network_app, name="network")


def _user(user: str | None) -> str:
    from ..cases.importing import default_user

    return user or default_user()


@network_app.command("import")
def network_import(
    ring: Annotated[Path | None, typer.Argument(help="ring.csv: the people and their relations.")] = None,
    transfers: Annotated[Path | None, typer.Argument(help="transfers.csv: the children handed over.")] = None,
    investigation: Annotated[str, typer.Option("--investigation", help="The investigation's code.")] = "default",
    db: DbOpt = None,
    user: UserOpt = None,
):
    """Import an investigation's ring.csv and transfers.csv.

    Formats in docs/formats.md.  Both files are checked before anything is written; all or
    nothing; importing again changes nothing; audited (never a name)."""
    from ..cases.db import open_session
    from ..network import import_network

    try:
        with open_session(db) as s:
            res = import_network(s, ring, transfers, investigation=investigation, user=_user(user))
    except ReuniteError as exc:
        fail(exc)
    typer.echo(str(res))


@network_app.command("chain")
def network_chain(
    child: Annotated[str, typer.Argument(help="The child: a case number, a report number or a label.")],
    investigation: InvOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
    as_json: JsonOpt = False,
):
    """A child's chain of custody, with prices, markups and gaps.

    Each transfer in order: date, place, who handed the child over and who received it, the price
    and the markup over the last price paid, the source document; then the chain's gaps."""
    from ..cases.db import open_session
    from ..network import audit_read, chain_of
    from ..network.text import render_chain

    try:
        with open_session(db) as s:
            chains = chain_of(s, child, investigation=investigation)
            audit_read(s, _user(user), "chain", investigation, child=child, count=len(chains))
    except ReuniteError as exc:
        fail(exc)
    if not chains:
        typer.echo(f"error: no transfer names {child!r}", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([c.as_dict() for c in chains], ensure_ascii=False))
    else:
        typer.echo("\n\n".join(render_chain(c) for c in chains))


def _network(db, investigation, user, view):
    from ..cases.db import open_session
    from ..network import Network, audit_read

    with open_session(db) as s:
        net = Network.from_store(s, investigation)
        audit_read(s, _user(user), view, net.investigation)
    return net


@network_app.command("unfound")
def network_unfound(investigation: InvOpt = None, db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False):
    """The children transferred and not found: where, when and to whom they went.

    Also the provinces to appeal in (the provinces of their last transfers)."""
    from ..network import province_leads
    from ..network.text import render_unfound

    try:
        net = _network(db, investigation, user, "unfound")
        rows, provinces = net.unfound(), province_leads(net)
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps({"unfound": rows, "provinces": provinces}, ensure_ascii=False))
        return
    typer.echo(render_unfound(rows))
    if provinces:
        typer.echo("Provinces to appeal in: " + "; ".join(f"{p['province']} ({len(p['children'])} children)"
                                                          for p in provinces))


@network_app.command("gaps")
def network_gaps(investigation: InvOpt = None, db: DbOpt = None, user: UserOpt = None, as_json: JsonOpt = False):
    """Gaps: no source, breaks in a chain, transfers after an arrest."""
    from dataclasses import asdict

    from ..network.text import render_gaps

    try:
        gaps = _network(db, investigation, user, "gaps").gaps()
    except ReuniteError as exc:
        fail(exc)
    typer.echo(json.dumps([asdict(g) for g in gaps], ensure_ascii=False) if as_json else render_gaps(gaps))


@network_app.command("brokers")
def network_brokers(
    investigation: InvOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="How many people to list.")] = 10,
    as_json: JsonOpt = False,
):
    """The brokers by betweenness, and the ring's components and communities."""
    from ..network.text import render_brokers

    try:
        net = _network(db, investigation, user, "brokers")
        rows, comps, comms = net.brokers(top), net.components(), net.communities()
    except ReuniteError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps({"brokers": rows, "components": comps, "communities": comms}))
        return
    typer.echo(render_brokers(rows))
    typer.echo(f"{len(comps)} components (sizes {', '.join(str(len(c)) for c in comps[:10])}); "
               f"{len(comms)} communities (sizes {', '.join(str(len(c)) for c in comms[:10])}).")


@network_app.command("export")
def network_export(
    graphml: Annotated[Path | None, typer.Option("--graphml", help="Write the graph as GraphML to this file.")] = None,
    csv_dir: Annotated[Path | None, typer.Option("--csv", help="Write ring.csv, transfers.csv and chains.csv "
                                                               "into this folder.")] = None,
    investigation: InvOpt = None,
    db: DbOpt = None,
    user: UserOpt = None,
):
    """Export the network as GraphML and CSV for analysts' tools.

    The CSV files are in the import's formats (they import back unchanged), with chains.csv
    listing every chain step by step."""
    if graphml is None and csv_dir is None:
        typer.echo("error: give --graphml FILE, --csv DIR or both", err=True)
        raise typer.Exit(2)
    for fmt, out in (("graphml", graphml), ("csv", csv_dir)):
        if out is not None:
            for path in export_to(fmt, out, investigation=investigation, db=db, user=user):
                typer.echo(f"{'GraphML' if fmt == 'graphml' else 'CSV'}: {path}")


def export_to(fmt: str, out: Path, *, investigation: str | None = None, db: str | None = None,
              user: str | None = None) -> list[Path]:
    """Write the network as ``fmt`` (graphml, csv) to ``out``, registered and audited; ``reunite
    network export`` and ``reunite export network`` call it."""
    from ..cases.db import open_session
    from ..network import Network
    from ..network.exports import export_network

    try:
        with open_session(db) as s:
            paths = export_network(s, Network.from_store(s, investigation), fmt, out, user=_user(user))
            s.commit()
    except ReuniteError as exc:
        fail(exc)
    return paths
