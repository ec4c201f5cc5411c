"""What the checklist rules look at, gathered once per check: records, links, conditions.

Reading a case (studies, documents, their contents, the intake) and linking reports to
studies is the costly part of a check; every rule then works on this one plain snapshot.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bundler.checklist.profiles import Condition, conditions
from bundler.identity import check_identity, claims_from_case
from bundler.intake import load_intake
from bundler.linking import Link, LinkMethod, study_exam
from bundler.model import (
    DicomObjectKind,
    Document,
    DocumentKind,
    IdentityReport,
    Intake,
    MissingReference,
    ParsedDocument,
    Study,
)
from bundler.overview import report_links
from bundler.store import CaseStore

__all__ = ["CaseFacts", "ConditionHit", "facts_from", "find_condition", "gather_facts"]

# Series that are not the exam itself (PS3.3 C.7.3.1.1.1): reports, key images, states.
_NOT_ACQUISITION = frozenset({"SR", "KO", "PR", "DOC", "REG", "SEG", "RTSTRUCT", "AU", ""})
_REPORT_KINDS = frozenset({DicomObjectKind.STRUCTURED_REPORT, DicomObjectKind.ENCAPSULATED_PDF,
                           DicomObjectKind.ENCAPSULATED_DOCUMENT})


@dataclass(frozen=True, slots=True)
class ConditionHit:
    """Why a condition holds: the record and the words (or the document kind) that say so."""

    condition: str
    ref: str  # "document:<id>" or "intake:<field>"
    word: str  # the words as matched, lower case; "" when a document kind decided


@dataclass(frozen=True)
class CaseFacts:
    studies: tuple[Study, ...]
    documents: tuple[Document, ...]
    contents: Mapping[str, ParsedDocument]
    intake: Intake
    identity: IdentityReport
    links: Mapping[str, Link]  # radiology report document id → its link
    media_counts: Mapping[str, int]  # series UID → instances the imported DICOMDIRs list
    missing_from_media: tuple[MissingReference, ...]
    today: _dt.date
    hits: Mapping[str, tuple[ConditionHit, ...]] = field(default_factory=dict)
    acquisition_studies: tuple[Study, ...] = ()  # studies that hold an exam's images
    lang: str = "en"  # the language of what the rules write ("en" or "es")


    def documents_of(self, *kinds: str) -> list[Document]:
        return [d for d in self.documents if d.kind in kinds]

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    def reports_of(self, study: Study) -> list[Document]:
        """The study's reports: linked radiology reports, and reports carried inside the study."""
        uids = {i.sop_instance_uid for se in study.series for i in se.instances if i.kind in _REPORT_KINDS}
        out = []
        for d in self.documents:
            link = self.links.get(d.id)
            linked = link is not None and (link.study_uid == study.study_uid
                                           or (link.method is LinkMethod.AMBIGUOUS and study.study_uid in link.candidates))
            inside = d.from_dicom_sop_instance_uid in uids and d.kind in (DocumentKind.RADIOLOGY_REPORT,
                                                                         DocumentKind.OTHER)
            if linked or inside:
                out.append(d)
        return out

    def holds(self, condition: str) -> bool:
        return bool(self.hits.get(condition))


