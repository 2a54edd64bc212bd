"""The layers of DESIGN.md, checked on the source: who may import whom, and which libraries.

Every module under ``src/reunite`` is parsed (nothing is imported) and every import in it is
collected: at the top, inside functions, under ``if TYPE_CHECKING``, relative or absolute, and
``importlib.import_module("...")`` with a constant name.  Then:

* a layer imports only itself and the layers to its left (genetics < search < evidence < maps
  < notify < cases < reports < network < alerts < web), plus the package root and :mod:`reunite.errors`, which import no
  layer;
* a package beside the layers (simulation, benchmarking, labfiles) imports only what it is listed with,
  and no layer imports it, except those listed in ``USED_BY`` (cases reads and writes lab files);
* nothing imports the top (``cli``, ``commands``, ``demo``, ``kunming``, ``__main__``) except
  the top itself, which may import anything;
* a library is imported only where DESIGN.md puts it: the CLI libraries (typer, click) only in
  ``cli`` and ``commands``; Dask only in :mod:`reunite.search.batch`; SQLAlchemy and Alembic in
  cases and the layers to its right (and the top); the web server stack only in ``web``.

A module that is in no layer and not at the top fails the test until it is placed here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reunite"

# DESIGN.md's layers, data flowing left to right; a layer imports only layers to its left.
LAYERS = ["genetics", "search", "evidence", "maps", "notify", "cases", "reports", "network", "alerts", "web"]
# Packages beside the layers, with the layers (and side packages) each may import: no layer imports them.
BESIDE = {
    "simulation": {"genetics", "search"},                    # simulated populations as the search's CSV files
    "benchmarking": {"genetics", "search", "simulation"},    # figures for `reunite bench` and benchmarks/
    "labfiles": {"genetics"},                                # the files labs exchange (GeneMapper, Familias, CMF)
}
# The exceptions to "no layer imports a side package": the layers that may, and why.
USED_BY = {"labfiles": {"cases"}}   # cases stores the profiles of lab files (cases.importing, cases.labexport)
TOP = {"cli", "commands", "demo", "kunming", "__main__"}   # may import any layer; no layer imports them
BASE = {"__init__", "errors"}                             # the package root and the error tree: anyone

# Known exceptions, each to be removed with the module.  test_known_exceptions_still_exist
# fails once a listed module is gone, so its entry goes too.
KNOWN: dict[str, str] = {
    # Alembic's environment is a script run by the migrations, not imported by the layers: it must
    # see the tables of every layer that has some on the store's Base (cases, network).
    "reunite.cases.migrations.env": "the migrations' metadata holds the network's tables too",
}

CLI = ("typer", "click")
DASK = ("dask", "distributed")
STORE = ("sqlalchemy", "alembic")
WEB = ("fastapi", "starlette", "uvicorn")


def library_allowed(lib: str, module: str) -> bool:
    """May ``module`` (dotted, e.g. ``reunite.search.batch``) import top-level library ``lib``?"""
    unit = _unit(module)
    if lib in CLI:
        return unit in ("cli", "commands")
    if lib in DASK:
        return module == "reunite.search.batch"
    if lib in STORE:
        return unit in TOP or (unit in LAYERS and LAYERS.index(unit) >= LAYERS.index("cases"))
    if lib in WEB:
        return unit == "web"
    return True


def _unit(module: str) -> str:
    """The layer, top-level unit or base module a dotted ``reunite`` module name belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the package as (dotted name, path)."""
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("").parts
        if rel[-1] == "__init__" and len(rel) > 1:
            rel = rel[:-1]
        yield ".".join(rel), path


def imports(path: Path, root: Path = SRC) -> set[str]:
    """The dotted names ``path`` (a module of package ``root``) imports, relative imports resolved,
    wherever they appear in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = path.relative_to(root.parent).with_suffix("").parts  # ('reunite', 'search', 'index' or '__init__')
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg[: len(pkg) - node.level])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def _placed(unit: str) -> bool:
    return unit in LAYERS or unit in BESIDE or unit in TOP or unit in BASE


def test_every_module_is_placed():
    unplaced = sorted(m for m, _ in modules() if not _placed(_unit(m)))
    assert not unplaced, ("modules in no layer (add them to a layer of DESIGN.md or to TOP in "
                          f"tests/test_layers.py): {', '.join(unplaced)}")


def layer_problems(module: str, names: set[str]) -> list[str]:
    """What is wrong with ``module`` (dotted) importing ``names`` (dotted), by the layer rules."""
    unit = _unit(module)
    if unit in TOP or module in KNOWN:
        return []
    bad: list[str] = []
    reported: set[str] = set()
    for name in sorted(names):  # a module before the names imported from it
        parts = name.split(".")
        if parts[0] != "reunite" or len(parts) < 2 or any(name.startswith(f"{r}.") for r in reported):
            continue
        reported.add(name)
        other = parts[1]
        if other in TOP:
            bad.append(f"{module} imports {name}: no layer imports the commands, the CLI or the demo")
        elif other == unit or other in BASE or other not in {*LAYERS, *BESIDE}:
            continue
        elif unit in BASE:
            bad.append(f"{module} imports {name}: the package root and reunite.errors import no layer")
        elif unit in BESIDE:
            if other not in BESIDE[unit]:
                bad.append(f"{module} imports {name}: {unit} may import only {', '.join(sorted(BESIDE[unit]))}")
        elif other in BESIDE and unit in USED_BY.get(other, ()):
            continue
        elif other in BESIDE:
            bad.append(f"{module} imports {name}: no layer imports {other}, a package beside the layers")
        elif unit in LAYERS and LAYERS.index(other) > LAYERS.index(unit):
            bad.append(f"{module} imports {name}: {unit} may not reach {other}, a layer to its right")
    return bad


