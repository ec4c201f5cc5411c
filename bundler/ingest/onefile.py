"""Import one file: decide what it is, hash and copy it into the blob store, index its header.

Plain module-level functions with picklable inputs and outputs, so the pipeline can run them on
threads (archive members, disc images) or on worker processes (plain files: header parsing is
pure Python and would otherwise hold the GIL).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import gzip
import hashlib
import importlib
import io
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bundler.errors import CaseError, LimitExceeded
from bundler.ingest.dicom import DicomHeader, DicomReadError, read_header, sniff
from bundler.ingest.dicomdocs import extract_document
from bundler.ingest.documents import looks_like_viewer_software, read_document, sniff_document, understand
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import DicomObjectKind, ImportStatus, ParsedDocument, Reason
from bundler.store import blob_path

__all__ = [
    "CaseWriteError",
    "ExtractedDocument",
    "FileResult",
    "FileTimedOut",
    "WorkerConfig",
    "ingest_path",
    "ingest_stream",
    "timed_out",
    "worker_init",
]

log = logging.getLogger(__name__)

_HEAD = 1024 * 1024  # enough to decide what a file is
_CHUNK = 1024 * 1024
_IN_MEMORY = 16 * 1024 * 1024  # larger files are indexed from a spooled copy on disk
# What the readers import on first use (pypdf by pdftext): loaded by each worker up front.
_READERS = ("pypdf", "bundler.classify", "bundler.reportlang", "bundler.ingest.ccda", "bundler.ingest.fhir",
            "bundler.ingest.hl7v2", "bundler.ingest.medlist", "bundler.ingest.pdftext", "bundler.ingest.textdocs")
# A file listed a moment ago is gone: the source was ejected, unplugged, unmounted or renamed.
_GONE = frozenset({errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.ESTALE, errno.ENOTDIR})


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
    crc32: int | None = None  # of the content (the package's inner ZIP needs it)


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
    crc32: int | None = None  # of the content (the package's inner ZIP needs it)

    @property
    def created_blobs(self) -> list[str]:
        out = [self.sha256] if self.created_blob and self.sha256 else []
        return out + [d.sha256 for d in self.documents if d.created_blob]


class FileTimedOut(BaseException):  # noqa: N818 - a signal to stop, like KeyboardInterrupt
    """The work on one file overran its time budget (see ``docs/decisions.md``).

    Raised inside the worker: by SIGALRM in an import worker process, or by the pipeline's
    watchdog as an asynchronous exception in an import thread. A ``BaseException`` so that a
    parser's ``except Exception`` cannot swallow it.
    """


class CaseWriteError(CaseError):
    """Writing into the case (its blob store or scratch space) failed: the disk is full or
    failing. Not the fault of the file being read, so it stops the import rather than becoming
    a log row against that file."""

    code = "case_write_failed"


def timed_out(seconds: float) -> FileResult:
    """The log row of a file whose reading was stopped at its time budget."""
    return FileResult(ImportStatus.FAILED, Reason.TIMED_OUT,
                      f"Reading this file took longer than {seconds:.0f} seconds, so it was stopped "
                      "(it may be damaged, or built to stall the programs that read it).")


def worker_init() -> None:
    """Set up an import worker process: on Linux it dies with the process that started it, so
    an app killed mid-import leaves no worker writing into the case (PR_SET_PDEATHSIG); and the
    readers are imported now, so that a file's time budget is spent on the file."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1 = PR_SET_PDEATHSIG
        parent = multiprocessing.parent_process()
        if parent is not None and not parent.is_alive():  # it died before prctl took effect
            os._exit(1)
    from bundler.logs import capture_warnings

    capture_warnings()  # a library's warning must not print header values to the inherited stderr
    for module in _READERS:
        importlib.import_module(module)


def ingest_path(path: str, name: str, config: WorkerConfig, on_disc: bool = False,
                seconds: float | None = None) -> FileResult:
    """Import the plain file at ``path`` (process-pool entry point).

    ``seconds``: the file's time budget. In a worker process's main thread it is enforced here
    with SIGALRM (the pipeline kills a worker that does not stop); elsewhere by the caller.
    """
    try:
        with _alarm(seconds):
            return ingest_stream(lambda: open(path, "rb", buffering=_CHUNK), name, config, on_disc)
    except FileTimedOut:
        assert seconds is not None
        return timed_out(seconds)


