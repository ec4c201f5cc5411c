"""C-STORE of stored files' bytes, straight over the association's socket.

Why: pynetdicom passes every P-DATA-TF PDU through two queues and its state-machine thread,
one PDU (16 KB with most PACS) per turn of a loop that sleeps whenever it runs dry, and the
response comes back the same way; on loopback that made a stream of 512×512 CT slices about a
third as fast as DCMTK ``storescu``. In state Sta6 neither sending P-DATA (action DT-1) nor
receiving it (DT-2) changes the DUL state (PS3.8 §9.2), so for a run of C-STOREs we take the
socket for a while: pynetdicom's reactor is paused (as its own ``send_c_store`` pauses it) and
its DUL thread is told there is nothing to read; we write the command and data set PDUs and
read the C-STORE-RSP ourselves, then hand the association back, still in Sta6.

Anything but a P-DATA-TF from the peer (an A-ABORT, an A-RELEASE-RQ) means the association is
over for us: we abort it and the caller reconnects. Only for plain TCP (TLS associations use
pynetdicom's own path); :func:`available` checks that this pynetdicom still has the internals
we rely on (pyproject pins pynetdicom < 4; ``tests/interop`` exercise this path).
"""

from __future__ import annotations

import logging
import select
import struct
import time
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pynetdicom.association import Association
from pynetdicom.dsutils import split_dataset

__all__ = ["LostAssociation", "Session", "available", "command_set", "dataset_offset"]

log = logging.getLogger(__name__)

_CHUNK_UNLIMITED = 1 << 20  # when the peer sets no maximum PDU length
_WHOLE = 64 << 20  # files up to this size are read and sent in one piece
_PRIORITY_MEDIUM = 0x0000
_C_STORE_RSP = 0x8001
_MAX_RSP_PDU = 1 << 20  # a C-STORE-RSP is a few hundred bytes; refuse absurd lengths


class LostAssociation(Exception):
    """The peer ended the association, or went silent: the caller reconnects."""


def available(assoc: Association) -> bool:
    """Whether this association can use the direct path (plain TCP, expected internals)."""
    try:
        sock = assoc.dul.socket.socket  # type: ignore[union-attr]
    except AttributeError:
        return False
    if sock is None or sock.__class__.__name__ == "SSLSocket":
        return False
    dul: Any = assoc.dul
    return (all(hasattr(assoc, a) for a in ("_reactor_checkpoint", "_is_paused"))
            and hasattr(dul, "_is_transport_event") and hasattr(dul, "_idle_timer")
            and isinstance(getattr(dul, "_run_loop_delay", None), float))


def dataset_offset(head: bytes, path: Path) -> int:
    """Where the data set starts in a PS3.10 file (after the File Meta group); ``head`` is the
    file's start (all of it, for files up to 64 MB)."""
    if len(head) >= 146 and head[128:132] == b"DICM" and head[132:140] == b"\x02\x00\x00\x00UL\x04\x00":
        group_length: int = struct.unpack("<I", head[140:144])[0]
        offset = 144 + group_length
        if len(head) >= offset + 2 and struct.unpack("<H", head[offset:offset + 2])[0] != 0x0002:
            return offset
    # A missing or wrong group length: let pydicom walk the group (PS3.10 §7.1).
    return int(split_dataset(path)[1])


def _element(group: int, elem: int, value: bytes) -> bytes:
    return struct.pack("<HHI", group, elem, len(value)) + value


def _ui(value: str) -> bytes:
    raw = value.encode("ascii")
    return raw + b"\x00" if len(raw) % 2 else raw


def command_set(sop_class: str, sop_instance: str, message_id: int) -> bytes:
    """The C-STORE-RQ command set (PS3.7 Table 9.3-1), Implicit VR Little Endian (§6.3.1)."""
    body = b"".join((
        _element(0x0000, 0x0002, _ui(sop_class)),  # Affected SOP Class UID
        _element(0x0000, 0x0100, struct.pack("<H", 0x0001)),  # Command Field: C-STORE-RQ
        _element(0x0000, 0x0110, struct.pack("<H", message_id)),  # Message ID
        _element(0x0000, 0x0700, struct.pack("<H", _PRIORITY_MEDIUM)),  # Priority
        _element(0x0000, 0x0800, struct.pack("<H", 0x0001)),  # Command Data Set Type: present (not 0101H)
        _element(0x0000, 0x1000, _ui(sop_instance)),  # Affected SOP Instance UID
    ))
    return _element(0x0000, 0x0000, struct.pack("<I", len(body))) + body


