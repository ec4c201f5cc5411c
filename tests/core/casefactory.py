"""Small builders of plain records for tests of the timeline and the checklist.

They make the same model objects the store returns, so a rule can be tested on a case that
would take a special disc to produce (screenshots only, a header promising more images...).
Tests that need real files use the demo generator and ../shared/data instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bundler.model import (
    DicomObjectKind,
    Document,
    DocumentKind,
    Instance,
    ParsedDocument,
    Patient,
    PersonIdentity,
    Series,
    Study,
)

PATIENT = Patient("DOE^JANE", "MRN001", "19600101", "F")
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
_ids = itertools.count(1)


def study(
    *,
    date: str = "20260303",
    description: str = "CT CHEST WITH CONTRAST",
    modality: str = "CT",
    accession: str = "",
    institution: str = "Riverside Imaging",
    images: int = 5,
    numbers: Sequence[int] | None = None,
    patient: Patient = PATIENT,
    sop_class: str = CT_IMAGE,
    lossy: bool = False,
    promised: int | None = None,
    body_part: str = "",
) -> Study:
    n = next(_ids)
    study_uid, series_uid = f"1.2.3.{n}", f"1.2.3.{n}.1"
    instances = tuple(
        Instance(
            sop_instance_uid=f"{series_uid}.{k}", sop_class_uid=sop_class, sha256=f"{n:032d}{k:032d}", size=1000,
            study_uid=study_uid, series_uid=series_uid, patient=patient, study_date=date, accession=accession,
            institution=institution, modality=modality, body_part=body_part, series_number=1, instance_number=k,
            lossy=lossy, kind=DicomObjectKind.IMAGE, promised_count=promised, study_description=description,
        )
        for k in (numbers if numbers is not None else range(1, images + 1))
    )
    series = Series(series_uid, modality, "AXIAL", 1, body_part, instances)
    return Study(study_uid, date, "", description, accession, "", institution, patient, (series,))


def document(
    kind: DocumentKind,
    text: str = "",
    *,
    date: str = "2026-03-04",
    title: str = "",
    facility: str = "Riverside Imaging",
    accession: str = "",
    patient: PersonIdentity | None = None,
    **content: object,
) -> tuple[Document, ParsedDocument]:
    """A document and what it says (``content``: ParsedDocument fields such as ``priors``)."""
    doc_id = f"doc{next(_ids):04d}"
    who = patient or PersonIdentity()
    d = Document(id=doc_id, sha256=doc_id * 4, size=100, media_type="application/pdf",
                 title=title or kind.value.replace("_", " ").upper(), source=f"/media/{doc_id}.pdf", kind=kind,
                 date=date, facility=facility, accession=accession, patient=who)
    p = ParsedDocument(media_type="application/pdf", title=d.title, kind=kind, date=date, facility=facility,
                       text=text, accession=accession, patient=who, **content)  # type: ignore[arg-type]
    return d, p
