"""bundler.export.age against the real ``age`` and ``age-keygen`` (Debian's age 1.1.1).

age reads passphrases only from a terminal (it opens /dev/tty), so passphrase runs get a
pseudo-terminal as their controlling terminal and answer its prompts through it.

Hybrid (post-quantum) recipients are not covered here: age 1.1.1 predates them. The CCTV
vectors (tests/vectors) cover decrypting them, tests/core encrypting them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import select
import subprocess
import termios
import time
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

import pytest

from bundler.export.age import (
    AgeCorrupt,
    Identity,
    Recipient,
    decrypt,
    encrypt,
    keygen,
    parse_identities,
)
from support import require_tool

pytestmark = pytest.mark.interop

CHUNK = 64 * 1024
SIZES = (0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * 1024 * 1024 + 123)
PASSPHRASE = "interop passphrase ✓"




def _data(size: int) -> bytes:
    block = hashlib.sha256(size.to_bytes(8, "big")).digest() * 2048
    return (block * (size // len(block) + 1))[:size]


def _output(path: Path) -> bytes:
    # age opens -o lazily, on the first plaintext byte: an empty payload leaves no file.
    return path.read_bytes() if path.exists() else b""


def _age(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run([require_tool("age"), *map(str, args)], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result


def _with_terminal(argv: Sequence[str | Path], answers: Sequence[tuple[bytes, bytes]]) -> bytes:
    """Run argv with a pty as its controlling terminal, answering each prompt in turn.

    Returns the terminal transcript; fails on a non-zero exit or a prompt never seen.
    """
    master, slave = pty.openpty()

    def _take_terminal() -> None:  # runs in the child, after setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [str(a) for a in argv],
        stdin=slave,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    pending = list(answers)
    transcript = seen = b""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    data = b""
                if not data:
                    break
                transcript += data
                seen += data
                while pending and pending[0][0] in seen:
                    prompt, reply = pending.pop(0)
                    seen = seen.split(prompt, 1)[1]
                    os.write(master, reply)
            elif proc.poll() is not None:
                break
        else:
            pytest.fail(f"{argv[0]} did not finish; terminal said {transcript!r}")
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert not pending, f"never prompted for {pending[0][0]!r}; terminal said {transcript!r}"
    assert code == 0, transcript.decode(errors="replace")
    return transcript


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Identity]:
    """A key written by age-keygen, and our parse of it."""
    path = tmp_path_factory.mktemp("keys") / "key.txt"
    subprocess.run([require_tool("age-keygen"), "-o", str(path)], check=True,
                   capture_output=True, timeout=30)
    (identity,) = parse_identities(path.read_text())
    assert isinstance(identity, Identity)
    return path, identity


def test_age_keygen_identity_parses(key_file: tuple[Path, Identity]) -> None:
    path, identity = key_file
    text = path.read_text()
    public = next(line.split(": ", 1)[1] for line in text.splitlines()
                  if line.startswith("# public key: "))
    assert str(identity.recipient()) == public
    converted = subprocess.run([require_tool("age-keygen"), "-y", str(path)], check=True,
                               capture_output=True, text=True, timeout=30).stdout.strip()
    assert converted == public
    secret_line = next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    assert identity.to_string() == secret_line


def test_our_keygen_file_works_with_age(tmp_path: Path) -> None:
    secret, public = keygen()
    (tmp_path / "key.txt").write_text(secret)
    converted = subprocess.run([require_tool("age-keygen"), "-y", str(tmp_path / "key.txt")],
                               check=True, capture_output=True, text=True, timeout=30)
    assert converted.stdout.strip() == public


@pytest.mark.parametrize("size", SIZES)
def test_ours_opened_by_age(tmp_path: Path, key_file: tuple[Path, Identity], size: int) -> None:
    path, identity = key_file
    data = _data(size)
    (tmp_path / "in").write_bytes(data)
    with open(tmp_path / "in", "rb") as src, open(tmp_path / "x.age", "wb") as dst:
        encrypt(src, dst, recipients=[identity.recipient(), Identity.generate().recipient()])
    _age("-d", "-i", path, "-o", tmp_path / "out", tmp_path / "x.age")
    assert _output(tmp_path / "out") == data


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_age_opened_by_us(
    tmp_path: Path, key_file: tuple[Path, Identity], size: int, armor: bool
) -> None:
    _, identity = key_file
    data = _data(size)
    (tmp_path / "in").write_bytes(data)
    _age("-r", str(identity.recipient()), *(["-a"] if armor else []), "-o", tmp_path / "x.age",
         tmp_path / "in")
    blob = (tmp_path / "x.age").read_bytes()
    assert blob.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n" if armor
                           else b"age-encryption.org/v1\n")
    with open(tmp_path / "x.age", "rb") as src, open(tmp_path / "out", "wb") as dst:
        decrypt(src, dst, identities=[Identity.generate(), identity])
    assert (tmp_path / "out").read_bytes() == data


def test_recipient_strings_agree(key_file: tuple[Path, Identity], tmp_path: Path) -> None:
    """age accepts our recipient string; we parse age's."""
    _, identity = key_file
    text = str(identity.recipient())
    assert Recipient.parse(text) == identity.recipient()
    (tmp_path / "in").write_bytes(b"x")
    _age("-r", text, "-o", tmp_path / "x.age", tmp_path / "in")


