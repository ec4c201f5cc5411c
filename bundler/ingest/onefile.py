"""Import one file: decide what it is, hash and copy it into the blob store, index its header.

Plain module-level functions with picklable inputs and outputs, so the pipeline can run them on
threads (archive members, disc images) or on worker processes (plain files: header parsing is
pure Python and would otherwise hold the GIL).
"""

from __future__ import annotations

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
from bundler.ingest.documents import looks_like_viewer_software, sniff_document
from bundler.model import ImportStatus, Reason
from bundler.store import blob_path

__all__ = ["FileResult", "WorkerConfig", "ingest_path", "ingest_stream"]

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
class FileResult:
    status: ImportStatus
    reason: Reason
    detail: str = ""
    sha256: str | None = None
    size: int = 0
    header: DicomHeader | None = None
    media_type: str | None = None
    created_blob: bool = False  # this call wrote the blob file (undone on cancel)


def ingest_path(path: str, name: str, config: WorkerConfig) -> FileResult:
    """Import the plain file at ``path`` (process-pool entry point)."""
    return ingest_stream(lambda: open(path, "rb", buffering=_CHUNK), name, config)


def ingest_stream(opener: Callable[[], BinaryIO], name: str, config: WorkerConfig) -> FileResult:
    """Import one file, given a way to open it read-only; never raises for bad input."""
    try:
        return _ingest(opener, name, config)
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


def _ingest(opener: Callable[[], BinaryIO], name: str, config: WorkerConfig) -> FileResult:
    with opener() as f:
        head = f.read(_HEAD)
        if not head:
            return FileResult(ImportStatus.SKIPPED, Reason.EMPTY_FILE, "The file is empty.")
        encoding = sniff(head[:1024])
        media_type = None if encoding else sniff_document(head, name)
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
        created = _store_blob(sha, data, spooled, config)
    finally:
        if spooled is not None:
            spooled.unlink(missing_ok=True)
    return FileResult(ImportStatus.IMPORTED, Reason.DICOM if header else Reason.DOCUMENT, sha256=sha,
                      size=size, header=header, media_type=media_type, created_blob=created)


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
