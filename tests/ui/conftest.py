"""Fixtures for the desktop app tests (pytest-qt).

In-process tests run on Qt's offscreen platform unless a display is already there (e.g. CI
under ``xvfb-run``). Tests that run the app as a subprocess and look at its screenshot start
their own Xvfb on a free display number.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Before anything imports Qt: the platform plugin is chosen once, when QApplication starts.
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from support import unavailable
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

REPO = Path(__file__).resolve().parents[2]
# -- isolation --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Cases, the demo and logs go to a temporary folder, never the real user data dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("RECORDS_BUNDLER_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return home


@pytest.fixture(autouse=True)
def messages() -> Iterator[list[tuple[str, str]]]:
    """Messages the app would show in a box, as (title, text); a modal box would hang a test."""
    from ui import tasks

    shown: list[tuple[str, str]] = []

    def sink(parent: QWidget | None, title: str, text: str, is_error: bool) -> None:
        shown.append((title, text))

    previous = tasks.set_message_sink(sink)
    yield shown
    tasks.set_message_sink(previous)


@pytest.fixture(autouse=True)
def _no_leaked_tasks() -> Iterator[None]:
    """Fail any test that leaves background work running (napari does the same for QThreads)."""
    yield
    from ui import tasks

    pool = QThreadPool.globalInstance()
    leaked = tasks.active_count()
    # A worker that delivered its result may still be returning from run(): allow a moment.
    running = 0 if pool.waitForDone(2000) else pool.activeThreadCount()
    if leaked or running:
        tasks.cancel_all()
        tasks.wait_all(10_000)
        pool.waitForDone(10_000)
        pytest.fail(f"the test left background work running: {leaked} task(s), {running} pool thread(s)")


# -- an X server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class XServer:
    display: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def xvfb() -> Iterator[XServer]:
    """A private Xvfb (1280x800x24) on a display number it picks itself (``-displayfd``)."""
    exe = shutil.which("Xvfb")
    if exe is None:
        unavailable("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed in teardown
    process = subprocess.Popen(
        [exe, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-nocursor"],
        pass_fds=(write_fd,),
        stdout=log,
        stderr=log,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + 30
    try:
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:
                raise RuntimeError("Xvfb did not start within 30 s")
            chunk = os.read(read_fd, 16)
            if not chunk:
                raise RuntimeError(f"Xvfb exited early (code {process.poll()})")
            number += chunk
        os.close(read_fd)
        yield XServer(f":{int(number)}", process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# -- the demo case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCase:
    sources: tuple[Path, ...]
    case_dir: Path


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ...]:
    """The demo media (a hospital CD and a folder of documents), written once per session."""
    from bundler.demo import write_demo

    made = write_demo(tmp_path_factory.mktemp("demo-media"))
    return (Path(made.cd_dir), Path(made.documents_dir))


@pytest.fixture(scope="session")
def demo_case(tmp_path_factory: pytest.TempPathFactory, demo_media: tuple[Path, ...]) -> DemoCase:
    """A case made by importing the demo media, the way the CLI would (no Qt involved)."""
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    case_dir = tmp_path_factory.mktemp("demo-case") / "case"
    with CaseStore.open(case_dir, create=True) as store:
        report = import_sources(list(demo_media), store)
        assert report.imported > 0
    return DemoCase(demo_media, case_dir)
