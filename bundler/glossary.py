"""Plain-language help for report wording: a bilingual glossary and the terms it finds in a report.

A patient reading "Enlarging solid RUL nodule, suspicious for malignancy. Lung-RADS 4B." wants
to know what the words mean before the appointment. This module answers that offline, in
English or Spanish, and never interprets anything: it explains words and turns the report's
uncertain wording into questions the patient could ask.

* The glossary is data (``resources/glossary/*.toml``, format in ``docs/glossary.md``): one
  entry per concept, each with its words in both languages, a short definition, usually a
  question to ask, and the public reference it was checked against.
* :func:`explain_text` and :func:`explain_document` find glossary terms in a report (in
  either language, whatever language the explanations are wanted in) and explain the flagged
  phrases :mod:`bundler.reportlang` extracts (hedges and assessment categories), with the
  questions they suggest.
* :func:`entry` and :func:`entries` give the entries themselves (for a side panel or a list).

Matching
--------
The text is folded (lower case, accents removed) and split into words (``\\w+``); terms are
sequences of words looked up in a word trie, so a match always starts and ends at a word
boundary, the longest match at a position wins and the cost is linear in the text. Between the
words of a term the text may have any spaces, one line break and up to two joiners (hyphen,
slash, colon, apostrophe, ®): "ground-glass", "ground glass", "PET/CT", "BI-RADS®: 4".
Plurals are generated from each term (English: the last word, with the Latin forms radiology
uses, "hila", "metastases"; Spanish: every content word, "derrames pleurales"). Abbreviations
that could be ordinary words ("US", "PE", "AP") are listed separately and match only as
written. A term is not matched right after "non-" or "no-" ("non-enhancing" is not
"enhancing") unless the entry lists that form.

Both languages' terms are looked for, since a report's language need not be the reader's. When
the report's own language is clear from its function words, a single plain word of the other
language is skipped ("control" is a Spanish term for a follow-up scan, but an ordinary English
word); several words, accented words and acronyms as written still match.

Nothing here logs document text; loading problems raise :class:`GlossaryError`, whose message
names the file and the line.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bundler.errors import BundlerError, UsageError
from bundler.model.clinical import FlaggedPhrase, ParsedDocument

__all__ = [
    "LANGUAGES",
    "SCALE_CATEGORIES",
    "Entry",
    "Explanation",
    "FlagExplanation",
    "Glossary",
    "GlossaryError",
    "SuggestedQuestion",
    "TermMatch",
    "entries",
    "entry",
    "explain_document",
    "explain_flag",
    "explain_text",
    "find_terms",
    "load_glossary",
    "note",
]

LANGUAGES = ("en", "es")
"""The languages every entry is written in."""

SCALE_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "BI-RADS": ("0", "1", "2", "3", "4", "5", "6"),
    "TI-RADS": ("TR1", "TR2", "TR3", "TR4", "TR5"),
    "Lung-RADS": ("0", "1", "2", "3", "4A", "4B", "4X"),
    "PI-RADS": ("1", "2", "3", "4", "5"),
    "LI-RADS": ("LR-1", "LR-2", "LR-3", "LR-4", "LR-5", "LR-M"),
}
"""The categories of each assessment scale the glossary must explain (as
:class:`~bundler.model.clinical.FlaggedPhrase` names them)."""

# Categories an entry may also explain, beyond the required ones.
_OPTIONAL_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "BI-RADS": ("4A", "4B", "4C"),
    "LI-RADS": ("LR-NC", "LR-TIV"),
}

_NOTE = {
    "en": "This explains words; it does not interpret your images or give a diagnosis.",
    "es": "Esto explica palabras; no interpreta sus imágenes ni da un diagnóstico.",
}

# For a flagged phrase the glossary does not know (a phrase added to reportlang later).
_FALLBACK = {
    "en": ("Wording that leaves some doubt about what the report describes.",
           "The report says “{phrase}”. What does that mean in my case, and what would make it clearer?"),
    "es": ("Una expresión que deja alguna duda sobre lo que describe el informe.",
           "El informe dice «{phrase}». ¿Qué significa en mi caso y qué lo aclararía?"),
}

_DEFAULT_FOLDER = "glossary"


class GlossaryError(BundlerError):
    """A glossary file is malformed (the message names the file and the line)."""

    code = "glossary_malformed"


# --------------------------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One glossary entry in one language."""

    id: str  # stable: "nodule", "lung-rads-4b"
    lang: str  # "en" or "es"
    term: str  # the headword in this language: "nodule", "nódulo", "Lung-RADS 4B"
    definition: str
    question: str  # "" when the entry suggests none
    reference: str  # the public reference it was checked against
    topic: str  # the file it comes from: "findings", "scales", "wording"...
    terms: tuple[str, ...] = ()  # every form listed for this language, abbreviations last
    scale: str = ""  # for assessment categories: "BI-RADS"...
    category: str = ""  # "4B", "TR3", "LR-5"; "" for the scale itself


