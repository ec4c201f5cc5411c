"""Plain words for records: dates as people write them, exams as people name them.

Shared by the timeline, the checklist's next steps, the request letters and the summary, so a
CT is called the same thing everywhere ("CT chest with contrast, 3 March 2026").
"""

from __future__ import annotations

import datetime as _dt
import re

from bundler.model import DatePrecision, Document, DocumentKind, Study

__all__ = ["document_label", "exam_name", "iso_date", "kind_label", "long_date", "readable", "study_label"]

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
}

_ISO = re.compile(r"\s*(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?(?:[T ]\d{2}:?\d{2}.*)?\s*")


def iso_date(value: str) -> tuple[str, DatePrecision]:
    """An ISO date as precise as ``value`` says (DICOM DA, ISO date or date-time, partial).

    ``("", UNKNOWN)`` when there is no readable date. A time of day is dropped: the timeline
    and the checklist work in days.
    """
    m = _ISO.fullmatch(value or "")
    if not m:
        return "", DatePrecision.UNKNOWN
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        _dt.date(y, int(mo or 1), int(d or 1))
    except ValueError:
        return "", DatePrecision.UNKNOWN
    if y < 1850:
        return "", DatePrecision.UNKNOWN
    if d:
        return f"{y:04d}-{mo}-{d}", DatePrecision.DAY
    if mo:
        return f"{y:04d}-{mo}", DatePrecision.MONTH
    return f"{y:04d}", DatePrecision.YEAR


def long_date(value: str, lang: str = "en") -> str:
    """``"3 March 2026"``, ``"March 2026"`` or ``"2026"`` (Spanish: ``"3 de marzo de 2026"``);
    "" when there is no date."""
    iso, precision = iso_date(value)
    if precision is DatePrecision.UNKNOWN:
        return ""
    months = _MONTHS.get(lang, _MONTHS["en"])
    parts = iso.split("-")
    if precision is DatePrecision.YEAR:
        return parts[0]
    month = months[int(parts[1]) - 1]
    if lang == "es":
        if precision is DatePrecision.MONTH:
            return f"{month} de {parts[0]}"
        return f"{int(parts[2])} de {month} de {parts[0]}"
    if precision is DatePrecision.MONTH:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


# Words kept in capitals when an all-capitals DICOM description is made readable.
_KEEP_UPPER = frozenset(
    "CT MR MRI PET PET/CT SPECT US CR DX XR MG NM PT AP PA LAT IV CTA MRA MRCP T1 T2 DWI FLAIR "
    "STIR GAD W/WO W/O WO HRCT LDCT ECG EKG EEG CXR KUB RUL RML RLL LUL LLL L1 L2 L3 L4 L5 C1 C2 "
    "C3 C4 C5 C6 C7 TMJ ENT GI GU OB".split()
)
_MODALITY_WORDS = {
    "CT": "CT", "MR": "MR", "CR": "X-ray", "DX": "X-ray", "US": "ultrasound", "MG": "mammogram",
    "PT": "PET", "NM": "nuclear medicine scan", "XA": "angiogram", "RF": "fluoroscopy",
    "OT": "images", "SC": "images", "DOC": "", "SR": "", "KO": "", "PR": "",
}


# Words in a description that already name the modality.
_NAMED_BY = {
    "CT": ("CT", "CTA", "HRCT", "LDCT", "TOMOGRAPHY"), "MR": ("MR", "MRI", "MRA", "MRCP", "MAGNETIC"),
    "CR": ("CR", "DX", "XR", "X-RAY", "XRAY", "RADIOGRAPH", "CXR", "FILM"), "US": ("US", "ULTRASOUND", "SONOGRAM"),
    "MG": ("MG", "MAMMOGRAM", "MAMMOGRAPHY", "MAMMO"), "PT": ("PET", "PET/CT", "PT"), "NM": ("NM", "SPECT", "SCAN"),
}
_NAMED_BY["DX"] = _NAMED_BY["CR"]


def readable(text: str) -> str:
    """An all-capitals description in sentence case, acronyms kept ("CT CHEST W/ CONTRAST" →
    "CT chest w/ contrast"). Mixed-case text is returned as written."""
    text = " ".join(text.split())
    if not text or text != text.upper():
        return text
    words = []
    for w in text.split(" "):
        bare = w.strip(",.;:()")
        words.append(w if bare in _KEEP_UPPER or any(c.isdigit() for c in bare) and len(bare) <= 4 else w.lower())
    out = " ".join(words)
    return out[:1].upper() + out[1:] if not out[:1].isupper() else out


def exam_name(study: Study) -> str:
    """What the exam is called: its description, with the modality named when it does not say."""
    acquired = [m for m in study.modalities if _MODALITY_WORDS.get(m, m)]
    modality_words = [_MODALITY_WORDS.get(m, m) for m in acquired]
    desc = readable(study.description)
    if not desc:
        series = next((s.description for s in study.series if s.description and s.modality in acquired), "")
        parts = " ".join(dict.fromkeys(modality_words)) or "Imaging"
        body = {s.body_part.lower() for s in study.series if s.body_part}
        tail = " ".join(sorted(body)) or readable(series).lower()
        return f"{parts} {tail}".strip()
    upper = re.sub(r"[,;:()]", " ", desc.upper())
    words = set(upper.replace("-", " ").split()) | set(upper.split())
    named = any(words & set(_NAMED_BY.get(m, (m,))) for m in acquired)
    if not named and modality_words:
        return f"{' '.join(dict.fromkeys(modality_words))} {desc[:1].lower() + desc[1:]}"
    return desc


def study_label(study: Study, lang: str = "en") -> str:
    """``"CT chest with contrast, 3 March 2026"`` (no patient data)."""
    when = long_date(study.date, lang)
    return f"{exam_name(study)}, {when}" if when else exam_name(study)


_KIND_LABELS = {
    DocumentKind.RADIOLOGY_REPORT: ("Radiology report", "Informe de radiología"),
    DocumentKind.PATHOLOGY_REPORT: ("Pathology report", "Informe de anatomía patológica"),
    DocumentKind.OPERATIVE_REPORT: ("Operative or procedure report", "Informe quirúrgico o de procedimiento"),
    DocumentKind.DISCHARGE_SUMMARY: ("Discharge summary", "Informe de alta"),
    DocumentKind.VISIT_NOTE: ("Visit note", "Nota de consulta"),
    DocumentKind.LAB_RESULT: ("Lab results", "Análisis de laboratorio"),
    DocumentKind.MEDICATION_LIST: ("Medication list", "Lista de medicamentos"),
    DocumentKind.REFERRAL_OR_INSURANCE: ("Referral or insurance", "Derivación o seguro"),
    DocumentKind.CONSENT_OR_LEGAL: ("Consent or legal form", "Consentimiento o documento legal"),
    DocumentKind.OTHER: ("Document", "Documento"),
}


def kind_label(kind: str, lang: str = "en") -> str:
    """What a document kind is called (English or Spanish)."""
    try:
        en, es = _KIND_LABELS[DocumentKind(kind)]
    except ValueError:
        en, es = _KIND_LABELS[DocumentKind.OTHER]
    return es if lang == "es" else en


def document_label(doc: Document, lang: str = "en") -> str:
    """``"Pathology report, 19 March 2026"``; the file's own title when its kind is unknown."""
    base = kind_label(doc.kind, lang) if doc.kind != DocumentKind.OTHER else (doc.title or kind_label(doc.kind, lang))
    when = long_date(doc.date, lang)
    return f"{base}, {when}" if when else base
