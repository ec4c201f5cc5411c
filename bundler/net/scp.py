"""Receive studies: a Storage SCP that writes only into the case and imports what arrives.

:class:`Receiver` accepts associations only from the listed calling AE titles *at* their
listed hosts, writes every received instance byte for byte (as it came off the wire, with a
PS3.10 header) into a private folder inside the case (``tmp/recv-…``), and imports that folder
through the ordinary import pipeline when the association ends (and every ``batch_files``
files on long associations): the same log rows and reason codes as a disc import.

The DIMSE handlers are plain functions that return a status and never raise. A hostile or
broken peer gets the status the standard gives for its fault, a log line with a reason code
(never patient data), and the receiver goes on.

Threads: pynetdicom runs one thread per association and one accept loop; the receiver adds a
single importer thread (the case store has one writer). It is the one place outside the UI
that starts threads, because a server must answer while the caller waits.
"""

from __future__ import annotations

import logging
import queue
import shutil
import socket
import ssl
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pynetdicom import AllStoragePresentationContexts, evt
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from bundler.errors import BundlerError, Cancelled, CaseError
from bundler.ingest.dicom import DicomReadError, Encoding, read_header_bytes
from bundler.ingest.report import ImportReport
from bundler.net.ae import (
    ACCEPTED_SYNTAXES,
    UNCOMPRESSED_SYNTAXES,
    AllowEntry,
    NetworkError,
    Timeouts,
    _normal_ip,
    make_ae,
    no_delay,
    validate_ae_title,
)
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.store import CaseStore

__all__ = ["Receiver", "ReceiverSummary", "Status"]

log = logging.getLogger(__name__)


class Status:
    """C-STORE statuses we answer with (PS3.4 Annex B.2.3)."""

    SUCCESS = 0x0000
    OUT_OF_RESOURCES = 0xA700
    DATASET_MISMATCH = 0xA900  # the dataset does not match the request's SOP class / instance
    CANNOT_UNDERSTAND = 0xC000


_DISK_RESERVE = 256 * 1024 * 1024  # never fill the disk to the last byte
_MAX_PDU = 256 * 1024  # what we tell peers we receive per P-DATA PDU (fewer, larger PDUs)
_BUSY_RETRY_SECONDS = 1.0
_BUSY_WAIT_ON_STOP = 120.0


@dataclass
class ReceiverSummary:
    """What a receiver did: counts and reason codes only (no patient data)."""

    associations: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    received: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    reports: list[ImportReport] = field(default_factory=list)
    import_errors: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "associations": self.associations,
            "rejected_associations": dict(self.rejected),
            "received": self.received,
            "refused_instances": dict(self.refused),
            "imported": sum(r.imported for r in self.reports),
            "skipped": sum(r.skipped for r in self.reports),
            "failed": sum(r.failed for r in self.reports),
            "import_runs": [r.run_id for r in self.reports],
            "reasons": dict(sum((Counter(r.reasons()) for r in self.reports), Counter())),
            "import_errors": dict(self.import_errors),
        }


class ReceivedFiles:
    """Received instances written into one private folder inside the case.

    File names are counters, never anything the peer sent. Used by the receiver (one per
    association or batch) and by C-GET retrieval.
    """

    def __init__(self, tmp_dir: Path, prefix: str) -> None:
        self.folder = tmp_dir / f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.count = 0
        self.lock = threading.Lock()
        self.closed = False

    def write(self, event: Any) -> tuple[int, str]:
        """Validate and write one C-STORE request's dataset; return (status, reason code)."""
        try:
            data: bytes = event.encoded_dataset(include_meta=True)
        except Exception:  # noqa: BLE001 - a hostile request may break pynetdicom's encoder
            return Status.CANNOT_UNDERSTAND, "dicom_malformed"
        reason = "dicom"
        status = Status.SUCCESS
        try:
            header = read_header_bytes(data, encoding=Encoding.PART10)
        except DicomReadError as e:
            # Written anyway: the import logs it as a failed file with this same reason.
            status, reason = Status.CANNOT_UNDERSTAND, e.reason
        else:
            req = event.request
            if (header.sop_instance_uid != str(req.AffectedSOPInstanceUID or "")
                    or header.sop_class_uid != str(req.AffectedSOPClassUID or "")):
                return Status.DATASET_MISMATCH, "dataset_mismatch"
        try:
            self.folder.mkdir(mode=0o700, parents=False, exist_ok=True)
            if shutil.disk_usage(self.folder).free < len(data) + _DISK_RESERVE:
                return Status.OUT_OF_RESOURCES, "disk_full"
            self.count += 1
            with open(self.folder / f"{self.count:06d}.dcm", "xb") as f:
                f.write(data)
        except OSError:
            log.error("could not write a received instance into the case")
            return Status.OUT_OF_RESOURCES, "write_failed"
        return status, reason

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# Retired storage SOP classes still found on old discs and in old archives (PS3.6 Annex A).
_RETIRED_STORAGE = {
    "1.2.840.10008.5.1.4.1.1.3": "UltrasoundMultiFrameImageStorageRetired",
    "1.2.840.10008.5.1.4.1.1.5": "NuclearMedicineImageStorageRetired",
    "1.2.840.10008.5.1.4.1.1.6": "UltrasoundImageStorageRetired",
    "1.2.840.10008.5.1.4.1.1.12.3": "XRayAngiographicBiPlaneImageStorageRetired",
    "1.2.840.10008.5.1.4.1.1.77.1": "VLImageStorageRetired",
    "1.2.840.10008.5.1.4.1.1.77.2": "VLMultiFrameImageStorageRetired",
}
_registered = threading.Lock()