@dataclass(frozen=True, slots=True)
class TermMatch:
    """A glossary term found in a text: ``text[start:end]`` is ``written``."""

    start: int
    end: int
    written: str
    entry: Entry

    @property
    def entry_id(self) -> str:
        return self.entry.id


@dataclass(frozen=True, slots=True)
class FlagExplanation:
    """A flagged phrase (hedge or assessment category) with its plain meaning."""

    flag: FlaggedPhrase
    entry: Entry | None  # None when the glossary has no entry for it (a generic text is used)
    definition: str
    question: str


@dataclass(frozen=True, slots=True)
class SuggestedQuestion:
    """A question the patient could add to their own, and the wording that prompted it."""

    text: str
    entry_id: str
    phrase: str  # the flagged phrase, normalised ("cannot be excluded", "Lung-RADS 4B")
    sentences: tuple[str, ...]  # where the report uses it


@dataclass(frozen=True, slots=True)
class Explanation:
    """What a report's words mean, in one language.

    ``terms`` are in text order and never overlap; ``flags`` follow the report's order;
    ``questions`` are the flags' questions without repeats. ``note`` must be shown wherever
    the explanation is.
    """

    lang: str
    note: str
    terms: tuple[TermMatch, ...] = ()
    flags: tuple[FlagExplanation, ...] = ()
    questions: tuple[SuggestedQuestion, ...] = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The entries of the terms found, once each, in order of first appearance."""
        first: dict[str, Entry] = {}
        for m in self.terms:
            first.setdefault(m.entry.id, m.entry)
        return tuple(first.values())

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (the ``explain --json`` contract, minus the ID)."""
        return {
            "lang": self.lang,
            "note": self.note,
            "terms": [
                {"term": m.written, "start": m.start, "end": m.end, "entry_id": m.entry.id,
                 "definition": m.entry.definition, "question": m.entry.question,
                 "reference": m.entry.reference}
                for m in self.terms
            ],
            "flags": [
                {"phrase": f.flag.phrase, "kind": f.flag.kind, "sentence": f.flag.sentence,
                 "section": f.flag.section, "entry_id": f.entry.id if f.entry else "",
                 "definition": f.definition, "question": f.question}
                for f in self.flags
            ],
            "suggested_questions": [q.text for q in self.questions],
        }


