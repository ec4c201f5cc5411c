"""bundler.export.age: round trips, the wrong-key/corrupt split, hostile input, memory, Bech32.

Files with deliberately broken STREAM framing are built here with `cryptography` directly
(``_craft``), independently of the module under test, so that decoder and test do not share
a misunderstanding of the format. The CCTV vectors (tests/vectors) and the real ``age`` tool
(tests/interop) check the format from outside as well.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import threading
import time
import tracemalloc
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bundler.errors import BundlerError, Cancelled, LimitExceeded, UsageError
from bundler.export.age import (
    AgeBadKey,
    AgeCorrupt,
    AgeError,
    AgeLimit,
    AgeWrongKey,
    HybridIdentity,
    HybridRecipient,
    Identity,
    Recipient,
    bech32_decode,
    bech32_encode,
    decrypt,
    encrypt,
    keygen,
    parse_identities,
    parse_recipient,
)
from bundler.progress import CancelToken

CHUNK = 64 * 1024
ENC_CHUNK = CHUNK + 16
FAST = 2  # scrypt work factor for tests that are not about scrypt's cost
EDGE_SIZES = (0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5)
ALLOWED = (AgeCorrupt, AgeWrongKey, AgeLimit)


def _plain(size: int, seed: int = 0) -> bytes:
    block = hashlib.sha256(seed.to_bytes(8, "big")).digest() * (CHUNK // 32)
    return (block * (size // CHUNK + 1))[:size]


def _encrypt(data: bytes, **options: object) -> bytes:
    out = io.BytesIO()
    encrypt(io.BytesIO(data), out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def _decrypt(blob: bytes, **options: object) -> bytes:
    out = io.BytesIO()
    decrypt(io.BytesIO(blob), out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def _outcome(blob: bytes, **options: object) -> tuple[type[BaseException] | None, bytes]:
    """The error class (None for success) and whatever plaintext was released."""
    out = io.BytesIO()
    try:
        decrypt(io.BytesIO(blob), out, **options)  # type: ignore[arg-type]
    except AgeError as exc:
        return type(exc), out.getvalue()
    return None, out.getvalue()


@pytest.fixture(scope="module")
def identity() -> Identity:
    return Identity.generate()


# --- an independent encoder for crafted files -------------------------------------------------


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _x25519_stanza(file_key: bytes, recipient: Recipient, share_secret: bytes | None = None) -> bytes:
    ephemeral = X25519PrivateKey.from_private_bytes(share_secret or bytes(range(32)))
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public_bytes))
    key = _hkdf(shared, share + recipient.public_bytes, b"age-encryption.org/v1/X25519")
    body = ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None)
    return b"-> X25519 " + _b64(share) + b"\n" + _b64(body) + b"\n"


def _scrypt_stanza(file_key: bytes, passphrase: bytes, work_factor: bytes) -> bytes:
    salt = bytes(16)
    # Only the written number matters to the refusal tests; int() would refuse 5000 digits.
    n = 1 << (10 if len(work_factor) > 2 else min(int(work_factor), 10))
    key = Scrypt(salt=b"age-encryption.org/v1/scrypt" + salt, length=32, n=n, r=8, p=1).derive(
        passphrase
    )
    body = ChaCha20Poly1305(key).encrypt(bytes(12), file_key, None)
    return b"-> scrypt " + _b64(salt) + b" " + work_factor + b"\n" + _b64(body) + b"\n"


def _craft(
    file_key: bytes,
    stanzas: bytes,
    chunks: Sequence[tuple[bytes, bool]],
    nonce: bytes = bytes(range(16)),
) -> bytes:
    """A file with exactly these stanzas and these (plaintext, final flag) chunks."""
    header = b"age-encryption.org/v1\n" + stanzas + b"---"
    mac = crypto_hmac.HMAC(_hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header)
    out = header + b" " + _b64(mac.finalize()) + b"\n" + nonce
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    for counter, (plain, final) in enumerate(chunks):
        out += aead.encrypt(counter.to_bytes(11, "big") + bytes([final]), plain, None)
    return out


SPEC_PQ_RECIPIENT = (  # c2sp.org/age, "The MLKEM768-X25519 (i.e. X-Wing) hybrid ..."
    "age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapd"
    "mwjjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477"
    "lnhcy5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8w"
    "wtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9f"
    "ed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dv"
    "p9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43"
    "xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f"
    "0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8"
    "xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8"
    "xnmppcgmaykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5"
    "jgf3xzk5zmrkavjekjrpeq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5"
    "etmt9dnkwcnnpmu9gz9dekfhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjg"
    "lpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvt"
    "rt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7yky"
    "snq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5ga"
    "gyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq"
    "22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lw"
    "g3xdarsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m"
    "2g433exgwppnkjscec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53j"
    "ff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5h"
    "kntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043"
    "x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3"
    "qheyty7saeq0d3fzv49zc0k"
)

FILE_KEY = bytes(range(100, 116))


def _payload_start(blob: bytes) -> int:
    """Offset of the first chunk: after the MAC line ("--- " + 43 + LF) and the 16-byte nonce."""
    return blob.index(b"\n---") + 1 + 48 + 16


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_x25519_round_trip(identity: Identity, size: int) -> None:
    data = _plain(size, seed=size)
    blob = _encrypt(data, recipients=[identity.recipient()])
    chunks = max(1, -(-size // CHUNK))
    assert blob.startswith(b"age-encryption.org/v1\n-> X25519 ")
    assert len(blob) == _payload_start(blob) + size + 16 * chunks  # full last chunk: no empty one
    assert _decrypt(blob, identities=[identity]) == data


@pytest.mark.parametrize("size", (0, 1, CHUNK, CHUNK + 1))
def test_passphrase_round_trip(size: int) -> None:
    data = _plain(size)
    blob = _encrypt(data, passphrase="correct horse battery staple", work_factor=FAST)
    assert re.match(rb"age-encryption\.org/v1\n-> scrypt [A-Za-z0-9+/]{22} 2\n", blob)
    assert _decrypt(blob, passphrase="correct horse battery staple") == data


def test_passphrase_is_utf8(identity: Identity) -> None:
    blob = _encrypt(b"x", passphrase="contraseña ünïcode 🔑", work_factor=FAST)
    assert _decrypt(blob, passphrase="contraseña ünïcode 🔑") == b"x"
    assert _outcome(blob, passphrase="contrasena unicode 🔑")[0] is AgeWrongKey


def test_several_recipients_each_open_it() -> None:
    ids = [Identity.generate() for _ in range(3)]
    blob = _encrypt(b"shared", recipients=[i.recipient() for i in ids])
    assert blob.count(b"\n-> X25519 ") == 3
    for one in ids:
        assert _decrypt(blob, identities=[Identity.generate(), one]) == b"shared"


def test_hybrid_round_trip() -> None:
    pq = HybridIdentity.generate()
    data = _plain(CHUNK + 7)
    blob = _encrypt(data, recipients=[pq.recipient()])
    assert b"\n-> mlkem768x25519 " in blob
    assert _decrypt(blob, identities=[pq]) == data
    assert _outcome(blob, identities=[HybridIdentity.generate(), Identity.generate()])[0] is AgeWrongKey
    again = HybridIdentity.parse(pq.to_string())
    assert again.recipient() == pq.recipient()
    assert HybridRecipient.parse(str(pq.recipient())) == pq.recipient()


def test_spec_example_keys() -> None:
    """The key pairs printed in the age spec (c2sp.org/age), as known answers."""
    x = Identity.parse("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX")
    assert str(x.recipient()) == "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj"
    pq = HybridIdentity.parse(
        "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR"
    )
    assert str(pq.recipient()) == SPEC_PQ_RECIPIENT
    assert parse_recipient(SPEC_PQ_RECIPIENT) == pq.recipient()


# --- keys -------------------------------------------------------------------------------------


def test_keygen_matches_age_keygen_layout() -> None:
    secret, public = keygen()
    lines = secret.split("\n")
    assert re.fullmatch(r"# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", lines[0])
    assert lines[1] == f"# public key: {public}"
    assert re.fullmatch(r"AGE-SECRET-KEY-1[0-9A-Z]{58}", lines[2])
    assert lines[3:] == [""]
    (ident,) = parse_identities(secret)
    assert isinstance(ident, Identity)
    assert str(ident.recipient()) == public
    assert Identity.parse(lines[2]).to_string() == lines[2]
    assert lines[2] not in repr(ident)  # repr never shows the secret


def test_recipient_parse_and_str(identity: Identity) -> None:
    text = str(identity.recipient())
    assert re.fullmatch(r"age1[02-9ac-hj-np-z]{58}", text)
    assert Recipient.parse(f"  {text}\n") == identity.recipient()
    assert parse_recipient(text) == identity.recipient()
    assert hash(Recipient.parse(text)) == hash(identity.recipient())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "age1",
        "hello",
        "AGE1ZVKYG2LQZRAA2LNJVQEJ32NKUU0UES2S82HZRYE869XEEXVN73EQUNUJWJ",  # age writes lower case
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwk",  # checksum
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwJ",  # mixed case
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX",  # wrong kind
        "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp4h5d8t",  # 20 bytes, not 32
    ],
)
def test_bad_recipients(text: str) -> None:
    with pytest.raises(AgeBadKey) as info:
        Recipient.parse(text)
    assert info.value.code == "bad_key"


@pytest.mark.parametrize(
    "text",
    [
        "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj",
        "age-secret-key-1gfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpyysjzgfpq4egaex",  # as age
        "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEY",
    ],
)
def test_bad_identities(text: str) -> None:
    with pytest.raises(AgeBadKey):
        Identity.parse(text)
    with pytest.raises(AgeBadKey):
        parse_identities(f"# comment\n{text}\n")


def test_parse_identities_skips_comments_and_rejects_empty() -> None:
    a, b = Identity.generate(), HybridIdentity.generate()
    found = parse_identities(f"# one\n\n{a.to_string()}\r\n# two\n{b.to_string()}\n")
    assert [type(i) for i in found] == [Identity, HybridIdentity]
    with pytest.raises(AgeBadKey):
        parse_identities("# nothing here\n\n")


# --- wrong key versus corrupt -----------------------------------------------------------------


def test_wrong_key_is_its_own_error(identity: Identity) -> None:
    blob = _encrypt(b"data", recipients=[identity.recipient()])
    with pytest.raises(AgeWrongKey) as info:
        _decrypt(blob, identities=[Identity.generate()])
    assert info.value.code == "wrong_key"
    assert info.value.user_message == "The passphrase or key does not open this package."
    assert str(info.value) == info.value.user_message
    assert _outcome(blob, passphrase="guess")[0] is AgeWrongKey  # a key file, not a passphrase


def test_wrong_passphrase_is_wrong_key() -> None:
    blob = _encrypt(b"data", passphrase="right", work_factor=FAST)
    assert _outcome(blob, passphrase="wrong")[0] is AgeWrongKey
    assert _outcome(blob, identities=[Identity.generate()])[0] is AgeWrongKey


def test_error_classes() -> None:
    assert AgeCorrupt().user_message == "The package is damaged or was altered."
    assert AgeCorrupt().code == "corrupt"
    assert AgeLimit().code == "limit"
    assert issubclass(AgeLimit, LimitExceeded)
    for cls in (AgeWrongKey, AgeCorrupt, AgeLimit, AgeBadKey):
        assert issubclass(cls, BundlerError)


def _stanza_span(blob: bytes) -> range:
    """Bytes whose change makes our stanza unopenable rather than malformed: its arguments and body."""
    start = blob.index(b"\n-> ") + 4
    end = blob.index(b"\n---")
    return range(start, end + 1)


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_any_flipped_byte_is_refused(identity: Identity, mask: int) -> None:
    data = _plain(300)
    blob = _encrypt(data, recipients=[identity.recipient()])
    stanza = _stanza_span(blob)
    for pos in range(len(blob)):
        bad = bytearray(blob)
        bad[pos] ^= mask
        error, released = _outcome(bytes(bad), identities=[identity])
        # A changed share or wrapped key looks like a stanza for someone else: that is all a
        # decryptor can know (age says the same). Anywhere else it is damage.
        expected = (AgeCorrupt, AgeWrongKey) if pos in stanza else (AgeCorrupt,)
        assert error in expected, f"byte {pos}: {error}"
        assert released == b""  # single chunk: nothing unauthenticated ever comes out


def test_flips_in_a_multi_chunk_file(identity: Identity) -> None:
    data = _plain(3 * CHUNK + 11)
    blob = _encrypt(data, recipients=[identity.recipient()])
    payload = _payload_start(blob)
    positions = [payload + k * ENC_CHUNK + d for k in range(4) for d in (0, 1, 100, ENC_CHUNK - 1)]
    for pos in [p for p in positions if p < len(blob)] + [len(blob) - 1]:
        bad = bytearray(blob)
        bad[pos] ^= 0x40
        error, released = _outcome(bytes(bad), identities=[identity])
        assert error is AgeCorrupt
        chunk = (pos - payload) // ENC_CHUNK
        assert released == data[: chunk * CHUNK]  # only the authentic chunks before the damage


def test_every_truncation_is_corrupt(identity: Identity) -> None:
    data = _plain(200)
    blob = _encrypt(data, recipients=[identity.recipient()])
    for size in range(len(blob)):
        error, released = _outcome(blob[:size], identities=[identity])
        assert error is AgeCorrupt, size
        assert released == b""


@pytest.mark.parametrize("size", [CHUNK, 2 * CHUNK, 2 * CHUNK + 1])
def test_truncation_at_chunk_boundaries(identity: Identity, size: int) -> None:
    data = _plain(size)
    blob = _encrypt(data, recipients=[identity.recipient()])
    payload = _payload_start(blob)
    for chunks in range(1, -(-size // CHUNK)):
        cut = payload + chunks * ENC_CHUNK
        for delta in (-1, 0, 1):
            error, released = _outcome(blob[: cut + delta], identities=[identity])
            assert error is AgeCorrupt
            assert data.startswith(released)


BLOCK = 16 * CHUNK  # the plaintext age.py reads, encrypts and writes at a time


@pytest.mark.parametrize("size", [BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 2 * BLOCK + CHUNK + 7])
def test_round_trip_across_blocks(identity: Identity, size: int) -> None:
    data = _plain(size, seed=size)
    blob = _encrypt(data, recipients=[identity.recipient()])
    assert len(blob) == _payload_start(blob) + size + 16 * max(1, -(-size // CHUNK))
    assert _decrypt(blob, identities=[identity]) == data
    # Our chunks are the spec's: an encoder written from the spec in this file agrees.
    assert _decrypt(_craft(FILE_KEY, _x25519_stanza(FILE_KEY, identity.recipient()),
                           [(data[i:i + CHUNK], i + CHUNK >= size) for i in range(0, max(size, 1), CHUNK)]),
                    identities=[identity]) == data


def test_damage_beyond_the_first_block_releases_the_chunks_before_it(identity: Identity) -> None:
    data = _plain(2 * BLOCK + 100)
    blob = _encrypt(data, recipients=[identity.recipient()])
    payload = _payload_start(blob)
    for chunk in (15, 16, 17, 31, 32):
        for delta in (0, ENC_CHUNK - 1):
            pos = min(payload + chunk * ENC_CHUNK + delta, len(blob) - 1)
            bad = bytearray(blob)
            bad[pos] ^= 0x40
            error, released = _outcome(bytes(bad), identities=[identity])
            assert error is AgeCorrupt
            assert released == data[: chunk * CHUNK], (chunk, delta)


@pytest.mark.parametrize("chunks", [16, 32])
def test_truncation_and_extension_at_block_boundaries(identity: Identity, chunks: int) -> None:
    data = _plain(chunks * CHUNK + 5)
    blob = _encrypt(data, recipients=[identity.recipient()])
    cut = _payload_start(blob) + chunks * ENC_CHUNK
    for delta in (-1, 0, 1, 16, 17):
        error, released = _outcome(blob[: cut + delta], identities=[identity])
        assert error is AgeCorrupt
        assert data.startswith(released)
    whole = _encrypt(data[: chunks * CHUNK], recipients=[identity.recipient()])  # full last chunk
    assert _decrypt(whole, identities=[identity]) == data[: chunks * CHUNK]
    for extra in (b"\x00", bytes(ENC_CHUNK), bytes(ENC_CHUNK + 1)):
        error, released = _outcome(whole + extra, identities=[identity])
        assert error is AgeCorrupt
        assert released == data[: chunks * CHUNK]  # the last chunk is authentic, then the error


class _Failing(io.RawIOBase):
    """A destination that fails after ``good`` bytes, as a full disk does."""

    def __init__(self, good: int) -> None:
        self.left = good
        self.writers: set[str] = set()

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        self.writers.add(threading.current_thread().name)
        n = memoryview(data).nbytes  # type: ignore[arg-type]
        if n > self.left:
            raise OSError(28, "No space left on device")
        self.left -= n
        return n


def test_a_failing_destination_stops_encryption(identity: Identity) -> None:
    before = threading.active_count()
    dst = _Failing(2 * BLOCK)
    with pytest.raises(OSError, match="No space"):
        encrypt(_Pattern(40 * BLOCK), dst, recipients=[identity.recipient()])  # type: ignore[arg-type]
    assert threading.active_count() == before  # the pipeline's threads are gone
    # The header is written by the caller; beyond the first block, the payload off its thread.
    assert dst.writers == {threading.current_thread().name, "age-write"}


def test_cancel_stops_the_pipeline(identity: Identity) -> None:
    before = threading.active_count()
    token = CancelToken()

    def progress(done: int, total: int | None, message: str = "") -> None:
        if done >= 3 * BLOCK:
            token.cancel()

    with pytest.raises(Cancelled):
        encrypt(_Pattern(40 * BLOCK), io.BytesIO(), recipients=[identity.recipient()], progress=progress,
                cancel=token)  # type: ignore[arg-type]
    assert threading.active_count() == before


def test_trailing_bytes_are_corrupt(identity: Identity) -> None:
    for size in (0, 10, CHUNK):
        blob = _encrypt(_plain(size), recipients=[identity.recipient()])
        for extra in (b"\x00", b"\n", bytes(ENC_CHUNK)):
            assert _outcome(blob + extra, identities=[identity])[0] is AgeCorrupt


# --- STREAM framing, crafted ------------------------------------------------------------------


@pytest.fixture(scope="module")
def stanza(identity: Identity) -> bytes:
    return _x25519_stanza(FILE_KEY, identity.recipient())


def test_crafted_file_decrypts(identity: Identity, stanza: bytes) -> None:
    """Our decoder agrees with an encoder written from the spec in this file."""
    a, b = _plain(CHUNK, 1), _plain(5, 2)
    assert _decrypt(_craft(FILE_KEY, stanza, [(a, False), (b, True)]), identities=[identity]) == a + b


def test_empty_payload_is_one_empty_final_chunk(identity: Identity, stanza: bytes) -> None:
    assert _decrypt(_craft(FILE_KEY, stanza, [(b"", True)]), identities=[identity]) == b""
    assert _outcome(_craft(FILE_KEY, stanza, []), identities=[identity])[0] is AgeCorrupt
    ours = _encrypt(b"", recipients=[identity.recipient()])
    assert len(ours) == _payload_start(ours) + 16


def test_full_last_chunk(identity: Identity, stanza: bytes) -> None:
    a = _plain(CHUNK)
    assert _decrypt(_craft(FILE_KEY, stanza, [(a, True)]), identities=[identity]) == a


@pytest.mark.parametrize(
    ("chunks", "released"),
    [
        ([(b"A" * CHUNK, True), (b"B", True)], CHUNK),  # a chunk after the final one
        ([(b"A" * CHUNK, True), (b"B" * CHUNK, False), (b"C", True)], CHUNK),
        ([(b"A" * CHUNK, False)], CHUNK),  # ends without a final chunk
        ([(b"A" * 10, False)], 0),  # short chunk not marked final
        ([(b"A" * CHUNK, False), (b"", True)], CHUNK),  # empty final chunk after data
        ([(b"A" * CHUNK, False), (b"B" * 10, False)], CHUNK),
        ([(b"A" * 100, True), (b"B" * 100, True)], 0),
    ],
)
def test_stream_framing_errors(
    identity: Identity, stanza: bytes, chunks: list[tuple[bytes, bool]], released: int
) -> None:
    error, out = _outcome(_craft(FILE_KEY, stanza, chunks), identities=[identity])
    assert error is AgeCorrupt
    assert out == b"".join(c for c, _ in chunks)[:released]


def test_swapped_chunks_are_corrupt(identity: Identity) -> None:
    blob = _encrypt(_plain(3 * CHUNK), recipients=[identity.recipient()])
    payload = _payload_start(blob)
    first = blob[payload : payload + ENC_CHUNK]
    second = blob[payload + ENC_CHUNK : payload + 2 * ENC_CHUNK]
    swapped = blob[:payload] + second + first + blob[payload + 2 * ENC_CHUNK :]
    assert _outcome(swapped, identities=[identity]) == (AgeCorrupt, b"")


# --- header rules -----------------------------------------------------------------------------


def test_unknown_stanzas_are_ignored_but_authenticated(identity: Identity, stanza: bytes) -> None:
    grease = b"-> example.com/grease a-b c\n" + b"A" * 64 + b"\nAAAA\n"  # a two-line body
    blob = _craft(FILE_KEY, grease + stanza, [(b"hello", True)])
    assert _decrypt(blob, identities=[identity]) == b"hello"
    altered = blob.replace(b"a-b c", b"a-b d")
    error = pytest.raises(AgeCorrupt, _decrypt, altered, identities=[identity]).value
    assert error.detail.startswith("hmac:")  # the MAC covers the exact header bytes


def test_scrypt_must_be_alone(identity: Identity, stanza: bytes) -> None:
    scrypt = _scrypt_stanza(FILE_KEY, b"pw", b"10")
    for stanzas in (scrypt + stanza, stanza + scrypt, scrypt + scrypt):
        blob = _craft(FILE_KEY, stanzas, [(b"x", True)])
        assert _outcome(blob, identities=[identity], passphrase="pw")[0] is AgeCorrupt
        assert _outcome(blob, identities=[identity])[0] is AgeCorrupt
    alone = _craft(FILE_KEY, scrypt, [(b"x", True)])
    assert _decrypt(alone, passphrase="pw") == b"x"


def test_all_zero_shared_secret_is_refused(identity: Identity) -> None:
    body = _b64(bytes(32))
    for share in (bytes(32), (1).to_bytes(32, "little")):  # zero and a low-order point
        stanzas = b"-> X25519 " + _b64(share) + b"\n" + body + b"\n"
        error = pytest.raises(AgeCorrupt, _decrypt, _craft(FILE_KEY, stanzas, [(b"", True)]),
                              identities=[identity]).value
        assert "low-order" in error.detail or "all zero" in error.detail


@pytest.mark.parametrize(
    "header",
    [
        b"age-encryption.org/v1\n-> X25519 AAAA\nAAA=\n--- " + b"A" * 43 + b"\n",  # padding
        b"age-encryption.org/v1\n-> X25519 AAAA\nAB\n--- " + b"A" * 43 + b"\n",  # last bits
        b"age-encryption.org/v1\n-> X25519  AAAA\n\n--- " + b"A" * 43 + b"\n",  # empty arg
        b"age-encryption.org/v1\n->\n\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n--- " + b"A" * 43 + b"\n",  # no stanza
        b"age-encryption.org/v1\n-> X25519 AAAA\n" + b"A" * 65 + b"\n\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n-> X25519 AAAA\n" + b"A" * 64 + b"\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n-> a\n\n---  " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n-> a\n\n--- " + b"A" * 42 + b"B\n",  # MAC not canonical
        b"age-encryption.org/v1\r\n-> a\n\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v2\n-> a\n\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n-> a\xff\n\n--- " + b"A" * 43 + b"\n",
        b"age-encryption.org/v1\n-> a\n\n--- " + b"A" * 43,  # no LF
    ],
)
def test_header_syntax(identity: Identity, header: bytes) -> None:
    error = pytest.raises(AgeCorrupt, _decrypt, header + bytes(32), identities=[identity]).value
    assert error.detail.startswith("header:"), error.detail


def test_huge_header_is_refused(identity: Identity) -> None:
    grease = (b"-> grease\n" + b"A" * 64 + b"\nAAAA\n") * 15000
    error = pytest.raises(AgeError, _decrypt, b"age-encryption.org/v1\n" + grease,
                          identities=[identity]).value
    assert isinstance(error, AgeLimit)


# --- scrypt work factor -----------------------------------------------------------------------


def test_work_factor_40_refused_before_any_work() -> None:
    blob = _craft(FILE_KEY, _scrypt_stanza(FILE_KEY, b"pw", b"40"), [(b"x", True)])
    start = time.perf_counter()
    with pytest.raises(AgeLimit) as info:
        _decrypt(blob, passphrase="pw")
    assert time.perf_counter() - start < 1.0
    assert info.value.code == "limit"


@pytest.mark.parametrize("digits", [b"23", b"99", b"100", b"9223372036854775818", b"9" * 5000])
def test_work_factor_above_default_maximum(digits: bytes) -> None:
    blob = _craft(FILE_KEY, _scrypt_stanza(FILE_KEY, b"pw", digits), [(b"x", True)])
    start = time.perf_counter()
    assert _outcome(blob, passphrase="pw")[0] is AgeLimit
    assert time.perf_counter() - start < 1.0


def test_max_work_factor_is_the_callers() -> None:
    blob = _encrypt(b"x", passphrase="pw", work_factor=10)
    assert _outcome(blob, passphrase="pw", max_work_factor=9)[0] is AgeLimit
    assert _decrypt(blob, passphrase="pw", max_work_factor=10) == b"x"


@pytest.mark.parametrize("text", [b"0", b"010", b"+10", b"-1", b"0xa", b"1e1", b"10 ", b"\xd9\xa1"])
def test_work_factor_syntax(text: bytes) -> None:
    stanza = _scrypt_stanza(FILE_KEY, b"pw", b"10").replace(b" 10\n", b" " + text + b"\n")
    blob = _craft(FILE_KEY, stanza, [(b"x", True)])
    assert _outcome(blob, passphrase="pw")[0] is AgeCorrupt


# --- armor ------------------------------------------------------------------------------------


def _armor(blob: bytes, eol: bytes = b"\n") -> bytes:
    text = base64.b64encode(blob)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return eol.join([b"-----BEGIN AGE ENCRYPTED FILE-----", *lines,
                     b"-----END AGE ENCRYPTED FILE-----", b""])


@pytest.mark.parametrize("size", [0, 1, CHUNK + 1, 3 * CHUNK])
def test_armored_input(identity: Identity, size: int) -> None:
    data = _plain(size)
    blob = _encrypt(data, recipients=[identity.recipient()])
    assert _decrypt(_armor(blob), identities=[identity]) == data
    assert _decrypt(_armor(blob, b"\r\n"), identities=[identity]) == data
    assert _decrypt(b"\n \t\n" + _armor(blob) + b"\n\n", identities=[identity]) == data


def test_armor_is_strict(identity: Identity) -> None:
    armored = _armor(_encrypt(_plain(500), recipients=[identity.recipient()]))
    lines = armored.split(b"\n")
    variants = [
        armored + b"x",
        b"x" + armored,
        armored.replace(b"-----BEGIN", b"-----begin"),
        b"\n".join([lines[0], b"", *lines[1:]]),
        b"\n".join([*lines[:2], lines[2] + b" ", *lines[3:]]),
        b"\n".join([lines[0], lines[1][:60], lines[1][60:], *lines[2:]]),
        armored.replace(b"-----END AGE ENCRYPTED FILE-----\n", b""),
        armored + b" " * 2000,
    ]
    for variant in variants:
        error = pytest.raises(AgeCorrupt, _decrypt, variant, identities=[identity]).value
        assert error.detail.startswith("armor:"), error.detail


# --- streams, progress, cancel, memory --------------------------------------------------------


class _Trickle(io.RawIOBase):
    """A source that hands out at most 7 bytes per read, like a slow pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        view = memoryview(buffer)  # type: ignore[arg-type]
        n = min(7, len(view), len(self._data))
        view[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


class _ReadOnly:
    """Only .read(): no readinto, no seek."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(min(size, 1000))


def test_short_reads_and_read_only_sources(identity: Identity) -> None:
    data = _plain(CHUNK + 3)
    blob = io.BytesIO()
    encrypt(_Trickle(data), blob, recipients=[identity.recipient()])  # type: ignore[arg-type]
    out = io.BytesIO()
    decrypt(_Trickle(blob.getvalue()), out, identities=[identity])  # type: ignore[arg-type]
    assert out.getvalue() == data
    out = io.BytesIO()
    decrypt(_ReadOnly(blob.getvalue()), out, identities=[identity])  # type: ignore[arg-type]
    assert out.getvalue() == data


def test_progress_reports_totals(identity: Identity) -> None:
    size = 40 * CHUNK + 5
    calls: list[tuple[int, int | None]] = []
    blob = io.BytesIO()
    encrypt(io.BytesIO(_plain(size)), blob, recipients=[identity.recipient()],
            progress=lambda done, total, message="": calls.append((done, total)))
    assert calls[-1] == (size, size)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    calls.clear()
    decrypt(io.BytesIO(blob.getvalue()), io.BytesIO(), identities=[identity],
            progress=lambda done, total, message="": calls.append((done, total)))
    assert calls[-1] == (size, size)
    assert len(calls) < 10  # throttled to every 1 MiB


def test_cancel(identity: Identity) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        encrypt(io.BytesIO(b"x"), io.BytesIO(), recipients=[identity.recipient()], cancel=token)
    blob = _encrypt(_plain(40 * CHUNK), recipients=[identity.recipient()])
    token = CancelToken()
    out = io.BytesIO()
    with pytest.raises(Cancelled):
        decrypt(io.BytesIO(blob), out, identities=[identity], cancel=token,
                progress=lambda done, total, message="": token.cancel())
    assert 0 < len(out.getvalue()) < 40 * CHUNK


class _Pattern(io.RawIOBase):
    """size bytes of a repeating pattern, generated on demand."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._block = _plain(CHUNK, 9)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        view = memoryview(buffer)  # type: ignore[arg-type]
        n = min(len(view), self._left, CHUNK)
        view[:n] = self._block[:n]
        self._left -= n
        return n


class _Hasher(io.RawIOBase):
    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        self.sha256.update(view)
        return view.nbytes


def test_memory_stays_flat(identity: Identity, tmp_path: Path) -> None:
    size = 64 * 1024 * 1024
    expected = hashlib.sha256()
    source = _Pattern(size)
    while block := source.read(CHUNK):
        expected.update(block)
    path = tmp_path / "big.age"
    tracemalloc.start()
    try:
        with open(path, "wb") as dst:
            encrypt(_Pattern(size), dst, recipients=[identity.recipient()])
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sink = _Hasher()
        with open(path, "rb") as src:
            decrypt(src, sink, identities=[identity])
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.sha256.digest() == expected.digest()
    # Flat: a 64 MiB payload needs the same few buffers as any other (encryption keeps a
    # dozen 1 MiB blocks in flight between its reading, encrypting and writing threads).
    assert encrypt_peak < 16 * 1024 * 1024, encrypt_peak
    assert decrypt_peak < 4 * 1024 * 1024, decrypt_peak


# --- usage ------------------------------------------------------------------------------------


def test_usage_errors(identity: Identity) -> None:
    r = identity.recipient()
    bad: list[dict[str, object]] = [
        {},
        {"recipients": [r], "passphrase": "pw"},
        {"passphrase": ""},
        {"passphrase": "pw", "work_factor": 0},
        {"passphrase": "pw", "work_factor": 23},
        {"recipients": [r, HybridIdentity.generate().recipient()]},
        {"recipients": [str(r)]},
        {"passphrase": "\udcff"},
    ]
    for options in bad:
        with pytest.raises(UsageError):
            _encrypt(b"x", **options)
    blob = _encrypt(b"x", recipients=[r])
    for options in ({}, {"identities": [r]}, {"identities": [identity], "max_work_factor": 31},
                    {"identities": [identity], "max_work_factor": 0}):
        with pytest.raises(UsageError):
            _decrypt(blob, **options)


# --- Bech32 (BIP-173 test vectors) ------------------------------------------------------------

BIP173_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11" + "q" * 82 + "c8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]

