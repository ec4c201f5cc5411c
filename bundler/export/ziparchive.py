"""AES-256 encrypted ZIP in the WinZip AE-2 format: a streaming writer and a verifying reader.

The package container for reviewers who have 7-Zip, WinZip or Keka rather than ``age``.

Format (WinZip "AES Encryption Information: AE-1 and AE-2", document 1.04, and PKWARE
APPNOTE 6.3.10 for the ZIP and ZIP64 records):

* every entry has compression method 99 and the 0x9901 extra field: vendor version 2 (AE-2),
  vendor ``"AE"``, strength 3 (AES-256) and the actual method, 0 (stored) or 8 (deflate);
* per entry, a random 16-byte salt; PBKDF2-HMAC-SHA1 with 1000 iterations derives
  32 + 32 + 2 bytes: the AES key, the HMAC key and a 2-byte password verifier;
* the (compressed) data is encrypted with AES-CTR whose counter is a 128-bit *little-endian*
  integer starting at 1, and authenticated by HMAC-SHA1 over the ciphertext, truncated to
  10 bytes;
* the entry's data is ``salt ‖ verifier ‖ ciphertext ‖ auth code``; AE-2 stores CRC-32 = 0
  (a CRC of the plaintext would leak information about small files).

What the format does *not* protect: the HMAC covers each entry's ciphertext only. File names,
sizes, timestamps and the set of entries are neither encrypted nor authenticated, so an
attacker can rename, drop or swap entries. Hence (1) the caller must use neutral entry names
(``DICOM/ST000001/…``, ``DOCS/DOC0001.PDF``): never patient names, IDs or dates, and (2) the
package layer verifies the inner ``MANIFEST.TXT`` against every file.

Why not pyzipper (the usual AES-ZIP package on PyPI): its writer does stream (it encrypts
each write in chunks), but it is a fork of CPython's ``zipfile``, a large surface that reports a
bad password as ``RuntimeError`` and damage as ``BadZipFile`` (we need exactly two error types,
whatever the bytes); it needs pycryptodomex, a second crypto stack beside ``cryptography``; and
its AE-1/AE-2 choice (``file_size < 20 | compress_type == ZIP_BZIP2``, an operator-precedence
slip) is always false, so it writes AE-1, with the plaintext CRC, even for tiny files. The
format is small enough to write against the spec with ``cryptography`` primitives and to test
against the real 7-Zip (``tests/interop/test_7z.py``).

Why AES-ECB plus numpy rather than ``modes.CTR``: ``cryptography``'s CTR mode counts
big-endian; WinZip counts little-endian. We encrypt the counter blocks with ECB (the AES block
function, in C) and XOR the keystream with numpy, 1 MiB at a time, so no Python code runs per
16-byte block.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from hmac import compare_digest
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Final

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from bundler.errors import BundlerError, LimitExceeded, PackageCorrupt, PackageWrongKey, UnsafePath, UsageError
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.safepath import DEFAULT_LIMITS, ArchiveLimits, clean_member_name, safe_join

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["ZipCorrupt", "ZipReader", "ZipWrongPassphrase", "ZipWriter"]

log = logging.getLogger(__name__)


class ZipWrongPassphrase(PackageWrongKey):
    """The passphrase does not open the archive (password verifier, confirmed by the HMAC)."""

    code = "wrong_key"

    def __init__(self, user_message: str = "The passphrase does not open this package.") -> None:
        super().__init__(user_message)


class ZipCorrupt(PackageCorrupt):
    """Bad HMAC, truncation, or a structure we do not accept."""

    code = "corrupt"

    def __init__(self, user_message: str = "The package is damaged or was altered.") -> None:
        super().__init__(user_message)


# --- format constants (APPNOTE 6.3.10 §4.3, WinZip AE-x) -------------------------------------

_CHUNK: Final = 1 << 20  # bytes per I/O, cipher and HMAC call
_BLOCKS: Final = _CHUNK // 16

_SIG_LOCAL: Final = 0x04034B50
_SIG_CENTRAL: Final = 0x02014B50
_SIG_EOCD: Final = 0x06054B50
_SIG_Z64_EOCD: Final = 0x06064B50
_SIG_Z64_LOCATOR: Final = 0x07064B50
_SIG_DESCRIPTOR: Final = 0x08074B50

_LOCAL = struct.Struct("<IHHHHHIIIHH")  # §4.3.7, 30 bytes
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # §4.3.12, 46 bytes
_EOCD = struct.Struct("<IHHHHIIH")  # §4.3.16, 22 bytes
_Z64_EOCD = struct.Struct("<IQHHIIQQQQ")  # §4.3.14, 56 bytes
_Z64_LOCATOR = struct.Struct("<IIQI")  # §4.3.15, 20 bytes
_EXTRA_HEADER = struct.Struct("<HH")
_AES_EXTRA = struct.Struct("<H2sBH")  # vendor version, "AE", strength, actual method

_FLAG_ENCRYPTED: Final = 0x0001
_FLAG_DESCRIPTOR: Final = 0x0008  # sizes follow the data (§4.3.9)
_FLAG_STRONG: Final = 0x0040  # PKWARE strong encryption: not ours
_FLAG_UTF8: Final = 0x0800  # §4.4.4 bit 11, APPNOTE appendix D
_FLAG_MASKED: Final = 0x2000  # PKWARE central directory encryption: not ours

_METHOD_STORED: Final = 0
_METHOD_DEFLATE: Final = 8
_METHOD_AES: Final = 99
_EXTRA_ZIP64: Final = 0x0001
_EXTRA_AES: Final = 0x9901

_VERSION_NEEDED: Final = 51  # what 7-Zip and WinZip write for AES entries (≥ 45 for ZIP64)
_VERSION_MADE_BY: Final = (3 << 8) | 63  # UNIX, APPNOTE 6.3
_EXTERNAL_ATTR: Final = (0o100644 << 16) | 0x20  # regular file rw-r--r--, DOS archive bit

_MAX16: Final = 0xFFFF
_MAX32: Final = 0xFFFFFFFF
_AE2: Final = 2
_AE1: Final = 1
_STRENGTH_AES256: Final = 3
_KEY_BYTES: Final = {1: 16, 2: 24, 3: 32}  # AES-128/192/256; salt is half the key length
_PV_BYTES: Final = 2
_MAC_BYTES: Final = 10
_PBKDF2_ITERATIONS: Final = 1000
_KEYS_AHEAD: Final = 8  # entries whose keys a reader derives in advance (see ZipReader.prefetch)

_BASE: Final = np.arange(_BLOCKS, dtype=np.uint64)


def _overhead(strength: int) -> int:
    """Bytes an AE-x entry adds around its data: salt, verifier, auth code."""
    return _KEY_BYTES[strength] // 2 + _PV_BYTES + _MAC_BYTES


@dataclass(frozen=True, slots=True)
class _Keys:
    aes: bytes
    mac: bytes
    verifier: bytes


def _derive(passphrase: bytes, salt: bytes, strength: int) -> _Keys:
    n = _KEY_BYTES[strength]
    kdf = PBKDF2HMAC(algorithm=hashes.SHA1(), length=2 * n + _PV_BYTES, salt=salt,
                     iterations=_PBKDF2_ITERATIONS)
    material = kdf.derive(passphrase)
    return _Keys(material[:n], material[n:2 * n], material[2 * n:])


class _WzCtr:
    """AES-CTR with WinZip's counter: 128-bit little-endian, first block 1.

    Encrypting and decrypting are the same XOR. ``apply`` yields views into buffers that are
    reused on the next call: consume each view before asking for the next.
    """

    def __init__(self, key: bytes) -> None:
        self._ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        self._next = 1
        self._spare = b""  # keystream left over from a partly used block
        self._cap = 0
        self._ctr: npt.NDArray[np.uint64] = np.zeros((0, 2), dtype=np.uint64)
        self._ks: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self._out: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)

    def _reserve(self, n: int) -> None:
        # Buffers grow to the largest piece seen (≤ 1 MiB): tiny entries stay tiny.
        if n <= self._cap:
            return
        cap = min(_CHUNK, (max(n, 4096) + 15) & ~15)
        self._ctr = np.zeros((cap // 16, 2), dtype=np.uint64)
        self._ks = np.empty(cap + 48, dtype=np.uint8)
        self._out = np.empty(cap, dtype=np.uint8)
        self._cap = cap

    def apply(self, data: bytes | memoryview) -> Iterator[memoryview]:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), _CHUNK):
            yield self._xor(view[start:start + _CHUNK])

    def _xor(self, piece: memoryview) -> memoryview:
        n = len(piece)
        self._reserve(n)
        ks = self._ks
        s = len(self._spare)
        if s:
            ks[:s] = np.frombuffer(self._spare, dtype=np.uint8)
        total = s
        if n > s:
            blocks = (n - s + 15) // 16
            low = self._ctr[:blocks, 0]
            np.add(_BASE[:blocks], np.uint64(self._next), out=low)
            self._next += blocks
            self._ecb.update_into(self._ctr[:blocks].data.cast("B"), ks[s:].data)
            total = s + 16 * blocks
        self._spare = ks[n:total].tobytes()
        out = self._out[:n]
        np.bitwise_xor(np.frombuffer(piece, dtype=np.uint8), ks[:n], out=out)
        return out.data


def _mac(key: bytes) -> crypto_hmac.HMAC:
    return crypto_hmac.HMAC(key, hashes.SHA1())


# --- names ----------------------------------------------------------------------------------

_NOT_PORTABLE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def _portable(rel: PurePosixPath) -> PurePosixPath:
    """Refuse names that some reviewer's system cannot create as given (Windows rules).

    We only write such names by mistake, and a hostile archive could use them to reach an
    NTFS alternate data stream (``a:b``) or a device (``CON``).
    """
    for part in rel.parts:
        if (_NOT_PORTABLE.search(part) or part.endswith((" ", "."))
                or part.split(".")[0].upper() in _RESERVED or len(part.encode("utf-8")) > 255):
            raise UnsafePath("A file name in the package cannot be used on every computer.")
    return rel


def _dos_datetime(t: float) -> tuple[int, int]:
    lt = time.localtime(t)
    if lt.tm_year < 1980:
        return 0, (1 << 5) | 1  # 1980-01-01 00:00, the earliest DOS date
    year = min(lt.tm_year, 2107) - 1980
    return ((lt.tm_hour << 11) | (lt.tm_min << 5) | (lt.tm_sec // 2),
            (year << 9) | (lt.tm_mon << 5) | lt.tm_mday)


def _deflate_bound(size: int) -> int:
    # zlib's deflateBound() for raw deflate, with room to spare.
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 64


# --- writer ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Written:
    name: bytes
    flags: int
    method: int  # the actual method inside the AES extra
    csize: int
    usize: int
    offset: int


class ZipWriter:
    """Write an AE-2 AES-256 ZIP to ``dst``, one entry at a time, in constant memory.

    ``dst`` is any writable binary stream; it need not be seekable. Positions are counted from
    where ``dst`` stands when the writer is made. Entry sizes go into the local header when
    they are known up front (stored entries with ``size``); otherwise the writer seeks back to
    fill them in when ``dst`` is seekable, and writes a data descriptor (flag bit 3) when it is
    not. ZIP64 records are written when an entry, an offset or the entry count needs them;
    ``force_zip64=True`` writes them always (for tests of readers).

    The passphrase must be printable ASCII: 7-Zip, WinZip and Keka agree on nothing else.
    Entry names must be neutral (no patient data): they are stored in clear and are not
    authenticated. They are checked with :func:`bundler.safepath.clean_member_name` and must be
    usable as file names on Windows, macOS and Linux; a bad name raises
    :class:`~bundler.errors.UnsafePath`. Non-ASCII names are stored as UTF-8 (flag bit 11).

    If any call raises (including :class:`~bundler.errors.Cancelled`), the writer is spent and
    ``dst`` holds no usable archive: write to a temporary file and discard it. The writer never
    closes ``dst``. Use it as a context manager, or call :meth:`close` to write the central
    directory.
    """

    def __init__(self, dst: BinaryIO, *, passphrase: str, force_zip64: bool = False) -> None:
        if not passphrase:
            raise UsageError("A passphrase is required to encrypt the package.")
        if not (passphrase.isascii() and passphrase.isprintable()):
            # 7-Zip refuses to write AES ZIPs with non-ASCII passwords (E_INVALIDARG) and tools
            # differ in how they encode them (UTF-8, ANSI or OEM code page).
            raise UsageError("A ZIP passphrase may use only English letters, digits, spaces "
                             "and punctuation.")
        self._dst = dst
        self._passphrase = passphrase.encode("ascii")
        self._force_zip64 = force_zip64
        try:
            self._seekable = dst.seekable()
            self._pos = dst.tell() if self._seekable else 0
        except (OSError, ValueError):
            self._seekable, self._pos = False, 0
        self._entries: list[_Written] = []
        self._seen: set[str] = set()
        self._state = "open"
        self._time, self._date = _dos_datetime(time.time())

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        if et is None:
            self.close()
        else:
            self._state = "failed"

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data).cast("B")
        self._pos += len(view)
        while view:
            n = self._dst.write(view)
            if n is None or n >= len(view):  # buffered streams write everything
                break
            view = view[n:]  # a raw stream may write part

    def _check_open(self) -> None:
        if self._state != "open":
            raise UsageError("This package writer can no longer be used.")

    def add_bytes(self, name: str, data: bytes, *, compress: bool = False) -> None:
        """Add an entry whose content is ``data``."""
        self.add_file(name, io.BytesIO(data), size=len(data), compress=compress)

    def add_file(self, name: str, src: BinaryIO, *, size: int | None = None, compress: bool = False,
                 progress: Progress = NO_PROGRESS, cancel: CancelToken = NEVER) -> None:
        """Encrypt ``src`` (read to its end, or exactly ``size`` bytes) as entry ``name``.

        ``compress`` deflates before encrypting (worth it for text, not for DICOM pixel data).
        ``progress`` receives bytes read so far and ``size``; ``cancel`` is polled per MiB.
        A ``size`` that does not match what ``src`` holds raises :class:`UsageError`.
        """
        self._check_open()
        rel = _portable(clean_member_name(name))
        text = rel.as_posix()
        raw = text.encode("utf-8")
        if len(raw) > _MAX16:
            raise UsageError("A file name in the package is too long.")
        if text.casefold() in self._seen:
            raise UsageError("Two files in the package have the same name.")
        if size is not None and size < 0:
            raise UsageError("A file size cannot be negative.")
        self._state = "failed"  # until this entry is complete
        self._seen.add(text.casefold())

        method = _METHOD_DEFLATE if compress else _METHOD_STORED
        flags = _FLAG_ENCRYPTED | (0 if text.isascii() else _FLAG_UTF8)
        known = size is not None and not compress
        patch = not known and self._seekable
        if not known and not patch:
            flags |= _FLAG_DESCRIPTOR
        bound = None if size is None else (_deflate_bound(size) if compress else size) + _overhead(_STRENGTH_AES256)
        zip64 = self._force_zip64 or bound is None or bound >= _MAX32
        csize = usize = 0
        if known:
            assert size is not None
            usize, csize = size, size + _overhead(_STRENGTH_AES256)

        offset = self._pos
        aes_extra = _EXTRA_HEADER.pack(_EXTRA_AES, _AES_EXTRA.size) + _AES_EXTRA.pack(
            _AE2, b"AE", _STRENGTH_AES256, method)
        extra = aes_extra
        if zip64:
            # §4.5.3: a local ZIP64 field holds both sizes; the 32-bit fields say 0xFFFFFFFF.
            extra = _EXTRA_HEADER.pack(_EXTRA_ZIP64, 16) + struct.pack("<QQ", usize, csize) + aes_extra
        self._write(_LOCAL.pack(
            _SIG_LOCAL, _VERSION_NEEDED, flags, _METHOD_AES, self._time, self._date, 0,
            _MAX32 if zip64 else csize, _MAX32 if zip64 else usize, len(raw), len(extra)) + raw + extra)
        sizes_at = offset + _LOCAL.size + len(raw) + 4 if zip64 else offset + 18

        salt = os.urandom(_KEY_BYTES[_STRENGTH_AES256] // 2)
        keys = _derive(self._passphrase, salt, _STRENGTH_AES256)
        ctr, mac = _WzCtr(keys.aes), _mac(keys.mac)
        self._write(salt + keys.verifier)
        data_bytes = 0
        done = 0

        def emit(plain: bytes | memoryview) -> None:
            nonlocal data_bytes
            for piece in ctr.apply(plain):
                mac.update(piece)
                self._write(piece)
                data_bytes += len(piece)

        deflater = zlib.compressobj(6, zlib.DEFLATED, -15) if compress else None
        while True:
            cancel.raise_if_cancelled()
            want = _CHUNK if size is None else min(_CHUNK, size - done)
            chunk = src.read(want) if want else b""
            if not chunk:
                break
            done += len(chunk)
            emit(deflater.compress(chunk) if deflater else chunk)
            progress(done, size, "")
        if size is not None and (done != size or src.read(1)):
            raise UsageError("A file changed while it was being packaged.")
        if deflater:
            emit(deflater.flush())
        self._write(mac.finalize()[:_MAC_BYTES])
        usize, csize = done, _overhead(_STRENGTH_AES256) + data_bytes
        if not zip64 and (csize >= _MAX32 or usize >= _MAX32):
            raise UsageError("A file grew past the size given for it.")

        if flags & _FLAG_DESCRIPTOR:
            # §4.3.9: 8-byte sizes when the local header has a ZIP64 field. CRC is 0 (AE-2).
            fmt = "<IIQQ" if zip64 else "<IIII"
            self._write(struct.pack(fmt, _SIG_DESCRIPTOR, 0, csize, usize))
        elif patch:
            end = self._pos
            self._dst.seek(sizes_at)
            self._dst.write(struct.pack("<QQ", usize, csize) if zip64 else struct.pack("<II", csize, usize))
            self._dst.seek(end)
        self._entries.append(_Written(raw, flags, method, csize, usize, offset))
        self._state = "open"

    def close(self) -> None:
        """Write the central directory and end records; flush ``dst`` (but leave it open)."""
        if self._state == "closed":
            return
        self._check_open()
        self._state = "failed"
        cd_offset = self._pos
        for e in self._entries:
            self._write(self._central(e))
        cd_size = self._pos - cd_offset
        n = len(self._entries)
        force = self._force_zip64
        if force or n >= _MAX16 or cd_size >= _MAX32 or cd_offset >= _MAX32:
            z64_at = self._pos
            self._write(_Z64_EOCD.pack(_SIG_Z64_EOCD, _Z64_EOCD.size - 12, _VERSION_MADE_BY,
                                       _VERSION_NEEDED, 0, 0, n, n, cd_size, cd_offset))
            self._write(_Z64_LOCATOR.pack(_SIG_Z64_LOCATOR, 0, z64_at, 1))
            n16 = _MAX16 if force else min(n, _MAX16)
            size32 = _MAX32 if force else min(cd_size, _MAX32)
            off32 = _MAX32 if force else min(cd_offset, _MAX32)
            self._write(_EOCD.pack(_SIG_EOCD, 0, 0, n16, n16, size32, off32, 0))
        else:
            self._write(_EOCD.pack(_SIG_EOCD, 0, 0, n, n, cd_size, cd_offset, 0))
        self._dst.flush()
        self._state = "closed"
        log.debug("AES ZIP written: %d entries, %d bytes", n, self._pos)

    def _central(self, e: _Written) -> bytes:
        force = self._force_zip64
        big = [force or e.usize >= _MAX32, force or e.csize >= _MAX32, force or e.offset >= _MAX32]
        values = [e.usize, e.csize, e.offset]
        z64 = b"".join(struct.pack("<Q", v) for v, b in zip(values, big) if b)
        extra = _EXTRA_HEADER.pack(_EXTRA_AES, _AES_EXTRA.size) + _AES_EXTRA.pack(
            _AE2, b"AE", _STRENGTH_AES256, e.method)
        if z64:
            extra = _EXTRA_HEADER.pack(_EXTRA_ZIP64, len(z64)) + z64 + extra
        usize, csize, offset = (_MAX32 if b else v for v, b in zip(values, big))
        return _CENTRAL.pack(
            _SIG_CENTRAL, _VERSION_MADE_BY, _VERSION_NEEDED, e.flags, _METHOD_AES, self._time,
            self._date, 0, csize, usize, len(e.name), len(extra), 0, 0, 0, _EXTERNAL_ATTR,
            offset) + e.name + extra


# --- reader ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Aes:
    version: int
    strength: int
    method: int
    raw: bytes  # the extra field's payload, compared with the local header's copy


@dataclass(slots=True)
class _Entry:
    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    offset: int
    aes: _Aes | None
    is_dir: bool
    limit: int = 0  # where the next local header (or the central directory) begins


def _extras(blob: bytes) -> dict[int, bytes]:
    fields: dict[int, bytes] = {}
    i = 0
    while i < len(blob):
        if i + 4 > len(blob):
            raise ZipCorrupt()
        tag, n = _EXTRA_HEADER.unpack_from(blob, i)
        if i + 4 + n > len(blob) or tag in fields:
            raise ZipCorrupt()
        fields[tag] = blob[i + 4:i + 4 + n]
        i += 4 + n
    return fields


def _parse_aes(payload: bytes | None) -> _Aes | None:
    if payload is None:
        return None
    if len(payload) != _AES_EXTRA.size:
        raise ZipCorrupt()
    version, vendor, strength, method = _AES_EXTRA.unpack(payload)
    if (vendor != b"AE" or version not in (_AE1, _AE2) or strength not in _KEY_BYTES
            or method not in (_METHOD_STORED, _METHOD_DEFLATE)):
        raise ZipCorrupt()
    return _Aes(version, strength, method, payload)


class ZipReader:
    """Read and verify an AES ZIP (AE-1 or AE-2, AES-128/192/256; stored or deflate).

    ``src`` must be seekable; the reader does not close it. The passphrase is encoded as
    UTF-8 (what WinZip does, and 7-Zip in a UTF-8 locale). Construction parses the central
    directory strictly and checks the passphrase against the first entry's verifier. For any
    input bytes, the constructor, :meth:`names`, :meth:`open` and reading from the returned
    streams raise nothing but :class:`ZipWrongPassphrase` and :class:`ZipCorrupt` (apart from
    ``KeyError`` for a name not in the archive, and ``OSError`` from ``src`` itself).

    A stream releases plaintext before the entry's HMAC is checked at its end (the format
    allows nothing else without holding entries in memory): consumers must treat what they read
    as unverified until the stream has reported its end, and publish only then.
    Not thread-safe: streams share ``src``.
    """

    def __init__(self, src: BinaryIO, *, passphrase: str) -> None:
        try:
            seekable = src.seekable()
        except (OSError, ValueError):
            seekable = False
        if not seekable:
            raise UsageError("The package must be read from a file, not a stream.")
        self._src = src
        self._passphrase = passphrase.encode("utf-8")
        self._size = src.seek(0, io.SEEK_END)
        self._keys: dict[bytes, _Keys] = {}
        self._ahead: dict[bytes, Future[_Keys]] = {}  # keys being derived (prefetch)
        self._planned: deque[str] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self._proven = False  # some entry's HMAC verified with this passphrase
        self._entries = self._read_directory()
        self._by_name = {e.name: e for e in self._entries}
        if len(self._by_name) != len(self._entries):
            raise ZipCorrupt()
        files = self._aes_files()
        if files:
            ok = self._verifier_ok(files[0])
            if ok is None:
                raise ZipCorrupt()
            if not ok:
                raise self._failure(files[0], verifier_failed=True)

    # -- public --

    def names(self) -> list[str]:
        """Names of the file entries, in archive order (directory entries are left out)."""
        return [e.name for e in self._entries if not e.is_dir]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name and not self._by_name[str(name)].is_dir

    def size(self, name: str) -> int:
        """The uncompressed size the archive declares for ``name`` (checked when reading)."""
        return self._by_name[name].usize

    def open(self, name: str) -> BinaryIO:
        """A stream of the plaintext of ``name``; it raises :class:`ZipCorrupt` at the end if the
        HMAC, the size or (AE-1) the CRC does not match. Unencrypted entries are refused."""
        entry = self._by_name[name]
        if entry.is_dir:
            raise KeyError(name)
        data_start = self._data_start(entry)
        assert entry.aes is not None
        salt_len = _KEY_BYTES[entry.aes.strength] // 2
        head = self._read_at(data_start, salt_len + _PV_BYTES)
        keys = self._derive(head[:salt_len], entry.aes.strength)
        if not compare_digest(keys.verifier, head[salt_len:]):
            raise self._failure(entry, verifier_failed=True)
        return io.BufferedReader(_EntryStream(self, entry, data_start + len(head), keys), _CHUNK)

    def prefetch(self, names: Iterable[str]) -> None:
        """Say in which order the entries will be opened: their keys are then derived a few
        entries ahead on a worker thread (PBKDF2, 1000 rounds of HMAC-SHA1 per entry, releases
        the GIL), while the caller decrypts the entries before them. Call :meth:`close` when
        done. Only the derivation runs on the worker; ``src`` is read by the caller alone."""
        self._planned = deque(names)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zip-keys")
        self._derive_ahead()

    def close(self) -> None:
        """Stop deriving keys ahead (``src`` is left open)."""
        pool, self._pool = self._pool, None
        self._planned.clear()
        self._ahead.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _derive_ahead(self) -> None:
        while self._pool is not None and self._planned and len(self._ahead) < _KEYS_AHEAD:
            entry = self._by_name.get(self._planned.popleft())
            if entry is None or entry.is_dir or entry.aes is None:
                continue
            strength = entry.aes.strength
            try:
                salt = self._read_at(self._data_start(entry), _KEY_BYTES[strength] // 2)
            except ZipCorrupt:
                continue  # reported when the entry is opened
            cache_key = bytes([strength]) + salt
            if cache_key not in self._ahead and cache_key not in self._keys:
                self._ahead[cache_key] = self._pool.submit(_derive, self._passphrase, salt, strength)

    def verify(self, *, progress: Progress = NO_PROGRESS, cancel: CancelToken = NEVER) -> None:
        """Read every entry to its end, checking every HMAC and size; write nothing."""
        self._refuse_unencrypted()
        total, done = sum(e.usize for e in self._entries), 0
        for e in self._entries:
            if e.is_dir:
                continue
            with self.open(e.name) as f:
                while chunk := f.read(_CHUNK):
                    cancel.raise_if_cancelled()
                    done += len(chunk)
                    progress(done, total, "")

    def extract_all(self, dest_dir: Path | str, *, limits: ArchiveLimits = DEFAULT_LIMITS,
                    progress: Progress = NO_PROGRESS, cancel: CancelToken = NEVER) -> list[Path]:
        """Decrypt every entry into ``dest_dir`` and return the files written.

        Everything is checked before the first byte is written: every name goes through
        :func:`~bundler.safepath.safe_join` (``../``, absolute paths and non-portable names raise
        :class:`~bundler.errors.UnsafePath`); unencrypted entries, duplicate names (ignoring
        case) and file/folder clashes raise :class:`ZipCorrupt`; ``limits`` raise
        :class:`~bundler.errors.LimitExceeded`. Then each file is written while its HMAC is
        checked; a file that fails is removed, and the error raised. ``dest_dir`` should be a
        fresh private folder that the caller publishes only when this returns (files written
        before a failure stay there).
        """
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        self._refuse_unencrypted()
        files = [e for e in self._entries if not e.is_dir]
        if len(files) > limits.max_entries:
            raise LimitExceeded("The package holds more files than we accept.")
        plan: list[tuple[_Entry, Path]] = []
        folders: list[Path] = []
        taken: set[str] = set()
        parents: set[str] = set()
        total = 0
        for e in self._entries:
            target = safe_join(dest, e.name)
            rel = _portable(clean_member_name(e.name))
            key = rel.as_posix().casefold()
            parents.update(p.as_posix().casefold() for p in rel.parents if p.parts)
            if e.is_dir:
                parents.add(key)
                folders.append(target)
                continue
            if key in taken:
                raise ZipCorrupt()
            taken.add(key)
            if e.usize > limits.max_entry_bytes:
                raise LimitExceeded("A file in the package is larger than we accept.")
            total += e.usize
            if total > limits.max_total_bytes:
                raise LimitExceeded("The package is larger than we accept.")
            if e.usize > limits.ratio_floor_bytes and e.usize > limits.max_ratio * e.csize:
                raise LimitExceeded("A file in the package is compressed more than we accept.")
            plan.append((e, target))
        if taken & parents:
            raise ZipCorrupt()

        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        done = 0
        for e, target in plan:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with self.open(e.name) as f, open(target, "xb") as out:
                    while chunk := f.read(_CHUNK):
                        cancel.raise_if_cancelled()
                        out.write(chunk)
                        done += len(chunk)
                        progress(done, total, "")
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            written.append(target)
        return written

    # -- central directory --

    def _read_at(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > self._size:
            raise ZipCorrupt()
        self._src.seek(pos)
        data = self._src.read(n)
        if len(data) != n:
            raise ZipCorrupt()
        return data

    def _read_directory(self) -> list[_Entry]:
        if self._size < _EOCD.size:
            raise ZipCorrupt()
        tail_len = min(self._size, _EOCD.size + _MAX16)
        tail_at = self._size - tail_len
        tail = self._read_at(tail_at, tail_len)
        sig = struct.pack("<I", _SIG_EOCD)
        i = tail.rfind(sig)
        while i >= 0:
            # The end record is the one whose comment reaches exactly to the end of the file.
            if i + _EOCD.size <= tail_len and i + _EOCD.size + _EOCD.unpack_from(tail, i)[7] == tail_len:
                break
            i = tail.rfind(sig, 0, i)
        if i < 0:
            raise ZipCorrupt()
        eocd_at = tail_at + i
        _, disk, cd_disk, n_disk, n, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, i)
        if disk or cd_disk or n_disk != n:
            raise ZipCorrupt()  # multi-volume archives are not ours
        cd_end = eocd_at
        if eocd_at >= _Z64_LOCATOR.size:
            loc = self._read_at(eocd_at - _Z64_LOCATOR.size, _Z64_LOCATOR.size)
            lsig, ldisk, z64_at, disks = _Z64_LOCATOR.unpack(loc)
            if lsig == _SIG_Z64_LOCATOR:
                if ldisk != 0 or disks != 1:
                    raise ZipCorrupt()
                rec = self._read_at(z64_at, _Z64_EOCD.size)
                zsig, rsize, _, _, zdisk, zcd_disk, zn_disk, zn, zsize, zoff = _Z64_EOCD.unpack(rec)
                if (zsig != _SIG_Z64_EOCD or rsize < _Z64_EOCD.size - 12 or zdisk or zcd_disk
                        or zn_disk != zn or z64_at + 12 + rsize != eocd_at - _Z64_LOCATOR.size):
                    raise ZipCorrupt()
                # §4.4.1.4: a 32-bit field is either its value or the 0xFF… placeholder.
                if ((n != _MAX16 and n != zn) or (cd_size != _MAX32 and cd_size != zsize)
                        or (cd_offset != _MAX32 and cd_offset != zoff)):
                    raise ZipCorrupt()
                n, cd_size, cd_offset, cd_end = zn, zsize, zoff, z64_at
        if cd_offset + cd_size != cd_end or n * _CENTRAL.size > cd_size:
            raise ZipCorrupt()

        entries: list[_Entry] = []
        pos = cd_offset
        for _ in range(n):
            entry, length = self._read_central(pos, cd_end)
            entries.append(entry)
            pos += length
        if pos != cd_end:
            raise ZipCorrupt()
        by_offset = sorted(entries, key=lambda e: e.offset)
        for e, nxt in zip(by_offset, [*by_offset[1:], None]):
            e.limit = nxt.offset if nxt is not None else cd_offset
            # The local header is at least as long as the name; entries may not overlap.
            if e.offset + _LOCAL.size + len(e.raw_name) + e.csize > e.limit:
                raise ZipCorrupt()
        return entries

    def _read_central(self, pos: int, cd_end: int) -> tuple[_Entry, int]:
        """The central directory record at ``pos``, and its length."""
        if pos + _CENTRAL.size > cd_end:
            raise ZipCorrupt()
        fixed = self._read_at(pos, _CENTRAL.size)
        (sig, _, _, flags, method, _, _, crc, csize, usize, nlen, xlen, clen, disk, _, _,
         offset) = _CENTRAL.unpack(fixed)
        var_len = nlen + xlen + clen
        if sig != _SIG_CENTRAL or pos + _CENTRAL.size + var_len > cd_end:
            raise ZipCorrupt()
        var = self._read_at(pos + _CENTRAL.size, var_len)
        raw_name, extra = var[:nlen], var[nlen:nlen + xlen]
        fields = _extras(extra)
        z64 = fields.get(_EXTRA_ZIP64, b"")
        wanted = [usize == _MAX32, csize == _MAX32, offset == _MAX32, disk == _MAX16]
        if len(z64) < 8 * sum(wanted[:3]) + 4 * wanted[3]:
            raise ZipCorrupt()
        values = iter(struct.unpack_from(f"<{sum(wanted[:3])}Q", z64))
        if wanted[0]:
            usize = next(values)
        if wanted[1]:
            csize = next(values)
        if wanted[2]:
            offset = next(values)
        if wanted[3]:
            disk = struct.unpack_from("<I", z64, 8 * sum(wanted[:3]))[0]
        if disk != 0 or flags & (_FLAG_STRONG | _FLAG_MASKED):
            raise ZipCorrupt()
        try:
            name = raw_name.decode("utf-8") if flags & _FLAG_UTF8 else raw_name.decode("cp437")
        except UnicodeDecodeError:
            raise ZipCorrupt() from None
        if not name:
            raise ZipCorrupt()
        aes = _parse_aes(fields.get(_EXTRA_AES))
        is_dir = name.endswith("/")
        if method == _METHOD_AES:
            if aes is None or not flags & _FLAG_ENCRYPTED or csize < _overhead(aes.strength):
                raise ZipCorrupt()
            if aes.method == _METHOD_STORED and usize != csize - _overhead(aes.strength):
                raise ZipCorrupt()
        elif aes is not None:
            raise ZipCorrupt()
        if is_dir and usize != 0:
            raise ZipCorrupt()
        entry = _Entry(name, raw_name, flags, method, crc, csize, usize, offset, aes, is_dir)
        return entry, _CENTRAL.size + var_len

    def _aes_files(self) -> list[_Entry]:
        return [e for e in self._entries if e.aes is not None and not e.is_dir]

    def _refuse_unencrypted(self) -> None:
        for e in self._entries:
            if not e.is_dir and e.aes is None:
                raise ZipCorrupt()
            if e.is_dir and e.aes is None and e.csize != 0:
                raise ZipCorrupt()

    def _data_start(self, entry: _Entry) -> int:
        """Check the local header against the central one; return where the salt starts."""
        if entry.aes is None:
            raise ZipCorrupt()  # we only ever write encrypted entries
        head = self._read_at(entry.offset, _LOCAL.size)
        sig, _, flags, method, _, _, _, csize, usize, nlen, xlen = _LOCAL.unpack(head)
        if sig != _SIG_LOCAL or method != _METHOD_AES or not flags & _FLAG_ENCRYPTED:
            raise ZipCorrupt()
        var = self._read_at(entry.offset + _LOCAL.size, nlen + xlen)
        if var[:nlen] != entry.raw_name:
            raise ZipCorrupt()
        fields = _extras(var[nlen:])
        local_aes = fields.get(_EXTRA_AES)
        if local_aes != entry.aes.raw:
            raise ZipCorrupt()
        if not flags & _FLAG_DESCRIPTOR:
            if usize == _MAX32 or csize == _MAX32:
                z64 = fields.get(_EXTRA_ZIP64, b"")
                if len(z64) < 16:
                    raise ZipCorrupt()
                usize, csize = struct.unpack_from("<QQ", z64)
            if (usize, csize) != (entry.usize, entry.csize):
                raise ZipCorrupt()
        start: int = entry.offset + _LOCAL.size + nlen + xlen
        if start + entry.csize > entry.limit:
            raise ZipCorrupt()
        return start

    # -- keys and the wrong-passphrase / corrupt decision --

    def _derive(self, salt: bytes, strength: int) -> _Keys:
        cache_key = bytes([strength]) + salt
        keys = self._keys.get(cache_key)
        if keys is None:
            if len(self._keys) >= 16:
                self._keys.clear()
            ahead = self._ahead.pop(cache_key, None)
            keys = ahead.result() if ahead is not None else _derive(self._passphrase, salt, strength)
            self._keys[cache_key] = keys
            self._derive_ahead()
        return keys

    def _verifier_ok(self, entry: _Entry) -> bool | None:
        """Does the passphrase pass this entry's 2-byte verifier? None: cannot tell (damaged)."""
        try:
            start = self._data_start(entry)
            assert entry.aes is not None
            salt_len = _KEY_BYTES[entry.aes.strength] // 2
            head = self._read_at(start, salt_len + _PV_BYTES)
        except ZipCorrupt:
            return None
        return compare_digest(self._derive(head[:salt_len], entry.aes.strength).verifier,
                              head[salt_len:])

    def _failure(self, entry: _Entry, *, verifier_failed: bool) -> BundlerError:
        """Wrong passphrase or damage? The 2-byte verifier lets 1 in 65 536 wrong passphrases
        through, so a verifier result is weighed against the HMAC (``_proven``) and against the
        verifiers of a few other entries: an archive is written with one passphrase."""
        if self._proven:
            return ZipCorrupt()
        others = [ok for e in self._aes_files()[:5] if e is not entry
                  if (ok := self._verifier_ok(e)) is not None]
        if verifier_failed:
            return ZipCorrupt() if any(others) else ZipWrongPassphrase()
        return ZipWrongPassphrase() if others and not all(others) else ZipCorrupt()

    def _authenticated(self) -> None:
        self._proven = True


