"""The screens built on the core: About you, Checklist, Timeline, Start and Export (pytest-qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from bundler.intake import load_intake
from bundler.model import (
    EventKind,
    IdentityConflict,
    IdentityReport,
    IdentityStatus,
    ItemStatus,
)
from bundler.store import CaseStore
from ui import tasks
from windowkit import copy_case, open_window, close_window
from ui.models.checklist import ItemRole, RefRole, RowKindRole
from ui.models.timeline import EventRole
from ui.settings import AppSettings


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` into ``widget`` as key presses with text (QTest.keyClicks is ASCII-only)."""
    widget.setFocus()
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            if ch == "\n":
                key, text = int(Qt.Key.Key_Return), "\r"
            else:
                key, text = (ord(ch.upper()) if ch.isascii() and ch.isalnum() else 0), ch
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, text))


# -- About you ----------------------------------------------------------------------------------


def test_the_intake_is_saved_as_typed(qtbot: QtBot, tmp_path: Path, messages: list[tuple[str, str]]) -> None:
    case_dir = tmp_path / "new-case"
    window = open_window(qtbot, case_dir)
    window.show_screen("about-you")
    view = window.intake_view
    assert view.status_label.text() == ""

    type_text(view.main_concern, "Un nódulo en el pulmón que creció; ¿es cáncer?")
    type_text(view.diagnosis, "Adenocarcinoma, lóbulo superior derecho")
    type_text(view.plan, "Lobectomía")
    type_text(view.decision, "Cirugía o radioterapia (SBRT)")
    view.questions.item(0).setCheckState(Qt.CheckState.Checked)
    view.questions.item(5).setCheckState(Qt.CheckState.Checked)
    type_text(view.own_questions, "¿Puedo seguir trabajando?\nWho reads the slides?")

    qtbot.mouseClick(view.symptoms.add_button, Qt.MouseButton.LeftButton)
    first = view.symptoms.rows[0][0]
    assert window.focusWidget() is first["date"]  # a new row starts at its first field
    type_text(first["date"], "2025-06")
    type_text(first["what"], "Tos seca que no se iba")
    type_text(first["helped"], "Té con miel")
    qtbot.mouseClick(view.symptoms.add_button, Qt.MouseButton.LeftButton)
    second = view.symptoms.rows[1][0]
    type_text(second["date"], "2025-13")  # not a date: shown in red, not saved
    type_text(second["what"], "Shortness of breath")
    assert "2025-06-14" in second["date"].toolTip()
    qtbot.mouseClick(view.symptoms.add_button, Qt.MouseButton.LeftButton)
    type_text(view.symptoms.rows[2][0]["what"], "to be removed")
    qtbot.mouseClick(view.symptoms.rows[2][1], Qt.MouseButton.LeftButton)
    assert len(view.symptoms.rows) == 2

    qtbot.mouseClick(view.medications.add_button, Qt.MouseButton.LeftButton)
    med = view.medications.rows[0][0]
    type_text(med["name"], "Lisinopril")
    type_text(med["dose"], "10 mg")
    type_text(med["start"], "2023-05")
    view.no_allergies.setChecked(True)
    type_text(view.family_history, "Padre: cáncer de pulmón a los 68")
    type_text(view.insurer, "Acme Salud")
    view.referral_required.setCurrentIndex(view.referral_required.findData(True))
    type_text(view.slides, "Riverside Pathology keeps them")
    type_text(view.patient_name, "Zoë Muñoz-Šimková")

    assert view.status_label.text() == "Saving…"
    qtbot.waitUntil(lambda: not view.saving and view.last_saved == view.intake(), timeout=20_000)
    assert view.status_label.text() == "All your answers are saved."
    assert case_dir.is_dir()  # the first answer made the case
    close_window(window)
    assert messages == []

    with CaseStore.open(case_dir) as store:
        intake = load_intake(store)
    assert intake.main_concern == "Un nódulo en el pulmón que creció; ¿es cáncer?"
    assert intake.diagnosis == "Adenocarcinoma, lóbulo superior derecho"
    assert intake.plan == "Lobectomía" and intake.decision == "Cirugía o radioterapia (SBRT)"
    assert intake.question_bank == ("diagnosis", "options")
    assert intake.own_questions == ("¿Puedo seguir trabajando?", "Who reads the slides?")
    assert [(s.date, s.what, s.helped) for s in intake.symptoms] == [
        ("2025-06", "Tos seca que no se iba", "Té con miel"),
        ("", "Shortness of breath", ""),
    ]
    assert [(m.name, m.dose, m.start) for m in intake.medications] == [("Lisinopril", "10 mg", "2023-05")]
    assert intake.allergies_none_known and not intake.allergies
    assert intake.family_history == "Padre: cáncer de pulmón a los 68"
    assert intake.insurance.insurer == "Acme Salud" and intake.insurance.referral_required is True
    assert intake.pathology_slides == "Riverside Pathology keeps them"
    assert intake.patient.name == "Zoë Muñoz-Šimková"

    # Reopened, the form shows what was stored.
    window = open_window(qtbot, case_dir)
    qtbot.waitUntil(lambda: window.intake_view.main_concern.toPlainText() != "", timeout=10_000)
    view = window.intake_view
    assert view.intake() == intake
    assert view.no_allergies.isChecked() and not view.allergies.isEnabled()
    close_window(window)