BIP173_INVALID = [
    "\x20" + "1nwldj5",  # HRP character out of range
    "\x7f" + "1axkwrx",
    "\x80" + "1eym55h",
    "pzry9x0s0muk",  # no separator
    "1pzry9x0s0muk",  # empty HRP
    "x1b4n0q5v",  # invalid data character
    "li1dgmt3",  # checksum too short
    "de1lg7wt\xff",  # invalid character in checksum
    "A1G7SGD8",  # checksum computed with the upper-case HRP
    "10a06t8",  # empty HRP
    "1qzzfhee",  # empty HRP
]


@pytest.mark.parametrize("text", BIP173_VALID)
def test_bech32_valid(text: str) -> None:
    hrp, data = bech32_decode(text)
    assert hrp == text[: text.rfind("1")]
    assert bech32_encode(hrp, data) == text


@pytest.mark.parametrize("text", BIP173_INVALID)
def test_bech32_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        bech32_decode(text)


def test_bech32_has_no_length_limit() -> None:
    """BIP-173 rejects this one for its 90-character limit only; age lifts that limit."""
    text = "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx"
    assert bech32_decode(text) == (text[:-7], b"")
    long = bech32_encode("age1pq", bytes(1216))
    assert bech32_decode(long) == ("age1pq", bytes(1216))


