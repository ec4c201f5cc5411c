"""The case store: one folder per case, an SQLite index and content-addressed copies.

Layout of a case folder::

    case.sqlite        the index (WAL mode)
    blobs/ab/abcdef…   a copy of every imported file, named by its SHA-256
    tmp/               scratch space for an import in progress (holds patient data, so it
                       stays inside the case folder)

Every file an import sees gets one ``log`` row; imported content gets a blob and an index row
tied to the import ``run``. A cancelled run is removed whole; a run killed mid-way is marked
``interrupted`` the next time the case is opened, and what it committed stays (nothing that was
imported is lost; re-running the import adds the rest).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bundler.errors import CaseError
from bundler.model import (
    Allergy,
    DicomObjectKind,
    Document,
    DocumentKind,
    Encounter,
    FlaggedPhrase,
    LabResult,
    Medication,
    ParsedDocument,
    PersonIdentity,
    PriorReference,
    Problem,
    Procedure,
    ReportSection,
    ImportStatus,
    Instance,
    LogRow,
    MissingReference,
    Patient,
    Reason,
    Series,
    Study,
)

__all__ = ["BlobRecord", "CaseStore", "RunState", "blob_path"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    state TEXT NOT NULL CHECK (state IN ('running', 'completed', 'cancelled', 'interrupted'))
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
CREATE TABLE IF NOT EXISTS instances (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size INTEGER NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    sop_class_uid TEXT NOT NULL,
    study_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL,
    study_date TEXT NOT NULL,
    study_time TEXT NOT NULL,
    study_description TEXT NOT NULL,
    accession TEXT NOT NULL,
    referring_physician TEXT NOT NULL,
    institution TEXT NOT NULL,
    modality TEXT NOT NULL,
    body_part TEXT NOT NULL,
    series_description TEXT NOT NULL,
    series_number INTEGER,
    instance_number INTEGER,
    transfer_syntax_uid TEXT NOT NULL,
    frames INTEGER NOT NULL,
    lossy INTEGER NOT NULL,
    image_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    has_part10_header INTEGER NOT NULL,
    specific_character_set TEXT NOT NULL,
    uid_conflict INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    promised_count INTEGER,
    UNIQUE (sop_instance_uid, sha256)
);
CREATE INDEX IF NOT EXISTS instances_series ON instances(study_uid, series_uid);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'other',
    kind_confidence REAL NOT NULL DEFAULT 0,
    kind_evidence TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    pages INTEGER,
    from_dicom_sop_instance_uid TEXT,
    facility TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    patient_name TEXT NOT NULL DEFAULT '',
    patient_birth_date TEXT NOT NULL DEFAULT '',
    patient_id TEXT NOT NULL DEFAULT '',
    accession TEXT NOT NULL DEFAULT '',
    modality TEXT NOT NULL DEFAULT '',
    needs_label INTEGER NOT NULL DEFAULT 0,
    password_protected INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT
);
-- What a document says (structured content, report sections, priors, flagged phrases, text),
-- as JSON: read whole, never queried field by field.
CREATE TABLE IF NOT EXISTS document_content (
    doc_id TEXT PRIMARY KEY REFERENCES documents(id),
    run_id INTEGER NOT NULL REFERENCES runs(id),
    content TEXT NOT NULL
);
-- The patient's own part of the case (bundler.intake), one JSON document.
CREATE TABLE IF NOT EXISTS intake (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    content TEXT NOT NULL,
    updated TEXT NOT NULL
);
-- A kind the user set by hand, keyed by content so it survives deleting and re-importing.
CREATE TABLE IF NOT EXISTS kind_overrides (
    sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kos_refs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    kos_sop_uid TEXT NOT NULL,
    referenced_sop_uid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    sha256 TEXT
);
CREATE TABLE IF NOT EXISTS media_refs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dicomdir TEXT NOT NULL,
    referenced_path TEXT NOT NULL,
    present INTEGER NOT NULL,
    reason TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    series_uid TEXT NOT NULL,
    study_uid TEXT NOT NULL
);
"""


class RunState:
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class BlobRecord:
    sha256: str
    size: int
    crc32: int | None = None  # of the content, for the package's inner ZIP (None: not computed)


