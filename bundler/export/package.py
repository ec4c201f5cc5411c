"""Export, verify and open packages: the encrypted containers around the inner layout.

Two containers hold the same inner layout (:mod:`bundler.export.layout`):

* **age** (``.age``): the layout as a plain, stored ZIP, streamed into
  :func:`bundler.export.age.encrypt` (scrypt passphrase or X25519 recipients). The ZIP is
  made on the fly by :class:`_InnerZipStream`; nothing but a few 1 MiB buffers is held in
  memory. Its local headers carry each file's CRC-32, recorded by the case store at import
  (computed ahead on a worker thread for wrapped instances and older cases), so every blob is
  read once.
* **AES-256 ZIP** (``.zip``, WinZip AE-2): each file a :class:`ZipWriter` entry.

Export is atomic (a temporary file beside the target, fsync, rename; nothing under the
target name unless it completed), checks free space first, and reports progress per file and
per MiB. The manifest's SHA-256 of an imported file is its content address in the case
store, computed when it was imported (a blob damaged since then makes the package fail
``verify``, naming the file, rather than carry a wrong hash); wrapped instances and generated
files are hashed while packaging.

``verify`` reads the whole container (every age chunk or every entry's HMAC) and checks every
file against MANIFEST.TXT, hashing on worker threads while the main thread decrypts. ``open``
does the same while writing into a private temporary folder beside the destination, and
renames it into place only when everything checked out.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import queue
import shutil
import struct
import errno
import json
import tempfile
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast

from bundler.errors import BundlerError, Cancelled, UnsafePath, UsageError
from bundler.export import age
from bundler.export.layout import (
    CASE_JSON,
    MANIFEST,
    README_FIRST,
    ManifestEntry,
    ManifestError,
    PackageFile,
    PackagePlan,
    check_name,
    is_layout_name,
    manifest_bytes,
    parse_manifest,
    records_fingerprint,
    plan_package,
    readme_first_text,
)
from bundler.export.passphrase import require_strong
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.safepath import safe_join
from bundler.store import CaseStore

if TYPE_CHECKING:
    from bundler.export.ziparchive import ZipReader  # numpy: imported only for this format

__all__ = [
    "ExportReport",
    "NoSpace",
    "OpenReport",
    "PackageFormat",
    "PackageWrongKey",
    "Problem",
    "VerifyReport",
    "detect_format",
    "export_package",
    "open_package",
    "verify_package",
]

log = logging.getLogger(__name__)

MIB: Final = 1 << 20
_AGE_CHUNK: Final = 64 * 1024
_MAX_MANIFEST: Final = 256 * MIB
_CRC_READ: Final = 8 * MIB


class PackageFormat(StrEnum):
    AGE = "age"
    ZIP = "zip"


class PackageWrongKey(BundlerError):
    """The passphrase or key given does not open the package (not a damaged package)."""

    code = "wrong_key"

    def __init__(self, user_message: str = "The passphrase or key does not open this package.") -> None:
        super().__init__(user_message)


class NoSpace(BundlerError):
    """Not enough free space where the package is to be written."""

    code = "no_space"


class _ChangedWhilePackaging(BundlerError):
    code = "case_damaged"

    def __init__(self) -> None:
        super().__init__("A file of this case changed or was damaged while it was being packaged.")


# --------------------------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    format: PackageFormat
    size: int  # bytes of the package file
    files: int  # files in the package, MANIFEST.TXT included
    instances: int
    documents: int
    wrapped: int  # instances wrapped into Part 10
    payload_bytes: int  # bytes of the files inside
    seconds: float
    readme_first: Path | None
    dicomdir_filled: dict[str, int] = field(default_factory=dict)
    unlisted: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "format": str(self.format), "size": self.size,
            "files": self.files, "instances": self.instances, "documents": self.documents,
            "wrapped_instances": self.wrapped, "payload_bytes": self.payload_bytes,
            "seconds": round(self.seconds, 3),
            "readme_first": str(self.readme_first) if self.readme_first else None,
            "dicomdir": {"filled_in_records": self.dicomdir_filled, "unlisted_files": self.unlisted},
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package. ``code`` is stable; ``path`` names the file inside."""

    code: str
    message: str
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    format: PackageFormat | None
    files: int  # files read and checked
    bytes: int  # their bytes
    problems: tuple[Problem, ...]
    seconds: float = 0.0
    records_fingerprint: str | None = None  # of the records the manifest lists (layout.records_fingerprint)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "format": str(self.format) if self.format else None, "files": self.files,
                "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "problems": [p.to_json() for p in self.problems],
                "records_fingerprint": self.records_fingerprint}


@dataclass(frozen=True, slots=True)
class OpenReport:
    verify: VerifyReport
    path: Path | None  # the published folder or case; None when nothing was published
    case: dict[str, Any] | None = None  # the import summary, for --as-case

    @property
    def ok(self) -> bool:
        return self.path is not None and self.verify.ok

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "path": str(self.path) if self.path else None,
                "verify": self.verify.to_json(), "import": self.case}


_MESSAGES: Final = {
    "not_a_package": "This file is not a Records Bundler package (neither an age file nor a ZIP file).",
    "truncated": "The package is incomplete: it ends too early. Was the copy or download cut short?",
    "trailing_data": "The package has extra data after its end: it was altered, or something was "
                     "appended to it.",
    "corrupt": "The package is damaged or was altered: its encrypted data fails the integrity check.",
    "limit": "This package asks for more computing work to open than this app allows "
             "(its passphrase work factor is too high); it was not made by this app.",
    "unsafe_name": "The package contains a file name that would be written outside the destination "
                   "folder (\"..\" or an absolute path). Nothing was extracted.",
    "zip_structure": "The package's inner file list does not match its contents.",
    "manifest_missing": "The package has no MANIFEST.TXT, so its files cannot be checked.",
    "manifest_invalid": "MANIFEST.TXT is not in the expected format.",
}


def _problem(code: str, path: str | None = None, message: str | None = None) -> Problem:
    return Problem(code, message or _MESSAGES[code], path)


