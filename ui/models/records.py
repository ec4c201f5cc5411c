"""The Records screen's model: studies → series, then documents, over the core's objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from bundler.model import Document, Series, Study
from ui.models.tree import TreeModel, TreeNode
from ui.text import (
    display_name,
    document_kind_text,
    format_date,
    instance_contents,
    modality_text,
    plural,
    sort_date,
)

__all__ = ["ObjectRole", "RecordsModel", "RefRole", "SortRole"]

SortRole: Final = Qt.ItemDataRole.UserRole + 1
"""A value that sorts the way people expect (dates as YYYYMMDD, counts as numbers)."""
ObjectRole: Final = Qt.ItemDataRole.UserRole + 2
"""The core object behind a row (Study, Series or Document); None for group rows."""
RefRole: Final = Qt.ItemDataRole.UserRole + 3
"""The row's reference as the core writes it (``study:<uid>``, ``document:<id>``), or ""."""


def _t(text: str) -> str:
    return QCoreApplication.translate("RecordsModel", text)


@dataclass(eq=False)
class _Node(TreeNode):
    cells: tuple[str, ...]
    sort: tuple[Any, ...] = ()
    obj: Study | Series | Document | None = None
    tooltip: str = ""
    bold: bool = False


class RecordsModel(TreeModel):
    """Studies → series, then documents, as two groups. Read-only; rebuilt by :meth:`set_records`."""

    HEADERS: Final = (QT_TRANSLATE_NOOP("RecordsModel", "Record"), QT_TRANSLATE_NOOP("RecordsModel", "Date"),
                      QT_TRANSLATE_NOOP("RecordsModel", "Type"), QT_TRANSLATE_NOOP("RecordsModel", "Contents"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node(cells=())
        self.studies_group: _Node | None = None
        self.documents_group: _Node | None = None

    def set_records(self, studies: Sequence[Study], documents: Sequence[Document]) -> None:
        self.beginResetModel()
        self._root = _Node(cells=())
        self.studies_group = self.documents_group = None
        if studies:
            group = self._root.add(_Node(cells=(_t("Scans and images ({count})").format(count=len(studies)), "", "", ""), bold=True))
            for study in sorted(studies, key=lambda s: (sort_date(s.date), s.time), reverse=True):
                group.add(self._study_node(study))
            self.studies_group = group
        if documents:
            group = self._root.add(_Node(cells=(_t("Documents ({count})").format(count=len(documents)), "", "", ""), bold=True))
            for document in sorted(documents, key=lambda d: sort_date(d.date), reverse=True):
                group.add(self._document_node(document))
            self.documents_group = group
        self.endResetModel()

    @staticmethod
    def _study_node(study: Study) -> _Node:
        tip = [
            _t("Where: {place}").format(place=study.institution) if study.institution else "",
            _t("Referred by: {name}").format(name=display_name(study.referring_physician)) if study.referring_physician else "",
            _t("Accession number: {number}").format(number=study.accession) if study.accession else "",
        ]
        node = _Node(
            cells=(
                study.description.strip() or _t("Imaging study"),
                format_date(study.date),
                modality_text(study.modalities),
                instance_contents(i for s in study.series for i in s.instances),
            ),
            sort=(study.description, sort_date(study.date), ",".join(study.modalities),
                  study.instance_count),
            obj=study,
            tooltip="\n".join(t for t in tip if t),
        )
        for series in sorted(study.series, key=lambda s: (s.number is None, s.number or 0, s.description)):
            name = series.description.strip()
            if series.number is not None:
                name = (_t("Series {number}: {name}") if name else _t("Series {number}")).format(number=series.number, name=name)
            node.add(
                _Node(
                    cells=(
                        name or _t("Series"),
                        "",  # the study's date, already on the row above
                        modality_text((series.modality,)),
                        instance_contents(series.instances),
                    ),
                    sort=(series.number or 0, sort_date(study.date), series.modality, len(series.instances)),
                    obj=series,
                    tooltip=_t("Body part: {part}").format(part=series.body_part.title()) if series.body_part else "",
                )
            )
        return node

    @staticmethod
    def _document_node(document: Document) -> _Node:
        contents = plural(document.pages, _t("page"), _t("pages")) if document.pages else ""
        return _Node(
            cells=(
                document.title.strip() or _t("Untitled document"),
                format_date(document.date),
                document_kind_text(document),
                contents,
            ),
            sort=(document.title, sort_date(document.date), document.kind, document.pages or 0),
            obj=document,
        )

    # -- QAbstractItemModel ---------------------------------------------------------------------

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return node.cells[column] if column < len(node.cells) else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return node.tooltip or None
        if role == Qt.ItemDataRole.FontRole and node.bold:
            font = QFont()
            font.setBold(True)
            return font
        if role == SortRole:
            return node.sort[column] if column < len(node.sort) else node.cells[column]
        if role == ObjectRole:
            return node.obj
        if role == RefRole:
            return _ref_of(node.obj)
        return None

    def index_of_ref(self, ref: str) -> QModelIndex:
        """The row of ``study:<uid>`` or ``document:<id>`` (a series' study for its instances),
        or an invalid index when this case has no such record."""
        for group in self._root.children:
            for row, node in enumerate(group.children):
                if _ref_of(node.obj) == ref:
                    return self.createIndex(row, 0, node)
        return QModelIndex()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _t(self.HEADERS[section])
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _ref_of(obj: object) -> str:
    if isinstance(obj, Study):
        return f"study:{obj.study_uid}"
    if isinstance(obj, Document):
        return f"document:{obj.id}"
    return ""