_INSTANCE_COLUMNS = (
    "run_id", "sha256", "size", "sop_instance_uid", "sop_class_uid", "study_uid", "series_uid",
    "patient_name", "patient_id", "birth_date", "sex", "study_date", "study_time",
    "study_description", "accession", "referring_physician", "institution", "modality",
    "body_part", "series_description", "series_number", "instance_number",
    "transfer_syntax_uid", "frames", "lossy", "image_type", "kind", "has_part10_header",
    "specific_character_set", "uid_conflict", "source", "promised_count",
)


def blob_path(blobs_dir: Path, sha256: str) -> Path:
    """Where the copy with this SHA-256 lives: ``blobs/ab/abcdef…``."""
    return blobs_dir / sha256[:2] / sha256


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CaseStore:
    """An open case. Thread-safe: one connection guarded by a lock (SQLite has one writer)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()
        self._run_lock: _FileLock | None = None
        # Instances and studies read once per version of the data (see _version): the app
        # re-checks a case after every edit of the intake, the records unchanged.
        self._cache: dict[str, tuple[tuple[int, int], Any]] = {}

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> CaseStore:
        """Open the case folder ``path``; with ``create`` make it when absent.

        Raises :class:`CaseError` when the folder is not a case or cannot be opened.
        """
        path = Path(path)
        db = path / "case.sqlite"
        if not db.exists():
            if not create:
                raise CaseError("This folder is not a Records Bundler case.", code="case_not_found")
            if path.exists() and any(path.iterdir()):
                raise CaseError("This folder is not empty and is not a case; choose an empty folder.",
                                code="case_folder_not_empty")
            path.mkdir(parents=True, exist_ok=True)
            _private(path)
        try:
            conn = sqlite3.connect(db, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            _add_missing_columns(conn)
            store = cls(path, conn)
            store._init_meta()
        except sqlite3.DatabaseError as e:
            raise CaseError("The case index is damaged or is not a case file.", code="case_damaged") from e
        for folder in (path / "blobs", path / "tmp"):  # patient data: this user only
            folder.mkdir(mode=0o700, exist_ok=True)
            _private(folder)
        store._recover_interrupted_runs()
        return store

    def _init_meta(self) -> None:
        with self._tx() as c:
            row = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                c.execute("INSERT INTO meta VALUES ('case_id', ?)", (uuid.uuid4().hex,))
                c.execute("INSERT INTO meta VALUES ('created', ?)", (_now(),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise CaseError("This case was made by a newer version of the app.", code="case_too_new")

    def _recover_interrupted_runs(self) -> None:
        # A run still 'running' while nobody holds the import lock was killed: its committed
        # rows are kept (nothing imported is lost) and its scratch files removed. When another
        # process or window is importing right now, leave its run alone.
        probe = _FileLock(self.path / "import.lock")
        if not probe.try_acquire():
            return
        try:
            self._mark_interrupted_and_clean()
        finally:
            probe.release()

    def _mark_interrupted_and_clean(self) -> None:
        with self._tx() as c:
            n = c.execute(
                "UPDATE runs SET state=?, finished=? WHERE state=?",
                (RunState.INTERRUPTED, _now(), RunState.RUNNING),
            ).rowcount
        if n:
            log.info("marked %d interrupted import run(s)", n)
            self._remove_unindexed_blobs()
        tmp = self.path / "tmp"
        for leftover in tmp.iterdir() if tmp.exists() else ():
            # Files a DICOM receiver (net.scp) has accepted but not yet imported are kept: a
            # receiver may be running in another process, and they are records, not scratch.
            if not leftover.name.startswith("recv-"):
                _remove_tree(leftover)

    def close(self) -> None:
        with self._lock:
            if self._run_lock is not None:
                self._run_lock.release()
                self._run_lock = None
            self._conn.close()

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    class _Tx:
        def __init__(self, store: CaseStore) -> None:
            self._store = store

        def __enter__(self) -> sqlite3.Connection:
            self._store._lock.acquire()
            self._store._conn.execute("BEGIN IMMEDIATE")
            return self._store._conn

        def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
            conn = self._store._conn
            try:
                if t is None:
                    try:
                        conn.execute("COMMIT")
                    except sqlite3.Error:
                        if conn.in_transaction:  # a COMMIT that failed (disk full) leaves it open
                            conn.execute("ROLLBACK")
                        raise
                elif conn.in_transaction:
                    # SQLite has already rolled back after SQLITE_FULL, IOERR or NOMEM; a second
                    # ROLLBACK would fail and hide the error that matters.
                    conn.execute("ROLLBACK")
            finally:
                self._store._lock.release()

    def _tx(self) -> CaseStore._Tx:
        return CaseStore._Tx(self)

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self._conn.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    # ------------------------------------------------------------------ paths

    @property
    def blobs_dir(self) -> Path:
        return self.path / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.path / "tmp"

    def blob_path(self, sha256: str) -> Path:
        return blob_path(self.blobs_dir, sha256)

    @property
    def case_id(self) -> str:
        return str(self._query("SELECT value FROM meta WHERE key='case_id'")[0][0])

    @property
    def is_read_only(self) -> bool:
        """A case opened from a package: what the reviewer received, not to be added to."""
        rows = self._query("SELECT value FROM meta WHERE key='read_only'")
        return bool(rows) and rows[0][0] == "1"

    def mark_read_only(self) -> None:
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO meta VALUES ('read_only', '1')")

    # ------------------------------------------------------------------ import runs

    def begin_run(self) -> int:
        """Start an import run; one at a time per case, across processes (an OS file lock)."""
        if self.is_read_only:
            raise CaseError("This case was opened from a package and is read-only.", code="case_read_only")
        with self._lock:
            if self._run_lock is not None:
                raise CaseError("Another import into this case is still running.", code="case_busy")
            lock = _FileLock(self.path / "import.lock")
            if not lock.try_acquire():
                raise CaseError("Another import into this case is still running (in another window "
                                "or program).", code="case_busy")
            self._run_lock = lock
        try:
            with self._tx() as c:
                cur = c.execute("INSERT INTO runs (started, state) VALUES (?, ?)", (_now(), RunState.RUNNING))
                return int(cur.lastrowid or 0)
        except BaseException:
            self._release_run_lock()
            raise

    def finish_run(self, run_id: int, state: str = RunState.COMPLETED) -> None:
        try:
            with self._tx() as c:
                c.execute("UPDATE runs SET state=?, finished=? WHERE id=?", (state, _now(), run_id))
            self._remove_unindexed_blobs()
        finally:
            self._release_run_lock()

    def _remove_unindexed_blobs(self) -> None:
        """Remove blob files that no ``blobs`` row lists: written by a run that was killed,
        stopped by an error, or whose file was stopped at its time budget, before the row was
        committed.

        Callers hold the import lock, so no import is writing blobs. Such files are complete
        (written beside and renamed) but nothing refers to them; re-importing writes them again.
        """
        known = self.known_hashes()
        removed = 0
        for top in os.scandir(self.blobs_dir) if self.blobs_dir.is_dir() else ():
            if len(top.name) != 2 or not top.is_dir(follow_symlinks=False):
                continue
            for f in os.scandir(top.path):
                if len(f.name) == 64 and f.name.startswith(top.name) and f.name not in known:
                    try:
                        os.unlink(f.path)
                        removed += 1
                    except OSError:
                        pass
        if removed:
            log.info("removed %d blob file(s) of an interrupted run", removed)

    def _release_run_lock(self) -> None:
        with self._lock:
            if self._run_lock is not None:
                self._run_lock.release()
                self._run_lock = None

    def discard_run(self, run_id: int) -> None:
        """Remove everything a run added (a cancel): the case is as it was before the run."""
        with self._tx() as c:
            orphans = [r[0] for r in c.execute("SELECT sha256 FROM blobs WHERE run_id=?", (run_id,))]
            for table in ("instances", "document_content", "documents", "log", "media_refs", "kos_refs"):
                c.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))  # noqa: S608 - fixed names
            c.execute("DELETE FROM blobs WHERE run_id=?", (run_id,))
            c.execute("UPDATE runs SET state=?, finished=? WHERE id=?", (RunState.CANCELLED, _now(), run_id))
        for sha in orphans:
            self.blob_path(sha).unlink(missing_ok=True)
        try:
            self._remove_unindexed_blobs()
        finally:
            self._release_run_lock()

    def run_state(self, run_id: int) -> str:
        rows = self._query("SELECT state FROM runs WHERE id=?", (run_id,))
        return str(rows[0][0]) if rows else ""

    def known_hashes(self) -> set[str]:
        return {r[0] for r in self._query("SELECT sha256 FROM blobs")}

    def blob_crc32s(self) -> dict[str, int]:
        """CRC-32 of each blob whose CRC was recorded at import (blobs of older cases have none)."""
        return {r[0]: r[1] for r in self._query("SELECT sha256, crc32 FROM blobs WHERE crc32 IS NOT NULL")}

    def sop_hashes(self, sop_instance_uid: str) -> set[str]:
        return {r[0] for r in self._query(
            "SELECT sha256 FROM instances WHERE sop_instance_uid=?", (sop_instance_uid,))}

    def commit_batch(
        self,
        run_id: int,
        *,
        rows: Iterable[LogRow],
        blobs: Iterable[BlobRecord] = (),
        instances: Iterable[Instance] = (),
        documents: Iterable[tuple[Document, ParsedDocument]] = (),
        kos_refs: Iterable[tuple[str, str]] = (),
        conflicted_uids: Iterable[str] = (),
        media_refs: Iterable[tuple[MissingReference, bool]] = (),
    ) -> None:
        """Write one batch of an import in one transaction (blob files are already in place)."""
        with self._tx() as c:
            c.executemany(
                "INSERT INTO blobs (sha256, size, run_id, crc32) VALUES (?, ?, ?, ?) ON CONFLICT (sha256)"
                " DO UPDATE SET crc32=excluded.crc32 WHERE blobs.crc32 IS NULL",
                [(b.sha256, b.size, run_id, b.crc32) for b in blobs],
            )
            c.executemany(
                f"INSERT OR IGNORE INTO instances ({', '.join(_INSTANCE_COLUMNS)}) "  # noqa: S608
                f"VALUES ({', '.join('?' * len(_INSTANCE_COLUMNS))})",
                [_instance_values(run_id, i) for i in instances],
            )
            c.executemany(
                "UPDATE instances SET uid_conflict=1 WHERE sop_instance_uid=?",
                [(u,) for u in conflicted_uids],
            )
            for d, content in documents:
                cur = c.execute(
                    f"INSERT OR IGNORE INTO documents ({', '.join(_DOCUMENT_COLUMNS)}) "  # noqa: S608
                    f"VALUES ({', '.join('?' * len(_DOCUMENT_COLUMNS))})", _document_values(run_id, d))
                if cur.rowcount:
                    c.execute("INSERT INTO document_content (doc_id, run_id, content) VALUES (?, ?, ?)",
                              (d.id, run_id, content_to_json(content)))
                elif d.from_dicom_sop_instance_uid:
                    # The same document arrived both as a file and inside DICOM: remember both.
                    c.execute("UPDATE documents SET from_dicom_sop_instance_uid=? WHERE id=? AND"
                              " from_dicom_sop_instance_uid IS NULL", (d.from_dicom_sop_instance_uid, d.id))
            c.executemany(
                "INSERT INTO kos_refs (run_id, kos_sop_uid, referenced_sop_uid) VALUES (?, ?, ?)",
                [(run_id, kos, ref) for kos, ref in kos_refs],
            )
            c.executemany(
                "INSERT INTO log (run_id, source, status, reason, detail, sha256) VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, r.source, str(r.status), str(r.reason), r.detail, r.sha256) for r in rows],
            )
            c.executemany(
                "INSERT INTO media_refs (run_id, dicomdir, referenced_path, present, reason,"
                " sop_instance_uid, series_uid, study_uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, m.dicomdir, m.referenced_path, int(present), m.reason, m.sop_instance_uid,
                  m.series_uid, m.study_uid) for m, present in media_refs],
            )

    # ------------------------------------------------------------------ reading

    def _version(self) -> tuple[int, int]:
        """Changes by this connection, and SQLite's counter of commits by other connections."""
        return self._conn.total_changes, int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _cached(self, key: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            version = self._version()
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            value = read()
            self._cache[key] = (version, value)
            return value

    def instances(self) -> tuple[Instance, ...]:
        result: tuple[Instance, ...] = self._cached("instances", self._read_instances)
        return result

    def _read_instances(self) -> tuple[Instance, ...]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {', '.join(_INSTANCE_READ)} FROM instances "  # noqa: S608
                "ORDER BY study_date, study_uid, series_number, series_uid, instance_number, sop_instance_uid"
            ).fetchall()
        # A case may hold 100,000 instances and the check reads every one: plain tuples, positional
        # arguments, one Patient per distinct patient (benchmarks/check_bench.py).
        patients: dict[tuple[str, str, str, str], Patient] = {}
        kinds = _OBJECT_KINDS
        out = []
        for r in rows:
            key = (r[6], r[7], r[8], r[9])
            patient = patients.get(key)
            if patient is None:
                patient = patients[key] = Patient(*key)
            out.append(Instance(r[0], r[1], r[2], r[3], r[4], r[5], patient, r[10], r[11], r[12], r[13], r[14],
                                r[15], r[16], r[17], r[18], r[19], r[20], r[21], r[22], bool(r[23]), r[24],
                                kinds[r[25]], bool(r[26]), r[27], bool(r[28]), r[29], r[30]))
        return tuple(out)

    def studies(self) -> tuple[Study, ...]:
        """Studies → series → instances, oldest study first."""
        result: tuple[Study, ...] = self._cached("studies", self._read_studies)
        return result

    def _read_studies(self) -> tuple[Study, ...]:
        by_study: dict[str, dict[str, list[Instance]]] = {}
        for inst in self.instances():
            by_study.setdefault(inst.study_uid, {}).setdefault(inst.series_uid, []).append(inst)
        studies = []
        for study_uid, series_map in by_study.items():
            series = []
            for series_uid, insts in series_map.items():
                first = insts[0]
                series.append(Series(series_uid, first.modality, first.series_description,
                                     first.series_number, first.body_part, tuple(insts)))
            series.sort(key=lambda s: (s.number is None, s.number or 0, s.series_uid))
            head = series_map[next(iter(series_map))][0]
            studies.append(Study(
                study_uid=study_uid, date=head.study_date, time=head.study_time,
                description=head.study_description, accession=head.accession,
                referring_physician=head.referring_physician, institution=head.institution,
                patient=head.patient, series=tuple(series),
            ))
        studies.sort(key=lambda s: (s.date or "99999999", s.time, s.study_uid))
        return tuple(studies)

    def patients(self) -> tuple[Patient, ...]:
        """Every distinct (name, ID, birth date, sex) the records carry."""
        rows = self._query(
            "SELECT DISTINCT patient_name, patient_id, birth_date, sex FROM instances "
            "ORDER BY patient_id, patient_name")
        return tuple(Patient(r[0], r[1], r[2], r[3]) for r in rows)

    def documents(self) -> tuple[Document, ...]:
        """Every document, with the kind the user chose where they chose one."""
        rows = self._query(
            f"SELECT {', '.join('d.' + c for c in _DOCUMENT_COLUMNS[1:])}, o.kind AS override"  # noqa: S608
            " FROM documents d LEFT JOIN kind_overrides o ON o.sha256 = d.sha256 ORDER BY d.date, d.title, d.id")
        return tuple(_document_from_row(r) for r in rows)

    def document_content(self, doc_id: str) -> ParsedDocument | None:
        rows = self._query("SELECT content FROM document_content WHERE doc_id=?", (doc_id,))
        return content_from_json(rows[0][0]) if rows else None

    def document_contents(self) -> dict[str, ParsedDocument]:
        """What every document says (structured content, sections, priors, flags, text)."""
        return {r[0]: content_from_json(r[1]) for r in self._query("SELECT doc_id, content FROM document_content")}

    def set_kind(self, doc_id: str, kind: str) -> Document:
        """Set a document's kind by hand; kept by content hash, so it survives re-import."""
        rows = self._query("SELECT sha256 FROM documents WHERE id=?", (doc_id,))
        if not rows:
            raise CaseError("There is no document with that ID in this case.", code="no_such_document")
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO kind_overrides (sha256, kind, set_at) VALUES (?, ?, ?)",
                      (rows[0][0], kind, _now()))
        return next(d for d in self.documents() if d.id == doc_id)

    def update_document_reading(self, doc_id: str, p: ParsedDocument) -> None:
        """Store a new reading of a document (after OCR): what it is and what it says."""
        with self._tx() as c:
            c.execute(
                "UPDATE documents SET kind=?, kind_confidence=?, kind_evidence=?, date=?, facility=?, author=?,"
                " patient_name=?, patient_birth_date=?, patient_id=?, accession=?, modality=?, needs_label=?,"
                " pages=COALESCE(?, pages) WHERE id=?",
                (str(p.kind), p.kind_confidence, p.kind_evidence, p.date, p.facility, p.author, p.patient.name,
                 p.patient.birth_date, p.patient.id, p.accession, p.modality, int(p.needs_label), p.pages, doc_id))
            c.execute("UPDATE document_content SET content=? WHERE doc_id=?", (content_to_json(p), doc_id))

    def intake_json(self) -> str | None:
        """The patient's own part of the case as stored (see :mod:`bundler.intake`), or None."""
        rows = self._query("SELECT content FROM intake WHERE id=1")
        return str(rows[0][0]) if rows else None

    def set_intake_json(self, content: str) -> None:
        """Replace the patient's own part of the case (one transaction)."""
        if self.is_read_only:
            raise CaseError("This case was opened from a package and is read-only.", code="case_read_only")
        with self._tx() as c:
            c.execute("INSERT OR REPLACE INTO intake (id, content, updated) VALUES (1, ?, ?)", (content, _now()))

    def kos_references(self) -> dict[str, tuple[str, ...]]:
        """Key Object Selection instance UID → the instance UIDs it marks as key."""
        out: dict[str, list[str]] = {}
        for kos, ref in self._query("SELECT kos_sop_uid, referenced_sop_uid FROM kos_refs ORDER BY id"):
            out.setdefault(kos, []).append(ref)
        return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}

    def log_rows(self) -> tuple[LogRow, ...]:
        rows = self._query("SELECT source, status, reason, detail, sha256, run_id FROM log ORDER BY id")
        return tuple(LogRow(r[0], ImportStatus(r[1]), _reason(r[2]), r[3], r[4], r[5]) for r in rows)

    def missing_references(self) -> tuple[MissingReference, ...]:
        rows = self._query(
            "SELECT dicomdir, referenced_path, reason, sop_instance_uid, series_uid, study_uid FROM media_refs"
            " WHERE present=0 ORDER BY id")
        return tuple(MissingReference(*r) for r in rows)

    def media_index_counts(self) -> dict[str, int]:
        """Instances each series should have according to the DICOMDIRs imported (series UID → count)."""
        rows = self._query(
            "SELECT series_uid, COUNT(DISTINCT referenced_path) FROM media_refs WHERE series_uid != ''"
            " GROUP BY series_uid")
        return {r[0]: int(r[1]) for r in rows}

    def runs(self) -> list[dict[str, object]]:
        return [dict(r) for r in self._query("SELECT id, started, finished, state FROM runs ORDER BY id")]

    def integrity_check(self) -> bool:
        return bool(self._query("PRAGMA integrity_check")[0][0] == "ok")

    # ------------------------------------------------------------------ checking (bundler.fsck)

    def integrity_messages(self, limit: int = 20) -> list[str]:
        """What SQLite's integrity check says (``["ok"]`` when the index is sound)."""
        return [str(r[0]) for r in self._query(f"PRAGMA integrity_check({int(limit)})")]

    def blob_records(self) -> list[BlobRecord]:
        return [BlobRecord(r[0], r[1], r[2]) for r in self._query("SELECT sha256, size, crc32 FROM blobs")]

    def blob_references(self) -> dict[str, list[str]]:
        """SHA-256 → the index tables whose rows need that blob (one entry per row)."""
        out: dict[str, list[str]] = {}
        for sha, table in self._query("SELECT sha256, 'instances' FROM instances UNION ALL "
                                      "SELECT sha256, 'documents' FROM documents"):
            out.setdefault(sha, []).append(table)
        return out

    def orphan_contents(self) -> int:
        """Rows of ``document_content`` whose document is gone."""
        return int(self._query("SELECT COUNT(*) FROM document_content WHERE doc_id NOT IN "
                               "(SELECT id FROM documents)")[0][0])

    def exclusive(self) -> _Exclusive:
        """Hold the case's import lock (no import may run) without starting a run."""
        return _Exclusive(self)

    def remove_content(self, shas: Iterable[str], reason: Reason, detail: str) -> int:
        """Remove every index row of content that is gone or damaged (``fsck --repair``), in one
        transaction, with a log row per removed row under a new run; returns the rows removed.
        Their documents' children stay, without a parent."""
        with self._tx() as c:
            run_id = int(c.execute("INSERT INTO runs (started, finished, state) VALUES (?, ?, ?)",
                                   (_now(), _now(), RunState.COMPLETED)).lastrowid or 0)
            removed = 0
            for sha in shas:
                rows = c.execute("SELECT source FROM instances WHERE sha256=? UNION ALL "
                                 "SELECT source FROM documents WHERE sha256=?", (sha, sha)).fetchall()
                c.executemany("INSERT INTO log (run_id, source, status, reason, detail, sha256) VALUES "
                              "(?, ?, ?, ?, ?, ?)",
                              [(run_id, r[0], str(ImportStatus.FAILED), str(reason), detail, sha) for r in rows])
                removed += len(rows)
                ids = [(r[0],) for r in c.execute("SELECT id FROM documents WHERE sha256=?", (sha,))]
                c.executemany("UPDATE documents SET parent_id=NULL WHERE parent_id=?", ids)
                c.executemany("DELETE FROM document_content WHERE doc_id=?", ids)
                c.execute("DELETE FROM documents WHERE sha256=?", (sha,))
                c.execute("DELETE FROM instances WHERE sha256=?", (sha,))
                c.execute("DELETE FROM blobs WHERE sha256=?", (sha,))
            c.execute("DELETE FROM document_content WHERE doc_id NOT IN (SELECT id FROM documents)")
        return removed

    def summary_json(self) -> str:
        return json.dumps({"case_id": self.case_id, "runs": self.runs()})


