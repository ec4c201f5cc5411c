"""Fonts and text lines for the PDFs we write (the summary page, request letters, the sheet).

ReportLab draws a string in one font, left to right, and does neither bidirectional ordering
nor Arabic joining. This module does what it lacks, for short texts such as names, titles and
sentences:

* **per-character font fallback**: each character is drawn in the first font of a chain that
  has it (Noto Sans for Latin, Greek and Cyrillic; Noto Sans Arabic, Hebrew, JP and KR), so a
  line like "Name: 山田 太郎 (YAMADA, Tarou)" is several runs in several fonts;
* **Arabic joining**: letters become their contextual presentation forms (U+FB50–U+FEFF,
  arabic-reshaper), so the text stays selectable and extractable as real characters;
* **right-to-left order** (Unicode Bidirectional Algorithm, UAX #9, python-bidi), applied per
  line *after* the line is broken, as UAX #9 §3.4 requires;
* **line breaking** by measured width, at spaces, between CJK characters, and inside a word
  longer than the line; an optional line limit ends the last line with "…" at a word boundary
  (text is shortened by rule, never clipped).

The font files are Noto fonts in ``resources/fonts`` (SIL OFL 1.1; sources and subsetting in
its README). TrueType outlines only: ReportLab cannot embed CFF. Every font is embedded as a
subset.

A font's choice per character does not depend on its neighbours, so a line has the same width
in logical and in visual order: what is measured is what is drawn.

On top of lines sit **blocks** (a paragraph, a table row, columns, a heading: each knows its
height before it is drawn) and **sections** (a heading and entries, with the rules to shorten
them), so a page can be fitted by rule before anything is drawn (:func:`fit_sections`).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "ACCENT",
    "AMBER",
    "BASE_FONT",
    "BODY",
    "ELLIPSIS",
    "HEAD",
    "INK",
    "LEAD",
    "MUTED",
    "RED",
    "RULE",
    "SAFETY_BG",
    "SMALL",
    "Block",
    "Layout",
    "Line",
    "Run",
    "Section",
    "Style",
    "blank",
    "direction",
    "display_names",
    "draw_line",
    "draw_runs",
    "fit_line",
    "fit_sections",
    "font_for",
    "has_rtl",
    "name_forms",
    "prepare",
    "register_fonts",
    "text_width",
    "wrap",
    "write_atomic",
]

log = logging.getLogger(__name__)

Style = Literal["regular", "bold"]
ELLIPSIS = "\u2026"

# (registered name, file) per style, in fallback order. CJK bold falls back to regular: a bold
# CJK face would double the largest files for a few headings.
_CHAINS: dict[str, tuple[tuple[str, str], ...]] = {
    "regular": (
        ("RB-NotoSans", "NotoSans-Regular.ttf"),
        ("RB-NotoSansArabic", "NotoSansArabic-Regular.ttf"),
        ("RB-NotoSansHebrew", "NotoSansHebrew-Regular.ttf"),
        ("RB-NotoSansJP", "NotoSansJP-Regular.ttf"),
        ("RB-NotoSansKR", "NotoSansKR-Regular.ttf"),
    ),
    "bold": (
        ("RB-NotoSans-Bold", "NotoSans-Bold.ttf"),
        ("RB-NotoSansArabic-Bold", "NotoSansArabic-Bold.ttf"),
        ("RB-NotoSansHebrew-Bold", "NotoSansHebrew-Bold.ttf"),
        ("RB-NotoSansJP", "NotoSansJP-Regular.ttf"),
        ("RB-NotoSansKR", "NotoSansKR-Regular.ttf"),
    ),
}
BASE_FONT = "RB-NotoSans"
"""The primary (Latin) font: what a canvas starts with, so no unembedded Helvetica appears."""

_lock = threading.Lock()
_cmaps: dict[str, frozenset[int]] = {}

# Characters of a UAX #9 explicit embedding, and other format characters (ZWJ, ZWNJ, soft
# hyphen, BOM): they steer the algorithm and joining, and draw nothing.
_FORMAT = re.compile(r"[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[\t\n\r\f\v\u2028\u2029]+")
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
# One unit of line breaking: a CJK character (no spaces between words in Japanese), or a run of
# anything else up to a space, with the spaces that follow it.
_CJK = "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}][\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]*\s*|[^\s{_CJK}]+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Run:
    """Characters drawn in one font, in visual (left-to-right) order."""

    text: str
    font: str


@dataclass(frozen=True, slots=True)
class Line:
    """One line ready to draw: runs in visual order, and its width in points."""

    runs: tuple[Run, ...]
    width: float
    size: float
    rtl: bool = False  # part of a right-to-left paragraph (aligned right when it wraps)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


def register_fonts() -> None:
    """Register every font of both chains with ReportLab (once per process; thread-safe)."""
    with _lock:
        if _cmaps:
            return
        folder = resources.files("bundler_resources").joinpath("fonts")
        loaded: dict[str, frozenset[int]] = {}
        for chain in _CHAINS.values():
            for name, filename in chain:
                if name in loaded:
                    continue
                data = folder.joinpath(filename).read_bytes()
                font = TTFont(name, io.BytesIO(data), shapable=False)
                pdfmetrics.registerFont(font)
                loaded[name] = frozenset(font.face.charToGlyph)
        _cmaps.update(loaded)
        log.debug("registered %d fonts", len(loaded))


@functools.lru_cache(maxsize=8192)
def font_for(ch: str, style: Style = "regular") -> str:
    """The first font of the style's chain that draws ``ch``; the base font when none does."""
    register_fonts()
    cp = ord(ch)
    for name, _ in _CHAINS[style]:
        if cp in _cmaps[name]:
            return name
    return _CHAINS[style][0][0]


