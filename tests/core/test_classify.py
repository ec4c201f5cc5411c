"""Classification from text, and the patient, date, facility and accession read from it."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bundler import classify as classify_module
from bundler.classify import (
    RulesError,
    classify,
    find_accession,
    find_facility,
    find_identity,
    find_service_date,
)
from bundler.demo import DemoCase, write_demo
from bundler.ingest.documents import read_document, sniff_document
from bundler.model import DocumentKind, PersonIdentity

TODAY = datetime.date(2026, 1, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCase:
    return write_demo(tmp_path_factory.mktemp("demo") / "d", ct_slices=4, matrix=32, today=TODAY)


def _days(yyyymmdd: str, days: int) -> str:
    return (datetime.datetime.strptime(yyyymmdd, "%Y%m%d").date() + datetime.timedelta(days=days)).isoformat()


# --------------------------------------------------------------------------------------------
# The demo documents and the shared PDFs, end to end through the reader
# --------------------------------------------------------------------------------------------


def test_demo_documents(demo: DemoCase, tmp_path: Path) -> None:
    current_ct = demo.studies[0]  # the CT of the report; the story's other dates follow from it
    assert current_ct.modality == "CT"
    family, given_name = demo.patient_name.split("^")[:2]
    patient = PersonIdentity(
        name=f"{family}, {given_name}",  # as the documents write it: "Muñoz-Šimková, Zoë"
        birth_date=f"{demo.birth_date[:4]}-{demo.birth_date[4:6]}-{demo.birth_date[6:]}",
        id=demo.patient_id,
        sex="F",
    )
    expected = {  # name: (kind, date of service, accession, facility)
        "CT_Chest_Report.pdf": (DocumentKind.RADIOLOGY_REPORT, _days(current_ct.date, 0), current_ct.accession,
                                "Riverside Imaging Center"),
        # Collected on the biopsy day (16 days after the CT); the case number is the accession.
        "Pathology_Report.pdf": (DocumentKind.PATHOLOGY_REPORT, _days(current_ct.date, 16),
                                 f"S{_days(current_ct.date, 16)[2:4]}-", "Lakeside University Hospital"),
        "Visit_Note.pdf": (DocumentKind.VISIT_NOTE, _days(current_ct.date, 33), "", "Lakeside University Hospital"),
        # Reported with the last of three blood draws, on the visit day.
        "Lab_Results.pdf": (DocumentKind.LAB_RESULT, _days(current_ct.date, 33), "", "Lakeside University Hospital"),
        "Medication_List.csv": (DocumentKind.MEDICATION_LIST, "", "", ""),
    }
    for name, (kind, date, accession, facility) in expected.items():
        data = (demo.documents_dir / name).read_bytes()
        media = sniff_document(data[:4096], name)
        assert media is not None, name
        doc = read_document(data, media_type=media, name=name, scratch=tmp_path)
        assert doc.kind is kind, (name, doc.kind, doc.kind_evidence)
        assert doc.kind_confidence >= 0.6, (name, doc.kind_confidence)
        assert doc.date == date, name
        assert doc.accession.startswith(accession) and bool(doc.accession) == bool(accession), name
        assert doc.facility == facility, name
        if name.endswith(".pdf"):
            assert doc.patient == patient, name
            assert doc.kind_evidence.startswith("headings "), name


def test_shared_pdfs_are_what_a_person_would_say(shared_data: Path, tmp_path: Path) -> None:
    docs = shared_data / "3_health_documents"
    expected = {
        "pdf_reports/HelloWorld.pdf": DocumentKind.OTHER,
        "pdf_reports/uscore_living_will.pdf": DocumentKind.CONSENT_OR_LEGAL,
        "pdf_reports/uscore_bone_density_DXA_report.pdf": DocumentKind.RADIOLOGY_REPORT,
        # A hospital discharge summary (stroke admission), the PDF carried by a C-CDA.
        "ccda/full_documents_unstructured_embedded/C-CDA_R2_UD_sample.pdf": DocumentKind.DISCHARGE_SUMMARY,
        # An advance directive (healthcare agents, treatment wishes, witnesses, notary).
        "ccda/full_documents_unstructured_embedded/McBee_L1_20151116_Embedded.pdf": DocumentKind.CONSENT_OR_LEGAL,
    }
    found = {}
    for rel, kind in expected.items():
        doc = read_document((docs / rel).read_bytes(), media_type="application/pdf", name=Path(rel).name,
                            scratch=tmp_path)
        assert doc.kind is kind, (rel, doc.kind, doc.kind_evidence)
        found[rel] = doc
    dxa = found["pdf_reports/uscore_bone_density_DXA_report.pdf"]
    assert "DXA" in dxa.kind_evidence and "bone density" in dxa.kind_evidence
    discharge = found["ccda/full_documents_unstructured_embedded/C-CDA_R2_UD_sample.pdf"]
    assert discharge.patient == PersonIdentity(name="Levin, Henry L.", id="12345")
    assert (discharge.date, discharge.facility) == ("2009-03-26", "Community Health Hospital")
    mcbee = found["ccda/full_documents_unstructured_embedded/McBee_L1_20151116_Embedded.pdf"]
    assert mcbee.date == "2014-07-31"  # "Version 16 signed on 07/31/2014"
    assert found["pdf_reports/HelloWorld.pdf"].kind_confidence < 0.5


# --------------------------------------------------------------------------------------------
# Kinds, English and Spanish
# --------------------------------------------------------------------------------------------

SAMPLES = {
    DocumentKind.OPERATIVE_REPORT: [
        "OPERATIVE REPORT\nPREOPERATIVE DIAGNOSIS: RUL nodule\nPOSTOPERATIVE DIAGNOSIS: same\n"
        "PROCEDURE PERFORMED: VATS right upper lobectomy\nANESTHESIA: general\nESTIMATED BLOOD LOSS: 100 mL\n"
        "The patient was prepped and draped in the usual sterile fashion.",
        "HOJA OPERATORIA\nDIAGNÓSTICO PREOPERATORIO: nódulo pulmonar\nPROCEDIMIENTO REALIZADO: lobectomía\n"
        "ANESTESIA: general\nCIRUJANO: Dr. Pérez\nPÉRDIDA DE SANGRE ESTIMADA: 100 ml",
    ],
    DocumentKind.DISCHARGE_SUMMARY: [
        "ADMISSION DATE: 03/01/2024\nDISCHARGE DATE: 03/05/2024\nHOSPITAL COURSE: uneventful.\n"
        "DISCHARGE MEDICATIONS: aspirin.",
        "INFORME DE ALTA\nFECHA DE INGRESO: 01/03/2024\nFECHA DE ALTA: 05/03/2024\nMOTIVO DE INGRESO: neumonía\n"
        "EVOLUCIÓN CLÍNICA: favorable\nTRATAMIENTO AL ALTA: amoxicilina",
    ],
    DocumentKind.VISIT_NOTE: [
        "CHIEF COMPLAINT: cough\nHPI: 6 weeks of cough.\nREVIEW OF SYSTEMS: negative\nASSESSMENT AND PLAN: COPD.",
        "MOTIVO DE CONSULTA: tos\nENFERMEDAD ACTUAL: tos de 6 semanas.\nEXPLORACIÓN FÍSICA: normal\n"
        "JUICIO CLÍNICO: EPOC\nPLAN: control en 2 semanas",
    ],
    DocumentKind.LAB_RESULT: [
        "Test      Result   Units    Reference range\nSodium    139      mmol/L   135-145\n"
        "Glucose   104 H    mg/dL    70-99\nCreatinine 0.9    mg/dL    0.5-1.1",
        "RESULTADOS DE LABORATORIO\nHemoglobina   13,1   g/dL   12-16\nCreatinina   0,9   mg/dL   0,5-1,1\n"
        "Glucosa   98   mg/dL   70-110\nVALORES DE REFERENCIA: según edad",
    ],
    DocumentKind.MEDICATION_LIST: [
        "CURRENT MEDICATIONS\nMetformin 500 mg tablet by mouth twice daily\nLisinopril 10 mg once daily",
        "LISTA DE MEDICAMENTOS\nMEDICACIÓN ACTUAL: omeprazol 20 mg un comprimido al día",
    ],
    DocumentKind.REFERRAL_OR_INSURANCE: [
        "REFERRAL\nREASON FOR REFERRAL: second opinion, thoracic surgery\nMEMBER ID: XJ123456\n"
        "PRIOR AUTHORIZATION: approved, authorization number 998877",
        "VOLANTE DE DERIVACIÓN\nMOTIVO DE DERIVACIÓN: segunda opinión\nASEGURADORA: Salud Total\n"
        "NÚMERO DE AFILIADO: 123456",
    ],
    DocumentKind.CONSENT_OR_LEGAL: [
        "INFORMED CONSENT\nI consent to the procedure described above. Signature of patient. Witness.",
        "DOCUMENTO DE INSTRUCCIONES PREVIAS\nVOLUNTADES ANTICIPADAS\nNombro como representante a ... "
        "Firma del otorgante. Testigo.",
    ],
    DocumentKind.PATHOLOGY_REPORT: [
        "SPECIMEN: breast, core biopsy\nGROSS DESCRIPTION: three cores\nMICROSCOPIC DESCRIPTION: invasive "
        "ductal carcinoma\nFINAL DIAGNOSIS: IDC, grade 2",
        "ANATOMÍA PATOLÓGICA\nMUESTRA: biopsia de mama\nDESCRIPCIÓN MACROSCÓPICA: tres cilindros\n"
        "DIAGNÓSTICO: carcinoma ductal infiltrante",
    ],
    DocumentKind.RADIOLOGY_REPORT: [
        "EXAM: MRI brain with and without contrast\nTECHNIQUE: axial and sagittal sequences\n"
        "COMPARISON: none\nFINDINGS: no mass\nIMPRESSION: normal MRI of the brain",
        "INFORME RADIOLÓGICO\nESTUDIO: TC de tórax\nTÉCNICA: sin contraste\nHALLAZGOS: nódulo de 6 mm.\n"
        "IMPRESIÓN: seguimiento.",
    ],
}


@pytest.mark.parametrize(
    "kind, text", [(kind, text) for kind, texts in SAMPLES.items() for text in texts],
    ids=[f"{kind.value}-{i}" for kind, texts in SAMPLES.items() for i in range(len(texts))],
)
def test_kinds_in_english_and_spanish(kind: DocumentKind, text: str) -> None:
    got, confidence, evidence = classify(text)
    assert got is kind, evidence
    assert 0.3 <= confidence <= 0.95 and evidence


def test_evidence_is_plain_words() -> None:
    kind, confidence, evidence = classify(SAMPLES[DocumentKind.RADIOLOGY_REPORT][0], title="MRI brain report")
    assert evidence.startswith("headings EXAM, TECHNIQUE, COMPARISON, FINDINGS, IMPRESSION; terms: ")
    assert "MRI" in evidence and evidence.endswith("title: MRI")
    assert confidence > 0.7


def test_title_alone_can_decide_and_nothing_is_other() -> None:
    assert classify("page 1", title="Discharge Summary")[0] is DocumentKind.DISCHARGE_SUMMARY
    assert classify("") == (DocumentKind.OTHER, 0.2, "no distinctive headings or terms")
    assert classify("Hello World")[0] is DocumentKind.OTHER
    assert classify("Mr. Smith came by. In contrast to last time he was happy.")[0] is DocumentKind.OTHER


def test_headings_must_be_headings() -> None:
    prose = "The patient had findings of note and an impression was formed after the exam of the specimen."
    assert classify(prose)[0] is DocumentKind.OTHER
    numbered = "1. FINDINGS: normal\n2. IMPRESSION: normal\n  TECHNIQUE     helical"
    assert classify(numbered)[0] is DocumentKind.RADIOLOGY_REPORT


# --------------------------------------------------------------------------------------------
# Identity, dates, facility, accession
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Patient: Jane Q. Doe DOB: 01/02/1970 MRN: 556677", PersonIdentity("Jane Q. Doe", "1970-01-02", "556677")),
        ("Name: DOE, JANE\nDate of birth: March 4, 1970\nMedical record number: A-12\nSex: Female",
         PersonIdentity("DOE, JANE", "1970-03-04", "A-12", "F")),
        ("Patient     Muñoz-Šimková, Zoë      MRN     LUH-4471203\nDOB       23 August 1962     Sex   Female",
         PersonIdentity("Muñoz-Šimková, Zoë", "1962-08-23", "LUH-4471203", "F")),
        ("Patient\nMuñoz-Šimková, Zoë\nMRN\nLUH-4471203\nDOB\n23 August 1962",
         PersonIdentity("Muñoz-Šimková, Zoë", "1962-08-23", "LUH-4471203")),
        ("Paciente: García López, María\nFecha de nacimiento: 03/04/1970\nNHC: 20481516\nSexo: Mujer",
         PersonIdentity("García López, María", "1970-04-03", "20481516", "F")),
        ("DOB 04/03/1970   MRN LUH-1", PersonIdentity("", "1970-04-03", "LUH-1")),
        ("Patient tolerated the procedure well.\nPatient: ________", PersonIdentity()),
        ("Patient Name: N/A\nName: Roger McBee", PersonIdentity("Roger McBee")),
        # A laid-out form: the next field's label is not the patient's name.
        ("   Specimen Number        Patient ID\n      Patient Last Name\n   Patient First Name", PersonIdentity()),
        ("Patient\nActual Result\nName: Dates", PersonIdentity()),
        ("Patient: No, Min-jun\nPatient Name: Test Result", PersonIdentity("No, Min-jun")),
    ],
)
def test_find_identity(text: str, expected: PersonIdentity) -> None:
    assert find_identity(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Report date: 2024-03-09\nExam date: 2024-03-05", "2024-03-05"),  # the exam, not the report
        ("Date of service: March 5, 2024", "2024-03-05"),
        ("Collected: 5 March 2024 08:10   Reported: 6 March 2024", "2024-03-05"),
        ("Admission date: 03/01/2024\nDischarge date: 03/05/2024", "2024-03-05"),
        ("Fecha del estudio: 05/03/2024", "2024-03-05"),
        ("Fecha de la consulta: 5 de marzo de 2024", "2024-03-05"),
        ("Visit date\n25 September 2026", "2026-09-25"),
        ("Electronically signed by A. Okafor, MD, 23 August 2026 16:42.", "2026-08-23"),
        ("Date of birth: 01/02/1970", ""),
        ("No dates here.", ""),
    ],
)
def test_find_service_date(text: str, expected: str) -> None:
    assert find_service_date(text) == expected


def test_find_facility_and_accession() -> None:
    text = ("Riverside Imaging Center\nDepartment of Radiology · 1450 Riverside Parkway\n"
            "Accession   RIC2608232951   Exam date   23 August 2026\n")
    assert find_facility(text) == "Riverside Imaging Center"
    assert find_accession(text) == "RIC2608232951"
    assert find_facility("Your clinic will call you.\nDepartment of Surgery") == ""
    assert find_facility("Facility: St. Mary's Medical Center\n") == "St. Mary's Medical Center"
    assert find_accession("Comparison: CT of 2024 (accession LUH52880483).") == "LUH52880483"
    assert find_accession("Case #: S25-01234") == "S25-01234"
    assert find_accession("Nº de acceso: HUV25021412") == "HUV25021412"
    assert find_accession("Case: closed") == ""


# --------------------------------------------------------------------------------------------
# The rules file
# --------------------------------------------------------------------------------------------


def test_shipped_rules_cover_every_kind() -> None:
    rules = classify_module._rules()
    assert {r.kind for r in rules.rules} == set(DocumentKind) - {DocumentKind.OTHER}


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("[weights]\nheading = 3\n\n[radiology_report\nterms = ['CT']\n", 4, "not valid TOML"),
        ("[weights]\nheading = 3\n\n[radiology_reprot]\nterms = ['CT']\n", 4, "not a document kind"),
        ("[radiology_report]\nheadings = ['FINDINGS']\nterms = 'CT'\n", 3, "must be a list of non-empty strings"),
        ("[radiology_report]\nheadings = ['FINDINGS']\nterm = ['CT']\n", 3, "unknown key 'term'"),
        ("[weights]\nheading = 'three'\n[radiology_report]\nterms = ['CT']\n", 2, "must be a number"),
        ("[weights]\nheading = 3\n", 0, "names no document kinds"),
    ],
)
def test_malformed_rules_name_the_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(RulesError) as e:
        classify_module._load_rules(text, "document_kinds/text_rules.toml")
    message = str(e.value)
    assert "document_kinds/text_rules.toml" in message and words in message
    assert e.value.code == "rules_malformed"
    if line:
        assert f"line {line}" in message


def test_rules_weights_are_data() -> None:
    rules = classify_module._load_rules(
        "[weights]\nheading = 10\nmin_score = 25\n[radiology_report]\nheadings = ['FINDINGS', 'IMPRESSION']\n",
        "test.toml")
    assert rules.weights.heading == 10 and rules.weights.min_score == 25


# --------------------------------------------------------------------------------------------
# Never raise, bounded time
# --------------------------------------------------------------------------------------------

_WORDS = st.sampled_from([
    "Patient:", "Patient", "Name:", "DOB", "MRN", "Date:", "Exam date", "Fecha:", "Paciente:", "FINDINGS",
    "IMPRESSION:", "1.", "01/02/1970", "13/13/2020", "March", "5", "2024", "Accession", "Case #", "#", ":",
    "\n", "\t", "   ", "Hospital", "Clínica", "Zoë", "Š", "ﬁ", "İ", "\u0301", "signed", "|", "(", "Nº",
])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=3000), st.lists(_WORDS, max_size=400).map(" ".join)), st.text(max_size=80))
def test_classify_and_finders_never_raise(text: str, title: str) -> None:
    kind, confidence, evidence = classify(text, title=title)
    assert isinstance(kind, DocumentKind) and 0.0 <= confidence <= 1.0 and isinstance(evidence, str)
    assert isinstance(find_identity(text), PersonIdentity)
    date = find_service_date(text)
    assert date == "" or len(date) == 10
    assert isinstance(find_facility(text), str) and isinstance(find_accession(text), str)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "\n" * 500_000,
        "Patient: " * 100_000,
        "Patient\n" * 100_000,
        "1/" * 300_000,
        " " * 500_000 + "x",
        "FINDINGS:" + " " * 500_000,
        ("DOB 01/02/1970 " * 10 + "\n") * 20_000,
        "Accession " * 100_000,
        "Zoë " * 200_000,
    ],
    ids=["letters", "newlines", "labels", "bare-labels", "slashes", "spaces", "gap", "dates", "accession", "accents"],
)
def test_adversarial_text_runs_in_bounded_time(text: str) -> None:
    t = time.perf_counter()
    classify(text, title=text[:1000])
    find_identity(text)
    find_service_date(text)
    find_facility(text)
    find_accession(text)
    assert time.perf_counter() - t < 5