def _register_retired_storage() -> None:
    """Tell pynetdicom these are storage classes (it aborts on a C-STORE of an unknown class)."""
    from pynetdicom.service_class import StorageServiceClass
    from pynetdicom.sop_class import register_uid, uid_to_service_class

    with _registered:
        for uid, keyword in _RETIRED_STORAGE.items():
            if uid_to_service_class(uid) is not StorageServiceClass:
                register_uid(uid, keyword, StorageServiceClass)


def storage_contexts(*, compressed: bool = True) -> list[PresentationContext]:
    """Every storage SOP class pynetdicom knows and the common retired ones, with every syntax
    we keep, plus Verification."""
    _register_retired_storage()
    syntaxes = list(ACCEPTED_SYNTAXES if compressed else UNCOMPRESSED_SYNTAXES)
    classes = [str(cx.abstract_syntax) for cx in AllStoragePresentationContexts]
    classes += [c for c in _RETIRED_STORAGE if c not in classes]
    contexts = [build_context(c, syntaxes) for c in classes]
    contexts.append(build_context(Verification, list(UNCOMPRESSED_SYNTAXES)))
    return contexts


class _BoundedSocket:
    """An accepted socket that refuses PDUs longer than ``limit`` (PS3.8 §9.3.1: the length
    comes first), before reading them.

    pynetdicom reads whatever length a PDU header announces, before any association exists:
    a 4 GB A-ASSOCIATE-RQ from anyone would be read into memory. The first six bytes of every
    PDU are watched here; too long a PDU ends the connection (pynetdicom sees it close).
    Everything else is the wrapped socket's (``__class__`` too, so that pynetdicom still sees
    an ``SSLSocket`` and checks its buffered bytes).
    """

    def __init__(self, sock: socket.socket, limit: int, on_refused: Callable[[str], None]) -> None:
        self._sock = sock
        self._limit = limit
        self._on_refused = on_refused
        self._header = bytearray()
        self._body_left = 0

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return self._sock.__class__

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def fileno(self) -> int:
        return self._sock.fileno()

    def recv(self, n: int, *flags: int) -> bytes:
        data = self._sock.recv(n, *flags)
        pos = 0
        while pos < len(data):
            if self._body_left:
                take = min(self._body_left, len(data) - pos)
                self._body_left -= take
                pos += take
                continue
            piece = data[pos:pos + 6 - len(self._header)]
            self._header += piece
            pos += len(piece)
            if len(self._header) == 6:
                (length,) = struct.unpack(">I", bytes(self._header[2:6]))
                self._header.clear()
                if length > self._limit:
                    log.warning("receiver refused a connection: pdu_too_large")
                    self._on_refused("pdu_too_large")
                    raise ConnectionAbortedError("PDU longer than we accept")
                self._body_left = length
        return data


