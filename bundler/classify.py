"""What a document is, and whom, when and where it is about, from its text.

Used when a document's format does not say what it is (a PDF, a photo read by OCR, a text or
Word file) or says it only weakly. Two halves:

* :func:`classify` scores each kind by the section headings and terms it contains. The words
  and their weights are data (``resources/document_kinds/text_rules.toml``, English and
  Spanish), so a clinic can add words without code.
* :func:`find_identity`, :func:`find_service_date`, :func:`find_facility` and
  :func:`find_accession` read labelled values ("Patient: ...", "DOB ...", "Exam date ...").

Labelled values come in three shapes, all handled: ``Label: value`` on one line (also several
on one line, "Patient: Jane Doe DOB: 01/02/1970"); a label cell and its value cell separated by
a column gap (the PDF reader's layout text, DOCX tables: "Patient      Muñoz-Šimková, Zoë"); and
a label alone on its line with the value on the next (PDF tables in content-stream order).

Every function here accepts any text and never raises; each looks at a bounded head of the
text (the kind, the patient and the dates show on the first pages) with regular expressions
that run in linear time.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bundler.errors import BundlerError
from bundler.model import DocumentKind, PersonIdentity
from bundler.reportlang import find_dates, looks_spanish

__all__ = [
    "RulesError",
    "classify",
    "find_accession",
    "find_facility",
    "find_identity",
    "find_service_date",
]

_RULES_FILE = "document_kinds/text_rules.toml"
_MAX_SCAN = 200_000  # characters classified: the kind shows in the first pages
_PAIR_SCAN = 60_000  # characters searched for labelled values (identity, dates, numbers)
_MAX_LINE = 2_000  # a longer "line" is flattened text; only its start can hold labels


class RulesError(BundlerError):
    """The document rules file is malformed (the message names the file and the line)."""

    code = "rules_malformed"


# --------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    return decomposed if len(decomposed) == 1 else ch.lower()[:1] or ch


def _fold(text: str) -> str:
    """Lower case without accents, one character for one ("IMPRESIÓN" → "impresion"), so that
    positions in the folded text are positions in the original."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


def _alternation(words: Iterable[str]) -> str:
    folded = {" ".join(_fold(w).split()) for w in words if w.strip()}
    # Spaces in a phrase match any run of spaces or a line break (wrapped text).
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(folded, key=len, reverse=True))


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Weights:
    heading: float = 3.0
    term: float = 1.0
    max_terms: int = 6
    strong_term: float = 3.0
    max_strong_terms: int = 3
    title: float = 4.0
    units_table: float = 4.0
    min_score: float = 2.0


@dataclass(frozen=True, slots=True)
class _Matcher:
    pattern: re.Pattern[str]
    display: dict[str, str]  # folded, space-normalised match → the word as the rules file writes it

    def found(self, text: str, group: str | int = 0) -> list[str]:
        """The distinct words found, as the rules file writes them, in order of appearance."""
        seen: dict[str, None] = {}
        for m in self.pattern.finditer(text):
            key = " ".join(m.group(group).split())
            for singular in (key, key[:-1], key[:-2]):  # the terms match plurals: "cores", "branches"
                if singular in self.display:
                    key = self.display[singular]
                    break
            seen.setdefault(key, None)
        return list(seen)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: DocumentKind
    headings: _Matcher | None
    terms: _Matcher | None
    strong: _Matcher | None
    title: _Matcher | None
    units: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class _Rules:
    weights: _Weights
    rules: tuple[_Rule, ...]


_KIND_KEYS = frozenset({"headings", "terms", "strong_terms", "title", "table_units"})