def _bech32_raw(hrp: str, values: list[int]) -> str:
    """A string with a valid checksum over arbitrary 5-bit values (BIP-173 reference code)."""
    def polymod(items: list[int]) -> int:
        chk = 1
        for v in items:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ v
            for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
                chk ^= g if (top >> i) & 1 else 0
        return chk

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + values + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join("qpzry9x8gf2tvdw0s3jn54khce6mua7l"[v] for v in values + checksum)


def test_bech32_rejects_mixed_case_and_bad_padding() -> None:
    with pytest.raises(ValueError):
        bech32_decode("A12uEL5L")
    assert bech32_decode(_bech32_raw("a", [1, 0])) == ("a", b"\x08")
    with pytest.raises(ValueError):  # non-zero padding bits
        bech32_decode(_bech32_raw("a", [1, 1]))
    with pytest.raises(ValueError):  # 15 bits: a whole 5-bit group of padding
        bech32_decode(_bech32_raw("a", [0, 0, 0]))


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20), st.binary(max_size=200))
def test_bech32_round_trip(hrp: str, data: bytes) -> None:
    assert bech32_decode(bech32_encode(hrp, data)) == (hrp, data)
    upper = bech32_encode(hrp.upper(), data)
    assert upper == upper.upper()
    assert bech32_decode(upper) == (hrp.upper(), data)


