"""The import operation on real media: every file accounted for, nothing modified, nothing lost."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from bundler.errors import Cancelled
from bundler.ingest.pipeline import import_sources
from bundler.model import ImportStatus, Reason
from bundler.progress import CancelToken
from bundler.store import CaseStore

MEDIA_FOLDERS = ["1_dicom_media", "2_dicom_varied"]


def _tree_fingerprint(root: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[str(p.relative_to(root))] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns)
    return out


def _ct(sop_uid: str | None = None, *, name: str = "Doe^Jane", desc: str = "CT CHEST", pixel: bytes = b"\0" * 512) -> bytes:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = sop_uid or generate_uid()
    ds.StudyInstanceUID = "1.2.3.4.5"
    ds.SeriesInstanceUID = "1.2.3.4.5.6"
    ds.PatientName = name
    ds.PatientID = "X1"
    ds.Modality = "CT"
    ds.StudyDescription = desc
    ds.Rows = ds.Columns = 16
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = pixel
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    s = CaseStore.open(tmp_path / "case", create=True)
    yield s
    s.close()


def test_every_file_of_the_shared_media_is_accounted_for(shared_data: Path, store: CaseStore) -> None:
    sources = [shared_data / f for f in MEDIA_FOLDERS]
    before = {f: _tree_fingerprint(shared_data / f) for f in MEDIA_FOLDERS}
    report = import_sources(sources, store)
    after = {f: _tree_fingerprint(shared_data / f) for f in MEDIA_FOLDERS}
    assert before == after, "the source media must never be modified"

    rows = store.log_rows()
    assert len(rows) == report.files_seen
    assert report.files_seen == report.imported + report.skipped + report.failed
    sources_logged = [r.source for r in rows]
    for folder in MEDIA_FOLDERS:
        for path in (shared_data / folder).rglob("*"):
            if not path.is_file():
                continue
            p = str(path)
            # a plain file has its own row; an archive has a row for each member ("x.zip!/...")
            assert p in sources_logged or any(s.startswith(p + "!") for s in sources_logged), p
    for r in rows:
        assert r.reason, r
        if r.status is not ImportStatus.IMPORTED:
            assert r.detail, r  # a plain-language reason for every file not imported


def test_decoded_values_and_counts_match_ground_truth(shared_data: Path, store: CaseStore) -> None:
    truth = json.loads((shared_data / "dicom_ground_truth.json").read_text())
    import_sources([shared_data / f for f in MEDIA_FOLDERS], store)
    by_source = {i.source: i for i in store.instances()}
    matched = 0
    for rel, expected in truth.items():
        inst = by_source.get(str(shared_data / rel))
        if inst is None:
            continue
        assert inst.patient.name == (expected["PatientName"] or ""), rel
        assert inst.patient.id == (expected["PatientID"] or ""), rel
        assert inst.modality == (expected["Modality"] or ""), rel
        assert inst.study_uid == (expected["StudyInstanceUID"] or ""), rel
        matched += 1
    assert matched >= 150
    rows = {r.source: r for r in store.log_rows()}
    # The DICOMDIR test disc: 31 instances, the DICOMDIR and its variants never indexed.
    cd = shared_data / "1_dicom_media/cd_pydicom_dicomdirtests"
    cd_instances = [i for i in store.instances() if i.source.startswith(str(cd) + "/") and "TINY_ALPHA" not in i.source]
    assert len(cd_instances) == 31
    expected_ids = {v["PatientID"] for k, v in truth.items()
                    if k.startswith("1_dicom_media/cd_pydicom_dicomdirtests/") and "TINY_ALPHA" not in k
                    and v["Modality"]}
    assert {i.patient.id for i in cd_instances} == expected_ids
    for name in ("DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-nooffset", "DICOMDIR-reordered"):
        assert rows[str(cd / name)].reason is Reason.DICOMDIR
    # Truncated and identifier-less files fail with their reason; the import went on.
    mal = shared_data / "2_dicom_varied/malformed_and_edge_cases"
    assert rows[str(mal / "MR_truncated.dcm")].reason is Reason.DICOM_TRUNCATED
    assert rows[str(mal / "fodicom_GH177_IVRLE_BigEndian_undefined_length.dcm")].status is ImportStatus.FAILED
    # Archives: the zip of a series and the gzip of one file are opened and imported.
    arch = shared_data / "1_dicom_media/archives"
    zipped = [r for r in rows.values() if r.source.startswith(str(arch / "bbmri.zip") + "!/")]
    assert zipped and all(r.status is ImportStatus.IMPORTED for r in zipped if r.reason is Reason.DICOM)
    gz = [r for r in rows.values() if r.source.startswith(str(arch / "zipMR.gz") + "!/")]
    assert len(gz) == 1 and gz[0].status is not ImportStatus.FAILED


def test_dicomdir_lists_absent_files(shared_data: Path, store: CaseStore) -> None:
    report = import_sources([shared_data / "1_dicom_media/dicomdir_orphan_nema_rle"], store)
    assert report.files_seen == 1
    assert len(report.missing) == 20
    assert all(m.reason == "missing" for m in report.missing)
    assert {m.referenced_path for m in store.missing_references()} == {m.referenced_path for m in report.missing}
    assert all(m.referenced_path.startswith("IMAGES/RLE/") for m in report.missing)


def test_dicomdir_index_counts_series(shared_data: Path, store: CaseStore) -> None:
    report = import_sources([shared_data / "1_dicom_media/cd_pydicom_dicomdirtests/TINY_ALPHA"], store)
    assert report.missing == []
    counts = store.media_index_counts()
    assert sum(counts.values()) == 50
    assert report.dicom_instances == 50


def test_importing_the_same_media_twice_adds_nothing(shared_data: Path, store: CaseStore) -> None:
    src = shared_data / "1_dicom_media"
    first = import_sources([src], store)
    n_instances = len(store.instances())
    blobs = sorted(p.name for p in store.blobs_dir.rglob("*") if p.is_file())
    second = import_sources([src], store)
    assert second.imported == 0
    assert second.duplicates == first.imported
    assert len(store.instances()) == n_instances
    assert sorted(p.name for p in store.blobs_dir.rglob("*") if p.is_file()) == blobs


def test_blobs_are_byte_identical_copies(shared_data: Path, store: CaseStore) -> None:
    import_sources([shared_data / "2_dicom_varied/modalities"], store)
    for inst in store.instances():
        blob = store.blob_path(inst.sha256).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == inst.sha256
        assert blob == Path(inst.source).read_bytes()


def test_same_uid_with_different_bytes_is_kept_and_flagged(tmp_path: Path, store: CaseStore) -> None:
    uid = generate_uid()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "IM1").write_bytes(_ct(uid, desc="ORIGINAL"))
    (b / "IM1").write_bytes(_ct(uid, desc="EDITED"))
    import_sources([a], store)
    report = import_sources([b], store)
    assert report.imported == 1
    assert report.rows[0].reason is Reason.DICOM_UID_CONFLICT
    same = [i for i in store.instances() if i.sop_instance_uid == uid]
    assert len(same) == 2 and all(i.uid_conflict for i in same)


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(40, 800, text)
    c.save()
    return buf.getvalue()


def test_junk_viewer_files_and_documents(tmp_path: Path, store: CaseStore) -> None:
    from pydicom import dcmread
    from pydicom.fileset import FileSet

    cd = tmp_path / "cd"
    ds = dcmread(io.BytesIO(_ct()))
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber, ds.SeriesNumber, ds.InstanceNumber = (
        "20260101", "120000", "1", "A1", 1, 1)
    fs = FileSet()
    fs.add(ds)
    fs.write(cd)  # a real disc: DICOMDIR + PS3.10 file IDs
    (cd / "VIEWER").mkdir(parents=True)
    (cd / "AUTORUN.INF").write_text("[autorun]\nopen=VIEWER\\VIEWER.EXE\n")
    (cd / "VIEWER" / "VIEWER.EXE").write_bytes(b"MZ" + b"\x90" * 300)
    (cd / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (cd / "empty").write_bytes(b"")
    (cd / "report.pdf").write_bytes(_pdf("RADIOLOGY REPORT"))
    report = import_sources([cd], store)
    reasons = {Path(r.source).name: r.reason for r in report.rows}
    assert reasons == {
        "DICOMDIR": Reason.DICOMDIR,
        "AUTORUN.INF": Reason.VIEWER_SOFTWARE,
        "VIEWER.EXE": Reason.VIEWER_SOFTWARE,
        "screenshot.png": Reason.UNSUPPORTED_TYPE,  # a picture on a disc is the viewer's, not a record
        "empty": Reason.EMPTY_FILE,
        "report.pdf": Reason.DOCUMENT,
        "IM000000": Reason.DICOM,
    }
    assert report.documents == 1 and report.dicom_instances == 1
    assert [d.media_type for d in store.documents()] == ["application/pdf"]


def test_cancel_leaves_the_case_as_it_was(shared_data: Path, store: CaseStore) -> None:
    import_sources([shared_data / "1_dicom_media/cd_pydicom_dicomdirtests"], store)
    before = (store.instances(), store.log_rows(), sorted(p for p in store.blobs_dir.rglob("*") if p.is_file()))
    token = CancelToken()

    def progress(done: int, total: int | None, message: str = "") -> None:
        if total and done >= 20:
            token.cancel()

    with pytest.raises(Cancelled):
        import_sources([shared_data / "2_dicom_varied"], store, progress=progress, cancel=token)
    assert (store.instances(), store.log_rows(), sorted(p for p in store.blobs_dir.rglob("*") if p.is_file())) == before
    assert not any(store.tmp_dir.iterdir())
    assert store.runs()[-1]["state"] == "cancelled"


def test_unreadable_and_special_files_become_rows(tmp_path: Path, store: CaseStore) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "IM1").write_bytes(_ct())
    os.mkfifo(src / "a-fifo")
    (src / "loop").symlink_to(src, target_is_directory=True)
    (src / "escape").symlink_to("/etc/hostname")
    (src / "dangling").symlink_to(src / "nowhere")
    report = import_sources([src, tmp_path / "does-not-exist"], store)
    reasons = {Path(r.source).name: (r.status, r.reason) for r in report.rows}
    assert reasons["IM1"] == (ImportStatus.IMPORTED, Reason.DICOM)
    assert reasons["a-fifo"] == (ImportStatus.SKIPPED, Reason.NOT_REGULAR_FILE)
    assert reasons["escape"] == (ImportStatus.FAILED, Reason.UNSAFE_PATH)
    assert reasons["dangling"][0] is ImportStatus.FAILED
    assert reasons["does-not-exist"] == (ImportStatus.FAILED, Reason.UNREADABLE)
    assert "loop" not in reasons  # a link back into the source is walked once, not forever
    assert Counter(r.reason for r in report.rows)[Reason.DICOM] == 1


def test_large_files_are_streamed_not_held_in_memory(tmp_path: Path, store: CaseStore) -> None:
    src = tmp_path / "src"
    src.mkdir()
    big = _ct(pixel=os.urandom(16) * (20 * 1024 * 1024 // 16))  # 20 MB > in-memory threshold
    (src / "BIG").write_bytes(big)
    report = import_sources([src], store)
    assert report.dicom_instances == 1
    inst = store.instances()[0]
    assert store.blob_path(inst.sha256).read_bytes() == big


def test_non_ascii_paths(tmp_path: Path, store: CaseStore) -> None:
    src = tmp_path / "Müller José – 東京"
    (src / "Ünterordner").mkdir(parents=True)
    (src / "Ünterordner" / "bild_ñ.dcm").write_bytes(_ct(name="Müller^José"))
    report = import_sources([src], store)
    assert report.dicom_instances == 1
    assert store.instances()[0].patient.name == "Müller^José"


def test_case_folder_is_private_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "c"
    with CaseStore.open(path, create=True) as s:
        case_id = s.case_id
    assert (path.stat().st_mode & 0o777) == 0o700
    with CaseStore.open(path) as s:
        assert s.case_id == case_id and s.integrity_check()
    shutil.rmtree(path / "blobs")
    with CaseStore.open(path) as s:  # a missing blob folder is recreated, the index opens
        assert s.integrity_check()


def test_demo_case_imports_completely(tmp_path: Path, store: CaseStore) -> None:
    from bundler.demo import write_demo

    demo = write_demo(tmp_path / "demo", ct_slices=6, matrix=64)
    report = import_sources([demo.cd_dir, demo.documents_dir], store)
    assert report.failed == 0 and report.missing == []
    assert report.dicom_instances == demo.dicom_files
    assert report.documents == demo.document_files
    skipped = {Path(r.source).name: r.reason for r in report.rows if r.status is ImportStatus.SKIPPED}
    assert skipped.pop("DICOMDIR") is Reason.DICOMDIR
    # The report PDF beside the disc is byte-identical to the one inside the DICOM report: one document.
    assert skipped.pop("CT_Chest_Report.pdf") is Reason.DUPLICATE
    assert set(skipped.values()) <= {Reason.VIEWER_SOFTWARE, Reason.UNSUPPORTED_TYPE}
    assert len(skipped) == len(demo.junk_files)

    assert [p.name for p in store.patients()] == [demo.patient_name]
    studies = store.studies()
    assert {s.study_uid for s in studies} == {s.study_uid for s in demo.studies}
    for expected in demo.studies:
        got = next(s for s in studies if s.study_uid == expected.study_uid)
        assert got.date == expected.date and got.accession == expected.accession
        assert got.instance_count == expected.instance_count
        assert len(got.series) == expected.series_count
    kinds = {i.kind for i in store.instances()}
    assert "encapsulated_pdf" in kinds and "image" in kinds


def test_a_dicomdir_given_as_source_means_its_media(shared_data: Path, store: CaseStore) -> None:
    tiny = shared_data / "1_dicom_media/cd_pydicom_dicomdirtests/TINY_ALPHA"
    report = import_sources([tiny / "DICOMDIR"], store)
    assert report.dicom_instances == 50 and report.missing == []
