"""The main window: a navigation list on the left, one screen at a time on the right.

The window owns the open case (:class:`ui.session.CaseSession`) and the operations that
change it (importing, opening another case or a received package); the screens live in
:mod:`ui.views`, their item models in :mod:`ui.models`.

The window title is always "Records Bundler": titles end up in task switchers, screen
sharing and window-manager logs, so patient data never goes there.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QWidget,
)

import bundler
from bundler.progress import CancelToken, Progress
from ui import tasks
from ui.operations import CaseListing, ImportOutcome, import_into_case
from ui.session import CaseSession
from ui.settings import AppSettings
from ui.text import display_name, import_summary, plural
from ui.views.add_records import AddRecordsView
from ui.views.checklist import ChecklistView
from ui.views.export import ExportView
from ui.views.intake import IntakeView
from ui.views.records import RecordsView
from ui.views.start import StartView
from ui.views.timeline import TimelineView

if TYPE_CHECKING:
    from bundler.export.package import OpenReport
    from bundler.store import CaseStore

__all__ = ["APP_TITLE", "DEFAULT_SIZE", "SCREENS", "MainWindow", "screen_key"]

log = logging.getLogger(__name__)

APP_TITLE: Final = "Records Bundler"
DEFAULT_SIZE: Final = (1100, 720)

SCREENS: Final[tuple[tuple[str, str], ...]] = (
    ("start", QT_TRANSLATE_NOOP("MainWindow", "Start")),
    ("add", QT_TRANSLATE_NOOP("MainWindow", "Add records")),
    ("records", QT_TRANSLATE_NOOP("MainWindow", "Records")),
    ("about-you", QT_TRANSLATE_NOOP("MainWindow", "About you")),
    ("timeline", QT_TRANSLATE_NOOP("MainWindow", "Timeline")),
    ("checklist", QT_TRANSLATE_NOOP("MainWindow", "Checklist")),
    ("export", QT_TRANSLATE_NOOP("MainWindow", "Export")),
)
"""(key, title) of each screen, in navigation order. ``--screen`` accepts either."""


def screen_key(name: str) -> str | None:
    """The key of the screen called ``name`` ("records", "Add records", "about_you"...)."""
    wanted = "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    for key, title in SCREENS:
        if wanted in (key, "-".join(title.lower().split())):
            return key
    return None


class MainWindow(QMainWindow):
    """The app's one window, over the case in ``case_dir``.

    ``case_dir`` need not exist yet: the Records screen is then empty and the first import
    (or the first answer on "About you") creates the case.
    """

    def __init__(self, case_dir: Path, parent: QWidget | None = None, *,
                 settings: AppSettings | None = None) -> None:
        super().__init__(parent)
        self.session = CaseSession(case_dir, self)
        self._busy_label = ""
        self.settings = settings if settings is not None else AppSettings.load()
        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName(APP_TITLE)
        self.setMinimumSize(800, 520)
        self.resize(*DEFAULT_SIZE)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName(self.tr("Screens"))
        self.nav.setAccessibleDescription(self.tr("Choose a screen. Control and a number key also go there."))
        self.nav.setFixedWidth(max(190, self.fontMetrics().horizontalAdvance("M") * 14))
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.nav.setStyleSheet(
            "QListWidget#nav { background: palette(alternate-base); padding-top: 12px; }"
            "QListWidget#nav::item { padding: 8px 18px; }"
        )
        self.stack = QStackedWidget()
        self.stack.setAccessibleName(self.tr("Screen"))

        self.start_view = StartView(self)
        self.add_view = AddRecordsView(choose_folder=self.choose_folder, choose_files=self.choose_files,
                                       add_sources=self.add_records)
        self.records_view = RecordsView(self.session, choose_folder=self.choose_folder,
                                        choose_files=self.choose_files)
        self.intake_view = IntakeView(self.session)
        self.timeline_view = TimelineView(self.session)
        self.checklist_view = ChecklistView(self.session)
        self.export_view = ExportView(self.session)
        self.views: dict[str, QWidget] = {
            "start": self.start_view,
            "add": self.add_view,
            "records": self.records_view,
            "about-you": self.intake_view,
            "timeline": self.timeline_view,
            "checklist": self.checklist_view,
            "export": self.export_view,
        }
        for view in (self.timeline_view, self.checklist_view):
            view.open_ref.connect(self.open_ref)
        # "Add to my questions" beside a document goes into the About-you form, its one writer.
        self.records_view.document_viewer.set_question_handlers(self.intake_view.add_own_question,
                                                                self.intake_view.has_own_question)
        self.add_buttons: list[QPushButton] = [self.add_view.folder_button, self.add_view.files_button,
                                               self.add_view.disc_button, self.add_view.add_disc_button,
                                               self.records_view.add_button]
        self.result_labels: list[QLabel] = [self.add_view.result_label, self.records_view.result_label]

        for key, title in SCREENS:
            text = self.tr(title)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            self.nav.addItem(item)
            self.stack.addWidget(self.views[key])
        self.nav.currentRowChanged.connect(self._row_changed)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self.statusBar().setAccessibleName(self.tr("Status"))
        self.statusBar().setSizeGripEnabled(False)
        self.session.records_changed.connect(self._records_changed)
        self.session.busy_changed.connect(self._busy_changed)

        self.refresh()
        self.show_screen("records" if self.session.has_records else "start")

    # -- the case, for callers and tests ----------------------------------------------------------

    @property
    def case_dir(self) -> Path:
        return self.session.case_dir

    @property
    def store(self) -> CaseStore | None:
        return self.session.store

    @property
    def listing(self) -> CaseListing:
        return self.session.listing

    @property
    def load_error(self) -> BaseException | None:
        return self.session.load_error

    def refresh(self) -> None:
        """Re-read the case; every screen updates from the session's signals."""
        self.session.refresh()

    def _records_changed(self) -> None:
        read_only = self.session.read_only
        self.add_view.set_read_only(read_only)
        for action in self._add_actions:
            action.setVisible(not read_only)
        if self.session.store is not None and self.session.load_error is None:
            self.settings.remember_case(self.case_dir, self._case_label(), read_only=read_only)
            self.settings.save(self)
            self.start_view.refresh()

    def _case_label(self) -> str:
        listing = self.session.listing
        names = list(dict.fromkeys(display_name(p.name) for p in listing.patients if p.name))
        who = ", ".join(names[:2]) or self.tr("Records without a name")
        what = plural(len(listing.studies), self.tr("study"), self.tr("studies"))
        docs = plural(len(listing.documents), self.tr("document"), self.tr("documents"))
        return self.tr("{who} — {studies}, {documents}").format(who=who, studies=what, documents=docs)

    # -- navigation -------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.tr("&New case"), self.new_case)
        file_menu.addAction(self.tr("Open a &package I received…"), self.start_view.choose_package)
        file_menu.addSeparator()
        add_folder = file_menu.addAction(self.tr("Add a &folder or disc…"), self.choose_folder)
        add_folder.setShortcut(QKeySequence.StandardKey.Open)
        add_files = file_menu.addAction(self.tr("Add &files…"), self.choose_files)
        add_files.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self._add_actions = [add_folder, add_files]
        file_menu.addSeparator()
        quit_action = file_menu.addAction(self.tr("&Quit"), self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        go_menu = self.menuBar().addMenu(self.tr("&Go"))
        for number, (key, title) in enumerate(SCREENS, start=1):
            action = QAction(self.tr(title), self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_screen(k))
            go_menu.addAction(action)

        # The language: each named in itself, so that anyone finds their own.
        from PySide6.QtGui import QActionGroup

        from ui.i18n import LANGUAGE_NAMES

        language_menu = self.menuBar().addMenu(self.tr("&Language"))
        group = QActionGroup(self)
        choices = [("system", self.tr("As on this computer"))] + [(c, n) for c, n in LANGUAGE_NAMES.items()]
        self.language_actions: dict[str, QAction] = {}
        for value, text in choices:
            action = QAction(text, self)
            action.setCheckable(True)
            action.setChecked(self.settings.language == value)
            action.triggered.connect(lambda _checked=False, v=value: self.choose_language(v))
            group.addAction(action)
            language_menu.addAction(action)
            self.language_actions[value] = action

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        help_menu.addAction(self.tr("&About Records Bundler"), self._about)

    def choose_language(self, value: str) -> None:
        """Remember the language; the app shows it from its next start."""
        from ui.i18n import app_language, resolve

        self.settings.set_language(value)
        self.settings.save(self)
        if resolve(value) == app_language():
            self.statusBar().showMessage(self.tr("The app is already in this language."), 6000)
        else:
            self.statusBar().showMessage(
                self.tr("Saved. The app will use this language the next time you open it."), 10_000)

    def show_screen(self, key: str) -> None:
        """Show the screen ``key`` (one of :data:`SCREENS`)."""
        row = [k for k, _ in SCREENS].index(key)
        self.nav.setCurrentRow(row)
        self.stack.setCurrentIndex(row)

    def _row_changed(self, row: int) -> None:
        if self.stack.currentWidget() is self.intake_view:
            self.intake_view.flush()  # the next screen sees what was just typed
        self.stack.setCurrentIndex(row)

    def current_screen(self) -> str:
        return SCREENS[self.stack.currentIndex()][0]

    def open_ref(self, ref: str) -> None:
        """Show the record a checklist item or a timeline event points to."""
        kind, _, rest = ref.partition(":")
        if kind in ("study", "document"):
            self.show_screen("records")
            if not self.records_view.select_ref(ref):
                self.statusBar().showMessage(self.tr("That record is not in this case."), 5000)
        elif kind == "intake":
            self.show_screen("about-you")
            self.intake_view.focus_field(rest)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About {app}").format(app=APP_TITLE),
            self.tr("{app} {version}\n\nGathers medical records for a second opinion, checks what is "
                    "missing, and exports an encrypted package.").format(app=APP_TITLE,
                                                                         version=bundler.__version__),
        )

    # -- switching cases --------------------------------------------------------------------------

    def open_case(self, case_dir: Path) -> bool:
        """Close this case and open the one in ``case_dir``; False while an operation runs."""
        if self.session.busy:
            self.statusBar().showMessage(self.tr("Please wait until the current task has finished."), 5000)
            return False
        self.intake_view.flush()
        if not tasks.wait_all(30_000):  # the autosave and re-checks of this case end first
            return False
        self.session.open(case_dir)
        self.show_screen("records" if self.session.has_records else "start")
        return True

    def new_case(self) -> None:
        """An empty new case (its folder is made when something is first added to it)."""
        from bundler.config import cases_dir

        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = cases_dir() / f"case-{stamp}"
        n = 1
        while target.exists():
            n += 1
            target = cases_dir() / f"case-{stamp}-{n}"
        if self.open_case(target):
            self.show_screen("start")
            self.statusBar().showMessage(self.tr("A new, empty case. Add records, or tell us about you."), 8000)

    def open_package(
        self, package: Path, *, passphrase: str | None = None, key_file: Path | None = None,
        case_dir: Path | None = None,
    ) -> tasks.TaskHandle | None:
        """Open a package someone sent, as a new read-only case (reviewer mode)."""
        from bundler.config import cases_dir

        if case_dir is None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            case_dir = cases_dir() / f"received-{stamp}"

        def work(progress: Progress, cancel: CancelToken) -> OpenReport:
            from bundler.export.age import parse_identities
            from bundler.export.package import open_package_as_case

            identities = ()
            if key_file is not None:
                from bundler.errors import UsageError

                try:
                    key_text = Path(key_file).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise UsageError("The key file cannot be read.") from exc
                identities = parse_identities(key_text)
            return open_package_as_case(package, passphrase=passphrase, identities=identities,
                                        case_dir=case_dir, progress=progress, cancel=cancel)

        def opened(report: OpenReport) -> None:
            self.start_view.show_package_result(report)
            if report.ok and report.path is not None:
                # After this task has fully ended (the case has one operation at a time).
                QTimer.singleShot(0, self, lambda: self._open_received(report))

        return self.run_with_progress(
            work,
            title=self.tr("Opening the package…"),
            label="Opening a package",
            on_success=opened,
            on_cancelled=lambda: self.statusBar().showMessage(self.tr("Stopped. Nothing was opened."), 8000),
            on_error=self.start_view.show_package_error,
            stopping=self.tr("Stopping… Nothing will be kept."),
        )

    def _open_received(self, report: OpenReport) -> None:
        assert report.path is not None
        if self.open_case(report.path):
            self.show_screen("records")
            self.records_view.result_label.setText(self.start_view.package_result_text(report))
            self.records_view.result_label.setVisible(True)

    # -- adding records -----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder or disc to add"))
        if folder:
            self.add_records([Path(folder)])

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Choose files to add"),
            "",
            # DICOM files often have no extension at all, so "All files" comes first.
            self.tr("All files (*);;PDF documents (*.pdf);;Lists (*.csv *.tsv);;ZIP archives (*.zip);;"
                    "Disc images (*.iso)"),
        )
        if files:
            self.add_records([Path(f) for f in files])

    def add_records(self, sources: Sequence[Path]) -> tasks.TaskHandle | None:
        """Import ``sources`` into this case in the background, with a progress dialog."""
        store, case_dir = self.store, self.case_dir
        return self.run_case_operation(
            lambda progress, cancel: import_into_case(store, case_dir, sources, progress, cancel),
            title=self.tr("Adding records…"),
            label="Adding records",
        )

    def run_case_operation(
        self,
        fn: Callable[[Progress, CancelToken], ImportOutcome],
        *,
        title: str,
        label: str,
        show_records: bool = True,
    ) -> tasks.TaskHandle | None:
        """Run an operation that changes the case and returns an :class:`ImportOutcome`.

        Shows a progress dialog with Cancel; a cancel is reported as a plain status line, never
        as an error. On success the case is re-read and, if ``show_records``, Records shown.
        Returns None (and does nothing) while another one runs: the case has one writer.
        """
        if self.session.read_only:
            self.statusBar().showMessage(self.tr("This case was opened from a package and is read-only."), 5000)
            return None

        def on_success(outcome: ImportOutcome) -> None:
            self.session.adopt(outcome.store)
            self.session.refresh(outcome.listing if outcome.store is self.session.store else None)
            self._show_result(import_summary(outcome.report))
            if show_records and self.session.has_records:
                self.show_screen("records")

        return self.run_with_progress(
            fn, title=title, label=label, on_success=on_success,
            on_cancelled=lambda: self._show_result(self.tr("Stopped. Nothing from that import was added.")),
            stopping=self.tr("Stopping… Nothing from this import will be kept."),
        )

    def run_with_progress(
        self,
        fn: Callable[[Progress, CancelToken], Any],
        *,
        title: str,
        label: str,
        on_success: Callable[[Any], None],
        on_cancelled: Callable[[], None],
        stopping: str,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> tasks.TaskHandle | None:
        """Run a case-changing operation with a modal progress dialog and Cancel (one at a time)."""
        if self.session.busy:
            self.statusBar().showMessage(self.tr("Please wait: the current task is still running."), 5000)
            return None
        dialog = QProgressDialog(title, self.tr("Cancel"), 0, 0, self)
        dialog.setWindowTitle(APP_TITLE)
        dialog.setAccessibleName(title.rstrip("…"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        # QProgressDialog hides itself on Cancel; keep it up, saying "Stopping…", until the
        # operation has actually stopped and undone its work.
        dialog.canceled.disconnect(dialog.cancel)

        def on_progress(done: int, total: int | None, message: str) -> None:
            if handle.cancelled:
                return
            if total is None:
                dialog.setRange(0, 0)
            else:
                scale = max(1, total // 1_000_000)  # byte counts do not fit QProgressDialog's int
                dialog.setRange(0, max(total // scale, 1))
                dialog.setValue(min(done // scale, max(total // scale, 1)))
            dialog.setLabelText(message or title)

        def on_cancel_clicked() -> None:
            handle.cancel()
            dialog.setLabelText(stopping)
            for widget in dialog.findChildren(QPushButton):
                widget.setEnabled(False)

        def on_finished() -> None:
            dialog.close()
            dialog.deleteLater()
            self.session.set_busy(False)

        self._busy_label = label
        self.session.set_busy(True)
        handle = tasks.run_task(self, fn, on_success=on_success, on_progress=on_progress,
                                on_cancelled=on_cancelled, on_error=on_error, label=label)
        handle.finished.connect(on_finished)
        dialog.canceled.connect(on_cancel_clicked)
        self.statusBar().showMessage(title)
        return handle

    def _busy_changed(self, busy: bool) -> None:
        for widget in self.add_buttons:
            widget.setEnabled(not busy)
        for action in self._add_actions:
            action.setEnabled(not busy)
        if not busy:
            self.statusBar().clearMessage()

    def _show_result(self, text: str) -> None:
        for label in self.result_labels:
            label.setText(text)
            label.setVisible(True)
        self.statusBar().showMessage(text, 10_000)

    def confirm_stop(self) -> bool:
        """Ask whether to stop the running import (or package opening) and close; True to close."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(APP_TITLE)
        if self._busy_label == "Opening a package":
            box.setText(self.tr("A package is still being opened."))
            box.setInformativeText(self.tr("If you close now, it stops and nothing is opened. You can open it again later."))
        else:
            box.setText(self.tr("Records are still being added."))
            box.setInformativeText(self.tr("If you close now, the import stops and nothing from it is kept; "
                                           "your records from before are safe. You can add them again later."))
        stop = box.addButton(self.tr("Stop and close"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(self.tr("Keep going"), QMessageBox.ButtonRole.RejectRole)
        stop.setAccessibleName(self.tr("Stop and close"))
        keep.setAccessibleName(self.tr("Keep going"))
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.setAccessibleName(box.text())
        box.exec()
        return box.clickedButton() is stop

    def closeEvent(self, event: QCloseEvent) -> None:
        # Mid-import, ask first: closing would stop the import and throw away what it added.
        if self.session.busy and not self.confirm_stop():
            event.ignore()
            return
        # What was typed is saved; the case has one writer: a running import stops (and undoes
        # itself) before the store closes.
        self.intake_view.flush()
        if tasks.active_count():
            for view in (self.checklist_view, self.timeline_view, self.export_view):
                view.cancel_work()
            self.records_view.cancel_work()
            if self.session.busy:
                tasks.cancel_all()
            tasks.wait_all(60_000)
        self.session.close()
        super().closeEvent(event)


