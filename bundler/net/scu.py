"""Talk to a PACS: verify (C-ECHO), query (C-FIND), retrieve (C-GET / C-MOVE), send (C-STORE).

Plain synchronous operations with keyword-only options, a progress callback and a cancel
token, like every other core operation. Failures are :class:`~bundler.net.ae.NetworkError`
with a plain message; a cancel is :class:`~bundler.errors.Cancelled`.

Retrieval writes what arrives into a private folder inside the case and imports it through
the ordinary pipeline (one import run per retrieve); a cancelled retrieve leaves the case as
it was. Sending reads the case's copies and never changes them: reconciliation
(:mod:`bundler.net.reconcile`) works on a copy, instance by instance, while sending.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydicom
import pydicom.errors
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian
from pynetdicom import _config as pynetdicom_config
from pynetdicom import build_role, evt, sop_class
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.status import code_to_category

from bundler.errors import Cancelled, UsageError
from bundler.ingest.report import ImportReport
from bundler.model import Instance
from bundler.net.ae import (
    ACCEPTED_SYNTAXES,
    DEFAULT_AE_TITLE,
    UNCOMPRESSED_SYNTAXES,
    AllowEntry,
    NetworkError,
    Node,
    Timeouts,
    associate,
    make_ae,
    server_ssl_context,
    storage_context_groups,
)
from bundler.net import fastsend
from bundler.net.reconcile import LocalPatient, reconcile
from bundler.net.scp import ReceivedFiles, Receiver, Status
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.store import CaseStore

__all__ = [
    "EchoResult",
    "InstanceOutcome",
    "InstanceResult",
    "PatientMatch",
    "PatientQuery",
    "RetrieveMethod",
    "RetrieveReport",
    "SendReport",
    "StudyMatch",
    "StudyQuery",
    "echo",
    "find_patients",
    "find_studies",
    "lookup_local_patient",
    "retrieve",
    "send",
]

log = logging.getLogger(__name__)

# Send a stored file's bytes as they are (no decode and re-encode): the PS3.10 header tells
# pynetdicom the transfer syntax, and it streams the rest in PDU-sized chunks.
pynetdicom_config.STORE_SEND_CHUNKED_DATASET = True

_VERIFICATION = "1.2.840.10008.1.1"
_PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
_STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
_STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
_STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
_PENDING = (0xFF00, 0xFF01)


# ---------------------------------------------------------------------------------- C-ECHO


@dataclass(frozen=True, slots=True)
class EchoResult:
    node: str
    round_trip_ms: float
    tls: bool

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "ok": True, "round_trip_ms": round(self.round_trip_ms, 1), "tls": self.tls}


def echo(node: Node, *, ae_title: str = DEFAULT_AE_TITLE, timeouts: Timeouts = Timeouts()) -> EchoResult:
    """Verify that ``node`` answers (C-ECHO, PS3.4 Annex A); raise :class:`NetworkError` if not."""
    ae = make_ae(ae_title, timeouts)
    started = time.monotonic()
    assoc = associate(ae, node, contexts=[build_context(_VERIFICATION)])
    try:
        status = assoc.send_c_echo()
        _check_response(node, assoc, status)
        if status.Status != 0x0000:
            raise NetworkError(f"{node.label} answered the check with an error (status 0x{status.Status:04X}).",
                               code="net_failed")
    finally:
        _close(assoc)
    return EchoResult(node.label, (time.monotonic() - started) * 1000.0, node.tls)


# ---------------------------------------------------------------------------------- C-FIND


@dataclass(frozen=True, slots=True)
class PatientQuery:
    """Patient-level keys; empty ones match anything. ``*`` and ``?`` are wildcards (PS3.4 C.2.2.2.4)."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""


@dataclass(frozen=True, slots=True)
class StudyQuery:
    """Study-level keys; ``date`` is ``YYYYMMDD``, ``YYYYMMDD-YYYYMMDD``, ``YYYYMMDD-`` or
    ``-YYYYMMDD`` (range matching, PS3.4 C.2.2.2.5); ``study_uids`` matches a list of UIDs."""

    name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    date: str = ""
    modality: str = ""
    accession: str = ""
    study_uids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_date(self.birth_date, ranges=False)
        _check_date(self.date, ranges=True)


def _check_date(value: str, *, ranges: bool) -> None:
    if not value:
        return
    parts = value.split("-") if ranges else [value]
    if len(parts) > 2 or not any(parts) or any(p and not (len(p) == 8 and p.isdigit()) for p in parts):
        raise UsageError("Write dates as YYYYMMDD (and a range as YYYYMMDD-YYYYMMDD).", code="bad_date")


@dataclass(frozen=True, slots=True)
class PatientMatch:
    patient_id: str
    issuer: str
    name: str
    birth_date: str
    sex: str
    studies: int | None

    def to_json(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "issuer": self.issuer, "name": self.name,
                "birth_date": self.birth_date, "sex": self.sex, "studies": self.studies}


