"""A case as plain JSON-ready data: what ``show --json`` prints and scripts rely on."""

from __future__ import annotations

from typing import Any

from bundler.model import Document, LogRow, Study
from bundler.store import CaseStore

__all__ = ["describe_case", "document_json", "log_json", "study_json"]


def describe_case(store: CaseStore) -> dict[str, Any]:
    """Patients, studies (with series) and documents; a contract: add fields, never rename."""
    missing = store.missing_references()
    return {
        "patients": [
            {"name": p.name, "id": p.id, "birth_date": p.birth_date, "sex": p.sex} for p in store.patients()
        ],
        "studies": [study_json(s) for s in store.studies()],
        "documents": [document_json(d) for d in store.documents()],
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


def document_json(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "kind_confidence": d.kind_confidence,
        "date": d.date,
        "title": d.title,
        "source": d.source,
        "linked_study_uid": d.linked_study_uid,
        "pages": d.pages,
        "media_type": d.media_type,
        "sha256": d.sha256,
    }


def log_json(rows: tuple[LogRow, ...]) -> list[dict[str, Any]]:
    return [
        {"source": r.source, "status": str(r.status), "reason": str(r.reason), "detail": r.detail,
         "sha256": r.sha256, "run_id": r.run_id}
        for r in rows
    ]
