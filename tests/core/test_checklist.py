"""The completeness check, rule by rule, on small cases built from plain records.

Every rule is shown triggered and not triggered; the demo-case tests (test_check_demo.py)
show the rules together on real files.
"""

from __future__ import annotations

import datetime as dt
import re
import os
from pathlib import Path

import pytest

from bundler.checklist import ChecklistError, available_profiles, evaluate, facts_from, load_profile
from bundler.model import (
    Allergy,
    CompletenessReport,
    DocumentKind,
    Encounter,
    Insurance,
    Intake,
    ItemStatus,
    Medication,
    Patient,
    PersonIdentity,
    PriorReference,
    Requirement,
    SymptomEntry,
)
from casefactory import SECONDARY_CAPTURE, document, study

TODAY = dt.date(2026, 11, 21)
FULL_INTAKE = Intake(
    main_concern="a nodule", diagnosis="cancer", plan="surgery", decision="surgery or radiotherapy",
    symptoms=(SymptomEntry("2026-01", "cough"),), question_bank=("diagnosis",),
    allergies_none_known=True, medications_none=True, family_history_none_known=True,
    pathology_slides="kept at Riverside Pathology", insurance=Insurance(insurer="Acme", referral_required=False),
)
RAD = DocumentKind.RADIOLOGY_REPORT


def check(studies=(), docs=(), *, intake: Intake = FULL_INTAKE, profile: str = "general",
          media_counts=None) -> CompletenessReport:
    documents = [d for d, _ in docs]
    contents = {d.id: p for d, p in docs}
    facts = facts_from(studies, documents, contents, intake=intake, media_counts=media_counts, today=TODAY)
    return evaluate(facts, load_profile(profile))


def item(report: CompletenessReport, item_id: str):
    found = report.item(item_id)
    assert found is not None, item_id
    return found


def ct_with_report(**kw):
    s = study(accession="A100", **kw)
    return s, document(RAD, "EXAM: CT chest with contrast\nIMPRESSION: Nodule.", accession="A100",
                       date="2026-03-03")


# --------------------------------------------------------------------------------- profiles


def test_every_builtin_profile_loads_and_uses_known_rules() -> None:
    profiles = {p.id: p for p in available_profiles()}
    assert {"general", "imaging_second_read", "oncology", "surgical", "front_desk"} <= profiles.keys()
    general = {u.spec.id for u in profiles["general"].items}
    assert {"summary", "questions", "symptom_timeline", "visit_notes", "medications", "allergies",
            "imaging_images", "imaging_reports", "prior_imaging", "labs", "pathology", "pathology_slides",
            "operative_report", "discharge_summary", "family_history", "identity"} <= general
    oncology = {u.spec.id: u for u in profiles["oncology"].items}
    for required in ("pathology", "pathology_slides", "labs", "family_history"):
        assert oncology[required].level is Requirement.REQUIRED and not oncology[required].when
    assert "insurance_referral" in {u.spec.id for u in profiles["front_desk"].items if u.level is Requirement.REQUIRED}


def test_an_empty_case_is_not_complete_and_says_what_to_do_first() -> None:
    report = check(intake=Intake())
    assert not report.complete
    assert item(report, "summary").status is ItemStatus.MISSING
    assert item(report, "identity").status is ItemStatus.MISSING
    assert item(report, "imaging_reports").status is ItemStatus.NOT_REQUIRED  # no imaging: not needed
    for i in report.items:
        if i.status is ItemStatus.MISSING:
            assert i.next_step, i.id


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('title = "X"\n[items]\nsummary = "sometimes"\n', "line 3"),
        ('title = "X"\n[items]\nlabs = { required = "when", when = ["full_moon"] }\n', "'full_moon' is not a condition"),
        ('title = "X"\n[items]\necg = "required"\n', "needs a 'title', a 'rule' and a 'next_step'"),
        ('title = "X"\n[items.ecg]\ntitle = "ECG"\nrule = "imaging_reports"\nnext_step = "x"\n', "line 4"),
        ('title = "X"\n[items.labs]\nrequired = "required"\nflavour = "mint"\n', "line 4: unknown key 'flavour'"),
        ('title = "X"\n[items\n', "not valid TOML"),
        ('title = "X"\nextends = "no_such"\n[items]\nlabs = "required"\n', "line 2"),
        ('[items]\nlabs = "required"\n', "needs a 'title'"),
    ],
)
def test_a_malformed_profile_names_the_file_and_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as e:
        load_profile(str(path))
    assert str(path) in e.value.user_message and words in e.value.user_message


