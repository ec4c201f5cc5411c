"""Report language: sections, COMPARISON priors, hedged wording and assessment categories.

The reports below are written for these tests (invented patients, invented findings), in the
shapes real reports take: ALL CAPS and Title Case headings, inline and on their own line,
numbered impressions, PDF line wrapping, Spanish. The demo case's CT report and the shared
FHIR / C-CDA samples (``/work/shared/data/3_health_documents``, HL7 examples) are read as
their readers would give them.
"""

from __future__ import annotations

import base64
import json
import re
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from bundler import reportlang
from bundler.demo import write_demo
from bundler.model import FlaggedPhrase, PriorReference, ReportSection
from bundler.reportlang import (
    SECTION_NAMES,
    analyse_report,
    canonical_regions,
    find_flags,
    find_modality,
    find_priors,
    find_regions,
    split_sections,
)

# --------------------------------------------------------------------------------------------
# Reports written for these tests
# --------------------------------------------------------------------------------------------

CT_LUNG_SCREENING = """\
Northfield Radiology Associates
EXAMINATION: CT CHEST LOW DOSE LUNG CANCER SCREENING
DATE: 04/15/2025
CLINICAL INDICATION: 61-year-old current smoker, 40 pack-years. Annual screening.
TECHNIQUE: Low-dose helical CT of the chest without contrast. CTDIvol 1.9 mGy.
COMPARISON: Low-dose CT chest 04/10/2024.
FINDINGS:
LUNGS: 7 mm solid nodule in the right lower lobe (series 3, image 112), previously 4 mm. No new
nodules. Mild paraseptal emphysema.
MEDIASTINUM: No lymphadenopathy. Incidental note is made of coronary artery calcification.
UPPER ABDOMEN: 1.2 cm hypodense lesion in the left hepatic lobe, likely a cyst, incompletely
characterized.
IMPRESSION:
1. Growing 7 mm solid right lower lobe nodule. Lung-RADS v2022 category 4A. Recommend
follow-up low-dose CT in 3 months; PET/CT may be considered.
2. Coronary artery calcification.
"""

MAMMO_SCREENING = """\
Exam: Screening Mammogram Bilateral, Digital with Tomosynthesis
Clinical History: 52-year-old woman, routine screening. No family history of breast cancer.
Comparison: Prior mammograms 03/02/2023 and 02/14/2022.
Findings: The breasts are heterogeneously dense (BI-RADS density C), which may obscure small
masses. In the right breast upper outer quadrant there is a new 8 mm focal asymmetry seen on the
CC view only. No suspicious calcifications. The left breast is unremarkable.
Impression: Possible focal asymmetry in the right breast. Additional imaging with diagnostic
mammography and ultrasound is recommended.
BI-RADS 0: Incomplete - Need additional imaging evaluation.
"""

MAMMO_DIAGNOSTIC = """\
DIAGNOSTIC MAMMOGRAM AND ULTRASOUND, RIGHT BREAST
INDICATION: Callback from screening for right breast focal asymmetry.
COMPARISON: Screening mammogram of March 3, 2025.
FINDINGS: Spot compression views confirm an irregular 9 mm mass with indistinct margins at
10 o'clock, 6 cm from the nipple. Targeted ultrasound shows a corresponding hypoechoic irregular
mass measuring 9 x 7 x 8 mm, not parallel, with posterior shadowing. No axillary lymphadenopathy.
IMPRESSION: Irregular 9 mm mass in the right breast at 10 o'clock, suspicious for malignancy.
Ultrasound-guided core biopsy is recommended.
ACR BI-RADS Category 4B: Moderate suspicion for malignancy.
"""

THYROID_US = """\
EXAM: US THYROID
HISTORY: Palpable nodule on the left. TSH normal.
TECHNIQUE: Grayscale and color Doppler ultrasound of the thyroid gland.
COMPARISON: None.
FINDINGS:
Right lobe: 4.5 x 1.6 x 1.5 cm. Nodule 1: 0.6 cm spongiform nodule in the mid right lobe
(ACR TI-RADS 1 point, TR1). No follow-up needed.
Left lobe: 4.8 x 1.8 x 1.7 cm. Nodule 2: 1.8 cm solid, hypoechoic, wider-than-tall nodule with
smooth margins and no echogenic foci in the lower pole. ACR TI-RADS points: 4 (TR4).
Isthmus: 3 mm. No cervical lymphadenopathy.
IMPRESSION:
1. 1.8 cm left lower pole nodule, ACR TI-RADS TR4 (moderately suspicious). Fine-needle
aspiration is recommended.
2. Subcentimeter right nodule, TR1, benign appearing.
"""

PROSTATE_MRI = """\
MRI PROSTATE WITHOUT AND WITH CONTRAST
Clinical indication: PSA 7.8 ng/mL, rising. No prior biopsy.
Technique: Multiparametric MRI of the prostate at 3 T (T2, DWI with ADC, DCE).
Comparison: No prior prostate MRI.
Findings:
Prostate volume 48 mL (PSA density 0.16).
Lesion 1: 11 mm focus of marked diffusion restriction in the left posterolateral peripheral zone
at the mid gland, with early enhancement. Focal capsular abutment without definite
extraprostatic extension. PI-RADS 4.
Transition zone: BPH nodules. No suspicious transition zone lesion.
Seminal vesicles and lymph nodes: unremarkable. Nonspecific 5 mm left external iliac node.
Impression:
Left peripheral zone lesion, PI-RADS v2.1 assessment category 4: clinically significant cancer is
likely. Targeted biopsy recommended.
"""