_DOCUMENT_COLUMNS = (
    "run_id", "id", "sha256", "size", "media_type", "title", "source", "kind", "kind_confidence",
    "kind_evidence", "date", "pages", "from_dicom_sop_instance_uid", "facility", "author", "patient_name",
    "patient_birth_date", "patient_id", "accession", "modality", "needs_label", "password_protected",
    "parent_id",
)


def _document_values(run_id: int, d: Document) -> tuple[object, ...]:
    return (
        run_id, d.id, d.sha256, d.size, d.media_type, d.title, d.source, d.kind, d.kind_confidence,
        d.kind_evidence, d.date, d.pages, d.from_dicom_sop_instance_uid, d.facility, d.author,
        d.patient.name, d.patient.birth_date, d.patient.id, d.accession, d.modality, int(d.needs_label),
        int(d.password_protected), d.parent_id,
    )


def _document_from_row(r: sqlite3.Row) -> Document:
    override = r["override"]
    return Document(
        id=r["id"], sha256=r["sha256"], size=r["size"], media_type=r["media_type"], title=r["title"],
        source=r["source"], kind=override or r["kind"],
        kind_confidence=1.0 if override else r["kind_confidence"], date=r["date"], pages=r["pages"],
        from_dicom_sop_instance_uid=r["from_dicom_sop_instance_uid"],
        kind_evidence="set by you" if override else r["kind_evidence"], kind_overridden=bool(override),
        facility=r["facility"], author=r["author"],
        patient=PersonIdentity(r["patient_name"], r["patient_birth_date"], r["patient_id"]),
        accession=r["accession"], modality=r["modality"], needs_label=bool(r["needs_label"]),
        password_protected=bool(r["password_protected"]), parent_id=r["parent_id"],
    )


