"""The completeness check on the demo case and on ../shared/data media.

The demo case (CD, documents and the patient's intake) is complete for the general profile;
taking away one record at a time must flip exactly the item that record satisfies, with the
right next step. A disc that mixes patients must be a stop sign.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pydicom
import pytest
from pydicom.errors import InvalidDicomError
from pydicom.uid import generate_uid

from bundler.checklist import evaluate, facts_from, gather_facts, load_profile
from bundler.cli import main
from bundler.describe import long_date
from bundler.intake import load_intake
from bundler.model import CompletenessReport, Intake, ItemStatus
from bundler.store import CaseStore

# Document file → (the item its absence makes missing or in need of attention, words of the next step)
REMOVALS = {
    "CT_Chest_Report.pdf": ("imaging_reports", ["Riverside Imaging Center", "report of your CT chest with contrast"]),
    "CT_Chest_Low_Dose_Report.pdf": ("imaging_reports", ["Lakeside University Hospital", "CT chest low dose"]),
    "MR_Brain_Report.pdf": ("imaging_reports", ["Lakeside University Hospital", "MRI brain"]),
    "Chest_XRay_Report.pdf": ("imaging_reports", ["Riverside Imaging Center", "XR chest"]),
    "Pathology_Report.pdf": ("pathology", ["pathology report of your biops"]),
    "Biopsy_Procedure_Note.pdf": ("operative_report", ["operative or procedure report of your biops"]),
    "Visit_Note.pdf": ("visit_notes", ["notes of your most recent visits"]),
    "Lab_Results.pdf": ("labs", ["laboratory results"]),
    "Medication_List.csv": ("medications", ["every medicine and supplement"]),
}
# Intake field cleared → the item it satisfies.
INTAKE_REMOVALS = {
    "main_concern": ("summary", {"main_concern": ""}),
    "questions": ("questions", {"question_bank": (), "own_questions": ()}),
    "symptoms": ("symptom_timeline", {"symptoms": ()}),
    "allergies": ("allergies", {"allergies": (), "allergies_none_known": False}),
    "family_history": ("family_history", {"family_history": "", "family_history_none_known": False}),
    "pathology_slides": ("pathology_slides", {"pathology_slides": ""}),
}


def _doc_id(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _statuses(report: CompletenessReport) -> dict[str, ItemStatus]:
    return {i.id: i.status for i in report.items}


@pytest.fixture(scope="module")
def demo_facts(demo_case: Path):
    with CaseStore.open(demo_case) as store:
        return gather_facts(store)


def test_the_demo_case_is_complete(demo_case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--case", str(demo_case), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is True and data["profile"] == "general"
    assert data["identity"]["status"] == "consistent" and data["identity"]["stop"] is False
    for item in data["items"]:
        assert set(item) >= {"id", "status", "required", "evidence", "next_step"}
        assert item["status"] in ("present", "not_required"), item
        if item["status"] == "present" and item["id"] not in ("dates",):
            assert item["evidence"], item["id"]
    assert {i["id"] for i in data["items"] if i["status"] == "not_required"} == {"discharge_summary",
                                                                                  "insurance_referral"}


@pytest.mark.parametrize("name", sorted(REMOVALS))
def test_removing_one_document_names_exactly_its_item(demo_facts, demo_media: Path, name: str) -> None:
    item_id, words = REMOVALS[name]
    gone = _doc_id(demo_media / "Documents" / name)
    assert any(d.id == gone for d in demo_facts.documents), "the document was imported"
    facts = facts_from(demo_facts.studies, [d for d in demo_facts.documents if d.id != gone],
                       {k: v for k, v in demo_facts.contents.items() if k != gone}, intake=demo_facts.intake,
                       media_counts=demo_facts.media_counts, today=demo_facts.today)
    profile = load_profile("general")
    before, after = _statuses(evaluate(demo_facts, profile)), evaluate(facts, profile)
    changed = {k for k, v in _statuses(after).items() if v != before[k]}
    assert changed == {item_id}
    result = after.item(item_id)
    assert result is not None and result.status in (ItemStatus.MISSING, ItemStatus.ATTENTION)
    for w in words:
        assert w in result.next_step, (w, result.next_step)


def test_a_missing_report_names_the_study_date_and_accession(demo_facts, demo_media: Path) -> None:
    gone = _doc_id(demo_media / "Documents" / "MR_Brain_Report.pdf")
    facts = facts_from(demo_facts.studies, [d for d in demo_facts.documents if d.id != gone],
                       demo_facts.contents, intake=demo_facts.intake, today=demo_facts.today)
    mr = next(s for s in demo_facts.studies if "MR" in s.modalities)
    result = evaluate(facts, load_profile("general")).item("imaging_reports")
    assert result is not None
    assert result.next_step == (f"Ask Lakeside University Hospital for the report of your MRI brain with and without "
                                f"contrast of {long_date(mr.date)} (accession {mr.accession}).")
    assert result.requests[0].accession == mr.accession


@pytest.mark.parametrize("part", sorted(INTAKE_REMOVALS))
def test_removing_one_part_of_the_intake_names_exactly_its_item(demo_facts, part: str) -> None:
    item_id, change = INTAKE_REMOVALS[part]
    intake = replace(demo_facts.intake, **change)
    facts = replace(demo_facts, intake=intake)
    profile = load_profile("general")
    before, after = _statuses(evaluate(demo_facts, profile)), evaluate(facts, profile)
    changed = {k for k, v in _statuses(after).items() if v != before[k]}
    assert changed == {item_id}
    assert after.item(item_id).next_step  # type: ignore[union-attr]


def test_without_the_intake_only_the_patients_items_are_missing(demo_facts) -> None:
    report = evaluate(replace(demo_facts, intake=Intake()), load_profile("general"))
    missing = {i.id for i in report.items if i.status is ItemStatus.MISSING}
    assert missing == {"summary", "questions", "symptom_timeline", "allergies", "pathology_slides", "family_history"}


def test_a_real_import_without_the_pathology_report(demo_media: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "Documents"
    shutil.copytree(demo_media / "Documents", docs)
    (docs / "Pathology_Report.pdf").unlink()
    case = tmp_path / "case"
    assert main(["import", str(demo_media / "CD"), str(docs), "--case", str(case)]) == 0
    assert main(["intake", "--case", str(case), str(demo_media / "intake.toml")]) == 0
    capsys.readouterr()
    assert main(["check", "--case", str(case), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    blocking = [i for i in data["items"] if i["required"] and i["status"] in ("missing", "attention")]
    assert [i["id"] for i in blocking] == ["pathology"]
    assert data["complete"] is False
    assert main(["check", "--case", str(case), "--profile", "no_such_profile"]) == 2


def _foreign_copy(src: Path, dst: Path) -> None:
    """The demo's chest X-ray as if it belonged to someone else (a new study, another patient)."""
    study, series = generate_uid(), generate_uid()
    dst.mkdir()
    for i, f in enumerate(sorted(p for p in src.rglob("*") if p.is_file() and p.name != "DICOMDIR")):
        try:
            ds = pydicom.dcmread(f)
        except InvalidDicomError:
            continue  # the disc's viewer software
        if ds.get("Modality") != "CR":
            continue
        ds.PatientName, ds.PatientID, ds.PatientBirthDate = "ROE^RICHARD", "OTHER-77", "19450505"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.save_as(dst / f"IM{i:04d}.dcm")


