"""The app's own small settings: recent cases and which safety notes were dismissed.

One JSON file (``app.json`` in the user's config folder) through the core's
:func:`bundler.config.read_settings` / :func:`~bundler.config.write_settings`. It is read once
at start-up on the UI thread (a few hundred bytes, before the window shows) and written
through :mod:`ui.tasks`, latest state wins. A damaged file is left alone: the app then works
without it and never overwrites it (the core's rule: settings are never silently replaced).
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from PySide6.QtWidgets import QWidget

from bundler.config import read_settings, write_settings
from bundler.errors import BundlerError
from ui import tasks

__all__ = ["SETTINGS_FILE", "AppSettings", "RecentCase"]

log = logging.getLogger(__name__)

SETTINGS_FILE: Final = "app.json"
MAX_RECENT: Final = 8


@dataclass(frozen=True, slots=True)
class RecentCase:
    path: Path
    label: str  # what the user saw: "Zoë Muñoz-Šimková, 3 studies" (kept on this computer only)
    opened: str  # ISO date-time
    read_only: bool = False


class AppSettings:
    """The settings in memory; :meth:`save` writes them in the background."""

    def __init__(self, data: dict[str, Any], *, writable: bool = True) -> None:
        self.data = data
        self.writable = writable
        self._saver: tasks.LatestTask | None = None

    @classmethod
    def load(cls) -> AppSettings:
        try:
            return cls(read_settings(SETTINGS_FILE))
        except BundlerError as exc:
            log.warning("settings not read: %s", exc.code)
            return cls({}, writable=False)

    # -- recent cases -------------------------------------------------------------------------

    def recent_cases(self) -> list[RecentCase]:
        out = []
        for entry in self.data.get("recent_cases", []):
            try:
                out.append(RecentCase(Path(entry["path"]), str(entry.get("label", "")), str(entry.get("opened", "")),
                                      bool(entry.get("read_only", False))))
            except (KeyError, TypeError):
                continue
        return out

    def remember_case(self, path: Path, label: str, *, read_only: bool = False) -> None:
        path = Path(path).absolute()
        entries = [e for e in self.recent_cases() if e.path != path]
        now = _dt.datetime.now().isoformat(timespec="seconds")
        entries.insert(0, RecentCase(path, label, now, read_only))
        self.data["recent_cases"] = [
            {"path": str(e.path), "label": e.label, "opened": e.opened, "read_only": e.read_only}
            for e in entries[:MAX_RECENT]
        ]

    def forget_case(self, path: Path) -> None:
        path = Path(path).absolute()
        self.data["recent_cases"] = [
            {"path": str(e.path), "label": e.label, "opened": e.opened, "read_only": e.read_only}
            for e in self.recent_cases() if e.path != path
        ]

    # -- the language -------------------------------------------------------------------------------

    @property
    def language(self) -> str:
        """"en", "es", or "system" (the computer's language; the default)."""
        value = str(self.data.get("language", "system"))
        return value if value in ("en", "es", "system") else "system"

    def set_language(self, value: str) -> None:
        self.data["language"] = value if value in ("en", "es") else "system"

    # -- the safety note ------------------------------------------------------------------------

    def safety_note_dismissed(self, case_dir: Path) -> bool:
        return str(Path(case_dir).absolute()) in self.data.get("safety_note_dismissed", [])

    def dismiss_safety_note(self, case_dir: Path) -> None:
        dismissed = list(self.data.get("safety_note_dismissed", []))
        key = str(Path(case_dir).absolute())
        if key not in dismissed:
            dismissed.append(key)
        self.data["safety_note_dismissed"] = dismissed[-200:]

    # -- writing ------------------------------------------------------------------------------------

    def save(self, parent: QWidget) -> None:
        if not self.writable:
            return
        if self._saver is None:
            def make() -> tasks.TaskFn:
                snapshot = dict(self.data)
                return lambda progress, cancel: write_settings(SETTINGS_FILE, snapshot)

            self._saver = tasks.LatestTask(parent, make, on_success=lambda _path: None,
                                           on_error=self._failed, label="Saving settings")
        self._saver.request()

    @staticmethod
    def _failed(exc: BaseException) -> None:
        # Settings are a convenience: never interrupt the user about them.
        if isinstance(exc, BundlerError):
            log.warning("settings not saved: %s", exc.code)
        else:
            tasks.log_unexpected(exc, what="saving settings")
