"""Documents inside DICOM: Encapsulated PDF byte-exact, SR as text, KOS references."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from bundler.ingest.dicomdocs import extract_document
from bundler.model import DocumentKind


def test_encapsulated_pdf_is_taken_out_byte_exact(tmp_path: Path) -> None:
    from bundler.demo import write_demo

    demo = write_demo(tmp_path / "d", ct_slices=4, matrix=32)
    pdf_instances = [p for p in demo.cd_dir.rglob("*") if p.is_file() and p.name != "DICOMDIR"
                     and pydicom.dcmread(p, stop_before_pixels=True, force=True).get("Modality") == "DOC"]
    assert len(pdf_instances) == 1
    doc = extract_document(pdf_instances[0].read_bytes())
    assert doc is not None and doc.media_type == "application/pdf"
    # The demo's DICOM report wraps the same PDF the Documents folder holds.
    assert doc.data == (demo.documents_dir / "CT_Chest_Report.pdf").read_bytes()
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT
    assert doc.date


def test_structured_report_becomes_readable_text(shared_data: Path) -> None:
    data = (shared_data / "1_dicom_media/no_extension/report_dfl").read_bytes()  # deflated SR
    doc = extract_document(data)
    assert doc is not None and doc.media_type == "text/plain"
    text = doc.data.decode()
    assert text.startswith("CONSULTATION REPORT")
    assert "Redlands Clinic" in text


def test_key_object_selection_lists_its_instances(shared_data: Path) -> None:
    path = shared_data / "2_dicom_varied/documents_sr_pdf_kos/KOS_ihe_mr_DEPT002.dcm"
    doc = extract_document(path.read_bytes())
    assert doc is not None
    ds = pydicom.dcmread(path)
    expected = {ref.ReferencedSOPInstanceUID for item in ds.ContentSequence
                for ref in item.get("ReferencedSOPSequence", [])}
    assert set(doc.referenced_sop_uids) == expected and len(expected) == 36


def test_images_carry_no_document(shared_data: Path) -> None:
    assert extract_document((shared_data / "2_dicom_varied/modalities/CT_small.dcm").read_bytes()) is None


def test_damaged_document_instance_is_a_value_error(shared_data: Path) -> None:
    data = (shared_data / "1_dicom_media/no_extension/report_dfl").read_bytes()
    with pytest.raises(ValueError):
        extract_document(data[: len(data) // 2])  # a deflated SR cut in half
    assert extract_document(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\x04\x00junk") is None
