"""Seeded mutations of real input files: bit flips, truncations, length-field inflation, insertions.

Used by tests/reliability/test_mutations.py (reduced counts) and benchmarks/faults_bench.py
(full counts). Every mutant keeps its original file name (documents are recognised partly by
name), in a folder of its own: ``<out>/<index>-<kind>/<name>``.
"""

from __future__ import annotations

import random
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

KINDS = ("bitflip", "truncate", "inflate", "insert")

# Explicit VR with a 2-byte length (PS3.5 §7.1.2); the others have 2 reserved bytes and 4-byte length.
_SHORT_VRS = {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
              b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
_PDF_LENGTH = re.compile(rb"/Length\s+\d+")
_XML_COUNT = re.compile(rb'(value|count|length|size)="\d+"', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mutant:
    origin: Path
    kind: str
    path: Path


def _dicom_length_offsets(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of element length fields of an explicit VR LE Part 10 file's top level."""
    if data[128:132] != b"DICM":
        return []
    out = []
    pos = 132
    while pos + 8 <= len(data) and len(out) < 200:
        vr = data[pos + 4:pos + 6]
        if vr in _SHORT_VRS:
            length = struct.unpack_from("<H", data, pos + 6)[0]
            out.append((pos + 6, 2))
            pos += 8 + length
        elif vr.isalpha() and vr.isupper() and pos + 12 <= len(data):
            length = struct.unpack_from("<I", data, pos + 8)[0]
            out.append((pos + 8, 4))
            if length == 0xFFFFFFFF:
                break  # undefined length: do not follow
            pos += 12 + length
        else:
            break  # implicit VR: stop
    return out


def _inflate(data: bytes, rng: random.Random) -> bytes:
    """Make one length field claim far more than the file holds."""
    buf = bytearray(data)
    fields = _dicom_length_offsets(data)
    if fields:
        offset, width = rng.choice(fields)
        value = rng.choice([0xFFFE, 0xFFFF] if width == 2 else [0x7FFFFFFF, 0xFFFFFFF0, len(data) * 1000])
        struct.pack_into("<H" if width == 2 else "<I", buf, offset, value)
        return bytes(buf)
    for pattern, repl in ((_PDF_LENGTH, b"/Length 2147483647"), (_XML_COUNT, None)):
        found = list(pattern.finditer(data))
        if found:
            m = rng.choice(found)
            new = repl if repl is not None else m.group(1) + b'="99999999999999999999"'
            return data[:m.start()] + new + data[m.end():]
    if data[:4] == b"PK\x03\x04" and len(data) >= 30:
        struct.pack_into("<II", buf, 18, 0xFFFFFFF0, 0xFFFFFFF0)  # compressed, uncompressed sizes
        return bytes(buf)
    if len(data) >= 8:
        pos = rng.randrange(0, len(data) - 4)
        struct.pack_into("<I", buf, pos, 0xFFFFFFF0)
    return bytes(buf)


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One mutant of ``data``."""
    if not data:
        return data
    if kind == "bitflip":
        buf = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            pos = rng.randrange(len(buf))
            buf[pos] ^= 1 << rng.randrange(8)
        return bytes(buf)
    if kind == "truncate":
        # Often inside the header, where parsers decide what follows.
        cut = rng.choice([rng.randrange(len(data)), rng.randrange(min(len(data), 512))])
        return data[:cut]
    if kind == "inflate":
        return _inflate(data, rng)
    if kind == "insert":
        pos = rng.randrange(len(data) + 1)
        if rng.random() < 0.5:
            extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
        else:  # a repeated piece of the file itself (duplicated elements, objects, records)
            start = rng.randrange(len(data))
            extra = data[start:start + rng.randint(1, 65536)] * rng.randint(1, 4)
        return data[:pos] + extra + data[pos:]
    raise ValueError(kind)


def write_mutants(files: Iterable[Path], out: Path, *, seed: int, per_file: int = len(KINDS),
                  kinds: tuple[str, ...] = KINDS) -> list[Mutant]:
    """Write ``per_file`` mutants of each file (kinds in turn) under ``out``."""
    rng = random.Random(seed)
    mutants = []
    n = 0
    for f in files:
        data = f.read_bytes()
        for i in range(per_file):
            kind = kinds[i % len(kinds)]
            folder = out / f"{n:05d}-{kind}"
            folder.mkdir(parents=True)
            path = folder / f.name
            path.write_bytes(mutate(data, kind, rng))
            mutants.append(Mutant(f, kind, path))
            n += 1
    return mutants


def sample(files: Iterable[Path], k: int, *, seed: int) -> list[Path]:
    """A seeded sample of at most ``k`` files (sorted first, so the sample is reproducible)."""
    pool = sorted(files)
    return sorted(random.Random(seed).sample(pool, min(k, len(pool))))


def corpus_files(demo_root: Path, shared: Path | None) -> Iterator[Path]:
    """The demo CD and Documents, and every regular file of the shared data (not its notes)."""
    for folder in (demo_root / "CD", demo_root / "Documents"):
        yield from (p for p in sorted(folder.rglob("*")) if p.is_file())
    if shared is not None:
        for p in sorted(shared.rglob("*")):
            if p.is_file() and p.name not in ("SOURCES.md", "dicom_ground_truth.json") and "SOURCES" not in p.name:
                yield p


def stalling_pdf(pages: int = 200, runs: int = 2000) -> bytes:
    """A small, valid PDF whose text extraction takes minutes: every page draws one shared
    content stream of ``runs`` text runs (pypdf's layout mode is slow per run, and the stream
    is read again for each page). 55 KB with 200 pages; the time bound must stop it."""
    content = b"BT /F1 12 Tf " + b"10 10 Td (Impression x) Tj " * runs + b"ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + " ".join(f"{5 + i} 0 R" for i in range(pages)).encode()
            + b"] /Count " + str(pages).encode() + b" >>",
            b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
             b"/Resources << /Font << /F1 4 0 R >> >> >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
