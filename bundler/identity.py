"""One patient across all records? The identity check.

Every record that names its patient (a DICOM study, a document, the patient's own details)
becomes an :class:`~bundler.model.IdentityClaim`; :func:`check_identity` groups the claims into
persons and says whether the case is about one person, most likely one person with something to
check (ATTENTION), or more than one person (MISMATCH: wrong-patient media, a stop sign for a
front desk).

Names are compared, not matched as strings: DICOM PN (``Family^Given^Middle^Prefix^Suffix``,
and the ``Alphabetic=Ideographic=Phonetic`` groups of PS3.5 §6.2.1.2), "Last, First Middle"
and "First Middle Last" are parsed; case, accents and the letters that do not decompose
(ß, ø, æ, ł...) are folded; titles and degrees are dropped; a missing middle name, initials,
given and family names swapped, and a compound family name written in part or without its
hyphen still match. Different family names never match; nor do different given names.

Compound family names (``Muñoz-Šimková``, ``Muñoz Šimková``, ``Muñoz y Šimková``): two family
names match when the words of one are all among the words of the other (particles such as "de"
and "y" aside), so one of the two surnames alone matches the pair, as Spanish-speaking
patients and clinics often write it. "Muñoz" and "Muñoz-Martínez" therefore match too: an
acceptable risk, since the given name and the birth date must agree as well.

Nothing here logs a name, an ID or a birth date.
"""

from __future__ import annotations

import datetime
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import Any

from bundler.model import (
    Document,
    IdentityClaim,
    IdentityConflict,
    IdentityReport,
    IdentityStatus,
    Intake,
    PersonRecord,
    Study,
)

__all__ = [
    "ParsedName",
    "check_identity",
    "claims_from_case",
    "identity_json",
    "parse_date",
    "parse_name",
    "same_name",
]

_log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------ folding

# Letters that carry no combining mark under NFKD, so stripping marks leaves them as they are.
_LETTERS = str.maketrans({
    "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ı": "i", "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k", "ſ": "s",
    "’": "", "'": "", "‘": "", "ʼ": "", "`": "", "´": "",  # O'Brien = OBrien
})  # fmt: skip


def _is_diacritic(ch: str) -> bool:
    """A combining mark of the Latin, Greek and Cyrillic scripts (not kana's voicing marks,
    U+3099/U+309A, which make a different sound, not an accent)."""
    o = ord(ch)
    return (
        0x0300 <= o <= 0x036F
        or 0x1AB0 <= o <= 0x1AFF
        or 0x1DC0 <= o <= 0x1DFF
        or 0x20D0 <= o <= 0x20FF
        or 0xFE20 <= o <= 0xFE2F
    )