class _Refuse(Exception):
    """Stop reading: the package cannot be trusted any further."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


# --------------------------------------------------------------------------------------------
# the inner ZIP of the age container: stored entries, sizes and CRC up front, ZIP64 as needed
# --------------------------------------------------------------------------------------------

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_EOCD = struct.Struct("<IHHHHIIH")
_Z64_EOCD = struct.Struct("<IQHHIIQQQQ")
_Z64_LOCATOR = struct.Struct("<IIQI")
_SIG_LOCAL: Final = 0x04034B50
_SIG_CENTRAL: Final = 0x02014B50
_SIG_EOCD: Final = 0x06054B50
_SIG_Z64_EOCD: Final = 0x06064B50
_SIG_Z64_LOCATOR: Final = 0x07064B50
_MAX16: Final = 0xFFFF
_MAX32: Final = 0xFFFFFFFF
_EXTRA_ZIP64: Final = 0x0001
# Private extra field (APPNOTE §4.5.2 leaves IDs ≥ 32 to third parties) in the first local
# header: the inner ZIP's total length, so a reader can tell a truncated or extended package
# from a damaged one as soon as the first chunk is decrypted. Readers skip unknown fields.
_EXTRA_LENGTH: Final = 0x4252  # "RB"
_EXTERNAL_ATTR: Final = (0o100644 << 16) | 0x20


def _dos_datetime(t: float) -> tuple[int, int]:
    lt = time.localtime(t)
    year = min(max(lt.tm_year, 1980), 2107) - 1980
    return ((lt.tm_hour << 11) | (lt.tm_min << 5) | (lt.tm_sec // 2),
            (year << 9) | (lt.tm_mon << 5) | lt.tm_mday)


@dataclass(slots=True)
class _Slot:
    name: bytes
    size: int
    offset: int
    zip64: bool
    first: bool
    crc: int = 0

    @property
    def local_size(self) -> int:
        return _LOCAL.size + len(self.name) + (20 if self.zip64 else 0) + (12 if self.first else 0)

    def central_extra(self) -> bytes:
        values = [v for v, big in ((self.size, self.zip64), (self.size, self.zip64),
                                   (self.offset, self.offset >= _MAX32)) if big]
        if not values:
            return b""
        return struct.pack("<HH", _EXTRA_ZIP64, 8 * len(values)) + struct.pack(f"<{len(values)}Q", *values)


class _InnerLayout:
    """Offsets and lengths of the inner ZIP, known before a byte is written."""

    def __init__(self, entries: Sequence[tuple[str, int]]) -> None:
        self.slots: list[_Slot] = []
        pos = 0
        for i, (name, size) in enumerate(entries):
            slot = _Slot(name.encode("ascii"), size, pos, size >= _MAX32, i == 0)
            self.slots.append(slot)
            pos += slot.local_size + size
        self.cd_offset = pos
        self.cd_size = sum(_CENTRAL.size + len(s.name) + len(s.central_extra()) for s in self.slots)
        n = len(self.slots)
        self.zip64_end = n >= _MAX16 or self.cd_size >= _MAX32 or self.cd_offset >= _MAX32
        end = _EOCD.size + (_Z64_EOCD.size + _Z64_LOCATOR.size if self.zip64_end else 0)
        self.total = self.cd_offset + self.cd_size + end

    def local_header(self, slot: _Slot, dos: tuple[int, int]) -> bytes:
        extra = b""
        if slot.zip64:
            extra += struct.pack("<HHQQ", _EXTRA_ZIP64, 16, slot.size, slot.size)
        if slot.first:
            extra += struct.pack("<HHQ", _EXTRA_LENGTH, 8, self.total)
        size32 = _MAX32 if slot.zip64 else slot.size
        return _LOCAL.pack(_SIG_LOCAL, 45 if slot.zip64 else 20, 0, 0, dos[0], dos[1], slot.crc,
                           size32, size32, len(slot.name), len(extra)) + slot.name + extra

    def central_directory(self, dos: tuple[int, int]) -> Iterator[bytes]:
        batch: list[bytes] = []
        for s in self.slots:
            extra = s.central_extra()
            size32 = _MAX32 if s.zip64 else s.size
            off32 = _MAX32 if s.offset >= _MAX32 else s.offset
            version = 45 if extra else 20
            batch.append(_CENTRAL.pack(_SIG_CENTRAL, (3 << 8) | 45, version, 0, 0, dos[0], dos[1], s.crc,
                                       size32, size32, len(s.name), len(extra), 0, 0, 0, _EXTERNAL_ATTR,
                                       off32) + s.name + extra)
            if len(batch) >= 1024:
                yield b"".join(batch)
                batch = []
        n = len(self.slots)
        if self.zip64_end:
            z64_at = self.cd_offset + self.cd_size
            batch.append(_Z64_EOCD.pack(_SIG_Z64_EOCD, _Z64_EOCD.size - 12, (3 << 8) | 45, 45, 0, 0, n, n,
                                        self.cd_size, self.cd_offset))
            batch.append(_Z64_LOCATOR.pack(_SIG_Z64_LOCATOR, 0, z64_at, 1))
        batch.append(_EOCD.pack(_SIG_EOCD, 0, 0, min(n, _MAX16), min(n, _MAX16), min(self.cd_size, _MAX32),
                                min(self.cd_offset, _MAX32), 0))
        yield b"".join(batch)


def _manifest_length(plan: PackagePlan) -> int:
    return len(manifest_bytes(ManifestEntry(f.path, f.size, "0" * 64, "0" * 64 if f.original_sha256 else None)
                              for f in plan.files))


def _checksum(file: PackageFile, stop: threading.Event) -> tuple[int, str | None]:
    """CRC-32 of a file's content, and its SHA-256 when the plan does not know it."""
    import hashlib

    if file.data is not None:
        return zlib.crc32(file.data), file.sha256
    sha = hashlib.sha256(file.prefix) if file.sha256 is None else None
    crc = zlib.crc32(file.prefix)
    left = file.size - len(file.prefix)
    assert file.blob is not None
    with open(file.blob, "rb", buffering=0) as fh:
        fh.seek(file.blob_offset)
        while left > 0:
            if stop.is_set():
                raise Cancelled()
            # Big reads: each GIL round trip of this thread costs more than the read itself
            # while the main thread is encrypting.
            data = fh.read(min(_CRC_READ, left))
            if not data:
                raise _ChangedWhilePackaging()
            crc = zlib.crc32(data, crc)
            if sha is not None:
                sha.update(data)
            left -= len(data)
    return crc, sha.hexdigest() if sha is not None else file.sha256


def _known(file: PackageFile) -> tuple[int, str] | None:
    """CRC-32 and SHA-256 when nothing needs reading: a generated file, or a blob whose CRC-32
    the case store recorded at import (its SHA-256 is its name)."""
    if file.data is not None and file.sha256 is not None:
        return zlib.crc32(file.data), file.sha256
    if file.crc32 is not None and file.sha256 is not None:
        return file.crc32, file.sha256
    return None


