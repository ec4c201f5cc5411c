"""What documents say: kinds, structured clinical content, and report language.

These are produced by the document readers (``bundler.ingest.*``) and consumed by the store,
the timeline and the checklist. Dates are ISO 8601 strings (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``, optionally with a time) exactly as precise as the source said; "" when absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Allergy",
    "Attachment",
    "DocumentKind",
    "Encounter",
    "FlaggedPhrase",
    "LabResult",
    "Medication",
    "ParsedDocument",
    "PersonIdentity",
    "PriorReference",
    "Problem",
    "Procedure",
    "ReportSection",
]


class DocumentKind(StrEnum):
    """What a document is, for the checklist. Scripts rely on these values."""

    RADIOLOGY_REPORT = "radiology_report"
    PATHOLOGY_REPORT = "pathology_report"
    OPERATIVE_REPORT = "operative_report"
    DISCHARGE_SUMMARY = "discharge_summary"
    VISIT_NOTE = "visit_note"
    LAB_RESULT = "lab_result"
    MEDICATION_LIST = "medication_list"
    REFERRAL_OR_INSURANCE = "referral_or_insurance"
    CONSENT_OR_LEGAL = "consent_or_legal"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PersonIdentity:
    """Who a document says it is about (any field may be empty)."""

    name: str = ""  # as written ("Zoë Muñoz", "MUNOZ, ZOE", "Muñoz^Zoë")
    birth_date: str = ""  # ISO date
    id: str = ""  # MRN or other identifier
    sex: str = ""


@dataclass(frozen=True, slots=True)
class Medication:
    name: str
    dose: str = ""
    route: str = ""
    frequency: str = ""
    start: str = ""
    stop: str = ""
    status: str = ""  # active, completed, stopped, on-hold, unknown
    notes: str = ""
    code: str = ""  # RxNorm or other code, "system|code"


@dataclass(frozen=True, slots=True)
class Allergy:
    substance: str  # "" together with none_known=True for an explicit "no known allergies"
    reaction: str = ""
    severity: str = ""
    status: str = ""
    onset: str = ""
    none_known: bool = False
    code: str = ""


@dataclass(frozen=True, slots=True)
class Problem:
    name: str
    status: str = ""
    onset: str = ""
    resolved: str = ""
    code: str = ""


@dataclass(frozen=True, slots=True)
class LabResult:
    name: str
    value: str
    unit: str = ""
    date: str = ""
    reference_range: str = ""
    flag: str = ""  # H, L, A (abnormal), "" when normal or unknown
    code: str = ""  # LOINC "http://loinc.org|718-7"
    panel: str = ""


@dataclass(frozen=True, slots=True)
class Procedure:
    name: str
    date: str = ""
    code: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class Encounter:
    type: str  # "inpatient", "outpatient", "emergency", or the source's words
    start: str = ""
    end: str = ""
    facility: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A heading of a report and the text under it (EXAM, HISTORY, COMPARISON, FINDINGS...)."""

    name: str  # normalised: exam, history, technique, comparison, findings, impression, other
    heading: str  # as written
    text: str


@dataclass(frozen=True, slots=True)
class PriorReference:
    """A prior exam a report compares with ("CT chest of 12 March 2025")."""

    text: str  # the words as written
    date: str = ""  # ISO date when the text gives one
    modality: str = ""  # DICOM modality code (CT, MR, CR/DX, US, PT, NM, MG...) when named
    region: str = ""  # body region words as written (chest, abdomen, head...)


@dataclass(frozen=True, slots=True)
class FlaggedPhrase:
    """Uncertain wording or an assessment category worth asking about."""

    kind: str  # "hedge" or "category"
    phrase: str  # normalised: "cannot exclude", "Lung-RADS 4B", "BI-RADS 0"...
    sentence: str  # the sentence it appears in, as written
    section: str = ""  # normalised section name where it appears
    scale: str = ""  # for categories: BI-RADS, TI-RADS, Lung-RADS, PI-RADS, LI-RADS
    category: str = ""  # for categories: "4B", "TR3", "LR-5"...


@dataclass(frozen=True, slots=True)
class Attachment:
    """A document embedded in another one, with what the container says about it."""

    media_type: str  # "application/pdf", "text/plain", "application/xml" (a C-CDA in FHIR)...
    data: bytes
    title: str = ""
    kind: DocumentKind | None = None  # when the container's structure says (FHIR category...)
    kind_evidence: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Everything a reader understood of one document file (or one part of it)."""

    media_type: str
    title: str = ""
    kind: DocumentKind = DocumentKind.OTHER
    kind_confidence: float = 0.0  # 0..1
    kind_evidence: str = ""  # why: "C-CDA LOINC 18842-5", "headings: IMPRESSION, FINDINGS"
    date: str = ""  # date of service
    facility: str = ""
    author: str = ""
    patient: PersonIdentity = field(default_factory=PersonIdentity)
    text: str = ""  # the readable text (for classification, report language, explain)
    pages: int | None = None
    accession: str = ""
    modality: str = ""  # for imaging reports, when the document says
    needs_label: bool = False  # no text could be read (image without OCR): the user labels it
    password_protected: bool = False
    medications: tuple[Medication, ...] = ()
    allergies: tuple[Allergy, ...] = ()
    problems: tuple[Problem, ...] = ()
    results: tuple[LabResult, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    encounters: tuple[Encounter, ...] = ()
    sections: tuple[ReportSection, ...] = ()
    priors: tuple[PriorReference, ...] = ()
    flags: tuple[FlaggedPhrase, ...] = ()
    # Documents carried inside this one (a PDF in a C-CDA nonXMLBody, a FHIR presentedForm,
    # a base64 PDF in an HL7 v2 OBX): imported as documents of their own.
    attachments: tuple[Attachment, ...] = ()
    problems_found: tuple[str, ...] = ()  # plain-language notes: "a section could not be read"