def _fold(text: str) -> str:
    """Case, accents and compatibility forms folded away: "Šimková" → "simkova"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not _is_diacritic(ch))
    return unicodedata.normalize("NFKC", stripped).casefold().translate(_LETTERS)


_SEPARATORS = re.compile(r"[\W_]+")


def _tokens(text: str) -> tuple[str, ...]:
    """The folded words of a name part, split at spaces, hyphens and punctuation."""
    return tuple(t for t in _SEPARATORS.split(_fold(text)) if t)


def _compact(text: str) -> str:
    return "".join(_tokens(text))


# Leading words that are titles, not names (English and Spanish; "Sr." leading is Señor).
_TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "dra", "prof", "sr", "sra", "srta", "herr", "frau",
    "mme", "mlle", "rev",
})  # fmt: skip
# Trailing words: generational suffixes tell father from son, so they are compared.
_GENERATIONS = frozenset({"jr", "sr", "ii", "iii", "iv", "2nd", "3rd", "4th", "junior", "senior"})
_GENERATION_CODES = {"junior": "jr", "senior": "sr", "2nd": "ii", "3rd": "iii", "4th": "iv"}
# Trailing degrees and credentials: ignored.
_DEGREES = frozenset({
    "md", "phd", "dds", "dmd", "rn", "np", "mba", "facs", "facr", "facp", "msc", "bsc", "mph",
    "esq", "frcp", "frcs", "frcr", "mbbs", "lpn", "crna", "dnp", "pharmd", "od", "dpm",
})  # fmt: skip
_SUFFIXES = _GENERATIONS | _DEGREES
# Particles of family names: not enough, alone, to say two family names share a word.
_PARTICLES = frozenset({
    "de", "del", "della", "der", "den", "di", "da", "das", "dos", "du", "la", "las", "le", "los",
    "van", "von", "y", "i", "e", "ten", "ter", "st", "bin", "binti", "bint", "ibn", "al", "el",
})  # fmt: skip
# What anonymised or unlabelled records put where a name goes: no name at all.
_PLACEHOLDERS = frozenset({
    "anonymous", "anonymized", "anonymised", "anon", "unknown", "noname", "none", "na", "null",
    "patient", "unnamed", "desconocido", "anonimo",
})  # fmt: skip


def _word_key(word: str) -> str:
    return _compact(word)


# --------------------------------------------------------------------------------- parse_name


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A person's name split into its parts, as written (not folded).

    ``order_known`` is False for free text without a comma ("Zoë Muñoz Šimková"), where which
    words are the family name is a guess (the last word); the matcher then tries every split.
    ``alternates`` holds the other groups of a multi-group DICOM PN (ideographic, phonetic).
    """

    family: str = ""
    given: str = ""
    middle: str = ""
    prefix: str = ""
    suffix: str = ""
    order_known: bool = True
    alternates: tuple[ParsedName, ...] = ()

    @property
    def groups(self) -> tuple[ParsedName, ...]:
        """This name and its alternates: every way the record writes it."""
        return (self, *self.alternates) if not self.is_empty else self.alternates

    @property
    def is_empty(self) -> bool:
        return not (self.family or self.given or self.middle)


