"""PDF reader: text in reading order, pages, titles; locked, scanned and broken PDFs."""

from __future__ import annotations

import datetime
import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.demo import DemoCase, write_demo
from bundler.ingest import pdftext
from bundler.ingest.pdftext import NO_TEXT_LAYER, PASSWORD_PROTECTED, needs_ocr, parse
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import ParsedDocument

TODAY = datetime.date(2026, 1, 15)
DEMO_TITLES = {
    "CT_Chest_Report.pdf": "CT CHEST WITH CONTRAST - RADIOLOGY REPORT",
    "Pathology_Report.pdf": "SURGICAL PATHOLOGY REPORT",
    "Visit_Note.pdf": "OUTPATIENT VISIT NOTE - PULMONOLOGY",
    "Lab_Results.pdf": "LABORATORY RESULTS - CBC AND METABOLIC PANEL",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32, today=TODAY)


def _pdf(pages: list[list[str]], **info: str) -> bytes:
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER, invariant=1)
    if "title" in info:
        c.setTitle(info["title"])
    for lines in pages:
        y = 740
        for line in lines:
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def _scan_pdf(*, footer: str = "") -> bytes:
    """A PDF whose only content is a picture of a page (a scan), optionally with a text stamp."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (850, 1100), 255)
    draw = ImageDraw.Draw(img)
    for i in range(20):
        draw.text((60, 60 + 30 * i), f"SCANNED LINE {i} FINDINGS IMPRESSION", fill=0)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=LETTER, invariant=1)
    c.drawImage(ImageReader(img), 0, 0, width=LETTER[0], height=LETTER[1])
    if footer:
        c.drawString(40, 20, footer)
    c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted(data: bytes, *, user: str, owner: str = "owner-secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Text, pages, titles
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DEMO_TITLES))
def test_demo_pdfs_read_in_layout_order(demo: DemoCase, name: str) -> None:
    doc = parse((demo.documents_dir / name).read_bytes(), name=name)
    assert isinstance(doc, ParsedDocument)
    assert (doc.media_type, doc.pages, doc.title) == ("application/pdf", 1, DEMO_TITLES[name])
    assert not doc.needs_label and not doc.password_protected and doc.problems_found == ()
    family, given_name = demo.patient_name.split("^")[:2]
    lines = doc.text.splitlines()
    # Layout order: the header table reads row by row (label and value on one line) and the
    # letterhead comes before the page footer, whatever order the producer drew them in.
    patient_line = next(line for line in lines if line.lstrip().startswith("Patient"))
    assert f"{family}, {given_name}" in patient_line and demo.patient_id in patient_line
    assert doc.text.index("Page 1") > doc.text.index(DEMO_TITLES[name])
    assert not any(line != line.rstrip() for line in lines)  # no trailing blanks


def test_lab_table_rows_stay_on_one_line(demo: DemoCase) -> None:
    doc = parse((demo.documents_dir / "Lab_Results.pdf").read_bytes(), name="Lab_Results.pdf")
    row = next(line for line in doc.text.splitlines() if line.split()[:1] == ["Hemoglobin"])
    assert row.split() == ["Hemoglobin", "g/dL", "12.0-15.5", "12.6", "11.8", "L", "12.2"]


def test_shared_pdfs(shared_data: Path) -> None:
    docs = shared_data / "3_health_documents"
    expected = {  # file: (pages, title, words in the text)
        "pdf_reports/HelloWorld.pdf": (1, "", "Hello World"),  # no title, no heading naming a kind
        "pdf_reports/uscore_living_will.pdf": (10, "Example of a Living Will", "LIVING WILL"),
        # Word's placeholder metadata title "Document1" is ignored; the first heading is used.
        "pdf_reports/uscore_bone_density_DXA_report.pdf": (
            1, "DXA Bone density quantitative measurement panel", "Health eData Inc"),
        "ccda/full_documents_unstructured_embedded/C-CDA_R2_UD_sample.pdf": (3, "Discharge Summary", "HOSPITAL COURSE"),
        "ccda/full_documents_unstructured_embedded/McBee_L1_20151116_Embedded.pdf": (
            7, "Universal Advance Digital Directive (uADD)™", "healthcare agent"),
    }
    for rel, (pages, title, words) in expected.items():
        doc = parse((docs / rel).read_bytes(), name=Path(rel).name)
        assert (doc.pages, doc.title) == (pages, title), rel
        assert words in doc.text and not doc.needs_label, rel


def test_two_column_letterhead_reads_across(shared_data: Path) -> None:
    pdf = shared_data / "3_health_documents/ccda/full_documents_unstructured_embedded/C-CDA_R2_UD_sample.pdf"
    first = parse(pdf.read_bytes(), name=pdf.name).text.splitlines()[0]
    assert first.startswith("Community Health Hospital") and first.endswith("Patient ID: 12345")


def test_title_from_first_heading_when_metadata_has_none() -> None:
    doc = parse(_pdf([["Lakeside Clinic", "DISCHARGE SUMMARY", "HOSPITAL COURSE:", "Uneventful."]]), name="x.pdf")
    assert doc.title == "DISCHARGE SUMMARY"
    doc = parse(_pdf([["Some words"]], title="Microsoft Word - letter.docx"), name="x.pdf")
    assert doc.title == ""  # a file name is not a title; read_document falls back to the file's name


def test_pages_past_the_layout_limit_are_read_in_plain_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdftext, "LAYOUT_PAGES", 2)
    pages = [[f"PAGE MARKER {n}", f"Body text of page {n}."] for n in range(1, 6)]
    doc = parse(_pdf(pages), name="five.pdf")
    assert doc.pages == 5
    positions = [doc.text.index(f"PAGE MARKER {n}") for n in range(1, 6)]
    assert positions == sorted(positions)


# --------------------------------------------------------------------------------------------
# Password-protected PDFs
# --------------------------------------------------------------------------------------------


def test_password_protected_pdf_is_kept_and_can_be_opened_later(demo: DemoCase) -> None:
    locked = _encrypted((demo.documents_dir / "Visit_Note.pdf").read_bytes(), user="s3cret")
    doc = parse(locked, name="locked.pdf")
    assert doc.password_protected and doc.needs_label and doc.text == ""
    assert doc.problems_found == (PASSWORD_PROTECTED,)  # the CLI's reason: "password-protected"
    assert not needs_ocr(doc)  # OCR cannot help a locked file

    wrong = parse(locked, name="locked.pdf", password="guess")
    assert wrong.password_protected and wrong.problems_found[0].startswith("password-protected")

    opened = parse(locked, name="locked.pdf", password="s3cret")
    assert not opened.password_protected and "CHIEF COMPLAINT" in opened.text
    assert opened.title == DEMO_TITLES["Visit_Note.pdf"]


def test_pdf_with_only_an_owner_password_opens(demo: DemoCase) -> None:
    restricted = _encrypted((demo.documents_dir / "Lab_Results.pdf").read_bytes(), user="")
    doc = parse(restricted, name="restricted.pdf")
    assert not doc.password_protected and "Hemoglobin" in doc.text


# --------------------------------------------------------------------------------------------
# Scans
# --------------------------------------------------------------------------------------------


def test_scan_without_text_layer_asks_for_ocr() -> None:
    doc = parse(_scan_pdf(), name="scan.pdf")
    assert doc.pages == 1 and doc.text == "" and doc.needs_label
    assert NO_TEXT_LAYER in doc.problems_found and needs_ocr(doc)


def test_scan_with_a_stamped_footer_is_still_a_scan() -> None:
    doc = parse(_scan_pdf(footer="Page 1 of 1"), name="fax.pdf")
    assert needs_ocr(doc)


def test_short_text_without_pictures_is_not_a_scan() -> None:
    doc = parse(_pdf([["Hello World"]]), name="hello.pdf")
    assert doc.text == "Hello World" and not doc.needs_label and not needs_ocr(doc)


# --------------------------------------------------------------------------------------------
# Broken and hostile PDFs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + b"\x00garbage" * 50,
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
        b"",
        b"not a pdf at all",
    ],
)
def test_broken_pdf_raises_pdf_broken(data: bytes) -> None:
    with pytest.raises(DocumentReadError) as e:
        parse(data, name="broken.pdf")
    assert e.value.reason == "pdf_broken" and e.value.detail


def test_truncated_pdfs_fail_cleanly_or_read_what_is_there(demo: DemoCase) -> None:
    data = (demo.documents_dir / "Pathology_Report.pdf").read_bytes()
    for cut in (len(data) // 4, len(data) // 2, len(data) - 100):
        try:
            doc = parse(data[:cut], name="cut.pdf")
        except DocumentReadError as e:
            assert e.reason == "pdf_broken"
        else:
            assert isinstance(doc, ParsedDocument)


_SEED_PDF = _pdf([["EXAM: CT chest", "FINDINGS: none", "IMPRESSION: normal"]], title="Report")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=len(_SEED_PDF) - 1), st.integers(0, 255)),
                min_size=1, max_size=20))
def test_damaged_pdfs_raise_only_document_read_error(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_SEED_PDF)
    for pos, value in flips:
        data[pos] = value
    try:
        doc = parse(bytes(data), name="fuzz.pdf")
    except DocumentReadError as e:
        assert e.reason == "pdf_broken"
    else:
        assert isinstance(doc, ParsedDocument)


def test_random_bytes_after_a_pdf_signature() -> None:
    rng = random.Random(1234)
    for _ in range(30):
        data = b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(rng.randrange(0, 4000)))
        with pytest.raises(DocumentReadError):
            parse(data, name="noise.pdf")
