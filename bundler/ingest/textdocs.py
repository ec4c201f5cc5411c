"""Plain text and Word (DOCX) documents."""

from __future__ import annotations

import io
import re
import zipfile

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

__all__ = ["decode_text", "parse_docx", "parse_text"]

_MAX_TEXT_BYTES = 50 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (never fails)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_text(data: bytes, *, name: str) -> ParsedDocument:
    if len(data) > _MAX_TEXT_BYTES:
        raise DocumentReadError("too_large", "The text file is too large to read.")
    return ParsedDocument(media_type="text/plain", text=decode_text(data).replace("\r\n", "\n").strip())


def parse_docx(data: bytes, *, name: str) -> ParsedDocument:
    """Paragraph text of a .docx (word/document.xml), read with the same XML safety as C-CDA."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("word/document.xml")
            if info.file_size > _MAX_TEXT_BYTES:
                raise DocumentReadError("too_large", "The document is too large to read.")
            xml = zf.read(info)
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except DocumentReadError:
        raise
    except DefusedXmlException as e:
        raise DocumentReadError("xml_forbidden", "The document contains XML constructs we refuse.") from e
    except Exception as e:  # noqa: BLE001 - damaged zip or XML
        raise DocumentReadError("docx_broken", "The Word document is damaged and could not be read.") from e
    paragraphs = []
    for p in root.iter(f"{_W}p"):
        paragraphs.append("".join(t.text or "" for t in p.iter(f"{_W}t")))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(paragraphs)).strip()
    return ParsedDocument(media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                          text=text, needs_label=not text)
