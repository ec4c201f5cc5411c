"""The import operation: sources in, every file accounted for in the case.

Files are read once (see ``ingest.onefile``): the first megabyte decides what a file is; a DICOM
file or a document is then hashed and copied into the case's blob store while it streams, and
its header is indexed from the copy in memory. Plain files go to worker processes (header
parsing is pure Python: threads would queue on the GIL); archive members go to threads;
sources on optical media or inside a disc image are read one file at a time, in order. The
calling thread alone writes the index, in batches, in the order files were seen.

Each file has a time budget (``file_seconds`` plus a second per 2 MiB): a worker process stops
itself at the budget (SIGALRM) and is killed if it does not; a thread is stopped by an
asynchronous exception from the calling thread, which watches while it waits. Either way the
file gets a failed row and the import goes on (``docs/decisions.md``).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from bundler.errors import Cancelled, LimitExceeded
from bundler.ingest.dicom import DicomHeader, Encoding
from bundler.ingest.dicomdir import is_dicomdir_name, read_dicomdir
from bundler.ingest.onefile import (
    CaseWriteError,
    FileResult,
    FileTimedOut,
    WorkerConfig,
    ingest_path,
    ingest_stream,
    timed_out,
    worker_init,
)
from bundler.ingest.report import ImportReport
from bundler.ingest.sources import Entry, Problem, walk_source
from bundler.ingest.documents import OCR_MEDIA_TYPES, read_document
from bundler.ingest.readers_errors import DocumentReadError
from bundler.model import Document, ImportStatus, Instance, LogRow, MissingReference, ParsedDocument, Reason
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.safepath import DEFAULT_LIMITS, ArchiveLimits
from bundler.store import BlobRecord, CaseStore, RunState

__all__ = ["default_workers", "import_sources"]

log = logging.getLogger(__name__)

_BATCH_FILES = 256
_BATCH_SECONDS = 2.0
_MAX_DICOMDIR = 256 * 1024 * 1024
_PROCESS_POOL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
FILE_SECONDS = 120.0  # a file's time budget, plus a second per _SLOWEST_READ bytes
_SLOWEST_READ = 2 * 1024 * 1024  # bytes/s: slower than a scratched CD or a USB 2 stick
_WATCH_SECONDS = 0.5  # how often the calling thread looks at the file it waits for
_GRACE_SECONDS = 10.0  # a worker process that has not stopped itself this long after its budget is killed
_STARTUP_SECONDS = 60.0  # more grace until the pool's first result: starting a worker is not the file's time


def default_workers() -> int:
    """One worker per core, at least two (I/O overlaps parsing), at most four."""
    return min(4, max(2, os.cpu_count() or 2))


def import_sources(
    sources: Sequence[Path | str],
    store: CaseStore,
    *,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    workers: int | None = None,
    processes: bool | None = None,
    file_seconds: float = FILE_SECONDS,
) -> ImportReport:
    """Import every file of ``sources`` (folders, discs, DICOMDIRs, ISO or ZIP files) into ``store``.

    Every file seen gets one log row (imported, skipped or failed, with a reason). The sources
    are only ever opened for reading. On cancel the case is left exactly as it was and
    :class:`~bundler.errors.Cancelled` is raised. Importing the same media twice adds nothing.

    Plain files are processed on ``workers`` worker processes (default: one per core, at
    least two) when there are enough of them to pay for starting the processes, or when
    ``processes`` says so; archive members and disc images are read on threads.

    A file whose reading takes longer than ``file_seconds`` (plus a second per 2 MiB of it) is
    stopped and logged as failed. When the case's disk is full or failing the import stops,
    the case is left as it was, and :class:`~bundler.ingest.onefile.CaseWriteError` is raised.
    """
    run_id = store.begin_run()
    report = ImportReport(run_id)
    importer = _Importer(store, run_id, report, progress, cancel, limits, workers, processes)
    importer.file_seconds = file_seconds
    try:
        importer.run([Path(s) for s in sources])
    except (Cancelled, KeyboardInterrupt):
        importer.discard()
        raise Cancelled("The import was cancelled; the case is as it was before.") from None
    except CaseWriteError:
        try:
            importer.discard()
        except Exception:  # noqa: BLE001 - the disk may refuse even that: keep what was committed
            log.error("import run %d could not be removed after a write error; kept as interrupted", run_id)
            with contextlib.suppress(Exception):
                store.finish_run(run_id, RunState.INTERRUPTED)
        raise
    except BaseException:
        store.finish_run(run_id, RunState.INTERRUPTED)
        raise
    store.finish_run(run_id)
    log.info("import run %d: %d seen, %d imported, %d skipped, %d failed", run_id,
             report.files_seen, report.imported, report.skipped, report.failed)
    return report


@dataclass
class _Batch:
    rows: list[LogRow] = field(default_factory=list)
    blobs: list[BlobRecord] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    documents: list[tuple[Document, ParsedDocument]] = field(default_factory=list)
    kos_refs: list[tuple[str, str]] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)
    media_refs: list[tuple[MissingReference, bool]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + len(self.media_refs)


class _Importer:
    def __init__(self, store: CaseStore, run_id: int, report: ImportReport, progress: Progress,
                 cancel: CancelToken, limits: ArchiveLimits, workers: int | None,
                 processes: bool | None) -> None:
        self.store = store
        self.run_id = run_id
        self.report = report
        self.progress = progress
        self.cancel = cancel
        self.limits = limits
        self.workers = workers or default_workers()
        self.processes = processes
        self.scratch = store.tmp_dir / f"run-{run_id}"
        self.config = WorkerConfig(store.blobs_dir, store.tmp_dir, limits.max_entry_bytes)
        self.known = store.known_hashes()  # committed before this run
        self.pending_sops: dict[str, set[str]] = {}
        self.created_blobs: list[str] = []  # blob files this run wrote (removed on cancel)
        self.ocr_queue: list[str] = []  # documents to read with OCR once every file is in
        self.on_disc: set[tuple[str, str]] = set()  # (media key, folder) of trees with a DICOMDIR
        self.file_seconds = FILE_SECONDS
        self._threads: ThreadPoolExecutor | None = None
        self._procs: ProcessPoolExecutor | None = None
        self._procs_started = False  # a worker process has returned a result: the pool is up

    # ------------------------------------------------------------------ driver

    def run(self, sources: list[Path]) -> None:
        with ExitStack() as resources:
            resources.callback(self._remove_partial_writes)  # last: after the pools have stopped
            self.scratch.mkdir(mode=0o700, parents=True, exist_ok=True)  # spooled archives: patient data
            resources.callback(shutil.rmtree, self.scratch, True)
            items = list(self._enumerate(sources, resources))
            entries = [i for i in items if isinstance(i, Entry)]
            batch = _Batch()
            batch.media_refs = self._media_index(entries)
            self.report.missing = [m for m, present in batch.media_refs if not present]
            total = len(items)
            last_commit = time.monotonic()
            # Closed on the way out, whatever stops the loop: the pools stop before the case is touched.
            outcomes = resources.enter_context(contextlib.closing(self._outcomes(items)))
            for done, outcome in enumerate(outcomes, start=1):
                self._record(outcome, batch)
                if len(batch) >= _BATCH_FILES or time.monotonic() - last_commit > _BATCH_SECONDS:
                    self._commit(batch)
                    batch = _Batch()
                    last_commit = time.monotonic()
                self.progress(done, total, "Importing files")
            self._commit(batch)
        self._read_pictures()

    def _remove_partial_writes(self) -> None:
        """Scratch files a stopped file left half-written (a blob being copied in, a spooled
        file); this run holds the import lock, so they are its own."""
        with contextlib.suppress(OSError):
            for leftover in self.store.tmp_dir.iterdir():
                if leftover.name.startswith(("blob-", "spool-")) and leftover.is_file():
                    leftover.unlink(missing_ok=True)

    def _read_pictures(self) -> None:
        """OCR pictures and scanned PDFs, after every other file is in (it is slow)."""
        if not self.ocr_queue:
            return
        from bundler.ingest import ocr

        if not ocr.available():
            log.info("%d document(s) need OCR, but Tesseract is not installed", len(self.ocr_queue))
            return
        by_id = {d.id: d for d in self.store.documents()}
        todo = [by_id[i] for i in self.ocr_queue if i in by_id]
        self.scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="ocr") as pool:  # tesseract runs as a process
            futures = [pool.submit(self._ocr_one, d) for d in todo]
            try:
                for done, future in enumerate(futures, start=1):
                    self.cancel.raise_if_cancelled()
                    doc, parsed = future.result()
                    if parsed is not None:
                        self.store.update_document_reading(doc.id, parsed)
                    self.progress(done, len(futures), "Reading text from pictures")
            finally:
                for f in futures:
                    f.cancel()

    def _ocr_one(self, doc: Document) -> tuple[Document, ParsedDocument | None]:
        if self.cancel.cancelled:
            return doc, None
        try:
            data = self.store.blob_path(doc.sha256).read_bytes()
            return doc, read_document(data, media_type=doc.media_type, name=doc.title, scratch=self.scratch, ocr=True)
        except (DocumentReadError, OSError):
            return doc, None  # stays "needs a label"

    def _enumerate(self, sources: list[Path], resources: ExitStack) -> Iterator[Entry | Problem]:
        found = 0
        for source in sources:
            if is_dicomdir_name(source.name) and source.is_file():
                source = source.parent  # "import this DICOMDIR" means the media it indexes
            for item in walk_source(source, scratch=self.scratch, limits=self.limits, cancel=self.cancel,
                                    resources=resources):
                found += 1
                if found % 256 == 0:
                    self.progress(0, None, f"Looking for files: {found} found")
                yield item

    def _outcomes(self, items: list[Entry | Problem]) -> Generator[tuple[Entry, FileResult] | Problem, None, None]:
        """Process entries on the pools, yielding results in the order the files were seen."""
        local = sum(1 for i in items if isinstance(i, Entry) and i.local_path is not None and not i.sequential)
        use_processes = self.processes if self.processes is not None else local >= _PROCESS_POOL_MIN_FILES
        window: deque[_Pending | Problem] = deque()
        limit = self.workers * 8
        try:
            with ExitStack() as pools:
                threads = self._threads = pools.enter_context(
                    ThreadPoolExecutor(self.workers, thread_name_prefix="import"))
                sequential = pools.enter_context(ThreadPoolExecutor(1, thread_name_prefix="import-seq"))
                if use_processes:
                    # spawn, not fork: the app has threads (Qt), and fork would copy their locks.
                    self._procs = pools.enter_context(ProcessPoolExecutor(
                        self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=worker_init))
                try:
                    for item in items:
                        self.cancel.raise_if_cancelled()
                        if isinstance(item, Problem):
                            window.append(item)
                        elif item.local_path is not None and self._procs is not None and not item.sequential:
                            try:
                                window.append(_Pending(item, self._procs.submit(
                                    ingest_path, str(item.local_path), item.relpath.name, self.config,
                                    self._is_on_disc(item), self._budget(item)), None))
                            except BrokenProcessPool:
                                log.error("import worker processes are unavailable; continuing on threads")
                                self._procs = None
                                window.append(self._on_thread(threads, item))
                        else:
                            window.append(self._on_thread(sequential if item.sequential else threads, item))
                        while len(window) > limit:
                            yield self._resolve(window.popleft())
                    while window:
                        self.cancel.raise_if_cancelled()
                        yield self._resolve(window.popleft())
                finally:
                    for pending in window:  # only left on the way out of an error or a cancel
                        if not isinstance(pending, Problem):
                            pending.future.cancel()
                            if pending.job is not None:
                                pending.job.interrupt()
        finally:
            self._threads = self._procs = None
            # The pools have finished what was running: remember blobs that results nobody
            # will record have written, so that discard() removes them.
            for pending in window:
                if not isinstance(pending, Problem) and not pending.future.cancelled():
                    self._note_blob(pending.future)

    def _budget(self, entry: Entry) -> float:
        return self.file_seconds + max(entry.size, 0) / _SLOWEST_READ

    def _on_thread(self, pool: ThreadPoolExecutor, entry: Entry) -> _Pending:
        job = _Job(self._budget(entry))
        return _Pending(entry, pool.submit(job.run, ingest_stream, entry.opener, entry.relpath.name, self.config,
                                           self._is_on_disc(entry)), job)

    def _resolve(self, item: _Pending | Problem) -> tuple[Entry, FileResult] | Problem:
        if isinstance(item, Problem):
            return item
        try:
            result = self._wait(item)
        except BrokenProcessPool:
            # A worker process died (out of memory?) or was ended: read this file on a thread.
            log.error("an import worker process died; continuing on threads")
            self.processes = False
            assert self._threads is not None
            result = self._wait(self._on_thread(self._threads, item.entry))
        except FileTimedOut:  # stopped just as its work ended: the watchdog said it was over budget
            result = timed_out(self._budget(item.entry))
        self.created_blobs.extend(result.created_blobs)
        return item.entry, result

    def _wait(self, pending: _Pending) -> FileResult:
        """The result of one file, enforcing its time budget while waiting for it.

        Results are taken in order, so the file waited for is running (or next to run).
        """
        budget = self._budget(pending.entry)
        since = time.monotonic()
        while True:
            try:
                result = pending.future.result(timeout=_WATCH_SECONDS)
                self._procs_started = self._procs_started or pending.job is None
                return result
            except TimeoutError:
                pass
            self.cancel.raise_if_cancelled()
            now = time.monotonic()
            job = pending.job
            if job is not None:
                if job.started is not None and now - job.started > budget and job.interrupt():
                    log.warning("a file overran its %.0f s budget; stopping it", budget)
            elif now - since > budget + _GRACE_SECONDS + (0 if self._procs_started else _STARTUP_SECONDS):
                log.warning("an import worker process did not stop at its %.0f s budget; ending it", budget)
                self._kill_workers()
                return timed_out(budget)

    def _kill_workers(self) -> None:
        """End the worker processes (a file has them stuck); the pool is then broken, and
        the files it held are read again on threads."""
        procs, self._procs = self._procs, None
        # ProcessPoolExecutor has no public way to stop one task, or to name its processes.
        for process in list(getattr(procs, "_processes", {}).values()):
            with contextlib.suppress(OSError, AttributeError):
                process.kill()

    def _is_on_disc(self, entry: Entry) -> bool:
        parents = entry.relpath.parents
        return any((entry.media_key, str(folder)) in self.on_disc for folder in parents)

    def _note_blob(self, future: Future[FileResult]) -> None:
        try:
            result = future.result()
        except BaseException:  # noqa: BLE001 - only bookkeeping for cleanup
            return
        self.created_blobs.extend(result.created_blobs)

    def _commit(self, batch: _Batch) -> None:
        try:
            self.store.commit_batch(
                self.run_id, rows=batch.rows, blobs=batch.blobs, instances=batch.instances,
                documents=batch.documents, kos_refs=batch.kos_refs, conflicted_uids=batch.conflicts,
                media_refs=batch.media_refs)
        except sqlite3.OperationalError as e:
            if (getattr(e, "sqlite_errorcode", 0) & 0xFF) not in (_SQLITE_IOERR, _SQLITE_FULL):
                raise
            raise CaseWriteError("The case's index could not be written (the disk is full or failing): "
                                 "the import was stopped and the case is as it was before.") from e

    def discard(self) -> None:
        self.store.discard_run(self.run_id)
        for sha in self.created_blobs:  # written by this run, so in no earlier run
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
            self.on_disc.add((e.media_key, str(e.relpath.parent)))
            self.cancel.raise_if_cancelled()
            try:
                with e.open() as f:
                    data = f.read(_MAX_DICOMDIR + 1)
                if len(data) > _MAX_DICOMDIR:
                    continue
                indexed = read_dicomdir(data)
            except (OSError, ValueError, LimitExceeded, zipfile.BadZipFile, EOFError, zlib.error):
                continue  # its own log row says why it could not be read
            except Exception as exc:  # noqa: BLE001 - a last guard: the pre-scan never stops an import
                log.warning("a DICOMDIR could not be read as an index (%s)", type(exc).__name__)
                continue
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

    # ------------------------------------------------------------------ index writer (one thread)

    def _record(self, item: tuple[Entry, FileResult] | Problem, batch: _Batch) -> None:
        if isinstance(item, Problem):
            batch.rows.append(LogRow(item.display, item.status, item.reason, item.detail))
            self.report.add(batch.rows[-1])
            return
        entry, outcome = item
        row = LogRow(entry.display, outcome.status, outcome.reason, outcome.detail, outcome.sha256, self.run_id)
        if outcome.status is ImportStatus.IMPORTED and outcome.sha256:
            sha = outcome.sha256
            if sha in self.known:
                row = replace(row, status=ImportStatus.SKIPPED, reason=Reason.DUPLICATE,
                              detail="Already in the case (the same file was imported before).")
            else:
                self.known.add(sha)
                batch.blobs.append(BlobRecord(sha, outcome.size, outcome.crc32))
                if outcome.header is not None:
                    instance = self._instance(entry, outcome, outcome.header)
                    if instance.uid_conflict:
                        row = replace(row, reason=Reason.DICOM_UID_CONFLICT,
                                      detail="Another file with the same DICOM identifier but different "
                                             "contents is in the case: both are kept.")
                        batch.conflicts.add(instance.sop_instance_uid)
                    batch.instances.append(instance)
                    self.report.dicom_instances += 1
                    batch.kos_refs.extend((instance.sop_instance_uid, ref) for ref in outcome.kos_refs)
                self._documents(entry, outcome, batch)
        batch.rows.append(row)
        self.report.add(row)

    def _instance(self, entry: Entry, outcome: FileResult, h: DicomHeader) -> Instance:
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
            source=entry.display, promised_count=h.promised_count,
        )

    def _documents(self, entry: Entry, outcome: FileResult, batch: _Batch) -> None:
        """The documents a file is, carries or wraps, as index rows."""
        ids: list[str] = []
        for extracted in outcome.documents:
            p = extracted.parsed
            doc_id = extracted.sha256[:16]
            ids.append(doc_id)
            parent = ids[extracted.parent] if extracted.parent is not None else None
            # The file itself is new (the caller checked); what it carries or wraps may not be.
            if extracted.sha256 == outcome.sha256 or extracted.sha256 not in self.known:
                if extracted.sha256 != outcome.sha256:
                    self.known.add(extracted.sha256)
                    batch.blobs.append(BlobRecord(extracted.sha256, extracted.size, extracted.crc32))
                self.report.documents += 1
                if p.needs_label and p.media_type in OCR_MEDIA_TYPES:
                    self.ocr_queue.append(doc_id)
            batch.documents.append((Document(
                id=doc_id, sha256=extracted.sha256, size=extracted.size, media_type=p.media_type,
                title=p.title, source=entry.display if parent is None else f"{entry.display} (embedded)",
                kind=str(p.kind), kind_confidence=p.kind_confidence, kind_evidence=p.kind_evidence,
                date=p.date, pages=p.pages, from_dicom_sop_instance_uid=extracted.from_sop_uid,
                facility=p.facility, author=p.author, patient=p.patient, accession=p.accession,
                modality=p.modality, needs_label=p.needs_label, password_protected=p.password_protected,
                parent_id=parent,
            ), p))


_SQLITE_IOERR, _SQLITE_FULL = 10, 13  # primary result codes (extended codes keep them in the low byte)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A file handed to a pool: a process future (``job`` None) or a thread's job."""

    entry: Entry
    future: Future[FileResult]
    job: _Job | None


