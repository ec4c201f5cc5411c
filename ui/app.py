"""Entry point of the desktop app: ``records-bundler-gui``.

::

    records-bundler-gui                      the default case
    records-bundler-gui --case DIR           a case folder
    records-bundler-gui --demo               the demo case (made on first use)
    records-bundler-gui --case DIR --screenshot out.png [--screen records]
    records-bundler-gui --case DIR --show "CT CHEST WITH CONTRAST REPORT" --screenshot out.png
    records-bundler-gui --version

Arguments are parsed, and the display checked, before Qt is started: ``--version`` and
``--help`` work anywhere, and a machine without a desktop gets one plain line and exit
code 2 instead of Qt's abort.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import bundler
from bundler.config import default_case_dir, user_data_dir

if TYPE_CHECKING:
    from bundler.progress import CancelToken, Progress
    from bundler.store import CaseStore
    from ui.main_window import MainWindow
    from ui.operations import ImportOutcome

__all__ = ["EXIT_NO_DISPLAY", "NO_DISPLAY_MESSAGE", "demo_dirs", "main", "user_data_dir"]

log = logging.getLogger(__name__)

PROG: Final = "records-bundler-gui"
EXIT_ERROR: Final = 1
EXIT_NO_DISPLAY: Final = 2
EXIT_USAGE: Final = 2
NO_DISPLAY_MESSAGE: Final = (
    "No display found: the app needs a graphical desktop. "
    "Use `records-bundler` (the CLI) or run under Xvfb."
)
SCREENSHOT_TIMEOUT_MS: Final = 180_000


# -- before Qt --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Gather medical records for a second opinion (desktop app).",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--case", metavar="DIR", type=Path, help="open the case in this folder")
    which.add_argument(
        "--demo", action="store_true", help="open the demo case (made with sample records on first use)"
    )
    parser.add_argument(
        "--screenshot",
        metavar="OUT.png",
        type=Path,
        help="show the window, save a picture of it to OUT.png once everything is shown, and exit",
    )
    parser.add_argument(
        "--screen", metavar="NAME", help="the screen to show first (start, add, records, timeline, ...)"
    )
    parser.add_argument(
        "--show", metavar="RECORD",
        help="open this record on the Records screen: document:ID, study:UID, series:UID, or words of "
             "its title (the first record whose title has them)",
    )
    parser.add_argument(
        "--lang", choices=["en", "es"],
        help="show the app in this language this time (default: the one chosen in the app, else the system's)",
    )
    parser.add_argument(
        "--explain-in", metavar="LANG", choices=["en", "es"],
        help="with --show: explain a document's words in this language (en or es)",
    )
    return parser


def demo_dirs() -> tuple[Path, Path]:
    """(media folder, case folder) of the demo case."""
    root = user_data_dir() / "demo"
    return root / "media", root / "case"


def _display_problem() -> str | None:
    """Why Qt could not open a window here, or None when it (probably) can.

    Only X11/Wayland desktops need the check: macOS and Windows always have a screen for a
    logged-in user. An explicit QT_QPA_PLATFORM (offscreen, minimal, xcb...) is trusted.
    """
    if sys.platform in ("darwin", "win32", "cygwin") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    display = os.environ.get("DISPLAY", "")
    if not display:
        return NO_DISPLAY_MESSAGE
    if _x_server_reachable(display) is False:
        # Otherwise Qt's xcb plugin prints several lines and aborts with a core dump.
        return (
            f"Cannot open the display {display}: is the X server running? "
            "Or use `records-bundler` (the CLI)."
        )
    return None


def _x_server_reachable(display: str) -> bool | None:
    """Connect to the X server's socket; None when the DISPLAY form is not one we can test."""
    host, sep, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not sep or not number.isdigit() or host.startswith("/"):  # e.g. macOS launchd sockets
        return None
    try:
        if host in ("", "unix"):
            path = f"/tmp/.X11-unix/X{number}"
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                try:
                    sock.connect("\0" + path)  # Linux abstract socket, tried first by libxcb
                except OSError:
                    sock.close()
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock2:
                        sock2.settimeout(2)
                        sock2.connect(path)
            return True
        with socket.create_connection((host, 6000 + int(number)), timeout=2):
            return True
    except OSError:
        return False