class _Server(ThreadedAssociationServer):
    """pynetdicom's server, with a cap on connections and the TLS handshake off the accept loop.

    pynetdicom does the TLS handshake inside ``get_request`` with no timeout: one peer that
    connects and stays silent would stop every other connection. Here the handshake runs on
    the connection's own thread, bounded by the ACSE timeout.
    """

    daemon_threads = True
    block_on_close = False
    max_connections = 16
    handshake_timeout = 10.0
    stall_timeout = 60.0
    max_pdu_length = 4 << 20

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending = 0
        self._pending_lock = threading.Lock()
        self.on_refused: Callable[[str], None] = lambda reason: None
        super().__init__(*args, **kwargs)

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        assert self.socket is not None
        sock, address = self.socket.accept()
        no_delay(sock)
        return sock, address

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self._pending_lock:
            busy = self._pending + len(self.ae.active_associations)
            if busy >= self.max_connections:
                log.warning("receiver refused a connection: connection_limit (%d open)", busy)
                self.on_refused("connection_limit")
                return False
            self._pending += 1
        return True

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            if self.ssl_context is not None:
                request.settimeout(self.handshake_timeout)
                try:
                    request = self.ssl_context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    log.warning("receiver refused a connection: tls_handshake_failed")
                    self.on_refused("tls_handshake_failed")
                    self.shutdown_request(request)
                    return
            # A peer that stops in the middle of a PDU must not hold a thread forever (the
            # accepted socket would block without end): no data for this long ends it.
            request.settimeout(self.stall_timeout)
            request = _BoundedSocket(request, self.max_pdu_length, self.on_refused)
            super().process_request_thread(request, client_address)
        finally:
            with self._pending_lock:
                self._pending -= 1


