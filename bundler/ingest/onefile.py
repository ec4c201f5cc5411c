"""Import one file: decide what it is, hash and copy it into the blob store, index its header.

Plain module-level functions with picklable inputs and outputs, so the pipeline can run them on
threads (archive members, disc images) or on worker processes (plain files: header parsing is
pure Python and would otherwise hold the GIL).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bundler.errors import LimitExceeded
from bundler.ingest.dicom import DicomHeader, DicomReadError, read_header, sniff
from bundler.ingest.dicomdocs import extract_document
from bundler.ingest.documents import looks_like_viewer_software, read_document, sniff_document, understand
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DicomObjectKind, ImportStatus, ParsedDocument, Reason
from bundler.store import blob_path

__all__ = ["ExtractedDocument", "FileResult", "WorkerConfig", "ingest_path", "ingest_stream"]

log = logging.getLogger(__name__)

_HEAD = 1024 * 1024  # enough to decide what a file is
_CHUNK = 1024 * 1024
_IN_MEMORY = 16 * 1024 * 1024  # larger files are indexed from a spooled copy on disk


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Where a worker may write: the case's blob store and scratch space, nothing else."""

    blobs_dir: Path
    tmp_dir: Path
    max_file_bytes: int


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    """A document this file is, carries (attachments) or wraps (DICOM Encapsulated PDF, SR)."""

    sha256: str
    size: int
    parsed: ParsedDocument
    parent: int | None = None  # index of the document it was embedded in
    from_sop_uid: str | None = None  # taken out of this DICOM instance
    created_blob: bool = False


@dataclass(frozen=True, slots=True)
class FileResult:
    status: ImportStatus
    reason: Reason
    detail: str = ""
    sha256: str | None = None
    size: int = 0
    header: DicomHeader | None = None
    media_type: str | None = None
    created_blob: bool = False  # this call wrote the blob file (undone on cancel)
    documents: tuple[ExtractedDocument, ...] = ()
    kos_refs: tuple[str, ...] = ()  # instances a Key Object Selection marks

    @property
    def created_blobs(self) -> list[str]:
        out = [self.sha256] if self.created_blob and self.sha256 else []
        return out + [d.sha256 for d in self.documents if d.created_blob]


def ingest_path(path: str, name: str, config: WorkerConfig, on_disc: bool = False) -> FileResult:
    """Import the plain file at ``path`` (process-pool entry point)."""
    return ingest_stream(lambda: open(path, "rb", buffering=_CHUNK), name, config, on_disc)


def ingest_stream(opener: Callable[[], BinaryIO], name: str, config: WorkerConfig,
                  on_disc: bool = False) -> FileResult:
    """Import one file, given a way to open it read-only; never raises for bad input.

    ``on_disc``: the file is on DICOM media (beside a DICOMDIR): pictures and text files there
    are the viewer's, not the patient's.
    """
    try:
        return _ingest(opener, name, config, on_disc)
    except LimitExceeded as e:
        return FileResult(ImportStatus.FAILED, Reason.FILE_TOO_LARGE, e.user_message)
    except OSError as e:
        from bundler.ingest.sources import os_error_detail

        return FileResult(ImportStatus.FAILED, Reason.UNREADABLE, os_error_detail(e))
    except (zipfile.BadZipFile, EOFError, gzip.BadGzipFile, zlib.error):
        return FileResult(ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT,
                          "The archive member is damaged and could not be read completely.")
    except Exception as e:  # noqa: BLE001 - one bad file must never stop an import
        log.error("unexpected %s while importing one file", type(e).__name__)
        return FileResult(ImportStatus.FAILED, Reason.INTERNAL_ERROR,
                          "An unexpected problem stopped this file from being read.")


