"""Background work for the UI: the one place in the app that starts threads.

A widget hands a core operation to :func:`run_task` and gets its result back on the main
thread, the way Anki's ``CollectionOp`` and napari's workers do::

    handle = run_task(
        self,
        lambda progress, cancel: import_sources(sources, store, progress=progress, cancel=cancel),
        on_success=self._imported,
        on_progress=dialog.update,
        label="Adding records",
    )
    dialog.canceled.connect(handle.cancel)

``fn(progress, cancel)`` runs on ``QThreadPool.globalInstance()``. ``progress`` is a plain
callable with the :class:`bundler.progress.Progress` signature; it forwards to a queued Qt
signal at most ten times a second (the last call is always delivered). ``cancel`` is a
:class:`bundler.progress.CancelToken` that :meth:`TaskHandle.cancel` sets. Callbacks run on
the main thread. A :class:`bundler.errors.Cancelled` outcome is never an error: it goes to
``on_cancelled`` (if given) and nowhere else.

Errors without an ``on_error`` go to :func:`present_error`: a :class:`BundlerError` shows its
``user_message``; anything else shows a calm "Something went wrong" and is logged without
its message (exception messages from parsers can quote file names and header values, which
may be patient data).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Final

import shiboken6
from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QEventLoop,
    QObject,
    QRunnable,
    Qt,
    QThread,
    QThreadPool,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QMessageBox, QWidget

from bundler.errors import BundlerError, Cancelled
from bundler.progress import CancelToken, Progress

__all__ = [
    "PROGRESS_INTERVAL_S",
    "SOMETHING_WENT_WRONG",
    "LatestTask",
    "TaskHandle",
    "active_count",
    "cancel_all",
    "log_unexpected",
    "present_error",
    "run_task",
    "set_message_sink",
    "wait_all",
]

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S: Final = 0.1
"""At most ten progress updates a second reach the UI; more only costs repaints."""

SOMETHING_WENT_WRONG: Final[str] = QT_TRANSLATE_NOOP(
    "Tasks",
    "Something went wrong, and the last action did not finish.\n\n"
    "The records already in your case are safe. A technical note, without any of your "
    "personal details, was written to the log."
)

TaskFn = Callable[[Progress, CancelToken], Any]
MessageSink = Callable[[QWidget | None, str, str, bool], None]
"""Shows a message: (parent, title, text, is_error)."""

_active: set[TaskHandle] = set()


class TaskHandle(QObject):
    """One running task. Cancel it with :meth:`cancel`; it finishes on its own."""

    # Emitted from the worker thread; connected to this object's slots with
    # Qt.QueuedConnection, so the slots (and the callbacks) run on the main thread.
    _progress = Signal(object, object, str)
    _succeeded = Signal(object)
    _failed = Signal(object)

    finished = Signal()
    """Emitted on the main thread after the outcome was delivered (success, error or cancel)."""

    def __init__(
        self,
        parent: QWidget | None,
        fn: TaskFn,
        *,
        on_success: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
        on_progress: Callable[[int, int | None, str], None] | None,
        on_cancelled: Callable[[], None] | None,
        label: str,
    ) -> None:
        # No Qt parent: the handle must outlive a closed window until its worker returns,
        # or the worker would emit on a deleted object. _active keeps it alive instead.
        super().__init__(None)
        self.label = label
        self.token = CancelToken()
        self._parent = parent
        self._fn = fn
        self._on_success = on_success
        self._on_error = on_error
        self._on_progress = on_progress
        self._on_cancelled = on_cancelled
        self._delivered = False
        self._exited = threading.Event()
        self._progress.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)
        self._succeeded.connect(self._deliver_success, Qt.ConnectionType.QueuedConnection)
        self._failed.connect(self._deliver_failure, Qt.ConnectionType.QueuedConnection)
        self._runnable = _Runnable(self)

    # -- public -------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the operation to stop at its next check; its outcome arrives as a cancel."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    @property
    def done(self) -> bool:
        """True once the outcome was delivered and the worker has returned."""
        return self._delivered and self._exited.is_set()

    # -- worker side ----------------------------------------------------------------------

    def _work(self) -> None:
        throttle = _Throttle(self._progress.emit)
        try:
            result = self._fn(throttle, self.token)
        except BaseException as exc:  # delivered, never lost in a worker thread
            throttle.flush()
            self._failed.emit(exc)
        else:
            throttle.flush()
            self._succeeded.emit(result)
        finally:
            self._exited.set()

    # -- main-thread side -------------------------------------------------------------------

    def _parent_alive(self) -> bool:
        return self._parent is None or shiboken6.isValid(self._parent)

    @Slot(object, object, str)
    def _deliver_progress(self, done: int, total: int | None, message: str) -> None:
        if self._on_progress is not None and not self._delivered and self._parent_alive():
            self._on_progress(done, total, message)

    @Slot(object)
    def _deliver_success(self, result: Any) -> None:
        self._delivered = True
        try:
            if self._parent_alive():
                self._on_success(result)
        finally:
            self._finish()

    @Slot(object)
    def _deliver_failure(self, exc: BaseException) -> None:
        self._delivered = True
        try:
            if isinstance(exc, Cancelled):
                log.info("task cancelled: %s", self.label)
                if self._on_cancelled is not None and self._parent_alive():
                    self._on_cancelled()
            elif self._on_error is not None and self._parent_alive():
                self._on_error(exc)
            else:
                parent = self._parent if self._parent_alive() else None
                present_error(parent, exc, what=self.label)
        finally:
            self._finish()

    def _finish(self) -> None:
        self.finished.emit()
        _prune()


class _Runnable(QRunnable):
    def __init__(self, handle: TaskHandle) -> None:
        super().__init__()
        # The handle holds the only reference; Qt must not delete what Python owns.
        self.setAutoDelete(False)
        self._handle = handle

    def run(self) -> None:
        self._handle._work()


class _Throttle:
    """The ``progress`` callable given to operations; called on the worker thread."""

    def __init__(self, emit: Callable[[int, int | None, str], None]) -> None:
        self._emit = emit
        self._last_emit = float("-inf")
        self._pending: tuple[int, int | None, str] | None = None
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            final = total is not None and done >= total
            if final or now - self._last_emit >= PROGRESS_INTERVAL_S:
                self._last_emit = now
                self._pending = None
                send = True
            else:
                self._pending = (done, total, message)
                send = False
        if send:
            self._emit(done, total, message)

    def flush(self) -> None:
        """Deliver the last call if the throttle held it back."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self._emit(*pending)


