"""A damaged DICOMDIR is read as an index or refused with ``ValueError``, never another error.

pydicom parses lazily: a truncated or malformed DICOMDIR raises struct errors, KeyError,
NotImplementedError (unknown VR), BytesLengthException... while the records are walked, and
its messages may quote the bytes they choke on. ``read_dicomdir`` turns all of them into one
plain ``ValueError``.
"""

from __future__ import annotations

import io
import struct
import time
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet

from bundler.ingest.dicomdir import IndexedFile, read_dicomdir
from support import require_shared_data, secondary_capture

MARKER_NAME = "Zqxdirmarker^Zqxgiven"
MARKER_ID = "ZQXDIRID42"
_OFFSET_TAGS = (b"\x04\x00\x00\x12", b"\x04\x00\x00\x14", b"\x04\x00\x20\x14")  # root, next, lower
_UL = b"UL\x04\x00"


def _instance(i: int) -> Dataset:
    return secondary_capture(i, StudyInstanceUID="1.2.826.0.1.3680043.8.498.11",
                             SeriesInstanceUID="1.2.826.0.1.3680043.8.498.12", PatientName=MARKER_NAME,
                             PatientID=MARKER_ID)


@pytest.fixture(scope="module")
def dicomdir(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    root = tmp_path_factory.mktemp("cd")
    fs = FileSet()
    for i in range(3):
        fs.add(_instance(i))
    fs.write(root)
    return (root / "DICOMDIR").read_bytes()


def _read_or_refuse(data: bytes) -> list[IndexedFile] | None:
    """The index, or None when refused; any other exception fails the test."""
    try:
        return read_dicomdir(data)
    except ValueError as e:
        assert type(e) is ValueError
        message = str(e)
        assert message == "unreadable DICOMDIR"
        assert "zqx" not in message.casefold()
        return None


def _set_offsets(data: bytes, value: int) -> bytes:
    out = data
    for tag in _OFFSET_TAGS:
        head = tag + _UL
        parts = out.split(head)
        out = head.join([parts[0]] + [struct.pack("<I", value) + p[4:] for p in parts[1:]])
    return out


def test_an_intact_dicomdir_is_read(dicomdir: bytes) -> None:
    indexed = read_dicomdir(dicomdir)
    assert len(indexed) == 3 and all(i.safe and i.sop_instance_uid for i in indexed)


def test_a_truncated_dicomdir_is_refused_with_a_plain_value_error(dicomdir: bytes) -> None:
    # Every cut point, and cut points followed by junk: pydicom fails in many ways on these.
    for n in range(0, len(dicomdir), 3):
        _read_or_refuse(dicomdir[:n])
        _read_or_refuse(dicomdir[:n] + b"\xff" * 7)


def test_an_unknown_vr_on_the_offsets_is_refused(dicomdir: bytes) -> None:
    data = dicomdir.replace(b"\x04\x00\x00\x14" + _UL, b"\x04\x00\x00\x14ZZ\x04\x00")
    assert data != dicomdir
    assert _read_or_refuse(data) is None  # pydicom raised NotImplementedError while walking


def test_an_offset_of_the_wrong_length_is_refused(dicomdir: bytes) -> None:
    data = dicomdir.replace(b"\x04\x00\x00\x14" + _UL, b"\x04\x00\x00\x14UL\x03\x00")
    assert data != dicomdir
    assert _read_or_refuse(data) is None


@pytest.mark.parametrize("offset", [0xFFFFFFF0, 0, 1])
def test_records_with_bad_offsets_fall_back_to_their_order(dicomdir: bytes, offset: int) -> None:
    indexed = _read_or_refuse(_set_offsets(dicomdir, offset))
    assert indexed is not None and len(indexed) == 3


def test_records_whose_offsets_loop_do_not_hang(dicomdir: bytes) -> None:
    root = struct.unpack("<I", dicomdir.split(_OFFSET_TAGS[0] + _UL, 1)[1][:4])[0]
    indexed = _read_or_refuse(_set_offsets(dicomdir, root))  # every record points at the first
    assert indexed is not None and len(indexed) <= 3


def test_a_dicomdir_without_records_is_an_empty_index(dicomdir: bytes) -> None:
    ds = pydicom.dcmread(io.BytesIO(dicomdir))
    del ds.DirectoryRecordSequence
    buf = io.BytesIO()
    ds.save_as(buf)
    assert _read_or_refuse(buf.getvalue()) == []


def test_damaged_shared_dicomdirs_are_read_or_refused() -> None:
    folder = require_shared_data() / "1_dicom_media" / "cd_pydicom_dicomdirtests"
    samples = sorted(p for p in folder.iterdir() if p.is_file() and p.name.upper().startswith("DICOMDIR"))
    assert samples
    for path in samples:
        data = path.read_bytes()
        for n in range(0, len(data), max(1, len(data) // 40)):
            _read_or_refuse(data[:n])
            _read_or_refuse(data[:n] + b"\xff" * 8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=8),
                                st.sampled_from(["overwrite", "insert", "delete"])), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_any_damage_is_read_or_refused_quickly(dicomdir: bytes, edits: list[tuple[float, bytes, str]],
                                               cut: float | None) -> None:
    """Overwritten, inserted or deleted bytes anywhere, then maybe a cut: the index is read or
    refused with the plain ValueError, within a second, and every file ID it gives is clean."""
    data = bytearray(dicomdir)
    for where, chunk, how in edits:
        at = int(where * len(data))
        if how == "overwrite":
            data[at:at + len(chunk)] = chunk
        elif how == "insert":
            data[at:at] = chunk
        else:
            del data[at:at + len(chunk)]
    if cut is not None:
        data = data[:int(cut * len(data))]
    started = time.monotonic()
    indexed = _read_or_refuse(bytes(data))
    assert time.monotonic() - started < 1.0
    for item in indexed or []:  # a file ID is only ever used when it is marked safe
        if item.safe:
            assert ".." not in item.file_id.split("/") and not item.file_id.startswith(("/", "\\"))
