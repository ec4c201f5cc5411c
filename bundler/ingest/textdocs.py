"""Plain text, RTF and Word (DOCX) documents → :class:`ParsedDocument`.

Text files come from everywhere (a portal's "download as text", a note a relative typed, an
export from an old practice system), so the encoding is found rather than assumed: a byte-order
mark says UTF-32/UTF-16/UTF-8; without one, valid UTF-8 is UTF-8, NUL-interleaved bytes are
BOM-less UTF-16, and anything else is Windows-1252 (which every byte sequence decodes as).

DOCX is read as what it is, a ZIP of XML parts (ECMA-376 Part 1): ``word/document.xml`` plus
its headers and footers, where letterheads and patient banners usually sit. The XML goes through
defusedxml with DTDs forbidden (no entities, no external references), as in ``ccda.py``.
python-docx was not used: it brings lxml (a large native dependency) for the 60 lines here,
and it ignores headers unless asked section by section.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

__all__ = ["DOCX_MEDIA_TYPE", "decode_text", "parse_docx", "parse_text", "plausible_title"]

_log = logging.getLogger(__name__)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_MAX_TEXT_BYTES = 50 * 1024 * 1024
_MAX_PART_BYTES = 50 * 1024 * 1024  # one XML part, uncompressed
_MAX_PARTS_BYTES = 120 * 1024 * 1024  # all parts we read together, uncompressed
_MAX_ZIP_MEMBERS = 10_000
_MAX_RATIO = 200  # uncompressed / compressed, above 1 MiB: a zip bomb, not a letter
_MAX_DEPTH = 40  # nested tables and content controls deeper than this are not a real document

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --------------------------------------------------------------------------------------------
# Encodings and titles (shared with the other readers)
# --------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Text of ``data`` whatever its encoding; never fails.

    A BOM decides (UTF-32, UTF-16, UTF-8). Without one: strict UTF-8, then BOM-less UTF-16
    (recognised by its NUL bytes), then Windows-1252. Line ends become ``\\n``; NULs are dropped.
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text = data.decode("utf-32", errors="replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    else:
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            text = data.decode(utf16, errors="replace")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _bomless_utf16(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when most of the first bytes alternate with NULs (ASCII-range
    text written as UTF-16 without a BOM, as some Windows tools do)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


# Titles authoring tools put in metadata when the author did not: "Document1", "untitled",
# "Microsoft Word - letter.docx", a file name.
_JUNK_TITLE = re.compile(
    r"^(?:document\s*\d*|doc\d*|untitled(?:\s*\d+)?|sin\s+t[ií]tulo|title|slide\s*\d+|page\s*\d+|"
    r"microsoft\s+word\s+-.*|.*\.(?:docx?|pdf|rtf|txt|odt|html?|tiff?|jpe?g|png))$",
    re.IGNORECASE,
)


def plausible_title(value: str) -> str:
    """``value`` stripped, or "" when it is an authoring tool's placeholder or a file name."""
    value = " ".join(value.split())
    if len(value) < 3 or len(value) > 200 or _JUNK_TITLE.match(value) or not re.search(r"[^\W\d_]", value):
        return ""
    return value


# Words that make a line a document's title rather than a letterhead or an address.
_TITLE_WORDS = re.compile(
    r"(?<!\w)(?:report|summary|note|notes|results?|panel|letter|directive|will|consent|referral|"
    r"authori[sz]ation|prescription|medications?|list|record|history|consultation|discharge|"
    r"informe|resumen|nota|resultados?|carta|consentimiento|receta|derivaci[oó]n|historia|alta|"
    r"epicrisis|voluntades|testamento)(?!\w)",
    re.IGNORECASE,
)
_PAGE_LINE = re.compile(r"^(?:page|p[aá]gina)?\s*\d+(?:\s*(?:of|de|/)\s*\d+)?$|^\d+\s*\|\s*p\s*a\s*g\s*e$",
                        re.IGNORECASE)


def title_from_text(text: str) -> str:
    """A heading near the top that names the document ("DISCHARGE SUMMARY"), else ""."""
    cells: list[str] = []
    for line in text[:4000].split("\n"):
        for cell in re.split(r"\t|\s{3,}", line.strip()):
            cell = " ".join(cell.split())
            if cell and not _PAGE_LINE.match(cell):
                cells.append(cell)
        if len(cells) >= 16:
            break
    for cell in cells:
        if 4 <= len(cell) <= 120 and _TITLE_WORDS.search(cell) and ":" not in cell:
            return plausible_title(cell)
    for cell in cells:  # an upper-case line of two words or more
        if 4 <= len(cell) <= 120 and cell.isupper() and len(cell.split()) >= 2 and ":" not in cell:
            return plausible_title(cell)
    return ""


