"""Read HL7 v2 result messages (ORU^R01, ER7 "pipe" encoding): bytes in, ParsedDocument out.

- Segments end with CR (HL7 v2.5.1 §2.5.1); LF and CRLF are tolerated, MLLP framing bytes are
  dropped, and a line that does not start a segment continues the one before it.
- The delimiters are the message's own (MSH-1 and MSH-2); escape sequences (``\\F\\ \\S\\ \\T\\
  \\R\\ \\E\\ \\.br\\ \\Xhh\\``, §2.7) are decoded after splitting.
- PID gives the patient (name as written, ``FAMILY^GIVEN^MIDDLE``), OBR the title, date
  (OBR-7), accession (OBR-18, as IHE radiology uses it) and interpreter, OBX the report:
  text values (TX, FT, ST, CE/CWE) become text lines, numeric ones (NM, SN) lab results, and
  encapsulated data (ED) an :class:`Attachment` (a PDF, or a CDA document as "application/xml").
- The kind comes from the diagnostic service section (OBR-24), LOINC codes in OBR-4/OBX-3
  (the same table as C-CDA), or imaging words in the service name and text; without such a hint
  it stays "other" with a low confidence, for the text classifier to decide.
"""

from __future__ import annotations

import binascii
import logging
import re
from dataclasses import dataclass, field

from bundler.ingest.ccda import (
    decode_base64,
    exception_site,
    hl7_ts_to_iso,
    kind_for_loinc,
    kind_for_service_section,
)
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import Attachment, DocumentKind, LabResult, ParsedDocument, PersonIdentity

__all__ = ["MAX_BYTES", "MEDIA_TYPE", "parse", "sniff"]

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/hl7-v2"
MAX_BYTES = 50 * 1024 * 1024
_MAX_SEGMENTS = 200_000

_SEGMENT_START = re.compile(r"[A-Z][A-Z0-9]{2}$")
_TEXT_TYPES = frozenset({"TX", "FT", "ST", "CE", "CWE", "CNE", "CF", "TS", "DT", "DTM", "TM", "ID", "IS"})
_NUMERIC_TYPES = frozenset({"NM", "SN"})
_UID = re.compile(r"[0-9]+(\.[0-9]+){3,}")
_IMAGING_WORDS = re.compile(
    r"\b(CT|MRI?|CXR|X-?RAY|XR|RADIOGRAPH\w*|ULTRASOUND|SONOGRA\w*|MAMMOGRA\w*|PET|SPECT|FLUOROSCOP\w*|"
    r"ANGIOGRA\w*|DEXA|DXA|NUCLEAR MEDICINE|IMAGING|RADIOLOGY)\b", re.IGNORECASE)
_FLAGS = {"H": "H", "HH": "H", ">": "H", "L": "L", "LL": "L", "<": "L", "A": "A", "AA": "A", "POS": "A"}
_LOINC_SYSTEMS = frozenset({"LN", "LOINC", "2.16.840.1.113883.6.1"})
_SYSTEMS = {"LN": "http://loinc.org", "LOINC": "http://loinc.org", "SCT": "http://snomed.info/sct",
            "SNM": "http://snomed.info/sct", "SNOMED": "http://snomed.info/sct",
            "DCM": "http://dicom.nema.org/resources/ontology/DCM",
            "I10": "http://hl7.org/fhir/sid/icd-10", "ICD-10": "http://hl7.org/fhir/sid/icd-10",
            "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm"}


def sniff(head: bytes) -> bool:
    """True when the bytes start with an MSH segment ("MSH" and a field separator)."""
    start = head.lstrip(b"\xef\xbb\xbf\x0b \t\r\n")
    return len(start) >= 8 and start[:3] == b"MSH" and _is_separator(start[3:4]) and start[4:5] != start[3:4]


def _is_separator(b: bytes) -> bool:
    return len(b) == 1 and 0x20 < b[0] < 0x7F and not chr(b[0]).isalnum()


@dataclass(frozen=True)
class _Delims:
    field: str
    component: str
    repetition: str
    escape: str
    subcomponent: str


