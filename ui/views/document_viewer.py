"""One document on the Records screen: its pages, its text with words explained, and its kind.

Selecting a document shows it here. The file, its stored text and the explanation of its
words are read and prepared on a worker (:func:`ui.operations.read_document` through
:mod:`ui.tasks`); this widget only shows the result:

* "Text": the readable text with the glossary's words highlighted (tool tip on hover; click
  or Tab and Enter to see the word in the panel);
* "Original": a PDF through QtPdf, or a photo or scan (absent for structured records, whose
  text is all there is);
* "Plain words": :class:`ui.views.plain_words.PlainWordsPanel`;
* "What this is": the document's kind, which the patient can correct (the core keeps the
  choice by content, so a re-import keeps it too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bundler.model import Document, DocumentKind
from ui import tasks
from ui.i18n import app_language
from ui.operations import DocumentReading, Relabelled, explain, read_document, relabel
from ui.session import CaseSession
from ui.text import format_date, kind_text, plural
from ui.views.image_view import ImageView
from ui.views.plain_words import PlainWordsPanel, normalise_question
from ui.views.report_text import PreparedText, ReportText, prepare
from ui.widgets import subheading

if TYPE_CHECKING:
    from bundler.glossary import Explanation, TermMatch

__all__ = ["DocumentViewer"]

log = logging.getLogger(__name__)


class DocumentViewer(QWidget):
    relabelled = Signal(object)
    """The patient changed what a document is: a :class:`ui.operations.Relabelled` (the new
    document, and the case's listing read after the change)."""

    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAccessibleName(self.tr("Document"))
        self.document: Document | None = None
        self.reading: DocumentReading | None = None
        self.prepared: PreparedText | None = None
        self._ask: Callable[[str], bool] | None = None
        self._asked: Callable[[str], bool] = lambda _text: False
        self._relabelling = False
        self._pdf_buffer: QBuffer | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.title_label = subheading("")
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)

        row = QHBoxLayout()
        row.setSpacing(8)
        kind_label = QLabel(self.tr("What this is:"))
        row.addWidget(kind_label)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName(self.tr("What this document is"))
        self.kind_combo.view().setAccessibleName(self.tr("What this document is"))
        self.kind_combo.setToolTip(self.tr("If this is wrong, choose what the document really is. "
                                           "The checklist uses it."))
        for kind in DocumentKind:
            self.kind_combo.addItem(kind_text(kind), str(kind))
        self.kind_combo.activated.connect(self._kind_chosen)
        kind_label.setBuddy(self.kind_combo)
        row.addWidget(self.kind_combo)
        self.kind_status = QLabel()
        self.kind_status.setAccessibleName(self.tr("What this is"))
        row.addWidget(self.kind_status)
        row.addStretch(1)
        self.details_label = QLabel()
        self.details_label.setAccessibleName(self.tr("About this document"))
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.details_label)
        layout.addLayout(row)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Document views"))
        self.tabs.setDocumentMode(True)
        self.text_view = ReportText()
        self.text_view.setAccessibleName(self.tr("Text of the document"))
        self.text_view.setAccessibleDescription(
            self.tr("Highlighted words are explained: point at one, or press Tab to reach it and Enter to "
                    "see it in the Plain words panel."))
        self.text_view.term_chosen.connect(self._term_chosen)
        self.original = QStackedWidget()
        self.original.setAccessibleName(self.tr("Original document"))
        self.pdf_document = QPdfDocument(self)
        self.pdf_view = QPdfView()
        self.pdf_view.setAccessibleName(self.tr("Pages of the document"))
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.pdf_view.setDocument(self.pdf_document)
        self.picture_view = ImageView()
        self.picture_view.setAccessibleName(self.tr("Picture of the document"))
        self.original_message = QLabel()
        self.original_message.setAccessibleName(self.tr("Original document"))
        self.original_message.setWordWrap(True)
        self.original_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.pdf_view, self.picture_view, self.original_message):
            self.original.addWidget(widget)
        self.tabs.addTab(self.text_view, self.tr("Text, with words explained"))
        self.tabs.addTab(self.original, self.tr("Original"))

        self.panel = PlainWordsPanel()
        self.panel.language_chosen.connect(self.set_language)
        self.panel.add_question.connect(self._add_question)
        self.panel.set_language(app_language())
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([580, 420])
        layout.addWidget(self.splitter, 1)

        self._reader = tasks.LatestTask(self, self._make_read, on_success=self._read, on_error=self._read_failed,
                                        label="Reading a document")
        self._explainer = tasks.LatestTask(self, self._make_explain, on_success=self._explained,
                                           on_error=self._read_failed, label="Explaining a document")
        session.busy_changed.connect(lambda _busy: self._update_kind_enabled())
        session.intake_changed.connect(self.panel.refresh_added)

    # -- wiring -----------------------------------------------------------------------------------

    def set_question_handlers(self, ask: Callable[[str], bool], asked: Callable[[str], bool]) -> None:
        """``ask(text)`` adds a question to the patient's own; ``asked(text)`` says if it is there."""
        self._ask, self._asked = ask, asked
        self.panel.refresh_added()

    @property
    def busy(self) -> bool:
        return self._reader.pending or self._explainer.pending or self._relabelling

    def cancel_work(self) -> None:
        self._reader.cancel()
        self._explainer.cancel()

    # -- showing a document -------------------------------------------------------------------

    def show_document(self, document: Document) -> None:
        same = (self.document is not None and self.document.id == document.id
                and self.document.sha256 == document.sha256 and self.reading is not None)
        self.document = document
        self._show_header(document)
        if same:
            return
        self.reading = None
        self.prepared = None
        reading = self.tr("Reading…")
        self.text_view.show_text(None, None, empty_text=reading)
        self.panel.set_message(reading)
        self._close_pdf()
        self.picture_view.set_image(None)
        self.original_message.setText(reading)
        self.original.setCurrentWidget(self.original_message)
        self.tabs.setTabVisible(1, self._has_original(document))
        self._reader.request()

    def clear(self) -> None:
        """Show nothing (another record was chosen); a reading under way is dropped."""
        self._reader.cancel()
        self._explainer.cancel()
        self.document = None
        self.reading = None
        self._close_pdf()
        self.picture_view.set_image(None)

    @staticmethod
    def _has_original(document: Document) -> bool:
        media = document.media_type.lower()
        return media == "application/pdf" or media.startswith("image/")

    def _show_header(self, document: Document) -> None:
        self.title_label.setText(document.title.strip() or self.tr("Untitled document"))
        self.title_label.setAccessibleName(self.title_label.text())
        index = self.kind_combo.findData(document.kind)
        self.kind_combo.setCurrentIndex(index if index >= 0 else self.kind_combo.findData(str(DocumentKind.OTHER)))
        if document.needs_label or (document.kind == DocumentKind.OTHER and not document.kind_overridden):
            self.kind_status.setText(self.tr("Not sure: please choose what this is."))
        elif document.kind_overridden:
            self.kind_status.setText(self.tr("Chosen by you."))
        else:
            self.kind_status.setText("")
        details = [format_date(document.date)]
        if document.facility:
            details.append(document.facility)
        if document.pages:
            details.append(plural(document.pages, self.tr("page"), self.tr("pages")))
        self.details_label.setText(" · ".join(d for d in details if d))
        self._update_kind_enabled()

    def _update_kind_enabled(self) -> None:
        self.kind_combo.setEnabled(self.document is not None and not self.session.read_only
                                   and not self.session.busy and not self._relabelling)

    # -- reading (on a worker) --------------------------------------------------------------------

    def _make_read(self) -> tasks.TaskFn | None:
        store, document, lang = self.session.store, self.document, self.panel.lang
        if store is None or document is None:
            return None

        def work(progress: Any, cancel: Any) -> tuple[DocumentReading, PreparedText]:
            reading = read_document(store, document, lang, progress, cancel)
            text = reading.parsed.text if reading.parsed is not None else ""
            return reading, prepare(text, reading.explanation)

        return work

    def _read(self, result: tuple[DocumentReading, PreparedText]) -> None:
        reading, prepared = result
        if self.document is None or reading.document.id != self.document.id:
            return  # the reader has moved on
        self.reading = reading
        self.prepared = prepared
        self._show_text(reading.explanation, prepared)
        self._show_original(reading)
        has_words = reading.explanation is not None and bool(reading.explanation.terms)
        self.tabs.setCurrentIndex(0 if has_words or not self.tabs.isTabVisible(1) else 1)

    def _read_failed(self, exc: BaseException) -> None:
        tasks.present_error(self, exc, what="reading a document")
        self.text_view.show_text(None, None, empty_text=self.tr("This document could not be shown."))
        self.panel.set_message("")

    def _show_text(self, explanation: Explanation | None, prepared: PreparedText) -> None:
        no_text = self.tr("This document has no readable text. Its original is under “Original”.") \
            if self.document is not None and self._has_original(self.document) \
            else self.tr("This document has no readable text.")
        self.text_view.show_text(prepared, explanation, empty_text=no_text)
        if explanation is None:
            self.panel.set_message(self.tr("There is no text to explain in this document."))
        else:
            self.panel.set_explanation(explanation, can_add=self._ask is not None and not self.session.read_only,
                                       asked=self._asked)

    def _show_original(self, reading: DocumentReading) -> None:
        document = reading.document
        if document.password_protected:
            self.original_message.setText(self.tr("This PDF is protected by a password, so it cannot be shown here. "
                                                  "It is still part of your records."))
        elif reading.too_large:
            self.original_message.setText(self.tr("This file is too large to show here. It is still part of your records."))
        elif reading.unreadable:
            self.original_message.setText(self.tr("This file could not be shown. It is still part of your records."))
        elif reading.pdf is not None:
            self._load_pdf(reading.pdf)
            return
        elif reading.picture is not None:
            self.picture_view.set_image(reading.picture)
            self.original.setCurrentWidget(self.picture_view)
            return
        self.original.setCurrentWidget(self.original_message)

    def _load_pdf(self, data: bytes) -> None:
        self._close_pdf()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._pdf_buffer = buffer
        self.pdf_document.load(buffer)
        if self.pdf_document.status() == QPdfDocument.Status.Error:
            log.info("a PDF could not be shown: %s", self.pdf_document.error().name)
            self.original_message.setText(self.tr("This PDF could not be shown. It is still part of your records."))
            self.original.setCurrentWidget(self.original_message)
            return
        self.original.setCurrentWidget(self.pdf_view)

    def _close_pdf(self) -> None:
        self.pdf_document.close()
        if self._pdf_buffer is not None:
            self._pdf_buffer.close()
            self._pdf_buffer.deleteLater()
            self._pdf_buffer = None

    # -- language ---------------------------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        """Explain in ``lang`` ("en" or "es") from now on."""
        self.panel.set_language(lang)
        if self.reading is not None and self.reading.parsed is not None:
            self._explainer.request()

    def _make_explain(self) -> tasks.TaskFn | None:
        reading, lang = self.reading, self.panel.lang
        if reading is None:
            return None

        def work(progress: Any, cancel: Any) -> tuple[str, Any, PreparedText]:
            explanation = explain(reading.parsed, lang)
            text = reading.parsed.text if reading.parsed is not None else ""
            return reading.document.id, explanation, prepare(text, explanation)

        return work

    def _explained(self, result: tuple[str, Any, PreparedText]) -> None:
        doc_id, explanation, prepared = result
        if self.reading is None or self.reading.document.id != doc_id:
            return
        self.prepared = prepared
        scroll = self.text_view.verticalScrollBar().value()
        self._show_text(explanation, prepared)
        self.text_view.verticalScrollBar().setValue(scroll)

    # -- the panel --------------------------------------------------------------------------------

    def _term_chosen(self, match: TermMatch) -> None:
        self.panel.show_term(match)

    def _add_question(self, text: str) -> None:
        if self._ask is None or self.session.read_only:
            return
        if self._ask(normalise_question(text)):
            window = self.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(self.tr("Added to your questions on the About you screen."), 6000)

    # -- relabelling ------------------------------------------------------------------------------

    def _kind_chosen(self, index: int) -> None:
        document, store = self.document, self.session.store
        kind = str(self.kind_combo.itemData(index))
        if document is None or store is None or kind == document.kind or self.session.read_only:
            return
        self._relabelling = True
        self._update_kind_enabled()
        self.kind_status.setText(self.tr("Saving…"))

        def done(result: Relabelled) -> None:
            self._relabelling = False
            updated = result.document
            self.document = updated if self.document is not None and self.document.id == updated.id else self.document
            if self.document is not None:
                self._show_header(self.document)
            self.relabelled.emit(result)

        def failed(exc: BaseException) -> None:
            self._relabelling = False
            if self.document is not None:
                self._show_header(self.document)
            tasks.present_error(self, exc, what="relabelling a document")

        tasks.run_task(self, lambda progress, cancel: relabel(store, document.id, kind, progress, cancel),
                       on_success=done, on_error=failed, label="Relabelling a document")
