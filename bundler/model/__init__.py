"""The domain model: frozen dataclasses and string enums, no pydicom types.

These are the plain objects that flow from one stage to the next (ingest → store → timeline
→ checklist → export) and that the UI shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bundler.model.clinical import (
    Allergy,
    Attachment,
    DocumentKind,
    Encounter,
    FlaggedPhrase,
    LabResult,
    Medication,
    ParsedDocument,
    PersonIdentity,
    PriorReference,
    Problem,
    Procedure,
    ReportSection,
)
from bundler.model.findings import (
    CompletenessReport,
    DatePrecision,
    EventKind,
    Evidence,
    IdentityClaim,
    IdentityConflict,
    IdentityReport,
    IdentityStatus,
    ItemResult,
    ItemStatus,
    PersonRecord,
    RecordRequest,
    Requirement,
    TimelineEvent,
)
from bundler.model.intake import ContactDetails, Insurance, Intake, SymptomEntry

__all__ = [
    "CompletenessReport",
    "ContactDetails",
    "DatePrecision",
    "EventKind",
    "Evidence",
    "IdentityClaim",
    "IdentityConflict",
    "IdentityReport",
    "IdentityStatus",
    "Insurance",
    "Intake",
    "ItemResult",
    "ItemStatus",
    "PersonRecord",
    "RecordRequest",
    "Requirement",
    "SymptomEntry",
    "TimelineEvent",
    "Allergy",
    "Attachment",
    "DicomObjectKind",
    "Document",
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
    "ImportStatus",
    "Instance",
    "LogRow",
    "MissingReference",
    "Patient",
    "Reason",
    "Series",
    "Study",
]


class ImportStatus(StrEnum):
    """What happened to one file seen during an import."""

    IMPORTED = "imported"
    SKIPPED = "skipped"
    FAILED = "failed"


class Reason(StrEnum):
    """Stable reason codes of the import log. Scripts rely on these: add, never rename."""

    # imported
    DICOM = "dicom"
    DICOM_UID_CONFLICT = "dicom_uid_conflict"  # same SOP Instance UID, different bytes: kept
    DOCUMENT = "document"
    DOCUMENT_PASSWORD_PROTECTED = "document_password_protected"  # kept; needs its password to be read
    # skipped
    DUPLICATE = "duplicate"  # the same bytes are already in the case
    DICOMDIR = "dicomdir"  # a media directory; used as an index, never as an image
    VIEWER_SOFTWARE = "viewer_software"  # executables, libraries, autorun.inf of a disc viewer
    UNSUPPORTED_TYPE = "unsupported_type"  # neither DICOM nor a supported document
    EMPTY_FILE = "empty_file"
    EMPTY_ARCHIVE = "empty_archive"
    NOT_REGULAR_FILE = "not_regular_file"  # a device, FIFO or socket
    # failed
    DICOM_MALFORMED = "dicom_malformed"  # looks like DICOM, cannot be read
    DICOM_TRUNCATED = "dicom_truncated"
    DICOM_NO_UID = "dicom_no_uid"  # no SOP Instance UID: cannot be indexed
    UNREADABLE = "unreadable"  # permission denied or an I/O error
    UNSAFE_PATH = "unsafe_path"  # path traversal or a link leaving the source
    DOCUMENT_UNREADABLE = "document_unreadable"  # a damaged PDF, XML, JSON, HL7 message...
    DOCUMENT_UNSAFE = "document_unsafe"  # XML with DTDs or external entities (XXE): refused
    ARCHIVE_LIMIT = "archive_limit"  # zip bomb guard: size, ratio, count or depth limit
    ARCHIVE_CORRUPT = "archive_corrupt"
    ARCHIVE_ENCRYPTED = "archive_encrypted"
    FILE_TOO_LARGE = "file_too_large"
    TIMED_OUT = "timed_out"  # reading it overran its time budget and was stopped
    INTERNAL_ERROR = "internal_error"  # a bug; logged without patient data


class DicomObjectKind(StrEnum):
    """What a DICOM instance is, for the reviewer (from its SOP Class)."""

    IMAGE = "image"
    STRUCTURED_REPORT = "sr"
    ENCAPSULATED_PDF = "encapsulated_pdf"
    ENCAPSULATED_DOCUMENT = "encapsulated_document"
    KEY_OBJECT_SELECTION = "kos"
    PRESENTATION_STATE = "presentation_state"
    WAVEFORM = "waveform"
    RT_OBJECT = "rt"
    SEGMENTATION = "segmentation"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Patient:
    """A patient as a record names them (several records may name one person differently)."""

    name: str
    id: str
    birth_date: str  # DICOM DA (YYYYMMDD) or "" when absent
    sex: str = ""


@dataclass(frozen=True, slots=True)
class Instance:
    """One imported DICOM object; everything indexed from its header, no pixels."""

    sop_instance_uid: str
    sop_class_uid: str
    sha256: str
    size: int
    study_uid: str
    series_uid: str
    patient: Patient
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    accession: str = ""
    referring_physician: str = ""
    institution: str = ""
    modality: str = ""
    body_part: str = ""
    series_description: str = ""
    series_number: int | None = None
    instance_number: int | None = None
    transfer_syntax_uid: str = ""
    frames: int = 1
    lossy: bool = False
    image_type: str = ""  # backslash-joined, as in the header
    kind: DicomObjectKind = DicomObjectKind.OTHER
    has_part10_header: bool = True
    specific_character_set: str = ""
    uid_conflict: bool = False
    source: str = ""  # where it was read from, for the user's eyes only
    # How many instances the header says its series (or acquisition) has, when it says.
    promised_count: int | None = None


@dataclass(frozen=True, slots=True)
class Series:
    series_uid: str
    modality: str
    description: str
    number: int | None
    body_part: str
    instances: tuple[Instance, ...]


@dataclass(frozen=True, slots=True)
class Study:
    study_uid: str
    date: str
    time: str
    description: str
    accession: str
    referring_physician: str
    institution: str
    patient: Patient
    series: tuple[Series, ...]

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(sorted({s.modality for s in self.series if s.modality}))

    @property
    def instance_count(self) -> int:
        return sum(len(s.instances) for s in self.series)


@dataclass(frozen=True, slots=True)
class Document:
    """A non-image record (PDF, scan, structured record, or a document taken out of DICOM)."""

    id: str
    sha256: str
    size: int
    media_type: str
    title: str
    source: str
    kind: str = "other"  # a DocumentKind value
    kind_confidence: float = 0.0
    date: str = ""  # date of service, ISO
    pages: int | None = None
    linked_study_uid: str | None = None
    from_dicom_sop_instance_uid: str | None = None
    kind_evidence: str = ""
    kind_overridden: bool = False  # the user set the kind by hand
    facility: str = ""
    author: str = ""
    patient: PersonIdentity = field(default_factory=PersonIdentity)
    accession: str = ""
    modality: str = ""
    needs_label: bool = False  # nothing could be read: the user should say what it is
    password_protected: bool = False
    parent_id: str | None = None  # the document this one was embedded in


@dataclass(frozen=True, slots=True)
class LogRow:
    """One file seen by an import: what happened to it and why."""

    source: str
    status: ImportStatus
    reason: Reason
    detail: str = ""  # plain words, never patient data
    sha256: str | None = None
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class MissingReference:
    """A file that a DICOMDIR lists but the media does not hold (or holds unsafely)."""

    dicomdir: str
    referenced_path: str
    reason: str
    sop_instance_uid: str = ""
    series_uid: str = ""
    study_uid: str = ""
    extra: dict[str, str] = field(default_factory=dict)
