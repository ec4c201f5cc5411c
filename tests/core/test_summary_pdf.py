"""The one-page summary (and the font/text layer under it): always one page, every script
readable and embedded, the key text present, shortened by rule, never clipped.

The PDFs are checked as a reader meets them: page count with pypdf, text and word positions
with poppler's pdftotext, fonts with pdffonts.
"""

from __future__ import annotations

import datetime as _dt
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from bundler.export import fonts
from bundler.export.summary_pdf import (
    SummaryAllergy,
    SummaryData,
    SummaryFlag,
    SummaryGap,
    SummaryMedication,
    SummaryPatient,
    SummaryStudy,
    render_summary,
    short_date,
    summary_data,
    summary_pdf,
)
from bundler.model import (
    CompletenessReport,
    DatePrecision,
    EventKind,
    IdentityReport,
    IdentityStatus,
    ItemResult,
    ItemStatus,
    PersonRecord,
    TimelineEvent,
)
from support import require_tool

PAPERS = ("a4", "letter")
FINGERPRINT = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# Names in each script the page must carry (200-character names are tested separately).
NAMES = {
    "arabic": "محمد عبد الله",
    "hebrew": "שרה כהן",
    "greek": "Ζωή Παπαδοπούλου",
    "cyrillic": "Иван Петрович Смирнов",
    "japanese": "山田 太郎",
    "korean": "김민준",
}


# ------------------------------------------------------------------------------ helpers


def _clean(text: str) -> str:
    """Extracted text as comparable text: NFKC (Arabic presentation forms back to letters),
    without bidi marks, one space between words."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    tool = require_tool("pdftotext")
    done = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, timeout=60,
                          check=True)
    return _clean(done.stdout)


def pdf_fonts(path: Path) -> list[tuple[str, bool]]:
    tool = require_tool("pdffonts")
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60, check=True)
    rows = []
    for line in done.stdout.splitlines()[2:]:
        cols = line.split()
        # name type... emb sub uni object ID: "emb" is the fifth column from the end
        rows.append((cols[0], cols[-5] == "yes"))
    return rows


def word_boxes(path: Path) -> tuple[float, float, list[tuple[str, float, float, float, float]]]:
    """Page size and every word's box (pdftotext -bbox), in points from the top left."""
    tool = require_tool("pdftotext")
    done = subprocess.run([tool, "-bbox", str(path), "-"], capture_output=True, text=True, timeout=60,
                          check=True)
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', done.stdout)
    assert page
    words = [(m.group(5), float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
             for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                                  done.stdout)]
    return float(page.group(1)), float(page.group(2)), words


def assert_one_clean_page(path: Path, paper: str) -> None:
    """One page of the right size; every word inside the margins; every font embedded."""
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    expected = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}[paper]
    assert (round(float(box.width), 1), round(float(box.height), 1)) == (round(expected[0], 1), round(expected[1], 1))
    width, height, words = word_boxes(path)
    assert words
    for text, x0, y0, x1, y1 in words:
        assert 20 <= x0 and x1 <= width - 20, (text, x0, x1)
        assert 20 <= y0 and y1 <= height - 20, (text, y0, y1)
    found = pdf_fonts(path)
    assert found and all(embedded for _, embedded in found), found


def render(tmp_path: Path, data: SummaryData, paper: str = "a4", lang: str = "en", name: str = "s") -> Path:
    out = tmp_path / f"{name}-{paper}-{lang}.pdf"
    render_summary(data, out, paper=paper, lang=lang)
    return out


def _report(items: tuple[ItemResult, ...] = (), *, names: tuple[str, ...] = (), status: IdentityStatus =
            IdentityStatus.CONSISTENT, message: str = "") -> CompletenessReport:
    persons = (PersonRecord(names, ("19620823",), ("MRN-0042",), ()),) if names else ()
    return CompletenessReport("general", "General", items, IdentityReport(status, persons, (), message))