class _Checksums:
    """The CRC-32 of each file for its local header (so the inner ZIP needs no data
    descriptors), and the SHA-256 of wrapped instances for the manifest.

    Most are known (:func:`_known`); the others (wrapped instances, blobs imported before the
    store recorded CRC-32s) are computed on a worker thread a little ahead of the writer
    (zlib and hashlib release the GIL). The thread starts only if some file needs it."""

    def __init__(self, files: Sequence[PackageFile], *, ahead_bytes: int = 256 * MIB, ahead_files: int = 2048) -> None:
        self._files = files
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="package-crc")
        self._stop = threading.Event()
        self._futures: dict[int, Future[tuple[int, str | None]]] = {}
        self._queued: deque[tuple[int, int]] = deque()
        self._queued_bytes = 0
        self._next = 0
        self._ahead_bytes = ahead_bytes
        self._ahead_files = ahead_files

    def get(self, i: int) -> tuple[int, str | None]:
        known = _known(self._files[i])
        while self._queued and self._queued[0][0] < i:
            self._queued_bytes -= self._queued.popleft()[1]
        while self._next < len(self._files) and (
                self._next <= i or (len(self._queued) < self._ahead_files and self._queued_bytes < self._ahead_bytes)):
            f = self._files[self._next]
            if f.data is None and (f.crc32 is None or f.sha256 is None):
                self._futures[self._next] = self._pool.submit(_checksum, f, self._stop)
                self._queued.append((self._next, f.size))
                self._queued_bytes += f.size
            self._next += 1
        if known is not None:
            return known
        return self._futures.pop(i).result()

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _InnerZipStream(io.RawIOBase):
    """The inner ZIP of ``plan`` plus its MANIFEST.TXT, as a readable stream (for age.encrypt).

    Each ``readinto`` copies header bytes or reads straight from the current source file into
    the caller's buffer; progress per file and per MiB; cancel polled on every read.
    """

    def __init__(self, plan: PackagePlan, *, progress: Progress, cancel: CancelToken) -> None:
        super().__init__()
        self._plan = plan
        self._progress = progress
        self._cancel = cancel
        entries = [(f.path, f.size) for f in plan.files] + [(MANIFEST, _manifest_length(plan))]
        self._layout = _InnerLayout(entries)
        self._dos = _dos_datetime(time.time())
        self._checksums = _Checksums(plan.files)
        self._segments = self._generate()
        self._buf = memoryview(b"")
        self._src: io.RawIOBase | io.BytesIO | None = None
        self._left = 0
        self._done = 0
        self._reported = 0
        self.manifest: list[ManifestEntry] = []

    @property
    def total(self) -> int:
        return self._layout.total

    def readable(self) -> bool:
        return True

    def _count(self, n: int) -> None:
        self._done += n
        if self._done - self._reported >= MIB:
            self._reported = self._done
            self._progress(self._done, self._layout.total, "Packaging")

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._buf:
                n = min(len(view), len(self._buf))
                view[:n] = self._buf[:n]
                self._buf = self._buf[n:]
                self._count(n)
                return n
            if self._left:
                self._cancel.raise_if_cancelled()
                assert self._src is not None
                n = self._src.readinto(view[:min(len(view), self._left)]) or 0
                if n <= 0:
                    raise _ChangedWhilePackaging()
                self._left -= n
                self._count(n)
                return n
            segment = next(self._segments, None)
            if segment is None:
                return 0
            if isinstance(segment, bytes):
                self._buf = memoryview(segment)
            else:
                self._src, self._left = segment

    def _generate(self) -> Generator[bytes | tuple[io.RawIOBase | io.BytesIO, int], None, None]:
        files = self._plan.files
        slots = self._layout.slots
        for i, f in enumerate(files):
            self._cancel.raise_if_cancelled()
            self._progress(self._done, self._layout.total, f"Packaging file {i + 1} of {len(files) + 1}")
            crc, sha = self._checksums.get(i)
            assert sha is not None
            slots[i].crc = crc
            self.manifest.append(ManifestEntry(f.path, f.size, sha, f.original_sha256))
            yield self._layout.local_header(slots[i], self._dos)
            if f.data is not None:
                yield f.data
                continue
            with f.open() as src:
                yield src, f.size
                if src.read(1):  # the file grew since the plan was made
                    raise _ChangedWhilePackaging()
        self._progress(self._done, self._layout.total, f"Packaging file {len(files) + 1} of {len(files) + 1}")
        manifest = manifest_bytes(self.manifest)
        if len(manifest) != slots[-1].size:
            raise AssertionError("manifest length differs from its layout")
        slots[-1].crc = zlib.crc32(manifest)
        yield self._layout.local_header(slots[-1], self._dos)
        yield manifest
        yield from self._layout.central_directory(self._dos)

    def close(self) -> None:
        if not self.closed:
            self._checksums.close()
            self._segments.close()
        super().close()


class _EarlySync(io.RawIOBase):
    """Passes every call straight to ``fh``, and starts the disk writing early: a worker thread
    calls ``fdatasync`` each time another 128 MiB has been written, without holding up the
    writes, so the final fsync of the atomic write has little left to do (the kernel would
    otherwise start only once gigabytes are dirty, and the fsync would wait for all of them;
    a sync in the writing thread would stall the writing instead). An error of the sync
    surfaces on the next write or on close."""

    def __init__(self, fh: BinaryIO, *, every: int = 128 * MIB) -> None:
        super().__init__()
        self._fh = fh
        self._every = every
        self._written = 0
        self._done = False
        self._error: OSError | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._sync, name="package-sync", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._fh.seekable()

    def tell(self) -> int:
        return self._fh.tell()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._fh.seek(offset, whence)

    def fileno(self) -> int:
        return self._fh.fileno()

    def write(self, data: Any) -> int:
        if self._error is not None:
            raise self._error
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            n = self._fh.write(view)
            if n is None or n >= len(view):
                break
            view = view[n:]
        with self._changed:
            before, self._written = self._written, self._written + size
            if before // self._every != self._written // self._every:
                self._changed.notify()
        return size

    def _sync(self) -> None:
        sync = getattr(os, "fdatasync", os.fsync)
        synced = 0
        while True:
            with self._changed:
                while not self._done and self._written - synced < self._every:
                    self._changed.wait()
                if self._done:
                    return
                synced = self._written
            try:
                sync(self._fh.fileno())  # what the kernel has; the final fsync does the rest
            except OSError as exc:
                self._error = exc
                return

    def close(self) -> None:
        if not self.closed:
            with self._changed:
                self._done = True
                self._changed.notify()
            self._thread.join()
            super().close()
        if self._error is not None:
            raise self._error


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


_PARTIAL_PREFIX: Final = ".records-bundler-"
_PARTIAL_SUFFIX: Final = ".partial"


