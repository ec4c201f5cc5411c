"""Our SCU against a real PACS: Orthanc (Debian package ``orthanc``), checked through its own REST API.

Each Orthanc is started by a fixture with its own configuration in a temporary folder, on free
loopback ports, and stopped in teardown (terminate, wait, kill). One listens in plain TCP; a
second one speaks DICOM TLS only and wants our client certificate (Orthanc 1.9+: DicomTls*).
Echo, find, C-GET, C-MOVE (to our own storage SCP) and send, with and without reconciliation,
are all verified through Orthanc's REST API on loopback: counts, SOP Instance UIDs and the
tags reconciliation changed.

In CI a missing Orthanc fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
import pytest

from bundler.demo import write_demo
from bundler.ingest.pipeline import import_sources
from bundler.net.ae import NetworkError, Node, Timeouts, parse_node
from bundler.net.reconcile import LocalPatient
from bundler.net.scu import (
    PatientQuery,
    StudyQuery,
    echo,
    find_patients,
    find_studies,
    lookup_local_patient,
    retrieve,
    send,
)
from bundler.store import CaseStore
from support import require_dir, require_tool

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SYNTAXES = SHARED / "2_dicom_varied" / "transfer_syntaxes"
LOOPBACK = "127.0.0.1"
ORTHANC_AET = "ORTHANC"
OUR_AET = "RECBUNDLER"
FAST = Timeouts(connect=5.0, acse=10.0, dimse=60.0, network=60.0)




def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------- Orthanc


@dataclass
class Orthanc:
    proc: subprocess.Popen[bytes]
    dicom_port: int
    http_port: int
    folder: Path
    tls: bool

    def node(self, **kw: Any) -> Node:
        return parse_node(f"{ORTHANC_AET}@{LOOPBACK}:{self.dicom_port}", **({"tls": False} | kw))

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        req = urllib.request.Request(f"http://{LOOPBACK}:{self.http_port}{path}", data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback only
            raw = r.read()
        return json.loads(raw) if raw else None

    def text(self, path: str) -> str:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.http_port}{path}", timeout=30) as r:  # noqa: S310
            return str(r.read().decode())

    def sop_uids(self) -> set[str]:
        return {i["MainDicomTags"]["SOPInstanceUID"] for i in self.rest("GET", "/instances?expand")}

    def clear(self) -> None:
        for pid in self.rest("GET", "/patients"):
            self.rest("DELETE", f"/patients/{pid}")
        assert self.rest("GET", "/instances") == []

    def log(self) -> str:
        try:
            return (self.folder / "orthanc.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _start_orthanc(folder: Path, *, tls: dict[str, Path] | None = None) -> Iterator[Orthanc]:
    exe = require_tool("Orthanc", path="/usr/sbin/Orthanc")
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between choosing and binding it
        dicom_port, http_port = _free_port(), _free_port()
        (folder / "storage").mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "Name": "records-bundler-test",
            "StorageDirectory": str(folder / "storage"),
            "IndexDirectory": str(folder / "storage"),
            "DicomAet": ORTHANC_AET,
            "DicomPort": dicom_port,
            "HttpPort": http_port,
            "HttpServerEnabled": True,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomServerEnabled": True,
            "DicomCheckCalledAet": True,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowGet": True,
            "DicomAlwaysAllowMove": True,
            "DicomModalities": {},  # our SCP is added over REST once it listens (C-MOVE)
            "DicomAssociationCloseDelay": 0,
            "DicomScuTimeout": 10,
            "DefaultEncoding": "Utf8",
            "ConcurrentJobs": 1,
            "SaveJobs": False,
            "Plugins": [],
            "StableAge": 1,
            "UnknownSopClassAccepted": True,
            "ExecuteLuaEnabled": False,
        }
        if tls is not None:
            config |= {
                "DicomTlsEnabled": True,
                "DicomTlsCertificate": str(tls["server_cert"]),
                "DicomTlsPrivateKey": str(tls["server_key"]),
                "DicomTlsTrustedCertificates": str(tls["ca"]),
                "DicomTlsRemoteCertificateRequired": True,
            }
        cfg = folder / "orthanc.json"
        cfg.write_text(json.dumps(config, indent=2))
        with open(folder / "orthanc.log", "wb") as logf:
            proc = subprocess.Popen([exe, str(cfg)], stdout=logf, stderr=subprocess.STDOUT, cwd=folder,
                                    env={**os.environ, "TCP_NODELAY": "1"})
        orthanc = Orthanc(proc, dicom_port, http_port, folder, tls is not None)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if orthanc.rest("GET", "/system")["DicomPort"] == dicom_port:
                        with socket.create_connection((LOOPBACK, dicom_port), timeout=2):
                            break
                except (OSError, urllib.error.URLError, ValueError):
                    time.sleep(0.1)
            else:
                last_error = orthanc.log()
                continue
            yield orthanc
            return
        finally:
            _stop(proc)
    pytest.fail(f"Orthanc did not start: {last_error}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    yield from _start_orthanc(tmp_path_factory.mktemp("orthanc"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from test_net_scp import make_pki
    finally:
        sys.path.pop(0)
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def orthanc_tls(tmp_path_factory: pytest.TempPathFactory, pki: dict[str, Path]) -> Iterator[Orthanc]:
    yield from _start_orthanc(tmp_path_factory.mktemp("orthanc_tls"), tls=pki)


@pytest.fixture
def fresh(orthanc: Orthanc) -> Orthanc:
    orthanc.clear()
    return orthanc


# ---------------------------------------------------------------------------------- cases


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStore]:
    root = tmp_path_factory.mktemp("democase")
    demo = write_demo(root / "media", ct_slices=6, matrix=64)
    with CaseStore.open(root / "case", create=True) as store:
        import_sources([demo.cd_dir], store)
        assert len(store.instances()) >= 40
        yield store


@pytest.fixture(scope="module")
def syntax_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStore]:
    """The shared files in every transfer syntax (compressed ones included)."""
    require_dir(SYNTAXES)
    with CaseStore.open(tmp_path_factory.mktemp("syntaxes") / "case", create=True) as store:
        import_sources([SYNTAXES], store)
        yield store


def _blobs_unchanged(store: CaseStore) -> None:
    for inst in store.instances():
        assert hashlib.sha256(store.blob_path(inst.sha256).read_bytes()).hexdigest() == inst.sha256


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundler.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=REPO, env={**os.environ})


# ---------------------------------------------------------------------------------- echo


def test_echo(orthanc: Orthanc) -> None:
    result = echo(orthanc.node(), ae_title=OUR_AET, timeouts=FAST)
    assert result.node == f"{ORTHANC_AET}@{LOOPBACK}:{orthanc.dicom_port}" and not result.tls
    # The contract's form, without TLS options: plain TCP, with a note on stderr.
    bare = _cli("pacs", "echo", "--node", f"{ORTHANC_AET}@{LOOPBACK}:{orthanc.dicom_port}", "--json")
    assert bare.returncode == 0 and "plain TCP" in bare.stderr
    r = _cli("pacs", "echo", "--node", f"{ORTHANC_AET}@{LOOPBACK}:{orthanc.dicom_port}", "--plain", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True


def test_echo_says_why_it_failed(orthanc: Orthanc, orthanc_tls: Orthanc, pki: dict[str, Path]) -> None:
    def code(node: Node, timeouts: Timeouts = FAST) -> str:
        with pytest.raises(NetworkError) as e:
            echo(node, ae_title=OUR_AET, timeouts=timeouts)
        assert e.value.user_message and "Traceback" not in e.value.user_message
        return e.value.code

    # refused: nothing listens there
    assert code(parse_node(f"{ORTHANC_AET}@{LOOPBACK}:{_free_port()}", tls=False)) == "net_refused"
    # wrong AE title (Orthanc checks the called AE title)
    assert code(parse_node(f"NOTORTHANC@{LOOPBACK}:{orthanc.dicom_port}", tls=False)) == "net_rejected_called_ae"
    # timeout: a port that accepts connections and never answers
    with socket.socket() as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        assert code(parse_node(f"X@{LOOPBACK}:{port}", tls=False), Timeouts(connect=2, acse=2)) == "net_timeout"
        assert time.monotonic() - started < 15
    # TLS towards a plain-TCP node
    assert code(orthanc.node(tls=True, tls_ca=pki["ca"])) == "net_tls"
    # TLS with a CA that did not sign the node's certificate
    assert code(orthanc_tls.node(tls=True, tls_ca=pki["other_ca"])) == "net_tls_untrusted"
    # TLS without the client certificate the node requires
    assert code(orthanc_tls.node(tls=True, tls_ca=pki["ca"])) == "net_tls"
    # plain TCP towards a TLS node
    assert code(orthanc_tls.node(tls=False)) in ("net_aborted", "net_timeout")
    # the CLI prints the plain message, no traceback
    # (Orthanc answers a wrong AE title with a rejection, or under load by closing the connection:
    # the reason codes are checked above; here the CLI's one plain line.)
    r = _cli("pacs", "echo", "--node", f"NOTORTHANC@{LOOPBACK}:{orthanc.dicom_port}", "--plain")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "AE title" in r.stderr or "closed the connection" in r.stderr, r.stderr


# ---------------------------------------------------------------------------------- send


def test_send_and_verify_in_orthanc(fresh: Orthanc, demo_case: CaseStore) -> None:
    report = send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    ours = {i.sop_instance_uid for i in demo_case.instances()}
    assert report.failed == 0 and report.sent == len(ours)
    assert {r.sop_instance_uid for r in report.results if r.status == 0x0000} == ours
    assert fresh.sop_uids() == ours
    assert fresh.rest("GET", "/statistics")["CountInstances"] == len(ours)
    # what Orthanc stored is what the case holds, byte for byte from the data set on
    any_inst = demo_case.instances()[0]
    (oid,) = fresh.rest("POST", "/tools/lookup", any_inst.sop_instance_uid)
    stored = pydicom.dcmread(__import__("io").BytesIO(
        urllib.request.urlopen(f"http://{LOOPBACK}:{fresh.http_port}/instances/{oid['ID']}/file", timeout=30).read()))
    original = pydicom.dcmread(demo_case.blob_path(any_inst.sha256))
    assert stored.PixelData == original.PixelData and stored.PatientID == original.PatientID
    _blobs_unchanged(demo_case)


def test_send_resumes_and_skips_what_the_node_confirmed(fresh: Orthanc, demo_case: CaseStore) -> None:
    first = send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    again = send(demo_case, fresh.node(), ae_title=OUR_AET, timeouts=FAST)
    assert first.sent == len(demo_case.instances())
    assert again.sent == 0 and again.to_json()["already_sent"] == first.sent
    assert len(fresh.sop_uids()) == first.sent


def test_send_chosen_study_with_the_cli(fresh: Orthanc, demo_case: CaseStore) -> None:
    study = next(s for s in demo_case.studies() if any(x.modality == "MR" for x in s.series))
    r = _cli("pacs", "send", "--case", str(demo_case.path), "--node", f"{ORTHANC_AET}@{LOOPBACK}:{fresh.dicom_port}",
             "--plain", "--study", study.study_uid, "--resend", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    wanted = {i.sop_instance_uid for s in study.series for i in s.instances}
    assert data["sent"] == len(wanted) and data["failed"] == 0
    assert {i["sop_instance_uid"] for i in data["instances"] if i["outcome"] == "sent"} == wanted
    assert all(i["status"] == "0x0000" for i in data["instances"])
    assert fresh.sop_uids() == wanted


def test_send_with_reconciliation(fresh: Orthanc, demo_case: CaseStore) -> None:
    before = demo_case.instances()
    outside = before[0].patient
    local = LocalPatient("LOCAL-0042", "LOCAL-HOSP", "Localname^Clerk^Entered", "19620824", "F")
    report = send(demo_case, fresh.node(), local=local, ae_title=OUR_AET, resume=False, timeouts=FAST)
    assert report.failed == 0 and report.sent == len(before) and report.reconciled
    (patient,) = fresh.rest("GET", "/patients?expand")
    assert patient["MainDicomTags"]["PatientID"] == "LOCAL-0042"
    assert patient["MainDicomTags"]["PatientName"] == "Localname^Clerk^Entered"
    assert patient["MainDicomTags"]["PatientBirthDate"] == "19620824"
    assert fresh.sop_uids() == {i.sop_instance_uid for i in before}  # the same instances, reconciled
    iid = fresh.rest("GET", "/instances")[0]
    tags = fresh.rest("GET", f"/instances/{iid}/tags?simplify")
    assert tags["IssuerOfPatientID"] == "LOCAL-HOSP"
    other = tags["OtherPatientIDsSequence"]
    assert other[-1]["PatientID"] == outside.id and other[-1]["TypeOfPatientID"] == "TEXT"
    original = tags["OriginalAttributesSequence"][-1]
    assert original["ReasonForTheAttributeModification"] == "COERCE"
    modified = original["ModifiedAttributesSequence"][0]
    assert modified["PatientID"] == outside.id and modified["PatientName"] == outside.name
    assert modified["PatientBirthDate"] == outside.birth_date
    # the case's own copies and index are untouched
    assert demo_case.instances() == before
    _blobs_unchanged(demo_case)


def test_reconcile_with_the_identity_picked_from_a_c_find(fresh: Orthanc, demo_case: CaseStore) -> None:
    # the local PACS already knows the patient (sent earlier under the local ID)
    known = LocalPatient("LOCAL-0042", "", "Known^Local", "19620824", "F")
    mr = next(s for s in demo_case.studies() if any(x.modality == "MR" for x in s.series))
    send(demo_case, fresh.node(), study_uids=[mr.study_uid], local=known, ae_title=OUR_AET, resume=False,
         timeouts=FAST)
    picked = lookup_local_patient(fresh.node(), "LOCAL-0042", ae_title=OUR_AET, timeouts=FAST)
    assert (picked.name, picked.birth_date, picked.sex) == ("Known^Local", "19620824", "F")
    r = _cli("pacs", "send", "--case", str(demo_case.path), "--node", f"{ORTHANC_AET}@{LOOPBACK}:{fresh.dicom_port}",
             "--plain", "--local-id", "LOCAL-0042", "--lookup-local", "--resend", "--json")
    assert r.returncode == 0, r.stderr
    patients = fresh.rest("GET", "/patients?expand")
    assert [p["MainDicomTags"]["PatientName"] for p in patients] == ["Known^Local"]
    assert len(fresh.sop_uids()) == len(demo_case.instances())
    with pytest.raises(Exception) as e:
        lookup_local_patient(fresh.node(), "NOBODY-HERE", ae_title=OUR_AET, timeouts=FAST)
    assert getattr(e.value, "code", "") == "local_patient_not_found"


# ---------------------------------------------------------------------------------- find


def test_find_studies_and_patients(fresh: Orthanc, demo_case: CaseStore) -> None:
    send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    node = fresh.node()
    studies = demo_case.studies()
    patient = studies[0].patient
    found = find_studies(node, StudyQuery(), ae_title=OUR_AET, timeouts=FAST)
    assert {s.study_uid for s in found} == {s.study_uid for s in studies}
    by_uid = {s.study_uid: s for s in found}
    for s in studies:
        m = by_uid[s.study_uid]
        assert m.date == s.date and m.description == s.description
        assert m.instances == sum(len(x.instances) for x in s.series)
        assert set(m.modalities) == {x.modality for x in s.series}
        assert m.patient_name == patient.name  # non-ASCII name, UTF-8 both ways
    # the keys a front desk uses
    ct_dates = sorted(s.date for s in studies if any(x.modality == "CT" for x in s.series))
    assert {m.study_uid for m in find_studies(node, StudyQuery(modality="MR"), ae_title=OUR_AET)} == {
        s.study_uid for s in studies if any(x.modality == "MR" for x in s.series)}
    assert {m.date for m in find_studies(node, StudyQuery(date=f"{ct_dates[0]}-{ct_dates[0]}"),
                                         ae_title=OUR_AET)} == {ct_dates[0]}
    assert len(find_studies(node, StudyQuery(date=f"-{ct_dates[0]}"), ae_title=OUR_AET)) >= 1
    acc = studies[-1].accession
    assert [m.study_uid for m in find_studies(node, StudyQuery(accession=acc), ae_title=OUR_AET)] == [
        studies[-1].study_uid]
    family = patient.name.split("^")[0]
    assert len(find_studies(node, StudyQuery(name=family[:3] + "*"), ae_title=OUR_AET)) == len(studies)
    assert len(find_studies(node, StudyQuery(patient_id=patient.id, birth_date=patient.birth_date),
                            ae_title=OUR_AET)) == len(studies)
    assert find_studies(node, StudyQuery(patient_id="NO-SUCH-ID"), ae_title=OUR_AET) == ()
    (p,) = find_patients(node, PatientQuery(patient_id=patient.id), ae_title=OUR_AET)
    assert (p.name, p.birth_date, p.studies) == (patient.name, patient.birth_date, len(studies))
    assert len(find_patients(node, PatientQuery(name="*"), ae_title=OUR_AET)) == 1
    # the CLI contract: studies with UIDs, dates, modalities, descriptions and instance counts
    r = _cli("pacs", "find", "--node", f"{ORTHANC_AET}@{LOOPBACK}:{fresh.dicom_port}", "--plain",
             "--modality", "CT", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["studies"] and all({"study_uid", "date", "modalities", "description", "instances"} <= set(s)
                                   for s in data["studies"])
    assert all("CT" in s["modalities"] for s in data["studies"])
    r = _cli("pacs", "find", "--node", f"{ORTHANC_AET}@{LOOPBACK}:{fresh.dicom_port}", "--plain",
             "--level", "patient", "--name", "*", "--json")
    assert json.loads(r.stdout)["patients"][0]["patient_id"] == patient.id


# ---------------------------------------------------------------------------------- retrieve


def _instances_by_uid(store: CaseStore) -> dict[str, Any]:
    return {i.sop_instance_uid: i for i in store.instances()}


def test_retrieve_by_c_get(fresh: Orthanc, demo_case: CaseStore, tmp_path: Path) -> None:
    send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    chosen = [s for s in demo_case.studies() if any(x.modality == "CT" for x in s.series)]
    want = {i.sop_instance_uid for s in chosen for x in s.series for i in x.instances}
    with CaseStore.open(tmp_path / "priors", create=True) as store:
        report = retrieve(store, fresh.node(), [s.study_uid for s in chosen], method="get", ae_title=OUR_AET,
                          timeouts=FAST)
        assert report.completed == len(want) and report.failed == 0 and report.received == len(want)
        assert set(_instances_by_uid(store)) == want
        assert report.imported == len(want) and len(report.imports) == 1
        rows = store.log_rows()
        assert len(rows) == len(want) and {str(r.reason) for r in rows} == {"dicom"}
        assert [p for p in store.tmp_dir.rglob("*") if p.is_file()] == []
        # again: everything is already there
        again = retrieve(store, fresh.node(), [s.study_uid for s in chosen], method="get", ae_title=OUR_AET,
                         timeouts=FAST)
        assert again.to_json()["duplicates"] == len(want)


def test_a_cancelled_retrieve_leaves_the_case_as_it_was(fresh: Orthanc, demo_case: CaseStore, tmp_path: Path) -> None:
    from bundler.errors import Cancelled
    from bundler.progress import CancelToken

    send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    studies = [s.study_uid for s in demo_case.studies()]
    for method in ("get", "move"):
        cancel = CancelToken()

        def stop_now(done: int, total: int | None, message: str = "") -> None:
            cancel.cancel()

        def register(port: int) -> None:
            fresh.rest("PUT", "/modalities/bundler", {"AET": OUR_AET, "Host": LOOPBACK, "Port": port})

        with CaseStore.open(tmp_path / method, create=True) as store:
            with pytest.raises(Cancelled):
                retrieve(store, fresh.node(), studies, method=method, ae_title=OUR_AET, move_port=0,
                         listen_host=LOOPBACK, on_listening=register, progress=stop_now, cancel=cancel,
                         timeouts=FAST)
            assert store.instances() == () and store.log_rows() == ()
            assert [p for p in store.tmp_dir.rglob("*") if p.is_file()] == []
            assert not list(store.blobs_dir.rglob("*.*")) and not [p for p in store.blobs_dir.rglob("*") if p.is_file()]


def test_retrieve_keeps_compressed_syntaxes(fresh: Orthanc, syntax_case: CaseStore, tmp_path: Path) -> None:
    report = send(syntax_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    assert report.failed == 0, [r.to_json() for r in report.results if r.outcome == "failed"]
    sent: dict[str, str] = {}
    for i in syntax_case.instances():  # the shared set repeats some UIDs: the first one is sent
        sent.setdefault(i.sop_instance_uid, i.transfer_syntax_uid)
    assert {r.sop_instance_uid for r in report.results if r.outcome == "sent"} == set(sent)
    assert fresh.sop_uids() == set(sent)
    for sop, ts in sent.items():  # Orthanc stored each one in its own syntax
        (hit,) = fresh.rest("POST", "/tools/lookup", sop)
        assert fresh.text(f"/instances/{hit['ID']}/metadata/TransferSyntax") == ts
    studies = sorted({i.study_uid for i in syntax_case.instances()})
    with CaseStore.open(tmp_path / "back", create=True) as store:
        got = retrieve(store, fresh.node(), studies, method="get", ae_title=OUR_AET, timeouts=FAST)
        assert got.failed == 0
        back = {i.sop_instance_uid: i.transfer_syntax_uid for i in store.instances()}
    assert set(back) == set(sent)
    compressed = {sop for sop, ts in sent.items() if ts.startswith("1.2.840.10008.1.2.4") or ts.endswith(".5")}
    assert compressed and all(back[sop] == sent[sop] for sop in compressed), "C-GET brought images back transcoded"
    # and by C-MOVE to our storage SCP, which accepts every syntax Orthanc proposes

    def register(port: int) -> None:
        fresh.rest("PUT", "/modalities/bundler", {"AET": OUR_AET, "Host": LOOPBACK, "Port": port})

    with CaseStore.open(tmp_path / "moved", create=True) as store:
        moved = retrieve(store, fresh.node(), studies, method="move", ae_title=OUR_AET, move_port=0,
                         listen_host=LOOPBACK, on_listening=register, timeouts=FAST)
        assert moved.failed == 0
        back = {i.sop_instance_uid: i.transfer_syntax_uid for i in store.instances()}
    assert set(back) == set(sent)
    assert all(back[sop] == sent[sop] for sop in compressed), "C-MOVE brought images back transcoded"


def test_retrieve_by_c_move_to_our_scp(fresh: Orthanc, demo_case: CaseStore, tmp_path: Path) -> None:
    send(demo_case, fresh.node(), ae_title=OUR_AET, resume=False, timeouts=FAST)
    chosen = [s for s in demo_case.studies() if any(x.modality == "MR" for x in s.series)]
    want = {i.sop_instance_uid for s in chosen for x in s.series for i in x.instances}

    def register(port: int) -> None:  # the PACS must know where to send: our AE title, host, port
        fresh.rest("PUT", "/modalities/bundler", {"AET": OUR_AET, "Host": LOOPBACK, "Port": port})

    with CaseStore.open(tmp_path / "moved", create=True) as store:
        report = retrieve(store, fresh.node(), [s.study_uid for s in chosen], method="move", ae_title=OUR_AET,
                          move_port=0, listen_host=LOOPBACK, on_listening=register, timeouts=FAST)
        assert report.completed == len(want) and report.failed == 0
        assert set(_instances_by_uid(store)) == want and report.imported == len(want)
        assert [p for p in store.tmp_dir.rglob("*") if p.is_file()] == []
    # a move to an AE title the PACS does not know is refused with a plain message
    with CaseStore.open(tmp_path / "unknown", create=True) as store, pytest.raises(NetworkError) as e:
        retrieve(store, fresh.node(), [chosen[0].study_uid], method="move", ae_title="NOBODY", move_port=0,
                 listen_host=LOOPBACK, timeouts=FAST)
    assert "destination" in e.value.user_message or "status" in e.value.user_message


# ---------------------------------------------------------------------------------- TLS


def test_tls_echo_find_send_and_move(orthanc_tls: Orthanc, demo_case: CaseStore, pki: dict[str, Path],
                                     tmp_path: Path) -> None:
    orthanc_tls.clear()
    node = orthanc_tls.node(tls=True, tls_ca=pki["ca"], tls_cert=pki["client_cert"], tls_key=pki["client_key"])
    assert echo(node, ae_title=OUR_AET, timeouts=FAST).tls
    mr = next(s for s in demo_case.studies() if any(x.modality == "MR" for x in s.series))
    report = send(demo_case, node, study_uids=[mr.study_uid], ae_title=OUR_AET, resume=False, timeouts=FAST)
    want = {i.sop_instance_uid for x in mr.series for i in x.instances}
    assert report.sent == len(want) and orthanc_tls.sop_uids() == want
    assert [m.study_uid for m in find_studies(node, StudyQuery(), ae_title=OUR_AET, timeouts=FAST)] == [mr.study_uid]

    def register(port: int) -> None:
        orthanc_tls.rest("PUT", "/modalities/bundler",
                         {"AET": OUR_AET, "Host": LOOPBACK, "Port": port, "UseDicomTls": True})

    with CaseStore.open(tmp_path / "tls", create=True) as store:
        moved = retrieve(store, node, [mr.study_uid], method="move", ae_title=OUR_AET, move_port=0,
                         listen_host=LOOPBACK, on_listening=register, timeouts=FAST)
        assert moved.failed == 0 and {i.sop_instance_uid for i in store.instances()} == want
        got = retrieve(store, node, [mr.study_uid], method="get", ae_title=OUR_AET, timeouts=FAST)
        assert got.completed == len(want)
    # the CLI with --tls-ca and our certificate
    r = _cli("pacs", "echo", "--node", f"{ORTHANC_AET}@{LOOPBACK}:{orthanc_tls.dicom_port}", "--tls-ca",
             str(pki["ca"]), "--tls-cert", str(pki["client_cert"]), "--tls-key", str(pki["client_key"]), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tls"] is True


def test_no_process_is_left_behind(orthanc: Orthanc) -> None:
    """The fixture's Orthanc is ours alone and still running; teardown stops it (checked here
    on a second, short-lived one)."""
    gen = _start_orthanc(orthanc.folder.parent / "short_lived")
    short = next(gen)
    pid = short.proc.pid
    with pytest.raises(StopIteration):
        next(gen)
    assert short.proc.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