def _split_affixes(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Leading titles and trailing suffixes off a list of words: (titles, words, suffixes)."""
    start, end = 0, len(words)
    while start < end - 1 and _word_key(words[start]) in _TITLES:
        start += 1
    while end > start + 1 and _word_key(words[end - 1]) in _SUFFIXES:
        end -= 1
    return words[:start], words[start:end], words[end:]


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w.strip(" .")]


def _parse_pn_group(group: str) -> ParsedName:
    # PS3.5 §6.2.1: family ^ given ^ middle ^ prefix ^ suffix; extra carets are malformed data.
    parts = [" ".join(p.split()) for p in group.split("^")]
    parts += [""] * (5 - len(parts))
    family, given, middle, prefix, suffix = parts[0], parts[1], parts[2], parts[3], " ".join(parts[4:]).strip()
    return ParsedName(family=family, given=given, middle=middle, prefix=prefix, suffix=suffix)


def _parse_free(text: str) -> ParsedName:
    """ "LAST, First Middle", "First Middle Last", with titles and suffixes."""
    parts = [" ".join(p.split()) for p in text.split(",")]
    parts = [p for p in parts if p.strip(" .")]
    # Trailing comma parts made only of suffixes ("Smith, John, Jr.", "John Smith, MD").
    suffixes: list[str] = []
    while len(parts) > 1 and all(_word_key(w) in _SUFFIXES for w in _words(parts[-1])):
        suffixes[:0] = _words(parts.pop())
    if len(parts) >= 2:
        fam_titles, fam_words, fam_suffixes = _split_affixes(_words(parts[0]))
        rest = _words(" ".join(parts[1:]))
        titles, given_words, more_suffixes = _split_affixes(rest)
        suffix = " ".join(fam_suffixes + more_suffixes + suffixes)
        return ParsedName(
            family=" ".join(fam_words),
            given=given_words[0] if given_words else "",
            middle=" ".join(given_words[1:]),
            prefix=" ".join(fam_titles + titles),
            suffix=suffix,
        )
    titles, words, trailing = _split_affixes(_words(parts[0]) if parts else [])
    suffix = " ".join(trailing + suffixes)
    if len(words) == 1:
        return ParsedName(family=words[0], prefix=" ".join(titles), suffix=suffix, order_known=False)
    return ParsedName(
        family=words[-1] if words else "",
        given=words[0] if words else "",
        middle=" ".join(words[1:-1]),
        prefix=" ".join(titles),
        suffix=suffix,
        order_known=False,
    )


def parse_name(text: str) -> ParsedName:
    """Split a person's name as a record writes it.

    Understands DICOM PN (``Family^Given^Middle^Prefix^Suffix``; with ``=`` separating the
    alphabetic, ideographic and phonetic groups, PS3.5 §6.2.1.2: ``Yamada^Tarou=山田^太郎=やまだ^たろう``),
    "LAST, First Middle" (also "Last, First, Jr." and "First Last, MD"), and "First Middle Last"
    with leading titles (Mr, Mrs, Ms, Dr, Sra., Sr.) and trailing suffixes (Jr, III, MD).
    The first non-empty group is the name; the others are its ``alternates``. Never raises.
    """
    text = text.replace("\x00", " ").strip()
    if not text:
        return ParsedName()
    groups = text.split("=")[:3] if ("^" in text or "=" in text) else [text]
    parsed = [(_parse_pn_group(g) if "^" in g else _parse_free(g)) for g in groups]
    parsed = [p for p in parsed if not p.is_empty]
    if not parsed:
        return ParsedName()
    first = parsed[0]
    return ParsedName(
        family=first.family,
        given=first.given,
        middle=first.middle,
        prefix=first.prefix,
        suffix=first.suffix,
        order_known=first.order_known,
        alternates=tuple(parsed[1:]),
    )


# ---------------------------------------------------------------------------------- same_name

_MAX_WORDS = 8  # a longer "name" is not a name; comparing every split of it is pointless


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way to read a name group: which folded words are the family name."""

    family: tuple[str, ...]
    given: tuple[str, ...]
    generation: str  # "jr", "iii"... or ""
    # How the reading was made: "known" (the format says which is the family name), "swapped"
    # (a known reading with given and family exchanged), "western" or "family_first" (a guess
    # at free text: given names first, or the family name first).
    kind: str


@dataclass(frozen=True, slots=True)
class _Forms:
    readings: tuple[_Reading, ...]
    compacts: frozenset[str]  # groups written as one word ("山田太郎"), for names without spaces
    joined: frozenset[str]  # every group's words run together, in each plausible order
    key: str  # the whole text folded, for texts with no name in them


def _generation(suffix: str) -> str:
    codes = {_GENERATION_CODES.get(t, t) for t in _tokens(suffix) if t in _GENERATIONS}
    return "+".join(sorted(codes))


def _readings(group: ParsedName) -> tuple[list[_Reading], set[str], set[str]]:
    gen = _generation(group.suffix)
    readings: list[_Reading] = []
    if group.order_known:
        family = _tokens(group.family)[:_MAX_WORDS]
        given = (_tokens(group.given) + _tokens(group.middle))[:_MAX_WORDS]
        if family or given:
            readings.append(_Reading(family, given, gen, "known"))
        if family and given:
            readings.append(_Reading(given, family, gen, "swapped"))
        words = family + given
        joined = {"".join(family + given), "".join(given + family)}
    else:
        words = (_tokens(group.given) + _tokens(group.middle) + _tokens(group.family))[:_MAX_WORDS]
        if len(words) == 1:
            readings.append(_Reading(words, (), gen, "known"))  # one word: a family name, as in PN
        for k in range(1, len(words)):
            readings.append(_Reading(words[k:], words[:k], gen, "western"))  # Given Middle | Family
            readings.append(_Reading(words[:k], words[k:], gen, "family_first"))  # Family | Given
        joined = {"".join(words)}
    compacts = {words[0]} if len(words) == 1 else set()
    return readings, compacts, {j for j in joined if j}


@lru_cache(maxsize=4096)
def _forms(text: str) -> _Forms:
    readings: list[_Reading] = []
    compacts: set[str] = set()
    joined: set[str] = set()
    for group in parse_name(text).groups:
        r, c, j = _readings(group)
        readings += r
        compacts |= c
        joined |= j
    return _Forms(tuple(dict.fromkeys(readings)), frozenset(compacts), frozenset(joined), _compact(text))


def _significant(words: tuple[str, ...]) -> frozenset[str]:
    kept = frozenset(w for w in words if w not in _PARTICLES)
    return kept or frozenset(words)


# How well two name parts match: not at all, one is part of the other, or fully.
_NO, _PART, _FULL = 0, 1, 2


def _family_match(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The same words, or the same letters split differently (McDonald ~ Mc Donald): full; the
    words of one all among the other's (Muñoz ~ Muñoz-Šimková, particles aside): part."""
    sa, sb = _significant(a), _significant(b)
    if sa == sb or "".join(a) == "".join(b):
        return _FULL
    return _PART if sa <= sb or sb <= sa else _NO


def _word_match(x: str, y: str) -> bool:
    """Equal words, or an initial and a word it begins ("z" ~ "zoe")."""
    return x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))


