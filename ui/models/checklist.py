"""The Checklist screen's model: items grouped by status, each with its next step, evidence
and details as child rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from ui.models.tree import TreeModel, TreeNode
from bundler.model import CompletenessReport, ItemResult, ItemStatus, Requirement

__all__ = ["GROUPS", "ChecklistModel", "ItemRole", "RefRole", "RowKindRole", "status_icon"]

ItemRole: Final = Qt.ItemDataRole.UserRole + 1
"""The ItemResult of an item row (and of its child rows)."""
RefRole: Final = Qt.ItemDataRole.UserRole + 2
"""An evidence row's record reference (``study:…``, ``document:…``, ``intake:…``)."""
RowKindRole: Final = Qt.ItemDataRole.UserRole + 3
""""group", "item", "next", "evidence" or "detail"."""

GROUPS: Final = (
    (ItemStatus.MISSING, QT_TRANSLATE_NOOP("Checklist", "Missing")),
    (ItemStatus.ATTENTION, QT_TRANSLATE_NOOP("Checklist", "Needs attention")),
    (ItemStatus.PRESENT, QT_TRANSLATE_NOOP("Checklist", "Present")),
    (ItemStatus.NOT_REQUIRED, QT_TRANSLATE_NOOP("Checklist", "Not needed for this case")),
)

_COLOURS: Final = {
    ItemStatus.MISSING: "#c62828",
    ItemStatus.ATTENTION: "#ef8f00",
    ItemStatus.PRESENT: "#2e7d32",
    ItemStatus.NOT_REQUIRED: "#9e9e9e",
}


def _t(text: str) -> str:
    return QCoreApplication.translate("Checklist", text)


def status_icon(status: ItemStatus, size: int = 14) -> QIcon:
    """A coloured dot: red missing, amber attention, green present, grey not needed."""
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x: sharp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_COLOURS[status]))
    painter.drawEllipse(2, 2, size - 4, size - 4)
    painter.end()
    return QIcon(pixmap)


@dataclass(eq=False)
class _Node(TreeNode):
    kind: str
    cells: tuple[str, str]
    item: ItemResult | None = None
    ref: str = ""
    status: ItemStatus | None = None


def requirement_text(requirement: Requirement) -> str:
    return {Requirement.REQUIRED: _t("Needed"), Requirement.RECOMMENDED: _t("Recommended"),
            Requirement.NOT_REQUIRED: _t("Not needed")}[requirement]


class ChecklistModel(TreeModel):
    HEADERS: Final = (QT_TRANSLATE_NOOP("Checklist", "Item"), QT_TRANSLATE_NOOP("Checklist", "How important"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = _Node("root", ("", ""))
        self.report: CompletenessReport | None = None

    def set_report(self, report: CompletenessReport | None) -> None:
        self.beginResetModel()
        self.report = report
        self._root = _Node("root", ("", ""))
        if report is not None:
            for status, title in GROUPS:
                items = [i for i in report.items if i.status is status]
                if not items:
                    continue
                group = self._root.add(_Node("group", (_t("{group} ({n})").format(group=_t(title), n=len(items)), ""),
                                             status=status))
                for item in items:
                    node = group.add(_Node("item", (item.title, requirement_text(item.requirement)), item=item,
                                           status=status))
                    if item.next_step:
                        node.add(_Node("next", (_t("Next step: {step}").format(step=item.next_step), ""), item=item))
                    for detail in item.details:
                        node.add(_Node("detail", (detail, ""), item=item))
                    for evidence in item.evidence:
                        node.add(_Node("evidence", (_t("Found in: {record}").format(record=evidence.title), ""),
                                       item=item, ref=evidence.ref))
        self.endResetModel()

    def group_index(self, status: ItemStatus) -> QModelIndex:
        for row, node in enumerate(self._root.children):
            if node.status is status:
                return self.createIndex(row, 0, node)
        return QModelIndex()

    def items_in(self, status: ItemStatus) -> list[ItemResult]:
        index = self.group_index(status)
        if not index.isValid():
            return []
        return [c.item for c in self._node(index).children if c.item is not None]

    # -- QAbstractItemModel ---------------------------------------------------------------------

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text = node.cells[column]
            if role == Qt.ItemDataRole.AccessibleTextRole and node.kind == "item" and column == 0 and node.status:
                status = dict(GROUPS)[node.status]
                return _t("{item}: {status}").format(item=text, status=_t(status))
            return text
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and node.kind in ("next", "detail", "evidence"):
            if node.kind == "evidence":
                return _t("Double-click or press Enter to see this record.")
            return node.cells[0]
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and node.kind in ("group", "item") and node.status:
            return status_icon(node.status)
        if role == Qt.ItemDataRole.FontRole:
            if node.kind == "group":
                font = QFont()
                font.setBold(True)
                return font
            if node.kind == "evidence":
                font = QFont()
                font.setUnderline(True)
                return font
        if role == Qt.ItemDataRole.ForegroundRole and node.kind == "evidence":
            from PySide6.QtGui import QPalette
            from PySide6.QtWidgets import QApplication

            return QApplication.palette().brush(QPalette.ColorRole.Link)
        if role == ItemRole:
            return node.item
        if role == RefRole:
            return node.ref or None
        if role == RowKindRole:
            return node.kind
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _t(self.HEADERS[section])
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
