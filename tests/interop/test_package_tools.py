"""Our packages against the real tools: ``age``/``age-keygen``, ``7z``, ``unzip``, DCMTK's
``dcmdump`` and dicom3tools' ``dciodvfy``.

A package opened by the real tools holds exactly the files our own ``open`` publishes (and
those are the imported files, byte for byte: tests/core/test_package.py); the DICOMDIR
validates and reads back. In CI a missing tool fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from bundler.demo import write_demo
from bundler.export import age
from bundler.export.package import export_package, open_package, verify_package
from bundler.ingest.pipeline import import_sources
from bundler.store import CaseStore
from tests.core.test_package import EVIL_NAME, _bare_bytes, _dataset, add_document
from support import SHARED_DATA, require_dir, require_tool

pytestmark = pytest.mark.interop

PASS = "quaking-dried-hybrid-timing-satchel-refract-distrust"
_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


def _run(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=_ENV, timeout=600)
    if check:
        assert done.returncode == 0, (args[0], done.stdout[-2000:], done.stderr[-2000:])
    return done


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module", params=["demo", "shared"])
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"case-{request.param}")
    if request.param == "demo":
        demo = write_demo(root / "media", ct_slices=6, matrix=64)
        extra = root / "extra"
        extra.mkdir()
        (extra / "bare").write_bytes(_bare_bytes(_dataset(EVIL_NAME, study_date=None, number=None)))
        sources = [demo.cd_dir, demo.documents_dir, extra]
    else:
        require_dir(SHARED_DATA)
        sources = [SHARED_DATA / "1_dicom_media"]
    with CaseStore.open(root / "case", create=True) as store:
        import_sources(sources, store, processes=False)
        add_document(store, "Befund Ärztin.pdf", b"%PDF-1.4\n% a report\n%%EOF\n")
    return root / "case"


@pytest.fixture(scope="module")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A key made by the real age-keygen: the reviewer's side."""
    keygen = require_tool("age-keygen")
    key = tmp_path_factory.mktemp("key") / "reviewer.txt"
    _run(keygen, "-o", key)
    recipient = next(line.split(": ", 1)[1] for line in key.read_text().splitlines()
                     if line.startswith("# public key: "))
    return key, recipient


@pytest.fixture(scope="module")
def ours(case: Path, tmp_path_factory: pytest.TempPathFactory, age_key: tuple[Path, str]) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("packages")
    with CaseStore.open(case) as store:
        export_package(store, out / "p.age", recipients=[age_key[1]])
        export_package(store, out / "p.zip", fmt="zip", passphrase=PASS)
    opened = open_package(out / "p.zip", passphrase=PASS, to=out / "opened")
    assert opened.ok
    identities = age.parse_identities(age_key[0].read_text())
    assert open_package(out / "p.age", identities=identities, to=out / "opened-age").ok
    return {"age": out / "p.age", "zip": out / "p.zip", "opened": out / "opened", "opened-age": out / "opened-age"}


def test_real_age_opens_our_package(ours: dict[str, Path], age_key: tuple[Path, str], tmp_path: Path) -> None:
    age_tool = require_tool("age")
    seven = require_tool("7z")
    unzip = require_tool("unzip")
    inner = tmp_path / "inner.zip"
    _run(age_tool, "-d", "-i", age_key[0], "-o", inner, ours["age"])
    done = _run(unzip, "-t", inner)
    assert "No errors detected" in done.stdout
    done = _run(seven, "t", inner)
    assert "Everything is Ok" in done.stdout and "Warning" not in done.stdout
    _run(seven, "x", f"-o{tmp_path / 'x'}", inner)
    assert _tree(tmp_path / "x") == _tree(ours["opened-age"])


def test_our_reader_opens_what_real_age_encrypts(ours: dict[str, Path], age_key: tuple[Path, str],
                                                 tmp_path: Path) -> None:
    age_tool = require_tool("age")
    inner = tmp_path / "inner.zip"
    _run(age_tool, "-d", "-i", age_key[0], "-o", inner, ours["age"])
    _run(age_tool, "-r", age_key[1], "-o", tmp_path / "re.age", inner)
    identities = age.parse_identities(age_key[0].read_text())
    report = verify_package(tmp_path / "re.age", identities=identities)
    assert report.ok, report.problems


def test_real_7z_opens_our_zip(ours: dict[str, Path], tmp_path: Path) -> None:
    seven = require_tool("7z")
    done = _run(seven, "t", f"-p{PASS}", ours["zip"])
    assert "Everything is Ok" in done.stdout
    _run(seven, "x", f"-p{PASS}", f"-o{tmp_path / 'x'}", ours["zip"])
    assert _tree(tmp_path / "x") == _tree(ours["opened"])
    wrong = _run(seven, "t", "-pwrong-passphrase", ours["zip"], check=False)
    assert wrong.returncode != 0


def test_dciodvfy_validates_the_dicomdir(ours: dict[str, Path]) -> None:
    dciodvfy = require_tool("dciodvfy")
    done = _run(dciodvfy, ours["opened"] / "DICOMDIR", check=False)
    lines = (done.stdout + done.stderr).splitlines()
    assert [line for line in lines if line.startswith("Error")] == []
    assert "BasicDirectory" in done.stdout + done.stderr


def test_dcmdump_reads_the_dicomdir_and_wrapped_files(ours: dict[str, Path]) -> None:
    dcmdump = require_tool("dcmdump")
    done = _run(dcmdump, ours["opened"] / "DICOMDIR")
    assert not re.search(r"^(E|F):", done.stdout + done.stderr, re.M)
    assert "PATIENT" in done.stdout and "IMAGE" in done.stdout
    manifest = (ours["opened"] / "MANIFEST.TXT").read_text()
    wrapped = [line.split("  ")[2] for line in manifest.splitlines()
               if "wrapped-from=" in line and not line.startswith("#")]
    assert wrapped
    for name in wrapped:
        done = _run(dcmdump, "+E", ours["opened"] / name)  # +E: fail on any error
        assert "MediaStorageSOPInstanceUID" in done.stdout
