"""Words for people: names, dates, counts and record kinds as the screens show them.

Plain functions over core objects; no widgets. User-facing strings go through
``QCoreApplication.translate`` (context "Text") so the Spanish translation can pick them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, QLocale

from bundler.model import DicomObjectKind, Document, DocumentKind, Instance, Patient

__all__ = [
    "display_name",
    "document_kind_text",
    "format_date",
    "format_partial_date",
    "import_summary",
    "instance_contents",
    "KIND_WORDS",
    "kind_text",
    "modality_text",
    "patient_summary",
    "plural",
    "sort_date",
    "to_qdate",
]


def _t(text: str) -> str:
    return QCoreApplication.translate("Text", text)


# Plain words for the DICOM Modality codes a patient is most likely to meet (PS3.3 C.7.3.1.1.1).
_MODALITY_WORDS: Final = {
    "CT": QT_TRANSLATE_NOOP("Text", "CT"),
    "MR": QT_TRANSLATE_NOOP("Text", "MRI"),
    "US": QT_TRANSLATE_NOOP("Text", "Ultrasound"),
    "CR": QT_TRANSLATE_NOOP("Text", "X-ray"),
    "DX": QT_TRANSLATE_NOOP("Text", "X-ray"),
    "RG": QT_TRANSLATE_NOOP("Text", "X-ray"),
    "MG": QT_TRANSLATE_NOOP("Text", "Mammogram"),
    "PT": QT_TRANSLATE_NOOP("Text", "PET"),
    "NM": QT_TRANSLATE_NOOP("Text", "Nuclear medicine"),
    "XA": QT_TRANSLATE_NOOP("Text", "Angiography"),
    "RF": QT_TRANSLATE_NOOP("Text", "Fluoroscopy"),
    "OT": QT_TRANSLATE_NOOP("Text", "Other"),
    "SR": QT_TRANSLATE_NOOP("Text", "Report"),
    "DOC": QT_TRANSLATE_NOOP("Text", "Document"),
    "KO": QT_TRANSLATE_NOOP("Text", "Key images"),
    "PR": QT_TRANSLATE_NOOP("Text", "Display settings"),
    "ECG": QT_TRANSLATE_NOOP("Text", "ECG"),
    "OP": QT_TRANSLATE_NOOP("Text", "Eye photo"),
    "OPT": QT_TRANSLATE_NOOP("Text", "Eye scan (OCT)"),
    "SM": QT_TRANSLATE_NOOP("Text", "Microscopy slide"),
    "XC": QT_TRANSLATE_NOOP("Text", "Photo"),
    "ES": QT_TRANSLATE_NOOP("Text", "Endoscopy"),
    "SEG": QT_TRANSLATE_NOOP("Text", "Segmentation"),
    "RTSTRUCT": QT_TRANSLATE_NOOP("Text", "Radiotherapy plan"),
    "RTPLAN": QT_TRANSLATE_NOOP("Text", "Radiotherapy plan"),
    "RTDOSE": QT_TRANSLATE_NOOP("Text", "Radiotherapy dose"),
}

_KIND_NOUNS: Final = {  # in the order a series' contents are listed
    DicomObjectKind.IMAGE: (QT_TRANSLATE_NOOP("Text", "image"), QT_TRANSLATE_NOOP("Text", "images")),
    DicomObjectKind.STRUCTURED_REPORT: (QT_TRANSLATE_NOOP("Text", "report"), QT_TRANSLATE_NOOP("Text", "reports")),
    DicomObjectKind.ENCAPSULATED_PDF: (QT_TRANSLATE_NOOP("Text", "document"), QT_TRANSLATE_NOOP("Text", "documents")),
    DicomObjectKind.ENCAPSULATED_DOCUMENT: (QT_TRANSLATE_NOOP("Text", "document"), QT_TRANSLATE_NOOP("Text", "documents")),
    DicomObjectKind.KEY_OBJECT_SELECTION: (QT_TRANSLATE_NOOP("Text", "key-image note"), QT_TRANSLATE_NOOP("Text", "key-image notes")),
    DicomObjectKind.PRESENTATION_STATE: (QT_TRANSLATE_NOOP("Text", "display setting"), QT_TRANSLATE_NOOP("Text", "display settings")),
    DicomObjectKind.WAVEFORM: (QT_TRANSLATE_NOOP("Text", "tracing"), QT_TRANSLATE_NOOP("Text", "tracings")),
    DicomObjectKind.SEGMENTATION: (QT_TRANSLATE_NOOP("Text", "outline"), QT_TRANSLATE_NOOP("Text", "outlines")),
}


def display_name(pn: str) -> str:
    """A DICOM Person Name (PS3.5 §6.2.1) as people write it: ``DOE^JANE`` → ``Jane Doe``.

    The alphabetic group is used when present, else the ideographic, else the phonetic one;
    ideographic and phonetic names keep family-name-first order. All-capital names (usual in
    headers) are put in title case; mixed-case names are left as written.
    """
    groups = pn.strip().split("=")
    for index, group in enumerate(groups[:3]):
        parts = [p.strip() for p in group.split("^")]
        parts += [""] * (5 - len(parts))
        family, given, middle, prefix, suffix = parts[:5]
        if not any((family, given, middle, prefix, suffix)):
            continue
        if index == 0:
            words = [prefix, given, middle, family, suffix]
        else:
            words = [prefix, family, given, middle, suffix]
        text = " ".join(w for w in words if w)
        if index == 0 and text.isupper():
            text = _title_case(text)
        return text
    return ""


def _title_case(text: str) -> str:
    """``O'BRIEN-SMITH`` → ``O'Brien-Smith``; roman numerals (``III``) stay as they are."""
    words = []
    for word in text.split(" "):
        if set(word.rstrip(".")) <= set("IVX"):
            words.append(word)
            continue
        parts = ("'".join(p[:1] + p[1:].lower() for p in part.split("'")) for part in word.split("-"))
        words.append("-".join(parts))
    return " ".join(words)


def to_qdate(da: str) -> QDate | None:
    """A whole date from DICOM DA (YYYYMMDD, PS3.5 §6.2), ACR-NEMA YYYY.MM.DD or ISO (with time)."""
    digits = da.strip()[:10].replace(".", "").replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    date = QDate(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return date if date.isValid() else None


def format_date(da: str, *, long: bool = False) -> str:
    """A DICOM date for people, in the user's language: ``20240312`` → ``12 Mar 2024``.

    Returns the text as written when it is not a valid date, and "" when it is empty.
    """
    date = to_qdate(da)
    if date is None:
        return da.strip()
    locale = QLocale()
    if long and locale.language() == QLocale.Language.Spanish:
        return locale.toString(date, "d 'de' MMMM 'de' yyyy")  # "23 de agosto de 1962"
    return locale.toString(date, "d MMMM yyyy" if long else "d MMM yyyy")


def format_partial_date(iso: str) -> str:
    """An ISO date as precise as known: ``2026-03-03``, ``2026-03`` (month) or ``2026`` (year)."""
    iso = iso.strip()
    if len(iso) == 7 and iso[4] == "-" and iso[:4].isdigit() and iso[5:].isdigit():
        date = QDate(int(iso[:4]), int(iso[5:]), 1)
        if date.isValid():
            return QLocale().toString(date, "MMMM yyyy")
    if len(iso) == 4 and iso.isdigit():
        return iso
    return format_date(iso, long=True)


def sort_date(da: str) -> str:
    date = to_qdate(da)
    return date.toString("yyyyMMdd") if date is not None else ""


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def instance_contents(instances: Iterable[Instance]) -> str:
    """"12 images", "1 report", "48 images, 1 document": what a reviewer will find."""
    counts: dict[tuple[str, str], int] = {}
    for instance in instances:
        noun = _KIND_NOUNS.get(instance.kind, ("item", "items"))
        counts[noun] = counts.get(noun, 0) + 1
    order = list(dict.fromkeys(_KIND_NOUNS.values()))
    ranked = sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return ", ".join(plural(n, _t(one), _t(many)) for (one, many), n in ranked)


def modality_text(codes: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(_t(_MODALITY_WORDS.get(c, c)) for c in codes if c))


# What each DocumentKind is called on screen (the values are the core's, scripts rely on them).
KIND_WORDS: Final = {
    DocumentKind.RADIOLOGY_REPORT: QT_TRANSLATE_NOOP("Text", "Radiology report"),
    DocumentKind.PATHOLOGY_REPORT: QT_TRANSLATE_NOOP("Text", "Pathology report"),
    DocumentKind.OPERATIVE_REPORT: QT_TRANSLATE_NOOP("Text", "Operative or procedure report"),
    DocumentKind.DISCHARGE_SUMMARY: QT_TRANSLATE_NOOP("Text", "Discharge summary"),
    DocumentKind.VISIT_NOTE: QT_TRANSLATE_NOOP("Text", "Visit note"),
    DocumentKind.LAB_RESULT: QT_TRANSLATE_NOOP("Text", "Lab results"),
    DocumentKind.MEDICATION_LIST: QT_TRANSLATE_NOOP("Text", "Medication list"),
    DocumentKind.REFERRAL_OR_INSURANCE: QT_TRANSLATE_NOOP("Text", "Referral or insurance"),
    DocumentKind.CONSENT_OR_LEGAL: QT_TRANSLATE_NOOP("Text", "Consent or legal form"),
    DocumentKind.OTHER: QT_TRANSLATE_NOOP("Text", "Something else"),
}


def kind_text(kind: str) -> str:
    """A DocumentKind value in plain words ("radiology_report" → "Radiology report")."""
    try:
        return _t(KIND_WORDS[DocumentKind(kind)])
    except ValueError:
        words = kind.replace("_", " ").strip()
        return words[:1].upper() + words[1:]


def document_kind_text(document: Document) -> str:
    kind = document.kind.strip()
    if kind and kind != "other":
        return kind_text(kind)
    media = document.media_type.lower()
    if media == "application/pdf":
        return _t("PDF document")
    if media.startswith("image/"):
        return _t("Picture")
    if "xml" in media or "json" in media:
        return _t("Health record file")
    if media in ("text/csv", "application/vnd.ms-excel") or "spreadsheet" in media:
        return _t("Table")
    if media.startswith("text/"):
        return _t("Text")
    return _t("Document")


def patient_summary(patients: Sequence[Patient]) -> str:
    """One line naming the people these records are about, with birth dates."""
    seen: dict[tuple[str, str], None] = {}
    for patient in patients:
        seen.setdefault((display_name(patient.name), patient.birth_date.strip()), None)
    people = []
    for name, birth in seen:
        born = format_date(birth, long=True)
        if name and born:
            people.append(_t("{name}, born {date}").format(name=name, date=born))
        elif name:
            people.append(name)
        elif born:
            people.append(_t("No name given, born {date}").format(date=born))
    if not people:
        return ""
    if len(people) == 1:
        return _t("These records are about {person}.").format(person=people[0])
    return _t("These records give more than one name or birth date: {people}.").format(
        people="; ".join(people)
    )


def import_summary(report: object) -> str:
    """One calm line from an ImportReport's counts."""
    seen, imported = getattr(report, "files_seen"), getattr(report, "imported")
    skipped, failed = getattr(report, "skipped"), getattr(report, "failed")
    if seen == 0:
        return _t("No files were found there.")
    if failed:
        text = _t("Looked at {files}: {added} added, {skipped} skipped, {failed} could not be read.")
    else:
        text = _t("Looked at {files}: {added} added, {skipped} skipped.")
    text = text.format(files=plural(seen, _t("file"), _t("files")), added=imported, skipped=skipped,
                       failed=failed)
    if imported == 0 and skipped and not failed:
        text += " " + _t("Everything there was already in your records, or was not a record.")
    return text
