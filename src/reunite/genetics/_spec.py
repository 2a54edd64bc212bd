"""Reading a JSON input (a kinship case, a cohort, a guidance case) given as a mapping or a file."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError, Problem

__all__ = ["read_json_spec"]


def read_json_spec(spec: object, source: str | None, what: str) -> tuple[object, str, str | None]:
    """``spec`` read from its JSON file when it is a path: (the data, the source to name in errors,
    the file's stem or None).  ``what`` ("case", "cohort") names the input in messages and is the
    source of a mapping given without one."""
    if isinstance(spec, str | Path):
        path = Path(spec)
        source = source or str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(Problem(f"cannot read {what}: {exc.strerror}", file=source)) from None
        except json.JSONDecodeError as exc:
            raise InputError(Problem(f"not valid JSON ({exc.msg} at line {exc.lineno})",
                                     file=source, line=exc.lineno)) from None
        return data, source, path.stem
    return spec, source or what, None
