"""Records-request letters, and the front desk's one-page "missing items" sheet.

The checklist names what is missing and, where it can, who holds it: each
:class:`~bundler.model.RecordRequest` is one record at one facility. Here they are grouped
into one letter per facility, with the exact records asked for ("radiology report and DICOM
images of CT chest, 3 March 2026, accession 12345"), the preferred format, and a note that
patients have a legal right of access to their own records. A request whose facility the
records do not name gets a letter "To the records department" with a note to write the name
in before sending.

Nothing here reads the case store: the checklist's report and the intake are enough.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from bundler import __version__
from bundler.describe import iso_date, long_date
from bundler.export import fonts
from bundler.export.fonts import ACCENT, BODY, INK, MUTED, RED, Block, Layout, Section, fit_sections
from bundler.export.summary_pdf import page_size, short_date
from bundler.model import CompletenessReport, Intake, ItemStatus, RecordRequest

__all__ = [
    "FacilityRequests",
    "LetterPatient",
    "RequestLine",
    "letter_patient",
    "render_missing_sheet",
    "render_request_letters",
    "request_text",
    "requests_by_facility",
]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------ data


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One line of a letter: the records of one exam or document, asked for together."""

    records: tuple[str, ...]  # "radiology report", "DICOM images"
    exam: str = ""
    date: str = ""  # ISO
    accession: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FacilityRequests:
    """Everything to ask one facility for ("" when the records do not say who holds it)."""

    facility: str
    lines: tuple[RequestLine, ...]


@dataclass(frozen=True, slots=True)
class LetterPatient:
    """The patient as a letter introduces them."""

    names: tuple[str, ...] = ()  # original script first, then the Latin form
    birth_date: str = ""  # ISO
    ids: tuple[str, ...] = ()
    address: str = ""
    phone: str = ""
    email: str = ""


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def requests_by_facility(report: CompletenessReport) -> list[FacilityRequests]:
    """The report's record requests, one group per facility in the order first named (the
    unknown facility last); the records of one exam are merged into one line."""
    requests: list[RecordRequest] = []
    for item in report.items:
        if item.status in (ItemStatus.PRESENT, ItemStatus.NOT_REQUIRED):
            continue
        requests.extend(item.requests)
    facilities: dict[str, str] = {}
    lines: dict[str, dict[tuple[str, ...], list[RecordRequest]]] = {}
    for r in requests:
        fkey = _key(r.facility)
        facilities.setdefault(fkey, " ".join(r.facility.split()))
        if r.exam or r.date or r.accession:
            lkey: tuple[str, ...] = ("exam", _key(r.exam), iso_date(r.date)[0], r.accession.strip())
        else:
            lkey = ("record", _key(r.record))
        lines.setdefault(fkey, {}).setdefault(lkey, []).append(r)
    out = []
    for fkey in sorted(facilities, key=lambda k: k == ""):
        group = []
        for members in lines[fkey].values():
            first = members[0]
            group.append(RequestLine(
                records=tuple(dict.fromkeys(m.record.strip() for m in members if m.record.strip())),
                exam=first.exam.strip(),
                date=iso_date(first.date)[0] if first.date else "",
                accession=first.accession.strip(),
                reasons=tuple(dict.fromkeys(m.reason.strip() for m in members if m.reason.strip())),
            ))
        out.append(FacilityRequests(facilities[fkey], tuple(group)))
    return out


def letter_patient(report: CompletenessReport | None, intake: Intake | None) -> LetterPatient:
    """The patient's details: as they gave them, else as their records name them."""
    intake = intake or Intake()
    persons = report.identity.persons if report is not None else ()
    person = persons[0] if persons else None
    birth = intake.patient.birth_date or (person.birth_dates[0] if person and person.birth_dates else "")
    return LetterPatient(
        names=fonts.display_names([intake.patient.name, *(person.names if person else ())]),
        birth_date=iso_date(birth)[0] if birth else "",
        ids=tuple(dict.fromkeys(i for i in (person.ids if person else ()) if i)),
        address=intake.patient.address,
        phone=intake.patient.phone,
        email=intake.patient.email,
    )