# --- property tests: hostile bytes raise only our errors, quickly -----------------------------

PROPERTY = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),  # bounded time per input, scrypt included (work factor ≤ 12)
    suppress_health_check=[HealthCheck.too_slow],
)
PROPERTY_KEY = Identity.generate()
PROPERTY_PQ = HybridIdentity.generate()
PROPERTY_DATA = _plain(CHUNK + 50, 3)
PROPERTY_FILES = [
    _encrypt(b"small", recipients=[PROPERTY_KEY.recipient()]),
    _encrypt(PROPERTY_DATA, recipients=[PROPERTY_KEY.recipient()]),
    _encrypt(b"pass", passphrase="pw", work_factor=10),
    _encrypt(b"hybrid", recipients=[PROPERTY_PQ.recipient()]),
]
PROPERTY_PLAIN = [b"small", PROPERTY_DATA, b"pass", b"hybrid"]


def _check_hostile(blob: bytes) -> None:
    out = io.BytesIO()
    try:
        decrypt(io.BytesIO(blob), out, identities=[PROPERTY_KEY, PROPERTY_PQ], passphrase="pw",
                max_work_factor=12)
    except ALLOWED:
        return
    # Only an intact file decrypts; anything else would be a forgery.
    assert out.getvalue() in PROPERTY_PLAIN