def _setup_logging() -> None:
    """stderr and a log file, both behind the core's patient-data redaction filter."""
    from bundler.config import user_log_dir
    from bundler.logs import setup_logging

    try:
        setup_logging(logging.WARNING, file=user_log_dir() / "records-bundler-gui.log")
    except OSError:  # a read-only home must not stop the app; stderr still works
        setup_logging(logging.WARNING)


# -- the demo case -------------------------------------------------------------------------


def prepare_demo(
    store: CaseStore | None, media_dir: Path, case_dir: Path, progress: Progress, cancel: CancelToken
) -> ImportOutcome:
    """Write the demo media afresh and import it into the demo case. Runs in a task."""
    from bundler.demo import write_demo
    from ui.operations import import_into_case

    progress(0, None, "Making the sample records…")
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and swapped in, so a half-written media folder is never imported.
    staging = Path(tempfile.mkdtemp(prefix=".media-", dir=media_dir.parent))
    try:
        made = write_demo(staging)
        cancel.raise_if_cancelled()
        relative = [Path(made.cd_dir).relative_to(staging), Path(made.documents_dir).relative_to(staging)]
        intake_file = getattr(made, "intake_file", None)
        intake_relative = Path(intake_file).relative_to(staging) if intake_file else None
        if media_dir.exists():
            shutil.rmtree(media_dir)
        staging.rename(media_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    outcome = import_into_case(store, case_dir, [media_dir / r for r in relative], progress, cancel)
    if intake_relative is not None and (media_dir / intake_relative).is_file():
        # The demo patient's own answers too, so "About you" shows what it is for.
        from bundler.intake import load_intake, read_intake_file, save_intake

        if load_intake(outcome.store).is_empty:
            save_intake(outcome.store, read_intake_file(media_dir / intake_relative))
    return outcome


# -- with Qt ---------------------------------------------------------------------------------


def freeze_startup_objects() -> None:
    """Keep the objects made at start-up (Qt wrappers, modules, the window) out of the cyclic
    garbage collector's full passes.

    A full collection scans every tracked object and holds the GIL while it does: measured on
    a 2,000-image export, one took 117 ms on the worker, and the window could not answer meanwhile.
    Frozen, the start-up objects are no longer scanned (they are still freed by reference
    counting); the same collection took 15 ms. Called once the first window is built.
    """
    import gc

    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the process exit code."""
    import multiprocessing

    multiprocessing.freeze_support()  # imports run on spawned worker processes (PyInstaller builds)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return int(exc.code or 0)
    if args.version:
        print(f"{PROG} {bundler.__version__}")
        return 0

    from ui.main_window import screen_key  # imports Qt modules but needs no display

    screen = None
    if args.screen is not None:
        screen = screen_key(args.screen)
        if screen is None:
            parser.print_usage(sys.stderr)
            print(f"{PROG}: unknown screen {args.screen!r}", file=sys.stderr)
            return EXIT_USAGE
    if args.case is not None and not args.case.is_dir():
        print(f"{PROG}: there is no case folder at {args.case}", file=sys.stderr)
        return EXIT_USAGE

    problem = _display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY

    _setup_logging()
    return _run(args, screen)


def _run(args: argparse.Namespace, screen: str | None) -> int:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QWidget

    from ui import tasks
    from ui.main_window import APP_TITLE, MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else PROG])
    assert isinstance(app, QApplication)
    app.setApplicationName("records-bundler")
    app.setApplicationDisplayName(APP_TITLE)
    app.setApplicationVersion(bundler.__version__)
    app.setDesktopFileName("records-bundler")

    from ui.i18n import install
    from ui.settings import AppSettings

    settings = AppSettings.load()
    install(app, args.lang or settings.language)  # before the first window: it is built in one language

    screenshot: Path | None = args.screenshot
    failures: list[str] = []
    if screenshot is not None:
        # Nobody is there to press OK: errors go to stderr and fail the run.
        def to_stderr(parent: QWidget | None, title: str, text: str, is_error: bool) -> None:
            print(text.split("\n\n", 1)[0], file=sys.stderr)
            if is_error:
                failures.append(text)

        tasks.set_message_sink(to_stderr)

    previous_hook = sys.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        # Exceptions escaping a slot end up here (PySide6 calls sys.excepthook and goes on).
        if isinstance(exc, KeyboardInterrupt):
            previous_hook(kind, exc, tb)
            return
        tasks.present_error(QApplication.activeWindow(), exc.with_traceback(tb), what="app")

    sys.excepthook = excepthook
    code = EXIT_ERROR
    try:
        if args.demo:
            media_dir, case_dir = demo_dirs()
        else:
            case_dir = args.case if args.case is not None else default_case_dir()
        window = MainWindow(case_dir, settings=settings)
        if args.case is not None and window.load_error is not None:
            # Asked for this case by name: say why it cannot be opened rather than show nothing.
            tasks.present_error(None, window.load_error, what="opening the case")
            window.close()
            return EXIT_ERROR
        freeze_startup_objects()
        if screen is not None:
            window.show_screen(screen)
        if args.show:
            if not window.records_view.show_record(args.show, lang=args.explain_in):
                print(f"{PROG}: no record matches {args.show!r}", file=sys.stderr)
                window.close()
                return EXIT_USAGE
            window.show_screen("records")
        window.show()
        if args.demo and not window.listing.studies:
            # First use, or a demo case left half-made: imports are idempotent, so just go again.
            store = window.store
            window.run_case_operation(
                lambda progress, cancel: prepare_demo(store, media_dir, case_dir, progress, cancel),
                title=QCoreApplication.translate("App", "Making the demo case…"),
                label="Making the demo case",
                show_records=screen is None,
            )
        if screenshot is not None:
            waiter = _ScreenshotWhenIdle(app, window, screenshot, failures)  # noqa: F841 (kept alive)
        code = app.exec()
    except Exception as exc:  # before the event loop runs: nothing else would catch it
        tasks.present_error(None, exc, what="starting the app")
    finally:
        tasks.cancel_all()
        tasks.wait_all(30_000)
        sys.excepthook = previous_hook
        if screenshot is not None:
            tasks.set_message_sink(None)
    if failures and code == 0:
        code = EXIT_ERROR
    return code


class _ScreenshotWhenIdle:
    """Saves the window once it is painted and no task is running, then quits the app."""

    def __init__(self, app: Any, window: MainWindow, out: Path, failures: list[str]) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.app, self.window, self.out, self.failures = app, window, out, failures
        self.settled = 0
        self.clock = QElapsedTimer()
        self.clock.start()
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        from ui import tasks

        handle = self.window.windowHandle()
        exposed = handle is not None and handle.isExposed()
        if exposed and tasks.active_count() == 0 and not self.failures:
            # A few quiet ticks: layouts, deferred deletes and the first paint settle.
            self.settled += 1
        else:
            self.settled = 0
        if self.failures:
            self.timer.stop()
            self.app.exit(EXIT_ERROR)
        elif self.settled >= 4:
            self.timer.stop()
            self.app.exit(self._save())
        elif self.clock.elapsed() > SCREENSHOT_TIMEOUT_MS:
            self.timer.stop()
            print(f"{PROG}: gave up waiting for the window to settle", file=sys.stderr)
            self.app.exit(EXIT_ERROR)

    def _save(self) -> int:
        self.window.repaint()
        pixmap = self.window.grab()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if not pixmap.save(str(self.out), "PNG"):
            print(f"{PROG}: could not write {self.out}", file=sys.stderr)
            return EXIT_ERROR
        print(f"Saved {self.out} ({pixmap.width()}x{pixmap.height()})")
        return 0


if __name__ == "__main__":
    sys.exit(main())
