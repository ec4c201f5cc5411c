"""Text from pictures and scanned PDFs, with the real Tesseract (English and Spanish).

Tesseract and pdftoppm run as processes on files in a private scratch folder the caller gives
(inside the case store: the pictures are patient data). Without Tesseract, pictures are kept
and marked "needs a label"; they are never dropped.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

__all__ = ["available", "image_size", "ocr_image", "ocr_pdf", "parse_image"]

MAX_PIXELS = 100_000_000
_TIMEOUT = 180


def available() -> bool:
    return shutil.which("tesseract") is not None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, WebP or TIFF header, without decoding; None if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return w, h
    if data[:3] == b"\xff\xd8\xff":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + length
        return None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            w = 1 + int.from_bytes(data[24:27], "little")
            h = 1 + int.from_bytes(data[27:30], "little")
            return w, h
        if chunk == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L":
            b = int.from_bytes(data[21:25], "little")
            return (b & 0x3FFF) + 1, ((b >> 14) & 0x3FFF) + 1
    if data[:4] in (b"II*\x00", b"MM\x00*") and len(data) >= 8:
        return _tiff_size(data)
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    endian = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(endian + "I", data[4:8])
    if offset + 2 > len(data):
        return None
    (count,) = struct.unpack(endian + "H", data[offset : offset + 2])
    w = h = 0
    for k in range(min(count, 512)):
        entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, typ = struct.unpack(endian + "HH", entry[:4])
        value = struct.unpack(endian + ("H" if typ == 3 else "I"), entry[8:10] if typ == 3 else entry[8:12])[0]
        if tag == 256:
            w = value
        elif tag == 257:
            h = value
    return (w, h) if w and h else None


def _check_size(data: bytes) -> None:
    size = image_size(data)
    if size is not None and size[0] * size[1] >= MAX_PIXELS:
        raise DocumentReadError("image_too_large", "The picture is too large (100 megapixels or more) to read.")


def ocr_image(data: bytes, *, scratch: Path, langs: tuple[str, ...] = ("eng", "spa"), timeout: int = _TIMEOUT) -> str:
    """Text of one picture. Raises DocumentReadError for pictures too large or OCR timeouts."""
    _check_size(data)
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=scratch) as work:
        src = Path(work) / "page"
        src.write_bytes(data)
        return _tesseract(src, langs, timeout)


def ocr_pdf(data: bytes, *, scratch: Path, langs: tuple[str, ...] = ("eng", "spa"), timeout: int = _TIMEOUT) -> str:
    """Text of a scanned PDF: pages rendered with pdftoppm (200 dpi), then Tesseract."""
    if shutil.which("pdftoppm") is None:
        return ""
    with tempfile.TemporaryDirectory(prefix="ocr-", dir=scratch) as work:
        pdf = Path(work) / "doc.pdf"
        pdf.write_bytes(data)
        try:
            subprocess.run(["pdftoppm", "-r", "200", "-l", "50", "-png", str(pdf), str(Path(work) / "p")],
                           check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            raise DocumentReadError("pdf_broken", "The scanned PDF could not be rendered for reading.") from e
        pages = sorted(Path(work).glob("p*.png"))
        return "\n\n".join(_tesseract(p, langs, timeout) for p in pages).strip()


def _tesseract(path: Path, langs: tuple[str, ...], timeout: int) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one core per page: the pool runs pages in parallel
    try:
        proc = subprocess.run(["tesseract", str(path), "stdout", "-l", "+".join(langs)], capture_output=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired as e:
        raise DocumentReadError("ocr_timeout", "Reading the text from the picture took too long.") from e
    except OSError as e:
        raise DocumentReadError("ocr_unavailable", "The text reader (Tesseract) could not be started.") from e
    if proc.returncode != 0:
        raise DocumentReadError("image_unreadable", "The picture could not be read.")
    return proc.stdout.decode("utf-8", errors="replace").strip()


def parse_image(data: bytes, *, name: str, scratch: Path) -> ParsedDocument:
    """A photo or scan of a document: its OCR text, or kept with ``needs_label`` without Tesseract."""
    _check_size(data)
    if not available():
        return ParsedDocument(media_type="image", needs_label=True,
                              problems_found=("no text reader installed: say what this picture is",))
    text = ocr_image(data, scratch=scratch)
    return ParsedDocument(media_type="image", text=text, needs_label=not text.strip())
