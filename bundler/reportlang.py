"""Radiology report language: sections, the prior exams a report compares with, and wording to ask about.

Three questions a second reviewer asks of a report, answered from its text alone:

* :func:`split_sections` -- where are EXAM, HISTORY, TECHNIQUE, COMPARISON, FINDINGS and
  IMPRESSION (English and Spanish headings, inline ``FINDINGS: ...``, on their own line, Title
  Case, numbered, ``HISTORY/CLINICAL INDICATION``)?
* :func:`find_priors` -- which earlier exams does the COMPARISON section name, with their
  DICOM modality, body region and date, so the checklist can tell whether they are in the case?
* :func:`find_flags` -- which hedged phrases ("cannot exclude", "suspicious for") and which
  assessment categories (BI-RADS, TI-RADS, Lung-RADS, PI-RADS, LI-RADS) does the report use, in
  which sentence and section, so the patient can ask about them?

Everything here is a pure function of the text: no I/O except reading the phrase list
(``resources/reportlang/phrases.toml``, loaded once), nothing logged, never an exception for
odd text. Every pattern is linear in the length of the text (bounded gaps, anchored starts),
so a megabyte of garbage costs milliseconds, not minutes.

Dates
-----
Dates are returned as ISO 8601 strings, exactly as precise as the text (``2025-03-12``,
``2025-03`` for "March 2025", ``2023`` for "from 2023"); "" when the text gives none
("prior CT from last year"). Understood: ISO ``2025-03-12``, DICOM ``20250312``, numeric
``03/12/2025``, ``3-12-25``, ``12.03.2025``, month names in English and Spanish ("12 March
2025", "March 12, 2025", "12-Mar-2025", "12 de marzo de 2025", "marzo de 2025").

A numeric date whose day and month could be swapped (``03/12/2025``) is resolved so:

1. a part above 12 settles it;
2. a reading later than the report date is dropped (a prior cannot postdate its report);
3. otherwise the writing convention decides: month first (US) by default, day first for a
   Spanish report or a dotted date (``12.03.2025``, the European style).

Plain proximity to the report date ("whichever is closer") was rejected for step 3: it would
flip about half of all US dates to the European reading whenever that one is more recent.

Two-digit years take the century that puts them on or before the report date; without a
report date, 00-68 are 20xx and 69-99 are 19xx (the POSIX ``%y`` rule).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as _dt
import functools
import importlib.resources
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from bundler.model.clinical import FlaggedPhrase, PriorReference, ReportSection

__all__ = [
    "SECTION_NAMES",
    "analyse_report",
    "canonical_regions",
    "find_dates",
    "looks_spanish",
    "find_flags",
    "find_modality",
    "find_priors",
    "find_regions",
    "split_sections",
]

SECTION_NAMES = ("exam", "history", "technique", "comparison", "findings", "impression", "other")
"""The normalised section names :func:`split_sections` gives."""

# --------------------------------------------------------------------------------------------
# Text preparation and accent-insensitive patterns
# --------------------------------------------------------------------------------------------

# PDF text extraction gives ligatures and soft hyphens; NFC makes "í" one code point so the
# patterns (and \w) see letters, not combining marks.
_CLEAN = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\u00ad": None}
)


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_CLEAN)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fold(word: str) -> str:
    """Lower case without accents: the key for vocabulary look-ups."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ACCENTS = {"a": "aáàâä", "e": "eéèêë", "i": "iíìîï", "o": "oóòôö", "u": "uúùûü", "n": "nñ", "c": "cç"}


def _literal(words: str, *, exact: bool = False) -> str:
    """A regex for ``words``: accent-insensitive letters (unless ``exact``), any whitespace
    between words.

    Inside a word, ``-`` also matches a space or nothing, ``/`` may have spaces around it and
    ``'`` also matches ``’``. Whitespace is matched possessively: it is never given back, so a
    long run of blanks costs one pass, not one retry per blank.
    """
    out: list[str] = []
    for ch in words:
        base = _fold(ch)
        if not exact and len(base) == 1 and base in _ACCENTS:
            out.append(f"[{_ACCENTS[base]}]")
        elif ch == " ":
            out.append(r"\s++")
        elif ch in "-\u2010\u2011":
            out.append(r"(?:[-\u2010\u2011]\s*+|\s++)?+")
        elif ch in "'\u2019":
            out.append("['\u2019]")
        elif ch == "/":
            out.append(r"\s*+/\s*+")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _alternation(terms: Sequence[str]) -> str:
    """Longest first, so that regex alternation (first wins) prefers the longer term."""
    return "|".join(_literal(t) for t in sorted(set(terms), key=len, reverse=True))


def _keys(term: str) -> set[str]:
    """The folded words a match of ``term`` can start with, as ``\\w+`` splits the text.

    "follow-up" starts with "follow" (or "followup"), "can't" with "can", "PET/CT" with "pet".
    """
    first = term.split()[0]
    return {
        k
        for k in (
            _fold(re.split(r"[-\u2010\u2011'\u2019/]", first)[0]),
            _fold(re.split(r"['\u2019/]", re.sub(r"[-\u2010\u2011]", "", first))[0]),
        )
        if k
    }


class _LazyPattern:
    """A regex compiled on first use, standing in for the compiled pattern.

    Compiling this module's patterns takes about half a second, which every command-line
    start and every import worker would pay at import time; most runs use few or none.
    Attributes (``match``, ``finditer``, …) are looked up on the compiled pattern once and then
    kept on the instance, so later calls cost what they cost on the pattern itself.
    """

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._source)
        value = getattr(compiled, name)
        setattr(self, name, value)  # bound methods and attributes of a pattern never change
        return value


def _lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, deferred until the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))


_WORD = _lazy(r"\w+")
_P = TypeVar("_P")


class _Lexicon(Generic[_P]):
    """Patterns tried only at the words they can start with.

    One pass of ``\\w+`` over the text and a dict look-up per word, instead of a regex
    alternation of a hundred terms tried at every character: linear, and fast on a megabyte.
    At one position the longest match wins; a matched stretch is not matched again.
    """

    def __init__(self) -> None:
        self._index: dict[str, list[tuple[re.Pattern[str], _P]]] = {}

    def add(self, regex: re.Pattern[str], keys: Iterable[str], payload: _P) -> None:
        for key in keys:
            self._index.setdefault(key, []).append((regex, payload))

    def add_term(self, term: str, payload: _P, *, exact: bool = False) -> None:
        """A literal term (see :func:`_literal`) that must end at a word boundary."""
        flags = 0 if exact else re.IGNORECASE
        self.add(_lazy(_literal(term, exact=exact) + r"(?!\w)", flags), _keys(term), payload)

    def scan(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[re.Match[str], _P]]:
        stop = len(text) if end is None else end
        consumed = start
        for wm in _WORD.finditer(text, start, stop):
            pos = wm.start()
            if pos < consumed:
                continue
            candidates = self._index.get(_fold(wm.group()))
            if not candidates:
                continue
            best: tuple[re.Match[str], _P] | None = None
            for regex, payload in candidates:
                m = regex.match(text, pos, stop)
                if m is not None and (best is None or m.end() > best[0].end()):
                    best = (m, payload)
            if best is not None:
                consumed = best[0].end()
                yield best


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------