def demo_like() -> SummaryData:
    """What the demo case gives, written out (the store-backed path is tested below)."""
    return SummaryData(
        patient=SummaryPatient(names=("MUÑOZ, ZOË",), birth_date="1962-08-23", ids=("RIV-0042917",),
                               identity=IdentityStatus.CONSISTENT),
        main_concern="A lung nodule that grew; I was told it is cancer.",
        diagnosis="Lung adenocarcinoma, right upper lobe, stage I",
        plan="Lobectomy (surgery to remove part of the lung)",
        decision="Surgery, or radiotherapy (SBRT) instead",
        questions=("What is the most likely diagnosis, and what are the main alternatives?",
                   "What happens if I wait, or do nothing, for a defined time?",
                   "Can I keep working during treatment?"),
        timeline=(
            TimelineEvent("2025-03-03", DatePrecision.DAY, EventKind.STUDY, "Low-dose CT chest (screening)", ()),
            TimelineEvent("2025-06", DatePrecision.MONTH, EventKind.SYMPTOM, "Dry cough that did not go away", ()),
            TimelineEvent("2026-03-03", DatePrecision.DAY, EventKind.STUDY, "CT chest with contrast", ()),
            TimelineEvent("2026-03-19", DatePrecision.DAY, EventKind.PROCEDURE, "CT-guided biopsy, right upper lobe", ()),
            TimelineEvent("", DatePrecision.UNKNOWN, EventKind.DOCUMENT, "Medication list", ()),
        ),
        studies=(
            SummaryStudy("2026-03-24", "MR brain with and without contrast", ("MR",), 3, 72, False, 0, "RIV-5555"),
            SummaryStudy("2026-03-03", "CT chest with contrast", ("CT",), 2, 48, True, 1, "RIV-4444"),
            SummaryStudy("2025-03-03", "Low-dose CT chest", ("CT",), 1, 24, True, 0, "RIV-3333"),
        ),
        documents=(("radiology_report", 2), ("pathology_report", 1), ("visit_note", 1), ("lab_result", 1),
                   ("medication_list", 1)),
        medications=(SummaryMedication("Lisinopril", "10 mg", "once a day", "2023-05"),
                     SummaryMedication("Atorvastatin", "20 mg", "at night")),
        allergies=(SummaryAllergy("Penicillin", "hives"),),
        gaps=(SummaryGap(ItemStatus.MISSING, True, "Radiology reports",
                         "Ask Riverside Imaging for the report of your MR brain of 24 March 2026."),
              SummaryGap(ItemStatus.MISSING, False, "Family history", "Write down who in your family had cancer.")),
        checklist="General",
        flags=(SummaryFlag(("Lung-RADS 4B",), "Lung-RADS category 4B.", "Radiology report, 3 March 2026"),
               SummaryFlag(("cannot exclude", "suspicious for"), "Malignancy cannot be excluded.",
                           "Radiology report, 3 March 2026")),
        made="2026-03-30T10:15+00:00",
        fingerprint=FINGERPRINT,
    )


def extreme(n_studies: int = 60, n_meds: int = 40, names: tuple[str, ...] = ("A",)) -> SummaryData:
    long = "word " * 80
    return SummaryData(
        patient=SummaryPatient(names=names, birth_date="1962", ids=tuple(f"ID-{i:06d}" for i in range(12))),
        main_concern=long, diagnosis=long, plan=long, decision=long,
        questions=tuple(f"Question {i}: {long}" for i in range(14)),
        timeline=tuple(TimelineEvent(f"20{10 + i // 12:02d}-{i % 12 + 1:02d}-01", DatePrecision.DAY, EventKind.STUDY,
                                     f"Event {i} {long}", ()) for i in range(120)),
        studies=tuple(SummaryStudy(f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}", f"Study {i} {long}", ("CT", "PT"), 9,
                                   1200, i % 2 == 0, i % 3) for i in range(n_studies)),
        documents=tuple((k, 3) for k in ("radiology_report", "pathology_report", "operative_report",
                                         "discharge_summary", "visit_note", "lab_result", "medication_list",
                                         "referral_or_insurance", "consent_or_legal", "other")),
        medications=tuple(SummaryMedication(f"Medicine {i} {long}", "10 mg", "twice a day", "2020-01") for i in
                          range(n_meds)),
        allergies=tuple(SummaryAllergy(f"Substance {i}", "rash") for i in range(30)),
        gaps=tuple(SummaryGap(ItemStatus.MISSING, True, f"Item {i}", long) for i in range(17)),
        checklist="Oncology",
        flags=tuple(SummaryFlag(("cannot exclude",), long, "Radiology report, 3 March 2026") for _ in range(50)),
        made="2026-03-30",
        fingerprint=FINGERPRINT,
    )


# ------------------------------------------------------------------------------ the page