def test_layers_import_only_to_their_left():
    bad = [p for module, path in modules() for p in layer_problems(module, imports(path))]
    assert not bad, "\n".join(bad)


def test_the_layer_rules_catch_what_they_should():
    assert layer_problems("reunite.genetics.kinship", {"reunite.search.index"})
    assert layer_problems("reunite.cases.models", {"reunite.web.app", "reunite.web"}) == [
        "reunite.cases.models imports reunite.web: cases may not reach web, a layer to its right"]
    assert layer_problems("reunite.cases.db", {"reunite.commands._common"})
    assert layer_problems("reunite.search.io", {"reunite.simulation.io"})
    assert layer_problems("reunite.simulation.io", {"reunite.cases.models"})
    assert layer_problems("reunite.errors", {"reunite.genetics"})
    assert not layer_problems("reunite.reports.store", {"reunite.cases.db", "reunite.genetics", "reunite.errors"})
    assert not layer_problems("reunite.simulation.io", {"reunite.search.io", "reunite.genetics.simulate"})
    assert not layer_problems("reunite.commands.serve", {"reunite.web.server", "reunite.cli"})


def test_known_exceptions_still_exist():
    here = {m for m, _ in modules()}
    assert set(KNOWN) <= here, f"remove from KNOWN in tests/test_layers.py: {', '.join(sorted(set(KNOWN) - here))}"


def test_libraries_stay_in_their_layer():
    bad = []
    for module, path in modules():
        for name in sorted(imports(path)):
            lib = name.split(".")[0]
            if not library_allowed(lib, module):
                bad.append(f"{module} imports {name}")
    assert not bad, "libraries imported outside their layer:\n" + "\n".join(bad)


def test_the_rules_say_what_design_md_says():
    assert not library_allowed("typer", "reunite.search.commands")
    assert not library_allowed("typer", "reunite.errors")
    assert library_allowed("typer", "reunite.commands.search") and library_allowed("typer", "reunite.cli")
    assert library_allowed("dask", "reunite.search.batch")
    assert not library_allowed("distributed", "reunite.search.kernel")
    assert not library_allowed("dask", "reunite.commands.search")
    assert not library_allowed("sqlalchemy", "reunite.search.io")
    assert library_allowed("sqlalchemy", "reunite.reports.store") and library_allowed("alembic", "reunite.cases.db")
    assert not library_allowed("uvicorn", "reunite.commands.serve")
    assert library_allowed("fastapi", "reunite.web.app")


def test_the_walker_sees_every_kind_of_import(tmp_path):
    names = imports(SRC / "genetics" / "kinship.py")
    assert "reunite.genetics.likelihood" in names and "reunite.errors" in names
    src = tmp_path / "reunite" / "search" / "x.py"
    src.parent.mkdir(parents=True)
    src.write_text("from typing import TYPE_CHECKING\n"
                   "if TYPE_CHECKING:\n    from ..cases import models\n"
                   "def f():\n    import dask.distributed\n    from . import kernel\n    from .. import web\n"
                   "    importlib.import_module('typer')\n")
    got = imports(src, root=tmp_path / "reunite")
    assert {"reunite.cases.models", "dask.distributed", "reunite.search.kernel", "reunite.web", "typer"} <= got


def test_importing_the_layers_loads_no_cli_dask_or_web_library():
    """At run time too: importing every layer below the web loads none of the libraries of the
    commands, the batch search or the web server (they are imported where they are used)."""
    code = ("import sys, reunite.genetics, reunite.search, reunite.evidence, reunite.cases, reunite.reports\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & {*CLI, *DASK, *WEB}, loaded & {*CLI, *DASK, *WEB}


# Imports that may stay inside a function, as (module, imported name): why.  Every other import of
# a module outside ``commands`` is at its top, so that no cycle hides inside a function (the
# commands import late on purpose: it keeps ``reunite --help`` fast).  An entry whose import has
# moved to the top fails the test below until it is removed here.
LATE_IMPORTS = {
    ("reunite.search.batch", "dask.distributed"): "Dask is the optional extra 'batch' (install hint if missing)",
    ("reunite.search.batch", "dask"): "Dask is the optional extra 'batch'",
    ("reunite.evidence.face", "dlib"): "dlib is the optional extra 'faces' (install hint if missing)",
}


def test_imports_are_at_the_top_outside_the_commands():
    late = set()
    for module, path in modules():
        if _unit(module) == "commands":
            continue
        pkg = path.relative_to(SRC.parent).with_suffix("").parts
        for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    late.update((module, a.name) for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    base = ".".join(pkg[: len(pkg) - node.level]) if node.level else ""
                    late.add((module, ".".join(p for p in (base, node.module) if p)))
    hidden = sorted(f"{m} imports {n} inside a function" for m, n in late - set(LATE_IMPORTS))
    assert not hidden, "import these at the top (or list why not in LATE_IMPORTS):\n" + "\n".join(hidden)
    gone = sorted(f"{m}: {n}" for m, n in set(LATE_IMPORTS) - late)
    assert not gone, "now at the top: remove from LATE_IMPORTS in tests/test_layers.py: " + ", ".join(gone)