def _covers(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    if len(short) > len(long):
        return False
    free = list(long)
    for word in short:
        hit = next((i for i, w in enumerate(free) if _word_match(word, w)), None)
        if hit is None:
            return False
        del free[hit]
    return True


def _given_match(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The same given names (an initial counts as its name): full; every given name of one
    among the other's (a missing middle name): part."""
    if "".join(a) == "".join(b) or (len(a) == len(b) and _covers(a, b)):
        return _FULL
    return _PART if _covers(a, b) or _covers(b, a) else _NO


def _reading_match(a: _Reading, b: _Reading) -> bool:
    if a.generation and b.generation and a.generation != b.generation:
        return False  # John Smith Jr. is not John Smith Sr.
    if a.family and b.family:
        family = _family_match(a.family, b.family)
        if family == _NO:
            return False
        if not a.given or not b.given:
            return True
        given = _given_match(a.given, b.given)
        if given == _NO:
            return False
        # Part of the family name and part of the given names at once only when the format
        # says which is which: two guesses at free text would otherwise pair "Maria Garcia
        # Lopez" (given Maria) with "Jose Maria Garcia" (given Jose Maria).
        return family == _FULL or given == _FULL or "known" in (a.kind, b.kind)
    # A family name missing on one side: the given names must say it.
    return bool(a.given and b.given) and _given_match(a.given, b.given) != _NO


@lru_cache(maxsize=16384)
def _same(a: str, b: str) -> bool:
    fa, fb = _forms(a), _forms(b)
    if not fa.readings or not fb.readings:
        return fa.key == fb.key
    if fa.compacts & fb.joined or fb.compacts & fa.joined:
        return True  # "山田太郎" ~ "山田^太郎": a name written without spaces
    return any(_reading_match(x, y) for x, y in product(fa.readings, fb.readings))


def same_name(a: str, b: str) -> bool:
    """Whether two written names can be the same person's.

    Compares across DICOM PN, "Last, First" and "First Last"; case, accents and letters such as
    ß, ø, æ, ł; titles and degrees; given and family names swapped; a missing middle name;
    initials ("Z." ~ "Zoë"); a compound family name with or without its hyphen, or only one of
    its names ("Muñoz" ~ "Muñoz-Šimková"). Any group of a multi-group PN may match. Different
    family names, or different given names, do not match ("Zoe Munoz" ≠ "Zoe Martinez",
    "John Smith" ≠ "Jane Smith"); nor do different generational suffixes (Jr ≠ Sr).
    Symmetric, reflexive, and never raises. Texts without a name in them match only when they
    are the same text once folded.
    """
    x, y = (a, b) if a <= b else (b, a)  # one cache entry per pair, and symmetric by construction
    return _same(x, y)


def _has_name(text: str) -> bool:
    """Whether a record names someone ("ANONYMOUS^PATIENT" and "^^^^" do not)."""
    words = _tokens(text)
    return bool(_forms(text).readings) and "".join(words) not in _PLACEHOLDERS and not set(words) <= _PLACEHOLDERS


# ---------------------------------------------------------------------------------- dates

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?", re.ASCII)
_DOTTED = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})", re.ASCII)  # ACR-NEMA "1962.08.23"
_DA = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{2,6}(?:\.\d{1,6})?)?(?:[+-]\d{4})?", re.ASCII)  # DA, DT
_MONTH = re.compile(r"(\d{4})-?(\d{2})", re.ASCII)
_YEAR = re.compile(r"(\d{4})", re.ASCII)


