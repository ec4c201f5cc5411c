"""The patient's own part of a case: load it from a file, store it, read it back.

The file format (TOML or JSON, the same structure) is documented in docs/intake-format.md.
:func:`parse_intake` validates a whole file before anything is stored, so a mistake changes
nothing; errors name the file, the line (TOML) and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bundler import tomlfile
from bundler.errors import UsageError
from bundler.model import Allergy, ContactDetails, Insurance, Intake, Medication, SymptomEntry
from bundler.store import CaseStore

__all__ = [
    "IntakeError",
    "SECTIONS",
    "intake_document",
    "load_intake",
    "parse_intake",
    "question_bank",
    "question_text",
    "questions",
    "read_intake_file",
    "save_intake",
    "valid_partial_date",
]

_MAX_FILE = 1 << 20  # an intake file is a few kilobytes; refuse anything absurd
_MAX_TEXT = 20_000  # characters in one field


class IntakeError(UsageError):
    """An intake file that cannot be used (the message names the file, line and key)."""

    code = "intake_invalid"


# ------------------------------------------------------------------------------ question bank


@lru_cache(maxsize=1)
def _bank() -> dict[str, dict[str, str]]:
    text = resources.files("bundler_resources").joinpath("checklists/questions.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {qid: {k: str(v) for k, v in entry.items()} for qid, entry in data.items()}


def question_bank(lang: str = "en", *, group: str | None = None) -> list[tuple[str, str]]:
    """The question bank as ``(id, text)`` in its order; ``group`` "general" or "imaging"."""
    return [(qid, q.get(lang) or q["en"]) for qid, q in _bank().items() if group in (None, q.get("group"))]


def question_text(qid: str, lang: str = "en") -> str:
    q = _bank().get(qid)
    if q is None:
        raise KeyError(qid)
    return q.get(lang) or q["en"]


def questions(intake: Intake, lang: str = "en") -> list[str]:
    """The patient's questions in full: chosen bank questions first, then their own."""
    return [question_text(q, lang) for q in intake.question_bank if q in _bank()] + list(intake.own_questions)