@pytest.mark.parametrize("paper", PAPERS)
def test_demo_like_page_has_the_key_text(tmp_path: Path, paper: str) -> None:
    out = render(tmp_path, demo_like(), paper)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    for expected in (
        "Summary for a second opinion",
        "Emergencies first", "crushing chest pain", "thoughts of self-harm", "gives no diagnosis",
        "MUÑOZ, ZOË", "23 Aug 1962", "RIV-0042917",
        "Main concern", "A lung nodule that grew", "Decision to make", "radiotherapy (SBRT)",
        "What happens if I wait", "Can I keep working during treatment?",
        "Timeline", "CT-guided biopsy", "no date",
        "MR brain with and without contrast", "3 / 72", "2 / 48", "missing",
        "Radiology reports: 2", "Pathology reports: 1",
        "Lisinopril 10 mg, once a day, since May 2023", "Penicillin (hives)",
        "Ask Riverside Imaging for the report of your MR brain",
        "Lung-RADS 4B", "“cannot exclude”, “suspicious for” (Radiology report, 3 March 2026): Malignancy",
        "Made on 30 Mar 2026 with Records Bundler",
        "9f86d081 884c7d65",
    ):
        assert expected in text, expected
    assert "more, see INDEX.HTM" not in text  # nothing needed shortening


def test_document_metadata_and_language(tmp_path: Path) -> None:
    out = render(tmp_path, demo_like(), lang="es")
    reader = PdfReader(out)
    assert reader.metadata is not None
    assert reader.metadata.title == "Resumen para una segunda opinión"
    assert reader.metadata.author == "Records Bundler"
    assert reader.metadata.subject
    assert reader.trailer["/Root"]["/Lang"] == "es"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_spanish_page(tmp_path: Path) -> None:
    out = render(tmp_path, demo_like(), "letter", "es")
    assert_one_clean_page(out, "letter")
    text = pdf_text(out)
    for expected in ("Resumen para una segunda opinión", "Primero las urgencias", "No espere a una segunda opinión",
                     "Motivo principal", "Las preguntas del paciente", "Cronología", "Informes de radiología: 2",
                     "Preparado el 30 mar 2026", "Huella de los documentos"):
        assert expected in text, expected


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("paper", PAPERS)
def test_empty_case_is_one_page_and_says_so(tmp_path: Path, paper: str, lang: str) -> None:
    out = render(tmp_path, SummaryData(made="2026-03-30"), paper, lang)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    if lang == "en":
        for expected in ("Emergencies first", "Name: not given", "Born: not given", "has not written this yet",
                         "No images in the records", "Not recorded", "The checklist has not been run",
                         "Records fingerprint: printed only"):
            assert expected in text, expected
    else:
        assert "solo figura en la página de un paquete" in text


@pytest.mark.parametrize("paper", PAPERS)
def test_extreme_case_is_shortened_by_rule(tmp_path: Path, paper: str) -> None:
    out = render(tmp_path, extreme(names=("N" * 200, "山" * 200)), paper)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    # Lists are summarised, with the count of what was left out and where to find it.
    more = [int(n) for n in re.findall(r"and (\d+) more, see INDEX\.HTM", text)]
    collapsed = [int(n) for n in re.findall(r": (\d+) entries, see INDEX\.HTM", text)]
    assert more or collapsed
    assert all(n > 0 for n in more + collapsed)
    # The safety line, the identity and the question for the reviewer are never dropped.
    assert "Emergencies first" in text and "Main concern" in text and "Decision to make" in text
    assert "NNNN" in text and "山山山" in text
    assert "9f86d081" in text
    # Long texts end in an ellipsis at a line's end, never mid-line.
    assert "..." in text  # "…" after NFKC


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize(("studies", "meds"), [(60, 0), (0, 40), (60, 40)])
def test_many_studies_and_medications(tmp_path: Path, paper: str, studies: int, meds: int) -> None:
    data = extreme(studies, meds, names=("YAMADA, Tarou",))
    data = SummaryData(patient=data.patient, studies=data.studies, medications=data.medications, made="2026-03-30",
                       main_concern="Short.")
    out = render(tmp_path, data, paper)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    if studies:
        shown = len(re.findall(r"Study \d+", text))
        hidden = re.search(r"and (\d+) more in the full records", text)
        assert hidden and shown + int(hidden.group(1)) == studies
        assert "Study 0" in text  # newest first: the list keeps its head
    if meds:
        assert "Medicine 0" in text


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("script", sorted(NAMES))
def test_names_in_every_script(tmp_path: Path, paper: str, script: str) -> None:
    name = NAMES[script]
    latin = {"arabic": "Mohammed Abdullah", "hebrew": "Sarah Cohen", "greek": "Zoi Papadopoulou",
             "cyrillic": "Ivan Smirnov", "japanese": "YAMADA, Tarou", "korean": "KIM, Minjun"}[script]
    data = SummaryData(patient=SummaryPatient(names=(name, latin), birth_date="1970-01-02"),
                       main_concern=f"{name} asks about a nodule.", made="2026-03-30")
    out = render(tmp_path, data, paper, name=script)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    # Logical order after extraction: poppler reorders right-to-left text, so a name that was
    # drawn reversed on the page (visual order) reads in its written order here.
    assert name in text, (name, text[:400])
    assert latin in text
    family = {"arabic": "NotoSansArabic", "hebrew": "NotoSansHebrew", "japanese": "NotoSansJP",
              "korean": "NotoSansKR"}.get(script, "NotoSans-")
    assert any(family in f for f, _ in pdf_fonts(out))


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("script", sorted(NAMES))
def test_200_character_names(tmp_path: Path, paper: str, script: str) -> None:
    name = ((NAMES[script] + " ") * 40)[:200]
    out = render(tmp_path, SummaryData(patient=SummaryPatient(names=(name,)), made="2026-03-30"), paper, name=script)
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    first_word = NAMES[script].split()[0]
    assert first_word in text