def _ingest(opener: Callable[[], BinaryIO], name: str, config: WorkerConfig, on_disc: bool) -> FileResult:
    with opener() as f:
        head = f.read(_HEAD)
        if not head:
            return FileResult(ImportStatus.SKIPPED, Reason.EMPTY_FILE, "The file is empty.")
        encoding = sniff(head[:1024])
        media_type = None if encoding else sniff_document(head, name, on_disc=on_disc)
        if encoding is None and media_type is None:
            return _not_importable(head, name)
        sha, size, data, spooled = _read_rest(f, head, config)
    try:
        header = None
        if encoding is not None:
            try:
                stream: BinaryIO = io.BytesIO(data) if spooled is None else open(spooled, "rb")
                with stream:
                    header = read_header(stream, size=size, encoding=encoding)
            except DicomReadError as e:
                return FileResult(ImportStatus.FAILED, Reason(e.reason), e.detail)
            if header.is_media_directory:
                return FileResult(ImportStatus.SKIPPED, Reason.DICOMDIR,
                                  "A DICOMDIR (the disc's table of contents): used to check the disc is complete.")
            documents, kos_refs = _dicom_documents(header, data, spooled, config)
            created = _store_blob(sha, data, spooled, config)
            return FileResult(ImportStatus.IMPORTED, Reason.DICOM, sha256=sha, size=size, header=header,
                              created_blob=created, documents=documents, kos_refs=kos_refs)
        assert media_type is not None
        try:
            documents = _read_with_attachments(data, media_type, name, config, depth=0)
        except DocumentReadError as e:
            reason = Reason.DOCUMENT_UNSAFE if e.reason == "xml_forbidden" else Reason.DOCUMENT_UNREADABLE
            return FileResult(ImportStatus.FAILED, reason, e.detail)
        created = _store_blob(sha, data, spooled, config)
    finally:
        if spooled is not None:
            spooled.unlink(missing_ok=True)
    documents = (dataclasses.replace(documents[0], sha256=sha, size=size, created_blob=created),) + documents[1:]
    protected = documents[0].parsed.password_protected
    notes = "; ".join(documents[0].parsed.problems_found)
    return FileResult(
        ImportStatus.IMPORTED, Reason.DOCUMENT_PASSWORD_PROTECTED if protected else Reason.DOCUMENT,
        "password-protected: open it in the app with its password" if protected else notes,
        sha256=sha, size=size, media_type=media_type, created_blob=created, documents=documents)


_MAX_ATTACHMENT_DEPTH = 2


def _read_with_attachments(data: bytes, media_type: str, name: str, config: WorkerConfig, *,
                           depth: int) -> tuple[ExtractedDocument, ...]:
    """The document itself (index 0, its blob written by the caller) and what it carries."""
    parsed = read_document(data, media_type=media_type, name=name, scratch=config.tmp_dir)
    out = [ExtractedDocument("", len(data), dataclasses.replace(parsed, attachments=()))]
    if depth >= _MAX_ATTACHMENT_DEPTH:
        return tuple(out)
    for att in parsed.attachments:
        sha = hashlib.sha256(att.data).hexdigest()
        # What the bytes are beats what the container says ("application/xml" may be a C-CDA).
        media = sniff_document(att.data[:_HEAD], att.title or name) or att.media_type
        try:
            inner = _read_with_attachments(att.data, media, att.title or name, config, depth=depth + 1)
        except DocumentReadError:
            inner = (ExtractedDocument("", len(att.data), ParsedDocument(
                media_type=media, title=att.title, needs_label=True,
                problems_found=("This embedded document could not be read.",))),)
        first = inner[0].parsed
        if att.kind is not None and first.kind_confidence < 0.9:
            first = dataclasses.replace(first, kind=att.kind, kind_confidence=0.9, kind_evidence=att.kind_evidence)
        first = dataclasses.replace(first, title=att.title or first.title, date=att.date or first.date)
        created = _store_blob(sha, att.data, None, config)
        base = len(out)
        out.append(ExtractedDocument(sha, len(att.data), first, parent=0, created_blob=created))
        for child in inner[1:]:  # attachments of the attachment: re-index their parents
            parent = base if child.parent in (None, 0) else base + child.parent
            out.append(dataclasses.replace(child, parent=parent))
    return tuple(out)


