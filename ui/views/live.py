"""A screen that shows a result computed from the case (the checklist, the timeline).

The result is computed through :mod:`ui.tasks` when the case or the intake changes, but only
while the screen is visible; a hidden screen just notes that it is out of date and re-runs
when it is shown. One run at a time; a change during a run starts one more run after it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from ui import tasks
from ui.session import CaseSession
from ui.widgets import Screen

__all__ = ["LiveScreen"]


class LiveScreen(Screen):
    def __init__(self, title: str, session: CaseSession, parent: QWidget | None = None, *,
                 scroll: bool = False, label: str = "Working") -> None:
        super().__init__(title, parent, scroll=scroll)
        self.session = session
        self._stale = True
        self._runner = tasks.LatestTask(self, self._make, on_success=self._done, on_error=self._failed,
                                        label=label)
        session.records_changed.connect(self.schedule)
        session.intake_changed.connect(self.schedule)
        session.opened.connect(self._case_opened)

    # -- for subclasses ---------------------------------------------------------------------------

    def work(self) -> tasks.TaskFn | None:
        """The task function for the current case, or None when there is nothing to compute."""
        raise NotImplementedError

    def show_result(self, result: Any) -> None:
        raise NotImplementedError

    def show_nothing(self) -> None:
        """No case, or a new case: show the empty state."""

    def show_running(self, running: bool) -> None:
        """A run started or ended."""

    def show_error(self, exc: BaseException) -> None:
        tasks.present_error(self, exc, what=self._runner._label)

    # -- the machinery ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._runner.pending

    def schedule(self) -> None:
        """The case changed: re-run now if visible, else when next shown."""
        self._stale = True
        if self.isVisible():
            self._run()

    def rerun(self) -> None:
        self._stale = True
        self._run()

    def _run(self) -> None:
        self._stale = False
        self._runner.request()

    def _make(self) -> tasks.TaskFn | None:
        fn = self.work()
        if fn is None:
            self.show_nothing()
            return None
        self.show_running(True)
        return fn

    def _done(self, result: Any) -> None:
        self.show_running(False)
        self.show_result(result)

    def _failed(self, exc: BaseException) -> None:
        self.show_running(False)
        self.show_error(exc)

    def _case_opened(self) -> None:
        self._runner.cancel()
        self.show_nothing()
        self._stale = True

    def cancel_work(self) -> None:
        self._runner.cancel()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._run()
