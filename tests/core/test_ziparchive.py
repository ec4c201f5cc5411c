"""AES-256 ZIP (WinZip AE-2): round trips, tampering, hostile archives, memory, fuzzing.

Interop with the real 7-Zip is in tests/interop/test_7z.py. Archives are parsed here with a
small independent parser (``_records``) so that tampering hits exactly the bytes it means to.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import struct
import tempfile
import threading
import tracemalloc
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.errors import BundlerError, Cancelled, LimitExceeded, UnsafePath, UsageError
from bundler.export import ziparchive
from bundler.export.ziparchive import ZipCorrupt, ZipReader, ZipWriter, ZipWrongPassphrase
from bundler.progress import CancelToken
from bundler.safepath import ArchiveLimits

PASS = "correct horse battery staple"
MIB = 1 << 20


class _Unseekable(io.RawIOBase):
    """A write-only pipe: forces the data-descriptor path."""

    def __init__(self, sink: io.BytesIO | None = None) -> None:
        self.sink = sink
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        n = memoryview(b).nbytes  # type: ignore[arg-type]
        self.count += n
        if self.sink is not None:
            self.sink.write(b)  # type: ignore[arg-type]
        return n


class _Pattern(io.RawIOBase):
    """``size`` bytes of a non-repeating pattern, generated on demand (never held in memory)."""

    def __init__(self, size: int, seed: int = 1) -> None:
        self.left = size
        self.seed = seed

    def readable(self) -> bool:
        return True

    def readinto(self, b: object) -> int:
        view = memoryview(b).cast("B")  # type: ignore[arg-type]
        n = min(len(view), self.left, 4096)
        if n:
            self.seed += 1
            view[:n] = (self.seed.to_bytes(8, "little") * 512)[:n]
            self.left -= n
        return n


def _zip(entries: dict[str, bytes], *, mode: str = "seek", compress: bool | None = None,
         passphrase: str = PASS) -> bytes:
    """Write ``entries``; mode: seek, pipe (unseekable) or zip64 (forced ZIP64 records)."""
    buf = io.BytesIO()
    dst = _Unseekable(buf) if mode == "pipe" else buf
    with ZipWriter(dst, passphrase=passphrase, force_zip64=(mode == "zip64")) as w:  # type: ignore[arg-type]
        for i, (name, data) in enumerate(entries.items()):
            deflate = bool(i % 2) if compress is None else compress
            # Alternate known and unknown sizes to cover both header strategies.
            w.add_file(name, io.BytesIO(data), size=len(data) if i % 3 else None, compress=deflate)
    return buf.getvalue()


def _read_all(data: bytes, passphrase: str = PASS) -> dict[str, bytes]:
    r = ZipReader(io.BytesIO(data), passphrase=passphrase)
    out = {}
    for n in r.names():
        with r.open(n) as f:
            out[n] = f.read()
    return out


@dataclass
class _Record:
    name: bytes
    cd_at: int  # central directory record
    local_at: int
    data_at: int  # salt
    csize: int


def _records(data: bytes) -> list[_Record]:
    """Independent minimal parser (no ZIP64 in the archives it is used on)."""
    eocd = data.rindex(b"PK\x05\x06")
    n, cd_size, cd_off = struct.unpack_from("<HII", data, eocd + 10)
    out, pos = [], cd_off
    for _ in range(n):
        csize, = struct.unpack_from("<I", data, pos + 20)
        nlen, xlen, clen = struct.unpack_from("<HHH", data, pos + 28)
        local, = struct.unpack_from("<I", data, pos + 42)
        lnlen, lxlen = struct.unpack_from("<HH", data, local + 26)
        out.append(_Record(data[pos + 46:pos + 46 + nlen], pos, local, local + 30 + lnlen + lxlen, csize))
        pos += 46 + nlen + xlen + clen
    return out


def _digest(f: io.BufferedIOBase | io.BufferedReader) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    while chunk := f.read(MIB):
        h.update(chunk)
        n += len(chunk)
    return n, h.hexdigest()


def _flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def _rename(data: bytes, old: str, new: str) -> bytes:
    """Rename an entry in place (names are not authenticated: HMACs stay valid)."""
    assert len(old.encode()) == len(new.encode()) and data.count(old.encode()) == 2
    return data.replace(old.encode(), new.encode())


ENTRIES = {
    "README.TXT": b"How to open this package.\r\n",
    "empty": b"",
    "one": b"x",
    "DICOM/ST000001/SE000001/IM000001": os.urandom(MIB + 12345),
    "DOCS/Größe_Ärztin_日本.txt": "grüße, 日本語のテキスト ".encode() * 3000,
    "CASE.JSON": b'{"a": 1}' * 10000,
}


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["seek", "pipe", "zip64"])
@pytest.mark.parametrize("compress", [False, True, None])
def test_round_trip(mode: str, compress: bool | None) -> None:
    data = _zip(ENTRIES, mode=mode, compress=compress)
    assert _read_all(data) == ENTRIES
    assert ZipReader(io.BytesIO(data), passphrase=PASS).names() == list(ENTRIES)


@pytest.mark.parametrize("mode", ["seek", "pipe", "zip64"])
def test_structure_as_python_zipfile_sees_it(mode: str) -> None:
    """An independent reader agrees on names, sizes, method 99, encryption and UTF-8 flags."""
    data = _zip(ENTRIES, mode=mode)
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [i.filename for i in infos] == list(ENTRIES)
    for info, (name, content) in zip(infos, ENTRIES.items()):
        assert info.compress_type == 99 and info.flag_bits & 0x1
        assert info.file_size == len(content) and info.CRC == 0  # AE-2
        assert bool(info.flag_bits & 0x800) == (not name.isascii())
        assert info.extra.endswith(b"\x01\x99\x07\x00\x02\x00AE\x03" + info.extra[-2:])
    if mode == "zip64":
        assert b"PK\x06\x06" in data and b"PK\x06\x07" in data


def test_header_strategies() -> None:
    """Known stored sizes go in the local header; otherwise seek back, or a data descriptor."""
    def flags(data: bytes) -> list[int]:
        return [struct.unpack_from("<H", data, r.local_at + 6)[0] & 0x8 for r in _records(data)]

    entries = {"a": b"abc", "b": b"def"}
    assert flags(_zip(entries, mode="seek", compress=False)) == [0, 0]
    assert flags(_zip(entries, mode="pipe", compress=False)) == [0x8, 0]  # "a": size unknown
    assert flags(_zip(entries, mode="pipe", compress=True)) == [0x8, 0x8]


def test_salt_differs_per_entry_and_archive() -> None:
    one, two = _zip({"a": b"same", "b": b"same"}), _zip({"a": b"same", "b": b"same"})
    salts = {d[r.data_at:r.data_at + 16] for d in (one, two) for r in _records(d)}
    assert len(salts) == 4


def test_extract_all(tmp_path: Path) -> None:
    data = _zip(ENTRIES)
    written = ZipReader(io.BytesIO(data), passphrase=PASS).extract_all(tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == sorted(ENTRIES)
    for name, content in ENTRIES.items():
        assert (tmp_path / "out" / name).read_bytes() == content


def test_ae1_entries_are_checked_by_crc() -> None:
    """WinZip writes AE-1 (with CRC) for most files; we read it and check the CRC."""
    content = b"AE-1 content " * 100
    data = bytearray(_zip({"a.txt": content}, compress=True))
    data[:] = data.replace(b"\x01\x99\x07\x00\x02\x00AE", b"\x01\x99\x07\x00\x01\x00AE")
    rec = _records(bytes(data))[0]
    for at in (rec.local_at + 14, rec.cd_at + 16):
        struct.pack_into("<I", data, at, zlib.crc32(content))
    assert _read_all(bytes(data)) == {"a.txt": content}
    struct.pack_into("<I", data, rec.cd_at + 16, zlib.crc32(content) ^ 1)
    with pytest.raises(ZipCorrupt):
        _read_all(bytes(data))


# --- writer rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../evil", "a/../../b", "/etc/passwd", "C:/x", "a\x00b", "",
                                  "CON", "aux.txt", "a:b", "dir/trailing.", "x" * 256])
def test_writer_refuses_unsafe_names(name: str) -> None:
    buf = io.BytesIO()
    w = ZipWriter(buf, passphrase=PASS)
    with pytest.raises(UnsafePath):
        w.add_bytes(name, b"data")
    w.add_bytes("ok.txt", b"data")  # a refused name does not spoil the writer
    w.close()
    assert _read_all(buf.getvalue()) == {"ok.txt": b"data"}


def test_writer_normalises_separators() -> None:
    buf = io.BytesIO()
    with ZipWriter(buf, passphrase=PASS) as w:
        w.add_bytes("DICOM\\ST1//IM1", b"x")
    assert ZipReader(io.BytesIO(buf.getvalue()), passphrase=PASS).names() == ["DICOM/ST1/IM1"]


def test_writer_refuses_duplicates_ignoring_case() -> None:
    w = ZipWriter(io.BytesIO(), passphrase=PASS)
    w.add_bytes("DOCS/A.PDF", b"1")
    with pytest.raises(UsageError):
        w.add_bytes("docs/a.pdf", b"2")


@pytest.mark.parametrize("passphrase", ["", "pässwörd", "tab\there"])
def test_writer_wants_a_printable_ascii_passphrase(passphrase: str) -> None:
    with pytest.raises(UsageError):
        ZipWriter(io.BytesIO(), passphrase=passphrase)


def test_reader_accepts_a_utf8_passphrase() -> None:
    """Archives from WinZip may use non-ASCII passphrases: UTF-8, as WinZip encodes them."""
    w = ZipWriter(io.BytesIO(), passphrase="x")
    w._passphrase = "pässwörd".encode()
    w.add_bytes("a", b"data")
    w.close()
    dst = w._dst
    assert isinstance(dst, io.BytesIO)
    assert _read_all(dst.getvalue(), "pässwörd") == {"a": b"data"}


@pytest.mark.parametrize("size", [9, 11])
def test_size_mismatch_spoils_the_writer(size: int) -> None:
    w = ZipWriter(io.BytesIO(), passphrase=PASS)
    with pytest.raises(UsageError):
        w.add_file("a", io.BytesIO(b"0123456789"), size=size)
    with pytest.raises(UsageError):
        w.add_bytes("b", b"x")
    with pytest.raises(UsageError):
        w.close()


def test_progress_and_cancel() -> None:
    seen: list[tuple[int, int | None]] = []
    w = ZipWriter(io.BytesIO(), passphrase=PASS)
    w.add_file("a", _Pattern(3 * MIB + 5), size=3 * MIB + 5,  # type: ignore[arg-type]
               progress=lambda done, total, message="": seen.append((done, total)))
    assert seen[-1] == (3 * MIB + 5, 3 * MIB + 5) and len(seen) >= 4

    token = CancelToken()

    def cancel_after_first(done: int, total: int | None, message: str = "") -> None:
        token.cancel()

    with pytest.raises(Cancelled):
        w.add_file("b", _Pattern(3 * MIB), progress=cancel_after_first, cancel=token)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        w.close()


def test_context_manager_leaves_no_directory_after_an_error() -> None:
    buf = io.BytesIO()
    with pytest.raises(RuntimeError), ZipWriter(buf, passphrase=PASS) as w:
        w.add_bytes("a", b"x")
        raise RuntimeError
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(buf.getvalue()), passphrase=PASS)


# --- wrong passphrase vs damage -------------------------------------------------------------------


def test_wrong_passphrase() -> None:
    data = _zip(ENTRIES)
    with pytest.raises(ZipWrongPassphrase) as e:
        ZipReader(io.BytesIO(data), passphrase="wrong")
    assert e.value.code == "wrong_key"
    assert e.value.user_message == "The passphrase does not open this package."
    assert isinstance(e.value, BundlerError)


def test_damaged_verifier_is_corrupt_when_other_entries_accept_the_passphrase() -> None:
    data = _zip(ENTRIES)
    recs = _records(data)
    second = _flip(data, recs[1].data_at + 16)  # its verifier
    r = ZipReader(io.BytesIO(second), passphrase=PASS)
    with pytest.raises(ZipCorrupt) as e:
        r.open(r.names()[1])
    assert e.value.code == "corrupt" and e.value.user_message == "The package is damaged or was altered."
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(_flip(data, recs[0].data_at + 17)), passphrase=PASS)
    with pytest.raises(ZipCorrupt):  # a damaged salt derives other keys: same story
        ZipReader(io.BytesIO(_flip(data, recs[0].data_at)), passphrase=PASS)


def test_wrong_passphrase_that_slips_past_the_verifier_is_caught_by_the_hmac() -> None:
    """1 in 65 536 wrong passphrases match the 2-byte verifier; the HMAC confirms."""
    data = bytearray(_zip({"a": b"first entry", "b": b"second", "c": b"third"}))
    rec = _records(bytes(data))[0]
    salt = bytes(data[rec.data_at:rec.data_at + 16])
    data[rec.data_at + 16:rec.data_at + 18] = ziparchive._derive(b"wrong", salt, 3).verifier
    r = ZipReader(io.BytesIO(bytes(data)), passphrase="wrong")  # the verifier lets it in...
    with pytest.raises(ZipWrongPassphrase):
        r.open("a").read()  # ...the HMAC does not, and the others' verifiers say why
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(bytes(data)), passphrase=PASS)  # the right one: entry "a" is damaged


def test_single_entry_with_damaged_verifier_cannot_be_told_from_a_wrong_passphrase() -> None:
    data = _zip({"only": b"x"})
    with pytest.raises(ZipWrongPassphrase):
        ZipReader(io.BytesIO(_flip(data, _records(data)[0].data_at + 16)), passphrase=PASS)


@pytest.mark.parametrize("where", ["first", "middle", "last", "tag"])
@pytest.mark.parametrize("compress", [False, True])
def test_bit_flip_in_ciphertext_is_corrupt(where: str, compress: bool) -> None:
    content = os.urandom(2 * MIB + 77)
    data = _zip({"a": b"small", "big": content}, compress=compress)
    rec = _records(data)[1]
    start, end = rec.data_at + 18, rec.data_at + rec.csize - 10
    at = {"first": start, "middle": (start + end) // 2, "last": end - 1, "tag": end + 3}[where]
    r = ZipReader(io.BytesIO(_flip(data, at, 0x80)), passphrase=PASS)
    assert r.open("a").read() == b"small"
    with pytest.raises(ZipCorrupt), r.open("big") as f:
        f.read()


def test_prefetched_keys_read_the_same() -> None:
    entries = {f"DICOM/IM{i:06d}": os.urandom(1000 + i) for i in range(30)}
    data = _zip(entries)
    r = ZipReader(io.BytesIO(data), passphrase=PASS)
    order = list(reversed(r.names()))
    r.prefetch(["missing", *order])  # unknown names are skipped
    try:
        for name in order:
            with r.open(name) as f:
                assert f.read() == entries[name]
    finally:
        r.close()
    r.close()  # twice is fine
    assert not [t for t in threading.enumerate() if t.name.startswith("zip-keys")]


def test_prefetch_with_a_damaged_entry_reports_it_when_opened() -> None:
    data = _zip({"a": b"first", "b": b"second" * 100, "c": b"third"})
    rec = _records(data)[1]
    damaged = _flip(data, rec.data_at + 20, 0x80)
    r = ZipReader(io.BytesIO(damaged), passphrase=PASS)
    r.prefetch(r.names())
    try:
        assert r.open("a").read() == b"first"
        with pytest.raises(ZipCorrupt), r.open("b") as f:
            f.read()
        assert r.open("c").read() == b"third"
    finally:
        r.close()


def test_last_chunk_is_not_released_before_the_hmac_is_checked() -> None:
    data = _zip({"a": b"secret"})
    rec = _records(data)[0]
    r = ZipReader(io.BytesIO(_flip(data, rec.data_at + rec.csize - 1)), passphrase=PASS)
    f = r.open("a")
    with pytest.raises(ZipCorrupt):
        f.read(1)


def test_truncated_archive_is_corrupt() -> None:
    data = _zip(ENTRIES)
    for cut in (0, 1, 21, 22, len(data) // 2, len(data) - 23, len(data) - 1):
        with pytest.raises(ZipCorrupt):
            ZipReader(io.BytesIO(data[:cut]), passphrase=PASS)


def test_data_cut_out_of_the_middle_is_corrupt() -> None:
    """Central directory intact, entry data shortened: offsets no longer line up."""
    data = _zip({"a": b"a" * 1000, "b": b"b" * 1000})
    rec = _records(data)[0]
    cut = data[:rec.data_at + 100] + data[rec.data_at + 101:]
    with pytest.raises(ZipCorrupt):
        _read_all(cut)


def _deflated(name: str, content: bytes) -> bytearray:
    """One deflated entry of known size: sizes in the local header, no ZIP64."""
    buf = io.BytesIO()
    with ZipWriter(buf, passphrase=PASS) as w:
        w.add_file(name, io.BytesIO(content), size=len(content), compress=True)
    return bytearray(buf.getvalue())


def _set_usize(data: bytearray, value: int) -> None:
    """Declare another uncompressed size, consistently in the local and central headers."""
    rec = _records(bytes(data))[0]
    struct.pack_into("<I", data, rec.local_at + 22, value)
    struct.pack_into("<I", data, rec.cd_at + 24, value)


@pytest.mark.parametrize("declared", [599, 601])
def test_declared_size_is_checked(declared: int) -> None:
    data = _deflated("a", b"hello " * 100)
    assert _read_all(bytes(data)) == {"a": b"hello " * 100}
    _set_usize(data, declared)
    with pytest.raises(ZipCorrupt):
        _read_all(bytes(data))
    rec = _records(bytes(data))[0]
    struct.pack_into("<I", data, rec.cd_at + 24, 600)  # central and local disagree
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(bytes(data)), passphrase=PASS).open("a")


def test_stored_size_must_match_the_packed_size() -> None:
    data = bytearray(_zip({"a": b"hello"}, compress=False))
    struct.pack_into("<I", data, _records(bytes(data))[0].cd_at + 24, 4)  # stored: 5 + 28 = csize
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(bytes(data)), passphrase=PASS)


# --- hostile archives ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../evil", "/tmp/ev", "a/../..", "CON.txt", "a:b.txt"])
def test_extract_all_refuses_unsafe_names_before_writing_anything(tmp_path: Path, bad: str) -> None:
    placeholder = "x" * len(bad.encode())
    data = _rename(_zip({"first.txt": b"1", placeholder: b"payload"}), placeholder, bad)
    r = ZipReader(io.BytesIO(data), passphrase=PASS)
    assert bad in r.names()
    with pytest.raises(UnsafePath):
        r.extract_all(tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_extract_all_refuses_unencrypted_entries(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("plain.txt", b"not encrypted")
    r = ZipReader(io.BytesIO(buf.getvalue()), passphrase=PASS)
    assert r.names() == ["plain.txt"]
    with pytest.raises(ZipCorrupt):
        r.open("plain.txt")
    with pytest.raises(ZipCorrupt):
        r.extract_all(tmp_path / "out")
    with pytest.raises(ZipCorrupt):
        r.verify()


def test_duplicate_names_are_corrupt(tmp_path: Path) -> None:
    data = _zip({"a1": b"1", "a2": b"2"})
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(_rename(data, "a2", "a1")), passphrase=PASS)
    r = ZipReader(io.BytesIO(_rename(data, "a2", "A1")), passphrase=PASS)  # only case differs
    with pytest.raises(ZipCorrupt):
        r.extract_all(tmp_path / "out")


def test_file_and_folder_with_one_name_are_corrupt(tmp_path: Path) -> None:
    data = _rename(_zip({"a": b"1", "xyz": b"2"}), "xyz", "a/b")
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(data), passphrase=PASS).extract_all(tmp_path / "out")


def test_overlapping_entries_are_corrupt() -> None:
    """Two central records pointing at one local header (the overlapping zip bomb)."""
    data = bytearray(_zip({"a1": b"1" * 100, "a2": b"2" * 100}))
    recs = _records(bytes(data))
    struct.pack_into("<I", data, recs[1].cd_at + 42, recs[0].local_at)
    with pytest.raises(ZipCorrupt):
        ZipReader(io.BytesIO(bytes(data)), passphrase=PASS)


def test_extract_all_applies_limits(tmp_path: Path) -> None:
    data = _zip({"a": b"0" * 100_000}, compress=True)
    r = ZipReader(io.BytesIO(data), passphrase=PASS)
    with pytest.raises(LimitExceeded):
        r.extract_all(tmp_path / "1", limits=ArchiveLimits(max_entry_bytes=99_999))
    with pytest.raises(LimitExceeded):
        r.extract_all(tmp_path / "2", limits=ArchiveLimits(max_ratio=10, ratio_floor_bytes=1000))
    with pytest.raises(LimitExceeded):
        r.extract_all(tmp_path / "3", limits=ArchiveLimits(max_entries=0))


def test_deflate_bomb_is_streamed_and_stopped_at_the_declared_size() -> None:
    """An entry that inflates past its declared size fails without inflating it all."""
    data = _deflated("bomb", bytes(64 * MIB))
    _set_usize(data, MIB)
    r = ZipReader(io.BytesIO(bytes(data)), passphrase=PASS)
    tracemalloc.start()
    try:
        with pytest.raises(ZipCorrupt), r.open("bomb") as f:
            while f.read(MIB):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB


# --- memory ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["file", "pipe"])
def test_memory_is_flat_while_writing_and_reading_64_mib(tmp_path: Path, mode: str) -> None:
    size = 64 * MIB
    path = tmp_path / "big.zip"
    with open(path, "wb") as f:
        dst = f if mode == "file" else _Unseekable()
        tracemalloc.start()
        try:
            with ZipWriter(dst, passphrase=PASS) as w:  # type: ignore[arg-type]
                w.add_file("big.bin", _Pattern(size))  # type: ignore[arg-type]
            write_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert write_peak < 8 * MIB, write_peak
    if mode == "pipe":
        return
    with open(path, "rb") as f:
        tracemalloc.start()
        try:
            r = ZipReader(f, passphrase=PASS)
            with r.open("big.bin") as entry:
                got = _digest(entry)
            read_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert got == _digest(io.BufferedReader(_Pattern(size)))
    assert read_peak < 8 * MIB, read_peak


# --- many entries (ZIP64 entry count) ------------------------------------------------------------


@pytest.mark.slow
def test_more_than_65535_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ZIP64 end record carries the count. PBKDF2 is stubbed (2 ms × 65 536 entries)."""
    keys = ziparchive._Keys(b"k" * 32, b"m" * 32, b"pv")
    monkeypatch.setattr(ziparchive, "_derive", lambda passphrase, salt, strength: keys)
    buf = io.BytesIO()
    with ZipWriter(buf, passphrase=PASS) as w:
        for i in range(65_537):
            w.add_bytes(f"F{i:05d}", i.to_bytes(3, "little"))
    data = buf.getvalue()
    assert struct.unpack_from("<H", data, len(data) - 12)[0] == 0xFFFF
    r = ZipReader(io.BytesIO(data), passphrase=PASS)
    names = r.names()
    assert len(names) == 65_537
    with r.open(names[-1]) as f:
        assert f.read() == (65_536).to_bytes(3, "little")