_CHARSETS = {"8859/1": "latin-1", "8859/15": "iso8859-15", "UNICODE UTF-8": "utf-8", "ASCII": "ascii",
             "UNICODE": "utf-8", "UTF-8": "utf-8", "8859/2": "iso8859-2", "8859/5": "iso8859-5",
             "8859/7": "iso8859-7", "8859/9": "iso8859-9"}


def _decode(data: bytes) -> str:
    """The message as text, in the character set MSH-18 names (UTF-8, else Latin-1)."""
    first = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
    encoding = "utf-8"
    if len(first) > 3:
        fields = first.split(first[3:4])
        if len(fields) > 17:
            named = fields[17].split(b"~")[0].strip().decode("ascii", "ignore").upper()
            encoding = _CHARSETS.get(named, encoding)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return data.decode("latin-1")  # never fails; a wrong guess only costs accents


def _segments(text: str) -> list[str]:
    text = text.lstrip("\ufeff").replace("\x0b", "").replace("\x1c", "")
    segments: list[str] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            continue
        if len(line) >= 4 and _SEGMENT_START.match(line[:3]) and not line[3].isalnum():
            segments.append(line)
        elif segments:
            segments[-1] += "\n" + line  # a line break inside a value: keep it
        if len(segments) > _MAX_SEGMENTS:
            raise DocumentReadError("too_large", "The HL7 message has more segments than we accept.")
    return segments


def _unescape(value: str, d: _Delims) -> str:
    """Decode HL7 escape sequences (§2.7); formatting commands become line breaks or nothing."""
    if d.escape not in value:
        return value
    esc = re.escape(d.escape)

    def replace(m: re.Match[str]) -> str:
        code = m.group(1)
        simple = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition, "E": d.escape}
        if code in simple:
            return simple[code]
        if code in (".br", ".sp") or code.startswith(".sp"):
            return "\n"
        if code.startswith("X") and len(code) > 1:
            try:
                raw = bytes.fromhex(code[1:])
            except ValueError:
                return ""
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("latin-1")
        return ""  # \H\ \N\ highlighting, \.in\ \.ti\ \.ce\ \.fi\ \.nf\, \Cxxyy\ \Mxxyyzz\ charsets

    return re.sub(f"{esc}([^{esc}]{{0,64}}){esc}", replace, value)


@dataclass
class _Segment:
    name: str
    fields: list[str]  # fields[n] is SEG-n (for MSH too: MSH-1 is the field separator)
    d: _Delims

    def raw(self, n: int) -> str:
        return self.fields[n] if 0 <= n < len(self.fields) else ""

    def components(self, n: int, *, repetition: int = 0) -> list[str]:
        reps = self.raw(n).split(self.d.repetition)
        chosen = reps[repetition] if repetition < len(reps) else ""
        return [_unescape(c, self.d) for c in chosen.split(self.d.component)]

    def value(self, n: int, component: int = 1) -> str:
        comps = self.components(n)
        return comps[component - 1].split(self.d.subcomponent)[0].strip() if component <= len(comps) else ""


def _split(segment: str, d: _Delims) -> _Segment:
    name = segment[:3]
    if name == "MSH":
        rest = segment[4:].split(d.field)
        return _Segment(name, ["MSH", d.field, *rest], d)
    return _Segment(name, segment.split(d.field), d)


def _delims(msh: str) -> _Delims:
    if len(msh) < 8 or msh[:3] != "MSH":
        raise DocumentReadError("hl7_malformed", "The file does not start with an HL7 v2 MSH segment.")
    field_sep = msh[3]
    encoding = msh[4:].split(field_sep, 1)[0]
    if not 1 <= len(encoding) <= 5 or field_sep in encoding or any(c.isalnum() for c in encoding):
        raise DocumentReadError("hl7_malformed", "The HL7 message's MSH-2 encoding characters are not valid.")
    padded = (encoding + "~\\&")[:4] if len(encoding) < 4 else encoding
    return _Delims(field=field_sep, component=padded[0], repetition=padded[1], escape=padded[2],
                   subcomponent=padded[3])


def _code_ref(comps: list[str]) -> str:
    code = comps[0].strip() if comps else ""
    system = comps[2].strip() if len(comps) > 2 else ""
    if not code:
        return ""
    return f"{_SYSTEMS.get(system.upper(), system)}|{code}"