@PROPERTY
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(blob: bytes) -> None:
    _check_hostile(blob)


_LINE = st.one_of(
    st.just(b"-> X25519 " + _b64(bytes(32)) + b"\n"),
    st.builds(lambda a: b"-> " + a + b"\n", st.binary(max_size=80)),
    st.builds(lambda s, w: b"-> scrypt " + s + b" " + w + b"\n",
              st.sampled_from([_b64(bytes(16)), b"AAAA", b""]),
              st.sampled_from([b"10", b"12", b"13", b"40", b"010", b"99999999999999999999"])),
    st.builds(lambda a: b"-> mlkem768x25519 " + a + b"\n",
              st.sampled_from([_b64(bytes(1120)), _b64(bytes(1119)), b"AA"])),
    st.builds(lambda n: _b64(bytes(48))[:n] + b"\n", st.integers(0, 64)),
    st.builds(lambda m: b"--- " + m + b"\n", st.sampled_from([_b64(bytes(32)), b"A" * 43, b"A"])),
    st.binary(max_size=70),
)


@PROPERTY
@given(st.lists(_LINE, max_size=12), st.binary(max_size=300))
def test_structured_headers(lines: list[bytes], tail: bytes) -> None:
    _check_hostile(b"age-encryption.org/v1\n" + b"".join(lines) + tail)