_HEADINGS: dict[str, tuple[str, ...]] = {
    "exam": (
        "exam", "exams", "examination", "examinations", "procedure", "procedures", "study",
        "type of exam", "exam type", "exam description", "examination performed",
        "estudio", "exploración", "examen", "procedimiento", "prueba", "tipo de estudio",
    ),
    "history": (
        "history", "clinical history", "indication", "indications", "clinical indication",
        "clinical indications", "indication for exam", "indication for examination",
        "indication for study", "indications for procedure", "reason for exam",
        "reason for examination", "reason for study", "reason for referral",
        "clinical information", "clinical info", "clinical data", "clinical details",
        "clinical question", "clinical notes", "clinical statement",
        "historia clínica", "historia", "antecedentes", "indicación", "indicaciones",
        "indicación clínica", "motivo de consulta", "motivo del estudio",
        "motivo de la exploración", "datos clínicos", "información clínica",
    ),
    "technique": ("technique", "techniques", "protocol", "técnica", "protocolo"),
    "comparison": (
        "comparison", "comparisons", "comparison study", "comparison studies", "comparison exam",
        "comparison exams", "comparison examination", "comparison examinations", "prior study",
        "prior studies", "prior exam", "prior exams", "prior examinations", "prior imaging",
        "priors", "previous studies", "previous imaging",
        "comparación", "estudio previo", "estudios previos", "estudios anteriores",
    ),
    "findings": ("findings", "finding", "hallazgos"),
    "impression": (
        "impression", "impressions", "conclusion", "conclusions", "opinion", "summary",
        "assessment", "impresión", "impresión diagnóstica", "conclusión", "conclusiones",
        "juicio diagnóstico", "opinión",
    ),
    "other": (
        "addendum", "addenda", "recommendation", "recommendations", "comment", "comments",
        "critical result", "critical results", "attestation",
        "adenda", "recomendación", "recomendaciones", "comentario", "comentarios",
    ),
}
_HEADING_NAME = {" ".join(_fold(t).split()): name for name, terms in _HEADINGS.items() for t in terms}
_TERMS = _alternation([t for terms in _HEADINGS.values() for t in terms]).replace(r"\s++", r"[ \t]++")
_HEAD = rf"(?:{_TERMS})(?:[ \t]*+(?:/|&|,|\+|\band\b|\by\b)[ \t]*+(?:{_TERMS}))*+"

