"""``records-bundler fsck``: every blob against its hash and size, every row against its blob, and a
repair that quarantines (never deletes) and leaves a case that opens and re-imports whole."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest

from bundler.errors import CaseError, Cancelled
from bundler.fsck import ProblemKind, check_case
from bundler.progress import CancelToken
from bundler.store import CaseStore
from faultkit import blob_files, cli, cli_json, copy_case, index_digest, tree_digest


@pytest.fixture
def case(demo_case: Path, tmp_path: Path) -> Path:
    return copy_case(demo_case, tmp_path / "case")


def _damage(case: Path) -> dict[str, str]:
    """One of each kind of damage; returns kind → the SHA-256 it concerns ("" for none)."""
    with CaseStore.open(case) as store:
        instances = sorted(store.instances(), key=lambda i: i.sha256)
        docs = sorted(store.documents(), key=lambda d: d.sha256)
    flipped, truncated, deleted = instances[0].sha256, instances[1].sha256, docs[0].sha256
    path = case / "blobs" / flipped[:2] / flipped
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    path = case / "blobs" / truncated[:2] / truncated
    path.write_bytes(path.read_bytes()[:-1])
    (case / "blobs" / deleted[:2] / deleted).unlink()
    orphan = b"a blob no row refers to"
    orphan_sha = hashlib.sha256(orphan).hexdigest()
    (case / "blobs" / orphan_sha[:2]).mkdir(exist_ok=True)
    (case / "blobs" / orphan_sha[:2] / orphan_sha).write_bytes(orphan)
    (case / "blobs" / "blob-stray.tmp").write_bytes(b"left over")
    with sqlite3.connect(case / "case.sqlite") as db:  # foreign keys are off on this connection
        db.execute("INSERT INTO document_content (doc_id, run_id, content) VALUES ('nosuchdoc', 1, '{}')")
    return {ProblemKind.BLOB_HASH: flipped, ProblemKind.BLOB_SIZE: truncated, ProblemKind.BLOB_MISSING: deleted,
            ProblemKind.UNREFERENCED_BLOB: orphan_sha, ProblemKind.STRAY_FILE: "", ProblemKind.ORPHAN_CONTENT: ""}


def test_a_healthy_case_passes(case: Path) -> None:
    out = cli_json("fsck", "--case", case)
    assert out == {"ok": True, "blobs_checked": len(blob_files(case)), "problems": [], "repaired": False,
                   "quarantined": [], "rows_removed": 0}
    assert "healthy" in cli("fsck", "--case", case).stdout


def test_every_kind_of_damage_is_found_and_changes_nothing(case: Path) -> None:
    expected = _damage(case)
    blobs_before, rows_before = tree_digest(case / "blobs"), index_digest(case)
    out = cli_json("fsck", "--case", case, check=1)
    assert not out["ok"] and not out["repaired"]
    assert {(p["kind"], p["sha256"]) for p in out["problems"]} == set(expected.items())
    assert tree_digest(case / "blobs") == blobs_before and index_digest(case) == rows_before
    assert not (case / "quarantine").exists()
    text = cli("fsck", "--case", case, check=1).stdout
    assert "--repair" in text and "blob_hash" in text


def test_repair_quarantines_logs_and_reimport_restores(case: Path, demo_media: Path) -> None:
    expected = _damage(case)
    with CaseStore.open(case) as store:
        n_instances, n_docs = len(store.instances()), len(store.documents())
    out = cli_json("fsck", "--case", case, "--repair", check=1)
    assert out["repaired"] and out["rows_removed"] >= 3
    quarantine = case / "quarantine"
    assert stat.S_IMODE(quarantine.stat().st_mode) == 0o700
    kept = {p.name for p in quarantine.iterdir()}
    assert {expected[ProblemKind.BLOB_HASH], expected[ProblemKind.BLOB_SIZE],
            expected[ProblemKind.UNREFERENCED_BLOB], "blob-stray.tmp"} <= kept  # moved, never deleted
    assert len(out["quarantined"]) == len(kept)

    with CaseStore.open(case) as store:
        assert store.integrity_check()
        shas = {i.sha256 for i in store.instances()} | {d.sha256 for d in store.documents()}
        assert not {expected[k] for k in (ProblemKind.BLOB_HASH, ProblemKind.BLOB_SIZE,
                                          ProblemKind.BLOB_MISSING)} & shas
        repaired = [r for r in store.log_rows() if "found by fsck" in r.detail]
        assert len(repaired) == out["rows_removed"] and all(r.status == "failed" for r in repaired)
        assert {r.reason for r in repaired} == {"unreadable"}
    assert cli_json("fsck", "--case", case)["ok"]

    cli("import", demo_media / "CD", demo_media / "Documents", "--case", case)
    with CaseStore.open(case) as store:
        assert (len(store.instances()), len(store.documents())) == (n_instances, n_docs)
    assert cli_json("fsck", "--case", case)["ok"]


def test_a_damaged_index_is_reported_not_crashed(case: Path) -> None:
    db = case / "case.sqlite"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page: 4 * page] = bytes(range(256)) * (2 * page // 256)  # two pages of garbage
    db.write_bytes(bytes(data))
    proc = cli("fsck", "--case", case, "--json", check=None)
    assert proc.returncode in (1, 2), proc.stderr
    if proc.returncode == 1:
        import json

        kinds = {p["kind"] for p in json.loads(proc.stdout)["problems"]}
        assert ProblemKind.INDEX_INTEGRITY in kinds
    assert "Traceback" not in proc.stderr


def test_fsck_waits_for_no_import(case: Path) -> None:
    with CaseStore.open(case) as importing, CaseStore.open(case) as checking:
        run = importing.begin_run()
        with pytest.raises(CaseError) as e:
            check_case(checking)
        assert e.value.code == "case_busy"
        importing.finish_run(run)
        assert check_case(checking).ok


def test_a_cancelled_repair_changes_nothing(case: Path) -> None:
    _damage(case)
    blobs_before, rows_before = tree_digest(case / "blobs"), index_digest(case)
    cancel = CancelToken()

    def progress(done: int, total: int | None, message: str = "") -> None:
        if done >= 64:
            cancel.cancel()

    with CaseStore.open(case) as store, pytest.raises(Cancelled):
        check_case(store, repair=True, progress=progress, cancel=cancel)
    assert tree_digest(case / "blobs") == blobs_before and index_digest(case) == rows_before
    assert not (case / "quarantine").exists()


def test_a_read_only_case_is_checked_not_repaired(case: Path) -> None:
    with CaseStore.open(case) as store:
        store.mark_read_only()
    expected = _damage(case)
    out = cli_json("fsck", "--case", case, check=1)
    assert {p["kind"] for p in out["problems"]} == set(expected)
    proc = cli("fsck", "--case", case, "--repair", check=2)
    assert "read-only" in proc.stderr and not (case / "quarantine").exists()
