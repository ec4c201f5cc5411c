"""Our Storage SCP (``bundler.net.scp.Receiver``) against real and hostile clients.

* DCMTK ``echoscu``, ``storescu`` (also proposing JPEG, JPEG-LS, JPEG 2000, RLE and deflate
  with ``-x*``) and ``findscu`` as clients; ``storescu`` over DICOM TLS with a client
  certificate.
* Hostile clients: unknown AE titles and hosts, aborted associations, PDUs with wrong lengths,
  a C-STORE of a malformed data set, a data set that does not match its request, and a flood of
  connections and associations (bounded, loopback only). Each gets the right answer and a
  logged reason; the receiver keeps running and the case stays intact.
* Our sender's resume after a dropped association, against a pynetdicom SCP that drops it.

All traffic is on 127.0.0.1 (plus 127.0.0.2 as "another host"); every port is chosen by the OS.
In CI a missing DCMTK tool fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

from bundler.demo import write_demo
from bundler.ingest.pipeline import import_sources
from bundler.net.ae import AllowEntry, NetworkError, Timeouts, parse_node, server_ssl_context
from bundler.net.scp import Receiver, Status
from bundler.progress import CancelToken
from bundler.store import CaseStore
from support import require_dir, require_tool

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared" / "data"
SYNTAXES = SHARED / "2_dicom_varied" / "transfer_syntaxes"
LOOPBACK = "127.0.0.1"
OTHER_HOST = "127.0.0.2"  # another loopback address: "a host that is not allowed"
FAST = Timeouts(connect=5.0, acse=5.0, dimse=20.0, network=30.0)






def _run(*args: str | Path, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)


# ---------------------------------------------------------------------------------- PKI


def make_pki(folder: Path) -> dict[str, Path]:
    """A test CA, a server and a client certificate (RSA 2048, SAN 127.0.0.1/localhost), and
    an unrelated CA, as PEM files in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}

    def key() -> Any:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def write_key(name: str, k: Any) -> None:
        out[name] = folder / f"{name}.pem"
        out[name].write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))

    def write_cert(name: str, c: Any) -> None:
        out[name] = folder / f"{name}.pem"
        out[name].write_bytes(c.public_bytes(serialization.Encoding.PEM))

    def ca(cn: str) -> tuple[Any, Any]:
        k = key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(k.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
                .sign(k, hashes.SHA256()))
        return k, cert

    def leaf(cn: str, ca_key: Any, ca_cert: Any) -> tuple[Any, Any]:
        import ipaddress

        k = key()
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(ca_cert.subject).public_key(k.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                            x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        return k, cert

    ca_key, ca_cert = ca("Records Bundler test CA")
    write_cert("ca", ca_cert)
    for name in ("server", "client"):
        k, c = leaf(f"test {name}", ca_key, ca_cert)
        write_key(f"{name}_key", k)
        write_cert(f"{name}_cert", c)
    _other_key, other_cert = ca("Some other CA")
    write_cert("other_ca", other_cert)
    return out


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The demo CD's DICOM instances (not the DICOMDIR, not the viewer)."""
    root = tmp_path_factory.mktemp("demo")
    demo = write_demo(root, ct_slices=6, matrix=64)
    files = []
    for p in sorted(demo.cd_dir.rglob("*")):
        if p.is_file() and p.name != "DICOMDIR":
            with open(p, "rb") as f:
                head = f.read(132)
            if head[128:132] == b"DICM":
                files.append(p)
    assert len(files) >= 40
    return files


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CaseStore]:
    with CaseStore.open(tmp_path / "case", create=True) as s:
        yield s


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


@pytest.fixture
def receiver(store: CaseStore) -> Iterator[Receiver]:
    allow = [AllowEntry(t, LOCALHOST) for t in ("STORESCU", "ECHOSCU", "FINDSCU", "RECBUNDLER", "FRIEND")]
    r = Receiver(store, ae_title="BUNDLER", port=0, host=LOOPBACK, allow=allow, max_associations=4,
                 timeouts=Timeouts(connect=5.0, acse=3.0, dimse=10.0, network=20.0))
    r.start()
    try:
        yield r
    finally:
        r.stop(grace=2.0)


LOCALHOST = LOOPBACK


