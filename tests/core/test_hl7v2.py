"""HL7 v2 reader: the dcm4che ORU^R01 samples, escapes, embedded documents, and hostile input."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.ingest import ccda, hl7v2
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DocumentKind, ParsedDocument
from support import require_dir

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "3_health_documents").resolve()
HL7 = DATA / "hl7v2"
SR = HL7 / "ORU^R01-SR.hl7"
CDA = HL7 / "ORU^R01-CDA.hl7"


@pytest.fixture(scope="module")
def data() -> Path:
    require_dir(DATA)
    return DATA


def _parse(text: str) -> ParsedDocument:
    return hl7v2.parse(text.encode("latin-1"), name="x.hl7")


def test_sr_sample_patient_and_report(data: Path) -> None:
    raw = SR.read_bytes()
    assert hl7v2.sniff(raw[:4096])
    doc = hl7v2.parse(raw, name=SR.name)
    assert doc.media_type == hl7v2.MEDIA_TYPE
    assert doc.patient.name == "Smith^Lucy^Mark"
    assert doc.patient.birth_date == "2014-10-14"
    assert doc.patient.id == "PID_1"
    assert doc.patient.sex == "F"
    assert doc.date == "2022-03-24T19:30:57"  # OBR-7
    assert doc.accession == "AccessionNumber"  # OBR-18
    assert doc.author == "VerifyingObserverGN VerifyingObserverMN VerifyingObserverFN"  # OBR-32
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT
    assert doc.kind_evidence == "HL7 v2 OBX-3 LOINC 18748-4 Diagnostic Imaging Report"
    assert "There is a small mass in the left lung measuring approximately 3mmx2mm." in doc.text
    assert "Renal Mass: Malignant neoplasm of left renal pelvis" in doc.text
    assert "Procedure Findings:" in doc.text and "Liver Mass:\n4mmx6mm\n5mmx7mm" in doc.text
    assert "1.2.392.200036.9125.0.198811291108.7" not in doc.text  # DICOM UIDs are not report text
    assert doc.problems_found == ()


def test_cda_sample_carries_the_cda(data: Path) -> None:
    doc = hl7v2.parse(CDA.read_bytes(), name=CDA.name)  # CRLF line ends
    assert doc.patient.name == "Smith^Lucy^Mark"
    (cda,) = doc.attachments
    assert cda.media_type == "application/xml"
    assert cda.data.startswith(b'<?xml version="1.0" encoding="utf-8"?><ClinicalDocument')
    assert cda.data.endswith(b"</ClinicalDocument>")
    assert cda.kind is DocumentKind.RADIOLOGY_REPORT and cda.title == "Diagnostic Imaging Report"
    assert cda.date == "2022-03-24T19:30:57"
    assert ccda.sniff(cda.data)
    inner = ccda.parse(cda.data, name="embedded.xml")
    assert inner.kind is DocumentKind.RADIOLOGY_REPORT
    assert inner.title == "Chest X-Ray, PA and LAT View"
    assert inner.patient.name == "John Doe" and inner.patient.birth_date == "1964-11-28"


def test_logs_carry_no_patient_data(data: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="bundler")
    hl7v2.parse(SR.read_bytes(), name=SR.name)
    assert caplog.records
    for word in ("Smith", "Lucy", "20141014", "2014-10-14", "PID_1", "left lung"):
        assert word not in caplog.text


def test_line_endings_are_equivalent(data: Path) -> None:
    raw = SR.read_bytes()
    assert b"\n" not in raw  # CR only, as the standard says
    cr = hl7v2.parse(raw, name="a")
    assert hl7v2.parse(raw.replace(b"\r", b"\n"), name="b") == cr
    assert hl7v2.parse(raw.replace(b"\r", b"\r\n"), name="c") == cr
    assert hl7v2.parse(b"\x0b" + raw + b"\x1c\r", name="d") == cr  # MLLP framing


MSH = "MSH|^~\\&|LAB|HOSP|APP|FAC|20240301120000||ORU^R01|1|P|2.5.1\r"
PID = "PID|1||12345^^^HOSP^MR~999-99-9999^^^SSA^SS||MU\\XC391\\OZ^ZOE||19800102|F\r"


def test_escape_sequences() -> None:
    doc = _parse(MSH + PID + "OBR|1|||CT^CT CHEST^L|||20240301\r"
                 "OBX|1|FT|GDT^Report^L||Pipe \\F\\ caret \\S\\ amp \\T\\ tilde \\R\\ backslash \\E\\"
                 " end\\.br\\second line \\X41\\ \\H\\bold\\N\\|||||F\r")
    assert "Pipe | caret ^ amp & tilde ~ backslash \\ end\nsecond line A bold" in doc.text
    assert doc.patient.name == "MUÑOZ^ZOE"  # \X..\ hex escape, UTF-8
    assert doc.patient.id == "12345"  # the MR identifier, never the SSN
    assert doc.patient.birth_date == "1980-01-02"
    assert doc.kind is DocumentKind.RADIOLOGY_REPORT  # "CT" in the service name
    assert doc.kind_confidence == 0.6


def test_base64_pdf_in_ed(data: Path) -> None:
    pdf = (DATA / "pdf_reports" / "HelloWorld.pdf").read_bytes()
    encoded = base64.b64encode(pdf).decode()
    doc = _parse(MSH + PID + "OBR|1|||11526-1^Pathology study^LN|||20240301\r"
                 f"OBX|1|ED|11526-1^Pathology study^LN||^AP^PDF^Base64^{encoded}||||||F\r")
    (attachment,) = doc.attachments
    assert attachment.media_type == "application/pdf"
    assert attachment.data == pdf
    assert attachment.kind is DocumentKind.PATHOLOGY_REPORT
    assert doc.kind is DocumentKind.PATHOLOGY_REPORT


def test_invalid_base64_is_noted() -> None:
    doc = _parse(MSH + PID + "OBR|1\rOBX|1|ED|PDF^Report^L||^AP^PDF^Base64^@@not base64@@||||||F\r"
                 "OBX|2|TX|GDT^Report^L||Still read.||||||F\r")
    assert doc.attachments == ()
    assert any("invalid base64" in p for p in doc.problems_found)
    assert "Still read." in doc.text


def test_numeric_results_are_lab_results() -> None:
    doc = _parse(MSH + PID + "OBR|1|||24323-8^Comprehensive metabolic panel^LN|||20240301083000\r"
                 "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL^mg/dL^UCUM|70-99|H|||F|||20240301090000\r"
                 "OBX|2|NM|2951-2^Sodium^LN||140|mmol/L|136-145|N|||F\r")
    glucose, sodium = doc.results
    assert (glucose.name, glucose.value, glucose.unit, glucose.reference_range, glucose.flag) == (
        "Glucose", "182", "mg/dL", "70-99", "H")
    assert glucose.date == "2024-03-01T09:00:00" and sodium.date == "2024-03-01T08:30:00"  # OBX-14, else OBR-7
    assert glucose.code == "http://loinc.org|2345-7" and glucose.panel == "Comprehensive metabolic panel"
    assert doc.kind is DocumentKind.LAB_RESULT


def test_service_section_and_unknown_report() -> None:
    obr = ["OBR", "1", "", "", "X^Something^L", "", "", "20240301"] + [""] * 16 + ["LAB"]
    assert obr[24] == "LAB"
    lab = _parse(MSH + PID + "|".join(obr) + "\r")
    assert (lab.kind, lab.kind_confidence) == (DocumentKind.LAB_RESULT, 0.8)
    plain = _parse(MSH + PID + "OBR|1|||X^Letter^L\rOBX|1|TX|X^Letter^L||Dear colleague,||||||F\r")
    assert plain.kind is DocumentKind.OTHER and plain.kind_confidence < 0.5
    adt = _parse("MSH|^~\\&|A|B|C|D|20240301||ADT^A01|1|P|2.5\r" + PID)
    assert adt.patient.name == "MUÑOZ^ZOE"
    assert any("not a result report" in p for p in adt.problems_found)


def test_withdrawn_results_are_left_out() -> None:
    doc = _parse(MSH + PID + "OBR|1\rOBX|1|TX|X^Report^L||Wrong patient text||||||W\r")
    assert "Wrong patient text" not in doc.text


@pytest.mark.parametrize("raw", [b"", b"PID|1\r", b"MSH", b"MSH|", b"MSH|abcd|x", b"\xff\xfe\x00garbage",
                                 b"msh|^~\\&|"])
def test_not_hl7(raw: bytes) -> None:
    with pytest.raises(DocumentReadError) as err:
        hl7v2.parse(raw, name="x.hl7")
    assert err.value.reason == "hl7_malformed"


def test_size_limit() -> None:
    with pytest.raises(DocumentReadError) as err:
        hl7v2.parse(b"MSH|^~\\&|" + b" " * hl7v2.MAX_BYTES, name="x.hl7")
    assert err.value.reason == "too_large"


def test_sniff() -> None:
    assert hl7v2.sniff(MSH.encode())
    assert hl7v2.sniff(b"\x0bMSH|^~\\&|A")
    assert hl7v2.sniff(b"MSH#^~\\&#A#B")  # any field separator
    assert not hl7v2.sniff(b"MSHX^~\\&|")
    assert not hl7v2.sniff(b"MSH||")
    assert not hl7v2.sniff(b"PID|1")
    assert not hl7v2.sniff(b"<ClinicalDocument/>")
    assert not hl7v2.sniff(b"")


# ---------------------------------------------------------------------------------------------
# Property tests.

REAL = [SR.read_bytes()] if SR.is_file() else []
SEGMENT_TEXT = st.text(alphabet=st.sampled_from(list("|^~\\&ABCEFHNRSTX0123456789.: \r\n")), max_size=200)


def _parse_or_refuse(raw: bytes) -> None:
    started = time.monotonic()
    try:
        hl7v2.parse(raw, name="fuzz.hl7")
    except DocumentReadError as e:
        assert e.reason in {"hl7_malformed", "too_large"}
    assert time.monotonic() - started < 5
    hl7v2.sniff(raw[:4096])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    _parse_or_refuse(raw)
    _parse_or_refuse(b"MSH|^~\\&|" + raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["PID", "OBR", "OBX", "NTE", "MSH", "ZZZ"]), SEGMENT_TEXT), max_size=8),
       st.sampled_from(["^~\\&", "^~\\", "^", "#~\\&", "^~\\&#"]))
def test_arbitrary_messages_never_raise_anything_else(segments: list[tuple[str, str]], encoding: str) -> None:
    text = f"MSH|{encoding}|A|B|C|D|20240101||ORU^R01|1|P|2.5\r" + "\r".join(f"{n}|{t}" for n, t in segments)
    _parse_or_refuse(text.encode("latin-1"))


def test_mutated_real_message_never_raises_anything_else() -> None:
    require_dir(DATA)
    assert REAL
    _mutated_real_message_never_raises_anything_else()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def _mutated_real_message_never_raises_anything_else(data: st.DataObject) -> None:
    raw = bytearray(REAL[0])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[at:at] = data.draw(st.sampled_from([b"|", b"^", b"~", b"\\", b"&", b"\r", b"\\X\\", b"\\XZZ\\",
                                                    b"|ED|", b"^^^Base64^!!", b"\rOBX|1|NM|", b"\x00"]))
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 40))]
        else:
            raw = raw[:at]
    _parse_or_refuse(bytes(raw))
