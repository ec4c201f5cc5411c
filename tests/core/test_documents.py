"""Documents end to end: recognised, read, classified, linked, merged; hostile ones fail alone."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bundler.classify import classify, find_identity, find_service_date
from bundler.demo import DemoCase, write_demo
from bundler.ingest import ocr
from bundler.ingest.documents import read_document, sniff_document
from bundler.ingest.pdftext import parse as parse_pdf
from bundler.ingest.pipeline import import_sources
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind, ImportStatus, Reason
from bundler.overview import describe_case
from bundler.store import CaseStore
from support import IN_CI, require_tool

EXPECTED_DEMO_KINDS = {
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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32)


@pytest.fixture(scope="module")
def demo_case(demo: DemoCase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = tmp_path_factory.mktemp("case") / "c"
    with CaseStore.open(case, create=True) as store:
        import_sources([demo.cd_dir, demo.documents_dir], store)
    return case


def _family_given(pn: str) -> str:
    family, given = pn.split("^")[:2]
    return f"{family}, {given}"


def test_every_demo_document_is_classified_right(demo: DemoCase, tmp_path: Path) -> None:
    for name, kind in EXPECTED_DEMO_KINDS.items():
        data = (demo.documents_dir / name).read_bytes()
        media = sniff_document(data[:4096], name)
        assert media is not None, name
        doc = read_document(data, media_type=media, name=name, scratch=tmp_path)
        assert doc.kind is kind, (name, doc.kind, doc.kind_evidence)
        if name.endswith(".pdf"):
            assert doc.patient.name == _family_given(demo.patient_name), name
            assert doc.patient.birth_date.replace("-", "") == demo.birth_date, name
            assert doc.patient.id == demo.patient_id, name
            assert doc.date, name


def test_demo_documents_in_the_case(demo: DemoCase, demo_case: Path) -> None:
    with CaseStore.open(demo_case) as store:
        info = describe_case(store)
        contents = store.document_contents()
    docs = info["documents"]
    assert sorted(d["kind"] for d in docs) == sorted(k.value for k in EXPECTED_DEMO_KINDS.values())
    for d in docs:
        assert set(d) >= {"id", "kind", "kind_confidence", "date", "title", "source", "linked_study_uid", "pages"}
    # The current CT's report (the one also inside its DICOM study).
    report = next(d for d in docs if d["kind"] == "radiology_report" and d["from_dicom_sop_instance_uid"])
    current = max((s for s in demo.studies if s.modality == "CT"), key=lambda s: s.date)
    prior = min((s for s in demo.studies if s.modality == "CT"), key=lambda s: s.date)
    assert report["linked_study_uid"] == current.study_uid and report["link_method"] == "accession"
    assert report["from_dicom_sop_instance_uid"]  # the same PDF also sits inside the DICOM report
    parsed = contents[report["id"]]
    assert [(p.date.replace("-", ""), p.modality) for p in parsed.priors] == [(prior.date, "CT")]
    assert any(f.kind == "category" and f.scale == "Lung-RADS" for f in parsed.flags)
    assert {s.name for s in parsed.sections} >= {"exam", "comparison", "findings", "impression"}


def test_meds_allergies_and_relabel_cli(demo_case: Path, tmp_path: Path) -> None:
    def cli(*args: str, check: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "bundler", *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == check, proc.stderr
        return proc

    case = tmp_path / "c"
    shutil.copytree(demo_case, case)
    meds = json.loads(cli("meds", "--case", str(case), "--json").stdout)
    assert {m["name"] for m in meds} >= {"Atorvastatin", "Lisinopril", "Aspirin"}
    for m in meds:
        assert set(m) >= {"name", "dose", "route", "frequency", "start", "stop", "sources"}
        assert m["sources"] and m["sources"][0]["title"]
    lis = next(m for m in meds if m["name"] == "Lisinopril")
    assert (lis["dose"], lis["start"]) == ("10 mg", "2020-09-30")
    assert isinstance(json.loads(cli("allergies", "--case", str(case), "--json").stdout), list)

    docs = json.loads(cli("show", "--case", str(case), "--json").stdout)["documents"]
    visit = next(d for d in docs if d["kind"] == "visit_note")
    out = json.loads(cli("relabel", "--case", str(case), visit["id"], "referral_or_insurance", "--json").stdout)
    assert out["kind"] == "referral_or_insurance" and out["kind_overridden"]
    cli("relabel", "--case", str(case), visit["id"], "not_a_kind", check=2)
    cli("relabel", "--case", str(case), "0000000000000000", "other", check=2)
    # The override survives deleting the documents and importing them again.
    with CaseStore.open(case) as store:
        assert next(d for d in store.documents() if d.id == visit["id"]).kind == "referral_or_insurance"


def test_relabel_survives_reimport(demo: DemoCase, tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "c", create=True) as store:
        import_sources([demo.documents_dir], store)
        doc = next(d for d in store.documents() if d.title.startswith("LABORATORY"))
        store.set_kind(doc.id, "other")
    with CaseStore.open(tmp_path / "c2", create=True) as fresh:
        # a different case: no override there
        import_sources([demo.documents_dir], fresh)
        assert next(d for d in fresh.documents() if d.id == doc.id).kind == "lab_result"
    with CaseStore.open(tmp_path / "c") as store:
        import_sources([demo.documents_dir], store)  # re-import: duplicates, override kept
        assert next(d for d in store.documents() if d.id == doc.id).kind == "other"


def test_shared_documents_import_with_kinds(shared_data: Path, tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "c", create=True) as store:
        report = import_sources([shared_data / "3_health_documents"], store)
        kinds = {d.source.split("3_health_documents/")[-1]: d.kind for d in store.documents()}
    assert report.failed == 1  # the Implant UDI fragment is not well-formed XML (a "--" in a comment)
    expected = {
        "ccda/full_documents/Discharge_Summary.xml": "discharge_summary",
        "ccda/full_documents/Operative_Note.xml": "operative_report",
        "ccda/full_documents/Diagnostic_Imaging_Report.xml": "radiology_report",
        "ccda/full_documents/Progress_Note.xml": "visit_note",
        "ccda/full_documents/Referral_Note.xml": "referral_or_insurance",
        "fhir_r4/us_core/diagnosticreport-cbc.json": "lab_result",
        "pdf_reports/uscore_bone_density_DXA_report.pdf": "radiology_report",
    }
    for source, kind in expected.items():
        assert kinds[source] == kind, source
    embedded = [k for s, k in kinds.items() if s.endswith("(embedded)")]
    assert "consent_or_legal" in embedded  # the living will inside its DocumentReference


def test_hostile_documents_fail_alone(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "xxe.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3">&x;</ClinicalDocument>')
    (src / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    (src / "bundle.json").write_text('{"resourceType": "Bundle", "entry": [' * 2000)
    (src / "report.hl7").write_bytes(b"MSH|^~\\&|X\rOBX|1|ED|PDF^^|1|^application^pdf^Base64^!!!notbase64")
    (src / "ok.csv").write_text("name,dose\nMetformin,500 mg\n")
    with CaseStore.open(tmp_path / "c", create=True) as store:
        report = import_sources([src], store)
    rows = {Path(r.source).name: r for r in report.rows}
    assert rows["xxe.xml"].reason is Reason.DOCUMENT_UNSAFE
    assert rows["broken.pdf"].status is ImportStatus.FAILED
    assert rows["bundle.json"].status is ImportStatus.FAILED
    assert rows["report.hl7"].status in (ImportStatus.IMPORTED, ImportStatus.FAILED)
    assert rows["ok.csv"].reason is Reason.DOCUMENT
    assert "root:" not in json.dumps([r.detail for r in report.rows])


def test_password_protected_pdf_is_kept_and_reported(tmp_path: Path, demo: DemoCase) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(demo.documents_dir / "Visit_Note.pdf").pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "locked.pdf").write_bytes(buf.getvalue())
    with CaseStore.open(tmp_path / "c", create=True) as store:
        report = import_sources([tmp_path / "src"], store)
        (doc,) = store.documents()
    assert report.rows[0].reason is Reason.DOCUMENT_PASSWORD_PROTECTED
    assert "password-protected" in report.rows[0].detail
    assert doc.password_protected and doc.needs_label
    unlocked = parse_pdf(buf.getvalue(), name="locked.pdf", password="s3cret")
    assert "ASSESSMENT" in unlocked.text.upper()


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))


def test_100_megapixel_picture_is_refused_without_decoding(tmp_path: Path) -> None:
    assert ocr.image_size(_png(12000, 9000)) == (12000, 9000)
    with pytest.raises(DocumentReadError) as e:
        ocr.parse_image(_png(12000, 9000), name="huge.png", scratch=tmp_path)
    assert e.value.reason == "image_too_large"


def test_photo_of_a_report_is_read_by_ocr(tmp_path: Path, demo: DemoCase) -> None:
    require_tool("tesseract")
    pdftoppm = require_tool("pdftoppm")
    subprocess.run([pdftoppm, "-r", "150", "-png", "-singlefile", str(demo.documents_dir / "Pathology_Report.pdf"),
                    str(tmp_path / "photo")], check=True)
    src = tmp_path / "phone"
    src.mkdir()
    shutil.move(tmp_path / "photo.png", src / "IMG_2041.png")
    with CaseStore.open(tmp_path / "c", create=True) as store:
        report = import_sources([src], store)
        (doc,) = store.documents()
    assert report.documents == 1
    assert doc.kind == "pathology_report" and not doc.needs_label
    assert doc.facility == "Lakeside University Hospital"  # the letterhead, read from pixels


def test_pictures_without_ocr_are_kept_with_needs_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "scan.png").write_bytes(_png(10, 10))
    with CaseStore.open(tmp_path / "c", create=True) as store:
        report = import_sources([tmp_path / "src"], store, processes=False)
        (doc,) = store.documents()
    assert report.rows[0].status is ImportStatus.IMPORTED and doc.needs_label


def test_spanish_report_classified() -> None:
    text = ("INFORME RADIOLÓGICO\nPaciente: García López, María\nFecha de nacimiento: 03/04/1970\n"
            "ESTUDIO: TC de tórax\nTÉCNICA: sin contraste\nHALLAZGOS: nódulo de 6 mm.\nIMPRESIÓN: seguimiento.")
    kind, confidence, _ = classify(text)
    assert kind is DocumentKind.RADIOLOGY_REPORT and confidence > 0.5
    assert find_identity(text).name == "García López, María"
    assert find_identity(text).birth_date == "1970-04-03"


def test_200_page_pdf_is_read(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in range(200):
        y = 800
        for line in ("DISCHARGE SUMMARY", f"Page {page + 1}", "HOSPITAL COURSE:", "The patient was admitted " * 4):
            c.drawString(40, y, line)
            y -= 16
        c.showPage()
    c.save()
    doc = read_document(buf.getvalue(), media_type="application/pdf", name="long.pdf", scratch=tmp_path)
    assert doc.pages == 200 and doc.kind is DocumentKind.DISCHARGE_SUMMARY


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_classify_and_finders_never_raise(text: str) -> None:
    classify(text)
    find_identity(text)
    find_service_date(text)


def test_ocr_tool_presence_matches_ci() -> None:
    if IN_CI:
        assert ocr.available(), "CI must install tesseract-ocr"