# ------------------------------------------------------------------------------------ words

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "doc_title": "Requests for medical records",
        "doc_subject": "Letters asking facilities for copies of medical records",
        "to_department": "Medical records department",
        "to_unknown": "To the records department",
        "fill_in": "Before sending: write the facility's name and address here. The records do not say "
                   "who holds the items below.",
        "subject": "Request for copies of my medical records",
        "patient": "Patient",
        "born": "Date of birth",
        "ids": "Patient ID",
        "greeting": "Dear records department,",
        "intro": "For a second medical opinion, I am asking for copies of the following records of mine:",
        "format": "Preferred format: for imaging, the DICOM images themselves (the original files, not "
                  "screenshots or JPEG copies) on a CD or DVD, or by secure download link; for reports "
                  "and notes, a PDF or a paper copy.",
        "rights": "Patients have a legal right to see and obtain copies of their own health records (in the "
                  "United States under the HIPAA Privacy Rule; many other countries have similar laws). "
                  "If there is a fee or a form to sign first, please let me know.",
        "send_contact": "Please send the records to me at the address above, or contact me: {contact}.",
        "send_address": "Please send the records to me at the address above.",
        "send_nothing": "Please contact me to arrange how I can receive the records.",
        "thanks": "Thank you for your help.",
        "closing": "Sincerely,",
        "signature": "Signature",
        "continued": "Request for medical records (continued), page {page}",
        "records_of": "{records} of {exam}",
        "and": "{first} and {last}",
        "accession": "accession {accession}",
        "because": "Why: {reason}",
        "sheet_title": "Records to request",
        "sheet_intro": "Tick each item when it has been asked for. Letters for each facility: "
                       "records-bundler letter.",
        "sheet_count": "{records} items from {facilities} facilities",
        "sheet_unknown": "Facility not named in the records",
        "sheet_patient": "From the patient",
        "sheet_patient_line": "{title}: {step}",
        "sheet_nothing": "Nothing to request: the checklist finds nothing missing.",
        "sheet_date": "Printed {date}",
        "more": "and {n} more, see the letters",
        "collapsed": "{heading}: {n} items, see the letters",
        "made": "Records Bundler {version}",
        "not_given": "not given",
    },
    "es": {
        "doc_title": "Solicitudes de historia clínica",
        "doc_subject": "Cartas que solicitan copias de la historia clínica a los centros",
        "to_department": "Servicio de documentación clínica (archivo de historias clínicas)",
        "to_unknown": "Al servicio de documentación clínica",
        "fill_in": "Antes de enviarla: escriba aquí el nombre y la dirección del centro. Los documentos no "
                   "dicen quién tiene lo que se solicita.",
        "subject": "Solicitud de copia de mi historia clínica",
        "patient": "Paciente",
        "born": "Fecha de nacimiento",
        "ids": "Número de historia",
        "greeting": "Estimados señores:",
        "intro": "Para una segunda opinión médica, les solicito copia de los siguientes documentos de mi "
                 "historia clínica:",
        "format": "Formato preferido: para las imágenes, los propios archivos DICOM (los originales, no "
                  "capturas de pantalla ni copias JPEG) en CD o DVD, o mediante un enlace de descarga "
                  "seguro; para los informes y notas, en PDF o en papel.",
        "rights": "Los pacientes tienen derecho por ley a acceder a su propia historia clínica y a obtener "
                  "una copia (en Estados Unidos, según la norma de privacidad de HIPAA; muchos otros "
                  "países tienen leyes similares). Si hay alguna tasa o algún formulario que firmar antes, "
                  "les ruego que me lo indiquen.",
        "send_contact": "Les ruego que me envíen los documentos a la dirección indicada arriba o que se pongan "
                        "en contacto conmigo: {contact}.",
        "send_address": "Les ruego que me envíen los documentos a la dirección indicada arriba.",
        "send_nothing": "Les ruego que se pongan en contacto conmigo para acordar cómo recibir los documentos.",
        "thanks": "Muchas gracias por su ayuda.",
        "closing": "Atentamente,",
        "signature": "Firma",
        "continued": "Solicitud de historia clínica (continuación), página {page}",
        "records_of": "{records} de {exam}",
        "and": "{first} y {last}",
        "and_i": "{first} e {last}",
        "accession": "n.º de acceso {accession}",
        "because": "Motivo: {reason}",
        "sheet_title": "Documentos que hay que solicitar",
        "sheet_intro": "Marque cada elemento cuando se haya solicitado. Cartas para cada centro: "
                       "records-bundler letter.",
        "sheet_count": "{records} elementos de {facilities} centros",
        "sheet_unknown": "Centro no indicado en los documentos",
        "sheet_patient": "Del paciente",
        "sheet_patient_line": "{title}: {step}",
        "sheet_nothing": "No hay nada que solicitar: la lista no encuentra nada que falte.",
        "sheet_date": "Impreso el {date}",
        "more": "y {n} más, véanse las cartas",
        "collapsed": "{heading}: {n} elementos, véanse las cartas",
        "made": "Records Bundler {version}",
        "not_given": "no consta",
    },
}

