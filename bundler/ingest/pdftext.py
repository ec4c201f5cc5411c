"""PDF documents → :class:`ParsedDocument`: text, page count, title (pypdf, no native code).

Text comes out in reading order: pypdf's *layout* mode places each piece of text by its
position, so a two-column letterhead, a header table ("Patient ... MRN ...") or a lab table
reads row by row, with a run of spaces between columns, whatever order the producer wrote it
in. Layout mode costs about 1.4 times the plain mode, so it is used for the first
:data:`LAYOUT_PAGES` pages, where headers, identities and tables are; later pages use the plain
mode (content-stream order), which keeps a 200-page record under 5 s (``benchmarks/pdf_bench.py``).

Encrypted PDFs are opened with the empty user password when that works (many "secured" PDFs
only restrict printing); otherwise the document is kept with ``password_protected`` and the
note "password-protected", and :func:`parse` can be called again with the password.

A PDF with no text layer (a scan or a fax) is kept with ``needs_label`` and the note
:data:`NO_TEXT_LAYER`; the import's OCR phase then renders it with ``pdftoppm`` and reads it
with Tesseract (``bundler.ingest.ocr.ocr_pdf``). :func:`needs_ocr` tells a caller which is which.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from typing import Any

from bundler.ingest.readers_errors import DocumentReadError
from bundler.ingest.textdocs import plausible_title, title_from_text
from bundler.model import ParsedDocument

__all__ = ["LAYOUT_PAGES", "NO_TEXT_LAYER", "PASSWORD_PROTECTED", "needs_ocr", "parse"]

_log = logging.getLogger(__name__)
# pypdf logs warnings about damaged objects; some quote document strings (patient data).
logging.getLogger("pypdf").setLevel(logging.ERROR)

MEDIA_TYPE = "application/pdf"
LAYOUT_PAGES = 40
PASSWORD_PROTECTED = "password-protected"
NO_TEXT_LAYER = "no text layer (a scan): its text can only be read by OCR"
_WRONG_PASSWORD = "password-protected: the password given does not open it"
_MAX_PAGES = 5000
_MAX_CHARS = 20_000_000  # 20 M characters is ~5000 dense pages: beyond that it is not a record
# Fewer letters than this per page, on pages that carry pictures: a scan with a stamped footer
# ("Page 1 of 3", a fax header), not a document with a real text layer.
_SCAN_LETTERS_PER_PAGE = 25


def parse(data: bytes, *, name: str, password: str | None = None) -> ParsedDocument:
    """Read a PDF's text, page count and title.

    Parameters
    ----------
    data
        The file's bytes.
    name
        The file's name (used for nothing but log context; never logged).
    password
        The user password of an encrypted PDF, when the user gave one (the UI asks for it).

    Returns
    -------
    ParsedDocument
        ``text`` in reading order (pages separated by a blank line), ``pages``, ``title``
        (metadata title unless it is a placeholder such as "Document1", else the first heading
        that names the document). ``password_protected`` with the note "password-protected"
        when it cannot be opened; ``needs_label`` with :data:`NO_TEXT_LAYER` for a scan.

    Raises
    ------
    DocumentReadError
        ``pdf_broken`` when the file is not a readable PDF.
    """
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not _decrypt(reader, password):
                note = _WRONG_PASSWORD if password else PASSWORD_PROTECTED
                return ParsedDocument(media_type=MEDIA_TYPE, password_protected=True, needs_label=True,
                                      problems_found=(note,))
            count = len(reader.pages)
            texts, failed, scan_pages = _page_texts(reader, count)
            title = _metadata_title(reader)
    except DocumentReadError:
        raise
    except RecursionError as e:
        raise DocumentReadError("pdf_broken", "The PDF is damaged (absurdly nested).") from e
    except Exception as e:  # noqa: BLE001 - pypdf raises many types (and bare Exceptions) on damage
        raise DocumentReadError("pdf_broken", "The PDF is damaged and could not be read.") from e
    problems: list[str] = []
    if failed:
        problems.append(f"{failed} page(s) could not be read")
    if count > _MAX_PAGES:
        problems.append(f"only the first {_MAX_PAGES} of {count} pages were read")
    text = "\n\n".join(t for t in texts if t)
    if len(text) > _MAX_CHARS:
        text = text[:_MAX_CHARS]
        problems.append("the text was cut: the document is longer than any record we read")
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters or (scan_pages and letters < _SCAN_LETTERS_PER_PAGE * max(count, 1)):
        _log.info("PDF without a text layer: %d page(s), %d with pictures", count, scan_pages)
        return ParsedDocument(media_type=MEDIA_TYPE, title=title, pages=count, needs_label=True,
                              problems_found=(*problems, NO_TEXT_LAYER))
    return ParsedDocument(media_type=MEDIA_TYPE, title=title or title_from_text(text), text=text, pages=count,
                          problems_found=tuple(problems))


def needs_ocr(doc: ParsedDocument) -> bool:
    """Whether ``doc`` (from :func:`parse`) is a scan whose text only OCR can read."""
    return NO_TEXT_LAYER in doc.problems_found and not doc.text.strip() and not doc.password_protected


def _decrypt(reader: Any, password: str | None) -> bool:
    """Open an encrypted PDF with ``password``, else the empty password; False if neither works."""
    for candidate in ((password,) if password else ()) + ("",):
        try:
            if reader.decrypt(candidate):
                return True
        except NotImplementedError:
            # An encryption pypdf does not implement (or a missing crypto provider): to the user
            # this is the same as a password they do not have.
            return False
        except Exception:  # noqa: BLE001 - a damaged /Encrypt dictionary: treat as locked
            return False
    return False


def _page_texts(reader: Any, count: int) -> tuple[list[str], int, int]:
    """(text per page, pages that could not be read, pages that carry pictures)."""
    texts: list[str] = []
    failed = 0
    scan_pages = 0
    for index in range(min(count, _MAX_PAGES)):
        try:
            page = reader.pages[index]
        except Exception:  # noqa: BLE001 - one damaged page object must not lose the others
            failed += 1
            continue
        text = ""
        if index < LAYOUT_PAGES:
            try:
                text = _tidy_layout(page.extract_text(extraction_mode="layout"))
            except Exception:  # noqa: BLE001 - layout mode gives up on odd fonts; plain may not
                text = ""
        if not text:
            try:
                text = _tidy_plain(page.extract_text())
            except Exception:  # noqa: BLE001
                failed += 1
        texts.append(text)
        if sum(1 for ch in text if ch.isalpha()) < _SCAN_LETTERS_PER_PAGE and _has_pictures(page):
            scan_pages += 1
    return texts, failed, scan_pages


def _has_pictures(page: Any) -> bool:
    """Whether the page draws an image (directly or inside a form XObject, one level down)."""
    try:
        xobjects = page.get("/Resources", {}).get_object().get("/XObject", {}).get_object()
        for ref in list(xobjects.values())[:64]:
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form":
                inner = obj.get("/Resources", {}).get_object().get("/XObject", {}).get_object()
                if any(x.get_object().get("/Subtype") == "/Image" for x in list(inner.values())[:64]):
                    return True
    except Exception:  # noqa: BLE001 - odd resources: assume no pictures
        return False
    return False


def _tidy_layout(text: str) -> str:
    """Layout text without its page margins: trailing spaces off, common indent off, at most
    one blank line in a row. Runs of spaces inside lines stay: they separate columns."""
    lines = [line.rstrip() for line in text.split("\n")]
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    text = "\n".join(line[cut:] for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def _tidy_plain(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _metadata_title(reader: Any) -> str:
    try:
        meta = reader.metadata
        raw = meta.title if meta is not None else None
    except Exception:  # noqa: BLE001 - broken metadata is not a broken document
        return ""
    return plausible_title(str(raw)) if raw else ""
