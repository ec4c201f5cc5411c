"""Our AES-256 ZIPs against the real 7-Zip (``7z``), both ways.

7-Zip is what most reviewers will open the package with (Keka on macOS uses 7-Zip's code).
In CI a missing ``7z`` fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from bundler.export.ziparchive import ZipReader, ZipWriter, ZipWrongPassphrase
from support import require_tool

pytestmark = pytest.mark.interop

PASS = "Tr0ub4dor&3 horse"
MIB = 1 << 20
_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}  # 7-Zip decodes names by locale




@pytest.fixture(scope="module")
def seven_zip() -> str:
    return require_tool("7z")


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, env=_ENV,
                          timeout=300)


ENTRIES = {
    "README.TXT": b"Open with 7-Zip, WinZip or Keka.\r\n",
    "empty.txt": b"",
    "DICOM/ST000001/SE000001/IM000001": os.urandom(5 * MIB + 3),
    "DICOM/ST000001/SE000001/IM000002": os.urandom(1000),
    "DOCS/Größe_Ärztin_日本.txt": "Befund für die Zweitmeinung. 日本語 ".encode() * 2000,
    "CASE.JSON": b'{"studies": []}\n' * 5000,
}


class _Pipe(io.RawIOBase):
    """Unseekable destination: the writer falls back to data descriptors."""

    def __init__(self, f: io.BufferedWriter) -> None:
        self.f = f

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        return self.f.write(b)  # type: ignore[arg-type]


def _write(path: Path, mode: str) -> None:
    with open(path, "wb") as f:
        dst = _Pipe(f) if mode == "pipe" else f
        with ZipWriter(dst, passphrase=PASS, force_zip64=mode == "zip64") as w:  # type: ignore[arg-type]
            for i, (name, data) in enumerate(ENTRIES.items()):
                w.add_file(name, io.BytesIO(data), size=len(data) if i % 2 else None,
                           compress=name.endswith((".TXT", ".txt", ".JSON")))


@pytest.mark.parametrize("mode", ["seek", "pipe", "zip64"])
def test_7z_tests_and_extracts_our_archive(seven_zip: str, tmp_path: Path, mode: str) -> None:
    archive = tmp_path / "package.zip"
    _write(archive, mode)

    t = _run(seven_zip, "t", f"-p{PASS}", "-bd", archive)
    assert t.returncode == 0, t.stdout + t.stderr
    assert "Everything is Ok" in t.stdout and "Warning" not in t.stdout, t.stdout

    x = _run(seven_zip, "x", f"-p{PASS}", "-bd", "-y", f"-o{tmp_path / 'out'}", archive)
    assert x.returncode == 0, x.stdout + x.stderr
    extracted = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes()
                 for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert extracted == ENTRIES


def test_7z_refuses_a_wrong_password(seven_zip: str, tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    _write(archive, "seek")
    t = _run(seven_zip, "t", "-pnot-the-passphrase", "-bd", archive)
    assert t.returncode != 0
    assert "Wrong password" in t.stdout + t.stderr


def test_7z_lists_aes256(seven_zip: str, tmp_path: Path) -> None:
    archive = tmp_path / "package.zip"
    _write(archive, "seek")
    listing = _run(seven_zip, "l", "-slt", f"-p{PASS}", archive)
    assert listing.returncode == 0, listing.stderr
    items = listing.stdout.split("\n----------\n", 1)[1].strip().split("\n\n")
    fields = [dict(line.split(" = ", 1) for line in item.splitlines() if " = " in line)
              for item in items]
    assert [f["Path"] for f in fields] == list(ENTRIES)
    for f in fields:
        assert f["Encrypted"] == "+"
        assert f["Method"] in ("AES-256 Store", "AES-256 Deflate"), f["Method"]
        assert "WzAES" in f["Characteristics"]
    assert any(f["Method"] == "AES-256 Deflate" for f in fields)


def test_non_ascii_passphrases(seven_zip: str, tmp_path: Path) -> None:
    """Why ZipWriter refuses non-ASCII passphrases: 7-Zip reads a UTF-8 one (in a UTF-8
    locale) but refuses to write one (E_INVALIDARG), and other tools use code pages."""
    src = tmp_path / "a.txt"
    src.write_bytes(b"x")
    made = _run(seven_zip, "a", "-tzip", "-mem=AES256", "-ppässwörd", tmp_path / "7z.zip", src)
    assert made.returncode != 0

    archive = tmp_path / "ours.zip"
    with open(archive, "wb") as f:
        w = ZipWriter(f, passphrase="placeholder")
        w._passphrase = "pässwörd".encode()  # what the reader and WinZip use: UTF-8
        w.add_bytes("a.txt", b"x")
        w.close()
    t = _run(seven_zip, "t", "-ppässwörd", "-bd", archive)
    assert t.returncode == 0, t.stdout


@pytest.mark.parametrize("options", [["-mx=0"], ["-mx=5"], ["-mx=9", "-mm=Deflate"]])
def test_our_reader_opens_7z_archives(seven_zip: str, tmp_path: Path, options: list[str]) -> None:
    src = tmp_path / "src"
    for name, data in ENTRIES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    archive = tmp_path / "7z.zip"
    # -r over the folder: 7-Zip also writes (unencrypted, empty) directory entries.
    made = _run(seven_zip, "a", "-tzip", "-mem=AES256", f"-p{PASS}", *options, "-bd", "-r",
                archive, f"{src}/*")
    assert made.returncode == 0, made.stdout + made.stderr

    with open(archive, "rb") as f:
        reader = ZipReader(f, passphrase=PASS)
        assert sorted(reader.names()) == sorted(ENTRIES)
        for name, data in ENTRIES.items():
            with reader.open(name) as entry:
                assert entry.read() == data
        reader.verify()
        written = reader.extract_all(tmp_path / "out")
    assert len(written) == len(ENTRIES)
    for name, data in ENTRIES.items():
        assert (tmp_path / "out" / name).read_bytes() == data

    with open(archive, "rb") as f, pytest.raises(ZipWrongPassphrase):
        ZipReader(f, passphrase="not-the-passphrase")


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, b: object) -> int:
        view = memoryview(b).cast("B")  # type: ignore[arg-type]
        n = min(len(view), self.left)
        view[:n] = bytes(n)
        self.left -= n
        return n


@pytest.mark.slow
def test_real_zip64_entry_over_4_gib(seven_zip: str, tmp_path: Path) -> None:
    """A stored entry just over 4 GiB, and one behind it at an offset over 4 GiB (~35 s here).

    ``7z t`` decrypts and checks the whole archive while our reader does the same (the two
    run side by side: one subprocess, no threads).
    """
    size = (4 << 30) + MIB + 3
    archive = tmp_path / "big.zip"
    try:
        with open(archive, "wb") as f, ZipWriter(f, passphrase=PASS) as w:
            w.add_file("big.bin", io.BufferedReader(_Zeros(size), MIB), size=size)  # type: ignore[arg-type]
            w.add_bytes("after.txt", b"behind the big one")

        listing = _run(seven_zip, "l", "-slt", archive)
        assert listing.returncode == 0, listing.stderr
        assert f"Size = {size}\n" in listing.stdout and "Zip64" in listing.stdout
        test = subprocess.Popen([seven_zip, "t", f"-p{PASS}", "-bd", str(archive)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_ENV)
        try:
            zero = bytes(MIB)
            with open(archive, "rb") as f:
                reader = ZipReader(f, passphrase=PASS)
                assert reader.size("big.bin") == size
                seen = 0
                with reader.open("big.bin") as entry:
                    while chunk := entry.read(MIB):
                        assert chunk == zero[:len(chunk)]
                        seen += len(chunk)
                assert seen == size
                assert reader.open("after.txt").read() == b"behind the big one"
            out, _ = test.communicate(timeout=300)
        finally:
            if test.poll() is None:
                test.kill()
                test.wait()
        assert test.returncode == 0 and "Everything is Ok" in out, out
    finally:
        archive.unlink(missing_ok=True)  # do not leave 4 GiB in pytest's kept temp folders
