"""SUMMARY.PDF: the one page a second reviewer reads first, and a patient can print.

Two steps, so that rendering never needs the case store:

* :func:`summary_data` gathers everything the page shows from a case (and the checklist,
  timeline and intake already computed) into a :class:`SummaryData`, in display order;
* :func:`render_summary` draws it on exactly one A4 or US Letter page.

Content goes by priority (issue 6): identity; the question for the reviewer; the patient's
questions; a condensed timeline; imaging; documents by kind; medications and allergies; what
is missing or needs attention; flagged report language. The safety line (CHECKLIST.md
"Safety") and the footer (how the page was made) are always there. When the content is taller
than the page it is shortened by rule, never overflowed onto a second page and never clipped:

1. lists are shortened one entry at a time, lowest priority first, down to a few entries each
   (the timeline keeps its most recent entries), the rest summarised as "and 14 more, see
   INDEX.HTM" (outside a package: "in the full records");
2. then whole sections become one line ("Medications: 40 entries, see INDEX.HTM"), lowest
   priority first, and the room freed goes back to the lists, highest priority first;
3. free text is limited throughout: a name to two lines, each answer to three, a list entry
   to one or two, ending in "…" at a word boundary.

The identity, the question for the reviewer and the safety line never collapse.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from bundler import __version__
from bundler.describe import exam_name, iso_date
from bundler.export import fonts
from bundler.export.fonts import (
    ACCENT,
    AMBER,
    BODY,
    INK,
    LEAD,
    MUTED,
    RED,
    RULE,
    SAFETY_BG,
    SMALL,
    Block,
    Layout,
    Section,
    fit_sections,
)
from bundler.model import (
    CompletenessReport,
    DatePrecision,
    DocumentKind,
    EventKind,
    IdentityStatus,
    Intake,
    ItemStatus,
    Requirement,
    TimelineEvent,
)

if TYPE_CHECKING:
    from bundler.store import CaseStore

__all__ = [
    "Lang",
    "Paper",
    "SummaryAllergy",
    "SummaryData",
    "SummaryFlag",
    "SummaryGap",
    "SummaryMedication",
    "SummaryPatient",
    "SummaryStudy",
    "case_summary_pdf",
    "page_size",
    "render_summary",
    "summary_data",
    "summary_pdf",
]

log = logging.getLogger(__name__)

Paper = Literal["a4", "letter"]
Lang = Literal["en", "es"]


def page_size(paper: str) -> tuple[float, float]:
    """Width and height in points of ``"a4"`` or ``"letter"``."""
    sizes = {"a4": A4, "letter": LETTER}
    if paper not in sizes:
        raise ValueError(f"unknown paper size {paper!r}")
    w, h = sizes[paper]
    return float(w), float(h)


# ------------------------------------------------------------------------------------ data


@dataclass(frozen=True, slots=True)
class SummaryPatient:
    """Who the records are about, as the page shows it."""

    names: tuple[str, ...] = ()  # original script first, then the Latin form (fonts.display_names)
    birth_date: str = ""  # ISO, as precise as known
    ids: tuple[str, ...] = ()
    identity: IdentityStatus = IdentityStatus.UNKNOWN
    identity_message: str = ""  # the identity check's plain sentence, shown unless consistent


@dataclass(frozen=True, slots=True)
class SummaryStudy:
    """One row of the imaging inventory."""

    date: str  # ISO ("" when unknown)
    exam: str  # "CT chest with contrast"
    modalities: tuple[str, ...] = ()
    series: int = 0
    images: int = 0
    report: bool = False  # a radiology report for this study is in the records
    priors: int = 0  # earlier studies of the same kind and region in the records
    accession: str = ""


@dataclass(frozen=True, slots=True)
class SummaryMedication:
    name: str
    dose: str = ""
    frequency: str = ""
    start: str = ""
    stop: str = ""


@dataclass(frozen=True, slots=True)
class SummaryAllergy:
    substance: str
    reaction: str = ""


@dataclass(frozen=True, slots=True)
class SummaryGap:
    """A checklist item that is missing or needs attention."""

    status: ItemStatus  # MISSING or ATTENTION
    required: bool
    title: str
    step: str = ""  # the next step, or what is wrong


@dataclass(frozen=True, slots=True)
class SummaryFlag:
    """Report language worth asking about: the phrases of one sentence, and where it is."""

    phrases: tuple[str, ...]  # "cannot exclude", "Lung-RADS 4B"
    sentence: str
    source: str  # "Radiology report, 3 March 2026"


@dataclass(frozen=True, slots=True)
class SummaryData:
    """Everything the summary page shows, in display order; no store needed to draw it."""

    patient: SummaryPatient = field(default_factory=SummaryPatient)
    main_concern: str = ""
    diagnosis: str = ""
    plan: str = ""
    decision: str = ""
    questions: tuple[str, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    studies: tuple[SummaryStudy, ...] = ()  # newest first
    documents: tuple[tuple[str, int], ...] = ()  # (DocumentKind value, count)
    medications: tuple[SummaryMedication, ...] = ()
    medications_none: bool = False  # the patient said they take no medicines
    allergies: tuple[SummaryAllergy, ...] = ()
    allergies_none_known: bool = False
    gaps: tuple[SummaryGap, ...] = ()
    checklist: str = ""  # the profile's title; "" when no checklist was run
    flags: tuple[SummaryFlag, ...] = ()
    made: str = ""  # ISO date (or date-time) the page was made; "" for today
    app_version: str = __version__
    fingerprint: str | None = None  # the package manifest's fingerprint; None outside a package


def _acquisition(modalities: Sequence[str]) -> frozenset[str]:
    family = {"DX": "CR", "PX": "CR"}
    return frozenset(family.get(m, m) for m in modalities
                     if m not in {"SR", "KO", "PR", "DOC", "OT", "REG", "SEG", "RTSTRUCT", ""})


def summary_data(
    store: CaseStore,
    *,
    report: CompletenessReport | None,
    timeline: Sequence[TimelineEvent],
    intake: Intake,
    lang: str = "en",
    fingerprint: str | None = None,
    made: str = "",
) -> SummaryData:
    """Gather what the summary page shows from a case.

    ``report`` is the checklist's result (None: no checklist section), ``timeline`` the case's
    timeline and ``intake`` the patient's own answers. ``fingerprint`` is the package manifest's
    fingerprint when the page goes into a package.
    """
    from bundler.intake import questions
    from bundler.medications import merge_allergies, merge_medications
    from bundler.overview import report_links
    from bundler.reportlang import canonical_regions

    studies = store.studies()
    documents = store.documents()
    contents = store.document_contents()

    # Identity: the patient's own name first, then how the records write it.
    persons = report.identity.persons if report is not None else ()
    person = persons[0] if persons else None
    written = [intake.patient.name, *(person.names if person else ())]
    birth = intake.patient.birth_date or (person.birth_dates[0] if person and person.birth_dates else "")
    identity = report.identity if report is not None else None
    patient = SummaryPatient(
        names=fonts.display_names(written),
        birth_date=iso_date(birth)[0] if birth else "",
        ids=tuple(dict.fromkeys(i for p in persons[:1] for i in p.ids if i)),
        identity=identity.status if identity else IdentityStatus.UNKNOWN,
        identity_message=identity.message if identity else "",
    )

    # Imaging: newest first; a report is linked by accession, else date and modality.
    linked = {link.study_uid for link in report_links(studies, documents, contents).values() if link.study_uid}
    linked |= {d.linked_study_uid for d in documents if d.linked_study_uid}
    rows = []
    for s in studies:
        kinds = _acquisition(s.modalities)
        regions = canonical_regions(" ".join([s.description, *(se.body_part for se in s.series)]))
        priors = sum(
            1 for o in studies
            if o is not s and o.date and s.date and o.date < s.date and kinds & _acquisition(o.modalities)
            and (not regions or not (r := canonical_regions(" ".join([o.description, *(se.body_part for se in o.series)])))
                 or regions & r)
        )
        rows.append(SummaryStudy(
            date=iso_date(s.date)[0], exam=exam_name(s), modalities=s.modalities, series=len(s.series),
            images=s.instance_count, report=s.study_uid in linked, priors=priors, accession=s.accession))
    rows.sort(key=lambda r: (r.date != "", r.date), reverse=True)

    per_kind = Counter(d.kind for d in documents)
    order = [k.value for k in DocumentKind]
    doc_counts = tuple(sorted(per_kind.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))

    # Medications: the patient's own list first, then the records' (merged, without the same
    # drug twice).
    meds = [SummaryMedication(m.name, m.dose, m.frequency, m.start, m.stop) for m in intake.medications if m.name]
    own = {m.name.casefold() for m in meds}
    meds += [SummaryMedication(m.name, m.dose, m.frequency, m.start, m.stop)
             for m in merge_medications(contents, documents) if m.name.casefold() not in own]
    merged_allergies = merge_allergies(contents)
    allergies = [SummaryAllergy(a.substance, a.reaction) for a in intake.allergies if a.substance and not a.none_known]
    seen = {a.substance.casefold() for a in allergies}
    allergies += [SummaryAllergy(a.substance, a.reaction) for a in merged_allergies
                  if not a.none_known and a.substance.casefold() not in seen]
    none_known = intake.allergies_none_known or any(a.none_known for a in intake.allergies) or (
        not allergies and any(a.none_known for a in merged_allergies))

    gaps: list[SummaryGap] = []
    if report is not None:
        for item in report.items:
            if item.status not in (ItemStatus.MISSING, ItemStatus.ATTENTION):
                continue
            if item.requirement is Requirement.NOT_REQUIRED:
                continue
            step = item.next_step or (item.details[0] if item.details else "")
            gaps.append(SummaryGap(item.status, item.required, item.title, step))
        gaps.sort(key=lambda g: (not g.required, g.status is not ItemStatus.MISSING))

    # Flagged language: one entry per sentence; assessment categories first, newest report first.
    flags: list[tuple[bool, SummaryFlag]] = []
    for doc in sorted(documents, key=lambda d: d.date, reverse=True):
        parsed = contents.get(doc.id)
        if parsed is None or not parsed.flags:
            continue
        sentences: dict[str, list[str]] = {}
        category: dict[str, bool] = {}
        for f in parsed.flags:
            phrases = sentences.setdefault(f.sentence, [])
            if f.phrase.casefold() not in (p.casefold() for p in phrases):
                phrases.append(f.phrase)
            category[f.sentence] = category.get(f.sentence, False) or f.kind == "category"
        label = _source_label(doc.kind, doc.date, doc.title, lang)
        flags += [(category[sent], SummaryFlag(tuple(phrases), sent, label)) for sent, phrases in sentences.items()]
    flags.sort(key=lambda cf: not cf[0])  # stable: within each group, newest report first

    log.info("summary data: %d studies, %d documents, %d events, %d gaps, %d flags",
             len(rows), len(documents), len(timeline), len(gaps), len(flags))
    return SummaryData(
        patient=patient,
        main_concern=intake.main_concern,
        diagnosis=intake.diagnosis,
        plan=intake.plan,
        decision=intake.decision,
        questions=tuple(questions(intake, lang)),
        timeline=_condensed(timeline),
        studies=tuple(rows),
        documents=doc_counts,
        medications=tuple(meds),
        medications_none=intake.medications_none and not meds,
        allergies=tuple(allergies),
        allergies_none_known=none_known and not allergies,
        gaps=tuple(gaps),
        checklist=report.profile_title if report is not None else "",
        flags=tuple(f for _, f in flags),
        made=made or _dt.datetime.now().astimezone().isoformat(timespec="minutes"),
        fingerprint=fingerprint,
    )


def _condensed(timeline: Sequence[TimelineEvent]) -> tuple[TimelineEvent, ...]:
    """The timeline without what the page shows elsewhere: medication starts and stops (the
    medication list has their dates), undated documents (counted under Documents), and a
    study's own report (the study's line stands for it)."""
    study_refs = {(e.date, r) for e in timeline if e.kind is EventKind.STUDY for r in e.refs}
    out = []
    for e in timeline:
        if e.kind in (EventKind.MEDICATION_START, EventKind.MEDICATION_STOP):
            continue
        if e.kind is EventKind.DOCUMENT and (
                e.date_precision is DatePrecision.UNKNOWN
                or (e.refs and all((e.date, r) in study_refs for r in e.refs))):
            continue
        out.append(e)
    return tuple(out)


# ------------------------------------------------------------------------------------ words

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "doc_title": "Summary for a second opinion",
        "doc_subject": "Medical records summary for a second reviewer",
        "title": "Summary for a second opinion",
        "subtitle": "Made by the patient with Records Bundler from their records and answers. It gives no diagnosis.",
        "safety": "Emergencies first: signs of a stroke, crushing chest pain, severe trouble breathing, heavy "
                  "bleeding, a severe allergic reaction or thoughts of self-harm need emergency care now. "
                  "Do not wait for a second opinion.",
        "patient": "Patient",
        "name": "Name",
        "born": "Born",
        "ids": "Patient IDs",
        "not_given": "not given",
        "identity_stop": "Stop: {message}",
        "identity_check": "Check identity: {message}",
        "question": "The question for the reviewer",
        "concern": "Main concern",
        "diagnosis": "Current diagnosis (as told)",
        "plan": "Proposed plan",
        "decision": "Decision to make",
        "no_answers": "The patient has not written this yet.",
        "questions": "The patient's questions",
        "no_questions": "No questions written yet.",
        "timeline": "Timeline",
        "no_events": "No dated events in the records yet.",
        "imaging": "Imaging",
        "col_date": "Date",
        "col_exam": "Exam",
        "col_images": "Series / images",
        "col_report": "Report",
        "col_priors": "Priors here",
        "yes": "yes",
        "no_report": "missing",
        "no_studies": "No images in the records.",
        "documents": "Documents",
        "no_documents": "No documents in the records.",
        "doc_count": "{kind}: {count}",
        "meds": "Medications",
        "no_meds_taken": "Takes no medicines or supplements (as the patient says).",
        "not_recorded": "Not recorded.",
        "allergies": "Allergies",
        "nka": "No known allergies.",
        "gaps": "Missing or needs attention",
        "gaps_profile": "Missing or needs attention (checklist: {profile})",
        "no_gaps": "Nothing the checklist requires is missing.",
        "no_checklist": "The checklist has not been run.",
        "missing": "Missing",
        "attention": "Check",
        "flags": "Report language worth asking about",
        "no_flags": "No uncertain wording or assessment categories found in the reports.",
        "flag": "{phrases} ({source}): {sentence}",
        "flag_phrase": "“{phrase}”",
        "source": "{document}, {date}",
        "more_package": "and {n} more, see INDEX.HTM",
        "more_case": "and {n} more in the full records",
        "earlier_package": "{n} earlier entries, see INDEX.HTM",
        "earlier_case": "{n} earlier entries in the full records",
        "collapsed_package": "{heading}: {n} entries, see INDEX.HTM",
        "collapsed_case": "{heading}: {n} entries in the full records",
        "made": "Made on {date} with Records Bundler {version}.",
        "fingerprint": "Records fingerprint (SHA-256, also shown by records-bundler verify): {fingerprint}",
        "no_package": "Records fingerprint: printed only on the page inside a package or on a disc.",
        "date_unknown": "no date",
        "series_images": "{series} / {images}",
        "priors_none": "none",
        "med_since": "since {date}",
        "med_until": "until {date}",
    },
    "es": {
        "doc_title": "Resumen para una segunda opinión",
        "doc_subject": "Resumen de la historia clínica para un segundo especialista",
        "title": "Resumen para una segunda opinión",
        "subtitle": "Preparado por el paciente con Records Bundler a partir de sus documentos y respuestas. "
                    "No contiene ningún diagnóstico.",
        "safety": "Primero las urgencias: los signos de un ictus, un dolor opresivo en el pecho, una dificultad "
                  "grave para respirar, un sangrado abundante, una reacción alérgica grave o los pensamientos de "
                  "hacerse daño requieren atención urgente ahora. No espere a una segunda opinión.",
        "patient": "Paciente",
        "name": "Nombre",
        "born": "Fecha de nacimiento",
        "ids": "Identificadores",
        "not_given": "no consta",
        "identity_stop": "Alto: {message}",
        "identity_check": "Compruebe la identidad: {message}",
        "question": "La pregunta para el especialista",
        "concern": "Motivo principal",
        "diagnosis": "Diagnóstico actual (según le dijeron)",
        "plan": "Tratamiento propuesto",
        "decision": "Decisión que debe tomar",
        "no_answers": "El paciente aún no lo ha escrito.",
        "questions": "Las preguntas del paciente",
        "no_questions": "Aún no hay preguntas escritas.",
        "timeline": "Cronología",
        "no_events": "Aún no hay hechos con fecha en los documentos.",
        "imaging": "Imágenes",
        "col_date": "Fecha",
        "col_exam": "Estudio",
        "col_images": "Series / imágenes",
        "col_report": "Informe",
        "col_priors": "Previos aquí",
        "yes": "sí",
        "no_report": "falta",
        "no_studies": "No hay imágenes en los documentos.",
        "documents": "Documentos",
        "no_documents": "No hay documentos.",
        "doc_count": "{kind}: {count}",
        "meds": "Medicamentos",
        "no_meds_taken": "No toma medicamentos ni suplementos (según el paciente).",
        "not_recorded": "No consta.",
        "allergies": "Alergias",
        "nka": "Sin alergias conocidas.",
        "gaps": "Falta o requiere atención",
        "gaps_profile": "Falta o requiere atención (lista: {profile})",
        "no_gaps": "No falta nada de lo que la lista exige.",
        "no_checklist": "La lista de comprobación no se ha ejecutado.",
        "missing": "Falta",
        "attention": "Revisar",
        "flags": "Expresiones de los informes sobre las que preguntar",
        "no_flags": "No se han encontrado expresiones de incertidumbre ni categorías en los informes.",
        "flag": "{phrases} ({source}): {sentence}",
        "flag_phrase": "«{phrase}»",
        "source": "{document}, {date}",
        "more_package": "y {n} más, véase INDEX.HTM",
        "more_case": "y {n} más en la documentación completa",
        "earlier_package": "{n} entradas anteriores, véase INDEX.HTM",
        "earlier_case": "{n} entradas anteriores en la documentación completa",
        "collapsed_package": "{heading}: {n} entradas, véase INDEX.HTM",
        "collapsed_case": "{heading}: {n} entradas en la documentación completa",
        "made": "Preparado el {date} con Records Bundler {version}.",
        "fingerprint": "Huella de los documentos (SHA-256, también la muestra records-bundler verify): {fingerprint}",
        "no_package": "Huella de los documentos: solo figura en la página de un paquete o de un disco.",
        "date_unknown": "sin fecha",
        "series_images": "{series} / {images}",
        "priors_none": "ninguno",
        "med_since": "desde {date}",
        "med_until": "hasta {date}",
    },
}

_KINDS: dict[str, dict[str, str]] = {
    "en": {
        "radiology_report": "Radiology reports", "pathology_report": "Pathology reports",
        "operative_report": "Operative or procedure reports", "discharge_summary": "Discharge summaries",
        "visit_note": "Visit notes", "lab_result": "Lab results", "medication_list": "Medication lists",
        "referral_or_insurance": "Referral or insurance", "consent_or_legal": "Consent or legal forms",
        "other": "Other documents",
    },
    "es": {
        "radiology_report": "Informes de radiología", "pathology_report": "Informes de anatomía patológica",
        "operative_report": "Informes quirúrgicos o de procedimientos", "discharge_summary": "Informes de alta",
        "visit_note": "Notas de consulta", "lab_result": "Análisis de laboratorio",
        "medication_list": "Listas de medicamentos", "referral_or_insurance": "Derivación o seguro",
        "consent_or_legal": "Consentimientos o documentos legales", "other": "Otros documentos",
    },
}

_MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}


_KIND_ONE: dict[str, dict[str, str]] = {
    "en": {
        "radiology_report": "Radiology report", "pathology_report": "Pathology report",
        "operative_report": "Operative or procedure report", "discharge_summary": "Discharge summary",
        "visit_note": "Visit note", "lab_result": "Lab results", "medication_list": "Medication list",
        "referral_or_insurance": "Referral or insurance", "consent_or_legal": "Consent or legal form",
    },
    "es": {
        "radiology_report": "Informe de radiología", "pathology_report": "Informe de anatomía patológica",
        "operative_report": "Informe quirúrgico o de procedimiento", "discharge_summary": "Informe de alta",
        "visit_note": "Nota de consulta", "lab_result": "Análisis de laboratorio",
        "medication_list": "Lista de medicamentos", "referral_or_insurance": "Derivación o seguro",
        "consent_or_legal": "Consentimiento o documento legal",
    },
}


def _source_label(kind: str, date: str, title: str, lang: str) -> str:
    """``"Radiology report, 3 March 2026"`` in ``lang``; the document's own title when its kind
    is unknown."""
    from bundler.describe import long_date

    base = _KIND_ONE.get(lang, _KIND_ONE["en"]).get(kind) or title or _KINDS.get(lang, _KINDS["en"])["other"]
    when = long_date(date, lang)
    return _words(lang)["source"].format(document=base, date=when) if when else base


def _words(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def short_date(value: str, lang: str = "en") -> str:
    """``"3 Mar 2026"``, ``"Mar 2026"`` or ``"2026"`` (Spanish ``"3 mar 2026"``); "" when none."""
    iso, precision = iso_date(value)
    if precision is DatePrecision.UNKNOWN:
        return ""
    parts = iso.split("-")
    if precision is DatePrecision.YEAR:
        return parts[0]
    month = _MONTHS_SHORT.get(lang, _MONTHS_SHORT["en"])[int(parts[1]) - 1]
    if precision is DatePrecision.MONTH:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


# ------------------------------------------------------------------------------------ render

MARGIN_X = 36.0
MARGIN_TOP = 32.0
MARGIN_BOTTOM = 28.0
QR_SIZE = 54.0


def case_summary_pdf(store: CaseStore, *, paper: str = "a4", lang: str = "en", profile: str = "general",
                     fingerprint: str | None = None) -> bytes:
    """The summary page of a case: its checklist, timeline and intake gathered and drawn."""
    from bundler.checklist import check_case
    from bundler.intake import load_intake
    from bundler.timeline import build_timeline

    intake = load_intake(store)
    data = summary_data(store, report=check_case(store, profile=profile, lang=lang),
                        timeline=build_timeline(store, intake=intake, lang=lang), intake=intake, lang=lang,
                        fingerprint=fingerprint)
    return summary_pdf(data, paper=paper, lang=lang)


def render_summary(data: SummaryData, out: Path, *, paper: str = "a4", lang: str = "en") -> None:
    """Draw ``data`` on exactly one page and write it to ``out`` atomically."""
    fonts.write_atomic(Path(out), summary_pdf(data, paper=paper, lang=lang))


def summary_pdf(data: SummaryData, *, paper: str = "a4", lang: str = "en") -> bytes:
    """The one-page summary as PDF bytes (see :func:`render_summary`)."""
    fonts.register_fonts()
    t = _words(lang)
    page_w, page_h = page_size(paper)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(page_w, page_h), initialFontName=fonts.BASE_FONT, initialFontSize=BODY,
               lang="es" if lang == "es" else "en", invariant=False, pageCompression=1)
    c.setTitle(t["doc_title"])
    c.setAuthor("Records Bundler")
    c.setSubject(t["doc_subject"])
    c.setCreator(f"Records Bundler {data.app_version}")
    c.setKeywords("second opinion, medical records, summary")
    c.setViewerPreference("DisplayDocTitle", "true")

    layout = Layout(MARGIN_X, page_w - 2 * MARGIN_X)
    top = page_h - MARGIN_TOP
    header = _header(layout, t)
    footer = _footer(layout, data, t, lang)
    sections = _sections(layout, data, t, lang)
    available = top - header.height - (MARGIN_BOTTOM + footer.height + 4.0)
    fit_sections(sections, layout, available)

    y = top
    header.draw(c, y)
    y -= header.height
    for s in sections:
        for b in s.blocks(layout):
            b.draw(c, y)
            y -= b.height
    footer.draw(c, MARGIN_BOTTOM + footer.height)
    c.showPage()
    c.save()
    shown = {s.heading: (s.shown, len(s.items), s.is_collapsed) for s in sections}
    log.info("summary page drawn (%s): %s", paper, ", ".join(
        f"{n}/{total}{' collapsed' if col else ''}" for n, total, col in shown.values()))
    return buf.getvalue()


def _header(layout: Layout, t: Mapping[str, str]) -> Block:
    title = fonts.fit_line(t["title"], layout.width, 14.0, style="bold")
    subtitle = fonts.wrap(t["subtitle"], layout.width, SMALL, max_lines=2)
    pad = 5.0
    safety = fonts.wrap(t["safety"], layout.width - 2 * pad, BODY, style="bold", max_lines=3)
    box_h = len(safety) * LEAD + 2 * pad - 2.0
    height = 16.0 + len(subtitle) * 9.0 + 4.0 + box_h + 2.0

    def draw(c: Canvas, y: float) -> None:
        if title:
            c.setFillColor(ACCENT)
            fonts.draw_line(c, title, layout.left, y - 13.0)
        y -= 16.0
        c.setFillColor(MUTED)
        for line in subtitle:
            fonts.draw_line(c, line, layout.left, y - SMALL)
            y -= 9.0
        y -= 4.0
        c.setFillColor(SAFETY_BG)
        c.setStrokeColor(RED)
        c.setLineWidth(0.8)
        c.rect(layout.left, y - box_h, layout.width, box_h, stroke=1, fill=1)
        c.setFillColor(RED)
        for i, line in enumerate(safety):
            fonts.draw_line(c, line, layout.left + pad, y - pad - BODY + 1.0 - i * LEAD)

    return Block(height, draw)


def _footer(layout: Layout, data: SummaryData, t: Mapping[str, str], lang: str) -> Block:
    made = data.made or _dt.datetime.now().astimezone().isoformat(timespec="minutes")
    when = short_date(made, lang) or made
    text_w = layout.width - (QR_SIZE + 8.0 if data.fingerprint else 0.0)
    lines = fonts.wrap(t["made"].format(date=when, version=data.app_version), text_w, SMALL, max_lines=1)
    if data.fingerprint:
        fp = " ".join(data.fingerprint[i:i + 8] for i in range(0, len(data.fingerprint), 8))
        lines += fonts.wrap(t["fingerprint"].format(fingerprint=fp), text_w, SMALL, max_lines=3)
    else:
        lines += fonts.wrap(t["no_package"], text_w, SMALL, max_lines=1)
    text_h = len(lines) * 9.0
    height = max(text_h, QR_SIZE if data.fingerprint else 0.0) + 4.0

    def draw(c: Canvas, y: float) -> None:
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(layout.left, y, layout.left + layout.width, y)
        c.setFillColor(MUTED)
        base = y - 4.0 - SMALL - (height - 4.0 - text_h) / 2
        for i, line in enumerate(lines):
            fonts.draw_line(c, line, layout.left, base - i * 9.0)
        if data.fingerprint:
            _draw_qr(c, data.fingerprint, layout.left + layout.width - QR_SIZE, y - 4.0 - QR_SIZE, QR_SIZE)

    return Block(height, draw)


def _draw_qr(c: Canvas, value: str, x: float, y: float, size: float) -> None:
    """A QR code (ISO/IEC 18004, level M) of ``value`` as filled squares, ``size`` points wide.

    Drawn module by module on the canvas (not through reportlab.graphics, whose renderer
    selects Helvetica, an unembedded font).
    """
    from reportlab.graphics.barcode import qrencoder

    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(value)
    qr.make()
    count = qr.getModuleCount()
    cell = size / count
    c.saveState()
    c.setFillColor(INK)
    for r, row in enumerate(qr.modules):
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                c.rect(x + start * cell, y + size - (r + 1) * cell, (col - start) * cell, cell * 1.02, stroke=0, fill=1)
            else:
                col += 1
    c.restoreState()


def _more(layout: Layout, t: Mapping[str, str], packaged: bool, *, earlier: bool = False,
          indent: float = 0.0) -> Callable[[int], Block]:
    key = ("earlier_" if earlier else "more_") + ("package" if packaged else "case")

    def block(n: int) -> Block:
        return layout.para(t[key].format(n=n), style="regular", color=MUTED, indent=indent, max_lines=1)

    return block


def _collapsed(layout: Layout, t: Mapping[str, str], packaged: bool, heading: str, n: int) -> Block:
    key = "collapsed_package" if packaged else "collapsed_case"
    return layout.heading(t[key].format(heading=heading, n=n))


def _sections(layout: Layout, data: SummaryData, t: Mapping[str, str], lang: str) -> list[Section]:
    packaged = data.fingerprint is not None
    sections: list[Section] = []

    def muted_para(text: str) -> Block:
        return layout.para(text, color=MUTED, max_lines=2)

    # 1. Identity: never shortened but for its own line limits.
    p = data.patient
    items = []
    if p.names:
        label = t["name"] + ":"
        label_w = fonts.text_width(label, 11.0, "bold") + 11.0 * 0.4
        for i, name in enumerate(p.names):
            items.append(layout.para(name, size=11.0, lead=13.0, style="bold", max_lines=2,
                                     label=label if i == 0 else "", indent=0.0 if i == 0 else label_w,
                                     hang=0.0 if i else label_w))
    else:
        items.append(layout.para(t["not_given"], label=t["name"] + ":", color=MUTED))
    facts = [t["born"] + ": " + (short_date(p.birth_date, lang) or t["not_given"])]
    if p.ids:
        facts.append(t["ids"] + ": " + ", ".join(p.ids))
    items.append(layout.para("   ·   ".join(facts), max_lines=2))
    if p.identity in (IdentityStatus.MISMATCH, IdentityStatus.ATTENTION) and p.identity_message:
        key = "identity_stop" if p.identity is IdentityStatus.MISMATCH else "identity_check"
        items.append(layout.para(t[key].format(message=p.identity_message), style="bold",
                                 color=RED if p.identity is IdentityStatus.MISMATCH else AMBER, max_lines=3))
    sections.append(Section(1, t["patient"], items))

    # 2. The question for the reviewer.
    answers = [(t["concern"], data.main_concern), (t["diagnosis"], data.diagnosis), (t["plan"], data.plan),
               (t["decision"], data.decision)]
    given = [(label, text) for label, text in answers if text.strip()]
    items = [layout.para(text, label=label + ":", max_lines=3, hang=10.0) for label, text in given]
    sections.append(Section(2, t["question"], items or [muted_para(t["no_answers"])]))

    # 3. The patient's questions.
    items = [layout.para(q, bullet=f"{i}.", hang=14.0, max_lines=2) for i, q in enumerate(data.questions, 1)]
    sections.append(Section(
        3, t["questions"], items or [muted_para(t["no_questions"])], more=_more(layout, t, packaged, indent=14.0),
        collapsed=_collapsed(layout, t, packaged, t["questions"], len(items)) if items else None, min_items=3))

    # 4. Timeline, oldest first; when shortened, the most recent entries stay.
    items = []
    for e in data.timeline:
        when = short_date(e.date, lang) or t["date_unknown"]
        title = e.title if not e.detail else f"{e.title} — {e.detail}"
        items.append(layout.row([(when, 62.0, "regular", MUTED), (title, layout.width - 62.0, "regular", INK)]))
    sections.append(Section(
        4, t["timeline"], items or [muted_para(t["no_events"])],
        more=_more(layout, t, packaged, earlier=True) if items else None,
        collapsed=_collapsed(layout, t, packaged, t["timeline"], len(items)) if items else None,
        min_items=4, earlier=True))

    # 5. Imaging inventory, newest first.
    widths = (62.0, 0.0, 70.0, 48.0, 52.0)
    exam_w = layout.width - sum(widths)
    head: list[Block] = []
    items = []
    if data.studies:
        head = [layout.row([(t["col_date"], widths[0], "bold", MUTED), (t["col_exam"], exam_w, "bold", MUTED),
                            (t["col_images"], widths[2], "bold", MUTED), (t["col_report"], widths[3], "bold", MUTED),
                            (t["col_priors"], widths[4], "bold", MUTED)], size=SMALL, lead=9.0)]
        for s in data.studies:
            exam = s.exam if not s.modalities or any(m in s.exam for m in s.modalities) else \
                f"{s.exam} ({', '.join(s.modalities)})"
            items.append(layout.row([
                (short_date(s.date, lang) or t["date_unknown"], widths[0], "regular", MUTED),
                (exam, exam_w, "regular", INK),
                (t["series_images"].format(series=s.series, images=s.images), widths[2], "regular", INK),
                (t["yes"] if s.report else t["no_report"], widths[3], "regular" if s.report else "bold",
                 INK if s.report else RED),
                (str(s.priors) if s.priors else t["priors_none"], widths[4], "regular", INK),
            ], max_lines=2))
    sections.append(Section(
        5, t["imaging"], items or [muted_para(t["no_studies"])], head=head,
        more=_more(layout, t, packaged) if items else None,
        collapsed=_collapsed(layout, t, packaged, t["imaging"], len(items)) if items else None, min_items=3))

    # 6. Documents by kind: one paragraph.
    kinds = _KINDS.get(lang, _KINDS["en"])
    counts = [t["doc_count"].format(kind=kinds.get(k, kinds["other"]), count=n) for k, n in data.documents]
    items = [layout.para("   ·   ".join(counts), max_lines=3)] if counts else [muted_para(t["no_documents"])]
    sections.append(Section(
        6, t["documents"], items,
        collapsed=_collapsed(layout, t, packaged, t["documents"], sum(n for _, n in data.documents)) if counts else None))

    # 7. Medications (two columns) and allergies.
    half = Layout(layout.left, (layout.width - 12.0) / 2)
    meds = [half.para(_medication(m, t, lang), bullet="•", hang=8.0, max_lines=1) for m in data.medications]
    if data.allergies:
        allergy_text = "; ".join(f"{a.substance} ({a.reaction})" if a.reaction else a.substance
                                 for a in data.allergies)
    else:
        allergy_text = t["nka"] if data.allergies_none_known else t["not_recorded"]
    allergy_block = layout.para(allergy_text, label=t["allergies"] + ":", max_lines=3,
                                color=INK if data.allergies or data.allergies_none_known else MUTED)
    if not meds:
        meds_text = t["no_meds_taken"] if data.medications_none else t["not_recorded"]
        meds = [layout.para(meds_text, color=MUTED, max_lines=1)]
    sections.append(_MedSection(
        7, t["meds"], meds, more=_more(layout, t, packaged) if data.medications else None,
        collapsed=_collapsed(layout, t, packaged, t["meds"], len(data.medications)) if data.medications else None,
        min_items=4, layout=layout, allergies=allergy_block))

    # 8. What is missing or needs attention.
    items = []
    for g in data.gaps:
        label = t["missing"] if g.status is ItemStatus.MISSING else t["attention"]
        text = f"{g.title}: {g.step}" if g.step else g.title
        items.append(layout.para(text, label=label, label_color=RED if g.required else AMBER, hang=10.0,
                                 max_lines=2))
    heading = t["gaps_profile"].format(profile=data.checklist) if data.checklist else t["gaps"]
    empty = t["no_gaps"] if data.checklist else t["no_checklist"]
    sections.append(Section(
        8, heading, items or [muted_para(empty)], more=_more(layout, t, packaged) if items else None,
        collapsed=_collapsed(layout, t, packaged, t["gaps"], len(items)) if items else None, min_items=3))

    # 9. Flagged report language.
    items = []
    for f in data.flags:
        phrases = ", ".join(t["flag_phrase"].format(phrase=p) for p in f.phrases)
        items.append(layout.para(t["flag"].format(phrases=phrases, source=f.source, sentence=f.sentence),
                                 hang=10.0, max_lines=2))
    sections.append(Section(
        9, t["flags"], items or [muted_para(t["no_flags"])], more=_more(layout, t, packaged) if items else None,
        collapsed=_collapsed(layout, t, packaged, t["flags"], len(items)) if items else None, min_items=2))
    return sections


def _medication(m: SummaryMedication, t: Mapping[str, str], lang: str) -> str:
    parts = [" ".join(p for p in (m.name, m.dose) if p)]
    if m.frequency:
        parts.append(m.frequency)
    if m.start:
        parts.append(t["med_since"].format(date=short_date(m.start, lang) or m.start))
    if m.stop:
        parts.append(t["med_until"].format(date=short_date(m.stop, lang) or m.stop))
    return ", ".join(parts)


@dataclass(slots=True)
class _MedSection(Section):
    """Medications in two columns, then the allergies line (which never goes)."""

    layout: Layout | None = None
    allergies: Block | None = None

    def blocks(self, layout: Layout) -> list[Block]:
        if self.is_collapsed and self.collapsed is not None:
            return [self.collapsed] + ([self.allergies] if self.allergies else [])
        out = [layout.heading(self.heading)]
        shown = self.items[: self.shown]
        hidden = len(self.items) - self.shown
        out.append(layout.columns(shown, 2) if len(shown) > 1 else shown[0])
        if hidden and self.more:
            out.append(self.more(hidden))
        if self.allergies:
            out.append(self.allergies)
        return out
