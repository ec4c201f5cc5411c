"""Adding records: drag and drop, a CD or DVD, and closing the window while an import runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from bundler.errors import Cancelled
from bundler.ingest import sources
from bundler.ingest.sources import OpticalDrive
from bundler.progress import CancelToken, Progress
from bundler.store import CaseStore
from ui import tasks
from windowkit import open_window
from ui.operations import ImportOutcome


def drop(widget: Any, urls: list[QUrl]) -> tuple[bool, bool]:
    """Drag ``urls`` over ``widget`` and drop them; (enter accepted, drop accepted)."""
    mime = QMimeData()
    mime.setUrls(urls)
    point = QPointF(widget.rect().center())
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False, False
    event = QDropEvent(point, Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return True, event.isAccepted()


def test_drop_folders_onto_add_records(
    qtbot: QtBot, tmp_path: Path, demo_media: tuple[Path, ...], messages: list[tuple[str, str]]
) -> None:
    window = open_window(qtbot, tmp_path / "case")
    window.show_screen("add")
    view = window.add_view
    # A web link is not a record: the drop is refused.
    assert drop(view, [QUrl("https://example.org/report.pdf")]) == (False, False)
    assert drop(view, [QUrl.fromLocalFile(str(p)) for p in demo_media]) == (True, True)
    assert window.session.busy
    assert tasks.wait_all(300_000)
    assert messages == []
    assert window.current_screen() == "records"
    assert window.records_view.model.rowCount() == 2  # scans, then documents
    assert "added" in view.result_label.text()
    window.close()
    assert tasks.wait_all(30_000)


def test_a_read_only_case_refuses_drops(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    import shutil

    case_dir = tmp_path / "case"
    shutil.copytree(demo_case.case_dir, case_dir)
    with CaseStore.open(case_dir) as store:
        store.mark_read_only()
    window = open_window(qtbot, case_dir)
    assert drop(window.add_view, [QUrl.fromLocalFile(str(demo_case.sources[0]))]) == (False, False)
    assert not window.add_view.disc_button.isVisibleTo(window.add_view)
    window.close()
    assert tasks.wait_all(30_000)


def test_import_from_a_cd(
    qtbot: QtBot, tmp_path: Path, demo_media: tuple[Path, ...], monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    cd = demo_media[0]
    found: list[list[OpticalDrive]] = [[]]
    monkeypatch.setattr(sources, "list_optical_drives", lambda: found[0])
    window = open_window(qtbot, tmp_path / "case")
    window.show_screen("add")
    view = window.add_view

    # No disc: a plain next step.
    qtbot.mouseClick(view.disc_button, Qt.MouseButton.LeftButton)
    assert tasks.wait_all(10_000)
    assert "No CD or DVD was found" in view.discs_label.text()
    assert not window.session.busy

    # Two discs: the patient chooses one.
    found[0] = [OpticalDrive(tmp_path / "elsewhere", "HOLIDAY PHOTOS", "/dev/sr1"),
                OpticalDrive(cd, "RIVERSIDE IMAGING", "/dev/sr0")]
    qtbot.mouseClick(view.disc_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.discs_list.count() == 2, timeout=10_000)
    assert view.discs_list.isVisible() and view.add_disc_button.isVisible()
    assert "RIVERSIDE IMAGING" in view.discs_list.item(1).text()
    view.discs_list.setCurrentRow(1)
    qtbot.mouseClick(view.add_disc_button, Qt.MouseButton.LeftButton)
    assert window.session.busy
    assert tasks.wait_all(300_000)
    assert messages == []
    assert window.records_view.model.rowCount() >= 1
    with CaseStore.open(tmp_path / "case") as store:
        assert store.studies()

    # One disc: added at once (nothing new on it the second time).
    found[0] = [OpticalDrive(cd, "RIVERSIDE IMAGING", "/dev/sr0")]
    window.show_screen("add")
    qtbot.mouseClick(view.disc_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.busy or "already" in view.result_label.text(), timeout=10_000)
    assert tasks.wait_all(300_000)
    assert "already in your records" in view.result_label.text()
    window.close()
    assert tasks.wait_all(30_000)


def slow_import(started: list[bool]) -> Any:
    """An "import" that runs until it is cancelled, as a long one would."""

    def work(progress: Progress, cancel: CancelToken) -> ImportOutcome:
        started.append(True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress(1, 10, "Reading files")
            cancel.raise_if_cancelled()
            time.sleep(0.01)
        raise Cancelled()

    return work


def answer_next_box(qtbot: QtBot, button_text: str, seen: list[str]) -> None:
    """Click ``button_text`` in the next modal message box (one shot)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        button.click()

    QTimer.singleShot(20, click)


def test_closing_mid_import_asks_first(qtbot: QtBot, tmp_path: Path, messages: list[tuple[str, str]]) -> None:
    window = open_window(qtbot, tmp_path / "case")
    started: list[bool] = []
    handle = window.run_case_operation(slow_import(started), title="Adding records…", label="Adding records")
    assert handle is not None
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    seen: list[str] = []

    # "Keep going": the window stays and the import goes on.
    answer_next_box(qtbot, "Keep going", seen)
    window.close()
    assert seen == ["Records are still being added."]
    assert window.isVisible() and window.session.busy and not handle.cancelled

    # "Stop and close": the import is cancelled (silently) and the window closes.
    answer_next_box(qtbot, "Stop and close", seen)
    window.close()
    assert len(seen) == 2
    assert not window.isVisible()
    assert handle.cancelled
    assert tasks.wait_all(30_000)
    assert messages == []


def test_closing_when_idle_does_not_ask(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path / "case")
    asked: list[bool] = []
    window.confirm_stop = lambda: asked.append(True) or True  # type: ignore[method-assign]
    window.close()
    assert asked == [] and not window.isVisible()
    assert tasks.wait_all(30_000)