# --------------------------------------------------------------------------------------------
# Folding and words
# --------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
# What may stand between two words of a term: spaces, at most one line break, and up to two
# joiners ("ground-glass", "PET/CT", "BI-RADS®: 4", "can't").
_SPACE = r"[^\S\n]*+(?:\n[^\S\n]*+)?+"  # spaces and at most one line break
_GAP = re.compile(rf"{_SPACE}(?:[-\u2010\u2011\u2013/:#'\u2019\u00ae]{_SPACE}){{0,2}}+")
_WORD_CHAR = re.compile(r"\w")
_NEGATING_PREFIX = re.compile(r"(?<!\w)(?:non|no)[-\u2010\u2011]$")
# After a number ending a term: a decimal ("BI-RADS 4.5") or points ("TI-RADS 4 points") is
# not a category.
_NOT_AFTER_NUMBER = re.compile(r"[.,]\d|-\d|\s*+(?:points?|pts?|puntos?)(?!\w)", re.IGNORECASE)


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Lower case without accents; may be "" (a combining mark) or longer than one character."""
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(ch) for ch in text)


class _Folded:
    """A text folded for matching, with a map from folded positions back to the original."""

    __slots__ = ("ends", "folded", "starts")

    def __init__(self, text: str) -> None:
        self.starts: list[int] | None = None
        self.ends: list[int] | None = None
        if text.isascii():
            self.folded = text.lower()
            return
        chars = set(text)
        if all(len(_fold_char(c)) == 1 for c in chars):
            self.folded = text.translate({ord(c): _fold_char(c) for c in chars})
            return
        # Rare: combining marks, ligatures. Map each folded character to its source character;
        # a combining mark extends the character before it.
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for i, ch in enumerate(text):
            f = _fold_char(ch)
            if not f:
                if ends:
                    ends[-1] = i + 1
                continue
            out.append(f)
            starts.extend([i] * len(f))
            ends.extend([i + 1] * len(f))
        self.folded, self.starts, self.ends = "".join(out), starts, ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``folded[start:end]`` (``end > start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(_fold(text)))


# --------------------------------------------------------------------------------------------
# Inflection: the plural forms generated from each term
# --------------------------------------------------------------------------------------------

_ES_FUNCTION_WORDS = frozenset(
    "a al con de del el en la las lo los no o para por se sin su sus un una y que".split()
)
_VOWELS = "aeiou"


def _en_plurals(word: str) -> set[str]:
    if len(word) < 2 or not word.isalpha():
        return set()
    out: set[str] = set()
    if word.endswith("y") and word[-2] not in _VOWELS:
        out.add(word[:-1] + "ies")
    elif word.endswith(("s", "x", "z", "ch", "sh")):
        out.add(word + "es")
    else:
        out.add(word + "s")
    # The Latin plurals of radiology: hila, vertebrae, bronchi, metastases, apices.
    if word.endswith("um"):
        out.add(word[:-2] + "a")
    elif word.endswith("a"):
        out.add(word + "e")
    elif word.endswith("us"):
        out.add(word[:-2] + "i")
    elif word.endswith("is"):
        out.add(word[:-2] + "es")
    elif word.endswith(("ex", "ix")):
        out.add(word[:-2] + "ices")
    return out


def _es_plurals(word: str) -> set[str]:
    if len(word) < 3 or not word.isalpha() or word in _ES_FUNCTION_WORDS:
        return set()
    if word.endswith(tuple(_VOWELS)):
        return {word + "s"}
    if word.endswith("z"):
        return {word[:-1] + "ces"}
    return {word + "es"}  # pulmón → pulmones, pleural → pleurales (folded: accents are gone)


_MAX_VARIANTS = 32


def _inflections(words: tuple[str, ...], lang: str) -> set[tuple[str, ...]]:
    """Plural forms of a folded term (not including the term itself)."""
    if lang == "en":
        return {words[:-1] + (p,) for p in _en_plurals(words[-1])}
    forms: list[tuple[str, ...]] = [()]
    for w in words:
        choices = [w, *sorted(_es_plurals(w))]
        forms = [f + (c,) for f in forms for c in choices][:_MAX_VARIANTS]
    return set(forms) - {words}


# --------------------------------------------------------------------------------------------
# The word trie
# --------------------------------------------------------------------------------------------


_BOTH = frozenset(LANGUAGES)


class _Node:
    __slots__ = ("children", "declared", "entry_id", "langs")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry_id = ""
        self.declared = False
        self.langs: frozenset[str] = frozenset()  # the languages that use this form


class _Trie:
    def __init__(self) -> None:
        self.root = _Node()

    def add(self, words: Sequence[str], entry_id: str, langs: Iterable[str], *, declared: bool) -> None:
        node = self.root
        for w in words:
            node = node.children.setdefault(w, _Node())
        # A listed form beats a generated one; otherwise the first entry keeps the form.
        if not node.entry_id or (declared and not node.declared):
            node.entry_id, node.declared, node.langs = entry_id, declared, frozenset(langs)
        elif node.entry_id == entry_id:
            node.langs |= frozenset(langs)


# --------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------

_ENTRY_KEYS = frozenset({"id", "reference", "flags", "scale", "category", *LANGUAGES})
_LANG_KEYS = frozenset({"terms", "abbr", "definition", "question"})
_FILE_KEYS = frozenset({"entry", "inflect"})
_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ENTRY_HEADER = re.compile(r"\s*\[\[\s*entry\s*\]\]")
_MAX_TERM_WORDS = 8


@dataclass(frozen=True, slots=True)
class _Wording:
    term: str
    definition: str
    question: str
    terms: tuple[str, ...]
    abbr: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Raw:
    id: str
    source: str
    line: int
    topic: str
    reference: str
    inflect: bool
    wording: Mapping[str, _Wording]
    flags: tuple[str, ...] = ()
    scale: str = ""
    category: str = ""


class _File:
    """One glossary file's text, for line numbers in messages."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()
        self.entry_lines = [i + 1 for i, line in enumerate(self.lines) if _ENTRY_HEADER.match(line)]

    def line(self, index: int, key: str | None = None) -> int:
        """The line of the ``index``-th ``[[entry]]`` (or of ``key`` inside it); 0 if unknown."""
        if index >= len(self.entry_lines):
            return 0
        start = self.entry_lines[index]
        if key is None:
            return start
        stop = self.entry_lines[index + 1] - 1 if index + 1 < len(self.entry_lines) else len(self.lines)
        last = key.rsplit(".", 1)[-1]
        rx = re.compile(rf"\s*(?:{re.escape(key)}|{re.escape(last)})\s*=")
        return next((i + 1 for i in range(start, stop) if rx.match(self.lines[i])), start)

    def error(self, index: int, problem: str, key: str | None = None, entry_id: str = "") -> GlossaryError:
        line = self.line(index, key)
        where = f"line {line}" if line else f"entry {index + 1}"
        what = f" (entry '{entry_id}')" if entry_id else ""
        return GlossaryError(f"The glossary file {self.source}, {where}{what}: {problem}.")


