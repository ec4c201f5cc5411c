"""What a document is, and whom, when and where it is about, from its text.

The rules are data (``resources/document_kinds/text_rules.toml``), so a clinic can add words
without code. Used when a document's format does not say what it is (a PDF, a photo, a text
file) or says it only weakly.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bundler.errors import BundlerError
from bundler.model import DocumentKind, PersonIdentity
from bundler.reportlang import find_dates, looks_spanish

__all__ = ["classify", "find_accession", "find_facility", "find_identity", "find_service_date"]

_RULES_FILE = "document_kinds/text_rules.toml"
_MAX_SCAN = 200_000  # characters: the kind shows in the first pages


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: DocumentKind
    headings: re.Pattern[str] | None
    terms: re.Pattern[str] | None
    title: re.Pattern[str] | None


def _fold(text: str) -> str:
    """Case- and accent-insensitive form (so "IMPRESION" matches "IMPRESIÓN")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(_fold(w)) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    source = resources.files("bundler_resources").joinpath(_RULES_FILE)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:  # the message names the line and column
        raise BundlerError(f"The document rules file {_RULES_FILE} is malformed: {e}", code="rules_malformed") from e
    rules = []
    for key, entry in data.items():
        try:
            kind = DocumentKind(key)
        except ValueError as e:
            raise BundlerError(f"{_RULES_FILE}: unknown document kind [{key}]", code="rules_malformed") from e
        headings = entry.get("headings", [])
        terms = entry.get("terms", [])
        title = entry.get("title", [])
        rules.append(_Rule(
            kind,
            re.compile(rf"^[ \t]*(?:\d+[.)][ \t]*)?(?:{_alternation(headings)})[ \t]*(?::|$)", re.MULTILINE)
            if headings else None,
            re.compile(rf"(?<!\w)(?:{_alternation(terms)})(?!\w)") if terms else None,
            re.compile(rf"(?<!\w)(?:{_alternation(title)})(?!\w)") if title else None,
        ))
    return tuple(rules)


def classify(text: str, *, title: str = "") -> tuple[DocumentKind, float, str]:
    """The most likely kind, a confidence in 0..1 and the evidence in plain words."""
    folded = _fold(text[:_MAX_SCAN])
    folded_title = _fold(title)
    scores: list[tuple[float, DocumentKind, list[str]]] = []
    for rule in _rules():
        evidence: list[str] = []
        score = 0.0
        if rule.headings is not None:
            found = sorted({m.group(0).strip(" \t:").upper() for m in rule.headings.finditer(folded)})
            score += 3 * len(found)
            if found:
                evidence.append("headings " + ", ".join(found[:5]))
        if rule.terms is not None:
            terms = {m.group(0) for m in rule.terms.finditer(folded)}
            score += min(len(terms), 6)
            if terms:
                evidence.append("terms " + ", ".join(sorted(terms)[:5]))
        if rule.title is not None and folded_title and rule.title.search(folded_title):
            score += 4
            evidence.append("title")
        scores.append((score, rule.kind, evidence))
    scores.sort(key=lambda s: s[0], reverse=True)
    best, runner_up = scores[0], scores[1] if len(scores) > 1 else (0.0, DocumentKind.OTHER, [])
    if best[0] < 2 or best[0] == runner_up[0]:
        return DocumentKind.OTHER, 0.2, "no distinctive headings or terms"
    confidence = round(min(0.95, best[0] / (best[0] + runner_up[0] + 3)), 2)
    return best[1], confidence, "; ".join(best[2])


# ---------------------------------------------------------------------------------------- identity

# "Label: value" on one line, or a label alone on its line with the value on the next (tables
# in PDFs come out that way). A label followed by other words without a colon is prose.
_LABEL_LINE = (r"^[ \t]*(?:{labels})[ \t]*(?:[:#][ \t]*(?P<inline>[^\n]*)|(?P<bare>[^\n]*))"
               r"(?:\n[ \t]*(?P<next>[^\n]*))?")


