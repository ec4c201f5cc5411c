"""The desktop app: start-up without a display, background tasks, the main window, a screenshot."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

import bundler
from bundler.errors import BundlerError, Cancelled, SourceError
from ui import tasks
from ui.app import EXIT_NO_DISPLAY, NO_DISPLAY_MESSAGE, main
from ui.main_window import APP_TITLE, DEFAULT_SIZE, SCREENS, MainWindow, screen_key
from ui.models.records import ObjectRole
from ui.operations import import_into_case
from ui.text import display_name, format_date, import_summary

from bundler.progress import CancelToken, Progress

REPO = Path(__file__).resolve().parents[2]
NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}


def gui_command() -> list[str]:
    """The installed ``records-bundler-gui`` script, or ``python -m ui.app`` without one."""
    script = Path(sys.executable).with_name("records-bundler-gui")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ui.app"]


def app_env(**overrides: str | None) -> dict[str, str]:
    """The environment for running the app; a None value removes the variable."""
    env = dict(os.environ)
    # An editable install made before ui/ existed does not map `ui`; the repo root always does.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_gui(*args: str, timeout: float = 120, **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*gui_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=app_env(**env),
        check=False,
    )


# -- starting up ------------------------------------------------------------------------------


def test_version_needs_no_display() -> None:
    result = run_gui("--version", timeout=60, **NO_DISPLAY)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"records-bundler-gui {bundler.__version__}\n"
    assert result.stderr == ""


def test_no_display_is_one_plain_line_and_exit_2() -> None:
    result = run_gui(timeout=60, **NO_DISPLAY)
    assert result.returncode == EXIT_NO_DISPLAY
    assert result.stderr.strip() == NO_DISPLAY_MESSAGE
    assert result.stdout == ""


def test_unreachable_display_does_not_abort(tmp_path: Path) -> None:
    number = next(n for n in range(4242, 4342) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    result = run_gui(timeout=60, DISPLAY=f":{number}", WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    assert result.returncode == EXIT_NO_DISPLAY
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_usage_errors_need_no_display(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--screen", "no-such-screen"]) == 2
    assert "unknown screen" in capsys.readouterr().err
    assert main(["--case", str(tmp_path / "missing")]) == 2
    assert "no case folder" in capsys.readouterr().err
    assert main(["--case", str(tmp_path), "--demo"]) == 2  # argparse: not allowed together


# -- ui/tasks.py ----------------------------------------------------------------------------------


def test_progress_arrives_on_the_main_thread_at_most_10_hz(qtbot: QtBot) -> None:
    main_thread = threading.get_ident()
    seen: list[tuple[int, int | None, str, int]] = []
    results: list[tuple[object, int]] = []
    elapsed: list[float] = []

    def work(progress: Progress, cancel: CancelToken) -> str:
        assert threading.get_ident() != main_thread
        start = time.monotonic()
        for i in range(1, 201):
            progress(i, 200, "step")
            time.sleep(0.002)
        elapsed.append(time.monotonic() - start)
        return "done"

    tasks.run_task(
        None,
        work,
        on_success=lambda r: results.append((r, threading.get_ident())),
        on_progress=lambda d, t, m: seen.append((d, t, m, threading.get_ident())),
    )
    assert tasks.wait_all(20_000)
    assert results == [("done", main_thread)]
    assert {s[3] for s in seen} == {main_thread}
    assert seen[-1][:3] == (200, 200, "step")  # the final one always arrives
    assert 2 <= len(seen) <= elapsed[0] / tasks.PROGRESS_INTERVAL_S + 2


def test_the_last_progress_is_delivered_even_when_throttled(qtbot: QtBot) -> None:
    seen: list[tuple[int, int | None]] = []

    def work(progress: Progress, cancel: CancelToken) -> None:
        for i in range(1, 51):
            progress(i, None, "")  # no total: only the throttle and the flush deliver

    tasks.run_task(None, work, on_success=lambda r: None, on_progress=lambda d, t, m: seen.append((d, t)))
    assert tasks.wait_all(10_000)
    assert seen[0] == (1, None)
    assert seen[-1] == (50, None)
    assert len(seen) <= 3


def test_cancel_is_silent(qtbot: QtBot, messages: list[tuple[str, str]]) -> None:
    started = threading.Event()
    outcomes: list[str] = []

    def work(progress: Progress, cancel: CancelToken) -> None:
        started.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cancel.raise_if_cancelled()
            time.sleep(0.005)
        raise AssertionError("never cancelled")

    handle = tasks.run_task(
        None,
        work,
        on_success=lambda r: outcomes.append("success"),
        on_error=lambda e: outcomes.append(f"error {e!r}"),
        on_cancelled=lambda: outcomes.append("cancelled"),
    )
    assert started.wait(10)
    handle.cancel()
    assert tasks.wait_all(10_000)
    assert outcomes == ["cancelled"]
    assert messages == []

    # Without callbacks for it, a cancel is still no error.
    handle = tasks.run_task(None, lambda p, c: c.raise_if_cancelled(), on_success=outcomes.append)
    handle.token.cancel()
    tasks.run_task(None, lambda p, c: (_ for _ in ()).throw(Cancelled()), on_success=outcomes.append)
    assert tasks.wait_all(10_000)
    assert messages == []


def test_exceptions_reach_on_error_on_the_main_thread(qtbot: QtBot) -> None:
    main_thread = threading.get_ident()
    boom = ValueError("bad header")
    received: list[tuple[BaseException, int]] = []

    def work(progress: Progress, cancel: CancelToken) -> None:
        raise boom

    tasks.run_task(
        None,
        work,
        on_success=lambda r: pytest.fail("no success expected"),
        on_error=lambda e: received.append((e, threading.get_ident())),
    )
    assert tasks.wait_all(10_000)
    assert received == [(boom, main_thread)]


@pytest.mark.parametrize(
    ("exc", "shown"),
    [
        (SourceError("This disc cannot be read."), "This disc cannot be read."),
        (KeyError("DOE^JANE 19610303"), tasks.SOMETHING_WENT_WRONG),
    ],
)
def test_default_error_handling(
    qtbot: QtBot,
    caplog: pytest.LogCaptureFixture,
    messages: list[tuple[str, str]],
    exc: BaseException,
    shown: str,
) -> None:
    def work(progress: Progress, cancel: CancelToken) -> None:
        raise exc

    with caplog.at_level(logging.INFO):
        tasks.run_task(None, work, on_success=lambda r: None, label="Reading")
        assert tasks.wait_all(10_000)
    assert messages == [("Records Bundler", shown)]
    assert caplog.records, "every error leaves a log entry"
    assert "DOE" not in caplog.text and "19610303" not in caplog.text  # no patient data in logs
    if not isinstance(exc, BundlerError):
        assert "KeyError" in caplog.text


def test_callbacks_are_skipped_when_the_parent_is_gone(qtbot: QtBot) -> None:
    parent = QWidget()
    release = threading.Event()
    called: list[object] = []
    tasks.run_task(parent, lambda p, c: release.wait(10), on_success=called.append)
    shiboken6.delete(parent)
    release.set()
    assert tasks.wait_all(10_000)
    assert called == []


# -- formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pn", "shown"),
    [
        ("DOE^JANE", "Jane Doe"),
        ("Doe^Jane^Q^Dr^PhD", "Dr Jane Q Doe PhD"),
        ("O'BRIEN-SMITH^MARY", "Mary O'Brien-Smith"),
        ("DOE^JOHN^^^III", "John Doe III"),
        ("van der Berg^Anna", "Anna van der Berg"),
        ("=山田^太郎=やまだ^たろう", "山田 太郎"),
        ("ANONYMOUS", "Anonymous"),
        ("", ""),
        ("^^^^", ""),
    ],
)
def test_display_name(pn: str, shown: str) -> None:
    assert display_name(pn) == shown


def test_format_date(qtbot: QtBot) -> None:
    assert "1961" in format_date("19610303") and "19610303" not in format_date("19610303")
    assert format_date("1961.03.03") == format_date("19610303")
    assert format_date("") == ""
    assert format_date("2024") == "2024"  # not a whole date: shown as written
    assert format_date("1961-03-03") == format_date("19610303")  # documents carry ISO dates
    assert format_date("2009-03-29T22:44:11-07:00") == format_date("20090329")
    assert format_date("20241399") == "20241399"


def test_screen_names() -> None:
    assert [screen_key(title) for _, title in SCREENS] == [key for key, _ in SCREENS]
    assert screen_key("RECORDS") == "records"
    assert screen_key("about_you") == "about-you"
    assert screen_key("nope") is None


def test_import_summary() -> None:
    report = SimpleNamespace(files_seen=12, imported=9, skipped=2, failed=1)
    assert import_summary(report) == "Looked at 12 files: 9 added, 2 skipped, 1 could not be read."
    assert "No files" in import_summary(SimpleNamespace(files_seen=0, imported=0, skipped=0, failed=0))


# -- the main window --------------------------------------------------------------------------------


def test_window_without_records(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(tmp_path / "not-yet")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == APP_TITLE
    assert (window.width(), window.height()) == DEFAULT_SIZE
    assert window.current_screen() == "start"
    assert window.nav.count() == len(SCREENS)
    assert not (tmp_path / "not-yet").exists()  # opening the app creates nothing
    window.show_screen("records")
    records = window.records_view
    assert records.records_stack.currentWidget() is records.empty_label
    assert "No records yet" in records.empty_label.text()
    # Without records, the screens built on them say what to do first instead of failing.
    window.show_screen("checklist")
    assert "Add your records first" in window.checklist_view.empty_label.text()
    window.show_screen("timeline")
    assert "Nothing to show yet" in window.timeline_view.empty_label.text()
    window.show_screen("export")
    assert not window.export_view.export_button.isEnabled()
    assert tasks.wait_all(10_000)
    assert not (tmp_path / "not-yet").exists()  # looking around creates nothing


def test_keyboard_moves_between_screens(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(tmp_path / "case")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_screen() == "add"
    qtbot.keyClick(window.nav, Qt.Key.Key_End)
    assert window.current_screen() == "export"


CONTROLS = (QAbstractButton, QAbstractItemView, QLineEdit, QPlainTextEdit, QComboBox, QProgressBar)


def unnamed_controls(root: QWidget) -> list[str]:
    controls = [
        w
        for w in root.findChildren(QWidget)
        if isinstance(w, CONTROLS) and not w.objectName().startswith("qt_")
        and not isinstance(w.parent(), QComboBox)  # a combo's own line edit
    ]
    assert len(controls) >= 6
    return [f"{type(w).__name__} {w.text() if hasattr(w, 'text') else ''}".strip()
            for w in controls if not w.accessibleName()]


def test_every_control_has_an_accessible_name(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(tmp_path / "case")
    qtbot.addWidget(window)
    window.intake_view.symptoms.add_row({})  # rows added later are named too
    window.intake_view.medications.add_row({})
    assert unnamed_controls(window) == []


def test_window_shows_the_demo_case(qtbot: QtBot, demo_case: Any) -> None:
    from bundler.store import CaseStore

    with CaseStore.open(demo_case.case_dir) as store:
        studies, documents, patients = store.studies(), store.documents(), store.patients()
    assert studies, "the demo has studies"
    window = MainWindow(demo_case.case_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.current_screen() == "records"
    assert window.windowTitle() == APP_TITLE  # never patient data in the title
    model = window.records_view.model
    group = model.index(0, 0)
    assert model.rowCount(group) == len(studies)
    shown = {model.index(r, 0, group).data(ObjectRole).study_uid for r in range(model.rowCount(group))}
    assert shown == {s.study_uid for s in studies}
    first = model.index(0, 0, group)
    assert model.rowCount(first) == len(first.data(ObjectRole).series)
    assert window.records_view.tree.isExpanded(group)
    if documents:
        assert model.rowCount(model.index(1, 0)) == len(documents)
    name = display_name(patients[0].name)
    patient_label = window.records_view.patient_label
    assert name and name in patient_label.text()
    assert "^" not in patient_label.text()
    assert patients[0].birth_date not in patient_label.text()  # formatted for people


def test_add_records_imports_in_the_background(
    qtbot: QtBot, tmp_path: Path, demo_media: tuple[Path, ...], messages: list[tuple[str, str]]
) -> None:
    window = MainWindow(tmp_path / "case")
    qtbot.addWidget(window)
    window.show()
    handle = window.add_records(list(demo_media))
    assert handle is not None
    assert window.add_records(list(demo_media)) is None  # one writer: a second import waits
    assert not window.add_buttons[0].isEnabled()
    assert tasks.wait_all(120_000)
    assert messages == []
    assert window.current_screen() == "records"
    model = window.records_view.model
    assert model.rowCount(model.index(0, 0)) > 0
    result = window.result_labels[0].text()
    assert result.startswith("Looked at "), result
    assert window.add_buttons[0].isEnabled()

    window.add_records(list(demo_media))  # the same media again adds nothing
    assert tasks.wait_all(120_000)
    assert " 0 added" in window.result_labels[0].text()
    window.close()
    assert window.store is None


def test_a_cancelled_import_is_silent_and_adds_nothing(
    qtbot: QtBot, tmp_path: Path, demo_media: tuple[Path, ...], messages: list[tuple[str, str]]
) -> None:
    window = MainWindow(tmp_path / "case")
    qtbot.addWidget(window)
    window.show()

    def cancelled_at_once(progress: Progress, cancel: CancelToken) -> object:
        cancel.cancel()  # deterministic: the core sees the cancel before its first file
        return import_into_case(None, window.case_dir, list(demo_media), progress, cancel)

    window.run_case_operation(cancelled_at_once, title="Adding records…", label="test")
    assert tasks.wait_all(120_000)
    assert messages == []
    assert window.result_labels[0].text().startswith("Stopped.")
    window.refresh()
    assert window.records_view.model.rowCount() == 0


# -- screenshots under a real X server ------------------------------------------------------------


def check_screenshot(path: Path, size: tuple[int, int]) -> QImage:
    assert path.is_file(), "no screenshot written"
    image = QImage(str(path))
    assert not image.isNull()
    assert (image.width(), image.height()) == size
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    return image


def test_screenshot_of_the_start_screen(qtbot: QtBot, xvfb: Any, tmp_path: Path) -> None:
    out = tmp_path / "start.png"
    result = run_gui("--screenshot", str(out), "--screen", "start", DISPLAY=xvfb.display,
                     WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    assert result.returncode == 0, result.stderr
    check_screenshot(out, DEFAULT_SIZE)


def test_screenshot_of_the_demo_case(qtbot: QtBot, xvfb: Any, demo_case: Any, tmp_path: Path) -> None:
    out = tmp_path / "records.png"
    result = run_gui("--case", str(demo_case.case_dir), "--screenshot", str(out), "--screen", "records",
                     DISPLAY=xvfb.display, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    assert result.returncode == 0, result.stderr
    check_screenshot(out, DEFAULT_SIZE)


@pytest.mark.slow
def test_demo_is_made_on_first_use(qtbot: QtBot, xvfb: Any, tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    out = tmp_path / "demo.png"
    env = {"DISPLAY": xvfb.display, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None,
           "RECORDS_BUNDLER_HOME": str(home)}
    result = run_gui("--demo", "--screenshot", str(out), timeout=300, **env)
    assert result.returncode == 0, result.stderr
    check_screenshot(out, DEFAULT_SIZE)
    assert (home / "demo" / "case").is_dir() and (home / "demo" / "media").is_dir()
    again = run_gui("--demo", "--screenshot", str(out), timeout=300, **env)  # opened, not made again
    assert again.returncode == 0, again.stderr
