"""The synthetic demo case: a valid hospital CD, coherent documents, repeatable bytes."""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import subprocess
from collections import defaultdict
from pathlib import Path

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

from bundler import demo
from bundler.demo import DemoCase, write_ct_series, write_demo
from bundler.errors import UsageError
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
    assert sorted(p.name for p in case.root.iterdir()) == ["CD", "Documents"]  # no staging left


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
    assert names == sorted(["CT_Chest_Report.pdf", "Pathology_Report.pdf", "Visit_Note.pdf",
                            "Lab_Results.pdf", "Medication_List.csv"])  # fmt: skip
    assert case.document_files == 5
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


# --- repeatability, refusal, privacy ----------------------------------------------------------


def test_same_seed_same_bytes(case: DemoCase, tmp_path: Path) -> None:
    again = write_demo(tmp_path, seed=7, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert _files(again.root) == _files(case.root)
    other = write_demo(tmp_path / "other", seed=8, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert {s.study_uid for s in other.studies}.isdisjoint({s.study_uid for s in case.studies})


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "CD").mkdir()
    with pytest.raises(UsageError):
        write_demo(tmp_path, ct_slices=SLICES, matrix=MATRIX, today=TODAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CD"]


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
    monkeypatch.setattr(demo, "_CT_SERIES_MAX", 3)
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
