"""Reconciliation, node parsing, node settings and the C-STORE encoder: no network needed."""

from __future__ import annotations

import io
import json
import os
import struct
from datetime import UTC, datetime
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from bundler.errors import UsageError
from bundler.net.ae import AllowEntry, Node, parse_allow, parse_node, storage_context_groups, validate_ae_title
from bundler.net.fastsend import command_set, parse_command
from bundler.net.reconcile import MODIFYING_SYSTEM, LocalPatient, reconcile

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _outside_instance(*, charset: str | None = None, name: str = "Outside^Patient", issuer: str = "OUTSIDE-HOSP",
                      qualifiers: bool = True) -> Dataset:
    """An instance as it comes on an outside CD, written and read back like a stored file."""
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = name
    ds.PatientID = "CD-12345"
    ds.IssuerOfPatientID = issuer
    if qualifiers:
        q = Dataset()
        q.UniversalEntityID = "2.16.840.1.113883.3.999"
        q.UniversalEntityIDType = "ISO"
        ds.IssuerOfPatientIDQualifiersSequence = [q]
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.Modality = "CT"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = struct.pack("<4H", 1, 2, 3, 4)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buf.getvalue()))


def _encoded(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def _reread_strictly(ds: Dataset) -> Dataset:
    """Write and read back with pydicom's validation raising on any invalid value."""
    data = _encoded(ds)
    with pydicom.config.strict_reading():
        back = pydicom.dcmread(io.BytesIO(data))
        for elem in back.iterall():  # convert every raw element: invalid values raise here
            _ = elem.value
    return back


# ---------------------------------------------------------------------------------- reconcile


def test_reconcile_replaces_identity_and_keeps_the_originals() -> None:
    ds = _outside_instance()
    before = _encoded(ds)
    local = LocalPatient("LOC-777", "LOCAL-HOSP", "Local^Name^Middle", "19700102", "F")
    out = _reread_strictly(reconcile(ds, local, now=NOW))

    assert _encoded(ds) == before, "the case's original must never change"
    assert (out.PatientID, out.IssuerOfPatientID, str(out.PatientName), out.PatientBirthDate) == (
        "LOC-777", "LOCAL-HOSP", "Local^Name^Middle", "19700102")
    assert "IssuerOfPatientIDQualifiersSequence" not in out  # it described the outside ID
    # IHE IRWF: the outside ID and its issuer as an Other Patient IDs item (PS3.3 C.7.1.1)
    (other,) = out.OtherPatientIDsSequence
    assert (other.PatientID, other.IssuerOfPatientID, other.TypeOfPatientID) == ("CD-12345", "OUTSIDE-HOSP", "TEXT")
    assert other.IssuerOfPatientIDQualifiersSequence[0].UniversalEntityID == "2.16.840.1.113883.3.999"
    # PS3.3 C.12.1.1.9.2: what was replaced, when, by whom and why
    (record,) = out.OriginalAttributesSequence
    assert record.ReasonForTheAttributeModification == "COERCE"
    assert record.ModifyingSystem == MODIFYING_SYSTEM
    assert record.AttributeModificationDateTime == "20260304050607+0000"
    assert record.SourceOfPreviousValues == "OUTSIDE-HOSP"
    modified = record.ModifiedAttributesSequence[0]
    assert (modified.PatientID, str(modified.PatientName), modified.PatientBirthDate) == (
        "CD-12345", "Outside^Patient", "19700101")
    assert modified.IssuerOfPatientID == "OUTSIDE-HOSP"
    assert "PatientSex" not in modified  # unchanged values are not recorded as modified
    # everything else is the same instance
    assert out.SOPInstanceUID == ds.SOPInstanceUID and out.StudyInstanceUID == ds.StudyInstanceUID
    assert out.PixelData == ds.PixelData
    assert out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


def test_empty_local_values_keep_the_outside_ones() -> None:
    ds = _outside_instance(qualifiers=False)
    out = _reread_strictly(reconcile(ds, LocalPatient("LOC-1"), now=NOW))
    assert out.PatientID == "LOC-1"
    assert str(out.PatientName) == "Outside^Patient" and out.PatientBirthDate == "19700101"
    assert "IssuerOfPatientID" not in out  # the outside issuer does not issue the local ID
    modified = out.OriginalAttributesSequence[0].ModifiedAttributesSequence[0]
    assert set(modified.dir()) == {"IssuerOfPatientID", "PatientID"}


def test_reconciling_twice_adds_nothing_twice() -> None:
    local = LocalPatient("LOC-9", "LOCAL-HOSP", "Local^Name")
    once = reconcile(_outside_instance(), local, now=NOW)
    twice = _reread_strictly(reconcile(once, local, now=NOW))
    assert len(twice.OtherPatientIDsSequence) == 1
    assert len(twice.OriginalAttributesSequence) == 1  # nothing changed the second time


def test_an_existing_other_ids_sequence_is_kept() -> None:
    ds = _outside_instance()
    item = Dataset()
    item.PatientID = "OLDER-ID"
    item.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = [item]
    before = _encoded(ds)
    out = _reread_strictly(reconcile(ds, LocalPatient("LOC-2"), now=NOW))
    assert [i.PatientID for i in out.OtherPatientIDsSequence] == ["OLDER-ID", "CD-12345"]
    assert _encoded(ds) == before


def test_a_name_the_character_set_cannot_hold_switches_to_utf8() -> None:
    ds = _outside_instance(charset="ISO_IR 100", name="Müller^Jörg")
    before = _encoded(ds)
    out = _reread_strictly(reconcile(ds, LocalPatient("LOC-3", name="Šimková^Zoë"), now=NOW))
    assert out.SpecificCharacterSet == "ISO_IR 192"
    assert str(out.PatientName) == "Šimková^Zoë"
    assert str(out.OriginalAttributesSequence[0].ModifiedAttributesSequence[0].PatientName) == "Müller^Jörg"
    assert _encoded(ds) == before


def test_a_name_the_character_set_can_hold_keeps_it() -> None:
    ds = _outside_instance(charset="ISO_IR 100", name="Outside^Patient")
    out = _reread_strictly(reconcile(ds, LocalPatient("LOC-4", name="Müller^Jörg"), now=NOW))
    assert out.SpecificCharacterSet == "ISO_IR 100"
    assert str(out.PatientName) == "Müller^Jörg"


_id_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\"),
                   min_size=1, max_size=20)
