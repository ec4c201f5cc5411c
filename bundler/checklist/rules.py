"""The checklist rules: one function per rule, from the case's facts to an item's state.

Each rule says whether its item is present, missing or needs attention, which records show it,
and what exactly to do: the next step names the facility, the exam, its date and accession
number when the records say them ("Ask Riverside Imaging Center for the report of your CT chest
of 3 March 2026 (accession 12345)."). Item texts live in resources/checklists/items.toml (and
items.es.toml); the phrases composed around them in :mod:`bundler.checklist.wording`. The
language is the facts' (``CaseFacts.lang``).
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bundler.checklist.facts import CaseFacts, find_condition
from bundler.checklist.profiles import Condition, ItemUse
from bundler.checklist.wording import message, procedure_word
from bundler.describe import document_label, exam_name, iso_date, long_date, readable, study_label
from bundler.linking import LinkMethod, match_prior
from bundler.medications import merge_allergies, merge_medications
from bundler.model import (
    DatePrecision,
    DicomObjectKind,
    Document,
    DocumentKind,
    Evidence,
    IdentityStatus,
    ItemStatus,
    LabResult,
    PriorReference,
    RecordRequest,
    Study,
)

__all__ = ["Outcome", "RULE_FUNCTIONS"]

# Secondary Capture Image Storage and its multi-frame siblings (PS3.4 B.5): screenshots.
_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
# Documents whose date matters to the reviewer (a medication list often has none).
_DATED_KINDS = frozenset({DocumentKind.RADIOLOGY_REPORT, DocumentKind.PATHOLOGY_REPORT,
                          DocumentKind.OPERATIVE_REPORT, DocumentKind.DISCHARGE_SUMMARY,
                          DocumentKind.VISIT_NOTE, DocumentKind.LAB_RESULT})


@dataclass(frozen=True, slots=True)
class Outcome:
    status: ItemStatus
    evidence: tuple[Evidence, ...] = ()
    next_step: str = ""
    details: tuple[str, ...] = ()
    requests: tuple[RecordRequest, ...] = ()


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _text(use: ItemUse, f: CaseFacts, key: str, **values: str) -> str:
    """An item's text ``key`` in the facts' language, placeholders filled."""
    return use.spec.text(key, f.lang).format_map(_Fill(values)).strip()


def _m(f: CaseFacts, key: str, **values: object) -> str:
    return message(f.lang, key, **values)


def _place(f: CaseFacts, facility: str, unknown: str = "unknown_facility") -> str:
    """A facility as the texts name it: its name, or plain words when the records do not say."""
    return facility or _m(f, unknown)


def _when(f: CaseFacts, date: str) -> str:
    return long_date(date, f.lang) or _m(f, "unknown_date")


def _accession(f: CaseFacts, value: str) -> str:
    return _m(f, "accession", accession=value) if value else ""


def _study_ev(f: CaseFacts, s: Study) -> Evidence:
    return Evidence(f"study:{s.study_uid}", study_label(s, f.lang))


def _doc_ev(f: CaseFacts, d: Document) -> Evidence:
    return Evidence(f"document:{d.id}", document_label(d, f.lang))


def _names(f: CaseFacts, values: Iterable[str]) -> str:
    items = list(dict.fromkeys(v for v in values if v))
    if len(items) <= 1:
        return "".join(items)
    return _m(f, "and", first=", ".join(items[:-1]), last=items[-1])


def _join_steps(f: CaseFacts, steps: Sequence[str]) -> str:
    """One next step from several asks: the first, and how many more are listed."""
    steps = list(dict.fromkeys(steps))
    if len(steps) <= 1:
        return "".join(steps)
    if len(steps) == 2:
        return f"{steps[0]} {steps[1]}"
    return _m(f, "more_steps", first=steps[0], n=len(steps) - 1)


def _newest_facility(docs: Sequence[Document]) -> str:
    """The facility of the newest document that names one ("" when none does)."""
    dated = sorted((d for d in docs if d.facility), key=lambda d: d.date, reverse=True)
    return dated[0].facility if dated else ""


def _case_facility(f: CaseFacts) -> str:
    """Where most of the clinical records come from: the best guess for "your doctor's office"."""
    counts = Counter(d.facility for d in f.documents if d.facility and d.kind in _DATED_KINDS)
    return counts.most_common(1)[0][0] if counts else ""


def _full_day(value: str) -> _dt.date | None:
    iso, precision = iso_date(value)
    return _dt.date.fromisoformat(iso) if precision is DatePrecision.DAY else None


# ------------------------------------------------------------------------- the patient's part


def _summary(use: ItemUse, f: CaseFacts) -> Outcome:
    fields = {k: _m(f, f"field_{k}") for k in ("main_concern", "diagnosis", "plan", "decision")}
    given = [k for k in fields if getattr(f.intake, k).strip()]
    if not given:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    ev = (Evidence("intake:concern", _m(f, "ev_concern")),)
    missing = [v for k, v in fields.items() if k not in given]
    if missing:
        return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "partial", names=_names(f, missing)),
                       tuple(_m(f, "not_written", what=m) for m in missing))
    return Outcome(ItemStatus.PRESENT, ev)


def _questions(use: ItemUse, f: CaseFacts) -> Outcome:
    n = len(f.intake.question_bank) + len(f.intake.own_questions)
    if not n:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    return Outcome(ItemStatus.PRESENT, (Evidence("intake:questions", _m(f, "ev_questions", n=n)),))


def _symptom_timeline(use: ItemUse, f: CaseFacts) -> Outcome:
    entries = f.intake.symptoms
    if not entries:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    ev = tuple(Evidence(f"intake:symptoms/{i}", _m(f, "ev_symptom", what=s.what)) for i, s in enumerate(entries))
    undated = [s.what for s in entries if not s.date]
    if undated:
        return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "undated"),
                       tuple(_m(f, "no_date_of", what=w) for w in undated))
    return Outcome(ItemStatus.PRESENT, ev)


def _family_history(use: ItemUse, f: CaseFacts) -> Outcome:
    if f.intake.family_history.strip() or f.intake.family_history_none_known:
        return Outcome(ItemStatus.PRESENT, (Evidence("intake:family_history", _m(f, "ev_family")),))
    return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))


def _intake_field(use: ItemUse, f: CaseFacts) -> Outcome:
    name = str(use.spec.params["field"])
    value = getattr(f.intake, name)
    if value:
        return Outcome(ItemStatus.PRESENT, (Evidence(f"intake:{name}", _m(f, "ev_field", title=use.spec.title_in(f.lang))),))
    pathology = f.documents_of(DocumentKind.PATHOLOGY_REPORT)
    where = _newest_facility(pathology)
    facility = _m(f, "pathology_department_of", facility=where) if where else _m(f, "pathology_department")
    return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step", facility=facility))


def _insurance_referral(use: ItemUse, f: CaseFacts) -> Outcome:
    ins = f.intake.insurance
    referral_docs = f.documents_of(DocumentKind.REFERRAL_OR_INSURANCE)
    ev = ((Evidence("intake:insurance", _m(f, "ev_insurance")),) if ins.given else ()) + tuple(
        _doc_ev(f, d) for d in referral_docs)
    if not ev:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    if ins.referral_required and not (ins.referral or ins.authorization or referral_docs):
        return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "referral"), (_m(f, "referral_missing"),))
    return Outcome(ItemStatus.PRESENT, ev)


# ---------------------------------------------------------------------------------- documents


def _reason_words(use: ItemUse, f: CaseFacts) -> tuple[str, str, str]:
    """What made a context item required: (the words, the facility of that record, its date).

    A record's own words ("biopsy", "lobectomy") are preferred to a document kind that implies
    them (a pathology report implies "a biopsy or surgery").
    """
    hits = [h for cond in use.when for h in f.hits.get(cond, ())]
    for hit in sorted(hits, key=lambda h: not h.word):
        doc = f.document(hit.ref.split(":", 1)[1]) if hit.ref.startswith("document:") else None
        word = (procedure_word(hit.word, f.lang) if hit.word
                else _m(f, "biopsy_or_surgery") if hit.condition == "biopsy_or_surgery" else "")
        if word:
            return word, doc.facility if doc else "", doc.date if doc else ""
    return "", "", ""


def _document(use: ItemUse, f: CaseFacts) -> Outcome:
    kinds = use.spec.params.get("kinds", ())
    terms = use.spec.params.get("terms", ())
    docs = [d for d in f.documents if (not kinds or d.kind in kinds)]
    if terms:
        cond = Condition(use.spec.id, tuple(terms))
        docs = [d for d in docs if (p := f.contents.get(d.id)) is not None and find_condition(cond, p.text)]
    word, hit_facility, hit_date = _reason_words(use, f)
    facility = hit_facility or _newest_facility(docs) or _case_facility(f)
    if not docs:
        record = use.spec.title[:1].lower() + use.spec.title[1:]
        step = _text(use, f, "next_step", facility=_place(f, facility, "your_doctor"),
                     reason=word or _m(f, "procedure"))
        request = RecordRequest(facility, record, exam=word, date=iso_date(hit_date)[0], reason=use.spec.what_in(f.lang))
        return Outcome(ItemStatus.MISSING, next_step=step, requests=(request,))
    ev = tuple(_doc_ev(f, d) for d in docs)
    months = use.spec.params.get("recent_months")
    if months:
        newest = max((d for d in (_full_day(x.date) for x in docs) if d), default=None)
        latest_record = max((d for d in [*(_full_day(s.date) for s in f.studies),
                                          *(_full_day(x.date) for x in f.documents)] if d and d <= f.today),
                            default=None)
        if newest and latest_record and (latest_record - newest).days > int(months) * 30.44:
            fac = _newest_facility(docs)
            return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "stale", facility=_place(f, fac, "your_doctor")),
                           (_m(f, "newest_from", date=long_date(newest.isoformat(), f.lang)),),
                           (RecordRequest(fac, "notes of the most recent visits", reason=use.spec.what_in(f.lang)),))
    return Outcome(ItemStatus.PRESENT, ev)


def _results(f: CaseFacts, d: Document) -> tuple[LabResult, ...]:
    p = f.contents.get(d.id)
    return p.results if p is not None else ()


def _labs(use: ItemUse, f: CaseFacts) -> Outcome:
    docs = [d for d in f.documents if d.kind == DocumentKind.LAB_RESULT
            or ((p := f.contents.get(d.id)) is not None and p.results)]
    facility = _newest_facility(docs) or _case_facility(f)
    if not docs:
        return Outcome(ItemStatus.MISSING,
                       next_step=_text(use, f, "next_step", facility=_place(f, facility, "your_doctor")),
                       requests=(RecordRequest(facility, "recent laboratory results", reason=use.spec.what_in(f.lang)),))
    ev = tuple(_doc_ev(f, d) for d in docs)
    undated = [d for d in docs if not d.date and not any(r.date for r in _results(f, d))]
    if undated:
        fac = _newest_facility(undated) or facility
        return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "undated", facility=_place(f, fac, "your_doctor")),
                       tuple(_m(f, "no_date_of", what=d.title or _m(f, "a_lab_result")) for d in undated))
    return Outcome(ItemStatus.PRESENT, ev)


def _medications(use: ItemUse, f: CaseFacts) -> Outcome:
    merged = merge_medications(f.contents, f.documents)
    typed = f.intake.medications
    if not merged and not typed and not f.intake.medications_none:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    sources = dict.fromkeys(s for m in merged for s in m.sources)
    ev = tuple(_doc_ev(f, d) for d in f.documents if d.id in sources)
    if typed or f.intake.medications_none:
        ev += (Evidence("intake:medications", _m(f, "ev_medicines")),)
    if use.spec.params.get("need_dose"):
        no_dose = [m.name for m in merged if not m.dose] + [m.name for m in typed if not m.dose]
        if no_dose:
            return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "no_dose", names=_names(f, no_dose)),
                           tuple(_m(f, "no_dose_of", name=n) for n in dict.fromkeys(no_dose)))
    return Outcome(ItemStatus.PRESENT, ev)


def _allergies(use: ItemUse, f: CaseFacts) -> Outcome:
    merged = merge_allergies(f.contents)
    listed = [a.substance for a in merged if not a.none_known] + [a.substance for a in f.intake.allergies]
    none_known = any(a.none_known for a in merged) or f.intake.allergies_none_known
    if not listed and not none_known:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    sources = dict.fromkeys(s for a in merged for s in a.sources)
    ev = tuple(_doc_ev(f, d) for d in f.documents if d.id in sources)
    if f.intake.allergies or f.intake.allergies_none_known:
        ev += (Evidence("intake:allergies", _m(f, "ev_allergies")),)
    if listed and none_known:
        return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, "conflict", names=_names(f, listed)),
                       (_m(f, "allergy_conflict"),))
    return Outcome(ItemStatus.PRESENT, ev)


# ------------------------------------------------------------------------------------ imaging


def _report_exam(d: Document) -> str:
    words = [w for w in readable(d.title).split() if w.lower().strip(":-") not in ("report", "radiology", "final")]
    name = " ".join(words).strip(" -:")
    return name or (f"{d.modality} exam" if d.modality else "imaging exam")


def _imaging_images(use: ItemUse, f: CaseFacts) -> Outcome:
    acquisition = {s.study_uid: s for s in f.acquisition_studies}
    reports = f.documents_of(DocumentKind.RADIOLOGY_REPORT)
    if not acquisition:
        if not reports:
            return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    without = []
    for d in reports:
        link = f.links.get(d.id)
        candidates = ((link.study_uid,) if link and link.study_uid else
                      link.candidates if link and link.method is LinkMethod.AMBIGUOUS else ())
        inside = any(d.from_dicom_sop_instance_uid in {i.sop_instance_uid for se in s.series for i in se.instances}
                     for s in acquisition.values()) if d.from_dicom_sop_instance_uid else False
        if not inside and not any(c in acquisition for c in candidates):
            without.append(d)
    ev = tuple(_study_ev(f, s) for s in acquisition.values())
    requests = tuple(RecordRequest(d.facility, "DICOM images", _report_exam(d), iso_date(d.date)[0], d.accession,
                                   _m(f, "reason_no_images"), f"document:{d.id}")
                     for d in without)
    steps = [_text(use, f, "ask", facility=_place(f, d.facility), exam=_report_exam(d),
                   date=_when(f, d.date), accession=_accession(f, d.accession)) for d in without]
    details = tuple(_m(f, "no_images_for", exam=_report_exam(d), date=long_date(d.date, f.lang) or _m(f, "no_date"))
                    for d in without)
    if not acquisition:
        return Outcome(ItemStatus.MISSING, (), _join_steps(f, steps), details, requests)
    if without:
        return Outcome(ItemStatus.ATTENTION, ev, _join_steps(f, steps), details, requests)
    return Outcome(ItemStatus.PRESENT, ev)


def _imaging_reports(use: ItemUse, f: CaseFacts) -> Outcome:
    studies = f.acquisition_studies
    if not studies:
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    have: list[Evidence] = []
    without: list[Study] = []
    for s in studies:
        reports = f.reports_of(s)
        if reports:
            have += [_doc_ev(f, d) for d in reports]
        else:
            without.append(s)
    if not without:
        return Outcome(ItemStatus.PRESENT, tuple(dict.fromkeys(have)))
    steps = [_text(use, f, "ask", facility=_place(f, s.institution), exam=exam_name(s),
                   date=_when(f, s.date), accession=_accession(f, s.accession)) for s in without]
    requests = tuple(RecordRequest(s.institution, "radiology report", exam_name(s), iso_date(s.date)[0], s.accession,
                                   _m(f, "reason_no_report"), f"study:{s.study_uid}")
                     for s in without)
    details = tuple(_m(f, "no_report_for", study=study_label(s, f.lang)) for s in without)
    status = ItemStatus.MISSING if len(without) == len(studies) else ItemStatus.ATTENTION
    return Outcome(status, tuple(dict.fromkeys(have)), _join_steps(f, steps), details, requests)


_MODALITY_WORD = {
    "en": {"CR": "X-ray", "DX": "X-ray", "MR": "MRI", "US": "ultrasound", "MG": "mammogram", "PT": "PET scan",
           "NM": "nuclear medicine scan"},
    "es": {"CR": "radiografía", "DX": "radiografía", "CT": "TC", "MR": "resonancia", "US": "ecografía",
           "MG": "mamografía", "PT": "PET", "NM": "gammagrafía"},
}


def _prior_exam(f: CaseFacts, p: PriorReference) -> str:
    modality = _MODALITY_WORD.get(f.lang, _MODALITY_WORD["en"]).get(p.modality, p.modality)
    words = " ".join(x for x in (modality, p.region) if x)
    return words or p.text.strip() or _m(f, "earlier_exam")


def _prior_imaging(use: ItemUse, f: CaseFacts) -> Outcome:
    found: list[Evidence] = []
    steps: list[str] = []
    details: list[str] = []
    requests: list[RecordRequest] = []
    undated = False
    for d in f.documents_of(DocumentKind.RADIOLOGY_REPORT):
        p = f.contents.get(d.id)
        if p is None or not p.priors:
            continue
        link = f.links.get(d.id)
        own = {link.study_uid} if link and link.study_uid else set()
        report_name = (_m(f, "report_of_dated", exam=_report_exam(d), date=long_date(d.date, f.lang)) if d.date
                       else _m(f, "report_of", exam=_report_exam(d)))
        facility = d.facility or next((s.institution for s in f.studies if s.study_uid in own), "")
        for prior in p.priors:
            study = match_prior(prior, f.studies, exclude=own)
            if study is not None:
                found.append(_study_ev(f, study))
                continue
            exam = _prior_exam(f, prior)
            if prior.date:
                steps.append(_text(use, f, "ask", facility=_place(f, facility), exam=exam,
                                   date=long_date(prior.date, f.lang), report=report_name))
                details.append(_m(f, "prior_absent", exam=exam, date=long_date(prior.date, f.lang), report=report_name))
            else:
                undated = True
                steps.append(_text(use, f, "undated", facility=_place(f, facility), report=report_name))
                details.append(_m(f, "prior_undated", report=report_name, exam=exam))
            requests.append(RecordRequest(facility, "DICOM images and report", exam, iso_date(prior.date)[0], "",
                                          _m(f, "reason_prior", report=report_name), f"document:{d.id}"))
    for hit in f.hits.get("same_region_studies", ()):
        study = next((s for s in f.studies if f"study:{s.study_uid}" == hit.ref), None)
        if study is not None:
            found.append(_study_ev(f, study))
    found = list(dict.fromkeys(found))
    if not steps:
        if found:
            return Outcome(ItemStatus.PRESENT, tuple(found))
        return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
    status = ItemStatus.ATTENTION if found or (undated and len(steps) == 1) else ItemStatus.MISSING
    return Outcome(status, tuple(found), _join_steps(f, steps), tuple(details), tuple(requests))


def _series_problems(s: Study, f: CaseFacts) -> list[str]:
    problems = []
    for se in s.series:
        images = [i for i in se.instances if i.kind is DicomObjectKind.IMAGE]
        count = len({i.sop_instance_uid for i in se.instances})
        description = readable(se.description) or se.modality
        name = (_m(f, "series_named", number=se.number, description=description) if se.number is not None
                else _m(f, "series_unnamed", description=description))
        label = study_label(s, f.lang)
        numbers = [i.instance_number for i in images if i.instance_number is not None]
        if numbers and len(set(numbers)) == len(numbers):
            lo, hi = min(numbers), max(numbers)
            gaps = sorted(set(range(lo, hi + 1)) - set(numbers))
            if gaps and hi - lo < 100_000:
                shown = ", ".join(str(g) for g in gaps[:8])
                if len(gaps) > 8:
                    shown = _m(f, "gaps_more", shown=shown, n=len(gaps) - 8)
                problems.append(_m(f, "gaps", study=label, series=name, numbers=shown))
        promised = Counter(i.promised_count for i in images if i.promised_count).most_common(1)
        if promised and promised[0][0] > len(images) and len({i.promised_count for i in images}) == 1:
            problems.append(_m(f, "promised", study=label, series=name, promised=promised[0][0], here=len(images)))
        listed = f.media_counts.get(se.series_uid, 0)
        if listed > count:
            problems.append(_m(f, "media_listed", study=label, series=name, listed=listed, here=count))
    return problems


def _series_complete(use: ItemUse, f: CaseFacts) -> Outcome:
    details: list[str] = []
    requests: list[RecordRequest] = []
    steps: list[str] = []
    for s in f.acquisition_studies:
        problems = _series_problems(s, f)
        if problems:
            details += problems
            steps.append(_text(use, f, "next_step", facility=_place(f, s.institution), exam=exam_name(s),
                               date=_when(f, s.date), accession=_accession(f, s.accession)))
            requests.append(RecordRequest(s.institution, "complete DICOM images", exam_name(s), iso_date(s.date)[0],
                                          s.accession, _m(f, "reason_incomplete"), f"study:{s.study_uid}"))
    known_series = {se.series_uid for s in f.studies for se in s.series}
    orphans = [m for m in f.missing_from_media if m.series_uid not in known_series]
    if orphans:
        details.append(_m(f, "orphans", n=len(orphans)))
        if not steps:
            steps.append(_m(f, "orphans_step"))
    if details:
        return Outcome(ItemStatus.ATTENTION, (), _join_steps(f, steps), tuple(details), tuple(requests))
    return Outcome(ItemStatus.PRESENT, tuple(_study_ev(f, s) for s in f.acquisition_studies))


def _image_quality(use: ItemUse, f: CaseFacts) -> Outcome:
    details: list[str] = []
    steps: list[str] = []
    requests: list[RecordRequest] = []
    for s in f.acquisition_studies:
        images = [i for se in s.series for i in se.instances if i.kind is DicomObjectKind.IMAGE]
        if not images:
            continue
        screenshots = all(i.sop_class_uid.startswith(_SECONDARY_CAPTURE) or "SCREEN" in i.image_type.upper()
                          for i in images)
        lossy = all(i.lossy for i in images)
        if not (screenshots or lossy):
            continue
        reason = _m(f, "only_screenshots" if screenshots else "only_lossy")
        details.append(_m(f, "quality_detail", study=study_label(s, f.lang), reason=reason))
        steps.append(_text(use, f, "next_step", facility=_place(f, s.institution), exam=exam_name(s),
                           date=_when(f, s.date), accession=_accession(f, s.accession),
                           reason=reason))
        requests.append(RecordRequest(s.institution, "original DICOM images", exam_name(s), iso_date(s.date)[0],
                                      s.accession, _m(f, "reason_copy_holds", reason=reason), f"study:{s.study_uid}"))
    if details:
        return Outcome(ItemStatus.ATTENTION, (), _join_steps(f, steps), tuple(details), tuple(requests))
    return Outcome(ItemStatus.PRESENT, tuple(_study_ev(f, s) for s in f.acquisition_studies))


def _dates(use: ItemUse, f: CaseFacts) -> Outcome:
    today = f.today
    details: list[str] = []
    studies = {s.study_uid: s for s in f.studies}
    for s in f.acquisition_studies:
        day = _full_day(s.date)
        if day is None:
            details.append(_m(f, "study_no_date", exam=exam_name(s)))
        elif day > today:
            details.append(_m(f, "study_future", study=study_label(s, f.lang)))
        births = {_full_day(i.patient.birth_date) for se in s.series for i in se.instances[:1]}
        if day and any(b and b > day for b in births):
            details.append(_m(f, "birth_after", study=study_label(s, f.lang)))
    for d in f.documents:
        if d.kind not in _DATED_KINDS:
            continue
        day = _full_day(d.date)
        if iso_date(d.date)[1] is DatePrecision.UNKNOWN:
            details.append(_m(f, "doc_no_date", document=document_label(d, f.lang), title=d.title or _m(f, "untitled")))
        elif day and day > today:
            details.append(_m(f, "doc_future", document=document_label(d, f.lang)))
        link = f.links.get(d.id)
        study = studies.get(link.study_uid) if link and link.study_uid else None
        study_day = _full_day(study.date) if study else None
        if day and study and study_day and day < study_day:
            details.append(_m(f, "doc_before_study", document=document_label(d, f.lang),
                              study=study_label(study, f.lang)))
    if details:
        return Outcome(ItemStatus.ATTENTION, (), _text(use, f, "next_step"), tuple(details))
    return Outcome(ItemStatus.PRESENT)


def _identity(use: ItemUse, f: CaseFacts) -> Outcome:
    report = f.identity
    refs = [r for p in report.persons for r in p.refs]
    labels = {f"study:{s.study_uid}": study_label(s, f.lang) for s in f.studies}
    labels |= {f"document:{d.id}": document_label(d, f.lang) for d in f.documents}
    labels["intake:patient"] = _m(f, "ev_details")
    ev = tuple(Evidence(r, labels.get(r, r)) for r in dict.fromkeys(refs))
    if report.status is IdentityStatus.CONSISTENT:
        return Outcome(ItemStatus.PRESENT, ev)
    if report.status is IdentityStatus.UNKNOWN:
        if not f.studies and not f.documents:
            return Outcome(ItemStatus.MISSING, next_step=_text(use, f, "next_step"))
        return Outcome(ItemStatus.ATTENTION, ev, _m(f, "nobody_named_step"), (_m(f, "nobody_named"),))
    details = tuple(c.message for c in report.conflicts) or (report.message,)
    key = "stop" if report.stop else "attention"
    return Outcome(ItemStatus.ATTENTION, ev, _text(use, f, key), details)


RULE_FUNCTIONS: dict[str, Callable[[ItemUse, CaseFacts], Outcome]] = {
    "summary": _summary,
    "questions": _questions,
    "symptom_timeline": _symptom_timeline,
    "document": _document,
    "medications": _medications,
    "allergies": _allergies,
    "imaging_images": _imaging_images,
    "imaging_reports": _imaging_reports,
    "prior_imaging": _prior_imaging,
    "labs": _labs,
    "intake": _intake_field,
    "family_history": _family_history,
    "insurance_referral": _insurance_referral,
    "identity": _identity,
    "series_complete": _series_complete,
    "image_quality": _image_quality,
    "dates": _dates,
}
