"""Helpers for the reliability tests: the CLI in a subprocess, case copies, process trees.

Shared by tests/reliability and benchmarks/faults_bench.py; imports nothing from pytest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple orbit lantern meadow"


def cli(*args: str | Path, env: Mapping[str, str] | None = None, check: int | None = 0,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``records-bundler ARGS`` in a subprocess (``python -m bundler``)."""
    proc = subprocess.run([sys.executable, "-m", "bundler", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=dict(env) if env is not None else None, cwd=REPO)
    if check is not None:
        assert proc.returncode == check, (args, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def cli_json(*args: str | Path, env: Mapping[str, str] | None = None, check: int | None = 0) -> Any:
    return json.loads(cli(*args, "--json", env=env, check=check).stdout)


def copy_case(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def blob_files(case: Path) -> list[Path]:
    return sorted(p for p in (case / "blobs").rglob("*") if p.is_file())


def committed_rows(case: Path, table: str = "log") -> int:
    """Rows another process has committed (read-only; 0 while the index does not exist yet)."""
    try:
        with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
    except sqlite3.Error:
        return 0


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc), depth first."""
    by_parent: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        by_parent.setdefault(int(fields[1]), []).append(int(entry.name))
    out: list[int] = []
    stack = list(by_parent.get(pid, []))
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(by_parent.get(p, []))
    return out


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def tree_digest(root: Path) -> dict[str, str]:
    """Path → SHA-256 of every file under ``root`` (to show a case or a source did not change)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def index_digest(case: Path, tables: Sequence[str] = ("blobs", "instances", "documents", "document_content",
                                                      "log", "media_refs", "kos_refs")) -> dict[str, int]:
    """Row counts of the index (read-only)."""
    with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True) as db:
        return {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}  # noqa: S608


def write_passphrase(folder: Path) -> Path:
    path = folder / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECORDS_BUNDLER", "PYTEST"))}
    env.update(extra)
    return env


def stuck_ingest_path(path: str, name: str, config: Any, on_disc: bool = False,
                      seconds: float | None = None) -> Any:
    """Stand-in for ``onefile.ingest_path`` in worker processes: files named ``stuck*`` wedge the
    worker the way native code can (it ignores SIGALRM), everything else is read normally."""
    import signal
    import time

    from bundler.ingest.onefile import ingest_path

    if Path(path).name.startswith("stuck"):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            time.sleep(1)
    return ingest_path(path, name, config, on_disc, seconds)


class Watched:
    """What a watched CLI run did: its output, every descendant's command line, and every path
    (with the modes of folders, and the bytes of small files) seen under the watched folders."""

    def __init__(self) -> None:
        self.returncode = 0
        self.stdout = ""
        self.stderr = ""
        self.cmdlines: set[bytes] = set()
        self.paths: set[Path] = set()
        self.dir_modes: dict[Path, int] = {}
        self.contents: dict[Path, bytes] = {}


def watched_run(args: Sequence[str | Path], *, env: Mapping[str, str], watch: Sequence[Path], out_dir: Path,
                read: Sequence[Path] = (), interrupt_when: Callable[[], bool] | None = None,
                timeout: float = 300) -> Watched:
    """Run the CLI, polling /proc and the ``watch`` folders every few milliseconds until it ends.

    The bytes of files under ``read`` (some of the ``watch`` folders) are kept as they are seen.
    ``interrupt_when``: send SIGINT (Ctrl+C) once it returns true.
    """
    import signal
    import time

    w = Watched()
    out, err = out_dir / "stdout.txt", out_dir / "stderr.txt"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-m", "bundler", *map(str, args)], stdout=fo, stderr=fe,
                                env=dict(env), cwd=REPO)
        start = time.monotonic()
        interrupted = False
        while True:
            done = proc.poll() is not None
            for pid in [proc.pid, *children(proc.pid)]:
                line = cmdline(pid)
                if line:
                    w.cmdlines.add(line)
            for root in watch:
                for folder, dirs, files in os.walk(root):
                    for d in dirs:
                        p = Path(folder) / d
                        w.paths.add(p)
                        try:
                            w.dir_modes.setdefault(p, p.stat().st_mode & 0o777)
                        except OSError:
                            pass
                    for f in files:
                        p = Path(folder) / f
                        w.paths.add(p)
                        if root not in read:
                            continue
                        try:
                            if p.stat().st_size <= 4 * 1024 * 1024:
                                w.contents[p] = w.contents.get(p, b"") + p.read_bytes()
                        except OSError:
                            pass
            if done:
                break
            if interrupt_when is not None and not interrupted and interrupt_when():
                proc.send_signal(signal.SIGINT)
                interrupted = True
            if time.monotonic() - start > timeout:
                proc.kill()
                raise AssertionError(f"{args} did not finish in {timeout} s")
            time.sleep(0.01)
    w.returncode = proc.returncode
    w.stdout = out.read_text(encoding="utf-8", errors="replace")
    w.stderr = err.read_text(encoding="utf-8", errors="replace")
    return w


def kill_after(args: Sequence[str], delay: float, env: dict[str, str] | None = None) -> tuple[int, list[int], bool]:
    """Run the CLI, SIGKILL it after ``delay`` s; returns (exit status, descendants seen, killed)."""
    proc = subprocess.Popen([sys.executable, "-m", "bundler", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=REPO, env=env)
    seen: set[int] = set()
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        seen.update(children(proc.pid))
        time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        seen.update(children(proc.pid))
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(), sorted(seen), killed


def wait_gone(pids: list[int]) -> None:
    """Worker processes die with the importer (PR_SET_PDEATHSIG): none keeps writing the case."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), [p for p in pids if alive(p)]


_MEASURED_IMPORT = r"""
import json, resource, sys, time
from bundler.ingest.pipeline import import_sources
from bundler.store import CaseStore
if __name__ == "__main__":
    t = time.perf_counter()
    with CaseStore.open(sys.argv[2], create=True) as store:
        report = import_sources([sys.argv[1]], store, processes=True)
        rows = len(store.log_rows())
    print(json.dumps({"seconds": time.perf_counter() - t, "files_seen": report.files_seen, "rows": rows,
                      "reasons": report.reasons(),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measured_import(source: Path, case: Path, *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Import ``source`` into a new case in a child process (worker processes on); its stdout
    is one JSON object: seconds, files_seen, rows, reasons, peak_rss_mb, worker_peak_rss_mb."""
    return subprocess.run([sys.executable, "-c", _MEASURED_IMPORT, str(source), str(case)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def timed_cli_import(sources: Sequence[Path], case: Path) -> tuple[int, float | None, float]:
    """Run ``records-bundler import`` undisturbed: (exit status, seconds until its first rows
    were committed or None, seconds in all)."""
    t = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bundler", "import", *map(str, sources), "--case", str(case)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    first = None
    while proc.poll() is None:
        if first is None and committed_rows(case) > 0:
            first = time.monotonic() - t
        time.sleep(0.02)
    return proc.returncode, first, time.monotonic() - t