# A heading at the start of a line: "FINDINGS:", "2. Impression -", "**Comparison:**", or a
# heading alone on its line ("IMPRESSION"). The name must end at a word boundary.
_HEAD_LINE = _lazy(
    r"[ \t]*+(?:(?:\d{1,2}|[IVXivx]{1,4}|[A-Za-z])[.)][ \t]++|#{1,3}[ \t]*+|[*_]{1,2})?"
    rf"(?P<head>{_HEAD})(?!\w)"
    r"(?:(?P<colon>[*_]{0,2}(?:[ \t]*+:|[ \t]++[-\u2013\u2014]{1,2}(?=[ \t]|$))[*_]{0,2}[ \t]*+)"
    r"|[*_]{0,2}[ \t]*+$)",
    re.IGNORECASE,
)
# An upper-case heading inside a line of flattened text: "... no prior. IMPRESSION: ...".
_HEAD_INLINE = _lazy(
    rf"(?:(?<=[.;!?])[ \t]++|(?<![ \t])[ \t]{{2,}}+)(?P<head>{_HEAD})(?!\w)[ \t]*+:[ \t]*+",
    re.IGNORECASE,
)
_FIRST_TERM = _lazy(rf"(?:{_TERMS})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Span:
    name: str
    heading: str
    start: int  # where the heading starts
    body_start: int
    end: int


def _heading_name(head: str) -> str:
    m = _FIRST_TERM.match(head)
    key = " ".join(_fold(m.group() if m else head).split())
    return _HEADING_NAME.get(key, "other")


def _section_spans(text: str) -> list[_Span]:
    """Every recognised heading and the stretch of text it governs (``text`` is prepared)."""
    found: list[tuple[int, int, str]] = []  # heading start, body start, heading as written
    pos = 0
    for line in text.split("\n"):
        if not line or line.isspace():
            pos += len(line) + 1
            continue
        m = _HEAD_LINE.match(line)
        inline_from = 0
        if m is not None:
            head = m.group("head")
            # Alone on its line without a colon, a heading must look like one ("Findings",
            # "FINDINGS"), not a wrapped line of prose that happens to be a single word.
            if m.group("colon") is not None or head[:1].isupper():
                found.append((pos, pos + m.end(), head))  # from the line start: "2. IMPRESSION"
                inline_from = m.end()
        for im in _HEAD_INLINE.finditer(line, inline_from) if ":" in line[inline_from:] else ():
            head = im.group("head")
            if head.isupper():
                found.append((pos + im.start("head"), pos + im.end(), head))
        pos += len(line) + 1
    found.sort()
    spans: list[_Span] = []
    for i, (start, body_start, head) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        spans.append(_Span(_heading_name(head), " ".join(head.split()), start, body_start, max(body_start, end)))
    return spans


def split_sections(text: str) -> tuple[ReportSection, ...]:
    """Split a radiology report into its headed sections.

    Parameters
    ----------
    text
        The report's text (from a PDF, a C-CDA narrative, an HL7 v2 message...).

    Returns
    -------
    tuple of ReportSection
        One per recognised heading, in order. ``name`` is one of :data:`SECTION_NAMES`;
        ``heading`` is the heading as written ("HISTORY/CLINICAL INDICATION"); ``text`` is
        what follows it up to the next recognised heading, stripped. Text before the first
        heading (letterhead, patient block) is not a section.

    Notes
    -----
    Only known headings split the text: sub-headings such as "LUNGS AND PLEURA:" stay inside
    FINDINGS, where they belong. A heading is recognised at the start of a line (optionally
    numbered, "2. IMPRESSION:") followed by a colon or dash, or alone on its line when it
    starts with a capital; in flattened one-line text, an UPPER-CASE heading with a colon after
    a sentence end ("... 2024. IMPRESSION: ...") is recognised too. Combined headings take the
    name of their first part ("FINDINGS AND IMPRESSION" is findings).
    """
    prepared = _prepare(text)
    return _sections(prepared, _section_spans(prepared))


def _sections(text: str, spans: Sequence[_Span]) -> tuple[ReportSection, ...]:
    return tuple(ReportSection(s.name, s.heading, text[s.body_start : s.end].strip()) for s in spans)


# --------------------------------------------------------------------------------------------
# Modalities, regions
# --------------------------------------------------------------------------------------------

# DICOM modality code -> how reports name it: (words, exact). Exact terms are acronyms and
# case-sensitive: "US" is ultrasound, "us" a pronoun; "MR" is not "Mr.". In a term, "-" also
# matches a space or nothing and "/" may have spaces around it (see _literal). The longest
# match wins, so "CT angiogram" is CT, not XA, and "PET/CT" is PT: a PET/CT study is there for
# its PT series.
_MODALITY_TERMS: dict[str, tuple[tuple[str, bool], ...]] = {
    "PT": (
        ("PET", True), ("PET-CT", True), ("PET/CT", True), ("PET-TC", True), ("PET/TC", True),
        ("PET-MR", True), ("PET/MR", True), ("PET-MRI", True), ("PET/MRI", True),
        ("PET-RM", True), ("PET/RM", True), ("FDG-PET", True),
        ("positron emission tomography", False), ("tomografía por emisión de positrones", False),
    ),
    "NM": (
        ("SPECT", True), ("SPECT-CT", True), ("SPECT/CT", True), ("MUGA", True),
        ("nuclear medicine", False), ("medicina nuclear", False), ("bone scan", False),
        ("bone scintigraphy", False), ("scintigraphy", False), ("scintigram", False),
        ("gammagrafía", False), ("gammagrama", False), ("V/Q scan", False),
    ),
    "CT": (
        ("CT", True), ("CTA", True), ("LDCT", True), ("HRCT", True), ("MDCT", True),
        ("TC", True), ("TAC", True),
        ("CT angiogram", False), ("CT angiography", False), ("computed tomography", False),
        ("computed tomography angiography", False), ("computerized tomography", False),
        ("computerised tomography", False), ("CAT scan", False), ("tomografía", False),
        ("tomografía computarizada", False), ("tomografía computada", False),
        ("tomografía axial computarizada", False), ("angio-TC", False), ("angio-TAC", False),
    ),
    "MR": (
        ("MR", True), ("MRI", True), ("MRA", True), ("MRCP", True), ("RM", True), ("RMN", True),
        ("MR angiogram", False), ("MR angiography", False), ("magnetic resonance", False),
        ("magnetic resonance imaging", False), ("magnetic resonance angiography", False),
        ("resonancia", False), ("resonancia magnética", False), ("angio-RM", False),
    ),
    "MG": (
        ("mammogram", False), ("mammograms", False), ("mammography", False),
        ("mammographic", False), ("mamografía", False), ("mamografías", False),
        ("tomosynthesis", False), ("tomosíntesis", False),
    ),
    "US": (
        ("US", True), ("USG", True), ("ECO", True),
        ("ultrasound", False), ("ultrasounds", False), ("ultrasonography", False),
        ("ultrasonographic", False), ("sonogram", False), ("sonograms", False),
        ("sonography", False), ("sonographic", False), ("echography", False),
        ("ecografía", False), ("ecografías", False), ("ecográfico", False), ("doppler", False),
        ("echocardiogram", False), ("echocardiography", False), ("ecocardiografía", False),
        ("ecocardiograma", False),
    ),
    "XA": (
        ("angiogram", False), ("angiograms", False), ("angiography", False),
        ("arteriogram", False), ("arteriography", False), ("venogram", False),
        ("venography", False), ("angiografía", False), ("arteriografía", False),
    ),
    "RF": (
        ("fluoroscopy", False), ("fluoroscopic", False), ("fluoroscopia", False),
        ("barium swallow", False), ("barium enema", False), ("barium meal", False),
        ("esophagram", False), ("oesophagram", False), ("upper GI", False),
        ("upper GI series", False), ("tránsito esofagogástrico", False),
    ),
    # Radiographs are CR; a DX study is the same family for matching (bundler.linking).
    "CR": (
        ("RX", True), ("Rx", True),
        ("radiograph", False), ("radiographs", False), ("radiography", False),
        ("radiographic", False), ("x-ray", False), ("x-rays", False), ("plain film", False),
        ("plain films", False), ("film", False), ("films", False), ("radiografía", False),
        ("radiografías", False), ("placa", False), ("placas", False), ("CXR", False),
        ("XR", False),
    ),
}
_MODALITIES: _Lexicon[str] = _Lexicon()
for _code, _terms in _MODALITY_TERMS.items():
    for _term, _exact in _terms:
        _MODALITIES.add_term(_term, _code, exact=_exact)
# The region an exam implies when the words name none: a CXR is of the chest.
_IMPLIED_REGION = {"cxr": "chest", "MG": "breast"}

# Body-region words -> canonical regions (for matching a study's description and body part).
# Longest match first: "thoracic spine" is the spine, not the chest.
_REGION_WORDS: dict[str, tuple[str, ...]] = {
    "chest": ("chest", "thorax", "thoracic", "lung", "lungs", "pulmonary", "tórax", "torácico",
              "torácica", "pulmón", "pulmones", "pulmonar"),
    "abdomen": ("abdomen", "abdominal", "abd", "abdominopelvic"),
    "pelvis": ("pelvis", "pelvic", "pélvico", "pélvica", "abdominopelvic"),
    "head": ("head", "brain", "skull", "cranial", "intracranial", "cerebral", "cráneo",
             "craneal", "cabeza", "cerebro", "encéfalo", "encefálico"),
    "neck": ("neck", "cuello", "cervical soft tissues", "soft tissue neck"),
    "spine": ("spine", "spinal", "c-spine", "t-spine", "l-spine", "cervical spine",
              "thoracic spine", "lumbar spine", "lumbosacral spine", "lumbar", "columna",
              "columna cervical", "columna dorsal", "columna lumbar", "raquis"),
    "breast": ("breast", "breasts", "mama", "mamas", "mamaria", "mamario"),
    "thyroid": ("thyroid", "tiroides", "tiroidea", "tiroideo"),
    "liver": ("liver", "hepatic", "hígado", "hepático", "hepática"),
    "prostate": ("prostate", "prostatic", "próstata", "prostático"),
    "kidney": ("kidney", "kidneys", "renal", "riñón", "riñones"),
    "pancreas": ("pancreas", "pancreatic", "páncreas"),
    "heart": ("heart", "cardiac", "coronary", "corazón", "cardíaco", "cardiaco"),
    "knee": ("knee", "knees", "rodilla", "rodillas"),
    "shoulder": ("shoulder", "shoulders", "hombro", "hombros"),
    "hip": ("hip", "hips", "cadera", "caderas"),
    "ankle": ("ankle", "tobillo"),
    "wrist": ("wrist", "muñeca"),
    "elbow": ("elbow", "codo"),
    "hand": ("hand", "hands", "mano", "manos"),
    "foot": ("foot", "feet"),
    "sinus": ("sinus", "sinuses", "paranasal sinuses", "senos paranasales"),
    "orbit": ("orbit", "orbits", "órbita", "órbitas"),
    "whole body": ("whole body", "whole-body", "cuerpo entero", "cuerpo completo"),
}
_REGIONS: _Lexicon[frozenset[str]] = _Lexicon()
_region_canon: dict[str, set[str]] = {}
for _canon, _words in _REGION_WORDS.items():
    for _w in _words:
        _region_canon.setdefault(_w, set()).add(_canon)
for _w, _canons in _region_canon.items():
    _REGIONS.add_term(_w, frozenset(_canons))
# DICOM Body Part Examined (0018,0015) values that pack several regions (PS3.16 Annex L).
_BODY_PART_CODES: dict[str, tuple[str, ...]] = {
    "CSPINE": ("spine", "neck"), "TSPINE": ("spine",), "LSPINE": ("spine",), "SSPINE": ("spine",),
    "ABDOMENPELVIS": ("abdomen", "pelvis"), "CHESTABDOMEN": ("chest", "abdomen"),
    "CHESTABDPELVIS": ("chest", "abdomen", "pelvis"), "HEADNECK": ("head", "neck"),
    "WHOLEBODY": ("whole body",), "TLSPINE": ("spine",), "CTSPINE": ("spine",),
}


def _first_modality(text: str, start: int = 0, end: int | None = None) -> tuple[str, str]:
    """(DICOM code, words as written) of the first modality in ``text[start:end]``."""
    for m, code in _MODALITIES.scan(text, start, end):
        return code, m.group()
    return "", ""


def find_modality(text: str) -> str:
    """The DICOM modality code of the first imaging exam ``text`` names, or "".

    Parameters
    ----------
    text
        A short text naming an exam: an EXAM section, a study description, a prior.

    Returns
    -------
    str
        ``CT``, ``MR``, ``CR`` (radiograph, X-ray: DX studies are matched as CR's family by
        :mod:`bundler.linking`), ``US``, ``PT`` (PET and PET/CT), ``NM``, ``MG``, ``XA``
        (catheter angiography; "CT angiogram" is CT) or ``RF`` (fluoroscopy); "" when none.
    """
    return _first_modality(_prepare(text))[0]


def _region_words(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [" ".join(m.group().split()) for m, _ in _REGIONS.scan(text, start, end)]


def find_regions(text: str) -> tuple[str, ...]:
    """Body-region words in ``text``, as written, in order, without repeats ("chest", "brain")."""
    seen: dict[str, str] = {}
    for word in _region_words(_prepare(text)):
        seen.setdefault(_fold(word), word)
    return tuple(seen.values())


def canonical_regions(text: str) -> frozenset[str]:
    """The body regions ``text`` names, canonical: "thorax" and "lungs" are both ``chest``.

    Also reads DICOM Body Part Examined values ("CHEST", "LSPINE", "CHESTABDPELVIS", with or
    without underscores). Head and brain are one region (``head``): a "CT head" report is
    about a "CT BRAIN" study.
    """
    prepared = _prepare(text).replace("_", " ")
    out: set[str] = set()
    for _, canons in _REGIONS.scan(prepared):
        out |= canons
    for token in re.findall(r"[A-Za-z]+", prepared):
        out.update(_BODY_PART_CODES.get(token.upper(), ()))
    return frozenset(out)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("january", "jan", "enero", "ene"),
        ("february", "feb", "febrero"),
        ("march", "mar", "marzo"),
        ("april", "apr", "abril", "abr"),
        ("may", "mayo"),
        ("june", "jun", "junio"),
        ("july", "jul", "julio"),
        ("august", "aug", "agosto", "ago"),
        ("september", "sep", "sept", "septiembre", "setiembre", "set"),
        ("october", "oct", "octubre"),
        ("november", "nov", "noviembre"),
        ("december", "dec", "diciembre", "dic"),
    ),
    start=1,
):
    for _n in _names:
        _MONTHS[_n] = _i