def _strings(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(" ".join(v.split()) for v in value)


def _scale_label(scale: str, category: str) -> str:
    return f"{scale} {category}" if category else scale


def _parse_file(source: str, text: str) -> list[_Raw]:
    f = _File(source, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message ends "(at line L, column C)"
        raise GlossaryError(f"The glossary file {source} is not valid TOML: {e}.") from e
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise GlossaryError(f"The glossary file {source}: unknown top-level key '{unknown[0]}' "
                            "(entries are [[entry]] tables).")
    inflect = data.get("inflect", True)
    if not isinstance(inflect, bool):
        raise GlossaryError(f"The glossary file {source}: 'inflect' must be true or false.")
    raw_entries = data.get("entry", [])
    if not isinstance(raw_entries, list) or not all(isinstance(e, dict) for e in raw_entries):
        raise GlossaryError(f"The glossary file {source}: entries must be [[entry]] tables.")
    topic = source.rsplit("/", 1)[-1].removesuffix(".toml")
    out: list[_Raw] = []
    for index, raw in enumerate(raw_entries):
        out.append(_parse_entry(f, index, raw, topic, inflect))
    return out


def _parse_entry(f: _File, index: int, raw: dict[str, Any], topic: str, inflect: bool) -> _Raw:
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not _ID.fullmatch(entry_id):
        raise f.error(index, "'id' must be lower-case letters, digits and hyphens ('lung-nodule')", "id")
    for key in raw:
        if key not in _ENTRY_KEYS:
            raise f.error(index, f"unknown key '{key}' (known: {', '.join(sorted(_ENTRY_KEYS))})", key, entry_id)
    reference = raw.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise f.error(index, "'reference' must name the public source the entry was checked against",
                      "reference", entry_id)
    flags = _strings(raw.get("flags", []))
    if flags is None:
        raise f.error(index, "'flags' must be a list of phrases", "flags", entry_id)
    scale, category = raw.get("scale", ""), raw.get("category", "")
    if not isinstance(scale, str) or not isinstance(category, str):
        raise f.error(index, "'scale' and 'category' must be text", "scale", entry_id)
    if scale and scale not in SCALE_CATEGORIES:
        raise f.error(index, f"unknown scale '{scale}' (known: {', '.join(SCALE_CATEGORIES)})", "scale", entry_id)
    if category and category not in (*SCALE_CATEGORIES.get(scale, ()), *_OPTIONAL_CATEGORIES.get(scale, ())):
        raise f.error(index, f"'{category}' is not a category of {scale or 'any scale'}", "category", entry_id)
    wording: dict[str, _Wording] = {}
    for lang in LANGUAGES:
        part = raw.get(lang)
        if not isinstance(part, dict):
            raise f.error(index, f"the {_LANG_NAME[lang]} wording ({lang}.definition, {lang}.terms) is missing",
                          None, entry_id)
        for key in part:
            if key not in _LANG_KEYS:
                raise f.error(index, f"unknown key '{lang}.{key}' (known: {', '.join(sorted(_LANG_KEYS))})",
                              f"{lang}.{key}", entry_id)
        definition, question = part.get("definition"), part.get("question", "")
        if not isinstance(definition, str) or not definition.strip():
            raise f.error(index, f"the {_LANG_NAME[lang]} definition ({lang}.definition) is missing",
                          f"{lang}.definition", entry_id)
        if not isinstance(question, str):
            raise f.error(index, f"'{lang}.question' must be text", f"{lang}.question", entry_id)
        terms, abbr = _strings(part.get("terms", [])), _strings(part.get("abbr", []))
        if terms is None or abbr is None:
            raise f.error(index, f"'{lang}.terms' and '{lang}.abbr' must be lists of words", f"{lang}.terms", entry_id)
        if not terms and not abbr and not scale:
            raise f.error(index, f"the {_LANG_NAME[lang]} terms ({lang}.terms) are missing", f"{lang}.terms", entry_id)
        for term in terms + abbr:
            words = _WORD.findall(term)
            if not words or len(words) > _MAX_TERM_WORDS:
                raise f.error(index, f"the term '{term}' must have 1 to {_MAX_TERM_WORDS} words",
                              f"{lang}.terms", entry_id)
        headword = _scale_label(scale, category) if scale else (terms or abbr)[0]
        wording[lang] = _Wording(headword, " ".join(definition.split()), " ".join(question.split()), terms, abbr)
    return _Raw(entry_id, f.source, f.line(index), topic, " ".join(reference.split()), inflect, wording,
                flags, scale, category)


_LANG_NAME = {"en": "English", "es": "Spanish"}

# How reports write an assessment category: the scale's names, optional words, the category.
_SCALE_WORDS: Mapping[str, tuple[str, ...]] = {
    "BI-RADS": ("BI-RADS", "BIRADS", "ACR BI-RADS"),
    "TI-RADS": ("TI-RADS", "TIRADS", "ACR TI-RADS"),
    "Lung-RADS": ("Lung-RADS", "LungRADS", "ACR Lung-RADS"),
    "PI-RADS": ("PI-RADS", "PIRADS"),
    "LI-RADS": ("LI-RADS", "LIRADS", "ACR LI-RADS"),
}
_CATEGORY_WORDS = ("", "category", "cat", "categoría", "assessment category", "final assessment category",
                   "score", "puntuación", "categoría final")


def _category_forms(scale: str, category: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(folded forms, exact-case forms) of one assessment category, or of the scale itself."""
    folded: list[tuple[str, ...]] = []
    exact: list[tuple[str, ...]] = []
    if not category:
        return [_words(s) for s in _SCALE_WORDS[scale]], exact
    values = [category]
    if scale == "TI-RADS":
        values = [category, category[2:], f"TR {category[2:]}"]  # TR3, 3, "TR 3"
        exact += [(category,), ("TR", category[2:])]
    elif scale == "LI-RADS":
        values = [category, category[3:], f"LR {category[3:]}", category.replace("-", "")]
        exact += [tuple(_WORD.findall(category)), (category.replace("-", ""),)]
    elif scale == "Lung-RADS":
        values = [category, f"{category}S"]  # the S modifier ("2S", "4BS"): the category is the same
    for name in _SCALE_WORDS[scale]:
        for middle in _CATEGORY_WORDS:
            for value in values:
                folded.append(_words(f"{name} {middle} {value}"))
    return folded, exact


def _walk(
    node: _Node, words: Sequence[str], spans: Sequence[tuple[int, int]], i: int, ftext: str
) -> list[tuple[int, _Node]]:
    """(words, node) of every term under ``node`` (a trie root) starting at word ``i``, shortest
    first."""
    found: list[tuple[int, _Node]] = []
    for j in range(i, len(words)):
        if j > i and not _GAP.fullmatch(ftext, spans[j - 1][1], spans[j][0]):
            break
        child = node.children.get(words[j])
        if child is None:
            break
        node = child
        e = spans[j][1]
        # "BI-RADS 4.5" and "TI-RADS 4 points" are not categories.
        if node.entry_id and not (ftext[e - 1].isdigit() and _NOT_AFTER_NUMBER.match(ftext, e)):
            found.append((j - i + 1, node))
    return found


# Words that tell the language of a report (folded). A report's own language decides which
# single words of the other language may match: "control" is a Spanish term ("follow-up
# scan") but an ordinary English word.
_LANGUAGE_MARKERS = {
    "en": frozenset("the of and with is are was were there this that to for in on no not without".split()),
    "es": frozenset("el la los las de del y con sin se en que por para un una no hay".split()),
}
_MARKERS_NEEDED = 3


def _text_language(words: Sequence[str]) -> str:
    """"en", "es", or "" when the text is too short or too mixed to tell (``words`` folded)."""
    head = words[:5000]
    en = sum(1 for w in head if w in _LANGUAGE_MARKERS["en"])
    es = sum(1 for w in head if w in _LANGUAGE_MARKERS["es"])
    if en >= _MARKERS_NEEDED and en > 2 * es:
        return "en"
    if es >= _MARKERS_NEEDED and es > 2 * en:
        return "es"
    return ""


def _fits_language(node: _Node, length: int, written: str, text_lang: str) -> bool:
    """Whether a form may match in a text of ``text_lang``: always when the language uses it
    or is unknown; a form of the other language only when it cannot be an ordinary word of
    this one (several words, an accented word, an acronym as written: "vidrio deslustrado",
    "nódulo", "FDG")."""
    if not text_lang or text_lang in node.langs or length > 1:
        return True
    return not written.isascii() or (written.isupper() and len(written) <= 6)


class Glossary:
    """A validated glossary; the matcher is built on first use."""

    def __init__(self, raws: Sequence[_Raw]) -> None:
        self._raws = {r.id: r for r in raws}
        self._entries: dict[str, dict[str, Entry]] = {
            lang: {r.id: _entry(r, lang) for r in raws} for lang in LANGUAGES
        }
        self._flags: dict[str, str] = {}
        self._categories: dict[tuple[str, str], str] = {}
        for r in raws:
            for phrase in r.flags:
                self._flags[" ".join(_words(phrase))] = r.id
            if r.scale:
                self._categories[(r.scale, r.category)] = r.id

    # --- look-ups ---

    def entry(self, entry_id: str, lang: str) -> Entry:
        """One entry in ``lang``; :class:`~bundler.errors.UsageError` for an unknown ID."""
        try:
            return self._entries[_lang(lang)][entry_id]
        except KeyError:
            raise UsageError("The glossary has no entry with that ID.") from None

    def entries(self, lang: str) -> tuple[Entry, ...]:
        """Every entry in ``lang``, in file order."""
        return tuple(self._entries[_lang(lang)].values())

    def flag_entry(self, flag: FlaggedPhrase) -> str:
        """The ID of the entry that explains ``flag``; "" when there is none."""
        if flag.kind == "category" and flag.scale:
            category = flag.category.upper()
            for key in ((flag.scale, category), (flag.scale, category.removesuffix("S")), (flag.scale, "")):
                if key in self._categories:
                    return self._categories[key]
            return ""
        words = _words(flag.phrase)
        found = self._flags.get(" ".join(words))
        if found is None and words:
            node = self._tries[0].root
            for w in words:
                node = node.children.get(w) or _Node()
            found = node.entry_id if node.declared else ""
        return found or ""

    # --- matching ---

    @functools.cached_property
    def _tries(self) -> tuple[_Trie, _Trie]:
        """(folded trie, exact-case trie) over both languages' terms."""
        folded, exact = _Trie(), _Trie()
        generated: list[tuple[tuple[str, ...], str, str]] = []
        for r in self._raws.values():
            for lang in LANGUAGES:
                w = r.wording[lang]
                for term in w.terms:
                    words = _words(term)
                    folded.add(words, r.id, (lang,), declared=True)
                    if r.inflect:
                        generated += [(form, r.id, lang) for form in _inflections(words, lang)]
                for abbr in w.abbr:
                    words = tuple(_WORD.findall(abbr))
                    exact.add(words, r.id, _BOTH, declared=True)
                    exact.add(words[:-1] + (words[-1] + "s",), r.id, _BOTH, declared=False)  # "GGOs"
            if r.scale:
                forms, exact_forms = _category_forms(r.scale, r.category)
                for form in forms:
                    folded.add(form, r.id, _BOTH, declared=True)
                for form in exact_forms:
                    exact.add(form, r.id, _BOTH, declared=True)
        for form, entry_id, lang in generated:
            folded.add(form, entry_id, (lang,), declared=False)
        return folded, exact

    def find_terms(self, text: str, lang: str) -> tuple[TermMatch, ...]:
        """Glossary terms in ``text``, in order, without overlaps; spans index ``text``."""
        entries = self._entries[_lang(lang)]
        folded_trie, exact_trie = self._tries
        prepared = _Folded(text)
        ftext = prepared.folded
        spans = [m.span() for m in _WORD.finditer(ftext)]
        words = [ftext[s:e] for s, e in spans]
        if prepared.starts is None:  # one folded character per character: the same spans
            written = [text[s:e] for s, e in spans]
        else:
            written = [text[slice(*prepared.span(s, e))] for s, e in spans]
        text_lang = _text_language(words)
        folded_root, exact_root = folded_trie.root.children, exact_trie.root.children
        out: list[TermMatch] = []
        i, n = 0, len(spans)
        while i < n:
            if words[i] not in folded_root and written[i] not in exact_root:
                i += 1
                continue
            s0 = spans[i][0]
            if s0 >= 3 and ftext[s0 - 1] in "-\u2010\u2011" and _NEGATING_PREFIX.search(ftext, max(0, s0 - 5), s0):
                i += 1  # "non-enhancing" is not "enhancing"
                continue
            candidates = _walk(folded_trie.root, words, spans, i, ftext) if words[i] in folded_root else []
            if written[i] in exact_root:
                candidates += _walk(exact_trie.root, written, spans, i, ftext)  # exact wins a tie: later
            length, entry_id = 0, ""
            for n_words, node in candidates:
                if n_words >= length:
                    start, end = prepared.span(s0, spans[i + n_words - 1][1])
                    if _fits_language(node, n_words, text[start:end], text_lang):
                        length, entry_id = n_words, node.entry_id
            if length:
                start, end = prepared.span(s0, spans[i + length - 1][1])
                # A folded word can start or end inside an original character ("⅓" folds to
                # "1⁄3"): never report a match that is not at a word boundary of the text.
                if not (start and _WORD_CHAR.match(text, start - 1)) and not _WORD_CHAR.match(text, end):
                    out.append(TermMatch(start, end, text[start:end], entries[entry_id]))
                    i += length
                    continue
            i += 1
        return tuple(out)


def _entry(r: _Raw, lang: str) -> Entry:
    w = r.wording[lang]
    return Entry(r.id, lang, w.term, w.definition, w.question, r.reference, r.topic, w.terms + w.abbr,
                 r.scale, r.category)


def _check(raws: Sequence[_Raw]) -> None:
    """Checks across entries and files: unique IDs, terms, flags; every scale category present."""

    def where(r: _Raw) -> str:
        return f"{r.source}, line {r.line}" if r.line else r.source

    seen_ids: dict[str, _Raw] = {}
    for r in raws:
        if r.id in seen_ids:
            raise GlossaryError(f"The glossary file {where(r)}: the id '{r.id}' is already used "
                                f"({where(seen_ids[r.id])}).")
        seen_ids[r.id] = r
    # A form (folded words, or exact words for abbreviations) belongs to one entry, in both
    # languages together: a report is matched against both.
    owners: dict[tuple[str, tuple[str, ...]], tuple[_Raw, str]] = {}
    for r in raws:
        for lang in LANGUAGES:
            w = r.wording[lang]
            keys = [("word", _words(t)) for t in w.terms] + [("abbr", tuple(_WORD.findall(a))) for a in w.abbr]
            for key, written in zip(keys, w.terms + w.abbr, strict=True):
                other = owners.get(key)
                if other is None:
                    owners[key] = (r, lang)
                elif other[0].id != r.id or other[1] == lang:
                    raise GlossaryError(
                        f"The glossary file {where(r)} (entry '{r.id}'): the {_LANG_NAME[lang]} term "
                        f"'{written}' is also listed by entry '{other[0].id}' ({_LANG_NAME[other[1]]}, "
                        f"{where(other[0])}).")
    flags: dict[str, _Raw] = {}
    categories: dict[tuple[str, str], _Raw] = {}
    for r in raws:
        for phrase in r.flags:
            key = " ".join(_words(phrase))
            if key in flags:
                raise GlossaryError(f"The glossary file {where(r)} (entry '{r.id}'): the flagged phrase "
                                    f"'{phrase}' is already explained by entry '{flags[key].id}'.")
            flags[key] = r
        if r.scale:
            if (r.scale, r.category) in categories:
                raise GlossaryError(f"The glossary file {where(r)} (entry '{r.id}'): "
                                    f"{_scale_label(r.scale, r.category)} is already explained by entry "
                                    f"'{categories[(r.scale, r.category)].id}'.")
            categories[(r.scale, r.category)] = r
    for scale, required in SCALE_CATEGORIES.items():
        missing = [c for c in required if (scale, c) not in categories]
        if missing:
            raise GlossaryError(f"The glossary has no entry for {', '.join(_scale_label(scale, c) for c in missing)}.")


def load_glossary(files: Iterable[tuple[str, str]] | None = None) -> Glossary:
    """Load and validate a glossary.

    Parameters
    ----------
    files
        ``(name, TOML text)`` pairs; by default every ``*.toml`` in ``resources/glossary``
        (cached: the packaged glossary is read once).

    Raises
    ------
    GlossaryError
        A file is not valid TOML, an entry lacks a language, a definition or a reference, a
        term is listed twice, or a category of a scale has no entry. The message names the
        file and the line.
    """
    if files is None:
        return _default()
    raws: list[_Raw] = []
    for source, text in files:
        raws += _parse_file(source, text)
    _check(raws)
    return Glossary(raws)


def _packaged_files() -> Iterator[tuple[str, str]]:
    folder = importlib.resources.files("bundler_resources").joinpath(_DEFAULT_FOLDER)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml") and item.is_file():
            yield f"{_DEFAULT_FOLDER}/{item.name}", item.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _default() -> Glossary:
    return load_glossary(list(_packaged_files()))


def _lang(lang: str) -> str:
    """"es", "ES", "es_MX", "es-419" → "es"."""
    code = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    if code not in LANGUAGES:
        raise UsageError("Explanations are available in English (en) and Spanish (es).")
    return code


# --------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------


def note(lang: str) -> str:
    """The calm note shown wherever explanations appear."""
    return _NOTE[_lang(lang)]


def entry(entry_id: str, lang: str) -> Entry:
    """One entry of the packaged glossary in ``lang`` ("en", "es"; "es_MX" is "es")."""
    return _default().entry(entry_id, lang)


def entries(lang: str) -> tuple[Entry, ...]:
    """Every entry of the packaged glossary in ``lang``."""
    return _default().entries(lang)


def find_terms(text: str, *, lang: str) -> tuple[TermMatch, ...]:
    """Glossary terms in ``text`` (English or Spanish words), explained in ``lang``.

    Spans index ``text`` as given; matches never overlap and never start or end inside a word.
    """
    return _default().find_terms(text, lang)


def explain_flag(flag: FlaggedPhrase, *, lang: str, glossary: Glossary | None = None) -> FlagExplanation:
    """A flagged phrase's plain meaning and question in ``lang`` (a generic one when the
    glossary has no entry for it)."""
    g = glossary or _default()
    code = _lang(lang)
    entry_id = g.flag_entry(flag)
    if entry_id:
        e = g.entry(entry_id, code)
        return FlagExplanation(flag, e, e.definition, e.question)
    definition, question = _FALLBACK[code]
    return FlagExplanation(flag, None, definition, question.format(phrase=flag.phrase))


def _questions(flags: Sequence[FlagExplanation]) -> tuple[SuggestedQuestion, ...]:
    """The flags' questions, once each; a category's question names the category, so that it
    still makes sense in the patient's own list ("Lung-RADS 4B: What is the next step...")."""
    by_text: dict[str, tuple[str, str, list[str]]] = {}
    for f in flags:
        if not f.question:
            continue
        text = f"{f.flag.phrase}: {f.question}" if f.flag.kind == "category" else f.question
        entry_id, phrase, sentences = by_text.setdefault(text, (f.entry.id if f.entry else "", f.flag.phrase, []))
        if f.flag.sentence and f.flag.sentence not in sentences:
            sentences.append(f.flag.sentence)
    return tuple(SuggestedQuestion(text, entry_id, phrase, tuple(sentences))
                 for text, (entry_id, phrase, sentences) in by_text.items())


def explain_text(
    text: str,
    *,
    lang: str,
    flags: Sequence[FlaggedPhrase] | None = None,
    glossary: Glossary | None = None,
) -> Explanation:
    """Explain a report's words in ``lang`` ("en" or "es").

    Parameters
    ----------
    text
        The report's text, in English or Spanish (both languages' terms are looked for).
    lang
        The language of the explanations.
    flags
        The report's flagged phrases when already known (``ParsedDocument.flags``); by default
        :func:`bundler.reportlang.find_flags` finds them.
    glossary
        Another glossary (tests); by default the packaged one.

    Returns
    -------
    Explanation
        The terms found with their entries, the flags with their meanings, the suggested
        questions, and the note to show with them.
    """
    from bundler.reportlang import find_flags

    g = glossary or _default()
    code = _lang(lang)
    found = tuple(flags) if flags is not None else find_flags(text)
    explained = tuple(explain_flag(f, lang=code, glossary=g) for f in found)
    return Explanation(code, _NOTE[code], g.find_terms(text, code), explained, _questions(explained))


def explain_document(parsed: ParsedDocument, *, lang: str, glossary: Glossary | None = None) -> Explanation:
    """Explain a document's text (see :func:`explain_text`), using the flags found at import.

    A document imported without flags (not classified as a radiology report) has its flags
    found now, with its sections when known.
    """
    from bundler.reportlang import find_flags

    flags = parsed.flags or (find_flags(parsed.text, parsed.sections) if parsed.text.strip() else ())
    return explain_text(parsed.text, lang=lang, flags=flags, glossary=glossary)

