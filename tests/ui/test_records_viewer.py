"""The Records screen's viewers: a document with its words explained, relabelling, a series' images."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QApplication, QPushButton, QToolTip
from pytestqt.qtbot import QtBot

from bundler.glossary import note
from bundler.intake import load_intake
from bundler.model import DocumentKind
from bundler.store import CaseStore
from ui import imaging
from ui.main_window import MainWindow
from windowkit import copy_case, open_window, close_window


def document_id(case_dir: Path, title: str) -> str:
    with CaseStore.open(case_dir) as store:
        return next(d.id for d in store.documents() if title in d.title)


def add_buttons(window: MainWindow) -> list[QPushButton]:
    panel = window.records_view.document_viewer.panel
    return [b for b in panel.findChildren(QPushButton)
            if b.isVisibleTo(panel) and b.accessibleName().startswith("Add to my questions")]


def click_in_panel(qtbot: QtBot, panel: Any, widget: QPushButton) -> None:
    """Scroll ``widget`` into view (once laid out) and click it as a mouse would."""
    qtbot.waitUntil(lambda: widget.height() > 0, timeout=5_000)
    panel.scroll_area.ensureWidgetVisible(widget)
    qtbot.waitUntil(lambda: not widget.visibleRegion().isEmpty(), timeout=5_000)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def open_ct_report(qtbot: QtBot, window: MainWindow, case_dir: Path) -> Any:
    doc_id = document_id(case_dir, "CT CHEST WITH CONTRAST")
    assert window.records_view.show_record(f"document:{doc_id}")
    viewer = window.records_view.document_viewer
    qtbot.waitUntil(lambda: viewer.reading is not None and not viewer.busy, timeout=30_000)
    return viewer


# -- a document, its words explained ----------------------------------------------------------


def test_the_ct_report_shows_its_words_explained(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]
) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    viewer = open_ct_report(qtbot, window, case_dir)
    records = window.records_view
    assert records.detail.isVisible() and records.detail.currentWidget() is viewer
    assert viewer.title_label.text() == "CT CHEST WITH CONTRAST REPORT"
    assert viewer.kind_combo.currentData() == DocumentKind.RADIOLOGY_REPORT
    explanation = viewer.reading.explanation
    assert explanation is not None and explanation.lang == "en"
    assert len(explanation.terms) > 20 and explanation.questions
    # The text tab is shown first; the PDF's pages are one tab away.
    assert viewer.tabs.currentWidget() is viewer.text_view
    assert viewer.tabs.isTabVisible(1)
    assert viewer.original.currentWidget() is viewer.pdf_view
    assert viewer.pdf_document.pageCount() == 1

    # Every explained word is highlighted, carries its meaning as a tool tip, and is a link.
    text = viewer.text_view
    assert "Lung-RADS 4B" in text.toPlainText()
    shown = 0
    for start, end, index in viewer.prepared.spans:
        cursor = QTextCursor(text.document())
        cursor.setPosition(start + 1)
        fmt = cursor.charFormat()
        match = explanation.terms[index]
        assert fmt.isAnchor() and fmt.anchorHref() == f"term:{index}"
        assert match.entry.definition[:30] in fmt.toolTip().replace("&#x27;", "'").replace("&quot;", '"')
        assert fmt.background().color().alpha() > 0
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        assert " ".join(cursor.selectedText().split()) == " ".join(match.written.split())
        shown += 1
    assert shown == len(explanation.terms)

    # Hovering shows the tool tip; clicking a word shows it in the panel.
    lung_rads = next(i for i, m in enumerate(explanation.terms) if m.written == "Lung-RADS 4B")
    start = next(s for s, _e, i in viewer.prepared.spans if i == lung_rads)
    cursor = QTextCursor(text.document())
    cursor.setPosition(start + 2)
    text.setTextCursor(cursor)
    text.ensureCursorVisible()
    point = text.cursorRect(cursor).center()
    QApplication.sendEvent(text.viewport(), QHelpEvent(QEvent.Type.ToolTip, point, text.viewport().mapToGlobal(point)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=5_000)
    assert "Lung-RADS 4B" in QToolTip.text()
    QToolTip.hideText()
    qtbot.mouseClick(text.viewport(), Qt.MouseButton.LeftButton, pos=point)
    panel = viewer.panel
    qtbot.waitUntil(panel.term_frame.isVisible, timeout=5_000)
    assert panel.term_frame.accessibleName().endswith("Lung-RADS 4B")

    # The calm note is there, in view, whatever is chosen.
    assert panel.note_label.isVisible() and panel.note_label.text() == note("en")
    assert not panel.scroll_area.isAncestorOf(panel.note_label)

    # Flagged wording and categories come with questions, each with its own "Add" button.
    question_texts = [q.text for q in explanation.questions]
    qtbot.waitUntil(lambda: len(add_buttons(window)) >= len(question_texts), timeout=5_000)
    buttons = add_buttons(window)
    assert any("Lung-RADS 4B" in b.accessibleName() for b in buttons)
    close_window(window)
    assert messages == []


def test_keyboard_reaches_the_explained_words(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    viewer = open_ct_report(qtbot, window, case_dir)
    window.activateWindow()
    qtbot.waitActive(window)
    viewer.text_view.setFocus()
    qtbot.waitUntil(viewer.text_view.hasFocus, timeout=5_000)
    qtbot.keyClick(viewer.text_view, Qt.Key.Key_Tab)  # Tab moves to the first explained word
    qtbot.waitUntil(viewer.panel.term_frame.isVisible, timeout=5_000)
    first = viewer.reading.explanation.terms[0]
    assert first.written in viewer.panel.term_frame.accessibleName()
    close_window(window)


def test_add_to_my_questions_goes_to_about_you(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]
) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    viewer = open_ct_report(qtbot, window, case_dir)
    intake_view = window.intake_view
    qtbot.waitUntil(lambda: not intake_view._loader.pending, timeout=10_000)
    # New cards are shown by the layout's next pass.
    qtbot.waitUntil(lambda: any("Lung-RADS 4B" in b.accessibleName() for b in add_buttons(window)), timeout=5_000)
    buttons = add_buttons(window)
    category = next(b for b in buttons if "Lung-RADS 4B" in b.accessibleName())
    question = next(q.text for q in viewer.reading.explanation.questions if q.phrase == "Lung-RADS 4B")
    click_in_panel(qtbot, viewer.panel, category)
    assert not category.isEnabled() and category.text() == "Added to your questions"
    assert intake_view.has_own_question(question)
    # Twice is once.
    assert not intake_view.add_own_question(question)
    qtbot.waitUntil(lambda: not intake_view.saving and intake_view.last_saved is not None
                    and question in intake_view.last_saved.own_questions, timeout=20_000)

    # The About you screen shows it, where the patient's own questions are.
    window.show_screen("about-you")
    assert question in intake_view.own_questions.toPlainText().splitlines()
    # Removing it there makes the button available again.
    intake_view.own_questions.setPlainText("")
    intake_view.flush()
    qtbot.waitUntil(lambda: not intake_view.saving, timeout=20_000)
    qtbot.waitUntil(category.isEnabled, timeout=10_000)
    window.show_screen("records")
    click_in_panel(qtbot, viewer.panel, category)
    qtbot.waitUntil(lambda: not intake_view.saving and intake_view.last_saved is not None
                    and question in intake_view.last_saved.own_questions, timeout=20_000)
    close_window(window)
    assert messages == []
    with CaseStore.open(case_dir) as store:
        assert load_intake(store).own_questions == (question,)


def test_explanations_in_spanish(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    viewer = open_ct_report(qtbot, window, case_dir)
    panel = viewer.panel
    english = viewer.text_view.toPlainText()
    panel.language.setCurrentIndex(panel.language.findData("es"))
    panel.language.activated.emit(panel.language.currentIndex())
    qtbot.waitUntil(lambda: not viewer.busy and panel.explanation is not None and panel.explanation.lang == "es",
                    timeout=20_000)
    assert panel.note_label.text() == note("es")
    # The panel's own headings follow its language, inside an English window.
    assert panel.questions_title.text() == "Preguntas que podría hacer"
    assert viewer.text_view.toPlainText() == english  # the report itself is as written
    assert any("¿" in q.text for q in panel.explanation.questions)
    close_window(window)


def test_a_structured_record_shows_its_text(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    doc_id = document_id(case_dir, "Medication List")
    assert window.records_view.show_record(f"document:{doc_id}")
    viewer = window.records_view.document_viewer
    qtbot.waitUntil(lambda: viewer.reading is not None and not viewer.busy, timeout=30_000)
    assert "Tiotropium" in viewer.text_view.toPlainText()
    assert not viewer.tabs.isTabVisible(1)  # no page to show: the text is the record
    close_window(window)


# -- relabelling a document ---------------------------------------------------------------------


def test_relabel_a_document(qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    doc_id = document_id(case_dir, "OUTPATIENT VISIT NOTE")
    assert window.records_view.show_record(f"document:{doc_id}")
    viewer = window.records_view.document_viewer
    qtbot.waitUntil(lambda: viewer.reading is not None and not viewer.busy, timeout=30_000)
    combo = viewer.kind_combo
    assert combo.isEnabled() and combo.currentData() == DocumentKind.VISIT_NOTE
    # Keyboard: focus the combo and pick "Referral or insurance".
    combo.setFocus()
    target = combo.findData(str(DocumentKind.REFERRAL_OR_INSURANCE))
    combo.setCurrentIndex(target)
    combo.activated.emit(target)
    qtbot.waitUntil(lambda: not viewer.busy and viewer.kind_status.text() == "Chosen by you.", timeout=20_000)
    # The list shows the new kind, the same document stays chosen, and the core has it.
    current = window.records_view.tree.currentIndex()
    assert current.data() == "OUTPATIENT VISIT NOTE - PULMONOLOGY"
    assert current.siblingAtColumn(2).data() == "Referral or insurance"
    assert viewer.document.kind == DocumentKind.REFERRAL_OR_INSURANCE
    assert window.records_view.detail.currentWidget() is viewer
    close_window(window)
    assert messages == []
    with CaseStore.open(case_dir) as store:
        document = next(d for d in store.documents() if d.id == doc_id)
    assert document.kind == DocumentKind.REFERRAL_OR_INSURANCE and document.kind_overridden


def test_a_received_package_cannot_be_relabelled(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    with CaseStore.open(case_dir) as store:
        store.mark_read_only()
    window = open_window(qtbot, case_dir)
    viewer = open_ct_report(qtbot, window, case_dir)
    assert not viewer.kind_combo.isEnabled()
    assert add_buttons(window) == []  # the reviewer's copy: nothing to add questions to
    close_window(window)


# -- a series' images -------------------------------------------------------------------------------


def select_series(qtbot: QtBot, window: MainWindow, name: str) -> Any:
    assert window.records_view.show_record(name)
    viewer = window.records_view.series_viewer
    qtbot.waitUntil(lambda: viewer.shown is not None and not viewer._renderer.pending, timeout=30_000)
    return viewer


def pixels(viewer: Any) -> np.ndarray:
    image = viewer.shown.image
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width()].copy()


def test_series_viewer_pages_windows_and_zooms(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    decoded_on: list[threading.Thread] = []
    real_decode = imaging.decode

    def spy(ref: imaging.ImageRef) -> imaging.DecodedImage:
        decoded_on.append(threading.current_thread())
        return real_decode(ref)

    monkeypatch.setattr(imaging, "decode", spy)
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    viewer = select_series(qtbot, window, "AX 12.5MM SOFT TISSUE")
    assert window.records_view.detail.currentWidget() is viewer
    assert len(viewer.refs) == 24 and viewer.index == 12
    assert viewer.position_label.text() == "Image 13 of 24"
    assert decoded_on and all(t is not threading.main_thread() for t in decoded_on)
    assert len(decoded_on) == 1  # the image on screen only

    # The mouse wheel pages (turned down: the next image).
    wheel = QWheelEvent(QPointF(50, 50), QPointF(viewer.view.mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewer.view.viewport(), wheel)
    assert viewer.index == 13
    qtbot.waitUntil(lambda: viewer.shown.ref == viewer.refs[13] and not viewer._renderer.pending, timeout=10_000)
    # The keyboard too, and back again without decoding twice.
    viewer.view.setFocus()
    qtbot.keyClick(viewer.view, Qt.Key.Key_Up)
    assert viewer.index == 12
    qtbot.waitUntil(lambda: viewer.shown.ref == viewer.refs[12] and not viewer._renderer.pending, timeout=10_000)
    assert len(decoded_on) == 2

    # CT presets: lung shows the lungs' detail, bone flattens them.
    as_saved = pixels(viewer)
    names = [viewer.window_combo.itemText(i) for i in range(viewer.window_combo.count())]
    assert names == ["As saved in the scan", "Lung", "Soft tissue", "Bone", "Brain"]
    viewer.set_window("lung")
    qtbot.waitUntil(lambda: viewer.shown.window == "lung" and not viewer._renderer.pending, timeout=10_000)
    lung = pixels(viewer)
    viewer.set_window("bone")
    qtbot.waitUntil(lambda: viewer.shown.window == "bone" and not viewer._renderer.pending, timeout=10_000)
    bone = pixels(viewer)
    assert not np.array_equal(lung, as_saved) and not np.array_equal(lung, bone)
    assert len(decoded_on) == 2  # windowing again needs no decoding

    # Zoom in and out, then fit.
    fitted = viewer.view.zoom
    qtbot.mouseClick(viewer.zoom_in_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == pytest.approx(fitted * 1.25) and not viewer.view.fitted
    qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom == pytest.approx(fitted) and viewer.view.fitted

    # An MR series has no CT presets: its contrast is automatic.
    viewer = select_series(qtbot, window, "AX T2 FLAIR")
    assert not viewer.window_combo.isVisible()
    assert viewer.window_key == imaging.AUTO
    close_window(window)
    assert messages == []


def write_multiframe(path: Path, *, frames: int, syntax: str) -> list[int]:
    """A small multi-frame MR image whose frames are flat at different values, compressed."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (
        ExplicitVRLittleEndian,
        MRImageStorage,
        generate_uid,
    )

    values = [100 * (k + 1) for k in range(frames)]
    arr = np.stack([np.full((32, 48), v, dtype=np.uint16) for v in values])
    arr[:, 0, 0] = 0  # a dark corner, so that each frame has some contrast
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = MRImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "TEST^MULTI", "MF1", "19700101"
    ds.StudyDate, ds.Modality, ds.SeriesDescription = "20240101", "MR", "CINE MULTIFRAME"
    ds.SeriesNumber, ds.InstanceNumber = 5, 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns, ds.NumberOfFrames = 32, 48, frames
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelData = arr.tobytes()
    ds.compress(syntax, arr, generate_instance_uid=False)
    ds.save_as(path, enforce_file_format=True)
    return values


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90"], ids=["rle", "jpeg2000"])
def test_multiframe_compressed_images(qtbot: QtBot, tmp_path: Path, syntax: str) -> None:
    from bundler.ingest.pipeline import import_sources

    media = tmp_path / "media"
    media.mkdir()
    write_multiframe(media / "IM0001", frames=4, syntax=syntax)
    case_dir = tmp_path / "case"
    with CaseStore.open(case_dir, create=True) as store:
        assert import_sources([media], store).imported == 1
    window = open_window(qtbot, case_dir)
    viewer = select_series(qtbot, window, "CINE MULTIFRAME")
    assert len(viewer.refs) == 4 and viewer.index == 2  # MR opens in the middle
    assert viewer.position_label.text() == "Frame 3 of 4"
    assert viewer.shown.image.width() == 48 and viewer.shown.image.height() == 32
    for target in (0, 3):
        viewer.slider.setValue(target)
        qtbot.waitUntil(lambda t=target: viewer.shown.ref == viewer.refs[t] and not viewer._renderer.pending,
                        timeout=10_000)
        assert viewer.message_label.text() != "" and "cannot be shown" not in viewer.message_label.text()
    close_window(window)


def test_an_undecodable_image_is_said_calmly(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, monkeypatch: pytest.MonkeyPatch, messages: list[tuple[str, str]]
) -> None:
    def broken(ref: imaging.ImageRef) -> imaging.DecodedImage:
        raise ValueError("unsupported transfer syntax")

    monkeypatch.setattr(imaging, "decode", broken)
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    assert window.records_view.show_record("CHEST PA")
    viewer = window.records_view.series_viewer
    qtbot.waitUntil(lambda: "cannot be shown" in viewer.message_label.text(), timeout=20_000)
    assert viewer.shown is None
    close_window(window)
    assert messages == []  # no dialog for a picture that cannot be shown
