"""C-CDA reader: the HL7 example documents, unstructured bodies, fragments, and hostile XML."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.ingest import ccda
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind, ParsedDocument
from support import require_dir

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "3_health_documents").resolve()
CCDA = DATA / "ccda"
FULL = CCDA / "full_documents"
EMBEDDED = CCDA / "full_documents_unstructured_embedded"
FRAGMENTS = CCDA / "section_fragments"


@pytest.fixture(scope="module")
def data() -> Path:
    require_dir(DATA)
    return DATA


def _read(path: Path) -> ParsedDocument:
    return ccda.parse(path.read_bytes(), name=path.name)


EXPECTED_KINDS = {
    "CCD_2.xml": DocumentKind.OTHER,
    "Care_Plan.xml": DocumentKind.OTHER,
    "Consultation_Note.xml": DocumentKind.VISIT_NOTE,
    "Diagnostic_Imaging_Report.xml": DocumentKind.RADIOLOGY_REPORT,
    "Discharge_Summary.xml": DocumentKind.DISCHARGE_SUMMARY,
    "History_and_Physical.xml": DocumentKind.VISIT_NOTE,
    "Operative_Note.xml": DocumentKind.OPERATIVE_REPORT,
    "Procedure_Note.xml": DocumentKind.OPERATIVE_REPORT,
    "Progress_Note.xml": DocumentKind.VISIT_NOTE,
    "Referral_Note.xml": DocumentKind.REFERRAL_OR_INSURANCE,
}


@pytest.mark.parametrize("file_name,kind", sorted(EXPECTED_KINDS.items()))
def test_every_full_document_gets_its_kind(data: Path, file_name: str, kind: DocumentKind) -> None:
    raw = (FULL / file_name).read_bytes()
    assert ccda.sniff(raw[:4096])
    doc = ccda.parse(raw, name=file_name)
    assert doc.kind is kind
    assert doc.media_type == ccda.MEDIA_TYPE
    assert doc.problems_found == ()
    assert doc.text.startswith(doc.title)
    if file_name == "Referral_Note.xml":
        # The example's code is 57113-1 (not a LOINC document code); its template says Referral Note.
        assert doc.kind_confidence == 0.9
        assert "2.16.840.1.113883.10.20.22.1.14" in doc.kind_evidence
    else:
        assert doc.kind_confidence == 0.95
        assert doc.kind_evidence.startswith("C-CDA LOINC ")


def test_the_full_documents_folder_holds_exactly_the_checked_files(data: Path) -> None:
    assert sorted(p.name for p in FULL.glob("*.xml")) == sorted(EXPECTED_KINDS)


def test_ccd_header_patient_allergies_and_procedures(data: Path) -> None:
    doc = _read(FULL / "CCD_2.xml")
    assert doc.kind_evidence == "C-CDA LOINC 34133-9 Summary of episode note"
    assert doc.title == "Summary of Patient Chart"
    assert doc.date == "2014-10-15T10:30:26-05:00"
    assert doc.patient.name == "Isabella Jones"
    assert doc.patient.birth_date == "1950-12-19"
    assert doc.patient.sex == "F"
    # "No known allergies": a negated allergy observation to the generic substance 105590001.
    assert len(doc.allergies) == 1
    assert doc.allergies[0].none_known and doc.allergies[0].substance == ""
    appendectomy = doc.procedures[0]
    assert appendectomy.name == "Laparoscopic appendectomy"
    assert appendectomy.date == "2014-10-02T10:30:26-05:00"
    assert appendectomy.code == "http://snomed.info/sct|6025007"
    assert appendectomy.status == "completed"
    assert doc.medications == ()  # the medications section says "No information"
    assert "ALLERGIES AND ADVERSE REACTIONS\nNo known allergies" in doc.text


def test_consultation_note_structured_values(data: Path) -> None:
    doc = _read(FULL / "Consultation_Note.xml")
    assert doc.date == "2013-08-01T05:00-08:00"
    assert doc.patient.name == "Eve Betterhalf"
    assert doc.patient.birth_date == "1975-05-01"
    assert doc.patient.id == ""  # the only id is a Social Security Number, never used as the record id
    albuterol = doc.medications[0]
    assert albuterol.name == "albuterol 0.09 MG/ACTUAT [Proventil]"
    assert albuterol.dose == "2 puff"
    assert albuterol.start == "2013-01-03"
    assert albuterol.frequency == "4 times a day"  # PIVL_TS 6 h, institutionSpecified
    assert albuterol.route == "Inhalation Route of Administration"
    assert albuterol.status == "active"
    assert albuterol.code == "http://www.nlm.nih.gov/research/umls/rxnorm|573621"
    penicillin = doc.allergies[0]
    assert (penicillin.substance, penicillin.reaction, penicillin.severity) == ("Penicillin", "Nausea", "Mild")
    assert penicillin.onset == "1998-05-01"
    hemoglobin = next(r for r in doc.results if r.code == "http://loinc.org|718-7")
    assert (hemoglobin.value, hemoglobin.unit) == ("13.2", "g/dL")
    assert hemoglobin.reference_range == "12.0-15.5 g/dL"
    assert hemoglobin.date == "2013-03-11T08:30-08:00"
    assert hemoglobin.panel == "CBC W Auto Differential panel in Blood"
    platelets = next(r for r in doc.results if r.name == "Platelets")
    assert platelets.flag == "A"
    pneumonia = next(p for p in doc.problems if p.name == "Pneumonia")
    assert (pneumonia.onset, pneumonia.resolved, pneumonia.status) == ("1998-03-10", "1998-03-16", "resolved")
    assert doc.encounters[0].type == "outpatient"


def test_discharge_summary_is_an_inpatient_stay(data: Path) -> None:
    doc = _read(FULL / "Discharge_Summary.xml")
    stay = doc.encounters[0]
    assert stay.type == "inpatient"
    assert (stay.start, stay.end) == ("2014-09-09T19:04-05:00", "2014-09-16T19:04-05:00")
    egg = next(a for a in doc.allergies if a.substance == "Egg")
    assert egg.reaction == "Wheal" and egg.severity == "Moderate" and egg.onset == "1998"
    assert egg.code == "http://fdasis.nlm.nih.gov|291P45F896"
    assert doc.facility == "Community Health and Hospitals"
    assert doc.author == "Henry Seven"


def test_diagnostic_imaging_report(data: Path) -> None:
    doc = _read(FULL / "Diagnostic_Imaging_Report.xml")
    assert doc.title == "Chest X-Ray, PA and LAT View"
    assert doc.date == "2005-03-29T17:15:04-05:00"
    assert doc.accession == "10523475"
    assert doc.patient.name == "Adam Everyman" and doc.patient.birth_date == "1954-11-25"
    assert "FINDINGS" in doc.text and "The cardiomediastinum is within normal limits" in doc.text


def test_history_and_physical_prn_and_planned_procedure(data: Path) -> None:
    doc = _read(FULL / "History_and_Physical.xml")
    albuterol = doc.medications[0]
    assert albuterol.frequency == "4 times a day, as needed"
    assert (albuterol.start, albuterol.stop, albuterol.status) == ("2007-01-03", "2012-05-15", "completed")
    hgb = next(r for r in doc.results if r.name == "HGB")
    assert hgb.reference_range == "M 13-18 g/dl; F 12-16 g/dl"  # two reference ranges, as written
    assert any(p.name == "Colonoscopy" and p.status == "planned" for p in doc.procedures)
    # Immunizations are not medications.
    assert all("vaccine" not in m.name.lower() for m in doc.medications)


def test_referral_note_leaves_vaccines_out_of_medications(data: Path) -> None:
    doc = _read(FULL / "Referral_Note.xml")
    assert [m.name for m in doc.medications] == ["albuterol 0.09 MG/ACTUAT [Proventil]", "atenolol 25 MG Oral Tablet"]


def test_logs_carry_no_patient_data(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="bundler")
    doc = _read(FULL / "Consultation_Note.xml")
    assert caplog.records  # it does log (counts)
    for word in (doc.patient.name, "Betterhalf", doc.patient.birth_date, "Penicillin", "albuterol"):
        assert word not in caplog.text


def test_embedded_pdf_is_the_pdf_byte_for_byte(data: Path) -> None:
    doc = _read(EMBEDDED / "Unstructured_Document_embed.xml")
    assert doc.kind is DocumentKind.DISCHARGE_SUMMARY
    (attachment,) = doc.attachments
    assert attachment.media_type == "application/pdf"
    assert attachment.data.startswith(b"%PDF")
    assert attachment.data == (EMBEDDED / "C-CDA_R2_UD_sample.pdf").read_bytes()
    assert attachment.kind is DocumentKind.DISCHARGE_SUMMARY
    assert attachment.kind_evidence == "C-CDA LOINC 11490-0 Physician Discharge summary"
    assert attachment.date == "2009-03-29T22:44:11-07:00"
    assert doc.patient.name == "Henry L Levin"


def test_embedded_plain_text_is_attachment_and_text(data: Path) -> None:
    doc = _read(EMBEDDED / "CDA_Embedded_Text_Plain_Surgical_Consult.xml")
    assert doc.kind is DocumentKind.VISIT_NOTE  # 34847-4 Surgery Consult note
    (attachment,) = doc.attachments
    assert attachment.media_type == "text/plain"
    assert attachment.data.startswith(b"LOCAL TITLE: SURGICAL CONSULT")
    assert "LOCAL TITLE: SURGICAL CONSULT" in doc.text


def test_referenced_document_is_noted_not_invented(data: Path) -> None:
    doc = _read(EMBEDDED / "Unstructured_Document_reference.xml")
    assert doc.attachments == ()
    assert any("UD_sample.pdf" in p and "not inside it" in p for p in doc.problems_found)


def test_fragments_are_read_for_their_entries(data: Path) -> None:
    codeine = _read(FRAGMENTS / "allergies" / "Allergy to specific drug Codeine(C-CDA2.1).xml")
    assert codeine.kind is DocumentKind.OTHER
    assert any("only a fragment" in p for p in codeine.problems_found)
    assert any("without declaring them" in p for p in codeine.problems_found)  # its xsi: prefix
    (allergy,) = codeine.allergies
    assert (allergy.substance, allergy.reaction, allergy.severity) == ("codeine", "Nausea", "Severe")

    nka = _read(FRAGMENTS / "allergies" / "No Known Allergies with Author Timestamp(C-CDA2.1).xml")
    assert [a.none_known for a in nka.allergies] == [True]

    less_than = _read(FRAGMENTS / "results" / "Results with less than specific value(C-CDA2.1).xml")
    (bnp,) = less_than.results
    assert (bnp.value, bnp.unit, bnp.reference_range) == ("<=5", "pg/mL", "0-100 pg/mL")

    withdrawn = _read(FRAGMENTS / "medications" / "Withdrawn Antibiotics with varied dosing(C-CDA2.1).xml")
    assert [(m.dose, m.start[:10]) for m in withdrawn.medications] == [("2", "2014-03-10"), ("1", "2014-03-11")]

    none = _read(FRAGMENTS / "medications" / "No Medications(C-CDA2.1).xml")
    assert none.medications == ()  # a negated "drug or medicament" is not a medication
    assert "No Medications" in none.text

    problems = _read(FRAGMENTS / "problems" / "No Known Problems(C-CDA2.1).xml")
    assert problems.problems == ()


def test_every_fragment_reads_or_fails_cleanly(data: Path) -> None:
    outcomes = {}
    for path in sorted(FRAGMENTS.rglob("*")):
        if path.is_dir() or path.suffix == ".pdf":
            continue
        try:
            doc = ccda.parse(path.read_bytes(), name=path.name)
            outcomes[path.name] = doc.kind.value
        except DocumentReadError as e:
            outcomes[path.name] = e.reason
        assert not ccda.sniff(path.read_bytes()[:4096])  # no ClinicalDocument root
    # The UDI organizer example has "--" inside a comment: it is not well-formed XML.
    assert outcomes.pop("20201015_Implant UDI Organizer (C-CDA R2.1)") == "xml_malformed"
    assert set(outcomes.values()) == {"other"}


def test_fragment_with_nothing_readable_raises_ccda_fragment() -> None:
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b'<section xmlns="urn:hl7-org:v3"><title></title></section>', name="x.xml")
    assert err.value.reason == "ccda_fragment"


# ---------------------------------------------------------------------------------------------
# Sniffing.

MINIMAL = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3">'
           b'<code code="18842-5" codeSystem="2.16.840.1.113883.6.1" displayName="Discharge summary"/>'
           b'<title>T</title><effectiveTime value="20240102"/></ClinicalDocument>')


def test_sniff() -> None:
    assert ccda.sniff(MINIMAL)
    assert ccda.sniff(b'\xef\xbb\xbf<!-- x --><?pi y?>\n<cda:ClinicalDocument xmlns:cda="urn:hl7-org:v3">')
    assert ccda.sniff(MINIMAL.decode().replace("UTF-8", "UTF-16").encode("utf-16"))  # with its BOM
    assert ccda.sniff(MINIMAL.decode().replace("UTF-8", "UTF-16").encode("utf-16-le"))
    assert not ccda.sniff(b"<ClinicalDocument>")  # not in the HL7 v3 namespace
    assert not ccda.sniff(b'<cda:ClinicalDocument xmlns="urn:hl7-org:v3">')  # prefix not bound to v3
    assert not ccda.sniff(b'<html><ClinicalDocument xmlns="urn:hl7-org:v3"/></html>')
    assert not ccda.sniff(b'{"resourceType": "Patient"}')
    assert not ccda.sniff(b"MSH|^~\\&|")
    assert not ccda.sniff(b"")


def test_utf16_document_parses_like_utf8() -> None:
    doc = ccda.parse(MINIMAL.decode().replace("UTF-8", "UTF-16").encode("utf-16"), name="X.XML")
    assert doc.kind is DocumentKind.DISCHARGE_SUMMARY and doc.date == "2024-01-02" and doc.title == "T"


# ---------------------------------------------------------------------------------------------
# Hostile input.

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&xxe;</title></ClinicalDocument>"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</title></ClinicalDocument>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ClinicalDocument SYSTEM "file:///etc/passwd">
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>x</title></ClinicalDocument>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)
) + b"""]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>"""


@pytest.mark.parametrize("payload", [XXE, XXE_PARAMETER, EXTERNAL_DTD], ids=["entity", "parameter", "dtd"])
def test_xxe_is_refused_and_nothing_is_read(payload: bytes) -> None:
    assert ccda.sniff(payload)  # it is routed here, and refused as unsafe rather than skipped
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(payload, name="evil.xml")
    assert err.value.reason == "xml_forbidden"
    passwd = Path("/etc/passwd")
    if passwd.is_file():
        secret = passwd.read_text(errors="replace").splitlines()[0]
        for shown in (err.value.detail, str(err.value), repr(err.value), repr(err.value.__cause__)):
            assert secret not in shown
            assert "root:" not in shown


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(BILLION_LAUGHS, name="lol.xml")
    assert err.value.reason == "xml_forbidden"
    assert time.monotonic() - started < 1


def test_undeclared_prefixes() -> None:
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b'<ClinicalDocument xmlns="urn:hl7-org:v3"><foo:bar/></ClinicalDocument>', name="x.xml")
    assert err.value.reason == "xml_malformed"
    # The standard xsi: prefix, undeclared (as in many hand-made files): read, and said so.
    doc = ccda.parse(MINIMAL.replace(b"<title>", b'<title xsi:nil="false">'), name="x.xml")
    assert doc.kind is DocumentKind.DISCHARGE_SUMMARY
    assert any("without declaring" in p for p in doc.problems_found)


def test_truncated_xml(data: Path) -> None:
    raw = (FULL / "CCD_2.xml").read_bytes()
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(raw[: len(raw) // 2], name="x.xml")
    assert err.value.reason == "xml_malformed"


def test_non_utf8_bytes() -> None:
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(MINIMAL.replace(b"<title>T", b"<title>\xff\xfe\xc3("), name="x.xml")
    assert err.value.reason == "xml_malformed"
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b"\x00\x01\x02garbage", name="x.xml")
    assert err.value.reason == "xml_malformed"


def test_deep_nesting_is_bounded() -> None:
    deep = b'<ClinicalDocument xmlns="urn:hl7-org:v3">' + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</ClinicalDocument>"
    started = time.monotonic()
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(deep, name="x.xml")
    assert err.value.reason == "too_large"
    assert time.monotonic() - started < 2


def test_size_limit() -> None:
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b" " * (ccda.MAX_BYTES + 1), name="x.xml")
    assert err.value.reason == "too_large"


def test_not_ccda() -> None:
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b"<html><body>hello</body></html>", name="x.xml")
    assert err.value.reason == "not_ccda"
    with pytest.raises(DocumentReadError) as err:
        ccda.parse(b"<ClinicalDocument><title>no namespace</title></ClinicalDocument>", name="x.xml")
    assert err.value.reason == "not_ccda"


def test_invalid_base64_body_is_noted() -> None:
    raw = (b'<ClinicalDocument xmlns="urn:hl7-org:v3"><code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/>'
           b'<component><nonXMLBody><text mediaType="application/pdf" representation="B64">%%not base64!!'
           b"</text></nonXMLBody></component></ClinicalDocument>")
    doc = ccda.parse(raw, name="x.xml")
    assert doc.attachments == ()
    assert any("invalid base64" in p for p in doc.problems_found)
    assert doc.kind is DocumentKind.DISCHARGE_SUMMARY


def test_compressed_body_is_inflated() -> None:
    import zlib

    pdf = b"%PDF-1.4 tiny"
    packed = zlib.compressobj(wbits=-15)
    deflated = packed.compress(pdf) + packed.flush()
    raw = (b'<ClinicalDocument xmlns="urn:hl7-org:v3"><component><nonXMLBody>'
           b'<text mediaType="application/pdf" representation="B64" compression="DF">'
           + base64.b64encode(deflated) + b"</text></nonXMLBody></component></ClinicalDocument>")
    (attachment,) = ccda.parse(raw, name="x.xml").attachments
    assert attachment.data == pdf


def test_timestamps() -> None:
    assert ccda.hl7_ts_to_iso("20141015103026-0500") == "2014-10-15T10:30:26-05:00"
    assert ccda.hl7_ts_to_iso("201308201120-0800") == "2013-08-20T11:20-08:00"
    assert ccda.hl7_ts_to_iso("20050501") == "2005-05-01"
    assert ccda.hl7_ts_to_iso("200503") == "2005-03"
    assert ccda.hl7_ts_to_iso("20050501-0500") == "2005-05-01"
    assert ccda.hl7_ts_to_iso("20141015103026.123+0100") == "2014-10-15T10:30:26.123+01:00"
    assert ccda.hl7_ts_to_iso("20141315") == ""
    assert ccda.hl7_ts_to_iso("soon") == ""


# ---------------------------------------------------------------------------------------------
# Property tests: nothing but DocumentReadError, in bounded time.

SAMPLES = sorted(p for p in FULL.glob("*.xml")) + sorted(EMBEDDED.glob("*.xml")) if FULL.is_dir() else []
REAL = [p.read_bytes() for p in SAMPLES if p.stat().st_size < 100_000]


def _parse_or_refuse(raw: bytes) -> None:
    started = time.monotonic()
    try:
        ccda.parse(raw, name="fuzz.xml")
    except DocumentReadError as e:
        assert e.reason in {"xml_malformed", "xml_forbidden", "not_ccda", "ccda_fragment", "too_large"}
        assert e.detail
    assert time.monotonic() - started < 5
    ccda.sniff(raw[:4096])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    _parse_or_refuse(raw)
    _parse_or_refuse(b'<ClinicalDocument xmlns="urn:hl7-org:v3">' + raw)


def test_mutated_real_documents_never_raise_anything_else() -> None:
    require_dir(DATA)
    assert REAL
    _mutated_real_documents()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def _mutated_real_documents(data: st.DataObject) -> None:
    raw = bytearray(data.draw(st.sampled_from(REAL)))
    for _ in range(data.draw(st.integers(1, 8))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[at:at] = data.draw(st.sampled_from(
                [b"<", b">", b"&", b"<!DOCTYPE x>", b'xsi:type="PQ"', b"<entry>", b"</section>", b"\x00", b"]]>",
                 b"<value xsi:type=\"IVL_PQ\"><low value=\"x\"/></value>", b'negationInd="true"']))
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 200))]
        elif op == "cut":
            raw = raw[at:] + raw[:at]
        elif op == "truncate":
            raw = raw[:at]
    _parse_or_refuse(bytes(raw))
