"""FHIR R4 reader: US Core, IPS and Synthea examples, embedded documents, and hostile JSON."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.ingest import ccda, fhir
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind, ParsedDocument
from support import require_dir

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "3_health_documents").resolve()
FHIR = DATA / "fhir_r4"
US_CORE = FHIR / "us_core"
PDFS = DATA / "pdf_reports"
JILL = FHIR / "synthea" / "Jill_Tillman_c4b7d178-c437-4202-9fb0-1b64afb8bc09.json"
LOUIS = FHIR / "synthea" / "Louis_Erdman_55bbe118-e08d-4408-86e5-6084457500d4.json"
IPS = FHIR / "ips" / "Bundle-IPS-examples-Bundle-with-immunization.json"


@pytest.fixture(scope="module")
def data() -> Path:
    require_dir(DATA)
    return DATA


def _read(path: Path) -> ParsedDocument:
    return fhir.parse(path.read_bytes(), name=path.name)


def _parse_json(value: object) -> ParsedDocument:
    return fhir.parse(json.dumps(value).encode(), name="x.json")


# Files that only link to a document stored elsewhere say so; nothing else is a problem.
LINKED_ONLY = {"DiagnosticReport-cardiology-report.json", "bundle-docref-example1.json"}
EXPECTED_KINDS = {
    "Bundle-IPS-examples-Bundle-with-immunization.json": DocumentKind.OTHER,  # Patient summary Document
    "Jill_Tillman_c4b7d178-c437-4202-9fb0-1b64afb8bc09.json": DocumentKind.OTHER,  # mixed record
    "Louis_Erdman_55bbe118-e08d-4408-86e5-6084457500d4.json": DocumentKind.OTHER,
    "DiagnosticReport-cardiology-report.json": DocumentKind.OTHER,
    "DiagnosticReport-chest-xray-report.json": DocumentKind.RADIOLOGY_REPORT,
    "DocumentReference-living-will.json": DocumentKind.CONSENT_OR_LEGAL,
    "bundle-docref-example1.json": DocumentKind.OTHER,  # a CCD
    "condition-encounter-diagnosis-example1.json": DocumentKind.OTHER,
    "diagnosticreport-cbc.json": DocumentKind.LAB_RESULT,
    "diagnosticreport-metabolic-panel.json": DocumentKind.LAB_RESULT,
    "documentreference-episode-summary.json": DocumentKind.OTHER,
    "medicationdispense-example.json": DocumentKind.MEDICATION_LIST,
    "medicationrequest-coded-oral-axid.json": DocumentKind.MEDICATION_LIST,
    "medicationrequest-contained-oral-axid.json": DocumentKind.MEDICATION_LIST,
    "medicationrequest-self-tylenol.json": DocumentKind.MEDICATION_LIST,
    "observation-cbc-hemoglobin.json": DocumentKind.LAB_RESULT,
    "patient-example.json": DocumentKind.OTHER,
}


@pytest.mark.parametrize("file_name,kind", sorted(EXPECTED_KINDS.items()))
def test_every_example_parses(data: Path, file_name: str, kind: DocumentKind) -> None:
    (path,) = FHIR.rglob(file_name)
    raw = path.read_bytes()
    assert fhir.sniff(raw[:4096])
    doc = fhir.parse(raw, name=file_name)
    assert doc.media_type == fhir.MEDIA_TYPE
    assert doc.kind is kind
    if file_name in LINKED_ONLY:
        assert len(doc.problems_found) == 1 and "stored elsewhere" in doc.problems_found[0]
    else:
        assert doc.problems_found == ()


def test_every_fhir_file_is_checked(data: Path) -> None:
    assert sorted(p.name for p in FHIR.rglob("*.json")) == sorted(EXPECTED_KINDS)


def test_cbc_hemoglobin(data: Path) -> None:
    doc = _read(US_CORE / "observation-cbc-hemoglobin.json")
    (hb,) = doc.results
    assert (hb.name, hb.value, hb.unit, hb.date) == ("Hemoglobin, Blood", "17", "g/dL", "2005-07-05")
    assert hb.reference_range == "16.5-21.5 g/dL"
    assert hb.code == "http://loinc.org|718-7"
    assert hb.flag == ""  # interpretation N
    assert doc.kind_confidence == 0.8
    assert doc.patient.name == "Amy Shaw"  # only the subject reference's display


def test_tylenol_medication_request(data: Path) -> None:
    doc = _read(US_CORE / "medicationrequest-self-tylenol.json")
    (tylenol,) = doc.medications
    assert tylenol.name == "Tylenol PM Pill"
    assert tylenol.code == "http://www.nlm.nih.gov/research/umls/rxnorm|1187314"
    assert tylenol.status == "active"
    assert tylenol.start == "2019-06-24"  # authoredOn
    assert tylenol.frequency == "Takes 1-2 tablets once daily at bedtime as needed for restless legs"


def test_contained_medication(data: Path) -> None:
    doc = _read(US_CORE / "medicationrequest-contained-oral-axid.json")
    (axid,) = doc.medications
    assert axid.name == "Nizatidine 15 MG/ML Oral Solution [Axid]"
    assert axid.code == "http://www.nlm.nih.gov/research/umls/rxnorm|582620"
    assert (axid.dose, axid.route, axid.frequency, axid.start) == ("10 ml", "Oral route", "twice a day", "2008-04-05")
    assert axid.notes == "10 mL bid"


def test_medication_dispense_status_is_not_the_patients(data: Path) -> None:
    (med,) = _read(US_CORE / "medicationdispense-example.json").medications
    assert med.status == "" and "Dispensed 2016-12-08" in med.notes


def test_medication_reference_into_the_bundle_and_ips_document(data: Path) -> None:
    doc = _read(IPS)
    assert doc.kind_evidence == "FHIR Composition type LOINC 60591-5 Patient summary Document"
    assert doc.kind_confidence == 0.9
    assert doc.title == "Patient Summary as of December 11, 2017 14:30"
    assert doc.date == "2017-12-11T14:30:00+01:00"
    assert doc.patient.name == "Martha DeLarosa" and doc.patient.birth_date == "1972-05-01"
    names = [m.name for m in doc.medications]
    assert names == ["Product containing anastrozole (medicinal product)", "Black Cohosh Extract herbal supplement"]
    assert doc.medications[0].dose == "1 tablet" and doc.medications[0].start == "2015-03"
    assert any(a.none_known for a in doc.allergies)  # "No known food allergy"
    a1c = next(r for r in doc.results if r.code == "http://loinc.org|17856-6")
    assert (a1c.value, a1c.unit) == ("7.5", "%")
    assert "ACTIVE PROBLEMS" in doc.text


def test_lab_report(data: Path) -> None:
    doc = _read(US_CORE / "diagnosticreport-cbc.json")
    assert doc.title == "CBC panel - Blood by Automated count"
    assert doc.date == "2005-07-05"
    assert doc.facility == "Acme Laboratory, Inc" and doc.author == "Dr Ronald Bone"


def test_radiology_report_with_xhtml_presented_form(data: Path) -> None:
    doc = _read(US_CORE / "DiagnosticReport-chest-xray-report.json")
    assert doc.kind_confidence == 0.9
    assert doc.kind_evidence == "FHIR DiagnosticReport category LP29684-5 Radiology"
    (form,) = doc.attachments
    assert form.media_type == "application/xhtml" and form.kind is DocumentKind.RADIOLOGY_REPORT
    assert "IMPRESSION:" in doc.text and "No acute abnormality." in doc.text


def test_living_will_pdf_is_byte_identical(data: Path) -> None:
    doc = _read(US_CORE / "DocumentReference-living-will.json")
    (pdf,) = doc.attachments
    assert pdf.media_type == "application/pdf"
    assert pdf.data == (PDFS / "uscore_living_will.pdf").read_bytes()
    assert pdf.kind is DocumentKind.CONSENT_OR_LEGAL
    assert pdf.kind_evidence == "FHIR DocumentReference type LOINC 86533-7 Patient Living will"
    assert (pdf.title, pdf.date) == ("Living Will (PDF)", "2024-10-04")


def test_bone_density_presented_form_round_trip(data: Path) -> None:
    # The source JSON (US Core DiagnosticReport-bone-density-report.json) is not in the shared
    # data, only its decoded PDF: embed it the way that report does and read it back.
    pdf = (PDFS / "uscore_bone_density_DXA_report.pdf").read_bytes()
    encoded = base64.b64encode(pdf).decode()
    report = {
        "resourceType": "DiagnosticReport", "status": "final",
        "category": [{"coding": [{"system": "http://loinc.org", "code": "LP29684-5", "display": "Radiology"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "38269-7", "display": "DXA Bone density"}]},
        "effectiveDateTime": "2024-01-02",
        "presentedForm": [{"contentType": "application/pdf", "title": "DXA",
                           "data": "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))}],
    }
    doc = _parse_json(report)
    (attachment,) = doc.attachments
    assert attachment.data == pdf and attachment.data.startswith(b"%PDF")
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT and attachment.kind is DocumentKind.RADIOLOGY_REPORT


def test_episode_summary_carries_a_ccda(data: Path) -> None:
    doc = _read(US_CORE / "documentreference-episode-summary.json")
    (xml,) = doc.attachments
    assert xml.media_type == "application/xml"
    assert ccda.sniff(xml.data[:4096])
    inner = ccda.parse(xml.data, name="episode.xml")
    assert inner.kind is DocumentKind.OTHER and inner.kind_evidence.startswith("C-CDA LOINC 34133-9")
    assert doc.date == "2025-09-27T13:00:00+11:00"  # context.period.start: the date of service


@pytest.mark.parametrize("path,meds,allergies", [(JILL, 12, 6), (LOUIS, 4, 1)], ids=["jill", "louis"])
def test_synthea_bundles_are_read_fast(data: Path, path: Path, meds: int, allergies: int) -> None:
    raw = path.read_bytes()
    started = time.perf_counter()
    doc = fhir.parse(raw, name=path.name)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert len(doc.medications) == meds and len(doc.allergies) == allergies
    assert doc.kind is DocumentKind.OTHER and doc.kind_confidence == 0.6
    assert doc.results and all(r.value and r.date for r in doc.results)
    assert all(e.type in ("outpatient", "inpatient", "emergency") for e in doc.encounters)


def test_logs_carry_no_patient_data(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="bundler")
    _read(JILL)
    assert caplog.records
    for word in ("Jill", "Tillman", "1971-05-18", "c4b7d178", "Fluticasone"):
        assert word not in caplog.text


def test_synthea_values(data: Path) -> None:
    doc = _read(JILL)
    assert doc.patient.name == "Jill Tillman"
    assert doc.patient.birth_date == "1971-05-18"
    assert doc.patient.id == "c4b7d178-c437-4202-9fb0-1b64afb8bc09"  # the MR identifier, not the SSN
    assert doc.patient.sex == "female"
    cholesterol = next(r for r in doc.results if r.code == "http://loinc.org|2093-3")
    assert (cholesterol.value, cholesterol.unit) == ("177.7760139838978", "mg/dL")  # as written
    assert cholesterol.panel == "Lipid Panel" and cholesterol.date == "2012-02-07T06:18:47+00:00"
    assert not any(r.name == "Body Height" for r in doc.results)  # vital signs are not lab results


# ---------------------------------------------------------------------------------------------
# Bundles, kinds and hostile input.


def test_only_medications_or_only_labs_give_the_bundle_its_kind() -> None:
    med = {"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": "A"}}
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "Na"},
           "valueQuantity": {"value": 140, "unit": "mmol/L"}}
    meds = _parse_json({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": med}] * 2})
    assert (meds.kind, meds.kind_confidence) == (DocumentKind.MEDICATION_LIST, 0.7)
    labs = _parse_json({"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": obs}]})
    assert (labs.kind, labs.kind_confidence) == (DocumentKind.LAB_RESULT, 0.7)
    mixed = _parse_json({"resourceType": "Bundle", "type": "batch", "entry": [{"resource": obs}, {"resource": med}]})
    assert mixed.kind is DocumentKind.OTHER


def test_document_bundle_takes_its_composition_type() -> None:
    bundle = {"resourceType": "Bundle", "type": "document", "entry": [
        {"resource": {"resourceType": "Composition", "title": "Discharge", "date": "2024-05-01",
                      "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
                      "section": [{"title": "Course", "text": {"div": "<div><p>Stable.</p></div>"}}]}}]}
    doc = _parse_json(bundle)
    assert (doc.kind, doc.kind_confidence, doc.title, doc.date) == (DocumentKind.DISCHARGE_SUMMARY, 0.9,
                                                                      "Discharge", "2024-05-01")
    assert "COURSE\nStable." in doc.text


def test_invalid_base64_skips_only_that_attachment() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "DocumentReference", "status": "current",
                      "content": [{"attachment": {"contentType": "application/pdf", "data": "!!!not*base64***"}}]}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active",
                      "medicationCodeableConcept": {"text": "Aspirin 81 mg"}}},
    ]}
    doc = _parse_json(bundle)
    assert doc.attachments == ()
    assert [m.name for m in doc.medications] == ["Aspirin 81 mg"]
    assert any("invalid base64" in p for p in doc.problems_found)


def test_binary_alone_with_invalid_base64() -> None:
    with pytest.raises(DocumentReadError) as err:
        _parse_json({"resourceType": "Binary", "contentType": "application/pdf", "data": "@@@"})
    assert err.value.reason == "base64_invalid"
    ok = _parse_json({"resourceType": "Binary", "contentType": "application/pdf",
                      "data": base64.b64encode(b"%PDF-1.7 x").decode()})
    assert ok.attachments[0].data == b"%PDF-1.7 x"


@pytest.mark.parametrize("raw,reason", [
    (b"[1, 2, 3]", "not_fhir"),
    (b'"Patient"', "not_fhir"),
    (b'{"resourceType": 123}', "not_fhir"),
    (b'{"resourceType": "patient lower"}', "not_fhir"),
    (b'{"id": "x"}', "not_fhir"),
    (b"null", "not_fhir"),
    (b'{"resourceType": "Patient",', "json_malformed"),
    (b'{"resourceType": "Patient", "name": "\xff\xfe\xc3("}', "json_malformed"),
    (b"\x00\x01garbage", "json_malformed"),
    (b"", "json_malformed"),
], ids=["array", "string", "number-type", "bad-type", "no-type", "null", "truncated", "not-utf8", "garbage", "empty"])
def test_not_fhir(raw: bytes, reason: str) -> None:
    with pytest.raises(DocumentReadError) as err:
        fhir.parse(raw, name="x.json")
    assert err.value.reason == reason


def test_deep_nesting() -> None:
    hundred = {"resourceType": "Observation", "status": "final", "code": {"text": "Na"},
               "valueQuantity": {"value": 140, "unit": "mmol/L"}, "extension": []}
    inner: dict[str, object] = hundred
    for _ in range(100):  # a 100-level deep extension is unusual but legal: read it
        nested: dict[str, object] = {"url": "x", "extension": []}
        inner["extension"] = [nested]
        inner = nested
    assert _parse_json(hundred).results[0].value == "140"
    deep = b'{"resourceType": "Patient", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    started = time.monotonic()
    with pytest.raises(DocumentReadError) as err:
        fhir.parse(deep, name="x.json")
    assert err.value.reason == "too_large"
    assert time.monotonic() - started < 2


def test_size_limit() -> None:
    with pytest.raises(DocumentReadError) as err:
        fhir.parse(b" " * (fhir.MAX_BYTES + 1), name="x.json")
    assert err.value.reason == "too_large"


def test_wrong_json_types_are_skipped_not_fatal() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "code": 5, "valueQuantity": "x", "category": "lab"}},
        {"resource": {"resourceType": "MedicationRequest", "medicationCodeableConcept": [1, 2],
                      "dosageInstruction": "daily"}},
        {"resource": {"resourceType": "Patient", "name": [{"given": "Ann", "family": 7}], "birthDate": 19}},
        {"resource": "not a resource"}, "not an entry", None,
        {"resource": {"resourceType": "AllergyIntolerance", "code": {"coding": "x"}, "reaction": {"a": 1}}},
        {"resource": {"resourceType": "Encounter", "class": [], "period": "2020"}},
    ]}
    doc = _parse_json(bundle)
    assert doc.kind is DocumentKind.OTHER


def test_sniff() -> None:
    assert fhir.sniff(b'{"resourceType": "Patient"}')
    assert fhir.sniff(b'\xef\xbb\xbf  {\n "id": "x",\n "resourceType" : "Bundle"')
    assert fhir.sniff('{"resourceType": "Patient"}'.encode("utf-16"))
    assert not fhir.sniff(b'["resourceType"]')
    assert not fhir.sniff(b'{"resource": "Patient"}')
    assert not fhir.sniff(b"<ClinicalDocument/>")
    assert not fhir.sniff(b"")


# ---------------------------------------------------------------------------------------------
# Property tests.

SAMPLES = sorted(p for p in US_CORE.glob("*.json") if p.stat().st_size < 10_000) if US_CORE.is_dir() else []
REAL = [p.read_bytes() for p in SAMPLES]


def _parse_or_refuse(raw: bytes) -> None:
    started = time.monotonic()
    try:
        fhir.parse(raw, name="fuzz.json")
    except DocumentReadError as e:
        assert e.reason in {"json_malformed", "not_fhir", "too_large", "base64_invalid"}
    assert time.monotonic() - started < 5
    fhir.sniff(raw[:4096])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceType", "entry", "resource", "code", "coding", "text", "valueQuantity", "value",
                         "unit", "status", "category", "data", "content", "attachment", "contentType",
                         "medicationReference", "reference", "contained", "presentedForm", "result", "name",
                         "dosageInstruction", "timing", "repeat", "referenceRange", "low", "high", "id"]),
        children, max_size=5),
    max_leaves=30)
RESOURCE_TYPES = st.sampled_from(["Bundle", "Patient", "Observation", "DiagnosticReport", "DocumentReference",
                                  "MedicationRequest", "MedicationStatement", "AllergyIntolerance", "Condition",
                                  "Encounter", "Composition", "Binary", "Procedure", "MedicationDispense"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    _parse_or_refuse(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RESOURCE_TYPES, st.dictionaries(st.text(max_size=12) | st.sampled_from(["entry", "code", "contained"]),
                                       JSON_VALUES, max_size=6), RESOURCE_TYPES, JSON_VALUES)
def test_arbitrary_resources_never_raise_anything_else(rtype: str, body: dict[str, object], inner_type: str,
                                                       inner: object) -> None:
    resource = dict(body, resourceType=rtype)
    if rtype == "Bundle":
        resource["entry"] = [{"resource": {"resourceType": inner_type, "x": inner}}, {"resource": inner}]
    _parse_or_refuse(json.dumps(resource).encode())


def test_mutated_real_files_never_raise_anything_else() -> None:
    require_dir(DATA)
    assert REAL
    _mutated_real_files_never_raise_anything_else()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def _mutated_real_files_never_raise_anything_else(data: st.DataObject) -> None:
    raw = bytearray(data.draw(st.sampled_from(REAL)))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[at:at] = data.draw(st.sampled_from([b"{", b"}", b"[", b'"', b",", b"null", b"1e999", b"-0",
                                                    b'"#x"', b"[[[[[[", b'"data": "!!"', b"\\u0000"]))
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 50))]
        else:
            raw = raw[:at]
    _parse_or_refuse(bytes(raw))
