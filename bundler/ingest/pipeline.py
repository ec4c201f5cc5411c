"""The import operation: sources in, every file accounted for in the case.

Files are read once: the first megabyte decides what a file is; a DICOM file or a document is
then hashed and copied into the case's blob store while it streams, and its header is indexed
from the copy in memory (or from the blob for large files). Reads run on a small thread pool
(both cores: hashing and file I/O release the GIL); sources on optical media or inside a disc
image are read one file at a time, in order. One thread writes the index, in batches.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import shutil
import tempfile
import threading
import time
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from bundler.errors import Cancelled, LimitExceeded
from bundler.ingest.dicom import DicomHeader, DicomReadError, Encoding, read_header, sniff
from bundler.ingest.dicomdir import is_dicomdir_name, read_dicomdir
from bundler.ingest.documents import looks_like_viewer_software, sniff_document
from bundler.ingest.report import ImportReport
from bundler.ingest.sources import Entry, Problem, walk_source
from bundler.model import Document, ImportStatus, Instance, LogRow, MissingReference, Reason
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.safepath import DEFAULT_LIMITS, ArchiveLimits
from bundler.store import BlobRecord, CaseStore, RunState

__all__ = ["import_sources"]

log = logging.getLogger(__name__)

_HEAD = 1024 * 1024  # decides what a file is
_CHUNK = 1024 * 1024
_IN_MEMORY = 16 * 1024 * 1024  # larger files are indexed from their blob on disk
_BATCH_FILES = 256
_BATCH_SECONDS = 2.0
_MAX_DICOMDIR = 256 * 1024 * 1024


def import_sources(
    sources: Sequence[Path | str],
    store: CaseStore,
    *,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    workers: int | None = None,
) -> ImportReport:
    """Import every file of ``sources`` (folders, discs, DICOMDIRs, ISO or ZIP files) into ``store``.

    Every file seen gets one log row (imported, skipped or failed, with a reason). The sources
    are only ever opened for reading. On cancel the case is left exactly as it was and
    :class:`~bundler.errors.Cancelled` is raised. Importing the same media twice adds nothing.
    """
    run_id = store.begin_run()
    report = ImportReport(run_id)
    importer = _Importer(store, run_id, report, progress, cancel, limits, workers)
    try:
        importer.run([Path(s) for s in sources])
    except (Cancelled, KeyboardInterrupt):
        importer.discard()
        raise Cancelled("The import was cancelled; the case is as it was before.") from None
    except BaseException:
        store.finish_run(run_id, RunState.INTERRUPTED)
        raise
    store.finish_run(run_id)
    log.info("import run %d: %d seen, %d imported, %d skipped, %d failed", run_id,
             report.files_seen, report.imported, report.skipped, report.failed)
    return report


@dataclass
class _Outcome:
    entry: Entry
    status: ImportStatus
    reason: Reason
    detail: str = ""
    sha256: str | None = None
    size: int = 0
    header: DicomHeader | None = None
    media_type: str | None = None


@dataclass
class _Batch:
    rows: list[LogRow] = field(default_factory=list)
    blobs: list[BlobRecord] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)
    media_refs: list[tuple[MissingReference, bool]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.media_refs)


class _Importer:
    def __init__(self, store: CaseStore, run_id: int, report: ImportReport, progress: Progress,
                 cancel: CancelToken, limits: ArchiveLimits, workers: int | None) -> None:
        self.store = store
        self.run_id = run_id
        self.report = report
        self.progress = progress
        self.cancel = cancel
        self.limits = limits
        self.workers = workers or min(4, max(2, os.cpu_count() or 2))
        self.scratch = store.tmp_dir / f"run-{run_id}"
        self.known = store.known_hashes()  # committed before this run
        self.known_before = frozenset(self.known)
        self.pending_sops: dict[str, set[str]] = {}
        self.created_blobs: list[str] = []
        self._created_lock = threading.Lock()

    # ------------------------------------------------------------------ driver

    def run(self, sources: list[Path]) -> None:
        with ExitStack() as resources:
            resources.callback(shutil.rmtree, self.scratch, True)
            items = list(self._enumerate(sources, resources))
            entries = [i for i in items if isinstance(i, Entry)]
            batch = _Batch()
            batch.media_refs = self._media_index(entries)
            self.report.missing = [m for m, present in batch.media_refs if not present]
            total = len(items)
            last_commit = time.monotonic()
            for done, outcome in enumerate(self._outcomes(items), start=1):
                self._record(outcome, batch)
                if len(batch) >= _BATCH_FILES or time.monotonic() - last_commit > _BATCH_SECONDS:
                    self._commit(batch)
                    batch = _Batch()
                    last_commit = time.monotonic()
                self.progress(done, total, "Importing files")
            self._commit(batch)

    def _enumerate(self, sources: list[Path], resources: ExitStack) -> Iterator[Entry | Problem]:
        found = 0
        for source in sources:
            for item in walk_source(source, scratch=self.scratch, limits=self.limits, cancel=self.cancel,
                                    resources=resources):
                found += 1
                if found % 256 == 0:
                    self.progress(0, None, f"Looking for files: {found} found")
                yield item

    def _outcomes(self, items: list[Entry | Problem]) -> Iterator[_Outcome | Problem]:
        """Process entries on the pools, yielding results in the order the files were seen."""
        window: deque[Future[_Outcome] | Problem] = deque()
        limit = self.workers * 4
        with ThreadPoolExecutor(self.workers, thread_name_prefix="import") as parallel, \
                ThreadPoolExecutor(1, thread_name_prefix="import-seq") as sequential:
            try:
                for item in items:
                    self.cancel.raise_if_cancelled()
                    if isinstance(item, Problem):
                        window.append(item)
                    else:
                        pool = sequential if item.sequential else parallel
                        window.append(pool.submit(self._ingest, item))
                    while len(window) > limit:
                        yield _resolve(window.popleft())
                while window:
                    self.cancel.raise_if_cancelled()
                    yield _resolve(window.popleft())
            finally:
                for f in window:
                    if isinstance(f, Future):
                        f.cancel()

    def _commit(self, batch: _Batch) -> None:
        self.store.commit_batch(
            self.run_id, rows=batch.rows, blobs=batch.blobs, instances=batch.instances,
            documents=batch.documents, conflicted_uids=batch.conflicts, media_refs=batch.media_refs)

    def discard(self) -> None:
        self.store.discard_run(self.run_id)
        with self._created_lock:
            created = list(self.created_blobs)
        for sha in created:
            if sha not in self.known_before:
                self.store.blob_path(sha).unlink(missing_ok=True)

    # ------------------------------------------------------------------ DICOMDIR index

    def _media_index(self, entries: list[Entry]) -> list[tuple[MissingReference, bool]]:
        """What each DICOMDIR promises, and whether the media holds it."""
        by_media: dict[str, set[str]] = {}
        for e in entries:
            by_media.setdefault(e.media_key, set()).add(_norm(e.relpath))
        refs: list[tuple[MissingReference, bool]] = []
        for e in entries:
            if not is_dicomdir_name(e.relpath.name):
                continue
            self.cancel.raise_if_cancelled()
            try:
                with e.open() as f:
                    data = f.read(_MAX_DICOMDIR + 1)
                if len(data) > _MAX_DICOMDIR:
                    continue
                indexed = read_dicomdir(data)
            except (OSError, ValueError, LimitExceeded, zipfile.BadZipFile, EOFError, zlib.error):
                continue  # its own log row says why it could not be read
            present_names = by_media.get(e.media_key, set())
            base = e.relpath.parent
            for item in indexed:
                if not item.safe:
                    ref = MissingReference(e.display, item.file_id, "unsafe_path", item.sop_instance_uid,
                                           item.series_uid, item.study_uid)
                    refs.append((ref, False))
                    continue
                target = _norm(base.joinpath(*item.file_id.split("/")))
                present = target in present_names
                refs.append((MissingReference(e.display, item.file_id, "present" if present else "missing",
                                              item.sop_instance_uid, item.series_uid, item.study_uid), present))
        return refs

    # ------------------------------------------------------------------ one file (worker threads)

    def _ingest(self, entry: Entry) -> _Outcome:
        if self.cancel.cancelled:
            return _Outcome(entry, ImportStatus.SKIPPED, Reason.INTERNAL_ERROR, "cancelled")
        try:
            return self._ingest_file(entry)
        except LimitExceeded as e:
            return _Outcome(entry, ImportStatus.FAILED, Reason.FILE_TOO_LARGE, e.user_message)
        except OSError as e:
            from bundler.ingest.sources import _os_detail

            return _Outcome(entry, ImportStatus.FAILED, Reason.UNREADABLE, _os_detail(e))
        except (zipfile.BadZipFile, EOFError, gzip.BadGzipFile, zlib.error):
            return _Outcome(entry, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT,
                            "The archive member is damaged and could not be read completely.")
        except Exception as e:  # noqa: BLE001 - one bad file must never stop an import
            log.error("unexpected %s while importing one file", type(e).__name__)
            return _Outcome(entry, ImportStatus.FAILED, Reason.INTERNAL_ERROR,
                            "An unexpected problem stopped this file from being read.")

    def _ingest_file(self, entry: Entry) -> _Outcome:
        with entry.open() as f:
            head = f.read(_HEAD)
            if not head:
                return _Outcome(entry, ImportStatus.SKIPPED, Reason.EMPTY_FILE, "The file is empty.")
            encoding = sniff(head[:1024])
            media_type = None if encoding else sniff_document(head, entry.relpath.name)
            if encoding is None and media_type is None:
                return self._not_importable(entry, head)
            sha, size, data, spooled = self._read_rest(f, head)
        try:
            header = None
            if encoding is not None:
                try:
                    stream: BinaryIO = io.BytesIO(data) if spooled is None else open(spooled, "rb")
                    with stream:
                        header = read_header(stream, size=size, encoding=encoding)
                except DicomReadError as e:
                    return _Outcome(entry, ImportStatus.FAILED, Reason(e.reason), e.detail)
                if header.is_media_directory:
                    return _Outcome(entry, ImportStatus.SKIPPED, Reason.DICOMDIR,
                                    "A DICOMDIR (the disc's table of contents): used to check the disc is complete.")
            self._store_blob(sha, data, spooled)
        finally:
            if spooled is not None:
                spooled.unlink(missing_ok=True)
        return _Outcome(entry, ImportStatus.IMPORTED, Reason.DICOM if header else Reason.DOCUMENT,
                        sha256=sha, size=size, header=header, media_type=media_type)

    def _not_importable(self, entry: Entry, head: bytes) -> _Outcome:
        name = entry.relpath.name
        if looks_like_viewer_software(head, name):
            return _Outcome(entry, ImportStatus.SKIPPED, Reason.VIEWER_SOFTWARE,
                            "Viewer software or disc autostart file: not part of the records.")
        if name.lower().endswith((".dcm", ".dicom")):
            return _Outcome(entry, ImportStatus.FAILED, Reason.DICOM_MALFORMED,
                            "Named like a DICOM file, but its contents are not readable DICOM.")
        return _Outcome(entry, ImportStatus.SKIPPED, Reason.UNSUPPORTED_TYPE,
                        "Neither a DICOM file nor a supported document.")

    def _read_rest(self, f: BinaryIO, head: bytes) -> tuple[str, int, bytes, Path | None]:
        """Hash the whole file; keep it in memory, or spool it to the case's scratch space."""
        digest = hashlib.sha256(head)
        chunks: list[bytes] = [head]
        size = len(head)
        spool = None
        spooled: Path | None = None
        try:
            while True:
                chunk = f.read(_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
                if size > self.limits.max_entry_bytes:
                    raise LimitExceeded("The file is larger than we accept.")
                if spool is None and size > _IN_MEMORY:
                    self.scratch.mkdir(parents=True, exist_ok=True)
                    fd, name = tempfile.mkstemp(prefix="spool-", dir=self.scratch)
                    spool, spooled = os.fdopen(fd, "wb"), Path(name)
                    for c in chunks:
                        spool.write(c)
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

    def _store_blob(self, sha: str, data: bytes, spooled: Path | None) -> None:
        final = self.store.blob_path(sha)
        if final.exists():
            return
        final.parent.mkdir(exist_ok=True)
        if spooled is not None:
            tmp = spooled.with_name(spooled.name + ".blob")
            shutil.copyfile(spooled, tmp)
        else:
            fd, name = tempfile.mkstemp(prefix="blob-", dir=self.store.tmp_dir)
            tmp = Path(name)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        os.replace(tmp, final)  # atomic: a blob file is complete or absent
        with self._created_lock:
            self.created_blobs.append(sha)

    # ------------------------------------------------------------------ index writer (one thread)

    def _record(self, outcome: _Outcome | Problem, batch: _Batch) -> None:
        if isinstance(outcome, Problem):
            batch.rows.append(LogRow(outcome.display, outcome.status, outcome.reason, outcome.detail))
            self.report.add(batch.rows[-1])
            return
        entry = outcome.entry
        row = LogRow(entry.display, outcome.status, outcome.reason, outcome.detail, outcome.sha256, self.run_id)
        if outcome.status is ImportStatus.IMPORTED and outcome.sha256:
            sha = outcome.sha256
            if sha in self.known:
                row = replace(row, status=ImportStatus.SKIPPED, reason=Reason.DUPLICATE,
                              detail="Already in the case (the same file was imported before).")
            else:
                self.known.add(sha)
                batch.blobs.append(BlobRecord(sha, outcome.size))
                if outcome.header is not None:
                    instance = self._instance(entry, outcome, outcome.header)
                    if instance.uid_conflict:
                        row = replace(row, reason=Reason.DICOM_UID_CONFLICT,
                                      detail="Another file with the same DICOM identifier but different "
                                             "contents is in the case: both are kept.")
                        batch.conflicts.add(instance.sop_instance_uid)
                    batch.instances.append(instance)
                    self.report.dicom_instances += 1
                else:
                    batch.documents.append(self._document(entry, outcome))
                    self.report.documents += 1
        batch.rows.append(row)
        self.report.add(row)

    def _instance(self, entry: Entry, outcome: _Outcome, h: DicomHeader) -> Instance:
        assert outcome.sha256 is not None
        seen = self.pending_sops.setdefault(h.sop_instance_uid, set())
        others = (seen | self.store.sop_hashes(h.sop_instance_uid)) - {outcome.sha256}
        seen.add(outcome.sha256)
        return Instance(
            sop_instance_uid=h.sop_instance_uid, sop_class_uid=h.sop_class_uid, sha256=outcome.sha256,
            size=outcome.size, study_uid=h.study_uid, series_uid=h.series_uid, patient=h.patient,
            study_date=h.study_date, study_time=h.study_time, study_description=h.study_description,
            accession=h.accession, referring_physician=h.referring_physician, institution=h.institution,
            modality=h.modality, body_part=h.body_part, series_description=h.series_description,
            series_number=h.series_number, instance_number=h.instance_number,
            transfer_syntax_uid=h.transfer_syntax_uid, frames=h.frames, lossy=h.lossy,
            image_type=h.image_type, kind=h.kind, has_part10_header=h.encoding is Encoding.PART10,
            specific_character_set=h.specific_character_set, uid_conflict=bool(others),
            source=entry.display,
        )

    def _document(self, entry: Entry, outcome: _Outcome) -> Document:
        assert outcome.sha256 is not None
        return Document(
            id=outcome.sha256[:16],
            sha256=outcome.sha256,
            size=outcome.size,
            media_type=outcome.media_type or "application/octet-stream",
            title=PurePosixPath(entry.relpath.name).stem.replace("_", " "),
            source=entry.display,
        )


def _resolve(item: Future[_Outcome] | Problem) -> _Outcome | Problem:
    return item if isinstance(item, Problem) else item.result()


def _norm(path: PurePosixPath) -> str:
    """Compare media paths the way CD file systems do: case-blind, without ISO ';1' or '.'."""
    return "/".join(p.split(";", 1)[0].rstrip(".").upper() for p in path.parts)