def _hold(fd: int) -> bool:
    """Take the exclusive lock that marks a partial file as being written; False when another
    process holds it. Without ``flock`` (Windows) an open file cannot be removed anyway."""
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_partials(folder: Path) -> int:
    """Remove the partial files that an export killed mid-way (power cut, kill -9) left in
    ``folder``: only ours (by name), and only those no running export holds locked. The
    number removed. Each is encrypted, but it is a useless, possibly large, file."""
    removed = 0
    with contextlib.suppress(OSError):
        candidates = [p for p in folder.iterdir()
                      if p.name.startswith(_PARTIAL_PREFIX) and p.name.endswith(_PARTIAL_SUFFIX)]
        for path in candidates:
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError:
                continue
            try:
                if _hold(fd) and path.is_file():
                    path.unlink()
                    removed += 1
            except OSError:
                pass
            finally:
                os.close(fd)
    if removed:
        log.info("removed %d partial file(s) left by an interrupted export", removed)
    return removed


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """A private temporary file beside ``target``, renamed onto it only when the block ends
    without error (after fsync); removed otherwise. Its name says nothing about the case.
    It is locked while written, so that a later export can tell (and remove) one left behind
    by a process that was killed (``remove_stale_partials``)."""
    remove_stale_partials(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=_PARTIAL_PREFIX, suffix=_PARTIAL_SUFFIX, dir=target.parent)
    _hold(fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            if os.name == "posix":  # renamed while still locked: no moment when it looks stale
                os.replace(tmp, target)
        if os.name != "posix":  # Windows renames only a closed file
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _patient_words(store: CaseStore) -> list[str]:
    words: list[str] = []
    for p in store.patients():
        words += [p.name, p.id, p.birth_date]
    return [w for w in words if w]


def _parse_recipients(recipients: Iterable[str | age.Recipient | age.HybridRecipient]) -> list[age.Recipient | age.HybridRecipient]:
    out: list[age.Recipient | age.HybridRecipient] = []
    for r in recipients:
        out.append(age.parse_recipient(r) if isinstance(r, str) else r)
    return out


def export_package(
    store: CaseStore,
    out: Path | str,
    *,
    fmt: PackageFormat | str = PackageFormat.AGE,
    passphrase: str | None = None,
    recipients: Sequence[str | age.Recipient | age.HybridRecipient] = (),
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
    check_strength: bool = True,
    readme_first: bool = True,
    summary_pdf: bytes | None = None,
    work_factor: int = age.DEFAULT_WORK_FACTOR,
    with_summary: bool = True,
) -> ExportReport:
    """Export the case in ``store`` as an encrypted package at ``out``.

    Parameters
    ----------
    store
        The case (read only).
    out
        The package file to write; its folder must exist. An existing file is replaced
        atomically; until the export completes, nothing appears under this name.
    fmt
        ``"age"`` (passphrase or recipients) or ``"zip"`` (AES-256, passphrase only).
    passphrase, recipients
        Exactly one: a passphrase (judged by zxcvbn unless ``check_strength`` is false; never
        stored or logged), or age recipients (``age1…`` strings or parsed recipients).
    progress
        Called per file and per MiB with bytes done and the total.
    cancel
        Polled per read; a cancelled export leaves nothing behind and raises
        :class:`~bundler.errors.Cancelled`.
    readme_first
        Also write README-FIRST.TXT (how to open it; no patient data) beside the package.
    summary_pdf
        SUMMARY.PDF as the app has made it; by default (``with_summary``) the one-page summary
        of the case is drawn, with the records' fingerprint.
    work_factor
        log2 of scrypt's N for an age passphrase (18, about a second, is age's default).

    Raises
    ------
    UsageError
        Bad arguments, a weak passphrase (:class:`~bundler.export.passphrase.WeakPassphrase`,
        with the reason), recipients with the ZIP format, an empty case.
    NoSpace
        Less free space beside ``out`` than the package needs (estimated with 10 % to spare).
    CaseError
        A file of the case is missing or damaged in the store.
    """
    started = time.monotonic()
    fmt = PackageFormat(fmt)
    out = Path(out)
    parsed = _parse_recipients(recipients)
    if bool(parsed) == (passphrase is not None):
        raise UsageError("Give either a passphrase or at least one recipient key (not both).")
    if fmt is PackageFormat.ZIP and parsed:
        raise UsageError("The ZIP format is protected by a passphrase only; use the age format "
                         "to encrypt to a reviewer's key.")
    if passphrase is not None:
        if not passphrase:
            raise UsageError("The passphrase is empty.")
        if fmt is PackageFormat.ZIP and not (passphrase.isascii() and passphrase.isprintable()):
            raise UsageError("A ZIP passphrase may use only English letters, digits, spaces and "
                             "punctuation (ZIP tools disagree on anything else).")
        if check_strength:
            require_strong(passphrase, user_inputs=_patient_words(store))
    if out.is_dir():
        raise UsageError("The output must be a file name, not a folder.")
    if not out.parent.is_dir():
        raise UsageError("The folder for the package does not exist.")

    summary: bytes | Callable[[str], bytes] | None = summary_pdf
    if summary is None and with_summary:
        def summary(fingerprint: str) -> bytes:
            from bundler.export.summary_pdf import case_summary_pdf

            return case_summary_pdf(store, fingerprint=fingerprint)

    plan = plan_package(store, summary_pdf=summary, progress=progress, cancel=cancel)
    if not plan.instances and not plan.documents:
        raise UsageError("This case holds no records to export yet.")
    needed = int(plan.payload_bytes * 1.1) + 512 * (len(plan.files) + 1) + MIB
    remove_stale_partials(out.parent)  # before counting: a killed export's leftover is space
    free = shutil.disk_usage(out.parent).free
    if free < needed:
        raise NoSpace(f"There is not enough free space for the package: it needs about "
                      f"{_human(needed)} and {_human(free)} are free.")
    log.info("exporting %s package: %d files, %d bytes", fmt, len(plan.files) + 1, plan.payload_bytes)

    try:
        total = _write_package(plan, out, fmt, parsed, passphrase, work_factor, progress, cancel)
    except OSError as e:
        # atomic_output has removed the partial file. A full or failing disk is the user's to
        # fix, not a crash: say which, in plain words (no paths, they may name the patient).
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            raise NoSpace("The disk filled up while the package was being written; nothing was "
                          "saved. Free some space, or choose another place, and export again.") from e
        raise BundlerError("The package could not be written (the disk reported an error); nothing "
                           "was saved. Try another place, or another disk.", code="write_failed") from e
    progress(total, total, "Package written")
    note = _write_readme_first(out) if readme_first else None
    report = ExportReport(
        path=out, format=fmt, size=out.stat().st_size, files=len(plan.files) + 1,
        instances=plan.instances, documents=plan.documents, wrapped=plan.wrapped,
        payload_bytes=plan.payload_bytes, seconds=time.monotonic() - started, readme_first=note,
        dicomdir_filled=plan.dicomdir_filled, unlisted=plan.unlisted,
    )
    log.info("package written: %d bytes in %.1f s", report.size, report.seconds)
    return report


def _write_package(plan: PackagePlan, out: Path, fmt: PackageFormat, parsed: Sequence[Any], passphrase: str | None,
                   work_factor: int, progress: Progress, cancel: CancelToken) -> int:
    """Write the container atomically at ``out``; the payload's byte count."""
    with atomic_output(out) as fh:
        if fmt is PackageFormat.AGE:
            stream = _InnerZipStream(plan, progress=progress, cancel=cancel)
            with contextlib.closing(_EarlySync(fh)) as synced:
                try:
                    age.encrypt(cast(BinaryIO, stream), cast(BinaryIO, synced), recipients=parsed,
                                passphrase=passphrase, work_factor=work_factor, cancel=cancel)
                finally:
                    stream.close()
            total = stream.total
        else:
            assert passphrase is not None
            with contextlib.closing(_EarlySync(fh)) as synced:
                total = _write_aes_zip(plan, cast(BinaryIO, synced), passphrase, progress, cancel)
    return total


def _human(n: int) -> str:
    if n < 1000**2:
        return f"{n / 1000:.0f} KB"
    if n < 1000**3:
        return f"{n / 1000**2:.0f} MB"
    return f"{n / 1000**3:.1f} GB"


class _HashingReader(io.RawIOBase):
    """Reads a file's content and hashes it as it goes (for files whose hash is computed now)."""

    def __init__(self, src: io.RawIOBase | io.BytesIO, *, hashing: bool) -> None:
        import hashlib

        super().__init__()
        self._src = src
        self.sha = hashlib.sha256() if hashing else None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = self._src.readinto(view) or 0
        if n and self.sha is not None:
            self.sha.update(view[:n])
        return n

    def close(self) -> None:
        self._src.close()
        super().close()


class _Offset:
    """Progress of one entry, reported as progress of the whole package."""

    def __init__(self, progress: Progress, base: int, total: int) -> None:
        self._progress, self._base, self._total = progress, base, total

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        self._progress(self._base + done, self._total, "Packaging")


def _write_aes_zip(plan: PackagePlan, fh: BinaryIO, passphrase: str, progress: Progress,
                   cancel: CancelToken) -> int:
    from bundler.export.ziparchive import ZipWriter  # numpy: loaded only for this format

    total = plan.payload_bytes
    base = 0
    entries: list[ManifestEntry] = []
    with ZipWriter(fh, passphrase=passphrase) as zw:
        for i, f in enumerate(plan.files):
            cancel.raise_if_cancelled()
            progress(base, total, f"Packaging file {i + 1} of {len(plan.files) + 1}")

            reader = _HashingReader(f.open(), hashing=f.sha256 is None)
            with reader:
                zw.add_file(f.path, cast(BinaryIO, reader), size=f.size, compress=f.compress,
                            progress=_Offset(progress, base, total), cancel=cancel)
            sha = f.sha256 or (reader.sha.hexdigest() if reader.sha is not None else "")
            entries.append(ManifestEntry(f.path, f.size, sha, f.original_sha256))
            base += f.size
        progress(base, total, f"Packaging file {len(plan.files) + 1} of {len(plan.files) + 1}")
        zw.add_bytes(MANIFEST, manifest_bytes(entries), compress=True)
    return total


def _write_readme_first(out: Path) -> Path | None:
    target = out.parent / README_FIRST
    data = readme_first_text().encode("ascii")
    try:
        if target.exists() and target.read_bytes() == data:
            return target
        with atomic_output(target) as fh:
            fh.write(data)
        os.chmod(target, 0o644)
    except OSError:
        log.warning("could not write %s beside the package", README_FIRST)
        return None
    return target


# --------------------------------------------------------------------------------------------
# reading: hashing lanes, the collector, the age and ZIP readers
# --------------------------------------------------------------------------------------------


class _Digest:
    __slots__ = ("crc", "done", "lane", "sha")

    def __init__(self, lane: int) -> None:
        import hashlib

        self.sha = hashlib.sha256()
        self.crc = 0
        self.lane = lane
        self.done = threading.Event()


class _Lanes:
    """SHA-256 (and CRC-32) on worker threads: hashlib and zlib release the GIL, so hashing
    runs on other cores while the main thread decrypts. One file's pieces go to one lane, in
    order; lanes take files in turn. The pieces are 1 MiB buffers from a fixed pool that a
    lane gives back once it has hashed one: memory stays flat, nothing is allocated per MiB."""

    def __init__(self, count: int) -> None:
        self._free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(3 * count + 1):
            self._free.put(bytearray(MIB))
        self._queues: list[queue.Queue[tuple[_Digest, bytearray | None, int] | None]] = [
            queue.Queue() for _ in range(count)]
        self._threads = [threading.Thread(target=self._run, args=(q, self._free), name=f"package-hash-{i}",
                                          daemon=True) for i, q in enumerate(self._queues)]
        for t in self._threads:
            t.start()
        self._turn = 0

    @staticmethod
    def _run(q: queue.Queue[tuple[_Digest, bytearray | None, int] | None], free: queue.Queue[bytearray]) -> None:
        while (item := q.get()) is not None:
            digest, buf, n = item
            if buf is None:
                digest.done.set()
                continue
            with memoryview(buf) as whole, whole[:n] as piece:
                digest.sha.update(piece)
                digest.crc = zlib.crc32(piece, digest.crc)
            free.put(buf)

    def new(self) -> _Digest:
        self._turn = (self._turn + 1) % len(self._queues)
        return _Digest(self._turn)

    def buffer(self) -> bytearray:
        """A free 1 MiB buffer (waits while the lanes are behind)."""
        return self._free.get()

    def release(self, buf: bytearray) -> None:
        self._free.put(buf)

    def update(self, digest: _Digest, buf: bytearray, n: int) -> None:
        """Hash the first ``n`` bytes of ``buf``, then take the buffer back."""
        self._queues[digest.lane].put((digest, buf, n))

    def finish(self, digest: _Digest) -> None:
        self._queues[digest.lane].put((digest, None, 0))

    def close(self) -> None:
        for q in self._queues:
            q.put(None)
        for t in self._threads:
            t.join()


@dataclass(slots=True)
class _Found:
    declared: int
    read: int = 0
    digest: _Digest | None = None
    crc: int | None = None  # the CRC the container declares, when it has one (the inner ZIP)
    complete: bool = False
    damaged: bool = False


class _Collector:
    """Everything read from a package: sizes and hashes per file, the manifest, problems.

    With ``dest`` every file is also written there (through :func:`safe_join`, never over an
    existing file); without, nothing is written.
    """

    def __init__(self, *, dest: Path | None, lanes: _Lanes, progress: Progress, cancel: CancelToken,
                 total: int | None) -> None:
        self.dest = dest
        self.lanes = lanes
        self.progress = progress
        self.cancel = cancel
        self.total = total
        self.found: dict[str, _Found] = {}
        self.problems: list[Problem] = []
        self.fingerprint: str | None = None  # of the records MANIFEST.TXT lists, once it is read
        self.manifest: bytearray | None = None
        self.current: str | None = None
        self.bytes = 0
        self._reported = 0
        self._file: BinaryIO | None = None
        self._entry: _Found | None = None
        self._batch: bytearray | None = None  # from the lanes' pool
        self._fill = 0

    def begin(self, name: str, size: int, *, crc: int | None = None) -> None:
        self.cancel.raise_if_cancelled()
        try:
            check_name(name)
        except UnsafePath:
            raise _Refuse(_problem("unsafe_name")) from None
        if name in self.found:
            raise _Refuse(_problem("zip_structure", message="The package holds two files with the same name."))
        entry = self._entry = self.found[name] = _Found(size, crc=crc)
        self.current = name
        self.progress(self.bytes, self.total, f"Checking file {len(self.found)}")
        if not is_layout_name(name):
            self.problems.append(_problem("unexpected_file", name, f"{name} is not a file this package "
                                          "format holds; it was not extracted."))
            return
        entry.digest = self.lanes.new()
        if name == MANIFEST:
            if size > _MAX_MANIFEST:
                raise _Refuse(_problem("manifest_invalid", MANIFEST))
            self.manifest = bytearray()
        if self.dest is not None:
            target = safe_join(self.dest, name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._file = open(target, "xb")  # noqa: SIM115 - closed in end()/abort()
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                # Names equal but for case (on this file system), or a file and a folder.
                raise _Refuse(_problem("zip_structure", name, "The package holds two files whose "
                                       "names clash on this computer.")) from None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Take the next bytes of the current file (copied: the caller may reuse ``data``)."""
        entry = self._entry
        assert entry is not None
        view = memoryview(data).cast("B")
        n = len(view)
        entry.read += n
        self.bytes += n
        if entry.digest is None:
            return
        # Gathered into 1 MiB buffers: a hashing thread then needs the GIL once per MiB.
        while view:
            if self._batch is None:
                self._batch, self._fill = self.lanes.buffer(), 0
            take = min(len(view), MIB - self._fill)
            self._batch[self._fill:self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
            if self._fill == MIB:
                self._flush()
        if self.bytes - self._reported >= MIB:
            self._reported = self.bytes
            self.progress(self.bytes, self.total, "Checking")

    def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            return
        if not self._fill or self._entry is None or self._entry.digest is None:
            self.lanes.release(batch)
            return
        with memoryview(batch) as whole, whole[:self._fill] as chunk:
            if self.manifest is not None and self.current == MANIFEST:
                self.manifest += chunk
            if self._file is not None:
                self._file.write(chunk)
        self.lanes.update(self._entry.digest, batch, self._fill)

    def end(self) -> None:
        entry = self._entry
        assert entry is not None
        self._flush()
        entry.complete = True
        if entry.digest is not None:
            self.lanes.finish(entry.digest)
        self._close_file()
        self._entry = None
        self.current = None

    def abort(self, *, damaged: bool) -> None:
        if self._batch is not None:
            self.lanes.release(self._batch)
            self._batch = None
        if self._entry is not None:
            self._entry.damaged = damaged
            if self._entry.digest is not None:
                self.lanes.finish(self._entry.digest)
        self._close_file()
        self._entry = None

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def results(self) -> list[Problem]:
        """Wait for the hashes; compare everything with the manifest."""
        for entry in self.found.values():
            if entry.digest is not None:
                entry.digest.done.wait()
        problems = list(self.problems)
        for name, entry in self.found.items():
            if entry.complete and entry.digest is not None and entry.crc is not None and entry.crc != entry.digest.crc:
                problems.append(_problem("corrupt", name, f"{name} fails its ZIP checksum: the package "
                                         "is damaged or was altered."))
        if MANIFEST not in self.found or self.manifest is None or not self.found[MANIFEST].complete:
            return [*problems, _problem("manifest_missing")]
        try:
            entries = parse_manifest(bytes(self.manifest))
        except UnsafePath:
            return [*problems, _problem("manifest_invalid", MANIFEST,
                                        "MANIFEST.TXT lists a file name outside the package folder.")]
        except ManifestError:
            return [*problems, _problem("manifest_invalid", MANIFEST)]
        self.fingerprint = records_fingerprint(entries)
        listed = set()
        for e in entries:
            listed.add(e.path)
            got = self.found.get(e.path)
            if got is None:
                problems.append(_problem("missing_file", e.path, f"MANIFEST.TXT lists {e.path}, but the "
                                         "package does not contain it."))
            elif got.damaged or not got.complete:
                continue  # reported where it was found damaged
            elif got.read != e.size:
                problems.append(_problem("size_mismatch", e.path, f"{e.path} has {got.read} bytes, but "
                                         f"MANIFEST.TXT records {e.size}: it was altered or damaged."))
            elif got.digest is None or got.digest.sha.hexdigest() != e.sha256:
                problems.append(_problem("hash_mismatch", e.path, f"{e.path} does not match the checksum "
                                         "recorded in MANIFEST.TXT: it was altered or damaged."))
        for name, entry in self.found.items():
            if name != MANIFEST and name not in listed and entry.digest is not None:
                problems.append(_problem("unlisted_file", name, f"{name} is in the package but not in "
                                         "MANIFEST.TXT."))
        return problems


def _credentials(passphrase: str | None, identities: Sequence[age.Identity | age.HybridIdentity]) -> None:
    if passphrase is None and not identities:
        raise UsageError("Give the passphrase or a key file to open the package.")


def detect_format(path: Path) -> PackageFormat | None:
    """age or ZIP, from the first bytes; ``None`` for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"age-encryption.org/") or head.lstrip().startswith(b"-----BEGIN AGE ENCRYPTED FILE-----"):
        return PackageFormat.AGE
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return PackageFormat.ZIP
    return None


def _read_package(
    path: Path,
    *,
    passphrase: str | None,
    identities: Sequence[age.Identity | age.HybridIdentity],
    dest: Path | None,
    progress: Progress,
    cancel: CancelToken,
) -> VerifyReport:
    started = time.monotonic()
    _credentials(passphrase, identities)
    path = Path(path)
    try:
        size = path.stat().st_size
        fmt = detect_format(path)
    except OSError:
        raise UsageError("The package file cannot be read.") from None
    if fmt is None:
        code = "truncated" if size == 0 else "not_a_package"
        return VerifyReport(None, 0, 0, (_problem(code),), time.monotonic() - started)
    lanes = _Lanes(max(1, min(4, os.cpu_count() or 2)))
    collector = _Collector(dest=dest, lanes=lanes, progress=progress, cancel=cancel, total=None)
    fatal: Problem | None = None
    try:
        if fmt is PackageFormat.AGE:
            fatal = _read_age(path, size, passphrase, identities, collector, cancel)
        else:
            if passphrase is None:
                raise PackageWrongKey("A ZIP package opens with its passphrase, not with a key file.")
            fatal = _read_zip(path, passphrase, collector, cancel)
    except _Refuse as refused:
        fatal = refused.problem
    finally:
        collector.abort(damaged=True)
        lanes.close()
    problems = collector.results() if fatal is None else [*collector.problems, fatal]
    files = sum(1 for f in collector.found.values() if f.complete)
    report = VerifyReport(fmt, files, collector.bytes, tuple(problems), time.monotonic() - started,
                          collector.fingerprint)
    log.info("package checked: %s, %d files, %d problems", fmt, files, len(problems))
    return report


# -- age ---------------------------------------------------------------------------------------


def _age_header_length(path: Path) -> int | None:
    """Bytes before the payload nonce of a binary age file (the MAC line's end), if found."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    at = head.find(b"\n--- ")
    if at < 0 or not head.startswith(b"age-encryption.org/"):
        return None
    end = head.find(b"\n", at + 1)
    return None if end < 0 else end + 1


def _age_header_incomplete(path: Path, size: int) -> bool:
    """The file ends before its header and first chunk could (a cut, not damage)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    at = head.find(b"\n--- ")
    if at < 0:
        return size == len(head)  # the whole file is read and has no MAC line
    end = head.find(b"\n", at + 1)
    return end < 0 or size < end + 1 + 16 + 16


def _age_file_size(header: int, plaintext: int) -> int:
    chunks = max(1, math.ceil(plaintext / _AGE_CHUNK))
    return header + 16 + plaintext + 16 * chunks


class _InnerZipParser:
    """Parses the decrypted inner ZIP as it arrives (a write-only sink for age.decrypt).

    Local header by local header, each file's bytes go to the collector; then the central
    directory and end records are kept and, at :meth:`finish`, checked against what the local
    headers said (so what we verified is what any other ZIP tool will see).
    """

    def __init__(self, collector: _Collector, *, file_size: int, header_length: int | None) -> None:
        self._c = collector
        self._file_size = file_size
        self._header_length = header_length
        self._pending = bytearray()
        self._state = "header"
        self._left = 0
        self._pos = 0  # bytes of the inner ZIP consumed
        self._entry_start = 0
        self._locals: list[tuple[str, int, int, int]] = []  # name, offset, size, crc
        self._tail = bytearray()
        self.expected_total: int | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        n = len(view)
        while True:
            if self._state == "data":
                if not view:
                    break
                take = min(len(view), self._left)
                self._c.write(view[:take])
                view = view[take:]
                self._left -= take
                self._pos += take
                if not self._left:
                    self._c.end()
                    self._state = "header"
            elif self._state == "tail":
                self._tail += view
                self._pos += len(view)
                if len(self._tail) > 200 * (len(self._locals) + 1) + (1 << 16):
                    raise _Refuse(_problem("zip_structure"))
                break
            else:
                need = self._header_need()
                if len(self._pending) < need:
                    if not view:
                        break
                    take = min(len(view), need - len(self._pending))
                    self._pending += view[:take]
                    view = view[take:]
                    continue
                self._parse_header()
        return n

    def _header_need(self) -> int:
        """Bytes the pending header needs before it can be parsed (never more than it has)."""
        if len(self._pending) < 4 or struct.unpack_from("<I", self._pending)[0] != _SIG_LOCAL:
            return 4
        if len(self._pending) < _LOCAL.size:
            return _LOCAL.size
        nlen, xlen = struct.unpack_from("<HH", self._pending, 26)
        return int(_LOCAL.size + nlen + xlen)

    def _parse_header(self) -> None:
        sig = struct.unpack_from("<I", self._pending)[0]
        if sig == _SIG_CENTRAL:
            self._state = "tail"
            self._tail += self._pending
            self._pos += len(self._pending)
            self._pending = bytearray()
            return
        if sig != _SIG_LOCAL:
            raise _Refuse(_problem("zip_structure"))
        (_, _, flags, method, _, _, crc, csize, usize, nlen, xlen) = _LOCAL.unpack_from(self._pending)
        raw = bytes(self._pending[_LOCAL.size:_LOCAL.size + nlen])
        extra = bytes(self._pending[_LOCAL.size + nlen:_LOCAL.size + nlen + xlen])
        try:
            name = raw.decode("ascii")
        except UnicodeDecodeError:
            raise _Refuse(_problem("unsafe_name")) from None
        fields = _extra_fields(extra)
        if _EXTRA_ZIP64 in fields and (usize == _MAX32 or csize == _MAX32):
            if len(fields[_EXTRA_ZIP64]) < 16:
                raise _Refuse(_problem("zip_structure"))
            usize, csize = struct.unpack_from("<QQ", fields[_EXTRA_ZIP64])
        if not self._locals and _EXTRA_LENGTH in fields and len(fields[_EXTRA_LENGTH]) == 8:
            self._check_length(struct.unpack("<Q", fields[_EXTRA_LENGTH])[0])
        # We write stored entries with sizes and CRC in the local header (no descriptor).
        if method != 0 or flags & 0x0009 or csize != usize:
            raise _Refuse(_problem("zip_structure", message="The package's inner archive uses features "
                                   "this app never writes (compression, encryption or data descriptors)."))
        self._locals.append((name, self._pos, usize, crc))
        self._pos += len(self._pending)
        self._pending = bytearray()
        self._c.begin(name, usize, crc=crc)
        if usize == 0:
            self._c.end()
        else:
            self._state = "data"
            self._left = usize

    def _check_length(self, total: int) -> None:
        self.expected_total = total
        self._c.total = total
        if self._header_length is None:
            return
        expected = _age_file_size(self._header_length, total)
        if self._file_size < expected:
            raise _Refuse(_problem("truncated"))
        if self._file_size > expected:
            raise _Refuse(_problem("trailing_data"))

    def finish(self) -> None:
        """After the last byte: the central directory must describe exactly the local entries."""
        if self._state != "tail" or self._pending:
            raise _Refuse(_problem("zip_structure", self._c.current,
                                   "The package's inner archive ends in the middle of a file."))
        tail = bytes(self._tail)
        cd_offset = self._pos - len(tail)
        pos = 0
        for name, offset, size, crc in self._locals:
            if pos + _CENTRAL.size > len(tail):
                raise _Refuse(_problem("zip_structure"))
            rec = _CENTRAL.unpack_from(tail, pos)
            (sig, _, _, flags, method, _, _, c_crc, csize, usize, nlen, xlen, clen, disk, _, _, c_off) = rec
            c_name = tail[pos + _CENTRAL.size:pos + _CENTRAL.size + nlen]
            fields = _extra_fields(tail[pos + _CENTRAL.size + nlen:pos + _CENTRAL.size + nlen + xlen])
            z64 = iter(struct.unpack_from(f"<{len(fields.get(_EXTRA_ZIP64, b'')) // 8}Q",
                                          fields.get(_EXTRA_ZIP64, b"")))
            try:
                usize = next(z64) if usize == _MAX32 else usize
                csize = next(z64) if csize == _MAX32 else csize
                c_off = next(z64) if c_off == _MAX32 else c_off
            except StopIteration:
                raise _Refuse(_problem("zip_structure")) from None
            if (sig != _SIG_CENTRAL or c_name != name.encode("ascii") or c_off != offset or usize != size
                    or csize != size or c_crc != crc or method != 0 or flags & 0x0009 or disk != 0):
                raise _Refuse(_problem("zip_structure", name))
            pos += _CENTRAL.size + nlen + xlen + clen
        cd_size = pos
        n = len(self._locals)
        rest = tail[pos:]
        if rest[:4] == struct.pack("<I", _SIG_Z64_EOCD):
            if len(rest) < _Z64_EOCD.size + _Z64_LOCATOR.size:
                raise _Refuse(_problem("zip_structure"))
            z = _Z64_EOCD.unpack_from(rest)
            loc = _Z64_LOCATOR.unpack_from(rest, _Z64_EOCD.size)
            if (z[1] != _Z64_EOCD.size - 12 or z[6] != n or z[7] != n or z[8] != cd_size or z[9] != cd_offset
                    or loc[0] != _SIG_Z64_LOCATOR or loc[2] != cd_offset + cd_size):
                raise _Refuse(_problem("zip_structure"))
            rest = rest[_Z64_EOCD.size + _Z64_LOCATOR.size:]
        if len(rest) != _EOCD.size:
            raise _Refuse(_problem("zip_structure"))
        e = _EOCD.unpack(rest)
        if (e[0] != _SIG_EOCD or e[1] or e[2] or e[3] != min(n, _MAX16) or e[4] != min(n, _MAX16)
                or e[5] != min(cd_size, _MAX32) or e[6] != min(cd_offset, _MAX32) or e[7] != 0):
            raise _Refuse(_problem("zip_structure"))
        if self.expected_total is not None and self.expected_total != self._pos:
            raise _Refuse(_problem("zip_structure"))


def _extra_fields(blob: bytes) -> dict[int, bytes]:
    fields: dict[int, bytes] = {}
    i = 0
    while i + 4 <= len(blob):
        tag, n = struct.unpack_from("<HH", blob, i)
        if i + 4 + n > len(blob) or tag in fields:
            raise _Refuse(_problem("zip_structure"))
        fields[tag] = blob[i + 4:i + 4 + n]
        i += 4 + n
    if i != len(blob):
        raise _Refuse(_problem("zip_structure"))
    return fields


_TRUNCATED_DETAILS: Final = ("truncated", "nonce missing", "ends without a final chunk")


def _read_age(path: Path, size: int, passphrase: str | None,
              identities: Sequence[age.Identity | age.HybridIdentity], collector: _Collector,
              cancel: CancelToken) -> Problem | None:
    parser = _InnerZipParser(collector, file_size=size, header_length=_age_header_length(path))
    try:
        with open(path, "rb") as src:
            age.decrypt(src, parser, identities=identities, passphrase=passphrase, cancel=cancel)  # type: ignore[arg-type]
    except age.AgeWrongKey:
        raise PackageWrongKey() from None
    except age.AgeLimit:
        return _problem("limit")
    except age.AgeCorrupt as exc:
        where = collector.current
        if any(t in exc.detail for t in _TRUNCATED_DETAILS):
            return _problem("truncated", where)
        if "data after the final chunk" in exc.detail:
            return _problem("trailing_data")
        if exc.detail.startswith("header:") and _age_header_incomplete(path, size):
            return _problem("truncated")
        if exc.detail.startswith(("header:", "hmac:", "armor:")):
            return _problem("corrupt", None, "The package's header is damaged or was altered.")
        if where:
            return _problem("corrupt", where, f"The package is damaged or was altered: its encrypted "
                            f"data fails the integrity check while reading {where}.")
        return _problem("corrupt")
    parser.finish()
    return None


# -- AES ZIP -----------------------------------------------------------------------------------


def _zip_tail_problem(path: Path) -> Problem:
    """Why a ZIP's directory cannot be read: cut short, extended, or damaged."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - (_EOCD.size + _MAX16 + MIB)))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0:
        if at + _EOCD.size <= len(tail):
            comment = struct.unpack_from("<H", tail, at + 20)[0]
            end = at + _EOCD.size + comment
            if end < len(tail):
                return _problem("trailing_data")
            if end == len(tail):
                return _problem("corrupt", None, "The package's file list (ZIP directory) is damaged "
                                "or was altered.")
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return _problem("truncated")


def _read_zip(path: Path, passphrase: str, collector: _Collector, cancel: CancelToken) -> Problem | None:
    from bundler.export.ziparchive import ZipCorrupt, ZipReader, ZipWrongPassphrase

    with open(path, "rb") as src:
        try:
            reader = ZipReader(src, passphrase=passphrase)
        except ZipWrongPassphrase:
            raise PackageWrongKey() from None
        except ZipCorrupt:
            return _zip_tail_problem(path)
        names = reader.names()
        for name in names:  # every name is checked before anything is written
            try:
                check_name(name)
            except UnsafePath:
                return _problem("unsafe_name")
        collector.total = sum(reader.size(n) for n in names)
        order = ([MANIFEST] if MANIFEST in names else []) + [n for n in names if n != MANIFEST]
        with contextlib.closing(reader):
            reader.prefetch(order)  # keys derived a few entries ahead, on a worker thread
            return _read_zip_entries(reader, order, collector, cancel)


def _read_zip_entries(reader: ZipReader, order: Sequence[str], collector: _Collector,
                      cancel: CancelToken) -> Problem | None:
    from bundler.export.ziparchive import ZipCorrupt, ZipWrongPassphrase

    for name in order:
        collector.begin(name, reader.size(name))
        try:
            with reader.open(name) as f:
                while chunk := f.read(MIB):
                    cancel.raise_if_cancelled()
                    collector.write(chunk)
        except ZipWrongPassphrase:
            raise PackageWrongKey() from None
        except ZipCorrupt:
            collector.abort(damaged=True)
            collector.problems.append(_problem("corrupt", name, f"{name} is damaged or was altered "
                                               "(it fails its encryption check)."))
            continue
        collector.end()
    return None


# --------------------------------------------------------------------------------------------
# verify and open
# --------------------------------------------------------------------------------------------


def verify_package(
    path: Path | str,
    *,
    passphrase: str | None = None,
    identities: Sequence[age.Identity | age.HybridIdentity] = (),
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> VerifyReport:
    """Check a package end to end: the container (every age chunk, every ZIP entry's HMAC),
    the inner archive's structure, and every file against MANIFEST.TXT. Writes nothing.

    Returns
    -------
    VerifyReport
        ``ok``, or ``problems`` naming the files concerned (stable ``code`` per problem:
        ``truncated``, ``trailing_data``, ``corrupt``, ``limit``, ``unsafe_name``,
        ``zip_structure``, ``manifest_missing``, ``manifest_invalid``, ``missing_file``,
        ``size_mismatch``, ``hash_mismatch``, ``unlisted_file``, ``unexpected_file``,
        ``not_a_package``).

    Raises
    ------
    PackageWrongKey
        The passphrase or key does not open it (distinct from damage).
    UsageError
        No passphrase and no identity, or the file cannot be read.
    """
    return _read_package(Path(path), passphrase=passphrase, identities=identities, dest=None,
                         progress=progress, cancel=cancel)


def _prepare_destination(to: Path) -> None:
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise UsageError("The destination must be a new or empty folder.")
    to.parent.mkdir(parents=True, exist_ok=True)


def _publish(tmp: Path, to: Path) -> None:
    if to.exists():
        to.rmdir()  # empty, checked before
    os.replace(tmp, to)
    _fsync_dir(to.parent)


def open_package(
    path: Path | str,
    *,
    passphrase: str | None = None,
    identities: Sequence[age.Identity | age.HybridIdentity] = (),
    to: Path | str,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> OpenReport:
    """Decrypt a package into the new folder ``to``, publishing it only if it verifies.

    The files are written into a private temporary folder beside ``to`` while being checked;
    when the container, the inner archive and every manifest hash check out, the folder is
    renamed to ``to``; otherwise it is removed and :attr:`OpenReport.path` is ``None``.

    Raises :class:`PackageWrongKey`, :class:`~bundler.errors.UsageError` (``to`` exists and is
    not empty) and :class:`~bundler.errors.Cancelled` (nothing is left behind).
    """
    to = Path(to).absolute()
    _prepare_destination(to)
    tmp = Path(tempfile.mkdtemp(prefix=".records-bundler-open-", dir=to.parent))
    try:
        report = _read_package(Path(path), passphrase=passphrase, identities=identities, dest=tmp,
                               progress=progress, cancel=cancel)
        if not report.ok:
            return OpenReport(report, None)
        _publish(tmp, to)
        return OpenReport(report, to)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _restore_intake(store: CaseStore, case_json: Path) -> None:
    """The patient's own part, from CASE.JSON (verified with the rest), into the opened case."""
    from bundler.intake import IntakeError, parse_intake, save_intake

    try:
        data = json.loads(case_json.read_text(encoding="utf-8")).get("intake") or {}
        save_intake(store, parse_intake(data, CASE_JSON), replace=True)
    except (OSError, ValueError, AttributeError, IntakeError):
        # A package from an older version, or hand-made: the records open without it.
        log.info("the package's CASE.JSON has no usable intake")


def open_package_as_case(
    path: Path | str,
    *,
    passphrase: str | None = None,
    identities: Sequence[age.Identity | age.HybridIdentity] = (),
    case_dir: Path | str,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> OpenReport:
    """Decrypt and verify a package, then import it as a new, read-only case at ``case_dir``.

    The verified files are imported with :func:`bundler.ingest.pipeline.import_sources` (the
    DICOM and DOCS folders) into a case made beside ``case_dir`` and renamed into place when
    the import is done; the decrypted files are removed afterwards.
    """
    from bundler.ingest.pipeline import import_sources

    case_dir = Path(case_dir).absolute()
    _prepare_destination(case_dir)
    work = Path(tempfile.mkdtemp(prefix=".records-bundler-open-", dir=case_dir.parent))
    try:
        files = work / "files"
        files.mkdir()
        report = _read_package(Path(path), passphrase=passphrase, identities=identities, dest=files,
                               progress=progress, cancel=cancel)
        if not report.ok:
            return OpenReport(report, None)
        sources = [p for p in (files / "DICOM", files / "DOCS") if p.exists()]
        staging = work / "case"
        with CaseStore.open(staging, create=True) as store:
            summary = import_sources(sources, store, progress=progress, cancel=cancel).to_json()
            _restore_intake(store, files / CASE_JSON)
            store.mark_read_only()
        _publish(staging, case_dir)
        return OpenReport(report, case_dir, summary)
    finally:
        shutil.rmtree(work, ignore_errors=True)
