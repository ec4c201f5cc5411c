"""The Timeline screen: the case's chronology, filterable by kind; each event opens its record."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QToolButton,
    QWidget,
)

from bundler.model import EventKind, TimelineEvent
from ui import operations, tasks
from ui.models.timeline import KIND_NAMES, EventRole, TimelineFilter, TimelineModel
from ui.session import CaseSession
from ui.views.live import LiveScreen
from ui.widgets import paragraph

__all__ = ["TimelineView"]


class TimelineView(LiveScreen):
    open_ref = Signal(str)
    """A record to show: ``study:…``, ``document:…`` or ``intake:…``."""

    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Timeline"), session, parent, label="Building the timeline")
        layout = self.body
        layout.addWidget(paragraph(
            self.tr("Your scans, reports, treatments and symptoms in date order. Dates marked ≈ are known "
                    "only to the month or year; (?) marks a date to check. Double-click an event, or press "
                    "Enter, to see its record."),
            self.tr("About the timeline"),
        ))
        row = QHBoxLayout()
        show = QLabel(self.tr("&Show:"))
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName(self.tr("Show events of this kind"))
        self.kind_filter.view().setAccessibleName(self.tr("Show events of this kind"))
        show.setBuddy(self.kind_filter)
        self.kind_filter.currentIndexChanged.connect(self._filter_changed)
        find = QLabel(self.tr("&Find:"))
        self.search = QLineEdit()
        self.search.setAccessibleName(self.tr("Find events"))
        self.search.setPlaceholderText(self.tr("Words in the title or details"))
        self.search.setClearButtonEnabled(True)
        for clear in self.search.findChildren(QToolButton):
            clear.setAccessibleName(self.tr("Clear the search"))
        find.setBuddy(self.search)
        self.search.textChanged.connect(lambda text: (self.proxy.set_search(text), self._update_count()))
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of events shown"))
        row.addWidget(show)
        row.addWidget(self.kind_filter)
        row.addSpacing(12)
        row.addWidget(find)
        row.addWidget(self.search, 1)
        row.addWidget(self.count_label)
        layout.addLayout(row)

        self.model = TimelineModel(self)
        self.proxy = TimelineFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Timeline events"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setAccessibleName(self.tr("Rows"))
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setAccessibleName(self.tr("Columns"))
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.activated.connect(self._activated)

        self.empty_label = QLabel()
        self.empty_label.setAccessibleName(self.tr("No events"))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        self.show_nothing()

    # -- LiveScreen ---------------------------------------------------------------------------------

    def work(self) -> tasks.TaskFn | None:
        store = self.session.store
        if store is None:
            return None
        return lambda progress, cancel: operations.timeline(store, progress, cancel)

    def show_nothing(self) -> None:
        self.model.set_events([])
        self._fill_kinds()
        self.empty_label.setText(self.tr("Nothing to show yet. Add records, or describe your symptoms on "
                                         "“About you”."))
        self.stack.setCurrentWidget(self.empty_label)
        self._update_count()

    def show_running(self, running: bool) -> None:
        if running and not self.model.events:
            self.empty_label.setText(self.tr("Putting your records in order…"))

    def show_result(self, result: Any) -> None:
        events: list[TimelineEvent] = result
        self.model.set_events(events)
        self._fill_kinds()
        if not events:
            self.show_nothing()
            return
        self.stack.setCurrentWidget(self.table)
        self.table.horizontalHeader().resizeSection(3, max(200, self.table.width() // 4))
        self._update_count()

    # -- filtering ------------------------------------------------------------------------------------

    def _fill_kinds(self) -> None:
        current = self.kind_filter.currentData()
        self.kind_filter.blockSignals(True)
        self.kind_filter.clear()
        self.kind_filter.addItem(self.tr("Everything"), None)
        for kind in self.model.kinds():
            self.kind_filter.addItem(self.tr(KIND_NAMES[kind]), kind)
        index = self.kind_filter.findData(current) if current is not None else 0
        self.kind_filter.setCurrentIndex(max(index, 0))
        self.kind_filter.blockSignals(False)
        self._filter_changed()

    def set_kind(self, kind: EventKind | None) -> None:
        """Show only ``kind`` (None: everything)."""
        index = self.kind_filter.findData(kind) if kind is not None else 0
        self.kind_filter.setCurrentIndex(max(index, 0))

    def _filter_changed(self, *_args: object) -> None:
        kind = self.kind_filter.currentData()
        self.proxy.set_kinds([kind] if kind is not None else [])
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if total == 0:
            self.count_label.setText("")
        elif shown == total:
            self.count_label.setText(self.tr("{n} events").format(n=total))
        else:
            self.count_label.setText(self.tr("{shown} of {total} events").format(shown=shown, total=total))

    # -- opening --------------------------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        event = index.data(EventRole)
        if not isinstance(event, TimelineEvent):
            return
        ref = next((r for r in event.refs if r.startswith(("study:", "document:"))), None)
        ref = ref or next((r for r in event.refs if r.startswith("intake:")), None)
        if ref is not None:
            self.open_ref.emit(ref)