def _line_of(text: str, table: str, key: str | None = None) -> int:
    """The 1-based line of ``[table]`` (or of ``key =`` inside it) in the rules file; 0 if unseen."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*\[\s*{re.escape(table)}\s*\]", line)), None)
    if start is None:
        return 0
    if key is None:
        return start + 1
    for i in range(start + 1, len(lines)):
        if re.match(r"\s*\[", lines[i]):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


def _load_rules(text: str, source: str) -> _Rules:
    """Parse and check a rules file. Raises :class:`RulesError` naming ``source`` and the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message ends "(at line L, column C)"
        raise RulesError(f"The document rules file {source} is not valid TOML: {e}.") from e

    def fail(table: str, key: str | None, problem: str) -> RulesError:
        return RulesError(f"The document rules file {source}, line {_line_of(text, table, key)}: {problem}.")

    weights = _Weights()
    raw_weights = data.pop("weights", {})
    if not isinstance(raw_weights, dict):
        raise fail("weights", None, "[weights] must be a table")
    values: dict[str, float | int] = {}
    for key, value in raw_weights.items():
        if key not in _Weights.__dataclass_fields__:
            raise fail("weights", key, f"unknown weight '{key}'")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail("weights", key, f"the weight '{key}' must be a number, 0 or more")
        values[key] = int(value) if key.startswith("max_") else float(value)
    weights = _Weights(**values)  # type: ignore[arg-type]

    rules = []
    for table, entry in data.items():
        try:
            kind = DocumentKind(table)
        except ValueError:
            known = ", ".join(k.value for k in DocumentKind)
            raise fail(table, None, f"[{table}] is not a document kind (one of: {known})") from None
        if not isinstance(entry, dict):
            raise fail(table, None, f"'{table}' must be a table: [{table}]")
        for key, value in entry.items():
            if key not in _KIND_KEYS:
                raise fail(table, key, f"unknown key '{key}' in [{table}] (known: {', '.join(sorted(_KIND_KEYS))})")
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise fail(table, key, f"'{key}' in [{table}] must be a list of non-empty strings")
        rules.append(_Rule(
            kind=kind,
            headings=_heading_matcher(entry.get("headings", [])),
            terms=_term_matcher(entry.get("terms", [])),
            strong=_term_matcher(entry.get("strong_terms", [])),
            title=_term_matcher(entry.get("title", [])),
            units=_units_pattern(entry.get("table_units", [])),
        ))
    if not rules:
        raise RulesError(f"The document rules file {source} names no document kinds.")
    return _Rules(weights, tuple(rules))


def _display(words: Sequence[str]) -> dict[str, str]:
    return {" ".join(_fold(w).split()): w for w in words}


def _heading_matcher(words: Sequence[str]) -> _Matcher | None:
    if not words:
        return None
    # At a line start (after a list number), then a colon, a column gap, a dash or the line end.
    pattern = re.compile(
        rf"^[ \t]*+(?:\d{{1,2}}[.)][ \t]*+)?(?P<h>{_alternation(words)})"
        r"(?:[ \t]*+:|[ \t]*+$|[ \t]{3,}+(?=\S)|[ \t]++[-\u2013\u2014][ \t])",
        re.MULTILINE,
    )
    return _Matcher(pattern, _display(words))


def _term_matcher(words: Sequence[str]) -> _Matcher | None:
    if not words:
        return None
    pattern = re.compile(rf"(?<![\w/-])(?:{_alternation(words)})(?:e?s)?(?![\w-])")
    return _Matcher(pattern, _display(words))


def _units_pattern(units: Sequence[str]) -> re.Pattern[str] | None:
    if not units:
        return None
    alternation = "|".join(re.escape(_fold(u)) for u in sorted(set(units), key=len, reverse=True))
    return re.compile(rf"\d(?:[.,]\d+)?[ \t]*+(?:{alternation})(?![\w/])")


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    source = resources.files("bundler_resources").joinpath(_RULES_FILE)
    return _load_rules(source.read_text(encoding="utf-8"), _RULES_FILE)


# --------------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Score:
    kind: DocumentKind
    score: float
    headings: int
    evidence: str