# --- property: any mutation raises only our errors, never yields wrong data -------------------------


_BASE_ENTRIES = {"a.txt": b"alpha " * 50, "DOCS/b.bin": bytes(range(256)) * 3, "empty": b"",
                 "ü.txt": "ü".encode()}


@functools.cache
def _base_archives() -> tuple[bytes, ...]:
    return tuple(_zip(_BASE_ENTRIES, mode=m) for m in ("seek", "pipe", "zip64"))


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_base_archives())))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "tail"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x2E, 0x2F]))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif kind == "tail" and len(data) > 100:
            # The end records and central directory are where parsers go wrong.
            tail = len(data) - draw(st.integers(1, 100))
            data[tail] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


def _exercise(data: bytes, dest: Path) -> dict[str, bytes]:
    r = ZipReader(io.BytesIO(data), passphrase=PASS)
    got = {}
    for name in r.names():
        with r.open(name) as f:
            got[name] = f.read()
    r.verify()
    r.extract_all(dest)
    return got


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_archives_raise_only_our_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            got = _exercise(data, Path(tmp) / "out")
        except (ZipCorrupt, ZipWrongPassphrase, UnsafePath, LimitExceeded):
            return
    # Names and timestamps are not authenticated and may change; content never may.
    for name, content in got.items():
        if name in _BASE_ENTRIES:
            assert content == _BASE_ENTRIES[name]


def test_base_archives_pass_the_property_harness(tmp_path: Path) -> None:
    for i, data in enumerate(_base_archives()):
        assert _exercise(data, tmp_path / str(i)) == _BASE_ENTRIES
