"""PDF documents: text with pypdf, page count, title; scans and password-protected files noted.

A PDF without a text layer is a scan: it is kept, marked ``needs_label``, and read by OCR in the
import's last phase when Tesseract is installed (``bundler.ingest.ocr``).
"""

from __future__ import annotations

import io
import logging
import warnings

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

__all__ = ["parse"]

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warnings may quote document text

_MAX_PAGES = 5000


def parse(data: bytes, *, name: str, password: str | None = None) -> ParsedDocument:
    """Text, pages and title of a PDF. Raises :class:`DocumentReadError` ("pdf_broken")."""
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                # Many "encrypted" PDFs only restrict printing and open with an empty password.
                ok = reader.decrypt(password or "")
                if not ok:
                    return ParsedDocument(
                        media_type="application/pdf", password_protected=True, needs_label=True,
                        problems_found=("password-protected",))
            pages = reader.pages
            count = len(pages)
            texts = []
            for i, page in enumerate(pages):
                if i >= _MAX_PAGES:
                    break
                try:
                    texts.append(page.extract_text() or "")
                except Exception:  # noqa: BLE001 - one unreadable page must not lose the others
                    texts.append("")
            title = ""
            try:
                meta = reader.metadata
                title = str(meta.title).strip() if meta and meta.title else ""
            except Exception:  # noqa: BLE001 - broken metadata is not a broken document
                title = ""
    except RecursionError as e:
        raise DocumentReadError("pdf_broken", "The PDF is damaged (absurdly nested).") from e
    except Exception as e:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise DocumentReadError("pdf_broken", "The PDF is damaged and could not be read.") from e
    text = "\n\n".join(t.strip() for t in texts).strip()
    if not text:
        return ParsedDocument(media_type="application/pdf", title=title, pages=count, needs_label=True,
                              problems_found=("no text layer (a scan): text needs OCR",))
    return ParsedDocument(media_type="application/pdf", title=title, text=text, pages=count)
