"""Shared test fixtures: where ../shared is, and a helper to run the CLI.

What a test needs from the machine (PostgreSQL, Chromium, poppler, a CJK font) is asked of
``tests/needs.py`` (``need_postgresql()``, ``need_chromium()``, ``need_tool(name)``, ``need_cjk_font()``):
skipped with the reason outside CI, a failure on CI (``CI=true``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from shared_paths import SHARED

# The audit log's key and anchors of stores without a folder of their own (PostgreSQL) live in
# $XDG_STATE_HOME/reunite: the tests keep theirs in a temporary folder, never in the user's home.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="reunite-test-state-")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; set REUNITE_SHARED")
    return SHARED