def _labelled(labels: list[str]) -> re.Pattern[str]:
    return re.compile(_LABEL_LINE.format(labels="|".join(labels)), re.IGNORECASE | re.MULTILINE)


def _values(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """The value of every labelled line ("" label lines with no value are skipped)."""
    for m in pattern.finditer(text):
        inline, bare, nxt = m.group("inline"), m.group("bare"), m.group("next") or ""
        if inline is not None:
            value = inline.strip() or nxt.strip()
        elif not bare.strip():
            value = nxt.strip()
        else:
            continue  # "Patient tolerated the procedure": prose, not a label
        if value:
            yield value


_NAME = _labelled([r"patient name", r"patient", r"name", r"paciente", r"nombre del paciente", r"nombre"])
_DOB = _labelled([r"date of birth", r"d\.?o\.?b\.?", r"birth ?date", r"born", r"fecha de nacimiento",
                  r"f\. nacimiento"])
_MRN = _labelled([r"mrn", r"medical record (?:number|no\.?)", r"patient id", r"record number", r"hospital number",
                  r"n\.? ?de historia", r"historia cl[ií]nica", r"nhc"])
_SERVICE = _labelled([r"date of service", r"service date", r"exam date", r"date of exam", r"study date",
                      r"date of study", r"procedure date", r"date of procedure", r"visit date", r"date of visit",
                      r"collected", r"collection date", r"report date", r"date reported", r"reported",
                      r"signed", r"date(?! of birth)", r"fecha del estudio", r"fecha de la consulta",
                      r"fecha(?! de nacimiento)"])
_ACCESSION = re.compile(r"\baccession(?:\s*(?:no\.?|number|#))?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{2,30})\b", re.IGNORECASE)
_FACILITY_WORDS = re.compile(
    r"\b(hospital|medical center|medical centre|clinic|imaging center|imaging centre|radiology|laboratory|"
    r"laboratories|health system|cl[ií]nica|centro m[eé]dico)\b", re.IGNORECASE)
# Labels the value of a "Patient:" line must not run into ("Patient: Jane Doe   DOB: ...").
_NEXT_LABEL = re.compile(r"\s{2,}|\s+(?:DOB|MRN|Date of birth|Sex|Age|ID|Fecha)\b.*$", re.IGNORECASE)


def find_identity(text: str) -> PersonIdentity:
    """Patient name, birth date and record number from labelled lines ("Patient:", "DOB:"...)."""
    head = text[:_MAX_SCAN]
    name = ""
    for raw in _values(_NAME, head):
        value = _NEXT_LABEL.split(raw)[0].strip(" ,;")
        if value and not any(ch.isdigit() for ch in value) and len(value) <= 80:
            name = value
            break
    day_first = looks_spanish(head)
    birth = ""
    for raw in _values(_DOB, head):
        birth = _first_date(raw, day_first)
        if birth:
            break
    mrn = ""
    for raw in _values(_MRN, head):
        mrn = raw.split()[0].strip(",;")
        break
    return PersonIdentity(name=name, birth_date=birth, id=mrn)


def find_service_date(text: str) -> str:
    """The date the document is about (exam, visit, collection, report), ISO; "" if none."""
    head = text[:_MAX_SCAN]
    day_first = looks_spanish(head)
    for value in _values(_SERVICE, head):
        date = _first_date(value, day_first)
        if date:
            return date
    return ""


def find_facility(text: str) -> str:
    """The first line near the top that names a hospital, clinic or imaging centre."""
    for line in text[:3000].splitlines()[:15]:
        line = line.strip()
        if 3 <= len(line) <= 100 and _FACILITY_WORDS.search(line):
            return line
    return ""


def find_accession(text: str) -> str:
    m = _ACCESSION.search(text[:_MAX_SCAN])
    return m.group(1) if m else ""


def _first_date(value: str, day_first: bool) -> str:
    found = find_dates(value[:200], day_first=day_first)
    return found[0][2] if found and len(found[0][2]) == 10 else ""