def run_task(
    parent: QWidget | None,
    fn: TaskFn,
    *,
    on_success: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[int, int | None, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    label: str = "Working",
) -> TaskHandle:
    """Run ``fn(progress, cancel)`` on the global thread pool; call back on the main thread.

    Parameters
    ----------
    parent
        The widget the work is for. Error messages are shown over it; if it has been
        deleted by the time the task ends, the callbacks are skipped.
    fn
        The work. It must not touch widgets. It receives a throttled ``progress`` callable
        and a :class:`~bundler.progress.CancelToken`.
    on_success
        Called with ``fn``'s return value.
    on_error
        Called with the exception ``fn`` raised, except :class:`~bundler.errors.Cancelled`.
        Defaults to :func:`present_error`.
    on_progress
        Called with ``(done, total, message)``, at most ten times a second.
    on_cancelled
        Called when ``fn`` raised :class:`~bundler.errors.Cancelled`. Never an error.
    label
        A short plain name for logs ("Adding records"); no patient data.
    """
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() != app.thread():  # pragma: no cover
        raise RuntimeError("run_task must be called on the main thread of a QApplication")
    handle = TaskHandle(
        parent,
        fn,
        on_success=on_success,
        on_error=on_error,
        on_progress=on_progress,
        on_cancelled=on_cancelled,
        label=label,
    )
    _active.add(handle)
    log.debug("task started: %s", label)
    QThreadPool.globalInstance().start(handle._runnable)
    return handle


class LatestTask(QObject):
    """Work that is asked for again and again (a re-check, an autosave): one run at a time.

    :meth:`request` starts a run, or, while one is running, asks for one more run after it;
    the running one's result is then dropped (it is already out of date) and the next run
    starts when it ends. ``make`` is called on the main thread when a run starts and returns
    the task function (capturing the state of that moment), or None to skip the run.
    """

    def __init__(
        self,
        parent: QWidget,
        make: Callable[[], TaskFn | None],
        *,
        on_success: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int | None, str], None] | None = None,
        label: str = "Working",
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._make = make
        self._on_success = on_success
        self._on_error = on_error
        self._on_progress = on_progress
        self._label = label
        self._handle: TaskHandle | None = None
        self._again = False

    @property
    def running(self) -> bool:
        return self._handle is not None

    @property
    def pending(self) -> bool:
        """A run is going, or asked for."""
        return self._handle is not None or self._again

    def request(self) -> None:
        if self._handle is not None:
            self._again = True
            return
        self._start()

    def cancel(self) -> None:
        """Drop any further run and ask the running one to stop."""
        self._again = False
        if self._handle is not None:
            self._handle.cancel()

    def _start(self) -> None:
        self._again = False
        fn = self._make()
        if fn is None:
            return
        handle = run_task(
            self._parent,
            fn,
            on_success=self._success,
            on_error=self._error,
            on_progress=self._progress,
            label=self._label,
        )
        self._handle = handle
        handle.finished.connect(self._finished)

    def _success(self, result: Any) -> None:
        if not self._again:
            self._on_success(result)

    def _error(self, exc: BaseException) -> None:
        if self._again:
            return
        if self._on_error is not None:
            self._on_error(exc)
        else:
            present_error(self._parent if shiboken6.isValid(self._parent) else None, exc, what=self._label)

    def _progress(self, done: int, total: int | None, message: str) -> None:
        if self._on_progress is not None and not self._again:
            self._on_progress(done, total, message)

    def _finished(self) -> None:
        self._handle = None
        if self._again and shiboken6.isValid(self):
            self._start()


