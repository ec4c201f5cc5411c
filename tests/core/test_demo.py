"""The synthetic demo case: a valid hospital CD, coherent documents, repeatable bytes."""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
)
from pypdf import PdfReader

from bundler.classify import classify
from bundler.demo import DemoCase, benchmark, write_ct_series, write_demo
from bundler.errors import UsageError
from bundler.ingest.pipeline import import_sources
from bundler.model import DocumentKind
from bundler.store import CaseStore
from support import require_tool

TODAY = datetime.date(2026, 1, 15)
SLICES = 6
MATRIX = 32
REQUIRED_TEXT = (
    "InstitutionName",
    "ReferringPhysicianName",
    "StudyDescription",
    "SeriesDescription",
    "AccessionNumber",
    "SeriesNumber",
    "InstanceNumber",
)
DOCUMENT_KINDS = {  # every file in Documents and the kind it must be classified as
    "CT_Chest_Report.pdf": DocumentKind.RADIOLOGY_REPORT,
    "CT_Chest_Low_Dose_Report.pdf": DocumentKind.RADIOLOGY_REPORT,
    "MR_Brain_Report.pdf": DocumentKind.RADIOLOGY_REPORT,
    "Chest_XRay_Report.pdf": DocumentKind.RADIOLOGY_REPORT,
    "Biopsy_Procedure_Note.pdf": DocumentKind.OPERATIVE_REPORT,
    "Pathology_Report.pdf": DocumentKind.PATHOLOGY_REPORT,
    "Visit_Note.pdf": DocumentKind.VISIT_NOTE,
    "Lab_Results.pdf": DocumentKind.LAB_RESULT,
    "Medication_List.csv": DocumentKind.MEDICATION_LIST,
}
QUESTION_BANK = {  # docs/intake-format.md
    "diagnosis", "certainty", "evidence_for", "evidence_against", "best_test", "options", "benefit",
    "risks", "waiting", "next_decision", "imaging_concerning", "imaging_category",
    "imaging_next_test", "imaging_priors",
}  # fmt: skip


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(
        tmp_path_factory.mktemp("demo"), seed=7, ct_slices=SLICES, matrix=MATRIX, today=TODAY
    )


@pytest.fixture(scope="module")
def instances(case: DemoCase) -> dict[Path, pydicom.Dataset]:
    junk = {case.cd_dir / j for j in case.junk_files} | {case.cd_dir / "DICOMDIR"}
    paths = sorted(p for p in case.cd_dir.rglob("*") if p.is_file() and p not in junk)
    return {p: pydicom.dcmread(p) for p in paths}


def _by_study(instances: dict[Path, pydicom.Dataset]) -> dict[str, list[pydicom.Dataset]]:
    studies: dict[str, list[pydicom.Dataset]] = defaultdict(list)
    for ds in instances.values():
        studies[ds.StudyDescription].append(ds)
    return studies


def _date(da: str) -> datetime.date:
    return datetime.datetime.strptime(da, "%Y%m%d").date()


# --- the CD -----------------------------------------------------------------------------------


def test_layout(case: DemoCase) -> None:
    assert case.cd_dir == case.root / "CD" and case.documents_dir == case.root / "Documents"
    assert (case.cd_dir / "DICOMDIR").is_file()
    assert case.intake_file == case.root / "intake.toml" and case.intake_file.is_file()
    # No staging folder left behind.
    assert sorted(p.name for p in case.root.iterdir()) == ["CD", "Documents", "intake.toml"]


def test_dicomdir_lists_exactly_the_instance_files(
    case: DemoCase, instances: dict[Path, pydicom.Dataset]
) -> None:
    fs = FileSet(pydicom.dcmread(case.cd_dir / "DICOMDIR"))
    listed = {Path(i.path).resolve() for i in fs}
    assert listed == {p.resolve() for p in instances}
    assert len(fs) == len(instances) == case.dicom_files
    by_uid = {ds.SOPInstanceUID: p for p, ds in instances.items()}
    for inst in fs:
        assert by_uid[inst.SOPInstanceUID].resolve() == Path(inst.path).resolve()
        assert inst.SOPClassUID == instances[by_uid[inst.SOPInstanceUID]].SOPClassUID
    for p in instances:  # PS3.10 §8.2: ≤ 8 characters from A-Z, 0-9 and _
        for part in p.relative_to(case.cd_dir).parts:
            assert re.fullmatch(r"[A-Z0-9_]{1,8}", part), part


