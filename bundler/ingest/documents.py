"""Recognising document files (the understanding of documents is a later stage).

For now a document is a file we can keep and show: PDF (by its signature) and spreadsheet-like
medication or lab lists (CSV/TSV text). Everything else that is not DICOM is skipped with a
reason in the import log.
"""

from __future__ import annotations

from pathlib import PurePosixPath

__all__ = ["sniff_document", "VIEWER_SOFTWARE_SUFFIXES", "looks_like_viewer_software"]

VIEWER_SOFTWARE_SUFFIXES = frozenset({
    ".exe", ".dll", ".inf", ".ini", ".bat", ".cmd", ".msi", ".com", ".sys", ".ocx", ".cab", ".jar",
    ".so", ".dylib", ".app", ".lnk", ".ico", ".icns", ".cfg", ".xml.cfg", ".js", ".css", ".swf",
})


def sniff_document(head: bytes, name: str) -> str | None:
    """The media type of a document we keep, or None."""
    # PDF: the signature may follow some junk bytes (PDF 32000-1 §7.5.2 readers allow 1024).
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".csv", ".tsv") and _is_text(head):
        return "text/csv" if suffix == ".csv" else "text/tab-separated-values"
    return None


def looks_like_viewer_software(head: bytes, name: str) -> bool:
    """Executables, libraries and autorun files that discs ship with a DICOM viewer."""
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        return True
    lower = name.lower()
    return lower in ("autorun.inf", "autorun.ini") or PurePosixPath(lower).suffix in VIEWER_SOFTWARE_SUFFIXES


def _is_text(head: bytes) -> bool:
    if b"\x00" in head[:4096]:
        return False
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still text.
        return e.start >= len(head[:4096]) - 3
    return True
