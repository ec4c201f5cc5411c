"""A case as plain JSON-ready data: what ``show --json`` prints and scripts rely on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bundler.linking import Link, ReportInfo, link_reports
from bundler.model import Document, DocumentKind, LogRow, ParsedDocument, Study
from bundler.store import CaseStore

__all__ = ["describe_case", "document_json", "log_json", "study_json"]


def describe_case(store: CaseStore) -> dict[str, Any]:
    """Patients, studies (with series) and documents; a contract: add fields, never rename."""
    missing = store.missing_references()
    studies = store.studies()
    documents = store.documents()
    links = report_links(studies, documents, store.document_contents())
    return {
        "patients": [
            {"name": p.name, "id": p.id, "birth_date": p.birth_date, "sex": p.sex} for p in store.patients()
        ],
        "studies": [study_json(s) for s in studies],
        "documents": [document_json(d, links.get(d.id)) for d in documents],
        "missing_from_media": [
            {"dicomdir": m.dicomdir, "path": m.referenced_path, "reason": m.reason,
             "sop_instance_uid": m.sop_instance_uid, "series_uid": m.series_uid}
            for m in missing
        ],
    }


def study_json(s: Study) -> dict[str, Any]:
    return {
        "study_uid": s.study_uid,
        "date": s.date,
        "time": s.time,
        "description": s.description,
        "accession": s.accession,
        "modalities": list(s.modalities),
        "institution": s.institution,
        "referring_physician": s.referring_physician,
        "patient": {"name": s.patient.name, "id": s.patient.id, "birth_date": s.patient.birth_date},
        "instances": s.instance_count,
        "series": [
            {
                "series_uid": se.series_uid,
                "modality": se.modality,
                "description": se.description,
                "number": se.number,
                "body_part": se.body_part,
                "instances": len(se.instances),
                "kinds": sorted({str(i.kind) for i in se.instances}),
                "lossy": any(i.lossy for i in se.instances),
                "uid_conflicts": sum(1 for i in se.instances if i.uid_conflict),
            }
            for se in s.series
        ],
    }


def report_links(studies: Sequence[Study], documents: Sequence[Document],
                 contents: Mapping[str, ParsedDocument]) -> dict[str, Link]:
    """Each imaging report's study: by accession, else date and modality; ambiguity kept visible."""
    reports = []
    for d in documents:
        if d.kind != DocumentKind.RADIOLOGY_REPORT:
            continue
        content = contents.get(d.id)
        reports.append(ReportInfo(
            document_id=d.id, accession=d.accession, date=d.date, modality=d.modality,
            region=(), text=content.text if content else ""))
    return {link.document_id: link for link in link_reports(reports, studies)}


def document_json(d: Document, link: Link | None = None) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "kind_confidence": d.kind_confidence,
        "kind_evidence": d.kind_evidence,
        "kind_overridden": d.kind_overridden,
        "date": d.date,
        "title": d.title,
        "source": d.source,
        "linked_study_uid": link.study_uid if link else d.linked_study_uid,
        "link_method": link.method if link else None,
        "link_candidates": list(link.candidates) if link else [],
        "pages": d.pages,
        "media_type": d.media_type,
        "sha256": d.sha256,
        "facility": d.facility,
        "accession": d.accession,
        "needs_label": d.needs_label,
        "password_protected": d.password_protected,
        "from_dicom_sop_instance_uid": d.from_dicom_sop_instance_uid,
        "embedded_in": d.parent_id,
        "patient": {"name": d.patient.name, "birth_date": d.patient.birth_date, "id": d.patient.id},
    }


def log_json(rows: tuple[LogRow, ...]) -> list[dict[str, Any]]:
    return [
        {"source": r.source, "status": str(r.status), "reason": str(r.reason), "detail": r.detail,
         "sha256": r.sha256, "run_id": r.run_id}
        for r in rows
    ]