def test_a_clinic_adds_an_item_and_a_profile_without_code(tmp_path: Path) -> None:
    folder = Path(os.environ["RECORDS_BUNDLER_HOME"]) / "config" / "checklists"
    folder.mkdir(parents=True)
    (folder / "cardiology.toml").write_text(
        'title = "Cardiology"\nextends = "general"\n\n[items.ecg]\nrequired = "required"\ntitle = "ECG"\n'
        'rule = "document"\nterms = ["ECG", "electrocardiogram"]\n'
        'next_step = "Ask {facility} for a copy of your most recent ECG."\n', encoding="utf-8")
    assert "cardiology" in {p.id for p in available_profiles()}
    without = check(profile="cardiology")
    ecg = item(without, "ecg")
    assert ecg.status is ItemStatus.MISSING and ecg.next_step.startswith("Ask ") and "ECG" in ecg.next_step
    note = document(DocumentKind.VISIT_NOTE, "Electrocardiogram: sinus rhythm.")
    assert item(check(docs=[note], profile="cardiology"), "ecg").status is ItemStatus.PRESENT


# ------------------------------------------------------------------------ reports and images


def test_every_study_needs_its_report_and_the_next_step_names_it() -> None:
    s = study(accession="RIC123", date="20260303", institution="Riverside Imaging Center")
    missing = item(check([s]), "imaging_reports")
    assert missing.status is ItemStatus.MISSING and missing.required
    assert missing.next_step == ("Ask Riverside Imaging Center for the report of your CT chest with contrast "
                                 "of 3 March 2026 (accession RIC123).")
    assert missing.requests[0].facility == "Riverside Imaging Center"
    assert missing.requests[0].record == "radiology report" and missing.requests[0].accession == "RIC123"
    s2, report = ct_with_report()
    present = item(check([s2], [report]), "imaging_reports")
    assert present.status is ItemStatus.PRESENT
    assert present.evidence[0].ref == f"document:{report[0].id}"


def test_one_study_of_two_without_report_needs_attention() -> None:
    s, report = ct_with_report()
    mr = study(modality="MR", description="MR BRAIN", date="20260310", accession="L9", institution="Lakeside")
    result = item(check([s, mr], [report]), "imaging_reports")
    assert result.status is ItemStatus.ATTENTION
    assert "Lakeside" in result.next_step and "MR brain" in result.next_step and "10 March 2026" in result.next_step


def test_a_report_without_its_images_is_named() -> None:
    s, report = ct_with_report()
    orphan = document(RAD, "EXAM: MRI BRAIN\nIMPRESSION: normal.", title="MRI BRAIN REPORT", date="2026-02-01",
                      facility="Lakeside Hospital", accession="L55")
    result = item(check([s], [report, orphan]), "imaging_images")
    assert result.status is ItemStatus.ATTENTION
    assert result.next_step == ("Ask Lakeside Hospital for the images (DICOM, on CD or as a secure download) "
                                "of your MRI brain of 1 February 2026 (accession L55).")
    only_reports = item(check([], [orphan]), "imaging_images")
    assert only_reports.status is ItemStatus.MISSING and only_reports.required
    assert item(check([], []), "imaging_images").status is ItemStatus.NOT_REQUIRED


def test_a_prior_named_in_the_comparison_but_absent_is_listed_with_date_and_type() -> None:
    prior = PriorReference(text="CT chest of 12 March 2025", date="2025-03-12", modality="CT", region="chest")
    s = study(accession="A100", body_part="CHEST")
    report = document(RAD, "EXAM: CT chest\nCOMPARISON: CT chest of 12 March 2025.\n", accession="A100",
                      date="2026-03-03", facility="Riverside Imaging", priors=(prior,))
    absent = item(check([s], [report]), "prior_imaging")
    assert absent.status is ItemStatus.MISSING and absent.required
    assert "CT chest of 12 March 2025" in absent.next_step and "Riverside Imaging" in absent.next_step
    assert absent.requests[0].date == "2025-03-12" and absent.requests[0].exam == "CT chest"
    earlier = study(date="20250312", accession="OLD1", body_part="CHEST")
    present = item(check([s, earlier], [report, document(RAD, "x", accession="OLD1", date="2025-03-12")]),
                   "prior_imaging")
    assert present.status is ItemStatus.PRESENT
    assert f"study:{earlier.study_uid}" in {e.ref for e in present.evidence}