LIVER_MRI = """\
MRI ABDOMEN WITH AND WITHOUT CONTRAST (LIVER PROTOCOL)
HISTORY: Hepatitis C cirrhosis. Surveillance. AFP 42 ng/mL.
TECHNIQUE: Multiphasic MRI of the liver with gadoxetate disodium.
COMPARISON: Ultrasound liver 09/20/2024; CT abdomen and pelvis with contrast 2/2/2024.
FINDINGS:
Liver: Cirrhotic morphology. Segment 7 observation measuring 2.4 cm with nonrim arterial phase
hyperenhancement, nonperipheral washout and an enhancing capsule, new since the prior CT.
LI-RADS v2018 LR-5. Segment 3: 8 mm arterial phase hyperenhancing focus without washout, LR-3,
possibly a perfusion alteration. No tumor in vein.
Spleen: 14 cm. Small varices.
IMPRESSION:
1. 2.4 cm segment 7 observation, LR-5, definitely hepatocellular carcinoma.
2. 8 mm segment 3 observation, LR-3; follow-up MRI in 3 to 6 months is recommended.
"""

SPANISH_CT = """\
INFORME DE TC DE TÓRAX CON CONTRASTE
ESTUDIO: TC de tórax con contraste intravenoso.
HISTORIA CLÍNICA: Varón de 67 años, exfumador. Nódulo pulmonar en radiografía.
TÉCNICA: Adquisición helicoidal tras la administración de contraste yodado intravenoso.
COMPARACIÓN: TC de tórax del 12 de marzo de 2025 y radiografía de tórax del 03/01/2024.
HALLAZGOS: Nódulo sólido espiculado de 16 mm en el lóbulo superior izquierdo, previamente de
9 mm. Adenopatía hiliar izquierda de 12 mm, indeterminada. Sin derrame pleural. No se observan
lesiones óseas sospechosas. Quiste hepático simple, hallazgo incidental.
IMPRESIÓN: Nódulo pulmonar en crecimiento, sospechoso de malignidad. No se puede descartar
afectación ganglionar. Se recomienda PET-TC y biopsia. Lung-RADS 4B.
"""

CT_HEAD_NO_PRIORS = """\
CT HEAD WITHOUT CONTRAST
Reason for exam: Fall, headache.
Comparison: No prior studies.
Findings: No acute intracranial hemorrhage, mass effect or midline shift. Gray-white
differentiation is preserved. Nonspecific periventricular white matter hypodensities, probably
chronic small vessel ischemic change. Paranasal sinuses are clear.
Impression: No acute intracranial abnormality. If symptoms persist, MRI may be considered;
clinical correlation recommended.
"""

CT_ABDOMEN_TWO_PRIORS = """\
1. EXAM: CT abdomen and pelvis with contrast
2. HISTORY: Colon cancer, post right hemicolectomy. Restaging.
3. COMPARISON: CT abdomen and pelvis of 12 March 2025 and MRI liver from 2023-06-01.
4. FINDINGS:
Liver: A 9 mm hypodense lesion in segment 6 is too small to characterize, unchanged. No new
hepatic lesion.
Lymph nodes: A 12 mm mesenteric node near the anastomosis, previously 8 mm, is concerning for
recurrence. Peritoneal nodularity cannot be excluded on this study.
5. IMPRESSION:
Enlarging mesenteric node, concerning for nodal recurrence; PET/CT or tissue sampling is advised.
"""

REPORTS = {
    "ct_lung_screening": CT_LUNG_SCREENING,
    "mammo_screening": MAMMO_SCREENING,
    "mammo_diagnostic": MAMMO_DIAGNOSTIC,
    "thyroid_us": THYROID_US,
    "prostate_mri": PROSTATE_MRI,
    "liver_mri": LIVER_MRI,
    "spanish_ct": SPANISH_CT,
    "ct_head_no_priors": CT_HEAD_NO_PRIORS,
    "ct_abdomen_two_priors": CT_ABDOMEN_TWO_PRIORS,
}


def hedges(flags: tuple[FlaggedPhrase, ...]) -> set[str]:
    return {f.phrase for f in flags if f.kind == "hedge"}


def categories(flags: tuple[FlaggedPhrase, ...]) -> list[str]:
    return [f.phrase for f in flags if f.kind == "category"]


def names(sections: tuple[ReportSection, ...]) -> list[str]:
    return [s.name for s in sections]


# --------------------------------------------------------------------------------------------
# The realistic reports, end to end
# --------------------------------------------------------------------------------------------


def test_ct_lung_screening() -> None:
    sections, priors, flags = analyse_report(CT_LUNG_SCREENING, report_date="2025-04-15")
    assert names(sections) == ["exam", "history", "technique", "comparison", "findings", "impression"]
    assert priors == (PriorReference("Low-dose CT chest 04/10/2024", "2024-04-10", "CT", "chest"),)
    lung = [f for f in flags if f.scale == "Lung-RADS"]
    assert [(f.phrase, f.category, f.section) for f in lung] == [("Lung-RADS 4A", "4A", "impression")]
    assert "Lung-RADS v2022 category 4A" in lung[0].sentence
    assert {"incidental", "likely", "cannot be characterized", "follow-up recommended"} <= hedges(flags)
    follow = next(f for f in flags if f.phrase == "follow-up recommended")
    assert follow.sentence.startswith("Recommend follow-up low-dose CT in 3 months")  # across a line break


def test_screening_mammogram_bi_rads_0() -> None:
    sections, priors, flags = analyse_report(MAMMO_SCREENING, report_date="2025-03-20")
    assert [(s.name, s.heading) for s in sections] == [
        ("exam", "Exam"), ("history", "Clinical History"), ("comparison", "Comparison"),
        ("findings", "Findings"), ("impression", "Impression"),
    ]
    assert priors == (
        PriorReference("Prior mammograms 03/02/2023", "2023-03-02", "MG", "breast"),
        PriorReference("02/14/2022", "2022-02-14", "MG", "breast"),
    )
    assert categories(flags) == ["BI-RADS 0"], "'BI-RADS density C' is breast density, not an assessment"
    assert "possible" in hedges(flags)
    assert "suspicious" not in hedges(flags), "No suspicious calcifications"


def test_diagnostic_mammogram_bi_rads_4b() -> None:
    _, priors, flags = analyse_report(MAMMO_DIAGNOSTIC, report_date="2025-03-20")
    assert priors == (PriorReference("Screening mammogram of March 3, 2025", "2025-03-03", "MG", "breast"),)
    [birads] = [f for f in flags if f.kind == "category"]
    assert (birads.scale, birads.category, birads.phrase) == ("BI-RADS", "4B", "BI-RADS 4B")
    assert birads.sentence == "ACR BI-RADS Category 4B: Moderate suspicion for malignancy."
    assert {"suspicious for", "biopsy recommended"} <= hedges(flags)


