"""The Start screen: what the app does, the safety note, recent cases, a new case, and
opening a package someone sent (reviewer mode)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from bundler.errors import BundlerError
from ui import tasks
from ui.widgets import Screen, button, card, paragraph, subheading

if TYPE_CHECKING:
    from bundler.export.package import OpenReport
    from ui.main_window import MainWindow

__all__ = ["PackageKeyDialog", "StartView"]


class StartView(Screen):
    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Welcome"), parent, scroll=True)
        self.window_ = window
        layout = self.body
        layout.addWidget(paragraph(
            self.tr("Records Bundler gathers your medical records – scans on a hospital disc, reports and "
                    "letters – so that a second doctor can review them. It checks what a reviewer usually "
                    "needs and packs everything into one encrypted file."),
            self.tr("About this app"),
        ))

        # -- safety first
        self.safety_card, safety = card(self.tr("Emergencies first"), tone="stop")
        safety.addWidget(subheading(self.tr("Emergencies first")))
        safety.addWidget(paragraph(
            self.tr("A second opinion takes days or weeks. If you have signs of a stroke (a drooping face, a "
                    "weak arm, slurred speech), crushing chest pain, severe trouble breathing, heavy "
                    "bleeding, a severe allergic reaction, or thoughts of harming yourself, call your local "
                    "emergency number now. This app does not give medical advice or a diagnosis."),
            self.tr("Safety note"),
        ))
        self.dismiss_safety = button(self.tr("I understand"), self.tr("I understand, hide this note"),
                                     self._dismiss_safety)
        safety.addWidget(self.dismiss_safety)
        layout.addWidget(self.safety_card)

        # -- what to do
        layout.addWidget(subheading(self.tr("What would you like to do?")))
        row = QHBoxLayout()
        row.setSpacing(8)
        self.add_button = button(self.tr("Add records…"), self.tr("Add records"),
                                 lambda: window.show_screen("add"),
                                 self.tr("Bring in a hospital CD, a folder or files"))
        self.new_button = button(self.tr("New case"), self.tr("New case"), window.new_case,
                                 self.tr("Start gathering records for another person or another question"))
        self.package_button = button(self.tr("Open a package I received…"), self.tr("Open a package I received"),
                                     self.choose_package,
                                     self.tr("For reviewers: open an encrypted package someone sent you"))
        for widget in (self.add_button, self.new_button, self.package_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        self.package_card, package_layout = card(self.tr("The package you opened"), tone="note")
        self.package_label = paragraph("", self.tr("The package you opened"))
        package_layout.addWidget(self.package_label)
        self.package_card.setVisible(False)
        layout.addWidget(self.package_card)

        # -- recent cases
        layout.addWidget(subheading(self.tr("Recent cases")))
        self.recent = QListWidget()
        self.recent.setAccessibleName(self.tr("Recent cases"))
        self.recent.setAccessibleDescription(self.tr("Press Enter or double-click to open a case"))
        self.recent.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        self.recent.setMaximumHeight(self.fontMetrics().lineSpacing() * 9)
        self.recent.activated.connect(self._recent_activated)
        layout.addWidget(self.recent)
        self.delete_button = button(self.tr("Delete the selected case…"), self.tr("Delete the selected case"),
                                    self.delete_selected,
                                    self.tr("Remove the case and its copies of the records from this computer"))
        self.delete_button.setEnabled(False)
        self.recent.currentItemChanged.connect(lambda *_: self.delete_button.setEnabled(self.recent.currentItem()
                                                                                        is not None))
        layout.addWidget(self.delete_button)
        self.no_recent = paragraph(self.tr("No cases yet."), self.tr("Recent cases"))
        layout.addWidget(self.no_recent)
        layout.addStretch(1)
        self.refresh()
        window.session.opened.connect(self.refresh)

    def refresh(self) -> None:
        settings, session = self.window_.settings, self.window_.session
        self.safety_card.setVisible(not settings.safety_note_dismissed(session.case_dir))
        self.recent.clear()
        current = session.case_dir.absolute()
        for case in settings.recent_cases():
            text = case.label or case.path.name
            opened = QDateTime.fromString(case.opened, Qt.DateFormat.ISODate)
            if opened.isValid():
                text = self.tr("{case}, opened {date}").format(
                    case=text, date=QLocale().toString(opened.date(), "d MMM yyyy"))
            if case.read_only:
                text = self.tr("{case} (received, read-only)").format(case=text)
            if case.path == current:
                text = self.tr("{case} — open now").format(case=text)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, str(case.path))
            item.setToolTip(str(case.path))
            self.recent.addItem(item)
        self.recent.setVisible(self.recent.count() > 0)
        self.delete_button.setVisible(self.recent.count() > 0)
        self.delete_button.setEnabled(self.recent.currentItem() is not None)
        self.no_recent.setVisible(self.recent.count() == 0)

    def _dismiss_safety(self) -> None:
        self.window_.settings.dismiss_safety_note(self.window_.session.case_dir)
        self.window_.settings.save(self)
        self.safety_card.setVisible(False)
        self.add_button.setFocus()

    def _recent_activated(self, index: object) -> None:
        item = self.recent.currentItem()
        if item is None:
            return
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        if not path.is_dir():
            self.window_.settings.forget_case(path)
            self.window_.settings.save(self)
            self.refresh()
            self.window_.statusBar().showMessage(self.tr("That case is no longer there."), 8000)
            return
        self.window_.open_case(path)

    # -- deleting a case -----------------------------------------------------------------------

    def confirm_delete(self, name: str) -> bool:
        """Ask before deleting; Cancel is the default. (Tests replace this.)"""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Delete case"),
                          self.tr("Delete the case “{case}” from this computer?").format(case=name),
                          parent=self)
        box.setInformativeText(self.tr(
            "Its copies of the records, your answers in “About you” and the import log are removed, and "
            "this cannot be undone. The discs, files and folders you added records from are not touched, "
            "and packages you exported are kept."))
        delete = box.addButton(self.tr("Delete case"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
        box.exec()
        return box.clickedButton() is delete

    def delete_selected(self) -> None:
        item = self.recent.currentItem()
        if item is None:
            return
        window = self.window_
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        if window.session.busy:
            window.statusBar().showMessage(self.tr("Please wait until the current task has finished."), 5000)
            return
        if not self.confirm_delete(item.text()):
            return
        if path == window.session.case_dir.absolute():
            window.new_case()  # close it first: nothing may be writing to it
            if window.session.case_dir.absolute() == path:
                return

        def work(_progress: object, _cancel: object) -> None:
            from bundler.store import delete_case

            if (path / "case.sqlite").exists():
                delete_case(path)

        def done(_result: object) -> None:
            window.settings.forget_case(path)
            window.settings.save(self)
            self.refresh()
            window.statusBar().showMessage(self.tr("The case was deleted from this computer."), 8000)

        tasks.run_task(self, work, on_success=done, label="Deleting a case")

    # -- reviewer mode ----------------------------------------------------------------------------

    def choose_package(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a package you received"), "",
            self.tr("Packages (*.age *.zip);;All files (*)"),
        )
        if not path:
            return
        dialog = PackageKeyDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.window_.open_package(Path(path), passphrase=dialog.passphrase(), key_file=dialog.key_file())

    def package_result_text(self, report: OpenReport) -> str:
        verify = report.verify
        if report.ok:
            return self.tr("The package was opened and checked: all {n} files arrived exactly as they were "
                           "sent. These records are read-only.").format(n=verify.files)
        problems = "; ".join(p.message for p in verify.problems[:3])
        return self.tr("The package could not be opened safely, so nothing was kept. {problems}").format(
            problems=problems)

    def show_package_result(self, report: OpenReport) -> None:
        self.package_label.setText(self.package_result_text(report))
        self.package_card.setVisible(True)

    def show_package_error(self, exc: BaseException) -> None:
        if isinstance(exc, BundlerError):
            self.package_label.setText(exc.user_message)
            self.package_card.setVisible(True)
            self.window_.show_screen("start")
            self.package_label.setFocus()
        else:
            tasks.present_error(self, exc, what="opening a package")


class PackageKeyDialog(QDialog):
    """Asks how to open a package: its passphrase, or a key file (``age-keygen`` format)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Open a package"))
        self.setAccessibleName(self.tr("Open a package"))
        layout = QVBoxLayout(self)
        layout.addWidget(paragraph(self.tr("The sender gave you a passphrase (a few words joined by hyphens), "
                                           "or the package was made for your key file."),
                                   self.tr("How to open it")))
        grid = QGridLayout()
        self.use_passphrase = QRadioButton(self.tr("&Passphrase:"))
        self.use_key = QRadioButton(self.tr("&Key file:"))
        group = QButtonGroup(self)
        group.addButton(self.use_passphrase)
        group.addButton(self.use_key)
        self.use_passphrase.setChecked(True)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setAccessibleName(self.tr("Passphrase"))
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_passphrase = QCheckBox(self.tr("Show"))
        self.show_passphrase.setAccessibleName(self.tr("Show the passphrase"))
        self.show_passphrase.toggled.connect(lambda on: self.passphrase_edit.setEchoMode(
            QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password))
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName(self.tr("Key file"))
        browse = QPushButton(self.tr("Choose…"))
        browse.setAccessibleName(self.tr("Choose the key file"))
        browse.clicked.connect(self._browse)
        grid.addWidget(self.use_passphrase, 0, 0)
        grid.addWidget(self.passphrase_edit, 0, 1)
        grid.addWidget(self.show_passphrase, 0, 2)
        grid.addWidget(self.use_key, 1, 0)
        grid.addWidget(self.key_edit, 1, 1)
        grid.addWidget(browse, 1, 2)
        layout.addLayout(grid)
        self.passphrase_edit.textEdited.connect(lambda _t: self.use_passphrase.setChecked(True))
        self.key_edit.textEdited.connect(lambda _t: self.use_key.setChecked(True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 40)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose your key file"), "",
                                              self.tr("Key files (*.txt *.key);;All files (*)"))
        if path:
            self.key_edit.setText(path)
            self.use_key.setChecked(True)

    def passphrase(self) -> str | None:
        return self.passphrase_edit.text().strip() if self.use_passphrase.isChecked() else None

    def key_file(self) -> Path | None:
        return Path(self.key_edit.text().strip()) if self.use_key.isChecked() and self.key_edit.text().strip() else None