# -------------------------------------------------------------------------------------- dates


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def valid_partial_date(value: str) -> bool:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` naming a real calendar date (year 1850–2200)."""
    m = _PARTIAL_DATE.fullmatch(value)
    if not m:
        return False
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if not 1850 <= y <= 2200:
        return False
    try:
        _dt.date(y, int(mo) if mo else 1, int(d) if d else 1)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------- the file shape
#
# One table per section: key → (type, required). "date" is a partial ISO date string; "text"
# a string; "bool" a boolean; "texts" a list of strings; "items" an array of tables described
# by the nested spec.

_Spec = dict[str, Any]

_ALLERGY: _Spec = {"substance": "text!", "reaction": "text", "severity": "text", "onset": "date"}
_MEDICATION: _Spec = {"name": "text!", "dose": "text", "route": "text", "frequency": "text",
                      "start": "date", "stop": "date", "notes": "text"}
_SYMPTOM: _Spec = {"date": "date", "what": "text!", "helped": "text", "did_not_help": "text"}

SECTIONS: dict[str, _Spec] = {
    "patient": {"name": "text", "birth_date": "date", "address": "text", "phone": "text", "email": "text"},
    "concern": {"main_concern": "text", "diagnosis": "text", "plan": "text", "decision": "text"},
    "symptoms": {"[]": _SYMPTOM},
    "questions": {"bank": "bank", "own": "texts"},
    "allergies": {"none_known": "bool", "items": _ALLERGY},
    "medications": {"none": "bool", "items": _MEDICATION},
    "family_history": {"none_known": "bool", "text": "text"},
    "insurance": {"insurer": "text", "member_id": "text", "plan": "text", "referral_required": "bool",
                  "referral": "text", "authorization": "text"},
    "pathology": {"slides": "text"},
}
"""The sections of an intake file and their keys (docs/intake-format.md)."""


class _Checker:
    def __init__(self, source: str, text: str | None) -> None:
        self.source = source
        self.text = text

    def fail(self, path: Sequence[str | int], problem: str) -> IntakeError:
        where = self.source
        if self.text is not None:
            line = tomlfile.line_of(self.text, path)
            if line:
                where = f"{where}, line {line}"
        key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        return IntakeError(f"The intake file {where}: {key}: {problem}.")

    def value(self, path: Sequence[str | int], kind: Any, value: Any) -> Any:
        if isinstance(kind, dict):
            return self.table(path, kind, value)
        kind = kind.rstrip("!")
        if kind == "text":
            if not isinstance(value, str):
                raise self.fail(path, "must be text in quotes")
            if len(value) > _MAX_TEXT:
                raise self.fail(path, f"is longer than {_MAX_TEXT} characters")
            return value.strip()
        if kind == "date":
            if isinstance(value, _dt.datetime):
                value = value.date()
            if isinstance(value, _dt.date):
                return value.isoformat()
            if not isinstance(value, str) or (value.strip() and not valid_partial_date(value.strip())):
                raise self.fail(path, "must be a date written YYYY, YYYY-MM or YYYY-MM-DD")
            return value.strip()
        if kind == "bool":
            if not isinstance(value, bool):
                raise self.fail(path, "must be true or false")
            return value
        if kind in ("texts", "bank"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(path, "must be a list of texts in quotes")
            items = [v.strip() for v in value if v.strip()]
            if kind == "bank":
                unknown = [v for v in items if v not in _bank()]
                if unknown:
                    raise self.fail(path, f"'{unknown[0]}' is not a question of the bank "
                                          f"(known: {', '.join(_bank())})")
            return items
        raise AssertionError(kind)  # pragma: no cover - a spec typo

    def table(self, path: Sequence[str | int], spec: _Spec, value: Any) -> Any:
        if "[]" in spec:
            return self.array(path, spec["[]"], value)
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table")
        out: dict[str, Any] = {}
        for key, v in value.items():
            if key not in spec:
                raise self.fail([*path, key], f"unknown key (known: {', '.join(spec)})")
            sub = spec[key]
            out[key] = self.array([*path, key], sub, v) if isinstance(sub, dict) else self.value([*path, key], sub, v)
        for key, sub in spec.items():
            if isinstance(sub, str) and sub.endswith("!") and not out.get(key):
                raise self.fail([*path, key], "is required")
        return out

    def array(self, path: Sequence[str | int], spec: _Spec, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list of tables")
        return [self.table([*path, i], spec, item) for i, item in enumerate(value)]


def read_intake_file(path: Path) -> dict[str, Any]:
    """Read and validate an intake file (TOML by default, JSON for ``.json``): its sections."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise IntakeError(f"The intake file {path} is too large for an intake file.")
        raw = path.read_bytes()
    except OSError as e:
        raise IntakeError(f"The intake file {path} cannot be read.") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IntakeError(f"The intake file {path} is not UTF-8 text.") from e
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as e:
            raise IntakeError(f"The intake file {path} is not valid JSON: {e}.") from e
        return parse_intake(data, str(path))
    data = tomlfile.loads(text, f"The intake file {path}", IntakeError)
    return parse_intake(data, str(path), text=text)


def parse_intake(data: Any, source: str, *, text: str | None = None) -> dict[str, Any]:
    """Validate the sections of an intake document; raises :class:`IntakeError`."""
    check = _Checker(source, text)
    if not isinstance(data, dict):
        raise IntakeError(f"The intake file {source} must hold a table (TOML) or an object (JSON).")
    out: dict[str, Any] = {}
    for section, value in data.items():
        spec = SECTIONS.get(section)
        if spec is None:
            raise check.fail([section], f"unknown section (known: {', '.join(SECTIONS)})")
        out[section] = check.table([section], spec, value)
    return out


# -------------------------------------------------------------------------- document ↔ Intake


def _from_sections(sections: Mapping[str, Any]) -> Intake:
    s = dict(sections)

    def build(cls: Any, table: Mapping[str, Any]) -> Any:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in table.items() if k in names})

    concern = s.get("concern", {})
    allergies = s.get("allergies", {})
    meds = s.get("medications", {})
    family = s.get("family_history", {})
    qs = s.get("questions", {})
    return Intake(
        patient=build(ContactDetails, s.get("patient", {})),
        main_concern=concern.get("main_concern", ""),
        diagnosis=concern.get("diagnosis", ""),
        plan=concern.get("plan", ""),
        decision=concern.get("decision", ""),
        symptoms=tuple(build(SymptomEntry, e) for e in s.get("symptoms", [])),
        question_bank=tuple(qs.get("bank", [])),
        own_questions=tuple(qs.get("own", [])),
        allergies=tuple(build(Allergy, a) for a in allergies.get("items", [])),
        allergies_none_known=allergies.get("none_known", False),
        medications=tuple(build(Medication, m) for m in meds.get("items", [])),
        medications_none=meds.get("none", False),
        family_history=family.get("text", ""),
        family_history_none_known=family.get("none_known", False),
        insurance=build(Insurance, s.get("insurance", {})),
        pathology_slides=s.get("pathology", {}).get("slides", ""),
    )


def _nonempty(table: Mapping[str, Any]) -> dict[str, Any]:
    # ``referral_required = false`` is an answer ("no referral needed"); other false flags are
    # the default and left out.
    return {k: v for k, v in table.items()
            if v not in ("", None, []) and (v is not False or k == "referral_required")}


def intake_document(intake: Intake) -> dict[str, Any]:
    """The intake in the file's shape (empty values and sections left out)."""
    def row(obj: Any, keys: Sequence[str]) -> dict[str, Any]:
        return _nonempty({k: getattr(obj, k) for k in keys})

    doc: dict[str, Any] = {
        "patient": row(intake.patient, list(SECTIONS["patient"])),
        "concern": row(intake, list(SECTIONS["concern"])),
        "symptoms": [row(e, list(_SYMPTOM)) for e in intake.symptoms],
        "questions": _nonempty({"bank": list(intake.question_bank), "own": list(intake.own_questions)}),
        "allergies": _nonempty({"none_known": intake.allergies_none_known,
                                "items": [row(a, list(_ALLERGY)) for a in intake.allergies]}),
        "medications": _nonempty({"none": intake.medications_none,
                                  "items": [row(m, list(_MEDICATION)) for m in intake.medications]}),
        "family_history": _nonempty({"none_known": intake.family_history_none_known,
                                     "text": intake.family_history}),
        "insurance": row(intake.insurance, list(SECTIONS["insurance"])),
        "pathology": _nonempty({"slides": intake.pathology_slides}),
    }
    return {k: v for k, v in doc.items() if v}


# ------------------------------------------------------------------------------------- store


def load_intake(store: CaseStore) -> Intake:
    """The case's intake (an empty :class:`Intake` when the patient has told nothing yet)."""
    content = store.intake_json()
    if not content:
        return Intake()
    try:
        data = json.loads(content)
        return _from_sections(parse_intake(data, "the case"))
    except (ValueError, IntakeError):
        # Written by this module, so only a damaged case gets here; its records still matter.
        return Intake()


def save_intake(store: CaseStore, update: Mapping[str, Any] | Intake, *, replace: bool = False) -> Intake:
    """Store the intake: a whole :class:`Intake`, or validated sections (from
    :func:`read_intake_file`) that replace those sections only (all of them with ``replace``)."""
    if isinstance(update, Intake):
        sections = intake_document(update)
    else:
        sections = {} if replace else intake_document(load_intake(store))
        sections.update(update)
    intake = _from_sections(parse_intake(sections, "the case"))
    store.set_intake_json(json.dumps(intake_document(intake), ensure_ascii=False, sort_keys=True))
    return intake