def test_thyroid_ultrasound_ti_rads() -> None:
    _, priors, flags = analyse_report(THYROID_US)
    assert priors == (), "COMPARISON: None."
    assert categories(flags) == ["TI-RADS TR1", "TI-RADS TR4", "TI-RADS TR4", "TI-RADS TR1"]
    assert all("point" not in f.category for f in flags)
    assert {"suspicious", "biopsy recommended"} <= hedges(flags)  # fine-needle aspiration
    assert "follow-up recommended" not in hedges(flags), "No follow-up needed"


def test_prostate_mri_pi_rads_4() -> None:
    _, priors, flags = analyse_report(PROSTATE_MRI)
    assert priors == (), "'No prior prostate MRI' names no prior"
    assert categories(flags) == ["PI-RADS 4", "PI-RADS 4"]
    assert {"nonspecific", "likely", "biopsy recommended"} <= hedges(flags)
    assert "suspicious" not in hedges(flags), "No suspicious transition zone lesion"


def test_liver_mri_li_rads() -> None:
    _, priors, flags = analyse_report(LIVER_MRI, report_date="2025-01-10")
    assert priors == (
        PriorReference("Ultrasound liver 09/20/2024", "2024-09-20", "US", "liver"),
        PriorReference("CT abdomen and pelvis with contrast 2/2/2024", "2024-02-02", "CT", "abdomen, pelvis"),
    )
    assert categories(flags) == ["LI-RADS LR-5", "LI-RADS LR-3", "LI-RADS LR-5", "LI-RADS LR-3"]
    assert {"possible", "follow-up recommended"} <= hedges(flags)


def test_spanish_report() -> None:
    sections, priors, flags = analyse_report(SPANISH_CT, report_date="2025-09-01")
    assert [(s.name, s.heading) for s in sections] == [
        ("exam", "ESTUDIO"), ("history", "HISTORIA CLÍNICA"), ("technique", "TÉCNICA"),
        ("comparison", "COMPARACIÓN"), ("findings", "HALLAZGOS"), ("impression", "IMPRESIÓN"),
    ]
    # A Spanish report writes dates day first: 03/01/2024 is 3 January.
    assert priors == (
        PriorReference("TC de tórax del 12 de marzo de 2025", "2025-03-12", "CT", "tórax"),
        PriorReference("radiografía de tórax del 03/01/2024", "2024-01-03", "CR", "tórax"),
    )
    assert {"indeterminado", "incidental", "sospechoso de", "no se puede descartar", "biopsia recomendada"} <= hedges(flags)
    assert "sospechoso" not in hedges(flags), "No se observan lesiones óseas sospechosas"
    assert categories(flags) == ["Lung-RADS 4B"]


def test_no_prior_studies() -> None:
    _, priors, flags = analyse_report(CT_HEAD_NO_PRIORS)
    assert priors == ()
    assert {"nonspecific", "probable", "clinical correlation recommended"} <= hedges(flags)


def test_numbered_headings_and_two_priors() -> None:
    sections, priors, flags = analyse_report(CT_ABDOMEN_TWO_PRIORS)
    assert names(sections) == ["exam", "history", "comparison", "findings", "impression"]
    assert sections[0].text == "CT abdomen and pelvis with contrast"
    assert priors == (
        PriorReference("CT abdomen and pelvis of 12 March 2025", "2025-03-12", "CT", "abdomen, pelvis"),
        PriorReference("MRI liver from 2023-06-01", "2023-06-01", "MR", "liver"),
    )
    assert {"concerning for", "cannot be excluded", "biopsy recommended"} <= hedges(flags)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_flag_names_its_section_and_sentence(name: str) -> None:
    text = REPORTS[name]
    sections, _, flags = analyse_report(text)
    flat = " ".join(text.split())
    assert flags
    for flag in flags:
        assert flag.section in {s.name for s in sections} | {""}
        assert flag.sentence and flag.sentence in flat
    assert find_flags(text, sections) == flags, "given sections label the same way"


# --------------------------------------------------------------------------------------------
# The demo case's CT report (PDF text as pypdf extracts it)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    case = write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32)
    reader = PdfReader(case.documents_dir / "CT_Chest_Report.pdf")
    return "\n".join(page.extract_text() for page in reader.pages), case


def test_demo_report_prior_is_the_prior_ct(demo_report: tuple[str, object]) -> None:
    text, case = demo_report
    cts = sorted((s for s in case.studies if s.modality == "CT"), key=lambda s: s.date)  # type: ignore[attr-defined]
    prior_study, current = cts[0], cts[-1]
    current_iso = f"{current.date[:4]}-{current.date[4:6]}-{current.date[6:]}"
    sections, priors, flags = analyse_report(text, report_date=current_iso)
    assert names(sections) == ["exam", "history", "technique", "comparison", "findings", "impression"]
    assert sections[1].heading == "HISTORY/CLINICAL INDICATION"
    [prior] = priors
    assert prior.date.replace("-", "") == prior_study.date
    assert (prior.modality, prior.region) == ("CT", "chest")
    assert prior_study.accession in prior.text
    assert find_priors(text) == priors, "the date is unambiguous without the report date"
    [lung] = [f for f in flags if f.kind == "category"]
    assert (lung.scale, lung.category, lung.section) == ("Lung-RADS", "4B", "impression")
    found = hedges(flags)
    assert {"suspicious for", "indeterminate", "cannot be excluded", "follow-up recommended",
            "biopsy recommended", "cannot be characterized"} <= found
    # "No suspicious osseous lesion." is negated; the impression's "suspicious for" is not.
    assert all("osseous" not in f.sentence for f in flags)


# --------------------------------------------------------------------------------------------
# The shared FHIR and C-CDA samples
# --------------------------------------------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"
HL7 = "{urn:hl7-org:v3}"


