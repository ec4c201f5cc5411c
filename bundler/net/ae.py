"""DICOM application entities: nodes, presentation contexts, TLS, and plain-language failures.

A *node* is a peer we talk to, written ``AE@HOST:PORT`` (``PACS@pacs.example.org:11112``;
an IPv6 host goes in brackets: ``PACS@[::1]:104``). Associations use TLS (DICOM PS3.15 Annex B,
the BCP 195 profiles: TLS 1.2 or later) with the peer's certificate verified, unless the user
chose plain TCP for that node.

The defaults of pynetdicom propose and accept only uncompressed transfer syntaxes; a PACS
often holds JPEG, JPEG-LS, JPEG 2000 or RLE images, so we propose and accept those too
(:data:`ACCEPTED_SYNTAXES`) and keep every byte as it arrived.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext, build_context

from bundler.errors import BundlerError, UsageError

__all__ = [
    "ACCEPTED_SYNTAXES",
    "COMPRESSED_SYNTAXES",
    "DEFAULT_AE_TITLE",
    "UNCOMPRESSED_SYNTAXES",
    "AllowEntry",
    "NetworkError",
    "Node",
    "Timeouts",
    "associate",
    "client_ssl_context",
    "make_ae",
    "parse_allow",
    "parse_node",
    "server_ssl_context",
    "validate_ae_title",
]

log = logging.getLogger(__name__)

# pynetdicom logs identifiers and whole datasets at INFO and DEBUG; keep it to warnings
# unless someone configured it on purpose (the redaction filter is a second line only).
_pynetdicom_log = logging.getLogger("pynetdicom")
if _pynetdicom_log.level == logging.NOTSET:
    _pynetdicom_log.setLevel(logging.WARNING)

DEFAULT_AE_TITLE = "RECBUNDLER"

UNCOMPRESSED_SYNTAXES: tuple[str, ...] = (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    ExplicitVRBigEndian,  # retired, but old discs carry it
)
COMPRESSED_SYNTAXES: tuple[str, ...] = (
    DeflatedExplicitVRLittleEndian,
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline (Process 1)
    "1.2.840.10008.1.2.4.51",  # JPEG Extended (Process 2 & 4)
    "1.2.840.10008.1.2.4.57",  # JPEG Lossless, Non-Hierarchical (Process 14)
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless, SV1
    "1.2.840.10008.1.2.4.80",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81",  # JPEG-LS Near-Lossless
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 Lossless Only
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.201",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203",  # HTJ2K
    "1.2.840.10008.1.2.5",  # RLE Lossless
    "1.2.840.10008.1.2.4.100",  # MPEG2 MP@ML
    "1.2.840.10008.1.2.4.101",  # MPEG2 MP@HL
    "1.2.840.10008.1.2.4.102",  # MPEG-4 AVC/H.264 HP@4.1
    "1.2.840.10008.1.2.4.103",  # MPEG-4 AVC/H.264 BD
    "1.2.840.10008.1.2.4.104",  # MPEG-4 AVC/H.264 HP@4.2 2D
    "1.2.840.10008.1.2.4.105",  # MPEG-4 AVC/H.264 HP@4.2 3D
    "1.2.840.10008.1.2.4.106",  # MPEG-4 AVC/H.264 Stereo HP@4.2
    "1.2.840.10008.1.2.4.107",  # HEVC/H.265 Main
    "1.2.840.10008.1.2.4.108",  # HEVC/H.265 Main 10
)
#: What we accept as a receiver and propose for retrieval, best first: uncompressed first
#: (every peer can read it), then the rest so that compressed images arrive untouched.
ACCEPTED_SYNTAXES: tuple[str, ...] = UNCOMPRESSED_SYNTAXES + COMPRESSED_SYNTAXES

# PS3.8 §9.3.2: at most 128 presentation contexts (odd IDs 1..255) in one association.
MAX_CONTEXTS = 128


class NetworkError(BundlerError):
    """Talking to a DICOM node failed; ``code`` says how, the message says what to do.

    Codes: ``net_refused``, ``net_unreachable``, ``net_timeout``, ``net_rejected_called_ae``,
    ``net_rejected_calling_ae``, ``net_busy``, ``net_rejected``, ``net_no_context``,
    ``net_tls``, ``net_tls_untrusted``, ``net_tls_config``, ``net_aborted``, ``net_failed``.
    """

    code = "network"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait: for TCP (and TLS) to connect, for an association answer, for a DIMSE
    reply, and for silence on an open association."""

    connect: float = 10.0
    acse: float = 30.0
    dimse: float = 120.0
    network: float = 300.0