@contextlib.contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    usable = (seconds is not None and hasattr(signal, "setitimer") and multiprocessing.parent_process() is not None
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    assert seconds is not None

    def stop(signum: int, frame: object) -> None:
        raise FileTimedOut()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def ingest_stream(opener: Callable[[], BinaryIO], name: str, config: WorkerConfig,
                  on_disc: bool = False) -> FileResult:
    """Import one file, given a way to open it read-only; never raises for bad input.

    ``on_disc``: the file is on DICOM media (beside a DICOMDIR): pictures and text files there
    are the viewer's, not the patient's. Raises :class:`CaseWriteError` when the case itself
    cannot be written (that is not the file's fault).
    """
    try:
        return _ingest(opener, name, config, on_disc)
    except CaseWriteError:
        raise
    except LimitExceeded as e:
        return FileResult(ImportStatus.FAILED, Reason.FILE_TOO_LARGE, e.user_message)
    except OSError as e:
        from bundler.ingest.sources import os_error_detail

        if e.errno in _GONE:
            return FileResult(ImportStatus.FAILED, Reason.UNREADABLE,
                              "The file was no longer there when it was read (was the disc ejected or the "
                              "drive removed?). Import the source again to add it.")
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
        sha, crc, size, data, spooled = _read_rest(f, head, config)
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
                              created_blob=created, documents=documents, kos_refs=kos_refs, crc32=crc)
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
    documents = (dataclasses.replace(documents[0], sha256=sha, size=size, created_blob=created, crc32=crc),
                 *documents[1:])
    protected = documents[0].parsed.password_protected
    notes = "; ".join(documents[0].parsed.problems_found)
    return FileResult(
        ImportStatus.IMPORTED, Reason.DOCUMENT_PASSWORD_PROTECTED if protected else Reason.DOCUMENT,
        "password-protected: open it in the app with its password" if protected else notes,
        sha256=sha, size=size, media_type=media_type, created_blob=created, documents=documents, crc32=crc)


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
        out.append(ExtractedDocument(sha, len(att.data), first, parent=0, created_blob=created,
                                     crc32=zlib.crc32(att.data)))
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
                              created_blob=created, crc32=zlib.crc32(found.data)),), found.referenced_sop_uids


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


def _read_rest(f: BinaryIO, head: bytes, config: WorkerConfig) -> tuple[str, int, int, bytes, Path | None]:
    """Hash the whole file (SHA-256, and CRC-32 for the package's inner ZIP, which then need
    not read it twice); keep it in memory, or spool it to the case's scratch space."""
    digest = hashlib.sha256(head)
    crc = zlib.crc32(head)
    chunks: list[bytes] = [head]
    size = len(head)
    spool = None
    spooled: Path | None = None
    try:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            if size > config.max_file_bytes:
                raise LimitExceeded("The file is larger than we accept.")
            if spool is None and size > _IN_MEMORY:
                with _writing_case():
                    fd, tmp = tempfile.mkstemp(prefix="spool-", dir=config.tmp_dir)
                    spool, spooled = os.fdopen(fd, "wb"), Path(tmp)
                    spool.writelines(chunks)
                chunks = []
            if spool is not None:
                with _writing_case():
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
        with _writing_case():
            spool.close()
    return digest.hexdigest(), crc, size, b"".join(chunks), spooled


def _store_blob(sha: str, data: bytes, spooled: Path | None, config: WorkerConfig) -> bool:
    """Put the content in place atomically (complete or absent); False when already there."""
    final = blob_path(config.blobs_dir, sha)
    if final.exists():
        return False
    tmp: Path | None = None
    try:
        with _writing_case():
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
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    return True


@contextlib.contextmanager
def _writing_case() -> Iterator[None]:
    """OSErrors inside are the case's disk failing, not the file being read."""
    try:
        yield
    except OSError as e:
        if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise CaseWriteError("The disk that holds the case is full: the import was stopped and the "
                                 "case is as it was before. Free some space and import again.") from e
        raise CaseWriteError("The case could not be written (the disk reported "
                             f"{errno.errorcode.get(e.errno or 0, 'an error')}): the import was stopped "
                             "and the case is as it was before.") from e
