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

# What the timeline says, in English and Spanish (whole phrases; no fragments glued together).
_TEXT = {
    "en": {
        "started": "Started {name}", "stopped": "Stopped {name}", "stay": "Hospital stay",
        "stay_at": "Hospital stay at {facility}", "labs": "Lab results: {names}", "more": "{names}, and {n} more",
        "study": "{series} series, {files} files", "study_at": "{series} series, {files} files at {facility}",
        "results": "{n} results", "helped": "helped: {text}", "not_helped": "did not help: {text}",
        "no_date": "no date in the record", "no_study_date": "the study has no date",
        "no_symptom_date": "no date given", "unreadable": "the date in the record cannot be read",
        "future": "the date is in the future",
    },
    "es": {
        "started": "Inicio de {name}", "stopped": "Fin de {name}", "stay": "Ingreso hospitalario",
        "stay_at": "Ingreso hospitalario en {facility}", "labs": "Análisis: {names}", "more": "{names} y {n} más",
        "study": "{series} series, {files} archivos", "study_at": "{series} series, {files} archivos en {facility}",
        "results": "{n} resultados", "helped": "ayudó: {text}", "not_helped": "no ayudó: {text}",
        "no_date": "el documento no tiene fecha", "no_study_date": "el estudio no tiene fecha",
        "no_symptom_date": "sin fecha", "unreadable": "la fecha del documento no se puede leer",
        "future": "la fecha es futura",
    },
}

_INPATIENT = ("inpatient", "imp", "acute", "hospital", "admission", "admitted", "ingreso", "hospitaliz")
_KIND_ORDER = {k: i for i, k in enumerate(EventKind)}
_MAX_LAB_NAMES = 4


class _Builder:
    """Makes the events of one timeline: one ``today`` and one language for all of them."""

    def __init__(self, today: _dt.date, lang: str) -> None:
        self.today = today
        self.t = _TEXT.get(lang, _TEXT["en"])
        self.lang = lang

    def event(self, kind: EventKind, date: str, title: str, refs: Iterable[str], *, detail: str = "",
              end: str = "", missing: str = "no_date") -> TimelineEvent:
        iso, precision = iso_date(date)
        note = ""
        if precision is DatePrecision.UNKNOWN:
            note = self.t[missing] if not date.strip() else self.t["unreadable"]
        elif iso > self.today.isoformat():
            note = self.t["future"]
        end_iso = iso_date(end)[0] if end else ""
        return TimelineEvent(date=iso, date_precision=precision, kind=kind, title=title,
                             refs=tuple(dict.fromkeys(refs)), detail=detail, end=end_iso, date_note=note)

    def studies(self, studies: Sequence[Study], reports: Mapping[str, list[str]]) -> list[TimelineEvent]:
        out = []
        for s in studies:
            key = "study_at" if s.institution else "study"
            detail = self.t[key].format(series=len(s.series), files=s.instance_count, facility=s.institution)
            refs = [f"study:{s.study_uid}", *(f"document:{d}" for d in reports.get(s.study_uid, []))]
            out.append(self.event(EventKind.STUDY, s.date, exam_name(s), refs, detail=detail,
                                  missing="no_study_date"))
        return out

    def documents(self, documents: Sequence[Document]) -> list[TimelineEvent]:
        out = []
        for d in documents:
            if d.parent_id is not None and d.kind == DocumentKind.OTHER:
                continue  # an unclassified attachment of another document: listed with its parent
            detail = " · ".join(x for x in (d.title, d.facility) if x)
            out.append(self.event(EventKind.DOCUMENT, d.date, kind_label(d.kind, self.lang), [f"document:{d.id}"],
                                  detail=detail))
        return out

    def clinical(self, contents: Mapping[str, ParsedDocument]) -> list[TimelineEvent]:
        out: list[TimelineEvent] = []
        seen: set[tuple[Any, ...]] = set()
        labs: dict[str, dict[tuple[str, str, str], set[str]]] = {}
        for doc_id, p in sorted(contents.items()):
            ref = f"document:{doc_id}"
            for pr in p.procedures:
                key = ("procedure", pr.name.casefold(), iso_date(pr.date)[0])
                if key not in seen:
                    seen.add(key)
                    out.append(self.event(EventKind.PROCEDURE, pr.date, pr.name, [ref], detail=pr.status))
                else:
                    out = [_add_ref(e, ref) if (e.kind, e.title.casefold(), e.date) == key else e for e in out]
            for enc in p.encounters:
                if not any(w in enc.type.casefold() for w in _INPATIENT):
                    continue
                key = ("stay", iso_date(enc.start)[0], iso_date(enc.end)[0])
                if key in seen:
                    continue
                seen.add(key)
                title = self.t["stay_at"].format(facility=enc.facility) if enc.facility else self.t["stay"]
                out.append(self.event(EventKind.HOSPITAL_STAY, enc.start, title, [ref], detail=enc.reason,
                                      end=enc.end))
            for r in p.results:
                date = iso_date(r.date or p.date)[0]
                labs.setdefault(date, {}).setdefault((r.name, r.value, r.unit), set()).add(ref)
        for date, results in labs.items():
            names = [f"{n} {v}{' ' + u if u else ''}".strip() for (n, v, u) in results]
            shown = ", ".join(names[:_MAX_LAB_NAMES])
            more = len(names) - _MAX_LAB_NAMES
            title = self.t["labs"].format(names=self.t["more"].format(names=shown, n=more) if more > 0 else shown)
            refs = sorted({ref for refs in results.values() for ref in refs})
            out.append(self.event(EventKind.LAB_RESULT, date, title, refs,
                                  detail=self.t["results"].format(n=len(names))))
        return out

    def medications(self, contents: Mapping[str, ParsedDocument], documents: Sequence[Document],
                    intake: Intake | None) -> list[TimelineEvent]:
        rows = [([f"document:{d}" for d in m.sources], m.name, m.dose, m.start, m.stop)
                for m in merge_medications(contents, documents)]
        rows += [([f"intake:medications/{i}"], m.name, m.dose, m.start, m.stop)
                 for i, m in enumerate(intake.medications if intake else ())]
        out = []
        for refs, name, dose, start, stop in rows:
            if start:
                label = f"{name} {dose}" if dose else name
                out.append(self.event(EventKind.MEDICATION_START, start, self.t["started"].format(name=label), refs))
            if stop:
                out.append(self.event(EventKind.MEDICATION_STOP, stop, self.t["stopped"].format(name=name), refs))
        return out

    def symptoms(self, intake: Intake | None) -> list[TimelineEvent]:
        out = []
        for i, s in enumerate(intake.symptoms if intake else ()):
            detail = "; ".join(x for x in (self.t["helped"].format(text=s.helped) if s.helped else "",
                                           self.t["not_helped"].format(text=s.did_not_help) if s.did_not_help
                                           else "") if x)
            out.append(self.event(EventKind.SYMPTOM, s.date, s.what, [f"intake:symptoms/{i}"], detail=detail,
                                  missing="no_symptom_date"))
        return out


