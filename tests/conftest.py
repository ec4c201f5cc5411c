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


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo patient's CD, documents and intake file (written once per test session)."""
    from bundler.demo import write_demo

    root = tmp_path_factory.mktemp("demo-media")
    write_demo(root)
    return root


@pytest.fixture(scope="session")
def demo_case(demo_media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo media imported into a case, with the demo's intake. Read it, never change it."""
    from bundler.ingest.pipeline import import_sources
    from bundler.intake import read_intake_file, save_intake
    from bundler.store import CaseStore

    case = tmp_path_factory.mktemp("demo-case") / "case"
    with CaseStore.open(case, create=True) as store:
        import_sources([demo_media / "CD", demo_media / "Documents"], store)
        intake = demo_media / "intake.toml"
        if intake.exists():
            save_intake(store, read_intake_file(intake))
    return case