def parse_date(text: str) -> str:
    """A date as ISO, as precise as written: "YYYY-MM-DD", "YYYY-MM", "YYYY", or "" when it is
    not a date (or not a real one, such as 1962-02-30).

    Reads DICOM DA ("19620823", PS3.5 §6.2) and DT (its time is dropped), ISO 8601 with or
    without a time, the ACR-NEMA "1962.08.23" form, and partial "1962-08", "196208", "1962".
    Day-first forms ("23/08/1962") are ambiguous and not read here. Never raises.
    """
    s = text.strip()
    for pattern in (_ISO, _DOTTED, _DA):
        m = pattern.fullmatch(s)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else ""
    m = _MONTH.fullmatch(s)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return f"{y:04d}-{mo:02d}" if _valid(y, mo, 1) else ""
    m = _YEAR.fullmatch(s)
    if m and _valid(int(m.group(1)), 1, 1):
        return m.group(1)
    return ""


def _valid(year: int, month: int, day: int) -> bool:
    if year < 1800:
        return False
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _complete(iso: str) -> bool:
    return len(iso) == 10


# ---------------------------------------------------------------------------------- check

_SEX_CODES = {
    "m": "M", "male": "M", "man": "M", "masculino": "M", "hombre": "M", "varon": "M", "h": "M",
    "f": "F", "female": "F", "woman": "F", "femenino": "F", "mujer": "F", "w": "F",
    "o": "O", "other": "O", "otro": "O", "x": "O",
}  # fmt: skip


def _sex(text: str) -> str:
    return _SEX_CODES.get(_compact(text), "")


def _id_key(text: str) -> str:
    return "".join(text.split()).casefold()


def _issuer_key(text: str) -> str:
    return " ".join(_tokens(text))


@dataclass(frozen=True, slots=True)
class _Claim:
    claim: IdentityClaim
    named: bool
    birth: str  # ISO as precise as written, "" when absent or not a date

    @property
    def complete_birth(self) -> str:
        return self.birth if _complete(self.birth) else ""

    @property
    def intake(self) -> bool:
        return self.claim.source == "intake" or self.claim.ref.startswith("intake:")


def _fits(c: _Claim, person: list[_Claim]) -> bool:
    """Complete linkage: the claim fits every claim of the person, so names never chain
    ("J Smith" joins John or Jane, never both)."""
    seen: set[tuple[str, str]] = set()
    for m in person:
        key = (m.claim.name if m.named else "", m.complete_birth)
        if key in seen:  # a person's records mostly repeat one name and birth date
            continue
        seen.add(key)
        if c.complete_birth and m.complete_birth and c.complete_birth != m.complete_birth:
            return False
        if c.named and m.named and not _same_cached(c.claim.name, m.claim.name):
            return False
    return True


@lru_cache(maxsize=4096)
def _same_cached(a: str, b: str) -> bool:
    return same_name(a, b)


def _cluster(claims: list[_Claim]) -> list[list[_Claim]]:
    persons: list[list[_Claim]] = []
    # Records first, the patient's own details last: they join the records' person if they can.
    named = [c for c in claims if c.named]
    named.sort(key=lambda c: c.intake)
    for c in named:
        home = next((p for p in persons if _fits(c, p)), None)
        if home is None:
            persons.append([c])
        else:
            home.append(c)
    # A claim with a birth date and no name joins the person with that birth date, else one it fits.
    for c in (c for c in claims if not c.named):
        fitting = [p for p in persons if _fits(c, p)]
        same_day = [p for p in fitting if c.complete_birth and any(m.complete_birth == c.complete_birth for m in p)]
        candidates = same_day or fitting
        if candidates:
            candidates[0].append(c)
        else:
            persons.append([c])
    return persons


def _most_common(values: Sequence[str]) -> tuple[str, ...]:
    """Distinct non-empty values, most common first, then in order of appearance."""
    counts = Counter(v for v in values if v)
    return tuple(sorted(dict.fromkeys(v for v in values if v), key=lambda v: -counts[v]))


def _refs(claims: Iterable[_Claim]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.claim.ref for c in claims))


def _person_record(person: list[_Claim]) -> PersonRecord:
    names = [c.claim.name.strip() for c in person if c.named]
    ids = [c.claim.id.strip() for c in person]
    return PersonRecord(
        names=_most_common(names),
        birth_dates=_most_common([c.birth for c in person]),
        ids=_most_common(ids),
        refs=_refs(person),
    )