_AE_RE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # PS3.5 §6.2 AE: no backslash, no control


def validate_ae_title(title: str) -> str:
    """Return ``title`` stripped, or raise :class:`UsageError` (1-16 printable ASCII, no ``\\``)."""
    stripped = title.strip()
    if not stripped or not _AE_RE.match(stripped):
        raise UsageError("An AE title has 1 to 16 letters, digits or symbols (no backslash).",
                         code="bad_ae_title")
    return stripped


@dataclass(frozen=True, slots=True)
class Node:
    """A DICOM peer and how to reach it.

    ``tls`` is on unless the user chose plain TCP. ``tls_ca`` names the certificates that may
    sign the peer's certificate (``None``: the system's trust store); ``tls_cert`` and
    ``tls_key`` are our own certificate, for peers that ask for one (mutual TLS).
    """

    ae_title: str
    host: str
    port: int
    tls: bool = True
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    check_hostname: bool = True

    def __post_init__(self) -> None:
        validate_ae_title(self.ae_title)
        if not 0 < self.port < 65536:
            raise UsageError("A port is a number from 1 to 65535.", code="bad_node")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise UsageError("Give both our TLS certificate and its private key, or neither.",
                             code="bad_node")

    @property
    def label(self) -> str:
        """``AE@HOST:PORT``, as the user writes it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}@{host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ae_title": self.ae_title, "host": self.host, "port": self.port, "tls": self.tls,
            "tls_ca": str(self.tls_ca) if self.tls_ca else None,
            "tls_cert": str(self.tls_cert) if self.tls_cert else None,
            "tls_key": str(self.tls_key) if self.tls_key else None,
            "check_hostname": self.check_hostname,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Node:
        def path(key: str) -> Path | None:
            v = d.get(key)
            return Path(v) if v else None

        return cls(str(d["ae_title"]), str(d["host"]), int(d["port"]), tls=bool(d.get("tls", True)),
                   tls_ca=path("tls_ca"), tls_cert=path("tls_cert"), tls_key=path("tls_key"),
                   check_hostname=bool(d.get("check_hostname", True)))


_NODE_RE = re.compile(r"^(?P<ae>[^@]{1,16})@(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]@\s]+)):(?P<port>\d{1,5})$")
_ALLOW_RE = re.compile(r"^(?P<ae>[^@]{1,16})@(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]@\s]+))$")


def parse_node(text: str, **options: Any) -> Node:
    """Parse ``AE@HOST:PORT`` (IPv6 hosts in brackets); ``options`` go to :class:`Node`."""
    m = _NODE_RE.match(text.strip())
    if not m:
        raise UsageError("Write a DICOM node as AE@HOST:PORT, for example PACS@192.168.1.20:104.",
                         code="bad_node")
    return Node(validate_ae_title(m["ae"]), m["v6"] or m["host"], int(m["port"]), **options)


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """A peer allowed to send to our receiver: its calling AE title and its host."""

    ae_title: str
    host: str

    @property
    def label(self) -> str:
        return f"{self.ae_title}@{self.host}"

    def addresses(self) -> frozenset[str]:
        """The IP addresses ``host`` stands for (a name is resolved when the receiver starts)."""
        try:
            return frozenset({str(ipaddress.ip_address(self.host))})
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(self.host, None, type=socket.SOCK_STREAM)
        except OSError:
            log.warning("an allowed host name does not resolve; its entry matches nothing")
            return frozenset()
        return frozenset(_normal_ip(str(i[4][0])) for i in infos)


def parse_allow(text: str) -> AllowEntry:
    """Parse ``AE@HOST`` (IPv6 hosts in brackets)."""
    m = _ALLOW_RE.match(text.strip())
    if not m:
        raise UsageError("Write an allowed sender as AE@HOST, for example MODALITY1@192.168.1.30.",
                         code="bad_allow")
    return AllowEntry(validate_ae_title(m["ae"]), m["v6"] or m["host"])


def _normal_ip(address: str) -> str:
    """``::ffff:1.2.3.4`` and ``1.2.3.4`` are the same peer."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


# ---------------------------------------------------------------------------------------- TLS