@PROPERTY
@given(
    st.lists(st.one_of(st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=", max_size=70).map(str.encode),
                       st.sampled_from([b"", b" ", b"\r", b"-----END AGE ENCRYPTED FILE-----"])),
             max_size=20),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_armor_lines(lines: list[bytes], eol: bytes) -> None:
    _check_hostile(eol.join([b"-----BEGIN AGE ENCRYPTED FILE-----", *lines]))


_MUTATION = st.tuples(
    st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]),
    st.integers(min_value=0),
    st.integers(min_value=1, max_value=255),
    st.binary(min_size=1, max_size=20),
)


def _mutate(blob: bytes, mutations: list[tuple[str, int, int, bytes]]) -> bytes:
    data = bytearray(blob)
    for kind, where, amount, extra in mutations:
        pos = where % (len(data) + 1)
        if kind == "flip" and pos < len(data):
            data[pos] ^= amount
        elif kind == "delete":
            del data[pos : pos + amount]
        elif kind == "insert":
            data[pos:pos] = extra
        elif kind == "truncate":
            del data[pos:]
        elif kind == "duplicate":
            data[pos:pos] = data[pos : pos + amount]
    return bytes(data)


@PROPERTY
@given(st.integers(0, len(PROPERTY_FILES) - 1), st.lists(_MUTATION, min_size=1, max_size=4),
       st.booleans())
def test_mutated_files(which: int, mutations: list[tuple[str, int, int, bytes]], armored: bool) -> None:
    original = PROPERTY_FILES[which]
    blob = _mutate(original, mutations)
    if armored:
        blob = _armor(blob)
    out = io.BytesIO()
    try:
        decrypt(io.BytesIO(blob), out, identities=[PROPERTY_KEY, PROPERTY_PQ], passphrase="pw",
                max_work_factor=12)
    except ALLOWED:
        assert PROPERTY_PLAIN[which].startswith(out.getvalue())  # only authentic chunks leave
        return
    assert out.getvalue() == PROPERTY_PLAIN[which]