def test_leaving_the_screen_saves_at_once(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path / "case")
    window.show_screen("about-you")
    view = window.intake_view
    type_text(view.main_concern, "Headaches")
    assert view._timer.isActive()
    window.show_screen("checklist")  # no waiting for the typing pause
    assert not view._timer.isActive()
    assert tasks.wait_all(20_000)
    with CaseStore.open(tmp_path / "case") as store:
        assert load_intake(store).main_concern == "Headaches"
    close_window(window)


# -- Checklist ----------------------------------------------------------------------------------


def test_checklist_lists_what_is_missing_with_next_steps(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]
) -> None:
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    window.show_screen("checklist")
    view = window.checklist_view
    qtbot.waitUntil(lambda: view.result is not None and not view.running, timeout=30_000)
    model = view.model
    missing = model.items_in(ItemStatus.MISSING)
    assert missing, "the demo without its intake misses the patient's own part"
    ids = {i.id for i in missing}
    assert {"summary", "questions"} <= ids
    assert all(i.next_step for i in missing)
    group = model.group_index(ItemStatus.MISSING)
    assert view.tree.isExpanded(group)
    first = model.index(0, 0, group)
    assert model.index(0, 0, first).data(RowKindRole) == "next"
    assert model.index(0, 0, first).data().startswith("Next step: ")
    assert "missing" in view.summary_label.text()
    assert "Next step:" in view.detail_label.text()  # the first item is selected, its step shown in full

    # Enter on a missing item the patient answers goes to its place on "About you".
    summary_row = next(model.index(r, 0, group) for r in range(model.rowCount(group))
                       if model.index(r, 0, group).data(ItemRole).id == "summary")
    view.tree.setCurrentIndex(summary_row)
    view.tree.setFocus()
    qtbot.keyClick(view.tree, Qt.Key.Key_Return)
    assert window.current_screen() == "about-you"
    assert window.focusWidget() is window.intake_view.main_concern
    window.show_screen("checklist")
    profiles = [view.profile_combo.itemData(i) for i in range(view.profile_combo.count())]
    assert {"general", "oncology", "front_desk"} <= set(profiles)

    # Evidence opens its record on the Records screen.
    present = model.group_index(ItemStatus.PRESENT)
    evidence = next(
        model.index(r, 0, model.index(i, 0, present))
        for i in range(model.rowCount(present))
        for r in range(model.rowCount(model.index(i, 0, present)))
        if (model.index(r, 0, model.index(i, 0, present)).data(RefRole) or "").startswith(("study:", "document:"))
    )
    view.tree.setCurrentIndex(evidence)
    view.tree.activated.emit(evidence)
    assert window.current_screen() == "records"
    selected = window.records_view.tree.currentIndex()
    from ui.models.records import RefRole as RecordRef

    assert selected.data(RecordRef) == evidence.data(RefRole)

    # Another profile re-runs the check.
    front = view.profile_combo.findData("front_desk")
    window.show_screen("checklist")
    view.profile_combo.setCurrentIndex(front)
    view.profile_combo.activated.emit(front)
    qtbot.waitUntil(lambda: view.result is not None and view.result.report.profile == "front_desk"
                    and not view.running, timeout=30_000)
    assert view.model.report is not None and view.model.report.item("insurance_referral") is not None

    # The intake changes: the checklist follows.
    window.show_screen("about-you")
    type_text(window.intake_view.main_concern, "A lung nodule that grew")
    type_text(window.intake_view.diagnosis, "Adenocarcinoma")
    type_text(window.intake_view.plan, "Surgery")
    type_text(window.intake_view.decision, "Surgery or radiotherapy")
    window.show_screen("checklist")
    qtbot.waitUntil(lambda: not view.running and view.result is not None
                    and view.result.report.item("summary").status is not ItemStatus.MISSING, timeout=30_000)
    close_window(window)
    assert messages == []


