"""Hostile input: a seeded mutation corpus of real files imports without a crash or a hang, every
file ending as a log row; and the pipeline itself stops a file that overruns its time budget.

Reduced counts here; ``benchmarks/faults_bench.py --mutations`` runs the whole shared data set
with more mutants per file and reports the figures.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from bundler.ingest import pipeline
from bundler.ingest.onefile import WorkerConfig, ingest_path
from bundler.ingest.pipeline import import_sources
from bundler.model import ImportStatus, Reason
from bundler.store import CaseStore
from faultkit import REPO, cli_json, measured_import, stuck_ingest_path
from support import require_shared_data
from mutations import KINDS, corpus_files, sample, stalling_pdf, write_mutants

SEED = 20260110
SHARED_SAMPLE = 30
DEMO_SAMPLE = 20
PER_FILE_LIMIT_S = 30.0  # any one mutant, read alone: far above the worst seen (~1 s)


@pytest.fixture(scope="module")
def corpus(demo_media: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    shared_data = require_shared_data()
    demo = list(corpus_files(demo_media, None))
    # Every demo document and DICOMDIR, a sample of its (similar) instances, a sample of the shared data.
    files = [f for f in demo if f.parent.name == "Documents" or f.parent == demo_media / "CD"]
    files += sample(set(demo) - set(files), DEMO_SAMPLE, seed=SEED)
    shared = set(corpus_files(demo_media, shared_data)) - set(demo)
    files += sample(shared, SHARED_SAMPLE, seed=SEED)
    out = tmp_path_factory.mktemp("mutants")
    mutants = write_mutants(files, out, seed=SEED)
    assert len(mutants) == len(files) * len(KINDS)
    return [m.path for m in mutants]


@pytest.mark.slow
def test_every_mutant_ends_as_a_log_row_without_crash_or_hang(corpus: list[Path], tmp_path: Path) -> None:
    root = corpus[0].parents[1]
    proc = measured_import(root, tmp_path / "case", cwd=tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["files_seen"] == out["rows"] >= len(corpus), out
    assert "internal_error" not in out["reasons"], out["reasons"]  # a parser raised something unexpected
    # Bounded memory: a clean import of this corpus peaks near 100 MB, but one mutant (not yet
    # traced, issue 10) has taken the main process to 664 MB in CI; a runaway would pass 1 GiB.
    assert out["peak_rss_mb"] < 1024 and out["worker_peak_rss_mb"] < 1024, out
    with CaseStore.open(tmp_path / "case") as store:
        files = {r.source.split("!/", 1)[0] for r in store.log_rows()}  # archive members name their archive
        assert files == {str(p) for p in corpus}
        assert store.integrity_check()
    assert cli_json("fsck", "--case", tmp_path / "case")["ok"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom on undecodable names (no values quoted)
def test_no_mutant_takes_long_alone(corpus: list[Path], tmp_path: Path) -> None:
    blobs, scratch = tmp_path / "blobs", tmp_path / "tmp"
    blobs.mkdir()
    scratch.mkdir()
    config = WorkerConfig(blobs, scratch, 1 << 31)
    worst = (0.0, "")
    for path in corpus:
        t = time.perf_counter()
        result = ingest_path(str(path), path.name, config)
        elapsed = time.perf_counter() - t
        assert result.reason is not Reason.INTERNAL_ERROR, path
        worst = max(worst, (elapsed, str(path)))
    assert worst[0] < PER_FILE_LIMIT_S, worst


def _stall_source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "stall.pdf").write_bytes(stalling_pdf())
    (src / "note.txt").write_text("Visit note\n\nImpression: stable.\n", encoding="utf-8")
    return src


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_a_stalling_file_is_stopped_at_its_budget(tmp_path: Path, processes: bool) -> None:
    src = _stall_source(tmp_path)
    with CaseStore.open(tmp_path / "case", create=True) as store:
        t = time.monotonic()
        report = import_sources([src], store, processes=processes, file_seconds=5.0)
        elapsed = time.monotonic() - t
        rows = {Path(r.source).name: r for r in store.log_rows()}
        assert rows["stall.pdf"].status is ImportStatus.FAILED
        assert rows["stall.pdf"].reason is Reason.TIMED_OUT and "took longer" in rows["stall.pdf"].detail
        assert rows["note.txt"].status is ImportStatus.IMPORTED
        assert report.failed == 1
        assert not any(store.tmp_dir.iterdir())
    assert elapsed < 60, elapsed  # unbounded, the PDF takes many minutes
    assert cli_json("fsck", "--case", tmp_path / "case")["ok"]


def test_a_worker_that_ignores_its_alarm_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "tests" / "reliability", src / "plain", ignore=shutil.ignore_patterns("__pycache__"))
    (src / "stuck.txt").write_text("wedges its worker\n", encoding="utf-8")
    (src / "after.txt").write_text("Clinic letter\n\nAll well.\n", encoding="utf-8")
    monkeypatch.setattr(pipeline, "ingest_path", stuck_ingest_path)
    monkeypatch.setattr(pipeline, "_GRACE_SECONDS", 1.0)
    with CaseStore.open(tmp_path / "case", create=True) as store:
        t = time.monotonic()
        report = import_sources([src], store, processes=True, file_seconds=1.0)
        assert time.monotonic() - t < 90
        rows = {Path(r.source).name: r for r in store.log_rows()}
        assert rows["stuck.txt"].status is ImportStatus.FAILED and rows["stuck.txt"].reason is Reason.TIMED_OUT
        assert rows["after.txt"].status is ImportStatus.IMPORTED  # read on a thread after the pool was ended
        assert report.files_seen == len(rows)