def test_prior_imaging_is_needed_only_when_a_comparison_or_a_second_study_exists() -> None:
    s, report = ct_with_report()
    assert item(check([s], [report]), "prior_imaging").status is ItemStatus.NOT_REQUIRED


# ------------------------------------------------------------------------ DICOM-aware checks


@pytest.mark.parametrize(
    ("kwargs", "media", "words"),
    [
        ({"numbers": [1, 2, 3, 5, 6]}, None, "images numbered 4 are missing"),
        ({"images": 5, "promised": 8}, None, "the files say 8 images, 5 are here"),
        ({"images": 5}, 7, "the disc's index lists 7 files, 5 are here"),
    ],
)
def test_an_incomplete_series_is_found(kwargs: dict, media: int | None, words: str) -> None:
    s = study(accession="A100", **kwargs)
    counts = {s.series[0].series_uid: media} if media else None
    report = document(RAD, "EXAM: CT chest", accession="A100", date="2026-03-03")
    result = item(check([s], [report], media_counts=counts), "series_complete")
    assert result.status is ItemStatus.ATTENTION
    assert any(words in d for d in result.details), result.details
    assert "new, complete copy" in result.next_step


def test_a_complete_series_is_present() -> None:
    s = study(numbers=[3, 4, 5, 6], promised=4)  # numbering need not start at 1
    assert item(check([s], media_counts={s.series[0].series_uid: 4}), "series_complete").status is ItemStatus.PRESENT


@pytest.mark.parametrize(("kwargs", "words"), [({"sop_class": SECONDARY_CAPTURE}, "screenshots"),
                                                ({"lossy": True}, "compressed with loss")])
def test_screenshots_or_lossy_only_images_need_attention(kwargs: dict, words: str) -> None:
    result = item(check([study(**kwargs)]), "image_quality")
    assert result.status is ItemStatus.ATTENTION and words in result.next_step
    assert item(check([study()]), "image_quality").status is ItemStatus.PRESENT


def test_two_patients_on_one_disc_is_a_stop_sign() -> None:
    mine = study()
    other = study(patient=Patient("ROE^RICHARD", "MRN999", "19450505", "M"), date="20260101")
    report = check([mine, other])
    assert report.identity.stop
    result = item(report, "identity")
    assert result.status is ItemStatus.ATTENTION and result.next_step.startswith("Stop")
    names = next(c for c in report.identity.conflicts if c.field == "name")
    assert {v for v, _ in names.values} == {"DOE^JANE", "ROE^RICHARD"}


def test_a_document_naming_someone_else_is_a_stop_sign() -> None:
    s, report = ct_with_report()
    note = document(DocumentKind.VISIT_NOTE, "Visit.", patient=PersonIdentity("Ana Martinez", "1980-02-02"))
    result = check([s], [report, note])
    assert result.identity.stop and item(result, "identity").status is ItemStatus.ATTENTION
    same = document(DocumentKind.VISIT_NOTE, "Visit.", patient=PersonIdentity("Jane Doe", "1960-01-01"))
    assert item(check([s], [report, same]), "identity").status is ItemStatus.PRESENT


def test_impossible_dates_are_flagged() -> None:
    s = study(accession="A100", date="20260303")
    before = document(RAD, "EXAM: CT chest", accession="A100", date="2026-03-01")
    result = item(check([s], [before]), "dates")
    assert result.status is ItemStatus.ATTENTION
    assert any("dated before its study" in d for d in result.details)
    future = item(check([study(date="20270101")]), "dates")
    assert any("in the future" in d for d in future.details)
    undated = item(check([study(date="")]), "dates")
    assert any("no date" in d for d in undated.details)
    born_later = item(check([study(patient=Patient("DOE^JANE", "MRN001", "20270101"))]), "dates")
    assert any("birth date" in d for d in born_later.details)
    s2, report = ct_with_report()
    assert item(check([s2], [report]), "dates").status is ItemStatus.PRESENT


