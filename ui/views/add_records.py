"""The Add records screen: a disc, a folder or files, imported in the background.

Files and folders can be dropped anywhere on the screen; "Import from a CD or DVD" lists the
discs the computer has mounted (read through :mod:`ui.tasks`: on some systems asking can take
a moment while a drive spins up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QWidget

from ui import tasks
from ui.operations import optical_drives
from ui.widgets import Screen, button, card, paragraph

__all__ = ["AddRecordsView", "dropped_paths"]


def dropped_paths(mime: Any) -> list[Path]:
    """The local files and folders in a drag (web links and the like are not records)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class AddRecordsView(Screen):
    def __init__(
        self,
        *,
        choose_folder: Callable[[], None],
        choose_files: Callable[[], None],
        add_sources: Callable[[Sequence[Path]], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Add records"), parent)
        self._add_sources = add_sources
        self._read_only = False
        self._drives_task: tasks.TaskHandle | None = None
        layout = self.body
        layout.addWidget(
            paragraph(
                self.tr(
                    "Choose a hospital CD or DVD, a folder, or files: scans (DICOM), reports and "
                    "letters as PDF, lab or medication lists (CSV), or a ZIP or disc image (ISO) of "
                    "any of these. The app keeps its own copy; nothing on the original is changed."
                ),
                self.tr("What you can add"),
            )
        )
        row = QHBoxLayout()
        row.setSpacing(8)
        self.disc_button = button(
            self.tr("Import from a CD or DVD…"), self.tr("Import from a CD or DVD"), self.find_discs,
            self.tr("Look for a CD or DVD in this computer and add what is on it"),
        )
        self.folder_button = button(
            self.tr("Add a folder or disc…"), self.tr("Add a folder or disc"), choose_folder,
            self.tr("Add everything in a folder, or on a CD, DVD or USB stick"),
        )
        self.files_button = button(self.tr("Add files…"), self.tr("Add files"), choose_files,
                                   self.tr("Add one or more files"))
        row.addWidget(self.disc_button)
        row.addWidget(self.folder_button)
        row.addWidget(self.files_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.discs_label = paragraph("", self.tr("CDs and DVDs"))
        self.discs_label.setVisible(False)
        layout.addWidget(self.discs_label)
        self.discs_list = QListWidget()
        self.discs_list.setAccessibleName(self.tr("CDs and DVDs found"))
        self.discs_list.itemActivated.connect(lambda _item: self._add_chosen_disc())
        self.discs_list.setVisible(False)
        self.discs_list.setMaximumHeight(self.discs_list.fontMetrics().height() * 6)
        layout.addWidget(self.discs_list)
        self.add_disc_button = button(self.tr("Add this disc"), self.tr("Add the chosen disc"), self._add_chosen_disc)
        self.add_disc_button.setVisible(False)
        layout.addWidget(self.add_disc_button)

        self.drop_frame, drop_layout = card(self.tr("Drop files here"))
        self.drop_frame.setMinimumHeight(self.fontMetrics().height() * 6)
        self.drop_label = QLabel(self.tr("Or drag files and folders from your computer and drop them here."))
        self.drop_label.setAccessibleName(self.tr("Drop files here"))
        self.drop_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_label.setWordWrap(True)
        drop_layout.addWidget(self.drop_label)
        self._drop_style(False)
        layout.addWidget(self.drop_frame)

        self.read_only_label = paragraph(
            self.tr("This case was opened from a package you received, so nothing can be added to it. "
                    "Start a new case on the Start screen to gather your own records."),
            self.tr("Read-only"),
        )
        self.read_only_label.setVisible(False)
        layout.addWidget(self.read_only_label)
        self.result_label = paragraph("", self.tr("Last import"))
        self.result_label.setVisible(False)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        self.setAcceptDrops(True)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.read_only_label.setVisible(read_only)
        for widget in (self.folder_button, self.files_button, self.disc_button, self.drop_frame):
            widget.setVisible(not read_only)
        if read_only:
            for widget in (self.discs_label, self.discs_list, self.add_disc_button):
                widget.setVisible(False)

    # -- CDs and DVDs ---------------------------------------------------------------------------

    def find_discs(self) -> None:
        """List the mounted CDs and DVDs (on a worker); one disc is added at once."""
        if self._drives_task is not None:
            return
        self.disc_button.setEnabled(False)
        self.discs_label.setText(self.tr("Looking for a CD or DVD…"))
        self.discs_label.setVisible(True)

        def done(drives: list[Any]) -> None:
            self.disc_button.setEnabled(True)
            self._show_discs(drives)

        def failed(exc: BaseException) -> None:
            self.disc_button.setEnabled(True)
            self._show_discs([])

        self._drives_task = tasks.run_task(self, optical_drives, on_success=done, on_error=failed,
                                           label="Looking for discs")
        self._drives_task.finished.connect(self._drives_finished)

    def _drives_finished(self) -> None:
        self._drives_task = None

    def _show_discs(self, drives: Sequence[Any]) -> None:
        self.discs_list.clear()
        if not drives:
            self.discs_label.setText(self.tr(
                "No CD or DVD was found. Put the disc in, wait until the computer shows it, then try again. "
                "You can also choose the disc with “Add a folder or disc…”."))
            self.discs_list.setVisible(False)
            self.add_disc_button.setVisible(False)
            return
        if len(drives) == 1:
            drive = drives[0]
            self.discs_label.setText(self.tr("Adding the disc “{label}”…").format(label=_drive_name(drive)))
            self.discs_list.setVisible(False)
            self.add_disc_button.setVisible(False)
            self._add([Path(drive.mount_point)])
            return
        self.discs_label.setText(self.tr("Choose the disc to add:"))
        for drive in drives:
            item = QListWidgetItem(self.tr("{label} (in {place})").format(label=_drive_name(drive),
                                                                         place=str(drive.mount_point)))
            item.setData(Qt.ItemDataRole.UserRole, str(drive.mount_point))
            self.discs_list.addItem(item)
        self.discs_list.setCurrentRow(0)
        self.discs_list.setVisible(True)
        self.add_disc_button.setVisible(True)
        self.discs_list.setFocus()

    def _add_chosen_disc(self) -> None:
        item = self.discs_list.currentItem()
        if item is None:
            return
        self.discs_list.setVisible(False)
        self.add_disc_button.setVisible(False)
        self.discs_label.setVisible(False)
        self._add([Path(str(item.data(Qt.ItemDataRole.UserRole)))])

    def _add(self, paths: Sequence[Path]) -> None:
        if self._add_sources is not None and paths:
            self._add_sources(list(paths))

    # -- drag and drop ----------------------------------------------------------------------------

    def _drop_style(self, active: bool) -> None:
        border = "2px solid palette(highlight)" if active else "2px dashed palette(mid)"
        self.drop_frame.setStyleSheet(f"QFrame#card {{ border: {border}; border-radius: 8px; }}")

    def _accepts(self, mime: Any) -> bool:
        return not self._read_only and self._add_sources is not None and bool(dropped_paths(mime))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
            self._drop_style(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._drop_style(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_style(False)
        paths = dropped_paths(event.mimeData())
        if not self._accepts(event.mimeData()):
            event.ignore()
            return
        event.acceptProposedAction()
        self._add(paths)


def _drive_name(drive: Any) -> str:
    return str(drive.label or drive.device or drive.mount_point)
