"""The Checklist screen: is the case ready for a second opinion, and what is missing?

A profile picker, the identity panel (a red stop sign with both values side by side when the
records name more than one person), the items grouped by status with their next steps and
evidence, and the front desk's printouts when the core's ``export.letters`` module exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from bundler.model import CompletenessReport, IdentityReport, IdentityStatus, ItemStatus
from ui import operations, tasks
from ui.models.checklist import ChecklistModel, ItemRole, RefRole, RowKindRole
from ui.session import CaseSession
from ui.text import display_name
from ui.views.live import LiveScreen
from ui.widgets import STOP_RED, button, card, paragraph, stop_sign, subheading

__all__ = ["ChecklistView", "open_file"]

log = logging.getLogger(__name__)

_INTAKE_ITEMS = {
    # Checklist items the patient answers on "About you": Enter on one goes to its field.
    "summary": "intake:concern", "questions": "intake:questions", "symptom_timeline": "intake:symptoms",
    "medications": "intake:medications", "allergies": "intake:allergies",
    "family_history": "intake:family_history", "insurance_referral": "intake:insurance",
    "pathology_slides": "intake:pathology",
}

_FIELD_NAMES = {"name": "Name", "birth_date": "Date of birth", "id": "Patient ID", "sex": "Sex"}


def open_file(path: Path) -> bool:
    """Open a file with the system's default application (the PDF viewer)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class ChecklistView(LiveScreen):
    open_ref = Signal(str)

    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Checklist"), session, parent, label="Checking the case")
        self.profile_id = "general"
        self.result: operations.ChecklistResult | None = None
        self.choose_save_path: Callable[[str, str], Path | None] = self._ask_save_path
        self.open_file: Callable[[Path], bool] = open_file
        layout = self.body

        row = QHBoxLayout()
        label = QLabel(self.tr("Check &for:"))
        self.profile_combo = QComboBox()
        self.profile_combo.setAccessibleName(self.tr("What the records are for"))
        self.profile_combo.view().setAccessibleName(self.tr("What the records are for"))
        self.profile_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label.setBuddy(self.profile_combo)
        self.profile_combo.activated.connect(self._profile_chosen)
        row.addWidget(label)
        row.addWidget(self.profile_combo)
        row.addStretch(1)
        self.letters_button = button(self.tr("Write request letters…"), self.tr("Write request letters"),
                                     self.write_letters)
        self.sheet_button = button(self.tr("Print missing-items sheet…"), self.tr("Print missing-items sheet"),
                                   self.print_sheet)
        row.addWidget(self.letters_button)
        row.addWidget(self.sheet_button)
        layout.addLayout(row)
        self.profile_description = paragraph("", self.tr("About this checklist"))
        layout.addWidget(self.profile_description)

        self.summary_label = subheading("")
        self.summary_label.setAccessibleName(self.tr("Result"))
        layout.addWidget(self.summary_label)

        # -- identity
        self.identity_card, identity_layout = card(self.tr("Who the records are about"), tone="stop")
        top = QHBoxLayout()
        self.stop_icon = QLabel()
        self.stop_icon.setAccessibleName(self.tr("Stop sign"))
        size = self.fontMetrics().height() * 3
        self.stop_icon.setPixmap(stop_sign(size))
        self.stop_icon.setFixedSize(size, size)
        top.addWidget(self.stop_icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        self.identity_title = subheading("")
        self.identity_message = paragraph("", self.tr("Identity check"))
        texts.addWidget(self.identity_title)
        texts.addWidget(self.identity_message)
        top.addLayout(texts, 1)
        identity_layout.addLayout(top)
        self.conflicts = QGridLayout()
        self.conflicts.setHorizontalSpacing(18)
        identity_layout.addLayout(self.conflicts)
        self.identity_card.setVisible(False)
        layout.addWidget(self.identity_card)
        self.identity_ok = paragraph("", self.tr("Identity check"))
        self.identity_ok.setVisible(False)
        layout.addWidget(self.identity_ok)

        # -- items
        self.model = ChecklistModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(self.tr("Checklist items"))
        self.tree.setAccessibleDescription(self.tr("Missing items first, each with its next step and the records "
                                                   "that show it. Enter opens a record."))
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)  # next steps are whole sentences: wrapped, not cut off
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 8px 3px 2px; }")
        header = self.tree.header()
        header.setAccessibleName(self.tr("Columns"))
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.activated.connect(self._activated)
        self.empty_label = QLabel()
        self.empty_label.setAccessibleName(self.tr("No checklist yet"))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.tree)
        layout.addWidget(self.stack, 1)
        self.detail_label = paragraph("", self.tr("Selected item"))
        self.detail_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        layout.addWidget(self.detail_label)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)

        self._letters = operations.optional_function("bundler.export.letters", "render_request_letters")
        self._sheet = operations.optional_function("bundler.export.letters", "render_missing_sheet")
        self.show_nothing()

    # -- running ----------------------------------------------------------------------------------

    def work(self) -> tasks.TaskFn | None:
        store = self.session.store
        if store is None:
            return None
        profile = self.profile_id
        return lambda progress, cancel: operations.check(store, profile, progress, cancel)

    def show_nothing(self) -> None:
        self.result = None
        self.model.set_report(None)
        self.summary_label.setText("")
        self.identity_card.setVisible(False)
        self.identity_ok.setVisible(False)
        self.detail_label.setText("")
        self.empty_label.setText(self.tr("Add your records first: the checklist compares them with what a "
                                         "second reviewer usually needs."))
        self.stack.setCurrentWidget(self.empty_label)
        self._update_buttons()

    def show_running(self, running: bool) -> None:
        if running and self.result is None:
            self.empty_label.setText(self.tr("Checking your records…"))

    def show_result(self, result: Any) -> None:
        assert isinstance(result, operations.ChecklistResult)
        self.result = result
        report = result.report
        self.profile_id = report.profile
        self.profile_combo.blockSignals(True)
        self.profile_combo.clear()
        for profile in result.profiles:
            self.profile_combo.addItem(profile.title, profile.id)
            self.profile_combo.setItemData(self.profile_combo.count() - 1, profile.description,
                                           Qt.ItemDataRole.ToolTipRole)
        self.profile_combo.setCurrentIndex(max(self.profile_combo.findData(report.profile), 0))
        self.profile_combo.blockSignals(False)
        chosen = next((p for p in result.profiles if p.id == report.profile), None)
        self.profile_description.setText(chosen.description if chosen else "")
        self.profile_description.setVisible(bool(chosen and chosen.description))

        self.model.set_report(report)
        for status in (ItemStatus.MISSING, ItemStatus.ATTENTION):
            index = self.model.group_index(status)
            if index.isValid():
                self.tree.expandRecursively(index)
        for status in (ItemStatus.PRESENT, ItemStatus.NOT_REQUIRED):
            index = self.model.group_index(status)
            if index.isValid():
                self.tree.expand(index)
        for g in range(self.model.rowCount()):
            group = self.model.index(g, 0)
            for i in range(self.model.rowCount(group)):
                item_index = self.model.index(i, 0, group)
                for c in range(self.model.rowCount(item_index)):
                    self.tree.setFirstColumnSpanned(c, item_index, True)  # sentences get the full width
        self.stack.setCurrentWidget(self.tree)
        self.summary_label.setText(self._summary(report))
        self._show_identity(report.identity)
        self._update_buttons()
        if not self.tree.currentIndex().isValid() and self.model.rowCount():
            # The first item of the first group, so its next step shows below at once.
            first_group = self.model.index(0, 0)
            first = self.model.index(0, 0, first_group)
            self.tree.setCurrentIndex(first if first.isValid() else first_group)

    def _summary(self, report: CompletenessReport) -> str:
        missing = sum(1 for i in report.items if i.blocking and i.status is ItemStatus.MISSING)
        attention = sum(1 for i in report.items if i.blocking and i.status is ItemStatus.ATTENTION)
        if report.identity.stop:
            return self.tr("Stop: check who these records belong to before you send them.")
        if report.complete:
            return self.tr("Everything a reviewer needs is here.")
        if missing and attention:
            return self.tr("{missing} needed items are missing and {attention} need attention.").format(
                missing=missing, attention=attention)
        if missing:
            return (self.tr("1 needed item is missing.") if missing == 1
                    else self.tr("{n} needed items are missing.").format(n=missing))
        return (self.tr("1 item needs attention.") if attention == 1
                else self.tr("{n} items need attention.").format(n=attention))

    def show_error(self, exc: BaseException) -> None:
        tasks.present_error(self, exc, what="checking the case")
        if self.result is None:
            self.empty_label.setText(self.tr("The checklist could not be made."))

    def _profile_chosen(self, index: int) -> None:
        profile = self.profile_combo.itemData(index)
        if profile and profile != self.profile_id:
            self.profile_id = profile
            self.rerun()

    def set_profile(self, profile_id: str) -> None:
        self.profile_id = profile_id
        self.rerun()

    # -- identity -------------------------------------------------------------------------------

    def _show_identity(self, identity: IdentityReport) -> None:
        while self.conflicts.count():
            widget = self.conflicts.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if identity.status in (IdentityStatus.CONSISTENT, IdentityStatus.UNKNOWN) and not identity.conflicts:
            self.identity_card.setVisible(False)
            self.identity_ok.setText(identity.message)
            self.identity_ok.setVisible(bool(identity.message))
            return
        self.identity_ok.setVisible(False)
        stop = identity.stop
        self.stop_icon.setVisible(stop)
        border = STOP_RED.name() if stop else "palette(highlight)"
        self.identity_card.setStyleSheet(
            f"QFrame#card {{ border: 2px solid {border}; border-radius: 6px; background: palette(alternate-base); }}"
        )
        self.identity_title.setText(self.tr("Stop: these records may be about more than one person") if stop
                                    else self.tr("Please check who these records are about"))
        self.identity_message.setText(identity.message)
        row = 0
        for conflict in identity.conflicts:
            name = QLabel(self.tr(_FIELD_NAMES.get(conflict.field, conflict.field)))
            font = name.font()
            font.setBold(True)
            name.setFont(font)
            self.conflicts.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            for column, (value, refs) in enumerate(conflict.values, start=1):
                shown = display_name(value) if conflict.field == "name" and "^" in value else value
                count = self.tr("in 1 record") if len(refs) == 1 else self.tr("in {n} records").format(n=len(refs))
                cell = QLabel(f"<b>{_escape(shown)}</b><br>{_escape(count)}")
                cell.setTextFormat(Qt.TextFormat.RichText)
                cell.setAccessibleName(self.tr("{field}: {value}, {count}").format(
                    field=name.text(), value=shown, count=count))
                if conflict.stop:
                    cell.setStyleSheet(f"color: {STOP_RED.name()};")
                self.conflicts.addWidget(cell, row, column, Qt.AlignmentFlag.AlignTop)
            row += 1
            if conflict.message:
                note = QLabel(conflict.message)
                note.setWordWrap(True)
                note.setAccessibleName(conflict.message)
                self.conflicts.addWidget(note, row, 1, 1, max(len(conflict.values), 1))
                row += 1
        self.identity_card.setVisible(True)

    # -- items ------------------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        item = current.data(ItemRole) if current.isValid() else None
        if item is None:
            self.detail_label.setText("")
            return
        lines = [f"<b>{_escape(item.title)}</b>"]
        if item.next_step:
            lines.append(_escape(self.tr("Next step: {step}").format(step=item.next_step)))
        lines += [_escape(d) for d in item.details]
        self.detail_label.setTextFormat(Qt.TextFormat.RichText)
        self.detail_label.setText("<br>".join(lines))

    def _activated(self, index: QModelIndex) -> None:
        ref = index.data(RefRole)
        item = index.data(ItemRole)
        kind = index.data(RowKindRole)
        if ref:
            self.open_ref.emit(ref)
        elif (kind == "next" or (kind == "item" and item.status is not ItemStatus.PRESENT)) \
                and item.id in _INTAKE_ITEMS and not self.session.read_only:
            self.open_ref.emit(_INTAKE_ITEMS[item.id])
        elif index.data(RowKindRole) in ("item", "group"):
            self.tree.setExpanded(index.siblingAtColumn(0), not self.tree.isExpanded(index.siblingAtColumn(0)))

    # -- printouts --------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        has_report = self.result is not None
        for widget, fn in ((self.letters_button, self._letters), (self.sheet_button, self._sheet)):
            widget.setEnabled(fn is not None and has_report)
            if fn is None:
                widget.setToolTip(self.tr("Not available in this version of the app yet."))
            elif not has_report:
                widget.setToolTip(self.tr("Add records first."))
            else:
                widget.setToolTip("")
        self.letters_button.setAccessibleDescription(self.letters_button.toolTip())
        self.sheet_button.setAccessibleDescription(self.sheet_button.toolTip())

    def _ask_save_path(self, title: str, name: str) -> Path | None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path(folder) / name), self.tr("PDF files (*.pdf)"))
        return Path(path) if path else None

    def write_letters(self) -> tasks.TaskHandle | None:
        """Write one records-request letter per facility to a PDF and open it."""
        if self._letters is None or self.result is None:
            return None
        out = self.choose_save_path(self.tr("Save the request letters"), self.tr("Records request letters.pdf"))
        if out is None:
            return None
        render, report, intake = self._letters, self.result.report, self.result.intake

        def work(progress: Any, cancel: Any) -> int:
            return int(render(report, intake, out))

        def done(count: int) -> None:
            if count == 0:
                self.detail_label.setText(self.tr("There is nothing to ask a hospital for: no letter was written."))
            else:
                self.detail_label.setText(self.tr("Letters written to {path}.").format(path=out))
                self.open_file(out)

        return tasks.run_task(self, work, on_success=done, label="Writing request letters")

    def print_sheet(self) -> tasks.TaskHandle | None:
        """Write the one-page "missing items" sheet to a PDF and open it for printing."""
        if self._sheet is None or self.result is None:
            return None
        out = self.choose_save_path(self.tr("Save the missing-items sheet"), self.tr("Missing items.pdf"))
        if out is None:
            return None
        render, report, intake = self._sheet, self.result.report, self.result.intake

        def work(progress: Any, cancel: Any) -> None:
            render(report, out, intake=intake)

        def done(_result: None) -> None:
            self.detail_label.setText(self.tr("Sheet written to {path}.").format(path=out))
            self.open_file(out)

        return tasks.run_task(self, work, on_success=done, label="Writing the missing-items sheet")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