def _fhir_chest_xray_text(shared: Path) -> tuple[str, str]:
    report = json.loads((shared / "3_health_documents/fhir_r4/us_core/DiagnosticReport-chest-xray-report.json").read_text())
    xhtml = base64.b64decode(report["presentedForm"][0]["data"]).decode()
    xhtml = re.sub(r"<!DOCTYPE[^>]*>", "", xhtml)
    body = ET.fromstring(xhtml.strip()).find(f"{XHTML}body")
    assert body is not None
    lines = [t.strip() for t in body.itertext() if t.strip()]
    return "\n".join(lines), report["effectiveDateTime"]


def test_fhir_chest_xray_report(shared_data: Path) -> None:
    text, date = _fhir_chest_xray_text(shared_data)
    sections, priors, flags = analyse_report(text, report_date=date)
    assert [(s.name, s.heading) for s in sections] == [
        ("history", "INDICATION/CLINICAL QUESTION"), ("comparison", "COMPARISON"),
        ("findings", "FINDINGS"), ("impression", "IMPRESSION"),
    ]
    assert sections[1].text == "None."
    # Sub-headings stay inside FINDINGS, where a reviewer expects them.
    assert "LUNGS AND PLEURA:" in sections[2].text and "No pneumothorax." in sections[2].text
    assert sections[3].text.startswith("No acute abnormality.")
    assert priors == ()
    assert flags == (), "a normal chest X-ray has nothing hedged"


def _ccda_narrative(path: Path) -> str:
    root = ET.parse(path).getroot()
    parts = []
    for section in root.iter(f"{HL7}section"):
        title, text = section.find(f"{HL7}title"), section.find(f"{HL7}text")
        if title is not None and text is not None and title.text:
            parts.append(f"{title.text}:\n" + " ".join(" ".join(text.itertext()).split()))
    return "\n".join(parts)


def test_ccda_diagnostic_imaging_report(shared_data: Path) -> None:
    text = _ccda_narrative(shared_data / "3_health_documents/ccda/full_documents/Diagnostic_Imaging_Report.xml")
    sections, priors, flags = analyse_report(text)
    assert [(s.name, s.heading) for s in sections] == [
        ("history", "Indications for Procedure"), ("history", "History"),
        ("findings", "Findings"), ("impression", "Impressions"),
    ]
    assert priors == ()
    by_phrase = {(f.phrase, f.section): f.sentence for f in flags if f.kind == "hedge"}
    assert by_phrase[("not excluded", "impression")].endswith("as underlying malignancy is not excluded.")
    assert ("further evaluation recommended", "impression") in by_phrase
    assert by_phrase[("further evaluation recommended", "findings")] == (
        "A CT scan is recommended for further evaluation."
    )
    assert [f for f in flags if f.kind == "category"] == []


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("EXAM", "exam"), ("EXAMINATION", "exam"), ("PROCEDURE", "exam"),
        ("CLINICAL HISTORY", "history"), ("HISTORY", "history"), ("INDICATION", "history"),
        ("CLINICAL INDICATION", "history"), ("REASON FOR EXAM", "history"),
        ("TECHNIQUE", "technique"), ("PROTOCOL", "technique"),
        ("COMPARISON", "comparison"), ("PRIOR STUDIES", "comparison"),
        ("FINDINGS", "findings"),
        ("IMPRESSION", "impression"), ("CONCLUSION", "impression"), ("OPINION", "impression"),
        ("SUMMARY", "impression"),
        ("ESTUDIO", "exam"), ("HISTORIA CLÍNICA", "history"), ("INDICACIÓN", "history"),
        ("TÉCNICA", "technique"), ("COMPARACIÓN", "comparison"), ("HALLAZGOS", "findings"),
        ("IMPRESIÓN", "impression"), ("CONCLUSIÓN", "impression"),
        ("TECNICA", "technique"), ("COMPARACION", "comparison"), ("IMPRESION", "impression"),
        ("ADDENDUM", "other"), ("RECOMMENDATIONS", "other"),
    ],
)
def test_heading_names(heading: str, name: str) -> None:
    for written in (heading, heading.title(), heading.lower()):
        [section] = split_sections(f"{written}: some text")
        assert (section.name, section.heading, section.text) == (name, written, "some text")
    [section] = split_sections(f"{heading.title()}\nsome text")  # alone on its line
    assert (section.name, section.text) == (name, "some text")


def test_heading_forms() -> None:
    text = (
        "RADIOLOGY REPORT\n"
        "  1. Exam - CT head without contrast\n"
        "2) Clinical History: fall\n"
        "**Comparison:** none\n"
        "FINDINGS\n"
        "No hemorrhage.\n"
        "Findings discussed with Dr. Lee by telephone.\n"  # prose, not a heading
        "Impression\n"
        "Negative.\n"
    )
    sections = split_sections(text)
    assert [(s.name, s.heading, s.text) for s in sections] == [
        ("exam", "Exam", "CT head without contrast"),
        ("history", "Clinical History", "fall"),
        ("comparison", "Comparison", "none"),
        ("findings", "FINDINGS", "No hemorrhage.\nFindings discussed with Dr. Lee by telephone."),
        ("impression", "Impression", "Negative."),
    ]


def test_flattened_one_line_report() -> None:
    text = "EXAM: CT HEAD. HISTORY: Fall. COMPARISON: CT head 01/02/2024. FINDINGS: No bleed. IMPRESSION: Negative."
    sections = split_sections(text)
    assert [(s.name, s.text) for s in sections] == [
        ("exam", "CT HEAD."), ("history", "Fall."), ("comparison", "CT head 01/02/2024."),
        ("findings", "No bleed."), ("impression", "Negative."),
    ]
    assert find_priors(text) == (PriorReference("CT head 01/02/2024", "2024-01-02", "CT", "head"),)


def test_combined_headings_take_the_first_name() -> None:
    sections = split_sections("HISTORY/CLINICAL INDICATION: cough\nFINDINGS AND IMPRESSION: Normal.")
    assert [(s.name, s.heading) for s in sections] == [
        ("history", "HISTORY/CLINICAL INDICATION"), ("findings", "FINDINGS AND IMPRESSION"),
    ]


