"""Spreadsheet-like medication lists (CSV/TSV), typed by patients and caregivers.

Columns are found by their headers (English and Spanish); the delimiter is sniffed; dates in
ISO, US and European forms become ISO. A table that is not a medication list is kept as a
document with its text, for the classifier to name.
"""

from __future__ import annotations

import csv
import io
import re

from bundler.ingest.readers_errors import DocumentReadError
from bundler.ingest.textdocs import decode_text
from bundler.model import DocumentKind, Medication, ParsedDocument

__all__ = ["parse"]

_MAX_BYTES = 20 * 1024 * 1024
_MAX_ROWS = 5000

_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "drug", "medication", "medicine", "medication name", "drug name", "medicamento",
             "nombre", "fármaco", "farmaco"),
    "dose": ("dose", "dosage", "strength", "amount", "dosis", "concentración"),
    "route": ("route", "vía", "via"),
    "frequency": ("frequency", "how often", "sig", "directions", "instructions", "when", "frecuencia", "pauta"),
    "start": ("start", "start date", "started", "since", "date started", "inicio", "fecha de inicio", "desde"),
    "stop": ("stop", "stop date", "end", "end date", "stopped", "fin", "fecha de fin", "hasta"),
    "notes": ("notes", "note", "comments", "reason", "purpose", "for", "notas", "comentarios", "motivo"),
}


def _column(header: str) -> str | None:
    h = re.sub(r"[_\-]+", " ", header.strip().lower())
    for field, names in _COLUMNS.items():
        if h in names:
            return field
    return None


def parse(data: bytes, *, name: str) -> ParsedDocument:
    """A medication list, or (when the table is something else) a document with its text."""
    if len(data) > _MAX_BYTES:
        raise DocumentReadError("too_large", "The table is too large to read.")
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if name.lower().endswith(".tsv") else csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))[: _MAX_ROWS + 1]
    except csv.Error as e:
        raise DocumentReadError("csv_malformed", "The table could not be read.") from e
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return ParsedDocument(media_type="text/csv", text="", needs_label=True)
    mapping = {i: _column(h) for i, h in enumerate(rows[0])}
    if "name" not in mapping.values():
        return ParsedDocument(media_type="text/csv", text=text.strip())  # not a medication list
    meds = []
    for row in rows[1:]:
        values = {field: row[i].strip() for i, field in mapping.items() if field and i < len(row)}
        if not values.get("name"):
            continue
        meds.append(Medication(
            name=values["name"], dose=values.get("dose", ""), route=values.get("route", ""),
            frequency=values.get("frequency", ""), start=_iso(values.get("start", "")),
            stop=_iso(values.get("stop", "")), notes=values.get("notes", ""),
        ))
    return ParsedDocument(media_type="text/csv", text=text.strip(), medications=tuple(meds),
                          kind=DocumentKind.MEDICATION_LIST, kind_confidence=0.9,
                          kind_evidence="a table with a medication column")


def _iso(value: str) -> str:
    if not value:
        return ""
    from bundler.reportlang import find_dates

    found = find_dates(value)
    return found[0][2] if found else value
