"""Helpers the UI tests share: a private copy of the demo case, and a shown main window that
is closed only after its background work has ended."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from ui import tasks
from ui.main_window import MainWindow


def copy_case(demo_case: Any, tmp_path: Path) -> Path:
    target = tmp_path / "case"
    shutil.copytree(demo_case.case_dir, target)
    return target


def open_window(qtbot: QtBot, case_dir: Path) -> MainWindow:
    window = MainWindow(case_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def close_window(window: MainWindow) -> None:
    window.close()
    assert tasks.wait_all(30_000)
