"""The demo's documents: report PDFs (reportlab) and the medication list.

Every PDF is deterministic (reportlab invariant mode, the document's own date as its
timestamp) and has real, extractable text: a letterhead, a patient block, titled sections and a
signature line, as a hospital system prints them.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bundler.demo.story import (
    _BIRTH,
    _CT_LUNG_SERIES,
    _FAMILY,
    _GIVEN,
    _INTERVENTIONALIST,
    _LAKESIDE,
    _NEURORADIOLOGIST,
    _PATHOLOGIST,
    _PATIENT_ID,
    _PULMONOLOGIST,
    _RADIOLOGIST,
    _RIVERSIDE,
    _SCREENING_RADIOLOGIST,
    _age,
    _Facility,
    _human,
    _long_date,
    _Story,
)

# --------------------------------------------------------------------------------------------
# PDFs (reportlab): deterministic, with real, extractable text
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    """One clinical document: header fields, then titled sections of paragraphs."""

    facility: _Facility
    department: str
    title: str
    date: datetime.datetime
    fields: tuple[tuple[str, str], ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    signature: str
    table: tuple[tuple[str, ...], ...] = field(default=())


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["Normal"], fontSize=9.5, leading=12.5)
    return {
        "facility": ParagraphStyle("Facility", parent=base["Title"], fontSize=15, spaceAfter=1),
        "address": ParagraphStyle("Address", parent=body, fontSize=8, alignment=1),
        "title": ParagraphStyle("DocTitle", parent=base["Heading2"], alignment=1, spaceAfter=4),
        "heading": ParagraphStyle(
            "Section", parent=base["Heading4"], fontSize=10, spaceBefore=7, spaceAfter=2
        ),
        "body": body,
        "cell": ParagraphStyle("Cell", parent=body, fontSize=8, leading=10),
    }


def _pdf_bytes(doc: _Doc) -> bytes:
    """Render ``doc``; fixed dates and ID (reportlab invariant mode) make the bytes repeatable."""
    st = _styles()
    story: list[Flowable] = [
        Paragraph(escape(doc.facility.name), st["facility"]),
        Paragraph(
            escape(f"{doc.department} · {doc.facility.address} · Tel {doc.facility.phone}"),
            st["address"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(escape(doc.title), st["title"]),
    ]
    pairs = list(doc.fields)
    if len(pairs) % 2:
        pairs.append(("", ""))
    grid = [
        [
            Paragraph(f"<b>{escape(a)}</b>", st["cell"]),
            Paragraph(escape(b), st["cell"]),
            Paragraph(f"<b>{escape(c)}</b>", st["cell"]),
            Paragraph(escape(d), st["cell"]),
        ]
        for (a, b), (c, d) in zip(pairs[0::2], pairs[1::2], strict=True)
    ]
    header = Table(grid, colWidths=[28 * mm, 58 * mm, 30 * mm, 58 * mm])
    header.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.95, 0.95, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [header, Spacer(1, 2 * mm)]
    for heading, paragraphs in doc.sections:
        story.append(Paragraph(escape(heading), st["heading"]))
        story += [Paragraph(escape(p), st["body"]) for p in paragraphs]
    if doc.table:
        rows = [[Paragraph(escape(c), st["cell"]) for c in row] for row in doc.table]
        table = Table(rows, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ]
            )
        )
        story += [Spacer(1, 2 * mm), table]
    story += [Spacer(1, 5 * mm), Paragraph(escape(doc.signature), st["body"])]

    stamp = doc.date
    footer = f"{doc.facility.name} · {doc.title} · MRN {_PATIENT_ID}"

    def on_page(canvas: Any, _doc: Any) -> None:
        canvas.setDateFormatter(
            lambda *_: f"D:{stamp:%Y%m%d%H%M%S}+00'00'"  # the document's date, not "now"
        )
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(LETTER[0] - 18 * mm, 10 * mm, f"Page {canvas.getPageNumber()}")

    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=LETTER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=doc.title,
        author=doc.facility.name,
        subject=doc.title,
        creator=doc.facility.name,
        invariant=1,
    )
    template.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _patient_fields() -> tuple[tuple[str, str], ...]:
    return (
        ("Patient", f"{_FAMILY}, {_GIVEN}"),
        ("MRN", _PATIENT_ID),
        ("DOB", _long_date(_BIRTH)),
        ("Sex", "Female"),
    )


def _ct_report(story: _Story) -> _Doc:
    prior = _long_date(story.prior_ct)
    age = _age(story.current_ct)
    signed = datetime.datetime.combine(story.current_ct, datetime.time(16, 42))
    return _Doc(
        facility=_RIVERSIDE,
        department="Department of Radiology",
        title="CT CHEST WITH CONTRAST - RADIOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Accession", story.ct_accession),
            ("Exam date", _long_date(story.current_ct)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            ("EXAM", ("CT chest with intravenous contrast.",)),
            (
                "HISTORY/CLINICAL INDICATION",
                (
                    f"{age}-year-old woman, former smoker (38 pack-years, quit 2019), with a "
                    "persistent cough for 6 weeks. Right upper lobe nodule on screening CT. "
                    "Follow-up.",
                ),
            ),
            (
                "TECHNIQUE",
                (
                    "Helical CT of the chest from the thoracic inlet through the adrenal glands "
                    "after intravenous administration of 75 mL iohexol 350 mgI/mL, in the "
                    "portal venous phase. Axial soft-tissue and lung reconstructions with "
                    "coronal and sagittal reformats. CTDIvol 8.4 mGy; DLP 312 mGy·cm.",
                ),
            ),
            (
                "COMPARISON",
                (
                    f"Low-dose CT chest of {prior} (Lakeside University Hospital, "
                    f"accession {story.prior_accession}).",
                ),
            ),
            (
                "FINDINGS",
                (
                    "Lungs and airways: Solid nodule in the posterior segment of the right upper "
                    "lobe measuring 14 x 11 mm "
                    f"(series {_CT_LUNG_SERIES}, image {story.nodule_image}), "
                    f"previously 6 mm on the CT chest of {prior}. Its margins are lobulated with "
                    "mild spiculation. Mild centrilobular emphysema, upper lobe predominant. "
                    "No consolidation. The central airways are patent.",
                    "Mediastinum and hila: A right lower paratracheal lymph node measures 9 mm "
                    "in short axis (previously 6 mm) and is indeterminate. No hilar "
                    "lymphadenopathy. Heart size is normal. No pericardial effusion. "
                    "Mild coronary artery calcification.",
                    "Pleura: No pleural effusion or pneumothorax.",
                    "Upper abdomen: An 11 mm left adrenal nodule measuring 28 HU in the portal "
                    "venous phase cannot be characterized on this examination; it was not "
                    "clearly seen on the prior low-dose CT.",
                    "Bones and soft tissues: No suspicious osseous lesion. Mild degenerative "
                    "changes of the thoracic spine.",
                ),
            ),
            (
                "IMPRESSION",
                (
                    "1. Enlarging solid right upper lobe nodule, 14 x 11 mm, previously 6 mm, "
                    "suspicious for primary lung malignancy. Lung-RADS 4B. Tissue sampling is "
                    "recommended; PET/CT may be considered.",
                    "2. Indeterminate 9 mm right lower paratracheal lymph node; metastatic "
                    "involvement cannot be excluded.",
                    "3. Indeterminate 11 mm left adrenal nodule. Adrenal-protocol CT or MRI, or "
                    "attention on PET/CT; follow-up recommended.",
                    "4. Mild centrilobular emphysema.",
                    "Findings discussed by telephone with Dr. Okafor at 16:35 on the day of the "
                    "examination.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_RADIOLOGIST)}, {_long_date(signed.date())} "
            f"{signed:%H:%M}."
        ),
    )


def _pathology_report(story: _Story) -> _Doc:
    signed = datetime.datetime.combine(story.pathology_signed, datetime.time(11, 5))
    return _Doc(
        facility=_LAKESIDE,
        department="Department of Pathology and Laboratory Medicine",
        title="SURGICAL PATHOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Case", story.pathology_accession),
            ("Collected", _long_date(story.biopsy)),
            ("Received", _long_date(story.biopsy)),
            ("Reported", _long_date(story.pathology_signed)),
            ("Submitting", _human(_INTERVENTIONALIST)),
            ("Copy to", _human(_PULMONOLOGIST)),
        ),
        sections=(
            (
                "SPECIMEN",
                ("A. Lung, right upper lobe nodule, CT-guided core needle biopsy (18 gauge).",),
            ),
            (
                "CLINICAL HISTORY",
                (
                    "Enlarging 14 mm right upper lobe nodule, Lung-RADS 4B. Former smoker. "
                    "Rule out malignancy.",
                ),
            ),
            (
                "GROSS DESCRIPTION",
                (
                    "Received in formalin, labeled with the patient's name and medical record "
                    "number and designated 'right upper lobe lung', are four tan-pink "
                    "cylindrical cores of soft tissue measuring 0.6 to 1.4 cm in length and "
                    "0.1 cm in diameter. Entirely submitted in cassette A1.",
                ),
            ),
            (
                "MICROSCOPIC DESCRIPTION",
                (
                    "Sections show lung parenchyma infiltrated by atypical glandular cells "
                    "forming acinar structures within a desmoplastic stroma. The cells have "
                    "enlarged, pleomorphic nuclei with prominent nucleoli. A minor lepidic "
                    "component is present at the edge of one core. No necrosis is identified. "
                    "Lymphovascular invasion cannot be assessed on biopsy material.",
                    "Immunohistochemistry (with appropriate controls): tumor cells are "
                    "positive for TTF-1, Napsin A and CK7, and negative for p40, CK20 and "
                    "CDX2, supporting a primary lung adenocarcinoma.",
                ),
            ),
            (
                "DIAGNOSIS",
                (
                    "A. LUNG, RIGHT UPPER LOBE, CT-GUIDED CORE NEEDLE BIOPSY: INVASIVE "
                    "ADENOCARCINOMA, ACINAR PREDOMINANT. See comment.",
                ),
            ),
            (
                "COMMENT",
                (
                    "Block A1 has been sent for molecular testing (EGFR, ALK, ROS1, BRAF, KRAS, "
                    "MET, RET, NTRK) and PD-L1 (22C3) immunohistochemistry. Results will be "
                    "reported in an addendum.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_PATHOLOGIST)}, {_long_date(signed.date())} "
            f"{signed:%H:%M}."
        ),
    )


def _prior_ct_report(story: _Story) -> _Doc:
    """The baseline screening CT at Lakeside: a small nodule, Lung-RADS 2, no comparison."""
    age = _age(story.prior_ct)
    signed = datetime.datetime.combine(story.prior_ct, datetime.time(13, 12))
    return _Doc(
        facility=_LAKESIDE,
        department="Department of Radiology",
        title="LOW-DOSE CT CHEST SCREENING - RADIOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Accession", story.prior_accession),
            ("Exam date", _long_date(story.prior_ct)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            ("EXAM", ("Low-dose CT chest for lung cancer screening, without contrast.",)),
            (
                "HISTORY/CLINICAL INDICATION",
                (
                    f"{age}-year-old woman, former smoker (38 pack-years, quit 2019), with COPD. "
                    "Baseline lung cancer screening. No respiratory symptoms reported.",
                ),
            ),
            (
                "TECHNIQUE",
                (
                    "Low-dose helical CT of the chest from the lung apices through the lung bases "
                    "without intravenous contrast, 100 kVp, 40 mA with automatic exposure "
                    "control. Axial lung reconstructions with coronal and sagittal reformats. "
                    "CTDIvol 1.4 mGy; DLP 52 mGy·cm.",
                ),
            ),
            ("COMPARISON", ("None. This is the baseline screening examination.",)),
            (
                "FINDINGS",
                (
                    "Lungs and airways: Solid nodule in the posterior segment of the right upper "
                    f"lobe measuring 6 x 5 mm, mean diameter 5.5 mm (series 2, image "
                    f"{story.nodule_image}), with smooth margins. No other pulmonary nodule. "
                    "Mild centrilobular emphysema, upper lobe predominant. No consolidation. "
                    "The central airways are patent.",
                    "Mediastinum and hila: No mediastinal or hilar lymphadenopathy by size "
                    "criteria; a right lower paratracheal lymph node measures 6 mm in short "
                    "axis. Heart size is normal. Mild coronary artery calcification.",
                    "Pleura: No pleural effusion or pneumothorax.",
                    "Upper abdomen: Evaluation is limited on this unenhanced low-dose "
                    "examination; the imaged portions are unremarkable.",
                    "Bones and soft tissues: Mild degenerative changes of the thoracic spine.",
                ),
            ),
            (
                "IMPRESSION",
                (
                    "1. Solid 6 x 5 mm right upper lobe nodule (mean diameter 5.5 mm). "
                    "Lung-RADS 2: benign appearance or behavior. Continue annual screening with "
                    "low-dose CT in 12 months.",
                    "2. Mild centrilobular emphysema.",
                    "3. Mild coronary artery calcification, an incidental finding; clinical "
                    "correlation for cardiovascular risk factors is recommended.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_SCREENING_RADIOLOGIST)}, "
            f"{_long_date(signed.date())} {signed:%H:%M}."
        ),
    )


def _xray_report(story: _Story) -> _Doc:
    """The chest film at Riverside for the cough: a possible nodule, CT recommended."""
    signed = datetime.datetime.combine(story.xray, datetime.time(11, 47))
    return _Doc(
        facility=_RIVERSIDE,
        department="Department of Radiology",
        title="CHEST X-RAY, PA AND LATERAL - RADIOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Accession", story.xr_accession),
            ("Exam date", _long_date(story.xray)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            ("EXAM", ("Chest radiographs, PA and lateral views.",)),
            (
                "HISTORY/CLINICAL INDICATION",
                ("Dry cough for 5 weeks. Former smoker with COPD.",),
            ),
            ("COMPARISON", ("None.",)),
            (
                "FINDINGS",
                (
                    "Lungs: The lungs are hyperinflated, consistent with the history of COPD. "
                    "An ill-defined nodular opacity, approximately 12 mm, projects over the "
                    "right upper lung zone, partly superimposed on a posterior rib; it is not "
                    "clearly seen on the lateral view. No consolidation.",
                    "Pleura: No pleural effusion or pneumothorax.",
                    "Heart and mediastinum: The cardiomediastinal silhouette is normal in size.",
                    "Bones: Mild degenerative changes of the thoracic spine.",
                ),
            ),
            (
                "IMPRESSION",
                (
                    "1. Ill-defined nodular opacity in the right upper lung zone; a pulmonary "
                    "nodule cannot be excluded. CT chest is recommended for further evaluation.",
                    "2. Hyperinflation consistent with COPD. No acute cardiopulmonary process.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_RADIOLOGIST)}, {_long_date(signed.date())} "
            f"{signed:%H:%M}."
        ),
    )


def _mr_report(story: _Story) -> _Doc:
    """The staging MR brain at Lakeside: no metastases, no comparison."""
    signed = datetime.datetime.combine(story.mr, datetime.time(17, 55))
    age = _age(story.mr)
    return _Doc(
        facility=_LAKESIDE,
        department="Department of Radiology, Neuroradiology Section",
        title="MRI BRAIN WITH AND WITHOUT CONTRAST - RADIOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Accession", story.mr_accession),
            ("Exam date", _long_date(story.mr)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            ("EXAM", ("MRI brain without and with intravenous contrast.",)),
            (
                "HISTORY/CLINICAL INDICATION",
                (
                    f"{age}-year-old woman with invasive adenocarcinoma of the right upper lobe "
                    f"diagnosed on CT-guided biopsy of {_long_date(story.biopsy)}. Staging. No "
                    "headache or focal neurological symptoms.",
                ),
            ),
            (
                "TECHNIQUE",
                (
                    "1.5 T MRI of the brain: axial T2 FLAIR before contrast, and axial "
                    "T1-weighted spin-echo images after intravenous administration of 14 mL "
                    "gadoterate meglumine 0.5 mmol/mL. 5 mm sections.",
                ),
            ),
            ("COMPARISON", ("None.",)),
            (
                "FINDINGS",
                (
                    "No abnormal parenchymal, leptomeningeal or dural enhancement. No mass, mass "
                    "effect or midline shift. No extra-axial collection.",
                    "A few punctate T2/FLAIR hyperintense foci in the periventricular and "
                    "subcortical white matter of both frontal lobes, without enhancement, are "
                    "nonspecific and most likely reflect chronic small vessel ischemic change.",
                    "The ventricles and sulci are normal in size for age. The major intracranial "
                    "flow voids are preserved. The visualized orbits, paranasal sinuses and "
                    "mastoid air cells are clear. Normal calvarial marrow signal.",
                ),
            ),
            (
                "IMPRESSION",
                (
                    "1. No evidence of intracranial metastatic disease.",
                    "2. A few nonspecific white matter FLAIR hyperintensities, most likely "
                    "chronic small vessel ischemic change.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_NEURORADIOLOGIST)}, "
            f"{_long_date(signed.date())} {signed:%H:%M}."
        ),
    )


def _procedure_note(story: _Story) -> _Doc:
    """The CT-guided core needle biopsy, by interventional radiology at Riverside."""
    signed = datetime.datetime.combine(story.biopsy, datetime.time(12, 40))
    pre_labs = story.labs[1]
    return _Doc(
        facility=_RIVERSIDE,
        department="Interventional Radiology",
        title="CT-GUIDED CORE NEEDLE BIOPSY - PROCEDURE NOTE",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Procedure date", _long_date(story.biopsy)),
            ("Operator", _human(_INTERVENTIONALIST)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            (
                "PROCEDURE PERFORMED",
                ("CT-guided percutaneous core needle biopsy of a right upper lobe lung nodule.",),
            ),
            (
                "INDICATIONS FOR PROCEDURE",
                (
                    "Enlarging solid nodule in the posterior segment of the right upper lobe, "
                    f"14 x 11 mm on the CT chest of {_long_date(story.current_ct)} (previously "
                    "6 mm), Lung-RADS 4B, suspicious for primary lung malignancy.",
                    "Pre-procedure assessment: ASA class II. Allergies: penicillin (hives); no "
                    "known allergy to local anesthetics or latex. Aspirin held for 5 days. "
                    f"Labs of {_long_date(pre_labs)}: platelets 301 x10^3/uL, hemoglobin "
                    "11.8 g/dL.",
                ),
            ),
            (
                "PRE-PROCEDURE DIAGNOSIS",
                ("Right upper lobe lung nodule, suspicious for malignancy.",),
            ),
            ("POST-PROCEDURE DIAGNOSIS", ("Same; pathology pending.",)),
            (
                "ANESTHESIA",
                (
                    "Moderate sedation with midazolam 1 mg and fentanyl 50 mcg intravenously, "
                    "given by the procedure nurse under the operator's supervision with "
                    "continuous monitoring (intraservice time 25 minutes). Local anesthesia "
                    "with 10 mL of 1% lidocaine.",
                ),
            ),
            (
                "DESCRIPTION OF PROCEDURE",
                (
                    "The risks (including pneumothorax, bleeding and hemoptysis), benefits and "
                    "alternatives were discussed with the patient, who gave written consent. A "
                    "time-out confirmed the patient, the procedure and the site. The patient "
                    "was positioned prone. After a limited planning CT of the chest, the right "
                    "posterior chest wall was prepped and draped in the usual sterile fashion.",
                    "Under intermittent CT guidance, a 17-gauge coaxial introducer needle was "
                    "advanced along a posterior approach, crossing the pleura once, to the "
                    "margin of the nodule. Four 18-gauge core samples were obtained through the "
                    "introducer. The cores were placed in formalin and specimens sent to "
                    "Lakeside University Hospital Pathology. The introducer was removed and a "
                    "sterile dressing applied.",
                ),
            ),
            ("ESTIMATED BLOOD LOSS", ("Minimal, less than 5 mL.",)),
            (
                "COMPLICATIONS",
                (
                    "Small right apical pneumothorax on the final limited CT images. The patient "
                    "remained asymptomatic, with oxygen saturation of 95% or more on room air, "
                    "through 3 hours of observation; no chest tube was needed.",
                ),
            ),
            (
                "POST-PROCEDURE INSTRUCTIONS",
                (
                    "The patient went home in stable condition, accompanied by an adult. Resume "
                    "aspirin after 48 hours. Seek care at once for chest pain, increasing "
                    "shortness of breath or coughing up more than a teaspoon of blood. Results "
                    "will be sent to Dr. Okafor.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_INTERVENTIONALIST)}, "
            f"{_long_date(signed.date())} {signed:%H:%M}."
        ),
    )


def _visit_note(story: _Story) -> _Doc:
    signed = datetime.datetime.combine(story.visit, datetime.time(17, 20))
    age = _age(story.visit)
    return _Doc(
        facility=_LAKESIDE,
        department="Pulmonology Clinic",
        title="OUTPATIENT VISIT NOTE - PULMONOLOGY",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Visit date", _long_date(story.visit)),
            ("Provider", _human(_PULMONOLOGIST)),
            ("Visit type", "Follow-up, established patient"),
            ("PCP", "Samuel Bright-Osei, MD"),
        ),
        sections=(
            ("CHIEF COMPLAINT", ("Follow-up of lung biopsy results.",)),
            (
                "HISTORY OF PRESENT ILLNESS",
                (
                    f"Ms. {_FAMILY} is a {age}-year-old former smoker (38 pack-years, quit "
                    "2019) with COPD who presented with 6 weeks of dry cough. CT chest of "
                    f"{_long_date(story.current_ct)} showed growth of a right upper lobe "
                    f"nodule from 6 mm (low-dose CT of {_long_date(story.prior_ct)}) to 14 mm, "
                    "an indeterminate right paratracheal node and an indeterminate left "
                    f"adrenal nodule. CT-guided biopsy on {_long_date(story.biopsy)} showed "
                    "invasive adenocarcinoma, acinar predominant. Small apical pneumothorax "
                    "after the biopsy resolved without intervention. MRI brain of "
                    f"{_long_date(story.mr)} was reported to her as showing no metastases; "
                    "the written report is not yet available to us. Cough is improving. No "
                    "hemoptysis, weight loss or bone pain.",
                ),
            ),
            (
                "EXAMINATION",
                (
                    "BP 132/78, HR 76, SpO2 95% on room air, BMI 24.1. Well appearing. Lungs: "
                    "mildly decreased breath sounds bilaterally, no wheeze or crackles. No "
                    "cervical or supraclavicular lymphadenopathy.",
                ),
            ),
            (
                "ASSESSMENT",
                (
                    "1. Invasive adenocarcinoma of the right upper lobe, 14 mm (cT1b). Nodal "
                    "and adrenal status indeterminate: staging incomplete.",
                    "2. COPD, GOLD 1, stable on tiotropium.",
                    "3. Hyperlipidemia and hypertension, controlled.",
                ),
            ),
            (
                "PLAN",
                (
                    "1. PET/CT ordered for staging; EBUS-TBNA if the paratracheal node is "
                    "FDG-avid.",
                    "2. Full pulmonary function tests with DLCO before surgical evaluation.",
                    "3. Referral to thoracic surgery; case to be presented at the "
                    "multidisciplinary thoracic tumor board.",
                    "4. Molecular and PD-L1 results pending (pathology addendum to follow).",
                    "5. The patient requests a second opinion; records release signed today.",
                    "6. Continue current medications; aspirin was resumed 2 days after biopsy.",
                    "Return visit in 2 weeks or sooner if hemoptysis, chest pain or dyspnea.",
                ),
            ),
        ),
        signature=f"Electronically signed by {_human(_PULMONOLOGIST)}, "
        f"{_long_date(signed.date())} {signed:%H:%M}.",
    )


_LAB_ROWS: tuple[tuple[str, str, str, tuple[str, str, str]], ...] = (
    ("WBC", "10^3/uL", "4.0-11.0", ("7.8", "8.4", "7.1")),
    ("RBC", "10^6/uL", "3.90-5.20", ("4.31", "4.12", "4.25")),
    ("Hemoglobin", "g/dL", "12.0-15.5", ("12.6", "11.8 L", "12.2")),
    ("Hematocrit", "%", "36.0-46.0", ("38.9", "35.7 L", "37.4")),
    ("MCV", "fL", "80-100", ("90", "87", "88")),
    ("Platelets", "10^3/uL", "150-400", ("268", "301", "279")),
    ("Sodium", "mmol/L", "135-145", ("139", "137", "140")),
    ("Potassium", "mmol/L", "3.5-5.1", ("4.2", "4.5", "4.0")),
    ("Chloride", "mmol/L", "98-107", ("102", "101", "103")),
    ("CO2", "mmol/L", "22-29", ("26", "25", "27")),
    ("BUN", "mg/dL", "7-20", ("15", "18", "14")),
    ("Creatinine", "mg/dL", "0.50-1.10", ("0.82", "0.91", "0.85")),
    ("eGFR", "mL/min/1.73m2", ">60", ("79", "70", "76")),
    ("Glucose", "mg/dL", "70-99", ("104 H", "97", "92")),
    ("Calcium", "mg/dL", "8.6-10.3", ("9.4", "9.2", "9.5")),
    ("Total protein", "g/dL", "6.0-8.3", ("7.1", "6.9", "7.0")),
    ("Albumin", "g/dL", "3.5-5.0", ("4.1", "3.9", "4.0")),
    ("ALT", "U/L", "7-35", ("22", "24", "19")),
    ("AST", "U/L", "10-35", ("25", "27", "23")),
    ("Alkaline phosphatase", "U/L", "35-104", ("88", "91", "86")),
    ("Total bilirubin", "mg/dL", "0.2-1.2", ("0.6", "0.5", "0.7")),
)


def _lab_results(story: _Story) -> _Doc:
    dates = tuple(d.isoformat() for d in story.labs)
    rows = (("Test", "Units", "Reference range", *dates),) + tuple(
        (name, unit, ref, *values) for name, unit, ref, values in _LAB_ROWS
    )
    reported = datetime.datetime.combine(story.labs[-1], datetime.time(14, 3))
    return _Doc(
        facility=_LAKESIDE,
        department="Clinical Laboratory",
        title="LABORATORY RESULTS - CBC AND METABOLIC PANEL",
        date=reported,
        fields=(
            *_patient_fields(),
            ("Ordering", _human(_PULMONOLOGIST)),
            ("Reported", _long_date(story.labs[-1])),
        ),
        sections=(
            (
                "RESULTS",
                (
                    "Complete blood count (CBC) and comprehensive metabolic panel (CMP), "
                    "venous blood. H = above, L = below the reference range.",
                ),
            ),
        ),
        table=rows,
        signature="Results verified by the Clinical Laboratory, Lakeside University Hospital. "
        "CLIA ID 99D0000000 (demo).",
    )


def _medications(story: _Story) -> list[dict[str, str]]:
    cur = story.current_ct
    return [
        {
            "name": "Tiotropium inhaler",
            "dose": "2.5 mcg (2 inhalations)",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 3, 5, 2).isoformat(),
            "notes": "COPD maintenance",
        },
        {
            "name": "Albuterol HFA inhaler",
            "dose": "90 mcg/puff, 2 puffs",
            "frequency": "every 6 hours as needed",
            "start_date": datetime.date(cur.year - 3, 5, 2).isoformat(),
            "notes": "shortness of breath or wheeze",
        },
        {
            "name": "Atorvastatin",
            "dose": "20 mg",
            "frequency": "once daily at bedtime",
            "start_date": datetime.date(cur.year - 8, 1, 15).isoformat(),
            "notes": "hyperlipidemia",
        },
        {
            "name": "Lisinopril",
            "dose": "10 mg",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 6, 9, 30).isoformat(),
            "notes": "hypertension",
        },
        {
            "name": "Aspirin",
            "dose": "81 mg",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 6, 9, 30).isoformat(),
            "notes": f"held 5 days before biopsy on {story.biopsy.isoformat()}; resumed",
        },
    ]

