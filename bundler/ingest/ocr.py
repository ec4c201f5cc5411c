"""Text from pictures and scanned PDFs with the real Tesseract (English and Spanish).

Tesseract and ``pdftoppm`` (poppler) run as separate processes on files in a private folder
(mode 0700) created inside the ``scratch`` folder the caller gives, which lives in the case store:
the pictures are patient data and never go to the system's temporary folder. ``TMPDIR`` points
the tools' own temporary files there too. Processes get a timeout and one thread each (the
import runs several pages side by side).

Pictures are checked before anything decodes them: the width and height are read from the
PNG/JPEG/TIFF/WebP header (:func:`image_size`, a few struct reads) and pictures of
:data:`MAX_PIXELS` (100 megapixels) or more are refused with ``image_too_large``; a 100 MP
picture decodes to 300 MB and more, a decompression bomb to gigabytes. Pillow could read the
same headers, but we never decode pixels ourselves (Tesseract does), so a header reader is all
we need. HEIC photos (iPhones) are read with pillow-heif when it is installed (it bundles
libheif); Tesseract cannot read HEIC, so they are converted to PNG inside the private folder.

Without Tesseract, pictures are kept and marked ``needs_label``; they are never dropped.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import os
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

__all__ = [
    "DEFAULT_LANGS",
    "MAX_PIXELS",
    "available",
    "heic_supported",
    "image_size",
    "image_type",
    "languages",
    "ocr_image",
    "ocr_pdf",
    "parse_image",
]

_log = logging.getLogger(__name__)

MAX_PIXELS = 100_000_000
DEFAULT_LANGS = ("eng", "spa")
_TIMEOUT = 120.0  # seconds per picture or page; a dense page takes 2-10 s on a laptop
_MAX_IMAGE_BYTES = 200 * 1024 * 1024
_MAX_PDF_PAGES = 50  # pages of a scanned PDF read by OCR; the rest stay for the reader's eyes
_PDF_DPI = 200
# A rendered page never exceeds this many pixels (an oversized page is rendered at a lower
# resolution): a 200-inch poster page at 200 dpi would be 1.6 gigapixels.
_MAX_RENDER_PIXELS = 40_000_000
_MIN_LETTERS = 20  # OCR text with fewer letters is noise: the picture still needs a label


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


def available() -> bool:
    """Whether Tesseract is installed (looked up on ``PATH`` at each call)."""
    return shutil.which("tesseract") is not None


def languages() -> tuple[str, ...]:
    """The languages Tesseract has data for ("eng", "spa", ...); () without Tesseract."""
    path = shutil.which("tesseract")
    return _languages(path) if path else ()


@functools.lru_cache(maxsize=4)
def _languages(path: str) -> tuple[str, ...]:
    try:
        proc = subprocess.run([path, "--list-langs"], capture_output=True, timeout=30, check=False,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    out = proc.stdout.decode("utf-8", errors="replace").splitlines()
    # First line: 'List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):'
    return tuple(sorted({line.strip() for line in out[1:] if line.strip() and " " not in line.strip()}))


def heic_supported() -> bool:
    """Whether HEIC/HEIF photos can be read here (pillow-heif is installed)."""
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def _langs_arg(langs: tuple[str, ...]) -> str:
    installed = languages()
    chosen = [lang for lang in langs if lang in installed] if installed else list(langs)
    if not chosen:
        if "eng" in installed:
            chosen = ["eng"]
        else:
            raise DocumentReadError("ocr_unavailable", "The text reader has no language data installed.")
    return "+".join(chosen)


# --------------------------------------------------------------------------------------------
# Picture headers
# --------------------------------------------------------------------------------------------


def image_type(data: bytes) -> str | None:
    """The media type of a picture from its signature: image/png, jpeg, webp, tiff, heic."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                                               b"msf1", b"heif"):
        return "image/heic"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, WebP or TIFF header without decoding; None if unknown.

    For a multi-page TIFF, the largest page (by pixels) of the first 64.
    """
    kind = image_type(data)
    try:
        if kind == "image/png":
            return _png_size(data)
        if kind == "image/jpeg":
            return _jpeg_size(data)
        if kind == "image/webp":
            return _webp_size(data)
        if kind == "image/tiff":
            return _tiff_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    # PNG spec §5.3/§11.2.2: IHDR is the first chunk; width and height are 4-byte big-endian.
    if data[12:16] != b"IHDR" or len(data) < 24:
        return None
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


# JPEG SOFn markers (ITU T.81 Table B.1), not DHT (C4), JPG (C8) or DAC (CC).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            i += 1  # junk between segments: some writers pad; resynchronise on 0xFF
            continue
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        if marker == 0xD9:  # EOI before any frame header
            return None
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            if i + 9 > n:
                return None
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + max(length, 2)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    # RFC 9649 §2.5-2.7: VP8X canvas size, VP8 key-frame header, VP8L 14-bit dimensions.
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    """Largest page of a TIFF (TIFF 6.0 §2: IFD chain; tags 256/257) or BigTIFF."""
    endian = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    if big:
        (offset,) = struct.unpack(endian + "Q", data[8:16])
        count_fmt, entry_size, next_fmt, value_at = "Q", 20, "Q", 12
    else:
        (offset,) = struct.unpack(endian + "I", data[4:8])
        count_fmt, entry_size, next_fmt, value_at = "H", 12, "I", 8
    count_size = struct.calcsize(count_fmt)
    next_size = struct.calcsize(next_fmt)
    best: tuple[int, int] | None = None
    seen: set[int] = set()
    for _ in range(64):
        if not offset or offset in seen or offset + count_size > len(data):
            break
        seen.add(offset)
        (count,) = struct.unpack(endian + count_fmt, data[offset : offset + count_size])
        w = h = 0
        base = offset + count_size
        for k in range(min(int(count), 1024)):
            entry = data[base + entry_size * k : base + entry_size * (k + 1)]
            if len(entry) < entry_size:
                break
            tag, typ = struct.unpack(endian + "HH", entry[:4])
            if tag not in (256, 257):
                continue
            raw = entry[value_at:]
            value = struct.unpack(endian + "H", raw[:2])[0] if typ == 3 else struct.unpack(endian + "I", raw[:4])[0]
            if tag == 256:
                w = int(value)
            else:
                h = int(value)
        if w and h and (best is None or w * h > best[0] * best[1]):
            best = (w, h)
        end = base + entry_size * int(count)
        if end + next_size > len(data):
            break
        (offset,) = struct.unpack(endian + next_fmt, data[end : end + next_size])
    return best


def _check_size(size: tuple[int, int] | None) -> None:
    if size is None:
        raise DocumentReadError("image_unreadable", "The picture's size could not be read, so it was not decoded.")
    if size[0] * size[1] >= MAX_PIXELS:
        raise DocumentReadError("image_too_large", "The picture is too large (100 megapixels or more) to read.")


# --------------------------------------------------------------------------------------------
# OCR
# --------------------------------------------------------------------------------------------


def ocr_image(
    data: bytes,
    *,
    scratch: Path,
    langs: tuple[str, ...] = DEFAULT_LANGS,
    timeout: float = _TIMEOUT,
) -> str:
    """Text of one picture (PNG, JPEG, WebP, TIFF; HEIC with pillow-heif).

    Raises
    ------
    DocumentReadError
        ``image_too_large`` (100 MP or more, found from the header without decoding),
        ``image_unreadable`` (unknown or damaged picture), ``ocr_timeout``, ``ocr_unavailable``.
    """
    if len(data) > _MAX_IMAGE_BYTES:
        raise DocumentReadError("image_too_large", "The picture file is too large to read.")
    heic = image_type(data) == "image/heic"
    if not heic:
        _check_size(image_size(data))  # before anything is written or decoded
    if not available():
        raise DocumentReadError("ocr_unavailable", "The text reader (Tesseract) is not installed.")
    with _private_dir(scratch) as work:
        if heic:
            src = _heic_to_png(data, work)
        else:
            src = work / "picture"
            src.write_bytes(data)
        return _tesseract(src, langs=langs, timeout=timeout, work=work)


def ocr_pdf(
    data: bytes,
    *,
    scratch: Path,
    langs: tuple[str, ...] = DEFAULT_LANGS,
    timeout: float = _TIMEOUT,
    max_pages: int = _MAX_PDF_PAGES,
) -> str:
    """Text of a scanned PDF: each page rendered with ``pdftoppm`` (200 dpi, less for oversized
    pages) and read by Tesseract; pages joined by a blank line. "" without pdftoppm.

    Raises
    ------
    DocumentReadError
        ``pdf_broken`` (pdftoppm cannot render it), ``ocr_timeout``, ``ocr_unavailable``.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        _log.info("pdftoppm is not installed: a scanned PDF cannot be read by OCR")
        return ""
    sizes = _page_sizes(data, max_pages)
    with _private_dir(scratch) as work:
        pdf = work / "document.pdf"
        pdf.write_bytes(data)
        texts = []
        for number, (w_pt, h_pt) in enumerate(sizes, start=1):
            area_in2 = max(w_pt * h_pt / (72.0 * 72.0), 1e-6)
            dpi = min(_PDF_DPI, int(math.sqrt(_MAX_RENDER_PIXELS / area_in2)))
            if dpi < 20:
                _log.info("page %d is too large to render for OCR", number)
                continue
            out = work / f"page-{number}"
            try:
                proc = subprocess.run(
                    [pdftoppm, "-r", str(dpi), "-f", str(number), "-l", str(number), "-png", "-singlefile",
                     str(pdf), str(out)],
                    capture_output=True, timeout=timeout, check=False, cwd=work, env=_env(work),
                    stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as e:
                raise DocumentReadError("ocr_timeout", "Rendering a scanned page for reading took too long.") from e
            except OSError as e:
                raise DocumentReadError("ocr_unavailable", "The page renderer (pdftoppm) could not be started.") from e
            png = out.with_suffix(".png")
            if proc.returncode != 0 or not png.exists():
                if number == 1:
                    raise DocumentReadError("pdf_broken", "The scanned PDF could not be rendered for reading.")
                break  # fewer pages than the page tree claimed
            texts.append(_tesseract(png, langs=langs, timeout=timeout, work=work, dpi=dpi))
            png.unlink()
        return "\n\n".join(t for t in texts if t).strip()


def _page_sizes(data: bytes, max_pages: int) -> list[tuple[float, float]]:
    """(width, height) in points of the first pages, from the crop box pdftoppm renders."""
    letter = (612.0, 792.0)
    try:
        from pypdf import PdfReader

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            sizes = []
            for page in list(reader.pages)[:max_pages]:
                try:
                    box = page.cropbox
                    unit = float(page.get("/UserUnit", 1.0))  # PDF 32000-1 §14.11.2.1
                    sizes.append((abs(float(box.width)) * unit, abs(float(box.height)) * unit))
                except Exception:  # noqa: BLE001 - a page without a usable box: assume Letter
                    sizes.append(letter)
            return sizes or [letter]
    except Exception:  # noqa: BLE001 - pypdf cannot read it; pdftoppm may: try one Letter page
        return [letter]


def _tesseract(path: Path, *, langs: tuple[str, ...], timeout: float, work: Path, dpi: int | None = None) -> str:
    exe = shutil.which("tesseract")
    if exe is None:
        raise DocumentReadError("ocr_unavailable", "The text reader (Tesseract) is not installed.")
    # Keeping runs of spaces keeps table columns apart ("Patient    Jane Doe    MRN    123"),
    # which the label readers in bundler.classify rely on.
    cmd = [exe, str(path), "stdout", "-l", _langs_arg(langs), "-c", "preserve_interword_spaces=1"]
    if dpi is not None:
        cmd += ["--dpi", str(dpi)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=_env(work), cwd=work, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise DocumentReadError("ocr_timeout", "Reading the text from the picture took too long.") from e
    except OSError as e:
        raise DocumentReadError("ocr_unavailable", "The text reader (Tesseract) could not be started.") from e
    if proc.returncode != 0:
        _log.info("tesseract exited with status %d", proc.returncode)  # its stderr may name the file
        raise DocumentReadError("image_unreadable", "The picture could not be read.")
    return _tidy(proc.stdout.decode("utf-8", errors="replace"))


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TMP", "TEMP", "TMPDIR")}
    # One thread per process: the import reads several pages side by side.
    env.update(OMP_THREAD_LIMIT="1", TMPDIR=str(work), TMP=str(work), TEMP=str(work))
    return env


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\f", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


class _private_dir:  # noqa: N801 - used like tempfile.TemporaryDirectory
    """A fresh 0700 folder inside ``scratch``, removed with its contents on exit."""

    def __init__(self, scratch: Path) -> None:
        self._scratch = Path(scratch)

    def __enter__(self) -> Path:
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.TemporaryDirectory(prefix="ocr-", dir=self._scratch)
        return Path(self._tmp.name)

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()


def _heic_to_png(data: bytes, work: Path) -> Path:
    """Decode a HEIC photo into ``work``/picture.png (its size checked before decoding)."""
    try:
        import pillow_heif
    except ImportError as e:
        raise DocumentReadError("image_unsupported", "HEIC photos cannot be read here (pillow-heif is missing).") from e
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size  # from the 'ispe' property: nothing is decoded yet
    except Exception as e:  # noqa: BLE001 - libheif's errors for damaged files
        raise DocumentReadError("image_unreadable", "The photo could not be read.") from e
    _check_size((int(width), int(height)))
    try:
        out = work / "picture.png"
        heif.to_pillow().save(out, format="PNG")
    except Exception as e:  # noqa: BLE001 - decoding errors
        raise DocumentReadError("image_unreadable", "The photo could not be read.") from e
    return out


# --------------------------------------------------------------------------------------------
# Pictures as documents
# --------------------------------------------------------------------------------------------


def parse_image(
    data: bytes,
    *,
    name: str,
    scratch: Path,
    langs: tuple[str, ...] = DEFAULT_LANGS,
    timeout: float = _TIMEOUT,
) -> ParsedDocument:
    """A photo or scan of a document: its OCR text, or kept with ``needs_label``.

    Never drops a picture: without Tesseract, without HEIC support, or with no readable text,
    the document comes back with ``needs_label`` and a note saying why.

    Raises
    ------
    DocumentReadError
        ``image_too_large`` for 100 megapixels or more (read from the header, not decoded);
        ``image_unreadable``, ``ocr_timeout`` as :func:`ocr_image`.
    """
    media = image_type(data) or "image"
    if len(data) > _MAX_IMAGE_BYTES:
        raise DocumentReadError("image_too_large", "The picture file is too large to read.")
    if media == "image/heic":
        if not heic_supported():
            return _unlabelled(media, "HEIC photos cannot be read here: say what this picture is")
    else:
        size = image_size(data)
        if size is None:
            return _unlabelled(media, "the picture's size could not be read, so it was not read: say what it is")
        _check_size(size)
    if not available():
        return _unlabelled(media, "no text reader (Tesseract) is installed: say what this picture is")
    text = ocr_image(data, scratch=scratch, langs=langs, timeout=timeout)
    if sum(1 for ch in text if ch.isalpha()) < _MIN_LETTERS:
        return ParsedDocument(media_type=media, text=text, needs_label=True,
                              problems_found=("no readable text was found in the picture: say what it is",))
    return ParsedDocument(media_type=media, text=text, problems_found=("text read by OCR: check names and numbers",))


def _unlabelled(media: str, note: str) -> ParsedDocument:
    return ParsedDocument(media_type=media, needs_label=True, problems_found=(note,))
