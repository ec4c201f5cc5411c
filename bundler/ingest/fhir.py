"""Read FHIR R4 JSON (a Bundle or a single resource): bytes in, ParsedDocument out.

One file gives one ParsedDocument holding everything clinical in it: medications
(MedicationRequest/Statement/Dispense/Administration, with ``medicationReference`` resolved to a
contained or bundled Medication), allergies, conditions, procedures, laboratory Observations
(vital signs, surveys and social history are left out: they are not lab results), encounters,
and the patient. Documents carried inline (DiagnosticReport.presentedForm, DocumentReference
content, Binary) become :class:`Attachment` s with the kind their container says.

The file's own kind: a FHIR "document" Bundle takes its Composition's type; anything else takes
its dominant content (only medications: medication list; only lab results: lab result; one kind
of report: that kind) with a lower confidence, and a mixed record export is "other".

Safety: JSON is parsed by the standard library (no code, no references followed, no network);
files over 100 MB and nesting deeper than the interpreter's recursion limit are refused
("too_large"). Every value is checked for its JSON type before use, so a hostile file can make a
resource be skipped (noted in ``problems_found``) but never raise anything but
:class:`DocumentReadError`.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from bundler.ingest.ccda import (
    decode_base64,
    encounter_setting,
    exception_site,
    kind_for_loinc,
    kind_for_service_section,
)
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import (
    Allergy,
    Attachment,
    DocumentKind,
    Encounter,
    LabResult,
    Medication,
    ParsedDocument,
    PersonIdentity,
    Problem,
    Procedure,
)

__all__ = ["MAX_BYTES", "MEDIA_TYPE", "html_to_text", "parse", "sniff"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/fhir+json"
MAX_BYTES = 100 * 1024 * 1024
_MAX_NESTED_BUNDLES = 3

LOINC = "http://loinc.org"
_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_PREFERRED_SYSTEMS = (LOINC, "http://www.nlm.nih.gov/research/umls/rxnorm", "http://snomed.info/sct")
_SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
# No known allergy (SNOMED CT): any allergy, drug, food, environmental.
_NO_KNOWN_ALLERGY = frozenset({"716186003", "409137002", "429625007", "428607008"})
_FLAGS = {
    "H": "H", "HH": "H", "HU": "H", ">": "H",
    "L": "L", "LL": "L", "LU": "L", "<": "L",
    "A": "A", "AA": "A", "POS": "A", "DET": "A", "ABN": "A",
}
_MEDICATION_TYPES = frozenset({"MedicationRequest", "MedicationStatement", "MedicationDispense",
                               "MedicationAdministration"})
# Resources that give context (who, where, what a code means) but are not content of their own.
_CONTEXT_TYPES = frozenset({"Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter",
                            "Medication", "Specimen", "Provenance", "Composition", "Claim", "ExplanationOfBenefit",
                            "Coverage", "Device", "RelatedPerson", "Bundle", "Binary", "Media", "Group",
                            "HealthcareService", "Endpoint"})
_TEXT_TYPES = ("text/plain", "text/html", "application/xhtml", "application/xhtml+xml")


# ---------------------------------------------------------------------------------------------
# Sniffing.


def sniff(head: bytes) -> bool:
    """True when the bytes start a JSON object that has a ``resourceType`` member."""
    sample = head[:65536]
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    elif sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        sample = sample.decode("utf-16", "ignore").encode("utf-8", "ignore")
    stripped = sample.lstrip(b" \t\r\n")
    if not stripped.startswith(b"{"):
        return False
    return re.search(rb'"resourceType"\s*:\s*"[A-Za-z]', stripped) is not None


# ---------------------------------------------------------------------------------------------
# JSON access that never trusts a type.


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _objs(value: object) -> list[dict[str, Any]]:
    return [v for v in _list(value) if isinstance(v, dict)]


def _str(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return ""


def _codings(cc: object) -> list[tuple[str, str, str]]:
    return [(_str(c.get("system")), _str(c.get("code")), _str(c.get("display"))) for c in _objs(_obj(cc).get("coding"))]


def _cc_text(cc: object) -> str:
    """A CodeableConcept's words: its text, else a coding's display, else a code."""
    text = _str(_obj(cc).get("text"))
    if text:
        return text
    codings = _codings(cc)
    for _system, _code, display in codings:
        if display:
            return display
    return next((code for _s, code, _d in codings if code), "")


def _cc_code(cc: object) -> str:
    """``system|code`` of a CodeableConcept, LOINC, RxNorm or SNOMED CT first."""
    codings = [(s, c) for s, c, _d in _codings(cc) if c]
    for preferred in _PREFERRED_SYSTEMS:
        for system, code in codings:
            if system == preferred:
                return f"{system}|{code}"
    return f"{codings[0][0]}|{codings[0][1]}" if codings else ""


def _quantity(q: object) -> tuple[str, str]:
    q = _obj(q)
    value = _str(q.get("value"))
    if value and _str(q.get("comparator")):
        value = _str(q.get("comparator")) + value
    return value, _str(q.get("unit")) or _str(q.get("code"))


def _range(r: object) -> tuple[str, str]:
    low, low_unit = _quantity(_obj(r).get("low"))
    high, high_unit = _quantity(_obj(r).get("high"))
    if low and high:
        return f"{low}-{high}", high_unit or low_unit
    if high:
        return f"<={high}", high_unit
    if low:
        return f">={low}", low_unit
    return "", ""


def _period_start(p: object) -> str:
    return _str(_obj(p).get("start"))


# ---------------------------------------------------------------------------------------------
# Narrative (XHTML) as text. html.parser only tokenises: no entities beyond HTML's own, no DTDs.

_BLOCK_TAGS = frozenset({"p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                         "title", "section", "pre", "hr"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable lines from HTML or XHTML (a FHIR narrative, an xhtml report)."""
    collector = _TextCollector()
    try:
        collector.feed(markup)
        collector.close()
    except Exception as e:  # html.parser is lenient; a failure here costs only the text
        log.warning("HTML narrative could not be tokenised: %s", exception_site(e))
    lines = (" ".join(line.split()).strip(" |") for line in "".join(collector.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _bytes_to_text(data: bytes, media_type: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    return html_to_text(text) if "html" in media_type else text.strip()


# ---------------------------------------------------------------------------------------------
# The resources of a file, and references between them.


@dataclass
class _Index:
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, resource: dict[str, Any], full_url: str) -> None:
        rtype, rid = _str(resource.get("resourceType")), _str(resource.get("id"))
        if full_url:
            self.by_ref.setdefault(full_url, resource)
        if rtype and rid:
            self.by_ref.setdefault(f"{rtype}/{rid}", resource)

    def resolve(self, ref: object, container: dict[str, Any]) -> dict[str, Any]:
        """The resource a Reference points to: contained ("#id"), in the file, or {}."""
        target = _str(_obj(ref).get("reference"))
        if not target:
            return {}
        if target.startswith("#"):
            for res in _objs(container.get("contained")):
                if _str(res.get("id")) == target[1:]:
                    return res
            return {}
        found = self.by_ref.get(target)
        if found is None:
            parts = target.split("?")[0].rstrip("/").split("/")
            if len(parts) >= 2:
                # An absolute URL or one with _history: match on Type/id.
                if len(parts) >= 4 and parts[-2] == "_history":
                    parts = parts[:-2]
                found = self.by_ref.get(f"{parts[-2]}/{parts[-1]}")
        return found or {}


def _resources(root: dict[str, Any], notes: _Notes) -> tuple[list[dict[str, Any]], _Index]:
    """Every resource in the file (bundle entries, bundles in bundles), and their index."""
    out: list[dict[str, Any]] = []
    index = _Index()
    stack: list[tuple[dict[str, Any], str, int]] = [(root, "", 0)]
    while stack:
        resource, full_url, depth = stack.pop()
        if _str(resource.get("resourceType")) == "Bundle":
            if depth > _MAX_NESTED_BUNDLES:
                notes.add("Bundles nested too deeply inside this file were left out.")
                continue
            entries = _objs(resource.get("entry"))
            for entry in reversed(entries):
                inner = entry.get("resource")
                if isinstance(inner, dict) and isinstance(inner.get("resourceType"), str):
                    stack.append((inner, _str(entry.get("fullUrl")), depth + 1))
                elif "resource" in entry:
                    notes.add("Some entries of the bundle are not FHIR resources and were left out.")
            if depth > 0:
                index.add(resource, full_url)
            continue
        out.append(resource)
        index.add(resource, full_url)
    return out, index


# ---------------------------------------------------------------------------------------------
# Kinds.


def _report_kind(report: dict[str, Any]) -> tuple[DocumentKind | None, str]:
    """A DiagnosticReport's kind from its category (table 0074, LOINC parts), else its code."""
    for cc in _objs(report.get("category")):
        for system, code, display in _codings(cc):
            if code and (system in (_V2_0074, LOINC, "")):
                kind = kind_for_service_section(code)
                if kind is not None:
                    return kind, _words(f"FHIR DiagnosticReport category {code} {display}")
        words = _cc_text(cc).lower()
        for needle, kind in (("radiolog", DocumentKind.RADIOLOGY_REPORT), ("imaging", DocumentKind.RADIOLOGY_REPORT),
                             ("patholog", DocumentKind.PATHOLOGY_REPORT), ("laborator", DocumentKind.LAB_RESULT)):
            if needle in words:
                return kind, _words(f"FHIR DiagnosticReport category {_cc_text(cc)}")
    return _loinc_kind(report.get("code"), "DiagnosticReport code")


def _loinc_kind(cc: object, what: str) -> tuple[DocumentKind | None, str]:
    for system, code, display in _codings(cc):
        if system == LOINC and code:
            kind = kind_for_loinc(code)
            if kind is not None:
                return kind, _words(f"FHIR {what} LOINC {code} {display or _cc_text(cc)}")
    return None, ""


def _docref_kind(docref: dict[str, Any]) -> tuple[DocumentKind | None, str]:
    kind, evidence = _loinc_kind(docref.get("type"), "DocumentReference type")
    if kind is not None:
        return kind, evidence
    for cc in _objs(docref.get("category")):
        kind, evidence = _loinc_kind(cc, "DocumentReference category")
        if kind is not None:
            return kind, evidence
    return None, ""


def _words(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Reading resources.


@dataclass
class _Notes:
    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)


@dataclass
class _Found:
    patients: list[PersonIdentity] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: list[LabResult] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    content: Counter[str] = field(default_factory=Counter)  # what the file is about, for its kind
    report_kinds: list[tuple[DocumentKind, str]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    facilities: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # Reference.display of subject/patient


@dataclass
class _Reader:
    index: _Index
    notes: _Notes
    found: _Found = field(default_factory=_Found)
    lab_observations: set[int] = field(default_factory=set)  # id() of Observations a lab report lists
    panels: dict[int, str] = field(default_factory=dict)  # id() of an Observation → its report's name

    # -- who and where -------------------------------------------------------------------------
    def _ref_name(self, ref: object, container: dict[str, Any]) -> tuple[str, str]:
        """(resource type, name) of the person or organisation a Reference points to."""
        target = self.index.resolve(ref, container)
        rtype = _str(target.get("resourceType")) or _str(_obj(ref).get("reference")).split("/")[0]
        if target:
            if _str(target.get("name")):
                return rtype, _str(target.get("name"))  # Organization, Location
            names = _objs(target.get("name"))
            if names:
                return rtype, _human_name(names[0])
        return rtype, _str(_obj(ref).get("display"))

    def people(self, res: dict[str, Any], author_fields: tuple[str, ...], org_fields: tuple[str, ...]) -> None:
        for key in author_fields:
            for ref in _list(res.get(key)) if isinstance(res.get(key), list) else [res.get(key)]:
                rtype, name = self._ref_name(ref, res)
                if name and rtype == "Organization":
                    self.found.facilities.append(name)
                elif name and rtype != "Patient":
                    self.found.authors.append(name)
        for key in org_fields:
            _rtype, name = self._ref_name(res.get(key), res)
            if name:
                self.found.facilities.append(name)

    def subject(self, res: dict[str, Any]) -> None:
        for key in ("subject", "patient"):
            display = _str(_obj(res.get(key)).get("display"))
            if display:
                self.found.subjects.append(display)
                return

    # -- patient -----------------------------------------------------------------------------
    def patient(self, res: dict[str, Any]) -> None:
        names = _objs(res.get("name"))
        chosen = next((n for n in names if _str(n.get("use")) in ("official", "usual")), names[0] if names else {})
        name = _human_name(chosen)
        identifiers = [i for i in _objs(res.get("identifier")) if _str(i.get("value"))
                       and _str(i.get("system")) != _SSN_SYSTEM
                       and not any(c == "SS" for _s, c, _d in _codings(i.get("type")))]
        mrn = next((i for i in identifiers if any(c == "MR" for _s, c, _d in _codings(i.get("type")))),
                   identifiers[0] if identifiers else {})
        self.found.patients.append(PersonIdentity(name=name, birth_date=_str(res.get("birthDate"))[:10],
                                                  id=_str(mrn.get("value")), sex=_str(res.get("gender"))))

    # -- medications -------------------------------------------------------------------------
    def _medication_name(self, res: dict[str, Any]) -> tuple[str, str]:
        cc = res.get("medicationCodeableConcept")
        if cc is not None:
            return _cc_text(cc), _cc_code(cc)
        ref = res.get("medicationReference")
        med = self.index.resolve(ref, res)
        if med:
            return _cc_text(med.get("code")), _cc_code(med.get("code"))
        return _str(_obj(ref).get("display")), ""

    def medication(self, res: dict[str, Any]) -> None:
        rtype = _str(res.get("resourceType"))
        status = _str(res.get("status"))
        if status in ("entered-in-error", "not-taken", "not-done"):
            return
        name, code = self._medication_name(res)
        if not name:
            self.notes.add("A medication without a name was left out.")
            return
        if rtype == "MedicationAdministration":
            dosage = _obj(res.get("dosage"))
            dose, unit = _quantity(dosage.get("dose"))
            start = _str(res.get("effectiveDateTime")) or _period_start(res.get("effectivePeriod"))
            stop = _str(_obj(res.get("effectivePeriod")).get("end"))
            self.found.medications.append(Medication(
                name=name, dose=f"{dose} {unit}".strip(), route=_cc_text(dosage.get("route")), start=start,
                stop=stop, status=status, notes=_str(dosage.get("text")), code=code))
            return
        dosages = _objs(res.get("dosage" if rtype == "MedicationStatement" else "dosageInstruction"))
        dose, route, frequency, sig, start, stop = _dosage(dosages[0] if dosages else {})
        notes = ""
        if rtype == "MedicationStatement":
            start = _str(res.get("effectiveDateTime")) or _period_start(res.get("effectivePeriod")) or start
            stop = _str(_obj(res.get("effectivePeriod")).get("end")) or stop
        elif rtype == "MedicationRequest":
            start = start or _str(res.get("authoredOn"))
        elif rtype == "MedicationDispense":
            handed = _str(res.get("whenHandedOver"))
            notes = f"Dispensed {handed[:10]}" if handed else ""
            status = ""  # the dispense's status says nothing of whether the patient still takes it
        if not frequency and sig:
            frequency = sig
        elif sig and sig != frequency:
            notes = "; ".join(n for n in (sig, notes) if n)
        self.found.medications.append(Medication(
            name=name, dose=dose, route=route, frequency=frequency, start=start, stop=stop, status=status,
            notes=notes, code=code))

    # -- allergies, conditions, procedures ----------------------------------------------------
    def allergy(self, res: dict[str, Any]) -> None:
        verification = {c for _s, c, _d in _codings(res.get("verificationStatus"))}
        if verification & {"refuted", "entered-in-error"}:
            return
        codes = {c for _s, c, _d in _codings(res.get("code"))}
        status = next((c for _s, c, _d in _codings(res.get("clinicalStatus")) if c), "")
        if codes & _NO_KNOWN_ALLERGY:
            self.found.allergies.append(Allergy(substance="", none_known=True, status=status,
                                                code=_cc_code(res.get("code"))))
            return
        substance = _cc_text(res.get("code"))
        if not substance:
            substance = next((_cc_text(r.get("substance")) for r in _objs(res.get("reaction"))
                              if _cc_text(r.get("substance"))), "")
        if not substance:
            self.notes.add("An allergy without a named substance was left out.")
            return
        reactions: list[str] = []
        severity = ""
        for reaction in _objs(res.get("reaction")):
            for manifestation in _list(reaction.get("manifestation")):
                words = _cc_text(manifestation)
                if words and words not in reactions:
                    reactions.append(words)
            severity = severity or _str(reaction.get("severity"))
        if not severity and _str(res.get("criticality")):
            severity = f"{_str(res.get('criticality'))} criticality"
        onset = _str(res.get("onsetDateTime")) or _period_start(res.get("onsetPeriod")) or _str(res.get("onsetString"))
        self.found.allergies.append(Allergy(substance=substance, reaction="; ".join(reactions), severity=severity,
                                            status=status, onset=onset, code=_cc_code(res.get("code"))))

    def condition(self, res: dict[str, Any]) -> None:
        verification = {c for _s, c, _d in _codings(res.get("verificationStatus"))}
        if verification & {"refuted", "entered-in-error"}:
            return
        name = _cc_text(res.get("code"))
        if not name:
            return
        status = next((c for _s, c, _d in _codings(res.get("clinicalStatus")) if c), "")
        onset = _str(res.get("onsetDateTime")) or _period_start(res.get("onsetPeriod")) or _str(res.get("onsetString"))
        resolved = _str(res.get("abatementDateTime")) or _period_start(res.get("abatementPeriod"))
        self.found.problems.append(Problem(name=name, status=status, onset=onset, resolved=resolved,
                                           code=_cc_code(res.get("code"))))

    def procedure(self, res: dict[str, Any]) -> None:
        status = _str(res.get("status"))
        if status in ("entered-in-error", "not-done"):
            return
        name = _cc_text(res.get("code"))
        if not name:
            return
        date = _str(res.get("performedDateTime")) or _period_start(res.get("performedPeriod"))
        self.found.procedures.append(Procedure(name=name, date=date, code=_cc_code(res.get("code")), status=status))

    def encounter(self, res: dict[str, Any]) -> None:
        if _str(res.get("status")) in ("entered-in-error", "cancelled"):
            return
        klass = _obj(res.get("class"))
        kind = encounter_setting(_str(klass.get("system")), _str(klass.get("code")))
        kind = kind or next((_cc_text(t) for t in _objs(res.get("type")) if _cc_text(t)), "") or "encounter"
        provider = res.get("serviceProvider")
        facility = _str(self.index.resolve(provider, res).get("name")) or _str(_obj(provider).get("display"))
        if not facility:
            locations = _objs(res.get("location"))
            facility = _str(_obj(locations[0].get("location")).get("display")) if locations else ""
        reason = next((_cc_text(r) for r in _objs(res.get("reasonCode")) if _cc_text(r)), "")
        period = _obj(res.get("period"))
        self.found.encounters.append(Encounter(type=kind, start=_str(period.get("start")), end=_str(period.get("end")),
                                               facility=facility, reason=reason))

    # -- observations and reports --------------------------------------------------------------
    def observation(self, res: dict[str, Any], *, panel: str = "") -> None:
        if _str(res.get("status")) in ("entered-in-error", "cancelled"):
            return
        categories = {c for cc in _objs(res.get("category")) for _s, c, _d in _codings(cc)}
        is_lab = "laboratory" in categories or id(res) in self.lab_observations or not categories
        if not is_lab:
            return
        name = _cc_text(res.get("code"))
        if not name:
            return
        panel = panel or self.panels.get(id(res), "")
        date = (_str(res.get("effectiveDateTime")) or _period_start(res.get("effectivePeriod"))
                or _str(res.get("effectiveInstant")) or _str(res.get("issued")))
        value, unit = _observation_value(res)
        if value:
            self.found.results.append(LabResult(
                name=name, value=value, unit=unit, date=date, reference_range=_reference_range(res),
                flag=_flag(res), code=_cc_code(res.get("code")), panel=panel))
            self.found.content["lab"] += 1
            return
        components = _objs(res.get("component"))
        for comp in components:
            comp_value, comp_unit = _observation_value(comp)
            comp_name = _cc_text(comp.get("code"))
            if comp_value and comp_name:
                self.found.results.append(LabResult(
                    name=comp_name, value=comp_value, unit=comp_unit, date=date, reference_range=_reference_range(comp),
                    flag=_flag(comp), code=_cc_code(comp.get("code")), panel=name))
                self.found.content["lab"] += 1

    def diagnostic_report(self, res: dict[str, Any]) -> None:
        if _str(res.get("status")) in ("entered-in-error", "cancelled"):
            return
        kind, evidence = _report_kind(res)
        title = _cc_text(res.get("code"))
        date = (_str(res.get("effectiveDateTime")) or _period_start(res.get("effectivePeriod"))
                or _str(res.get("issued")))
        if kind is DocumentKind.LAB_RESULT:
            self.found.content["lab"] += 1
        else:
            self.found.content["report"] += 1
            if kind is not None:
                self.found.report_kinds.append((kind, evidence))
        # Observations contained in the report (a lab's own results).
        for contained in _objs(res.get("contained")):
            if _str(contained.get("resourceType")) == "Observation":
                if kind is DocumentKind.LAB_RESULT:
                    self.lab_observations.add(id(contained))
                self.observation(contained, panel=title)
        self.people(res, ("resultsInterpreter", "performer"), ())
        conclusion = _str(res.get("conclusion"))
        parts = [p for p in (title, conclusion) if p]
        for form in _objs(res.get("presentedForm")):
            attachment = self._attachment(form, title=title, kind=kind, evidence=evidence, date=date)
            if attachment is not None and attachment.media_type.split(";")[0] in _TEXT_TYPES:
                parts.append(_bytes_to_text(attachment.data, attachment.media_type))
        if len(parts) > 1 or conclusion:
            self.found.text.append("\n".join(parts))
        if title:
            self.found.titles.append(title)
        if date:
            self.found.dates.append(date)

    def document_reference(self, res: dict[str, Any]) -> None:
        if _str(res.get("status")) == "entered-in-error" or _str(res.get("docStatus")) == "entered-in-error":
            return
        kind, evidence = _docref_kind(res)
        title = _str(res.get("description")) or _cc_text(res.get("type"))
        date = _period_start(_obj(res.get("context")).get("period")) or _str(res.get("date"))
        self.found.content["report"] += 1
        if kind is not None:
            self.found.report_kinds.append((kind, evidence))
        self.people(res, ("author",), ("custodian",))
        for content in _objs(res.get("content")):
            att = _obj(content.get("attachment"))
            self._attachment(att, title=_str(att.get("title")) or title, kind=kind, evidence=evidence,
                             date=_str(att.get("creation")) or date)
        if _str(res.get("description")):
            self.found.text.append(_str(res.get("description")))
        if title:
            self.found.titles.append(title)
        if date:
            self.found.dates.append(date)

    def binary(self, res: dict[str, Any]) -> None:
        self.found.content["report"] += 1
        self._attachment({"contentType": res.get("contentType"), "data": res.get("data")}, title="", kind=None,
                         evidence="", date="")

    def _attachment(self, att: dict[str, Any], *, title: str, kind: DocumentKind | None, evidence: str,
                    date: str) -> Attachment | None:
        media_type = (_str(att.get("contentType")) or "application/octet-stream").lower()
        data = att.get("data")
        label = _str(att.get("title")) or title
        if isinstance(data, str) and data.strip():
            raw = decode_base64(data)
            if raw is None:
                self.notes.add(f"An embedded document ({label or 'untitled'}) could not be decoded "
                               "(invalid base64); it was left out.")
                return None
            attachment = Attachment(media_type=media_type, data=raw, title=label, kind=kind,
                                    kind_evidence=evidence if kind is not None else "", date=date)
            self.found.attachments.append(attachment)
            return attachment
        url = _str(att.get("url"))
        if url:
            target = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1][:100]
            self.notes.add(f"A document ({label or target or 'untitled'}) is stored elsewhere and only linked "
                           "from this file: ask the sender for it.")
        return None

    def composition(self, res: dict[str, Any]) -> None:
        self.people(res, ("author",), ("custodian",))
        title = _str(res.get("title"))
        if title:
            self.found.titles.append(title)
        if _str(res.get("date")):
            self.found.dates.append(_str(res.get("date")))
        parts = [title] if title else []
        stack = list(reversed(_objs(res.get("section"))))
        while stack:
            section = stack.pop()
            heading = _str(section.get("title")) or _cc_text(section.get("code"))
            body = html_to_text(_str(_obj(section.get("text")).get("div")))
            if heading or body:
                parts.append("\n".join(p for p in (heading.upper(), body) if p))
            stack.extend(reversed(_objs(section.get("section"))))
        if parts:
            self.found.text.append("\n\n".join(parts))


def _human_name(name: dict[str, Any]) -> str:
    """A HumanName as written: its text, else given names and family name."""
    parts = [_str(g) for g in _list(name.get("given")) if _str(g)]
    if _str(name.get("family")):
        parts.append(_str(name.get("family")))
    return _str(name.get("text")) or " ".join(parts)


def _dosage(d: dict[str, Any]) -> tuple[str, str, str, str, str, str]:
    """(dose, route, frequency, sig text, start, stop) of a FHIR Dosage."""
    dose = ""
    for dr in _objs(d.get("doseAndRate")):
        value, unit = _quantity(dr.get("doseQuantity"))
        if not value:
            value, unit = _range(dr.get("doseRange"))
        if value:
            dose = f"{value} {unit}".strip()
            break
    timing = _obj(d.get("timing"))
    repeat = _obj(timing.get("repeat"))
    frequency = _repeat_text(repeat) or _cc_text(timing.get("code"))
    if d.get("asNeededBoolean") is True or d.get("asNeededCodeableConcept"):
        frequency = ", ".join(p for p in (frequency, "as needed") if p)
    bounds = _obj(repeat.get("boundsPeriod"))
    return (dose, _cc_text(d.get("route")), frequency, _str(d.get("text")), _str(bounds.get("start")),
            _str(bounds.get("end")))


_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}
_WHEN = {"HS": "at bedtime", "WAKE": "on waking", "C": "with meals", "CM": "with breakfast", "CD": "with lunch",
         "CV": "with dinner", "AC": "before meals", "ACM": "before breakfast", "ACD": "before lunch",
         "ACV": "before dinner", "PC": "after meals", "PCM": "after breakfast", "PCD": "after lunch",
         "PCV": "after dinner", "MORN": "in the morning", "AFT": "in the afternoon", "EVE": "in the evening",
         "NIGHT": "at night"}


def _repeat_text(repeat: dict[str, Any]) -> str:
    parts = []
    freq, period, unit = _str(repeat.get("frequency")), _str(repeat.get("period")), _str(repeat.get("periodUnit"))
    word = _UNITS.get(unit, unit)
    if period and word:
        n = freq or "1"
        if period in ("1", "1.0"):
            times = {"1": "once", "2": "twice"}.get(n, f"{n} times")
            parts.append(f"{times} a {word}")
        else:
            parts.append(f"every {period} {word}s" if n == "1" else f"{n} times every {period} {word}s")
    for when in _list(repeat.get("when")):
        code = _str(when)
        if code:
            parts.append(_WHEN.get(code.upper(), code))
    return ", ".join(parts)


def _observation_value(res: dict[str, Any]) -> tuple[str, str]:
    if "valueQuantity" in res:
        return _quantity(res.get("valueQuantity"))
    if "valueCodeableConcept" in res:
        return _cc_text(res.get("valueCodeableConcept")), ""
    if "valueRange" in res:
        return _range(res.get("valueRange"))
    if "valueRatio" in res:
        ratio = _obj(res.get("valueRatio"))
        num, num_unit = _quantity(ratio.get("numerator"))
        den, _den_unit = _quantity(ratio.get("denominator"))
        return (f"{num}/{den}" if num and den else num), num_unit
    for key in ("valueString", "valueInteger", "valueBoolean", "valueDateTime", "valueTime"):
        if key in res:
            return _str(res.get(key)), ""
    if "valuePeriod" in res:
        period = _obj(res.get("valuePeriod"))
        return "-".join(p for p in (_str(period.get("start")), _str(period.get("end"))) if p), ""
    return "", ""


def _reference_range(res: dict[str, Any]) -> str:
    ranges = []
    for rng in _objs(res.get("referenceRange")):
        text = _str(rng.get("text"))
        if not text:
            value, unit = _range(rng)
            text = f"{value} {unit}".strip()
        if text and text not in ranges:
            ranges.append(text)
    return "; ".join(ranges)


def _flag(res: dict[str, Any]) -> str:
    for cc in _objs(res.get("interpretation")):
        for _system, code, _display in _codings(cc):
            flag = _FLAGS.get(code.upper())
            if flag:
                return flag
    return ""


# ---------------------------------------------------------------------------------------------
# The file.


def _load(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_BYTES:
        raise DocumentReadError("too_large", f"The JSON file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        # Decimal keeps numbers as written ("7.20" stays "7.20"; FHIR decimals carry precision).
        root = json.loads(data, parse_float=Decimal)
    except RecursionError as e:
        raise DocumentReadError("too_large", "The JSON is nested more deeply than any health record.") from e
    except (ValueError, UnicodeError, TypeError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DocumentReadError("json_malformed", "The file is not valid JSON.") from e
    if not isinstance(root, dict):
        raise DocumentReadError("not_fhir", "The JSON file is not a FHIR resource (it is not a JSON object).")
    rtype = root.get("resourceType")
    if not isinstance(rtype, str) or not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", rtype):
        raise DocumentReadError("not_fhir", "The JSON file is not a FHIR resource (no valid resourceType).")
    return root


def parse(data: bytes, *, name: str) -> ParsedDocument:
    """Read a FHIR R4 JSON resource or Bundle into one :class:`ParsedDocument`.

    Raises :class:`DocumentReadError` and nothing else: ``json_malformed``, ``not_fhir``,
    ``too_large``, and ``base64_invalid`` for a lone Binary whose data does not decode. ``name``
    (the file's name, which may carry patient data) is never logged nor used in what is returned.
    """
    root = _load(data)
    try:
        doc = _read(root)
    except DocumentReadError:
        raise
    except Exception as e:  # a reader bug must not escape as anything else; logged, never silent
        log.error("FHIR reader failed on a parsed %s: %s", root.get("resourceType"), exception_site(e))
        raise DocumentReadError("not_fhir", "The FHIR content could not be understood.") from e
    log.info("FHIR read: kind=%s meds=%d allergies=%d problems=%d results=%d procedures=%d encounters=%d "
             "attachments=%d", doc.kind.value, len(doc.medications), len(doc.allergies), len(doc.problems),
             len(doc.results), len(doc.procedures), len(doc.encounters), len(doc.attachments))
    return doc


_HANDLERS = {
    "Patient": _Reader.patient,
    "AllergyIntolerance": _Reader.allergy,
    "Condition": _Reader.condition,
    "Procedure": _Reader.procedure,
    "Encounter": _Reader.encounter,
    "DiagnosticReport": _Reader.diagnostic_report,
    "DocumentReference": _Reader.document_reference,
    "Binary": _Reader.binary,
    "Composition": _Reader.composition,
    **{t: _Reader.medication for t in _MEDICATION_TYPES},
}


def _read(root: dict[str, Any]) -> ParsedDocument:
    notes = _Notes()
    resources, index = _resources(root, notes)
    reader = _Reader(index=index, notes=notes)
    # Lab reports first name their Observations (panel, and "this is a lab value" when the
    # Observation itself carries no category).
    for res in resources:
        if _str(res.get("resourceType")) == "DiagnosticReport":
            kind, _evidence = _report_kind(res)
            title = _cc_text(res.get("code"))
            for ref in _list(res.get("result")):
                obs = index.resolve(ref, res)
                if obs:
                    if kind is DocumentKind.LAB_RESULT:
                        reader.lab_observations.add(id(obs))
                    if title:
                        reader.panels.setdefault(id(obs), title)
    failed: Counter[str] = Counter()
    for res in resources:
        rtype = _str(res.get("resourceType"))
        try:
            reader.subject(res)
            if rtype == "Observation":
                reader.observation(res)
            elif rtype in _HANDLERS:
                _HANDLERS[rtype](reader, res)
            if rtype in _MEDICATION_TYPES:
                reader.found.content["med"] += 1
            elif rtype not in _CONTEXT_TYPES and rtype not in ("Observation", "DiagnosticReport",
                                                                "DocumentReference"):
                reader.found.content["other"] += 1
            elif rtype == "Observation" and id(res) not in reader.lab_observations and not _is_lab(res):
                reader.found.content["other"] += 1
        except Exception as e:  # one odd resource must not cost the whole file
            rtype = rtype if re.fullmatch(r"[A-Z][A-Za-z]{1,63}", rtype) else "unrecognised"
            failed[rtype] += 1
            log.warning("FHIR %s could not be read: %s", rtype, exception_site(e))
    for rtype, count in sorted(failed.items()):
        notes.add(f"{count} {rtype} resource{'s' if count > 1 else ''} could not be read and "
                  f"{'were' if count > 1 else 'was'} left out.")
    return _document(root, reader)


def _is_lab(res: dict[str, Any]) -> bool:
    categories = {c for cc in _objs(res.get("category")) for _s, c, _d in _codings(cc)}
    return "laboratory" in categories or not categories


def _document(root: dict[str, Any], reader: _Reader) -> ParsedDocument:
    found, notes = reader.found, reader.notes
    kind, confidence, evidence = _file_kind(root, reader)
    patients = [p for p in found.patients if p.name or p.birth_date or p.id]
    if not patients and found.subjects:
        patients = [PersonIdentity(name=found.subjects[0])]  # only the name a reference shows
    distinct = {(p.name.lower(), p.birth_date, p.id) for p in patients}
    if len(distinct) > 1:
        notes.add(f"This file holds records of {len(distinct)} different patients; only the first is shown.")
    rtype = _str(root.get("resourceType"))
    if rtype == "Binary" and not found.attachments:
        raise DocumentReadError("base64_invalid", "The FHIR Binary's content is not valid base64.")
    text = list(found.text)
    if rtype != "Bundle" and not text:
        narrative = html_to_text(_str(_obj(root.get("text")).get("div")))
        if narrative:
            text.append(narrative)
    one_document = rtype != "Bundle" or _is_document_bundle(root)
    title = found.titles[0] if found.titles and one_document else ""
    author = found.authors[0] if found.authors and one_document else ""
    facility = found.facilities[0] if found.facilities and one_document else ""
    date = ""
    if one_document:
        date = found.dates[0] if found.dates else ""
        if not date and rtype == "Bundle":
            date = _str(root.get("timestamp"))
    return ParsedDocument(
        media_type=MEDIA_TYPE, title=title, kind=kind, kind_confidence=confidence, kind_evidence=evidence,
        date=date, facility=facility, author=author, patient=patients[0] if patients else PersonIdentity(),
        text="\n\n".join(text),
        medications=tuple(found.medications), allergies=tuple(found.allergies), problems=tuple(found.problems),
        results=tuple(found.results), procedures=tuple(found.procedures), encounters=tuple(found.encounters),
        attachments=tuple(found.attachments), problems_found=tuple(notes.items))


def _is_document_bundle(root: dict[str, Any]) -> bool:
    return _str(root.get("resourceType")) == "Bundle" and _str(root.get("type")) == "document"


def _file_kind(root: dict[str, Any], reader: _Reader) -> tuple[DocumentKind, float, str]:
    found = reader.found
    if _is_document_bundle(root):
        composition = next((r for r in _iter_entries(root) if _str(r.get("resourceType")) == "Composition"), None)
        if composition is not None:
            kind, evidence = _loinc_kind(composition.get("type"), "Composition type")
            if kind is not None:
                return kind, 0.9, evidence
            return DocumentKind.OTHER, 0.5, _words(f"FHIR document Bundle, Composition type "
                                                   f"{_cc_code(composition.get('type'))} not a known document type")
    content = {k for k, v in found.content.items() if v}
    kinds = {k for k, _e in found.report_kinds}
    single = _str(root.get("resourceType")) != "Bundle"
    if content == {"report"} and len(kinds) == 1 and len(found.report_kinds) == found.content["report"]:
        kind, evidence = found.report_kinds[0]
        return kind, 0.9 if single else 0.8, evidence
    if content == {"med"}:
        return DocumentKind.MEDICATION_LIST, 0.7, "FHIR content: medications only"
    if content == {"lab"}:
        return DocumentKind.LAB_RESULT, 0.7 if not single else 0.8, "FHIR content: laboratory results only"
    if not content:
        return DocumentKind.OTHER, 0.3, f"FHIR {_str(root.get('resourceType'))} without clinical content"
    if single:
        return DocumentKind.OTHER, 0.3, f"FHIR {_str(root.get('resourceType'))}"
    return DocumentKind.OTHER, 0.6, "FHIR bundle of mixed records (" + ", ".join(sorted(content)) + ")"


def _iter_entries(root: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in _objs(root.get("entry")):
        res = entry.get("resource")
        if isinstance(res, dict):
            yield res