def _add_ref(e: TimelineEvent, ref: str) -> TimelineEvent:
    return dataclasses.replace(e, refs=tuple(dict.fromkeys((*e.refs, ref))))


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
    lang: str = "en",
) -> list[TimelineEvent]:
    """The timeline of plain records, oldest first, undated events last.

    ``report_links`` maps a report's document id to its study's UID, so a study's event links
    its report too. ``today`` decides what counts as "in the future" (default: today); ``lang``
    ("en" or "es") the language of the titles the timeline writes itself.
    """
    b = _Builder(today or _dt.date.today(), lang)
    reports: dict[str, list[str]] = {}
    for doc_id, study_uid in (report_links or {}).items():
        reports.setdefault(study_uid, []).append(doc_id)
    events = [
        *b.studies(studies, reports),
        *b.documents(documents),
        *b.clinical(contents),
        *b.medications(contents, documents, intake),
        *b.symptoms(intake),
    ]
    return sorted(events, key=_sort_key)


def build_timeline(store: CaseStore, *, intake: Intake | None = None, today: _dt.date | None = None,
                   lang: str = "en") -> list[TimelineEvent]:
    """The timeline of a case (the stored intake unless ``intake`` is given)."""
    studies = store.studies()
    documents = store.documents()
    contents = store.document_contents()
    links = {doc: link.study_uid for doc, link in report_links(studies, documents, contents).items()
             if link.study_uid}
    return events_from(studies, documents, contents, intake=intake if intake is not None else load_intake(store),
                       report_links=links, today=today, lang=lang)


def timeline_json(events: Sequence[TimelineEvent], lang: str = "en") -> list[dict[str, Any]]:
    """The ``timeline --json`` rows: a contract (add fields, never rename)."""
    return [
        {"date": e.date, "date_precision": str(e.date_precision), "kind": str(e.kind), "title": e.title,
         "refs": list(e.refs), "detail": e.detail, "end": e.end, "date_note": e.date_note,
         "date_text": long_date(e.date, lang)}
        for e in events
    ]
