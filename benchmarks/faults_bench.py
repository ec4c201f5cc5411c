"""Faults and hostile input at full counts (tests/reliability runs the same with reduced counts).

* ``--mutations``: every file of the demo case and of ``../shared/data``, ``--per-file``
  mutants each (bit flips, truncations, length-field inflation, insertions; seeded). Imported
  in one run in a subprocess (worker processes, the default time budget): files tried, rows
  logged, reasons, peak RSS. Then each mutant is read alone to find the worst time per file.
* ``--kill-import N`` / ``--kill-export N``: kill -9 at seeded random moments of an import (the
  demo plus a 1,500-instance CT series) and of an export (age and AES ZIP in turn). After each: the case opens,
  its integrity check and fsck pass, re-running the import completes with everything, and
  nothing is under the package's name unless ``verify`` passes.

    python benchmarks/faults_bench.py [--mutations] [--kill-import 50] [--kill-export 50]
                                      [--per-file 8] [--seed 1] [--json]

With no option, everything runs. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reliability"))

from faultkit import (  # noqa: E402
    cli,
    committed_rows,
    kill_after,
    measured_import,
    timed_cli_import,
    tree_digest,
    wait_gone,
    write_passphrase,
)
from mutations import corpus_files, write_mutants  # noqa: E402

_TIMING_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from bundler.ingest.onefile import WorkerConfig, ingest_path
root, work = Path(sys.argv[1]), Path(sys.argv[2])
(work / "blobs").mkdir(); (work / "tmp").mkdir()
config = WorkerConfig(work / "blobs", work / "tmp", 1 << 31)
times = []
for path in sorted(p for p in root.rglob("*") if p.is_file()):
    t = time.perf_counter()
    result = ingest_path(str(path), path.name, config, seconds=120.0)
    times.append((time.perf_counter() - t, str(path.relative_to(root)), str(result.reason)))
times.sort(reverse=True)
print(json.dumps({"files": len(times), "worst": times[:5], "median_s": times[len(times) // 2][0],
                  "internal_errors": [t[1] for t in times if t[2] == "internal_error"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _mutations(work: Path, demo: Path, shared: Path | None, per_file: int, seed: int) -> dict[str, Any]:
    files = list(corpus_files(demo, shared))
    mutants = write_mutants(files, work / "mutants", seed=seed, per_file=per_file)
    proc = measured_import(work / "mutants", work / "mcase", cwd=work, timeout=6 * 3600)
    if proc.returncode != 0:
        return {"error": proc.stderr[-3000:]}
    imported = json.loads(proc.stdout)
    fsck = json.loads(cli("fsck", "--case", work / "mcase", "--json", check=None).stdout)
    timing_dir = work / "timing"
    timing_dir.mkdir()
    proc = subprocess.run([sys.executable, "-c", _TIMING_CHILD, str(work / "mutants"), str(timing_dir)],
                          capture_output=True, text=True, cwd=work, timeout=6 * 3600)
    timing = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-3000:]}
    return {"originals": len(files), "files_tried": len(mutants), "per_file": per_file,
            "by_kind": dict(Counter(m.kind for m in mutants)), "import": imported,
            "every_file_a_row": imported["files_seen"] == imported["rows"] >= len(mutants),
            "fsck_ok": fsck["ok"], "alone": timing}


def _big_source(work: Path, demo: Path) -> list[Path]:
    from bundler.demo import write_ct_series

    # 1,500 instances: six batches or more, so most kills land between, or inside, commits.
    write_ct_series(work / "CT", count=1500, matrix=64, seed=3)
    return [work / "CT", demo / "CD", demo / "Documents"]


def _baseline(source: list[Path], case: Path) -> dict[str, Any]:
    _, first, seconds = timed_cli_import(source, case)
    from bundler.store import CaseStore

    with CaseStore.open(case) as store:
        return {"first_commit": first or 0.0, "seconds": seconds,
                "instances": len(store.instances()), "documents": len(store.documents())}


def _kill_import(work: Path, source: list[Path], base: dict[str, Any], trials: int, seed: int) -> dict[str, Any]:
    from bundler.fsck import check_case
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    rng = random.Random(seed)
    outcomes, failures = [], []
    for trial in range(trials):
        case = work / f"kill-import-{trial}"
        delay = rng.uniform(0.5 * base["first_commit"], base["seconds"])
        _, pids, killed = kill_after(["import", *map(str, source), "--case", str(case)], delay)
        problems = []
        try:
            wait_gone(pids)
        except AssertionError as e:
            problems.append(f"orphan workers {e}")
        rows = committed_rows(case)
        if (case / "case.sqlite").exists():
            with CaseStore.open(case) as store:
                if not store.integrity_check():
                    problems.append("integrity_check")
                if any(r["state"] == "running" for r in store.runs()):
                    problems.append("run left running")
                if any(store.tmp_dir.iterdir()):
                    problems.append("scratch left")
                report = check_case(store)
                if not report.ok:
                    problems.append(f"fsck: {[p.kind for p in report.problems][:5]}")
        with CaseStore.open(case, create=True) as store:
            import_sources(source, store, processes=False)
            if (len(store.instances()), len(store.documents())) != (base["instances"], base["documents"]):
                problems.append("re-import incomplete")
            if not check_case(store).ok:
                problems.append("fsck after re-import")
        outcomes.append({"delay_s": round(delay, 2), "killed": killed, "rows_committed": rows})
        if problems:
            failures.append({"trial": trial, "delay_s": round(delay, 2), "problems": problems})
        shutil.rmtree(case, ignore_errors=True)
    return {"trials": trials, "killed": sum(o["killed"] for o in outcomes),
            "killed_before_index": sum(1 for o in outcomes if o["killed"] and o["rows_committed"] == 0),
            "killed_after_first_batch": sum(1 for o in outcomes if o["killed"] and o["rows_committed"] > 0),
            "failures": failures}


def _kill_export(work: Path, source: list[Path], trials: int, seed: int) -> dict[str, Any]:
    from bundler.fsck import check_case
    from bundler.store import CaseStore

    rng = random.Random(seed)
    case = work / "export-case"
    cli("import", *source, "--case", case)
    blobs = tree_digest(case / "blobs")
    secret = write_passphrase(work)
    out = work / "exports"
    out.mkdir()
    t = time.monotonic()
    cli("export", "--case", case, "--out", out / "whole.age", "--passphrase-file", secret)
    seconds = time.monotonic() - t
    failures, outcomes = [], []
    for trial in range(trials):
        fmt = "zip" if trial % 2 else "age"
        target = out / f"p{trial}.{fmt}"
        _, pids, killed = kill_after(["export", "--case", str(case), "--out", str(target), "--passphrase-file",
                                      str(secret)], rng.uniform(0.0, seconds))
        wait_gone(pids)
        ok = True
        if target.exists():
            ok = cli("verify", target, "--passphrase-file", secret, check=None).returncode == 0
        outcomes.append({"format": fmt, "killed": killed, "target_exists": target.exists(), "verified": ok})
        if not ok:
            failures.append({"trial": trial, "problem": "incomplete package under the target name"})
        target.unlink(missing_ok=True)
    partials = [p.name for p in out.glob(".records-bundler-*")]
    with CaseStore.open(case) as store:
        fsck_ok = check_case(store).ok
    return {"trials": trials, "export_seconds": round(seconds, 2), "killed": sum(o["killed"] for o in outcomes),
            "complete_packages_after_kill": sum(o["target_exists"] for o in outcomes if o["killed"]),
            "partial_files_left": len(partials), "case_unchanged": tree_digest(case / "blobs") == blobs,
            "fsck_ok": fsck_ok, "failures": failures}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mutations", action="store_true")
    ap.add_argument("--kill-import", type=int, metavar="N")
    ap.add_argument("--kill-export", type=int, metavar="N")
    ap.add_argument("--per-file", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    everything = not (args.mutations or args.kill_import or args.kill_export)

    from bundler.demo import write_demo

    work = Path(tempfile.mkdtemp(prefix="faults-bench-"))
    try:
        demo = work / "demo"
        write_demo(demo)
        shared = (REPO / ".." / "shared" / "data").resolve()
        result: dict[str, Any] = {}
        if args.mutations or everything:
            result["mutations"] = _mutations(work, demo, shared if shared.is_dir() else None, args.per_file,
                                             args.seed)
        if args.kill_import or args.kill_export or everything:
            source = _big_source(work, demo)
            if args.kill_import or everything:
                base = _baseline(source, work / "baseline")
                result["kill_import"] = {"baseline": base, **_kill_import(work, source, base,
                                                                         args.kill_import or 50, args.seed)}
            if args.kill_export or everything:
                result["kill_export"] = _kill_export(work, source, args.kill_export or 50, args.seed)
        print(json.dumps(result, indent=2))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