@functools.lru_cache(maxsize=1)
def _reshaper() -> Any:
    import arabic_reshaper
    from arabic_reshaper.ligatures import LIGATURES

    # Only the lam-alef ligatures, which Arabic requires; the optional word ligatures (ﷲ, ﷺ)
    # are a style choice and not in every font.
    config: dict[str, object] = {name: "LAM WITH ALEF" in name for name, _ in LIGATURES}
    config.update(delete_harakat=True, support_ligatures=True)
    return arabic_reshaper.ArabicReshaper(configuration=config)


def has_rtl(text: str) -> bool:
    """Whether ``text`` has right-to-left letters (Hebrew, Arabic and their relatives)."""
    return bool(_RTL.search(text))


def prepare(text: str) -> str:
    """Text as it will be laid out, still in logical order: NFC, one line, Arabic joined.

    Line breaks and tabs become spaces, control characters go, and runs of spaces collapse.
    Vowel marks (harakat) are dropped from Arabic: without glyph positioning they would land
    on the wrong letter.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = _SPACES.sub(" ", text)
    text = _CONTROL.sub("", text)
    text = re.sub(r" {2,}", " ", text).strip()
    if _ARABIC.search(text):
        text = str(_reshaper().reshape(text))
    return text


def _char_width(ch: str, size: float, style: Style) -> float:
    if _FORMAT.match(ch):
        return 0.0
    return float(pdfmetrics.stringWidth(_drawable(ch, style), font_for(ch, style), size))


@functools.lru_cache(maxsize=8192)
def _drawable(ch: str, style: Style) -> str:
    """``ch``, or U+FFFD when no font of the chain has it (never a blank box)."""
    register_fonts()
    if any(ord(ch) in _cmaps[name] for name, _ in _CHAINS[style]):
        return ch
    return "\ufffd" if 0xFFFD in _cmaps[_CHAINS[style][0][0]] else "?"


def text_width(text: str, size: float, style: Style = "regular") -> float:
    """The width in points of prepared text ``text`` (see :func:`prepare`)."""
    return sum(_char_width(ch, size, style) for ch in text)


def _visual_runs(text: str, style: Style, base: Literal["L", "R"] | None) -> tuple[Run, ...]:
    """Bidi-reorder one line of prepared text and split it into font runs."""
    if has_rtl(text):
        from bidi import get_display

        text = str(get_display(text, base_dir=base))
    text = _FORMAT.sub("", text)
    runs: list[Run] = []
    for ch in text:
        font = font_for(ch, style)
        drawn = _drawable(ch, style)
        if runs and runs[-1].font == font:
            runs[-1] = Run(runs[-1].text + drawn, font)
        else:
            runs.append(Run(drawn, font))
    return tuple(runs)


def _line(text: str, size: float, style: Style, base: Literal["L", "R"]) -> Line:
    text = text.rstrip(" ")
    return Line(_visual_runs(text, style, base), text_width(text, size, style), size, rtl=base == "R")


def direction(text: str) -> Literal["L", "R"]:
    """The paragraph direction for ``text``: right-to-left when most of its letters are.

    UAX #9 rule P2 takes the first strong letter; on our left-to-right pages a sentence that
    merely starts with an Arabic or Hebrew name ("محمد asks about...") must stay left-to-right,
    while an Arabic sentence quoting one Latin drug name must not.
    """
    rtl = ltr = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    return "R" if rtl > ltr else "L"


def _break_long(token: str, width: float, size: float, style: Style) -> list[str]:
    """Split a token wider than a line into pieces that fit (by character)."""
    pieces: list[str] = []
    current = ""
    for ch in token:
        if current and text_width((current + ch).rstrip(" "), size, style) > width:
            pieces.append(current)
            current = ch.lstrip(" ")
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def _shorten(text: str, width: float, size: float, style: Style) -> str:
    """``text`` cut so that it and "…" fit ``width``: at a space when one is near, else anywhere."""
    text = text.rstrip(" ")
    if text_width(text + ELLIPSIS, size, style) <= width:
        return text + ELLIPSIS
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip(" ") + ELLIPSIS, size, style) <= width:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ELLIPSIS


def wrap(
    text: str,
    width: float,
    size: float,
    *,
    style: Style = "regular",
    max_lines: int | None = None,
    base: Literal["L", "R"] | None = None,
    first_width: float | None = None,
) -> list[Line]:
    """Break ``text`` into lines no wider than ``width`` points.

    Parameters
    ----------
    text
        Any text in logical order; it is prepared here (:func:`prepare`).
    max_lines
        At most this many lines; the last one then ends with "…" (the text is shortened at a
        word boundary, never clipped mid-glyph).
    base
        The paragraph direction for UAX #9: None takes it from the text (:func:`direction`),
        so an Arabic name is a right-to-left paragraph and an English sentence that quotes one
        stays left-to-right; "L" or "R" forces it.
    first_width
        A different width for the first line (a label drawn before it).
    """
    text = prepare(text)
    if not text:
        return []
    direction_ = base or direction(text)
    widths = [first_width if first_width is not None else width, width]
    logical: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        limit = widths[min(len(logical), 1)]
        candidate = current + token
        if text_width(candidate.rstrip(" "), size, style) <= limit:
            current = candidate
            continue
        if current:
            logical.append(current)
            current = ""
        limit = widths[min(len(logical), 1)]
        if text_width(token.rstrip(" "), size, style) <= limit:
            current = token
            continue
        pieces = _break_long(token, widths[1], size, style) if logical else (
            _break_long(token, limit, size, style))
        logical.extend(pieces[:-1])
        current = pieces[-1]
    if current.strip():
        logical.append(current)
    if max_lines is not None and len(logical) > max_lines:
        keep = max(max_lines, 1)
        last = "".join(logical[keep - 1:])
        limit = widths[min(keep - 1, 1)]
        logical = logical[: keep - 1] + [_shorten(last, limit, size, style)]
    return [_line(t, size, style, direction_) for t in logical]


def fit_line(text: str, width: float, size: float, *, style: Style = "regular",
             base: Literal["L", "R"] | None = None) -> Line | None:
    """``text`` on one line, shortened with "…" when it is too wide; None when it is empty."""
    lines = wrap(text, width, size, style=style, max_lines=1, base=base)
    return lines[0] if lines else None


def draw_line(canvas: Canvas, line: Line, x: float, y: float, *,
              align: Literal["left", "right", "center"] = "left", width: float = 0.0) -> None:
    """Draw ``line`` with its baseline at ``y``; ``x`` is the left edge of a box ``width`` wide."""
    if align == "right":
        x += width - line.width
    elif align == "center":
        x += (width - line.width) / 2
    draw_runs(canvas, line.runs, x, y, line.size)


def draw_runs(canvas: Canvas, runs: Sequence[Run], x: float, y: float, size: float) -> float:
    """Draw runs left to right from ``x``; returns the x after the last one."""
    for run in runs:
        canvas.setFont(run.font, size)
        canvas.drawString(x, y, run.text)
        x += float(pdfmetrics.stringWidth(run.text, run.font, size))
    return x


# ------------------------------------------------------------------------------------ blocks

INK = HexColor("#1a1a1a")
MUTED = HexColor("#555555")
ACCENT = HexColor("#1f3a5f")
RULE = HexColor("#b8c4d2")
RED = HexColor("#a51d1d")
AMBER = HexColor("#8a5a00")
SAFETY_BG = HexColor("#fdeceb")

BODY = 8.0  # points
LEAD = 10.0
HEAD = 9.5
SMALL = 7.0


@dataclass(slots=True)
class Block:
    """A laid-out piece of the page: its height and how to draw it with its top at ``y``."""

    height: float
    draw: Callable[[Canvas, float], None]


def blank(height: float) -> Block:
    return Block(height, lambda c, y: None)


class Layout:
    """Turns text into blocks of known height for a page of a given width."""

    def __init__(self, left: float, width: float) -> None:
        self.left = left
        self.width = width

    def para(self, text: str, *, size: float = BODY, lead: float = LEAD, style: Style = "regular",
             indent: float = 0.0, hang: float = 0.0, max_lines: int | None = 2, color: object = INK,
             label: str = "", label_color: object = INK, bullet: str = "", checkbox: bool = False) -> Block:
        """A paragraph, optionally with a bold label on its first line (``Label: text``), a
        bullet, or an empty checkbox to tick by hand. ``hang`` indents every line after the
        first (and, with a bullet or checkbox, the first too)."""
        x0 = self.left + indent
        width = self.width - indent
        label_line = fit_line(label, width * 0.6, size, style="bold") if label else None
        lead_width = (label_line.width + size * 0.4) if label_line else 0.0
        if bullet or checkbox:
            lead_width = max(lead_width, hang)
        lines = wrap(text, width - hang, size, style=style, max_lines=max_lines,
                     first_width=width - lead_width)
        if label_line and lines and lead_width > width * 0.45:
            # A long label: the text starts on the next line.
            lines = wrap(text, width - hang, size, style=style, max_lines=max_lines)
            n = 1 + len(lines)

            def draw_below(c: Canvas, y: float) -> None:
                base = y - size
                c.setFillColor(label_color)
                draw_line(c, label_line, x0, base)
                c.setFillColor(color)
                for i, line in enumerate(lines):
                    align: Literal["left", "right"] = "right" if line.rtl and len(lines) > 1 else "left"
                    draw_line(c, line, x0 + hang, base - (i + 1) * lead, align=align, width=width - hang)

            return Block(n * lead, draw_below)
        n = max(len(lines), 1 if (label_line or bullet or checkbox) else 0)

        def draw(c: Canvas, y: float) -> None:
            base = y - size
            if label_line:
                c.setFillColor(label_color)
                draw_line(c, label_line, x0, base)
            if bullet:
                c.setFillColor(color)
                c.setFont(BASE_FONT, size)
                c.drawString(x0, base, bullet)
            if checkbox:
                side = size * 0.85
                c.setStrokeColor(INK)
                c.setLineWidth(0.7)
                c.rect(x0, base - size * 0.1, side, side, stroke=1, fill=0)
            c.setFillColor(color)
            for i, line in enumerate(lines):
                x = x0 + (lead_width if i == 0 else hang)
                align: Literal["left", "right"] = "right" if line.rtl and len(lines) > 1 else "left"
                draw_line(c, line, x, base - i * lead, align=align, width=x0 + width - x)

        return Block(n * lead, draw)

    def row(self, cells: Sequence[tuple[str, float, Style, object]], *, size: float = BODY,
            lead: float = LEAD, max_lines: int = 1, gap: float = 6.0) -> Block:
        """A table row: (text, width, style, colour) per cell, each cell wrapped in its width."""
        laid: list[tuple[float, list[Line], object]] = []
        x = self.left
        for text, width, style, color in cells:
            laid.append((x, wrap(text, width - gap, size, style=style, max_lines=max_lines), color))
            x += width
        n = max((len(lines) for _, lines, _ in laid), default=0) or 1

        def draw(c: Canvas, y: float) -> None:
            for x, lines, color in laid:
                c.setFillColor(color)
                for i, line in enumerate(lines):
                    draw_line(c, line, x, y - size - i * lead)

        return Block(n * lead, draw)

    def columns(self, blocks: Sequence[Block], count: int = 2, gap: float = 12.0) -> Block:
        """Blocks laid out in ``count`` columns, filled top to bottom, column by column."""
        per = -(-len(blocks) // count) if blocks else 0
        cols = [list(blocks[i * per:(i + 1) * per]) for i in range(count)]
        height = max((sum(b.height for b in col) for col in cols), default=0.0)
        step = (self.width + gap) / count

        def draw(c: Canvas, y: float) -> None:
            for k, col in enumerate(cols):
                c.saveState()
                c.translate(k * step, 0)
                top = y
                for b in col:
                    b.draw(c, top)
                    top -= b.height
                c.restoreState()

        return Block(height, draw)

    def heading(self, text: str) -> Block:
        line = fit_line(text, self.width, HEAD, style="bold")
        space = 5.0

        def draw(c: Canvas, y: float) -> None:
            base = y - space - HEAD
            if line:
                c.setFillColor(ACCENT)
                draw_line(c, line, self.left, base)
            c.setStrokeColor(RULE)
            c.setLineWidth(0.5)
            c.line(self.left, base - 2.5, self.left + self.width, base - 2.5)

        return Block(space + HEAD + 5.0, draw)


@dataclass(slots=True)
class Section:
    """One part of the page: a heading, entries, and the rules to shorten it."""

    priority: int  # 1 is the most important
    heading: str
    items: list[Block]
    more: Callable[[int], Block] | None = None  # the "and N more" line for N entries left out
    collapsed: Block | None = None  # the one-line form; None: never collapses
    min_items: int = 3
    earlier: bool = False  # drop the first entries (the oldest), not the last
    head: list[Block] = field(default_factory=list)  # blocks before the entries (table header)
    shown: int = -1
    is_collapsed: bool = False

    def __post_init__(self) -> None:
        self.shown = len(self.items)
        self.min_items = min(self.min_items, len(self.items))

    def blocks(self, layout: Layout) -> list[Block]:
        if self.is_collapsed and self.collapsed is not None:
            return [self.collapsed]
        out = [layout.heading(self.heading)] if self.heading else []
        out += self.head
        hidden = len(self.items) - self.shown
        if self.earlier:
            if hidden and self.more:
                out.append(self.more(hidden))
            out += self.items[hidden:]
        else:
            out += self.items[: self.shown]
            if hidden and self.more:
                out.append(self.more(hidden))
        return out

    def height(self, layout: Layout) -> float:
        return sum(b.height for b in self.blocks(layout))


def fit_sections(sections: list[Section], layout: Layout, available: float) -> None:
    """Shorten ``sections`` by rule until their blocks fit ``available`` points.

    1. Lists lose entries one at a time, lowest priority first, down to their minimum (the
       rest become "and N more").
    2. If that is not enough, whole sections collapse to their one-line form, lowest priority
       first; the room a collapse frees goes back to the lists, highest priority first.
    3. Lists that cannot collapse keep what fits, down to one entry.

    A section without ``more`` is never shortened (its blocks limit their own lines).
    """

    def total() -> float:
        return sum(s.height(layout) for s in sections)

    by_priority = sorted(sections, key=lambda s: -s.priority)
    # 1.
    for s in by_priority:
        while total() > available and s.more is not None and s.shown > s.min_items:
            s.shown -= 1
    # 2.
    collapsed = False
    for s in by_priority:
        if total() <= available:
            break
        if s.collapsed is not None:
            s.is_collapsed = collapsed = True
    if collapsed and total() <= available:
        for s in reversed(by_priority):
            while not s.is_collapsed and s.more is not None and s.shown < len(s.items):
                s.shown += 1
                if total() > available:
                    s.shown -= 1
                    break
    # 3.
    for s in by_priority:
        while total() > available and s.more is not None and not s.is_collapsed and s.shown > 1:
            s.shown -= 1
    if total() > available:  # pragma: no cover - the limits above make this unreachable
        raise RuntimeError("page content does not fit one page")


# ------------------------------------------------------------------------------------ names


def _is_latin(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)


def _pn_group(group: str) -> str:
    """One DICOM PN component group (PS3.5 §6.2.1.2) as people write it.

    The alphabetic group reads "FAMILY, Given Middle" (the comma says which is the family
    name); ideographic and phonetic groups keep their own order, family name first.
    """
    parts = [p.strip() for p in group.split("^")]
    family, given, middle, prefix, suffix = (parts + [""] * 5)[:5]
    if not _is_latin(group):
        return " ".join(p for p in (prefix, family, given, middle, suffix) if p)
    rest = " ".join(p for p in (prefix, given, middle) if p)
    name = f"{family}, {rest}" if family and rest else family or rest
    return f"{name}, {suffix}" if suffix else name


def name_forms(name: str) -> tuple[str, ...]:
    """The forms one written name has: a DICOM PN gives one per component group
    ("Yamada^Tarou=山田^太郎=やまだ^たろう"); any other name is one form, as written."""
    name = " ".join((name or "").split())
    if "^" not in name and "=" not in name:
        return (name,) if name else ()
    return tuple(dict.fromkeys(f for f in (_pn_group(g) for g in name.split("=")) if f))


def _name_key(form: str) -> str:
    folded = unicodedata.normalize("NFKD", form.casefold())
    return " ".join(sorted(re.findall(r"[^\W\d_]+", "".join(ch for ch in folded if not unicodedata.combining(ch)))))


def display_names(names: Sequence[str]) -> tuple[str, ...]:
    """The patient's name for a reader: in its original script, and its Latin form when both
    exist ("山田 太郎", "YAMADA, Tarou"); one form when there is only one.

    ``names`` are written names, the preferred first (the patient's own, then the records').
    """
    forms: list[str] = []
    seen: set[str] = set()
    for name in names:
        for form in name_forms(name):
            key = _name_key(form)
            if key not in seen:
                seen.add(key)
                forms.append(form)
    if not forms:
        return ()
    first = forms[0]
    other = next((f for f in forms[1:] if _is_latin(f) != _is_latin(first)), None)
    if other is None:
        return (first,)
    # The original script first, the Latin form after it.
    return (first, other) if not _is_latin(first) else (other, first)


# ------------------------------------------------------------------------------------ output


def write_atomic(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out``: a temporary file beside it, fsync, then rename onto it."""
    from bundler.export.package import atomic_output

    with atomic_output(Path(out)) as fh:
        fh.write(data)