def classify(text: str, *, title: str = "") -> tuple[DocumentKind, float, str]:
    """The most likely kind of a document, a confidence in 0..1 and the evidence in plain words.

    Parameters
    ----------
    text
        The document's text (only the first 200,000 characters are looked at).
    title
        Its title, when known (PDF metadata, first heading, file name): a title that names a
        kind ("Discharge Summary") counts for that kind.

    Returns
    -------
    tuple
        ``(kind, confidence, evidence)``, e.g. ``(RADIOLOGY_REPORT, 0.81, "headings EXAM,
        FINDINGS, IMPRESSION; terms: CT, contrast")``. ``OTHER`` when nothing is distinctive
        or two kinds score the same.
    """
    rules = _rules()
    w = rules.weights
    folded = _fold(text[:_MAX_SCAN])
    folded_title = _fold(title[:500])
    scores: list[_Score] = []
    for rule in rules.rules:
        parts: list[str] = []
        score = 0.0
        headings = rule.headings.found(folded, "h") if rule.headings else []
        if headings:
            score += w.heading * len(headings)
            parts.append("headings " + ", ".join(h.upper() for h in headings[:6]))
        strong = rule.strong.found(folded) if rule.strong else []
        if strong:
            score += w.strong_term * min(len(strong), w.max_strong_terms)
        terms = [t for t in (rule.terms.found(folded) if rule.terms else []) if t not in strong]
        if terms:
            score += w.term * min(len(terms), w.max_terms)
        if strong or terms:
            parts.append("terms: " + ", ".join([*strong, *terms][:6]))
        named = rule.title.found(folded_title) if rule.title and folded_title else []
        if named:
            score += w.title
            parts.append(f"title: {named[0]}")
        if rule.units is not None and _units_rows(folded, rule.units) >= 3:
            score += w.units_table
            parts.append("a table of values with units")
        scores.append(_Score(rule.kind, score, len(headings), "; ".join(parts)))
    scores.sort(key=lambda s: (s.score, s.headings), reverse=True)
    best = scores[0]
    runner = scores[1] if len(scores) > 1 else _Score(DocumentKind.OTHER, 0.0, 0, "")
    if best.score < w.min_score:
        return DocumentKind.OTHER, 0.2, "no distinctive headings or terms"
    if (best.score, best.headings) == (runner.score, runner.headings):
        return DocumentKind.OTHER, 0.2, f"undecided between {best.kind.value} and {runner.kind.value}"
    share = best.score / (best.score + runner.score)
    strength = best.score / (best.score + 4.0)
    return best.kind, round(min(0.95, share * strength), 2), best.evidence


def _units_rows(folded: str, units: re.Pattern[str]) -> int:
    """Lines that look like rows of a results table: a number with a unit, in a short line or
    one with column gaps. Counting stops at 3."""
    rows = 0
    for m in units.finditer(folded):
        start = folded.rfind("\n", 0, m.start()) + 1
        end = folded.find("\n", m.end())
        line = folded[start : end if end >= 0 else len(folded)]
        if len(line) < 80 or "\t" in line or "   " in line.strip():
            rows += 1
            if rows >= 3:
                break
    return rows


# --------------------------------------------------------------------------------------------
# Labelled values
# --------------------------------------------------------------------------------------------

_NAME_LABELS = ("patient name", "name of patient", "patient's name", "patient", "pt name", "patient full name",
                "nombre del paciente", "nombre y apellidos", "apellidos y nombre", "paciente")
_GENERIC_NAME_LABELS = ("name", "full name", "nombre")
_DOB_LABELS = ("date of birth", "birth date", "birthdate", "dob", "d.o.b.", "d.o.b", "born", "fecha de nacimiento",
               "fecha nacimiento", "f. nacimiento", "f. nac.", "fecha nac.", "fec. nac.", "nacimiento")
