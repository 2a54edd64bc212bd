"""Every exception class of Reunite derives from ReuniteError and is drawn in errors.py's tree."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import reunite.errors
from reunite.errors import ReuniteError

SRC = Path(__file__).resolve().parents[1] / "src" / "reunite"


def _exception_classes():
    """(module, class name) of every class in the package that derives from an exception."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    (getattr(b, "id", None) or getattr(b, "attr", "")).endswith(("Error", "Exception"))
                    for b in node.bases):
                rel = path.relative_to(SRC.parent).with_suffix("").parts
                yield ".".join(rel[:-1] if rel[-1] == "__init__" else rel), node.name


def test_every_exception_derives_from_reunite_error_and_is_in_the_tree():
    found = list(_exception_classes())
    assert {"WorkflowError", "SchemaError", "MissingFontError", "WebError"} <= {name for _, name in found}
    for module, name in found:
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, ReuniteError), f"{module}.{name} does not derive from ReuniteError"
        assert name in reunite.errors.__doc__, f"{module}.{name} is not in the tree of reunite.errors"


def test_second_bases_that_callers_catch_are_kept():
    from reunite.cases.workflow import WorkflowError
    from reunite.reports.fonts import MissingFontError

    assert issubclass(WorkflowError, ValueError) and issubclass(MissingFontError, FileNotFoundError)