def content_to_json(p: ParsedDocument) -> str:
    """What a document says, without its bytes (attachments are documents of their own)."""
    data = dataclasses.asdict(dataclasses.replace(p, attachments=()))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def content_from_json(text: str) -> ParsedDocument:
    d = json.loads(text)
    return ParsedDocument(
        media_type=d["media_type"], title=d["title"], kind=DocumentKind(d["kind"]),
        kind_confidence=d["kind_confidence"], kind_evidence=d["kind_evidence"], date=d["date"],
        facility=d["facility"], author=d["author"], patient=PersonIdentity(**d["patient"]), text=d["text"],
        pages=d["pages"], accession=d["accession"], modality=d["modality"], needs_label=d["needs_label"],
        password_protected=d["password_protected"],
        medications=tuple(Medication(**x) for x in d["medications"]),
        allergies=tuple(Allergy(**x) for x in d["allergies"]),
        problems=tuple(Problem(**x) for x in d["problems"]),
        results=tuple(LabResult(**x) for x in d["results"]),
        procedures=tuple(Procedure(**x) for x in d["procedures"]),
        encounters=tuple(Encounter(**x) for x in d["encounters"]),
        sections=tuple(ReportSection(**x) for x in d["sections"]),
        priors=tuple(PriorReference(**x) for x in d["priors"]),
        flags=tuple(FlaggedPhrase(**x) for x in d["flags"]),
        problems_found=tuple(d["problems_found"]),
    )


