"""``reunite network``: import, chain, unfound, gaps, brokers, export; every read audited."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from sqlalchemy import select

from reunite.cases.db import open_session
from reunite.cases.models import AuditEntry, WrittenFile
from reunite.cli import main


def test_the_commands_import_and_answer(store, tmp_path, capsys):
    url, ring, transfers = store
    args = ["--db", url, "--user", "inv"]
    assert main(["network", "import", str(ring), str(transfers), "--investigation", "KM-RING", *args]) == 0
    assert "people 5 added" in capsys.readouterr().out
    assert main(["network", "chain", "KM-001", *args]) == 0
    out = capsys.readouterr().out
    assert "KM-001 (found child): 3 transfers from 云南省昭通市镇雄县" in out and "P1 (parent) -> B1 (broker)" in out
    assert "source: confession B1" in out
    assert main(["network", "chain", "R-2", "--json", *args]) == 0
    [chain] = json.loads(capsys.readouterr().out)
    assert chain["markup"] == 10.0 and [g["kind"] for g in chain["gaps"]] == ["no_source", "after_arrest"]
    assert main(["network", "chain", "nobody", *args]) == 1
    assert main(["network", "unfound", *args]) == 0
    out = capsys.readouterr().out
    assert "R-2: 2013-10-20 at 山东省临沂市 to Y1 (buyer)" in out and "Provinces to appeal in: " in out
    assert main(["network", "gaps", *args]) == 0
    assert "3 gaps" in capsys.readouterr().out
    assert main(["network", "brokers", "--top", "2", *args]) == 0
    out = capsys.readouterr().out
    assert "Brokers by betweenness (exact)" in out and "1 components" in out
    assert main(["network", "export", "--graphml", str(tmp_path / "g.graphml"), "--csv", str(tmp_path / "csv"),
                 *args]) == 0
    assert (tmp_path / "g.graphml").is_file() and (tmp_path / "csv" / "chains.csv").is_file()
    with open_session(url) as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("network.%"))
                                               .order_by(AuditEntry.id))]
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action.like("network.read.%"))).all()
    assert actions == ["network.import", "network.read.chain", "network.read.chain", "network.read.chain",
                       "network.read.unfound", "network.read.gaps", "network.read.brokers",
                       "network.read.export.graphml", "network.read.export.csv"]
    assert all(e.actor == "inv" and "One" not in e.details for e in entries)
    with open_session(url) as s:   # the files written hold names: registered, so a withdrawal finds them
        written = {Path(w.path).name for w in s.scalars(select(WrittenFile).where(WrittenFile.table_name == "network"))}
    assert written == {"g.graphml", "ring.csv", "transfers.csv", "chains.csv"}


def test_errors_are_named_and_exit_2(store, tmp_path, capsys):
    url, ring, _t = store
    bad = tmp_path / "t.csv"
    bad.write_text("transfer,found_child,from,to\nT1,KM-404,P1,B1\n", encoding="utf-8")
    assert main(["network", "import", str(ring), str(bad), "--db", url, "--user", "inv"]) == 2
    err = capsys.readouterr().err
    assert "t.csv, line 2, field 'found_child': found child 'KM-404' is not in the store" in err
    assert main(["network", "unfound", "--db", url]) == 2
    assert "no network" in capsys.readouterr().err
    assert main(["network", "export", "--db", url]) == 2


def test_reunite_export_writes_the_network_and_its_tables(loaded, tmp_path, capsys, monkeypatch):
    url, _r, _t = loaded
    monkeypatch.setenv("REUNITE_DATABASE_URL", url)
    assert main(["export", "network", "--format", "graphml", "--out", str(tmp_path / "n.graphml")]) == 0
    g = nx.read_graphml(tmp_path / "n.graphml")
    assert g.nodes["P1"]["role"] == "parent" and g.number_of_nodes() == 5
    assert main(["export", "network", "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    assert (tmp_path / "csv" / "transfers.csv").read_text(encoding="utf-8").count("\n") == 8
    assert main(["export", "network_transfers"]) == 0           # the network's tables, as any table
    assert "T7" in capsys.readouterr().out
    assert main(["export", "network", "--format", "json", "--out", str(tmp_path / "x")]) == 2
    assert "format 'json' is not one of graphml, csv" in capsys.readouterr().err