def test_right_to_left_is_drawn_in_visual_order() -> None:
    """The page holds Hebrew right to left (the last letter leftmost), Latin left to right."""
    line = fonts.fit_line("Name: שרה כהן (Sarah)", 400, 10)
    assert line is not None
    drawn = line.text
    assert drawn.startswith("Name: ")
    assert "ןהכ הרש" in drawn  # "שרה כהן" reversed for display
    assert drawn.endswith("(Sarah)")
    # A sentence that starts with a right-to-left name stays a left-to-right sentence; a
    # right-to-left text stays right-to-left (its final full stop drawn leftmost).
    mixed = fonts.fit_line("שרה כהן asks about a nodule.", 400, 10)
    assert mixed is not None and mixed.text == "ןהכ הרש asks about a nodule." and not mixed.rtl
    hebrew = fonts.fit_line("שרה כהן שואלת.", 400, 10)
    assert hebrew is not None and hebrew.text == ".תלאוש ןהכ הרש" and hebrew.rtl
    assert fonts.direction("محمد عبد الله asks about a nodule.") == "L"
    assert fonts.direction("أخذ المريض Lisinopril يوميا") == "R"
    # Arabic: joined letters (presentation forms), right to left.
    arabic = fonts.fit_line("محمد", 400, 10)
    assert arabic is not None
    # meem (initial), hah (medial), meem (medial), dal (final), drawn right to left
    assert arabic.text == "\ufeaa\ufee4\ufea4\ufee3"
    assert unicodedata.normalize("NFKC", arabic.text)[::-1] == "محمد"


def test_fingerprint_and_qr_only_in_a_package(tmp_path: Path) -> None:
    packaged = render(tmp_path, demo_like(), name="packaged")
    alone = render(tmp_path, SummaryData(made="2026-03-30", fingerprint=None), name="alone")
    assert "9f86d081" in pdf_text(packaged) and "Records fingerprint (SHA-256" in pdf_text(packaged)
    assert "Records fingerprint: printed only" in pdf_text(alone)
    # The QR code is vector art: many small filled squares in the packaged page only.
    def squares(path: Path) -> int:
        content = PdfReader(path).pages[0].get_contents()
        assert content is not None
        return len(re.findall(rb" re\b", content.get_data()))
    assert squares(packaged) > squares(alone) + 100


def test_same_data_same_page_both_sizes() -> None:
    for paper in PAPERS:
        pdf = summary_pdf(demo_like(), paper=paper)
        assert pdf.startswith(b"%PDF-")


def test_write_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "SUMMARY.PDF"
    out.write_bytes(b"old")
    render_summary(demo_like(), out)
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["SUMMARY.PDF"]  # no temporary file left
    with pytest.raises(ValueError):
        render_summary(demo_like(), out, paper="a3")
    assert out.read_bytes().startswith(b"%PDF-")


# ------------------------------------------------------------------------------ the text layer