def test_not_headings() -> None:
    assert split_sections("Exam date\n23 August 2026\nStatus\nFinal") == ()
    assert split_sections("the nodule was seen on\nfindings\nof the prior exam") == (), "lower-case wrapped word"
    assert split_sections("History of smoking. Impression of the referring doctor") == ()
    assert split_sections("") == ()
    # A heading word inside another word is not a heading.
    assert split_sections("Findingsless: x\nPriorities: y") == ()


# --------------------------------------------------------------------------------------------
# Priors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "expected"),
    [
        ("CT chest of 12 March 2025", [("CT chest of 12 March 2025", "2025-03-12", "CT", "chest")]),
        (
            "Comparison: CT chest 03/12/2025 and chest radiograph 01/02/2024",
            [("CT chest 03/12/2025", "2025-03-12", "CT", "chest"),
             ("chest radiograph 01/02/2024", "2024-01-02", "CR", "chest")],
        ),
        ("Prior MRI brain from 2023-06-01", [("Prior MRI brain from 2023-06-01", "2023-06-01", "MR", "brain")]),
        ("None.", []),
        ("No prior studies.", []),
        ("None available for comparison.", []),
        ("Sin estudios previos.", []),
        ("prior CT from last year", [("prior CT from last year", "", "CT", "")]),
        ("The previous examination.", [("The previous examination", "", "", "")]),
        ("MRI lumbar spine March 12, 2025", [("MRI lumbar spine March 12, 2025", "2025-03-12", "MR", "lumbar spine")]),
        ("PET/CT 12-Mar-2025", [("PET/CT 12-Mar-2025", "2025-03-12", "PT", "")]),
        ("bone scan 20240105", [("bone scan 20240105", "2024-01-05", "NM", "")]),
        ("CXR 2/3/19", [("CXR 2/3/19", "2019-02-03", "CR", "chest")]),
        ("X-ray of the left knee, March 2024", [("X-ray of the left knee, March 2024", "2024-03", "CR", "knee")]),
        ("Pelvic sonogram 06/2023", [("Pelvic sonogram 06/2023", "2023-06", "US", "Pelvic")]),
        ("Fluoroscopy (barium swallow) in 2021", [("Fluoroscopy (barium swallow) in 2021", "2021", "RF", "")]),
        ("Angiogram of 1 Feb 2024; CT angiogram of 2 Feb 2024",
         [("Angiogram of 1 Feb 2024", "2024-02-01", "XA", ""), ("CT angiogram of 2 Feb 2024", "2024-02-02", "CT", "")]),
        ("No prior CT. Chest radiograph 01/02/2024.", [("Chest radiograph 01/02/2024", "2024-01-02", "CR", "Chest")]),
        ("CT chest, abdomen and pelvis 1/5/2025",
         [("CT chest, abdomen and pelvis 1/5/2025", "2025-01-05", "CT", "chest, abdomen, pelvis")]),
        ("CT chest 01/01/2025 and 03/12/2025",
         [("CT chest 01/01/2025", "2025-01-01", "CT", "chest"), ("03/12/2025", "2025-03-12", "CT", "chest")]),
        ("ecografía de mama del 5 de noviembre de 2024",
         [("ecografía de mama del 5 de noviembre de 2024", "2024-11-05", "US", "mama")]),
        ("Discussed with Mr. Jones.", []),  # "Mr." is not MR
    ],
)
def test_priors(comparison: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert find_priors(comparison) == tuple(PriorReference(*e) for e in expected)


def test_a_report_without_a_comparison_section_names_no_priors() -> None:
    assert find_priors("EXAM: CT chest 03/12/2025\nFINDINGS: Normal.") == ()
    assert analyse_report("CT chest 03/12/2025. Normal.")[1] == (), "analyse_report reads COMPARISON only"


@pytest.mark.parametrize(
    ("text", "report_date", "date"),
    [
        ("CT 03/12/2025", "", "2025-03-12"),  # US convention by default
        ("CT 13/03/2025", "", "2025-03-13"),  # a part above 12 settles it
        ("CT 03/13/2025", "", "2025-03-13"),
        ("CT 03/12/2025", "2025-05-01", "2025-03-12"),  # 3 December would postdate the report
        ("CT 04/12/2025", "2025-10-01", "2025-04-12"),  # both before the report: convention
        ("CT 12/03/2025", "2025-05-01", "2025-03-12"),  # December would postdate the report
        ("CT 12.03.2025", "", "2025-03-12"),  # dotted: day first (European)
        ("TC de tórax del 03/12/2025", "", "2025-12-03"),  # Spanish: day first
        ("CT 3-12-25", "", "2025-03-12"),
        ("CT 3/12/70", "", "1970-03-12"),  # POSIX %y pivot without a report date
        ("CT 3/12/30", "2026-01-01", "1930-03-12"),  # 2030 would postdate the report
        ("CT 3/12/25", "2026-01-01", "2025-03-12"),
        ("CT 31/02/2025", "", ""),  # no such day either way
        ("CT 2025-02-30", "", ""),
        ("CT 12 de marzo del 2025", "", "2025-03-12"),
        ("CT marzo de 2025", "", "2025-03"),
        ("CT 12th of March 2025", "", "2025-03-12"),
        ("CT Sept. 9, 2024", "", "2024-09-09"),
    ],
)
def test_prior_dates(text: str, report_date: str, date: str) -> None:
    [prior] = find_priors(text, report_date=report_date)
    assert (prior.date, prior.modality) == (date, "CT")


@pytest.mark.parametrize(
    ("words", "code"),
    [
        ("CT", "CT"), ("computed tomography", "CT"), ("LDCT", "CT"), ("CTA", "CT"), ("TC", "CT"),
        ("MRI", "MR"), ("MR", "MR"), ("magnetic resonance imaging", "MR"), ("RM", "MR"),
        ("resonancia magnética", "MR"),
        ("radiograph", "CR"), ("X-ray", "CR"), ("x-ray", "CR"), ("xray", "CR"), ("CXR", "CR"),
        ("radiografía", "CR"),
        ("ultrasound", "US"), ("sonogram", "US"), ("US", "US"), ("ecografía", "US"),
        ("PET", "PT"), ("PET/CT", "PT"), ("PET-CT", "PT"),
        ("nuclear medicine", "NM"), ("bone scan", "NM"), ("mammogram", "MG"), ("mammography", "MG"),
        ("angiogram", "XA"), ("CT angiogram", "CT"), ("MR angiography", "MR"), ("fluoroscopy", "RF"),
        ("us", ""), ("Mr. Jones", ""), ("MRN 1234", ""), ("scan", ""), ("", ""),
    ],
)
def test_modality_codes(words: str, code: str) -> None:
    assert find_modality(f"Prior {words} of the abdomen") == code


def test_regions() -> None:
    assert find_regions("CT chest, abdomen and pelvis; thoracic spine; Chest") == (
        "chest", "abdomen", "pelvis", "thoracic spine")
    assert canonical_regions("CT CHEST LOW DOSE LUNG SCREENING") == {"chest"}
    assert canonical_regions("MRI BRAIN") == canonical_regions("ct head") == {"head"}
    assert canonical_regions("CHESTABDPELVIS") == {"chest", "abdomen", "pelvis"}
    assert canonical_regions("L_SPINE LSPINE") == {"spine"}
    assert canonical_regions("chestnut headline") == set()


# --------------------------------------------------------------------------------------------
# Flags: hedges, negation, categories, word boundaries
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Indeterminate 8 mm nodule.", "indeterminate"),
        ("Malignancy cannot exclude.", "cannot exclude"),
        ("We cannot entirely exclude a small leak.", "cannot exclude"),
        ("Metastasis cannot be excluded.", "cannot be excluded"),
        ("A fracture can not be completely excluded.", "cannot be excluded"),
        ("Cannot rule out infection.", "cannot rule out"),
        ("Can\u2019t rule out infection.", "cannot rule out"),
        ("Infection cannot be ruled out.", "cannot rule out"),
        ("Malignancy is not excluded.", "not excluded"),
        ("Findings suspicious for lymphoma.", "suspicious for"),
        ("Mass concerning for sarcoma.", "concerning for"),
        ("Worrisome for abscess.", "worrisome for"),
        ("Clinical correlation recommended.", "clinical correlation recommended"),
        ("Please correlate clinically.", "clinical correlation recommended"),
        ("Incidental 4 mm thyroid nodule.", "incidental"),
        ("Adrenal incidentaloma.", "incidentaloma"),
        ("Follow-up recommended.", "follow-up recommended"),
        ("Followup is recommended.", "follow-up recommended"),
        ("We recommend follow-up in 6 months.", "follow-up recommended"),
        ("Follow-up CT in 3 months is recommended.", "follow-up recommended"),
        ("Likely atelectasis.", "likely"),
        ("Most likely atelectasis.", "likely"),
        ("Possible small effusion.", "possible"),
        ("Probable scarring.", "probable"),
        ("Equivocal enhancement.", "equivocal"),
        ("Nonspecific nodes.", "nonspecific"),
        ("Non-specific nodes.", "nonspecific"),
        ("Malignancy is unlikely.", "unlikely"),
        ("Limited study due to motion.", "limited study"),
        ("Hallazgo incidental.", "incidental"),
        ("Lesión indeterminada.", "indeterminado"),
        ("Se recomienda correlación clínica.", "correlación clínica"),
        ("Probablemente benigno.", "probable"),
        ("Hallazgos inespecíficos.", "inespecífico"),
        ("INDETERMINATE NODULE.", "indeterminate"),
    ],
)
def test_hedges(text: str, phrase: str) -> None:
    flags = find_flags(text)
    assert phrase in hedges(flags), flags
    assert all(f.sentence == text for f in flags)