_MESSAGES = {
    IdentityStatus.CONSISTENT: "Every record that names the patient names the same person.",
    IdentityStatus.ATTENTION: "The records seem to be about one person, but some details differ: please check them.",
    IdentityStatus.MISMATCH: "Some records are about a different person: remove them or ask where they came from before sending.",
    IdentityStatus.UNKNOWN: "No record names the patient, so there is nothing to compare.",
}
_INTAKE_MISMATCH = "The records are not about the person named in your details: please check them before sending."


def _between_persons(persons: list[list[_Claim]], intake_alone: bool) -> list[IdentityConflict]:
    """Stop conflicts: the names and birth dates that tell the persons apart, side by side."""
    conflicts: list[IdentityConflict] = []
    names = [[c.claim.name.strip() for c in p if c.named] for p in persons]
    differ = any(
        not same_name(x, y)
        for i, a in enumerate(names)
        for b in names[i + 1:]
        for x in set(a)
        for y in set(b)
    )
    if differ:
        values = tuple(
            (_most_common(n)[0], _refs(c for c in p if c.named)) for p, n in zip(persons, names, strict=True) if n
        )
        conflicts.append(IdentityConflict(
            field="name",
            values=values,
            stop=True,
            message="Your details give a different name from these records." if intake_alone
            else "These records name different people.",
        ))
    days = [_most_common([c.complete_birth for c in p]) for p in persons]
    if len({d for ds in days for d in ds}) > 1:
        values = tuple(
            (ds[0], _refs(c for c in p if c.complete_birth)) for p, ds in zip(persons, days, strict=True) if ds
        )
        conflicts.append(IdentityConflict(
            field="birth_date",
            values=values,
            stop=True,
            message="Your details give a different birth date from these records." if intake_alone
            else "These records give different birth dates.",
        ))
    return conflicts


def _within_person(person: list[_Claim]) -> list[IdentityConflict]:
    """Attention conflicts: one person, but an ID or the sex differs."""
    conflicts: list[IdentityConflict] = []
    by_issuer: dict[str, dict[str, list[_Claim]]] = {}
    for c in person:
        issuer, key = _issuer_key(c.claim.issuer), _id_key(c.claim.id)
        if issuer and key:
            by_issuer.setdefault(issuer, {}).setdefault(key, []).append(c)
    for ids in by_issuer.values():
        if len(ids) > 1:
            conflicts.append(IdentityConflict(
                field="id",
                values=tuple((_most_common([c.claim.id.strip() for c in cs])[0], _refs(cs)) for cs in ids.values()),
                stop=False,
                message="One facility gives this patient different record numbers.",
            ))
    by_sex: dict[str, list[_Claim]] = {}
    for c in person:
        code = _sex(c.claim.sex)
        if code:
            by_sex.setdefault(code, []).append(c)
    if len(by_sex) > 1:
        conflicts.append(IdentityConflict(
            field="sex",
            values=tuple((code, _refs(cs)) for code, cs in by_sex.items()),
            stop=False,
            message="The records give a different sex for the same person.",
        ))
    return conflicts


def check_identity(claims: Sequence[IdentityClaim]) -> IdentityReport:
    """Whether the records are about one person.

    Claims are grouped into persons: two claims are the same person when their names match
    (:func:`same_name`; a missing name matches any) and their birth dates do not conflict
    (compared only when both are complete days). Claims with neither a name nor a birth date
    say nothing and are left out.

    - More than one person: MISMATCH, with stop conflicts listing each person's name and birth
      date side by side with the records that give them. When the patient's own details
      (source "intake") are the odd one out, the message says so.
    - One person, but one issuer gives two IDs, or the sex differs: ATTENTION. Different IDs
      from different issuers are normal (each hospital has its own record number).
    - One person, nothing differing: CONSISTENT. No record names anyone: UNKNOWN.
    """
    usable: list[_Claim] = []
    for claim in claims:
        named = _has_name(claim.name)
        birth = parse_date(claim.birth_date)
        if named or birth:
            usable.append(_Claim(claim, named, birth))
    persons = _cluster(usable)
    # The persons the records name come first, most records first; the patient's details last.
    persons.sort(key=lambda p: (all(c.intake for c in p), -len(_refs(p))))
    records = [p for p in persons if not all(c.intake for c in p)]
    intake_alone = len(records) == 1 and len(persons) == 2

    conflicts: list[IdentityConflict] = []
    if len(persons) > 1:
        conflicts += _between_persons(persons, intake_alone)
    for p in persons:
        conflicts += _within_person(p)

    if not records:
        status = IdentityStatus.UNKNOWN
    elif any(c.stop for c in conflicts) or len(persons) > 1:
        status = IdentityStatus.MISMATCH
    elif conflicts:
        status = IdentityStatus.ATTENTION
    else:
        status = IdentityStatus.CONSISTENT
    message = _INTAKE_MISMATCH if status is IdentityStatus.MISMATCH and intake_alone else _MESSAGES[status]
    _log.debug(
        "identity: %d claims, %d used, %d persons, %d conflicts, status %s",
        len(claims), len(usable), len(persons), len(conflicts), status.value,
    )
    return IdentityReport(
        status=status,
        persons=tuple(_person_record(p) for p in persons),
        conflicts=tuple(conflicts),
        message=message,
    )