# --------------------------------------------------------------------------------------------
# Plain text and RTF
# --------------------------------------------------------------------------------------------


def parse_text(data: bytes, *, name: str) -> ParsedDocument:
    """A text file (or an RTF file: its words without the markup).

    Raises :class:`DocumentReadError` ("too_large") past 50 MiB.
    """
    if len(data) > _MAX_TEXT_BYTES:
        raise DocumentReadError("too_large", "The text file is too large to read.")
    if data.lstrip()[:5] == b"{\\rtf":
        text = rtf_to_text(data.decode("latin-1"))
        media = "application/rtf"
    else:
        text = decode_text(data)
        media = "text/plain"
    text = _tidy(text)
    return ParsedDocument(
        media_type=media,
        title=title_from_text(text),
        text=text,
        needs_label=not text,
        problems_found=() if text else ("the file holds no text",),
    )


# Destinations whose text is not part of the document (fonts, styles, pictures, metadata).
_RTF_SKIP = frozenset({
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "footer", "headerl",
    "headerr", "footerl", "footerr", "listtable", "listoverridetable", "rsidtbl", "generator",
    "xmlnstbl", "themedata", "colorschememapping", "latentstyles", "datastore", "fldinst",
    "filetbl", "revtbl", "mmathPr", "pgdsctbl", "bkmkstart", "bkmkend", "wgrffmtfilter",
})
_RTF_TOKEN = re.compile(r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)", re.DOTALL)
_RTF_BREAKS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "tab": "\t", "cell": "   ",
               "row": "\n", "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022",
               "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d"}


