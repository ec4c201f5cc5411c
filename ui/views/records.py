"""The Records screen: who the records are about, then studies → series and documents."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTreeView,
    QWidget,
)

from ui.models.records import RecordsModel
from ui.session import CaseSession
from ui.text import patient_summary
from ui.widgets import Screen, paragraph

__all__ = ["RecordsView"]


class RecordsView(Screen):
    def __init__(
        self,
        session: CaseSession,
        *,
        choose_folder: Callable[[], None],
        choose_files: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Records"), parent)
        self.session = session
        layout = self.body
        self.patient_label = paragraph("", self.tr("Patient"))
        layout.addWidget(self.patient_label)
        self.read_only_label = paragraph(
            self.tr("These records were opened from a package you received. They are read-only."),
            self.tr("Read-only"),
        )
        self.read_only_label.setVisible(False)
        layout.addWidget(self.read_only_label)

        row = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add records…"))
        self.add_button.setAccessibleName(self.tr("Add records"))
        self.add_button.setAccessibleDescription(self.tr("Add a folder, a disc or files to these records"))
        menu = QMenu(self.add_button)
        menu.setAccessibleName(self.tr("Add records"))
        menu.addAction(self.tr("A folder or disc…"), choose_folder)
        menu.addAction(self.tr("Files…"), choose_files)
        self.add_button.setMenu(menu)
        self.add_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.model = RecordsModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(self.tr("Your records"))
        self.tree.setAccessibleDescription(self.tr("Scans and images by study and series, then documents"))
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 8px 3px 2px; }")
        header = self.tree.header()
        header.setAccessibleName(self.tr("Columns"))
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(RecordsModel.HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName(self.tr("No records"))
        self.records_stack = QStackedWidget()
        self.records_stack.setAccessibleName(self.tr("Records list"))
        self.records_stack.addWidget(self.empty_label)
        self.records_stack.addWidget(self.tree)
        layout.addWidget(self.records_stack, 1)
        self.result_label = paragraph("", self.tr("Last import"))
        self.result_label.setVisible(False)
        layout.addWidget(self.result_label)
        session.records_changed.connect(self.refresh)

    def refresh(self) -> None:
        listing = self.session.listing
        self.model.set_records(listing.studies, listing.documents)
        summary = patient_summary(listing.patients)
        self.patient_label.setText(summary)
        self.patient_label.setVisible(bool(summary))
        self.read_only_label.setVisible(listing.read_only)
        self.add_button.setVisible(not listing.read_only)
        if self.model.rowCount() == 0:
            self.empty_label.setText(
                self.session.error_text
                or self.tr("No records yet.\n\nChoose “Add records…” to bring in a disc, a folder or files.")
            )
            self.records_stack.setCurrentWidget(self.empty_label)
            return
        self.tree.expandToDepth(0)
        if self.model.studies_group is not None and len(self.model.studies_group.children) <= 8:
            self.tree.expandToDepth(1)
        self.records_stack.setCurrentWidget(self.tree)
        if not self.tree.currentIndex().isValid():
            # Keyboard focus starts on the first row, without a selection bar across it.
            self.tree.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def select_ref(self, ref: str) -> bool:
        """Select and show the record ``ref`` (``study:…`` or ``document:…``); False if unknown."""
        index = self.model.index_of_ref(ref)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.tree.setFocus()
        return True