# ---------------------------------------------------------------------------------- claims

# Modalities of objects that are not the exam itself (reports, selections, display states).
_NOT_THE_EXAM = frozenset({"DOC", "SR", "KO", "PR", "OT", "REG", "SEG", "RTSTRUCT"})
_MODALITY_WORDS = frozenset({"CT", "MR", "MRI", "XR", "CR", "DX", "DR", "US", "NM", "PET", "PT", "MG", "RF", "XA"})


def _study_label(study: Study) -> str:
    modalities = [m for m in study.modalities if m not in _NOT_THE_EXAM] or list(study.modalities)
    modality = "/".join(modalities)
    description = " ".join(study.description.split())
    first_word = description.upper().split()[:1]
    if modality and first_word and (first_word[0] == modality or first_word[0] in _MODALITY_WORDS):
        modality = ""  # "CT CHEST", not "CT CT CHEST"; "XR CHEST", not "CR XR CHEST"
    what = " ".join(p for p in (modality, description) if p) or "Imaging study"
    date = parse_date(study.date)
    return f"{what}, {date}" if date else what


def claims_from_case(
    studies: Sequence[Study],
    documents: Sequence[Document],
    intake: Intake | None = None,
) -> list[IdentityClaim]:
    """Who each record says it is about, as claims for :func:`check_identity`.

    One claim per distinct patient (name, ID, birth date, sex) per study, read from every
    instance, since a disc can mix patients within one study; one per document that names its
    patient (a name, birth date or ID); one for the patient's own details when they give a
    name or a birth date. Issuers are the study's institution and the document's facility.
    """
    claims: list[IdentityClaim] = []
    for study in studies:
        patients = dict.fromkeys(i.patient for s in study.series for i in s.instances) or {study.patient: None}
        label = _study_label(study)
        for p in patients:
            claims.append(IdentityClaim(
                ref=f"study:{study.study_uid}",
                label=label,
                name=p.name,
                birth_date=p.birth_date,
                id=p.id,
                sex=p.sex,
                issuer=study.institution,
                source="dicom",
            ))
    for doc in documents:
        who = doc.patient
        if who.name or who.birth_date or who.id:
            claims.append(IdentityClaim(
                ref=f"document:{doc.id}",
                label=doc.title or "Document",
                name=who.name,
                birth_date=who.birth_date,
                id=who.id,
                sex=who.sex,
                issuer=doc.facility,
                source="document",
            ))
    if intake is not None and (intake.patient.name or intake.patient.birth_date):
        claims.append(IdentityClaim(
            ref="intake:patient",
            label="Your details",
            name=intake.patient.name,
            birth_date=intake.patient.birth_date,
            source="intake",
        ))
    return claims


def identity_json(report: IdentityReport) -> dict[str, Any]:
    """The report as plain JSON data (``--json`` of the CLI, CASE.JSON)."""
    return {
        "status": report.status.value,
        "stop": report.stop,
        "message": report.message,
        "persons": [
            {"names": list(p.names), "birth_dates": list(p.birth_dates), "ids": list(p.ids), "refs": list(p.refs)}
            for p in report.persons
        ],
        "conflicts": [
            {
                "field": c.field,
                "stop": c.stop,
                "message": c.message,
                "values": [{"value": v, "refs": list(refs)} for v, refs in c.values],
            }
            for c in report.conflicts
        ],
    }
