"""The Records screen: who the records are about, then studies → series and documents."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QWidget,
)

from bundler.model import DicomObjectKind, Document, Series, Study
from ui.models.records import ObjectRole, RecordsModel, RefRole
from ui.operations import Relabelled
from ui.session import CaseSession
from ui.text import patient_summary
from ui.views.document_viewer import DocumentViewer
from ui.views.series_viewer import SeriesViewer
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
        self.read_only_label = paragraph(
            self.tr("These records were opened from a package you received. They are read-only."),
            self.tr("Read-only"),
        )
        self.read_only_label.setVisible(False)

        row = QHBoxLayout()
        row.addWidget(self.patient_label, 1)
        self.add_button = QPushButton(self.tr("Add records…"))
        self.add_button.setAccessibleName(self.tr("Add records"))
        self.add_button.setAccessibleDescription(self.tr("Add a folder, a disc or files to these records"))
        menu = QMenu(self.add_button)
        menu.setAccessibleName(self.tr("Add records"))
        menu.addAction(self.tr("A folder or disc…"), choose_folder)
        menu.addAction(self.tr("Files…"), choose_files)
        self.add_button.setMenu(menu)
        self.add_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        row.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addWidget(self.read_only_label)

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

        # The chosen record, below the list: a document with its words explained, or a
        # series' images. Hidden until something is chosen, so the list has the room first.
        self.document_viewer = DocumentViewer(session)
        self.document_viewer.relabelled.connect(self._relabelled)
        self.series_viewer = SeriesViewer(session)
        self.detail = QStackedWidget()
        self.detail.setAccessibleName(self.tr("The chosen record"))
        self.detail.addWidget(self.document_viewer)
        self.detail.addWidget(self.series_viewer)
        self.detail.setVisible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.records_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        layout.addWidget(self.splitter, 1)
        self.tree.selectionModel().currentRowChanged.connect(self._current_changed)
        self._sized = False
        self.result_label = paragraph("", self.tr("Last import"))
        self.result_label.setVisible(False)
        layout.addWidget(self.result_label)
        session.records_changed.connect(self.refresh)

    def refresh(self) -> None:
        listing = self.session.listing
        current = self.tree.currentIndex()
        keep = self._row_key(current) if current.isValid() else None
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
            self._show_detail(None)
            return
        self.tree.expandToDepth(0)
        if self.model.studies_group is not None and len(self.model.studies_group.children) <= 8:
            self.tree.expandToDepth(1)
        self.records_stack.setCurrentWidget(self.tree)
        again = self._find_row(keep) if keep is not None else QModelIndex()
        if again.isValid():
            # The same record after a re-read (an import, a relabel): still chosen, still shown.
            self.tree.selectionModel().setCurrentIndex(
                again, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.tree.scrollTo(again)
        elif not self.tree.currentIndex().isValid():
            # Keyboard focus starts on the first row, without a selection bar across it.
            self.tree.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def cancel_work(self) -> None:
        """Stop reading or decoding what is shown (the window is closing)."""
        self.document_viewer.cancel_work()
        self.series_viewer.clear()

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

    def show_record(self, what: str, *, lang: str | None = None) -> bool:
        """Choose a record by reference (``document:ID``, ``study:UID``, ``series:UID``) or by
        words of its title; False when none matches. ``lang`` sets the explanations' language."""
        if lang:
            self.document_viewer.panel.set_language(lang)
        kind, _, value = what.partition(":")
        if kind == "series" and value:
            index = self._find_row(("series", value))
        elif kind in ("document", "study") and value:
            index = self.model.index_of_ref(what)
        else:
            index = self._find_title(what)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _find_title(self, words: str) -> QModelIndex:
        wanted = " ".join(words.split()).casefold()
        pending = [self.model.index(r, 0) for r in range(self.model.rowCount())]
        while pending:
            index = pending.pop(0)
            obj = index.data(ObjectRole)
            if obj is not None and wanted in " ".join(str(index.data()).split()).casefold():
                return index
            pending.extend(self.model.index(r, 0, index) for r in range(self.model.rowCount(index)))
        return QModelIndex()

    # -- the chosen record ------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        obj = current.data(ObjectRole) if current.isValid() else None
        parent: object
        if isinstance(obj, Study):
            parent = obj
            series = next((s for s in _viewing_order(obj.series) if _has_images(s)), None)
            obj = series if series is not None else (obj.series[0] if obj.series else None)
        else:
            parent_index = current.parent() if current.isValid() else QModelIndex()
            parent = parent_index.data(ObjectRole) if parent_index.isValid() else None
        if isinstance(obj, Series) and not _has_images(obj):
            document = self._document_in(obj)
            if document is not None:
                obj = document
        self._show_detail(obj, parent if isinstance(parent, Study) else None)

    def _show_detail(self, obj: object, study: Study | None = None) -> None:
        if isinstance(obj, Document):
            self.series_viewer.clear()
            self.document_viewer.show_document(obj)
            self.detail.setCurrentWidget(self.document_viewer)
        elif isinstance(obj, Series):
            self.document_viewer.clear()
            self.series_viewer.show_series(obj, study)
            self.detail.setCurrentWidget(self.series_viewer)
        else:
            self.document_viewer.clear()
            self.series_viewer.clear()
            self.detail.setVisible(False)
            return
        if not self.detail.isVisible():
            self.detail.setVisible(True)
            if not self._sized:
                # The list keeps a few rows; the record gets the rest.
                total = max(self.splitter.height(), 400)
                rows = min(max(self.tree.sizeHintForRow(0), 18) * 7, total // 3)
                self.splitter.setSizes([rows, total - rows])
                self._sized = True

    def _document_in(self, series: Series) -> Document | None:
        """The document taken out of a series' encapsulated PDF or report, if any."""
        uids = {i.sop_instance_uid for i in series.instances}
        return next((d for d in self.session.listing.documents if d.from_dicom_sop_instance_uid in uids), None)

    def _relabelled(self, result: Relabelled) -> None:
        # The list, the checklist and the timeline follow the new kind.
        self.session.refresh(result.listing)

    def _row_key(self, index: QModelIndex | QPersistentModelIndex) -> tuple[str, str]:
        obj = index.data(ObjectRole)
        if isinstance(obj, Series):
            return ("series", obj.series_uid)
        ref = index.data(RefRole) or ""
        return ("ref", ref) if ref else ("group", str(index.row()))

    def _find_row(self, key: tuple[str, str]) -> QModelIndex:
        kind, value = key
        if kind == "ref":
            return self.model.index_of_ref(value)
        if kind == "group":
            row = int(value)
            return self.model.index(row, 0) if row < self.model.rowCount() else QModelIndex()
        for group in range(self.model.rowCount()):
            group_index = self.model.index(group, 0)
            for row in range(self.model.rowCount(group_index)):
                study_index = self.model.index(row, 0, group_index)
                for child in range(self.model.rowCount(study_index)):
                    index = self.model.index(child, 0, study_index)
                    obj = index.data(ObjectRole)
                    if isinstance(obj, Series) and obj.series_uid == value:
                        return index
        return QModelIndex()


def _has_images(series: Series) -> bool:
    return any(i.kind == DicomObjectKind.IMAGE for i in series.instances)


def _viewing_order(series: tuple[Series, ...]) -> list[Series]:
    return sorted(series, key=lambda s: (s.number is None, s.number or 0, s.description))