@pytest.mark.parametrize(
    "text",
    [
        "No suspicious lesion.",
        "No findings suspicious for malignancy.",
        "There is no evidence of a lesion suspicious for malignancy.",
        "No lymph nodes concerning for metastasis.",
        "Without findings worrisome for infection.",
        "Negative for suspicious calcifications.",
        "The lesion is not suspicious.",
        "No indeterminate nodules.",
        "No incidental findings.",
        "No follow-up is needed or recommended.",
        "Sin lesiones sospechosas.",
        "No se observan lesiones óseas sospechosas.",
        "Please call as soon as possible.",
        "No equivocal words here at all, just unlikelihood and likelyhood.",
    ],
)
def test_negated_or_not_hedging(text: str) -> None:
    found = hedges(find_flags(text))
    assert not found - {"equivocal"}, found


def test_negation_stays_in_its_clause() -> None:
    flags = find_flags("No pleural effusion, but a mass suspicious for malignancy is present.")
    assert hedges(flags) == {"suspicious for"}
    flags = find_flags("No pleural effusion. Suspicious mass in the left upper lobe.")
    assert hedges(flags) == {"suspicious"}
    # "No change" is not a negation of what follows.
    assert hedges(find_flags("No change in the indeterminate nodule.")) == {"indeterminate"}
    assert hedges(find_flags("No significant interval change of the suspicious mass.")) == {"suspicious"}