def _label(comps: list[str]) -> str:
    """The words of a CE/CWE: its text, else its code."""
    text = comps[1].strip() if len(comps) > 1 else ""
    return text or (comps[0].strip() if comps else "")


def _xpn(comps: list[str]) -> str:
    """A person name as written (``FAMILY^GIVEN^MIDDLE^SUFFIX^PREFIX``), empty parts trimmed."""
    parts = [c.strip() for c in comps[:6]]
    while parts and not parts[-1]:
        parts.pop()
    return "^".join(parts)


def _xcn_name(comps: list[str], subcomponent: str) -> str:
    """An XCN (ID^FAMILY^GIVEN^...) as "Given Family"; OBR-32 nests it as subcomponents."""
    if len(comps) == 1 and subcomponent in comps[0]:
        comps = comps[0].split(subcomponent)
    family = comps[1].strip() if len(comps) > 1 else ""
    given = [c.strip() for c in comps[2:4] if c.strip()]
    return " ".join([*given, family]).strip()


@dataclass
class _Report:
    patients: list[PersonIdentity] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    accessions: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    facility: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)  # (OBX-3 label or "", text)
    results: list[LabResult] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind_hints: list[tuple[DocumentKind, float, str]] = field(default_factory=list)
    service_words: list[str] = field(default_factory=list)
    message_types: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def parse(data: bytes, *, name: str) -> ParsedDocument:
    """Read an HL7 v2 message (or a file of several) into one :class:`ParsedDocument`.

    Raises :class:`DocumentReadError` and nothing else: ``hl7_malformed`` or ``too_large``.
    ``name`` (the file's name, which may carry patient data) is never logged nor used in what
    is returned.
    """
    if len(data) > MAX_BYTES:
        raise DocumentReadError("too_large", f"The HL7 file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    segments = _segments(_decode(data))
    if not segments or not segments[0].startswith("MSH"):
        raise DocumentReadError("hl7_malformed", "The file does not start with an HL7 v2 MSH segment.")
    report = _Report()
    d = _delims(segments[0])
    current_obr: _Segment | None = None
    for text in segments:
        if text.startswith("MSH"):
            d = _delims(text)
            msh = _split(text, d)
            report.message_types.append("^".join(msh.components(9)[:2]))
            report.facility = report.facility or msh.value(4)
            continue
        seg = _split(text, d)
        try:
            if seg.name == "PID":
                _pid(seg, report)
            elif seg.name == "OBR":
                current_obr = seg
                _obr(seg, report)
            elif seg.name == "OBX":
                _obx(seg, current_obr, report)
            elif seg.name == "NTE":
                comment = "\n".join(_unescape(r, d) for r in seg.raw(3).split(d.repetition)).strip()
                if comment:
                    report.lines.append(("", comment))
        except Exception as e:  # one odd segment must not cost the message
            log.warning("HL7 %s segment could not be read: %s", seg.name, exception_site(e))
            report.note(f"An {seg.name} segment could not be read and was left out.")
    return _document(report)


def _pid(seg: _Segment, report: _Report) -> None:
    name = _xpn(seg.components(5))
    ids = [seg.components(3, repetition=i) for i in range(len(seg.raw(3).split(seg.d.repetition)))]
    mrn = next((c for c in ids if len(c) > 4 and c[4].strip().upper() == "MR" and c[0].strip()), None)
    if mrn is None:
        mrn = next((c for c in ids if c and c[0].strip() and not (len(c) > 4 and c[4].strip().upper() == "SS")), [""])
    report.patients.append(PersonIdentity(name=name, birth_date=hl7_ts_to_iso(seg.value(7))[:10],
                                          id=mrn[0].strip(), sex=seg.value(8)))


def _obr(seg: _Segment, report: _Report) -> None:
    service = seg.components(4)
    title = _label(service)
    if title:
        report.titles.append(title)
        report.service_words.append(title)
    date = hl7_ts_to_iso(seg.value(7)) or hl7_ts_to_iso(seg.value(22))
    if date:
        report.dates.append(date)
    accession = seg.value(18)
    if accession:
        report.accessions.append(accession)
    interpreter = _xcn_name(seg.components(32), seg.d.subcomponent)
    if interpreter:
        report.authors.append(interpreter)
    section = seg.value(24)
    if section:
        kind = kind_for_service_section(section)
        if kind is not None:
            report.kind_hints.append((kind, 0.8, f"HL7 v2 OBR-24 diagnostic service section {section}"))
    _loinc_hint(service, "OBR-4", report)


def _loinc_hint(comps: list[str], where: str, report: _Report) -> tuple[DocumentKind, str] | None:
    """Record (and return) the document kind a LOINC code in a CE/CWE stands for."""
    for offset in (0, 3):  # the identifier, and its alternate (CE.4-6)
        code = comps[offset].strip() if len(comps) > offset else ""
        system = comps[offset + 2].strip().upper() if len(comps) > offset + 2 else ""
        if code and system in _LOINC_SYSTEMS:
            kind = kind_for_loinc(code)
            if kind is not None:
                words = comps[offset + 1].strip() if len(comps) > offset + 1 else ""
                evidence = " ".join(f"HL7 v2 {where} LOINC {code} {words}".split())
                report.kind_hints.append((kind, 0.8, evidence))
                return kind, evidence
    return None


def _obx(seg: _Segment, obr: _Segment | None, report: _Report) -> None:
    value_type = seg.value(2).upper()
    observation = seg.components(3)
    label = _label(observation)
    hint = _loinc_hint(observation, "OBX-3", report)
    status = seg.value(11).upper()
    if status in ("W", "D", "X"):  # wrong (withdrawn), deleted, cannot be obtained
        return
    date = hl7_ts_to_iso(seg.value(14)) or (hl7_ts_to_iso(obr.value(7)) if obr is not None else "")
    if value_type == "ED" or value_type == "RP":
        _encapsulated(seg, value_type, label, date, hint, report)
        return
    reps = seg.raw(5).split(seg.d.repetition) if seg.raw(5) else []
    if value_type in _NUMERIC_TYPES:
        values = ["".join(seg.components(5, repetition=i)) for i in range(len(reps))]
        value = " ".join(v.strip() for v in values if v.strip())
        if value and label:
            unit_comps = seg.components(6)
            flag_code = seg.value(8).upper()
            report.results.append(LabResult(
                name=label, value=value, unit=_label(unit_comps) if unit_comps[0] else "", date=date,
                reference_range=_unescape(seg.raw(7), seg.d).strip(), flag=_FLAGS.get(flag_code, ""),
                code=_code_ref(observation), panel=_label(obr.components(4)) if obr is not None else ""))
        return
    if value_type in _TEXT_TYPES or not value_type:
        for i in range(len(reps)):
            comps = seg.components(5, repetition=i)
            heading = label
            if value_type in ("CE", "CWE", "CNE", "CF"):
                text = _label(comps)
                text = f"{label}: {text}" if label and text else text
                heading = ""
            else:
                text = seg.d.component.join(comps).strip() if value_type in ("TX", "FT") else comps[0].strip()
                if _UID.fullmatch(text):
                    continue  # a DICOM UID (study, series, SR instance): not report text
                unit = _label(seg.components(6)) if seg.components(6)[0] else ""
                if unit and text and value_type not in ("TX", "FT"):
                    text = f"{text} {unit}"
            if text:
                report.lines.append((heading, text))


def _encapsulated(seg: _Segment, value_type: str, label: str, date: str,
                  hint: tuple[DocumentKind, str] | None, report: _Report) -> None:
    """OBX-5 ED: ``source^type^subtype^encoding^data`` (the data may hold component separators)."""
    if value_type == "RP":
        report.note("The message refers to a document stored elsewhere: ask the sender for it.")
        return
    raw = seg.raw(5).split(seg.d.repetition)[0]
    parts = raw.split(seg.d.component, 4)
    while len(parts) < 5:
        parts.append("")
    _source, data_type, subtype, encoding, payload = (p.strip() for p in parts)
    payload = _unescape(payload, seg.d)
    encoding = encoding.upper()
    if encoding in ("BASE64", "B64"):
        data = decode_base64(payload)
        if data is None:
            report.note(f"An embedded document ({label or 'untitled'}) could not be decoded (invalid base64); "
                        "it was left out.")
            return
    elif encoding == "HEX":
        try:
            data = binascii.unhexlify(re.sub(r"\s+", "", payload))
        except (binascii.Error, ValueError):
            report.note(f"An embedded document ({label or 'untitled'}) could not be decoded; it was left out.")
            return
    else:  # A / ASCII / none: the text itself
        data = payload.encode(_xml_encoding(payload), "xmlcharrefreplace")
    if not data.strip():
        return
    media_type = _media_type(data_type, subtype, data)
    kind, evidence = hint if hint is not None else (None, "")
    report.attachments.append(Attachment(media_type=media_type, data=data, title=label, kind=kind,
                                         kind_evidence=evidence, date=date))


def _xml_encoding(text: str) -> str:
    m = re.match(r"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._\-]{1,40})[\"']", text)
    name = m.group(1).lower() if m else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def _media_type(data_type: str, subtype: str, data: bytes) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "application/pdf"
    if head.startswith(b"<") and (b"ClinicalDocument" in data[:4096] or b"<?xml" in head[:10]):
        return "application/xml"
    sub = subtype.lower()
    if "/" in sub:
        return sub
    known = {"pdf": "application/pdf", "xml": "application/xml", "rtf": "application/rtf", "html": "text/html",
             "jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "tiff": "image/tiff",
             "plain": "text/plain", "octet-stream": "application/octet-stream"}
    if sub in known:
        return known[sub]
    main = data_type.lower()
    if main in ("text", "tx"):
        return "text/plain"
    if main in ("image", "im"):
        return "image/" + (sub or "octet-stream")
    return "application/octet-stream"


def _document(report: _Report) -> ParsedDocument:
    kind, confidence, evidence = DocumentKind.OTHER, 0.2, "HL7 v2 message without a report type"
    if report.kind_hints:
        # The strongest hint; among equals, the first (OBR before OBX, earlier before later).
        kind, confidence, evidence = max(report.kind_hints, key=lambda h: h[1])
    else:
        text = " ".join(report.service_words + [t for _h, t in report.lines[:50]])
        m = _IMAGING_WORDS.search(text)
        if m is not None:
            kind, confidence, evidence = DocumentKind.RADIOLOGY_REPORT, 0.6, f"HL7 v2 names imaging ({m.group(0)})"
        elif report.results and len(report.results) >= len(report.lines):
            kind, confidence, evidence = DocumentKind.LAB_RESULT, 0.6, "HL7 v2 message of numeric results"
    types = {t for t in report.message_types if t}
    if types and not any(t.startswith("ORU") or t.startswith("MDM") for t in types):
        report.note(f"This HL7 message is not a result report ({', '.join(sorted(types))}); only the patient "
                    "and any results in it were read.")
    distinct = {(p.name.upper(), p.birth_date, p.id) for p in report.patients if p.name or p.id}
    if len(distinct) > 1:
        report.note(f"This file holds messages about {len(distinct)} different patients; only the first is shown.")
    lines = [report.titles[0]] if report.titles else []
    # Headings only when the text values carry more than one label (Findings, Impression...).
    with_headings = len({h for h, _t in report.lines if h}) > 1
    previous = ""
    for heading, text in report.lines:
        if with_headings and heading and heading != previous:
            lines.append(f"{heading}:")
        previous = heading or previous
        lines.append(text)
    doc = ParsedDocument(
        media_type=MEDIA_TYPE, title=report.titles[0] if report.titles else "", kind=kind,
        kind_confidence=confidence, kind_evidence=evidence, date=report.dates[0] if report.dates else "",
        facility=report.facility, author=report.authors[0] if report.authors else "",
        patient=report.patients[0] if report.patients else PersonIdentity(), text="\n".join(lines),
        accession=report.accessions[0] if report.accessions else "", results=tuple(report.results),
        attachments=tuple(report.attachments), problems_found=tuple(report.notes))
    log.info("HL7 v2 read: kind=%s text_lines=%d results=%d attachments=%d", kind.value, len(report.lines),
             len(report.results), len(report.attachments))
    return doc
