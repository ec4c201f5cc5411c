"""age v1 file encryption, built on `cryptography` primitives.

This is the outer container of an exported package: a file that the ``age`` tool (any OS) or
this app opens. It implements the C2SP age format (https://age-encryption.org/v1,
c2sp.org/age):

* recipients: X25519 (``age1…`` / ``AGE-SECRET-KEY-1…``), the post-quantum hybrid
  MLKEM768-X25519 (``age1pq1…`` / ``AGE-SECRET-KEY-PQ-1…``), and scrypt passphrases;
* the payload: STREAM-encrypted with ChaCha20-Poly1305 in 64 KiB chunks, so memory stays flat
  whatever the size;
* the optional ASCII armor (strict PEM, ``-----BEGIN AGE ENCRYPTED FILE-----``) is read, never
  written.

It passes every vector in C2SP/CCTV ``age/testdata`` (``tests/vectors/test_age_cctv.py``).

Errors are :class:`AgeWrongKey` (nothing in the header opens with the given keys or
passphrase), :class:`AgeCorrupt` (damaged, truncated or altered; ``detail`` names the stage:
``armor:``, ``header:``, ``hmac:`` or ``payload:``), :class:`AgeLimit` (the file asks for more
work than we allow, such as an scrypt work factor of 2^40) and :class:`AgeBadKey` (a key string
that is not a key). No other exception escapes :func:`decrypt` whatever the input bytes, except
``OSError`` from the streams themselves and :class:`~bundler.errors.Cancelled`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac as std_hmac
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bundler.errors import BundlerError, LimitExceeded, PackageCorrupt, PackageWrongKey, UsageError
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.hpke import (
        MLKEM768X25519PrivateKey,
        MLKEM768X25519PublicKey,
        Suite,
    )

__all__ = [
    "DEFAULT_MAX_WORK_FACTOR",
    "DEFAULT_WORK_FACTOR",
    "AgeBadKey",
    "AgeCorrupt",
    "AgeError",
    "AgeLimit",
    "AgeWrongKey",
    "HybridIdentity",
    "HybridRecipient",
    "Identity",
    "Recipient",
    "bech32_decode",
    "bech32_encode",
    "decrypt",
    "encrypt",
    "keygen",
    "parse_identities",
    "parse_recipient",
]

_log = logging.getLogger(__name__)

DEFAULT_WORK_FACTOR: Final = 18
"""log2 of the scrypt N we encrypt with: age's default, about one second on a laptop."""
DEFAULT_MAX_WORK_FACTOR: Final = 22
"""The largest scrypt work factor we compute when decrypting, as age (2^22 × 1 KiB = 4 GiB)."""
_WORK_FACTOR_CEILING: Final = 30  # the cap on max_work_factor itself: 2^30 KiB = 1 TiB

_BINARY_MAGIC: Final = b"age-encryption.org/"
_VERSION_LINE: Final = _BINARY_MAGIC + b"v1\n"
_FILE_KEY_SIZE: Final = 16
_NONCE_SIZE: Final = 16
_TAG_SIZE: Final = 16
_CHUNK: Final = 64 * 1024
_ENC_CHUNK: Final = _CHUNK + _TAG_SIZE
_ZERO_NONCE: Final = bytes(12)
_X25519_INFO: Final = b"age-encryption.org/v1/X25519"
_SCRYPT_LABEL: Final = b"age-encryption.org/v1/scrypt"
_PQ_LABEL: Final = b"age-encryption.org/mlkem768x25519"
_PQ_ENC_SIZE: Final = 1120  # ML-KEM-768 ciphertext (1088) || X25519 share (32)
_PQ_PUBLIC_SIZE: Final = 1216  # ML-KEM-768 encapsulation key (1184) || X25519 key (32)
_WORK_FACTOR_RE: Final = re.compile(r"[1-9][0-9]*")  # spec: decimal, no sign, no leading zero

# Hostile headers: no real header line is near 64 KiB (a hybrid stanza's is 1.5 KiB), and
# 1 MiB holds hundreds of stanzas; each stanza costs a trial decryption per identity.
_MAX_HEADER_LINE: Final = 64 * 1024
_MAX_HEADER: Final = 1024 * 1024
_IO_BLOCK: Final = 8 * 1024

_ARMOR_BEGIN: Final = b"-----BEGIN AGE ENCRYPTED FILE-----"
_ARMOR_END: Final = b"-----END AGE ENCRYPTED FILE-----"
_ARMOR_COLUMNS: Final = 64
_ARMOR_MAX_WHITESPACE: Final = 1024  # before and after the PEM block, as age

# Chunks per read, encryption pass and write (1 MiB): few enough calls that a writing or
# hashing thread rarely waits for the GIL, small enough to keep memory flat.
_BLOCK_CHUNKS: Final = 16
_PIPELINE_DEPTH: Final = 6  # blocks in flight between reading, encrypting and writing (absorbs disk stalls)


# --- errors -----------------------------------------------------------------------------------


class AgeError(BundlerError):
    """Root of the age errors.

    ``detail`` says exactly what failed, for logs and tests; it never carries patient data and
    is never shown to the user (``user_message`` is).
    """

    code = "age"
    default_message: ClassVar[str] = "The package could not be opened."

    def __init__(self, user_message: str | None = None, *, detail: str = "") -> None:
        super().__init__(self.default_message if user_message is None else user_message)
        self.detail = detail


class AgeWrongKey(AgeError, PackageWrongKey):
    """No identity or passphrase given opens any recipient stanza of the file."""

    code = "wrong_key"
    default_message = "The passphrase or key does not open this package."


class AgeCorrupt(AgeError, PackageCorrupt):
    """The file is damaged, truncated, has trailing data, or was altered (a MAC failed)."""

    code = "corrupt"
    default_message = "The package is damaged or was altered."


class AgeLimit(AgeError, LimitExceeded):
    """The file asks for more work than we allow (scrypt work factor, header size)."""

    code = "limit"
    default_message = "This package asks for more computing work to open than this app allows."


class AgeBadKey(AgeError):
    """A key or recipient string is not a valid age key."""

    code = "bad_key"
    default_message = "This is not a valid age key."