def _acquisition(studies: Iterable[Study]) -> tuple[Study, ...]:
    """Studies that hold an exam's images (not only a report or a key-image note)."""
    return tuple(s for s in studies if any(se.modality.upper() not in _NOT_ACQUISITION
                                           and any(i.kind is DicomObjectKind.IMAGE for i in se.instances)
                                           for se in s.series))


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _fold(text: str) -> str:
    """Case and accents ignored ("Cáncer" → "cancer"); letters of other scripts kept."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


# A condition's words do not count when the sentence before them negates them or speaks of a
# possibility or a plan: "no evidence of malignancy", "recommend lobectomy", "candidate for
# surgery". Suspicion counts ("suspicious for malignancy", "possible lymphoma").
_CUES = re.compile(
    r"\b(?:no|not|without|negative for|free of|denies|denied|ruled out|rule out|absence of|"
    r"recommend\w*|consider\w*|candidate\w*|referr\w*|refer|planned|plan|scheduled|discuss\w*|option\w*|"
    r"would|if|may need|to undergo|sin|niega|negativo para|negativa para|recomiend\w*|program\w*|"
    r"valorar|considerar)\b"
)
_SENTENCE_END = re.compile(r"[.;!?\n]\s|\n")


@lru_cache(maxsize=32)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        stem = t.endswith("*")
        words = _fold(t.rstrip("*")).split()
        body = r"[\s\-]+".join(re.escape(w) for w in words)
        parts.append(body + (r"\w*" if stem else r"(?!\w)"))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


def _affirmed(folded: str, start: int) -> bool:
    lo = max(0, start - 120)
    window = folded[lo:start]
    ends = list(_SENTENCE_END.finditer(window))
    if ends:
        window = window[ends[-1].end():]
    return _CUES.search(window) is None


def find_condition(cond: Condition, text: str) -> str:
    """The first affirmed words of ``cond`` in ``text`` ("" when none)."""
    return _find_folded(cond, _fold(text)) if cond.terms and text else ""


def _find_folded(cond: Condition, folded: str) -> str:
    for m in _pattern(cond.terms).finditer(folded):
        if _affirmed(folded, m.start()):
            return m.group(0)
    return ""


def _condition_hits(documents: Sequence[Document], contents: Mapping[str, ParsedDocument],
                    intake: Intake) -> dict[str, tuple[ConditionHit, ...]]:
    conds = list(conditions().values())
    hits: dict[str, list[ConditionHit]] = {c.id: [] for c in conds}
    for d in documents:
        ref = f"document:{d.id}"
        p = contents.get(d.id)
        folded: tuple[str, str] | None = None  # folded once per document, searched per condition
        for cond in conds:
            if d.kind in cond.kinds:
                hits[cond.id].append(ConditionHit(cond.id, ref, ""))
                continue
            if p is None or not cond.terms:
                continue
            if folded is None:
                structured = " . ".join([*(pr.name for pr in p.procedures), *(pb.name for pb in p.problems),
                                         *(f"{e.type} admission" for e in p.encounters
                                           if "inpatient" in e.type.lower())])
                folded = (_fold(structured), _fold(p.text))
            word = _find_folded(cond, folded[0]) or _find_folded(cond, folded[1])
            if word:
                hits[cond.id].append(ConditionHit(cond.id, ref, word))
    for cond in conds:
        for name in cond.intake:
            value = getattr(intake, name, "")
            word = find_condition(cond, value) if isinstance(value, str) else ""
            if word:
                hits[cond.id].append(ConditionHit(cond.id, f"intake:{name}", word))
    return {k: tuple(v) for k, v in hits.items()}


def _structural_hits(studies: Sequence[Study], acquisition: Sequence[Study], documents: Sequence[Document],
                     contents: Mapping[str, ParsedDocument]) -> dict[str, tuple[ConditionHit, ...]]:
    reports = [d for d in documents if d.kind == DocumentKind.RADIOLOGY_REPORT]
    comparisons = [d for d in reports if (p := contents.get(d.id)) is not None and p.priors]
    same_region: list[ConditionHit] = []
    seen: dict[tuple[str, str], str] = {}
    for s in acquisition:
        families, regions = study_exam(s)
        for fam in families:
            for region in regions:
                key = (fam, region)
                if key in seen:
                    same_region += [ConditionHit("same_region_studies", f"study:{seen[key]}", region),
                                    ConditionHit("same_region_studies", f"study:{s.study_uid}", region)]
                seen.setdefault(key, s.study_uid)
    return {
        "imaging_study": tuple(ConditionHit("imaging_study", f"study:{s.study_uid}", "") for s in acquisition),
        "imaging_report": tuple(ConditionHit("imaging_report", f"document:{d.id}", "") for d in reports),
        "comparison_mentioned": tuple(ConditionHit("comparison_mentioned", f"document:{d.id}", "")
                                      for d in comparisons),
        "same_region_studies": tuple(dict.fromkeys(same_region)),
    }


def facts_from(
    studies: Iterable[Study],
    documents: Iterable[Document],
    contents: Mapping[str, ParsedDocument],
    *,
    intake: Intake | None = None,
    media_counts: Mapping[str, int] | None = None,
    missing_from_media: Iterable[MissingReference] = (),
    today: _dt.date | None = None,
) -> CaseFacts:
    """The facts of plain records (tests build cases this way, without a store)."""
    studies, documents = tuple(studies), tuple(documents)
    intake = intake or Intake()
    acquisition = _acquisition(studies)
    hits = _structural_hits(studies, acquisition, documents, contents)
    hits.update(_condition_hits(documents, contents, intake))
    return CaseFacts(
        studies=studies, documents=documents, contents=contents, intake=intake,
        identity=check_identity(claims_from_case(studies, documents, intake)),
        links=report_links(studies, documents, contents), media_counts=dict(media_counts or {}),
        missing_from_media=tuple(missing_from_media), today=today or _dt.date.today(), hits=hits,
        acquisition_studies=acquisition,
    )


def gather_facts(store: CaseStore, *, today: _dt.date | None = None) -> CaseFacts:
    """Everything a check needs from a case, read once."""
    return facts_from(store.studies(), store.documents(), store.document_contents(), intake=load_intake(store),
                      media_counts=store.media_index_counts(), missing_from_media=store.missing_references(),
                      today=today)
