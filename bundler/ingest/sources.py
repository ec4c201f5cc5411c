"""Enumerate the files of a source: folder, disc, ISO image, ZIP or gzip, nested up to a limit.

A source yields :class:`Entry` objects (a file we can open read-only) and :class:`Problem`
objects (a file we saw but must not or cannot open: path traversal, zip-bomb limits, a link
that leaves the source, an unreadable directory). Nothing here parses DICOM; nothing here
writes outside the scratch folder it is given (spooled nested archives, which hold patient
data and so live inside the case store).

ISO images are read directly with pycdlib (no mounting, no root). ZIP members are streamed
with the standard library; nested archives are spooled to the scratch folder first.
"""

from __future__ import annotations

import errno
import gzip
import io
import logging
import os
import platform
import shutil
import stat
import struct
import subprocess
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from bundler.errors import LimitExceeded, UnsafePath
from bundler.model import ImportStatus, Reason
from bundler.progress import NEVER, CancelToken
from bundler.safepath import DEFAULT_LIMITS, ArchiveLimits, clean_member_name

__all__ = [
    "Entry",
    "OpticalDrive",
    "Problem",
    "archive_kind",
    "list_optical_drives",
    "walk_source",
]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of a source that may be opened (read-only) and imported."""

    display: str  # where it came from, for the user's eyes only (never logged)
    media_key: str  # identifies the media root this file belongs to (folder, archive)
    relpath: PurePosixPath  # path below the media root, for DICOMDIR matching
    size: int  # -1 when unknown before reading (gzip)
    opener: Callable[[], BinaryIO]
    local_path: Path | None = None  # a plain file on a local file system
    sequential: bool = False  # optical media: read one file at a time, in order

    def open(self) -> BinaryIO:
        return self.opener()


@dataclass(frozen=True, slots=True)
class Problem:
    """A file seen but not opened, with its log status and reason."""

    display: str
    status: ImportStatus
    reason: Reason
    detail: str


Item = Entry | Problem


@dataclass(frozen=True, slots=True)
class OpticalDrive:
    """A mounted CD/DVD/BD, as the operating system shows it."""

    mount_point: Path
    label: str
    device: str


# --------------------------------------------------------------------------- sniffing

def archive_kind(head: bytes, size: int, read_at: Callable[[int, int], bytes] | None = None) -> str | None:
    """``"zip"``, ``"gzip"``, ``"iso"`` or None, from a file's first bytes.

    ``read_at(offset, n)`` is used for ISO 9660, whose signature sits at byte 32769.
    """
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    # ISO 9660 images are whole 2048-byte sectors; the primary descriptor is at sector 16.
    if read_at is not None and size >= 34816 and size % 2048 == 0:
        if read_at(32769, 5) == b"CD001":
            return "iso"
    return None


def _sniff_local(path: Path, size: int) -> str | None:
    with open(path, "rb") as f:
        head = f.read(8)

        def read_at(offset: int, n: int) -> bytes:
            f.seek(offset)
            return f.read(n)

        return archive_kind(head, size, read_at)


def _sniff_stream(opener: Callable[[], BinaryIO], size: int) -> str | None:
    with opener() as f:
        head = f.read(8)
        if size >= 34816 and size % 2048 == 0 and f.seekable():

            def read_at(offset: int, n: int) -> bytes:
                f.seek(offset)
                return f.read(n)

            return archive_kind(head, size, read_at)
        return archive_kind(head, size)


# --------------------------------------------------------------------------- readers

class _LimitedReader(io.RawIOBase):
    """Refuses to yield more than ``limit`` bytes (gzip and spooled members: bomb guard)."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw = raw
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(b))
        if len(data) > self._left:
            raise LimitExceeded("A compressed file expands far beyond a believable size.")
        self._left -= len(data)
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _LockedReader(io.RawIOBase):
    """Reads a member of a container whose file handle is shared (pycdlib), under a lock."""

    def __init__(self, make: Callable[[], BinaryIO], lock: threading.Lock) -> None:
        self._lock = lock
        with lock:
            self._raw = make()
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        with self._lock:
            self._raw.seek(self._pos)
            data = self._raw.read(len(b))
        self._pos += len(data)
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with self._lock:
            self._raw.close()
        super().close()