def _reason(code: str) -> Reason:
    try:
        return Reason(code)
    except ValueError:
        return Reason.INTERNAL_ERROR


def _instance_values(run_id: int, i: Instance) -> tuple[object, ...]:
    p = i.patient
    return (
        run_id, i.sha256, i.size, i.sop_instance_uid, i.sop_class_uid, i.study_uid, i.series_uid,
        p.name, p.id, p.birth_date, p.sex, i.study_date, i.study_time, i.study_description,
        i.accession, i.referring_physician, i.institution, i.modality, i.body_part,
        i.series_description, i.series_number, i.instance_number, i.transfer_syntax_uid, i.frames,
        int(i.lossy), i.image_type, str(i.kind), int(i.has_part10_header), i.specific_character_set,
        int(i.uid_conflict), i.source, i.promised_count,
    )


_OBJECT_KINDS = {k.value: k for k in DicomObjectKind}
# The columns CaseStore.instances reads, in the order of Instance's fields (patient expanded).
_INSTANCE_READ = (
    "sop_instance_uid", "sop_class_uid", "sha256", "size", "study_uid", "series_uid",
    "patient_name", "patient_id", "birth_date", "sex", "study_date", "study_time", "study_description",
    "accession", "referring_physician", "institution", "modality", "body_part", "series_description",
    "series_number", "instance_number", "transfer_syntax_uid", "frames", "lossy", "image_type", "kind",
    "has_part10_header", "specific_character_set", "uid_conflict", "source", "promised_count",
)


