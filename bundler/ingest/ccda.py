"""Read C-CDA documents (HL7 CDA R2 with the C-CDA R2.1 templates): bytes in, ParsedDocument out.

XML safety: defusedxml's parser over the standard library's expat, with DTDs, entity
declarations and external references refused outright ("xml_forbidden"), rather than a hardened
lxml parser: refusing the constructs leaves nothing to configure wrong (no XXE, no entity
expansion, no network, no second libxml2 to ship and patch). Size, depth and element count are
bounded while the tree is built.

What a reader of this module should know about CDA:

- Entries are recognised by their C-CDA templateId (``2.16.840.1.113883.10.20.22.4.*``), so the
  same code reads every document type and the sections' order does not matter.
- Names come from the coded concept's ``displayName``, else its ``originalText`` (often a
  ``reference`` to the section narrative by ``ID``), else a translation.
- An HL7 TS (``20141015103026-0500``) becomes ISO 8601 exactly as precise as written.
- A file that is only a section fragment (the HL7 C-CDA example files) is read for the entries it
  holds and returned as kind ``other`` with a note; with nothing readable in it, it raises
  ``ccda_fragment``. Many such fragments use the ``xsi:`` prefix without declaring it: a file that
  fails only for an undeclared standard CDA prefix (xsi, sdtc, voc, cda) is read again with those
  prefixes declared, and says so in ``problems_found``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import logging
import re
import tomllib
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers.expat import errors as expat_errors

from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped, unused-ignore]

from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import (
    Allergy,
    Attachment,
    DocumentKind,
    Encounter,
    LabResult,
    Medication,
    ParsedDocument,
    PersonIdentity,
    Problem,
    Procedure,
)

__all__ = [
    "MAX_BYTES",
    "MEDIA_TYPE",
    "code_ref",
    "decode_base64",
    "encounter_setting",
    "exception_site",
    "hl7_ts_to_iso",
    "kind_for_ccda_template",
    "kind_for_loinc",
    "kind_for_service_section",
    "parse",
    "sniff",
]

log = logging.getLogger(__name__)
_T_co = TypeVar("_T_co")

MEDIA_TYPE = "application/hl7-cda+xml"
MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 256  # real C-CDA documents nest about 30 levels
MAX_ELEMENTS = 2_000_000
_MAX_DECOMPRESSED = 200 * 1024 * 1024

V3 = "urn:hl7-org:v3"
_V3 = "{" + V3 + "}"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = "{" + XSI + "}type"
_UNBOUND_PREFIX = expat_errors.codes[expat_errors.XML_ERROR_UNBOUND_PREFIX]
# Prefixes the HL7 example fragments use without declaring them.
_STANDARD_PREFIXES = {"xsi": XSI, "sdtc": "urn:hl7-org:sdtc", "voc": "urn:hl7-org:v3/voc", "cda": V3}

# C-CDA R2.1 entry templates (2.16.840.1.113883.10.20.22.4.N).
_T = "2.16.840.1.113883.10.20.22.4."
_RESULT_ORGANIZER, _RESULT_OBS = _T + "1", _T + "2"
_PROBLEM_CONCERN, _PROBLEM_OBS, _PROBLEM_STATUS = _T + "3", _T + "4", _T + "6"
_ALLERGY_OBS, _SEVERITY_OBS, _REACTION_OBS = _T + "7", _T + "8", _T + "9"
_PROC_ACT, _PROC_OBS, _PROC_PROC = _T + "12", _T + "13", _T + "14"
_MED_ACTIVITY = _T + "16"
_VITALS = (_T + "26", _T + "27")
_ALLERGY_STATUS = _T + "28"
_ALLERGY_CONCERN = _T + "30"
_PLANNED_PROC = _T + "41"
_ENCOUNTER = _T + "49"
_IMMUNIZATION = _T + "52"
_IMMUNIZATION_PRODUCT = _T + "54"
_CVX = "2.16.840.1.113883.12.292"
_PLANNED_MOODS = frozenset({"INT", "RQO", "PRP", "ARQ", "APT", "PRMS"})
_SSN_ROOT = "2.16.840.1.113883.4.1"  # US Social Security Number: never used as the record id

# No known allergy (SNOMED CT): any allergy, drug, food, environmental.
_NO_KNOWN_ALLERGY = frozenset({"716186003", "409137002", "429625007", "428607008"})
# Substances that name no substance in particular (SNOMED CT): "Substance", "Drug or medicament",
# "Pharmaceutical / biologic product", "Food". Negated, they mean "no known allergies".
_ANY_SUBSTANCE = frozenset({"105590001", "410942007", "373873005", "255620007"})

_CODE_SYSTEMS = {
    "2.16.840.1.113883.6.1": "http://loinc.org",
    "2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "2.16.840.1.113883.6.12": "http://www.ama-assn.org/go/cpt",
    "2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "2.16.840.1.113883.6.103": "http://hl7.org/fhir/sid/icd-9-cm",
    "2.16.840.1.113883.6.104": "http://hl7.org/fhir/sid/icd-9-cm",
    "2.16.840.1.113883.6.4": "http://www.cms.gov/Medicare/Coding/ICD10",
    "2.16.840.1.113883.6.69": "http://hl7.org/fhir/sid/ndc",
    "2.16.840.1.113883.4.9": "http://fdasis.nlm.nih.gov",
    "2.16.840.1.113883.6.285": "urn:oid:2.16.840.1.113883.6.285",
    "2.16.840.1.113883.12.292": "http://hl7.org/fhir/sid/cvx",
    "2.16.840.1.113883.5.4": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "2.16.840.1.113883.5.83": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
}

_FLAGS = {
    "H": "H", "HH": "H", "HU": "H", ">": "H",
    "L": "L", "LL": "L", "LU": "L", "<": "L",
    "A": "A", "AA": "A", "POS": "A", "DET": "A", "ABN": "A",
}


# ---------------------------------------------------------------------------------------------
# Document kinds (data in resources/document_kinds/ccda_loinc.toml), shared with fhir and hl7v2.


@cache
def _kind_tables() -> dict[str, dict[str, DocumentKind]]:
    raw = tomllib.loads(
        files("bundler_resources").joinpath("document_kinds/ccda_loinc.toml").read_text(encoding="utf-8"))
    return {table: {str(k): DocumentKind(str(v)) for k, v in values.items()} for table, values in raw.items()}


def kind_for_loinc(code: str) -> DocumentKind | None:
    """The document kind a LOINC document type code stands for, or None if it is not listed."""
    return _kind_tables().get("loinc", {}).get(code.strip())


def kind_for_ccda_template(oid: str) -> DocumentKind | None:
    """The document kind of a C-CDA document template OID, or None."""
    return _kind_tables().get("ccda_template", {}).get(oid.strip())


def kind_for_service_section(code: str) -> DocumentKind | None:
    """The kind of a diagnostic service section (HL7 table 0074, or a US Core LOINC part code)."""
    return _kind_tables().get("service_section", {}).get(code.strip().upper())


# ---------------------------------------------------------------------------------------------
# Small shared helpers.

_TS = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?\d*([+-]\d{4}|Z)?")


def hl7_ts_to_iso(ts: str) -> str:
    """An HL7 v2/v3 timestamp (``YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]``) as ISO 8601, or "".

    The result is exactly as precise as the source: ``200503`` gives ``2005-03``; a time zone is
    kept only together with a time.
    """
    m = _TS.fullmatch(ts.strip())
    if m is None:
        return ""
    year, month, day, hour, minute, second, frac, zone = m.groups()
    if month is not None and not 1 <= int(month) <= 12:
        return ""
    if day is not None and not 1 <= int(day) <= 31:
        return ""
    if hour is not None and int(hour) > 24 or minute is not None and int(minute) > 59:
        return ""
    if second is not None and int(second) > 60:
        return ""
    out = year
    if month:
        out += "-" + month
    if day:
        out += "-" + day
    if hour and day:
        out += "T" + hour
        if minute:
            out += ":" + minute
            if second:
                out += ":" + second + (frac or "")
        if zone == "Z":
            out += "Z"
        elif zone:
            out += f"{zone[:3]}:{zone[3:]}"
    return out


def code_ref(system: str, code: str) -> str:
    """``system|code`` with a CDA code system OID turned into its FHIR URI when it has one."""
    code, system = code.strip(), system.strip()
    if not code:
        return ""
    if system and not system.startswith(("http:", "https:", "urn:")) and re.fullmatch(r"[0-9.]+", system):
        system = _CODE_SYSTEMS.get(system, "urn:oid:" + system)
    return f"{system}|{code}"


def decode_base64(text: str | bytes) -> bytes | None:
    """Strict base64 (whitespace ignored, URL-safe alphabet accepted); None when it is not base64."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    raw = re.sub(rb"\s+", b"", raw)
    if b"-" in raw or b"_" in raw:
        raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    if len(raw) % 4:
        raw += b"=" * (-len(raw) % 4)  # some writers drop the padding
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _decompress(data: bytes, method: str) -> bytes | None:
    """Inflate a CDA ED compression (DF deflate, ZL zlib, GZ gzip), bounded; None if impossible."""
    wbits = {"DF": -15, "ZL": 15, "GZ": 31}.get(method.upper())
    if wbits is None:
        return None
    try:
        inflater = zlib.decompressobj(wbits)
        out = inflater.decompress(data, _MAX_DECOMPRESSED)
    except zlib.error:
        return None
    if inflater.unconsumed_tail:
        return None  # larger than we accept
    return out