_ID_LABELS = (
    "mrn", "medical record number", "medical record no.", "medical record no", "medical record #",
    "medical record", "patient id", "patient number", "patient no.", "record number", "hospital number",
    "chart number", "chart #", "nhc", "n.h.c.", "historia clinica", "n.º historia", "nº historia",
    "n° historia", "no. historia", "nº de historia", "n° de historia", "numero de historia",
    "número de historia clínica", "id paciente", "id del paciente", "id",
)
_SEX_LABELS = ("sex", "gender", "sexo", "genero")
_SERVICE_LABELS = (  # in order of preference
    ("date of service", "service date", "exam date", "date of exam", "examination date", "study date",
     "date of study", "procedure date", "date of procedure", "visit date", "date of visit", "encounter date",
     "collected", "collection date", "date collected", "specimen collected", "date of collection",
     "surgery date", "date of surgery", "date of operation", "operation date", "fecha del estudio",
     "fecha de estudio", "fecha de la exploracion", "fecha de exploracion", "fecha de la consulta",
     "fecha de consulta", "fecha de visita", "fecha de la intervencion", "fecha de intervencion",
     "fecha de toma", "fecha de extraccion", "fecha de obtencion", "fecha de la prueba"),
    ("discharge date", "date of discharge", "fecha de alta"),
    ("admission date", "date of admission", "fecha de ingreso"),
    ("report date", "date of report", "reported", "date reported", "report generated", "final report date",
     "date signed", "signed", "signed on", "fecha del informe", "fecha de informe", "fecha de emision", "date",
     "fecha"),
)
_ACCESSION_LABELS = (
    "accession", "accession number", "accession no.", "accession no", "accession #", "acc #", "acc. no.",
    "acc no", "acc. #", "case", "case number", "case no.", "case #", "surgical pathology number",
    "número de acceso", "n.º de acceso", "nº de acceso", "n° de acceso", "no. de acceso", "núm. de acceso",
    "accesión", "número de caso", "n.º de estudio", "nº de estudio", "n° de estudio", "número de estudio",
)
_FACILITY_LABELS = ("facility", "performing facility", "institution", "hospital", "clinic", "centro",
                    "institucion", "centro sanitario")
_ALL_LABELS = frozenset(
    _fold(" ".join(label.split()))
    for group in (_NAME_LABELS, _GENERIC_NAME_LABELS, _DOB_LABELS, _ID_LABELS, _SEX_LABELS, *_SERVICE_LABELS,
                  _ACCESSION_LABELS, _FACILITY_LABELS)
    for label in group
)
_SPANISH_LABELS = frozenset(_fold(label) for label in {
    "nombre del paciente", "nombre y apellidos", "apellidos y nombre", "paciente", "nombre", "fecha de nacimiento",
    "fecha nacimiento", "f. nacimiento", "f. nac.", "fecha nac.", "fec. nac.", "nacimiento", "sexo", "genero",
    *(label for group in _SERVICE_LABELS for label in group if label.startswith("fecha")),
})  # fmt: skip
# A label inside a cell: at the cell start or after a space/punctuation, then a colon or "#"
# ("Patient: X DOB: Y"), or a word with a digit ("DOB 01/02/1970", "MRN LUH-12"), or nothing:
# the whole cell is the label ("Patient") and its value is the next cell.
_LABEL_IN_CELL = re.compile(
    rf"(?:^|(?<=[\s,;|(]))(?P<label>{'|'.join(re.escape(w) for w in sorted(_ALL_LABELS, key=len, reverse=True))})"
    r"(?:[ \t]*+(?P<sep>[:#])|[ \t]*+(?P<bare>$)|(?P<digit>(?=[ \t]++[\w\-./]*\d)))"
)


def _label_matches(folded_cell: str) -> list[re.Match[str]]:
    """The labels in a cell that introduce a value (a bare label only as the whole cell)."""
    return [m for m in _LABEL_IN_CELL.finditer(folded_cell)
            if m.group("sep") is not None or m.group("digit") is not None or m.start() == 0]


_CELL_GAP = re.compile(r"\t+|[ \t]{2,}|\s\|\s")


@dataclass(frozen=True, slots=True)
class _Pair:
    label: str  # folded, as in the label lists
    value: str  # as written


@lru_cache(maxsize=8)
def _pairs(head: str) -> tuple[_Pair, ...]:
    """Every labelled value in ``head``, in reading order."""
    rows = [[c.strip() for c in _CELL_GAP.split(line[:_MAX_LINE]) if c.strip()] for line in head.split("\n")]
    pairs: list[_Pair] = []

    def is_label(cell: str) -> bool:
        found = _label_matches(_fold(cell))
        return bool(found) and found[0].start() == 0

    def following(r: int, c: int) -> str:
        """The cell after (r, c): the next on its line, else the first of the next non-empty line."""
        if c + 1 < len(rows[r]):
            return rows[r][c + 1]
        for nxt in rows[r + 1 : r + 3]:
            if nxt:
                return nxt[0]
        return ""

    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            found = _label_matches(_fold(cell))
            for k, m in enumerate(found):
                end = found[k + 1].start() if k + 1 < len(found) else len(cell)
                value = cell[m.end() : end].strip(" \t,;|")
                if not value and k + 1 == len(found):
                    candidate = following(r, c)
                    value = "" if is_label(candidate) else candidate
                if value:
                    pairs.append(_Pair(" ".join(m.group("label").split()), value))
    return tuple(pairs)


