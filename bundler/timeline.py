"""One chronology of the case: studies, documents, procedures, stays, medicines, labs, symptoms.

Every event links back to the records it comes from (``refs``). A date is kept exactly as
precise as the record gives it; an event without a date is still listed (last) and says so, and
a date in the future says that too: the user should see what cannot be placed, not lose it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bundler.describe import exam_name, iso_date, kind_label, long_date
from bundler.intake import load_intake
from bundler.medications import merge_medications
from bundler.model import (
    DatePrecision,
    Document,
    DocumentKind,
    EventKind,
    Intake,
    ParsedDocument,
    Study,
    TimelineEvent,
)
from bundler.overview import report_links
from bundler.store import CaseStore

__all__ = ["build_timeline", "events_from", "timeline_json"]

_INPATIENT = ("inpatient", "imp", "acute", "hospital", "admission", "admitted", "ingreso", "hospitaliz")
_KIND_ORDER = {k: i for i, k in enumerate(EventKind)}
_MAX_LAB_NAMES = 4


def _event(kind: EventKind, date: str, title: str, refs: Iterable[str], *, today: _dt.date,
           detail: str = "", end: str = "", missing_note: str = "no date in the record") -> TimelineEvent:
    iso, precision = iso_date(date)
    note = ""
    if precision is DatePrecision.UNKNOWN:
        note = missing_note if not date.strip() else "the date in the record cannot be read"
    elif iso > today.isoformat():
        note = "the date is in the future"
    end_iso = iso_date(end)[0] if end else ""
    return TimelineEvent(date=iso, date_precision=precision, kind=kind, title=title,
                         refs=tuple(dict.fromkeys(refs)), detail=detail, end=end_iso, date_note=note)


def _study_events(studies: Sequence[Study], reports: Mapping[str, list[str]], today: _dt.date) -> list[TimelineEvent]:
    out = []
    for s in studies:
        images = s.instance_count
        series = len(s.series)
        where = f" at {s.institution}" if s.institution else ""
        detail = f"{series} series, {images} files{where}"
        refs = [f"study:{s.study_uid}", *(f"document:{d}" for d in reports.get(s.study_uid, []))]
        out.append(_event(EventKind.STUDY, s.date, exam_name(s), refs, today=today, detail=detail,
                          missing_note="the study has no date"))
    return out


def _document_events(documents: Sequence[Document], today: _dt.date) -> list[TimelineEvent]:
    out = []
    for d in documents:
        if d.parent_id is not None and d.kind == DocumentKind.OTHER:
            continue  # an unclassified attachment of another document: listed with its parent
        title = kind_label(d.kind) if d.kind != DocumentKind.OTHER else "Document"
        detail = " · ".join(x for x in (d.title, d.facility) if x)
        out.append(_event(EventKind.DOCUMENT, d.date, title, [f"document:{d.id}"], today=today, detail=detail))
    return out


def _clinical_events(contents: Mapping[str, ParsedDocument], today: _dt.date) -> list[TimelineEvent]:
    out: list[TimelineEvent] = []
    seen: set[tuple[Any, ...]] = set()
    labs: dict[str, dict[tuple[str, str, str], set[str]]] = {}
    for doc_id, p in sorted(contents.items()):
        ref = f"document:{doc_id}"
        for pr in p.procedures:
            key = ("procedure", pr.name.casefold(), iso_date(pr.date)[0])
            if key not in seen:
                seen.add(key)
                out.append(_event(EventKind.PROCEDURE, pr.date, pr.name, [ref], today=today, detail=pr.status))
            else:
                out = [_add_ref(e, ref) if (e.kind, e.title.casefold(), e.date) == key else e for e in out]
        for enc in p.encounters:
            kind = enc.type.casefold()
            if not any(w in kind for w in _INPATIENT):
                continue
            key = ("stay", iso_date(enc.start)[0], iso_date(enc.end)[0])
            if key in seen:
                continue
            seen.add(key)
            where = f" at {enc.facility}" if enc.facility else ""
            out.append(_event(EventKind.HOSPITAL_STAY, enc.start, f"Hospital stay{where}", [ref], today=today,
                              detail=enc.reason, end=enc.end))
        for r in p.results:
            date = iso_date(r.date or p.date)[0]
            labs.setdefault(date, {}).setdefault((r.name, r.value, r.unit), set()).add(ref)
    for date, results in labs.items():
        names = [f"{n} {v}{' ' + u if u else ''}".strip() for (n, v, u) in results]
        more = len(names) - _MAX_LAB_NAMES
        title = "Lab results: " + ", ".join(names[:_MAX_LAB_NAMES]) + (f", and {more} more" if more > 0 else "")
        refs = sorted({ref for refs in results.values() for ref in refs})
        out.append(_event(EventKind.LAB_RESULT, date, title, refs, today=today, detail=f"{len(names)} results"))
    return out


def _add_ref(e: TimelineEvent, ref: str) -> TimelineEvent:
    return dataclasses.replace(e, refs=tuple(dict.fromkeys((*e.refs, ref))))


def _medication_events(contents: Mapping[str, ParsedDocument], documents: Sequence[Document],
                       intake: Intake | None, today: _dt.date) -> list[TimelineEvent]:
    out = []
    for m in merge_medications(contents, documents):
        refs = [f"document:{d}" for d in m.sources]
        dose = f" {m.dose}" if m.dose else ""
        if m.start:
            out.append(_event(EventKind.MEDICATION_START, m.start, f"Started {m.name}{dose}", refs, today=today))
        if m.stop:
            out.append(_event(EventKind.MEDICATION_STOP, m.stop, f"Stopped {m.name}", refs, today=today))
    for i, med in enumerate(intake.medications if intake else ()):
        ref = f"intake:medications/{i}"
        dose = f" {med.dose}" if med.dose else ""
        if med.start:
            out.append(_event(EventKind.MEDICATION_START, med.start, f"Started {med.name}{dose}", [ref], today=today))
        if med.stop:
            out.append(_event(EventKind.MEDICATION_STOP, med.stop, f"Stopped {med.name}", [ref], today=today))
    return out


def _symptom_events(intake: Intake | None, today: _dt.date) -> list[TimelineEvent]:
    out = []
    for i, s in enumerate(intake.symptoms if intake else ()):
        detail = "; ".join(x for x in (f"helped: {s.helped}" if s.helped else "",
                                       f"did not help: {s.did_not_help}" if s.did_not_help else "") if x)
        out.append(_event(EventKind.SYMPTOM, s.date, s.what, [f"intake:symptoms/{i}"], today=today, detail=detail,
                          missing_note="no date given"))
    return out


def _sort_key(e: TimelineEvent) -> tuple[int, str, int, str]:
    return (e.date_precision is DatePrecision.UNKNOWN, e.date, _KIND_ORDER[e.kind], e.title.casefold())


def events_from(
    studies: Sequence[Study],
    documents: Sequence[Document],
    contents: Mapping[str, ParsedDocument],
    *,
    intake: Intake | None = None,
    report_links: Mapping[str, str] | None = None,
    today: _dt.date | None = None,
) -> list[TimelineEvent]:
    """The timeline of plain records, oldest first, undated events last.

    ``report_links`` maps a report's document id to its study's UID, so a study's event links
    its report too. ``today`` decides what counts as "in the future" (default: today).
    """
    today = today or _dt.date.today()
    reports: dict[str, list[str]] = {}
    for doc_id, study_uid in (report_links or {}).items():
        reports.setdefault(study_uid, []).append(doc_id)
    events = [
        *_study_events(studies, reports, today),
        *_document_events(documents, today),
        *_clinical_events(contents, today),
        *_medication_events(contents, documents, intake, today),
        *_symptom_events(intake, today),
    ]
    return sorted(events, key=_sort_key)


def build_timeline(store: CaseStore, *, intake: Intake | None = None,
                   today: _dt.date | None = None) -> list[TimelineEvent]:
    """The timeline of a case (the stored intake unless ``intake`` is given)."""
    studies = store.studies()
    documents = store.documents()
    contents = store.document_contents()
    links = {doc: link.study_uid for doc, link in report_links(studies, documents, contents).items()
             if link.study_uid}
    return events_from(studies, documents, contents, intake=intake if intake is not None else load_intake(store),
                       report_links=links, today=today)


def timeline_json(events: Sequence[TimelineEvent], lang: str = "en") -> list[dict[str, Any]]:
    """The ``timeline --json`` rows: a contract (add fields, never rename)."""
    return [
        {"date": e.date, "date_precision": str(e.date_precision), "kind": str(e.kind), "title": e.title,
         "refs": list(e.refs), "detail": e.detail, "end": e.end, "date_note": e.date_note,
         "date_text": long_date(e.date, lang)}
        for e in events
    ]
