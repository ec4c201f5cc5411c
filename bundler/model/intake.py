"""The patient's own part of a case: what only they can tell (the intake).

Stored in the case as one JSON document; loaded from a TOML or JSON file by
``records-bundler intake`` (format in docs/intake-format.md) and edited in the app's
"About you" screen. Dates are ISO 8601 strings as precise as the patient knows them
(``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), "" when not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bundler.model.clinical import Allergy, Medication

__all__ = ["ContactDetails", "Insurance", "Intake", "SymptomEntry"]


@dataclass(frozen=True, slots=True)
class ContactDetails:
    """The patient as they introduce themselves (for request letters and the summary)."""

    name: str = ""
    birth_date: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class SymptomEntry:
    """One entry of the symptom timeline: when, what happened, what helped and what did not."""

    date: str = ""
    what: str = ""
    helped: str = ""
    did_not_help: str = ""


@dataclass(frozen=True, slots=True)
class Insurance:
    insurer: str = ""
    member_id: str = ""
    plan: str = ""
    referral_required: bool | None = None  # None: the patient does not know
    referral: str = ""  # referral number or a few words ("letter from Dr Ortega")
    authorization: str = ""

    @property
    def given(self) -> bool:
        return bool(self.insurer or self.member_id or self.plan or self.referral or self.authorization)


@dataclass(frozen=True, slots=True)
class Intake:
    """Everything the patient told the app. Every field may be empty."""

    patient: ContactDetails = field(default_factory=ContactDetails)
    main_concern: str = ""
    diagnosis: str = ""  # the current diagnosis, as the patient was told it
    plan: str = ""  # the proposed treatment plan
    decision: str = ""  # the decision the patient faces
    symptoms: tuple[SymptomEntry, ...] = ()
    question_bank: tuple[str, ...] = ()  # ids of the question bank (resources/checklists/questions.toml)
    own_questions: tuple[str, ...] = ()  # questions in the patient's own words
    allergies: tuple[Allergy, ...] = ()
    allergies_none_known: bool = False  # an explicit "no known allergies"
    medications: tuple[Medication, ...] = ()
    medications_none: bool = False  # an explicit "I take no medicines"
    family_history: str = ""
    family_history_none_known: bool = False
    insurance: Insurance = field(default_factory=Insurance)
    pathology_slides: str = ""  # where the slides/blocks are and whether they can be sent

    @property
    def is_empty(self) -> bool:
        return self == Intake()