def _buffered(raw: io.RawIOBase) -> BinaryIO:
    return io.BufferedReader(raw, buffer_size=_CHUNK)


# --------------------------------------------------------------------------- walking

def walk_source(
    source: Path,
    *,
    scratch: Path,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    cancel: CancelToken = NEVER,
    optical_mounts: frozenset[Path] | None = None,
    resources: ExitStack | None = None,
) -> Iterator[Item]:
    """Yield every file of ``source`` (a folder or a single file), expanding archives.

    Folders are walked without following links that leave the source, and without loops.
    Archives (ZIP, gzip, ISO 9660) found anywhere are expanded in place, up to
    ``limits.max_depth`` levels. Entries stay readable until ``resources`` is closed (open
    disc images); nested archives are spooled under ``scratch``, which the caller removes.
    """
    if resources is None:
        with ExitStack() as own:
            yield from walk_source(source, scratch=scratch, limits=limits, cancel=cancel,
                                   optical_mounts=optical_mounts, resources=own)
        return
    ctx = _Ctx(scratch, limits, cancel, resources)
    if optical_mounts is None:
        optical_mounts = frozenset(d.mount_point for d in list_optical_drives())
    root = source.absolute()
    sequential = any(_is_relative_to(root, m) for m in optical_mounts)
    if root.is_dir():
        yield from _walk_folder(root, ctx, sequential=sequential)
        return
    try:
        st = root.stat()
    except OSError as e:
        yield Problem(str(source), ImportStatus.FAILED, Reason.UNREADABLE, os_error_detail(e))
        return
    entry = Entry(
        display=str(root),
        media_key=str(root.parent),
        relpath=PurePosixPath(root.name),
        size=st.st_size,
        opener=_file_opener(root),
        local_path=root,
        sequential=sequential,
    )
    yield from _maybe_expand(entry, ctx, depth=0)


@dataclass(frozen=True, slots=True)
class _Ctx:
    scratch: Path
    limits: ArchiveLimits
    cancel: CancelToken
    resources: ExitStack