def client_ssl_context(node: Node) -> ssl.SSLContext:
    """A TLS client context that verifies the node's certificate (PS3.15 Annex B, BCP 195)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and hostname checks
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = node.check_hostname
    try:
        if node.tls_ca is not None:
            ctx.load_verify_locations(cafile=str(node.tls_ca))
        else:
            ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
        if node.tls_cert is not None and node.tls_key is not None:
            ctx.load_cert_chain(str(node.tls_cert), str(node.tls_key))
    except (OSError, ssl.SSLError, ValueError) as e:
        raise NetworkError("A TLS certificate or key file could not be read (is it a PEM file?).",
                           code="net_tls_config") from e
    return ctx


def server_ssl_context(cert: Path, key: Path, *, client_ca: Path | None = None) -> ssl.SSLContext:
    """A TLS server context; with ``client_ca`` peers must show a certificate it signed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
        if client_ca is not None:
            ctx.load_verify_locations(cafile=str(client_ca))
            ctx.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError, ValueError) as e:
        raise NetworkError("A TLS certificate or key file could not be read (is it a PEM file?).",
                           code="net_tls_config") from e
    return ctx


# ----------------------------------------------------------------------------- associations


def make_ae(ae_title: str, timeouts: Timeouts = Timeouts()) -> AE:
    """A fresh pynetdicom AE with our title and timeouts (one per operation: no shared state)."""
    ae = AE(ae_title=validate_ae_title(ae_title))
    ae.connection_timeout = timeouts.connect
    ae.acse_timeout = timeouts.acse
    ae.dimse_timeout = timeouts.dimse
    ae.network_timeout = timeouts.network
    return ae


def associate(
    ae: AE,
    node: Node,
    *,
    contexts: Sequence[PresentationContext] | None = None,
    ext_neg: Sequence[Any] | None = None,
    evt_handlers: Sequence[Any] | None = None,
    max_pdu: int = 0,
) -> Association:
    """Open an association with ``node`` or raise :class:`NetworkError` saying why not.

    pynetdicom reports a failed association only in its log, so when one fails we look once
    more, by hand, at what stands in the way (refused, silent, TLS) to tell the user.
    """
    ssl_ctx = client_ssl_context(node) if node.tls else None
    tls_args = (ssl_ctx, node.host) if ssl_ctx is not None else None
    started = time.monotonic()
    handlers = [(evt.EVT_CONN_OPEN, _on_connection_open), *(evt_handlers or ())]
    try:
        assoc = ae.associate(
            node.host, node.port, contexts=list(contexts) if contexts else None, ae_title=node.ae_title,
            max_pdu=max_pdu, ext_neg=list(ext_neg) if ext_neg else None, tls_args=tls_args,
            evt_handlers=handlers,
        )
    except (OSError, ValueError) as e:  # an unparseable address, for one
        raise NetworkError(f"Could not connect to {node.label}: check the host name and port.",
                           code="net_unreachable") from e
    if assoc.is_established:
        return assoc
    raise _explain_failure(node, assoc, ae, ssl_ctx, time.monotonic() - started)


def no_delay(sock: socket.socket | None) -> None:
    """Turn off Nagle's algorithm on a DICOM connection.

    A DIMSE message goes out as two small writes (command, then data set) before we read the
    reply: with Nagle on, the second waits for the peer's delayed ACK (40 ms on Linux), which
    caps a C-STORE stream of small images at about a dozen per second. DCMTK sets
    TCP_NODELAY for the same reason.
    """
    if sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass


def _on_connection_open(event: Any) -> None:
    try:
        no_delay(event.assoc.dul.socket.socket)
    except Exception:  # noqa: BLE001 - a handler never raises into pynetdicom
        pass


def _explain_failure(node: Node, assoc: Association, ae: AE, ssl_ctx: ssl.SSLContext | None,
                     elapsed: float) -> NetworkError:
    rsp = getattr(assoc.acceptor, "primitive", None)
    if assoc.is_rejected and rsp is not None:
        source, diagnostic, result = rsp.result_source, rsp.diagnostic, rsp.result
        log.warning("association rejected: result %s source %s diagnostic %s", result, source, diagnostic)
        if source == 0x01 and diagnostic == 0x07:
            return NetworkError(f"{node.label} refused the connection: it is not known by the AE title "
                                f"{node.ae_title!r}. Check the node's AE title.", code="net_rejected_called_ae")
        if source == 0x01 and diagnostic == 0x03:
            return NetworkError(f"{node.label} refused the connection: it does not accept our AE title "
                                f"{ae.ae_title!r}. Ask its administrator to add it.",
                                code="net_rejected_calling_ae")
        if source == 0x03 or result == 0x02:
            return NetworkError(f"{node.label} is busy (too many connections); try again in a moment.",
                                code="net_busy")
        return NetworkError(f"{node.label} refused the connection.", code="net_rejected")
    if rsp is not None and getattr(rsp, "result", None) == 0x00:
        return NetworkError(f"{node.label} accepted the connection but supports none of the services "
                            "or image formats we asked for.", code="net_no_context")
    return _probe(node, ssl_ctx, ae, elapsed)


