"""What the case's records add up to: the timeline, the identity check and the checklist.

Produced by :mod:`bundler.timeline`, :mod:`bundler.identity` and :mod:`bundler.checklist`
from a case; read by the CLI, the summary PDF, the request letters, the package's CASE.JSON
and the app.

References (``refs``, ``Evidence.ref``) name a record of the case as ``"study:<Study
Instance UID>"``, ``"document:<document id>"`` or ``"intake:<field>"`` (for example
``"intake:symptoms/2"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CompletenessReport",
    "DatePrecision",
    "EventKind",
    "Evidence",
    "IdentityClaim",
    "IdentityConflict",
    "IdentityReport",
    "IdentityStatus",
    "ItemResult",
    "ItemStatus",
    "PersonRecord",
    "RecordRequest",
    "Requirement",
    "TimelineEvent",
]


# ------------------------------------------------------------------------------------ timeline


class DatePrecision(StrEnum):
    """How much of an event's date is known. Scripts rely on these values."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"  # no date at all: the event sorts last and says so


class EventKind(StrEnum):
    """What a timeline event is. Scripts rely on these values."""

    STUDY = "study"
    DOCUMENT = "document"
    PROCEDURE = "procedure"
    HOSPITAL_STAY = "hospital_stay"
    MEDICATION_START = "medication_start"
    MEDICATION_STOP = "medication_stop"
    LAB_RESULT = "lab_result"
    SYMPTOM = "symptom"


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One dated (or undatable) thing that happened, linked back to its records."""

    date: str  # ISO as precise as known ("2026-03", "2026-03-03"); "" when unknown
    date_precision: DatePrecision
    kind: EventKind
    title: str
    refs: tuple[str, ...]
    detail: str = ""
    end: str = ""  # for stays and medications with a stop date
    date_note: str = ""  # why the date is uncertain ("no date in the record", "date in the future")


# ------------------------------------------------------------------------------------ identity


class IdentityStatus(StrEnum):
    CONSISTENT = "consistent"  # every record names the same person
    ATTENTION = "attention"  # the same person, most likely, but something differs (an ID, a typo)
    MISMATCH = "mismatch"  # records of more than one person: stop
    UNKNOWN = "unknown"  # nothing to compare (no record names anyone)


@dataclass(frozen=True, slots=True)
class IdentityClaim:
    """Who one record says it is about (input to the identity check)."""

    ref: str  # "study:...", "document:...", "intake:patient"
    label: str  # what the user calls the record ("CT chest, 3 March 2026", "Visit_Note.pdf")
    name: str = ""  # as written: DICOM PN ("MUNOZ^ZOE"), "Muñoz, Zoë", "Zoë Muñoz"
    birth_date: str = ""  # ISO or DICOM DA
    id: str = ""  # MRN or other identifier
    sex: str = ""
    issuer: str = ""  # who assigned the id (institution), "" when unknown
    source: str = ""  # "dicom", "document" or "intake"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person the records name, with every way they name them."""

    names: tuple[str, ...]  # as written, most common first
    birth_dates: tuple[str, ...]
    ids: tuple[str, ...]
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """A field on which records disagree, with the differing values side by side."""

    field: str  # "name", "birth_date", "id", "sex"
    values: tuple[tuple[str, tuple[str, ...]], ...]  # (value as written, refs that say it)
    stop: bool  # True: these are different people (wrong-patient media); False: check it
    message: str  # plain words, without the values (they are in ``values``)


@dataclass(frozen=True, slots=True)
class IdentityReport:
    status: IdentityStatus
    persons: tuple[PersonRecord, ...]
    conflicts: tuple[IdentityConflict, ...]
    message: str  # one plain sentence for the user

    @property
    def stop(self) -> bool:
        return any(c.stop for c in self.conflicts)


# ----------------------------------------------------------------------------------- checklist


class ItemStatus(StrEnum):
    """The state of one checklist item. Scripts rely on these values."""

    PRESENT = "present"
    MISSING = "missing"
    ATTENTION = "attention"  # present but incomplete or inconsistent
    NOT_REQUIRED = "not_required"


class Requirement(StrEnum):
    """How much a profile needs an item (after its conditions are applied to the case)."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"
    NOT_REQUIRED = "not_required"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A record that shows an item is present (or what is wrong with it)."""

    ref: str
    title: str


@dataclass(frozen=True, slots=True)
class RecordRequest:
    """A record to ask a facility for (one line of a request letter)."""

    facility: str  # "" when the records do not say who holds it
    record: str  # "radiology report", "DICOM images", "pathology report"...
    exam: str = ""  # "CT chest", "MR brain"
    date: str = ""  # ISO
    accession: str = ""
    reason: str = ""  # why it is asked for, in plain words
    ref: str = ""  # the case record it belongs to, when one exists


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    title: str
    status: ItemStatus
    requirement: Requirement
    evidence: tuple[Evidence, ...] = ()
    next_step: str = ""  # one concrete step for a layperson; "" when present
    details: tuple[str, ...] = ()  # what exactly is missing or wrong, one plain line each
    requests: tuple[RecordRequest, ...] = ()

    @property
    def required(self) -> bool:
        return self.requirement is Requirement.REQUIRED

    @property
    def blocking(self) -> bool:
        """A required item that is missing or needs attention: the case is not complete."""
        return self.required and self.status in (ItemStatus.MISSING, ItemStatus.ATTENTION)


@dataclass(frozen=True, slots=True)
class CompletenessReport:
    profile: str
    profile_title: str
    items: tuple[ItemResult, ...]
    identity: IdentityReport

    @property
    def complete(self) -> bool:
        return not any(i.blocking for i in self.items)

    def item(self, item_id: str) -> ItemResult | None:
        return next((i for i in self.items if i.id == item_id), None)