def _pdu(context_id: int, control: int, fragment: bytes | memoryview) -> bytes:
    # PS3.8 §9.3.5: a P-DATA-TF PDU with one PDV item (length, context ID, control header).
    n = len(fragment)
    return struct.pack(">BBIIBB", 0x04, 0x00, n + 6, n + 2, context_id, control) + bytes(fragment)


def _pdus(context_id: int, data: memoryview, chunk: int, first: bytes) -> bytes:
    if len(data) % 2:
        # PS3.5 §A.5: a deflated data set is padded to even length; files that were not
        # are refused by DCMTK-based peers ("Odd Fragment Length").
        data = memoryview(bytes(data) + b"\x00")
    parts: list[bytes | memoryview] = [first]
    n = len(data)
    for start in range(0, n, chunk):
        piece = data[start:start + chunk]
        last = start + chunk >= n
        # PS3.8 §E.2 message control header: bit 0 command(1)/data(0), bit 1 last fragment.
        parts.append(struct.pack(">BBIIBB", 0x04, 0x00, len(piece) + 6, len(piece) + 2, context_id,
                                 0x02 if last else 0x00))
        parts.append(piece)
    return b"".join(parts)


def parse_command(raw: bytes) -> dict[int, bytes]:
    """Elements of an Implicit VR Little Endian command set, by element number (group 0000)."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos + 8 <= len(raw):
        group, elem, length = struct.unpack_from("<HHI", raw, pos)
        pos += 8
        if group != 0x0000 or pos + length > len(raw):
            raise LostAssociation("malformed command set")
        out[elem] = raw[pos:pos + length]
        pos += length
    return out


class Session:
    """The socket of one association, ours for a run of C-STOREs (see the module docstring).

    :meth:`store_file` takes the socket when it is not ours yet; :meth:`release` gives it back
    (before any other use of the association, and at the end). Reading the next file while the
    peer stores the current one: pass ``next_path``.
    """

    def __init__(self, assoc: Association) -> None:
        self.assoc = assoc
        self.active = False
        self._next: tuple[Path, bytes] | None = None
        self._timeout: float | None = None

    def activate(self) -> None:
        if self.active:
            return
        a: Any = self.assoc
        a._reactor_checkpoint.clear()
        deadline = time.monotonic() + 5.0
        while not a._is_paused and a.is_established:
            if time.monotonic() > deadline:
                a._reactor_checkpoint.set()
                raise LostAssociation("the association reactor did not pause")
            time.sleep(0.0001)
        a.dul._is_transport_event = _nothing_to_read
        # Let a DUL loop turn that had already looked at the socket finish.
        time.sleep(3 * a.dul._run_loop_delay)
        sock: Any = a.dul.socket.socket
        self._timeout = sock.gettimeout()
        sock.settimeout(float(a.dimse_timeout or 120.0))  # a peer that stops reading
        self.active = True

    def release(self) -> None:
        if not self.active:
            return
        a: Any = self.assoc
        try:
            del a.dul._is_transport_event  # back to the class's method
        except AttributeError:
            pass
        try:
            a.dul.socket.socket.settimeout(self._timeout)
        except (AttributeError, OSError):
            pass
        a.dul._idle_timer.restart()  # we kept the connection busy, not idle
        a._reactor_checkpoint.set()
        self.active = False

    # ------------------------------------------------------------------ one C-STORE

    def store_file(self, path: Path, *, sop_class: str, sop_instance: str, context_id: int,
                   message_id: int, next_path: Path | None = None) -> Dataset:
        """Send the data set of the PS3.10 file ``path`` as it is; return the response status.

        Raises :class:`LostAssociation` when the association is gone (it is aborted first).
        """
        a: Any = self.assoc
        self.activate()
        sock: Any = a.dul.socket.socket
        max_pdu = int(a.acceptor.maximum_length or 0)
        chunk = (max_pdu - 6) if max_pdu > 6 else _CHUNK_UNLIMITED
        cmd = _pdu(context_id, 0x03, command_set(sop_class, sop_instance, message_id))
        try:
            if self._next is not None and self._next[0] == path:
                buf = self._next[1]
                self._next = None
                sock.sendall(_pdus(context_id, memoryview(buf)[dataset_offset(buf, path):], chunk, cmd))
            else:
                _send_from_file(sock, path, cmd, context_id, chunk)
            if next_path is not None:
                self._prefetch(next_path)
            return self._response(sock, message_id)
        except (OSError, LostAssociation) as e:
            log.warning("send: the association was lost (%s)", type(e).__name__)
            self._abort()
            raise LostAssociation(str(e)) from e

    def _prefetch(self, path: Path) -> None:
        try:
            with open(path, "rb") as f:
                data = f.read(_WHOLE)
        except OSError:
            return
        self._next = (path, data) if len(data) < _WHOLE else None

    def _response(self, sock: Any, message_id: int) -> Dataset:
        timeout = float(self.assoc.dimse_timeout or 120.0)
        command = bytearray()
        while True:
            pdu_type, body = _read_pdu(sock, timeout)
            if pdu_type != 0x04:
                # A-RELEASE-RQ (0x05), A-ABORT (0x07)...: the association is over for this send.
                raise LostAssociation(f"PDU type 0x{pdu_type:02X} while waiting for C-STORE-RSP")
            pos = 0
            last = False
            while pos + 6 <= len(body):
                (item_length,) = struct.unpack_from(">I", body, pos)
                control = body[pos + 5]
                fragment = body[pos + 6:pos + 4 + item_length]
                pos += 4 + item_length
                if not control & 0x01:
                    raise LostAssociation("a data set where a C-STORE-RSP command was expected")
                command += fragment
                last = last or bool(control & 0x02)
            if last:
                break
        fields = parse_command(bytes(command))
        field_value = fields.get(0x0100, b"")
        if len(field_value) != 2 or struct.unpack("<H", field_value)[0] != _C_STORE_RSP:
            raise LostAssociation("the response is not a C-STORE-RSP")
        responded = fields.get(0x0120, b"")
        if len(responded) != 2 or struct.unpack("<H", responded)[0] != message_id:
            raise LostAssociation("a response to another message")
        status = Dataset()
        raw_status = fields.get(0x0900, b"")
        if len(raw_status) != 2:
            raise LostAssociation("the response has no status")
        status.Status = struct.unpack("<H", raw_status)[0]
        comment = fields.get(0x0902)
        if comment:
            status.ErrorComment = comment.decode("ascii", "replace").rstrip("\x00 ")
        return status

    def _abort(self) -> None:
        self.release()
        try:
            self.assoc.abort()
        except Exception:  # noqa: BLE001 - the connection is already broken
            pass


def _nothing_to_read() -> bool:
    return False


def _recv_exactly(sock: Any, n: int, deadline: float) -> bytes:
    parts: list[bytes] = []
    while n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LostAssociation("no response within the DIMSE timeout")
        ready, _, _ = select.select([sock], [], [], remaining)
        if not ready:
            continue
        data = sock.recv(min(n, 1 << 20))
        if not data:
            raise LostAssociation("the peer closed the connection")
        parts.append(data)
        n -= len(data)
    return b"".join(parts)


def _read_pdu(sock: Any, timeout: float) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    header = _recv_exactly(sock, 6, deadline)
    pdu_type, _reserved, length = struct.unpack(">BBI", header)
    if length > _MAX_RSP_PDU:
        raise LostAssociation("an absurd PDU length")
    return pdu_type, _recv_exactly(sock, length, deadline)


def _send_from_file(sock: Any, path: Path, cmd: bytes, context_id: int, chunk: int) -> None:
    with open(path, "rb") as f:
        buf = f.read(_WHOLE)
        offset = dataset_offset(buf, path)
        if len(buf) < _WHOLE:  # the usual case: one read, one write of all the PDUs
            sock.sendall(_pdus(context_id, memoryview(buf)[offset:], chunk, cmd))
            return
        sock.sendall(cmd)
        f.seek(offset)
        chunk -= chunk % 2
        data = f.read(chunk)
        while data:
            nxt = f.read(chunk)
            if not nxt and len(data) % 2:
                data += b"\x00"  # PS3.5 §A.5, as above
            sock.sendall(_pdu(context_id, 0x00 if nxt else 0x02, data))
            data = nxt