@dataclass(frozen=True, slots=True)
class StudyMatch:
    study_uid: str
    date: str
    time: str
    description: str
    modalities: tuple[str, ...]
    accession: str
    instances: int | None
    series: int | None
    patient_name: str
    patient_id: str
    birth_date: str
    sex: str
    sop_classes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``pacs find --json`` study object (a contract: add fields, never rename)."""
        return {
            "study_uid": self.study_uid, "date": self.date, "time": self.time,
            "description": self.description, "modalities": list(self.modalities),
            "accession": self.accession, "instances": self.instances, "series": self.series,
            "patient": {"name": self.patient_name, "id": self.patient_id, "birth_date": self.birth_date,
                        "sex": self.sex},
        }


def find_patients(node: Node, query: PatientQuery, *, ae_title: str = DEFAULT_AE_TITLE,
                  timeouts: Timeouts = Timeouts(), limit: int = 500,
                  cancel: CancelToken = NEVER) -> tuple[PatientMatch, ...]:
    """Patient-level C-FIND (Patient Root). At most ``limit`` matches (then C-CANCEL)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientName = query.name
    ds.PatientID = query.patient_id
    ds.IssuerOfPatientID = ""
    ds.PatientBirthDate = query.birth_date
    ds.PatientSex = ""
    ds.NumberOfPatientRelatedStudies = ""
    _charset(ds, (query.name, query.patient_id))
    out = []
    for r in _find(node, ds, _PATIENT_ROOT_FIND, ae_title=ae_title, timeouts=timeouts, limit=limit,
                   cancel=cancel):
        out.append(PatientMatch(_s(r, "PatientID"), _s(r, "IssuerOfPatientID"), _s(r, "PatientName"),
                                _s(r, "PatientBirthDate"), _s(r, "PatientSex"),
                                _i(r, "NumberOfPatientRelatedStudies")))
    return tuple(out)