def _probe(node: Node, ssl_ctx: ssl.SSLContext | None, ae: AE, elapsed: float) -> NetworkError:
    """Connect by hand to say what went wrong: refused, silent, or TLS."""
    timeout = float(ae.connection_timeout or 10.0)
    try:
        raw = socket.create_connection((node.host, node.port), timeout=timeout)
    except ConnectionRefusedError:
        return NetworkError(f"{node.label} refused the connection: nothing is listening on port "
                            f"{node.port}. Check the port and that the DICOM service is running.",
                            code="net_refused")
    except TimeoutError:
        return NetworkError(f"{node.label} did not answer within {timeout:g} seconds: check the host "
                            "name, port and firewall.", code="net_timeout")
    except OSError:
        return NetworkError(f"Could not reach {node.label}: check the host name and the network.",
                            code="net_unreachable")
    with raw:
        if ssl_ctx is not None:
            try:
                with ssl_ctx.wrap_socket(raw, server_hostname=node.host) as tls:
                    # TLS 1.3 servers refuse a client certificate after the handshake.
                    tls.settimeout(min(timeout, 2.0))
                    try:
                        tls.recv(1)
                    except TimeoutError:
                        pass
            except ssl.SSLCertVerificationError as e:
                why = e.verify_message or "not trusted"
                return NetworkError(f"TLS failed: the certificate of {node.label} is not trusted "
                                    f"({why}). Check the CA certificate file for this node.",
                                    code="net_tls_untrusted")
            except (ssl.SSLError, ConnectionResetError) as e:
                if "certificate" in str(e).lower():
                    return NetworkError(f"TLS failed: {node.label} did not accept our certificate "
                                        "(or needs one). Check our certificate and key.", code="net_tls")
                return NetworkError(f"TLS failed with {node.label}: it may not use TLS on this port "
                                    "(choose plain TCP for it only if you trust the network).",
                                    code="net_tls")
            except TimeoutError:
                return NetworkError(f"TLS failed: {node.label} did not complete the TLS handshake "
                                    f"within {timeout:g} seconds.", code="net_tls")
            except OSError:
                pass
    acse = float(ae.acse_timeout or 30.0)
    if elapsed >= acse - 0.5:
        return NetworkError(f"{node.label} accepted the connection but did not answer within {acse:g} "
                            "seconds.", code="net_timeout")
    hint = "" if node.tls else " If the node uses TLS, set up TLS for it."
    return NetworkError(f"{node.label} closed the connection without answering.{hint}",
                        code="net_aborted")


def storage_context_groups(pairs: Iterable[tuple[str, str]]) -> list[list[PresentationContext]]:
    """Presentation contexts to send instances of these (SOP class, transfer syntax) pairs.

    Each pair gets a context of its own syntax alone (PS3.8 §9.3.2.2: the acceptor picks one
    syntax per context, and a compressed image must go as it is), and each SOP class one more
    with the uncompressed syntaxes, the fall-back when a peer refuses a compression. Groups
    hold at most 128 contexts (one association each), a SOP class never split across two.
    """
    by_class: dict[str, list[str]] = {}
    for sop_class, ts in pairs:
        syntaxes = by_class.setdefault(sop_class, [])
        if ts and ts not in syntaxes:
            syntaxes.append(ts)
    groups: list[list[PresentationContext]] = []
    current: list[PresentationContext] = []
    for sop_class, syntaxes in by_class.items():
        own = [build_context(sop_class, [ts]) for ts in syntaxes]
        own.append(build_context(sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]))
        if len(current) + len(own) > MAX_CONTEXTS and current:
            groups.append(current)
            current = []
        current.extend(own[:MAX_CONTEXTS])
    if current:
        groups.append(current)
    return groups

