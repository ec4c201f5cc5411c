"""The "About you" screen: what only the patient can tell, saved as it is typed.

There is no Save button to forget. Every change restarts a short timer; when typing pauses,
the whole intake is saved through :mod:`ui.tasks` (one save at a time, the latest wins), and
leaving the screen or closing the window saves at once. The write itself is one small SQLite
transaction, but it goes through a task anyway: the store has one connection behind a lock,
and an import running in the background holds that lock for whole batches.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from bundler.errors import BundlerError
from bundler.intake import question_bank
from bundler.model import Allergy, ContactDetails, Insurance, Intake, Medication, SymptomEntry
from bundler.progress import CancelToken, Progress
from ui import tasks
from ui.i18n import app_language
from ui.session import CaseSession
from ui.views.rows import Field, RowsEditor, date_ok
from ui.widgets import Screen, paragraph

if TYPE_CHECKING:
    from bundler.store import CaseStore

__all__ = ["AUTOSAVE_MS", "IntakeView"]

log = logging.getLogger(__name__)

AUTOSAVE_MS: Final = 600
"""Quiet time after the last keystroke before the answers are saved."""


def _text_edit(name: str, lines: int = 3, placeholder: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field of a form
    height = edit.fontMetrics().lineSpacing() * lines + 16
    edit.setFixedHeight(height)
    return edit


def _line_edit(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _group(title: str, explanation: str = "") -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title)
    box.setAccessibleName(title)
    layout = QVBoxLayout(box)
    layout.setSpacing(8)
    if explanation:
        layout.addWidget(paragraph(explanation, title))
    return box, layout


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


class IntakeView(Screen):
    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("About you"), parent, scroll=True)
        self.session = session
        self._loading = False
        self._loaded_for: CaseStore | None = None
        self._dirty = False
        self._pending_questions: list[str] = []
        self.last_saved: Intake | None = None

        layout = self.body
        layout.addWidget(paragraph(
            self.tr("A second doctor reads your records better when they know what worries you and what "
                    "you have been told. Write in your own words; leave out what you do not know. "
                    "Everything is saved as you type, in this case only."),
            self.tr("About this screen"),
        ))
        self.status_label = QLabel()
        self.status_label.setAccessibleName(self.tr("Saving"))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.status_label)

        self._edits: list[QWidget] = []

        # -- why a second opinion
        box, inner = _group(self.tr("Why you want a second opinion"))
        form = _form()
        self.main_concern = _text_edit(self.tr("Your main concern"), 3,
                                       self.tr("For example: a lung nodule that grew; I was told it is cancer."))
        self.diagnosis = _text_edit(self.tr("Diagnosis you were given"), 2, self.tr("As your doctor told you"))
        self.plan = _text_edit(self.tr("Proposed treatment plan"), 2)
        self.decision = _text_edit(self.tr("The decision you face"), 2,
                                   self.tr("For example: surgery, or radiotherapy instead"))
        for label, edit in ((self.tr("Main concern"), self.main_concern), (self.tr("Diagnosis"), self.diagnosis),
                            (self.tr("Proposed plan"), self.plan), (self.tr("Decision"), self.decision)):
            form.addRow(label, edit)
        inner.addLayout(form)
        layout.addWidget(box)

        # -- questions
        box, inner = _group(
            self.tr("Questions for the reviewer"),
            self.tr("Tick the questions you want answered (Space ticks the highlighted one), and add your own."),
        )
        self.questions = QListWidget()
        self.questions.setAccessibleName(self.tr("Questions to ask"))
        for qid, text in question_bank(app_language()):
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, qid)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.questions.addItem(item)
        rows = min(self.questions.count(), 14)
        self.questions.setFixedHeight(self.questions.sizeHintForRow(0) * rows + 8)
        inner.addWidget(self.questions)
        inner.addWidget(QLabel(self.tr("Your own questions, one per line:")))
        self.own_questions = _text_edit(self.tr("Your own questions, one per line"), 3,
                                        self.tr("For example: Can I keep working during treatment?"))
        inner.addWidget(self.own_questions)
        layout.addWidget(box)

        # -- symptoms
        box, inner = _group(
            self.tr("Your symptoms over time"),
            self.tr("When it started, how it changed, what helped and what did not. Dates can be as "
                    "precise as you remember: 2025, 2025-06 or 2025-06-14."),
        )
        self.symptoms = RowsEditor(
            [Field("date", self.tr("When"), date=True, stretch=1, placeholder=self.tr("2025-06")),
             Field("what", self.tr("What happened"), stretch=3),
             Field("helped", self.tr("What helped"), stretch=2),
             Field("did_not_help", self.tr("What did not help"), stretch=2)],
            add_text=self.tr("Add a symptom"),
            row_name=lambda n: self.tr("Symptom {n}").format(n=n),
        )
        inner.addWidget(self.symptoms)
        layout.addWidget(box)

        # -- medicines
        box, inner = _group(self.tr("Medicines and supplements"),
                            self.tr("Everything you take, with the dose, and any side effects."))
        self.no_medicines = QCheckBox(self.tr("I take no medicines or supplements"))
        self.no_medicines.setAccessibleName(self.tr("I take no medicines or supplements"))
        inner.addWidget(self.no_medicines)
        self.medications = RowsEditor(
            [Field("name", self.tr("Name"), stretch=2), Field("dose", self.tr("Dose"), stretch=1),
             Field("frequency", self.tr("How often"), stretch=1),
             Field("start", self.tr("Started"), date=True, stretch=1, placeholder=self.tr("2023-05")),
             Field("stop", self.tr("Stopped"), date=True, stretch=1),
             Field("notes", self.tr("Side effects, notes"), stretch=2)],
            add_text=self.tr("Add a medicine"),
            row_name=lambda n: self.tr("Medicine {n}").format(n=n),
        )
        inner.addWidget(self.medications)
        layout.addWidget(box)

        # -- allergies
        box, inner = _group(self.tr("Allergies and reactions"))
        self.no_allergies = QCheckBox(self.tr("No known allergies"))
        self.no_allergies.setAccessibleName(self.tr("No known allergies"))
        inner.addWidget(self.no_allergies)
        self.allergies = RowsEditor(
            [Field("substance", self.tr("Allergic to"), stretch=2), Field("reaction", self.tr("Reaction"), stretch=2),
             Field("severity", self.tr("How bad"), stretch=1, placeholder=self.tr("mild, moderate, severe"))],
            add_text=self.tr("Add an allergy"),
            row_name=lambda n: self.tr("Allergy {n}").format(n=n),
        )
        inner.addWidget(self.allergies)
        layout.addWidget(box)

        # -- family history
        box, inner = _group(self.tr("Family history"),
                            self.tr("Illnesses of parents, brothers, sisters and children that may matter."))
        self.no_family_history = QCheckBox(self.tr("None known"))
        self.no_family_history.setAccessibleName(self.tr("No family history known"))
        inner.addWidget(self.no_family_history)
        self.family_history = _text_edit(self.tr("Family history"), 3,
                                         self.tr("For example: Father: lung cancer at 68."))
        inner.addWidget(self.family_history)
        layout.addWidget(box)

        # -- insurance and referral
        box, inner = _group(self.tr("Insurance and referral"),
                            self.tr("Some plans pay for a second opinion only with a referral or an authorization."))
        form = _form()
        self.insurer = _line_edit(self.tr("Insurer"))
        self.member_id = _line_edit(self.tr("Member number"))
        self.insurance_plan = _line_edit(self.tr("Insurance plan"))
        self.referral_required = QComboBox()
        self.referral_required.setAccessibleName(self.tr("Referral needed"))
        self.referral_required.view().setAccessibleName(self.tr("Referral needed"))
        for text, value in ((self.tr("I do not know"), None), (self.tr("Yes"), True), (self.tr("No"), False)):
            self.referral_required.addItem(text, value)
        self.referral = _line_edit(self.tr("Referral"), self.tr("Referral number, or who wrote it"))
        self.authorization = _line_edit(self.tr("Authorization"))
        for label, edit in ((self.tr("Insurer"), self.insurer), (self.tr("Member number"), self.member_id),
                            (self.tr("Plan"), self.insurance_plan),
                            (self.tr("Referral needed?"), self.referral_required),
                            (self.tr("Referral"), self.referral), (self.tr("Authorization"), self.authorization)):
            form.addRow(label, edit)
        inner.addLayout(form)
        layout.addWidget(box)

        # -- pathology slides
        box, inner = _group(
            self.tr("Pathology slides"),
            self.tr("If a biopsy or an operation was done: who keeps the slides and blocks, and can they be sent "
                    "to the reviewer?"),
        )
        self.slides = _text_edit(self.tr("Pathology slides"), 2)
        inner.addWidget(self.slides)
        layout.addWidget(box)

        # -- contact details
        box, inner = _group(self.tr("Your details"),
                            self.tr("Used in request letters to hospitals and on the summary page."))
        form = _form()
        self.patient_name = _line_edit(self.tr("Your name"))
        self.birth_date = _line_edit(self.tr("Date of birth"), self.tr("1962-08-23"))
        self.address = _line_edit(self.tr("Address"))
        self.phone = _line_edit(self.tr("Phone"))
        self.email = _line_edit(self.tr("Email"))
        for label, edit in ((self.tr("Name"), self.patient_name), (self.tr("Date of birth"), self.birth_date),
                            (self.tr("Address"), self.address), (self.tr("Phone"), self.phone),
                            (self.tr("Email"), self.email)):
            form.addRow(label, edit)
        inner.addLayout(form)
        layout.addWidget(box)
        layout.addStretch(1)

        # -- saving
        for edit in (self.main_concern, self.diagnosis, self.plan, self.decision, self.own_questions,
                     self.family_history, self.slides):
            edit.textChanged.connect(self._changed)
        for line in (self.insurer, self.member_id, self.insurance_plan, self.referral, self.authorization,
                     self.patient_name, self.birth_date, self.address, self.phone, self.email):
            line.textChanged.connect(self._changed)
        self.birth_date.textChanged.connect(self._check_birth_date)
        for box_ in (self.no_medicines, self.no_allergies, self.no_family_history):
            box_.toggled.connect(self._changed)
        self.no_medicines.toggled.connect(lambda on: self.medications.setEnabled(not on))
        self.no_allergies.toggled.connect(lambda on: self.allergies.setEnabled(not on))
        self.no_family_history.toggled.connect(lambda on: self.family_history.setEnabled(not on))
        self.referral_required.currentIndexChanged.connect(self._changed)
        self.questions.itemChanged.connect(self._changed)
        for rows in (self.symptoms, self.medications, self.allergies):
            rows.changed.connect(self._changed)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self._save)
        self._saver = tasks.LatestTask(self, self._make_save, on_success=self._saved, on_error=self._save_failed,
                                       label="Saving the intake")
        self._loader = tasks.LatestTask(self, self._make_load, on_success=self._loaded, label="Reading the intake")
        session.opened.connect(self._case_opened)
        session.records_changed.connect(self._records_changed)
        session.busy_changed.connect(lambda busy: None if busy or not self._dirty else self._timer.start())

    # -- loading ----------------------------------------------------------------------------------

    def _case_opened(self) -> None:
        self._timer.stop()
        self._dirty = False
        self._pending_questions = []
        self._loaded_for = None
        self.last_saved = None
        self._fill(Intake())
        self.status_label.setText("")

    def _records_changed(self) -> None:
        store = self.session.store
        read_only = self.session.read_only
        for widget in self._inputs():
            widget.setEnabled(not read_only)
        if read_only:
            self.status_label.setText(self.tr("This case was opened from a package; these answers are read-only."))
        if store is not None and store is not self._loaded_for:
            self._loaded_for = store
            self._loader.request()

    def _make_load(self) -> tasks.TaskFn | None:
        store = self.session.store
        if store is None:
            return None
        self._set_form_enabled(False)

        def work(progress: Progress, cancel: CancelToken) -> tuple[Any, Intake]:
            from bundler.intake import load_intake

            return store, load_intake(store)

        return work

    def _loaded(self, result: tuple[Any, Intake]) -> None:
        store, intake = result
        self._set_form_enabled(True)
        if store is not self.session.store:
            return  # another case meanwhile
        if not self._dirty:  # else the user already typed: theirs wins
            self.last_saved = intake
            self._fill(intake)
        pending, self._pending_questions = self._pending_questions, []
        for text in pending:
            if not self.has_own_question(text):
                self._append_question(text)

    def _set_form_enabled(self, enabled: bool) -> None:
        read_only = self.session.read_only
        for widget in self._inputs():
            widget.setEnabled(enabled and not read_only)

    def _inputs(self) -> list[QWidget]:
        return [self.main_concern, self.diagnosis, self.plan, self.decision, self.questions, self.own_questions,
                self.symptoms, self.no_medicines, self.medications, self.no_allergies, self.allergies,
                self.no_family_history, self.family_history, self.insurer, self.member_id, self.insurance_plan,
                self.referral_required, self.referral, self.authorization, self.slides, self.patient_name,
                self.birth_date, self.address, self.phone, self.email]

    def _fill(self, intake: Intake) -> None:
        self._loading = True
        try:
            self.main_concern.setPlainText(intake.main_concern)
            self.diagnosis.setPlainText(intake.diagnosis)
            self.plan.setPlainText(intake.plan)
            self.decision.setPlainText(intake.decision)
            chosen = set(intake.question_bank)
            for row in range(self.questions.count()):
                item = self.questions.item(row)
                item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in chosen
                                   else Qt.CheckState.Unchecked)
            self.own_questions.setPlainText("\n".join(intake.own_questions))
            self.symptoms.set_values([{"date": s.date, "what": s.what, "helped": s.helped,
                                       "did_not_help": s.did_not_help} for s in intake.symptoms])
            self.no_medicines.setChecked(intake.medications_none)
            self.medications.set_values([{"name": m.name, "dose": m.dose, "frequency": m.frequency,
                                          "start": m.start, "stop": m.stop, "notes": m.notes}
                                         for m in intake.medications])
            self.no_allergies.setChecked(intake.allergies_none_known)
            self.allergies.set_values([{"substance": a.substance, "reaction": a.reaction, "severity": a.severity}
                                       for a in intake.allergies if a.substance])
            self.no_family_history.setChecked(intake.family_history_none_known)
            self.family_history.setPlainText(intake.family_history)
            ins = intake.insurance
            self.insurer.setText(ins.insurer)
            self.member_id.setText(ins.member_id)
            self.insurance_plan.setText(ins.plan)
            self.referral_required.setCurrentIndex(self.referral_required.findData(ins.referral_required)
                                                   if ins.referral_required is not None else 0)
            self.referral.setText(ins.referral)
            self.authorization.setText(ins.authorization)
            self.slides.setPlainText(intake.pathology_slides)
            p = intake.patient
            self.patient_name.setText(p.name)
            self.birth_date.setText(p.birth_date)
            self.address.setText(p.address)
            self.phone.setText(p.phone)
            self.email.setText(p.email)
        finally:
            self._loading = False

    # -- the form as an Intake ------------------------------------------------------------------

    def intake(self) -> Intake:
        """What the form says now. Rows without their main field, and dates that are not dates
        yet, are left out until they are complete (the field shows why in red)."""

        def d(text: str) -> str:
            return text if date_ok(text) else ""

        symptoms = tuple(SymptomEntry(d(r["date"]), r["what"], r["helped"], r["did_not_help"])
                         for r in self.symptoms.values() if r["what"])
        medications = tuple(Medication(r["name"], dose=r["dose"], frequency=r["frequency"], start=d(r["start"]),
                                       stop=d(r["stop"]), notes=r["notes"])
                            for r in self.medications.values() if r["name"])
        allergies = tuple(Allergy(r["substance"], reaction=r["reaction"], severity=r["severity"])
                          for r in self.allergies.values() if r["substance"])
        bank = tuple(self.questions.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.questions.count())
                     if self.questions.item(i).checkState() == Qt.CheckState.Checked)
        own = tuple(line.strip() for line in self.own_questions.toPlainText().splitlines() if line.strip())
        return Intake(
            patient=ContactDetails(self.patient_name.text().strip(), d(self.birth_date.text().strip()),
                                   self.address.text().strip(), self.phone.text().strip(), self.email.text().strip()),
            main_concern=self.main_concern.toPlainText().strip(),
            diagnosis=self.diagnosis.toPlainText().strip(),
            plan=self.plan.toPlainText().strip(),
            decision=self.decision.toPlainText().strip(),
            symptoms=symptoms,
            question_bank=bank,
            own_questions=own,
            allergies=allergies,
            allergies_none_known=self.no_allergies.isChecked(),
            medications=medications,
            medications_none=self.no_medicines.isChecked(),
            family_history=self.family_history.toPlainText().strip(),
            family_history_none_known=self.no_family_history.isChecked(),
            insurance=Insurance(self.insurer.text().strip(), self.member_id.text().strip(),
                                self.insurance_plan.text().strip(), self.referral_required.currentData(),
                                self.referral.text().strip(), self.authorization.text().strip()),
            pathology_slides=self.slides.toPlainText().strip(),
        )

    # -- saving -----------------------------------------------------------------------------------

    def _changed(self, *_args: object) -> None:
        if self._loading or self.session.read_only:
            return
        self._dirty = True
        self.status_label.setText(self.tr("Saving…"))
        self._timer.start()

    def _check_birth_date(self, text: str) -> None:
        ok = date_ok(text)
        self.birth_date.setStyleSheet("" if ok else "QLineEdit { border: 2px solid #c62828; }")
        self.birth_date.setToolTip("" if ok else self.tr("Write the date as 1962-08-23 (year, month, day)."))

    def flush(self) -> None:
        """Save now what is waiting for the typing pause (leaving the screen, closing)."""
        if self._timer.isActive():
            self._timer.stop()
            self._save()

    @property
    def saving(self) -> bool:
        return self._timer.isActive() or self._saver.pending

    def _save(self) -> None:
        if not self._dirty:
            return
        if self.session.busy and self.session.store is None:
            return  # the first import is creating the case; saved when it is done
        self._saver.request()

    def _make_save(self) -> tasks.TaskFn | None:
        if not self._dirty:
            return None
        intake = self.intake()
        self._dirty = False
        store, case_dir = self.session.store, self.session.case_dir

        def work(progress: Progress, cancel: CancelToken) -> tuple[Any, Intake]:
            from bundler.intake import save_intake
            from bundler.store import CaseStore

            target = store if store is not None else CaseStore.open(case_dir, create=True)
            return target, save_intake(target, intake)

        return work

    def _saved(self, result: tuple[Any, Intake]) -> None:
        store, intake = result
        self.last_saved = intake
        if self.session.store is None:
            self._loaded_for = store
            self.session.adopt(store)
            self.session.refresh()
        if not self._dirty:
            self.status_label.setText(self.tr("All your answers are saved."))
        self.session.notify_intake_saved()

    def _save_failed(self, exc: BaseException) -> None:
        self._dirty = True  # try again on the next change
        if isinstance(exc, BundlerError):
            log.warning("intake not saved: %s", exc.code)
            self.status_label.setText(self.tr("Not saved: {reason}").format(reason=exc.user_message))
        else:
            tasks.present_error(self, exc, what="saving the intake")
            self.status_label.setText(self.tr("Not saved. Something went wrong."))

    # -- questions from other screens -----------------------------------------------------------

    def own_question_lines(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.own_questions.toPlainText().splitlines()]
        return [line for line in lines if line] + list(self._pending_questions)

    def has_own_question(self, text: str) -> bool:
        wanted = " ".join(text.split()).casefold()
        return any(line.casefold() == wanted for line in self.own_question_lines())

    def add_own_question(self, text: str) -> bool:
        """Add ``text`` to the patient's own questions (from "Add to my questions" beside a
        document) and save at once. False in a read-only case or when it is already there.

        The form is the one writer of the intake: the question goes into the form and is saved
        with everything else, so a save from this screen can never drop it (nor it a typed
        answer). Before the case's answers have been read into the form, it waits for them.
        """
        text = " ".join(text.split())
        if not text or self.session.read_only or self.has_own_question(text):
            return False
        if self.session.store is not None and (self._loaded_for is not self.session.store or self._loader.pending):
            self._pending_questions.append(text)
            return True
        self._append_question(text)
        return True

    def _append_question(self, text: str) -> None:
        current = self.own_questions.toPlainText().rstrip("\n")
        self.own_questions.setPlainText(f"{current}\n{text}" if current.strip() else text)
        self.flush_soon()

    def flush_soon(self) -> None:
        """Save now (if the typed answers changed), without waiting for the typing pause."""
        if self._timer.isActive():
            self.flush()

    # -- navigation from other screens ----------------------------------------------------------

    def focus_field(self, name: str) -> None:
        """Show the part of the form an ``intake:<name>`` reference points to."""
        section = name.split("/", 1)[0]
        target: QWidget = {
            "main_concern": self.main_concern, "concern": self.main_concern, "summary": self.main_concern,
            "diagnosis": self.diagnosis, "plan": self.plan, "decision": self.decision,
            "questions": self.questions, "symptoms": self.symptoms, "medications": self.medications,
            "allergies": self.allergies, "family_history": self.family_history, "insurance": self.insurer,
            "pathology": self.slides, "pathology_slides": self.slides, "patient": self.patient_name,
        }.get(section, self.main_concern)
        if section == "symptoms" and "/" in name:
            index = name.split("/", 1)[1]
            edit = self.symptoms.first_edit(int(index)) if index.isdigit() else None
            target = edit or target
        if self.scroll_area is not None:
            self.scroll_area.ensureWidgetVisible(target)
        if isinstance(target, RowsEditor):
            first = target.first_edit(0)
            (first or target.add_button).setFocus()
        else:
            target.setFocus()