def test_longest_phrase_wins_and_words_are_matched_once() -> None:
    flags = find_flags("Most likely benign. Suspicious for abscess.")
    assert [f.phrase for f in flags] == ["likely", "suspicious for"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BI-RADS 4B", ("BI-RADS", "4B")),
        ("BIRADS 4a", ("BI-RADS", "4A")),
        ("Bi-RADS: 0", ("BI-RADS", "0")),
        ("BI-RADS category 4C", ("BI-RADS", "4C")),
        ("ACR BI-RADS Category 6: Known biopsy-proven malignancy", ("BI-RADS", "6")),
        ("BI-RADS 3", ("BI-RADS", "3")),
        ("ACR TI-RADS 3", ("TI-RADS", "TR3")),
        ("TR3", ("TI-RADS", "TR3")),
        ("TI-RADS TR5", ("TI-RADS", "TR5")),
        ("TIRADS level 2", ("TI-RADS", "TR2")),
        ("Lung-RADS 0", ("Lung-RADS", "0")),
        ("Lung-RADS 1", ("Lung-RADS", "1")),
        ("Lung-RADS 2", ("Lung-RADS", "2")),
        ("Lung-RADS 3", ("Lung-RADS", "3")),
        ("Lung-RADS 4A", ("Lung-RADS", "4A")),
        ("Lung-RADS 4X", ("Lung-RADS", "4X")),
        ("Lung-RADS v2022 category 4B", ("Lung-RADS", "4B")),
        ("Lung-RADS 2S", ("Lung-RADS", "2S")),
        ("Lung-RADS 4B S", ("Lung-RADS", "4BS")),
        ("LungRADS category 3", ("Lung-RADS", "3")),
        ("PI-RADS 4", ("PI-RADS", "4")),
        ("PI-RADS v2.1 score 5", ("PI-RADS", "5")),
        ("PI-RADS 3/5", ("PI-RADS", "3")),
        ("LI-RADS LR-5", ("LI-RADS", "LR-5")),
        ("LR-1", ("LI-RADS", "LR-1")),
        ("LR-M", ("LI-RADS", "LR-M")),
        ("LR-TIV", ("LI-RADS", "LR-TIV")),
        ("LR-NC", ("LI-RADS", "LR-NC")),
        ("LI-RADS v2018 category 4", ("LI-RADS", "LR-4")),
        ("LI-RADS 5", ("LI-RADS", "LR-5")),
    ],
)
def test_categories(text: str, expected: tuple[str, str]) -> None:
    [flag] = find_flags(f"Assessment of the lesion: {text}. End.")
    assert (flag.kind, flag.scale, flag.category) == ("category", *expected)
    assert flag.phrase == f"{expected[0]} {expected[1]}"


@pytest.mark.parametrize(
    "text",
    [
        "BIRADSX", "BI-RADS", "BI-RADS 7", "BI-RADS 5A", "BI-RADS 0-6", "BI-RADS density C",
        "BI-RADS 5th edition", "ACR BI-RADS Atlas", "XBI-RADS 4", "BI-RADS 44",
        "TI-RADS 4 points", "TI-RADS 7", "EU-TIRADS 4", "TR35", "TR6", "tr3", "STR3",
        "Lung-RADS 3A", "Lung-RADS 5", "Lung-RADS 2 Stable",
        "PI-RADS 2.1", "PI-RADS 6", "PI-RADS 4.5",
        "LR-6", "LRM", "lr-5", "XLR-5", "LR-5V",
        "category 4",  # no scale named, not a breast report: not guessed
    ],
)
def test_not_categories(text: str) -> None:
    found = [f for f in find_flags(f"Text {text} end") if f.kind == "category"]
    if text == "Lung-RADS 2 Stable":
        assert [f.category for f in found] == ["2"]  # "S" of "Stable" is not the S modifier
    else:
        assert found == [], found


def test_bare_category_takes_the_reports_scale() -> None:
    mammo = "EXAM: Diagnostic mammogram\nASSESSMENT: Category 4: Suspicious abnormality."
    [cat] = [f for f in find_flags(mammo) if f.kind == "category"]
    assert (cat.phrase, cat.section) == ("BI-RADS 4", "impression")
    lung = "Lung-RADS assessment.\nFINDINGS: nodule.\nIMPRESSION: Category 4B."
    assert categories(find_flags(lung)) == ["Lung-RADS 4B"]
    two_scales = "BI-RADS 2. Lung-RADS 2. Category 4."
    assert categories(find_flags(two_scales)) == ["BI-RADS 2", "Lung-RADS 2"], "two scales: not guessed"


def test_flags_outside_any_section_and_given_sections() -> None:
    text = "Preamble: probable scarring.\nIMPRESSION: Possible effusion."
    flags = find_flags(text)
    assert [(f.phrase, f.section) for f in flags] == [("probable", ""), ("possible", "impression")]
    elsewhere = (ReportSection("findings", "FINDINGS", "Equivocal enhancement."),)
    assert [(f.phrase, f.section) for f in find_flags(text, elsewhere)] == [
        ("probable", ""), ("possible", ""), ("equivocal", "findings"),
    ]


def test_long_sentences_are_cut_with_an_ellipsis() -> None:
    text = "word " * 2000 + "indeterminate " + "word " * 2000
    [flag] = find_flags(text)
    assert flag.sentence.startswith("\u2026") and flag.sentence.endswith("\u2026")
    assert "indeterminate" in flag.sentence and len(flag.sentence) < 1000


# --------------------------------------------------------------------------------------------
# The phrase list is data
# --------------------------------------------------------------------------------------------


def _phrase_entries() -> list[dict[str, object]]:
    import importlib.resources

    data = tomllib.loads(
        importlib.resources.files("bundler_resources").joinpath("reportlang", "phrases.toml").read_text("utf-8")
    )
    return list(data["phrase"])


def _plain(pattern: str) -> str:
    """One way to write ``pattern``: first choice of each {..}, no optional words, no gap."""
    out = re.sub(r"\[[^\]]*\]", "", pattern)
    out = re.sub(r"\{([^|}]*)[^}]*\}", r"\1", out)
    return " ".join(w for w in out.split() if w != "...")


def test_phrase_list_has_english_and_spanish_and_every_pattern_is_found() -> None:
    entries = _phrase_entries()
    assert {e["lang"] for e in entries} == {"en", "es"}
    for name in ("indeterminate", "cannot exclude", "cannot rule out", "suspicious for",
                 "clinical correlation recommended", "incidental", "follow-up recommended"):
        assert any(e["phrase"] == name for e in entries), name
    for entry in entries:
        for pattern in entry["patterns"]:  # type: ignore[attr-defined]
            sample = _plain(pattern)
            found = hedges(find_flags(f"Report says {sample} here."))
            assert entry["phrase"] in found, (pattern, sample, found)


