"""Fixtures for every test: isolated user folders, the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import require_shared_data


@pytest.fixture
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user data folder from a test."""
    monkeypatch.setenv("RECORDS_BUNDLER_HOME", str(tmp_path_factory.mktemp("home")))