def test_checklist_printouts(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    window.show_screen("checklist")
    view = window.checklist_view
    qtbot.waitUntil(lambda: view.result is not None and not view.running, timeout=30_000)
    assert view._letters is not None and view.letters_button.isEnabled()  # the letters module is part of the app
    opened: list[Path] = []
    view.open_file = lambda path: opened.append(path) or True
    view.choose_save_path = lambda title, name: tmp_path / "out" / name
    (tmp_path / "out").mkdir()
    assert view.sheet_button.isEnabled()
    view.print_sheet()
    assert tasks.wait_all(60_000)
    assert opened and opened[-1].read_bytes().startswith(b"%PDF")
    view.write_letters()
    assert tasks.wait_all(60_000)
    close_window(window)


def test_identity_stop_sign_shows_both_values(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path / "case")
    view = window.checklist_view
    conflict = IdentityConflict(
        field="name",
        values=(("MUNOZ^ZOE", ("study:1", "study:2")), ("SMITH^JOHN", ("document:9",))),
        stop=True,
        message="These names cannot be the same person.",
    )
    report = IdentityReport(IdentityStatus.MISMATCH, (), (conflict,), "The records name two people.")
    window.show_screen("checklist")
    view._show_identity(report)
    assert view.identity_card.isVisible() and view.stop_icon.isVisible()
    texts = [label.text() for label in view.identity_card.findChildren(QLabel)]
    assert any("Zoe Munoz" in t for t in texts) and any("John Smith" in t for t in texts)
    assert any("in 2 records" in t for t in texts)
    assert "Stop" in view.identity_title.text()
    close_window(window)


# -- Timeline -----------------------------------------------------------------------------------


def test_timeline_filters_and_opens_records(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    window.show_screen("timeline")
    view = window.timeline_view
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.running, timeout=30_000)
    total = view.model.rowCount()
    kinds = {view.kind_filter.itemData(i) for i in range(1, view.kind_filter.count())}
    assert EventKind.STUDY in kinds and EventKind.DOCUMENT in kinds
    view.set_kind(EventKind.STUDY)
    shown = [view.proxy.index(r, 0).data(EventRole) for r in range(view.proxy.rowCount())]
    assert shown and all(e.kind is EventKind.STUDY for e in shown)
    assert 0 < len(shown) < total
    assert f"of {total} events" in view.count_label.text()

    # Keyboard: the first scan, Enter, and the Records screen shows that study.
    view.table.setFocus()
    view.table.setCurrentIndex(view.proxy.index(0, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert window.current_screen() == "records"
    from ui.models.records import RefRole as RecordRef

    assert window.records_view.tree.currentIndex().data(RecordRef) == shown[0].refs[0]

    window.show_screen("timeline")
    view.set_kind(None)
    assert view.proxy.rowCount() == total
    view.search.setText("zzzz-nothing")
    assert view.proxy.rowCount() == 0
    view.search.clear()
    close_window(window)


def test_uncertain_dates_are_marked() -> None:
    from bundler.model import DatePrecision, TimelineEvent
    from ui.models.timeline import date_text, is_uncertain

    day = TimelineEvent("2026-03-03", DatePrecision.DAY, EventKind.STUDY, "CT", ())
    month = TimelineEvent("2026-03", DatePrecision.MONTH, EventKind.SYMPTOM, "Cough", ())
    unknown = TimelineEvent("", DatePrecision.UNKNOWN, EventKind.DOCUMENT, "Letter", (), date_note="no date")
    future = TimelineEvent("2099-01-01", DatePrecision.DAY, EventKind.STUDY, "CT", (), date_note="in the future")
    assert not is_uncertain(day) and "≈" not in date_text(day)
    assert date_text(month).startswith("≈ ") and "2026" in date_text(month)
    assert date_text(unknown).startswith("Date unknown")
    assert date_text(future).endswith("(?)")


# -- Start --------------------------------------------------------------------------------------


def test_no_window_title_names_the_patient(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    """Window titles show in task bars, window switchers and screen-sharing pickers, and are
    read by other programs: they never carry the patient's name, whatever screen is shown."""
    from ui.main_window import SCREENS

    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    assert tasks.wait_all(10_000)
    names = ("muñoz", "šimková", "simkova", "zoë")
    assert any(n in window.start_view.recent.item(0).text().casefold() for n in names)  # the name is known
    for key, _title in SCREENS:
        window.show_screen(key)
        qtbot.wait(10)
        titles = [w.windowTitle() for w in QApplication.topLevelWidgets()]
        assert window.windowTitle() in titles
        for title in titles:
            assert not any(n in title.casefold() for n in names), (key, title)
    close_window(window)


def _answer_next_message_box(qtbot: QtBot, button_text: str | None, seen: list[str]) -> None:
    """Click ``button_text`` (None: press Escape) in the next message box that opens."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)  # Enter is safe
        if button_text is None:
            box.reject()
        else:
            next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(20, answer)


def test_delete_a_case_from_the_start_screen_after_confirming(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    assert tasks.wait_all(10_000)
    window.show_screen("start")
    start = window.start_view
    start.recent.setCurrentRow(0)
    assert start.delete_button.isEnabled()
    seen: list[str] = []
    _answer_next_message_box(qtbot, None, seen)  # the user thinks again
    qtbot.mouseClick(start.delete_button, Qt.MouseButton.LeftButton)
    assert seen and "cannot be undone" in seen[0] and "not touched" in seen[0]
    assert (case_dir / "case.sqlite").exists() and window.case_dir.absolute() == case_dir.absolute()

    _answer_next_message_box(qtbot, "Delete case", seen)
    qtbot.mouseClick(start.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not case_dir.exists(), timeout=10_000)
    assert tasks.wait_all(10_000)
    assert window.case_dir.absolute() != case_dir.absolute()  # the open case was closed first
    assert all(c.path != case_dir.absolute() for c in window.settings.recent_cases())
    assert not [p for p in case_dir.parent.iterdir() if p.name.startswith(".records-bundler-deleting")]
    close_window(window)


def test_start_screen_recent_cases_and_safety_note(qtbot: QtBot, tmp_path: Path, demo_case: Any) -> None:
    case_dir = copy_case(demo_case, tmp_path)
    window = open_window(qtbot, case_dir)
    assert tasks.wait_all(10_000)
    window.show_screen("start")
    start = window.start_view
    assert start.safety_card.isVisible()
    assert "emergency" in " ".join(label.text() for label in start.safety_card.findChildren(QLabel))
    qtbot.mouseClick(start.dismiss_safety, Qt.MouseButton.LeftButton)
    assert not start.safety_card.isVisible()
    assert start.recent.count() == 1 and "open now" in start.recent.item(0).text()

    window.new_case()
    assert window.case_dir != case_dir and window.current_screen() == "start"
    assert start.safety_card.isVisible()  # once per case
    assert window.records_view.model.rowCount() == 0
    start.recent.setCurrentRow(0)
    start.recent.activated.emit(start.recent.currentIndex())
    assert window.case_dir == case_dir.absolute() or window.case_dir == case_dir
    assert window.records_view.model.rowCount() > 0
    close_window(window)

    settings = AppSettings.load()  # what the next start sees
    assert settings.safety_note_dismissed(case_dir)
    assert settings.recent_cases()[0].path == case_dir.absolute()


# -- Export and reviewer mode ------------------------------------------------------------------


def test_export_with_a_passphrase_then_open_it_as_a_reviewer(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]
) -> None:
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    window.show_screen("export")
    view = window.export_view
    assert view.export_button.isEnabled()
    passphrase = view.passphrase
    assert len(passphrase.split("-")) >= 6
    assert view.passphrase_label.text() == passphrase
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == passphrase

    out = tmp_path / "sent" / "records.age"
    out.parent.mkdir()
    view.choose_save_path = lambda title, name, filters: out
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert view.cancel_button.isVisible() and not view.export_button.isEnabled()
    assert tasks.wait_all(300_000)
    assert messages == []
    assert out.is_file() and view.done_card.isVisible()
    assert passphrase in view.done_label.text() and "records.age" in view.done_label.text()
    close_window(window)

    # The reviewer, on another computer: a wrong passphrase first, then the right one.
    reviewer = open_window(qtbot, tmp_path / "reviewer-default")
    reviewer.open_package(out, passphrase="not-the-right-one-at-all", case_dir=tmp_path / "wrong")
    assert tasks.wait_all(120_000)
    assert reviewer.start_view.package_card.isVisible()
    assert "does not open" in reviewer.start_view.package_label.text()
    assert not (tmp_path / "wrong").exists()

    reviewer.open_package(out, passphrase=passphrase, case_dir=tmp_path / "received")
    assert tasks.wait_all(300_000)
    qtbot.waitUntil(lambda: reviewer.case_dir == tmp_path / "received", timeout=10_000)
    assert messages == []
    assert reviewer.case_dir == tmp_path / "received"
    assert reviewer.session.read_only
    assert reviewer.current_screen() == "records"
    assert reviewer.records_view.model.rowCount() > 0
    assert "checked" in reviewer.records_view.result_label.text()
    assert not reviewer.records_view.add_button.isVisible()
    assert not reviewer.intake_view.main_concern.isEnabled()
    assert reviewer.add_records([tmp_path]) is None  # read-only: nothing can be added
    close_window(reviewer)


def test_a_cancelled_export_is_silent_and_leaves_nothing(
    qtbot: QtBot, tmp_path: Path, demo_case: Any, messages: list[tuple[str, str]]
) -> None:
    window = open_window(qtbot, copy_case(demo_case, tmp_path))
    window.show_screen("export")
    view = window.export_view
    out = tmp_path / "records.zip"
    view.fmt_zip.setChecked(True)
    assert not view.use_key.isEnabled()
    handle = view.export_to(out)
    assert handle is not None
    handle.cancel()
    assert tasks.wait_all(120_000)
    assert messages == []
    assert "Stopped" in view.status_label.text()
    assert not out.exists()
    assert not view.done_card.isVisible()
    close_window(window)