class _EntryStream(io.RawIOBase):
    """Decrypts one entry chunk by chunk; checks HMAC, size and CRC before reporting the end."""

    def __init__(self, reader: ZipReader, entry: _Entry, pos: int, keys: _Keys) -> None:
        super().__init__()
        assert entry.aes is not None
        self._reader = reader
        self._entry = entry
        self._pos = pos
        self._left = entry.csize - _overhead(entry.aes.strength)  # ciphertext still to read
        self._ctr = _WzCtr(keys.aes)
        self._mac = _mac(keys.mac)
        self._inflater = zlib.decompressobj(-15) if entry.aes.method == _METHOD_DEFLATE else None
        self._crc = 0
        self._produced = 0
        self._pending: memoryview | bytes = b""
        self._at = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while self._at >= len(self._pending) and not self._done:
            self._pending, self._at = self._fill(), 0
        target = memoryview(buffer).cast("B")
        n = min(len(target), len(self._pending) - self._at)
        if n <= 0:
            return 0
        target[:n] = self._pending[self._at:self._at + n]
        self._at += n
        return n

    def _fail(self) -> BundlerError:
        return self._reader._failure(self._entry, verifier_failed=False)

    def _fill(self) -> memoryview | bytes:
        d = self._inflater
        if d is not None and d.unconsumed_tail:
            return self._count(self._inflate(d.unconsumed_tail))
        if self._left > 0:
            take = min(_CHUNK, self._left)
            cipher = self._reader._read_at(self._pos, take)
            self._pos += take
            self._left -= take
            self._mac.update(cipher)
            if self._left == 0:
                # Check the HMAC before releasing the last chunk.
                tag = self._reader._read_at(self._pos, _MAC_BYTES)
                if not compare_digest(self._mac.finalize()[:_MAC_BYTES], tag):
                    raise self._fail()
                self._reader._authenticated()
            plain = b"".join(self._ctr.apply(cipher)) if d is not None else next(
                self._ctr.apply(cipher), b"")
            return self._count(self._inflate(plain) if d is not None else plain)
        self._finish()
        return b""

    def _inflate(self, data: bytes | memoryview) -> bytes:
        assert self._inflater is not None
        if self._inflater.eof:
            raise self._fail()  # data after the end of the deflate stream
        # max_length keeps a deflate bomb from expanding beyond one chunk at a time.
        try:
            return self._inflater.decompress(data, _CHUNK)
        except zlib.error:
            raise self._fail() from None

    def _count(self, out: memoryview | bytes) -> memoryview | bytes:
        self._produced += len(out)
        if self._produced > self._entry.usize:
            raise self._fail()
        assert self._entry.aes is not None
        if self._entry.aes.version == _AE1:
            self._crc = zlib.crc32(out, self._crc)
        return out

    def _finish(self) -> None:
        d = self._inflater
        if d is not None and (not d.eof or d.unused_data or d.unconsumed_tail):
            raise self._fail()
        assert self._entry.aes is not None
        if self._produced != self._entry.usize:
            raise self._fail()
        if self._entry.aes.version == _AE1 and self._crc != self._entry.crc:
            raise self._fail()
        self._done = True
