"""The CLI contract: commands, JSON fields and exit codes that scripts rely on."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from bundler import __version__
from bundler.store import CaseStore


def cli(*args: str | Path, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "bundler", *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def _template(uid_len: int = 40) -> tuple[bytes, bytes]:
    """A tiny valid CT file and the placeholder UID inside it (fixed length, replaceable)."""
    placeholder = ("1.2.826.0.1.3680043.8.498." + "9" * 64)[:uid_len]
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = placeholder
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.11"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.12"
    ds.PatientName = "Kill^Test"
    ds.PatientID = "K9"
    ds.Modality = "CT"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = placeholder
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue(), placeholder.encode()


def _write_series(folder: Path, n: int) -> None:
    data, placeholder = _template()
    folder.mkdir(parents=True)
    for i in range(n):
        uid = f"1.2.826.0.1.3680043.8.498.{i:014d}".encode()
        uid = uid + b"1" * (len(placeholder) - len(uid))
        (folder / f"IM{i:05d}").write_bytes(data.replace(placeholder, uid))


def test_version() -> None:
    assert cli("--version").stdout.strip() == f"records-bundler {__version__}"


def test_import_show_log_json_contract(shared_data: Path, tmp_path: Path) -> None:
    case = tmp_path / "case"
    src = shared_data / "1_dicom_media/cd_pydicom_dicomdirtests"
    out = json.loads(cli("import", src, "--case", case, "--json").stdout)
    for key in ("files_seen", "imported", "skipped", "failed", "dicom_instances", "documents", "duplicates"):
        assert isinstance(out[key], int), key
    assert out["dicom_instances"] == 31 + 50
    assert out["files_seen"] == out["imported"] + out["skipped"] + out["failed"]

    shown = json.loads(cli("show", "--case", case, "--json").stdout)
    assert {p["id"] for p in shown["patients"]} >= {"77654033", "98890234"}
    assert all(set(p) >= {"name", "id", "birth_date"} for p in shown["patients"])
    for s in shown["studies"]:
        assert set(s) >= {"study_uid", "date", "description", "accession", "modalities", "series"}
        for se in s["series"]:
            assert set(se) >= {"series_uid", "modality", "description", "instances"}
    assert sum(se["instances"] for s in shown["studies"] for se in s["series"]) == 81
    assert isinstance(shown["documents"], list)

    rows = json.loads(cli("log", "--case", case, "--json").stdout)
    assert len(rows) == out["files_seen"]
    assert {r["status"] for r in rows} <= {"imported", "skipped", "failed"}
    assert all(set(r) >= {"source", "status", "reason"} for r in rows)

    again = json.loads(cli("import", src, "--case", case, "--json").stdout)
    assert again["imported"] == 0 and again["duplicates"] == out["imported"]


def test_exit_status_1_when_files_failed(shared_data: Path, tmp_path: Path) -> None:
    proc = cli("import", shared_data / "2_dicom_varied/malformed_and_edge_cases", "--case", tmp_path / "c",
               "--json", check=1)
    out = json.loads(proc.stdout)
    assert out["failed"] > 0
    assert "Traceback" not in proc.stderr


def test_exit_status_2_on_usage_errors(tmp_path: Path) -> None:
    assert "usage" in cli("import", check=2).stderr
    proc = cli("show", "--case", tmp_path / "nope", "--json", check=2)
    assert proc.stdout == "" and "not a Records Bundler case" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert cli("import", tmp_path, "--case", tmp_path / "full", check=2).stderr.count("\n") == 1


def test_logs_carry_no_patient_data(shared_data: Path, tmp_path: Path) -> None:
    proc = cli("-v", "import", shared_data / "2_dicom_varied/charsets", "--case", tmp_path / "c", check=None)
    assert proc.returncode in (0, 1)
    for marker in ("Yamada", "Buc", "Äneas", "Testowy", "Διονυσιος", "Wang"):
        assert marker not in proc.stderr


def test_kill_9_mid_import_is_survived(tmp_path: Path) -> None:
    src = tmp_path / "cd"
    n = 6000
    _write_series(src, n)
    case = tmp_path / "case"
    proc = subprocess.Popen([sys.executable, "-m", "bundler", "import", str(src), "--case", str(case)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True, timeout=1) as db:
                committed = db.execute("SELECT COUNT(*) FROM log").fetchone()[0]
        except sqlite3.Error:
            committed = 0
        if committed > 0:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the import finished before it could be killed: make the source larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    with CaseStore.open(case) as store:
        assert store.integrity_check()
        assert store.runs()[0]["state"] == "interrupted"
        kept = store.instances()
        assert 0 < len(kept) < n
        for inst in kept:  # everything the index holds is really there
            assert store.blob_path(inst.sha256).stat().st_size == inst.size
        assert not any(store.tmp_dir.iterdir())

    out = json.loads(cli("import", src, "--case", case, "--json").stdout)
    assert out["files_seen"] == n
    assert out["duplicates"] + out["imported"] == n
    with CaseStore.open(case) as store:
        assert len(store.instances()) == n
        assert {r["state"] for r in store.runs()} == {"interrupted", "completed"}


@pytest.mark.parametrize("command", ["show", "log"])
def test_read_commands_print_one_json_document(shared_data: Path, tmp_path: Path, command: str) -> None:
    case = tmp_path / "c"
    cli("import", shared_data / "2_dicom_varied/modalities", "--case", case, check=None)
    stdout = cli(command, "--case", case, "--json").stdout
    json.loads(stdout)  # exactly one document, nothing else on stdout