# What the checklist calls a record, in Spanish; anything else is shown as written.
_RECORDS_ES = {
    "radiology report": "informe de radiología",
    "imaging report": "informe de radiología",
    "dicom images": "imágenes DICOM",
    "images": "imágenes",
    "pathology report": "informe de anatomía patológica",
    "operative report": "informe quirúrgico",
    "procedure report": "informe del procedimiento",
    "discharge summary": "informe de alta",
    "visit note": "nota de consulta",
    "visit notes": "notas de consulta",
    "lab results": "resultados de laboratorio",
    "laboratory results": "resultados de laboratorio",
    "medication list": "lista de medicamentos",
    "pathology slides": "preparaciones de anatomía patológica",
    "slides and blocks": "preparaciones y bloques",
    "pathology slides and blocks": "preparaciones y bloques de anatomía patológica",
    "referral": "volante de derivación",
}


def _words(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def _record_name(record: str, lang: str) -> str:
    if lang == "es":
        return _RECORDS_ES.get(" ".join(record.casefold().split()), record)
    return record


def _join(items: Sequence[str], t: Mapping[str, str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    # Spanish "y" becomes "e" before an /i/ sound ("informe e imágenes"), but not before "hie".
    key = "and_i" if re.match(r"(?i)h?[iíy](?!e)", items[-1]) and "and_i" in t else "and"
    return t[key].format(first=", ".join(items[:-1]), last=items[-1])


def request_text(line: RequestLine, lang: str = "en", *, short: bool = False) -> str:
    """``"radiology report and DICOM images of CT chest, 3 March 2026, accession 12345"``."""
    t = _words(lang)
    records = _join([_record_name(r, lang) for r in line.records], t)
    text = t["records_of"].format(records=records, exam=line.exam) if line.exam else records
    parts = [text]
    if line.date:
        parts.append(short_date(line.date, lang) if short else long_date(line.date, lang))
    if line.accession:
        parts.append(t["accession"].format(accession=line.accession))
    return ", ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------ letters

LETTER_SIZE = 10.0
LETTER_LEAD = 13.5
MARGIN = 60.0


def render_request_letters(report: CompletenessReport, intake: Intake | None, out: Path, *, paper: str = "a4",
                           lang: str = "en", today: _dt.date | None = None) -> int:
    """Write one letter per facility (each on its own pages) to ``out``; returns the number of
    letters. Nothing is written when there is nothing to request (0 is returned)."""
    groups = requests_by_facility(report)
    if not groups:
        return 0
    data = letters_pdf(groups, letter_patient(report, intake), paper=paper, lang=lang, today=today)
    fonts.write_atomic(Path(out), data)
    log.info("request letters written: %d letters, %d lines", len(groups), sum(len(g.lines) for g in groups))
    return len(groups)


def _canvas(buf: io.BytesIO, paper: str, lang: str, title: str, subject: str) -> Canvas:
    fonts.register_fonts()
    c = Canvas(buf, pagesize=page_size(paper), initialFontName=fonts.BASE_FONT, initialFontSize=BODY,
               lang="es" if lang == "es" else "en", invariant=False, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("Records Bundler")
    c.setSubject(subject)
    c.setCreator(f"Records Bundler {__version__}")
    c.setViewerPreference("DisplayDocTitle", "true")
    return c


def letters_pdf(groups: Sequence[FacilityRequests], patient: LetterPatient, *, paper: str = "a4",
                lang: str = "en", today: _dt.date | None = None) -> bytes:
    """The letters as PDF bytes: one per facility group, each starting on a new page."""
    t = _words(lang)
    buf = io.BytesIO()
    c = _canvas(buf, paper, lang, t["doc_title"], t["doc_subject"])
    page_w, page_h = page_size(paper)
    layout = Layout(MARGIN, page_w - 2 * MARGIN)
    date = long_date((today or _dt.date.today()).isoformat(), lang)
    for group in groups:
        blocks = _letter_blocks(layout, group, patient, t, lang, date)
        _flow(c, layout, blocks, page_h, t, patient)
    c.save()
    return buf.getvalue()


def _para(layout: Layout, text: str, *, style: fonts.Style = "regular", color: object = INK, label: str = "",
          bullet: str = "", hang: float = 0.0, indent: float = 0.0, size: float = LETTER_SIZE,
          lead: float = LETTER_LEAD, max_lines: int = 12) -> Block:
    return layout.para(text, style=style, color=color, label=label, bullet=bullet, hang=hang, indent=indent,
                       size=size, lead=lead, max_lines=max_lines)


def _space(height: float) -> Block:
    return fonts.blank(height)


def _letter_blocks(layout: Layout, group: FacilityRequests, patient: LetterPatient, t: Mapping[str, str],
                   lang: str, date: str) -> list[Block]:
    blocks: list[Block] = []
    # The sender: the patient.
    for name in patient.names:
        blocks.append(_para(layout, name, style="bold", max_lines=2))
    for text in (patient.address, " · ".join(p for p in (patient.phone, patient.email) if p)):
        if text:
            blocks.append(_para(layout, text, max_lines=3))
    blocks += [_space(LETTER_LEAD), _para(layout, date), _space(LETTER_LEAD)]
    # The recipient.
    if group.facility:
        blocks.append(_para(layout, t["to_department"]))
        blocks.append(_para(layout, group.facility, style="bold", max_lines=3))
    else:
        blocks.append(_para(layout, t["to_unknown"], style="bold"))
        blocks.append(_fill_in_box(layout, t["fill_in"]))
    blocks += [_space(LETTER_LEAD), _para(layout, t["subject"], style="bold", color=ACCENT), _space(4.0)]
    name = " / ".join(patient.names) or t["not_given"]
    blocks.append(_para(layout, name, label=t["patient"] + ":", max_lines=3))
    blocks.append(_para(layout, long_date(patient.birth_date, lang) or t["not_given"], label=t["born"] + ":"))
    if patient.ids:
        blocks.append(_para(layout, ", ".join(patient.ids), label=t["ids"] + ":", max_lines=3))
    blocks += [_space(LETTER_LEAD), _para(layout, t["greeting"]), _space(4.0), _para(layout, t["intro"]),
               _space(4.0)]
    for i, line in enumerate(group.lines, 1):
        blocks.append(_para(layout, request_text(line, lang), bullet=f"{i}.", hang=18.0, style="bold", max_lines=4))
        for reason in line.reasons:
            blocks.append(_para(layout, t["because"].format(reason=reason), indent=18.0, size=8.5, lead=11.0,
                                color=MUTED, max_lines=3))
    blocks += [_space(6.0), _para(layout, t["format"]), _space(6.0), _para(layout, t["rights"]), _space(6.0)]
    contact = ", ".join(p for p in (patient.phone, patient.email) if p)
    if contact:
        send = t["send_contact"].format(contact=contact)
    else:
        send = t["send_address"] if patient.address else t["send_nothing"]
    blocks += [_para(layout, send), _space(6.0), _para(layout, t["thanks"]), _space(LETTER_LEAD),
               _para(layout, t["closing"]), _space(LETTER_LEAD * 2), _signature(layout, t)]
    for name_line in patient.names[:1]:
        blocks.append(_para(layout, name_line, max_lines=2))
    return blocks


def _fill_in_box(layout: Layout, note: str) -> Block:
    """An empty box to write the facility's name and address in, with the note under it."""
    box_h = 3 * LETTER_LEAD
    text = layout.para(note, size=8.5, lead=11.0, color=RED, max_lines=3)

    def draw(c: Canvas, y: float) -> None:
        c.setStrokeColor(MUTED)
        c.setDash(2, 2)
        c.setLineWidth(0.6)
        c.rect(layout.left, y - 4.0 - box_h, layout.width * 0.6, box_h, stroke=1, fill=0)
        c.setDash()
        text.draw(c, y - 8.0 - box_h)

    return Block(box_h + 8.0 + text.height, draw)


def _signature(layout: Layout, t: Mapping[str, str]) -> Block:
    label = fonts.fit_line(t["signature"], 200.0, 8.0)

    def draw(c: Canvas, y: float) -> None:
        c.setStrokeColor(INK)
        c.setLineWidth(0.6)
        c.line(layout.left, y - 2.0, layout.left + 200.0, y - 2.0)
        if label:
            c.setFillColor(MUTED)
            fonts.draw_line(c, label, layout.left, y - 12.0)

    return Block(16.0, draw)


def _flow(c: Canvas, layout: Layout, blocks: Sequence[Block], page_h: float, t: Mapping[str, str],
          patient: LetterPatient) -> None:
    """Draw blocks down the page, starting a new page (with a running head) when one does not fit."""
    top = page_h - MARGIN
    bottom = MARGIN
    y = top
    page = 1
    for b in blocks:
        if y - b.height < bottom and y < top:
            c.showPage()
            page += 1
            head = fonts.fit_line(t["continued"].format(page=page) + " — " + (patient.names[0] if patient.names else ""),
                                  layout.width, 8.0)
            if head:
                c.setFillColor(MUTED)
                fonts.draw_line(c, head, layout.left, top - 8.0)
            y = top - 24.0
        b.draw(c, y)
        y -= b.height
    c.showPage()


# ------------------------------------------------------------------------------------ sheet


def render_missing_sheet(report: CompletenessReport, out: Path, *, paper: str = "a4", lang: str = "en",
                         intake: Intake | None = None, today: _dt.date | None = None) -> None:
    """Write the one-page "missing items" sheet for the front desk: a checkbox per record to
    request, grouped by facility, then what to ask the patient for."""
    fonts.write_atomic(Path(out), sheet_pdf(report, paper=paper, lang=lang, intake=intake, today=today))


def sheet_pdf(report: CompletenessReport, *, paper: str = "a4", lang: str = "en", intake: Intake | None = None,
              today: _dt.date | None = None) -> bytes:
    """The "missing items" sheet as PDF bytes (always exactly one page)."""
    t = _words(lang)
    buf = io.BytesIO()
    c = _canvas(buf, paper, lang, t["sheet_title"], t["doc_subject"])
    page_w, page_h = page_size(paper)
    margin = 40.0
    layout = Layout(margin, page_w - 2 * margin)
    groups = requests_by_facility(report)
    patient = letter_patient(report, intake)

    head: list[Block] = [layout.para(t["sheet_title"], size=15.0, lead=19.0, style="bold", color=ACCENT, max_lines=1)]
    facts = [" / ".join(patient.names) or t["not_given"]]
    if patient.birth_date:
        facts.append(f"{t['born']}: {short_date(patient.birth_date, lang)}")
    if patient.ids:
        facts.append(f"{t['ids']}: {', '.join(patient.ids)}")
    head.append(layout.para("   ·   ".join(facts), size=10.0, lead=13.0, style="bold", max_lines=2))
    count = t["sheet_count"].format(records=sum(len(g.lines) for g in groups), facilities=len(groups))
    when = t["sheet_date"].format(date=short_date((today or _dt.date.today()).isoformat(), lang))
    head.append(layout.para(f"{report.profile_title} · {count} · {when}", color=MUTED, max_lines=2))
    head.append(layout.para(t["sheet_intro"], color=MUTED, max_lines=2))

    sections: list[Section] = []
    for i, g in enumerate(groups):
        heading = g.facility or t["sheet_unknown"]
        items = [layout.para(request_text(line, lang, short=True), checkbox=True, hang=14.0, size=9.0, lead=12.0,
                             max_lines=2) for line in g.lines]
        sections.append(Section(
            10 + i, heading, items, more=_sheet_more(layout, t),
            collapsed=layout.heading(t["collapsed"].format(heading=heading, n=len(items))), min_items=2))
    own = [item for item in report.items
           if item.status in (ItemStatus.MISSING, ItemStatus.ATTENTION) and not item.requests
           and item.id != "identity"]
    if own:
        items = [layout.para(t["sheet_patient_line"].format(title=i.title, step=i.next_step) if i.next_step
                             else i.title, checkbox=True, hang=14.0, size=9.0, lead=12.0, max_lines=2) for i in own]
        sections.append(Section(
            10 + len(groups), t["sheet_patient"], items, more=_sheet_more(layout, t),
            collapsed=layout.heading(t["collapsed"].format(heading=t["sheet_patient"], n=len(items))), min_items=1))
    if not sections:
        sections.append(Section(10, "", [layout.para(t["sheet_nothing"], size=10.0, lead=13.0)]))
    footer = fonts.fit_line(t["made"].format(version=__version__), layout.width, 7.0)

    top = page_h - margin
    head_h = sum(b.height for b in head) + 4.0
    available = top - head_h - (margin + 12.0)
    fit_sections(sections, layout, available)
    y = top
    for b in head:
        b.draw(c, y)
        y -= b.height
    y -= 4.0
    for s in sections:
        for b in s.blocks(layout):
            b.draw(c, y)
            y -= b.height
    if footer:
        c.setFillColor(MUTED)
        fonts.draw_line(c, footer, layout.left, margin - 8.0)
    c.showPage()
    c.save()
    return buf.getvalue()


def _sheet_more(layout: Layout, t: Mapping[str, str]) -> Callable[[int], Block]:
    def block(n: int) -> Block:
        return layout.para(t["more"].format(n=n), color=MUTED, indent=14.0, max_lines=1)

    return block
