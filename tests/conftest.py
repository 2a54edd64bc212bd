"""Shared test fixtures: where ../shared is, and a helper to run the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_paths import SHARED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; set REUNITE_SHARED")
    return SHARED
