"""Every C2SP/CCTV age vector (../shared/vectors/age-cctv; see its SOURCE.txt) through decrypt().

A vector is a textual header (``expect``, ``payload``, ``identity``, ``passphrase``, ``armored``,
``compressed``, ``file key``, ``comment``), a blank line, then the age file, maybe zlib'd. The
expected outcome maps onto our errors:

=================  ===========================================================
success            no error; sha256 of the output is ``payload``
no match           AgeWrongKey
HMAC failure       AgeCorrupt, detail "hmac: ..."
header failure     AgeCorrupt, detail "header: ..." (AgeLimit for the two vectors whose
                   scrypt work factor is merely too large: 23 and 2^63 + 10)
armor failure      AgeCorrupt, detail "armor: ..."
payload failure    AgeCorrupt, detail "payload: ..."; sha256 of what was written before the
                   error is ``payload`` (plaintext released before the damage was found)
=================  ===========================================================

Checking the stage, not only the class, catches a lower-level error masked by a higher one
(a parse error reported as a MAC failure, say), which the CCTV README warns about.
"""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bundler.export.age import (
    AgeCorrupt,
    AgeError,
    AgeLimit,
    AgeWrongKey,
    HybridIdentity,
    Identity,
    decrypt,
)
from support import require_dir

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors" / "age-cctv"
EXPECTED_COUNT = 143  # C2SP/CCTV commit 1e3d2860 (SOURCE.txt)
IN_CI = os.environ.get("CI", "").lower() == "true"

# "header failure" vectors that are about a work factor we refuse to compute, not bad syntax.
LIMIT_VECTORS = frozenset({"scrypt_work_factor_23", "scrypt_work_factor_overflow"})

STAGE = {
    "HMAC failure": "hmac",
    "header failure": "header",
    "armor failure": "armor",
    "payload failure": "payload",
}


def _names() -> list[str]:
    if not VECTORS.is_dir():
        return []
    return sorted(p.name for p in VECTORS.iterdir() if p.is_file())


@dataclass
class Vector:
    expect: str
    body: bytes
    payload: str | None = None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False
    comment: str = ""


def _load(name: str) -> Vector:
    raw = (VECTORS / name).read_bytes()
    head, sep, body = raw.partition(b"\n\n")
    assert sep, "no blank line after the vector header"
    vector = Vector(expect="", body=body)
    compressed = False
    for line in head.decode("utf-8").split("\n"):
        key, _, value = line.partition(": ")
        if key == "expect":
            vector.expect = value
        elif key == "payload":
            vector.payload = value
        elif key == "identity":
            vector.identities.append(value)
        elif key == "passphrase":
            vector.passphrases.append(value)
        elif key == "armored":
            vector.armored = value == "yes"
        elif key == "compressed":
            assert value == "zlib", value
            compressed = True
        elif key == "comment":
            vector.comment = value
        elif key != "file key":
            # The README says to ignore vectors with unknown keys; we want to hear about them.
            pytest.fail(f"unknown vector header key {key!r}: update this runner")
    if compressed:
        vector.body = zlib.decompress(body)
    return vector


class _HashSink(io.RawIOBase):
    """Records what decrypt released, without keeping it (some vectors are 16 MiB)."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        self.sha256.update(view)
        self.size += view.nbytes
        return view.nbytes


def _identity(text: str) -> Identity | HybridIdentity:
    if text.startswith("AGE-SECRET-KEY-PQ-"):
        return HybridIdentity.parse(text)
    return Identity.parse(text)


def _run(vector: Vector) -> tuple[AgeError | None, _HashSink]:
    identities = [_identity(i) for i in vector.identities]
    if not identities and not vector.passphrases:
        identities = [Identity.generate()]  # vectors that fail before any key is needed
    # decrypt() takes one passphrase; several are tried in turn like several identities:
    # the first outcome that is not "wrong key" stands.
    attempts = vector.passphrases or [None]
    sink = _HashSink()
    error: AgeError | None = None
    for passphrase in attempts:
        sink = _HashSink()
        try:
            decrypt(io.BytesIO(vector.body), sink, identities=identities, passphrase=passphrase)
        except AgeWrongKey as exc:
            error = exc
            continue
        except AgeError as exc:
            return exc, sink
        return None, sink
    return error, sink


def test_vectors_present() -> None:
    require_dir(VECTORS, "CCTV age vectors")
    assert len(_names()) == EXPECTED_COUNT


@pytest.mark.parametrize("name", _names())
def test_vector(name: str) -> None:
    vector = _load(name)
    assert vector.armored == name.startswith("armor_")
    error, sink = _run(vector)

    if vector.expect == "success":
        assert error is None, f"{type(error).__name__}: {error.detail if error else ''}"
        assert sink.sha256.hexdigest() == vector.payload
        return
    assert error is not None, "decrypted although the vector expects a failure"
    if vector.expect == "no match":
        assert type(error) is AgeWrongKey
        assert sink.size == 0
        return

    stage = STAGE[vector.expect]
    expected_type = AgeLimit if name in LIMIT_VECTORS else AgeCorrupt
    assert type(error) is expected_type, f"{type(error).__name__}: {error.detail}"
    assert error.detail.split(":", 1)[0] == stage, error.detail
    if vector.expect == "payload failure":
        assert vector.payload is not None
        assert sink.sha256.hexdigest() == vector.payload, "released plaintext differs"
    else:
        assert sink.size == 0, "plaintext released although the header or armor is bad"


def test_limit_vectors_exist() -> None:
    """The AgeLimit mapping above names real vectors (a rename would silently weaken it)."""
    require_dir(VECTORS, "CCTV age vectors")
    assert LIMIT_VECTORS <= set(_names())