# ------------------------------------------------------------------------------ context rules


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("CT-guided core needle biopsy of the right upper lobe nodule was performed.", True),
        ("Status post right upper lobectomy in 2019.", True),
        ("Recommend tissue sampling; consider biopsy if growing.", False),
        ("No prior surgery. No biopsy.", False),
    ],
)
def test_a_biopsy_or_surgery_requires_pathology_and_an_operative_report(text: str, required: bool) -> None:
    note = document(DocumentKind.VISIT_NOTE, text)
    report = check([], [note])
    for item_id in ("pathology", "operative_report"):
        result = item(report, item_id)
        assert (result.status is ItemStatus.MISSING) is required, (item_id, result)
        if required:
            assert result.next_step.startswith("Ask Riverside Imaging for the ")


def test_a_hospital_stay_requires_a_discharge_summary() -> None:
    admitted = document(DocumentKind.VISIT_NOTE, "She was admitted to the hospital on 2 March for pneumonia.")
    stay = check([], [admitted])
    assert item(stay, "discharge_summary").status is ItemStatus.MISSING
    structured = document(DocumentKind.VISIT_NOTE, "", encounters=(Encounter("inpatient", "2026-03-02"),))
    assert item(check([], [structured]), "discharge_summary").status is ItemStatus.MISSING
    denied = document(DocumentKind.VISIT_NOTE, "No hospital admissions in the past year.")
    assert item(check([], [denied]), "discharge_summary").status is ItemStatus.NOT_REQUIRED
    summary = document(DocumentKind.DISCHARGE_SUMMARY, "Hospital course: uneventful.")
    assert item(check([], [admitted, summary]), "discharge_summary").status is ItemStatus.PRESENT


def test_a_cancer_term_requires_the_slides_note() -> None:
    path = document(DocumentKind.PATHOLOGY_REPORT, "DIAGNOSIS: Invasive adenocarcinoma, acinar predominant.")
    no_note = Intake(main_concern="x")
    result = item(check([], [path], intake=no_note), "pathology_slides")
    assert result.status is ItemStatus.MISSING and "slides and tissue blocks" in result.next_step
    assert item(check([], [path]), "pathology_slides").status is ItemStatus.PRESENT  # the intake has the note
    benign = document(DocumentKind.PATHOLOGY_REPORT, "DIAGNOSIS: Benign lung tissue, negative for malignancy.")
    assert item(check([], [benign], intake=no_note), "pathology_slides").status is ItemStatus.NOT_REQUIRED


# ------------------------------------------------------------------------ the patient's part


def test_a_partial_summary_needs_attention_and_says_what_is_missing() -> None:
    result = item(check(intake=Intake(main_concern="a nodule")), "summary")
    assert result.status is ItemStatus.ATTENTION
    assert "the decision you face" in result.next_step


def test_allergy_records_that_disagree_need_attention() -> None:
    listing = document(DocumentKind.VISIT_NOTE, "", allergies=(Allergy("Penicillin", "hives"),))
    result = item(check([], [listing]), "allergies")  # the intake says "none known"
    assert result.status is ItemStatus.ATTENTION and "Penicillin" in result.next_step
    assert item(check([], [listing], intake=Intake(main_concern="x")), "allergies").status is ItemStatus.PRESENT


def test_the_surgical_profile_wants_doses() -> None:
    intake = Intake(medications=(Medication("Metformin", dose="500 mg"), Medication("Aspirin")))
    result = item(check(intake=intake, profile="surgical"), "medications")
    assert result.status is ItemStatus.ATTENTION and "Aspirin" in result.next_step and "Metformin" not in result.next_step
    assert item(check(intake=intake), "medications").status is ItemStatus.PRESENT  # general: a list is enough


def test_the_front_desk_profile_wants_the_referral_when_the_plan_needs_one() -> None:
    needs = Intake(insurance=Insurance(insurer="Acme", referral_required=True))
    result = item(check(intake=needs, profile="front_desk"), "insurance_referral")
    assert result.status is ItemStatus.ATTENTION and result.required
    done = Intake(insurance=Insurance(insurer="Acme", referral_required=True, referral="REF-1"))
    assert item(check(intake=done, profile="front_desk"), "insurance_referral").status is ItemStatus.PRESENT
    assert item(check(intake=needs), "insurance_referral").status is ItemStatus.NOT_REQUIRED