def test_every_instance_is_part10_with_the_patient(
    case: DemoCase, instances: dict[Path, pydicom.Dataset]
) -> None:
    assert any(ord(c) > 255 for c in case.patient_name)  # not even Latin-1
    encoded = case.patient_name.encode("utf-8")
    for path, ds in instances.items():
        raw = path.read_bytes()
        assert raw[:128] == bytes(128) and raw[128:132] == b"DICM"
        assert encoded in raw
        meta = ds.file_meta
        assert meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert meta.MediaStorageSOPClassUID == ds.SOPClassUID
        assert meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.SpecificCharacterSet == "ISO_IR 192"
        assert str(ds.PatientName) == case.patient_name
        assert (ds.PatientID, ds.PatientBirthDate) == (case.patient_id, case.birth_date)
        assert ds.PatientSex in ("F", "M", "O")
        for kw in REQUIRED_TEXT:
            assert str(ds.get(kw, "")).strip(), kw


def test_uids_are_unique_and_valid(instances: dict[Path, pydicom.Dataset]) -> None:
    sops = [ds.SOPInstanceUID for ds in instances.values()]
    assert len(set(sops)) == len(sops)
    series_study = {ds.SeriesInstanceUID: ds.StudyInstanceUID for ds in instances.values()}
    studies = set(series_study.values())
    assert len(studies) == 4
    assert not studies & set(series_study) and not studies & set(sops)
    for ds in instances.values():
        for uid in (ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.StudyInstanceUID):
            assert uid.is_valid, uid


def test_studies_as_described(case: DemoCase, instances: dict[Path, pydicom.Dataset]) -> None:
    studies = _by_study(instances)
    current = studies["CT CHEST WITH CONTRAST"]
    prior = studies["CT CHEST LOW DOSE LUNG SCREENING WO CONTRAST"]
    mr = studies["MRI BRAIN WITH AND WITHOUT CONTRAST"]
    xr = studies["XR CHEST PA AND LATERAL"]
    assert sum(map(len, (current, prior, mr, xr))) == len(instances)

    cur_date, prior_date = _date(current[0].StudyDate), _date(prior[0].StudyDate)
    assert 80 <= (TODAY - cur_date).days <= 100
    assert 350 <= (cur_date - prior_date).days <= 380
    assert current[0].BodyPartExamined == prior[0].BodyPartExamined == "CHEST"
    assert current[0].AccessionNumber != prior[0].AccessionNumber
    assert current[0].StudyInstanceUID != prior[0].StudyInstanceUID

    ct_series: dict[str, list[pydicom.Dataset]] = defaultdict(list)
    for ds in current + prior:
        if ds.Modality == "CT":
            assert ds.SOPClassUID == CTImageStorage
            ct_series[ds.SeriesInstanceUID].append(ds)
    assert len(ct_series) == 3
    for slices in ct_series.values():
        slices.sort(key=lambda d: int(d.InstanceNumber))
        assert [int(d.InstanceNumber) for d in slices] == list(range(1, SLICES + 1))
        z = [float(d.ImagePositionPatient[2]) for d in slices]
        assert all(b < a for a, b in zip(z, z[1:], strict=False))  # head to feet
        assert z == [float(d.SliceLocation) for d in slices]
        assert float(slices[0].SliceThickness) == pytest.approx(abs(z[1] - z[0]))
        for d in slices:
            assert (d.Rows, d.Columns) == (MATRIX, MATRIX)
            assert (float(d.RescaleSlope), float(d.RescaleIntercept)) == (1.0, -1024.0)
            assert len(d.PixelSpacing) == 2 and d.WindowWidth and d.KVP
            arr = d.pixel_array
            assert arr.dtype == np.int16 and arr.shape == (MATRIX, MATRIX)
        hu = np.stack([d.pixel_array for d in slices]).astype(float) - 1024
        assert np.median(hu[:, 0, :]) < -900  # air above the chest
        assert hu.max() > 300 and ((hu > -950) & (hu < -700)).sum() > 0  # bone and lung
    assert "ContrastBolusAgent" in current[0] and "ContrastBolusAgent" not in prior[0]

    assert all(ds.SOPClassUID == MRImageStorage for ds in mr)
    mr_series: dict[str, list[pydicom.Dataset]] = defaultdict(list)
    for ds in mr:
        mr_series[ds.SeriesInstanceUID].append(ds)
        assert ds.pixel_array.dtype == np.uint16 and ds.BodyPartExamined == "HEAD"
    assert 1 <= len(mr_series) <= 2 and all(12 <= len(s) <= 16 for s in mr_series.values())

    assert all(ds.SOPClassUID == ComputedRadiographyImageStorage for ds in xr)
    assert sorted(ds.ViewPosition for ds in xr) == ["LL", "PA"]

    by_uid = {s.study_uid: s for s in case.studies}
    for group in (current, prior, mr, xr):
        first = group[0]
        study = by_uid[first.StudyInstanceUID]
        assert study.date == first.StudyDate and study.accession == first.AccessionNumber
        assert study.description == first.StudyDescription
        assert study.instance_count == len(group)
        assert study.series_count == len({d.SeriesInstanceUID for d in group})
    assert case.studies[0].modality == "CT" and case.studies[0].date == current[0].StudyDate


