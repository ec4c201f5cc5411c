"""Progress reporting and cancellation, usable with or without a GUI.

Operations take ``progress`` and ``cancel`` keyword arguments. The CLI passes a printer or
nothing; the UI passes a callback that forwards to a queued Qt signal (see ``ui/tasks.py``).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Protocol

from bundler.errors import Cancelled

__all__ = ["NEVER", "NO_PROGRESS", "CancelToken", "Progress", "TerminalProgress"]


class Progress(Protocol):
    """Called with the units done so far, the total if known, and a short plain message.

    The message never carries patient data (file counts and stage names only).
    """

    def __call__(self, done: int, total: int | None, message: str = "") -> None: ...


def _no_progress(done: int, total: int | None, message: str = "") -> None:
    return None


NO_PROGRESS: Progress = _no_progress


class CancelToken:
    """A flag the caller sets and the operation polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class _Never(CancelToken):
    """A token nobody can cancel (the default)."""

    def cancel(self) -> None:
        raise TypeError("NEVER cannot be cancelled; create a CancelToken instead")


NEVER: CancelToken = _Never()


class TerminalProgress:
    """Progress for the command line: on stderr when it is a terminal, at most 5 updates a
    second ("Packaging 42%" when the total is known, else a count)."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        if not self._tty:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and not (total and done >= total):
            return
        self._last = now
        shown = f"{done * 100 // total}%" if total else f"{done}"
        sys.stderr.write(f"\r{message} {shown}\x1b[K")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