def test_old_visit_notes_need_attention() -> None:
    old = document(DocumentKind.VISIT_NOTE, "Visit.", date="2024-01-10", facility="Lakeside")
    s, report = ct_with_report()
    result = item(check([s], [report, old]), "visit_notes")
    assert result.status is ItemStatus.ATTENTION and "Lakeside" in result.next_step
    recent = document(DocumentKind.VISIT_NOTE, "Visit.", date="2026-02-10")
    assert item(check([s], [report, recent]), "visit_notes").status is ItemStatus.PRESENT


def test_labs_are_recommended_generally_and_required_for_oncology() -> None:
    general = item(check(), "labs")
    assert general.status is ItemStatus.MISSING and general.requirement is Requirement.RECOMMENDED
    oncology = check(profile="oncology")
    assert item(oncology, "labs").required and not oncology.complete


# ------------------------------------------------------------------------------------ Spanish


def test_every_item_text_and_profile_has_a_spanish_version() -> None:
    from bundler.checklist.profiles import _catalogue
    from bundler.checklist.wording import MESSAGES

    for spec in _catalogue().values():
        assert set(spec.texts_es) == {"title", "what", *spec.texts}, spec.id
        for key, text in spec.texts.items():
            placeholders = set(re.findall(r"\{(\w+)\}", text))
            assert placeholders == set(re.findall(r"\{(\w+)\}", spec.texts_es[key])), (spec.id, key)
    assert MESSAGES["en"].keys() == MESSAGES["es"].keys()
    for p in available_profiles():
        assert p.title_es and p.title_in("es") != p.title, p.id


def test_the_check_speaks_spanish() -> None:
    s = study(accession="RIC123", date="20260303", institution="Riverside Imaging Center")
    note = document(DocumentKind.VISIT_NOTE, "CT-guided core needle biopsy of the right upper lobe was performed.")
    facts = facts_from([s], [note[0]], {note[0].id: note[1]}, intake=FULL_INTAKE, today=TODAY)
    report = evaluate(facts, load_profile("general"), lang="es")
    assert report.profile_title == "Segunda opinión general"
    reports = item(report, "imaging_reports")
    assert reports.title == "Un informe por cada estudio"
    assert reports.next_step == ("Pida a Riverside Imaging Center el informe de su CT chest with contrast "
                                 "del 3 de marzo de 2026 (número de acceso RIC123).")
    assert "el informe de anatomía patológica de su biopsia" in item(report, "pathology").next_step


def test_undated_symptoms_and_lab_results_need_attention() -> None:
    undated = Intake(symptoms=(SymptomEntry("2026-01", "cough"), SymptomEntry("", "fatigue")))
    symptoms = item(check(intake=undated), "symptom_timeline")
    assert symptoms.status is ItemStatus.ATTENTION and symptoms.details == ("No date: fatigue",)
    labs = document(DocumentKind.LAB_RESULT, "Hemoglobin 12.1 g/dL", date="", facility="Lakeside Lab")
    result = item(check([], [labs]), "labs")
    assert result.status is ItemStatus.ATTENTION and "Lakeside Lab" in result.next_step
    dated = document(DocumentKind.LAB_RESULT, "Hemoglobin 12.1 g/dL", date="2026-02-01")
    assert item(check([], [dated]), "labs").status is ItemStatus.PRESENT


def test_one_prior_present_and_one_absent_needs_attention() -> None:
    here = PriorReference(text="CT chest of 12 March 2025", date="2025-03-12", modality="CT", region="chest")
    gone = PriorReference(text="CT chest of 2 January 2024", date="2024-01-02", modality="CT", region="chest")
    s = study(accession="A100", body_part="CHEST")
    earlier = study(date="20250312", accession="OLD1", body_part="CHEST")
    report = document(RAD, "EXAM: CT chest", accession="A100", date="2026-03-03", priors=(here, gone))
    old_report = document(RAD, "EXAM: CT chest", accession="OLD1", date="2025-03-12")
    result = item(check([s, earlier], [report, old_report]), "prior_imaging")
    assert result.status is ItemStatus.ATTENTION
    assert "2 January 2024" in result.next_step and "12 March 2025" not in result.next_step
