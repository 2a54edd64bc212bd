"""The web layer only translates requests and errors: every write to the store is a function of
``reunite.cases`` (DESIGN.md), so no web module adds, deletes, flushes, commits or audits itself."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "src" / "reunite" / "web"

#: Calls that write to the store (``db.add(...)``, ``session.commit()``, ``append_audit(...)``).
WRITES = {"add", "add_all", "delete", "flush", "commit", "append_audit"}
#: The names a web module gives a database session.
SESSIONS = {"db", "session", "s"}


def _writes(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "append_audit":
            found.append(f"{path.name}:{node.lineno} append_audit(...)")
        elif (isinstance(f, ast.Attribute) and f.attr in WRITES and isinstance(f.value, ast.Name)
              and f.value.id in SESSIONS):
            found.append(f"{path.name}:{node.lineno} {f.value.id}.{f.attr}(...)")
    return found


def test_the_web_layer_writes_nothing_itself():
    assert not (WEB / "services.py").exists(), "web/services.py held domain writes: they live in reunite.cases"
    found = [w for path in sorted(WEB.glob("*.py")) for w in _writes(path)]
    assert found == [], "domain writes in the web layer (move them into reunite.cases):\n" + "\n".join(found)


def test_the_check_sees_a_write(tmp_path):
    """The walk above finds the writes it looks for (so an empty list means something)."""
    p = tmp_path / "bad.py"
    p.write_text("def f(db):\n    db.add(x)\n    db.commit()\n    append_audit(db, 'u', 'a')\n", encoding="utf-8")
    assert len(_writes(p)) == 3
