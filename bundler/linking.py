"""Which study each imaging report is about, and whether a report's priors are in the case.

The checklist's DICOM-aware checks ask two questions of the records:

* every report has its images and every study its report: :func:`link_reports` matches by
  accession number first, else by date and modality;
* a prior named in a report's COMPARISON section is in the bundle or is missing:
  :func:`match_prior`.

Both are pure functions of plain model objects (no store, no I/O). A link is never guessed
silently: when several studies fit equally, the link is ``"ambiguous"`` and lists them all, so
the user (or the checklist) can decide.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bundler.model import ParsedDocument, PriorReference, Study
from bundler.reportlang import canonical_regions, find_modality, find_regions, split_sections

__all__ = ["Link", "LinkMethod", "ReportInfo", "link_reports", "match_prior", "normalise_accession", "study_exam"]



class LinkMethod(StrEnum):
    """How a report was linked; compares equal to the plain string ("accession"...)."""

    ACCESSION = "accession"
    DATE_MODALITY = "date_modality"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


# Acquisition modalities that are one family for matching: a "chest X-ray" report is about a
# CR or a DX study, whichever the site's equipment wrote (PS3.3 C.7.3.1.1.1).
_FAMILY = {"DX": "CR", "CR": "CR", "PX": "CR"}
# Series that are not the exam itself: reports, key images, presentation states, documents.
_NOT_ACQUISITION = frozenset({"SR", "KO", "PR", "DOC", "OT", "REG", "SEG", "RTSTRUCT", "AU", ""})

PRIOR_DAYS = 3
"""How far (days) a study's date may be from a prior's written date and still be that prior."""


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """What linking needs to know about one imaging report.

    Attributes
    ----------
    document_id
        The document's id in the case.
    accession
        Accession number as the report gives it ("" when absent).
    date
        The report's date (ISO, possibly with a time, or DICOM ``YYYYMMDD``; "" when absent).
        Usually the exam date; a report signed after midnight may be a day later.
    modality
        DICOM modality code when known ("CT", "MR"...); "" to read it from ``text``.
    region
        Body-region words ("chest", "brain"); empty to read them from ``text``.
    text
        The report's text (its EXAM section or its heading names the exam).
    """

    document_id: str
    accession: str = ""
    date: str = ""
    modality: str = ""
    region: tuple[str, ...] = ()
    text: str = ""

    @classmethod
    def from_parsed(cls, document_id: str, doc: ParsedDocument) -> ReportInfo:
        """The linking view of a parsed report (modality and region read from its EXAM section)."""
        return cls(document_id=document_id, accession=doc.accession, date=doc.date,
                   modality=doc.modality, region=(), text=doc.text)


@dataclass(frozen=True, slots=True)
class Link:
    """The study a report is about, or why there is none.

    Attributes
    ----------
    document_id
        The report's document id.
    study_uid
        The linked study, or None (method ``"ambiguous"`` or ``"none"``).
    method
        ``"accession"``: the accession numbers agree. ``"date_modality"``: same modality, same
        day (or the day before or after). ``"ambiguous"``: several studies fit equally, listed in
        ``candidates``. ``"none"``: no study fits.
    candidates
        Study UIDs that fit, best first (the linked one alone, or the ambiguous ones).
    detail
        Plain words for the user: how the link was made and anything odd about it ("the report
        is dated before its study"). Never patient data.
    """

    document_id: str
    study_uid: str | None
    method: LinkMethod
    candidates: tuple[str, ...] = ()
    detail: str = ""


def normalise_accession(value: str) -> str:
    """An accession number for comparison: no spaces, case-folded, leading zeros dropped.

    "RIC000123", "ric000123 " and "ric000123" are the same; "000123" and "123" too (some
    systems pad the number, PS3.5 SH is at most 16 characters). Other characters are kept:
    "CT-123" and "CT123" stay different, as a site may use both.
    """
    compact = "".join(value.split()).casefold()
    return compact.lstrip("0") or ("0" if compact else "")


def _day(value: str) -> _dt.date | None:
    """The calendar day of an ISO date (time ignored) or a DICOM DA; None if not a full date."""
    m = re.match(r"\s*(\d{4})-?(\d{2})-?(\d{2})(?!\d)", value)
    if m is None:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _family(modality: str) -> str:
    code = modality.strip().upper()
    return _FAMILY.get(code, code)


def _study_families(study: Study) -> frozenset[str]:
    return frozenset(_family(s.modality) for s in study.series if s.modality.upper() not in _NOT_ACQUISITION)


def _study_regions(study: Study) -> frozenset[str]:
    words = [study.description]
    for series in study.series:
        words += [series.description, series.body_part]
        words += [i.body_part for i in series.instances[:1]]
    return canonical_regions(" ".join(w for w in words if w))


def study_exam(study: Study) -> tuple[frozenset[str], frozenset[str]]:
    """A study's acquisition modality families (CR and DX are one) and canonical body regions."""
    return _study_families(study), _study_regions(study)


def _report_exam(report: ReportInfo) -> tuple[str, frozenset[str]]:
    """The report's modality family and canonical regions, from its fields or its text."""
    modality, region = report.modality, " ".join(report.region)
    if (not modality or not region) and report.text:
        exam = " ".join(s.text for s in split_sections(report.text) if s.name == "exam")
        # Then the report's title, near the top ("CT CHEST WITH CONTRAST - RADIOLOGY REPORT").
        for source in (exam, report.text[:300]):
            modality = modality or find_modality(source)
            region = region or " ".join(find_regions(source))
    return _family(modality), canonical_regions(region)


def _link_one(report: ReportInfo, studies: Sequence[Study]) -> Link:
    notes: list[str] = []
    wanted = normalise_accession(report.accession)
    if wanted:
        same = [s for s in studies if normalise_accession(s.accession) == wanted]
        if len(same) == 1:
            return _linked(report, same[0], LinkMethod.ACCESSION, "Accession numbers agree.")
        if len(same) > 1:
            # One accession on several studies (a combined order): date and modality decide.
            link = _by_date_modality(report, same, ["Several studies share the accession number."])
            if link.method is LinkMethod.DATE_MODALITY:
                return Link(report.document_id, link.study_uid, LinkMethod.ACCESSION, link.candidates, link.detail)
            fitting = link.candidates if link.method is LinkMethod.AMBIGUOUS else tuple(s.study_uid for s in same)
            return Link(report.document_id, None, LinkMethod.AMBIGUOUS, fitting,
                        "Several studies share the report's accession number; choose one.")
        notes.append("The report's accession number matches no study in the case.")
    return _by_date_modality(report, studies, notes)


def _by_date_modality(report: ReportInfo, studies: Sequence[Study], notes: list[str]) -> Link:
    day = _day(report.date)
    if day is None:
        return Link(report.document_id, None, LinkMethod.NONE, (),
                    " ".join([*notes, "The report has no full date to match a study by."]))
    family, regions = _report_exam(report)
    scored: list[tuple[int, Study]] = []
    for study in studies:
        study_day = _day(study.date)
        if study_day is None:
            continue
        distance = abs((study_day - day).days)
        if distance > 1:
            continue
        families = _study_families(study)
        if family and family not in families:
            continue
        scored.append((distance, study))
    if not scored:
        kind = f"{family} study" if family else "study"
        return Link(report.document_id, None, LinkMethod.NONE, (),
                    " ".join([*notes, f"No {kind} on the report's date or the day before or after."]))
    best = min(d for d, _ in scored)
    candidates = [s for d, s in scored if d == best]
    if len(candidates) > 1 and regions:
        by_region = [s for s in candidates if regions & _study_regions(s)]
        if len(by_region) == 1:
            notes.append("Body region decided between studies of the same day.")
            candidates = by_region
    if len(candidates) > 1:
        return Link(report.document_id, None, LinkMethod.AMBIGUOUS, tuple(s.study_uid for s in candidates),
                    " ".join([*notes, f"{len(candidates)} studies fit the report's date and modality; choose one."]))
    when = "the same day" if best == 0 else "one day apart (an overnight exam?)"
    detail = (f"Same modality ({family}), {when}." if family
              else f"The report's modality is unknown: linked by date alone, {when}.")
    return _linked(report, candidates[0], LinkMethod.DATE_MODALITY, " ".join([*notes, detail]))


def _linked(report: ReportInfo, study: Study, method: LinkMethod, detail: str) -> Link:
    report_day, study_day = _day(report.date), _day(study.date)
    if report_day is not None and study_day is not None and report_day < study_day:
        detail += " The report is dated before its study."
    return Link(report.document_id, study.study_uid, method, (study.study_uid,), detail)


def link_reports(reports: Sequence[ReportInfo], studies: Sequence[Study]) -> list[Link]:
    """Link each imaging report to the study it reports on.

    Parameters
    ----------
    reports
        The case's imaging reports.
    studies
        The case's studies.

    Returns
    -------
    list of Link
        One per report, in order.

    Notes
    -----
    1. Accession number (:func:`normalise_accession`): one study with it is the link. Several
       (one order, several studies) are told apart by date and modality, else ambiguous.
    2. Otherwise date and modality: studies of the report's modality family (CR and DX are
       one; an unknown modality matches any) on the report's day, else one day before or after
       (an exam just before midnight, a report signed the next morning). Studies the same
       distance away that the report's body region tells apart are decided by it.
    3. Several studies still fit: ``"ambiguous"``, all listed. None fits: ``"none"``.

    A report dated before its study is still linked; ``detail`` says so, and the checklist's
    date checks flag it.
    """
    return [_link_one(report, studies) for report in reports]


def _prior_window(date: str) -> tuple[_dt.date, _dt.date] | None:
    """The days a prior's written date can mean: ±3 days, or the whole month or year written."""
    day = _day(date)
    if day is not None:
        return day - _dt.timedelta(days=PRIOR_DAYS), day + _dt.timedelta(days=PRIOR_DAYS)
    m = re.fullmatch(r"\s*(\d{4})(?:-(\d{2}))?\s*", date)
    if m is None:
        return None
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return None
        last = (_dt.date(year + month // 12, month % 12 + 1, 1) - _dt.timedelta(days=1))
        return _dt.date(year, month, 1), last
    return _dt.date(year, 1, 1), _dt.date(year, 12, 31)


def match_prior(prior: PriorReference, studies: Sequence[Study], *, exclude: Collection[str] = ()) -> Study | None:
    """The study in the case that is a report's COMPARISON prior, or None when it is missing.

    Parameters
    ----------
    prior
        A prior from :func:`bundler.reportlang.find_priors`.
    studies
        The case's studies.
    exclude
        Study UIDs that cannot be the prior: the report's own study, so that "prior CT" does
        not find the current CT.

    Returns
    -------
    Study or None
        A study of the prior's modality family (when it names one) dated within
        :data:`PRIOR_DAYS` days of the prior's date (within the month or year when only that is
        written; any date when none is), whose description or body part names the prior's
        region when both say one. A study that says no region is not rejected for it, but one
        that names the region is preferred; then the closest date, then (undated prior) the
        most recent study; ties break on the study UID so the answer is stable.
    """
    family = _family(prior.modality)
    wanted_regions = canonical_regions(prior.region) if prior.region else frozenset()
    target = _day(prior.date)
    window = _prior_window(prior.date) if prior.date else None
    if prior.date and window is None:
        return None  # a date we cannot read: we cannot say the case holds it
    ranked: list[tuple[int, int, str, Study]] = []
    for study in studies:
        if study.study_uid in exclude:
            continue
        if family and family not in _study_families(study):
            continue
        study_day = _day(study.date)
        if window is not None and (study_day is None or not window[0] <= study_day <= window[1]):
            continue
        region_rank = 1
        if wanted_regions:
            have = _study_regions(study)
            if have and not (have & wanted_regions):
                continue
            region_rank = 0 if have else 1
        if target is not None and study_day is not None:
            closeness = abs((study_day - target).days)
        elif study_day is not None:
            closeness = -study_day.toordinal()  # undated prior: the most recent first
        else:
            closeness = 1 << 30
        ranked.append((region_rank, closeness, study.study_uid, study))
    if not ranked:
        return None
    return min(ranked, key=lambda r: r[:3])[3]