def test_encapsulated_pdf_report(case: DemoCase, instances: dict[Path, pydicom.Dataset]) -> None:
    docs = [ds for ds in instances.values() if ds.SOPClassUID == EncapsulatedPDFStorage]
    assert len(docs) == 1
    ds = docs[0]
    assert ds.Modality == "DOC" and ds.StudyDescription == "CT CHEST WITH CONTRAST"
    ct = [d for d in instances.values() if d.StudyInstanceUID == ds.StudyInstanceUID]
    assert ds.SeriesInstanceUID not in {d.SeriesInstanceUID for d in ct if d is not ds}
    assert ds.MIMETypeOfEncapsulatedDocument == "application/pdf"
    assert ds.DocumentTitle
    code = ds.ConceptNameCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("18748-4", "LN")
    assert code.CodeMeaning == "Diagnostic imaging study"
    pdf = bytes(ds.EncapsulatedDocument)[: int(ds.EncapsulatedDocumentLength)]
    assert pdf.startswith(b"%PDF")
    assert pdf == (case.documents_dir / "CT_Chest_Report.pdf").read_bytes()
    assert "Lung-RADS" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_viewer_junk(case: DemoCase) -> None:
    assert set(case.junk_files) == {"AUTORUN.INF", "VIEWER/VIEWER.EXE", "VIEWER/README.TXT"}
    exe = (case.cd_dir / "VIEWER" / "VIEWER.EXE").read_bytes()
    assert exe.startswith(b"MZ") and len(exe) < 64 * 1024
    assert b"[autorun]" in (case.cd_dir / "AUTORUN.INF").read_bytes()
    for rel in case.junk_files:
        assert (case.cd_dir / rel).read_bytes()[128:132] != b"DICM"


# --- the documents ----------------------------------------------------------------------------


def test_documents_exist_and_name_the_patient(case: DemoCase) -> None:
    names = sorted(p.name for p in case.documents_dir.iterdir())
    assert names == sorted(DOCUMENT_KINDS)
    assert case.document_files == 9
    family, given = case.patient_name.split("^")
    dob = datetime.datetime.strptime(case.birth_date, "%Y%m%d").date()
    for pdf in case.documents_dir.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")
        text = _text(pdf)
        assert family in text and given in text, pdf.name
        assert case.patient_id in text and f"{dob.day} August {dob.year}" in text, pdf.name
        assert "Riverside Imaging Center" in text or "Lakeside University Hospital" in text