_MON = _alternation(list(_MONTHS))
_S0 = r"\s{0,3}"
_S1 = r"\s{1,3}"
_DATE = _lazy(
    r"(?<![\w/.\-])(?:"
    # ISO 2025-03-12 (also 2025/03/12, 2025.03.12)
    r"(?P<iy>(?:19|20)\d\d)(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})"
    # DICOM DA 20250312
    r"|(?P<cy>(?:19|20)\d\d)(?P<cm>0[1-9]|1[0-2])(?P<cd>0[1-9]|[12]\d|3[01])"
    # 12 March 2025, 12th of March 2025, 12-Mar-25, 12 de marzo de 2025
    rf"|(?P<ad>\d{{1,2}})(?:st|nd|rd|th|º|°)?(?:{_S1}(?:of|de){_S1}|{_S0}[-/.]{_S0}|{_S1})"
    rf"(?P<am>{_MON})\.?(?:{_S1}(?:de|del){_S1}|{_S0}[-/.,]{_S0}|{_S1})(?P<ay>(?:19|20)\d\d|'?\d\d)"
    # 03/12/2025, 3-12-25, 12.03.2025
    r"|(?P<na>\d{1,2})(?P<nsep>[-/.])(?P<nb>\d{1,2})(?P=nsep)(?P<ny>\d{4}|\d\d)"
    # 06/2023
    r"|(?P<gm>0?[1-9]|1[0-2])/(?P<gy>(?:19|20)\d\d)"
    # March 12, 2025
    rf"|(?P<bm>{_MON})\.?{_S1}(?P<bd>\d{{1,2}})(?:st|nd|rd|th)?(?:,{_S0}|{_S1})(?P<by>(?:19|20)\d\d)"
    # March 2025, marzo de 2025, Mar-2025
    rf"|(?P<om>{_MON})\.?(?:{_S1}(?:de|del|of){_S1}|,?{_S1}|{_S0}[-/]{_S0})(?P<oy>(?:19|20)\d\d)"
    # from 2023, en 2023
    rf"|(?:from|in|of|dated|since|de|del|en|desde){_S1}(?P<yy>(?:19|20)\d\d)"
    r")(?![\w/]|[.\-]\d)",
    re.IGNORECASE,
)


def _parse_report_date(value: str) -> _dt.date | None:
    """The latest day ``value`` (ISO, possibly partial, or DICOM DA) can mean; None if unreadable."""
    m = re.match(r"\s*(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?", value)
    if m is None:
        return None
    try:
        year = int(m.group(1))
        month = int(m.group(2) or 12)
        day = int(m.group(3) or calendar.monthrange(year, month)[1])
        return _dt.date(year, month, day)
    except ValueError:
        return None


def _year(text: str, report: _dt.date | None) -> int:
    digits = text.lstrip("'")
    if len(digits) == 4:
        return int(digits)
    yy = int(digits)
    if report is not None:
        return 2000 + yy if 2000 + yy <= report.year else 1900 + yy
    return 2000 + yy if yy <= 68 else 1900 + yy


def _valid(y: int, m: int, d: int) -> _dt.date | None:
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _date_value(m: re.Match[str], report: _dt.date | None, day_first: bool) -> str:
    """The ISO date a ``_DATE`` match means, or "" when it is not a real date."""
    g = m.group
    if g("iy"):
        day = _valid(int(g("iy")), int(g("im")), int(g("id")))
        return day.isoformat() if day else ""
    if g("cy"):
        day = _valid(int(g("cy")), int(g("cm")), int(g("cd")))
        return day.isoformat() if day else ""
    if g("ad"):
        day = _valid(_year(g("ay"), report), _MONTHS[_fold(g("am"))], int(g("ad")))
        return day.isoformat() if day else ""
    if g("bm"):
        day = _valid(int(g("by")), _MONTHS[_fold(g("bm"))], int(g("bd")))
        return day.isoformat() if day else ""
    if g("om"):
        return f"{int(g('oy')):04d}-{_MONTHS[_fold(g('om'))]:02d}"
    if g("gm"):
        return f"{int(g('gy')):04d}-{int(g('gm')):02d}"
    if g("yy"):
        return g("yy")
    if g("na"):
        return _numeric_date(int(g("na")), int(g("nb")), _year(g("ny"), report), g("nsep"), report, day_first)
    return ""


def _numeric_date(a: int, b: int, year: int, sep: str, report: _dt.date | None, day_first: bool) -> str:
    """Resolve ``a/b/year`` (see the module notes: >12, not after the report, convention)."""
    month_first = _valid(year, a, b)
    day_first_reading = _valid(year, b, a)
    readings = [d for d in (month_first, day_first_reading) if d is not None]
    if not readings:
        return ""
    if len(readings) == 1 or readings[0] == readings[1]:
        return readings[0].isoformat()
    if report is not None:
        possible = [d for d in readings if d <= report]
        if len(possible) == 1:
            return possible[0].isoformat()
    prefer_day_first = day_first or sep == "."
    chosen = day_first_reading if prefer_day_first else month_first
    assert chosen is not None
    return chosen.isoformat()


_DATE_WORDS = frozenset(_MONTHS) | {"from", "in", "of", "dated", "since", "de", "del", "en", "desde"}


