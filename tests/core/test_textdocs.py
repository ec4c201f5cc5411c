"""Text, RTF and DOCX readers: encodings found, Word parts read safely, hostile files refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bundler.classify import classify, find_identity, find_service_date
from bundler.ingest.readers_errors import DocumentReadError
from bundler.ingest.textdocs import (
    DOCX_MEDIA_TYPE,
    decode_text,
    parse_docx,
    parse_text,
    plausible_title,
    rtf_to_text,
)
from bundler.model import DocumentKind, ParsedDocument

NOTE = ("Lakeside University Hospital\nPROGRESS NOTE\nPatient: Muñoz-Šimková, Zoë\nDOB: 08/23/1962\n"
        "Visit date: 09/25/2026\nCHIEF COMPLAINT: cough\nASSESSMENT: COPD, stable.\nPLAN: return in 2 weeks.\n")


# --------------------------------------------------------------------------------------------
# Encodings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        NOTE.encode("utf-8"),
        b"\xef\xbb\xbf" + NOTE.encode("utf-8"),
        NOTE.encode("utf-16"),  # with its BOM, native order
        b"\xfe\xff" + NOTE.encode("utf-16-be"),
        b"\xff\xfe" + NOTE.encode("utf-16-le"),
        NOTE.encode("utf-32"),
        NOTE.encode("utf-16-le"),  # no BOM, as some Windows tools write
        NOTE.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "utf16be-bom", "utf16le-bom", "utf32", "utf16le-nobom", "crlf"],
)
def test_decode_text_finds_the_encoding(data: bytes) -> None:
    assert decode_text(data) == NOTE


def test_decode_text_falls_back_to_windows_1252() -> None:
    text = "Señora Núñez: café, 5 € — “quoted”\n"
    assert decode_text(text.encode("cp1252")) == text
    # Bytes undefined in Windows-1252 become U+FFFD instead of failing.
    assert decode_text(b"caf\xe9 \x81") == "café \ufffd"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_decode_text_never_fails(data: bytes) -> None:
    assert isinstance(decode_text(data), str)


# --------------------------------------------------------------------------------------------
# Plain text and RTF
# --------------------------------------------------------------------------------------------


def test_plain_text_note_is_read_and_understood() -> None:
    doc = parse_text(NOTE.encode("cp1252"), name="note.txt")  # "Š" is in Windows-1252, not Latin-1
    assert doc.media_type == "text/plain" and doc.title == "PROGRESS NOTE" and "Muñoz-Šimková" in doc.text
    doc = parse_text(NOTE.encode("utf-16"), name="note.txt")
    assert classify(doc.text, title=doc.title)[0] is DocumentKind.VISIT_NOTE
    assert find_identity(doc.text).name == "Muñoz-Šimková, Zoë"
    assert find_service_date(doc.text) == "2026-09-25"


def test_empty_text_needs_a_label() -> None:
    doc = parse_text(b"\n\n  \n", name="empty.txt")
    assert doc.needs_label and doc.text == ""


def test_text_too_large() -> None:
    with pytest.raises(DocumentReadError) as e:
        parse_text(b"a" * (50 * 1024 * 1024 + 1), name="big.txt")
    assert e.value.reason == "too_large"


RTF = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}{\colortbl;\red0\green0\blue0;}"
    r"{\*\generator Riched20;}{\info{\author Dr X}}\pard\b OPERATIVE REPORT\b0\par "
    r"Patient: Mu\'f1oz-\u352?imkov\'e1, Zo\'eb\par Date of surgery: 03/11/2026\par "
    r"PREOPERATIVE DIAGNOSIS: right upper lobe nodule.\par POSTOPERATIVE DIAGNOSIS: same.\par "
    r"PROCEDURE PERFORMED: right upper lobectomy.\par ANESTHESIA: general.\par ESTIMATED BLOOD LOSS: 150 mL.\par"
    r"{\pict\pngblip 89504e470d0a1a0a}}"
)


def test_rtf_text_is_read_without_its_markup() -> None:
    text = rtf_to_text(RTF)
    assert "Patient: Muñoz-Šimková, Zoë" in text
    assert "Times New Roman" not in text and "Riched20" not in text and "89504e" not in text and "Dr X" not in text
    doc = parse_text(RTF.encode("latin-1"), name="op.rtf")
    assert doc.media_type == "application/rtf" and doc.title == "OPERATIVE REPORT"
    kind, _, evidence = classify(doc.text, title=doc.title)
    assert kind is DocumentKind.OPERATIVE_REPORT, evidence
    assert find_service_date(doc.text) == "2026-03-11"


def test_rtf_deep_nesting_costs_no_recursion() -> None:
    assert rtf_to_text("{" * 200_000 + "text" + "}" * 200_000) == "text"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}\\'abcuf0123456789 -*\n")), max_size=2000))
def test_rtf_to_text_never_fails(text: str) -> None:
    assert isinstance(rtf_to_text("{\\rtf1 " + text), str)


# --------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def _docx(body: str, *, header: str = "", footer: str = "", title: str = "", prolog: str = "",
          extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
                                         f"<w:document {_W}><w:body>{body}</w:body></w:document>")
        if header:
            zf.writestr("word/header1.xml", f"<w:hdr {_W}>{header}</w:hdr>")
            zf.writestr("word/header2.xml", f"<w:hdr {_W}>{header}</w:hdr>")  # first-page header, same text
        if footer:
            zf.writestr("word/footer1.xml", f"<w:ftr {_W}>{footer}</w:ftr>")
        if title:
            zf.writestr("docProps/core.xml",
                        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                        f'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
                        "</cp:coreProperties>")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc>{_p(c)}</w:tc>" for c in cells) + "</w:tr>"


def test_docx_body_tables_headers_and_title() -> None:
    body = (
        _p("CONSULTATION NOTE")
        + "<w:tbl>" + _row("Patient", "Muñoz-Šimková, Zoë", "MRN", "LUH-4471203")
        + _row("DOB", "23 August 1962", "Visit date", "25 September 2026") + "</w:tbl>"
        + _p("CHIEF COMPLAINT") + _p("Cough for 6 weeks.")
        + "<w:p><w:r><w:t>HISTORY OF PRESENT ILLNESS</w:t></w:r></w:p>"
        + "<w:p><w:r><w:t>Former smoker.</w:t><w:tab/><w:t>COPD.</w:t><w:br/><w:t>No hemoptysis.</w:t></w:r>"
        + "<w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del></w:p>"
        + _p("ASSESSMENT AND PLAN") + _p("PET/CT; return in 2 weeks.")
    )
    data = _docx(body, header=_p("Lakeside University Hospital"), footer=_p("Page 1"), title="Pulmonology consult")
    doc = parse_docx(data, name="consult.docx")
    assert doc.media_type == DOCX_MEDIA_TYPE and doc.title == "Pulmonology consult"
    lines = doc.text.splitlines()
    assert lines[0] == "Lakeside University Hospital" and doc.text.count("Lakeside University Hospital") == 1
    assert "Patient   Muñoz-Šimková, Zoë   MRN   LUH-4471203" in lines
    assert "Former smoker.\tCOPD." in lines and "No hemoptysis." in lines
    assert "deleted words" not in doc.text and lines[-1] == "Page 1"
    identity = find_identity(doc.text)
    assert (identity.name, identity.id, identity.birth_date) == ("Muñoz-Šimková, Zoë", "LUH-4471203", "1962-08-23")
    assert find_service_date(doc.text) == "2026-09-25"
    assert classify(doc.text, title=doc.title)[0] is DocumentKind.VISIT_NOTE


def test_docx_without_text_needs_a_label() -> None:
    doc = parse_docx(_docx(""), name="empty.docx")
    assert doc.needs_label and doc.text == ""


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>',
        "<!DOCTYPE w:document>",
    ],
    ids=["external-entity", "entity-expansion", "bare-dtd"],
)
def test_docx_with_dtd_or_entities_is_refused(prolog: str) -> None:
    with pytest.raises(DocumentReadError) as e:
        parse_docx(_docx(_p("x"), prolog=prolog), name="evil.docx")
    assert e.value.reason == "xml_forbidden"
    assert "root:" not in e.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not really a zip",
        b"",
        _docx(_p("x"))[:200],
    ],
    ids=["fake-zip", "empty", "truncated"],
)
def test_broken_docx(data: bytes) -> None:
    with pytest.raises(DocumentReadError) as e:
        parse_docx(data, name="broken.docx")
    assert e.value.reason == "docx_broken"


def test_zip_without_a_document_part() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(DocumentReadError) as e:
        parse_docx(buf.getvalue(), name="not-word.docx")
    assert e.value.reason == "docx_broken"


def test_malformed_document_xml() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(DocumentReadError) as e:
        parse_docx(buf.getvalue(), name="bad.docx")
    assert e.value.reason == "docx_broken"


def test_docx_zip_bomb_is_refused_before_inflating() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (8 * 1024 * 1024) + b"</w:document>")
    with pytest.raises(DocumentReadError) as e:
        parse_docx(buf.getvalue(), name="bomb.docx")
    assert e.value.reason == "too_large"


def test_password_protected_word_file_is_kept() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    doc = parse_docx(ole, name="locked.docx")
    assert doc.password_protected and doc.needs_label and doc.problems_found[0].startswith("password-protected")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_docx_reader_raises_only_document_read_error(data: bytes) -> None:
    for payload in (data, b"PK\x03\x04" + data):
        try:
            doc = parse_docx(payload, name="fuzz.docx")
        except DocumentReadError:
            continue
        assert isinstance(doc, ParsedDocument)


def test_plausible_title() -> None:
    assert plausible_title("  Discharge   Summary ") == "Discharge Summary"
    for junk in ("Document1", "untitled", "Microsoft Word - note.docx", "scan_0001.pdf", "12345", "", "Sin título"):
        assert plausible_title(junk) == "", junk