_name_part = st.text(st.characters(categories=["Lu", "Ll"], max_codepoint=0x17F), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient_id=_id_text, issuer=st.one_of(st.just(""), _id_text), family=_name_part, given_name=_name_part,
       birth=st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2030, 12, 31).date()),
       sex=st.sampled_from(["", "M", "F", "O"]))
def test_reconcile_round_trips_any_valid_local_identity(patient_id: str, issuer: str, family: str,
                                                        given_name: str, birth: object, sex: str) -> None:
    ds = _outside_instance()
    before = _encoded(ds)
    local = LocalPatient(patient_id, issuer, f"{family}^{given_name}", birth.strftime("%Y%m%d"), sex)  # type: ignore[attr-defined]
    out = _reread_strictly(reconcile(ds, local, now=NOW))
    assert _encoded(ds) == before
    assert out.PatientID == patient_id
    assert str(out.PatientName) == f"{family}^{given_name}"
    assert out.PatientBirthDate == local.birth_date
    assert out.get("IssuerOfPatientID", "") == issuer
    assert out.PatientSex == (sex or "F")
    if (patient_id, issuer) != ("CD-12345", "OUTSIDE-HOSP"):
        assert out.OtherPatientIDsSequence[-1].PatientID == "CD-12345"


@pytest.mark.parametrize("kwargs", [
    {"patient_id": ""},
    {"patient_id": "A\\B"},
    {"patient_id": "X" * 65},
    {"patient_id": "ok", "birth_date": "1970-01-01"},
    {"patient_id": "ok", "birth_date": "19700230"},
    {"patient_id": "ok", "sex": "X"},
    {"patient_id": "ok", "name": "Line\nbreak"},
    {"patient_id": " padded"},
])
def test_local_patient_refuses_values_dicom_cannot_hold(kwargs: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        LocalPatient(**kwargs)


def test_fingerprint_tells_identities_apart_without_showing_them() -> None:
    a, b = LocalPatient("LOC-1", name="A^B"), LocalPatient("LOC-1", name="A^C")
    assert a.fingerprint() != b.fingerprint() and a.fingerprint() == LocalPatient("LOC-1", name="A^B").fingerprint()
    assert "LOC" not in a.fingerprint()


# ---------------------------------------------------------------------------------- nodes


def test_parse_node() -> None:
    n = parse_node("PACS@pacs.example.org:11112")
    assert (n.ae_title, n.host, n.port, n.tls) == ("PACS", "pacs.example.org", 11112, True)
    assert n.label == "PACS@pacs.example.org:11112"
    v6 = parse_node("ARCH@[::1]:104", tls=False)
    assert (v6.host, v6.port, v6.tls, v6.label) == ("::1", 104, False, "ARCH@[::1]:104")
    assert parse_node(" MY AE@10.0.0.1:4242 ").ae_title == "MY AE"


@pytest.mark.parametrize("text", ["PACS@host", "@host:104", "PACS@:104", "PACS@host:0", "PACS@host:70000",
                                  "WAY_TOO_LONG_AE_TITLE@h:104", "BAD\\AE@h:104", "PACS@h:104:5", "PACS@h:x"])
def test_parse_node_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse_node(text)


def test_parse_allow() -> None:
    assert parse_allow("STORESCU@127.0.0.1") == AllowEntry("STORESCU", "127.0.0.1")
    assert parse_allow("X@[::1]").addresses() == frozenset({"::1"})
    assert parse_allow("X@localhost").addresses() >= {"127.0.0.1"} or parse_allow("X@localhost").addresses()
    for bad in ("NOHOST", "X@h:104", "@h"):
        with pytest.raises(UsageError):
            parse_allow(bad)


def test_ae_titles() -> None:
    assert validate_ae_title(" RB ") == "RB"
    for bad in ("", "   ", "A" * 17, "A\\B", "A\x01"):
        with pytest.raises(UsageError):
            validate_ae_title(bad)


def test_node_json_round_trip() -> None:
    n = Node("PACS", "h", 104, tls=True, tls_ca=Path("/ca.pem"), tls_cert=Path("/c.pem"), tls_key=Path("/k.pem"),
             check_hostname=False)
    assert Node.from_json(json.loads(json.dumps(n.to_json()))) == n
    with pytest.raises(UsageError):
        Node("PACS", "h", 104, tls_cert=Path("/c.pem"))  # a certificate without its key


def test_saved_nodes_are_per_user_and_written_atomically() -> None:
    from bundler.config import read_settings, user_config_dir
    from bundler.net.nodes import get_node, load_nodes, local_ae_title, remove_node, save_node, set_local_ae_title

    assert load_nodes() == {} and local_ae_title() == "RECBUNDLER"
    save_node("pacs", parse_node("PACS@10.1.2.3:104", tls=False))
    save_node("arch", parse_node("ARCH@10.1.2.4:2762", tls_ca=Path("/etc/ca.pem")))
    set_local_ae_title("FRONTDESK")
    assert get_node("pacs").tls is False and get_node("arch").tls_ca == Path("/etc/ca.pem")
    assert local_ae_title() == "FRONTDESK"
    path = user_config_dir() / "nodes.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert remove_node("pacs") and not remove_node("pacs")
    assert set(read_settings("nodes.json")["nodes"]) == {"arch"}
    with pytest.raises(UsageError):
        get_node("pacs")
    with pytest.raises(UsageError):
        save_node("../evil", parse_node("A@h:1"))
    path.write_text("[1, 2]")
    with pytest.raises(UsageError):
        load_nodes()
    os.chmod(path, 0o600)


# ---------------------------------------------------------------------------------- encoders


def test_our_c_store_command_set_matches_pynetdicom() -> None:
    from pynetdicom.dimse_messages import C_STORE_RQ
    from pynetdicom.dimse_primitives import C_STORE
    from pynetdicom.dsutils import encode

    for uid in ("1.2.3.4", "1.2.3.45"):  # odd and even lengths (UI padding, PS3.5 §6.2)
        req = C_STORE()
        req.MessageID = 7
        req.AffectedSOPClassUID = CTImageStorage
        req.AffectedSOPInstanceUID = uid
        req.Priority = 0
        req.DataSet = io.BytesIO(b"\x00\x00")
        msg = C_STORE_RQ()
        msg.primitive_to_message(req)
        assert command_set(CTImageStorage, uid, 7) == encode(msg.command_set, True, True)
        fields = parse_command(command_set(CTImageStorage, uid, 7))
        assert fields[0x1000].rstrip(b"\x00") == uid.encode() and struct.unpack("<H", fields[0x0110])[0] == 7


def test_storage_contexts_fit_in_associations() -> None:
    pairs = [(f"1.2.840.10008.5.1.4.1.1.{n}", ts) for n in range(100)
             for ts in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.90")]
    groups = storage_context_groups(pairs)
    assert all(len(g) <= 128 for g in groups) and len(groups) >= 3
    seen: dict[str, int] = {}
    for n, g in enumerate(groups):
        for cx in g:
            assert seen.setdefault(str(cx.abstract_syntax), n) == n  # a SOP class never split
    assert sum(len(g) for g in groups) == 300  # each class: its two syntaxes + the uncompressed fall-back


# ---------------------------------------------------------------------------------- CLI (no network)


def test_cli_nodes_and_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from bundler.cli import main

    assert main(["pacs", "nodes", "add", "pacs1", "--node", "PACS@10.0.0.9:104", "--plain"]) == 0
    assert main(["pacs", "nodes", "add", "secure", "--node", "ARCH@10.0.0.10:2762", "--tls-ca", str(tmp_path / "ca.pem")]) == 0
    capsys.readouterr()
    assert main(["pacs", "nodes", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["pacs1"]["tls"] is False and listed["secure"]["tls"] is True
    assert main(["pacs", "nodes", "ae-title", "FRONTDESK1"]) == 0
    assert main(["pacs", "nodes", "remove", "pacs1"]) == 0 and main(["pacs", "nodes", "remove", "pacs1"]) == 1
    capsys.readouterr()
    # plain-language usage errors, exit status 2, no traceback
    assert main(["pacs", "echo", "--node", "not-a-saved-node"]) == 2
    assert main(["pacs", "echo", "--node", "PACS@no-port"]) == 2
    assert main(["pacs", "echo", "--node", "P@h:104", "--plain", "--tls-ca", "x.pem"]) == 2
    assert main(["pacs", "find", "--node", "P@h:104", "--plain", "--date", "2024-01-01"]) == 2
    assert main(["pacs", "send", "--node", "P@h:104", "--plain", "--case", str(tmp_path), "--local-name", "A^B"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "AE@HOST:PORT" in err and "YYYYMMDD" in err and "No saved DICOM node" in err