def _dates(text: str, report: _dt.date | None, day_first: bool) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of every date in ``text``; tried only where a date can start."""
    out = []
    consumed = 0
    for wm in _WORD.finditer(text):
        pos, word = wm.start(), wm.group()
        if pos < consumed or not (word[0].isdigit() or _fold(word) in _DATE_WORDS):
            continue
        m = _DATE.match(text, pos)
        if m is None:
            continue
        consumed = m.end()
        value = _date_value(m, report, day_first)
        if value:
            out.append((m.start("yy") if m.group("yy") else pos, m.end(), value))
    return out


def find_dates(text: str, *, report_date: str = "", day_first: bool | None = None) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of every date written in ``text``, as precise as written.

    Ambiguous numeric dates follow the rules of :func:`find_priors` (docs/decisions.md);
    ``day_first`` overrides the guess from the text's language (pass it for a short snippet).
    """
    return _dates(text, _parse_report_date(report_date), _looks_spanish(text) if day_first is None else day_first)


def looks_spanish(text: str) -> bool:
    """Whether a text reads as Spanish (numeric dates then are day first)."""
    return _looks_spanish(text)


_SPANISH_MARKERS = frozenset(
    {"de", "del", "con", "sin", "el", "los", "las", "estudio", "estudios", "previo", "previa",
     "hallazgos", "torax", "impresion", "comparacion", "tecnica", "conclusion", "informe",
     "paciente", "tc", "rm", "ecografia", "radiografia", "se", "y", "en"}
)


def _looks_spanish(text: str) -> bool:
    """Enough distinct Spanish words that dates are probably written day first."""
    seen: set[str] = set()
    for m in _WORD.finditer(text[:20000]):
        w = _fold(m.group())
        if w in _SPANISH_MARKERS:
            seen.add(w)
            if len(seen) >= 3:
                return True
    return False


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------

_LEAD_IN = _lazy(
    r"[\s:.\-]*+(?:(?:in\s++)?comparisons?(?:\s++(?:is|was))?(?:\s++made)?(?:\s++(?:with|to))?"
    r"|compared\s++(?:with|to)|comparaci[oó]n\s++con|se\s++compara\s++con|comparad[oa]\s++con"
    r"|comparando\s++con)(?!\w)[\s:]*+",
    re.IGNORECASE,
)
# Clause separators, and the words that may separate clauses ("and", "y", "as well as").
_CLAUSE_TOKEN = _lazy(r"[;\n,&]|\.(?=\s|$)|\w+")
_CLAUSE_WORDS = frozenset({"and", "y", "plus", "also"})
_AS_WELL_AS = _lazy(r"as\s++well\s++as(?!\w)", re.IGNORECASE)
_CONJUNCTION = _lazy(r"(?:\s|and\b|y\b|as\s++well\s++as\b|plus\b|also\b|&|[,;:.])++", re.IGNORECASE)
_NONE = _lazy(
    r"\W*+(?:none|nil|no|not\s++available|unavailable|not\s++applicable|n/?a|ninguno|ninguna|"
    r"ning[uú]n|sin|no\s++hay|no\s++se\s++dispone)(?!\w)",
    re.IGNORECASE,
)
_PRIOR_WORD = _lazy(
    r"(?<!\w)(?:prior|previous|earlier|old|outside|last|anterior|anteriores|previo|previa|"
    r"previos|previas|pasado)(?!\w)",
    re.IGNORECASE,
)
_EXAM_NOUN = _lazy(
    r"(?<!\w)(?:study|studies|exam|exams|examination|examinations|scan|scans|imaging|"
    r"estudio|estudios|exploraci[oó]n|prueba)(?!\w)",
    re.IGNORECASE,
)
_RELATIVE = _lazy(
    r"(?<!\w)(?:last\s++(?:year|month|week)|\w++\s++(?:days?|weeks?|months?|years?)\s++ago|"
    r"earlier\s++this\s++(?:year|month)|el\s++a[nñ]o\s++pasado|"
    r"hace\s++\w++\s++(?:d[ií]as|semanas|meses|a[nñ]os))(?!\w)",
    re.IGNORECASE,
)


@dataclass
class _Item:
    start: int
    end: int
    modality: str = ""
    date: str = ""
    regions: list[str] = field(default_factory=list)
    implied: str = ""  # the region the exam implies when no words name one (see _IMPLIED_REGION)