def test_ct_report_sections_and_comparison(case: DemoCase) -> None:
    text = _text(case.documents_dir / "CT_Chest_Report.pdf")
    heads = ["EXAM", "HISTORY/CLINICAL INDICATION", "TECHNIQUE", "COMPARISON", "FINDINGS",
             "IMPRESSION"]  # fmt: skip
    lines = [line.strip() for line in text.splitlines()]
    where = [lines.index(h) for h in heads]
    assert where == sorted(where)
    comparison = " ".join(lines[where[3] + 1 : where[4]])
    prior = _date(case.studies[1].date)
    assert f"CT chest of {prior.day} {prior:%B} {prior.year}" in comparison
    assert case.studies[1].accession in comparison
    assert case.studies[0].accession in text
    assert re.search(r"Lung-RADS (?:[0-4][ABSX]?)\b", text)
    assert any(h in text for h in ("indeterminate", "cannot be excluded", "follow-up recommended"))


def test_other_documents_have_their_sections(case: DemoCase) -> None:
    pathology = _text(case.documents_dir / "Pathology_Report.pdf")
    for head in ("SPECIMEN", "GROSS DESCRIPTION", "MICROSCOPIC DESCRIPTION", "DIAGNOSIS"):
        assert head in pathology
    assert "CT-guided" in pathology and "ADENOCARCINOMA" in pathology
    note = _text(case.documents_dir / "Visit_Note.pdf")
    assert "ASSESSMENT" in note and "PLAN" in note and "Pulmonology Clinic" in note
    labs = _text(case.documents_dir / "Lab_Results.pdf")
    for item in ("Hemoglobin", "Platelets", "Sodium", "Creatinine", "g/dL", "mmol/L"):
        assert item in labs
    assert len(re.findall(r"\b20\d\d-\d\d-\d\d\b", labs)) >= 2
    with open(case.documents_dir / "Medication_List.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == ["name", "dose", "frequency", "start_date", "notes"]
    assert 4 <= len(rows) <= 6
    for row in rows:
        datetime.date.fromisoformat(row["start_date"])
        assert row["name"] and row["dose"] and row["frequency"]


def test_story_dates_are_coherent(case: DemoCase) -> None:
    note = _text(case.documents_dir / "Visit_Note.pdf")
    cur = _date(case.studies[0].date)
    assert f"{cur.day} {cur:%B} {cur.year}" in note
    for study in case.studies:
        assert _date(study.date) < TODAY


def _long(d: datetime.date) -> str:
    return f"{d.day} {d:%B} {d.year}"


def _after(lines: list[str], heading: str) -> str:
    """The first line after a section heading."""
    return lines[lines.index(heading) + 1]


def test_every_study_has_its_report(case: DemoCase) -> None:
    """Each study's report carries its accession number and exam date; only the current CT
    compares with a prior (the other reports say "None")."""
    assert len({s.report for s in case.studies}) == len(case.studies) == 4
    current = case.studies[0]
    for study in case.studies:
        text = _text(case.documents_dir / study.report)
        lines = [line.strip() for line in text.splitlines()]
        assert study.accession in text, study.report
        assert f"Exam date {_long(_date(study.date))}" in " ".join(lines), study.report
        assert "RADIOLOGY REPORT" in text and "Electronically signed by" in text
        if study is not current:
            assert _after(lines, "COMPARISON").startswith("None"), study.report
        institution = "Riverside Imaging Center" if study.accession.startswith("RIC") else (
            "Lakeside University Hospital")  # fmt: skip
        assert institution in lines, study.report  # the letterhead
    prior = _text(case.documents_dir / case.studies[1].report)
    assert "Lung-RADS 2" in prior and "6 x 5 mm" in prior  # "previously 6 mm" in the current CT
    mr = _text(case.documents_dir / case.studies[2].report)
    assert "No evidence of intracranial metastatic disease" in mr
    xray = _text(case.documents_dir / case.studies[3].report)
    assert "cannot be excluded" in xray and _date(case.studies[3].date) < _date(current.date)


def test_biopsy_procedure_note(case: DemoCase) -> None:
    text = _text(case.documents_dir / "Biopsy_Procedure_Note.pdf")
    pathology = _text(case.documents_dir / "Pathology_Report.pdf")
    biopsy = _date(case.studies[0].date) + datetime.timedelta(days=16)  # as the story has it
    assert f"Procedure date {_long(biopsy)}" in " ".join(text.split())
    assert f"Collected {_long(biopsy)}" in " ".join(pathology.split())
    assert f"Electronically signed by Daniel Achterberg, MD, {_long(biopsy)}" in text
    assert "Daniel Achterberg, MD" in pathology  # the operator submitted the specimen
    for words in ("Riverside Imaging Center", "Interventional Radiology", "core needle biopsy",
                  "Four 18-gauge core", "pneumothorax", "penicillin"):  # fmt: skip
        assert words in text, words
    title = PdfReader(case.documents_dir / "Biopsy_Procedure_Note.pdf").metadata.title
    assert title == "CT-GUIDED CORE NEEDLE BIOPSY - PROCEDURE NOTE"
    kind, confidence, evidence = classify(text, title=title)
    assert kind is DocumentKind.OPERATIVE_REPORT and confidence >= 0.6, evidence


@pytest.fixture(scope="module")
def shown(case: DemoCase, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo imported into a case, as ``records-bundler show --case DIR --json`` gives it."""
    case_dir = tmp_path_factory.mktemp("case") / "c"
    with CaseStore.open(case_dir, create=True) as store:
        report = import_sources([case.cd_dir, case.documents_dir], store)
    assert report.failed == 0 and report.documents == case.document_files
    done = subprocess.run(
        [sys.executable, "-m", "bundler", "show", "--case", str(case_dir), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_documents_classify_after_import(case: DemoCase, shown: dict[str, Any]) -> None:
    docs = shown["documents"]
    assert len(docs) == case.document_files
    # The CT report beside the disc is the one inside its DICOM instance: one document.
    (embedded,) = [d for d in docs if d["from_dicom_sop_instance_uid"]]
    by_name = {Path(d["source"]).name: d for d in docs if d is not embedded}
    assert set(by_name) == set(DOCUMENT_KINDS) - {"CT_Chest_Report.pdf"}
    by_name["CT_Chest_Report.pdf"] = embedded
    for name, kind in DOCUMENT_KINDS.items():
        d = by_name[name]
        assert d["kind"] == kind.value, (name, d["kind"], d["kind_evidence"])
        if name.endswith(".pdf"):
            assert d["kind_confidence"] >= 0.6, (name, d["kind_confidence"])
            assert d["patient"]["id"] == case.patient_id, name
            assert d["patient"]["birth_date"].replace("-", "") == case.birth_date, name
    biopsy = _date(case.studies[0].date) + datetime.timedelta(days=16)
    assert by_name["Biopsy_Procedure_Note.pdf"]["date"] == biopsy.isoformat()
    assert by_name["Pathology_Report.pdf"]["date"] == biopsy.isoformat()


def test_every_study_links_to_its_report_by_accession(
    case: DemoCase, shown: dict[str, Any]
) -> None:
    docs = shown["documents"]
    for study in case.studies:
        linked = [d for d in docs if d["linked_study_uid"] == study.study_uid]
        assert [(d["link_method"], d["accession"]) for d in linked] == [
            ("accession", study.accession)
        ], study.description
        (report,) = linked
        assert report["kind"] == "radiology_report"
        assert report["date"] == _date(study.date).isoformat()
        if report["from_dicom_sop_instance_uid"] is None:
            assert Path(report["source"]).name == study.report
    reports = [d for d in docs if d["kind"] == "radiology_report"]
    assert len(reports) == len(case.studies) and all(d["linked_study_uid"] for d in reports)


_INTAKE_KEYS = {  # docs/intake-format.md
    "patient": {"name", "birth_date", "address", "phone", "email"},
    "concern": {"main_concern", "diagnosis", "plan", "decision"},
    "symptoms": {"date", "what", "helped", "did_not_help"},
    "questions": {"bank", "own"},
    "allergies": {"none_known", "items"},
    "medications": {"none", "items"},
    "family_history": {"none_known", "text"},
    "insurance": {"insurer", "member_id", "plan", "referral_required", "referral",
                  "authorization"},
    "pathology": {"slides"},
}  # fmt: skip


def _partial_date(value: str) -> datetime.date:
    """The first day a ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` date can mean."""
    assert re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", value), value
    return datetime.date.fromisoformat((value + "-01-01")[:10] if len(value) < 10 else value)


def test_intake_file(case: DemoCase) -> None:
    raw = case.intake_file.read_bytes()
    assert b"\r" not in raw
    data = tomllib.loads(raw.decode("utf-8"))
    assert set(data) == set(_INTAKE_KEYS)
    for section, keys in _INTAKE_KEYS.items():
        for entry in data[section] if section == "symptoms" else [data[section]]:
            assert set(entry) <= keys, section

    family, given = case.patient_name.split("^")
    patient = data["patient"]
    assert patient["name"] == f"{given} {family}"  # natural order, not DICOM's
    assert patient["birth_date"].replace("-", "") == case.birth_date
    assert "@" in patient["email"] and patient["address"] and patient["phone"]
    assert all(data["concern"][k].strip() for k in _INTAKE_KEYS["concern"])
    assert "adenocarcinoma" in data["concern"]["diagnosis"]

    symptoms = data["symptoms"]
    assert 3 <= len(symptoms) <= 4
    dates = [_partial_date(s["date"]) for s in symptoms]
    assert dates == sorted(dates)  # oldest first
    prior, current = _date(case.studies[1].date), _date(case.studies[0].date)
    assert prior < dates[0] < current and dates[-1] < TODAY
    assert all(s["what"].strip() for s in symptoms)

    questions = data["questions"]
    assert 2 <= len(questions["bank"]) <= 5 and set(questions["bank"]) <= QUESTION_BANK
    assert len(questions["own"]) == 1 and questions["own"][0].endswith("?")

    assert data["allergies"]["none_known"] is False
    assert data["allergies"]["items"] == [
        {"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"}
    ]
    procedure = _text(case.documents_dir / "Biopsy_Procedure_Note.pdf")
    assert "penicillin (hives)" in procedure  # the records agree with the patient
    assert data["medications"] == {"none": False}  # Medication_List.csv carries them
    assert data["family_history"]["none_known"] is False and data["family_history"]["text"]
    insurance = data["insurance"]
    assert insurance["referral_required"] is True and insurance["referral"].strip()
    case_number = re.search(r"\bS\d\d-\d{5}\b", _text(case.documents_dir / "Pathology_Report.pdf"))
    assert case_number is not None and case_number.group() in data["pathology"]["slides"]


# --- repeatability, refusal, privacy ----------------------------------------------------------


def test_same_seed_same_bytes(case: DemoCase, tmp_path: Path) -> None:
    again = write_demo(tmp_path, seed=7, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert _files(again.root) == _files(case.root)
    other = write_demo(tmp_path / "other", seed=8, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert {s.study_uid for s in other.studies}.isdisjoint({s.study_uid for s in case.studies})


@pytest.mark.parametrize("existing", ["CD", "Documents", "intake.toml"])
def test_refuses_to_overwrite(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).mkdir()
    with pytest.raises(UsageError):
        write_demo(tmp_path, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]


def test_logs_carry_no_patient_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        case = write_demo(tmp_path, ct_slices=4, matrix=16, today=TODAY)
        write_ct_series(tmp_path / "ct", count=2, matrix=16)
    family = case.patient_name.split("^")[0]
    for secret in (family, case.patient_id, case.birth_date, "1962"):
        assert secret not in caplog.text


# --- write_ct_series ---------------------------------------------------------------------------


def test_write_ct_series_small(tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    paths = write_ct_series(
        tmp_path / "ct", count=7, matrix=24, seed=3, progress=lambda d, t, m="": seen.append((d, t))
    )
    assert len(paths) == 7 and seen[-1] == (7, 7)
    datasets = [pydicom.dcmread(p) for p in paths]
    assert len({d.SOPInstanceUID for d in datasets}) == 7
    assert len({bytes(d.PixelData) for d in datasets}) == 7
    z = [float(d.ImagePositionPatient[2]) for d in datasets]
    assert all(b < a for a, b in zip(z, z[1:], strict=False))
    for p, d in zip(paths, datasets, strict=True):
        assert d.SOPClassUID == CTImageStorage and d.pixel_array.shape == (24, 24)
        assert d.pixel_array.dtype == np.int16
        assert d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID
        # The fast writer's bytes are what pydicom itself writes for the same dataset.
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, d, enforce_file_format=True)
        assert buf.getvalue() == p.read_bytes()
        for part in p.relative_to(tmp_path / "ct").parts:
            assert re.fullmatch(r"[A-Z0-9_]{1,8}", part), part
    fs = FileSet(pydicom.dcmread(tmp_path / "ct" / "DICOMDIR"))
    assert {Path(i.path).resolve() for i in fs} == {p.resolve() for p in paths}


def test_write_ct_series_without_dicomdir_and_repeatable(tmp_path: Path) -> None:
    a = write_ct_series(tmp_path / "a", count=3, matrix=16, seed=5, with_dicomdir=False)
    b = write_ct_series(tmp_path / "b", count=3, matrix=16, seed=5, with_dicomdir=False)
    assert not (tmp_path / "a" / "DICOMDIR").exists()
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b") for p in b]
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    with pytest.raises(UsageError):
        write_ct_series(tmp_path / "a", count=1, matrix=16)


def test_fast_dicomdir_equals_fileset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick DICOMDIR writer produces FileSet's bytes, across several series."""
    monkeypatch.setattr(benchmark, "_CT_SERIES_MAX", 3)
    paths = write_ct_series(tmp_path / "fast", count=8, matrix=16, seed=11)
    ours = pydicom.dcmread(tmp_path / "fast" / "DICOMDIR")
    assert len({p.parent for p in paths}) == 3
    fs = FileSet()
    fs.ID = ours.FileSetID
    fs.UID = ours.file_meta.MediaStorageSOPInstanceUID
    for p in paths:
        fs.add(pydicom.dcmread(p))
    fs.write(tmp_path / "ref")
    assert (tmp_path / "ref" / "DICOMDIR").read_bytes() == (
        tmp_path / "fast" / "DICOMDIR"
    ).read_bytes()
    assert _files(tmp_path / "ref") == _files(tmp_path / "fast")


# --- real DICOM tools ---------------------------------------------------------------------------


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)


@pytest.mark.interop
def test_dcmdump_reads_the_dicomdir(case: DemoCase, tmp_path: Path) -> None:
    dcmdump = require_tool("dcmdump")
    write_ct_series(tmp_path / "ct", count=3, matrix=16)
    for dicomdir in (case.cd_dir / "DICOMDIR", tmp_path / "ct" / "DICOMDIR"):
        done = _run(dcmdump, dicomdir)
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert not re.search(r"^(E|F):", output, re.M), output
        assert "PATIENT" in done.stdout and "IMAGE" in done.stdout


@pytest.mark.interop
def test_dciodvfy_finds_no_errors(
    case: DemoCase, instances: dict[Path, pydicom.Dataset], tmp_path: Path
) -> None:
    dciodvfy = require_tool("dciodvfy")
    one_of_each: dict[str, Path] = {}
    for path, ds in instances.items():
        one_of_each.setdefault(ds.SOPClassUID, path)
    assert set(one_of_each) == {CTImageStorage, MRImageStorage, ComputedRadiographyImageStorage,
                                EncapsulatedPDFStorage}  # fmt: skip
    targets = [*one_of_each.values(), case.cd_dir / "DICOMDIR"]
    targets += write_ct_series(tmp_path / "ct", count=2, matrix=16)[:1]
    for target in targets:
        done = _run(dciodvfy, target)
        lines = (done.stdout + done.stderr).splitlines()
        errors = [line for line in lines if line.startswith("Error")]
        assert not errors, (target.name, errors)