@pytest.mark.parametrize("size", [0, CHUNK + 1])
def test_our_passphrase_file_opened_by_age(tmp_path: Path, size: int) -> None:
    data = _data(size)
    with open(tmp_path / "x.age", "wb") as dst:
        encrypt(BytesIO(data), dst, passphrase=PASSPHRASE, work_factor=10)  # modest, for speed
    _with_terminal(
        [require_tool("age"), "-d", "-o", tmp_path / "out", tmp_path / "x.age"],
        [(b"passphrase", PASSPHRASE.encode() + b"\n")],
    )
    assert _output(tmp_path / "out") == data


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
def test_age_passphrase_file_opened_by_us(tmp_path: Path, armor: bool) -> None:
    data = _data(CHUNK + 1)
    (tmp_path / "in").write_bytes(data)
    reply = PASSPHRASE.encode() + b"\n"
    _with_terminal(
        [require_tool("age"), "-p", *(["-a"] if armor else []), "-o", tmp_path / "x.age",
         tmp_path / "in"],
        [(b"passphrase", reply), (b"Confirm", reply)],
    )
    blob = (tmp_path / "x.age").read_bytes()
    assert b"-> scrypt " in blob or armor
    with open(tmp_path / "x.age", "rb") as src, open(tmp_path / "out", "wb") as dst:
        decrypt(src, dst, passphrase=PASSPHRASE)  # age's work factor, 18: about a second
    assert (tmp_path / "out").read_bytes() == data


def test_same_verdict_on_a_damaged_file(tmp_path: Path, key_file: tuple[Path, Identity]) -> None:
    """A byte changed in age's last chunk: age and we both refuse, after the same first chunk."""
    path, identity = key_file
    data = _data(CHUNK + 10)
    (tmp_path / "in").write_bytes(data)
    _age("-r", str(identity.recipient()), "-o", tmp_path / "x.age", tmp_path / "in")
    blob = bytearray((tmp_path / "x.age").read_bytes())
    blob[-1] ^= 1
    (tmp_path / "bad.age").write_bytes(bytes(blob))
    result = subprocess.run([require_tool("age"), "-d", "-i", str(path), "-o",
                             str(tmp_path / "out"), str(tmp_path / "bad.age")],
                            capture_output=True, timeout=60)
    assert result.returncode != 0
    out = BytesIO()
    with pytest.raises(AgeCorrupt):
        decrypt(BytesIO(bytes(blob)), out, identities=[identity])
    assert out.getvalue() == data[:CHUNK]