def _echo(receiver: Receiver, ae_title: str = "FRIEND", **kw: Any) -> None:
    from bundler.net.scu import echo

    echo(parse_node(f"BUNDLER@{LOOPBACK}:{receiver.port}", tls=False, **kw), ae_title=ae_title, timeouts=FAST)


def _case_is_intact(store: CaseStore) -> None:
    assert store.integrity_check()
    for inst in store.instances():
        data = store.blob_path(inst.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == inst.sha256
    leftovers = [p for p in store.tmp_dir.rglob("*") if p.is_file()]
    assert leftovers == [], "received files must not stay in the case's scratch folder"


# ---------------------------------------------------------------------------------- DCMTK clients


def test_echoscu_and_storescu_push_into_the_case(receiver: Receiver, store: CaseStore,
                                                 demo_files: list[Path], tmp_path: Path) -> None:
    echoscu, storescu = require_tool("echoscu"), require_tool("storescu")
    r = _run(echoscu, "-aet", "ECHOSCU", "-aec", "BUNDLER", LOOPBACK, receiver.port)
    assert r.returncode == 0, r.stderr
    r = _run(storescu, "-aet", "STORESCU", "-aec", "BUNDLER", LOOPBACK, receiver.port, *demo_files)
    assert r.returncode == 0, r.stderr
    summary = receiver.stop()
    assert summary.received == len(demo_files) and not summary.refused
    # the same pipeline as a disc import of the same files: the same instances, one log row
    # per file with the same statuses and reason codes
    with CaseStore.open(tmp_path / "from_disc", create=True) as disc:
        import_sources(demo_files, disc)
        assert {i.sop_instance_uid for i in store.instances()} == {i.sop_instance_uid for i in disc.instances()}
        assert sorted((str(r.status), str(r.reason)) for r in store.log_rows()) == sorted(
            (str(r.status), str(r.reason)) for r in disc.log_rows())
    assert len(store.log_rows()) == len(demo_files)
    assert len(store.instances()) >= len(demo_files) - 1
    _case_is_intact(store)


@pytest.mark.parametrize("ts_file", sorted(p.name for p in SYNTAXES.glob("*.dcm")) if SYNTAXES.is_dir() else [])
def test_storescu_compressed_syntaxes_arrive_untouched(receiver: Receiver, store: CaseStore, ts_file: str) -> None:
    storescu = require_tool("storescu")
    path = require_dir(SYNTAXES) / ts_file
    meta = pydicom.dcmread(path, stop_before_pixels=True, force=True).get("file_meta", None)
    ts = str(meta.TransferSyntaxUID) if meta is not None and "TransferSyntaxUID" in meta else "1.2.840.10008.1.2"
    # storescu proposes one family of syntaxes per run: pick the option for this file's
    proposal = {
        "1.2.840.10008.1.2": "-xi", "1.2.840.10008.1.2.1": "-xe", "1.2.840.10008.1.2.2": "-xb",
        "1.2.840.10008.1.2.1.99": "-xd", "1.2.840.10008.1.2.4.50": "-xy", "1.2.840.10008.1.2.4.51": "-xx",
        "1.2.840.10008.1.2.4.57": "-xs", "1.2.840.10008.1.2.4.70": "-xs", "1.2.840.10008.1.2.4.80": "-xt",
        "1.2.840.10008.1.2.4.81": "-xu", "1.2.840.10008.1.2.4.90": "-xv", "1.2.840.10008.1.2.4.91": "-xw",
        "1.2.840.10008.1.2.5": "-xr",
    }[ts]
    options = ["-R", proposal]
    if ts == "1.2.840.10008.1.2.4.57":
        # -xs proposes Process 14 SV1 (.70); Process 14 itself only from a configuration file
        sop_class = pydicom.dcmread(path, stop_before_pixels=True, force=True).SOPClassUID
        cfg = store.path.parent / "storescu.cfg"
        cfg.write_text(f"[[TransferSyntaxes]]\n[TS57]\nTransferSyntax1 = {ts}\n"
                       f"[[PresentationContexts]]\n[PC57]\nPresentationContext1 = {sop_class}\\TS57\n"
                       "[[Profiles]]\n[P57]\nPresentationContexts = PC57\n")
        options = ["-xf", str(cfg), "P57"]
    r = _run(storescu, "-aet", "STORESCU", "-aec", "BUNDLER", *options, LOOPBACK, str(receiver.port), path)
    assert r.returncode == 0, r.stderr
    receiver.stop()
    (inst,) = store.instances()
    assert inst.transfer_syntax_uid == ts  # kept as it came: no transcoding on the way in
    original = pydicom.dcmread(path, force=True)
    stored = pydicom.dcmread(store.blob_path(inst.sha256))
    assert stored.PixelData == original.PixelData


def test_findscu_gets_a_clear_no(receiver: Receiver, store: CaseStore) -> None:
    findscu = require_tool("findscu")
    r = _run(findscu, "-aet", "FINDSCU", "-aec", "BUNDLER", "-S", "-k", "QueryRetrieveLevel=STUDY",
             LOOPBACK, receiver.port)
    assert r.returncode != 0
    assert "No Acceptable Presentation Contexts" in r.stderr or "presentation context" in r.stderr.lower()
    _echo(receiver)  # still running
    assert store.instances() == ()


def test_cli_receive_until_sigterm(tmp_path: Path, demo_files: list[Path]) -> None:
    storescu = require_tool("storescu")
    case = tmp_path / "case"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bundler.cli", "receive", "--case", str(case), "--port", "0", "--ae-title", "BUNDLER",
         "--allow", f"STORESCU@{LOOPBACK}", "--listen", LOOPBACK, "--plain", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        assert proc.stderr is not None
        line = ""
        deadline = time.monotonic() + 30
        while "on port" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "receive exited early"
        port = int(line.split("on port ", 1)[1].split()[0])
        r = _run(storescu, "-aet", "STORESCU", "-aec", "BUNDLER", LOOPBACK, port, *demo_files[:10])
        assert r.returncode == 0, r.stderr
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err
    import json

    summary = json.loads(out)
    assert summary["received"] == 10 and summary["imported"] == 10 and summary["failed"] == 0
    with CaseStore.open(case) as s:
        assert len(s.instances()) == 10


def test_cli_receive_as_the_contract_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bundler.cli import main

    # `receive --case DIR --port N --ae-title T --allow AE@HOST`: plain TCP, said on stderr.
    assert main(["receive", "--case", str(tmp_path / "c"), "--port", "0", "--ae-title", "BUNDLER",
                 "--allow", "A@127.0.0.1", "--listen", "127.0.0.1", "--duration", "0.1"]) == 0
    assert "plain TCP" in capsys.readouterr().err
    # half a TLS configuration is a usage error
    assert main(["receive", "--case", str(tmp_path / "c"), "--port", "0", "--allow", "A@127.0.0.1",
                 "--tls-cert", str(tmp_path / "x.pem"), "--duration", "0.1"]) == 2


# ---------------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_tls_storescu_with_client_certificate(store: CaseStore, pki: dict[str, Path], demo_files: list[Path]) -> None:
    storescu = require_tool("storescu")
    ctx = server_ssl_context(pki["server_cert"], pki["server_key"], client_ca=pki["ca"])
    with Receiver(store, ae_title="BUNDLER", port=0, host=LOOPBACK, allow=[AllowEntry("STORESCU", LOOPBACK)],
                  ssl_context=ctx, timeouts=Timeouts(acse=3.0)) as r:
        ok = _run(storescu, "+tls", pki["client_key"], pki["client_cert"], "+cf", pki["ca"], "-aet", "STORESCU",
                  "-aec", "BUNDLER", LOOPBACK, r.port, *demo_files[:3])
        assert ok.returncode == 0, ok.stderr
        # no client certificate: the TLS handshake fails; the receiver goes on
        anon = _run(storescu, "+tla", "+cf", pki["ca"], "-aet", "STORESCU", "-aec", "BUNDLER", LOOPBACK, r.port,
                    demo_files[3])
        assert anon.returncode != 0
        # a plain-TCP client on the TLS port
        plain = _run(storescu, "-aet", "STORESCU", "-aec", "BUNDLER", "-to", "5", "-ta", "5", LOOPBACK, r.port,
                     demo_files[4])
        assert plain.returncode != 0
        # our own SCU over TLS, verifying the receiver's certificate
        from bundler.net.scu import echo

        echo(parse_node(f"BUNDLER@{LOOPBACK}:{r.port}", tls_ca=pki["ca"], tls_cert=pki["client_cert"],
                        tls_key=pki["client_key"]), ae_title="STORESCU", timeouts=FAST)
        with pytest.raises(NetworkError) as e:
            echo(parse_node(f"BUNDLER@{LOOPBACK}:{r.port}", tls_ca=pki["other_ca"]), ae_title="STORESCU",
                 timeouts=FAST)
        assert e.value.code == "net_tls_untrusted"
        summary = r.stop()
    assert summary.received == 3
    assert summary.rejected["tls_handshake_failed"] >= 2
    assert len(store.instances()) == 3


# ---------------------------------------------------------------------------------- hostile clients


def test_unknown_ae_title_and_host_are_rejected(receiver: Receiver, store: CaseStore,
                                                caplog: pytest.LogCaptureFixture) -> None:
    from bundler.net.scu import echo

    caplog.set_level(logging.WARNING, logger="bundler.net.scp")
    with pytest.raises(NetworkError) as e:
        _echo(receiver, ae_title="INTRUDER")
    assert e.value.code == "net_rejected_calling_ae"
    # an allowed AE title from another host: the pair AE@host must match
    from pynetdicom import AE

    ae = AE(ae_title="FRIEND")
    ae.add_requested_context("1.2.840.10008.1.1")
    assoc = ae.associate(LOOPBACK, receiver.port, ae_title="BUNDLER", bind_address=(OTHER_HOST, 0))
    assert assoc.is_rejected and assoc.acceptor.primitive.diagnostic == 0x03
    # calling us by another AE title
    with pytest.raises(NetworkError) as e2:
        echo(parse_node(f"SOMEONE@{LOOPBACK}:{receiver.port}", tls=False), ae_title="FRIEND", timeouts=FAST)
    assert e2.value.code == "net_rejected_called_ae"
    _echo(receiver)
    summary = receiver.stop()
    assert summary.rejected["calling_ae_not_allowed"] == 1 and summary.rejected["host_not_allowed"] == 1
    assert summary.rejected["called_ae_not_recognised"] == 1
    assert "calling_ae_not_allowed" in caplog.text and "host_not_allowed" in caplog.text
    assert store.instances() == ()


def _associate_for_ct(port: int, ae_title: str = "FRIEND") -> Any:
    from pynetdicom import AE
    from pynetdicom.sop_class import CTImageStorage  # type: ignore[attr-defined]

    ae = AE(ae_title=ae_title)
    ae.add_requested_context(CTImageStorage, ["1.2.840.10008.1.2.1"])
    ae.acse_timeout = ae.dimse_timeout = 10
    assoc = ae.associate(LOOPBACK, port, ae_title="BUNDLER")
    assert assoc.is_established
    return assoc


def test_aborted_associations_leave_nothing_behind(receiver: Receiver, store: CaseStore,
                                                   demo_files: list[Path]) -> None:
    from bundler.net import fastsend

    ct = next(p for p in demo_files if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    ds = pydicom.dcmread(ct, stop_before_pixels=True)
    # 1. abort right after the association is set up
    assoc = _associate_for_ct(receiver.port)
    assoc.abort()
    # 2. abort in the middle of a data set: command and a first fragment, then A-ABORT
    assoc = _associate_for_ct(receiver.port)
    session = fastsend.Session(assoc)
    session.activate()
    sock = assoc.dul.socket.socket
    cx = assoc.accepted_contexts[0].context_id
    sock.sendall(fastsend._pdu(cx, 0x03, fastsend.command_set(ds.SOPClassUID, ds.SOPInstanceUID, 1)))
    data = ct.read_bytes()
    sock.sendall(fastsend._pdu(cx, 0x00, data[fastsend.dataset_offset(data, ct):][:1000]))
    session.release()
    assoc.abort()
    # 3. the connection simply drops mid data set
    assoc = _associate_for_ct(receiver.port)
    sock = assoc.dul.socket.socket
    session = fastsend.Session(assoc)
    session.activate()
    sock.sendall(fastsend._pdu(cx, 0x03, fastsend.command_set(ds.SOPClassUID, ds.SOPInstanceUID, 1)))
    sock.sendall(fastsend._pdu(cx, 0x00, data[fastsend.dataset_offset(data, ct):][:1000]))
    sock.shutdown(socket.SHUT_RDWR)
    session.release()
    assoc.abort()
    _echo(receiver)
    summary = receiver.stop()
    assert summary.received == 0
    assert store.instances() == () and store.log_rows() == ()
    _case_is_intact(store)


def _raw_connect(port: int) -> socket.socket:
    s = socket.create_connection((LOOPBACK, port), timeout=10)
    s.settimeout(10)
    return s


def _associate_rq(calling: str = "FRIEND", called: str = "BUNDLER") -> bytes:
    """A valid A-ASSOCIATE-RQ PDU proposing Verification (built by pynetdicom)."""
    from pynetdicom.pdu import A_ASSOCIATE_RQ
    from pynetdicom.pdu_primitives import A_ASSOCIATE, MaximumLengthNotification
    from pynetdicom.presentation import build_context

    prim = A_ASSOCIATE()
    prim.application_context_name = "1.2.840.10008.3.1.1.1"
    prim.calling_ae_title = calling
    prim.called_ae_title = called
    from pynetdicom.transport import AddressInformation

    prim.calling_presentation_address = AddressInformation(LOOPBACK, 0)
    prim.called_presentation_address = AddressInformation(LOOPBACK, 104)
    cx = build_context("1.2.840.10008.1.1")
    cx.context_id = 1
    prim.presentation_context_definition_list = [cx]
    ml = MaximumLengthNotification()
    ml.maximum_length_received = 16384
    from pynetdicom.pdu_primitives import ImplementationClassUIDNotification

    impl = ImplementationClassUIDNotification()
    impl.implementation_class_uid = "1.2.826.0.1.3680043.9.3811.2.0.0"
    prim.user_information = [ml, impl]
    pdu = A_ASSOCIATE_RQ()
    pdu.from_primitive(prim)
    return bytes(pdu.encode())


def _read_until_closed(s: socket.socket, timeout: float = 5.0) -> bytes:
    """What the receiver answers until it closes, sends an A-ABORT, or ``timeout`` passes."""
    data = b""
    s.settimeout(timeout)
    try:
        while chunk := s.recv(65536):
            data += chunk
            if data[:1] == b"\x07":  # A-ABORT: it is done with us
                break
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def test_pdus_with_wrong_lengths(receiver: Receiver, store: CaseStore) -> None:
    rq = _associate_rq()
    # an A-ASSOCIATE-RQ whose length claims far more than is sent, then the connection ends
    with _raw_connect(receiver.port) as s:
        s.sendall(rq[:2] + struct.pack(">I", 0x7FFFFFF0) + rq[6:])
        s.shutdown(socket.SHUT_WR)
        _read_until_closed(s)
    # ... and one that keeps sending: refused at the header, never read into memory
    with _raw_connect(receiver.port) as s:
        s.sendall(b"\x01\x00" + struct.pack(">I", 0xFFFFFFF0))
        try:
            for _ in range(64):
                s.sendall(b"\x00" * 65536)
        except OSError:
            pass  # closed on us: as it should be
        _read_until_closed(s, timeout=2.0)
    # a PDU header, then silence: it times out (the fixture's network timeout) and goes
    stalled = _raw_connect(receiver.port)
    stalled.sendall(rq[:100])
    # an A-ASSOCIATE-RQ whose length is shorter than its content
    with _raw_connect(receiver.port) as s:
        s.sendall(rq[:2] + struct.pack(">I", 20) + rq[6:])
        _read_until_closed(s)
    # an unknown PDU type
    with _raw_connect(receiver.port) as s:
        s.sendall(b"\x09\x00" + struct.pack(">I", 4) + b"\x00" * 4)
        _read_until_closed(s)
    # inside an established association: a P-DATA-TF whose PDV item is longer than the PDU
    with _raw_connect(receiver.port) as s:
        s.sendall(rq)
        head = s.recv(6)
        assert head[0] == 0x02, "A-ASSOCIATE-AC expected"  # accepted
        s.recv(struct.unpack(">I", head[2:6])[0], socket.MSG_WAITALL)
        s.sendall(b"\x04\x00" + struct.pack(">I", 12) + struct.pack(">I", 5000) + b"\x01\x03" + b"\x00" * 6)
        reply = _read_until_closed(s)
        assert reply[:1] in (b"\x07", b""), "an A-ABORT (or a closed connection) expected"
    _echo(receiver)  # still running, still answering
    stalled.close()
    summary = receiver.stop()
    assert summary.rejected["pdu_too_large"] >= 1
    assert store.instances() == () and store.log_rows() == ()
    _case_is_intact(store)


def _write_part10(path: Path, sop_class: str, sop_instance: str, dataset: bytes) -> Path:
    meta = pydicom.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    meta.ImplementationClassUID = "1.2.3"
    from pydicom.filewriter import write_file_meta_info

    buf = pydicom.filebase.DicomBytesIO()
    buf.is_little_endian, buf.is_implicit_VR = True, False
    write_file_meta_info(buf, meta, enforce_standard=True)
    path.write_bytes(b"\x00" * 128 + b"DICM" + buf.getvalue() + dataset)
    return path


def test_malformed_and_mismatched_data_sets_are_refused(receiver: Receiver, store: CaseStore, tmp_path: Path,
                                                        demo_files: list[Path],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    from bundler.net import fastsend

    caplog.set_level(logging.WARNING, logger="bundler.net.scp")
    ct = next(p for p in demo_files if pydicom.dcmread(p, stop_before_pixels=True).Modality == "CT")
    ds = pydicom.dcmread(ct, stop_before_pixels=True)
    # a data set whose first element claims more bytes than there are
    # a data set that ends inside an undefined-length sequence item
    garbage = _write_part10(tmp_path / "bad.dcm", ds.SOPClassUID, "1.2.3.999",
                            b"\x08\x00\x18\x00UI\x0a\x001.2.3.999\x00"
                            b"\x08\x00\x05\x11SQ\x00\x00\xff\xff\xff\xff\xfe\xff\x00\xe0\x10\x00\x00\x00")
    assoc = _associate_for_ct(receiver.port)
    cx = assoc.accepted_contexts[0].context_id
    session = fastsend.Session(assoc)
    status = session.store_file(garbage, sop_class=ds.SOPClassUID, sop_instance="1.2.3.999", context_id=cx,
                                message_id=1)
    assert status.Status == Status.CANNOT_UNDERSTAND
    # a good data set sent under another SOP Instance UID than the request says
    status = session.store_file(ct, sop_class=ds.SOPClassUID, sop_instance="1.2.3.1000", context_id=cx,
                                message_id=2)
    assert status.Status == Status.DATASET_MISMATCH
    # and after both, a good one on the same association
    status = session.store_file(ct, sop_class=ds.SOPClassUID, sop_instance=ds.SOPInstanceUID, context_id=cx,
                                message_id=3)
    assert status.Status == Status.SUCCESS
    session.release()
    assoc.release()
    summary = receiver.stop()
    assert summary.received == 1
    assert set(summary.refused) == {"dataset_mismatch", next(k for k in summary.refused if k.startswith("dicom_"))}
    assert "dataset_mismatch" in caplog.text
    assert [i.sop_instance_uid for i in store.instances()] == [ds.SOPInstanceUID]
    # the malformed one is in the import log with the pipeline's own reason code
    rows = {str(r.status): str(r.reason) for r in store.log_rows()}
    assert rows["imported"] == "dicom" and rows["failed"] in ("dicom_malformed", "dicom_truncated")
    _case_is_intact(store)


def _wait_until_it_answers(receiver: Receiver, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _echo(receiver)
            return
        except NetworkError:
            assert time.monotonic() < deadline, "the receiver did not recover from the flood"
            time.sleep(0.2)


def test_a_flood_of_connections_and_associations(receiver: Receiver, store: CaseStore) -> None:
    baseline = threading.active_count()
    started = time.monotonic()
    # 1. silent connections, far more than the connection cap: the extra ones are closed at
    #    once, the others time out (ACSE timeout 3 s) without holding the receiver up
    silent = []
    for _ in range(60):
        try:
            silent.append(_raw_connect(receiver.port))
        except OSError:
            pass
    for s in silent:
        s.close()
    _wait_until_it_answers(receiver)
    # 2. real associations beyond the association limit (4): the extra ones are told "busy"
    held = []
    busy = 0
    for _ in range(8):
        try:
            held.append(_associate_for_ct(receiver.port))
        except AssertionError:
            busy += 1
    for a in held:
        a.release()
    assert busy >= 1 and len(held) <= 4
    _wait_until_it_answers(receiver)
    summary = receiver.stop()
    assert summary.rejected["connection_limit"] >= 1
    assert summary.rejected["association_limit"] >= 1
    assert time.monotonic() - started < 60
    # every connection thread is gone
    deadline = time.monotonic() + 10
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threading.active_count() <= baseline
    _case_is_intact(store)


def test_nothing_is_written_outside_the_case(store: CaseStore, tmp_path: Path, demo_files: list[Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    storescu = require_tool("storescu")
    spy = tmp_path / "systemp"
    spy.mkdir()
    monkeypatch.setenv("TMPDIR", str(spy))
    monkeypatch.setattr(tempfile, "tempdir", None)
    outside_before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(store.path)}
    with Receiver(store, ae_title="BUNDLER", port=0, host=LOOPBACK, allow=[AllowEntry("STORESCU", LOOPBACK)]) as r:
        res = _run(storescu, "-aet", "STORESCU", "-aec", "BUNDLER", LOOPBACK, r.port, *demo_files[:5])
        assert res.returncode == 0, res.stderr
    outside_after = {p for p in tmp_path.rglob("*") if not p.is_relative_to(store.path)}
    assert outside_after == outside_before and not any(spy.iterdir())
    assert len(store.instances()) == 5


# ---------------------------------------------------------------------------------- our sender's resume


class _FlakySCP:
    """A pynetdicom Storage SCP that drops the association once, on the ``drop_at``-th C-STORE."""

    def __init__(self, drop_at: int | None) -> None:
        from pynetdicom import AE, AllStoragePresentationContexts, evt

        self.drop_at = drop_at
        self.stored: list[str] = []
        self.requests = 0
        self.ae = AE(ae_title="FLAKY")
        for cx in AllStoragePresentationContexts:
            self.ae.add_supported_context(cx.abstract_syntax, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])
        self.server = self.ae.start_server((LOOPBACK, 0), block=False,
                                           evt_handlers=[(evt.EVT_C_STORE, self._on_store)])
        self.port = int(self.server.server_address[1])

    def _on_store(self, event: Any) -> int:
        self.requests += 1
        if self.drop_at is not None and self.requests == self.drop_at:
            self.drop_at = None
            event.assoc.abort()
            return 0xA700
        self.stored.append(str(event.request.AffectedSOPInstanceUID))
        return 0x0000

    def close(self) -> None:
        self.ae.shutdown()


@pytest.fixture
def sending_case(tmp_path: Path, demo_files: list[Path]) -> Iterator[CaseStore]:
    with CaseStore.open(tmp_path / "sender", create=True) as s:
        import_sources([p for p in demo_files if "CT" in pydicom.dcmread(p, stop_before_pixels=True).Modality], s)
        yield s


def test_send_resumes_after_a_dropped_association(sending_case: CaseStore) -> None:
    from bundler.net.scu import send

    scp = _FlakySCP(drop_at=4)
    try:
        report = send(sending_case, parse_node(f"FLAKY@{LOOPBACK}:{scp.port}", tls=False), timeouts=FAST)
    finally:
        scp.close()
    n = len(sending_case.instances())
    assert report.sent == n and report.failed == 0 and report.associations == 2
    # what the first association confirmed was not sent again
    assert len(scp.stored) == n and len(set(scp.stored)) == n


def test_send_resumes_across_runs_without_resending(sending_case: CaseStore) -> None:
    from bundler.errors import Cancelled
    from bundler.net.scu import send

    scp = _FlakySCP(drop_at=None)
    node = parse_node(f"FLAKY@{LOOPBACK}:{scp.port}", tls=False)
    cancel = CancelToken()

    def stop_after_five(done: int, total: int | None, message: str = "") -> None:
        if done >= 5:
            cancel.cancel()

    try:
        with pytest.raises(Cancelled):
            send(sending_case, node, progress=stop_after_five, cancel=cancel, timeouts=FAST)
        assert len(scp.stored) == 5
        report = send(sending_case, node, timeouts=FAST)
        n = len(sending_case.instances())
        assert report.to_json()["already_sent"] == 5 and report.sent == n - 5
        assert sorted(scp.stored) == sorted(set(scp.stored)) and len(scp.stored) == n
        again = send(sending_case, node, resume=False, timeouts=FAST)
        assert again.sent == n and len(scp.stored) == 2 * n
    finally:
        scp.close()
