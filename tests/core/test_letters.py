"""Records-request letters and the front desk's missing-items sheet: one letter per facility
with exactly its records, the patient's details, the format and the right of access; the
sheet always one page. Checked by reading the PDFs back (pypdf, pdftotext, pdffonts), and the
CLI end to end on the demo case with reports removed."""

from __future__ import annotations

import datetime as _dt
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from bundler.export.letters import (
    letter_patient,
    render_missing_sheet,
    render_request_letters,
    request_text,
    requests_by_facility,
)
from bundler.model import (
    CompletenessReport,
    ContactDetails,
    IdentityReport,
    IdentityStatus,
    Intake,
    ItemResult,
    ItemStatus,
    PersonRecord,
    RecordRequest,
    Requirement,
)
from support import require_tool
from test_summary_pdf import _clean, assert_one_clean_page, pdf_fonts, pdf_text

TODAY = _dt.date(2026, 3, 30)
INTAKE = Intake(patient=ContactDetails(name="Zoë Muñoz-Šimková", birth_date="1962-08-23",
                                       address="12 Elm Street, Springfield", phone="+1 555 0100",
                                       email="zoe@example.org"))


def _item(item_id: str, status: ItemStatus, *requests: RecordRequest, step: str = "") -> ItemResult:
    return ItemResult(item_id, item_id.replace("_", " ").capitalize(), status, Requirement.REQUIRED,
                      next_step=step, requests=requests)


def report(*items: ItemResult, names: tuple[str, ...] = ("MUÑOZ^ZOË",)) -> CompletenessReport:
    persons = (PersonRecord(names, ("19620823",), ("LUH-4471203",), ()),) if names else ()
    return CompletenessReport("general", "General", items,
                              IdentityReport(IdentityStatus.CONSISTENT, persons, (), "The same person."))


def sample() -> CompletenessReport:
    return report(
        _item("imaging_reports", ItemStatus.ATTENTION,
              RecordRequest("Riverside Imaging", "radiology report", "MR brain", "2026-01-25", "RIV-5555",
                            "The images are here but their written report is not.")),
        _item("prior_imaging", ItemStatus.MISSING,
              RecordRequest("Riverside Imaging", "radiology report", "CT chest", "2025-03-03", "12345",
                            "The report of 29 December 2025 compares with it."),
              RecordRequest("riverside  imaging", "DICOM images", "CT chest", "20250303", "12345")),
        _item("pathology", ItemStatus.MISSING,
              RecordRequest("Lakeside Pathology", "pathology report", "biopsy", "2026-01-14")),
        _item("imaging_images", ItemStatus.MISSING,
              RecordRequest("", "radiology report", "PET/CT", "2026-02"),
              RecordRequest("", "DICOM images", "PET/CT", "2026-02")),
        _item("visit_notes", ItemStatus.PRESENT,
              RecordRequest("Nowhere Clinic", "visit notes")),  # present: nothing to ask for
        _item("medications", ItemStatus.MISSING, step="Write down the medicines you take, with their doses."),
    )


def page_texts(path: Path) -> list[str]:
    return [pdf_text_page(path, n) for n in range(1, len(PdfReader(path).pages) + 1)]


