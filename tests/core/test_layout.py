"""The inner layout (bundler.export.layout) and the DICOMDIR writer (dicomdir_writer)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.fileset import FileSet
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import (
    CTImageStorage,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    KeyObjectSelectionDocumentStorage,
    generate_uid,
)

from bundler.errors import UnsafePath
from bundler.export.dicomdir_writer import (
    DicomdirWriter,
    _encode,
    directory_record,
    image_record,
    record_type,
)
from bundler.export.layout import (
    ManifestEntry,
    ManifestError,
    _bare_meta_length,
    _document_name,
    _original_name,
    check_name,
    is_layout_name,
    manifest_bytes,
    parse_manifest,
    readme_first_text,
)
from bundler.model import Document

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["README.TXT", "INDEX.HTM", "DICOMDIR", "CASE.JSON", "MANIFEST.TXT",
                                  "SUMMARY.PDF", "DICOM/PT000000/ST000001/SE000002/IM000003",
                                  "DICOM/A/B/C/D/E/F/G", "DOCS/DOC00001.PDF", "DOCS/DOC12345.JSON"])
def test_layout_names(name: str) -> None:
    assert is_layout_name(name) and check_name(name) == name


@pytest.mark.parametrize("name", ["readme.txt", "DICOM/pt000000", "DICOM/A/B/C/D/E/F/G/H",
                                  "DICOM/TOOLONGNAME", "DOCS/Report.pdf", "DOCS/DOC1.PDF", "OTHER.TXT",
                                  "DICOM/IM-0001", "DOCS/SUB/DOC00001.PDF"])
def test_not_layout_names(name: str) -> None:
    assert not is_layout_name(name)


@pytest.mark.parametrize("name", ["../EVIL", "/etc/passwd", "DICOM/../../x", "C:/x", "DICOM\\..\\x",
                                  "a\x00b", "DICOM//IM", "./DICOMDIR"])
def test_unsafe_names(name: str) -> None:
    with pytest.raises(UnsafePath):
        check_name(name)


def test_document_names_are_neutral() -> None:
    def doc(media_type: str, source: str) -> Document:
        return Document(id="d", sha256=SHA_A, size=1, media_type=media_type, title="Jane Doe biopsy",
                        source=source)

    assert _document_name(1, doc("application/pdf", "/x/Jane_Doe.pdf")) == "DOCS/DOC00001.PDF"
    assert _document_name(2, doc("application/fhir+json", "a.json")) == "DOCS/DOC00002.JSON"
    assert _document_name(3, doc("application/x-unknown", "/x/scan.DJVU")) == "DOCS/DOC00003.DJVU"
    assert _document_name(4, doc("application/x-unknown", "/x/Jane Doe.notes")) == "DOCS/DOC00004.BIN"
    assert _original_name("/home/j/Records/CT report.pdf") == "CT report.pdf"
    assert _original_name("C:\\Users\\j\\disc.zip!/REPORTS/R1.PDF (#2)") == "R1.PDF"
    assert _original_name("/x/cda.xml (embedded)") == "cda.xml"


def test_readme_first_is_generic() -> None:
    text = readme_first_text()
    assert text.isascii() and "age -d" in text and "7-Zip" in text and "INDEX.HTM" in text


# --- manifest ------------------------------------------------------------------------------


def test_manifest_round_trip() -> None:
    entries = [ManifestEntry("README.TXT", 10, SHA_A),
               ManifestEntry("DICOM/PT000000/ST000000/SE000000/IM000000", 744, SHA_B, SHA_A)]
    data = manifest_bytes(entries)
    assert data.startswith(b"# Records Bundler package manifest, format 1\n")
    assert f"{SHA_B}  744  DICOM/PT000000/ST000000/SE000000/IM000000  wrapped-from={SHA_A}\n".encode() in data
    assert parse_manifest(data) == entries
    assert parse_manifest(data.replace(b"\n", b"\r\n")) == entries


@pytest.mark.parametrize("line", [
    f"{SHA_A} 10 README.TXT",  # one space
    f"{SHA_A.upper()}  10  README.TXT",
    f"{SHA_A}  -1  README.TXT",
    f"{SHA_A}  10  README.TXT  other=1",
    f"{SHA_A}  10  MANIFEST.TXT",
    f"{SHA_A[:-1]}  10  README.TXT",
])
def test_manifest_is_strict(line: str) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(f"{line}\n".encode())


def test_manifest_refuses_duplicates_and_unsafe_paths() -> None:
    with pytest.raises(ManifestError):
        parse_manifest(f"{SHA_A}  1  README.TXT\n{SHA_B}  1  README.TXT\n".encode())
    with pytest.raises(UnsafePath):
        parse_manifest(f"{SHA_A}  1  ../README.TXT\n".encode())
    with pytest.raises(ManifestError):
        parse_manifest("é".encode())


@given(st.binary(max_size=400))
def test_manifest_parser_never_crashes(data: bytes) -> None:
    try:
        parse_manifest(data)
    except (ManifestError, UnsafePath):
        pass


# --- wrapping bare datasets ----------------------------------------------------------------


def test_bare_meta_length() -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    fp = DicomBytesIO()
    fp.is_little_endian, fp.is_implicit_VR = True, False
    write_file_meta_info(fp, meta, enforce_standard=True)
    group2 = bytes(fp.getvalue())
    dataset = b"\x08\x00\x16\x00UI\x1a\x001.2.840.10008.5.1.4.1.1.2\x00"
    assert _bare_meta_length(group2 + dataset) == len(group2)
    assert _bare_meta_length(dataset) == 0
    assert _bare_meta_length(b"") == 0


# --- DICOMDIR ------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "cls", "uid"), [
    (1, CTImageStorage, "1.2.3"), (12, CTImageStorage, "1.2.34"), (999999, EncapsulatedPDFStorage, "9" * 64)])
def test_image_record_equals_pydicom(number: int, cls: str, uid: str) -> None:
    src = Dataset()
    src.InstanceNumber = number
    record = directory_record("IMAGE", src)
    fid = ("DICOM", "PT000000", "ST000001", "SE000002", "IM000003")
    record.ReferencedFileID = list(fid)
    record.ReferencedSOPClassUIDInFile = cls
    record.ReferencedSOPInstanceUIDInFile = uid
    record.ReferencedTransferSyntaxUIDInFile = ExplicitVRLittleEndian
    assert image_record(fid, cls, uid, ExplicitVRLittleEndian, number) == _encode(record)


def test_record_types() -> None:
    assert record_type(CTImageStorage) == "IMAGE"
    assert record_type(EncapsulatedPDFStorage) == "ENCAP DOC"
    assert record_type(KeyObjectSelectionDocumentStorage) == "KEY OBJECT DOC"
    assert record_type("1.2.840.10008.5.1.4.1.1.88.33") == "SR DOCUMENT"
    assert record_type("1.2.3.4.999") == "IMAGE"  # unknown, private: as FileSet


def _instance(patient: int, study: int, series: int, image: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid(entropy_srcs=[str(patient), str(study), str(series), str(image)])
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientName = f"Patient^{patient}"
    ds.PatientID = f"P{patient}"
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[str(patient), str(study)])
    ds.StudyDate, ds.StudyTime, ds.StudyID = "20240101", "120000", str(study)
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[str(patient), str(study), str(series)])
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", series + 1, image + 1
    return ds


def test_writer_equals_fileset_for_many_patients(tmp_path: Path) -> None:
    """Several patients, studies and series: the bytes are FileSet's."""
    datasets = [_instance(p, s, e, i) for p in range(2) for s in range(2) for e in range(2) for i in range(2)]
    fs = FileSet()
    fs.ID = "RECORDS"
    fs.UID = generate_uid()
    for ds in datasets:
        fs.add(ds)
    fs.write(tmp_path / "ref")
    writer = DicomdirWriter(fileset_uid=fs.UID, fileset_id="RECORDS")
    handles: dict[tuple[str, ...], int] = {}
    for ds in datasets:
        p, s, e, i = int(ds.PatientID[1:]), int(ds.StudyID), ds.SeriesNumber - 1, ds.InstanceNumber - 1
        fid = (f"PT{p:06d}", f"ST{s:06d}", f"SE{e:06d}", f"IM{i:06d}")
        for depth, kind in ((1, "PATIENT"), (2, "STUDY"), (3, "SERIES")):
            if fid[:depth] not in handles:
                parent = handles.get(fid[:depth - 1]) if depth > 1 else None
                handles[fid[:depth]] = writer.add(directory_record(kind, ds), parent)
        leaf = directory_record("IMAGE", ds)
        leaf.ReferencedFileID = list(fid)
        leaf.ReferencedSOPClassUIDInFile = ds.SOPClassUID
        leaf.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
        leaf.ReferencedTransferSyntaxUIDInFile = ExplicitVRLittleEndian
        writer.add(leaf, handles[fid[:3]])
    ours = writer.to_bytes()
    assert ours == (tmp_path / "ref" / "DICOMDIR").read_bytes()
    (tmp_path / "ref" / "DICOMDIR").write_bytes(ours)  # next to the files it references
    assert len(FileSet(pydicom.dcmread(tmp_path / "ref" / "DICOMDIR"))) == 16
