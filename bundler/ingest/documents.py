"""Documents: recognise a file's format, read it with the right reader, understand it.

``sniff_document`` decides from a file's first bytes (and, for plain text formats, its name)
whether it is a document we keep. ``read_document`` runs the format's reader, then fills what
the format did not say from the text: the kind (``bundler.classify``), the patient, the date,
and for radiology reports the sections, prior exams and flagged wording (``bundler.reportlang``).
Readers never raise for bad input except :class:`DocumentReadError`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from bundler.model import DocumentKind, ParsedDocument, PersonIdentity

__all__ = [
    "OCR_MEDIA_TYPES",
    "VIEWER_SOFTWARE_SUFFIXES",
    "looks_like_viewer_software",
    "read_document",
    "sniff_document",
]

VIEWER_SOFTWARE_SUFFIXES = frozenset({
    ".exe", ".dll", ".inf", ".ini", ".bat", ".cmd", ".msi", ".com", ".sys", ".ocx", ".cab", ".jar",
    ".so", ".dylib", ".app", ".lnk", ".ico", ".icns", ".cfg", ".js", ".css", ".swf", ".htm", ".html",
    ".class", ".dat", ".bin", ".plist", ".manifest",
})

PDF = "application/pdf"
CDA = "application/hl7-cda+xml"
FHIR = "application/fhir+json"
HL7V2 = "application/hl7-v2"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGES = {
    "image/jpeg", "image/png", "image/webp", "image/tiff", "image/heic",
}
OCR_MEDIA_TYPES = frozenset(IMAGES | {PDF})
_TEXT_SUFFIXES = {".txt", ".text", ".md", ".rtf"}
_MEDIA_FURNITURE = ("readme", "license", "licence", "copying", "autorun", "index")


def sniff_document(head: bytes, name: str, *, on_disc: bool = False) -> str | None:
    """The media type of a document we keep, or None.

    ``on_disc``: the file sits on DICOM media (a tree with a DICOMDIR); there, pictures and
    text files are the viewer's furniture (screenshots, READMEs), not the patient's records.
    """
    from bundler.ingest import ccda, fhir, hl7v2

    # PDF: readers accept the signature within the first 1024 bytes (PDF 32000-1 §7.5.2).
    if b"%PDF-" in head[:1024]:
        return PDF
    if ccda.sniff(head) or _cda_fragment(head):
        return CDA  # a whole C-CDA, or a fragment of one (its reader says which)
    if fhir.sniff(head):
        return FHIR
    if hl7v2.sniff(head):
        return HL7V2
    suffix = PurePosixPath(name).suffix.lower()
    if head[:4] == b"PK\x03\x04" and suffix == ".docx":
        return DOCX
    image = _image_type(head)
    if image is not None:
        return None if on_disc else image
    if suffix in (".csv", ".tsv") and _is_text(head):
        return CSV if suffix == ".csv" else TSV
    if suffix in _TEXT_SUFFIXES and _is_text(head):
        if on_disc or PurePosixPath(name).stem.lower().startswith(_MEDIA_FURNITURE):
            return None
        return TEXT
    return None


def looks_like_viewer_software(head: bytes, name: str) -> bool:
    """Executables, libraries and autorun files that discs ship with a DICOM viewer."""
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        return True
    lower = name.lower()
    return lower in ("autorun.inf", "autorun.ini") or PurePosixPath(lower).suffix in VIEWER_SOFTWARE_SUFFIXES


def _cda_fragment(head: bytes) -> bool:
    """XML carrying the HL7 v3 namespace or C-CDA template IDs (2.16.840.1.113883.10.20.*)."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
        return False
    sample = head[:8192]
    return b"urn:hl7-org:v3" in sample or b"2.16.840.1.113883.10.20." in sample


def _image_type(head: bytes) -> str | None:
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif"):
        return "image/heic"
    return None


def _is_text(head: bytes) -> bool:
    sample = head[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(sample) - 3:  # not just a character cut at the end of the sample
            return all(b >= 0x20 or b in b"\t\r\n\f" for b in sample[:512])  # cp1252 and friends
    return True


def read_document(data: bytes, *, media_type: str, name: str, scratch: Path, ocr: bool = False) -> ParsedDocument:
    """Read and understand one document. Raises ``DocumentReadError`` for unreadable input.

    ``ocr``: read text from pictures and scanned PDFs with Tesseract (slow; the import runs it
    as a separate phase after every other file is in).
    """
    from bundler.ingest import ccda, fhir, hl7v2, medlist, pdftext, textdocs

    if media_type == PDF:
        doc = pdftext.parse(data, name=name)
        if ocr and not doc.text.strip() and not doc.password_protected:
            from bundler.ingest import ocr as ocr_mod

            if ocr_mod.available():
                doc = dataclasses.replace(doc, text=ocr_mod.ocr_pdf(data, scratch=scratch), needs_label=False)
    elif media_type == CDA:
        doc = ccda.parse(data, name=name)
    elif media_type == FHIR:
        doc = fhir.parse(data, name=name)
    elif media_type == HL7V2:
        doc = hl7v2.parse(data, name=name)
    elif media_type in (CSV, TSV):
        doc = medlist.parse(data, name=name)
    elif media_type == DOCX:
        doc = textdocs.parse_docx(data, name=name)
    elif media_type in IMAGES:
        from bundler.ingest import ocr as ocr_mod

        if ocr:
            doc = ocr_mod.parse_image(data, name=name, scratch=scratch)
        else:
            doc = ParsedDocument(media_type=media_type, needs_label=True)
    else:
        doc = textdocs.parse_text(data, name=name)
    return understand(dataclasses.replace(doc, media_type=media_type, title=doc.title or _title(name)))


def understand(doc: ParsedDocument) -> ParsedDocument:
    """Fill what the format did not say from the text: kind, identity, date, report language."""
    from bundler import classify, reportlang

    text = doc.text
    changes: dict[str, object] = {}
    if text.strip():
        if doc.kind is DocumentKind.OTHER or doc.kind_confidence < 0.5:
            kind, confidence, evidence = classify.classify(text, title=doc.title)
            if confidence > doc.kind_confidence:
                changes.update(kind=kind, kind_confidence=confidence, kind_evidence=evidence)
        found = classify.find_identity(text)
        p = doc.patient
        changes["patient"] = PersonIdentity(
            name=p.name or found.name, birth_date=p.birth_date or found.birth_date,
            id=p.id or found.id, sex=p.sex or found.sex)
        changes["date"] = doc.date or classify.find_service_date(text)
        changes["facility"] = doc.facility or classify.find_facility(text)
        changes["accession"] = doc.accession or classify.find_accession(text)
        changes["needs_label"] = False
    doc = dataclasses.replace(doc, **changes)  # type: ignore[arg-type]
    if doc.kind is DocumentKind.RADIOLOGY_REPORT and text.strip() and not doc.sections:
        sections, priors, flags = reportlang.analyse_report(text, report_date=doc.date)
        doc = dataclasses.replace(doc, sections=sections, priors=priors, flags=flags)
    return doc


def _title(name: str) -> str:
    stem = PurePosixPath(name).stem
    return stem.replace("_", " ").replace("-", " ").strip() or name