def _values(head: str, labels: Iterable[str]) -> list[tuple[str, str]]:
    """(label, value) of the pairs whose label is in ``labels``, in reading order."""
    wanted = {_fold(" ".join(label.split())) for label in labels}
    return [(p.label, p.value) for p in _pairs(head) if p.label in wanted]


_NAME_STOP = re.compile(r"\s+(?:age|edad|sex|sexo|gender|dob|mrn|born|id|ssn)\b.*$", re.IGNORECASE)
_NOT_A_NAME = frozenset({"n/a", "na", "unknown", "none", "desconocido", "anonymous", "anonimo"})
# Words of form labels, not of names: a "Patient" label in a laid-out form is often followed by
# the next field's label ("Specimen Number", "Actual Result", "Dates") rather than a name.
_LABEL_WORDS = frozenset({
    "name", "names", "number", "date", "dates", "time", "id", "result", "results", "address",
    "phone", "telephone", "account", "specimen", "control", "volume", "actual", "reference", "range",
    "status", "type", "code", "value", "units", "test", "order", "ordered", "collected", "received",
    "reported", "cc", "nombre", "apellidos", "numero", "fecha", "resultado", "direccion", "telefono",
})


def _clean_name(value: str) -> str:
    value = _NAME_STOP.sub("", value).strip(" ,;:|")  # not ".": "Levin, Henry L."
    value = " ".join(value.split())
    if not value or len(value) > 80 or len(value.split()) > 8 or any(ch.isdigit() for ch in value):
        return ""
    if _fold(value) in _NOT_A_NAME or not any(ch.isalpha() for ch in value) or "__" in value:
        return ""
    if any(word in _LABEL_WORDS for word in re.split(r"[^\w]+", _fold(value)) if word):
        return ""
    return value


_ID_TOKEN = re.compile(r"(?<![\w-])(?=[\w\-./]*\d)[A-Za-z0-9][\w\-./]{1,40}")


def _first_id(value: str) -> str:
    """The identifier at the start of a value ("LUH-4471203", "# 12345"), not a number in prose."""
    for word in value[:120].split()[:2]:
        m = _ID_TOKEN.fullmatch(word.strip("#:()[],;."))
        if m:
            return m.group(0).rstrip(".,;/")
    return ""


def _sex(value: str) -> str:
    v = _fold(value).strip(" .:")
    first = v.split()[0] if v.split() else ""
    if first in ("f", "female", "woman", "mujer", "femenino", "femenina", "fem"):
        return "F"
    if first in ("m", "male", "man", "hombre", "masculino", "varon", "masc", "h"):
        return "M"
    if first in ("o", "other", "otro", "x", "nonbinary", "non-binary"):
        return "O"
    return ""


def find_identity(text: str) -> PersonIdentity:
    """Patient name, birth date, record number and sex from labelled values.

    The name is as written ("Muñoz-Šimková, Zoë"); the birth date ISO (numeric dates are read
    day first under Spanish labels or in Spanish text); the ID is the first token with a digit
    after "MRN", "Patient ID", "NHC"...; sex is the DICOM code F, M or O.
    """
    head = text[:_PAIR_SCAN]
    name = ""
    for labels in (_NAME_LABELS, _GENERIC_NAME_LABELS):
        name = next((n for n in (_clean_name(v) for _, v in _values(head, labels)) if n), "")
        if name:
            break
    spanish = looks_spanish(head)
    birth = next((d for d in (_full_date(v, spanish or lab in _SPANISH_LABELS)
                              for lab, v in _values(head, _DOB_LABELS)) if d), "")
    mrn = next((i for i in (_first_id(v) for _, v in _values(head, _ID_LABELS)) if i), "")
    sex = next((s for s in (_sex(v) for _, v in _values(head, _SEX_LABELS)) if s), "")
    return PersonIdentity(name=name, birth_date=birth, id=mrn, sex=sex)