# Columns added after schema version 1 shipped: (table, column, declaration). Cases made by an
# earlier build get them on open; old rows hold NULL (unknown), which readers accept.
_ADDED_COLUMNS = (
    ("instances", "promised_count", "INTEGER"),
    ("blobs", "crc32", "INTEGER"),
)


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, decl in _ADDED_COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


class _Exclusive:
    def __init__(self, store: CaseStore) -> None:
        self._store = store
        self._lock = _FileLock(store.path / "import.lock")

    def __enter__(self) -> None:
        if not self._lock.try_acquire():
            raise CaseError("An import into this case is running; try again when it has finished.",
                            code="case_busy")

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None) -> None:
        self._lock.release()


class _FileLock:
    """An advisory, non-blocking, whole-file OS lock; the OS drops it when the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def _private(path: Path) -> None:
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def delete_case(path: Path | str) -> None:
    """Remove the case folder ``path`` and everything in it (records, answers, log, index).

    Only a case folder is removed (one holding ``case.sqlite``: a mistyped path never deletes
    anything else), and never while an import is writing to it. The folder is first renamed to a
    neutral hidden name beside it, so that a deletion cut short leaves no half case that looks
    whole; whatever then cannot be removed is reported. The sources it was imported from and the
    packages exported from it are not touched. Close the case first.
    """
    import shutil
    import stat

    path = Path(path)
    if not (path / "case.sqlite").is_file() or path.is_symlink():
        raise CaseError("This folder is not a Records Bundler case; nothing was deleted.", code="case_not_found")
    probe = _FileLock(path / "import.lock")
    if not probe.try_acquire():
        raise CaseError("Records are being added to this case right now; stop the import first.",
                        code="case_busy")
    probe.release()
    doomed = path.with_name(f".records-bundler-deleting-{uuid.uuid4().hex[:12]}")
    try:
        os.replace(path, doomed)
    except OSError:
        doomed = path  # another file system or a held handle: remove it where it is

    def writable_then_retry(func: Callable[..., Any], target: str, _exc: object) -> None:
        os.chmod(target, stat.S_IRWXU)  # a read-only file (Windows will not remove one otherwise)
        func(target)

    try:
        shutil.rmtree(doomed, onerror=writable_then_retry)
    except OSError as e:
        raise CaseError("The case could not be removed completely (a file is in use or the disk "
                        "refused); close other programs and try again.", code="case_delete_failed") from e
    log.info("case deleted")