# --- Bech32 (BIP-173, without its length limits, as the age spec says) ----------------------

_BECH32_ALPHABET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_VALUES: Final = {c: i for i, c in enumerate(_BECH32_ALPHABET)}
_BECH32_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _bech32_polymod(values: Sequence[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, generator in enumerate(_BECH32_GENERATOR):
            if (top >> i) & 1:
                chk ^= generator
    return chk


def _bech32_hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: Sequence[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    max_acc = (1 << (from_bits + to_bits - 1)) - 1
    for value in data:
        acc = ((acc << from_bits) | value) & max_acc
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits or (acc << (to_bits - bits)) & max_value:
        raise ValueError("invalid padding")
    return out


def _check_bech32_chars(text: str) -> None:
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise ValueError("character out of range")
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed case")


def bech32_encode(hrp: str, data: bytes) -> str:
    """Encode ``data`` as Bech32 with human-readable part ``hrp``.

    Parameters
    ----------
    hrp
        The human-readable part; an upper-case ``hrp`` gives an upper-case string (the checksum
        is always computed over the lower-case form).
    data
        Any number of bytes: age lifts BIP-173's 90-character limit.

    Returns
    -------
    str
        ``hrp`` + ``"1"`` + data and checksum characters.

    Raises
    ------
    ValueError
        ``hrp`` is empty, mixed-case, or has characters outside ASCII 33–126.
    """
    if not hrp:
        raise ValueError("empty human-readable part")
    _check_bech32_chars(hrp)
    lower = hrp.lower()
    values = _convert_bits(data, 8, 5, pad=True)
    poly = _bech32_polymod(_bech32_hrp_expand(lower) + values + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    text = lower + "1" + "".join(_BECH32_ALPHABET[v] for v in values + checksum)
    return text.upper() if hrp != lower else text


def bech32_decode(text: str) -> tuple[str, bytes]:
    """Decode a Bech32 string.

    Parameters
    ----------
    text
        All upper case or all lower case; no length limit (age).

    Returns
    -------
    tuple[str, bytes]
        The human-readable part, in the case it was written, and the data bytes.

    Raises
    ------
    ValueError
        Bad characters, mixed case, misplaced separator, bad checksum, or non-zero padding.
    """
    _check_bech32_chars(text)
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise ValueError("separator misplaced")
    lower = text.lower()
    try:
        values = [_BECH32_VALUES[c] for c in lower[pos + 1 :]]
    except KeyError:
        raise ValueError("invalid data character") from None
    if _bech32_polymod(_bech32_hrp_expand(lower[:pos]) + values) != 1:
        raise ValueError("invalid checksum")
    return text[:pos], bytes(_convert_bits(values[:-6], 5, 8, pad=False))


# --- primitives -------------------------------------------------------------------------------


def _b64encode(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _b64decode(text: bytes) -> bytes:
    """Unpadded canonical base64 (spec, Conventions); ``ValueError`` for anything else."""
    if b"=" in text or len(text) % 4 == 1:
        raise ValueError("padded or impossible base64 length")
    data = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    if _b64encode(data) != text:  # the unused bits of the last character must be zero
        raise ValueError("non-canonical base64")
    return data


def _hkdf(ikm: bytes, *, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _aead_open(key: bytes, body: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def _header_mac(file_key: bytes, header: bytes) -> crypto_hmac.HMAC:
    mac = crypto_hmac.HMAC(_hkdf(file_key, salt=b"", info=b"header"), hashes.SHA256())
    mac.update(header)
    return mac


def _decode_arg(arg: str, size: int, what: str) -> bytes:
    try:
        data = _b64decode(arg.encode("ascii"))
    except ValueError:
        raise AgeCorrupt(detail=f"header: {what} is not canonical base64") from None
    if len(data) != size:
        raise AgeCorrupt(detail=f"header: {what} is not {size} bytes")
    return data


def _utf8(passphrase: str) -> bytes:
    try:
        return passphrase.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("The passphrase contains characters that cannot be used.") from None


def _hpke_suite() -> Suite:
    # Imported here: cryptography ≥ 47 with an ML-KEM backend is needed only for hybrid keys.
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
        from cryptography.hazmat.primitives import hpke
    except ImportError:
        raise AgeBadKey(detail="post-quantum keys need cryptography >= 47") from None
    if not backend.mlkem_supported():
        raise AgeBadKey(detail="post-quantum keys need an ML-KEM capable cryptography backend")
    return hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


@dataclass(frozen=True, slots=True)
class _Stanza:
    """One recipient stanza: ``args[0]`` is its type, ``body`` the decoded body."""

    args: tuple[str, ...]
    body: bytes


# --- keys -------------------------------------------------------------------------------------



def _decode_key(text: str, hrp: str, wrong_kind: str) -> bytes:
    """The payload of a Bech32 key string with the expected human-readable part, or AgeBadKey."""
    what = wrong_kind.split(":", 1)[0]
    try:
        found, data = bech32_decode(text.strip())
    except ValueError as exc:
        raise AgeBadKey(detail=f"{what}: {exc}") from None
    if found != hrp:
        raise AgeBadKey(detail=wrong_kind)
    return data


class Recipient:
    """An X25519 age recipient (a public key, ``age1…``).

    Parameters
    ----------
    public_key
        The 32-byte X25519 public key.
    """

    __slots__ = ("_raw",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != 32:
            raise AgeBadKey(detail="X25519 public key is not 32 bytes")
        self._raw = bytes(public_key)

    @classmethod
    def parse(cls, text: str) -> Recipient:
        """Parse ``age1…`` (lower case, as age writes it); :class:`AgeBadKey` otherwise."""
        return cls(_decode_key(text, "age", "recipient: not an age1 X25519 recipient"))

    @property
    def public_bytes(self) -> bytes:
        """The raw 32-byte public key."""
        return self._raw

    def __str__(self) -> str:
        return bech32_encode("age", self._raw)

    def __repr__(self) -> str:
        return f"Recipient({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipient) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(("X25519", self._raw))

    def _wrap(self, file_key: bytes) -> _Stanza:
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes_raw()
        try:
            shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(self._raw))
        except ValueError:  # a low-order point: every sender would share the same secret
            raise AgeBadKey(detail="recipient is a low-order point") from None
        wrap_key = _hkdf(shared, salt=share + self._raw, info=_X25519_INFO)
        body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
        return _Stanza(("X25519", _b64encode(share).decode("ascii")), body)


class Identity:
    """An X25519 age identity (a secret key, ``AGE-SECRET-KEY-1…``).

    ``repr()`` shows only the public recipient, never the secret.

    Parameters
    ----------
    secret
        The 32-byte X25519 secret scalar.
    """

    __slots__ = ("_key", "_public", "_secret")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise AgeBadKey(detail="X25519 secret key is not 32 bytes")
        self._secret = bytes(secret)
        self._key = X25519PrivateKey.from_private_bytes(self._secret)
        self._public = self._key.public_key().public_bytes_raw()

    @classmethod
    def generate(cls) -> Identity:
        """A new random identity."""
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Parse ``AGE-SECRET-KEY-1…`` (upper case, as age writes it); else :class:`AgeBadKey`."""
        return cls(_decode_key(text, "AGE-SECRET-KEY-", "identity: not an AGE-SECRET-KEY-1 X25519 identity"))

    def to_string(self) -> str:
        """The ``AGE-SECRET-KEY-1…`` encoding (this is the secret: keep it out of logs)."""
        return bech32_encode("AGE-SECRET-KEY-", self._secret)

    def recipient(self) -> Recipient:
        """The public recipient that files for this identity are encrypted to."""
        return Recipient(self._public)

    def __repr__(self) -> str:
        return f"Identity(recipient={str(self.recipient())!r})"

    def _unwrap(self, stanza: _Stanza) -> bytes | None:
        # spec, "X25519 recipient stanza"
        if stanza.args[0] != "X25519":
            return None
        if len(stanza.args) != 2:
            raise AgeCorrupt(detail="header: X25519 stanza does not have exactly two arguments")
        share = _decode_arg(stanza.args[1], 32, "X25519 share")
        if len(stanza.body) != _FILE_KEY_SIZE + _TAG_SIZE:
            raise AgeCorrupt(detail="header: X25519 stanza body is not 32 bytes")
        try:
            shared = self._key.exchange(X25519PublicKey.from_public_bytes(share))
        except ValueError:  # OpenSSL refuses the all-zero result of a low-order point
            raise AgeCorrupt(detail="header: X25519 share is a low-order point") from None
        if std_hmac.compare_digest(shared, bytes(32)):
            raise AgeCorrupt(detail="header: X25519 shared secret is all zero")
        wrap_key = _hkdf(shared, salt=share + self._public, info=_X25519_INFO)
        return _aead_open(wrap_key, stanza.body)


class HybridRecipient:
    """A post-quantum hybrid MLKEM768-X25519 recipient (``age1pq1…``).

    Files encrypted to it open with age ≥ 1.3 or this app, not with older age releases.

    Parameters
    ----------
    public_key
        The 1216-byte public key: ML-KEM-768 encapsulation key, then X25519 public key.
    """

    __slots__ = ("_key", "_raw")

    def __init__(self, public_key: bytes) -> None:
        _hpke_suite()  # first: it explains a cryptography too old for the imports below
        from cryptography.hazmat.primitives import hpke
        from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PublicKey

        if len(public_key) != _PQ_PUBLIC_SIZE:
            raise AgeBadKey(detail="hybrid public key is not 1216 bytes")
        self._raw = bytes(public_key)
        try:
            self._key: MLKEM768X25519PublicKey = hpke.MLKEM768X25519PublicKey(
                MLKEM768PublicKey.from_public_bytes(self._raw[:1184]),
                X25519PublicKey.from_public_bytes(self._raw[1184:]),
            )
        except ValueError:
            raise AgeBadKey(detail="hybrid public key is invalid") from None

    @classmethod
    def parse(cls, text: str) -> HybridRecipient:
        """Parse ``age1pq1…``; :class:`AgeBadKey` otherwise."""
        return cls(_decode_key(text, "age1pq", "recipient: not an age1pq1 hybrid recipient"))

    @property
    def public_bytes(self) -> bytes:
        """The raw 1216-byte public key."""
        return self._raw

    def __str__(self) -> str:
        return bech32_encode("age1pq", self._raw)

    def __repr__(self) -> str:
        return f"HybridRecipient({str(self)[:20]!r}…)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HybridRecipient) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(("mlkem768x25519", self._raw))

    def _wrap(self, file_key: bytes) -> _Stanza:
        # spec, "mlkem768x25519 recipient stanza": HPKE SealBase, aad empty
        sealed = _hpke_suite().encrypt(file_key, self._key, info=_PQ_LABEL)
        enc, body = sealed[:_PQ_ENC_SIZE], sealed[_PQ_ENC_SIZE:]
        return _Stanza(("mlkem768x25519", _b64encode(enc).decode("ascii")), body)


class HybridIdentity:
    """A post-quantum hybrid MLKEM768-X25519 identity (``AGE-SECRET-KEY-PQ-1…``).

    Parameters
    ----------
    seed
        The 32-byte seed; the ML-KEM-768 and X25519 keys are expanded from it with SHAKE256
        (draft-ietf-hpke-pq, MLKEM768-X25519).
    """

    __slots__ = ("_key", "_public", "_seed", "_x25519")

    def __init__(self, seed: bytes) -> None:
        _hpke_suite()
        from cryptography.hazmat.primitives import hpke
        from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey

        if len(seed) != 32:
            raise AgeBadKey(detail="hybrid identity seed is not 32 bytes")
        self._seed = bytes(seed)
        expanded = hashlib.shake_256(self._seed).digest(96)
        mlkem = MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        x25519 = X25519PrivateKey.from_private_bytes(expanded[64:])
        self._x25519 = x25519
        self._key: MLKEM768X25519PrivateKey = hpke.MLKEM768X25519PrivateKey(mlkem, x25519)
        self._public = (
            mlkem.public_key().public_bytes_raw() + x25519.public_key().public_bytes_raw()
        )

    @classmethod
    def generate(cls) -> HybridIdentity:
        """A new random identity."""
        return cls(os.urandom(32))

    @classmethod
    def parse(cls, text: str) -> HybridIdentity:
        """Parse ``AGE-SECRET-KEY-PQ-1…``; :class:`AgeBadKey` otherwise."""
        return cls(_decode_key(text, "AGE-SECRET-KEY-PQ-", "identity: not an AGE-SECRET-KEY-PQ-1 hybrid identity"))

    def to_string(self) -> str:
        """The ``AGE-SECRET-KEY-PQ-1…`` encoding (the secret: keep it out of logs)."""
        return bech32_encode("AGE-SECRET-KEY-PQ-", self._seed)

    def recipient(self) -> HybridRecipient:
        """The public recipient that files for this identity are encrypted to."""
        return HybridRecipient(self._public)

    def __repr__(self) -> str:
        return f"HybridIdentity(recipient={str(self.recipient())[:20]!r}…)"

    def _unwrap(self, stanza: _Stanza) -> bytes | None:
        if stanza.args[0] != "mlkem768x25519":
            return None
        if len(stanza.args) != 2:
            raise AgeCorrupt(detail="header: mlkem768x25519 stanza does not have two arguments")
        enc = _decode_arg(stanza.args[1], _PQ_ENC_SIZE, "mlkem768x25519 encapsulated key")
        if len(stanza.body) != _FILE_KEY_SIZE + _TAG_SIZE:
            raise AgeCorrupt(detail="header: mlkem768x25519 stanza body is not 32 bytes")
        # The X25519 half of enc must not be a low-order point (all-zero shared secret). The
        # HPKE layer would only report that as a failed tag, i.e. "not for us"; age calls it a
        # malformed header (CCTV hybrid_low_order, hybrid_identity), so check it first.
        try:
            shared = self._x25519.exchange(X25519PublicKey.from_public_bytes(enc[-32:]))
        except ValueError:
            raise AgeCorrupt(detail="header: mlkem768x25519 share is a low-order point") from None
        if std_hmac.compare_digest(shared, bytes(32)):
            raise AgeCorrupt(detail="header: mlkem768x25519 shared secret is all zero")
        try:
            return _hpke_suite().decrypt(enc + stanza.body, self._key, info=_PQ_LABEL)
        except InvalidTag:  # ML-KEM rejects implicitly: a foreign stanza fails here
            return None
        except ValueError:
            raise AgeCorrupt(detail="header: mlkem768x25519 encapsulated key is invalid") from None


class _Passphrase:
    """The scrypt identity (spec, "scrypt recipient stanza")."""

    __slots__ = ("_max_work_factor", "_secret")

    def __init__(self, passphrase: str, max_work_factor: int) -> None:
        self._secret = _utf8(passphrase)
        self._max_work_factor = max_work_factor

    def _unwrap(self, stanza: _Stanza) -> bytes | None:
        if stanza.args[0] != "scrypt":
            return None
        if len(stanza.args) != 3:
            raise AgeCorrupt(detail="header: scrypt stanza does not have exactly three arguments")
        salt = _decode_arg(stanza.args[1], 16, "scrypt salt")
        text = stanza.args[2]
        if not _WORK_FACTOR_RE.fullmatch(text):
            raise AgeCorrupt(detail="header: scrypt work factor is not a plain decimal")
        if len(stanza.body) != _FILE_KEY_SIZE + _TAG_SIZE:
            raise AgeCorrupt(detail="header: scrypt stanza body is not 32 bytes")
        # Checked before any work (and before int(): a hostile header may hold 60 000 digits).
        if len(text) > 2 or int(text) > self._max_work_factor:
            raise AgeLimit(detail=f"header: scrypt work factor above {self._max_work_factor}")
        key = Scrypt(
            salt=_SCRYPT_LABEL + salt, length=32, n=1 << int(text), r=8, p=1
        ).derive(self._secret)
        return _aead_open(key, stanza.body)


def _scrypt_stanza(file_key: bytes, passphrase: bytes, work_factor: int) -> _Stanza:
    salt = os.urandom(16)
    key = Scrypt(salt=_SCRYPT_LABEL + salt, length=32, n=1 << work_factor, r=8, p=1).derive(
        passphrase
    )
    body = ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)
    return _Stanza(("scrypt", _b64encode(salt).decode("ascii"), str(work_factor)), body)


def parse_recipient(text: str) -> Recipient | HybridRecipient:
    """Parse an ``age1…`` or ``age1pq1…`` recipient; :class:`AgeBadKey` otherwise."""
    if text.strip().startswith("age1pq1"):
        return HybridRecipient.parse(text)
    return Recipient.parse(text)


def parse_identities(text: str) -> list[Identity | HybridIdentity]:
    """Parse an identity file as ``age-keygen`` writes it.

    Parameters
    ----------
    text
        One ``AGE-SECRET-KEY-…`` per line; blank lines and ``#`` comments are skipped.

    Returns
    -------
    list[Identity | HybridIdentity]
        In file order.

    Raises
    ------
    AgeBadKey
        A line is not a key, or there is no key at all.
    """
    found: list[Identity | HybridIdentity] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("AGE-SECRET-KEY-PQ-"):
            found.append(HybridIdentity.parse(line))
        else:
            found.append(Identity.parse(line))
    if not found:
        raise AgeBadKey(detail="no identity in the text")
    return found


def keygen() -> tuple[str, str]:
    """Generate an X25519 identity, formatted as ``age-keygen`` writes a key file.

    Returns
    -------
    tuple[str, str]
        The secret text (``# created:`` and ``# public key:`` comment lines, then the
        ``AGE-SECRET-KEY-1…`` line, newline-terminated) and the public ``age1…`` string.
    """
    identity = Identity.generate()
    public = str(identity.recipient())
    created = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    if created.endswith("+00:00"):  # Go's RFC 3339 writes UTC as "Z"
        created = created[:-6] + "Z"
    return f"# created: {created}\n# public key: {public}\n{identity.to_string()}\n", public


# --- stream plumbing --------------------------------------------------------------------------

_ReadInto = Callable[[memoryview], int]


def _reader(src: BinaryIO) -> _ReadInto:
    readinto = getattr(src, "readinto", None)
    if callable(readinto):

        def _readinto(view: memoryview) -> int:
            n = readinto(view)
            return 0 if n is None else int(n)  # None (non-blocking, nothing yet): treated as EOF

        return _readinto

    def _read(view: memoryview) -> int:
        data = src.read(len(view))
        view[: len(data)] = data
        return len(data)

    return _read


def _read_full(readinto: _ReadInto, view: memoryview) -> int:
    """Fill ``view`` unless EOF comes first; the count read."""
    n = 0
    while n < len(view):
        k = readinto(view[n:])
        if k <= 0:
            break
        n += k
    return n


def _write_all(dst: BinaryIO, data: memoryview) -> None:
    while data:
        n = dst.write(data)
        if n is None or n >= len(data):
            return
        if n <= 0:
            raise OSError("the destination accepted no bytes")
        data = data[n:]


def _remaining(src: BinaryIO) -> int | None:
    """Bytes from the current position to the end, if the stream can tell (for progress)."""
    try:
        if not src.seekable():
            return None
        here = src.tell()
        end = src.seek(0, os.SEEK_END)
        src.seek(here)
        return end - here
    except (OSError, ValueError, AttributeError):
        return None


class _Input:
    """Buffered reads over any stream: lines for the header, then exact blocks for the payload."""

    def __init__(self, readinto: _ReadInto) -> None:
        self._readinto = readinto
        self._buf = bytearray()
        self.consumed = 0

    def _more(self) -> bool:
        block = bytearray(_IO_BLOCK)
        n = self._readinto(memoryview(block))
        if n <= 0:
            return False
        self._buf += memoryview(block)[:n]
        return True

    def _take(self, n: int) -> bytes:
        data = bytes(self._buf[:n])
        del self._buf[:n]
        self.consumed += n
        return data

    def peek(self, size: int) -> bytes:
        while len(self._buf) < size and self._more():
            pass
        return bytes(self._buf[:size])

    def read(self, size: int) -> bytes:
        self.peek(size)
        return self._take(min(size, len(self._buf)))

    def readline(self, limit: int, stage: str) -> bytes:
        """The next line with its LF; at EOF the rest without one (``b""`` when nothing is left).

        A line longer than ``limit`` is an :class:`AgeCorrupt` of ``stage``.
        """
        while True:
            i = self._buf.find(b"\n", 0, limit)
            if i >= 0:
                return self._take(i + 1)
            if len(self._buf) >= limit:
                raise AgeCorrupt(detail=f"{stage}: line too long")
            if not self._more():
                return self._take(len(self._buf))

    def readinto(self, view: memoryview) -> int:
        n = min(len(view), len(self._buf))
        if n:
            view[:n] = self._buf[:n]
            del self._buf[:n]
        n += _read_full(self._readinto, view[n:])
        self.consumed += n
        return n


class _ArmorReader:
    """Strict PEM decoding of the armor (spec, "ASCII armor"; RFC 7468 §3 strict form).

    As the CCTV vectors and age define it: optional whitespace-only lines before the BEGIN line
    and after the END line (1 KiB at most), LF or CRLF line ends, no headers, 64-column lines of
    canonical padded base64, only the last one shorter and never empty.
    """

    def __init__(self, inp: _Input) -> None:
        self._inp = inp
        self._started = False
        self._finished = False
        self._pending = b""
        self._error: AgeCorrupt | None = None

    def readinto(self, view: memoryview) -> int:
        n = 0
        while n < len(view):
            if self._pending:
                k = min(len(view) - n, len(self._pending))
                view[n : n + k] = self._pending[:k]
                self._pending = self._pending[k:]
                n += k
            elif self._finished:
                break
            elif self._error is not None:
                if n:  # hand over what decoded cleanly first, as a line-by-line reader would
                    break
                raise self._error
            else:
                try:
                    self._pending = self._next()
                except AgeCorrupt as exc:
                    self._error = exc
        return n

    def _line(self) -> bytes:
        line = self._inp.readline(_ARMOR_MAX_WHITESPACE + 2, "armor")
        if not line:
            raise AgeCorrupt(detail="armor: unexpected end of file")
        line = line.removesuffix(b"\n")
        return line.removesuffix(b"\r")

    def _next(self) -> bytes:
        if not self._started:
            skipped = 0
            line = self._line()
            while not line.strip():
                skipped += len(line) + 1
                if skipped > _ARMOR_MAX_WHITESPACE:
                    raise AgeCorrupt(detail="armor: too much leading whitespace")
                line = self._line()
            if line != _ARMOR_BEGIN:
                raise AgeCorrupt(detail="armor: neither an age header nor the armor BEGIN line")
            self._started = True
        line = self._line()
        if line == _ARMOR_END:
            self._drain()
            return b""
        if not line:
            raise AgeCorrupt(detail="armor: empty line")
        if len(line) > _ARMOR_COLUMNS:
            raise AgeCorrupt(detail="armor: line longer than 64 columns")
        try:
            data = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise AgeCorrupt(detail="armor: invalid base64") from None
        if len(data) == _ARMOR_COLUMNS // 4 * 3:
            return data  # a full line: 64 characters without padding are always canonical
        if base64.b64encode(data) != line:
            raise AgeCorrupt(detail="armor: non-canonical base64")
        if self._line() != _ARMOR_END:
            raise AgeCorrupt(detail="armor: short line not followed by the END line")
        self._drain()
        return data

    def _drain(self) -> None:
        rest = self._inp.read(_ARMOR_MAX_WHITESPACE)
        if rest.strip():
            raise AgeCorrupt(detail="armor: data after the END line")
        if len(rest) == _ARMOR_MAX_WHITESPACE:
            raise AgeCorrupt(detail="armor: too much trailing whitespace")
        self._finished = True


def _is_armored(inp: _Input) -> bool:
    # A binary age file starts with "age-encryption.org/" (or is a truncated start of it);
    # anything else can only be armor, and the strict armor decoder says what is wrong with it.
    head = inp.peek(len(_BINARY_MAGIC))
    return not (head.startswith(_BINARY_MAGIC) or _BINARY_MAGIC.startswith(head))


# --- header -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Header:
    stanzas: tuple[_Stanza, ...]
    mac_input: bytes  # the exact bytes read, up to and including "---"
    mac: bytes


def _parse_args(line: bytes) -> tuple[str, ...]:
    if not line.endswith(b"\n"):
        raise AgeCorrupt(detail="header: truncated")
    parts = line[3:-1].split(b" ")
    for part in parts:
        if not part or any(not 0x21 <= c <= 0x7E for c in part):
            raise AgeCorrupt(detail="header: stanza argument empty or not printable ASCII")
    return tuple(p.decode("ascii") for p in parts)


def _read_header(inp: _Input) -> _Header:
    # spec, "ABNF definition of file header"
    line = inp.readline(_MAX_HEADER_LINE, "header")
    if line != _VERSION_LINE:
        if not line.endswith(b"\n"):
            raise AgeCorrupt(detail="header: truncated")
        if line.startswith(_BINARY_MAGIC):
            raise AgeCorrupt(detail="header: unsupported age version")
        raise AgeCorrupt(detail="header: not an age file")
    raw = bytearray(line)
    stanzas: list[_Stanza] = []

    def next_line() -> bytes:
        line = inp.readline(_MAX_HEADER_LINE, "header")
        if len(raw) + len(line) > _MAX_HEADER:
            raise AgeLimit(detail="header: larger than 1 MiB")
        return line

    line = next_line()
    while line.startswith(b"-> "):
        raw += line
        args = _parse_args(line)
        body_lines: list[bytes] = []
        while True:
            line = next_line()
            raw += line
            if not line.endswith(b"\n"):
                raise AgeCorrupt(detail="header: truncated in a stanza body")
            if len(line) > 65:
                raise AgeCorrupt(detail="header: stanza body line longer than 64 columns")
            body_lines.append(line[:-1])
            if len(line) < 65:  # the body ends with its first short line, which may be empty
                break
        try:
            body = _b64decode(b"".join(body_lines))
        except ValueError:
            raise AgeCorrupt(detail="header: stanza body is not canonical base64") from None
        stanzas.append(_Stanza(args, body))
        line = next_line()
    if not line.startswith(b"---"):
        raise AgeCorrupt(detail="header: expected a stanza or the MAC line")
    if not stanzas:
        raise AgeCorrupt(detail="header: no recipient stanza")
    if len(line) != 48 or line[3:4] != b" " or not line.endswith(b"\n"):
        raise AgeCorrupt(detail="header: malformed MAC line")
    try:
        mac = _b64decode(line[4:47])
    except ValueError:
        raise AgeCorrupt(detail="header: MAC is not canonical base64") from None
    return _Header(tuple(stanzas), bytes(raw) + b"---", mac)


def _encode_header(stanzas: Sequence[_Stanza], file_key: bytes) -> bytes:
    out = bytearray(_VERSION_LINE)
    for stanza in stanzas:
        out += b"-> " + " ".join(stanza.args).encode("ascii") + b"\n"
        body = _b64encode(stanza.body)
        for i in range(0, len(body), 64):
            out += body[i : i + 64] + b"\n"
        if len(body) % 64 == 0:  # the body must end with a short line, here an empty one
            out += b"\n"
    out += b"---"
    out += b" " + _b64encode(_header_mac(file_key, bytes(out)).finalize()) + b"\n"
    return bytes(out)


def _file_key(
    header: _Header, unwrappers: Sequence[Identity | HybridIdentity | _Passphrase]
) -> bytes:
    # spec: an scrypt stanza MUST be alone (password encryption implies authentication)
    if len(header.stanzas) > 1 and any(s.args[0] == "scrypt" for s in header.stanzas):
        raise AgeCorrupt(detail="header: an scrypt stanza is not the only stanza")
    for unwrapper in unwrappers:
        for stanza in header.stanzas:
            file_key = unwrapper._unwrap(stanza)
            if file_key is not None:
                return file_key
    raise AgeWrongKey(detail="no identity matched any recipient stanza")


# --- payload (spec, "Payload": STREAM with ChaCha20-Poly1305) ---------------------------------


def _chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _sealed_size(n: int) -> int:
    """Ciphertext bytes of a block of ``n`` plaintext bytes (an empty block is one chunk)."""
    return n + max(1, -(-n // _CHUNK)) * _TAG_SIZE


def _seal(aead: ChaCha20Poly1305, plain: memoryview, counter: int, last: bool, out: memoryview) -> int:
    """Encrypt one block (its chunks numbered from ``counter``) into ``out``; bytes written.
    ``last``: the block ends the payload (its last chunk gets the final flag)."""
    n = len(plain)
    chunks = max(1, -(-n // _CHUNK))
    at = 0
    for i in range(chunks):
        start = i * _CHUNK
        end = min(start + _CHUNK, n)
        nonce = _chunk_nonce(counter + i, last and i == chunks - 1)
        at += aead.encrypt_into(nonce, plain[start:end], None, out[at : at + end - start + _TAG_SIZE])
    return at


class _SealPipeline:
    """Blocks encrypted on one worker thread and written to ``dst`` on another, in order,
    while the caller reads the next ones: reading, ChaCha20-Poly1305 and writing all release
    the GIL, so they run side by side. The buffers go round fixed pools (memory stays flat
    and nothing is allocated per block); a worker's error is raised in the caller."""

    def __init__(self, aead: ChaCha20Poly1305, dst: BinaryIO, span: int) -> None:
        self._aead = aead
        self._dst = dst
        self._free_in: queue.Queue[memoryview] = queue.Queue()
        self._free_out: queue.Queue[memoryview] = queue.Queue()
        for _ in range(_PIPELINE_DEPTH):
            self._free_in.put(memoryview(bytearray(span)))
            self._free_out.put(memoryview(bytearray(_sealed_size(span))))
        self._to_seal: queue.Queue[tuple[memoryview, int, int, bool] | None] = queue.Queue()
        self._to_write: queue.Queue[tuple[memoryview, int] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._stopping = False
        self._threads = [threading.Thread(target=self._sealer, name="age-encrypt", daemon=True),
                         threading.Thread(target=self._writer, name="age-write", daemon=True)]
        for thread in self._threads:
            thread.start()

    def buffer(self) -> memoryview:
        """A free input buffer (waits while all are in use)."""
        self._check()
        return self._free_in.get()

    def release(self, view: memoryview) -> None:
        self._free_in.put(view)

    def seal(self, view: memoryview, n: int, counter: int, last: bool) -> None:
        self._check()
        self._to_seal.put((view, n, counter, last))

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _sealer(self) -> None:
        while (item := self._to_seal.get()) is not None:
            view, n, counter, last = item
            out = self._free_out.get()
            try:
                if self._error is None and not self._stopping:
                    size = _seal(self._aead, view[:n], counter, last, out)
                    self._to_write.put((out, size))
                    continue
            except BaseException as exc:  # noqa: BLE001 - raised in the caller
                self._error = exc
            finally:
                self._free_in.put(view)
            self._free_out.put(out)
        self._to_write.put(None)

    def _writer(self) -> None:
        while (item := self._to_write.get()) is not None:
            out, size = item
            try:
                if self._error is None and not self._stopping:
                    _write_all(self._dst, out[:size])
            except BaseException as exc:  # noqa: BLE001 - raised in the caller
                self._error = exc
            finally:
                self._free_out.put(out)

    def close(self, *, discard: bool = False) -> None:
        """Wait until everything is written (or, with ``discard``, dropped); raise a worker's error."""
        self._stopping = discard
        self._to_seal.put(None)
        for thread in self._threads:
            thread.join()
        if not discard:
            self._check()


def _encrypt_payload(
    readinto: _ReadInto,
    dst: BinaryIO,
    key: bytes,
    total: int | None,
    progress: Progress,
    cancel: CancelToken,
) -> None:
    aead = ChaCha20Poly1305(key)
    span = _BLOCK_CHUNKS * _CHUNK
    current = memoryview(bytearray(span))
    n = _read_full(readinto, current)
    if n < span:  # the whole payload in one block: no threads
        out = memoryview(bytearray(_sealed_size(n)))
        _write_all(dst, out[: _seal(aead, current[:n], 0, True, out)])
        progress(n, total, "Encrypting")
        return
    pipeline = _SealPipeline(aead, dst, span)
    counter = done = 0
    try:
        while True:
            cancel.raise_if_cancelled()
            following = pipeline.buffer()
            # A full block ends with the final chunk only if EOF follows it: read ahead to know.
            following_n = _read_full(readinto, following) if n == span else 0
            eof = following_n == 0
            pipeline.seal(current, n, counter, eof)
            counter += max(1, -(-n // _CHUNK))
            done += n
            if eof:
                pipeline.release(following)
                break
            progress(done, total, "Encrypting")
            current, n = following, following_n
    except BaseException:
        pipeline.close(discard=True)
        raise
    pipeline.close()
    progress(done, total, "Encrypting")


def _decrypt_payload(
    inp: _Input,
    dst: BinaryIO,
    key: bytes,
    total: int | None,
    progress: Progress,
    cancel: CancelToken,
) -> None:
    aead = ChaCha20Poly1305(key)
    # One byte read beyond a full block tells whether EOF follows its last chunk, so the first
    # flag we try is the right one for any well-formed file. A full chunk whose flag
    # contradicts its position is still authentic: it is released, then the error raised,
    # exactly as the reference implementation does (the CCTV payload hashes check it).
    span = _BLOCK_CHUNKS * _ENC_CHUNK
    buf = bytearray(span + 1)
    view = memoryview(buf)
    out = memoryview(bytearray(_BLOCK_CHUNKS * _CHUNK))
    carried = counter = done = 0
    while True:
        cancel.raise_if_cancelled()
        n = carried + inp.readinto(view[carried:])
        limit = min(n, span)
        at = 0
        final = False
        try:
            for pos in range(0, max(limit, 1), _ENC_CHUNK):
                size = min(_ENC_CHUNK, limit - pos)
                at_eof = pos + size == n  # nothing read beyond this chunk
                if size < _TAG_SIZE:
                    raise AgeCorrupt(detail=f"payload: chunk {counter} truncated or missing")
                plain = size - _TAG_SIZE
                if plain == 0 and counter > 0:
                    raise AgeCorrupt(detail="payload: empty final chunk after data")
                # A short chunk can only be the final one; a full one may be either.
                flags = (True,) if size < _ENC_CHUNK else (at_eof, not at_eof)
                opened: bool | None = None
                for flag in flags:
                    try:
                        aead.decrypt_into(_chunk_nonce(counter, flag), view[pos : pos + size], None,
                                          out[at : at + plain])
                    except InvalidTag:
                        continue
                    opened = flag
                    break
                if opened is None:
                    raise AgeCorrupt(detail=f"payload: chunk {counter} failed authentication")
                at += plain
                done += plain
                if opened != at_eof:
                    if opened:
                        raise AgeCorrupt(detail=f"payload: data after the final chunk {counter}")
                    raise AgeCorrupt(detail=f"payload: file ends without a final chunk ({counter})")
                if opened:
                    final = True
                    break
                counter += 1
        finally:
            # Every chunk that authenticated is released, also when a later one fails.
            if at:
                _write_all(dst, out[:at])
        if final:
            break
        buf[0] = buf[span]
        carried = 1
        progress(done, total, "Decrypting")
    progress(done, total, "Decrypting")


def _plaintext_size(ciphertext: int) -> int | None:
    if ciphertext < _TAG_SIZE:
        return None
    chunks = max(1, -(-ciphertext // _ENC_CHUNK))
    return max(0, ciphertext - chunks * _TAG_SIZE)


# --- operations -------------------------------------------------------------------------------


def encrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    recipients: Sequence[Recipient | HybridRecipient] = (),
    passphrase: str | None = None,
    work_factor: int = DEFAULT_WORK_FACTOR,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> None:
    """Encrypt ``src`` to ``dst`` as a binary age v1 file, streaming.

    Memory stays flat (a few 1 MiB buffers) whatever the size. ``src`` is read 1 MiB at a time
    on the calling thread; beyond the first MiB, blocks are encrypted on a worker thread and
    written to ``dst`` on another (one call at a time, in order), so reading, encryption and
    writing overlap. ``dst.write`` must not keep the buffer it is given.

    Parameters
    ----------
    src, dst
        Binary streams; ``src`` is read to EOF, ``dst`` is written from its current position.
        Write ``dst`` to a temporary file and publish it only when this returns: a cancelled
        or failed call leaves a partial file.
    recipients
        X25519 and/or hybrid recipients. Hybrid recipients cannot be mixed with X25519 ones
        (that would throw away their post-quantum protection).
    passphrase
        Encrypt with scrypt instead; exactly one of ``recipients`` and ``passphrase``.
    work_factor
        log2 of scrypt's N, 1–22 (age refuses more than 22). The default, 18, is age's and
        takes about a second on a laptop; lower values are faster to guess.
    progress
        Called with plaintext bytes done and the total when ``src`` can tell its size.
    cancel
        Polled every 1 MiB; raises :class:`~bundler.errors.Cancelled`.

    Raises
    ------
    UsageError
        Both or neither of ``recipients`` and ``passphrase``, an empty passphrase, a work
        factor out of range, or mixed recipient kinds.
    AgeBadKey
        A recipient is a low-order X25519 point.
    """
    if bool(recipients) == (passphrase is not None):
        raise UsageError("Encrypt either to recipients or with a passphrase (one of the two).")
    for recipient in recipients:
        if not isinstance(recipient, Recipient | HybridRecipient):
            raise UsageError("Recipients must be parsed age recipients.")
    kinds = {type(r) for r in recipients}
    if len(kinds) > 1:
        raise UsageError("Post-quantum recipients cannot be mixed with classic ones.")
    if passphrase is not None:
        if not passphrase:
            raise UsageError("The passphrase is empty.")
        if not 1 <= work_factor <= DEFAULT_MAX_WORK_FACTOR:
            raise UsageError(f"The work factor must be between 1 and {DEFAULT_MAX_WORK_FACTOR}.")
    cancel.raise_if_cancelled()
    file_key = os.urandom(_FILE_KEY_SIZE)
    if passphrase is not None:
        stanzas = [_scrypt_stanza(file_key, _utf8(passphrase), work_factor)]
    else:
        stanzas = [r._wrap(file_key) for r in recipients]
    nonce = os.urandom(_NONCE_SIZE)
    total = _remaining(src)
    _write_all(dst, memoryview(_encode_header(stanzas, file_key) + nonce))
    payload_key = _hkdf(file_key, salt=nonce, info=b"payload")
    _encrypt_payload(_reader(src), dst, payload_key, total, progress, cancel)


def decrypt(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    identities: Sequence[Identity | HybridIdentity] = (),
    passphrase: str | None = None,
    max_work_factor: int = DEFAULT_MAX_WORK_FACTOR,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> None:
    """Decrypt an age v1 file (binary or armored) from ``src`` to ``dst``, streaming.

    **Plaintext is released before the end is verified.** Chunks are written to ``dst`` as
    soon as they authenticate, 1 MiB at a time (and every authentic chunk before a failing
    one), so a file truncated, extended or altered after its first chunks raises
    :class:`AgeCorrupt` only after those chunks were written. Write ``dst`` to a temporary
    place and publish it only when this returns without error; discard it on any exception.
    ``dst.write`` must not keep the buffer it is given (it is reused).

    Parameters
    ----------
    src, dst
        Binary streams; ``src`` is read to EOF (trailing bytes are an error).
    identities
        X25519 and/or hybrid identities, tried in order against every stanza.
    passphrase
        For scrypt (passphrase) files. Both may be given; at least one must be.
    max_work_factor
        The largest scrypt work factor (log2 N) we agree to compute, checked before any work:
        a hostile header can ask for 2^40. 22 (age's default) needs 4 GiB for one attempt.
    progress
        Called with plaintext bytes written and, for a seekable binary ``src``, the total.
    cancel
        Polled every 1 MiB; raises :class:`~bundler.errors.Cancelled`.

    Raises
    ------
    AgeWrongKey
        The header is sound but no identity or passphrase opens any of its stanzas.
    AgeCorrupt
        Damaged armor, header, header MAC or payload: truncation, trailing data, a chunk after
        the final one, an empty final chunk, a low-order X25519 share, non-canonical base64,
        an scrypt stanza alongside others. ``detail`` starts with the stage (``armor:``,
        ``header:``, ``hmac:``, ``payload:``).
    AgeLimit
        The scrypt work factor is above ``max_work_factor``, or the header is above 1 MiB.
    UsageError
        No identity and no passphrase, or ``max_work_factor`` outside 1–30.
    """
    unwrappers: list[Identity | HybridIdentity | _Passphrase] = []
    for identity in identities:
        if not isinstance(identity, Identity | HybridIdentity):
            raise UsageError("Identities must be parsed age identities.")
        unwrappers.append(identity)
    if not 1 <= max_work_factor <= _WORK_FACTOR_CEILING:
        raise UsageError(f"The maximum work factor must be between 1 and {_WORK_FACTOR_CEILING}.")
    if passphrase is not None:
        unwrappers.append(_Passphrase(passphrase, max_work_factor))
    if not unwrappers:
        raise UsageError("Give a key or a passphrase to open the package.")
    cancel.raise_if_cancelled()
    size = _remaining(src)
    inp = _Input(_reader(src))
    try:
        if _is_armored(inp):
            inp, size = _Input(_ArmorReader(inp).readinto), None
        header = _read_header(inp)
        file_key = _file_key(header, unwrappers)
        try:
            _header_mac(file_key, header.mac_input).verify(header.mac)  # constant time
        except InvalidSignature:
            raise AgeCorrupt(detail="hmac: header MAC does not match") from None
        nonce = inp.read(_NONCE_SIZE)
        if len(nonce) != _NONCE_SIZE:
            raise AgeCorrupt(detail="header: payload nonce missing or truncated")
        total = None if size is None else _plaintext_size(size - inp.consumed)
        payload_key = _hkdf(file_key, salt=nonce, info=b"payload")
        _decrypt_payload(inp, dst, payload_key, total, progress, cancel)
    except AgeError as exc:
        _log.debug("age decryption failed: %s (%s)", exc.code, exc.detail)
        raise