def pdf_text_page(path: Path, page: int) -> str:
    tool = require_tool("pdftotext")
    done = subprocess.run([tool, "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, timeout=60, check=True)
    return " ".join(done.stdout.split())


# ------------------------------------------------------------------------------ grouping


def test_requests_grouped_by_facility_and_merged_by_exam() -> None:
    groups = requests_by_facility(sample())
    assert [g.facility for g in groups] == ["Riverside Imaging", "Lakeside Pathology", ""]  # unknown last
    riverside = groups[0]
    assert [request_text(line) for line in riverside.lines] == [
        "radiology report of MR brain, 25 January 2026, accession RIV-5555",
        "radiology report and DICOM images of CT chest, 3 March 2025, accession 12345",
    ]
    assert riverside.lines[1].reasons == ("The report of 29 December 2025 compares with it.",)
    assert request_text(groups[2].lines[0]) == "radiology report and DICOM images of PET/CT, February 2026"
    assert request_text(groups[2].lines[0], "es") == "informe de radiología e imágenes DICOM de PET/CT, febrero de 2026"
    assert request_text(riverside.lines[1], "es", short=True) == (
        "informe de radiología e imágenes DICOM de CT chest, 3 mar 2025, n.º de acceso 12345")
    assert requests_by_facility(report()) == []


def test_patient_details_fall_back_to_the_records() -> None:
    own = letter_patient(sample(), INTAKE)
    assert own.names == ("Zoë Muñoz-Šimková",) and own.birth_date == "1962-08-23" and own.phone
    records = letter_patient(sample(), Intake())
    assert records.names == ("MUÑOZ, ZOË",)
    assert records.birth_date == "1962-08-23" and records.ids == ("LUH-4471203",)
    both = letter_patient(report(names=("Yamada^Tarou=山田^太郎",)), Intake())
    assert both.names == ("山田 太郎", "Yamada, Tarou")


# ------------------------------------------------------------------------------ letters


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_one_letter_per_facility_with_its_records(tmp_path: Path, paper: str) -> None:
    out = tmp_path / "letters.pdf"
    assert render_request_letters(sample(), INTAKE, out, paper=paper, today=TODAY) == 3
    pages = page_texts(out)
    assert len(pages) == 3  # short letters: one page each
    riverside, lakeside, unknown = pages
    for page in pages:
        for expected in ("Zoë Muñoz-Šimková", "12 Elm Street, Springfield", "+1 555 0100", "zoe@example.org",
                         "30 March 2026", "Request for copies of my medical records", "Date of birth: 23 August 1962",
                         "Patient ID: LUH-4471203", "DICOM images themselves", "on a CD or DVD",
                         "secure download link", "legal right", "HIPAA", "Sincerely"):
            assert expected in page, expected
    assert "Medical records department Riverside Imaging" in riverside
    assert "radiology report of MR brain, 25 January 2026, accession RIV-5555" in riverside
    assert "radiology report and DICOM images of CT chest, 3 March 2025, accession 12345" in riverside
    assert "Why: The images are here but their written report is not." in riverside
    assert "pathology report" not in riverside and "PET/CT" not in riverside
    assert "Lakeside Pathology" in lakeside and "pathology report of biopsy, 14 January 2026" in lakeside
    assert "MR brain" not in lakeside
    assert "To the records department" in unknown and "write the facility's name and address here" in unknown
    assert "radiology report and DICOM images of PET/CT, February 2026" in unknown
    assert "Nowhere Clinic" not in " ".join(pages)
    assert all(embedded for _, embedded in pdf_fonts(out))
    meta = PdfReader(out).metadata
    assert meta is not None and meta.title == "Requests for medical records"


def test_spanish_letters(tmp_path: Path) -> None:
    out = tmp_path / "cartas.pdf"
    render_request_letters(sample(), INTAKE, out, lang="es", today=TODAY)
    text = pdf_text(out)
    for expected in ("Solicitud de copia de mi historia clínica", "30 de marzo de 2026", "Fecha de nacimiento",
                     "informe de radiología e imágenes DICOM de CT chest, 3 de marzo de 2025, n.º de acceso 12345",
                     "Formato preferido", "derecho por ley", "HIPAA", "Al servicio de documentación clínica",
                     "Atentamente"):
        assert _clean(expected) in text, expected  # NFKC: "n.º" reads "n.o"


def test_a_long_letter_continues_on_the_next_page(tmp_path: Path) -> None:
    many = report(_item("imaging_reports", ItemStatus.MISSING, *(
        RecordRequest("Riverside Imaging", "radiology report", f"CT chest {i}", f"2025-01-{i % 28 + 1:02d}", f"A{i}",
                      "The images are here but their written report is not.") for i in range(40))))
    out = tmp_path / "long.pdf"
    assert render_request_letters(many, INTAKE, out, today=TODAY) == 1
    pages = page_texts(out)
    assert len(pages) > 1
    assert "(continued), page 2" in pages[1]
    text = " ".join(pages)
    assert all(f"CT chest {i}," in text for i in range(40))
    assert text.count("Request for copies of my medical records") == 1


def test_right_to_left_names_in_a_letter(tmp_path: Path) -> None:
    arabic = Intake(patient=ContactDetails(name="محمد عبد الله", birth_date="1970-05-01"))
    out = tmp_path / "ar.pdf"
    render_request_letters(sample(), arabic, out, today=TODAY)
    text = pdf_text(out)
    assert "محمد عبد الله" in text
    assert any("NotoSansArabic" in name for name, _ in pdf_fonts(out))


def test_nothing_to_request_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "none.pdf"
    assert render_request_letters(report(_item("visit_notes", ItemStatus.PRESENT)), INTAKE, out) == 0
    assert not out.exists()


# ------------------------------------------------------------------------------ sheet


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_missing_items_sheet(tmp_path: Path, paper: str) -> None:
    out = tmp_path / "sheet.pdf"
    render_missing_sheet(sample(), out, paper=paper, intake=INTAKE, today=TODAY)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    for expected in ("Records to request", "Zoë Muñoz-Šimková", "Date of birth: 23 Aug 1962",
                     "4 items from 3 facilities", "Riverside Imaging",
                     "radiology report and DICOM images of CT chest, 3 Mar 2025, accession 12345",
                     "Lakeside Pathology", "Facility not named in the records", "From the patient",
                     "Medications: Write down the medicines you take"):
        assert expected in text, expected
    # One empty checkbox per line: 4 requests and 1 item from the patient.
    content = PdfReader(out).pages[0].get_contents()
    assert content is not None
    assert len(re.findall(rb" re S\b", content.get_data())) == 5


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_huge_sheet_stays_one_page(tmp_path: Path, paper: str) -> None:
    requests = [RecordRequest(f"Facility {i % 25} " + "with a very long name " * 3, "radiology report",
                              f"CT chest {i} " + "with contrast " * 6, "2025-01-01", f"ACC{i}") for i in range(200)]
    big = report(_item("imaging_reports", ItemStatus.MISSING, *requests),
                 *(_item(f"item_{i}", ItemStatus.MISSING, step="Ask " * 40) for i in range(20)))
    out = tmp_path / "big.pdf"
    render_missing_sheet(big, out, paper=paper, today=TODAY)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    assert re.search(r"and \d+ more, see the letters|\d+ items, see the letters", text)


def test_sheet_with_nothing_missing(tmp_path: Path) -> None:
    out = tmp_path / "ok.pdf"
    render_missing_sheet(report(_item("visit_notes", ItemStatus.PRESENT)), out, today=TODAY)
    assert_one_clean_page(out, "a4")
    assert "Nothing to request" in pdf_text(out)


# ------------------------------------------------------------------------------ the CLI


@pytest.fixture(scope="module")
def demo_cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The demo case whole (nothing to request), and without two radiology reports and the
    pathology report."""
    from bundler.demo import write_demo
    from bundler.ingest.pipeline import import_sources
    from bundler.intake import read_intake_file, save_intake
    from bundler.store import CaseStore

    root = tmp_path_factory.mktemp("demo")
    demo = write_demo(root / "demo", ct_slices=4, matrix=32, today=TODAY)
    docs = root / "docs"
    shutil.copytree(demo.documents_dir, docs)
    for name in ("MR_Brain_Report.pdf", "CT_Chest_Low_Dose_Report.pdf", "Pathology_Report.pdf"):
        (docs / name).unlink()
    for case, documents in ((root / "whole", demo.documents_dir), (root / "gappy", docs)):
        with CaseStore.open(case, create=True) as store:
            import_sources([demo.cd_dir, documents], store)
            save_intake(store, read_intake_file(demo.intake_file))
    yield root / "whole", root / "gappy"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundler", *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False)


def test_cli_letters_sheet_and_summary(demo_cases: tuple[Path, Path], tmp_path: Path) -> None:
    gappy_case = demo_cases[1]
    letters = tmp_path / "letters.pdf"
    done = cli("letter", "--case", gappy_case, "--out", letters, "--paper", "letter")
    assert done.returncode == 0, done.stderr
    assert "2 letters written" in done.stdout
    text = pdf_text(letters)
    assert text.count("Request for copies of my medical records") == 2
    assert "Lakeside University Hospital" in text and "Riverside Imaging Center" in text
    assert re.search(r"radiology report of MRI brain with and without contrast, \d+ \w+ \d{4}, accession LUH", text)
    assert "pathology report of biopsy" in text

    sheet = tmp_path / "sheet.pdf"
    done = cli("letter", "--case", gappy_case, "--out", sheet, "--sheet", "--profile", "front_desk", "--lang", "es")
    assert done.returncode == 0, done.stderr
    assert_one_clean_page(sheet, "a4")
    assert "Documentos que hay que solicitar" in pdf_text(sheet)

    summary = tmp_path / "summary.pdf"
    done = cli("summary", "--case", gappy_case, "--out", summary, "--paper", "letter")
    assert done.returncode == 0, done.stderr
    assert_one_clean_page(summary, "letter")
    text = pdf_text(summary)
    assert "Zoë Muñoz-Šimková" in text and "Records fingerprint: printed only" in text
    assert "Missing or needs attention (checklist:" in text and "pathology report" in text.lower()


def test_cli_nothing_to_request(demo_cases: tuple[Path, Path], tmp_path: Path) -> None:
    whole = demo_cases[0]
    out = tmp_path / "none.pdf"
    done = cli("letter", "--case", whole, "--out", out)
    assert done.returncode == 1 and done.stdout.strip() == "Nothing to request."
    assert not out.exists()
    existing = tmp_path / "old.pdf"
    existing.write_bytes(b"old")
    done = cli("letter", "--case", whole, "--out", existing, "--sheet")
    assert done.returncode == 1 and existing.read_bytes() == b"old"  # left as it was
    done = cli("letter", "--case", whole, "--out", out, "--profile", "no_such_profile")
    assert done.returncode == 2 and "no_such_profile" in done.stderr
    done = cli("summary", "--case", whole, "--out", tmp_path / "missing-folder" / "s.pdf")
    assert done.returncode == 2


def test_cli_an_empty_case_asks_the_unknown_facility(tmp_path: Path) -> None:
    from bundler.store import CaseStore

    with CaseStore.open(tmp_path / "empty", create=True):
        pass
    out = tmp_path / "letter.pdf"
    done = cli("letter", "--case", tmp_path / "empty", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "To the records department" in pdf_text(out)
    summary = tmp_path / "summary.pdf"
    done = cli("summary", "--case", tmp_path / "empty", "--out", summary, "--lang", "es")
    assert done.returncode == 0, done.stderr
    assert_one_clean_page(summary, "a4")
