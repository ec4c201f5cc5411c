"""Test helpers shared by every test folder: where the shared data lives, and tools that must
exist in CI (a missing one fails there and skips elsewhere)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> NoReturn:
    """A test's tool or data is missing: in CI that is a failure, elsewhere a skip."""
    pytest.fail(f"{message} (CI must install it: Makefile system-deps)") if IN_CI else pytest.skip(message)
    raise AssertionError("unreachable")


def require_tool(name: str, *, path: str | None = None) -> str:
    """The path of an external tool (``path`` first when it is executable)."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed")
    return found


def require_dir(path: Path, what: str = "shared test data") -> Path:
    if not path.is_dir():
        unavailable(f"{what} not found at {path}")
    return path


def require_shared_data() -> Path:
    return require_dir(SHARED_DATA)


