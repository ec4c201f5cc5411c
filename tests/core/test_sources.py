"""Archives, disc images and hostile paths: every member accounted for, nothing read outside."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pycdlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet

from bundler.errors import UnsafePath
from bundler.ingest.pipeline import import_sources
from bundler.ingest.sources import Entry, Problem, _linux_optical, walk_source
from bundler.model import ImportStatus, Reason
from bundler.safepath import ArchiveLimits, clean_member_name, safe_join
from bundler.store import CaseStore
from support import secondary_capture


def _instance(i: int = 0) -> Dataset:
    return secondary_capture(i, SpecificCharacterSet="ISO_IR 192", AccessionNumber="A1")


def _bytes(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    s = CaseStore.open(tmp_path / "case", create=True)
    yield s
    s.close()


def _reasons(report: object) -> dict[str, Reason]:
    return {r.source.rsplit("!/", 1)[-1]: r.reason for r in report.rows}  # type: ignore[attr-defined]


# ------------------------------------------------------------------ ZIP


def test_zip_with_traversal_names_and_a_bomb(tmp_path: Path, store: CaseStore) -> None:
    z = tmp_path / "download.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("study/IM1", _bytes(_instance(0)))
        zf.writestr("../../evil.dcm", _bytes(_instance(1)))
        zf.writestr("/abs/path.dcm", _bytes(_instance(2)))
        zf.writestr("bomb.bin", b"\0" * (40 * 1024 * 1024))  # ~1000:1
        zf.writestr("notes/readme.txt", "hello")
    report = import_sources([z], store)
    reasons = _reasons(report)
    assert reasons["study/IM1"] is Reason.DICOM
    assert reasons["../../evil.dcm"] is Reason.UNSAFE_PATH
    assert reasons["/abs/path.dcm"] is Reason.UNSAFE_PATH
    assert reasons["bomb.bin"] is Reason.ARCHIVE_LIMIT
    assert reasons["notes/readme.txt"] is Reason.UNSUPPORTED_TYPE
    assert not (tmp_path.parent / "evil.dcm").exists()
    assert report.files_seen == 5


def test_nested_zip_and_depth_limit(tmp_path: Path, store: CaseStore) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("IM1", _bytes(_instance(0)))
    level = inner.getvalue()
    for _ in range(4):  # IM1 inside 5 zips: deeper than the limit of 3
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("inner.zip", level)
        level = buf.getvalue()
    (tmp_path / "deep.zip").write_bytes(level)
    shallow = io.BytesIO()
    with zipfile.ZipFile(shallow, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
    (tmp_path / "two-level.zip").write_bytes(shallow.getvalue())

    report = import_sources([tmp_path / "two-level.zip", tmp_path / "deep.zip"], store)
    rows = {r.source.split(str(tmp_path) + "/", 1)[1]: r for r in report.rows}
    assert rows["two-level.zip!/inner.zip!/IM1"].reason is Reason.DICOM
    deep = [r for k, r in rows.items() if k.startswith("deep.zip")]
    assert len(deep) == 1 and deep[0].reason is Reason.ARCHIVE_LIMIT
    assert not any(store.tmp_dir.iterdir()), "spooled nested archives are removed"


def test_encrypted_corrupt_and_empty_archives(tmp_path: Path, store: CaseStore) -> None:
    enc = tmp_path / "enc.zip"
    with zipfile.ZipFile(enc, "w") as zf:
        zf.writestr("IM1", b"\x00" * 64)
    raw = bytearray(enc.read_bytes())
    raw[6] |= 0x1  # general purpose bit 0: encrypted (local header, then central directory)
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1
    enc.write_bytes(bytes(raw))
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04" + b"\xff" * 100)
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 30)
    report = import_sources([tmp_path / n for n in ("enc.zip", "broken.zip", "empty.zip", "broken.gz")], store)
    reasons = {Path(r.source.split("!")[0]).name: r.reason for r in report.rows}
    assert reasons["enc.zip"] is Reason.ARCHIVE_ENCRYPTED
    assert reasons["broken.zip"] is Reason.ARCHIVE_CORRUPT
    assert reasons["empty.zip"] is Reason.EMPTY_ARCHIVE
    assert report.rows[-1].status is ImportStatus.FAILED  # broken.gz
    assert all(r.detail for r in report.rows)


def test_gzip_bomb_is_refused(tmp_path: Path, store: CaseStore) -> None:
    ds = _instance(0)
    ds.EncapsulatedDocument = b"\0" * (64 * 1024 * 1024)  # a DICOM header, then 64 MB of zeros
    data = gzip.compress(_bytes(ds))
    (tmp_path / "x.gz").write_bytes(data)
    limits = ArchiveLimits(ratio_floor_bytes=1024 * 1024)
    report = import_sources([tmp_path / "x.gz"], store, limits=limits)
    assert [(r.status, r.reason) for r in report.rows] == [(ImportStatus.FAILED, Reason.FILE_TOO_LARGE)]


def test_zip_of_a_cd_with_dicomdir(tmp_path: Path, store: CaseStore) -> None:
    cd = tmp_path / "cd"
    fs = FileSet()
    for i in range(3):
        fs.add(_instance(i))
    fs.write(cd)
    z = tmp_path / "portal-download.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(cd.rglob("*")):
            if p.is_file() and not p.name.endswith("IM000002"):  # one file missing
                zf.write(p, "CD/" + str(p.relative_to(cd)))
    report = import_sources([z], store)
    assert report.dicom_instances == 2
    assert [m.reason for m in report.missing] == ["missing"]
    assert report.missing[0].referenced_path.endswith("IM000002")


# ------------------------------------------------------------------ ISO 9660


def _make_iso(path: Path, files: dict[str, bytes], *, joliet: bool = True) -> None:
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3 if joliet else None, vol_ident="PATIENT_CD")
    dirs: set[str] = set()
    for name in sorted(files):
        parts = name.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs:
                dirs.add(d)
                kw = {"joliet_path": "/" + d} if joliet else {}
                iso.add_directory("/" + d.upper(), **kw)
        data = files[name]
        kw = {"joliet_path": "/" + name} if joliet else {}
        iso.add_fp(io.BytesIO(data), len(data), "/" + name.upper() + ";1", **kw)
    iso.write(str(path))
    iso.close()


def test_iso_image_read_directly(tmp_path: Path, store: CaseStore) -> None:
    cd = tmp_path / "cd"
    fs = FileSet()
    for i in range(4):
        fs.add(_instance(i))
    fs.write(cd)
    files = {str(p.relative_to(cd)): p.read_bytes() for p in cd.rglob("*") if p.is_file()}
    files["AUTORUN.INF"] = b"[autorun]\n"
    iso = tmp_path / "disc.iso"
    _make_iso(iso, files)
    report = import_sources([iso], store)
    assert report.dicom_instances == 4
    assert report.missing == []
    reasons = {r.source.rsplit("!", 1)[1]: r.reason for r in report.rows}
    assert reasons["/DICOMDIR"] is Reason.DICOMDIR
    assert reasons["/AUTORUN.INF"] is Reason.VIEWER_SOFTWARE
    for inst in store.instances():
        assert store.blob_path(inst.sha256).read_bytes() in files.values()
        assert inst.patient.name == "Øster^Åse"


def test_plain_iso9660_without_joliet(tmp_path: Path, store: CaseStore) -> None:
    iso = tmp_path / "old.iso"
    _make_iso(iso, {"IM1": _bytes(_instance(0)), "SUB/IM2": _bytes(_instance(1))}, joliet=False)
    report = import_sources([iso], store)
    assert report.dicom_instances == 2
    names = sorted(r.source.rsplit("!", 1)[1] for r in report.rows)
    assert names == ["/IM1", "/SUB/IM2"]  # ';1' versions and trailing dots removed


def test_corrupt_iso_is_one_failed_row(tmp_path: Path, store: CaseStore) -> None:
    data = bytearray(b"\0" * 40960)
    data[32769:32774] = b"CD001"
    (tmp_path / "bad.iso").write_bytes(bytes(data))
    report = import_sources([tmp_path / "bad.iso"], store)
    assert [(r.status, r.reason) for r in report.rows] == [(ImportStatus.FAILED, Reason.ARCHIVE_CORRUPT)]


# ------------------------------------------------------------------ paths and drives


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/etc/passwd", "C:\\Windows\\x", "a\\..\\..\\x", "a\x00b", ""])
def test_unsafe_member_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafePath):
        clean_member_name(name)


def test_safe_join_refuses_links_out(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "out").symlink_to(tmp_path)
    assert safe_join(tmp_path / "root", "a", "b") == tmp_path / "root" / "a" / "b"
    with pytest.raises(UnsafePath):
        safe_join(tmp_path / "root", "out", "secret")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_clean_member_name_never_escapes(name: str) -> None:
    try:
        rel = clean_member_name(name)
    except UnsafePath:
        return
    assert not rel.is_absolute()
    assert ".." not in rel.parts


def test_linux_optical_drive_listing(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\n"
        "/dev/sr0 /media/me/HOSPITAL\\040CD iso9660 ro,nosuid 0 0\n"
        "/dev/sr1 /run/media/me/DVD udf ro 0 0\n"
    )
    drives = _linux_optical(mounts)
    assert [(str(d.mount_point), d.device) for d in drives] == [
        ("/media/me/HOSPITAL CD", "/dev/sr0"), ("/run/media/me/DVD", "/dev/sr1")]


def test_optical_sources_are_read_in_order(tmp_path: Path) -> None:
    (tmp_path / "B").write_bytes(b"x")
    (tmp_path / "A").write_bytes(b"y")
    items = list(walk_source(tmp_path, scratch=tmp_path / "s", optical_mounts=frozenset({tmp_path})))
    assert all(isinstance(i, Entry) and i.sequential for i in items)
    assert [i.relpath.name for i in items if isinstance(i, Entry)] == ["A", "B"]
    assert not any(isinstance(i, Problem) for i in items)