def _is_relative_to(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _file_opener(path: Path) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        return open(path, "rb", buffering=_CHUNK)

    return opener


def os_error_detail(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "Permission denied."
    if e.errno == errno.EIO:
        return "The drive reported a read error (a scratched disc or a failing drive?)."
    if e.errno == errno.ELOOP:
        return "A link on the media points to itself."
    return f"Could not read it ({errno.errorcode.get(e.errno or 0, 'error')})."


def _walk_folder(root: Path, ctx: _Ctx, *, sequential: bool) -> Iterator[Item]:
    real_root = root.resolve()
    visited: set[tuple[int, int]] = set()
    stack: list[Path] = [root]
    while stack:
        ctx.cancel.raise_if_cancelled()
        folder = stack.pop()
        try:
            st = folder.stat()
            key = (st.st_dev, st.st_ino)
            if key in visited:
                continue  # a link loop, or a folder linked twice
            visited.add(key)
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda d: d.name)
        except OSError as e:
            yield Problem(str(folder), ImportStatus.FAILED, Reason.UNREADABLE, os_error_detail(e))
            continue
        subfolders: list[Path] = []
        for child in children:
            path = Path(child.path)
            try:
                is_link = child.is_symlink()
                if is_link:
                    target = path.resolve(strict=True)
                    if not _is_relative_to(target, real_root):
                        yield Problem(str(path), ImportStatus.FAILED, Reason.UNSAFE_PATH,
                                      "A link on the media points outside the folder being imported.")
                        continue
                cst = path.stat()  # follows links, which are inside the root by now
            except RuntimeError:  # symlink loop in resolve()
                yield Problem(str(path), ImportStatus.FAILED, Reason.UNSAFE_PATH,
                              "A link on the media points to itself.")
                continue
            except OSError as e:
                yield Problem(str(path), ImportStatus.FAILED,
                              Reason.UNSAFE_PATH if e.errno == errno.ELOOP else Reason.UNREADABLE,
                              os_error_detail(e))
                continue
            if stat.S_ISDIR(cst.st_mode):
                subfolders.append(path)
                continue
            if not stat.S_ISREG(cst.st_mode):
                yield Problem(str(path), ImportStatus.SKIPPED, Reason.NOT_REGULAR_FILE,
                              "Not a regular file (a device, pipe or socket).")
                continue
            entry = Entry(
                display=str(path),
                media_key=str(root),
                relpath=PurePosixPath(*path.relative_to(root).parts),
                size=cst.st_size,
                opener=_file_opener(path),
                local_path=path,
                sequential=sequential,
            )
            yield from _maybe_expand(entry, ctx, depth=0)
        stack.extend(reversed(subfolders))


def _maybe_expand(entry: Entry, ctx: _Ctx, *, depth: int) -> Iterator[Item]:
    """Yield the entry itself, or the members of the archive it is."""
    if entry.size == 0:
        yield entry
        return
    try:
        if entry.local_path is not None:
            kind = _sniff_local(entry.local_path, entry.size)
        else:
            kind = _sniff_stream(entry.opener, entry.size)
    except OSError as e:
        yield Problem(entry.display, ImportStatus.FAILED, Reason.UNREADABLE, os_error_detail(e))
        return
    except (LimitExceeded, zipfile.BadZipFile, EOFError, gzip.BadGzipFile, zlib.error) as e:
        yield Problem(entry.display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT, _archive_detail(e))
        return
    if kind is None:
        yield entry
        return
    if depth >= ctx.limits.max_depth:
        yield Problem(entry.display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT,
                      f"Archives nested more than {ctx.limits.max_depth} deep are not opened.")
        return
    local = _local_path(entry, ctx)
    if isinstance(local, Problem):
        yield local
    elif kind == "zip":
        yield from _walk_zip(entry, local, ctx, depth=depth)
    elif kind == "gzip":
        yield from _walk_gzip(entry, local, ctx, depth=depth)
    else:
        yield from _walk_iso(entry, local, ctx, depth=depth)


def _local_path(entry: Entry, ctx: _Ctx) -> Path | Problem:
    """A seekable local path for an archive: the file itself, or a copy spooled to scratch."""
    if entry.local_path is not None:
        return entry.local_path
    ctx.scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="nested-", dir=ctx.scratch)
    try:
        with os.fdopen(fd, "wb") as out, entry.open() as src:
            limited = _buffered(_LimitedReader(src, ctx.limits.max_entry_bytes))
            shutil.copyfileobj(limited, out, _CHUNK)
    except LimitExceeded as e:
        return Problem(entry.display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT, e.user_message)
    except OSError as e:
        return Problem(entry.display, ImportStatus.FAILED, Reason.UNREADABLE, os_error_detail(e))
    except (zipfile.BadZipFile, EOFError, gzip.BadGzipFile, zlib.error, ValueError) as e:
        return Problem(entry.display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT, _archive_detail(e))
    return Path(name)


def _archive_detail(e: BaseException) -> str:
    if isinstance(e, LimitExceeded):
        return e.user_message
    return "The archive is damaged or incomplete and could not be opened."


def _walk_zip(outer: Entry, path: Path, ctx: _Ctx, *, depth: int) -> Iterator[Item]:
    limits = ctx.limits
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        yield Problem(outer.display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT, _archive_detail(e))
        return
    with zf:
        infos = zf.infolist()
        files = [i for i in infos if not i.is_dir()]
        if not files:
            yield Problem(outer.display, ImportStatus.SKIPPED, Reason.EMPTY_ARCHIVE, "The archive holds no files.")
            return
        if len(files) > limits.max_entries:
            yield Problem(outer.display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT,
                          f"The archive holds more than {limits.max_entries:,} files.")
            return
        total = 0
        seen_names: set[str] = set()
        for info in files:
            ctx.cancel.raise_if_cancelled()
            display = f"{outer.display}!/{info.filename}"
            try:
                rel = clean_member_name(info.filename)
            except UnsafePath as e:
                yield Problem(display, ImportStatus.FAILED, Reason.UNSAFE_PATH, e.user_message)
                continue
            if info.flag_bits & 0x1:
                yield Problem(display, ImportStatus.FAILED, Reason.ARCHIVE_ENCRYPTED,
                              "This file in the archive is password-protected.")
                continue
            problem = _zip_member_limits(info, total, limits)
            if problem:
                yield Problem(display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT, problem)
                continue
            total += info.file_size
            key = str(rel).lower()
            if key in seen_names:
                display = f"{display} (#{len(seen_names)})"
            seen_names.add(key)
            entry = Entry(
                display=display,
                media_key=outer.display,
                relpath=rel,
                size=info.file_size,
                opener=_zip_opener(path, info),
                local_path=None,
                sequential=outer.sequential,
            )
            yield from _maybe_expand(entry, ctx, depth=depth + 1)


