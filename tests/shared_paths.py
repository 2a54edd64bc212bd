"""Where the project's shared folder (golden cases, frequency sources) is for the tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REUNITE_SHARED", ROOT.parent / "shared")).resolve()
