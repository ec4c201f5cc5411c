"""The Timeline screen's model: one row per :class:`~bundler.model.TimelineEvent`, and a filter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from bundler.model import DatePrecision, EventKind, TimelineEvent
from ui.text import format_partial_date

__all__ = ["EventRole", "KIND_NAMES", "TimelineFilter", "TimelineModel", "date_text", "is_uncertain"]

EventRole: Final = Qt.ItemDataRole.UserRole + 1
"""The row's TimelineEvent."""

KIND_NAMES: Final = {
    EventKind.STUDY: QT_TRANSLATE_NOOP("Timeline", "Scans"),
    EventKind.DOCUMENT: QT_TRANSLATE_NOOP("Timeline", "Documents"),
    EventKind.PROCEDURE: QT_TRANSLATE_NOOP("Timeline", "Procedures"),
    EventKind.HOSPITAL_STAY: QT_TRANSLATE_NOOP("Timeline", "Hospital stays"),
    EventKind.MEDICATION_START: QT_TRANSLATE_NOOP("Timeline", "Medicines started"),
    EventKind.MEDICATION_STOP: QT_TRANSLATE_NOOP("Timeline", "Medicines stopped"),
    EventKind.LAB_RESULT: QT_TRANSLATE_NOOP("Timeline", "Lab results"),
    EventKind.SYMPTOM: QT_TRANSLATE_NOOP("Timeline", "Your symptoms"),
}
"""Plural names, for the filter."""

_KIND_ROW: Final = {
    EventKind.STUDY: QT_TRANSLATE_NOOP("Timeline", "Scan"),
    EventKind.DOCUMENT: QT_TRANSLATE_NOOP("Timeline", "Document"),
    EventKind.PROCEDURE: QT_TRANSLATE_NOOP("Timeline", "Procedure"),
    EventKind.HOSPITAL_STAY: QT_TRANSLATE_NOOP("Timeline", "Hospital stay"),
    EventKind.MEDICATION_START: QT_TRANSLATE_NOOP("Timeline", "Medicine started"),
    EventKind.MEDICATION_STOP: QT_TRANSLATE_NOOP("Timeline", "Medicine stopped"),
    EventKind.LAB_RESULT: QT_TRANSLATE_NOOP("Timeline", "Lab result"),
    EventKind.SYMPTOM: QT_TRANSLATE_NOOP("Timeline", "Symptom"),
}


def _t(text: str) -> str:
    return QCoreApplication.translate("Timeline", text)


def is_uncertain(event: TimelineEvent) -> bool:
    return event.date_precision is not DatePrecision.DAY or bool(event.date_note)


def date_text(event: TimelineEvent) -> str:
    """The date as shown: uncertain dates carry a visible mark (≈ for partial, ? for doubtful)."""
    if event.date_precision is DatePrecision.UNKNOWN:
        return _t("Date unknown")
    text = format_partial_date(event.date)
    if event.end and event.end != event.date:
        text = _t("{start} to {end}").format(start=text, end=format_partial_date(event.end))
    if event.date_precision is not DatePrecision.DAY:
        text = "≈ " + text
    if event.date_note:
        text += " (?)"
    return text


def date_explanation(event: TimelineEvent) -> str:
    parts = []
    if event.date_precision is DatePrecision.MONTH:
        parts.append(_t("Only the month is known."))
    elif event.date_precision is DatePrecision.YEAR:
        parts.append(_t("Only the year is known."))
    if event.date_note:
        parts.append(_t("Note: {note}.").format(note=event.date_note))
    return " ".join(parts)


class TimelineModel(QAbstractTableModel):
    HEADERS: Final = (QT_TRANSLATE_NOOP("Timeline", "When"), QT_TRANSLATE_NOOP("Timeline", "What"),
                      QT_TRANSLATE_NOOP("Timeline", "Kind"), QT_TRANSLATE_NOOP("Timeline", "Details"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.events: list[TimelineEvent] = []

    def set_events(self, events: Iterable[TimelineEvent]) -> None:
        self.beginResetModel()
        self.events = list(events)
        self.endResetModel()

    def kinds(self) -> list[EventKind]:
        present = {e.kind for e in self.events}
        return [k for k in EventKind if k in present]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (date_text(event), event.title, _t(_KIND_ROW[event.kind]), event.detail)[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == 0:
                explanation = date_explanation(event)
                return f"{date_text(event)}. {explanation}" if explanation else date_text(event)
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return date_explanation(event) or None
            if column == 3 and event.detail:
                return event.detail
            if any(r.startswith(("study:", "document:")) for r in event.refs):
                return _t("Double-click or press Enter to open the record.")
            return None
        if role == Qt.ItemDataRole.FontRole and column == 0 and is_uncertain(event):
            font = QFont()
            font.setItalic(True)
            return font
        if role == EventRole:
            return event
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _t(self.HEADERS[section])
        return None


class TimelineFilter(QSortFilterProxyModel):
    """Rows of the chosen kinds (all when none is chosen) that contain the search words."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._kinds: frozenset[EventKind] = frozenset()
        self._words: tuple[str, ...] = ()

    def set_kinds(self, kinds: Sequence[EventKind]) -> None:
        self.beginFilterChange()
        self._kinds = frozenset(kinds)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_search(self, text: str) -> None:
        self.beginFilterChange()
        self._words = tuple(text.casefold().split())
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, TimelineModel)
        event = model.events[source_row]
        if self._kinds and event.kind not in self._kinds:
            return False
        if self._words:
            haystack = f"{event.title} {event.detail} {date_text(event)}".casefold()
            return all(w in haystack for w in self._words)
        return True
