"""Faults: kill -9 at random points of import and export, a source that disappears mid-import,
and a full or failing disk at the file-system call.

The promises: the case opens and passes its integrity check and fsck; re-running the import
completes and adds the rest; nothing is ever under an export's target name unless it verifies;
a full disk gives a clear message and leaves the case as it was, with nothing partial behind.
Reduced trial counts here (seeded); ``benchmarks/faults_bench.py`` runs 50 of each.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bundler.errors import BundlerError, Cancelled
from bundler.fsck import check_case
from bundler.ingest import sources as sources_mod
from bundler.ingest.onefile import CaseWriteError
from bundler.ingest.pipeline import import_sources
from bundler.model import ImportStatus, Reason
from bundler.progress import CancelToken
from bundler.store import CaseStore
from faultkit import (
    PASSPHRASE,
    cli,
    cli_json,
    committed_rows,
    copy_case,
    index_digest,
    kill_after,
    timed_cli_import,
    tree_digest,
    wait_gone,
    write_passphrase,
)

SEED = 10
TRIALS = 10
CT_COUNT = 150  # with the demo's 116 files, enough for worker processes (200)


def _private_and_empty(folder: Path) -> None:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, oct(folder.stat().st_mode)
    assert not any(folder.iterdir()), sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------------------------
# kill -9
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_source(demo_media: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The demo's CD and documents and a CT series: enough files for worker processes."""
    from bundler.demo import write_ct_series

    ct = tmp_path_factory.mktemp("ct") / "CT"
    write_ct_series(ct, count=CT_COUNT, matrix=64, seed=3)
    return [ct, demo_media / "CD", demo_media / "Documents"]