def find_studies(node: Node, query: StudyQuery, *, ae_title: str = DEFAULT_AE_TITLE,
                 timeouts: Timeouts = Timeouts(), limit: int = 500,
                 cancel: CancelToken = NEVER) -> tuple[StudyMatch, ...]:
    """Study-level C-FIND (Study Root), newest first. At most ``limit`` matches (then C-CANCEL)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = query.name
    ds.PatientID = query.patient_id
    ds.PatientBirthDate = query.birth_date
    ds.PatientSex = ""
    ds.StudyDate = query.date
    ds.StudyTime = ""
    ds.AccessionNumber = query.accession
    ds.ModalitiesInStudy = query.modality
    ds.StudyDescription = ""
    ds.StudyInstanceUID = list(query.study_uids) if len(query.study_uids) > 1 else "".join(query.study_uids)
    ds.NumberOfStudyRelatedSeries = ""
    ds.NumberOfStudyRelatedInstances = ""
    ds.SOPClassesInStudy = ""
    _charset(ds, (query.name, query.patient_id, query.accession))
    out = []
    for r in _find(node, ds, _STUDY_ROOT_FIND, ae_title=ae_title, timeouts=timeouts, limit=limit,
                   cancel=cancel):
        out.append(StudyMatch(
            study_uid=_s(r, "StudyInstanceUID"), date=_s(r, "StudyDate"), time=_s(r, "StudyTime"),
            description=_s(r, "StudyDescription"), modalities=_multi(r, "ModalitiesInStudy"),
            accession=_s(r, "AccessionNumber"), instances=_i(r, "NumberOfStudyRelatedInstances"),
            series=_i(r, "NumberOfStudyRelatedSeries"), patient_name=_s(r, "PatientName"),
            patient_id=_s(r, "PatientID"), birth_date=_s(r, "PatientBirthDate"), sex=_s(r, "PatientSex"),
            sop_classes=_multi(r, "SOPClassesInStudy"),
        ))
    out.sort(key=lambda m: (m.date, m.time), reverse=True)
    return tuple(out)


def lookup_local_patient(node: Node, patient_id: str, *, issuer: str = "",
                         ae_title: str = DEFAULT_AE_TITLE, timeouts: Timeouts = Timeouts()) -> LocalPatient:
    """The local identity for reconciliation, picked from the node's patient-level C-FIND.

    Exactly one patient must match ``patient_id`` (and ``issuer`` when given).
    """
    if not patient_id or "*" in patient_id or "?" in patient_id:
        raise UsageError("Give the exact local patient ID to look up (no wildcards).", code="bad_local_patient")
    matches = [m for m in find_patients(node, PatientQuery(patient_id=patient_id), ae_title=ae_title,
                                        timeouts=timeouts)
               if m.patient_id == patient_id and (not issuer or not m.issuer or m.issuer == issuer)]
    if not matches:
        raise UsageError(f"{node.label} has no patient with that ID.", code="local_patient_not_found")
    if len(matches) > 1:
        raise UsageError(f"{node.label} has more than one patient with that ID; give the issuer too.",
                         code="local_patient_ambiguous")
    m = matches[0]
    return LocalPatient(patient_id=m.patient_id, issuer=issuer or m.issuer, name=m.name,
                        birth_date=m.birth_date, sex=m.sex if m.sex in ("M", "F", "O") else "")


def _find(node: Node, ds: Dataset, model: str, *, ae_title: str, timeouts: Timeouts, limit: int,
          cancel: CancelToken) -> Iterator[Dataset]:
    ae = make_ae(ae_title, timeouts)
    assoc = associate(ae, node, contexts=[build_context(model, list(UNCOMPRESSED_SYNTAXES[:2]))])
    count = 0
    try:
        responses = assoc.send_c_find(ds, model)
        for status, identifier in responses:
            _check_response(node, assoc, status)
            code = int(status.Status)
            if code in _PENDING:
                if identifier is not None:
                    count += 1
                    yield identifier
                if cancel.cancelled or count >= limit:
                    assoc.send_c_cancel(1, query_model=model)
                    _drain(responses)
                    if cancel.cancelled:
                        raise Cancelled()
                    log.info("C-FIND stopped after %d matches", count)
                    return
            elif code == 0x0000 or code == 0xFE00:
                return
            else:
                raise _dimse_failure(node, "search", code)
    finally:
        _close(assoc)


def _drain(responses: Iterator[Any]) -> None:
    for status, _identifier in responses:
        if not status or int(status.Status) not in _PENDING:
            return


# ------------------------------------------------------------------------------- retrieve


class RetrieveMethod(StrEnum):
    GET = "get"
    MOVE = "move"


@dataclass
class RetrieveReport:
    """What a retrieve asked for, what the node sent, and what the import did with it."""

    node: str
    method: RetrieveMethod
    studies: tuple[str, ...]
    completed: int = 0
    failed: int = 0
    warning: int = 0
    received: int = 0
    refused: int = 0
    final_status: int = 0x0000
    imports: list[ImportReport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(r.imported for r in self.imports)

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node, "method": str(self.method), "studies": list(self.studies),
            "completed": self.completed, "failed": self.failed, "warning": self.warning,
            "received": self.received, "refused": self.refused,
            "status": f"0x{self.final_status:04X}",
            "imported": self.imported,
            "duplicates": sum(r.duplicates for r in self.imports),
            "import_failed": sum(r.failed for r in self.imports),
            "import_runs": [r.run_id for r in self.imports],
        }


# Storage SOP classes proposed for C-GET when the node does not list the classes in a study
# (SOP Classes in Study (0008,0062) is an optional return key).
_COMMON_STORAGE = (
    "CTImageStorage", "EnhancedCTImageStorage", "LegacyConvertedEnhancedCTImageStorage",
    "MRImageStorage", "EnhancedMRImageStorage", "LegacyConvertedEnhancedMRImageStorage",
    "EnhancedMRColorImageStorage", "MRSpectroscopyStorage",
    "ComputedRadiographyImageStorage", "DigitalXRayImageStorageForPresentation",
    "DigitalXRayImageStorageForProcessing", "DigitalMammographyXRayImageStorageForPresentation",
    "DigitalMammographyXRayImageStorageForProcessing", "BreastTomosynthesisImageStorage",
    "DigitalIntraOralXRayImageStorageForPresentation", "UltrasoundImageStorage",
    "UltrasoundMultiFrameImageStorage", "EnhancedUSVolumeStorage", "SecondaryCaptureImageStorage",
    "MultiFrameSingleBitSecondaryCaptureImageStorage", "MultiFrameGrayscaleByteSecondaryCaptureImageStorage",
    "MultiFrameGrayscaleWordSecondaryCaptureImageStorage", "MultiFrameTrueColorSecondaryCaptureImageStorage",
    "NuclearMedicineImageStorage", "PositronEmissionTomographyImageStorage", "EnhancedPETImageStorage",
    "LegacyConvertedEnhancedPETImageStorage", "XRayAngiographicImageStorage", "EnhancedXAImageStorage",
    "XRayRadiofluoroscopicImageStorage", "EnhancedXRFImageStorage", "XRay3DAngiographicImageStorage",
    "XRay3DCraniofacialImageStorage", "RTImageStorage", "RTDoseStorage", "RTStructureSetStorage",
    "RTPlanStorage", "RTIonPlanStorage", "RTBeamsTreatmentRecordStorage", "BasicTextSRStorage",
    "EnhancedSRStorage", "ComprehensiveSRStorage", "Comprehensive3DSRStorage",
    "XRayRadiationDoseSRStorage", "KeyObjectSelectionDocumentStorage", "MammographyCADSRStorage",
    "ChestCADSRStorage", "EncapsulatedPDFStorage", "EncapsulatedCDAStorage",
    "GrayscaleSoftcopyPresentationStateStorage", "ColorSoftcopyPresentationStateStorage",
    "SegmentationStorage", "SpatialRegistrationStorage", "DeformableSpatialRegistrationStorage",
    "VLPhotographicImageStorage", "VLEndoscopicImageStorage", "VLMicroscopicImageStorage",
    "VLSlideCoordinatesMicroscopicImageStorage", "VLWholeSlideMicroscopyImageStorage",
    "VideoEndoscopicImageStorage", "VideoPhotographicImageStorage", "VideoMicroscopicImageStorage",
    "OphthalmicPhotography8BitImageStorage", "OphthalmicPhotography16BitImageStorage",
    "OphthalmicTomographyImageStorage", "ParametricMapStorage", "RawDataStorage",
    "TwelveLeadECGWaveformStorage", "GeneralECGWaveformStorage", "BasicVoiceAudioWaveformStorage",
)


def _common_storage_uids() -> list[str]:
    return [str(getattr(sop_class, name)) for name in _COMMON_STORAGE if hasattr(sop_class, name)]


def retrieve(
    store: CaseStore,
    node: Node,
    study_uids: Sequence[str],
    *,
    method: RetrieveMethod | str = RetrieveMethod.GET,
    ae_title: str = DEFAULT_AE_TITLE,
    move_port: int | None = None,
    listen_host: str = "0.0.0.0",
    on_listening: Callable[[int], None] | None = None,
    timeouts: Timeouts = Timeouts(),
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> RetrieveReport:
    """Retrieve whole studies from ``node`` into the case.

    ``method="get"`` (C-GET): the node sends the images back on our own association. ``"move"``
    (C-MOVE): the node opens a new association to *our* storage SCP, which listens on
    ``move_port`` as ``ae_title`` for the duration (the node must know that AE title, host and
    port; ``on_listening(port)`` is called once it listens); only the node itself may send to
    it. Over TLS, C-MOVE needs our own certificate (``node.tls_cert``/``tls_key``) for that SCP.

    What arrives is imported in one run. A cancel (or an error before the import) leaves the
    case as it was.
    """
    method = RetrieveMethod(method)
    uids = tuple(dict.fromkeys(u.strip() for u in study_uids if u.strip()))
    if not uids:
        raise UsageError("Choose at least one study to retrieve.", code="no_studies")
    report = RetrieveReport(node.label, method, uids)
    if method is RetrieveMethod.GET:
        _retrieve_get(store, node, uids, report, ae_title=ae_title, timeouts=timeouts, progress=progress,
                      cancel=cancel)
    else:
        if move_port is None:
            raise UsageError("C-MOVE needs the port our storage SCP listens on (the one the node knows).",
                             code="no_move_port")
        _retrieve_move(store, node, uids, report, ae_title=ae_title, port=move_port, host=listen_host,
                       on_listening=on_listening, timeouts=timeouts, progress=progress, cancel=cancel)
    log.info("retrieve (%s): %d sub-operations completed, %d failed, %d warnings, %d received",
             method, report.completed, report.failed, report.warning, report.received)
    return report


def _retrieve_get(store: CaseStore, node: Node, uids: tuple[str, ...], report: RetrieveReport, *,
                  ae_title: str, timeouts: Timeouts, progress: Progress, cancel: CancelToken) -> None:
    classes = _sop_classes_in(node, uids, ae_title=ae_title, timeouts=timeouts, cancel=cancel)
    classes = classes[: 127]  # one context is the C-GET model itself (PS3.8: 128 at most)
    contexts = [build_context(_STUDY_ROOT_GET, list(UNCOMPRESSED_SYNTAXES[:2]))] + _get_contexts(classes)
    # PS3.4 C.4.3.1 / PS3.7 D.3.3.4: we act as the Storage SCP on the C-GET association.
    roles = [build_role(c, scp_role=True) for c in classes]
    store.tmp_dir.mkdir(exist_ok=True)
    files = ReceivedFiles(store.tmp_dir, "get")
    refused: list[int] = []

    def on_store(event: Any) -> int:
        try:
            if cancel.cancelled:
                return Status.OUT_OF_RESOURCES
            with files.lock:
                status, reason = files.write(event)
            if status != Status.SUCCESS:
                log.warning("retrieve: refused an instance: %s", reason)
                refused.append(status)
            return status
        except Exception:  # noqa: BLE001 - never raise out of a DIMSE handler
            log.exception("retrieve: unexpected error while storing an instance")
            return Status.OUT_OF_RESOURCES

    try:
        ae = make_ae(ae_title, timeouts)
        assoc = associate(ae, node, contexts=contexts, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
        try:
            for n, study_uid in enumerate(uids, start=1):
                ds = Dataset()
                ds.QueryRetrieveLevel = "STUDY"
                ds.StudyInstanceUID = study_uid
                _run_retrieve(node, assoc, assoc.send_c_get(ds, _STUDY_ROOT_GET, msg_id=n), _STUDY_ROOT_GET, n,
                              report, progress, cancel)
        finally:
            _close(assoc)
        report.received = files.count
        report.refused = len(refused)
        cancel.raise_if_cancelled()
        if files.count:
            report.imports.append(_import_folders(store, [files.folder], progress, cancel))
    finally:
        files.remove()


# Compressed syntaxes proposed in contexts of their own for C-GET, most common first.
_GET_COMPRESSED = (
    "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.203",
)


def _get_contexts(classes: list[str]) -> list[PresentationContext]:
    """Storage contexts for the SCP side of C-GET: per SOP class, the uncompressed syntaxes
    together and, room permitting, each common compressed syntax alone.

    The acceptor picks one syntax per context (PS3.8 §9.3.2.2). Offered all in one context,
    Orthanc picks Explicit VR Little Endian and must then transcode a JPEG 2000 image, which
    it cannot: one context per compressed syntax lets the image come as it is stored.
    """
    per_class = max(1, 127 // max(1, len(classes)))
    contexts = []
    for c in classes:
        if per_class == 1:
            contexts.append(build_context(c, list(ACCEPTED_SYNTAXES)))
            continue
        contexts.append(build_context(c, list(UNCOMPRESSED_SYNTAXES)))
        contexts += [build_context(c, [ts]) for ts in _GET_COMPRESSED[: per_class - 1]]
    return contexts


def _retrieve_move(store: CaseStore, node: Node, uids: tuple[str, ...], report: RetrieveReport, *,
                   ae_title: str, port: int, host: str, on_listening: Callable[[int], None] | None,
                   timeouts: Timeouts, progress: Progress, cancel: CancelToken) -> None:
    ssl_ctx = None
    if node.tls:
        if node.tls_cert is None or node.tls_key is None:
            raise UsageError("C-MOVE over TLS needs our own certificate and key, for the node to connect "
                             "back to us.", code="no_tls_cert")
        ssl_ctx = server_ssl_context(node.tls_cert, node.tls_key, client_ca=node.tls_ca)
    receiver = Receiver(store, ae_title=ae_title, port=port, host=host, allow=[AllowEntry(node.ae_title, node.host)],
                        ssl_context=ssl_ctx, defer_import=True, cancel=cancel)
    receiver.start()
    ok = False
    try:
        if on_listening is not None:
            on_listening(receiver.port)
        ae = make_ae(ae_title, timeouts)
        assoc = associate(ae, node, contexts=[build_context(_STUDY_ROOT_MOVE, list(UNCOMPRESSED_SYNTAXES[:2]))])
        try:
            for n, study_uid in enumerate(uids, start=1):
                ds = Dataset()
                ds.QueryRetrieveLevel = "STUDY"
                ds.StudyInstanceUID = study_uid
                _run_retrieve(node, assoc, assoc.send_c_move(ds, ae_title, _STUDY_ROOT_MOVE, msg_id=n),
                              _STUDY_ROOT_MOVE, n, report, progress, cancel)
        finally:
            _close(assoc)
        cancel.raise_if_cancelled()
        ok = True
    finally:
        # The final C-MOVE response comes after the last sub-operation: what the node sent is
        # here; a store association it keeps open (Orthanc waits a few seconds) can go.
        summary = receiver.stop(import_received=ok, grace=2.0)
    report.received = summary.received
    report.refused = sum(summary.refused.values())
    report.imports.extend(summary.reports)
    if summary.import_errors:
        raise NetworkError("The retrieved images arrived but could not be imported into the case.",
                           code="net_import_failed")


def _run_retrieve(node: Node, assoc: Association, responses: Iterator[tuple[Dataset, Dataset | None]],
                  model: str, msg_id: int, report: RetrieveReport, progress: Progress,
                  cancel: CancelToken) -> None:
    base = (report.completed, report.failed, report.warning)
    cancelled = False
    for status, _identifier in responses:
        _check_response(node, assoc, status)
        code = int(status.Status)
        done = [int(status.get(k, 0) or 0) for k in ("NumberOfCompletedSuboperations",
                                                     "NumberOfFailedSuboperations",
                                                     "NumberOfWarningSuboperations")]
        remaining = int(status.get("NumberOfRemainingSuboperations", 0) or 0)
        report.completed, report.failed, report.warning = (b + d for b, d in zip(base, done))
        if code in _PENDING:
            progress(sum(done), sum(done) + remaining, "Retrieving images")
            if cancel.cancelled and not cancelled:
                cancelled = True
                assoc.send_c_cancel(msg_id, query_model=model)
            continue
        if code == 0xFE00 or cancelled:
            raise Cancelled("The retrieve was cancelled; the case is as it was before.")
        if code_to_category(code) in ("Success", "Warning"):
            return
        if report.completed > base[0]:
            # Some sub-operations worked (PS3.4 C.4.2.1.5): keep those, count the rest failed.
            log.warning("retrieve: the node reported status 0x%04X after %d sub-operation(s)", code,
                        report.completed - base[0])
            report.final_status = code
            return
        raise _dimse_failure(node, "retrieve", code)


def _sop_classes_in(node: Node, uids: tuple[str, ...], *, ae_title: str, timeouts: Timeouts,
                    cancel: CancelToken) -> list[str]:
    """The storage SOP classes of these studies, from the node when it says (else a common list)."""
    found: list[str] = []
    try:
        matches = find_studies(node, StudyQuery(study_uids=uids), ae_title=ae_title, timeouts=timeouts,
                               cancel=cancel)
    except NetworkError:
        matches = ()
    for m in matches:
        if m.study_uid in uids:
            if not m.sop_classes:
                return _common_storage_uids()
            found.extend(c for c in m.sop_classes if c not in found)
    return found or _common_storage_uids()


def _import_folders(store: CaseStore, folders: list[Path], progress: Progress,
                    cancel: CancelToken) -> ImportReport:
    from bundler.ingest.pipeline import import_sources

    return import_sources(folders, store, progress=progress, cancel=cancel)


# --------------------------------------------------------------------------------- C-STORE


class InstanceOutcome(StrEnum):
    SENT = "sent"
    WARNING = "warning"  # stored, with a warning status (e.g. coerced elements, PS3.4 B.2.3)
    FAILED = "failed"
    ALREADY_SENT = "already_sent"  # an earlier send of the same bytes to the same node succeeded
    CONFLICT = "conflict"  # another file with the same SOP Instance UID was sent instead


@dataclass(frozen=True, slots=True)
class InstanceResult:
    sop_instance_uid: str
    study_uid: str
    outcome: InstanceOutcome
    status: int | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"sop_instance_uid": self.sop_instance_uid, "study_uid": self.study_uid,
                "outcome": str(self.outcome),
                "status": None if self.status is None else f"0x{self.status:04X}", "message": self.message}


@dataclass
class SendReport:
    node: str
    reconciled: bool
    results: list[InstanceResult] = field(default_factory=list)
    associations: int = 0
    error: NetworkError | None = None

    def _count(self, *outcomes: InstanceOutcome) -> int:
        return sum(1 for r in self.results if r.outcome in outcomes)

    @property
    def sent(self) -> int:
        return self._count(InstanceOutcome.SENT, InstanceOutcome.WARNING)

    @property
    def failed(self) -> int:
        return self._count(InstanceOutcome.FAILED)

    def to_json(self) -> dict[str, Any]:
        """The ``pacs send --json`` document (a contract: add fields, never rename)."""
        return {
            "node": self.node, "reconciled": self.reconciled, "total": len(self.results),
            "sent": self.sent, "warnings": self._count(InstanceOutcome.WARNING),
            "failed": self.failed, "already_sent": self._count(InstanceOutcome.ALREADY_SENT),
            "conflicts": self._count(InstanceOutcome.CONFLICT), "associations": self.associations,
            "error": None if self.error is None else {"code": self.error.code, "message": self.error.user_message},
            "instances": [r.to_json() for r in self.results],
        }


def send(
    store: CaseStore,
    node: Node,
    *,
    study_uids: Sequence[str] | None = None,
    local: LocalPatient | None = None,
    ae_title: str = DEFAULT_AE_TITLE,
    resume: bool = True,
    max_reconnects: int = 3,
    timeouts: Timeouts = Timeouts(),
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> SendReport:
    """C-STORE the case's instances (or those of ``study_uids``) to ``node``.

    With ``local``, every instance is reconciled on the way (:func:`~bundler.net.reconcile.reconcile`);
    the case's copies are never changed. Each instance gets a result (its DIMSE status). When
    the association drops, a new one continues where the last confirmed instance left off (at
    most ``max_reconnects`` times in a row without progress). With ``resume``, instances an
    earlier send confirmed to this node (same bytes, same reconciliation) are not sent again;
    the record of them lives in the case folder (``net/``).

    Raises :class:`NetworkError` when the first association cannot be opened; later failures
    are in :attr:`SendReport.error` with the instances not sent marked failed.
    """
    instances = list(store.instances())
    if study_uids:
        wanted = set(study_uids)
        instances = [i for i in instances if i.study_uid in wanted]
        missing = wanted - {i.study_uid for i in instances}
        if missing:
            raise UsageError(f"{len(missing)} of the chosen studies are not in this case.", code="no_such_study")
    report = SendReport(node.label, local is not None)
    fingerprint = local.fingerprint() if local is not None else ""
    journal = _Journal(store, node)
    done = journal.load() if resume else set()
    todo: list[Instance] = []
    seen: set[str] = set()
    for inst in instances:
        if inst.sop_instance_uid in seen:
            report.results.append(InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.CONFLICT,
                                                 message="Another file with the same identifier is sent instead."))
            continue
        seen.add(inst.sop_instance_uid)
        if (inst.sop_instance_uid, inst.sha256, fingerprint) in done:
            report.results.append(InstanceResult(inst.sop_instance_uid, inst.study_uid,
                                                 InstanceOutcome.ALREADY_SENT))
        else:
            todo.append(inst)
    total = len(todo)
    sent_count = 0
    message_id = 0
    groups = _send_groups(todo)
    with journal.writer() as record:
        for contexts, group in groups:
            pending = list(reversed(group))  # pop() from the end: the original order
            fruitless = 0
            while pending:
                cancel.raise_if_cancelled()
                ae = make_ae(ae_title, timeouts)
                try:
                    assoc = associate(ae, node, contexts=contexts)
                except NetworkError as e:
                    if report.associations == 0:
                        raise
                    fruitless += 1
                    if fruitless > max_reconnects:
                        report.error = e
                        break
                    time.sleep(min(8.0, 0.5 * 2 ** fruitless))
                    continue
                report.associations += 1
                progressed = False
                session = fastsend.Session(assoc) if fastsend.available(assoc) else None
                try:
                    accepted = {(str(cx.abstract_syntax), str(cx.transfer_syntax[0])): int(cx.context_id)
                                for cx in assoc.accepted_contexts if cx.context_id is not None}
                    while pending:
                        if cancel.cancelled:
                            break
                        inst = pending[-1]
                        message_id = message_id % 0xFFFF + 1
                        result = _store_one(assoc, store, inst, local, accepted, message_id, session,
                                            pending[-2] if len(pending) > 1 else None)
                        if result is None:  # the association dropped: reconnect and go on
                            log.warning("send: association lost after %d instance(s); reconnecting", sent_count)
                            break
                        pending.pop()
                        progressed = True
                        report.results.append(result)
                        if result.outcome in (InstanceOutcome.SENT, InstanceOutcome.WARNING):
                            record(inst.sop_instance_uid, inst.sha256, fingerprint)
                        sent_count += 1
                        progress(sent_count, total, "Sending images")
                finally:
                    if session is not None:
                        session.release()
                    _close(assoc)
                cancel.raise_if_cancelled()
                fruitless = 0 if progressed else fruitless + 1
                if pending and fruitless > max_reconnects:
                    report.error = NetworkError(f"The connection to {node.label} kept dropping.", code="net_aborted")
                    break
            for inst in reversed(pending):
                report.results.append(InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.FAILED,
                                                     message="Not sent: the connection was lost."))
    log.info("send: %d sent, %d failed, %d already sent, %d association(s)", report.sent, report.failed,
             sum(1 for r in report.results if r.outcome is InstanceOutcome.ALREADY_SENT), report.associations)
    return report


def _send_groups(todo: list[Instance]) -> list[tuple[list[PresentationContext], list[Instance]]]:
    pairs = [(i.sop_class_uid, i.transfer_syntax_uid or ExplicitVRLittleEndian) for i in todo]
    groups = storage_context_groups(pairs)
    out = []
    for contexts in groups:
        classes = {str(cx.abstract_syntax) for cx in contexts}
        out.append((contexts, [i for i in todo if i.sop_class_uid in classes]))
    return out


def _store_one(assoc: Association, store: CaseStore, inst: Instance, local: LocalPatient | None,
               accepted: dict[tuple[str, str], int], message_id: int, session: fastsend.Session | None,
               next_inst: Instance | None) -> InstanceResult | None:
    """Send one instance; ``None`` when the association is gone (the caller reconnects)."""
    if not assoc.is_established:
        return None
    path = store.blob_path(inst.sha256)
    ts = inst.transfer_syntax_uid or ExplicitVRLittleEndian
    try:
        context_id = accepted.get((inst.sop_class_uid, ts))
        if local is None and inst.has_part10_header and context_id is not None and session is not None:
            # The stored bytes, as they are.
            nxt = next_inst if next_inst is not None and next_inst.has_part10_header else None
            status = session.store_file(path, sop_class=inst.sop_class_uid, sop_instance=inst.sop_instance_uid,
                                        context_id=context_id, message_id=message_id,
                                        next_path=store.blob_path(nxt.sha256) if nxt is not None else None)
        elif (local is None and inst.has_part10_header and context_id is not None
              and ts != DeflatedExplicitVRLittleEndian):  # pynetdicom sends odd deflated lengths as they are
            status = assoc.send_c_store(path, msg_id=message_id)
        else:
            payload = _dataset_for(path, inst, local, set(accepted))
            if session is not None:
                session.release()
            status = assoc.send_c_store(payload, msg_id=message_id)
    except fastsend.LostAssociation:
        return None
    except _Unsendable as e:
        return InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.FAILED, message=str(e))
    except (OSError, ValueError, AttributeError, KeyError, TypeError, NotImplementedError,
            RuntimeError, pydicom.errors.InvalidDicomError) as e:
        if not assoc.is_established:
            return None
        log.warning("send: one instance could not be sent (%s)", type(e).__name__)
        return InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.FAILED,
                              message="This file could not be read or encoded for sending.")
    if not status or "Status" not in status:
        return None  # no answer: the association was aborted or timed out
    code = int(status.Status)
    category = code_to_category(code)
    if category == "Success":
        return InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.SENT, code)
    if category == "Warning":
        return InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.WARNING, code,
                              "Stored, with a warning from the node.")
    return InstanceResult(inst.sop_instance_uid, inst.study_uid, InstanceOutcome.FAILED, code,
                          _store_failure_message(code))


class _Unsendable(Exception):
    pass


def _dataset_for(path: Path, inst: Instance, local: LocalPatient | None,
                 accepted: set[tuple[str, str]]) -> Dataset:
    ds: Dataset = pydicom.dcmread(path, force=not inst.has_part10_header)
    if not inst.has_part10_header or "TransferSyntaxUID" not in getattr(ds, "file_meta", Dataset()):
        meta = FileMetaDataset()
        meta.TransferSyntaxUID = UID(inst.transfer_syntax_uid or "1.2.840.10008.1.2")
        meta.MediaStorageSOPClassUID = UID(inst.sop_class_uid)
        meta.MediaStorageSOPInstanceUID = UID(inst.sop_instance_uid)
        ds.file_meta = meta
    if local is not None:
        ds = reconcile(ds, local)
    ts = str(ds.file_meta.TransferSyntaxUID)
    if (inst.sop_class_uid, ts) in accepted:
        return ds
    if ts in UNCOMPRESSED_SYNTAXES and any(c == inst.sop_class_uid and t in UNCOMPRESSED_SYNTAXES[:2]
                                           for c, t in accepted):
        return ds  # pynetdicom converts between the uncompressed syntaxes
    if ts not in UNCOMPRESSED_SYNTAXES and (inst.sop_class_uid, ExplicitVRLittleEndian) in accepted:
        # The node refused this compression: send the pixels decompressed (same instance UID:
        # the pixel values are those of the stored image).
        try:
            ds.decompress(generate_instance_uid=False)
        except Exception as e:  # noqa: BLE001 - decoders raise many types
            raise _Unsendable("The node does not accept this image compression, and it could not be "
                              "converted.") from e
        return ds
    raise _Unsendable("The node does not accept this kind of object or its encoding.")


def _store_failure_message(code: int) -> str:
    if 0xA700 <= code <= 0xA7FF:
        return f"The node is out of storage space or resources (status 0x{code:04X})."
    if 0xA900 <= code <= 0xA9FF:
        return f"The node says the data does not match its kind (status 0x{code:04X})."
    if 0xC000 <= code <= 0xCFFF:
        return f"The node could not read this object (status 0x{code:04X})."
    if code == 0x0124:
        return "The node refused: not authorised (status 0x0124)."
    return f"The node refused this object (status 0x{code:04X})."


class _Journal:
    """What was confirmed sent to one node: ``net/sent-<hash of node>.jsonl`` in the case.

    One JSON line per confirmed instance (SOP Instance UID, the stored copy's SHA-256 and the
    reconciliation fingerprint), appended as each confirmation arrives; a torn last line
    after a crash is ignored.
    """

    def __init__(self, store: CaseStore, node: Node) -> None:
        key = hashlib.sha256(f"{node.ae_title}@{node.host}:{node.port}".encode()).hexdigest()[:16]
        self.path = store.path / "net" / f"sent-{key}.jsonl"

    def load(self) -> set[tuple[str, str, str]]:
        done: set[tuple[str, str, str]] = set()
        try:
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    try:
                        d = json.loads(line)
                        done.add((str(d["sop"]), str(d["sha"]), str(d.get("fp", ""))))
                    except (ValueError, KeyError, TypeError):
                        continue
        except FileNotFoundError:
            pass
        return done

    def writer(self) -> _JournalWriter:
        return _JournalWriter(self.path)


class _JournalWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._f: Any = None

    def __enter__(self) -> Callable[[str, str, str], None]:
        return self.record

    def record(self, sop: str, sha: str, fp: str) -> None:
        if self._f is None:
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
            self._f = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
        self._f.write(json.dumps({"sop": sop, "sha": sha, "fp": fp}, separators=(",", ":")) + "\n")
        self._f.flush()

    def __exit__(self, *exc: object) -> None:
        if self._f is not None:
            try:
                os.fsync(self._f.fileno())
            finally:
                self._f.close()
                self._f = None


# --------------------------------------------------------------------------------- helpers


def _check_response(node: Node, assoc: Association, status: Dataset | None) -> None:
    if status is None or "Status" not in status:
        if assoc.is_aborted:
            raise NetworkError(f"{node.label} ended the connection in the middle of the request.",
                               code="net_aborted")
        raise NetworkError(f"{node.label} did not answer in time (or the connection was lost).",
                           code="net_timeout")


def _dimse_failure(node: Node, what: str, code: int) -> NetworkError:
    if code in (0xA700, 0xA701, 0xA702):
        why = "it is out of resources"
    elif code == 0xA801:
        why = "it does not know our AE title as a destination (add it to the node's list of modalities)"
    elif code == 0xA900:
        why = "it did not understand the request"
    elif 0xC000 <= code <= 0xCFFF:
        why = "it could not process the request"
    elif code == 0x0122:
        why = "it does not support this kind of request"
    elif code == 0x0124:
        why = "we are not allowed to do this"
    else:
        why = "it reported an error"
    return NetworkError(f"{node.label} could not complete the {what}: {why} (status 0x{code:04X}).",
                        code="net_failed")


def _close(assoc: Association) -> None:
    try:
        if assoc.is_established:
            assoc.release()
        if assoc.is_established:
            assoc.abort()
    except Exception:  # noqa: BLE001 - closing must not hide the real outcome
        log.debug("closing an association failed", exc_info=True)
        try:
            assoc.abort()
        except Exception:  # noqa: BLE001
            pass


def _charset(ds: Dataset, values: Iterable[str]) -> None:
    if any(not v.isascii() for v in values):
        ds.SpecificCharacterSet = "ISO_IR 192"


def _s(ds: Dataset, keyword: str) -> str:
    try:
        v = ds.get(keyword, "")
    except Exception:  # noqa: BLE001 - a peer's malformed value: treat as empty
        return ""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or v.__class__.__name__ == "MultiValue":
        return "\\".join(str(x) for x in v)
    return str(v).strip()


def _multi(ds: Dataset, keyword: str) -> tuple[str, ...]:
    try:
        v = ds.get(keyword, None)
    except Exception:  # noqa: BLE001
        return ()
    if v is None or v == "":
        return ()
    if isinstance(v, str):
        return tuple(x for x in v.split("\\") if x)
    return tuple(str(x) for x in v if str(x))


def _i(ds: Dataset, keyword: str) -> int | None:
    try:
        v = ds.get(keyword, None)
        return None if v is None or v == "" else int(v)
    except (TypeError, ValueError):
        return None
