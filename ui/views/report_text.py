"""A document's readable text with the glossary's words highlighted.

:func:`prepare` runs on a worker (it is linear in the text, and a long record can be long): it
tidies the text for reading (runs of spaces from a PDF's column layout become one tab, line
breaks are kept) and turns each :class:`~bundler.glossary.TermMatch` span, which indexes the
original text in code points, into positions of the shown text in UTF-16 units, as
``QTextCursor`` counts them. :class:`ReportText` then only applies character formats
(``QTextCharFormat``: a background, a dotted underline, the explanation as tool tip, and an
anchor so that Tab and Enter reach each word from the keyboard).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

if TYPE_CHECKING:
    from bundler.glossary import Explanation, TermMatch

__all__ = ["MAX_HIGHLIGHTS", "PreparedText", "ReportText", "prepare"]

MAX_HIGHLIGHTS: Final = 4000
"""Words highlighted at most (a book-length record stays quick to show; the panel lists all)."""

FLAG_COLOUR: Final = QColor(249, 168, 37)
"""Amber, for wording to ask about: readable under black text and under white text alike."""


@dataclass(frozen=True, slots=True)
class PreparedText:
    """The text to show and where each explained word is in it."""

    text: str
    spans: tuple[tuple[int, int, int], ...]  # (start, end, index into explanation.terms), UTF-16
    flagged: frozenset[str]  # entry ids of wording the report is flagged for


def prepare(text: str, explanation: Explanation | None) -> PreparedText:
    """The shown text and the highlight spans; pure, for a worker thread."""
    joins = _soft_breaks(text)
    shown: list[str] = []
    where = [0] * (len(text) + 1)  # original index → index in the shown text (code points)
    out = 0
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        ch = text[i]
        if ch == "\r":
            where[i] = out
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
                where[i] = out
            shown.append("\n")
            out += 1
            i += 1
            at_line_start = True
            continue
        if i in joins:  # a line break inside a sentence: the text flows on
            j = i + 1
            while j < n and text[j] in " \t":
                j += 1
            for k in range(i, j):
                where[k] = out
            shown.append(" ")
            out += 1
            i = j
            at_line_start = False
            continue
        if ch == " " or ch == "\t":
            j = i
            while j < n and text[j] in " \t":
                j += 1
            run = j - i
            for k in range(i, j):
                where[k] = out
            if at_line_start or j >= n or text[j] in "\r\n":
                pass  # indentation and trailing spaces: dropped
            elif run >= 3:
                shown.append("\t")
                out += 1
            else:
                shown.append(" ")
                out += 1
            i = j
            continue
        where[i] = out
        shown.append(ch)
        out += 1
        at_line_start = ch == "\n"
        i += 1
    where[n] = out
    result = "".join(shown)
    utf16 = _utf16_positions(result)
    spans: list[tuple[int, int, int]] = []
    flagged: frozenset[str] = frozenset()
    if explanation is not None:
        flagged = frozenset(f.entry.id for f in explanation.flags if f.entry is not None)
        for index, match in enumerate(explanation.terms[:MAX_HIGHLIGHTS]):
            if 0 <= match.start < match.end <= n:
                start, end = where[match.start], where[match.end - 1] + 1
                spans.append((utf16(start), utf16(end), index))
    return PreparedText(result, tuple(spans), flagged)


_SENTENCE_END: Final = tuple(".:;!?")
_LONG_LINE: Final = 60


def _soft_breaks(text: str) -> set[int]:
    """Positions of line breaks that only wrapped a long line of a paragraph (PDF text keeps
    the page's line ends): after a long line that does not end a sentence, before a line that
    does not start a list item. Joined, the text wraps to the width of the view instead."""
    joins: set[int] = set()
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            return joins
        line = text[start:end].strip()
        following_end = text.find("\n", end + 1)
        following = text[end + 1:following_end if following_end >= 0 else len(text)].strip()
        if (len(line) >= _LONG_LINE and not line.endswith(_SENTENCE_END) and following
                and not _starts_item(following)):
            joins.add(end)
        start = end + 1


def _starts_item(line: str) -> bool:
    head = line.split(" ", 1)[0]
    return head in ("-", "*", "•", "–") or (head[:-1].isdigit() and head.endswith((".", ")")))


def _utf16_positions(text: str) -> Any:
    """index in code points → index in UTF-16 units (what QTextCursor counts)."""
    if all(ord(c) < 0x10000 for c in text):
        return lambda i: i
    extra = [0] * (len(text) + 1)
    count = 0
    for k, c in enumerate(text):
        extra[k] = count
        if ord(c) >= 0x10000:
            count += 1
    extra[len(text)] = count
    return lambda i: i + extra[i]


class ReportText(QTextBrowser):
    """The text, read-only, with explained words highlighted and reachable by mouse and keyboard."""

    term_chosen = Signal(object)
    """A :class:`~bundler.glossary.TermMatch` the reader clicked, or reached with Tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._anchor_clicked)
        # Tab and Shift+Tab select the next explained word (QTextBrowser's link navigation).
        self.selectionChanged.connect(self._selection_changed)
        self.explanation: Explanation | None = None
        self.prepared: PreparedText | None = None

    def show_text(self, prepared: PreparedText | None, explanation: Explanation | None, *,
                  empty_text: str = "") -> None:
        self.explanation = explanation
        self.prepared = prepared
        if prepared is None or not prepared.text.strip():
            self.setPlainText(empty_text)
            return
        document = self.document()
        document.setUndoRedoEnabled(False)
        self.setPlainText(prepared.text)
        if explanation is None or not prepared.spans:
            return
        palette = self.palette()
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        background = QColor(accent)
        background.setAlpha(48)
        flag_background = QColor(FLAG_COLOUR)
        flag_background.setAlpha(110)
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        length = document.characterCount() - 1
        for start, end, index in prepared.spans:
            if end > length:
                break
            match = explanation.terms[index]
            flagged = match.entry.id in prepared.flagged
            fmt = QTextCharFormat()
            fmt.setBackground(flag_background if flagged else background)
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline if flagged
                                  else QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(QColor(FLAG_COLOUR).darker(130) if flagged else accent)
            fmt.setAnchor(True)
            fmt.setAnchorHref(f"term:{index}")
            fmt.setToolTip(_tooltip(match))
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        cursor.endEditBlock()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def match_at(self, href: str) -> TermMatch | None:
        if self.explanation is None or not href.startswith("term:"):
            return None
        try:
            index = int(href[5:])
        except ValueError:
            return None
        terms = self.explanation.terms
        return terms[index] if 0 <= index < len(terms) else None

    def _anchor_clicked(self, url: QUrl) -> None:
        match = self.match_at(url.toString())
        if match is not None:
            self.term_chosen.emit(match)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002 - Qt's name
        # Tab and Shift+Tab move between the explained words; Qt selects the word without a
        # selectionChanged signal, so the panel is told here.
        moved = super().focusNextPrevChild(next)
        if moved and self.hasFocus():
            self._selection_changed()
        return moved

    def _selection_changed(self) -> None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        probe = QTextCursor(self.document())
        probe.setPosition(start + 1)
        href = probe.charFormat().anchorHref() if probe.charFormat().isAnchor() else ""
        probe.setPosition(end)
        if href and probe.charFormat().anchorHref() == href:  # the selection is one explained word
            match = self.match_at(href)
            if match is not None:
                self.term_chosen.emit(match)


def _tooltip(match: TermMatch) -> str:
    entry = match.entry
    return f"<p><b>{html.escape(entry.term)}</b>: {html.escape(entry.definition)}</p>"
