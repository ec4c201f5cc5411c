"""OCR with the real Tesseract: pictures and scans of reports, English and Spanish; picture
headers read without decoding; patient pictures kept when no OCR is possible."""

from __future__ import annotations

import datetime
import io
import struct
import subprocess
import tracemalloc
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import pytest

from bundler.classify import classify
from bundler.demo import DemoCase, write_demo
from bundler.ingest import ocr
from bundler.ingest.documents import read_document, understand
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind
from support import IN_CI, require_tool, unavailable

TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32, today=TODAY)


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _render(pdf: Path, out_dir: Path, *, dpi: int = 150) -> Path:
    """Page 1 of ``pdf`` as a PNG, as a phone photo or a scanner would give it."""
    pdftoppm = require_tool("pdftoppm")
    stem = out_dir / pdf.stem
    subprocess.run([pdftoppm, "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)], check=True, timeout=120)
    return stem.with_suffix(".png")


def _spanish_report_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    st = getSampleStyleSheet()
    lines = [
        ("Hospital Universitario del Valle", "Title"),
        ("Servicio de Radiodiagnóstico", "Normal"),
        ("INFORME RADIOLÓGICO", "Heading2"),
        ("Paciente: García López, María", "Normal"),
        ("Fecha de nacimiento: 03/04/1970", "Normal"),
        ("NHC: 20481516", "Normal"),
        ("Fecha del estudio: 14/02/2025", "Normal"),
        ("ESTUDIO", "Heading4"),
        ("TC de tórax con contraste intravenoso.", "Normal"),
        ("TÉCNICA", "Heading4"),
        ("Adquisición helicoidal con cortes axiales de 1 mm y reconstrucciones coronales.", "Normal"),
        ("COMPARACIÓN", "Heading4"),
        ("TC de tórax previo del 10 de enero de 2024.", "Normal"),
        ("HALLAZGOS", "Heading4"),
        ("Nódulo sólido de 8 mm en el lóbulo superior derecho, sin cambios respecto al estudio previo. "
         "No se observan adenopatías mediastínicas ni derrame pleural.", "Normal"),
        ("IMPRESIÓN", "Heading4"),
        ("Nódulo pulmonar estable. Se recomienda seguimiento.", "Normal"),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, invariant=1).build([Paragraph(t, st[s]) for t, s in lines])
    return buf.getvalue()


def _picture_pdf(png: Path) -> bytes:
    """A scanned PDF: the page is a picture, there is no text layer."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER, invariant=1)
    c.drawImage(str(png), 0, 0, width=LETTER[0], height=LETTER[1])
    c.showPage()
    c.save()
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Picture headers, without decoding
# --------------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def _webp_vp8x(width: int, height: int) -> bytes:
    payload = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _tiff(pages: list[tuple[int, int]], *, big_endian: bool = False, bigtiff: bool = False) -> bytes:
    e = ">" if big_endian else "<"
    if bigtiff:
        out = bytearray((b"MM" if big_endian else b"II") + struct.pack(e + "HHHQ", 43, 8, 0, 16))
        for k, (w, h) in enumerate(pages):
            entries = struct.pack(e + "HHQQ", 256, 16, 1, w) + struct.pack(e + "HHQQ", 257, 16, 1, h)
            nxt = len(out) + 8 + len(entries) + 8 if k + 1 < len(pages) else 0
            out += struct.pack(e + "Q", 2) + entries + struct.pack(e + "Q", nxt)
        return bytes(out)
    out = bytearray((b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8))
    for k, (w, h) in enumerate(pages):
        width = struct.pack(e + "HHII", 256, 4, 1, w)  # LONG
        height = struct.pack(e + "HHI", 257, 3, 1) + struct.pack(e + "HH", h, 0)  # SHORT, left-justified
        entries = width + height
        nxt = len(out) + 2 + len(entries) + 4 if k + 1 < len(pages) else 0
        out += struct.pack(e + "H", 2) + entries + struct.pack(e + "I", nxt)
    return bytes(out)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF"])
def test_image_size_of_real_pictures(fmt: str) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (321, 123), "white").save(buf, format=fmt)
    assert ocr.image_size(buf.getvalue()) == (321, 123)
    assert ocr.image_type(buf.getvalue()) == f"image/{fmt.lower()}"


def test_image_size_of_lossless_webp_and_progressive_jpeg() -> None:
    from PIL import Image

    for fmt, options in (("WEBP", {"lossless": True}), ("JPEG", {"progressive": True})):
        buf = io.BytesIO()
        Image.new("L", (77, 55), 128).save(buf, format=fmt, **options)
        assert ocr.image_size(buf.getvalue()) == (77, 55), fmt


def test_image_size_of_crafted_headers() -> None:
    assert ocr.image_size(_png(12000, 9000)) == (12000, 9000)
    assert ocr.image_size(_jpeg(20000, 6000)) == (20000, 6000)
    assert ocr.image_size(_webp_vp8x(16383, 16383)) == (16383, 16383)
    assert ocr.image_size(_tiff([(100, 100), (20000, 20000)])) == (20000, 20000)  # the largest page
    assert ocr.image_size(_tiff([(640, 480)], big_endian=True)) == (640, 480)
    assert ocr.image_size(_tiff([(30000, 4000)], bigtiff=True)) == (30000, 4000)
    assert ocr.image_size(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4) is None
    assert ocr.image_size(b"\xff\xd8\xff\xe0\x00") is None
    assert ocr.image_size(b"GIF89a") is None


@pytest.mark.parametrize(
    "data",
    [_png(10000, 10000), _jpeg(20000, 5000), _webp_vp8x(16000, 16000), _tiff([(10, 10), (12000, 9000)])],
    ids=["png", "jpeg", "webp", "tiff"],
)
def test_100_megapixel_pictures_are_refused_without_allocating_them(data: bytes, tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        for call in (lambda: ocr.parse_image(data, name="huge", scratch=tmp_path),
                     lambda: ocr.ocr_image(data, scratch=tmp_path)):
            with pytest.raises(DocumentReadError) as e:
                call()
            assert e.value.reason == "image_too_large"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024  # 100 MP would be 100 MB at one byte a pixel
    assert list(tmp_path.iterdir()) == []  # nothing written for it


def test_just_under_100_megapixels_is_not_refused_for_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)
    doc = ocr.parse_image(_png(9999, 10000), name="big.png", scratch=tmp_path)
    assert doc.needs_label  # kept; not refused


def test_picture_whose_size_cannot_be_read_is_kept(tmp_path: Path) -> None:
    doc = ocr.parse_image(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dJUNK", name="odd.png", scratch=tmp_path)
    assert doc.needs_label and doc.problems_found and "size" in doc.problems_found[0]


# --------------------------------------------------------------------------------------------
# Without Tesseract
# --------------------------------------------------------------------------------------------


def test_without_tesseract_pictures_are_kept_with_needs_label(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buf, format="PNG")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # tesseract "missing"
    assert not ocr.available() and ocr.languages() == ()
    doc = ocr.parse_image(buf.getvalue(), name="IMG_0001.png", scratch=tmp_path)
    assert doc.needs_label and doc.text == "" and doc.media_type == "image/png"
    assert "Tesseract" in doc.problems_found[0]
    via_reader = read_document(buf.getvalue(), media_type="image/png", name="IMG_0001.png", scratch=tmp_path, ocr=True)
    assert via_reader.needs_label and via_reader.kind is DocumentKind.OTHER
    with pytest.raises(DocumentReadError) as e:
        ocr.ocr_image(buf.getvalue(), scratch=tmp_path)
    assert e.value.reason == "ocr_unavailable"
    assert ocr.ocr_pdf(b"%PDF-1.4", scratch=tmp_path) == ""  # no pdftoppm either: nothing to read


def test_heic_without_pillow_heif_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "heic_supported", lambda: False)
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    doc = ocr.parse_image(heic, name="IMG_0002.HEIC", scratch=tmp_path)
    assert doc.needs_label and "HEIC" in doc.problems_found[0]


# --------------------------------------------------------------------------------------------
# With Tesseract (CI must have it: a missing tool fails there)
# --------------------------------------------------------------------------------------------


def test_tesseract_and_languages_are_installed() -> None:
    require_tool("tesseract")
    assert ocr.available()
    langs = ocr.languages()
    if IN_CI:
        assert {"eng", "spa"} <= set(langs), "CI must install tesseract-ocr-eng and tesseract-ocr-spa"
    assert "eng" in langs


def test_photo_of_an_english_report_is_read_and_classified(demo: DemoCase, tmp_path: Path) -> None:
    require_tool("tesseract")
    png = _render(demo.documents_dir / "CT_Chest_Report.pdf", tmp_path)
    doc = understand(ocr.parse_image(png.read_bytes(), name="IMG_2040.png", scratch=tmp_path / "scratch"))
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT and not doc.needs_label, doc.kind_evidence
    family, given = demo.patient_name.split("^")[:2]
    # OCR may drop diacritics (Š → S, ë → é); the letters are right.
    assert _ascii(doc.patient.name) == _ascii(f"{family}, {given}")
    assert doc.patient.id == demo.patient_id
    assert doc.patient.birth_date.replace("-", "") == demo.birth_date
    current_ct = demo.studies[0]
    assert doc.date.replace("-", "") == current_ct.date and doc.accession == current_ct.accession
    assert doc.facility == "Riverside Imaging Center"
    assert "IMPRESSION" in doc.text and "Lung-RADS 4B" in doc.text


def test_photo_of_a_spanish_report_is_read_and_classified(tmp_path: Path) -> None:
    require_tool("tesseract")
    if "spa" not in ocr.languages():
        unavailable("Spanish OCR data (tesseract-ocr-spa) is not installed")
    pdf = tmp_path / "informe.pdf"
    pdf.write_bytes(_spanish_report_pdf())
    png = _render(pdf, tmp_path)
    doc = understand(ocr.parse_image(png.read_bytes(), name="foto.png", scratch=tmp_path / "scratch"))
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT, doc.kind_evidence
    assert "HALLAZGOS" in doc.kind_evidence.upper() or "HALLAZGOS" in doc.text
    identity = (doc.patient.name, doc.patient.birth_date, doc.patient.id)
    assert identity == ("García López, María", "1970-04-03", "20481516")
    assert doc.date == "2025-02-14" and doc.facility == "Hospital Universitario del Valle"
    assert "Nódulo" in doc.text  # Spanish accents read with the spa data


def test_scanned_pdf_is_read_by_ocr_in_the_reader(demo: DemoCase, tmp_path: Path) -> None:
    require_tool("tesseract")
    png = _render(demo.documents_dir / "Pathology_Report.pdf", tmp_path, dpi=120)
    scan = _picture_pdf(png)
    without = read_document(scan, media_type="application/pdf", name="scan.pdf", scratch=tmp_path)
    assert without.needs_label and without.text == ""
    doc = read_document(scan, media_type="application/pdf", name="scan.pdf", scratch=tmp_path, ocr=True)
    assert doc.kind is DocumentKind.PATHOLOGY_REPORT and not doc.needs_label, doc.kind_evidence
    assert doc.patient.id == demo.patient_id and doc.pages == 1


def test_ocr_files_stay_in_the_private_scratch_folder(
    demo: DemoCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("tesseract")
    png = _render(demo.documents_dir / "Visit_Note.pdf", tmp_path, dpi=100)
    scratch = tmp_path / "case" / "tmp" / "run-1"
    calls: list[tuple[list[str], dict[str, Any]]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kwargs: Any) -> Any:
        calls.append((cmd, kwargs))
        return real_run(cmd, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)  # the one ocr.py calls
    text = ocr.ocr_image(png.read_bytes(), scratch=scratch)
    assert "CHIEF COMPLAINT" in text
    work_calls = [(cmd, kw) for cmd, kw in calls if "--list-langs" not in cmd]
    assert work_calls
    for cmd, kw in work_calls:
        assert Path(cmd[1]).is_relative_to(scratch)  # the picture was written inside the case
        assert Path(kw["env"]["TMPDIR"]).is_relative_to(scratch)
        assert Path(kw["cwd"]).is_relative_to(scratch)
        assert kw["timeout"] > 0
    assert list(scratch.iterdir()) == []  # and removed afterwards


def test_ocr_timeout(demo: DemoCase, tmp_path: Path) -> None:
    require_tool("tesseract")
    png = _render(demo.documents_dir / "Lab_Results.pdf", tmp_path, dpi=100)
    with pytest.raises(DocumentReadError) as e:
        ocr.ocr_image(png.read_bytes(), scratch=tmp_path / "s", timeout=0.001)
    assert e.value.reason == "ocr_timeout"
    assert list((tmp_path / "s").iterdir()) == []


def test_heic_photo_is_read_with_pillow_heif(demo: DemoCase, tmp_path: Path) -> None:
    require_tool("tesseract")
    pillow_heif = pytest.importorskip("pillow_heif")
    from PIL import Image

    png = _render(demo.documents_dir / "Pathology_Report.pdf", tmp_path, dpi=110)
    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.open(png).convert("RGB")).save(buf, quality=90)
    heic = buf.getvalue()
    assert ocr.image_type(heic) == "image/heic" and ocr.heic_supported()
    doc = understand(ocr.parse_image(heic, name="IMG_3001.HEIC", scratch=tmp_path / "s"))
    assert doc.kind is DocumentKind.PATHOLOGY_REPORT and not doc.needs_label, doc.kind_evidence
    assert doc.media_type == "image/heic"


def test_unreadable_picture_data(tmp_path: Path) -> None:
    require_tool("tesseract")
    broken = _png(400, 300) + b"\x00\x00\x00\x05IDATxxxxx\x00\x00\x00\x00"
    with pytest.raises(DocumentReadError) as e:
        ocr.ocr_image(broken, scratch=tmp_path)
    assert e.value.reason == "image_unreadable"


def test_ocr_text_is_classified_like_typed_text(demo: DemoCase, tmp_path: Path) -> None:
    require_tool("tesseract")
    png = _render(demo.documents_dir / "Lab_Results.pdf", tmp_path, dpi=150)
    text = ocr.ocr_image(png.read_bytes(), scratch=tmp_path / "s")
    kind, confidence, evidence = classify(text, title="")
    assert kind is DocumentKind.LAB_RESULT and confidence > 0.5, evidence
    assert "Hemoglobin" in text
