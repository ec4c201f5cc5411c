"""One medication list and one allergy list from every source, without duplicates.

The same drug at the same dose from a portal's FHIR export, a C-CDA and a typed CSV is one
entry that remembers all three sources. Different doses stay separate entries: a reviewer
must see that the records disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bundler.model import Allergy, Document, Medication, ParsedDocument

__all__ = ["MergedAllergy", "MergedMedication", "merge_allergies", "merge_medications", "normalise_dose"]

_FORMS = re.compile(
    r"\b(oral|tablets?|tabs?|capsules?|caps?|solution|suspension|injection|injectable|syrup|cream|ointment|"
    r"patch|inhaler|spray|drops|extended[- ]release|delayed[- ]release|er|xr|sr|dr|film[- ]coated|chewable|"
    r"prefilled syringe|pen|vial|topical|ophthalmic|nasal|sublingual)\b", re.IGNORECASE)
_STRENGTH = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mcg|µg|ug|mg|g|ml|units?|iu|meq|%)(?:\s*/\s*(\d+(?:[.,]\d+)?)?\s*(ml|l|g|hr|h))?",
                       re.IGNORECASE)
_UNIT_ALIASES = {"µg": "mcg", "ug": "mcg", "unit": "units", "iu": "units"}


@dataclass(frozen=True, slots=True)
class MergedMedication:
    name: str
    dose: str
    route: str
    frequency: str
    start: str
    stop: str
    status: str
    sources: tuple[str, ...]  # document IDs


@dataclass(frozen=True, slots=True)
class MergedAllergy:
    substance: str  # "" for an explicit "no known allergies"
    reaction: str
    severity: str
    none_known: bool
    sources: tuple[str, ...]


def normalise_dose(text: str) -> str:
    """``"500mg"``, ``"500 MG"`` and ``"500.0 mg"`` are all ``"500 mg"``."""
    m = _STRENGTH.search(text or "")
    if not m:
        return (text or "").strip().lower()
    value = m.group(1)
    # "1,000 mg" groups thousands; "2,5 mg" is a European decimal comma.
    value = value.replace(",", "") if re.fullmatch(r"\d{1,3},\d{3}", value) else value.replace(",", ".")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    unit = _UNIT_ALIASES.get(m.group(2).lower(), m.group(2).lower())
    out = f"{value} {unit}"
    if m.group(4):
        per = (m.group(3) or "").replace(",", ".")
        out += f"/{per}{m.group(4).lower()}" if per else f"/{m.group(4).lower()}"
    return out


def _drug_key(name: str) -> str:
    base = _STRENGTH.sub(" ", name)
    base = _FORMS.sub(" ", base)
    base = re.sub(r"\[.*?\]|\(.*?\)", " ", base)
    words = re.findall(r"[^\W\d_]+", base.lower())
    return " ".join(words[:3])


def merge_medications(contents: Mapping[str, ParsedDocument], documents: Iterable[Document] = ()) -> list[MergedMedication]:
    """Every medication of every document, merged by drug and dose, keeping each source."""
    order = {d.id: i for i, d in enumerate(documents)}
    groups: dict[tuple[str, str], list[tuple[str, Medication]]] = {}
    for doc_id in sorted(contents, key=lambda i: order.get(i, len(order))):
        for med in contents[doc_id].medications:
            if not med.name.strip():
                continue
            dose = normalise_dose(med.dose) if med.dose else normalise_dose(med.name) if _STRENGTH.search(med.name) else ""
            groups.setdefault((_drug_key(med.name), dose), []).append((doc_id, med))
    merged = []
    for (_key, dose), members in groups.items():
        meds = [m for _, m in members]
        merged.append(MergedMedication(
            name=min((m.name.strip() for m in meds), key=len),
            dose=next((m.dose for m in meds if m.dose), dose),
            route=_first(m.route for m in meds),
            frequency=_first(m.frequency for m in meds),
            start=min((m.start for m in meds if m.start), default=""),
            stop=max((m.stop for m in meds if m.stop), default=""),
            status=_first(m.status for m in meds),
            sources=tuple(dict.fromkeys(doc_id for doc_id, _ in members)),
        ))
    merged.sort(key=lambda m: (m.name.lower(), m.dose))
    return merged


def merge_allergies(contents: Mapping[str, ParsedDocument]) -> list[MergedAllergy]:
    """Every allergy of every document, merged by substance; "none known" kept as its own entry."""
    groups: dict[str, list[tuple[str, Allergy]]] = {}
    for doc_id, parsed in contents.items():
        for a in parsed.allergies:
            key = "" if a.none_known else " ".join(re.findall(r"\w+", a.substance.lower()))
            if not key and not a.none_known:
                continue
            groups.setdefault(key, []).append((doc_id, a))
    out = []
    for key, members in groups.items():
        allergies = [a for _, a in members]
        out.append(MergedAllergy(
            substance="" if key == "" else min((a.substance for a in allergies), key=len),
            reaction=_join(a.reaction for a in allergies),
            severity=_first(a.severity for a in allergies),
            none_known=key == "",
            sources=tuple(dict.fromkeys(doc_id for doc_id, _ in members)),
        ))
    out.sort(key=lambda a: (a.none_known, a.substance.lower()))
    return out


def _first(values: Iterable[str]) -> str:
    return next((v for v in values if v), "")


def _join(values: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(v for v in values if v))