def _prune() -> None:
    for handle in [h for h in _active if h.done]:
        _active.discard(handle)


def active_count() -> int:
    """Tasks whose worker is still running or whose outcome is not yet delivered."""
    _prune()
    return len(_active)


def cancel_all() -> None:
    """Ask every running task to stop (used when the app quits)."""
    for handle in list(_active):
        handle.cancel()


def wait_all(timeout_ms: int = 30_000) -> bool:
    """Process events until every task has finished and delivered; False on timeout.

    For tests and for shutting down; the app itself never blocks on a task.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if active_count() == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


# -- errors -----------------------------------------------------------------------------------


def _message_box(parent: QWidget | None, title: str, text: str, is_error: bool) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if is_error else QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName(title)
    box.setAccessibleDescription(text)
    box.exec()


_message_sink: MessageSink = _message_box


def set_message_sink(sink: MessageSink | None) -> MessageSink:
    """Route user-facing error messages elsewhere (stderr for --screenshot, a list in tests).

    Returns the previous sink. ``None`` restores the message box.
    """
    global _message_sink
    previous = _message_sink
    _message_sink = sink if sink is not None else _message_box
    return previous


def log_unexpected(exc: BaseException, *, what: str = "") -> None:
    """Log an unexpected exception by type and code location only.

    The message and the values in it are left out on purpose: a parser's message can quote a
    patient name or a file path that contains one.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error("unexpected %s%s at %s", type(exc).__qualname__, f" in {what!r}" if what else "", where or "?")


def present_error(parent: QWidget | None, exc: BaseException, *, what: str = "") -> None:
    """Tell the user about ``exc`` the house way; a cancel is silent.

    :class:`~bundler.errors.BundlerError` shows its ``user_message`` (written for patients,
    free of patient data); anything else is a bug: logged without its message and shown as a
    calm "Something went wrong".
    """
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, BundlerError):
        log.warning("%s failed: %s", what or "action", exc.code)
        _message_sink(parent, "Records Bundler", exc.user_message, True)
        return
    log_unexpected(exc, what=what)
    _message_sink(parent, "Records Bundler", QCoreApplication.translate("Tasks", SOMETHING_WENT_WRONG), True)