def exception_site(error: BaseException) -> str:
    """An exception's type and innermost code line, for logs: never its message (document data)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb is not None else "?"
    return f"{type(error).__name__} at {where}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Sniffing.


def _decode_head(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", "replace")
    if head.startswith(codecs.BOM_UTF16_LE):
        return head[2:].decode("utf-16-le", "ignore")
    if head.startswith(codecs.BOM_UTF16_BE):
        return head[2:].decode("utf-16-be", "ignore")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", "ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", "ignore")
    return head.decode("latin-1")  # markup is ASCII; the rest does not matter here


def _skip_prolog(text: str) -> int:
    """Where the root element starts: past the XML declaration, PIs, comments and a DOCTYPE."""
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            pos = n if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            pos = n if end < 0 else end + 3
        elif text.startswith("<!DOCTYPE", pos):
            bracket, close = text.find("[", pos), text.find(">", pos)
            if 0 <= bracket < close:
                close = text.find("]", bracket)
                close = text.find(">", close) if close >= 0 else -1
            pos = n if close < 0 else close + 1
        else:
            return pos


_ROOT_TAG = re.compile(r"<(?:([A-Za-z_][\w.\-]*):)?ClinicalDocument(?=[\s/>])([^>]*)")


def sniff(head: bytes) -> bool:
    """True when the bytes start an XML document whose root is an HL7 v3 ``ClinicalDocument``.

    Any file name, a UTF-8 or UTF-16 byte-order mark, comments and processing instructions
    before the root are fine. A section fragment is not a C-CDA document (``parse`` still
    reads one when asked).
    """
    text = _decode_head(head[:65536])
    m = _ROOT_TAG.match(text, _skip_prolog(text))
    if m is None:
        return False
    prefix, attrs = m.group(1), m.group(2)
    decl = "xmlns:" + prefix if prefix else "xmlns"
    return re.search(rf"(?:^|\s){re.escape(decl)}\s*=\s*([\"'])urn:hl7-org:v3\1", attrs) is not None


# ---------------------------------------------------------------------------------------------
# Safe parsing.


class _TooBig(Exception):
    pass


class _Builder:
    """ElementTree target that bounds depth and size and drops the CDA namespace from tags."""

    def __init__(self) -> None:
        self._tb = TreeBuilder()
        self._depth = 0
        self._count = 0
        self.top_tags: list[str] = []  # the first element's tag at depth 1 and 2, as written

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self._depth += 1
        self._count += 1
        if self._depth > MAX_DEPTH or self._count > MAX_ELEMENTS:
            raise _TooBig
        if len(self.top_tags) < self._depth <= 2:
            self.top_tags.append(tag)
        if tag.startswith(_V3):
            tag = tag[len(_V3):]
        return self._tb.start(tag, attrs)

    def end(self, tag: str) -> Element:
        self._depth -= 1
        if tag.startswith(_V3):
            tag = tag[len(_V3):]
        return self._tb.end(tag)

    def data(self, data: str) -> None:
        self._tb.data(data)

    def close(self) -> Element:
        return self._tb.close()


def _parse_xml(data: bytes) -> tuple[Element, _Builder]:
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(data)
        root: Element = parser.close()
    except DefusedXmlException as e:
        raise DocumentReadError(
            "xml_forbidden",
            "The file declares a DTD or entities, which could make the computer read other files "
            "or run out of memory; it was not read.") from e
    except _TooBig as e:
        raise DocumentReadError("too_large", "The XML is nested too deeply or has too many elements.") from e
    except ParseError as e:
        if e.code == _UNBOUND_PREFIX:
            raise _UnboundPrefix from e
        raise DocumentReadError("xml_malformed", f"The file is not well-formed XML ({_expat_message(e)}).") from e
    except (ValueError, LookupError, UnicodeError) as e:
        raise DocumentReadError("xml_malformed", "The file is not well-formed XML.") from e
    return root, builder


class _UnboundPrefix(Exception):
    pass


def _expat_message(e: ParseError) -> str:
    # "not well-formed (invalid token): line 3, column 4" - expat's words and position, no content.
    return str(e).split(":")[0] if e.code != _UNBOUND_PREFIX else "undeclared namespace prefix"


def _read_tree(data: bytes) -> tuple[Element, str, bool]:
    """The root element, its namespace as written, and whether standard prefixes were supplied."""
    try:
        root, builder = _parse_xml(data)
        return root, _namespace(builder.top_tags[0]) if builder.top_tags else "", False
    except _UnboundPrefix:
        pass
    text = _as_text(data)
    if text is None:
        raise DocumentReadError("xml_malformed", "The file uses an undeclared namespace prefix.")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"), count=1)
    decls = " ".join(f'xmlns:{p}="{uri}"' for p, uri in _STANDARD_PREFIXES.items())
    wrapped = f'<?xml version="1.0" encoding="utf-8"?><_w {decls}>{text}</_w>'.encode("utf-8", "surrogatepass")
    try:
        outer, builder = _parse_xml(wrapped)
    except _UnboundPrefix as e:
        raise DocumentReadError("xml_malformed", "The file uses an undeclared namespace prefix.") from e
    children = list(outer)
    if len(children) != 1 or (outer.text or "").strip() or (children[0].tail or "").strip():
        raise DocumentReadError("xml_malformed", "The file is not well-formed XML (more than one root).")
    return children[0], _namespace(builder.top_tags[1]) if len(builder.top_tags) > 1 else "", True


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _as_text(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        m = re.match(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]{1,40})[\"']", data[:400])
        encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------------------------------------
# Reading the tree. Tags have no namespace here (see _Builder); attributes keep theirs.


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _templates(el: Element) -> set[str]:
    return {t.get("root", "") for t in el.findall("templateId")}


def _attr(el: Element | None, path: str, name: str) -> str:
    if el is None:
        return ""
    found = el.find(path) if path else el
    return (found.get(name) or "").strip() if found is not None else ""


def _xsi_type(el: Element) -> str:
    return (el.get(_XSI_TYPE) or "").rsplit(":", 1)[-1].upper()


def _inline(el: Element | None) -> str:
    return _one_line("".join(el.itertext())) if el is not None else ""


@dataclass
class _Ctx:
    ids: dict[str, Element]  # narrative elements by ID, for <reference value="#id"/>
    problems: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def resolve(self, el: Element | None) -> str:
        """The text of an element, following a ``reference`` into the narrative."""
        if el is None:
            return ""
        ref = el.find("reference")
        if ref is not None:
            target = self.ids.get((ref.get("value") or "").strip().lstrip("#"))
            if target is not None:
                return _inline(target)
        parts = [el.text or ""] + [(c.tail or "") if c.tag == "reference" else "".join(c.itertext()) + (c.tail or "")
                                   for c in el]
        return _one_line("".join(parts))

    def concept(self, el: Element | None) -> str:
        """A coded concept's words: displayName, else originalText, else a translation's name."""
        if el is None:
            return ""
        name = (el.get("displayName") or "").strip()
        if name:
            return name
        text = self.resolve(el.find("originalText"))
        if text:
            return text
        for tr in el.findall("translation"):
            name = (tr.get("displayName") or "").strip()
            if name:
                return name
        return ""


def _code_of(el: Element | None) -> str:
    if el is None:
        return ""
    ref = code_ref(el.get("codeSystem") or "", el.get("code") or "")
    if ref:
        return ref
    for tr in el.findall("translation"):
        ref = code_ref(tr.get("codeSystem") or "", tr.get("code") or "")
        if ref:
            return ref
    return ""


def _interval(el: Element | None) -> tuple[str, str]:
    """(start, end) ISO dates of an IVL_TS or TS element."""
    if el is None:
        return "", ""
    value = el.get("value")
    if value:
        return hl7_ts_to_iso(value), ""
    return hl7_ts_to_iso(_attr(el, "low", "value")), hl7_ts_to_iso(_attr(el, "high", "value"))


def _point(el: Element | None) -> str:
    start, end = _interval(el)
    return start or end


def _person_name(name: Element | None) -> str:
    if name is None:
        return ""
    if len(name) == 0:
        return _one_line(name.text or "")
    given = [_inline(g) for g in name.findall("given")]
    family = [_inline(f) for f in name.findall("family")]
    suffix = [_inline(s) for s in name.findall("suffix")]
    out = " ".join(p for p in given + family if p)
    if suffix and any(suffix):
        out += ", " + " ".join(s for s in suffix if s)
    return out


# ---------------------------------------------------------------------------------------------
# Narrative (section/text) as readable lines.

_BLOCKS = frozenset({"paragraph", "caption", "item", "footnote", "tr", "thead", "tbody", "tfoot"})


def _narrative(text_el: Element) -> str:
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = _one_line("".join(current))
        if line and line != "-":
            lines.append(line)
        current.clear()

    def walk(el: Element) -> None:  # recursion is bounded by MAX_DEPTH
        tag = _local(el.tag)
        if tag == "br":
            flush()
        elif tag == "renderMultiMedia":
            pass
        elif tag == "table":
            flush()
            for child in el:
                if _local(child.tag) == "caption":
                    lines.append(_inline(child))
            for row in el.iter("tr"):
                cells = [_inline(c) for c in row if _local(c.tag) in ("td", "th")]
                if any(cells):
                    lines.append(" | ".join(cells))
        elif tag == "list":
            flush()
            for item in el:
                if _local(item.tag) == "caption":
                    lines.append(_inline(item))
                elif _local(item.tag) == "item":
                    current.append("- " + (item.text or ""))
                    for child in item:
                        walk(child)
                    flush()
        elif tag in _BLOCKS:
            flush()
            current.append(el.text or "")
            for child in el:
                walk(child)
            flush()
        else:
            current.append(el.text or "")
            for child in el:
                walk(child)
        current.append(el.tail or "")

    current.append(text_el.text or "")
    for child in text_el:
        walk(child)
    flush()
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Entries.


def _value(v: Element | None, ctx: _Ctx, *, as_range: bool = False) -> tuple[str, str]:
    """(value, unit) of an observation value, whatever its data type (``as_range``: "0-100")."""
    if v is None:
        return "", ""
    kind = _xsi_type(v)
    if kind == "PQ" or (not kind and v.get("unit")):
        unit = v.get("unit") or ""
        return (v.get("value") or "").strip(), "" if unit == "1" else unit
    if kind == "IVL_PQ":
        low, high = v.find("low"), v.find("high")
        unit = _attr(high, "", "unit") or _attr(low, "", "unit")
        lo, hi = _attr(low, "", "value"), _attr(high, "", "value")
        lo_incl = _attr(low, "", "inclusive") != "false"
        hi_incl = _attr(high, "", "inclusive") != "false"
        if as_range and lo and hi:
            text = f"{lo}-{hi}"
        elif hi and (not lo or (lo in ("0", "0.0") and lo_incl)):
            text = ("<=" if hi_incl else "<") + hi
        elif lo and not hi:
            text = (">=" if lo_incl else ">") + lo
        else:
            text = f"{lo}-{hi}" if lo or hi else ""
        return text, "" if unit == "1" else unit
    if kind in ("CD", "CE", "CV", "CO", "CS", "CWE"):
        return ctx.concept(v) or (v.get("code") or ""), ""
    if kind in ("ST", "ED", "SC"):
        return ctx.resolve(v), ""
    if kind == "TS":
        return hl7_ts_to_iso(v.get("value") or ""), ""
    if kind.startswith("RTO"):
        num, den = v.find("numerator"), v.find("denominator")
        n, d = _attr(num, "", "value"), _attr(den, "", "value")
        return (f"{n}/{d}" if n and d else n), _attr(num, "", "unit")
    if v.get("value"):
        return (v.get("value") or "").strip(), ""
    return ctx.resolve(v), ""


def _reference_range(obs: Element, ctx: _Ctx) -> str:
    ranges = []
    for rng in obs.findall("referenceRange/observationRange"):
        text = ctx.resolve(rng.find("text"))
        if not text:
            value, unit = _value(rng.find("value"), ctx, as_range=True)
            text = f"{value} {unit}".strip()
        if text and text not in ranges:
            ranges.append(text)
    return "; ".join(ranges)


def _flag(obs: Element) -> str:
    for interp in obs.findall("interpretationCode"):
        flag = _FLAGS.get((interp.get("code") or "").upper())
        if flag:
            return flag
    return ""


def _result(obs: Element, ctx: _Ctx, *, panel: str, fallback_date: str) -> LabResult | None:
    if obs.get("negationInd") == "true" or _attr(obs, "statusCode", "code") in ("nullified", "cancelled"):
        return None
    name = ctx.concept(obs.find("code")) or ctx.resolve(obs.find("text"))
    value, unit = _value(obs.find("value"), ctx)
    if not name or not value:
        return None
    return LabResult(name=name, value=value, unit=unit, date=_point(obs.find("effectiveTime")) or fallback_date,
                     reference_range=_reference_range(obs, ctx), flag=_flag(obs), code=_code_of(obs.find("code")),
                     panel=panel)


def _results(organizer: Element, ctx: _Ctx) -> list[LabResult]:
    panel = ctx.concept(organizer.find("code"))
    date = _point(organizer.find("effectiveTime"))
    out = []
    for obs in organizer.findall("component/observation"):
        found = _result(obs, ctx, panel=panel, fallback_date=date)
        if found is not None:
            out.append(found)
    return out


_UNIT_WORDS = {"min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year", "s": "second"}
_HOURS = {"min": 1 / 60, "h": 1.0, "d": 24.0, "wk": 168.0}
_TIMES_A_DAY = {1: "once a day", 2: "twice a day", 3: "3 times a day", 4: "4 times a day", 5: "5 times a day",
                6: "6 times a day"}
_EVENTS = {"HS": "at bedtime", "AC": "before meals", "PC": "after meals", "ACM": "before breakfast",
           "ACD": "before lunch", "ACV": "before dinner", "PCM": "after breakfast", "PCD": "after lunch",
           "PCV": "after dinner", "WAKE": "on waking", "C": "with meals", "CM": "with breakfast",
           "CD": "with lunch", "CV": "with dinner"}


def _frequency(sa: Element) -> str:
    parts = []
    for et in sa.findall("effectiveTime"):
        kind = _xsi_type(et)
        if kind == "PIVL_TS":
            value, unit = _attr(et, "period", "value"), _attr(et, "period", "unit")
            try:
                number = float(value)
            except ValueError:
                continue
            if number <= 0:
                continue
            hours = number * _HOURS[unit] if unit in _HOURS else None
            if et.get("institutionSpecified") == "true" and hours and (24 / hours).is_integer():
                parts.append(_TIMES_A_DAY.get(int(24 / hours), f"{int(24 / hours)} times a day"))
            else:
                word = _UNIT_WORDS.get(unit, unit)
                shown = value if not number.is_integer() else str(int(number))
                parts.append(f"every {word}" if shown == "1" else f"every {shown} {word}s")
        elif kind == "EIVL_TS":
            event = _attr(et, "event", "code").upper()
            if event:
                parts.append(_EVENTS.get(event, event))
    if sa.find("precondition") is not None:
        parts.append("as needed")
    return ", ".join(parts)


def _dose(sa: Element, ctx: _Ctx) -> str:
    dq = sa.find("doseQuantity")
    if dq is None:
        return ""
    value, unit = dq.get("value") or "", dq.get("unit") or ""
    if not value:
        low, high = _attr(dq, "low", "value"), _attr(dq, "high", "value")
        value = f"{low}-{high}" if low and high else low or high
        unit = unit or _attr(dq, "high", "unit") or _attr(dq, "low", "unit")
    if not value:
        return ""
    if unit in ("", "1"):
        unit = ctx.concept(sa.find("administrationUnitCode")).lower()
    return f"{value} {unit}".strip()


_MED_STATUS = {"aborted": "stopped", "suspended": "on-hold", "cancelled": "stopped", "held": "on-hold"}


def _medication(sa: Element, ctx: _Ctx) -> Medication | None:
    status = _attr(sa, "statusCode", "code")
    if sa.get("negationInd") == "true" or status == "nullified":
        return None  # "no medications", or an entry withdrawn as entered in error
    product = sa.find("consumable/manufacturedProduct")
    material = product.find("manufacturedMaterial") if product is not None else None
    code_el = material.find("code") if material is not None else None
    if (product is not None and _IMMUNIZATION_PRODUCT in _templates(product)) or \
            _attr(code_el, "", "codeSystem") == _CVX:
        return None  # a vaccine (immunizations are not medications here)
    name = ctx.concept(code_el) or (_inline(material.find("name")) if material is not None else "")
    sig = ctx.resolve(sa.find("text"))
    if not name:
        name = sig
    if not name:
        return None
    start = stop = ""
    for et in sa.findall("effectiveTime"):
        if _xsi_type(et) in ("IVL_TS", "") and not start and not stop:
            start, stop = _interval(et)
    frequency = _frequency(sa) or (sig if sig and sig != name else "")
    return Medication(name=name, dose=_dose(sa, ctx), route=ctx.concept(sa.find("routeCode")),
                      frequency=frequency, start=start, stop=stop, status=_MED_STATUS.get(status, status),
                      notes=sig if sig != name and sig != frequency else "", code=_code_of(code_el))


def _allergies(stmt: Element, ctx: _Ctx) -> list[Allergy]:
    concern_status = _attr(stmt, "statusCode", "code") if _ALLERGY_CONCERN in _templates(stmt) else ""
    observations = [stmt] if _ALLERGY_OBS in _templates(stmt) else [
        o for o in stmt.findall("entryRelationship/observation") if _ALLERGY_OBS in _templates(o)]
    out = []
    for obs in observations:
        found = _allergy(obs, ctx, concern_status)
        if found is not None:
            out.append(found)
    return out


def _allergy(obs: Element, ctx: _Ctx, concern_status: str) -> Allergy | None:
    if _attr(obs, "statusCode", "code") == "nullified":
        return None
    entity = obs.find("participant/participantRole/playingEntity")
    substance_code = entity.find("code") if entity is not None else None
    substance = ctx.concept(substance_code) or (_inline(entity.find("name")) if entity is not None else "")
    value = obs.find("value")
    value_code = _attr(value, "", "code")
    if value_code in _NO_KNOWN_ALLERGY:
        return Allergy(substance="", none_known=True, code=_code_of(value))
    if obs.get("negationInd") == "true":
        # C-CDA "no known allergies": a negated allergy to no substance in particular.
        if not substance or _attr(substance_code, "", "code") in _ANY_SUBSTANCE:
            return Allergy(substance="", none_known=True, code=_code_of(value))
        return None  # "not allergic to X": nothing to list
    if not substance:
        substance = ctx.concept(value)  # an allergy coded as one concept ("Allergy to penicillin")
    if not substance:
        return None
    reactions, severity = [], ""
    for rel in obs.findall("entryRelationship"):
        inner = rel.find("observation")
        if inner is None:
            continue
        templates = _templates(inner)
        if _REACTION_OBS in templates or rel.get("typeCode") == "MFST":
            words = ctx.concept(inner.find("value"))
            if words and words not in reactions:
                reactions.append(words)
            for sub in inner.findall("entryRelationship/observation"):
                if _SEVERITY_OBS in _templates(sub) and not severity:
                    severity = ctx.concept(sub.find("value"))
        elif _SEVERITY_OBS in templates:
            severity = ctx.concept(inner.find("value")) or severity
    status = concern_status
    for inner in obs.findall("entryRelationship/observation"):
        if _ALLERGY_STATUS in _templates(inner):
            status = ctx.concept(inner.find("value")).lower() or status
    return Allergy(substance=substance, reaction="; ".join(reactions), severity=severity, status=status,
                   onset=_interval(obs.find("effectiveTime"))[0], code=_code_of(substance_code))


def _problem(obs: Element, ctx: _Ctx, concern_status: str) -> Problem | None:
    if obs.get("negationInd") == "true" or _attr(obs, "statusCode", "code") == "nullified":
        return None  # "no known problems" asserts an absence
    value = obs.find("value")
    name = ctx.concept(value) or ctx.resolve(obs.find("text"))
    if not name:
        return None
    onset, resolved = _interval(obs.find("effectiveTime"))
    status = ""
    for inner in obs.findall("entryRelationship/observation"):
        if _PROBLEM_STATUS in _templates(inner):
            status = ctx.concept(inner.find("value")).lower()
    if not status:
        status = "resolved" if resolved else concern_status
    return Problem(name=name, status=status, onset=onset, resolved=resolved, code=_code_of(value))


def _problems(stmt: Element, ctx: _Ctx) -> list[Problem]:
    """Problem observations in a concern act, a diagnosis act, an encounter, or on their own."""
    concern_status = _attr(stmt, "statusCode", "code") if _PROBLEM_CONCERN in _templates(stmt) else ""
    out = []
    for obs in stmt.iter("observation"):
        if _PROBLEM_OBS in _templates(obs):
            found = _problem(obs, ctx, concern_status)
            if found is not None:
                out.append(found)
    return out


def _procedure(stmt: Element, ctx: _Ctx) -> Procedure | None:
    status = _attr(stmt, "statusCode", "code")
    if stmt.get("negationInd") == "true" or status in ("nullified", "cancelled"):
        return None
    name = ctx.concept(stmt.find("code")) or ctx.resolve(stmt.find("text"))
    if not name:
        return None
    if (stmt.get("moodCode") or "EVN").upper() in _PLANNED_MOODS:
        status = "planned"
    return Procedure(name=name, date=_point(stmt.find("effectiveTime")), code=_code_of(stmt.find("code")),
                     status=status)


# Encounter codes that say the setting: HL7 ActCode, then CPT evaluation-and-management ranges.
_ACT_ENCOUNTER = {"IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient", "AMB": "outpatient",
                  "EMER": "emergency", "HH": "home health", "VR": "virtual", "OBSENC": "observation",
                  "SS": "short stay", "FLD": "field"}
_CPT_ENCOUNTER = (((99221, 99239), "inpatient"), ((99251, 99255), "inpatient"), ((99281, 99288), "emergency"),
                  ((99201, 99215), "outpatient"), ((99241, 99245), "outpatient"), ((99381, 99429), "outpatient"))


def encounter_setting(system: str, code: str) -> str:
    """inpatient / outpatient / emergency... for an ActCode or CPT encounter code, else ""."""
    system, code = system.strip(), code.strip().upper()
    if system in ("2.16.840.1.113883.5.4", "http://terminology.hl7.org/CodeSystem/v3-ActCode") or not system:
        if code in _ACT_ENCOUNTER:
            return _ACT_ENCOUNTER[code]
    if system in ("2.16.840.1.113883.6.12", "http://www.ama-assn.org/go/cpt") and code.isdigit():
        for (low, high), setting in _CPT_ENCOUNTER:
            if low <= int(code) <= high:
                return setting
    return ""


def _encounter_type(code_el: Element | None, ctx: _Ctx) -> str:
    if code_el is None:
        return ""
    for el in [code_el, *code_el.findall("translation")]:
        setting = encounter_setting(el.get("codeSystem") or "", el.get("code") or "")
        if setting:
            return setting
    return ctx.concept(code_el)


def _encounter(enc: Element, ctx: _Ctx) -> Encounter | None:
    if (enc.get("moodCode") or "EVN").upper() in _PLANNED_MOODS or enc.get("negationInd") == "true":
        return None
    start, end = _interval(enc.find("effectiveTime"))
    kind = _encounter_type(enc.find("code"), ctx)
    facility = ""
    for part in enc.findall("participant"):
        if part.get("typeCode") == "LOC":
            role = part.find("participantRole")
            name = role.find("playingEntity/name") if role is not None else None
            facility = _inline(name) if name is not None else ctx.concept(role.find("code") if role is not None
                                                                        else None)
            if facility:
                break
    reason = ""
    for rel in enc.findall("entryRelationship"):
        obs = rel.find("observation")
        if obs is None:
            obs = rel.find("act/entryRelationship/observation")  # encounter diagnosis (4.80) → problem
        if obs is not None and (rel.get("typeCode") == "RSON" or _PROBLEM_OBS in _templates(obs)):
            reason = ctx.concept(obs.find("value")) or reason
            if reason:
                break
    if not (kind or start):
        return None
    return Encounter(type=kind or "encounter", start=start, end=end, facility=facility, reason=reason)


@dataclass
class _Found:
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    results: list[LabResult] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    encounters: list[Encounter] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.medications or self.allergies or self.problems or self.results or self.procedures
                    or self.encounters)


_STATEMENTS = frozenset({"act", "observation", "substanceAdministration", "supply", "procedure", "encounter",
                         "organizer", "regionOfInterest", "observationMedia"})


def _statements(container: Element) -> Iterator[Element]:
    """Every clinical statement directly under an ``entry`` in the container, in document order."""
    if container.tag in _STATEMENTS:
        yield container
        return
    for entry in container.iter("entry"):
        for stmt in entry:
            if stmt.tag in _STATEMENTS:
                yield stmt


def _read_statement(stmt: Element, ctx: _Ctx, found: _Found) -> None:
    templates = _templates(stmt)
    tag = stmt.tag
    if templates & {_IMMUNIZATION, *_VITALS}:
        return
    if tag == "substanceAdministration" or _MED_ACTIVITY in templates:
        med = _medication(stmt, ctx)
        if med is not None:
            found.medications.append(med)
    elif templates & {_ALLERGY_CONCERN, _ALLERGY_OBS}:
        found.allergies.extend(_allergies(stmt, ctx))
    elif tag == "organizer" and _RESULT_ORGANIZER in templates:
        found.results.extend(_results(stmt, ctx))
    elif tag == "organizer":  # a cluster of statements (a medication given in phases, devices...)
        for inner in stmt.findall("component/*"):
            if inner.tag in _STATEMENTS:
                _read_statement(inner, ctx, found)
    elif tag == "observation" and _RESULT_OBS in templates:
        result = _result(stmt, ctx, panel="", fallback_date="")
        if result is not None:
            found.results.append(result)
    elif tag == "procedure" or templates & {_PROC_ACT, _PROC_OBS, _PROC_PROC, _PLANNED_PROC}:
        proc = _procedure(stmt, ctx)
        if proc is not None:
            found.procedures.append(proc)
    elif tag == "encounter" or _ENCOUNTER in templates:
        enc = _encounter(stmt, ctx)
        if enc is not None:
            found.encounters.append(enc)
        found.problems.extend(_problems(stmt, ctx))  # encounter diagnoses
    else:
        found.problems.extend(_problems(stmt, ctx))


def _read_entries(container: Element, ctx: _Ctx) -> _Found:
    found = _Found()
    failed = 0
    for stmt in _statements(container):
        try:
            _read_statement(stmt, ctx, found)
        except Exception as e:  # one odd entry must not cost the whole document
            failed += 1
            log.warning("C-CDA entry <%s> could not be read: %s", stmt.tag, exception_site(e))
    if failed:
        ctx.note(f"{failed} structured entr{'y' if failed == 1 else 'ies'} could not be read and "
                 f"{'was' if failed == 1 else 'were'} left out.")
    found.problems = _unique(found.problems, lambda p: (p.name.lower(), p.onset))
    found.allergies = _unique(found.allergies, lambda a: (a.substance.lower(), a.reaction, a.none_known))
    return found


def _unique(items: Iterable[_T_co], key: Callable[[_T_co], object]) -> list[_T_co]:
    seen: set[object] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _sections_text(container: Element) -> str:
    parts = []
    for section in container.iter("section"):
        title = _inline(section.find("title"))
        text_el = section.find("text")
        body = _narrative(text_el) if text_el is not None else ""
        if title or body:
            parts.append("\n".join(p for p in (title.upper(), body) if p))
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# The document.


def _kind(root: Element) -> tuple[DocumentKind, float, str, bool]:
    """(kind, confidence, evidence, known): from the LOINC document code, else the template."""
    code = root.find("code")
    loinc = _attr(code, "", "code")
    display = _attr(code, "", "displayName")
    system = _attr(code, "", "codeSystem")
    if loinc and system in ("", "2.16.840.1.113883.6.1"):
        kind = kind_for_loinc(loinc)
        if kind is not None:
            return kind, 0.95, _one_line(f"C-CDA LOINC {loinc} {display}"), True
    for oid in (t.get("root", "") for t in root.findall("templateId")):
        kind = kind_for_ccda_template(oid)
        if kind is not None:
            return kind, 0.9, _one_line(f"C-CDA template {oid} (document code {loinc or 'missing'} "
                                        f"{display} not recognised)"), True
    if loinc:
        return DocumentKind.OTHER, 0.3, _one_line(f"C-CDA LOINC {loinc} {display} (not a known document type)"), False
    return DocumentKind.OTHER, 0.2, "C-CDA document without a document type code", False


def _patient(root: Element, ctx: _Ctx) -> PersonIdentity:
    targets = root.findall("recordTarget/patientRole")
    if not targets:
        return PersonIdentity()
    if len(targets) > 1:
        ctx.note("The document names more than one patient; only the first is shown.")
    role = targets[0]
    patient = role.find("patient")
    names = patient.findall("name") if patient is not None else []
    legal = [n for n in names if "L" in (n.get("use") or "").split()]
    name = _person_name((legal or names)[0] if names else None)
    birth = hl7_ts_to_iso(_attr(patient, "birthTime", "value"))[:10]
    sex = _attr(patient, "administrativeGenderCode", "code")
    record_id = ""
    for id_el in role.findall("id"):
        if id_el.get("root") != _SSN_ROOT and id_el.get("extension"):
            record_id = (id_el.get("extension") or "").strip()
            break
    return PersonIdentity(name=name, birth_date=birth, id=record_id, sex=sex)


def _author(root: Element) -> str:
    for author in root.findall("author/assignedAuthor"):
        name = _person_name(author.find("assignedPerson/name"))
        if name:
            return name
    for author in root.findall("author/assignedAuthor"):
        org = author.find("representedOrganization/name")
        if org is not None and _inline(org):
            return _inline(org)
    return ""


def _facility(root: Element) -> str:
    for path in ("custodian/assignedCustodian/representedCustodianOrganization/name",
                 "componentOf/encompassingEncounter/location/healthCareFacility/serviceProviderOrganization/name",
                 "componentOf/encompassingEncounter/location/healthCareFacility/location/name",
                 "author/assignedAuthor/representedOrganization/name"):
        el = root.find(path)
        if el is not None and _inline(el):
            return _inline(el)
    return ""


def _header_encounter(root: Element, ctx: _Ctx, doc_kind: DocumentKind) -> Encounter | None:
    enc = root.find("componentOf/encompassingEncounter")
    if enc is None:
        return None
    start, end = _interval(enc.find("effectiveTime"))
    kind = _encounter_type(enc.find("code"), ctx)
    if not kind and doc_kind is DocumentKind.DISCHARGE_SUMMARY:
        kind = "inpatient"  # a discharge summary's encounter is the hospital stay it closes
    facility = ""
    for path in ("location/healthCareFacility/location/name",
                 "location/healthCareFacility/serviceProviderOrganization/name"):
        el = enc.find(path)
        if el is not None and _inline(el):
            facility = _inline(el)
            break
    if not (kind or start):
        return None
    return Encounter(type=kind or "encounter", start=start, end=end, facility=facility)


def _non_xml_body(body: Element, ctx: _Ctx, *, title: str, kind: DocumentKind | None, evidence: str,
                  date: str) -> tuple[Attachment | None, str]:
    """The attachment a nonXMLBody carries, and its text when it is plain text."""
    text_el = body.find("text")
    if text_el is None:
        ctx.note("The document has an unstructured body with no content.")
        return None, ""
    media_type = (text_el.get("mediaType") or "text/plain").strip().lower()
    ref = text_el.find("reference")
    if ref is not None:
        target = (ref.get("value") or "").strip().replace("\\", "/").rsplit("/", 1)[-1][:100]
        ctx.note(f"The document's content is a separate file it refers to ({target or 'unnamed'}), "
                 "which is not inside it: ask the sender for that file.")
        return None, ""
    raw = "".join(text_el.itertext())
    if (text_el.get("representation") or "TXT").upper() == "B64":
        data = decode_base64(raw)
        if data is None:
            ctx.note("The document embedded in this file could not be decoded (invalid base64); it was left out.")
            return None, ""
    else:
        data = raw.strip().encode("utf-8")
    compression = (text_el.get("compression") or "").strip()
    if compression:
        inflated = _decompress(data, compression)
        if inflated is None:
            ctx.note("The document embedded in this file is compressed in a way that could not be read.")
            return None, ""
        data = inflated
    if not data.strip():
        ctx.note("The document has an unstructured body with no content.")
        return None, ""
    text = ""
    if media_type.startswith("text/plain"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", "replace")
    return Attachment(media_type=media_type, data=data, title=title, kind=kind,
                      kind_evidence=evidence if kind is not None else "", date=date), text


def parse(data: bytes, *, name: str) -> ParsedDocument:
    """Read a C-CDA document (or a fragment of one) into a :class:`ParsedDocument`.

    Raises :class:`DocumentReadError` and nothing else: ``xml_malformed``, ``xml_forbidden``
    (DTD or entity declarations), ``too_large``, ``not_ccda``, ``ccda_fragment``. ``name`` (the
    file's name, which may carry patient data) is never logged nor used in what is returned.
    """
    if len(data) > MAX_BYTES:
        raise DocumentReadError("too_large", f"The XML file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    root, namespace, prefixes_added = _read_tree(data)
    try:
        if root.tag == "ClinicalDocument" and namespace == V3:
            doc = _document(root)
        elif root.tag in ("section", "component", "structuredBody", "entry", *_STATEMENTS) and namespace in ("", V3):
            doc = _fragment(root)
        else:
            raise DocumentReadError("not_ccda", "The XML file is not an HL7 CDA document.")
    except DocumentReadError:
        raise
    except Exception as e:  # a reader bug must not escape as anything else; counted, never silent
        log.error("C-CDA reader failed on a parsed tree: %s", exception_site(e))
        raise DocumentReadError("xml_malformed", "The CDA document could not be understood.") from e
    if prefixes_added:
        doc = replace(doc, problems_found=(
            "The file uses standard CDA namespace prefixes (such as xsi) without declaring them; "
            "it was read as if they were declared.",) + doc.problems_found)
    log.info("C-CDA read: kind=%s meds=%d allergies=%d problems=%d results=%d procedures=%d attachments=%d",
             doc.kind.value, len(doc.medications), len(doc.allergies), len(doc.problems), len(doc.results),
             len(doc.procedures), len(doc.attachments))
    return doc


def _narrative_ids(root: Element) -> dict[str, Element]:
    return {el.get("ID") or "": el for el in root.iter() if el.get("ID")}


def _document(root: Element) -> ParsedDocument:
    ctx = _Ctx(ids=_narrative_ids(root))
    kind, confidence, evidence, known = _kind(root)
    title = _inline(root.find("title"))
    date = hl7_ts_to_iso(_attr(root, "effectiveTime", "value"))
    found = _Found()
    text_parts = [title] if title else []
    attachments: list[Attachment] = []
    structured = root.find("component/structuredBody")
    unstructured = root.find("component/nonXMLBody")
    if structured is not None:
        found = _read_entries(structured, ctx)
        sections = _sections_text(structured)
        if sections:
            text_parts.append(sections)
    elif unstructured is not None:
        attachment, text = _non_xml_body(unstructured, ctx, title=title, kind=kind if known else None,
                                         evidence=evidence, date=date)
        if attachment is not None:
            attachments.append(attachment)
        if text:
            text_parts.append(text.strip())
    else:
        ctx.note("The document has no body: only who it is about and who wrote it.")
    encounter = _header_encounter(root, ctx, kind)
    encounters = ([encounter] if encounter is not None else []) + found.encounters
    accession = ""
    if kind is DocumentKind.RADIOLOGY_REPORT:
        accession = _attr(root, "inFulfillmentOf/order/id", "extension")
    return ParsedDocument(
        media_type=MEDIA_TYPE, title=title, kind=kind, kind_confidence=confidence, kind_evidence=evidence,
        date=date, facility=_facility(root), author=_author(root), patient=_patient(root, ctx),
        text="\n\n".join(text_parts), accession=accession, medications=tuple(found.medications),
        allergies=tuple(found.allergies), problems=tuple(found.problems), results=tuple(found.results),
        procedures=tuple(found.procedures), encounters=tuple(encounters), attachments=tuple(attachments),
        problems_found=tuple(ctx.problems))


def _fragment(root: Element) -> ParsedDocument:
    """A section (or entry) cut out of a C-CDA document: read what it holds, say what it lacks."""
    ctx = _Ctx(ids=_narrative_ids(root))
    found = _read_entries(root, ctx)
    text = _sections_text(root)
    if not found.any() and not text.strip():
        raise DocumentReadError("ccda_fragment",
                                "The file is only a fragment of a C-CDA document, with nothing readable in it.")
    return ParsedDocument(
        media_type=MEDIA_TYPE, kind=DocumentKind.OTHER, kind_confidence=0.2,
        kind_evidence="C-CDA fragment (a section without a document header)", text=text,
        medications=tuple(found.medications), allergies=tuple(found.allergies), problems=tuple(found.problems),
        results=tuple(found.results), procedures=tuple(found.procedures), encounters=tuple(found.encounters),
        problems_found=("This file holds only a fragment of a C-CDA document: who it is about, its date and "
                        "its author are not in it.", *ctx.problems))