_SIGNED = re.compile(r"(?<!\w)(?:electronically\s+)?(?:signed|firmado|firmada)(?!\w)[^\n]{0,120}", re.IGNORECASE)


def find_service_date(text: str) -> str:
    """The date the document is about, ISO ("" if none).

    In order: the exam, visit, collection or procedure date; the discharge (then admission)
    date; the report or signature date; a date on a "signed ..." line.
    """
    head = text[:_PAIR_SCAN]
    spanish = looks_spanish(head)
    for labels in _SERVICE_LABELS:
        for label, value in _values(head, labels):
            date = _full_date(value, spanish or label in _SPANISH_LABELS)
            if date:
                return date
    for m in _SIGNED.finditer(head):
        date = _full_date(m.group(0), spanish)
        if date:
            return date
    return ""


_FACILITY_WORDS = re.compile(
    r"(?<!\w)(?:hospital|medical center|medical centre|health center|health centre|clinic|clinics|"
    r"imaging center|imaging centre|imaging associates|radiology|laboratory|laboratories|health system|"
    r"infirmary|sanatorium|cl[ií]nica|centro m[eé]dico|centro de salud|sanatorio|policl[ií]nic[oa]|"
    r"laboratorio|instituto)(?!\w)",
    re.IGNORECASE,
)
_NOT_FACILITY = re.compile(
    r"^(?:department|dept\.?|division|servicio|departamento|unidad|tel|phone|fax|page|p[aá]gina)\b|@|https?:",
    re.IGNORECASE,
)


def find_facility(text: str) -> str:
    """The hospital, clinic or imaging centre: a labelled value ("Facility: ..."), else the
    first letterhead line near the top that names one."""
    head = text[:_PAIR_SCAN]
    for _, value in _values(head, _FACILITY_LABELS):
        value = " ".join(value.split())
        if 3 <= len(value) <= 100 and not any(ch.isdigit() for ch in value[:3]):
            return value
    for line in text[:3000].split("\n")[:15]:
        for cell in _CELL_GAP.split(line):
            cell = " ".join(cell.split()).strip(" ,;·|")
            if _looks_like_a_name(cell) and _FACILITY_WORDS.search(cell) and not _NOT_FACILITY.search(cell):
                return cell
    return ""


_MINOR_WORDS = frozenset({"of", "and", "the", "for", "at", "de", "del", "la", "el", "y", "los", "las", "&"})


def _looks_like_a_name(cell: str) -> bool:
    """A letterhead line ("Lakeside University Hospital"), not a sentence that mentions a clinic."""
    words = cell.split()
    if not 1 <= len(words) <= 8 or len(cell) > 100 or not cell[0].isupper() or re.search(r"[:;]|\.\s", cell):
        return False
    major = [w for w in words if w.lower() not in _MINOR_WORDS]
    return sum(1 for w in major if w[0].isupper() or w[0].isdigit()) >= 0.75 * len(major)


_ACCESSION_PROSE = re.compile(r"(?<!\w)accession(?:\s+(?:no\.?|number|#))?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{2,30})\b",
                              re.IGNORECASE)


def find_accession(text: str) -> str:
    """The accession (or pathology case) number: labelled, else "accession ..." in the text."""
    head = text[:_PAIR_SCAN]
    for _, value in _values(head, _ACCESSION_LABELS):
        token = _first_id(value)
        if len(token) >= 3:
            return token
    for m in _ACCESSION_PROSE.finditer(text[:_MAX_SCAN]):
        if any(ch.isdigit() for ch in m.group(1)):
            return m.group(1)
    return ""


def _full_date(value: str, day_first: bool) -> str:
    """The first complete date (YYYY-MM-DD) written in ``value``, or ""."""
    found = find_dates(value[:200], day_first=day_first)
    return next((iso for _, _, iso in found if len(iso) == 10), "")
