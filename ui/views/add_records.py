"""The Add records screen: a disc, a folder or files, imported in the background."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QWidget

from ui.widgets import Screen, button, paragraph

__all__ = ["AddRecordsView"]


class AddRecordsView(Screen):
    def __init__(
        self,
        *,
        choose_folder: Callable[[], None],
        choose_files: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Add records"), parent)
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
        self.folder_button = button(
            self.tr("Add a folder or disc…"), self.tr("Add a folder or disc"), choose_folder,
            self.tr("Add everything in a folder, or on a CD, DVD or USB stick"),
        )
        self.files_button = button(self.tr("Add files…"), self.tr("Add files"), choose_files,
                                   self.tr("Add one or more files"))
        row.addWidget(self.folder_button)
        row.addWidget(self.files_button)
        row.addStretch(1)
        layout.addLayout(row)
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

    def set_read_only(self, read_only: bool) -> None:
        self.read_only_label.setVisible(read_only)
        self.folder_button.setVisible(not read_only)
        self.files_button.setVisible(not read_only)