def _protected(text: str, dates: Sequence[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Stretches a clause separator must not cut, disjoint and sorted: dates ("March 12,
    2025") and (parentheses)."""
    spans = [(s, e) for s, e, _ in dates]
    depth, open_at = 0, 0
    for m in re.finditer(r"[()]", text):
        if m.group() == "(":
            if depth == 0:
                open_at = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((open_at, m.end()))
    if depth:
        spans.append((open_at, len(text)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:  # a date inside parentheses: one protected stretch
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _clauses(text: str, protected: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    starts = [s for s, _ in protected]
    cut = 0
    for m in _CLAUSE_TOKEN.finditer(text):
        sep_end = m.end()
        if m.group()[0].isalnum() or m.group()[0] == "_":
            word = _fold(m.group())
            if word == "as":
                well = _AS_WELL_AS.match(text, m.start())
                if well is None:
                    continue
                sep_end = well.end()
            elif word not in _CLAUSE_WORDS:
                continue
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and protected[i][0] <= m.start() < protected[i][1]:
            continue
        if m.start() > cut:
            yield cut, m.start()
        cut = max(cut, sep_end)
    if cut < len(text):
        yield cut, len(text)


def _priors_in(body: str, report: _dt.date | None, day_first: bool) -> list[PriorReference]:
    """The priors one COMPARISON section names (``body`` is prepared text)."""
    lead = _LEAD_IN.match(body)
    text = body[lead.end() :] if lead else body
    dates = _dates(text, report, day_first)
    date_starts = [d[0] for d in dates]
    items: list[_Item] = []
    current: _Item | None = None
    for start, end in _clauses(text, _protected(text, dates)):
        clause = text[start:end]
        if not clause.strip():
            continue
        clause_dates = dates[bisect.bisect_left(date_starts, start) : bisect.bisect_left(date_starts, end)]
        code, words = _first_modality(text, start, end)
        regions = _region_words(text, start, end)
        if not clause_dates and _NONE.match(clause):
            current = None  # "No prior CT", "None.": nothing here, and nothing to continue
            continue
        if code:
            implied = _IMPLIED_REGION.get(_fold(words), _IMPLIED_REGION.get(code, ""))
            current = _Item(start, end, code, regions=regions, implied=implied)
            items.append(current)
        elif clause_dates:
            if current is not None and not current.date:
                current.end = end  # "CT chest, 12 March 2025"
                current.regions += regions
            else:  # "CT chest 01/01/2025 and 03/12/2025": the same exam at another date
                current = (
                    _Item(start, end, current.modality, regions=regions or list(current.regions),
                          implied=current.implied)
                    if current is not None
                    else _Item(start, end, regions=regions)
                )
                items.append(current)
        elif current is not None and (regions or _RELATIVE.search(clause)):
            current.end = end  # "CT chest, abdomen and pelvis"; "prior CT, from last year"
            current.regions += regions
            continue
        elif _RELATIVE.search(clause) or (_PRIOR_WORD.search(clause) and _EXAM_NOUN.search(clause)):
            current = _Item(start, end, regions=regions)  # "the previous examination"
            items.append(current)
            continue
        else:
            continue
        if clause_dates:
            first, *more = clause_dates
            current.date = current.date or first[2]
            for extra in more:  # two dates in one clause: one prior per date
                current = _Item(extra[0], extra[1], current.modality, extra[2],
                                list(current.regions), current.implied)
                items.append(current)

    out: dict[PriorReference, None] = {}
    for item in items:
        words = text[item.start : item.end]
        conj = _CONJUNCTION.match(words)
        words = words[conj.end() :] if conj else words
        lead = _LEAD_IN.match(words)
        words = " ".join((words[lead.end() :] if lead else words).split()).rstrip(" ,;:.")
        if not words:
            continue
        unique: dict[str, str] = {}
        for r in item.regions:
            unique.setdefault(_fold(r), r)
        region = ", ".join(unique.values()) or item.implied
        out.setdefault(PriorReference(text=words, date=item.date, modality=item.modality, region=region), None)
    return list(out)


def find_priors(text_or_comparison_section: str, *, report_date: str = "") -> tuple[PriorReference, ...]:
    """The prior exams a report compares with, as named in its COMPARISON section.

    Parameters
    ----------
    text_or_comparison_section
        A whole report (its COMPARISON sections are read; a report with headings but no
        COMPARISON section names no priors) or just the text of a COMPARISON section (text in
        which no heading is recognised is taken to be one).
    report_date
        The report's date (ISO, possibly partial, or DICOM ``YYYYMMDD``): settles two-digit
        years and day/month order (see the module notes). "" when unknown.

    Returns
    -------
    tuple of PriorReference
        One per prior exam, in the order written. ``"None."``, ``"No prior studies."`` and
        ``"Sin estudios previos."`` give none. ``text`` is the words as written; ``modality``
        is a DICOM code (radiographs are ``CR``); ``region`` the region words as written, joined
        with ", " (a "CXR" is ``chest``); ``date`` as precise as written, "" for relative
        references ("prior CT from last year", whose words are kept).

    Notes
    -----
    The section is cut into clauses at ``;``, ``,``, "and", "y" and sentence ends (never
    inside a date or parentheses). A clause naming a modality starts a new prior; a clause
    with only a date completes the prior before it, or repeats its exam at another date
    ("CT chest 01/01/2025 and 03/12/2025" is two CTs); a clause with only regions extends it
    ("CT chest, abdomen and pelvis").
    """
    text = _prepare(text_or_comparison_section)
    report = _parse_report_date(report_date)
    day_first = _looks_spanish(text)
    spans = _section_spans(text)
    if not spans:
        return tuple(_priors_in(text, report, day_first))
    return _priors_from(text, spans, report, day_first)


def _priors_from(
    text: str, spans: Sequence[_Span], report: _dt.date | None, day_first: bool
) -> tuple[PriorReference, ...]:
    out: dict[PriorReference, None] = {}
    for s in spans:
        if s.name == "comparison":
            for p in _priors_in(text[s.body_start : s.end], report, day_first):
                out.setdefault(p, None)
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Flags: hedged phrases (data) and assessment categories (the ACR scales)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Phrase:
    phrase: str
    negatable: bool
    exclude: re.Pattern[str] | None


_GAP_WORDS = 6
# "...": up to six words, never across a sentence end. Each word is one run of non-space
# characters, so the words split one way only: no backtracking blow-up.
_GAP_RX = rf"(?:\s++(?:[^\s.;!?]|\.(?=\S))++){{0,{_GAP_WORDS}}}?"


def _parse_pattern(pattern: str) -> list[tuple[str, list[str]]]:
    """``"follow-up [is] {recommended|advised}"`` -> [(kind, alternatives), ...].

    ``kind`` is ``"word"`` (one required choice), ``"optional"`` or ``"gap"`` (``...``).
    """
    elements: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == " ":
            i += 1
        elif ch in "[{":
            close = "]" if ch == "[" else "}"
            j = pattern.find(close, i)
            if j < 0 or any(c in pattern[i + 1 : j] for c in "[]{}"):
                raise ValueError(f"unbalanced {ch!r} in phrase pattern {pattern!r}")
            alts = [a.strip() for a in pattern[i + 1 : j].split("|")]
            if not all(alts) or any(a == "..." for a in alts):
                raise ValueError(f"empty choice in phrase pattern {pattern!r}")
            elements.append(("optional" if ch == "[" else "word", alts))
            i = j + 1
        else:
            j = i
            while j < len(pattern) and pattern[j] not in " [{]}":
                j += 1
            if j < len(pattern) and pattern[j] in "]}":
                raise ValueError(f"unbalanced {pattern[j]!r} in phrase pattern {pattern!r}")
            word = pattern[i:j]
            elements.append(("gap", []) if word == "..." else ("word", [word]))
            i = j
    if not elements or elements[0][0] != "word" or elements[-1][0] == "gap":
        raise ValueError(f"phrase pattern {pattern!r} must start and end with a required word")
    return elements


def _compile_pattern(pattern: str) -> tuple[str, set[str]]:
    """A phrase pattern's regex and the words (folded) a match can start with."""
    elements = _parse_pattern(pattern)
    parts: list[str] = []
    for n, (kind, alts) in enumerate(elements):
        group = "(?:" + _alternation(alts) + ")"
        if kind == "gap":
            parts.append(_GAP_RX)
        elif n == 0:
            parts.append(group)
        elif kind == "optional":
            parts.append(rf"(?:\s++{group})?")
        else:
            parts.append(rf"\s++{group}")
    return "".join(parts), {k for alt in elements[0][1] for k in _keys(alt)}


@functools.lru_cache(maxsize=1)
def _phrases() -> _Lexicon[_Phrase]:
    """The phrase list (``resources/reportlang/phrases.toml``), loaded once and validated."""
    resource = importlib.resources.files("bundler_resources").joinpath("reportlang", "phrases.toml")
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    entries = data.get("phrase")
    if not isinstance(entries, list) or not entries:
        raise ValueError("reportlang/phrases.toml: no [[phrase]] entries")
    lexicon: _Lexicon[_Phrase] = _Lexicon()
    for entry in entries:
        name, patterns = entry.get("phrase"), entry.get("patterns")
        negatable, exclude = entry.get("negatable", False), entry.get("exclude", [])
        if (
            not isinstance(name, str) or not name
            or not isinstance(patterns, list) or not patterns
            or not all(isinstance(p, str) and p.strip() for p in patterns)
            or not isinstance(negatable, bool)
            or not isinstance(exclude, list) or not all(isinstance(x, str) and x for x in exclude)
            or entry.get("lang") not in ("en", "es")
        ):
            raise ValueError(f"reportlang/phrases.toml: malformed entry {entry!r}")
        exclude_rx = (
            re.compile(r"(?<!\w)(?:" + "|".join(_compile_pattern(x)[0] for x in exclude) + r")(?!\w)", re.I)
            if exclude
            else None
        )
        phrase = _Phrase(name, negatable, exclude_rx)
        for pattern in patterns:
            source, keys = _compile_pattern(pattern)
            lexicon.add(re.compile(rf"(?:{source})(?!\w)", re.I), keys, phrase)
    return lexicon


# NegEx-style negation: a cue a few words before the phrase, in the same clause.
_NEG_CUE = _lazy(
    r"(?<!\w)(?:no|not|without|never|neither|nor|none|negative\s+for|free\s+of|absence\s+of|"
    r"absent|sin|ni|ning[uú]n[oa]?|nunca|ausencia\s+de|libre\s+de|negativ[oa]\s+para|\w+n['\u2019]t)(?!\w)",
    re.IGNORECASE,
)
# Words that look like a negation but do not negate what follows ("no change in the
# indeterminate nodule").
_PSEUDO_NEG = _lazy(
    r"(?<!\w)(?:(?:no|not|without|sin)\s+(?:(?:significant|significantly|interval|appreciable|"
    r"definite|substantial|significativ[oa]s?)\s+)*(?:change|changes|changed|increase|increased|"
    r"growth|enlargement|decrease|cambios?|crecimiento|aumento)|not\s+only|no\s+longer\s+seen)(?!\w)",
    re.IGNORECASE,
)
_SCOPE_END = _lazy(
    r"[,;:()]|(?<!\w)(?:but|however|although|though|except|whereas|yet|pero|aunque|excepto|salvo|"
    r"sin\s+embargo)(?!\w)",
    re.IGNORECASE,
)
_NEG_WINDOW_WORDS = 6


def _negated(text: str, sentence_start: int, phrase_start: int) -> bool:
    window = text[max(sentence_start, phrase_start - 200) : phrase_start]
    scope = list(_SCOPE_END.finditer(window))
    if scope:
        window = window[scope[-1].end() :]
    window = _PSEUDO_NEG.sub(lambda m: " " * len(m.group()), window)
    words = list(_WORD.finditer(window))
    if len(words) > _NEG_WINDOW_WORDS:
        window = window[words[-_NEG_WINDOW_WORDS].start() :]
    return _NEG_CUE.search(window) is not None


# --- assessment categories ------------------------------------------------------------------

_GAP = r"\s{0,3}[:#\-\u2013]?\s{0,3}"
_CAT_WORD = (
    r"(?:(?:(?:final\s{1,3})?assessment\s{1,3})?(?:category|categor[ií]a|cat\.?|score|level|nivel|"
    r"grade|grado)\s{0,3}(?:of\s{1,3}|[:#\-\u2013]\s{0,3})?)?"
)
_REG = r"(?:\u00ae|\(R\))?"
_CATEGORY_RX: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("BI-RADS", _lazy(
        rf"(?<![\w-])(?:ACR[\s-]{{1,3}})?BI[-\s]?RADS{_REG}{_GAP}{_CAT_WORD}"
        r"(?P<v>[0-6])(?P<sub>[ABC])?(?!\w|[.,]\d|-\d)", re.I)),
    ("Lung-RADS", _lazy(
        rf"(?<![\w-])(?:ACR[\s-]{{1,3}})?Lung[-\s]?RADS{_REG}"
        r"(?:\s{0,3}(?:v(?:ersion)?\s{0,2}\d{1,4}(?:\.\d{1,2})?|\(\d{4}\)|\d{4}(?!\w)))?"
        rf"{_GAP}{_CAT_WORD}(?P<v>[0-4])(?P<sub>[ABX])?(?P<s>\s?S)?(?!\w|[.,]\d|-\d)", re.I)),
    ("TI-RADS", _lazy(
        rf"(?<![\w-])(?:ACR[\s-]{{1,3}})?TI[-\s]?RADS{_REG}{_GAP}{_CAT_WORD}"
        r"(?:TR[-\s]?)?(?P<v>[1-5])(?!\w|[.,]\d|-\d|\s{0,3}(?:points?|pts?|puntos?)(?!\w))", re.I)),
    ("TI-RADS", _lazy(r"(?<![\w-])TR[-\s]?(?P<v>[1-5])(?!\w|[.,]\d|-\d)")),
    ("PI-RADS", _lazy(
        rf"(?<![\w-])PI[-\s]?RADS{_REG}(?:\s{{0,3}}v(?:ersion)?\s{{0,2}}\d(?:\.\d)?)?{_GAP}{_CAT_WORD}"
        r"(?P<v>[1-5])(?:/5)?(?!\w|[.,]\d|-\d)", re.I)),
    ("LI-RADS", _lazy(
        rf"(?<![\w-])(?:ACR[\s-]{{1,3}})?LI[-\s]?RADS{_REG}(?:\s{{0,3}}(?:v(?:ersion)?\s{{0,2}})?\d{{4}})?"
        rf"{_GAP}{_CAT_WORD}(?:LR[-\s]?(?P<lr>[1-5]|M|TIV|NC)|(?P<v>[1-5]))(?!\w|[.,]\d|-\d)", re.I)),
    ("LI-RADS", _lazy(r"(?<![\w-])LR(?:-|\s)?(?P<lr>[1-5])(?!\w|[.,]\d|-\d)|(?<![\w-])LR-(?P<lr2>M|TIV|NC)(?!\w)")),
)
# "Category 4" alone: the scale comes from the rest of the report.
_BARE_CATEGORY = _lazy(
    r"(?<![\w-])(?:(?:final\s{1,3})?assessment\s{1,3})?(?:category|categor[ií]a)\s{0,3}[:#\-\u2013]?\s{0,3}"
    r"(?P<v>[0-6])(?P<sub>[ABCX])?(?P<s>S)?(?!\w|[.,]\d|-\d)",
    re.I,
)
_SCALE_NAMES = (
    ("BI-RADS", _lazy(r"(?<!\w)BI[-\s]?RADS(?!\w)", re.I)),
    ("Lung-RADS", _lazy(r"(?<!\w)Lung[-\s]?RADS(?!\w)", re.I)),
    ("TI-RADS", _lazy(r"(?<![\w-])TI[-\s]?RADS(?!\w)", re.I)),
    ("PI-RADS", _lazy(r"(?<!\w)PI[-\s]?RADS(?!\w)", re.I)),
    ("LI-RADS", _lazy(r"(?<!\w)LI[-\s]?RADS(?!\w)", re.I)),
)
_BREAST_IMAGING = _lazy(r"(?<!\w)(?:mammogra\w*|mamogra\w*|breasts?|mamas?|mamari[oa])(?!\w)", re.I)


def _category(scale: str, m: re.Match[str]) -> str:
    """The normalised category a match names, or "" when the scale has no such category."""
    groups = m.groupdict()
    value = (groups.get("v") or "").upper()
    sub = (groups.get("sub") or "").upper()
    if scale == "BI-RADS":
        return value + sub if value and (not sub or value == "4") else ""
    if scale == "Lung-RADS":
        if not value or value not in "01234" or (sub and value != "4"):
            return ""
        return value + sub + ("S" if groups.get("s") else "")
    if scale == "TI-RADS":
        return f"TR{value}" if value in ("1", "2", "3", "4", "5") and not sub else ""
    if scale == "PI-RADS":
        return value if value in ("1", "2", "3", "4", "5") and not sub else ""
    if scale == "LI-RADS":
        lr = (groups.get("lr") or groups.get("lr2") or "").upper()
        if lr:
            return f"LR-{lr}"
        return f"LR-{value}" if value in ("1", "2", "3", "4", "5") and not sub else ""
    return ""


# Where an assessment category can start: the regexes above are tried only there.
_CATEGORY_START = _lazy(r"\b(?:(?P<scale>acr|bi|lung|ti|tr|pi|li|lr)|categ|final|assessment)", re.I)


def _category_hits(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, scale, category) of every assessment category, without overlaps."""
    hits: list[tuple[int, int, str, str]] = []
    bare: list[re.Match[str]] = []
    for start in _CATEGORY_START.finditer(text):
        if start.group("scale"):
            for scale, rx in _CATEGORY_RX:
                m = rx.match(text, start.start())
                if m is not None and (category := _category(scale, m)):
                    hits.append((m.start(), m.end(), scale, category))
        elif (m := _BARE_CATEGORY.match(text, start.start())) is not None:
            bare.append(m)
    if bare:
        named = [scale for scale, rx in _SCALE_NAMES if rx.search(text)]
        bare_scale = named[0] if len(named) == 1 else ""
        if not named and _BREAST_IMAGING.search(text):
            bare_scale = "BI-RADS"  # "ASSESSMENT: Category 4" in a mammography report
        for m in bare if bare_scale else ():
            if category := _category(bare_scale, m):
                hits.append((m.start(), m.end(), bare_scale, category))
    hits.sort(key=lambda h: (h[0], -h[1]))
    out: list[tuple[int, int, str, str]] = []
    for hit in hits:
        if out and hit[0] < out[-1][1]:
            continue  # "LI-RADS LR-5" is one category, not two
        out.append(hit)
    return out


def _phrase_label(scale: str, category: str) -> str:
    return f"{scale} {category}"


# --- sentences ------------------------------------------------------------------------------

_SENTENCE_END = _lazy(
    r"[.!?](?<!\bDr\.)(?<!\bDra\.)(?<!\bvs\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bMr\.)(?<!\bMs\.)"
    r"(?<!\bMrs\.)(?<!\bapprox\.)(?<!\bSr\.)(?=\s|$)"
    r"|\n(?:[ \t]*+\n|(?=[ \t]*+(?:\d{1,2}[.)]|[-\u2022*])[ \t])|(?=[ \t]*+[A-Z][A-Z ,/&]{2,40}:))"
)
_SENTENCE_REACH = 400


def _sentence(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, str]:
    """The sentence around ``text[start:end]`` within ``[lo, hi)``, whitespace collapsed.

    Returns its start (for negation) and its text; at most about 800 characters, cut at
    word boundaries with an ellipsis when a "sentence" runs on (text without punctuation).
    """
    back_from = max(lo, start - _SENTENCE_REACH)
    s = back_from
    for m in _SENTENCE_END.finditer(text, back_from, start):
        s = m.end()
    cut_front = s == back_from and back_from > lo
    forward_to = min(hi, end + _SENTENCE_REACH)
    m2 = _SENTENCE_END.search(text, end, forward_to)
    e = m2.end() if m2 is not None and m2.group().strip() else (m2.start() if m2 else forward_to)
    cut_back = m2 is None and forward_to < hi
    words = text[s:e]
    if cut_front:
        words = "\u2026" + words.split(None, 1)[-1] if " " in words else words
    if cut_back:
        words = words.rsplit(None, 1)[0] + "\u2026" if " " in words.strip() else words
    return s, " ".join(words.split())


# --- scanning -------------------------------------------------------------------------------


def _hedge_hits(text: str) -> Iterator[tuple[int, int, _Phrase]]:
    """Every phrase match, longest first at each word, minus excluded wordings."""
    for m, phrase in _phrases().scan(text):
        start, end = m.span()
        if phrase.exclude is not None and any(
            x.start() <= start and x.end() >= end
            for x in phrase.exclude.finditer(text, max(0, start - 60), min(len(text), end + 60))
        ):
            continue
        yield start, end, phrase


def _flags(text: str, spans: Sequence[tuple[int, int, str]]) -> list[FlaggedPhrase]:
    """Flags in prepared ``text``; ``spans`` are (start, end, section name), sorted, disjoint."""
    starts = [s for s, _, _ in spans]

    def where(pos: int) -> tuple[int, int, str]:
        i = bisect.bisect_right(starts, pos) - 1
        if i >= 0 and spans[i][0] <= pos < spans[i][1]:
            return spans[i]
        lo = spans[i][1] if i >= 0 else 0
        hi = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        return lo, hi, ""

    found: list[tuple[int, FlaggedPhrase]] = []
    for start, end, phrase in _hedge_hits(text):
        lo, hi, section = where(start)
        sentence_start, sentence = _sentence(text, start, end, lo, hi)
        if phrase.negatable and _negated(text, sentence_start, start):
            continue
        found.append((start, FlaggedPhrase("hedge", phrase.phrase, sentence, section)))
    for start, end, scale, category in _category_hits(text):
        lo, hi, section = where(start)
        _, sentence = _sentence(text, start, end, lo, hi)
        found.append(
            (start, FlaggedPhrase("category", _phrase_label(scale, category), sentence, section, scale, category))
        )
    found.sort(key=lambda f: f[0])
    out: dict[FlaggedPhrase, None] = {}
    for _, flag in found:
        out.setdefault(flag, None)
    return list(out)


def find_flags(text: str, sections: Sequence[ReportSection] = ()) -> tuple[FlaggedPhrase, ...]:
    """Hedged wording and assessment categories worth asking the reviewer about.

    Parameters
    ----------
    text
        The report's text.
    sections
        Its sections, if already split (:func:`split_sections` of the same text); when empty
        the text is split here. Each flag's ``section`` is the normalised name of the section
        it is in ("" before the first heading).

    Returns
    -------
    tuple of FlaggedPhrase
        In text order, each once per sentence. Hedges (``kind="hedge"``) use the phrase list
        in ``resources/reportlang/phrases.toml`` (English and Spanish); a negatable phrase
        after a negation in the same clause ("No suspicious osseous lesion", "sin lesiones
        sospechosas") is not flagged, but "no change in the indeterminate nodule" is.
        Categories (``kind="category"``): BI-RADS 0-6 with 4A/4B/4C, ACR TI-RADS TR1-TR5,
        Lung-RADS 0, 1, 2, 3, 4A, 4B, 4X (4 alone as written) with the S modifier ("2S"),
        PI-RADS 1-5, LI-RADS LR-1..LR-5, LR-M, LR-TIV, LR-NC; ``phrase`` is "Lung-RADS 4B",
        "TI-RADS TR3", "LI-RADS LR-5"... A bare "Category 4" is attributed to the one scale
        the report names, or to BI-RADS in a breast imaging report that names none.

    Notes
    -----
    Matches never start or end inside a word: "unlikely" is its own phrase, never "likely";
    "BIRADSX" and "TR35" are nothing. TI-RADS *points* ("TI-RADS 4 points") are not a level.
    Other thyroid systems (EU-TIRADS, K-TIRADS) are not ACR TI-RADS and are not reported.
    """
    prepared = _prepare(text)
    if not sections:
        return tuple(_flags(prepared, _body_spans(prepared, _section_spans(prepared))))
    located: list[tuple[int, int, str]] = []
    separate: list[ReportSection] = []
    cursor = 0
    for section in sections:
        body = _prepare(section.text)
        if not body:
            continue
        heading_at = prepared.find(section.heading, cursor) if section.heading else -1
        at = prepared.find(body, cursor if heading_at < 0 else heading_at + len(section.heading))
        if at < 0:
            separate.append(section)
            continue
        located.append((at, at + len(body), section.name))
        cursor = at + len(body)
    flags = _flags(prepared, located)
    for section in separate:
        body = _prepare(section.text)
        flags += _flags(body, [(0, len(body), section.name)])
    return tuple(dict.fromkeys(flags))


def _body_spans(text: str, spans: Sequence[_Span]) -> list[tuple[int, int, str]]:
    return [(s.body_start, s.end, s.name) for s in spans if s.end > s.body_start]


def analyse_report(
    text: str, *, report_date: str = ""
) -> tuple[tuple[ReportSection, ...], tuple[PriorReference, ...], tuple[FlaggedPhrase, ...]]:
    """Sections, priors and flags of one report, splitting it once.

    Parameters
    ----------
    text
        The report's text.
    report_date
        Its date (ISO or DICOM DA, possibly with a time), for the priors' dates.

    Returns
    -------
    tuple
        ``(split_sections(text), find_priors(text), find_flags(text))``, but priors come only
        from COMPARISON sections: a report without one names no priors.
    """
    prepared = _prepare(text)
    spans = _section_spans(prepared)
    report = _parse_report_date(report_date)
    priors = _priors_from(prepared, spans, report, _looks_spanish(prepared))
    flags = tuple(_flags(prepared, _body_spans(prepared, spans)))
    return _sections(prepared, spans), priors, flags