class _Job:
    """One file read on a thread: which thread runs it and since when, so that the watchdog in
    :meth:`_Importer._wait` can stop it with :class:`FileTimedOut` when it overruns."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.started: float | None = None
        self._lock = threading.Lock()
        self._ident: int | None = None
        self._interrupted = False

    def run(self, fn: Callable[..., FileResult], *args: object) -> FileResult:
        with self._lock:
            self._ident = threading.get_ident()
            self.started = time.monotonic()
        try:
            return fn(*args)
        except FileTimedOut:
            return timed_out(self.budget)
        finally:
            with self._lock:
                self._ident = None
                if self._interrupted:  # withdraw it if it has not been delivered yet
                    _raise_in_thread(threading.get_ident(), None)

    def interrupt(self) -> bool:
        """Raise :class:`FileTimedOut` in the thread, if it is still on this file."""
        if not self._lock.acquire(timeout=1):
            return False
        try:
            if self._ident is None or self._interrupted:
                return False
            self._interrupted = True
            return _raise_in_thread(self._ident, FileTimedOut)
        finally:
            self._lock.release()


def _raise_in_thread(ident: int, exc: type[BaseException] | None) -> bool:
    """Raise ``exc`` in thread ``ident`` at its next Python instruction; None withdraws one not
    yet raised. CPython only (elsewhere only size limits bound a file on a thread). Code stuck
    inside a C call is not interrupted until the call returns."""
    set_async_exc = getattr(ctypes.pythonapi, "PyThreadState_SetAsyncExc", None)
    if set_async_exc is None:
        return False
    return bool(set_async_exc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None) == 1)


def _norm(path: PurePosixPath) -> str:
    """Compare media paths the way CD file systems do: case-blind, without ISO ';1' or '.'."""
    return "/".join(p.split(";", 1)[0].rstrip(".").upper() for p in path.parts)
