"""The "Plain words" panel beside a document: what its words mean, and questions to ask.

It shows a :class:`bundler.glossary.Explanation` (made off the UI thread by the viewer): the
calm note first and always, then the word the reader picked in the text, the report's
uncertain wording and assessment categories with "questions you could ask" (each can be added
to the patient's own questions in one click), then every word explained.

Nothing here interprets anything: the texts are the glossary's, written for a reader with no
medical training, and the note says so.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.i18n import LANGUAGE_NAMES, LANGUAGES, app_language, translate_in
from ui.widgets import button, card, subheading

if TYPE_CHECKING:
    from bundler.glossary import Entry, Explanation, FlagExplanation, SuggestedQuestion, TermMatch

__all__ = ["PlainWordsPanel", "normalise_question"]


def normalise_question(text: str) -> str:
    """A question as it is kept in the patient's list: one line, single spaces."""
    return " ".join(text.split())


def _label(text: str, name: str, *, rich: bool = False, small: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if small:
        # Smaller and in italics rather than grey: grey text fails contrast in dark themes.
        font = label.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(font.pointSizeF() * 0.92, 7.0))
        font.setItalic(True)
        label.setFont(font)
    return label


def _quote(text: str) -> str:
    return "“" + " ".join(text.split()) + "”"


class PlainWordsPanel(QWidget):
    """The side panel. :meth:`set_explanation` fills it; :meth:`show_term` shows one word."""

    add_question = Signal(str)
    """The reader asked to add this question to their own questions."""
    language_chosen = Signal(str)
    """The reader picked another language for the explanations ("en" or "es")."""

    def tr(self, text: str, disambiguation: str | None = None, n: int = -1) -> str:
        # The panel speaks the language of its explanations, which the reader may choose.
        combo = getattr(self, "language", None)
        lang = str(combo.currentData() or "en") if combo is not None else app_language()
        return translate_in(lang, "PlainWordsPanel", text)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Plain words"))
        self._asked: Callable[[str], bool] = lambda _text: False
        self._can_add = False
        self._question_buttons: list[tuple[QPushButton, str]] = []
        self._entry_labels: dict[str, QLabel] = {}
        self.explanation: Explanation | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        top = QHBoxLayout()
        self.title_label = subheading(self.tr("Plain words"))
        top.addWidget(self.title_label, 1)
        self.language = QComboBox()
        self.language.setAccessibleName(self.tr("Language of the explanations"))
        self.language.view().setAccessibleName(self.tr("Language of the explanations"))
        self.language.setToolTip(self.tr("Language of the explanations"))
        for code in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[code], code)
        self.language.activated.connect(lambda _i: self.language_chosen.emit(self.lang))
        top.addWidget(self.language)
        outer.addLayout(top)

        # The note is outside the scrolling part: it is always in view.
        self.note_frame, note_layout = card(self.tr("About these explanations"), tone="note")
        self.note_label = _label("", self.tr("About these explanations"))
        note_layout.addWidget(self.note_label)
        outer.addWidget(self.note_frame)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setAccessibleName(self.tr("Explanations"))
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 6, 0)
        self.body.setSpacing(8)
        self.scroll_area.setWidget(body)
        outer.addWidget(self.scroll_area, 1)

        self.message_label = _label("", self.tr("Explanations"))
        self.body.addWidget(self.message_label)

        self.term_frame, self._term_layout = card(self.tr("The word you chose"))
        self.term_frame.setVisible(False)
        self.body.addWidget(self.term_frame)

        self.questions_title = subheading(self.tr("Questions you could ask"))
        self.body.addWidget(self.questions_title)
        self.questions_hint = _label(
            self.tr("The report uses wording that leaves some doubt, or a category that guides the next "
                    "step. These questions may help when you talk to your doctor."),
            self.tr("Questions you could ask"), small=True)
        self.body.addWidget(self.questions_hint)
        self.questions_box = QVBoxLayout()
        self.questions_box.setSpacing(8)
        self.body.addLayout(self.questions_box)

        self.words_title = subheading(self.tr("Words explained"))
        self.body.addWidget(self.words_title)
        self.words_box = QVBoxLayout()
        self.words_box.setSpacing(6)
        self.body.addLayout(self.words_box)
        self.body.addStretch(1)
        self.set_language("en")
        self.set_explanation(None)

    # -- language -------------------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return str(self.language.currentData() or "en")

    def set_language(self, lang: str) -> None:
        index = self.language.findData(lang)
        if index >= 0:
            self.language.setCurrentIndex(index)
        from bundler.glossary import note

        self.note_label.setText(note(self.lang))
        self._retranslate()

    def _retranslate(self) -> None:
        """The panel's own headings, in the explanations' language."""
        self.title_label.setText(self.tr("Plain words"))
        self.title_label.setAccessibleName(self.title_label.text())
        self.setAccessibleName(self.title_label.text())
        self.note_frame.setAccessibleName(self.tr("About these explanations"))
        self.note_label.setAccessibleName(self.tr("About these explanations"))
        self.scroll_area.setAccessibleName(self.tr("Explanations"))
        self.questions_title.setText(self.tr("Questions you could ask"))
        self.questions_hint.setText(
            self.tr("The report uses wording that leaves some doubt, or a category that guides the next "
                    "step. These questions may help when you talk to your doctor."))
        self.words_title.setText(self.tr("Words explained"))

    # -- content --------------------------------------------------------------------------------

    def set_message(self, text: str) -> None:
        """Instead of explanations: why there are none (no text, still reading...)."""
        self.set_explanation(None, message=text)

    def set_explanation(
        self,
        explanation: Explanation | None,
        *,
        can_add: bool = False,
        asked: Callable[[str], bool] | None = None,
        message: str = "",
    ) -> None:
        """Show ``explanation``; ``asked(text)`` says whether a question is already the patient's."""
        self.explanation = explanation
        self._can_add = can_add
        if asked is not None:
            self._asked = asked
        self._clear(self.questions_box)
        self._clear(self.words_box)
        self._clear(self._term_layout)
        self.term_frame.setVisible(False)
        self._question_buttons = []
        self._entry_labels = {}
        if explanation is not None:
            self.set_language(explanation.lang)
        has = explanation is not None
        questions = explanation.questions if explanation is not None else ()
        flags_without = [f for f in explanation.flags if not f.question] if explanation is not None else []
        for widget in (self.questions_title, self.questions_hint):
            widget.setVisible(bool(questions or flags_without))
        self.words_title.setVisible(has and bool(explanation.terms if explanation else False))
        if explanation is None:
            self.message_label.setText(message)
            self.message_label.setVisible(bool(message))
            return
        if not explanation.terms and not explanation.flags:
            self.message_label.setText(self.tr("No words from the glossary were found in this document."))
            self.message_label.setVisible(True)
        else:
            self.message_label.setVisible(False)
        for question in questions:
            self.questions_box.addWidget(self._question_card(question, self._flags_of(question)))
        for flag in _unique_flags(flags_without):
            self.questions_box.addWidget(self._flag_card(flag))
        for entry in explanation.entries:
            label = _label(self._entry_html(entry, explanation), entry.term, rich=True)
            self._entry_labels[entry.id] = label
            self.words_box.addWidget(label)
        self.scroll_area.verticalScrollBar().setValue(0)

    def refresh_added(self) -> None:
        """The patient's questions changed elsewhere: update the "Add" buttons."""
        for widget, text in self._question_buttons:
            self._set_added(widget, self._asked(text))

    def show_term(self, match: TermMatch) -> None:
        """Show one word's explanation at the top of the panel (the reader picked it in the text)."""
        entry = match.entry
        self._clear(self._term_layout)
        self._question_buttons = [(b, t) for b, t in self._question_buttons if not _inside(b, self.term_frame)]
        self.term_frame.setAccessibleName(self.tr("The word you chose: {word}").format(word=match.written))
        written = " ".join(match.written.split())
        title = html.escape(written)
        if entry.term.casefold() != written.casefold():
            title = self.tr("{written} ({term})").format(written=title, term=html.escape(entry.term))
        self._term_layout.addWidget(_label(f"<b>{title}</b>", written, rich=True))
        self._term_layout.addWidget(_label(entry.definition, self.tr("What it means")))
        if entry.question:
            self._term_layout.addWidget(self._question_row(entry.question))
        if entry.reference:
            self._term_layout.addWidget(_label(self.tr("Checked against: {reference}").format(reference=entry.reference),
                                               self.tr("Source"), small=True))
        self.term_frame.setVisible(True)
        self.scroll_area.verticalScrollBar().setValue(0)

    # -- building blocks ------------------------------------------------------------------------

    def _flags_of(self, question: SuggestedQuestion) -> list[FlagExplanation]:
        assert self.explanation is not None
        return [f for f in self.explanation.flags
                if f.flag.phrase == question.phrase and (f.entry.id if f.entry else "") == question.entry_id]

    def _question_card(self, question: SuggestedQuestion, flags: Sequence[FlagExplanation]) -> QFrame:
        frame, layout = card(question.phrase)
        kind = flags[0].flag.kind if flags else "hedge"
        heading = (self.tr("Category: {phrase}") if kind == "category" else self.tr("Wording: {phrase}")).format(
            phrase=_quote(question.phrase) if kind != "category" else question.phrase)
        layout.addWidget(_label(f"<b>{html.escape(heading)}</b>", question.phrase, rich=True))
        if flags:
            layout.addWidget(_label(flags[0].definition, self.tr("What it means")))
        for sentence in question.sentences[:2]:
            layout.addWidget(_label(self.tr("In the report: {sentence}").format(sentence=_quote(sentence)),
                                    self.tr("Where the report says it"), small=True))
        layout.addWidget(self._question_row(question.text))
        return frame

    def _flag_card(self, flag: FlagExplanation) -> QFrame:
        frame, layout = card(flag.flag.phrase)
        layout.addWidget(_label(f"<b>{html.escape(_quote(flag.flag.phrase))}</b>", flag.flag.phrase, rich=True))
        layout.addWidget(_label(flag.definition, self.tr("What it means")))
        return frame

    def _question_row(self, text: str) -> QWidget:
        row = QWidget()
        layout = QVBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(_label(self.tr("You could ask: {question}").format(question=text),
                                self.tr("Question you could ask")))
        add = button(self.tr("Add to my questions"), self.tr("Add to my questions: {question}").format(question=text),
                     description=self.tr("Adds this question to “Questions for the reviewer” on the About you screen"))
        add.clicked.connect(lambda _checked=False, b=add, t=text: self._add_clicked(b, t))
        add.setVisible(self._can_add)
        self._question_buttons.append((add, text))
        self._set_added(add, self._asked(text))
        layout.addWidget(add, 0, Qt.AlignmentFlag.AlignLeft)
        return row

    def _add_clicked(self, widget: QPushButton, text: str) -> None:
        self.add_question.emit(normalise_question(text))
        self.refresh_added()

    def _set_added(self, widget: QPushButton, added: bool) -> None:
        widget.setEnabled(not added)
        widget.setText(self.tr("Added to your questions") if added else self.tr("Add to my questions"))

    def _entry_html(self, entry: Entry, explanation: Explanation) -> str:
        written = next((" ".join(m.written.split()) for m in explanation.terms if m.entry.id == entry.id), entry.term)
        term = html.escape(entry.term)
        if written.casefold() != entry.term.casefold():
            term = self.tr("{term} (“{written}”)").format(term=term, written=html.escape(written))
        return f"<b>{term}</b>: {html.escape(entry.definition)}"

    @staticmethod
    def _clear(layout: QVBoxLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()


def _unique_flags(flags: Sequence[FlagExplanation]) -> list[FlagExplanation]:
    seen: dict[str, FlagExplanation] = {}
    for f in flags:
        seen.setdefault(f.flag.phrase, f)
    return list(seen.values())


def _inside(widget: QWidget, ancestor: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parentWidget()
    return False