@pytest.fixture(scope="module")
def full_import(big_source: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One undisturbed import: when its first rows are committed, how long it takes, what it holds."""
    case = tmp_path_factory.mktemp("full") / "case"
    returncode, first, seconds = timed_cli_import(big_source, case)
    assert returncode == 0
    with CaseStore.open(case) as store:
        return {"first_commit": first or seconds / 2, "seconds": seconds, "instances": len(store.instances()),
                "documents": len(store.documents()), "case": case}


@pytest.mark.slow
def test_kill_9_during_import(big_source: list[Path], full_import: dict[str, Any], tmp_path: Path) -> None:
    rng = random.Random(SEED)
    outcomes = []
    for trial in range(TRIALS):
        case = tmp_path / f"case{trial}"
        # From before the index exists to the last batch (most of the time is spent in between).
        delay = rng.uniform(0.5 * full_import["first_commit"], full_import["seconds"])
        _, pids, killed = kill_after(["import", *map(str, big_source), "--case", str(case)], delay)
        wait_gone(pids)
        if (case / "case.sqlite").exists():
            with CaseStore.open(case) as store:
                assert store.integrity_check()
                assert all(r["state"] != "running" for r in store.runs())
                _private_and_empty(store.tmp_dir)
                fsck = check_case(store)
                assert fsck.ok, (trial, delay, fsck.problems[:5])
        outcomes.append((round(delay, 2), killed, committed_rows(case)))
        with CaseStore.open(case, create=True) as store:  # re-running completes and adds the rest
            import_sources(big_source, store, processes=False)
            assert len(store.instances()) == full_import["instances"], (trial, delay)
            assert len(store.documents()) == full_import["documents"], (trial, delay)
            assert check_case(store).ok
    print("kill -9 during import (delay s, killed, rows committed):", outcomes)
    assert sum(k for _, k, _ in outcomes) >= TRIALS // 2, outcomes  # most trials really killed it


@pytest.mark.slow
def test_kill_9_during_export(full_import: dict[str, Any], tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    case = copy_case(full_import["case"], tmp_path / "case")
    blobs = tree_digest(case / "blobs")
    secret = write_passphrase(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # How long one export takes, undisturbed.
    t = time.monotonic()
    cli("export", "--case", case, "--out", out_dir / "whole.age", "--passphrase-file", secret)
    seconds = time.monotonic() - t
    outcomes = []
    for trial in range(TRIALS):
        fmt = "zip" if trial % 2 else "age"
        target = out_dir / f"package{trial}.{fmt}"
        _, pids, killed = kill_after(["export", "--case", str(case), "--out", str(target), "--passphrase-file",
                                       str(secret)], rng.uniform(0.0, seconds))
        wait_gone(pids)
        if target.exists():  # only ever a complete package under the target name
            assert cli("verify", target, "--passphrase-file", secret, check=None).returncode == 0, trial
        outcomes.append((fmt, killed, target.exists()))
    for leftover in out_dir.glob(".records-bundler-*"):  # a killed process cannot remove its partial file
        assert stat.S_IMODE(leftover.stat().st_mode) == 0o600
        assert PASSPHRASE.encode() not in leftover.read_bytes()
    cli("export", "--case", case, "--out", out_dir / "after.age", "--passphrase-file", secret)
    assert not list(out_dir.glob(".records-bundler-*"))  # the next export removed what a kill left
    assert tree_digest(case / "blobs") == blobs  # export only reads the case
    assert cli_json("fsck", "--case", case)["ok"]
    print("kill -9 during export (format, killed, target exists):", outcomes)
    assert sum(k for _, k, _ in outcomes) >= TRIALS // 2, outcomes


# --------------------------------------------------------------------------------------------
# a source that disappears mid-import
# --------------------------------------------------------------------------------------------


def _pull_after(n: int, source: Path, how: str) -> Callable[[int, int | None, str], None]:
    """A progress callback that, once ``n`` files are done, removes or renames the source."""
    state = {"done": False}

    def progress(done: int, total: int | None, message: str = "") -> None:
        if state["done"] or done < n or message != "Importing files":
            return
        state["done"] = True
        if how == "removed":
            shutil.rmtree(source)
        else:  # every folder renamed: what was listed is no longer where it was
            source.rename(source.with_name(source.name + "-moved"))

    return progress


@pytest.mark.parametrize("how", ["removed", "renamed"])
@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_source_disappearing_mid_import(demo_media: Path, tmp_path: Path, how: str, processes: bool) -> None:
    source = tmp_path / "usb"
    shutil.copytree(demo_media / "CD", source)
    listed = sorted(str(p) for p in source.rglob("*") if p.is_file())
    with CaseStore.open(tmp_path / "case", create=True) as store:
        report = import_sources([source], store, progress=_pull_after(20, source, how), processes=processes,
                                workers=2)
        rows = store.log_rows()
        assert sorted(r.source for r in rows) == listed  # every file seen says what became of it
        gone = [r for r in rows if r.status is ImportStatus.FAILED]
        assert gone and report.imported >= 1
        assert all(r.reason is Reason.UNREADABLE for r in gone)
        assert all("no longer there" in r.detail for r in gone), {r.detail for r in gone}
        assert store.runs()[-1]["state"] == "completed"
        _private_and_empty(store.tmp_dir)
    assert cli_json("fsck", "--case", tmp_path / "case")["ok"]


def test_read_errors_on_the_source_are_rows(demo_media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EIO while reading some files (a scratched disc): those files fail, the rest import."""
    real_open = open
    bad = {"IM000003", "IM000007", "Lab_Results.pdf"}

    class _Failing:
        def __init__(self, f: Any) -> None:
            self._f = f

        def read(self, n: int = -1) -> bytes:
            raise OSError(errno.EIO, "Input/output error")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

        def __enter__(self) -> _Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            self._f.close()

    def flaky_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        f = real_open(path, *args, **kwargs)
        return _Failing(f) if Path(path).name in bad else f

    monkeypatch.setattr(sources_mod, "open", flaky_open, raising=False)
    with CaseStore.open(tmp_path / "case", create=True) as store:
        report = import_sources([demo_media / "CD", demo_media / "Documents"], store, processes=False)
        failed = [r for r in store.log_rows() if r.status is ImportStatus.FAILED]
        assert {Path(r.source).name for r in failed} == bad and len(failed) == len([
            p for p in (demo_media / "CD").rglob("*") if p.name in bad]) + 1
        assert all("read error" in r.detail for r in failed)
        assert report.imported == report.files_seen - report.skipped - len(failed)
    assert cli_json("fsck", "--case", tmp_path / "case")["ok"]


# --------------------------------------------------------------------------------------------
# disk full / EIO on the case's disk
# --------------------------------------------------------------------------------------------


class _Budget:
    """``os.fdopen`` whose files refuse writes (ENOSPC or EIO) once ``limit`` bytes are written."""

    def __init__(self, limit: int, code: int) -> None:
        self.left = limit
        self.code = code
        self.real = os.fdopen

    def fdopen(self, fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        f = self.real(fd, mode, *args, **kwargs)
        return _Metered(f, self) if "w" in mode or "a" in mode else f


class _Metered:
    def __init__(self, f: Any, budget: _Budget) -> None:
        self._f = f
        self._budget = budget

    def write(self, data: Any) -> int:
        n = len(data)
        if n > self._budget.left:
            raise OSError(self._budget.code, os.strerror(self._budget.code))
        self._budget.left -= n
        return int(self._f.write(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _Metered:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()


@pytest.fixture
def seeded_case(demo_media: Path, tmp_path: Path) -> Path:
    """A case holding the demo's documents, to show a failed import changes nothing in it."""
    case = tmp_path / "case"
    with CaseStore.open(case, create=True) as store:
        import_sources([demo_media / "Documents"], store)
    return case


def _case_state(case: Path) -> tuple[dict[str, str], dict[str, int]]:
    return tree_digest(case / "blobs"), index_digest(case)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO], ids=["ENOSPC", "EIO"])
def test_a_full_or_failing_disk_stops_the_import_and_changes_nothing(
        demo_media: Path, seeded_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    before = _case_state(seeded_case)
    budget = _Budget(400_000, code)  # a few dozen files fit, then the disk is "full"
    monkeypatch.setattr(os, "fdopen", budget.fdopen)
    with CaseStore.open(seeded_case) as store:
        with pytest.raises(CaseWriteError) as e:
            import_sources([demo_media / "CD"], store, processes=False)
        _private_and_empty(store.tmp_dir)
        assert store.runs()[-1]["state"] == "cancelled"
    monkeypatch.undo()
    message = e.value.user_message
    assert ("full" in message) if code == errno.ENOSPC else ("EIO" in message)
    assert "as it was before" in message
    assert _case_state(seeded_case) == before
    assert cli_json("fsck", "--case", seeded_case)["ok"]


def test_a_full_index_stops_the_import_and_changes_nothing(demo_media: Path, seeded_case: Path) -> None:
    before = _case_state(seeded_case)
    with CaseStore.open(seeded_case) as store:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]  # noqa: SLF001 - the disk-full lever
        store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # noqa: SLF001
        with pytest.raises(CaseWriteError) as e:
            import_sources([demo_media / "CD"], store, processes=False)
        assert "disk is full" in e.value.user_message
        _private_and_empty(store.tmp_dir)
    assert _case_state(seeded_case) == before
    assert cli_json("fsck", "--case", seeded_case)["ok"]


def test_the_cli_says_the_disk_is_full(demo_media: Path, seeded_case: Path, tmp_path: Path) -> None:
    """The same through the CLI: one line, no traceback (the failure injected with a tiny quota
    on the index, as the file-system call cannot be patched in another process)."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('RB_TEST_ENOSPC'):\n"
        "    import errno\n"
        "    _real = os.fdopen\n"
        "    class _Full:\n"
        "        def __init__(self, f): self._f = f\n"
        "        def write(self, data): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "        def __getattr__(self, n): return getattr(self._f, n)\n"
        "        def __enter__(self): return self\n"
        "        def __exit__(self, *a): self._f.close()\n"
        "    def _fdopen(fd, mode='r', *a, **k):\n"
        "        f = _real(fd, mode, *a, **k)\n"
        "        return _Full(f) if 'w' in mode else f\n"
        "    os.fdopen = _fdopen\n", encoding="utf-8")
    before = _case_state(seeded_case)
    env = {**os.environ, "PYTHONPATH": str(hook), "RB_TEST_ENOSPC": "1"}
    proc = cli("import", demo_media / "CD", "--case", seeded_case, env=env, check=2)
    assert proc.stderr.count("\n") == 1 and "full" in proc.stderr and "Traceback" not in proc.stderr
    assert _case_state(seeded_case) == before


def test_a_full_disk_during_export_is_a_clear_error(seeded_case: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from bundler.export.package import export_package

    out = tmp_path / "out"
    out.mkdir()
    before = _case_state(seeded_case)
    monkeypatch.setattr(os, "fdopen", _Budget(20_000, errno.ENOSPC).fdopen)
    try:
        with CaseStore.open(seeded_case) as store, pytest.raises(BundlerError):
            export_package(store, out / "p.age", passphrase=PASSPHRASE, work_factor=10)
    finally:
        monkeypatch.undo()
        assert list(out.iterdir()) == []  # nothing partial left behind
        assert _case_state(seeded_case) == before


def test_a_full_disk_during_export_leaves_nothing_behind(seeded_case: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from bundler.export.package import export_package

    out = tmp_path / "out"
    out.mkdir()
    before = _case_state(seeded_case)
    monkeypatch.setattr(os, "fdopen", _Budget(20_000, errno.ENOSPC).fdopen)
    with CaseStore.open(seeded_case) as store, pytest.raises((BundlerError, OSError)):
        export_package(store, out / "p.age", passphrase=PASSPHRASE, work_factor=10)
    monkeypatch.undo()
    assert list(out.iterdir()) == []
    assert _case_state(seeded_case) == before


def test_a_cancelled_import_leaves_no_scratch(demo_media: Path, seeded_case: Path) -> None:
    before = _case_state(seeded_case)
    cancel = CancelToken()

    def progress(done: int, total: int | None, message: str = "") -> None:
        if done >= 30:
            cancel.cancel()

    with CaseStore.open(seeded_case) as store:
        with pytest.raises(Cancelled):
            import_sources([demo_media / "CD"], store, progress=progress, cancel=cancel, processes=False)
        _private_and_empty(store.tmp_dir)
    assert _case_state(seeded_case) == before
    assert json.loads(cli("fsck", "--case", seeded_case, "--json").stdout)["ok"]
