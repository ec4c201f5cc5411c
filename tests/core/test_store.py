"""The case store: one import at a time, interrupted runs recovered, live runs left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bundler.errors import CaseError
from bundler.model import ImportStatus, LogRow, Reason
from bundler.store import CaseStore


def test_a_second_import_into_the_same_case_is_refused(tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "c", create=True) as a:
        run = a.begin_run()
        with CaseStore.open(tmp_path / "c") as b:  # another window opening the case
            assert b.runs()[0]["state"] == "running", "a live import must not be marked interrupted"
            with pytest.raises(CaseError) as e:
                b.begin_run()
            assert e.value.code == "case_busy"
        a.finish_run(run)
        with CaseStore.open(tmp_path / "c") as b:
            b.finish_run(b.begin_run())
        assert [r["state"] for r in a.runs()] == ["completed", "completed"]


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(tmp_path: Path) -> None:
    code = (
        "import os; from bundler.store import CaseStore\n"
        f"s = CaseStore.open({str(tmp_path / 'c')!r}, create=True)\n"
        "s.begin_run(); (s.tmp_dir / 'run-1').mkdir(); os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with CaseStore.open(tmp_path / "c") as s:
        assert s.runs()[0]["state"] == "interrupted"
        assert not any(s.tmp_dir.iterdir())


def test_discard_run_removes_rows_and_blobs(tmp_path: Path) -> None:
    with CaseStore.open(tmp_path / "c", create=True) as s:
        run = s.begin_run()
        sha = "ab" * 32
        s.blob_path(sha).parent.mkdir(parents=True)
        s.blob_path(sha).write_bytes(b"x")
        from bundler.store import BlobRecord

        s.commit_batch(run, rows=[LogRow("f", ImportStatus.IMPORTED, Reason.DOCUMENT, sha256=sha)],
                       blobs=[BlobRecord(sha, 1)])
        s.discard_run(run)
        assert s.log_rows() == () and not s.blob_path(sha).exists()
        assert s.known_hashes() == set()


def test_not_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError):
        CaseStore.open(tmp_path / "missing")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "photo.jpg").write_bytes(b"x")
    with pytest.raises(CaseError):
        CaseStore.open(tmp_path / "busy", create=True)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "case.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CaseError) as e:
        CaseStore.open(tmp_path / "junk")
    assert e.value.code == "case_damaged"


def test_studies_are_read_again_after_any_write(tmp_path: Path) -> None:
    """The studies are kept between reads, but never served stale: a write by this connection or
    another one (another window, a receiver process) is seen by the next read."""
    from bundler.model import DicomObjectKind, Instance, Patient
    from bundler.store import BlobRecord

    def add(store: CaseStore, n: int) -> None:
        run = store.begin_run()
        inst = Instance(f"1.2.{n}", "1.2.840.10008.5.1.4.1.1.2", f"{n:064d}", 10, "1.2.9", "1.2.9.1",
                        Patient("DOE^JANE", "1", "19600101"), kind=DicomObjectKind.IMAGE, instance_number=n)
        store.commit_batch(run, rows=[LogRow("x", ImportStatus.IMPORTED, Reason.DICOM)],
                           blobs=[BlobRecord(inst.sha256, 10)], instances=[inst])
        store.finish_run(run)

    with CaseStore.open(tmp_path / "case", create=True) as store:
        add(store, 1)
        first = store.studies()
        assert store.studies() is first  # nothing changed: the same objects
        add(store, 2)
        assert store.studies()[0].instance_count == 2
        with CaseStore.open(tmp_path / "case") as other:
            add(other, 3)
        assert store.studies()[0].instance_count == 3


def test_delete_case_removes_the_whole_folder_and_nothing_else(demo_case: Path, tmp_path: Path) -> None:
    import shutil

    from bundler.store import delete_case

    cases = tmp_path / "cases"
    cases.mkdir()
    case = cases / "case-1"
    shutil.copytree(demo_case, case)
    neighbour = cases / "notes.txt"
    neighbour.write_text("mine")
    for blob in (case / "blobs").rglob("*"):  # read-only files do not stop it
        if blob.is_file():
            blob.chmod(0o400)
    delete_case(case)
    assert sorted(p.name for p in cases.iterdir()) == ["notes.txt"]  # no hidden leftover either


def test_delete_case_refuses_what_is_not_a_case_or_is_being_imported(tmp_path: Path) -> None:
    from bundler.store import delete_case

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(CaseError) as e:
        delete_case(folder)
    assert e.value.code == "case_not_found" and (folder / "a.jpg").exists()
    with CaseStore.open(tmp_path / "c", create=True) as s:
        run = s.begin_run()
        with pytest.raises(CaseError) as e:
            delete_case(tmp_path / "c")
        assert e.value.code == "case_busy"
        s.finish_run(run)
    assert (tmp_path / "c" / "case.sqlite").exists()
    delete_case(tmp_path / "c")
    assert not (tmp_path / "c").exists()


def test_cli_delete_asks_for_yes(tmp_path: Path) -> None:
    CaseStore.open(tmp_path / "c", create=True).close()
    cmd = [sys.executable, "-m", "bundler", "delete", "--case", str(tmp_path / "c")]
    refused = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert (tmp_path / "c" / "case.sqlite").exists()
    done = subprocess.run([*cmd, "--yes"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "c").exists()