def _dicom_documents(header: DicomHeader, data: bytes, spooled: Path | None,
                     config: WorkerConfig) -> tuple[tuple[ExtractedDocument, ...], tuple[str, ...]]:
    """Encapsulated PDFs and SRs become documents; KOS keep the instances they mark."""
    if header.kind not in (DicomObjectKind.ENCAPSULATED_PDF, DicomObjectKind.ENCAPSULATED_DOCUMENT,
                           DicomObjectKind.STRUCTURED_REPORT, DicomObjectKind.KEY_OBJECT_SELECTION):
        return (), ()
    raw = data if spooled is None else spooled.read_bytes()
    try:
        found = extract_document(raw)
    except ValueError:
        return (), ()
    if found is None:
        return (), ()
    if header.kind is DicomObjectKind.KEY_OBJECT_SELECTION:
        return (), found.referenced_sop_uids
    try:
        parsed = read_document(found.data, media_type=found.media_type, name=found.title or "report",
                               scratch=config.tmp_dir)
    except DocumentReadError:
        parsed = ParsedDocument(media_type=found.media_type, needs_label=True,
                                problems_found=("The document inside this DICOM object could not be read.",))
    changes: dict[str, object] = {"title": found.title or parsed.title, "date": found.date or parsed.date,
                                  "accession": parsed.accession or header.accession,
                                  "modality": parsed.modality or _study_modality(header)}
    if found.kind is not None:
        changes.update(kind=found.kind, kind_confidence=0.95, kind_evidence=found.kind_evidence)
    parsed = dataclasses.replace(parsed, attachments=(), **changes)  # type: ignore[arg-type]
    if found.kind is not None:
        parsed = understand(parsed)  # sections, priors and flags of a report known by its title
    sha = hashlib.sha256(found.data).hexdigest()
    created = _store_blob(sha, found.data, None, config)
    return (ExtractedDocument(sha, len(found.data), parsed, from_sop_uid=header.sop_instance_uid,
                              created_blob=created),), found.referenced_sop_uids


def _study_modality(header: DicomHeader) -> str:
    return "" if header.modality in ("DOC", "SR", "KO", "OT") else header.modality


def _not_importable(head: bytes, name: str) -> FileResult:
    if looks_like_viewer_software(head, name):
        return FileResult(ImportStatus.SKIPPED, Reason.VIEWER_SOFTWARE,
                          "Viewer software or disc autostart file: not part of the records.")
    if name.lower().endswith((".dcm", ".dicom")):
        return FileResult(ImportStatus.FAILED, Reason.DICOM_MALFORMED,
                          "Named like a DICOM file, but its contents are not readable DICOM.")
    return FileResult(ImportStatus.SKIPPED, Reason.UNSUPPORTED_TYPE,
                      "Neither a DICOM file nor a supported document.")


def _read_rest(f: BinaryIO, head: bytes, config: WorkerConfig) -> tuple[str, int, bytes, Path | None]:
    """Hash the whole file; keep it in memory, or spool it to the case's scratch space."""
    digest = hashlib.sha256(head)
    chunks: list[bytes] = [head]
    size = len(head)
    spool = None
    spooled: Path | None = None
    try:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if size > config.max_file_bytes:
                raise LimitExceeded("The file is larger than we accept.")
            if spool is None and size > _IN_MEMORY:
                fd, tmp = tempfile.mkstemp(prefix="spool-", dir=config.tmp_dir)
                spool, spooled = os.fdopen(fd, "wb"), Path(tmp)
                spool.writelines(chunks)
                chunks = []
            if spool is not None:
                spool.write(chunk)
            else:
                chunks.append(chunk)
    except BaseException:
        if spool is not None:
            spool.close()
            assert spooled is not None
            spooled.unlink(missing_ok=True)
        raise
    if spool is not None:
        spool.close()
    return digest.hexdigest(), size, b"".join(chunks), spooled


def _store_blob(sha: str, data: bytes, spooled: Path | None, config: WorkerConfig) -> bool:
    """Put the content in place atomically (complete or absent); False when already there."""
    final = blob_path(config.blobs_dir, sha)
    if final.exists():
        return False
    final.parent.mkdir(exist_ok=True)
    if spooled is not None:
        tmp = spooled.with_name(spooled.name + ".blob")
        shutil.copyfile(spooled, tmp)
    else:
        fd, name = tempfile.mkstemp(prefix="blob-", dir=config.tmp_dir)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    os.replace(tmp, final)
    return True