@pytest.mark.parametrize("pattern", ["[optional] first", "{a|b", "a]", "", "a {|b}", "a ...", "{a|...} b"])
def test_malformed_phrase_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        reportlang._compile_pattern(pattern)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_VOCABULARY = [
    "FINDINGS:", "IMPRESSION:", "COMPARISON:", "Comparison", "EXAM", "HISTORY/", "\n", "\n\n",
    ". ", ", ", "; ", " and ", " y ", "(", ")", ":", "-", "/", "1.", "2)", "no", "not", "No",
    "CT", "MRI", "chest", "brain", "x-ray", "PET/CT", "12", "03/12/2025", "2024-06-01",
    "12 March 2025", "March 12, 2025", "12 de marzo de 2025", "25", "from", "de", "last year",
    "BI-RADS", "4B", "Lung-RADS", "TR3", "LR-5", "LR-", "category", "PI-RADS", "4", "S",
    "suspicious", "for", "cannot", "be", "excluded", "likely", "unlikely", "follow-up",
    "recommended", "...", "sin", "sospechoso", "é", "\u00ad", "\ufb01", "\r\n", "\t", " ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(st.text(), st.lists(st.sampled_from(_VOCABULARY), max_size=80).map("".join),
                   st.lists(st.sampled_from(_VOCABULARY), max_size=80).map(" ".join)),
    report_date=st.one_of(st.just(""), st.text(max_size=12), st.dates().map(str),
                          st.dates().map(lambda d: d.strftime("%Y%m%d"))),
)
def test_never_raises_and_results_are_well_formed(text: str, report_date: str) -> None:
    sections, priors, flags = analyse_report(text, report_date=report_date)
    assert all(s.name in SECTION_NAMES for s in sections)
    for prior in priors:
        assert prior.text
        assert re.fullmatch(r"|\d{4}(-\d{2}(-\d{2})?)?", prior.date)
        assert prior.modality in {"", "CT", "MR", "CR", "US", "PT", "NM", "MG", "XA", "RF"}
    for flag in flags:
        assert flag.kind in {"hedge", "category"} and flag.sentence.strip()
        assert flag.section in SECTION_NAMES or flag.section == ""
    assert isinstance(find_priors(text, report_date=report_date), tuple)
    assert find_flags(text, sections) == find_flags(text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(), sections=st.lists(
    st.builds(ReportSection, st.sampled_from(SECTION_NAMES), st.text(max_size=10), st.text(max_size=40)),
    max_size=4))
def test_find_flags_never_raises_with_any_sections(text: str, sections: list[ReportSection]) -> None:
    find_flags(text, sections)


def _samples() -> list[tuple[str, str]]:
    """(text, what it flags): one plain rendering of every phrase pattern, and categories."""
    out = [(_plain(p), str(e["phrase"])) for e in _phrase_entries() for p in e["patterns"]]  # type: ignore[attr-defined]
    out += [(c, c) for c in ("BI-RADS 4", "ACR TI-RADS 3", "TR3", "Lung-RADS 2", "PI-RADS 4", "LI-RADS LR-5", "LR-5")]
    return out


_CATEGORY_OF = {"BI-RADS 4": "BI-RADS 4", "ACR TI-RADS 3": "TI-RADS TR3", "TR3": "TI-RADS TR3",
                "Lung-RADS 2": "Lung-RADS 2", "PI-RADS 4": "PI-RADS 4", "LI-RADS LR-5": "LI-RADS LR-5",
                "LR-5": "LI-RADS LR-5"}


@settings(max_examples=400, deadline=None)
@given(
    sample=st.sampled_from(_samples()),
    # Glue that cannot turn one listed word into another: "un" + "likely" and "indeterminado"
    # + "s" are words of their own (tested above), so vowels, n, s and friends are left out.
    glue=st.text(alphabet="kqwzjxKQWZJX0123456789_ñ", min_size=1, max_size=4),
    side=st.sampled_from(["before", "after"]),
)
def test_never_matches_inside_a_word(sample: tuple[str, str], glue: str, side: str) -> None:
    words, phrase = sample
    phrase = _CATEGORY_OF.get(words, phrase)
    assert phrase in {f.phrase for f in find_flags(f"x {words} x")}, "the sample itself is found"
    # Gluing spoils the first (or last) word only: skip samples whose other words say the
    # phrase on their own ("hallazgo incidental" without "hallazgo" is still "incidental").
    rest = words.split(" ", 1)[1:] if side == "before" else words.rsplit(" ", 1)[:-1]
    assume(not rest or phrase not in {f.phrase for f in find_flags(f"x {rest[0]} x")})
    glued = f"x {glue}{words} x" if side == "before" else f"x {words}{glue} x"
    assert phrase not in {f.phrase for f in find_flags(glued)}


# --------------------------------------------------------------------------------------------
# Bounded time: no catastrophic backtracking on a megabyte of hostile text
# --------------------------------------------------------------------------------------------

MB = 1_000_000
PATHOLOGICAL = {
    "spaces": " " * MB,
    "one_word": "a" * MB,
    "blank_lines": "\n" * MB,
    "cannot_then_blanks": ("cannot" + " " * 999) * (MB // 1005),
    "scale_names": "BI-RADS Lung-RADS " * (MB // 18),
    "digits_and_slashes": "1/" * (MB // 2),
    "comparison_list": "COMPARISON: " + "CT and 12 " * (MB // 10),
    "heading_chain": "FINDINGS/" * (MB // 9) + "x",
    "open_parentheses": "(" * MB,
    "gap_words": ("further evaluation " + "a " * 10) * (MB // 40),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_a_megabyte_of_hostile_text_takes_seconds_not_hours(name: str) -> None:
    text = PATHOLOGICAL[name]
    start = time.perf_counter()
    analyse_report(text, report_date="2026-01-01")
    find_priors(text)
    elapsed = time.perf_counter() - start
    # Linear scanning does this in about a second per megabyte; backtracking would take hours.
    assert elapsed < 30, f"{name}: {elapsed:.1f} s"
