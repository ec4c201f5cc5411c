"""An editor for a short list of rows (symptoms, medicines, allergies): one line edit per field.

Plain line edits rather than a table: Tab walks through every field in reading order, each
field has its own accessible name ("Medicine 2: Dose"), and screen readers need nothing
special. Dates are checked as typed (``2025``, ``2025-06`` or ``2025-06-14``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from bundler.intake import valid_partial_date
from ui.widgets import button

__all__ = ["Field", "RowsEditor", "date_ok"]


def date_ok(text: str) -> bool:
    return not text.strip() or valid_partial_date(text.strip())


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str
    date: bool = False
    stretch: int = 2
    placeholder: str = ""


class RowsEditor(QWidget):
    """Rows of fields with "Add" and a "Remove" button per row; emits :attr:`changed`."""

    changed = Signal()

    def __init__(
        self,
        fields: Sequence[Field],
        *,
        add_text: str,
        row_name: Callable[[int], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.fields = tuple(fields)
        self._row_name = row_name
        self.rows: list[tuple[dict[str, QLineEdit], QPushButton]] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(4)
        for column, field in enumerate(self.fields):
            header = QLabel(field.label)
            header.setAccessibleName(field.label)
            self.grid.addWidget(header, 0, column)
            self.grid.setColumnStretch(column, field.stretch)
        self._headers = [self.grid.itemAtPosition(0, c).widget() for c in range(len(self.fields))]
        outer.addLayout(self.grid)
        self.add_button = button(add_text, add_text.rstrip("…"), self._add_clicked)
        outer.addWidget(self.add_button)
        self._show_headers()

    # -- values ---------------------------------------------------------------------------------

    def values(self) -> list[dict[str, str]]:
        return [{k: edit.text().strip() for k, edit in edits.items()} for edits, _ in self.rows]

    def set_values(self, rows: Sequence[Mapping[str, str]]) -> None:
        while self.rows:
            self._remove(0, notify=False)
        for row in rows:
            self.add_row(row, notify=False)

    def invalid_dates(self) -> int:
        return sum(1 for edits, _ in self.rows for f in self.fields if f.date and not date_ok(edits[f.key].text()))

    # -- rows -------------------------------------------------------------------------------------

    def _add_clicked(self) -> None:
        edits = self.add_row({})
        first = edits[self.fields[0].key]
        first.show()  # a layout shows new children only on its next pass; focus needs it now
        first.setFocus()
        if self.parentWidget() is not None:
            # Keep the new row in view when the form scrolls.
            from PySide6.QtWidgets import QScrollArea

            area = self.parentWidget()
            while area is not None and not isinstance(area, QScrollArea):
                area = area.parentWidget()
            if area is not None:
                area.ensureWidgetVisible(first)

    def add_row(self, values: Mapping[str, str], *, notify: bool = True) -> dict[str, QLineEdit]:
        index = len(self.rows)
        grid_row = index + 1
        edits: dict[str, QLineEdit] = {}
        for column, field in enumerate(self.fields):
            edit = QLineEdit(values.get(field.key, ""))
            edit.setPlaceholderText(field.placeholder)
            edit.textChanged.connect(self.changed)
            if field.date:
                edit.textChanged.connect(lambda _text, e=edit: self._check_date(e))
                self._check_date(edit)
            self.grid.addWidget(edit, grid_row, column)
            edits[field.key] = edit
        remove = QPushButton(self.tr("Remove"))
        remove.setAutoDefault(False)
        remove.clicked.connect(lambda _checked=False, b=remove: self._remove_button(b))
        self.grid.addWidget(remove, grid_row, len(self.fields))
        self.rows.append((edits, remove))
        self._rename()
        self._show_headers()
        if notify:
            self.changed.emit()
        return edits

    def _remove_button(self, which: QPushButton) -> None:
        index = next(i for i, (_, b) in enumerate(self.rows) if b is which)
        self._remove(index)
        # Keyboard users stay in the list: the next row's Remove, else the Add button.
        if self.rows:
            self.rows[min(index, len(self.rows) - 1)][1].setFocus()
        else:
            self.add_button.setFocus()

    def _remove(self, index: int, *, notify: bool = True) -> None:
        # Rebuild the grid rows below: QGridLayout cannot delete a row.
        values = self.values()
        del values[index]
        for edits, remove in self.rows:
            for edit in edits.values():
                self.grid.removeWidget(edit)
                edit.deleteLater()
            self.grid.removeWidget(remove)
            remove.deleteLater()
        self.rows.clear()
        # (the rebuilt rows below are shown by the layout's next pass)
        for row in values:
            self.add_row(row, notify=False)
        self._show_headers()
        if notify:
            self.changed.emit()

    def _rename(self) -> None:
        for number, (edits, remove) in enumerate(self.rows, start=1):
            name = self._row_name(number)
            for field in self.fields:
                edits[field.key].setAccessibleName(self.tr("{row}: {field}").format(row=name, field=field.label))
            remove.setAccessibleName(self.tr("Remove {row}").format(row=name))
            remove.setToolTip(self.tr("Remove {row}").format(row=name))

    def _show_headers(self) -> None:
        for header in self._headers:
            header.setVisible(bool(self.rows))

    def _check_date(self, edit: QLineEdit) -> None:
        if date_ok(edit.text()):
            edit.setStyleSheet("")
            edit.setToolTip(self.tr("A date: 2025, 2025-06 or 2025-06-14"))
        else:
            edit.setStyleSheet("QLineEdit { border: 2px solid #c62828; }")
            edit.setToolTip(self.tr("Write the date as 2025, 2025-06 or 2025-06-14 (year, month, day)."))

    def first_edit(self, row: int) -> QLineEdit | None:
        if 0 <= row < len(self.rows):
            return self.rows[row][0][self.fields[0].key]
        return None