def rtf_to_text(rtf: str) -> str:
    """The readable words of an RTF document (``rtf`` decoded as Latin-1, byte for byte).

    A small tokenizer, not a renderer: groups are tracked with an explicit stack (no recursion,
    so hostile nesting costs memory linearly, never the interpreter stack); ``\\'hh`` bytes are
    Windows-1252; ``\\uN`` is Unicode followed by ``\\ucN`` fallback characters to skip.
    """
    out: list[str] = []
    stack: list[tuple[bool, int]] = []
    skip, uc, pending_skip = False, 1, 0
    for m in _RTF_TOKEN.finditer(rtf):
        word, arg, hexbyte, symbol, brace, plain = m.groups()
        if brace == "{":
            stack.append((skip, uc))
            continue
        if brace == "}":
            if stack:
                skip, uc = stack.pop()
            pending_skip = 0
            continue
        if symbol is not None:
            if symbol == "*":
                skip = True  # an ignorable destination: {\*\foo ...}
            elif not skip and symbol in "\\{}":
                out.append(symbol)
            elif not skip and symbol == "~":
                out.append("\u00a0")
            elif not skip and symbol in "-_":
                out.append("-" if symbol == "_" else "")
            continue
        if word is not None:
            if word in _RTF_SKIP:
                skip = True
            elif word == "uc" and arg is not None:
                uc = max(0, min(int(arg), 4))
            elif word == "u" and arg is not None:
                code = int(arg) % 65536  # RTF writes code points above 32767 as negative numbers
                if not skip:
                    out.append("\ufffd" if 0xD800 <= code < 0xE000 else chr(code))
                pending_skip = uc
            elif not skip and word in _RTF_BREAKS:
                out.append(_RTF_BREAKS[word])
            continue
        if hexbyte is not None:
            if pending_skip:
                pending_skip -= 1
            elif not skip:
                out.append(bytes([int(hexbyte, 16)]).decode("cp1252", errors="replace"))
            continue
        if plain is not None:
            chunk = plain.replace("\r", "").replace("\n", "")
            if pending_skip:
                drop = min(pending_skip, len(chunk))
                chunk, pending_skip = chunk[drop:], pending_skip - drop
            if not skip:
                out.append(chunk)
    return "".join(out)


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no leading or trailing blank lines."""
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------


def parse_docx(data: bytes, *, name: str) -> ParsedDocument:
    """Text of a .docx: headers, body (tables as rows), footers; title from the core properties.

    Raises :class:`DocumentReadError`: "docx_broken" (not a readable ZIP/XML), "too_large"
    (parts past the size or compression-ratio limits), "xml_forbidden" (DTDs or entities).
    A password-protected Word file (an OLE container, not a ZIP) is kept with
    ``password_protected``.
    """
    if data[:8] == _OLE_MAGIC:
        # Word encrypts a .docx into an OLE compound file (MS-OFFCRYPTO); an old binary .doc
        # renamed to .docx looks the same. Either way: keep it, ask the user.
        return ParsedDocument(
            media_type=DOCX_MEDIA_TYPE,
            needs_label=True,
            password_protected=True,
            problems_found=("password-protected (or an old Word .doc file): open it in Word and save it again",),
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = _docx_parts(zf)
            budget = _MAX_PARTS_BYTES
            texts: dict[str, str] = {}
            title = ""
            for part in parts:
                info = zf.getinfo(part)
                _check_member(info, budget)
                budget -= info.file_size
                root = _parse_xml(zf.read(info))
                if part == "docProps/core.xml":
                    node = root.find(_DC_TITLE)
                    title = plausible_title(node.text or "") if node is not None else ""
                else:
                    texts[part] = _tidy("\n".join(_blocks(root, 0)))
    except DocumentReadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, OSError, ValueError, RecursionError,
            NotImplementedError, RuntimeError) as e:  # zipfile raises these on damaged or odd archives
        raise DocumentReadError("docx_broken", "The Word document is damaged and could not be read.") from e
    headers = _unique(t for p, t in texts.items() if p.startswith("word/header"))
    footers = _unique(t for p, t in texts.items() if p.startswith("word/footer"))
    body = texts.get("word/document.xml", "")
    text = "\n\n".join(t for t in (*headers, body, *footers) if t).strip()
    return ParsedDocument(
        media_type=DOCX_MEDIA_TYPE,
        title=title or title_from_text(text),
        text=text,
        needs_label=not text,
        problems_found=() if text else ("the document holds no text",),
    )


def _docx_parts(zf: zipfile.ZipFile) -> list[str]:
    names = zf.namelist()
    if len(names) > _MAX_ZIP_MEMBERS:
        raise DocumentReadError("too_large", "The Word document has too many parts to read.")
    if "word/document.xml" not in names:
        raise DocumentReadError("docx_broken", "The file is not a Word document (no document part).")

    def number(part: str) -> int:
        digits = re.sub(r"\D", "", part)
        return int(digits) if digits else 0

    headers = sorted((n for n in names if re.fullmatch(r"word/header\d*\.xml", n)), key=number)
    footers = sorted((n for n in names if re.fullmatch(r"word/footer\d*\.xml", n)), key=number)
    core = ["docProps/core.xml"] if "docProps/core.xml" in names else []
    return [*core, *headers, "word/document.xml", *footers]


def _check_member(info: zipfile.ZipInfo, budget: int) -> None:
    if info.file_size > _MAX_PART_BYTES or info.file_size > budget:
        raise DocumentReadError("too_large", "The Word document is too large to read.")
    if info.file_size > 1024 * 1024 and info.file_size > _MAX_RATIO * max(info.compress_size, 1):
        raise DocumentReadError("too_large", "The Word document is compressed beyond what a document needs.")


def _parse_xml(xml: bytes) -> Element:
    from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
    from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped, unused-ignore]

    try:
        root: Element = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise DocumentReadError("xml_forbidden", "The document contains XML constructs we refuse.") from e
    except Exception as e:  # noqa: BLE001 - expat's ParseError and friends: damaged XML
        raise DocumentReadError("docx_broken", "The Word document is damaged and could not be read.") from e
    return root


def _blocks(parent: Element, depth: int) -> Iterator[str]:
    """Lines of a body/header/footer/cell: paragraphs, and table rows as cells 3 spaces apart
    (the same column gap the PDF reader's layout text has, which the finders understand)."""
    if depth > _MAX_DEPTH:
        return
    for child in parent:
        tag = child.tag
        if tag == f"{_W}p":
            yield _paragraph(child)
        elif tag == f"{_W}tbl":
            for row in child.findall(f"{_W}tr"):
                cells = [" ".join(" ".join(_blocks(tc, depth + 1)).split()) for tc in row.findall(f"{_W}tc")]
                line = "   ".join(c for c in cells if c)
                if line:
                    yield line
        elif tag in (f"{_W}body", f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}txbxContent",
                     f"{_W}hdr", f"{_W}ftr"):
            yield from _blocks(child, depth + 1)


def _paragraph(p: Element) -> str:
    parts: list[str] = []
    for node in p.iter():
        tag = node.tag
        if tag == f"{_W}t":  # w:delText (tracked deletions) is left out on purpose
            parts.append(node.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
    return "".join(parts)


def _unique(texts: Iterator[str]) -> list[str]:
    """Headers repeat across sections (first page, odd, even): each distinct text once."""
    seen: list[str] = []
    for t in texts:
        if t and t not in seen:
            seen.append(t)
    return seen
