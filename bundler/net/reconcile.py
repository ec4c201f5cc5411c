"""Import reconciliation: the outside study gets the patient's local identity, on the fly.

IHE Radiology Import Reconciliation Workflow (IRWF, RAD TF-1 §21, RAD-61 "Imported Objects
Stored"): before an outside study goes into the local PACS, the importer coerces the patient
attributes to the local values (Patient ID with its issuer, name, birth date, sex) and keeps
what the outside record said:

* the original Patient ID (and its issuer) as an item of Other Patient IDs Sequence
  (0010,1002), TypeOfPatientID ``TEXT`` (PS3.3 C.7.1.1);
* every original value it replaced in an Original Attributes Sequence (0400,0561) item, reason
  ``COERCE`` (PS3.3 C.12.1.1.9.2).

:func:`reconcile` is a pure function: it returns a new dataset and never changes the one it is
given (and so never the case's stored copy). Bulk values (pixel data) are shared, not copied.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence as DicomSequence

from bundler.errors import UsageError

__all__ = ["LocalPatient", "MODIFYING_SYSTEM", "reconcile"]

MODIFYING_SYSTEM = "RECORDS BUNDLER"

_BULK_VRS = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN", "OB or OW", "US or OW"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")  # no control characters, no value separator
_PATIENT_KEYWORDS = ("PatientID", "IssuerOfPatientID", "IssuerOfPatientIDQualifiersSequence",
                     "PatientName", "PatientBirthDate", "PatientSex")


@dataclass(frozen=True, slots=True)
class LocalPatient:
    """The patient as the local PACS knows them (entered by the clerk or picked from a C-FIND).

    Empty fields other than ``patient_id`` leave the outside value as it was. ``name`` is a
    DICOM person name (``Family^Given^Middle^Prefix^Suffix``); ``birth_date`` is ``YYYYMMDD``.
    """

    patient_id: str
    issuer: str = ""
    name: str = ""
    birth_date: str = ""
    sex: str = ""

    def __post_init__(self) -> None:
        for label, value, limit in (("patient ID", self.patient_id, 64), ("issuer", self.issuer, 64),
                                    ("name", self.name, 64 * 5)):
            if _CONTROL.search(value) or len(value) > limit or value != value.strip():
                raise UsageError(f"The local {label} is too long or holds characters DICOM does not allow.",
                                 code="bad_local_patient")
        if not self.patient_id:
            raise UsageError("Reconciliation needs the local patient ID.", code="bad_local_patient")
        if self.name and self.name.count("=") > 2:
            raise UsageError("The local name has too many '=' (name groups).", code="bad_local_patient")
        if self.birth_date:
            try:
                ok = len(self.birth_date) == 8 and self.birth_date.isdigit() and bool(
                    date(int(self.birth_date[:4]), int(self.birth_date[4:6]), int(self.birth_date[6:])))
            except ValueError:
                ok = False
            if not ok:
                raise UsageError("Write the local birth date as YYYYMMDD.", code="bad_local_patient")
        if self.sex not in ("", "M", "F", "O"):
            raise UsageError("The local sex is M, F or O.", code="bad_local_patient")

    def fingerprint(self) -> str:
        """A short hash of these values (to tell reconciled sends apart; no values in clear)."""
        data = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(data).hexdigest()[:16]


def reconcile(ds: Dataset, local: LocalPatient, *, now: datetime | None = None) -> Dataset:
    """Return a copy of ``ds`` with the local patient identity; ``ds`` itself is not changed.

    Parameters
    ----------
    ds
        An instance as read from the case (file meta and encoding are carried over).
    local
        The local values; empty ones keep the outside value.
    now
        The modification time written to Original Attributes Sequence (default: now, UTC).

    Notes
    -----
    The original Patient ID goes into Other Patient IDs Sequence only when it differs from the
    local one (an item already there is not added twice). Issuer of Patient ID and its
    qualifiers describe the *original* ID, so they move with it; the local issuer replaces
    them when given. When a local value cannot be written in the instance's character set,
    the instance is re-encoded in UTF-8 (ISO_IR 192), which holds every character.
    """
    out = _copy(ds)
    original: dict[str, DataElement] = {kw: copy.deepcopy(out[kw]) for kw in _PATIENT_KEYWORDS if kw in out}
    old_id = str(out.get("PatientID", "") or "")
    old_issuer = str(out.get("IssuerOfPatientID", "") or "")

    new_values = {"PatientID": local.patient_id, "IssuerOfPatientID": local.issuer,
                  "PatientName": local.name, "PatientBirthDate": local.birth_date, "PatientSex": local.sex}
    if any(not v.isascii() for v in new_values.values()):
        _ensure_charset_can_hold(out, [v for v in new_values.values() if not v.isascii()])

    if old_id and (old_id, old_issuer) != (local.patient_id, local.issuer):
        item = Dataset()
        item.PatientID = old_id
        if old_issuer:
            item.IssuerOfPatientID = old_issuer
        if "IssuerOfPatientIDQualifiersSequence" in original:
            item.IssuerOfPatientIDQualifiersSequence = original["IssuerOfPatientIDQualifiersSequence"].value
        item.TypeOfPatientID = "TEXT"
        items = list(out.get("OtherPatientIDsSequence", None) or [])
        if not any(str(i.get("PatientID", "")) == old_id and str(i.get("IssuerOfPatientID", "")) == old_issuer
                   for i in items):
            items.append(item)
        out.OtherPatientIDsSequence = DicomSequence(items)

    changed: list[str] = []
    out.PatientID = local.patient_id
    changed.append("PatientID")
    if local.issuer:
        out.IssuerOfPatientID = local.issuer
        changed.append("IssuerOfPatientID")
    elif "IssuerOfPatientID" in out:
        del out.IssuerOfPatientID
        changed.append("IssuerOfPatientID")
    if "IssuerOfPatientIDQualifiersSequence" in out:
        del out.IssuerOfPatientIDQualifiersSequence
        changed.append("IssuerOfPatientIDQualifiersSequence")
    if local.name:
        out.PatientName = local.name
        changed.append("PatientName")
    if local.birth_date:
        out.PatientBirthDate = local.birth_date
        changed.append("PatientBirthDate")
    if local.sex:
        out.PatientSex = local.sex
        changed.append("PatientSex")

    modified = Dataset()
    for kw in changed:
        if kw in original and str(original[kw].value or "") != str(out.get(kw, "") or ""):
            modified[original[kw].tag] = original[kw]
    if len(modified):
        record = Dataset()
        record.SourceOfPreviousValues = old_issuer  # type 2: the issuer of the outside values, if known
        stamp = (now or datetime.now(UTC)).astimezone(UTC)
        record.AttributeModificationDateTime = stamp.strftime("%Y%m%d%H%M%S+0000")
        record.ModifyingSystem = MODIFYING_SYSTEM
        record.ReasonForTheAttributeModification = "COERCE"
        record.ModifiedAttributesSequence = DicomSequence([modified])
        items = list(out.get("OriginalAttributesSequence", None) or [])
        items.append(record)
        out.OriginalAttributesSequence = DicomSequence(items)
    return out


def _copy(ds: Dataset) -> Dataset:
    """A copy safe to change: header elements are copied, bulk values shared (never changed)."""
    out: Dataset
    if isinstance(ds, FileDataset):
        out = FileDataset(ds.filename if isinstance(ds.filename, str) else "", Dataset(),
                          file_meta=copy.deepcopy(ds.file_meta), preamble=ds.preamble)
    else:
        out = Dataset()
        if hasattr(ds, "file_meta"):
            out.file_meta = copy.deepcopy(ds.file_meta)
    for tag, elem in ds.items():
        # A raw element is an immutable tuple; reading it converts it in ``out`` only.
        if isinstance(elem, RawDataElement) or elem.VR in _BULK_VRS:
            out[tag] = elem
        else:
            out[tag] = copy.deepcopy(elem)
    implicit, little = ds.original_encoding
    out.set_original_encoding(implicit, little, ds.original_character_set)
    return out


def _ensure_charset_can_hold(ds: Dataset, values: list[str]) -> None:
    """Switch ``ds`` to UTF-8 when its character set cannot hold ``values`` (PS3.5 §6.1)."""
    declared = ds.get("SpecificCharacterSet", None)
    terms = list(declared) if isinstance(declared, (list, tuple)) or (
        declared is not None and not isinstance(declared, str)) else ([declared] if declared else [])
    terms = [str(t) for t in terms]
    if "ISO_IR 192" in terms:
        return
    if len(terms) == 1 and terms[0] and "2022" not in terms[0]:
        codec = convert_encodings(terms)[0]
        try:
            for v in values:
                v.encode(codec)
            return
        except (UnicodeEncodeError, LookupError):
            pass
    # Decode every text value with the old character set first (it is a copy we own).
    ds.decode()
    ds.SpecificCharacterSet = "ISO_IR 192"
    implicit, little = ds.original_encoding
    ds.set_original_encoding(implicit, little, "utf_8")