def _zip_member_limits(info: zipfile.ZipInfo, total: int, limits: ArchiveLimits) -> str | None:
    if info.file_size > limits.max_entry_bytes:
        return "A file in the archive is larger than we accept."
    if total + info.file_size > limits.max_total_bytes:
        return "The archive expands beyond the size we accept in total."
    if info.file_size > limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return "A file in the archive is compressed suspiciously well (a “zip bomb”?)."
    return None


def _zip_opener(path: Path, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        zf = zipfile.ZipFile(path)
        try:
            member = zf.open(info)
        except BaseException:
            zf.close()
            raise
        return _buffered(_ZipMember(zf, member))

    return opener


class _ZipMember(io.RawIOBase):
    """A member stream that closes its own ZipFile (one handle per reader: thread-safe)."""

    def __init__(self, zf: zipfile.ZipFile, member: IO[bytes]) -> None:
        self._zf = zf
        self._member = member

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._member.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()

    def read(self, n: int = -1) -> bytes:
        return self._member.read(n)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._member.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._member.close()
        finally:
            self._zf.close()
            super().close()


def _walk_gzip(outer: Entry, path: Path, ctx: _Ctx, *, depth: int) -> Iterator[Item]:
    limits = ctx.limits
    name = outer.relpath.name
    inner_name = name[:-3] if name.lower().endswith(".gz") else name[:-4] if name.lower().endswith(".tgz") else name
    compressed = path.stat().st_size
    cap = min(limits.max_entry_bytes, max(limits.ratio_floor_bytes, int(compressed * limits.max_ratio)))

    def opener() -> BinaryIO:
        return _buffered(_LimitedReader(gzip.open(path, "rb"), cap))  # type: ignore[arg-type]

    entry = Entry(
        display=f"{outer.display}!/{inner_name or 'data'}",
        media_key=outer.display,
        relpath=PurePosixPath(inner_name or "data"),
        size=-1,
        opener=opener,
        local_path=None,
        sequential=outer.sequential,
    )
    yield from _maybe_expand(entry, ctx, depth=depth + 1)


def _walk_iso(outer: Entry, path: Path, ctx: _Ctx, *, depth: int) -> Iterator[Item]:
    limits = ctx.limits
    import pycdlib  # imported here: only ISO sources pay for it
    from pycdlib.pycdlibexception import PyCdlibException

    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(path))
    except (PyCdlibException, OSError, ValueError, struct.error, IndexError) as e:
        yield Problem(outer.display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT,
                      "The disc image is damaged or not a data disc." if not isinstance(e, OSError) else os_error_detail(e))
        return
    lock = threading.Lock()

    def close() -> None:
        with lock:
            iso.close()

    ctx.resources.callback(close)  # entries read from the open image until the import ends
    if iso.has_joliet():
        facade_kw = "joliet_path"
    elif iso.has_rock_ridge():
        facade_kw = "rr_path"
    else:
        facade_kw = "iso_path"
    count = 0
    try:
        walked = list(iso.walk(**{facade_kw: "/"}))
    except (PyCdlibException, ValueError, IndexError, RecursionError):
        yield Problem(outer.display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT,
                      "The disc image's folders are damaged.")
        return
    for dirpath, _dirs, files in walked:
        for fname in sorted(files):
            ctx.cancel.raise_if_cancelled()
            count += 1
            if count > limits.max_entries:
                yield Problem(outer.display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT,
                              f"The disc image holds more than {limits.max_entries:,} files.")
                return
            iso_name = f"{dirpath.rstrip('/')}/{fname}"
            shown = _iso_display_name(iso_name) if facade_kw == "iso_path" else iso_name
            display = f"{outer.display}!{shown}"
            try:
                rel = clean_member_name(shown.lstrip("/"))
                rec = iso.get_record(**{facade_kw: iso_name})
                size = int(rec.get_data_length())
            except UnsafePath as e:
                yield Problem(display, ImportStatus.FAILED, Reason.UNSAFE_PATH, e.user_message)
                continue
            except (PyCdlibException, ValueError, IndexError):
                yield Problem(display, ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT,
                              "This file's entry in the disc image is damaged.")
                continue
            if size > limits.max_entry_bytes:
                yield Problem(display, ImportStatus.FAILED, Reason.ARCHIVE_LIMIT,
                              "A file in the disc image is larger than we accept.")
                continue
            entry = Entry(
                display=display,
                media_key=outer.display,
                relpath=rel,
                size=size,
                opener=_iso_opener(iso, facade_kw, iso_name, lock),
                local_path=None,
                sequential=True,  # one shared handle: read in order
            )
            yield from _maybe_expand(entry, ctx, depth=depth + 1)


