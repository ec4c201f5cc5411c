"""Documents that live inside DICOM: Encapsulated PDF/CDA, Structured Reports, Key Objects.

* Encapsulated PDF (PS3.3 A.45): the PDF bytes are taken out byte-exact and become a document.
* SR (PS3.3 C.17.3): the content tree is flattened to readable, indented text.
* KOS (Key Object Selection, PS3.3 A.59): the instances it references, so a reviewer's
  "key images" survive the trip.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import pydicom

from bundler.model import DocumentKind

__all__ = ["DicomDocument", "extract_document"]

_MAX_DEPTH = 64
_MAX_ITEMS = 20_000
_MAX_TEXT = 2_000_000

# Document titles (ConceptNameCodeSequence, LOINC) that tell what the report is.
_LOINC_KINDS = {
    "18748-4": DocumentKind.RADIOLOGY_REPORT,  # Diagnostic imaging study
    "18747-6": DocumentKind.RADIOLOGY_REPORT,  # CT study
    "18755-9": DocumentKind.RADIOLOGY_REPORT,  # MRI study
    "18782-3": DocumentKind.RADIOLOGY_REPORT,  # Radiology study observation
    "11526-1": DocumentKind.PATHOLOGY_REPORT,
    "11504-8": DocumentKind.OPERATIVE_REPORT,
    "18842-5": DocumentKind.DISCHARGE_SUMMARY,
    "11506-3": DocumentKind.VISIT_NOTE,
}


@dataclass(frozen=True, slots=True)
class DicomDocument:
    """A document taken out of a DICOM instance."""

    media_type: str  # application/pdf, text/xml (CDA), text/plain (flattened SR)
    data: bytes
    title: str
    date: str  # ISO
    kind: DocumentKind | None
    kind_evidence: str
    referenced_sop_uids: tuple[str, ...] = ()  # KOS and SR image references


def extract_document(data: bytes) -> DicomDocument | None:
    """The document inside an Encapsulated Document, SR or KOS instance; None for others.

    Raises ``ValueError`` when the instance is damaged.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            sop_class = str(ds.get("SOPClassUID", ""))
            if sop_class.startswith("1.2.840.10008.5.1.4.1.1.104."):
                return _encapsulated(ds)
            if sop_class.startswith("1.2.840.10008.5.1.4.1.1.88."):
                return _structured_report(ds, key_objects=sop_class.endswith(".88.59"))
    except (RecursionError, MemoryError) as e:
        raise ValueError("damaged document instance") from e
    except Exception as e:  # noqa: BLE001 - any failure reading outside data means "damaged"
        raise ValueError("damaged document instance") from e
    return None


def _encapsulated(ds: Any) -> DicomDocument | None:
    payload = ds.get("EncapsulatedDocument")
    if not payload:
        return None
    raw = bytes(payload)
    length = ds.get("EncapsulatedDocumentLength")
    if length:
        raw = raw[: int(length)]  # PS3.3 C.24.2.1: the value may carry one pad byte
    mime = str(ds.get("MIMETypeOfEncapsulatedDocument", "") or "application/octet-stream")
    if mime == "application/pdf" and raw.endswith(b"\x00") and not length:
        raw = raw.rstrip(b"\x00") if raw.rstrip(b"\x00").endswith((b"%%EOF", b"%%EOF\n", b"%%EOF\r\n")) else raw
    kind, evidence = _kind(ds)
    return DicomDocument(
        media_type=mime,
        data=raw,
        title=str(ds.get("DocumentTitle", "") or "") or _concept(ds),
        date=_iso(ds.get("ContentDate") or ds.get("StudyDate") or ""),
        kind=kind,
        kind_evidence=evidence,
    )


def _structured_report(ds: Any, *, key_objects: bool) -> DicomDocument:
    lines: list[str] = []
    refs: list[str] = []
    title = _concept(ds)
    if title:
        lines.append(title.upper())
    count = [0]
    _flatten(ds.get("ContentSequence") or [], 0, lines, refs, count)
    text = "\n".join(_collapse_repeats(lines))[:_MAX_TEXT]
    kind, evidence = _kind(ds)
    return DicomDocument(
        media_type="text/plain",
        data=text.encode("utf-8"),
        title=title or ("Key images" if key_objects else "Structured report"),
        date=_iso(ds.get("ContentDate") or ds.get("StudyDate") or ""),
        kind=None if key_objects else kind,
        kind_evidence=evidence,
        referenced_sop_uids=tuple(dict.fromkeys(refs)),
    )


def _flatten(items: Any, depth: int, lines: list[str], refs: list[str], count: list[int]) -> None:
    if depth > _MAX_DEPTH:
        lines.append("  " * depth + "[content nested too deeply to show]")
        return
    for item in items:
        count[0] += 1
        if count[0] > _MAX_ITEMS:
            lines.append("[more content not shown]")
            return
        name = _concept(item)
        value = _value(item, refs)
        indent = "  " * depth
        if name and value:
            lines.append(f"{indent}{name}: {value}")
        elif name or value:
            lines.append(f"{indent}{name or value}")
        children = item.get("ContentSequence")
        if children:
            _flatten(children, depth + 1, lines, refs, count)


def _collapse_repeats(lines: list[str]) -> list[str]:
    """Runs of identical lines (a KOS lists dozens of image references) become one line."""
    out: list[str] = []
    run = 0
    for i, line in enumerate(lines):
        run += 1
        if i + 1 < len(lines) and lines[i + 1] == line:
            continue
        out.append(f"{line} ×{run}" if run > 1 else line)
        run = 0
    return out


def _value(item: Any, refs: list[str]) -> str:
    vt = str(item.get("ValueType", "")).upper()
    if vt == "TEXT":
        return str(item.get("TextValue", ""))
    if vt == "CODE":
        seq = item.get("ConceptCodeSequence") or []
        return str(seq[0].get("CodeMeaning", "")) if seq else ""
    if vt == "NUM":
        seq = item.get("MeasuredValueSequence") or []
        if not seq:
            return ""
        units = seq[0].get("MeasurementUnitsCodeSequence") or []
        unit = str(units[0].get("CodeValue", "")) if units else ""
        return f"{seq[0].get('NumericValue', '')} {unit if unit != '1' else ''}".strip()
    if vt == "DATE":
        return _iso(item.get("Date", ""))
    if vt in ("DATETIME", "TIME"):
        return str(item.get("DateTime", "") or item.get("Time", ""))
    if vt == "PNAME":
        return str(item.get("PersonName", "")).replace("^", " ").strip()
    if vt == "UIDREF":
        return str(item.get("UID", ""))
    if vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
        for ref in item.get("ReferencedSOPSequence") or []:
            uid = str(ref.get("ReferencedSOPInstanceUID", ""))
            if uid:
                refs.append(uid)
        return "(reference to an image)" if vt == "IMAGE" else "(reference to an object)"
    return ""


def _concept(ds: Any) -> str:
    seq = ds.get("ConceptNameCodeSequence") or []
    return str(seq[0].get("CodeMeaning", "")) if seq else ""


def _kind(ds: Any) -> tuple[DocumentKind | None, str]:
    seq = ds.get("ConceptNameCodeSequence") or []
    if seq:
        code = str(seq[0].get("CodeValue", ""))
        if code in _LOINC_KINDS:
            return _LOINC_KINDS[code], f"DICOM document title LOINC {code}"
    return None, ""


def _iso(da: object) -> str:
    s = str(da or "").strip()
    if len(s) >= 8 and s[:8].isdigit():
        return f"{s[:4]}-{s[4:6]}-{s[6:8]}"
    return ""
