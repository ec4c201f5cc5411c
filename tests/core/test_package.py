"""Export, verify and open packages (bundler.export.package), end to end on real cases.

Round trips through both containers on the demo case (plus a document, a bare dataset and a
hostile patient name) and on the shared DICOM media; every tamper case of the issue gets its
own code and message; cancel and failure leave nothing under the target name; the CLI's exit
codes and JSON. Passphrase exports use scrypt work factor 10 (the CLI uses 18).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.fileset import FileSet
from pydicom.filewriter import write_dataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from bundler import cli
from bundler.demo import write_demo
from bundler.errors import BundlerError, Cancelled, CaseError, UsageError
from bundler.export import age
from bundler.export.layout import MANIFEST, parse_manifest
from bundler.export.package import (
    NoSpace,
    PackageWrongKey,
    export_package,
    open_package,
    open_package_as_case,
    verify_package,
)
from bundler.export.passphrase import (
    MIN_BITS,
    WeakPassphrase,
    check_passphrase,
    generate_passphrase,
    passphrase_bits,
    word_list,
)
from bundler.ingest.pipeline import import_sources
from bundler.model import Document, ImportStatus, LogRow, ParsedDocument, Reason
from bundler.model.clinical import DocumentKind
from bundler.progress import CancelToken
from bundler.store import BlobRecord, CaseStore
from support import require_shared_data, require_tool

PASS = "quaking-dried-hybrid-timing-satchel-refract-distrust"
WF = 10  # scrypt work factor for tests
EVIL_NAME = '<script>alert("x")</script>^Eve & <b>Mallory</b>'


# --- building cases ------------------------------------------------------------------------


def _dataset(patient: str, *, study_date: str | None = "20240105", number: int | None = 1) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = patient
    ds.PatientID = "EVIL-1"
    ds.PatientBirthDate = "19700101"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    if study_date is not None:
        ds.StudyDate = study_date
    ds.StudyTime = "101010"
    ds.Modality = "OT"
    ds.SeriesNumber = 1
    if number is not None:
        ds.InstanceNumber = number
    ds.StudyDescription = "<img src=x onerror=alert(1)>"
    return ds


def _bare_bytes(ds: Dataset) -> bytes:
    """A dataset with neither preamble nor File Meta, Implicit VR Little Endian."""
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = True
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


def _part10_bytes(ds: Dataset) -> bytes:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def add_document(store: CaseStore, name: str, data: bytes, media_type: str = "application/pdf",
                 kind: DocumentKind = DocumentKind.RADIOLOGY_REPORT) -> Document:
    """Put a document straight into the case (independent of the document readers)."""
    sha = hashlib.sha256(data).hexdigest()
    blob = store.blob_path(sha)
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(data)
    source = f"/home/someone/Patient Records/{name}"
    doc = Document(id=f"doc-{sha[:12]}", sha256=sha, size=len(data), media_type=media_type,
                   title=Path(name).stem, source=source, kind=str(kind))
    run = store.begin_run()
    store.commit_batch(run, rows=[LogRow(source, ImportStatus.IMPORTED, Reason.DOCUMENT, sha256=sha)],
                       blobs=[BlobRecord(sha, len(data))],
                       documents=[(doc, ParsedDocument(media_type=media_type, title=doc.title, kind=kind))])
    store.finish_run(run)
    return doc


@dataclass
class Case:
    dir: Path
    extra: Path  # the crafted DICOM files


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = tmp_path_factory.mktemp("demo")
    demo = write_demo(root / "media", ct_slices=6, matrix=64)
    extra = root / "extra"
    extra.mkdir()
    (extra / "evil.dcm").write_bytes(_part10_bytes(_dataset(EVIL_NAME)))
    (extra / "bare_no_date").write_bytes(_bare_bytes(_dataset(EVIL_NAME, study_date=None, number=None)))
    with CaseStore.open(root / "case", create=True) as store:
        import_sources([demo.cd_dir, demo.documents_dir, extra], store, processes=False)
        add_document(store, "Pathology Report – Muñoz.pdf", b"%PDF-1.4\n% a pathology report\n%%EOF\n")
        add_document(store, "labs.csv", b"test,value\nHb,13.2\n", "text/csv", DocumentKind.LAB_RESULT)
    return Case(root / "case", extra)


@dataclass
class Exported:
    path: Path
    store: Path
    keys: dict[str, object]


def _export(case: Path, out: Path, fmt: str, **keys: object) -> None:
    with CaseStore.open(case) as store:
        export_package(store, out, fmt=fmt, work_factor=WF, **keys)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def identity() -> age.Identity:
    return age.Identity.generate()


@pytest.fixture(scope="module", params=["age-passphrase", "age-recipient", "zip"])
def exported(request: pytest.FixtureRequest, demo_case: Case, identity: age.Identity,
             tmp_path_factory: pytest.TempPathFactory) -> Exported:
    out_dir = tmp_path_factory.mktemp("out")
    fmt = "zip" if request.param == "zip" else "age"
    out = out_dir / f"package.{fmt}"
    if request.param == "age-recipient":
        _export(demo_case.dir, out, fmt, recipients=[str(identity.recipient())])
        keys: dict[str, object] = {"identities": [identity]}
    else:
        _export(demo_case.dir, out, fmt, passphrase=PASS)
        keys = {"passphrase": PASS}
    return Exported(out, demo_case.dir, keys)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dataset_bytes(part10: bytes) -> bytes:
    """The bytes after preamble, DICM and the File Meta group."""
    assert part10[128:132] == b"DICM"
    group_length = struct.unpack_from("<I", part10, 140)[0]
    return part10[144 + group_length:]


def assert_round_trip(store_dir: Path, opened: Path) -> None:
    """Every file imported into the case is in the opened package, byte for byte."""
    files = _tree(opened)
    manifest = {e.path: e for e in parse_manifest(files[MANIFEST])}
    case = json.loads(files["CASE.JSON"])
    with CaseStore.open(store_dir) as store:
        instances = store.instances()
        documents = store.documents()
        by_path = {f["path"]: f for s in case["studies"] for se in s["series"] for f in se["files"]}
        assert len(by_path) == len(instances)
        for f in by_path.values():
            original = store.blob_path(f["sha256"]).read_bytes()
            packaged = files[f["path"]]
            if f["wrapped_into_part10"]:
                assert manifest[f["path"]].original_sha256 == f["sha256"]
                assert _dataset_bytes(packaged) == original  # the dataset itself is unchanged
                pydicom.dcmread(io.BytesIO(packaged))  # and it is now a Part 10 file
            else:
                assert packaged == original
        for d in case["documents"]:
            assert files[d["path"]] == store.blob_path(d["sha256"]).read_bytes()
        assert {d["sha256"] for d in case["documents"]} == {d.sha256 for d in documents}
    for path, entry in manifest.items():
        assert _sha(files[path]) == entry.sha256 and len(files[path]) == entry.size
    assert set(manifest) == set(files) - {MANIFEST}


# --- round trips ---------------------------------------------------------------------------


def test_export_verify_open_round_trip(exported: Exported, tmp_path: Path) -> None:
    report = verify_package(exported.path, **exported.keys)  # type: ignore[arg-type]
    assert report.ok, report.problems
    opened = open_package(exported.path, to=tmp_path / "opened", **exported.keys)  # type: ignore[arg-type]
    assert opened.ok and opened.path == tmp_path / "opened"
    assert report.files == opened.verify.files == len([p for p in opened.path.rglob("*") if p.is_file()])
    assert_round_trip(exported.store, opened.path)
    # nothing but the published folder is left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opened"]


def test_layout_names_and_dicomdir(exported: Exported, tmp_path: Path) -> None:
    opened = open_package(exported.path, to=tmp_path / "o", **exported.keys)  # type: ignore[arg-type]
    assert opened.path is not None
    root = opened.path
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    for top in ("README.TXT", "INDEX.HTM", "DICOMDIR", "CASE.JSON", "MANIFEST.TXT"):
        assert top in names
    for name in names:
        if name.startswith("DICOM/"):
            parts = name.split("/")
            assert len(parts) <= 8 and all(re.fullmatch(r"[A-Z0-9_]{1,8}", p) for p in parts), name
        elif name.startswith("DOCS/"):
            assert re.fullmatch(r"DOCS/DOC\d{5}\.[A-Z0-9]{1,4}", name), name
    # pydicom reads the DICOMDIR back and lists every instance it should, at existing paths
    fs = FileSet(pydicom.dcmread(root / "DICOMDIR"))
    case = json.loads((root / "CASE.JSON").read_text(encoding="utf-8"))
    listed = {f["path"] for s in case["studies"] for se in s["series"] for f in se["files"] if f["in_dicomdir"]}
    assert {"/".join(Path(i.path).relative_to(root).parts) for i in fs} == listed
    assert len(listed) >= 50


def test_case_json_has_identity_documents_timeline_and_findings(exported: Exported, tmp_path: Path) -> None:
    opened = open_package(exported.path, to=tmp_path / "o", **exported.keys)  # type: ignore[arg-type]
    assert opened.path is not None
    case = json.loads((opened.path / "CASE.JSON").read_text(encoding="utf-8"))
    assert case["format"] == "records-bundler-case" and case["format_version"] == 1
    assert {p["id"] for p in case["identity"]["patients"]} >= {"LUH-4471203", "EVIL-1"}
    docs = {d["original_name"]: d for d in case["documents"]}
    assert "Pathology Report – Muñoz.pdf" in docs
    assert docs["labs.csv"]["kind"] == "lab_result" and docs["labs.csv"]["path"].endswith(".CSV")
    assert all("/home/" not in d["source"] for d in case["documents"])
    assert case["timeline"] and all(set(e) >= {"date", "date_precision", "kind", "title", "refs"}
                                    for e in case["timeline"])
    assert case["findings"]["profile"] == "general" and case["findings"]["items"]
    assert case["findings"]["identity"]["stop"] is True  # the package holds EVIL-1's records too


def test_index_escapes_everything(exported: Exported, tmp_path: Path) -> None:
    opened = open_package(exported.path, to=tmp_path / "o", **exported.keys)  # type: ignore[arg-type]
    assert opened.path is not None
    page = (opened.path / "INDEX.HTM").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Content-Security-Policy" in page
    assert 'href="DOCS/DOC' in page


def test_missing_keys_are_filled_in_the_record_only(demo_case: Case, exported: Exported, tmp_path: Path) -> None:
    opened = open_package(exported.path, to=tmp_path / "o", **exported.keys)  # type: ignore[arg-type]
    assert opened.path is not None
    original = (demo_case.extra / "bare_no_date").read_bytes()
    fs = FileSet(pydicom.dcmread(opened.path / "DICOMDIR"))
    [inst] = [i for i in fs if i.PatientID == "EVIL-1" and "StudyDate" not in i.load()]
    assert _dataset_bytes(Path(inst.path).read_bytes()) == original  # the instance is untouched
    study = inst.node.parent.parent
    assert study.record_type == "STUDY" and study._record.StudyDate == "19000101"
    assert inst.node._record.InstanceNumber is not None


def test_readme_first_has_no_patient_data(exported: Exported) -> None:
    note = (exported.path.parent / "README-FIRST.TXT").read_text(encoding="ascii")
    for word in ("Muñoz", "Munoz", "LUH-4471203", "EVIL", "script", "Zoë"):
        assert word not in note
    assert "age -d" in note and "7-Zip" in note


def test_shared_media_round_trip(tmp_path: Path, identity: age.Identity) -> None:
    media = require_shared_data() / "1_dicom_media"
    with CaseStore.open(tmp_path / "case", create=True) as store:
        report = import_sources([media], store, processes=False)
        assert report.dicom_instances > 50
        wrapped = sum(1 for i in store.instances() if not i.has_part10_header)
        assert wrapped >= 2  # no_preamble_or_meta: explicit VR big and little endian
        export_package(store, tmp_path / "p.age", recipients=[identity.recipient()])
        export_package(store, tmp_path / "p.zip", fmt="zip", passphrase=PASS)
    for name, keys in (("p.age", {"identities": [identity]}), ("p.zip", {"passphrase": PASS})):
        opened = open_package(tmp_path / name, to=tmp_path / f"open-{name}", **keys)  # type: ignore[arg-type]
        assert opened.ok, opened.verify.problems
        assert opened.path is not None
        assert_round_trip(tmp_path / "case", opened.path)


# --- tamper --------------------------------------------------------------------------------


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, text)
    canvas.save()
    return buf.getvalue()


def _documents_readable() -> bool:
    """Whether this checkout's document readers work (they are being written in parallel);
    an opened case imports its documents only if they do."""
    from bundler.ingest.documents import read_document

    try:
        read_document(b"a,b\n1,2\n", media_type="text/csv", name="x.csv", scratch=Path("."))
    except ImportError:
        return False
    except Exception:  # noqa: BLE001 - any other outcome means the readers load
        return True
    return True


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small")
    media = root / "media"
    media.mkdir()
    for i in range(3):
        ds = _dataset("Doe^Jane", number=i + 1)
        ds.PatientID = "P1"
        ds.add_new((0x0009, 0x0010), "LO", "RECORDS BUNDLER TEST")
        ds.add_new((0x0009, 0x1001), "OB", os.urandom(150_000))  # makes the package span chunks
        (media / f"im{i}.dcm").write_bytes(_part10_bytes(ds))
    with CaseStore.open(root / "case", create=True) as store:
        import_sources([media], store, processes=False)
        add_document(store, "report.pdf", _pdf("Biopsy report"))
    return root / "case"


@pytest.fixture(scope="module")
def packages(small_case: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("packages")
    _export(small_case, out / "p.age", "age", passphrase=PASS)
    _export(small_case, out / "p.zip", "zip", passphrase=PASS)
    return {"age": out / "p.age", "zip": out / "p.zip"}


def _copy(src: Path, tmp: Path, name: str = "t") -> Path:
    dst = tmp / (name + src.suffix)
    shutil.copyfile(src, dst)
    return dst


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x20
    path.write_bytes(bytes(data))


def _codes(path: Path, tmp: Path, passphrase: str = PASS) -> list[str]:
    report = verify_package(path, passphrase=passphrase)
    assert not report.ok
    opened = open_package(path, passphrase=passphrase, to=tmp / "opened")
    assert opened.path is None and not (tmp / "opened").exists()  # nothing presented
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".records-bundler")] == []
    return [p.code for p in report.problems]


def _header_length(path: Path) -> int:
    data = path.read_bytes()
    return data.index(b"\n", data.index(b"\n--- ") + 1) + 1


@pytest.mark.parametrize("where", [0.0, 0.3, 0.6, 0.999])
def test_age_flipped_payload_byte(packages: dict[str, Path], tmp_path: Path, where: float) -> None:
    pkg = _copy(packages["age"], tmp_path)
    start = _header_length(pkg) + 16
    _flip(pkg, start + int((pkg.stat().st_size - start - 1) * where))
    assert _codes(pkg, tmp_path) == ["corrupt"]


def test_age_flipped_header_mac(packages: dict[str, Path], tmp_path: Path) -> None:
    pkg = _copy(packages["age"], tmp_path)
    _flip(pkg, _header_length(pkg) - 10)
    report = verify_package(pkg, passphrase=PASS)
    assert [p.code for p in report.problems] == ["corrupt"]
    assert "header" in report.problems[0].message


def test_age_flipped_stanza_reads_as_wrong_key(packages: dict[str, Path], tmp_path: Path) -> None:
    """A damaged scrypt stanza cannot be told from a wrong passphrase (cryptographically the
    same event); it is reported as such, exit 2 (docs/package-format.md says so)."""
    pkg = _copy(packages["age"], tmp_path)
    data = pkg.read_bytes()
    body = data.index(b"\n", data.index(b"-> scrypt ")) + 1
    letter = next(i for i in range(body, body + 40) if chr(data[i]).isalpha())
    _flip(pkg, letter)  # swaps the letter's case: still base64, another wrapped key
    with pytest.raises(PackageWrongKey):
        verify_package(pkg, passphrase=PASS)
    # a stanza that is not even well-formed is damage, not a wrong key
    pkg.write_bytes(data.replace(b"-> scrypt ", b"-> scrypt !", 1))
    assert [p.code for p in verify_package(pkg, passphrase=PASS).problems] == ["corrupt"]


@pytest.mark.parametrize("cut", [1, 17, 70_000, "half", "header"])
def test_age_truncated(packages: dict[str, Path], tmp_path: Path, cut: int | str) -> None:
    pkg = _copy(packages["age"], tmp_path)
    data = pkg.read_bytes()
    if cut == "half":
        keep = len(data) // 2
    elif cut == "header":
        keep = _header_length(pkg) - 5
    else:
        assert isinstance(cut, int)
        keep = len(data) - cut
    pkg.write_bytes(data[:keep])
    assert _codes(pkg, tmp_path) == ["truncated"]


@pytest.mark.parametrize("extra", [1, 16, 64 * 1024 + 16, 200_000])
def test_age_extra_trailing_data(packages: dict[str, Path], tmp_path: Path, extra: int) -> None:
    pkg = _copy(packages["age"], tmp_path)
    with open(pkg, "ab") as fh:
        fh.write(os.urandom(extra))
    assert _codes(pkg, tmp_path) == ["trailing_data"]


def test_age_scrypt_work_factor_2_40_refused_at_once(packages: dict[str, Path], tmp_path: Path) -> None:
    pkg = _copy(packages["age"], tmp_path)
    data = pkg.read_bytes()
    line_end = data.index(b"\n", data.index(b"-> scrypt "))
    assert data[line_end - 3:line_end] == f" {WF}".encode()
    pkg.write_bytes(data[:line_end - 2] + b"40" + data[line_end:])
    report = verify_package(pkg, passphrase=PASS)
    assert [p.code for p in report.problems] == ["limit"]
    assert report.seconds < 5


def test_wrong_passphrase_and_wrong_key(packages: dict[str, Path], small_case: Path, tmp_path: Path) -> None:
    for pkg in packages.values():
        with pytest.raises(PackageWrongKey) as e:
            verify_package(pkg, passphrase="another-passphrase-entirely-different")
        assert "does not open" in e.value.user_message
        with pytest.raises(PackageWrongKey):
            open_package(pkg, passphrase="nope nope nope", to=tmp_path / "o")
        assert not (tmp_path / "o").exists()
    with pytest.raises(PackageWrongKey):
        verify_package(packages["age"], identities=[age.Identity.generate()])


def _hand_built(packages: dict[str, Path], tmp_path: Path, change: str) -> Path:
    opened = open_package(packages["age"], passphrase=PASS, to=tmp_path / "src")
    assert opened.path is not None
    files = _tree(opened.path)
    victim = next(n for n in files if n.startswith("DICOM/"))
    if change == "absent":
        del files[victim]
    elif change == "dotdot":
        files["../EVIL.TXT"] = b"outside"
    elif change == "extra":
        files["DOCS/DOC99999.PDF"] = b"%PDF not listed"
    elif change == "altered":
        files[victim] = files[victim][:-1] + bytes([files[victim][-1] ^ 1])
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    out = tmp_path / f"{change}.age"
    with open(out, "wb") as fh:
        age.encrypt(io.BytesIO(inner.getvalue()), fh, passphrase=PASS, work_factor=WF)
    shutil.rmtree(tmp_path / "src")
    return out


def test_hand_built_package_passes_when_unchanged(packages: dict[str, Path], tmp_path: Path) -> None:
    assert verify_package(_hand_built(packages, tmp_path, "none"), passphrase=PASS).ok


@pytest.mark.parametrize(("change", "code"), [("absent", "missing_file"), ("dotdot", "unsafe_name"),
                                              ("extra", "unlisted_file"), ("altered", "hash_mismatch")])
def test_hand_built_tampering(packages: dict[str, Path], tmp_path: Path, change: str, code: str) -> None:
    pkg = _hand_built(packages, tmp_path, change)
    report = verify_package(pkg, passphrase=PASS)
    assert [p.code for p in report.problems] == [code]
    if code in ("missing_file", "hash_mismatch"):
        assert report.problems[0].path and report.problems[0].path.startswith("DICOM/")
        assert report.problems[0].path in report.problems[0].message
    opened = open_package(pkg, passphrase=PASS, to=tmp_path / "dest" / "o")
    assert opened.path is None
    assert not (tmp_path / "dest" / "o").exists() and not (tmp_path / "dest" / "EVIL.TXT").exists()
    assert not (tmp_path / "EVIL.TXT").exists()


def test_distinct_messages() -> None:
    from bundler.export.package import _MESSAGES

    assert len(set(_MESSAGES.values())) == len(_MESSAGES)


def test_zip_flipped_entry_names_the_file(packages: dict[str, Path], tmp_path: Path) -> None:
    pkg = _copy(packages["zip"], tmp_path)
    data = pkg.read_bytes()
    name = b"DICOM/PT000000/ST000001/SE000000/IM000000"
    at = data.index(name) + len(name) + 11 + 40 + 1000  # inside that entry's ciphertext
    _flip(pkg, at)
    report = verify_package(pkg, passphrase=PASS)
    assert [(p.code, p.path) for p in report.problems] == [("corrupt", name.decode())]


@pytest.mark.parametrize(("change", "code"), [("truncate", "truncated"), ("append", "trailing_data"),
                                              ("directory", "corrupt")])
def test_zip_container_damage(packages: dict[str, Path], tmp_path: Path, change: str, code: str) -> None:
    pkg = _copy(packages["zip"], tmp_path)
    data = pkg.read_bytes()
    if change == "truncate":
        pkg.write_bytes(data[:len(data) - 30])
    elif change == "append":
        pkg.write_bytes(data + os.urandom(70_000))
    else:
        at = data.rindex(b"PK\x01\x02") + 42  # a central directory record's header offset
        _flip(pkg, at)
    assert _codes(pkg, tmp_path) == [code]


def test_zip_dotdot_entry_refused(packages: dict[str, Path], tmp_path: Path) -> None:
    """Entry names are not authenticated in AES ZIP: rename one to ../ by patching bytes."""
    pkg = _copy(packages["zip"], tmp_path)
    data = pkg.read_bytes()
    assert data.count(b"DOCS/DOC00001.PDF") == 2  # local header and central directory
    pkg.write_bytes(data.replace(b"DOCS/DOC00001.PDF", b"../../DOC0001.PDF"))
    assert _codes(pkg, tmp_path) == ["unsafe_name"]
    assert not (tmp_path.parent / "DOC0001.PDF").exists()


def test_not_a_package(tmp_path: Path) -> None:
    junk = tmp_path / "junk.age"
    junk.write_bytes(b"hello, this is not a package\n")
    assert [p.code for p in verify_package(junk, passphrase=PASS).problems] == ["not_a_package"]
    empty = tmp_path / "empty.age"
    empty.write_bytes(b"")
    assert [p.code for p in verify_package(empty, passphrase=PASS).problems] == ["truncated"]


# --- export behaviour ----------------------------------------------------------------------


def test_cancel_mid_export_leaves_nothing(small_case: Path, tmp_path: Path) -> None:
    for fmt in ("age", "zip"):
        token = CancelToken()
        seen: list[int] = []

        def progress(done: int, total: int | None, message: str = "", seen: list[int] = seen,
                     token: CancelToken = token) -> None:
            seen.append(done)
            if done > 200_000:
                token.cancel()

        target = tmp_path / f"p.{fmt}"
        with CaseStore.open(small_case) as store, pytest.raises(Cancelled):
            export_package(store, target, fmt=fmt, passphrase=PASS, work_factor=WF, progress=progress,
                           cancel=token)
        assert not target.exists()
        assert list(tmp_path.iterdir()) == []
        assert seen and max(seen) > 200_000


def test_progress_per_file_and_per_mib(small_case: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int | None, str]] = []
    with CaseStore.open(small_case) as store:
        report = export_package(store, tmp_path / "p.age", passphrase=PASS, work_factor=WF,
                                progress=lambda d, t, m="": calls.append((d, t, m)))
    per_file = [c for c in calls if c[2].startswith("Packaging file ")]
    assert len(per_file) == report.files
    done = [c[0] for c in calls if c[2].startswith("Packaging")]
    assert done == sorted(done) and done[-1] >= report.payload_bytes
    assert all("Jane" not in m and "Doe" not in m for _, _, m in calls)


def test_no_space(small_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))  # type: ignore[attr-defined]
    with CaseStore.open(small_case) as store, pytest.raises(NoSpace) as e:
        export_package(store, tmp_path / "p.age", passphrase=PASS, work_factor=WF)
    assert "free space" in e.value.user_message
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_export_leaves_nothing(small_case: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bundler.export import package

    def broken(*_a: object, **_k: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(package, "_fsync_dir", broken)  # after the rename: the package stays
    monkeypatch.setattr(os, "fsync", broken)  # before the rename: nothing may stay
    with CaseStore.open(small_case) as store, pytest.raises(BundlerError, match="nothing was saved"):
        export_package(store, tmp_path / "p.age", passphrase=PASS, work_factor=WF)
    assert list(tmp_path.iterdir()) == []


def test_existing_package_is_replaced(small_case: Path, tmp_path: Path) -> None:
    target = tmp_path / "p.age"
    target.write_bytes(b"old")
    _export(small_case, target, "age", passphrase=PASS)
    assert verify_package(target, passphrase=PASS).ok


def test_partial_left_by_a_killed_export_is_removed_by_the_next(small_case: Path, tmp_path: Path) -> None:
    """A kill -9 leaves the encrypted partial file behind; the next export into that folder
    removes it, but never one that a running export (another process) is still writing."""
    stale = tmp_path / ".records-bundler-k1ll3d.partial"
    stale.write_bytes(os.urandom(4096))
    busy = tmp_path / ".records-bundler-wr1t1ng.partial"
    busy.write_bytes(b"")
    others = [tmp_path / "notes.partial", tmp_path / ".records-bundler-settings.txt"]
    for other in others:
        other.write_text("not ours")
    writer = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'ab'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)", str(busy)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        _export(small_case, tmp_path / "p.age", "age", passphrase=PASS)
        assert not stale.exists()
        assert busy.exists() and all(other.exists() for other in others)
    finally:
        writer.kill()
        writer.wait()
    _export(small_case, tmp_path / "q.zip", "zip", passphrase=PASS)  # its writer has gone now
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.age", "q.zip", "README-FIRST.TXT"] + [o.name for o in others])


def test_argument_errors(small_case: Path, tmp_path: Path, identity: age.Identity) -> None:
    with CaseStore.open(small_case) as store:
        with pytest.raises(UsageError):
            export_package(store, tmp_path / "p.zip", fmt="zip", recipients=[identity.recipient()])
        with pytest.raises(UsageError):
            export_package(store, tmp_path / "p.age")
        with pytest.raises(UsageError):
            export_package(store, tmp_path / "p.age", passphrase=PASS, recipients=[identity.recipient()])
        with pytest.raises(WeakPassphrase) as e:
            export_package(store, tmp_path / "p.age", passphrase="password123")
        assert "common password" in e.value.user_message and "password123" not in e.value.user_message
        with pytest.raises(WeakPassphrase):  # the patient's own name is guessable
            export_package(store, tmp_path / "p.age", passphrase="Jane Doe 1970")
        with pytest.raises(UsageError):
            export_package(store, tmp_path / "p.zip", fmt="zip", passphrase="Grüße-" + PASS)
        with pytest.raises(UsageError):
            export_package(store, tmp_path / "missing" / "p.age", passphrase=PASS)
    assert list(tmp_path.iterdir()) == []


def test_empty_case_is_refused(tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "case", create=True) as store, pytest.raises(UsageError):
        export_package(store, tmp_path / "p.age", passphrase=PASS, work_factor=WF)


def test_damaged_store_is_refused(tmp_path: Path, small_case: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(small_case, case)
    with CaseStore.open(case) as store:
        blob = store.blob_path(store.instances()[0].sha256)
        blob.write_bytes(blob.read_bytes()[:-1])
        with pytest.raises(CaseError):
            export_package(store, tmp_path / "p.age", passphrase=PASS, work_factor=WF)
    assert not (tmp_path / "p.age").exists()


def test_import_records_the_crc32_of_each_blob(small_case: Path) -> None:
    with CaseStore.open(small_case) as store:
        crcs = store.blob_crc32s()
        instances = store.instances()
        assert instances and {i.sha256 for i in instances} <= crcs.keys()
        for sha, crc in crcs.items():
            assert crc == zlib.crc32(store.blob_path(sha).read_bytes())


@pytest.mark.parametrize("fmt", ["age", "zip"])
def test_case_imported_before_crcs_were_recorded(small_case: Path, tmp_path: Path, fmt: str) -> None:
    """An older case: no crc32 column at all. Opening adds it (empty); export computes CRCs."""
    case = tmp_path / "case"
    shutil.copytree(small_case, case)
    with contextlib.closing(sqlite3.connect(case / "case.sqlite")) as db:
        db.execute("ALTER TABLE blobs DROP COLUMN crc32")
        db.commit()
    with CaseStore.open(case) as store:
        assert store.blob_crc32s() == {}
    out = tmp_path / f"p.{fmt}"
    _export(case, out, fmt, passphrase=PASS)
    assert verify_package(out, passphrase=PASS).ok
    opened = open_package(out, passphrase=PASS, to=tmp_path / "opened")
    assert opened.ok
    assert_round_trip(case, tmp_path / "opened")


def test_a_wrong_recorded_crc_fails_verify_naming_the_file(small_case: Path, tmp_path: Path) -> None:
    """A recorded CRC-32 that no longer matches its blob (the store was damaged) is caught."""
    case = tmp_path / "case"
    shutil.copytree(small_case, case)
    with CaseStore.open(case) as store:
        sha = store.instances()[0].sha256
        crc = store.blob_crc32s()[sha]
    with contextlib.closing(sqlite3.connect(case / "case.sqlite")) as db:
        db.execute("UPDATE blobs SET crc32=? WHERE sha256=?", (crc ^ 1, sha))
        db.commit()
    _export(case, tmp_path / "p.age", "age", passphrase=PASS)
    report = verify_package(tmp_path / "p.age", passphrase=PASS)
    assert [p.code for p in report.problems] == ["corrupt"]
    assert report.problems[0].path is not None and report.problems[0].path.startswith("DICOM/")


def test_open_as_read_only_case(packages: dict[str, Path], small_case: Path, tmp_path: Path) -> None:
    report = open_package_as_case(packages["zip"], passphrase=PASS, case_dir=tmp_path / "reviewer")
    assert report.ok and report.case is not None
    assert report.case["failed"] == 0 or not _documents_readable()
    with CaseStore.open(tmp_path / "reviewer") as opened, CaseStore.open(small_case) as original:
        assert opened.is_read_only and not original.is_read_only
        assert {i.sha256 for i in opened.instances()} == {i.sha256 for i in original.instances()}
        if _documents_readable():
            assert {d.sha256 for d in opened.documents()} >= {d.sha256 for d in original.documents()}
        with pytest.raises(CaseError):
            opened.begin_run()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviewer"]


def test_open_refuses_a_non_empty_destination(packages: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("x")
    with pytest.raises(UsageError):
        open_package(packages["age"], passphrase=PASS, to=tmp_path / "d")


# --- passphrases ---------------------------------------------------------------------------


def test_generated_passphrase_strength() -> None:
    words = word_list()
    assert len(words) == 7772 and len(set(words)) == len(words)
    assert all(re.fullmatch(r"[a-z]+", w) for w in words)
    assert passphrase_bits() >= MIN_BITS
    generated = generate_passphrase()
    assert len(generated.split("-")) * (len(words).bit_length() - 1) >= MIN_BITS  # ≥ 12 bits a word
    assert all(w in words for w in generated.split("-"))
    assert check_passphrase(generated).acceptable
    assert generate_passphrase() != generated
    with pytest.raises(UsageError):
        generate_passphrase(words=6)  # 77.5 bits


def test_strength_estimator() -> None:
    weak = check_passphrase("password123")
    assert not weak.acceptable and weak.reason
    assert not check_passphrase("Smith1970!", user_inputs=["Smith^John", "19700101"]).acceptable
    assert check_passphrase("correct horse battery staple in the rain").acceptable
    assert check_passphrase("x" * 500).score == 0  # long is not strong


# --- CLI -----------------------------------------------------------------------------------


def _cli(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    p = tmp_path / "pass.txt"
    p.write_text(PASS + "\n", encoding="utf-8")
    return p


def test_cli_export_verify_open(small_case: Path, tmp_path: Path, passfile: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pkg.zip"
    code, stdout, _ = _cli("export", "--case", small_case, "--out", out, "--passphrase-file", passfile, "--json",
                           capsys=capsys)
    assert code == 0
    data = json.loads(stdout)
    assert data["format"] == "zip" and data["path"] == str(out) and data["instances"] == 3
    assert {"size", "files", "documents", "payload_bytes", "seconds", "readme_first"} <= set(data)
    code, stdout, _ = _cli("verify", out, "--passphrase-file", passfile, "--json", capsys=capsys)
    assert code == 0 and json.loads(stdout)["ok"] is True
    code, stdout, _ = _cli("open", out, "--passphrase-file", passfile, "--to", tmp_path / "o", capsys=capsys)
    assert code == 0 and (tmp_path / "o" / "MANIFEST.TXT").exists()
    code, stdout, _ = _cli("open", out, "--passphrase-file", passfile, "--as-case", tmp_path / "c", "--json",
                           capsys=capsys)
    assert json.loads(stdout)["ok"] is True and json.loads(stdout)["import"]["imported"] >= 3
    assert code == 0 or not _documents_readable()


def test_cli_exit_codes(packages: dict[str, Path], small_case: Path, tmp_path: Path, passfile: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-passphrase-at-all-sorry\n")
    code, stdout, err = _cli("verify", packages["age"], "--passphrase-file", wrong, "--json", capsys=capsys)
    assert code == 2 and json.loads(stdout)["error"]["code"] == "wrong_key" and "does not open" in err
    bad = _copy(packages["age"], tmp_path, "bad")
    with open(bad, "ab") as fh:
        fh.write(b"x" * 100)
    code, stdout, err = _cli("verify", bad, "--passphrase-file", passfile, capsys=capsys)
    assert code == 1 and "extra data after its end" in stdout and "Traceback" not in stdout + err
    code, stdout, _ = _cli("open", bad, "--passphrase-file", passfile, "--to", tmp_path / "o", capsys=capsys)
    assert code == 1 and not (tmp_path / "o").exists()
    weak = tmp_path / "weak.txt"
    weak.write_text("password123\n")
    code, _, err = _cli("export", "--case", small_case, "--out", tmp_path / "w.age", "--passphrase-file", weak,
                        capsys=capsys)
    assert code == 2 and "too easy to guess" in err and not (tmp_path / "w.age").exists()
    code, _, err = _cli("export", "--case", small_case, "--out", tmp_path / "w.age", "--recipient", "age1nope",
                        capsys=capsys)
    assert code == 2 and "not a valid age key" in err
    with pytest.raises(SystemExit) as usage:  # no key given: argparse's usage error
        _cli("verify", packages["age"], capsys=capsys)
    assert usage.value.code == 2


def test_cli_keygen_and_recipient_export(small_case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "reviewer.key"
    code, stdout, _ = _cli("keygen", "--out", key, "--json", capsys=capsys)
    assert code == 0
    public = json.loads(stdout)["public_key"]
    assert public.startswith("age1") and oct(key.stat().st_mode & 0o777) == "0o600"
    assert age.parse_identities(key.read_text())[0].recipient() == age.Recipient.parse(public)
    code, _, _ = _cli("keygen", "--out", key, capsys=capsys)
    assert code == 2  # never overwrites a key
    other = age.Identity.generate().recipient()
    code, _, _ = _cli("export", "--case", small_case, "--out", tmp_path / "p.age", "--recipient", public,
                      "--recipient", str(other), capsys=capsys)
    assert code == 0
    code, stdout, _ = _cli("verify", tmp_path / "p.age", "--identity", key, capsys=capsys)
    assert code == 0 and "intact" in stdout


def test_cli_passphrase(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = _cli("passphrase", "--json", capsys=capsys)
    data = json.loads(stdout)
    assert code == 0 and data["bits"] >= 80 and len(data["passphrase"].split("-")) == 7



def test_the_package_carries_the_summary_timeline_findings_and_intake(tmp_path: Path) -> None:
    """CASE.JSON holds what the reviewer needs besides the files; SUMMARY.PDF prints the records'
    fingerprint, which verify computes again from the manifest."""
    import json as _json
    import subprocess as _sp

    from bundler.demo import write_demo
    from bundler.export.layout import ManifestEntry, records_fingerprint
    from bundler.export.package import export_package, open_package, verify_package
    from bundler.ingest.pipeline import import_sources
    from bundler.intake import read_intake_file, save_intake

    media = write_demo(tmp_path / "media", ct_slices=4, matrix=32)
    with CaseStore.open(tmp_path / "case", create=True) as store:
        import_sources([media.cd_dir, media.documents_dir], store, processes=False)
        save_intake(store, read_intake_file(media.intake_file))
        export_package(store, tmp_path / "p.age", passphrase="correct horse battery staple orbit")
        expected = records_fingerprint([ManifestEntry("DICOM/X", i.size, i.sha256) for i in store.instances()]
                                       + [ManifestEntry("DOCS/X", d.size, d.sha256) for d in store.documents()])
    report = verify_package(tmp_path / "p.age", passphrase="correct horse battery staple orbit")
    assert report.ok and report.records_fingerprint == expected
    opened = open_package(tmp_path / "p.age", passphrase="correct horse battery staple orbit", to=tmp_path / "out")
    assert opened.path is not None
    case = _json.loads((opened.path / "CASE.JSON").read_text(encoding="utf-8"))
    assert case["records_fingerprint"] == expected
    assert case["intake"]["concern"]["main_concern"]
    assert any(e["kind"] == "study" for e in case["timeline"])
    assert case["findings"]["complete"] is True and case["findings"]["profile"] == "general"
    from bundler.export.package import open_package_as_case
    from bundler.intake import load_intake

    as_case = open_package_as_case(tmp_path / "p.age", passphrase="correct horse battery staple orbit",
                                   case_dir=tmp_path / "reviewer")
    assert as_case.path is not None
    with CaseStore.open(tmp_path / "case") as mine, CaseStore.open(as_case.path) as theirs:
        assert load_intake(theirs) == load_intake(mine) and theirs.is_read_only  # the patient's questions too
    summary = opened.path / "SUMMARY.PDF"
    pdftotext = require_tool("pdftotext")
    text = _sp.run([str(pdftotext), str(summary), "-"], capture_output=True, text=True, check=True).stdout
    assert expected[:8] in text.replace(" ", "")
