"""The Export screen: one encrypted package to send, or a disc; and how the reviewer opens it.

Choices in plain words (age: most secure; ZIP: for reviewers who have 7-Zip), a generated
passphrase shown large with Copy and Print, or the reviewer's public key; progress with Cancel;
and at the end an instruction card saying what to send, and how, and what to keep apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QRadioButton,
    QWidget,
)

from bundler.errors import BundlerError
from bundler.export.passphrase import generate_passphrase
from ui import operations, tasks
from ui.session import CaseSession
from ui.views.checklist import open_file
from ui.widgets import Screen, button, card, paragraph, subheading

__all__ = ["ExportView"]

log = logging.getLogger(__name__)


class ExportView(Screen):
    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Export"), parent, scroll=True)
        self.session = session
        self.handle: tasks.TaskHandle | None = None
        self.report: Any = None
        self.choose_save_path: Callable[[str, str, str], Path | None] = self._ask_save_path
        self.choose_folder: Callable[[str], Path | None] = self._ask_folder
        self.open_file: Callable[[Path], bool] = open_file
        layout = self.body
        layout.addWidget(paragraph(
            self.tr("Make one encrypted file with all your records to send to the second doctor, for example "
                    "through a file-sharing link or on a USB stick. Only someone with the passphrase (or the "
                    "matching key) can open it."),
            self.tr("About exporting"),
        ))

        # -- the container
        layout.addWidget(subheading(self.tr("1. Choose the kind of file")))
        self.fmt_age = QRadioButton(self.tr("Encrypted package (.age): the most secure. The reviewer opens it "
                                            "with Records Bundler or the free “age” tool."))
        self.fmt_zip = QRadioButton(self.tr("Encrypted ZIP (.zip): for reviewers who have 7-Zip, WinZip or Keka."))
        self.fmt_age.setAccessibleName(self.tr("Encrypted package, age format"))
        self.fmt_zip.setAccessibleName(self.tr("Encrypted ZIP file"))
        self.fmt_age.setChecked(True)
        fmt_group = QButtonGroup(self)
        fmt_group.addButton(self.fmt_age)
        fmt_group.addButton(self.fmt_zip)
        layout.addWidget(self.fmt_age)
        layout.addWidget(self.fmt_zip)

        # -- the protection
        layout.addWidget(subheading(self.tr("2. Choose how it is protected")))
        self.use_passphrase = QRadioButton(self.tr("A passphrase, made for you:"))
        self.use_passphrase.setAccessibleName(self.tr("Protect with a passphrase"))
        self.use_passphrase.setChecked(True)
        self.use_key = QRadioButton(self.tr("The reviewer's public key (it starts with age1):"))
        self.use_key.setAccessibleName(self.tr("Protect with the reviewer's public key"))
        key_group = QButtonGroup(self)
        key_group.addButton(self.use_passphrase)
        key_group.addButton(self.use_key)
        layout.addWidget(self.use_passphrase)
        self.passphrase_label = QLabel()
        self.passphrase_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        size = self.font().pointSizeF()
        if size > 0:
            font.setPointSizeF(size * 1.7)
        font.setWeight(QFont.Weight.DemiBold)
        self.passphrase_label.setFont(font)
        self.passphrase_label.setAccessibleName(self.tr("Passphrase"))
        self.passphrase_label.setWordWrap(True)
        self.passphrase_label.setContentsMargins(24, 4, 0, 4)
        layout.addWidget(self.passphrase_label)
        row = QHBoxLayout()
        row.addSpacing(24)
        self.copy_button = button(self.tr("Copy"), self.tr("Copy the passphrase"), self.copy_passphrase)
        self.print_button = button(self.tr("Print…"), self.tr("Print the passphrase"), self.print_passphrase)
        self.new_button = button(self.tr("Make another"), self.tr("Make another passphrase"), self.new_passphrase)
        for widget in (self.copy_button, self.print_button, self.new_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(paragraph(
            self.tr("Send the passphrase separately from the file: tell it by phone, or send it by text "
                    "message, never in the same email."),
            self.tr("Keep the passphrase apart"),
        ))
        layout.addWidget(self.use_key)
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName(self.tr("The reviewer's public key"))
        self.key_edit.setPlaceholderText("age1…")
        self.key_edit.textEdited.connect(lambda _t: self.use_key.setChecked(True))
        layout.addWidget(self.key_edit)

        # -- what goes in
        layout.addWidget(subheading(self.tr("3. Check what goes in")))
        row = QHBoxLayout()
        self.with_summary = QCheckBox(self.tr("Add a one-page summary for the reviewer (SUMMARY.PDF)"))
        self.with_summary.setAccessibleName(self.tr("Add a one-page summary"))
        self.preview_button = button(self.tr("Preview the summary…"), self.tr("Preview the summary"),
                                     self.preview_summary)
        row.addWidget(self.with_summary)
        row.addWidget(self.preview_button)
        row.addStretch(1)
        layout.addLayout(row)
        if operations.summary_available():
            self.with_summary.setChecked(True)
        else:
            for widget in (self.with_summary, self.preview_button):
                widget.setEnabled(False)
                widget.setToolTip(self.tr("The summary page is not available in this version of the app yet."))
                widget.setAccessibleDescription(widget.toolTip())

        # -- go
        row = QHBoxLayout()
        self.export_button = button(self.tr("Make the package…"), self.tr("Make the package"), self.choose_and_export)
        self.export_button.setDefault(True)
        self.cancel_button = button(self.tr("Cancel"), self.tr("Cancel making the package"), self.cancel_work)
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setVisible(False)
        row.addWidget(self.export_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status_label = paragraph("", self.tr("Export status"))
        layout.addWidget(self.status_label)

        self.done_card, done = card(self.tr("What to send"), tone="note")
        done.addWidget(subheading(self.tr("Your package is ready")))
        self.done_label = paragraph("", self.tr("What to send"))
        self.done_label.setTextFormat(Qt.TextFormat.RichText)
        self.done_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.done_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        done.addWidget(self.done_label)
        self.done_card.setVisible(False)
        layout.addWidget(self.done_card)

        # -- patient disc
        layout.addWidget(subheading(self.tr("Or: a disc or USB stick for a doctor (not encrypted)")))
        layout.addWidget(paragraph(
            self.tr("Like the hospital's own CDs: any DICOM viewer opens it. It is not encrypted, so hand it "
                    "over in person."),
            self.tr("About the patient disc"),
        ))
        row = QHBoxLayout()
        self.disc_folder_button = button(self.tr("Make a disc folder…"), self.tr("Make a disc folder"),
                                         lambda: self.make_disc(iso=False),
                                         self.tr("A folder to copy onto a USB stick or to burn"))
        self.disc_iso_button = button(self.tr("Make a disc image (ISO)…"), self.tr("Make a disc image"),
                                      lambda: self.make_disc(iso=True),
                                      self.tr("An ISO file that your computer's disc burner can write"))
        row.addWidget(self.disc_folder_button)
        row.addWidget(self.disc_iso_button)
        row.addStretch(1)
        layout.addLayout(row)
        self._make_disc = operations.optional_function("bundler.export.patient_cd", "make_disc")
        if self._make_disc is None:
            for widget in (self.disc_folder_button, self.disc_iso_button):
                widget.setEnabled(False)
                widget.setToolTip(self.tr("Patient discs are not available in this version of the app yet."))
                widget.setAccessibleDescription(widget.toolTip())
        layout.addStretch(1)

        self.fmt_zip.toggled.connect(self._format_changed)
        self.use_key.toggled.connect(self._protection_changed)
        session.opened.connect(self._reset)
        session.records_changed.connect(self._update_enabled)
        self.new_passphrase()
        self._protection_changed()

    # -- choices ------------------------------------------------------------------------------------

    def new_passphrase(self) -> None:
        self.passphrase = generate_passphrase()
        self.passphrase_label.setText(self.passphrase)

    def copy_passphrase(self) -> None:
        QGuiApplication.clipboard().setText(self.passphrase)
        self.status_label.setText(self.tr("The passphrase was copied. Paste it into a text message to the "
                                          "reviewer, not into the same email as the file."))

    def print_passphrase(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter()
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setHtml(self.tr("<h2>Passphrase for the records package</h2><p style='font-size:20pt'>"
                                 "<tt>{passphrase}</tt></p><p>Type it exactly as written, with the hyphens.</p>")
                         .format(passphrase=self.passphrase))
        document.print_(printer)

    def _format_changed(self, zip_chosen: bool) -> None:
        if zip_chosen:
            self.use_passphrase.setChecked(True)
        self.use_key.setEnabled(not zip_chosen)
        self.use_key.setToolTip(self.tr("A ZIP file can only be protected by a passphrase.") if zip_chosen else "")
        self._protection_changed()

    def _protection_changed(self, *_args: object) -> None:
        with_passphrase = self.use_passphrase.isChecked()
        for widget in (self.passphrase_label, self.copy_button, self.print_button, self.new_button):
            widget.setEnabled(with_passphrase)
        self.key_edit.setEnabled(not with_passphrase)

    def _update_enabled(self) -> None:
        has_records = self.session.has_records
        idle = self.handle is None
        self.export_button.setEnabled(has_records and idle)
        self.export_button.setToolTip("" if has_records else self.tr("Add records first."))
        if self._make_disc is not None:
            for widget in (self.disc_folder_button, self.disc_iso_button):
                widget.setEnabled(has_records and idle)

    def _reset(self) -> None:
        self.cancel_work()
        self.done_card.setVisible(False)
        self.status_label.setText("")
        self.new_passphrase()

    # -- exporting ------------------------------------------------------------------------------------

    def _ask_save_path(self, title: str, name: str, filters: str) -> Path | None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), filters)
        return Path(path) if path else None

    def _ask_folder(self, title: str) -> Path | None:
        path = QFileDialog.getExistingDirectory(self, title)
        return Path(path) if path else None

    def choose_and_export(self) -> tasks.TaskHandle | None:
        zip_chosen = self.fmt_zip.isChecked()
        name = self.tr("Medical records.zip") if zip_chosen else self.tr("Medical records.age")
        filters = self.tr("ZIP files (*.zip)") if zip_chosen else self.tr("age files (*.age)")
        out = self.choose_save_path(self.tr("Save the package"), name, filters)
        if out is None:
            return None
        return self.export_to(out)

    def export_to(self, out: Path) -> tasks.TaskHandle | None:
        """Write the package to ``out`` with the choices on the screen."""
        store = self.session.store
        if store is None or self.handle is not None:
            return None
        fmt = "zip" if self.fmt_zip.isChecked() else "age"
        passphrase = self.passphrase if self.use_passphrase.isChecked() else None
        recipients = [] if passphrase is not None else [self.key_edit.text().strip()]
        if passphrase is None and not recipients[0]:
            self.status_label.setText(self.tr("Paste the reviewer's public key first (it starts with age1)."))
            self.key_edit.setFocus()
            return None
        with_summary = self.with_summary.isChecked()
        self.done_card.setVisible(False)
        self.status_label.setText(self.tr("Making the package…"))

        def work(progress: Any, cancel: Any) -> Any:
            return operations.export(store, out, fmt=fmt, passphrase=passphrase, recipients=recipients,
                                     with_summary=with_summary, progress=progress, cancel=cancel)

        return self._start(work, lambda report: self._exported(report, passphrase is not None),
                           label="Exporting a package")

    def _start(self, work: Any, done: Callable[[Any], None], *, label: str) -> tasks.TaskHandle:
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        handle = tasks.run_task(self, work, on_success=done, on_progress=self._progress, on_error=self._failed,
                                on_cancelled=self._cancelled, label=label)
        self.handle = handle
        handle.finished.connect(self._finished)
        self._update_enabled()
        self.cancel_button.setFocus()
        return handle

    def _progress(self, done: int, total: int | None, message: str) -> None:
        if total:
            scale = max(1, total // 1_000_000)
            self.progress.setRange(0, max(total // scale, 1))
            self.progress.setValue(min(done // scale, total // scale))
        else:
            self.progress.setRange(0, 0)
        if message:
            self.status_label.setText(message)

    def cancel_work(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.status_label.setText(self.tr("Stopping…"))

    def _finished(self) -> None:
        self.handle = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self._update_enabled()

    def _cancelled(self) -> None:
        self.status_label.setText(self.tr("Stopped. No file was made."))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, BundlerError):
            log.warning("export failed: %s", exc.code)
            self.status_label.setText(exc.user_message)
        else:
            self.status_label.setText(self.tr("The package was not made."))
            tasks.present_error(self, exc, what="exporting")

    def _exported(self, report: Any, with_passphrase: bool) -> None:
        self.report = report
        self.status_label.setText(self.tr("Done."))
        path = Path(report.path)
        size = _human(report.size)
        if with_passphrase:
            how = self.tr("2. Separately — by phone or text message, never in the same email — the passphrase: "
                          "<b><tt>{passphrase}</tt></b>").format(passphrase=self.passphrase)
        else:
            how = self.tr("2. Nothing else: only the reviewer's own key opens it.")
        if report.format == "zip":
            opens = self.tr("The reviewer opens it with 7-Zip, WinZip or Keka and types the passphrase; inside, "
                            "README.TXT says what is where, and any DICOM viewer opens the DICOM folder.")
        else:
            opens = self.tr("The reviewer opens it with Records Bundler (“Open a package I received”) or the free "
                            "“age” tool; inside, README.TXT says what is where.")
        extra = ""
        if report.readme_first is not None:
            extra = self.tr("<br>Beside it is {name}: send it too, it explains how to open the package and holds "
                            "no personal details.").format(name=_escape(Path(report.readme_first).name))
        self.done_label.setText(
            self.tr("1. The file <b>{name}</b> ({size}), in the folder {folder} — by a file-sharing link or on a "
                    "USB stick; most email will not take large files.{extra}<br>{how}<br><br>{opens}").format(
                name=_escape(path.name), size=size, folder=_escape(str(path.parent)), extra=extra, how=how,
                opens=opens)
        )
        self.done_card.setVisible(True)
        self.done_label.setFocus()  # keyboard and screen-reader users land on what to do next
        if self.scroll_area is not None:
            area = self.scroll_area
            # After the layout has made room for the card.
            QTimer.singleShot(0, area, lambda: area.verticalScrollBar().setValue(area.verticalScrollBar().maximum()))

    # -- summary preview and disc --------------------------------------------------------------------

    def preview_summary(self) -> tasks.TaskHandle | None:
        store = self.session.store
        if store is None or not operations.summary_available():
            return None
        out = self.choose_save_path(self.tr("Save the summary page"), self.tr("Summary.pdf"),
                                    self.tr("PDF files (*.pdf)"))
        if out is None:
            return None

        def work(progress: Any, cancel: Any) -> Path:
            from bundler.export.fonts import write_atomic

            write_atomic(out, operations.summary_bytes(store))
            return out

        return tasks.run_task(self, work, on_success=self.open_file, label="Previewing the summary")

    def make_disc(self, *, iso: bool) -> tasks.TaskHandle | None:
        store, make = self.session.store, self._make_disc
        if store is None or make is None or self.handle is not None:
            return None
        if iso:
            out = self.choose_save_path(self.tr("Save the disc image"), self.tr("Medical records.iso"),
                                        self.tr("Disc images (*.iso)"))
        else:
            folder = self.choose_folder(self.tr("Choose an empty folder for the disc"))
            out = folder
        if out is None:
            return None
        self.done_card.setVisible(False)

        def work(progress: Any, cancel: Any) -> Any:
            return make(store, out, iso=iso, with_web=True, progress=progress, cancel=cancel)

        def done(_report: Any) -> None:
            self.status_label.setText(
                self.tr("The disc image is ready: {path}. Burn it with your computer's disc burner.") if iso
                else self.tr("The disc folder is ready: {path}. Copy everything in it to a USB stick, or burn it."))
            self.status_label.setText(self.status_label.text().format(path=out))

        return self._start(work, done, label="Making a patient disc")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _human(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} bytes"
