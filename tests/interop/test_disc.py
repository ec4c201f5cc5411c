"""Patient discs against the real tools: dicom3tools' ``dciodvfy``, DCMTK's ``dcmdump`` and
``xorriso`` (lists and extracts the ISO as a drive would read it).

For the demo case and a case imported from the shared DICOM media: the DICOMDIR of the folder
and of the ISO validates; the ISO lists and extracts; every instance read back from the ISO
is the imported file byte for byte (a bare dataset: its dataset bytes, now with a Part 10
header); re-importing the extracted disc gives the same instances. In CI a missing tool
fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bundler.demo import write_demo
from bundler.export.layout import MANIFEST, parse_manifest
from bundler.export.patient_cd import DiscReport, make_disc
from bundler.ingest.pipeline import import_sources
from bundler.store import CaseStore
from support import SHARED_DATA, require_dir, require_tool

pytestmark = pytest.mark.interop

_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


def _run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=_ENV, timeout=600)
    if check:
        assert done.returncode == 0, (args[0], done.stdout[-2000:], done.stderr[-2000:])
    return done


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dataset_bytes(part10: bytes) -> bytes:
    assert part10[128:132] == b"DICM"
    return part10[144 + int.from_bytes(part10[140:144], "little"):]


@dataclass
class Discs:
    case: Path
    folder: Path
    iso: Path
    extracted: Path
    iso_report: DiscReport


@pytest.fixture(scope="module", params=["demo", "shared"])
def discs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Discs:
    xorriso = require_tool("xorriso")
    root = tmp_path_factory.mktemp(f"disc-{request.param}")
    if request.param == "demo":
        sources = [write_demo(root / "media", ct_slices=6, matrix=64).cd_dir]
    else:
        sources = [require_dir(SHARED_DATA) / "1_dicom_media"]
    with CaseStore.open(root / "case", create=True) as store:
        import_sources(sources, store, processes=False)
        made_at = datetime.datetime(2026, 3, 14, 9, 30, tzinfo=datetime.UTC)
        make_disc(store, root / "FOLDER", with_web=True, made_at=made_at)
        iso_report = make_disc(store, root / "disc.iso", iso=True, with_web=True, made_at=made_at)
    _run(xorriso, "-osirrox", "on", "-indev", root / "disc.iso", "-extract", "/", root / "extracted")
    return Discs(root / "case", root / "FOLDER", root / "disc.iso", root / "extracted", iso_report)


@pytest.mark.parametrize("where", ["folder", "extracted"])
def test_dciodvfy_validates_the_dicomdir(discs: Discs, where: str) -> None:
    dciodvfy = require_tool("dciodvfy")
    done = _run(dciodvfy, getattr(discs, where) / "DICOMDIR", check=False)
    lines = (done.stdout + done.stderr).splitlines()
    assert [line for line in lines if line.startswith("Error")] == []
    assert "BasicDirectory" in done.stdout + done.stderr


@pytest.mark.parametrize("where", ["folder", "extracted"])
def test_dcmdump_reads_the_dicomdir(discs: Discs, where: str) -> None:
    dcmdump = require_tool("dcmdump")
    done = _run(dcmdump, "+E", getattr(discs, where) / "DICOMDIR")
    assert not re.search(r"^(E|F):", done.stdout + done.stderr, re.M)
    assert "PATIENT" in done.stdout and "IMAGE" in done.stdout
    # every file the DICOMDIR references is on the disc
    referenced = re.findall(r"\(0004,1500\) CS \[([^\]]+)\]", done.stdout)
    assert referenced
    for ref in referenced:
        assert (getattr(discs, where) / Path(*ref.split("\\"))).is_file(), ref


def test_xorriso_lists_the_iso(discs: Discs) -> None:
    xorriso = require_tool("xorriso")
    done = _run(xorriso, "-indev", discs.iso, "-find", "/", "-type", "f")
    listed = {line.strip("'")[1:] for line in done.stdout.splitlines() if line.startswith("'/")}
    assert listed == set(_tree(discs.folder))
    dirs = _run(xorriso, "-indev", discs.iso, "-find", "/", "-type", "d").stdout
    for line in dirs.splitlines():
        if line.startswith("'/"):
            assert line.strip("'").count("/") <= 7, line  # the root and at most 7 levels below it
    info = _run(xorriso, "-indev", discs.iso, "-pvd_info").stdout
    assert re.search(r"^Volume Id\s*:\s*RECORDS$", info, re.M)  # the DICOMDIR's File-set ID
    assert "DICOM_PLUS_WEB" in info


def test_iso_reads_back_byte_identical(discs: Discs) -> None:
    extracted = _tree(discs.extracted)
    folder = _tree(discs.folder)
    assert set(extracted) == set(folder)
    # the folder and the ISO are two discs: only the File-set UID (DICOMDIR), the summary page (the
    # moment it was drawn) and so the manifest differ
    assert "SUMMARY.PDF" in folder
    assert {p for p in folder if extracted[p] != folder[p]} <= {"DICOMDIR", MANIFEST, "SUMMARY.PDF"}
    manifest = {e.path: e for e in parse_manifest(extracted[MANIFEST])}
    assert set(manifest) == set(extracted) - {MANIFEST}
    for path, entry in manifest.items():
        assert hashlib.sha256(extracted[path]).hexdigest() == entry.sha256, path
    case = json.loads(extracted["CASE.JSON"])
    with CaseStore.open(discs.case) as store:
        files = [f for s in case["studies"] for se in s["series"] for f in se["files"]]
        assert len(files) == len(store.instances()) == discs.iso_report.instances
        for f in files:
            original = store.blob_path(f["sha256"]).read_bytes()
            on_disc = extracted[f["path"]]
            assert (_dataset_bytes(on_disc) if f["wrapped_into_part10"] else on_disc) == original, f["path"]


def test_wrapped_instances_are_valid_part10(discs: Discs) -> None:
    dcmdump = require_tool("dcmdump")
    manifest = parse_manifest((discs.extracted / MANIFEST).read_bytes())
    wrapped = [e.path for e in manifest if e.original_sha256]
    if discs.case.parent.name.startswith("disc-shared"):
        assert len(wrapped) >= 2  # no_preamble_or_meta
    for name in wrapped:
        done = _run(dcmdump, "+E", discs.extracted / name)
        assert "MediaStorageSOPInstanceUID" in done.stdout


def test_reimport_of_the_disc_gives_the_same_instances(discs: Discs, tmp_path: Path) -> None:
    with CaseStore.open(discs.case) as store:
        before = sorted((i.sop_instance_uid, i.sha256) for i in store.instances() if i.has_part10_header)
        wrapped = sorted(i.sop_instance_uid for i in store.instances() if not i.has_part10_header)
    with CaseStore.open(tmp_path / "again", create=True) as store:
        report = import_sources([discs.extracted], store, processes=False)
        assert report.failed == 0
        after = [(i.sop_instance_uid, i.sha256) for i in store.instances()]
    assert sorted(after) == sorted(before + [(uid, sha) for uid, sha in after if uid in wrapped])
    assert sorted(uid for uid, _ in after) == sorted([uid for uid, _ in before] + wrapped)


def test_burning_writes_the_image_with_xorriso_and_reads_it_back(discs: Discs, tmp_path: Path) -> None:
    """The Linux burn path end to end, on xorriso's file-backed pseudo-drive (no writer here)."""
    from bundler.export.burn import Writer, burn_image

    require_tool("xorriso")
    target = tmp_path / "burned.img"
    report = burn_image(discs.iso, Writer(f"stdio:{target}"))
    assert report.verified and report.size_bytes == discs.iso.stat().st_size
    data = target.read_bytes()
    assert hashlib.sha256(data[: report.size_bytes]).digest() == hashlib.sha256(discs.iso.read_bytes()).digest()