def test_a_foreign_patients_images_are_a_stop_sign(demo_case: Path, demo_media: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    shutil.copytree(demo_case, case)
    _foreign_copy(demo_media / "CD", tmp_path / "foreign")
    assert main(["import", str(tmp_path / "foreign"), "--case", str(case)]) == 0
    capsys.readouterr()
    assert main(["check", "--case", str(case), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    identity = data["identity"]
    assert identity["status"] == "mismatch" and identity["stop"] is True
    names = next(c for c in identity["conflicts"] if c["field"] == "name")
    values = {v["value"] for v in names["values"]}
    assert "ROE^RICHARD" in values and any("Mu" in v and "Zo" in v for v in values)
    assert names["stop"] is True
    item = next(i for i in data["items"] if i["id"] == "identity")
    assert item["status"] == "attention" and item["next_step"].startswith("Stop")
    assert main(["check", "--case", str(case)]) == 1
    assert "STOP" in capsys.readouterr().out


def test_a_disc_of_several_patients_from_shared_data(shared_data: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "case"
    main(["import", str(shared_data / "1_dicom_media" / "cd_pydicom_dicomdirtests"), "--case", str(case)])
    capsys.readouterr()
    assert main(["check", "--case", str(case), "--json", "--profile", "imaging_second_read"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["identity"]["stop"] is True
    assert len(data["identity"]["persons"]) >= 2
    series = next(i for i in data["items"] if i["id"] == "series_complete")
    assert series["status"] == "attention" and series["details"]


def test_the_intake_was_loaded_in_the_demo_case(demo_case: Path) -> None:
    with CaseStore.open(demo_case) as store:
        intake = load_intake(store)
    assert intake.main_concern and intake.symptoms and intake.question_bank and intake.pathology_slides


def test_the_ct_reports_prior_is_present_and_then_absent(demo_facts) -> None:
    profile = load_profile("general")
    present = evaluate(demo_facts, profile).item("prior_imaging")
    assert present is not None and present.status is ItemStatus.PRESENT
    prior = next(s for s in demo_facts.studies if "LOW DOSE" in s.description.upper())
    assert f"study:{prior.study_uid}" in {e.ref for e in present.evidence}
    without_prior = facts_from([s for s in demo_facts.studies if s is not prior], demo_facts.documents,
                               demo_facts.contents, intake=demo_facts.intake, today=demo_facts.today)
    absent = evaluate(without_prior, profile).item("prior_imaging")
    assert absent is not None and absent.status is ItemStatus.MISSING
    assert f"CT chest of {long_date(prior.date)}" in absent.next_step
    assert absent.requests[0].date == f"{prior.date[:4]}-{prior.date[4:6]}-{prior.date[6:]}"