def test_wrap_respects_width_and_limits() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20
    lines = fonts.wrap(text, 200, 9)
    assert len(lines) > 5 and all(line.width <= 200 + 1e-6 for line in lines)
    short = fonts.wrap(text, 200, 9, max_lines=3)
    assert len(short) == 3 and short[-1].text.endswith("…") and short[-1].width <= 200
    assert fonts.wrap("", 200, 9) == []
    # A word longer than the line is broken, not clipped.
    long_word = fonts.wrap("x" * 500, 100, 9)
    assert len(long_word) > 3 and all(line.width <= 100 for line in long_word)
    # Japanese breaks between characters.
    jp = fonts.wrap("日本語の文章はスペースなしで続く" * 5, 120, 9)
    assert len(jp) > 3 and all(line.width <= 120 for line in jp)


def test_font_per_script() -> None:
    assert fonts.font_for("a") == "RB-NotoSans"
    assert fonts.font_for("Ж") == "RB-NotoSans"
    assert fonts.font_for("Ω") == "RB-NotoSans"
    assert fonts.font_for("ש") == "RB-NotoSansHebrew"
    assert fonts.font_for("\ufee3") == "RB-NotoSansArabic"
    assert fonts.font_for("山") == "RB-NotoSansJP"
    assert fonts.font_for("か") == "RB-NotoSansJP"
    assert fonts.font_for("김") == "RB-NotoSansKR"
    assert fonts.font_for("a", "bold") == "RB-NotoSans-Bold"
    # A character no font has is drawn as U+FFFD, never as an empty box.
    line = fonts.fit_line("a\U0001f600b", 100, 9)
    assert line is not None and line.text == "a\ufffdb"


def test_display_names_from_dicom_person_names() -> None:
    assert fonts.display_names(["Yamada^Tarou=山田^太郎=やまだ^たろう"]) == ("山田 太郎", "Yamada, Tarou")
    assert fonts.display_names(["MUNOZ^ZOE"]) == ("MUNOZ, ZOE",)
    # The patient's own spelling first; the same name from the records adds nothing.
    assert fonts.display_names(["Zoë Muñoz", "MUÑOZ^ZOË"]) == ("Zoë Muñoz",)
    assert fonts.display_names(["Zoë Muñoz", "Muñoz^Zoë=ムニョス^ゾエ"]) == ("ムニョス ゾエ", "Zoë Muñoz")
    assert fonts.display_names(["", ""]) == ()


def test_short_dates() -> None:
    assert short_date("2026-03-03") == "3 Mar 2026"
    assert short_date("20260303", "es") == "3 mar 2026"
    assert short_date("2026-09", "es") == "sept 2026"
    assert short_date("2026") == "2026"
    assert short_date("") == ""


# ------------------------------------------------------------------------------ from a case


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from bundler.demo import write_demo
    from bundler.ingest.pipeline import import_sources
    from bundler.intake import read_intake_file, save_intake
    from bundler.store import CaseStore

    root = tmp_path_factory.mktemp("demo")
    case = write_demo(root / "d", ct_slices=4, matrix=32, today=_dt.date(2026, 3, 30))
    store = CaseStore.open(root / "case", create=True)
    import_sources([case.cd_dir, case.documents_dir], store)
    save_intake(store, read_intake_file(case.intake_file))
    yield store
    store.close()


@pytest.mark.parametrize("paper", PAPERS)
def test_summary_of_the_demo_case(demo_store, tmp_path: Path, paper: str) -> None:  # type: ignore[no-untyped-def]
    from bundler.intake import load_intake
    from bundler.timeline import build_timeline

    intake = load_intake(demo_store)
    timeline = build_timeline(demo_store, intake=intake, today=_dt.date(2026, 3, 30))
    patients = demo_store.patients()
    report = _report(names=tuple(p.name for p in patients))
    data = summary_data(demo_store, report=report, timeline=timeline, intake=intake, lang="en",
                        made="2026-03-30")
    assert data.studies and data.studies[0].date >= data.studies[-1].date  # newest first
    assert sum(s.report for s in data.studies) >= 3  # reports linked by accession
    assert any(s.priors for s in data.studies)  # the current CT has the screening CT as prior
    assert data.questions and data.main_concern
    assert dict(data.documents).get("radiology_report")
    assert data.flags
    out = render(tmp_path, data, paper, name="demo")
    assert_one_clean_page(out, paper)
    text = pdf_text(out)
    assert data.patient.names[0] in text
    assert "Records fingerprint: printed only" in text
    assert "Lung-RADS" in text
