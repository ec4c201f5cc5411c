"""Spreadsheet-like tables (CSV/TSV) → a medication list, a lab table, or just a document.

Patients and caregivers keep medication lists in spreadsheets and export them as CSV; labs and
portals export results the same way. Nothing about these files is standard, so:

* the encoding is found (``textdocs.decode_text``: BOMs, UTF-8, BOM-less UTF-16, Windows-1252);
* the delimiter is the one of ``, ; TAB |`` that splits the first lines most consistently (the
  standard library's ``csv.Sniffer`` guesses wrong on short files and on decimal commas);
* the header row is searched in the first rows (a title line often comes first), and columns
  are recognised by their header words in English and Spanish ("Drug", "Medicamento",
  "How often", "Pauta", "Start date", "Fecha de inicio"...);
* dates become ISO: ``2024-03-05``, ``03/05/2024`` (US) or ``05/03/2024`` (European; decided per
  column: a day above 12 settles it, else Spanish headers or dotted dates mean day first),
  ``March 2024``, ``2024``. A date nobody can read goes to the notes, never into a date field.

A table with test and result columns is a lab table (``lab_result`` with ``results``); any other
table is kept as a document (kind ``other``) with its text, for the text classifier.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bundler.ingest.readers_errors import DocumentReadError
from bundler.ingest.textdocs import decode_text
from bundler.model import DocumentKind, LabResult, Medication, ParsedDocument

__all__ = ["parse", "parse_date"]

_MAX_BYTES = 20 * 1024 * 1024
_MAX_ROWS = 5000
_HEADER_SEARCH = 10  # rows in which a header row is looked for
_DELIMITERS = (",", ";", "\t", "|")

# Header words, accent-folded and lower-case. Exact matches first; then the word rules below.
_MED_EXACT: dict[str, str] = {}
for _field, _words in {
    "name": ("name", "drug", "drugs", "drug name", "medication", "medications", "medication name", "medicine",
             "medicines", "med", "meds", "product", "generic name", "medicamento", "medicamentos", "nombre",
             "nombre del medicamento", "farmaco", "farmacos", "principio activo", "producto", "medicacion"),
    "dose": ("dose", "dosage", "strength", "amount", "dose strength", "dosis", "concentracion", "cantidad",
             "potencia", "dosificacion"),
    "route": ("route", "via", "via de administracion", "how taken", "administracion"),
    "frequency": ("frequency", "how often", "sig", "directions", "instructions", "schedule", "when", "times",
                  "frecuencia", "pauta", "posologia", "cada cuanto", "indicaciones", "como tomar", "cuando"),
    "start": ("start", "start date", "started", "date started", "since", "begin", "began", "from", "inicio",
              "fecha de inicio", "fecha inicio", "desde", "comienzo"),
    "stop": ("stop", "stop date", "stopped", "end", "end date", "ended", "until", "discontinued", "to", "fin",
             "fecha de fin", "fecha fin", "hasta", "suspendido", "fecha de suspension", "fecha final"),
    "notes": ("notes", "note", "comments", "comment", "remarks", "observaciones", "notas", "comentarios", "nota"),
    "reason": ("reason", "purpose", "for", "indication", "condition", "why", "what for", "motivo", "indicacion",
               "para que", "para", "diagnostico"),
    "side_effects": ("side effects", "side effect", "reactions", "efectos secundarios", "efectos adversos"),
    "status": ("status", "active", "estado", "current", "activo"),
    "date": ("date", "fecha", "date prescribed", "prescribed", "fecha de prescripcion"),
}.items():
    for _w in _words:
        _MED_EXACT[_w] = _field

# Word rules for headers no list foresaw ("Start date (YYYY-MM-DD)" is caught above once the
# parenthesis is dropped; "Drug start" here). Order matters: dates before names.
_MED_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (f, re.compile(rf"(?<!\w)(?:{p})(?!\w)")) for f, p in (
        ("start", r"start\w*|began|begin|since|inicio|desde|comienzo"),
        ("stop", r"stop\w*|end|ended|until|discontinu\w*|fin|hasta|suspen\w*"),
        ("side_effects", r"side effects?|efectos"),
        ("dose", r"dose|dosage|strength|dosis|mg"),
        ("frequency", r"frequency|often|sig|directions|schedule|frecuencia|pauta|posologia"),
        ("route", r"route|via"),
        ("reason", r"reason|purpose|indication|motivo|indicacion"),
        ("notes", r"notes?|comments?|observaciones|notas"),
        ("status", r"status|estado"),
        ("name", r"name|drug|medication|medicine|medicamento|farmaco"),
    )
)

_LAB_EXACT: dict[str, str] = {}
for _field, _words in {
    "test": ("test", "test name", "tests", "analyte", "component", "lab", "lab test", "parameter", "determination",
             "exam", "prueba", "analito", "determinacion", "parametro", "examen", "analisis", "estudio"),
    "value": ("result", "results", "value", "result value", "resultado", "resultados", "valor", "valores"),
    "unit": ("unit", "units", "uom", "unidad", "unidades"),
    "range": ("reference range", "ref range", "reference", "normal range", "range", "reference interval",
              "rango", "rango de referencia", "valores de referencia", "intervalo de referencia",
              "valor de referencia", "referencia", "normal"),
    "flag": ("flag", "abnormal", "h l", "interpretation", "indicador", "alerta"),
    "date": ("date", "collected", "collection date", "date collected", "result date", "fecha", "fecha de toma",
             "fecha de extraccion", "fecha de resultado"),
}.items():
    for _w in _words:
        _LAB_EXACT[_w] = _field

_SPANISH_HEADERS = frozenset({
    "medicamento", "medicamentos", "nombre", "farmaco", "dosis", "pauta", "frecuencia", "inicio", "desde",
    "hasta", "fin", "notas", "observaciones", "motivo", "fecha", "resultado", "valor", "unidades", "prueba",
})


@dataclass(frozen=True, slots=True)
class _Table:
    header_row: int
    columns: dict[int, str]  # column index → field
    score: int


def parse(data: bytes, *, name: str) -> ParsedDocument:
    """A medication list, a lab table, or (any other table) a document with its text.

    Raises
    ------
    DocumentReadError
        ``too_large`` past 20 MiB; ``csv_malformed`` when no table can be read from the text.
    """
    if len(data) > _MAX_BYTES:
        raise DocumentReadError("too_large", "The table is too large to read.")
    text = decode_text(data).strip()
    delimiter = _sniff_delimiter(text, name)
    media = "text/tab-separated-values" if delimiter == "\t" or name.lower().endswith(".tsv") else "text/csv"
    rows = _rows(text, delimiter)
    if not rows:
        return ParsedDocument(media_type=media, needs_label=True, problems_found=("the table is empty",))
    problems: list[str] = []
    if len(rows) > _MAX_ROWS:
        rows = rows[: _MAX_ROWS + 1]
        problems.append(f"only the first {_MAX_ROWS} rows were read")

    meds = _find_header(rows, _med_field)
    labs = _find_header(rows, _lab_field)
    if labs is not None and _is_lab_table(labs) and (meds is None or not _is_med_list(meds, rows) or
                                                      labs.score > meds.score):
        return _lab_document(rows, labs, media, text, problems)
    if meds is not None and _is_med_list(meds, rows):
        return _med_document(rows, meds, media, text, problems)
    return ParsedDocument(media_type=media, text=text, problems_found=tuple(problems))


# --------------------------------------------------------------------------------------------
# Reading the table
# --------------------------------------------------------------------------------------------


def _sniff_delimiter(text: str, name: str) -> str | None:
    """The delimiter that splits the first lines into the same number (≥ 2) of fields most
    often; None for a one-column list."""
    sample = text[:16384]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best: tuple[float, int, str] | None = None
    for d in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if any(c.strip() for c in r)][:50]
        except csv.Error:
            continue
        if not counts:
            continue
        modal, hits = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        share = hits / len(counts)
        # A title line or a trailing note may differ; most lines must agree.
        key = (round(share, 2), modal, d)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is not None and best[0] >= 0.5:
        return best[2]
    return "\t" if name.lower().endswith(".tsv") and "\t" in sample else None


def _rows(text: str, delimiter: str | None) -> list[list[str]]:
    if delimiter is None:
        return [[line.strip()] for line in text.split("\n") if line.strip()]
    try:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
        rows: list[list[str]] = []
        for row in reader:
            cells = [c.strip() for c in row]
            if any(cells):
                rows.append(cells)
            if len(rows) > _MAX_ROWS + 1:
                break
    except csv.Error as e:  # a field past the csv module's size limit, a stray quote at EOF
        raise DocumentReadError("csv_malformed", "The table could not be read.") from e
    return rows


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _norm_header(header: str) -> str:
    h = _fold(header)
    h = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", h)  # "Start date (YYYY-MM-DD)"
    h = re.sub(r"[_\-/.:#*?¿]+", " ", h)
    return " ".join(h.split())


def _med_field(header: str) -> str | None:
    h = _norm_header(header)
    if not h:
        return None
    if h in _MED_EXACT:
        return _MED_EXACT[h]
    if len(h) > 40:
        return None  # a sentence, not a header
    for field, rule in _MED_RULES:
        if rule.search(h):
            return field
    return None


def _lab_field(header: str) -> str | None:
    h = _norm_header(header)
    if h in _LAB_EXACT:
        return _LAB_EXACT[h]
    if not h or len(h) > 40:
        return None
    if re.search(r"(?<!\w)(?:reference|referencia|normal range|rango)(?!\w)", h):
        return "range"
    if re.search(r"(?<!\w)(?:units?|unidad(?:es)?)(?!\w)", h):
        return "unit"
    if re.search(r"(?<!\w)(?:test|analyte|component|prueba|analito|determinacion)(?!\w)", h):
        return "test"
    if re.search(r"(?<!\w)(?:result|value|resultado|valor)(?!\w)", h):
        return "value"
    if parse_date(header, day_first=False) and re.match(r"^\s*\d", header):
        return "value_dated"  # a wide table: one column of values per date
    return None


def _find_header(rows: Sequence[Sequence[str]], field_of: Callable[[str], str | None]) -> _Table | None:
    """The row among the first ones whose cells name the most known columns."""
    best: _Table | None = None
    for i, row in enumerate(rows[:_HEADER_SEARCH]):
        columns: dict[int, str] = {}
        taken: set[str] = set()
        for j, cell in enumerate(row):
            field = field_of(cell)
            if field is None:
                continue
            if field in taken and field not in ("notes", "value_dated"):
                continue  # the first column of a kind wins; extra notes are kept
            columns[j] = field
            taken.add(field)
        score = len(columns)
        if score and (best is None or score > best.score):
            best = _Table(i, columns, score)
    return best


def _is_med_list(table: _Table, rows: Sequence[Sequence[str]]) -> bool:
    fields = set(table.columns.values())
    if "name" not in fields:
        return False
    if fields & {"dose", "frequency", "route", "start", "stop", "reason", "side_effects"}:
        return True
    # One column: only when its header says medications ("Medications", "Medicamentos").
    name_col = next(j for j, f in table.columns.items() if f == "name")
    header = _norm_header(rows[table.header_row][name_col])
    return header not in ("name", "nombre", "product", "producto")


def _is_lab_table(table: _Table) -> bool:
    fields = set(table.columns.values())
    has_values = bool(fields & {"value", "value_dated"})
    return "test" in fields and has_values or has_values and bool(fields & {"unit", "range"})


# --------------------------------------------------------------------------------------------
# Medication lists
# --------------------------------------------------------------------------------------------


def _med_document(
    rows: Sequence[Sequence[str]], table: _Table, media: str, text: str, problems: list[str]
) -> ParsedDocument:
    header = rows[table.header_row]
    spanish = any(_norm_header(header[j]) in _SPANISH_HEADERS for j in table.columns)
    body = [r for r in rows[table.header_row + 1 :] if not _is_repeated_header(r, header)]
    day_first = {
        j: _column_day_first([r[j] for r in body if j < len(r)], spanish)
        for j, f in table.columns.items() if f in ("start", "stop", "date")
    }
    first_col = {f: j for j, f in sorted(table.columns.items(), reverse=True)}
    # A lone "Date" column ("date prescribed") is the start date when no column says "start".
    start_field = "start" if "start" in first_col else "date"
    meds: list[Medication] = []
    for row in body:
        values: dict[str, list[str]] = {}
        for j, field in table.columns.items():
            if j < len(row) and row[j]:
                values.setdefault(field, []).append(row[j])
        name = " ".join(values.get("name", [""])[0].split())
        if not name:
            continue
        notes: list[str] = []
        dates: dict[str, str] = {}
        for target, field in (("start", start_field), ("stop", "stop")):
            raw = values.get(field, [""])[0]
            iso = parse_date(raw, day_first=day_first.get(first_col.get(field, -1), spanish)) if raw else ""
            if iso is None:
                notes.append(f"{target}: {raw}")  # "since childhood": kept, but not as a date
            dates[target] = iso or ""
        if "reason" in values:
            notes.append(f"for: {values['reason'][0]}" if not spanish else f"para: {values['reason'][0]}")
        if "side_effects" in values:
            label = "efectos secundarios" if spanish else "side effects"
            notes.append(f"{label}: {values['side_effects'][0]}")
        notes.extend(values.get("notes", []))
        meds.append(Medication(
            name=name,
            dose=values.get("dose", [""])[0],
            route=values.get("route", [""])[0],
            frequency=values.get("frequency", [""])[0],
            start=dates.get("start", ""),
            stop=dates.get("stop", ""),
            status=_status(values.get("status", [""])[0]),
            notes="; ".join(notes),
        ))
    found = sorted({f for f in table.columns.values() if f not in ("date",)},
                   key=["name", "dose", "route", "frequency", "start", "stop", "status", "reason", "side_effects",
                        "notes"].index)
    return ParsedDocument(
        media_type=media,
        text=text,
        kind=DocumentKind.MEDICATION_LIST,
        kind_confidence=0.9 if len(found) >= 2 else 0.7,
        kind_evidence="a table with columns " + ", ".join(f.replace("_", " ") for f in found),
        medications=tuple(meds),
        problems_found=tuple(problems) if meds else (*problems, "the medication table has no rows"),
    )


def _is_repeated_header(row: Sequence[str], header: Sequence[str]) -> bool:
    return [c.lower() for c in row] == [c.lower() for c in header]


_STATUS = {
    "active": "active", "current": "active", "yes": "active", "y": "active", "taking": "active",
    "activo": "active", "activa": "active", "si": "active", "actual": "active",
    "stopped": "stopped", "discontinued": "stopped", "inactive": "stopped", "no": "stopped", "n": "stopped",
    "suspendido": "stopped", "suspendida": "stopped", "retirado": "stopped", "inactivo": "stopped",
    "completed": "completed", "finished": "completed", "done": "completed", "completado": "completed",
    "terminado": "completed", "finalizado": "completed",
    "on hold": "on-hold", "on-hold": "on-hold", "held": "on-hold", "paused": "on-hold", "en pausa": "on-hold",
}


def _status(value: str) -> str:
    if not value:
        return ""
    return _STATUS.get(" ".join(_fold(value).split()), "unknown")


# --------------------------------------------------------------------------------------------
# Lab tables
# --------------------------------------------------------------------------------------------

_FLAGGED_VALUE = re.compile(r"^(?P<value>.*?\d.*?)\s*(?P<flag>\b[HL]\b|\*|\bA\b)\s*$")


def _lab_document(
    rows: Sequence[Sequence[str]], table: _Table, media: str, text: str, problems: list[str]
) -> ParsedDocument:
    header = rows[table.header_row]
    spanish = any(_norm_header(header[j]) in _SPANISH_HEADERS for j in table.columns)
    body = [r for r in rows[table.header_row + 1 :] if not _is_repeated_header(r, header)]
    col = {f: j for j, f in sorted(table.columns.items(), reverse=True)}  # first column of each kind
    test_col = col.get("test", 0)
    date_day_first = _column_day_first([r[col["date"]] for r in body if col.get("date", 99) < len(r)], spanish) \
        if "date" in col else spanish
    dated = [(j, parse_date(header[j], day_first=spanish) or "") for j, f in table.columns.items()
             if f == "value_dated"]
    value_cols = [(col["value"], "")] if "value" in col else dated

    def cell(row: Sequence[str], field: str) -> str:
        j = col.get(field)
        return row[j] if j is not None and j < len(row) else ""

    results: list[LabResult] = []
    for row in body:
        name = row[test_col] if test_col < len(row) else ""
        if not name:
            continue
        row_date = parse_date(cell(row, "date"), day_first=date_day_first) or ""
        for j, col_date in value_cols:
            raw = row[j] if j < len(row) else ""
            if not raw:
                continue
            value, flag = raw, _flag(cell(row, "flag"))
            m = _FLAGGED_VALUE.match(raw)
            if m and not flag:
                value, flag = m.group("value").strip(), "A" if m.group("flag") == "*" else m.group("flag")
            results.append(LabResult(name=name, value=value, unit=cell(row, "unit"), date=col_date or row_date,
                                     reference_range=cell(row, "range"), flag=flag))
    dates = sorted({r.date for r in results if r.date})
    found: list[str] = [f for f in ("test", "value", "unit", "range", "flag", "date") if f in col]
    if dated:
        found.append("one column per date")
    return ParsedDocument(
        media_type=media,
        text=text,
        kind=DocumentKind.LAB_RESULT,
        kind_confidence=0.85,
        kind_evidence="a table with columns " + ", ".join(found),
        date=dates[-1] if dates else "",
        results=tuple(results),
        problems_found=tuple(problems),
    )


def _flag(value: str) -> str:
    v = _fold(value).strip()
    if v in ("h", "high", "hh", "alto", "a", "+", ">"):
        return "H"
    if v in ("l", "low", "ll", "bajo", "b", "-", "<"):
        return "L"
    if v in ("abnormal", "abn", "*", "anormal", "a*"):
        return "A"
    return ""


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")


def _column_day_first(values: Sequence[str], spanish: bool) -> bool:
    """Whether a column's numeric dates are day first: a first number above 12 says yes, a second
    above 12 says no; otherwise dotted dates and Spanish headers say yes, else US order."""
    dotted = False
    for v in values:
        m = _NUMERIC.match(v.strip())
        if m is None:
            continue
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            return True
        if b > 12 >= a:
            return False
        dotted = dotted or m.group(2) == "."
    return spanish or dotted


def parse_date(value: str, *, day_first: bool) -> str | None:
    """ISO form of a date as precise as written ("2024-03-05", "2024-03", "2024"); "" for an
    empty value; None when ``value`` is not a date we can read."""
    v = value.strip()
    if not v:
        return ""
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$", v)
    if m or (m := re.match(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$", v)):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := re.match(r"^(\d{4})(\d{2})(\d{2})$", v):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := re.match(r"^(\d{4})-(\d{1,2})$", v):
        month = int(m.group(2))
        return f"{int(m.group(1)):04d}-{month:02d}" if 1 <= month <= 12 else None
    if re.match(r"^(?:19|20)\d{2}$", v):
        return v
    if m := _NUMERIC.match(v):
        a, b, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        day, month = (a, b) if day_first else (b, a)
        return _valid(year, month, day)
    if m := re.match(r"^(\d{1,2})[/.\-](\d{4})$", v):
        month = int(m.group(1))
        return f"{int(m.group(2)):04d}-{month:02d}" if 1 <= month <= 12 else None
    if len(v) <= 40 and re.search(r"[^\W\d_]", v):
        from bundler.reportlang import find_dates

        found = find_dates(v, day_first=day_first)
        if len(found) == 1:
            start, end, iso = found[0]
            rest = (v[:start] + v[end:]).strip(" ,.")
            if not rest:
                return iso
    return None


def _year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    pivot = datetime.date.today().year % 100 + 1  # "25" is 2025; "62" is 1962
    return 2000 + yy if yy <= pivot else 1900 + yy


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None
