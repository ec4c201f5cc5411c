"""The case timeline: one chronology, every event linked to its records, uncertain dates visible."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from bundler.cli import main
from bundler.describe import iso_date, long_date
from bundler.model import (
    DatePrecision,
    DocumentKind,
    Encounter,
    EventKind,
    Intake,
    LabResult,
    Medication,
    Procedure,
    SymptomEntry,
)
from bundler.timeline import events_from, timeline_json
from casefactory import document, study

TODAY = dt.date(2026, 11, 21)


def test_events_of_every_kind_in_date_order_with_their_records() -> None:
    ct = study(date="20260303", accession="A1")
    report = document(DocumentKind.RADIOLOGY_REPORT, "EXAM: CT chest", date="2026-03-03", accession="A1")
    labs = document(DocumentKind.LAB_RESULT, "", date="2026-02-01", results=(
        LabResult("Hemoglobin", "12.1", "g/dL", "2026-02-01", flag="L"), LabResult("WBC", "6.2", "10*3/uL", "2026-02-01"),
    ))
    stay = document(DocumentKind.DISCHARGE_SUMMARY, "", date="2026-04-12", encounters=(
        Encounter("inpatient", "2026-04-08", "2026-04-12", "Lakeside", "pneumonia"),), procedures=(
        Procedure("Bronchoscopy", "2026-04-09"),))
    meds = document(DocumentKind.MEDICATION_LIST, "", date="", medications=(
        Medication("Lisinopril", "10 mg", start="2023-05-02", stop="2026-04-12"),))
    intake = Intake(symptoms=(SymptomEntry("2025-11", "Dry cough", helped="honey"), SymptomEntry("", "Fatigue")),
                    medications=(Medication("Vitamin D", "1000 units", start="2024"),))
    docs = [report, labs, stay, meds]
    events = events_from([ct], [d for d, _ in docs], {d.id: p for d, p in docs}, intake=intake,
                         report_links={report[0].id: ct.study_uid}, today=TODAY)
    kinds = [(e.date, e.kind) for e in events]
    dated = [d for d, _ in kinds if d]
    assert dated == sorted(dated), "dated events come in date order"
    assert [d for d, _ in kinds[-2:]] == ["", ""] and all(d for d, _ in kinds[:-2]), "undated events come last"
    by_kind = {e.kind: e for e in events}
    assert {EventKind.STUDY, EventKind.DOCUMENT, EventKind.PROCEDURE, EventKind.HOSPITAL_STAY,
            EventKind.MEDICATION_START, EventKind.MEDICATION_STOP, EventKind.LAB_RESULT,
            EventKind.SYMPTOM} <= by_kind.keys()
    study_event = by_kind[EventKind.STUDY]
    assert study_event.title == "CT chest with contrast"
    assert study_event.refs == (f"study:{ct.study_uid}", f"document:{report[0].id}")  # the study and its report
    stay_event = by_kind[EventKind.HOSPITAL_STAY]
    assert (stay_event.date, stay_event.end) == ("2026-04-08", "2026-04-12") and "Lakeside" in stay_event.title
    lab_event = by_kind[EventKind.LAB_RESULT]
    assert "Hemoglobin 12.1 g/dL" in lab_event.title and lab_event.refs == (f"document:{labs[0].id}",)
    assert any(e.title == "Started Vitamin D 1000 units" and e.date_precision is DatePrecision.YEAR
               and e.refs == ("intake:medications/0",) for e in events)
    assert any(e.title == "Stopped Lisinopril" and e.date == "2026-04-12" for e in events)
    symptom = next(e for e in events if e.title == "Dry cough")
    assert symptom.date_precision is DatePrecision.MONTH and "honey" in symptom.detail
    fatigue = next(e for e in events if e.title == "Fatigue")
    assert fatigue.date == "" and fatigue.date_precision is DatePrecision.UNKNOWN and fatigue.date_note


def test_uncertain_dates_are_visible_as_such() -> None:
    future = study(date="20990101")
    undated = study(date="")
    events = events_from([future, undated], [], {}, today=TODAY)
    notes = {e.refs[0]: e.date_note for e in events}
    assert notes[f"study:{future.study_uid}"] == "the date is in the future"
    assert notes[f"study:{undated.study_uid}"] == "the study has no date"
    assert events[-1].refs[0] == f"study:{undated.study_uid}"  # undated last


def test_json_rows_carry_the_contract_fields() -> None:
    events = events_from([study(date="20260303")], [], {}, today=TODAY)
    rows = timeline_json(events)
    assert set(rows[0]) >= {"date", "date_precision", "kind", "title", "refs"}
    assert rows[0]["date"] == "2026-03-03" and rows[0]["date_precision"] == "day" and rows[0]["kind"] == "study"
    assert timeline_json(events, "es")[0]["date_text"] == "3 de marzo de 2026"


def test_timeline_cli_on_the_demo_case(demo_case, capsys) -> None:
    assert main(["timeline", "--case", str(demo_case), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    kinds = {r["kind"] for r in rows}
    assert {"study", "document", "medication_start"} <= kinds
    dated = [r["date"] for r in rows if r["date"]]
    assert dated == sorted(dated)
    assert all(r["refs"] for r in rows)
    studies = [r for r in rows if r["kind"] == "study"]
    assert len(studies) == 4 and all(r["date_precision"] == "day" for r in studies)
    if any(r["kind"] == "symptom" for r in rows):  # the demo's intake was loaded
        assert any(r["refs"][0].startswith("intake:symptoms/") for r in rows)


@given(st.text(max_size=30))
def test_date_reading_never_raises_and_stays_iso(text: str) -> None:
    iso, precision = iso_date(text)
    if precision is not DatePrecision.UNKNOWN:
        assert iso_date(iso) == (iso, precision)
        assert long_date(iso)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_dicom_and_iso_dates_read_the_same(day: dt.date) -> None:
    assert iso_date(day.strftime("%Y%m%d")) == (day.isoformat(), DatePrecision.DAY)
    assert iso_date(day.isoformat() + "T10:30:00") == (day.isoformat(), DatePrecision.DAY)
    assert iso_date(day.isoformat()[:7]) == (day.isoformat()[:7], DatePrecision.MONTH)


def test_the_timeline_speaks_spanish() -> None:
    meds = document(DocumentKind.MEDICATION_LIST, "", date="", medications=(Medication("Lisinopril", "10 mg",
                                                                                       start="2023-05-02"),))
    report = document(DocumentKind.PATHOLOGY_REPORT, "", date="2026-03-10")
    docs = [meds, report]
    events = events_from([study(date="20260303", institution="Hospital Central")], [d for d, _ in docs],
                         {d.id: p for d, p in docs}, today=TODAY, lang="es")
    titles = {e.title for e in events}
    assert "Inicio de Lisinopril 10 mg" in titles and "Informe de anatomía patológica" in titles
    study_event = next(e for e in events if e.kind is EventKind.STUDY)
    assert study_event.detail == "1 series, 5 archivos en Hospital Central"
    undated = next(e for e in events if not e.date)
    assert undated.date_note == "el documento no tiene fecha"
