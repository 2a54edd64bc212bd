"""The layers of DESIGN.md: each package imports only the layers to its left."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reunite"

# layer -> the reunite subpackages it must never import
FORBIDDEN = {
    "genetics": {"search", "evidence", "cases", "reports", "network", "web", "cli", "demo"},
    "search": {"evidence", "cases", "reports", "network", "web", "cli", "demo"},
    "evidence": {"cases", "reports", "network", "web", "cli", "demo"},
    "cases": {"web", "cli", "demo"},
    "reports": {"web", "cli", "demo"},
}
THIRD_PARTY_FORBIDDEN = {"genetics": {"sqlalchemy", "fastapi", "dask", "distributed", "typer"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    pkg = path.relative_to(SRC.parent).with_suffix("").parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(pkg[: len(pkg) - node.level])
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    names.update(f"{mod}.{a.name}" for a in node.names)
                else:
                    names.add(mod)
            elif node.module:
                names.add(node.module)
    return names


def test_layers_do_not_reach_right():
    bad = []
    for layer, forbidden in FORBIDDEN.items():
        d = SRC / layer
        if not d.exists():
            continue
        for f in d.rglob("*.py"):
            for name in _imports(f):
                parts = name.split(".")
                if parts[0] == "reunite" and len(parts) > 1 and parts[1] in forbidden:
                    bad.append(f"{f.relative_to(SRC)} imports {name}")
                if parts[0] in THIRD_PARTY_FORBIDDEN.get(layer, set()):
                    bad.append(f"{f.relative_to(SRC)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_walker_sees_relative_imports():
    names = _imports(SRC / "genetics" / "kinship.py")
    assert "reunite.genetics.likelihood" in names and "reunite.errors" in names