class Receiver:
    """A Storage SCP for one case. Start it, let peers push, stop it.

    Parameters
    ----------
    store
        The open case; nothing is written anywhere else.
    ae_title, port, host
        Our AE title and where to listen (``port=0``: any free port, see :attr:`port`).
    allow
        Who may send: calling AE title *and* host must match one entry. Others get an
        A-ASSOCIATE-RJ "calling AE title not recognised" (PS3.8 §9.3.4).
    ssl_context
        A server context (:func:`bundler.net.ae.server_ssl_context`) for DICOM TLS; ``None``
        for plain TCP.
    max_associations
        At most this many at once; more get a transient "local limit exceeded" rejection.
    batch_files
        Import after this many files even while the association goes on.
    defer_import
        Keep what arrives until :meth:`stop` (C-MOVE retrieval: the whole retrieve is one
        import run, and a cancel leaves the case untouched).
    progress, cancel
        ``progress(received, None, message)`` per instance; a cancelled token refuses further
        instances (out of resources) until the receiver stops.
    """

    def __init__(
        self,
        store: CaseStore,
        *,
        ae_title: str,
        port: int,
        allow: Sequence[AllowEntry],
        host: str = "0.0.0.0",
        ssl_context: ssl.SSLContext | None = None,
        max_associations: int = 8,
        batch_files: int = 500,
        defer_import: bool = False,
        accept_compressed: bool = True,
        timeouts: Timeouts = Timeouts(acse=10.0, dimse=60.0, network=120.0),
        progress: Progress = NO_PROGRESS,
        cancel: CancelToken = NEVER,
    ) -> None:
        if not allow:
            raise NetworkError("List at least one sender (AE@HOST) allowed to send to this case.",
                               code="net_no_allow")
        self.store = store
        self.ae_title = validate_ae_title(ae_title)
        self._requested_port = port
        self.host = host
        self.allow = tuple(allow)
        self.ssl_context = ssl_context
        self.max_associations = max_associations
        self.batch_files = batch_files
        self.defer_import = defer_import
        self.accept_compressed = accept_compressed
        self.timeouts = timeouts
        self.progress = progress
        self.cancel = cancel
        self.summary = ReceiverSummary()
        self._allowed: dict[str, frozenset[str]] = {}
        self._sessions: dict[int, ReceivedFiles] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[ReceivedFiles | _Combined | None] = queue.Queue()
        self._deferred: list[ReceivedFiles] = []
        self._importer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._server_thread: threading.Thread | None = None
        self._ae: Any = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        """The port we listen on (the one chosen by the OS when started with ``port=0``)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    def start(self) -> Receiver:
        """Start listening; raise :class:`NetworkError` when the port cannot be used."""
        allowed: dict[str, set[str]] = {}
        for entry in self.allow:
            allowed.setdefault(entry.ae_title, set()).update(entry.addresses())
        self._allowed = {k: frozenset(v) for k, v in allowed.items()}
        self.store.tmp_dir.mkdir(exist_ok=True)
        ae = make_ae(self.ae_title, self.timeouts)
        ae.maximum_associations = self.max_associations
        ae.maximum_pdu_size = _MAX_PDU
        ae.require_called_aet = True  # PS3.8: a peer calling another AE title reached the wrong place
        self._ae = ae
        handlers: list[Any] = [
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_C_ECHO, _on_echo),
            (evt.EVT_RELEASED, self._on_end),
            (evt.EVT_ABORTED, self._on_end),
            (evt.EVT_CONN_CLOSE, self._on_end),
            (evt.EVT_REJECTED, self._on_rejected),
        ]
        try:
            server = ae.make_server((self.host, self._requested_port), ae_title=self.ae_title,
                                    contexts=storage_contexts(compressed=self.accept_compressed),
                                    ssl_context=self.ssl_context, evt_handlers=handlers,
                                    server_class=_Server)
        except OSError as e:
            raise NetworkError(f"Cannot listen on port {self._requested_port}: it is in use or needs "
                               "more rights (ports below 1024 do).", code="net_listen") from e
        assert isinstance(server, _Server)
        server.max_connections = max(4, 2 * self.max_associations)
        server.handshake_timeout = self.timeouts.acse
        server.stall_timeout = self.timeouts.network or 60.0
        # Our P-DATA PDUs are at most maximum_pdu_size; an A-ASSOCIATE-RQ proposing the
        # full 128 contexts of every syntax stays well under 1 MB.
        server.max_pdu_length = max(1 << 20, ae.maximum_pdu_size + 6)
        server.on_refused = self._count_refused_connection
        self._server = server
        ae._servers.append(server)
        self._importer = threading.Thread(target=self._import_loop, name="receiver-import", daemon=True)
        self._importer.start()
        self._server_thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                               name="receiver-accept", daemon=True)
        self._server_thread.start()
        log.info("receiver listening on port %d (%s)", self.port, "TLS" if self.ssl_context else "plain TCP")
        return self

    def stop(self, *, import_received: bool = True, grace: float = 10.0) -> ReceiverSummary:
        """Stop listening, let running associations finish (at most ``grace`` seconds, then abort
        them), import what arrived and return the summary. With ``import_received`` false, what
        ``defer_import`` held back is dropped instead (a cancelled C-MOVE); what a receiver
        already acknowledged and queued is always imported. Safe to call twice."""
        if self._stopping.is_set():
            return self.summary
        self._stopping.set()
        server = self._server
        if server is not None:
            server.shutdown()  # stops the accept loop, closes the listening socket
            if self._server_thread is not None:
                self._server_thread.join(timeout=5.0)
        ae = self._ae
        deadline = time.monotonic() + grace
        while ae is not None and ae.active_associations and time.monotonic() < deadline:
            time.sleep(0.05)
        if ae is not None:
            for assoc in list(ae.active_associations):
                assoc.abort()
            for assoc in list(ae.active_associations):
                assoc.join(timeout=5.0)
        with self._lock:
            leftovers = list(self._sessions.values())
            self._sessions.clear()
        for files in leftovers:
            self._close_session(files)
        if not import_received:
            for files in self._deferred:
                files.remove()
            self._deferred.clear()
        elif self._deferred:
            self._queue.put(_Combined(self._deferred))
            self._deferred = []
        self._queue.put(None)
        if self._importer is not None:
            self._importer.join()
        return self.summary

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, v: BaseException | None, tb: Any) -> None:
        self.stop(import_received=t is None)

    # ------------------------------------------------------------------ handlers (never raise)

    def _on_requested(self, event: Any) -> None:
        try:
            assoc: Association = event.assoc
            primitive = assoc.requestor.primitive
            calling = str(primitive.calling_ae_title if primitive is not None else "").strip()
            address = _normal_ip(str(assoc.requestor.address))
            hosts = self._allowed.get(calling)
            if hosts is None or address not in hosts:
                reason = "calling_ae_not_allowed" if hosts is None else "host_not_allowed"
                log.warning("receiver rejected an association: %s (calling AE %r from %s)",
                            reason, calling, address)
                with self._lock:
                    self.summary.rejected[reason] += 1
                # PS3.8 §9.3.4: rejected-permanent, service user, calling AE title not recognised
                _reject(assoc, 0x01, 0x01, 0x03)
            elif self._stopping.is_set():
                with self._lock:
                    self.summary.rejected["stopping"] += 1
                _reject(assoc, 0x02, 0x03, 0x01)  # transient, temporary congestion
        except Exception:  # noqa: BLE001 - a handler must never raise into pynetdicom
            log.exception("receiver: unexpected error while checking an association request")
            try:
                _reject(event.assoc, 0x02, 0x03, 0x01)
            except Exception:  # noqa: BLE001
                pass

    def _on_rejected(self, event: Any) -> None:
        try:
            rsp = getattr(event.assoc.acceptor, "primitive", None)
            if rsp is not None and getattr(rsp, "diagnostic", None) == 0x07:
                with self._lock:
                    self.summary.rejected["called_ae_not_recognised"] += 1
                log.warning("receiver rejected an association: called_ae_not_recognised")
            elif rsp is not None and getattr(rsp, "result_source", None) == 0x03 and not self._stopping.is_set():
                with self._lock:
                    self.summary.rejected["association_limit"] += 1
                log.warning("receiver rejected an association: association_limit")
        except Exception:  # noqa: BLE001
            pass

    def _on_store(self, event: Any) -> int:
        try:
            if self.cancel.cancelled or self._stopping.is_set():
                self._count_refused("stopping")
                return Status.OUT_OF_RESOURCES
            files = self._session(event.assoc)
            with files.lock:
                if files.closed:  # the association ended while this request was in flight
                    files = self._session(event.assoc, fresh=True)
                status, reason = files.write(event)
            if status == Status.SUCCESS:
                with self._lock:
                    self.summary.received += 1
                    received = self.summary.received
                self.progress(received, None, "Receiving images")
                if files.count >= self.batch_files and not self.defer_import:
                    self._rotate(event.assoc, files)
            else:
                log.warning("receiver refused an instance: %s (status 0x%04X)", reason, status)
                self._count_refused(reason)
            return status
        except Exception:  # noqa: BLE001 - never raise out of a DIMSE handler
            log.exception("receiver: unexpected error while storing an instance")
            self._count_refused("internal_error")
            return Status.OUT_OF_RESOURCES

    def _on_end(self, event: Any) -> None:
        try:
            with self._lock:
                files = self._sessions.pop(id(event.assoc), None)
            if files is not None:
                self._close_session(files)
        except Exception:  # noqa: BLE001
            log.exception("receiver: unexpected error while closing an association")

    # ------------------------------------------------------------------ sessions and imports

    def _session(self, assoc: Any, *, fresh: bool = False) -> ReceivedFiles:
        key = id(assoc)
        with self._lock:
            files = self._sessions.get(key)
            if files is None or fresh:
                if files is None:
                    self.summary.associations += 1
                files = ReceivedFiles(self.store.tmp_dir, "recv")
                self._sessions[key] = files
            return files

    def _rotate(self, assoc: Any, files: ReceivedFiles) -> None:
        with self._lock:
            if self._sessions.get(id(assoc)) is files:
                self._sessions[id(assoc)] = ReceivedFiles(self.store.tmp_dir, "recv")
        self._close_session(files)

    def _close_session(self, files: ReceivedFiles) -> None:
        with files.lock:
            if files.closed:
                return
            files.closed = True
        if files.count == 0:
            files.remove()
        elif self.defer_import:
            with self._lock:
                self._deferred.append(files)
        else:
            self._queue.put(files)

    def _count_refused(self, reason: str) -> None:
        with self._lock:
            self.summary.refused[reason] += 1

    def _count_refused_connection(self, reason: str) -> None:
        with self._lock:
            self.summary.rejected[reason] += 1

    def _import_loop(self) -> None:
        from bundler.ingest.pipeline import import_sources

        while True:
            item = self._queue.get()
            if item is None:
                return
            folders = item.parts if isinstance(item, _Combined) else [item]
            busy_since: float | None = None
            try:
                while True:
                    try:
                        report = import_sources([f.folder for f in folders], self.store)
                        with self._lock:
                            self.summary.reports.append(report)
                        log.info("receiver imported %d file(s): %d imported, %d failed",
                                 report.files_seen, report.imported, report.failed)
                        break
                    except CaseError as e:
                        # Someone else imports into this case right now: wait our turn, for
                        # as long as we run, and at most _BUSY_WAIT_ON_STOP once stopping.
                        if e.code != "case_busy":
                            raise
                        now = time.monotonic()
                        if self._stopping.is_set():
                            busy_since = busy_since or now
                            if now - busy_since > _BUSY_WAIT_ON_STOP:
                                raise
                        time.sleep(_BUSY_RETRY_SECONDS)
            except (BundlerError, Cancelled) as e:
                log.error("receiver could not import received files: %s", e.code)
                with self._lock:
                    self.summary.import_errors[e.code] += 1
            except Exception as e:  # noqa: BLE001 - the receiver must keep running
                log.exception("receiver: unexpected %s while importing", type(e).__name__)
                with self._lock:
                    self.summary.import_errors["internal_error"] += 1
            finally:
                for f in folders:
                    f.remove()


@dataclass
class _Combined:
    parts: list[ReceivedFiles]


def _reject(assoc: Association, result: int, source: int, diagnostic: int) -> None:
    """Send an A-ASSOCIATE-RJ and wait until it is out, as pynetdicom's own rejections do
    (otherwise the server closes the socket first and the peer sees only a closed connection)."""
    assoc.acse.send_reject(result, source, diagnostic)
    assoc.kill()


def _on_echo(event: Any) -> int:
    return Status.SUCCESS