def _iso_display_name(iso_name: str) -> str:
    """ISO 9660 names carry ``;1`` versions and a trailing dot for extension-less files."""
    parts = []
    for part in iso_name.split("/"):
        base = part.split(";", 1)[0]
        if base.endswith("."):
            base = base[:-1]
        parts.append(base)
    return "/".join(parts)


def _iso_opener(iso: object, facade_kw: str, iso_name: str, lock: threading.Lock) -> Callable[[], BinaryIO]:
    def make() -> BinaryIO:
        stream = iso.open_file_from_iso(**{facade_kw: iso_name})  # type: ignore[attr-defined]
        stream.__enter__()  # PyCdlibIO finds its extent on entering; __exit__ is its close()
        return stream  # type: ignore[no-any-return]

    def opener() -> BinaryIO:
        return _buffered(_LockedReader(make, lock))

    return opener


# --------------------------------------------------------------------------- optical drives

def list_optical_drives() -> list[OpticalDrive]:
    """Mounted optical discs on Linux, macOS and Windows; empty when there are none."""
    system = platform.system()
    try:
        if system == "Linux":
            return _linux_optical(Path("/proc/self/mounts"))
        if system == "Darwin":
            return _mac_optical()
        if system == "Windows":
            return _windows_optical()
    except OSError:
        log.info("could not list optical drives", exc_info=True)
    return []


_OPTICAL_FS = {"iso9660", "udf", "cd9660"}


def _unescape_mount(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal (\040 ...).
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _linux_optical(mounts: Path) -> list[OpticalDrive]:
    drives = []
    for line in mounts.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        device, mount_point, fstype = fields[0], _unescape_mount(fields[1]), fields[2]
        if fstype in _OPTICAL_FS or os.path.basename(device).startswith(("sr", "scd", "cdrom")):
            drives.append(OpticalDrive(Path(mount_point), Path(mount_point).name, device))
    return drives


def _mac_optical() -> list[OpticalDrive]:
    out = subprocess.run(["mount"], capture_output=True, text=True, timeout=10, check=False).stdout
    drives = []
    for line in out.splitlines():
        # "/dev/disk3 on /Volumes/CD (cd9660, local, nodev, nosuid, read-only, noowners)"
        if " on " not in line or "(" not in line:
            continue
        device, rest = line.split(" on ", 1)
        mount_point, opts = rest.rsplit(" (", 1)
        fstype = opts.split(",", 1)[0].strip()
        if fstype in _OPTICAL_FS:
            drives.append(OpticalDrive(Path(mount_point), Path(mount_point).name, device))
    return drives


def _windows_optical() -> list[OpticalDrive]:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    drives = []
    mask = kernel32.GetLogicalDrives()
    for i in range(26):
        if not mask & (1 << i):
            continue
        root = f"{chr(65 + i)}:\\"
        if kernel32.GetDriveTypeW(root) == 5:  # DRIVE_CDROM
            label = ctypes.create_unicode_buffer(261)
            if kernel32.GetVolumeInformationW(root, label, 261, None, None, None, None, 0):
                drives.append(OpticalDrive(Path(root), label.value, root))
    return drives
