"""Package export and verify throughput against the real ``age`` and ``7z``, and peak memory.

Generates a CT case of about --gb GB (``bundler.demo.write_ct_series``, 512 x 512 slices),
imports it, then times, each in a fresh child process (interpreter start and imports
included, as a CLI run would pay them):

* ``export_package`` to **age** (an X25519 recipient: no scrypt second in the figure) against
  ``age -r`` encrypting the very same inner archive (taken out of our package with ``age -d``);
* ``export_package`` to **AES-256 ZIP** against ``7z a -tzip -mem=AES256 -mx=0`` of the very
  same files (the package opened into a folder);
* ``verify_package`` of both.

Throughput is package payload (the inner archive's bytes) over wall time; the issue asks
export ≥ 0.8 x the tool's, peak RSS < 200 MB, and verify at least as fast as export. Our export
fsyncs the package before renaming it into place (atomic write); the tools do not fsync, so
the age baseline is also given with an fsync added. Caches are warm for everyone (every input
is read once before its timings). Every step runs --runs times, ours and the tools' in turns
(os.sync before each, so no step pays for the writing of the one before); times and ratios
are medians (a ratio per round, then the median), since the machine may be shared. Results
go to stdout as a table and, with --json, as JSON.

    python benchmarks/export_bench.py [--gb 2] [--runs 3] [--case DIR] [--dir DIR] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PASS = "quaking-dried-hybrid-timing-satchel-refract-distrust"

_CHILD = r"""
import json, resource, sys, time
t = time.perf_counter()
from pathlib import Path
op, case, pkg, key = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
from bundler.export import age
from bundler.export.package import export_package, verify_package
from bundler.store import CaseStore
out = {}
if op == "export-age":
    with CaseStore.open(case) as store:
        r = export_package(store, pkg, recipients=[key], readme_first=False)
    out = {"size": r.size, "payload": r.payload_bytes, "files": r.files}
elif op == "export-zip":
    with CaseStore.open(case) as store:
        r = export_package(store, pkg, fmt="zip", passphrase=key, readme_first=False)
    out = {"size": r.size, "payload": r.payload_bytes, "files": r.files}
elif op == "verify-age":
    r = verify_package(pkg, identities=age.parse_identities(Path(key).read_text()))
    out = {"ok": r.ok, "bytes": r.bytes}
elif op == "verify-zip":
    r = verify_package(pkg, passphrase=key)
    out = {"ok": r.ok, "bytes": r.bytes}
out["seconds"] = time.perf_counter() - t
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _child(op: str, case: Path, pkg: Path, key: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _CHILD, op, str(case), str(pkg), key], cwd=REPO,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{op} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _timed(args: list[str], cwd: Path | None = None, fsync: Path | None = None) -> float:
    t = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    if fsync is not None:
        fd = os.open(fsync, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    return time.perf_counter() - t


def _warm(root: Path) -> None:
    for p in [root] if root.is_file() else root.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                while f.read(1 << 20):
                    pass


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gb", type=float, default=2.0, help="case size in GB (default 2)")
    ap.add_argument("--matrix", type=int, default=512)
    ap.add_argument("--runs", type=int, default=3, help="rounds of every step (medians are reported)")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--case", type=Path, help="an imported case to use instead of generating one")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for tool in ("age", "age-keygen", "7z"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")

    sys.path.insert(0, str(REPO))
    from bundler.export import age as agemod

    work = args.dir or Path(tempfile.mkdtemp(prefix="export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"gb": args.gb, "matrix": args.matrix, "cpus": os.cpu_count(), "runs": args.runs,
                               "load_before": os.getloadavg()}
    try:
        case = args.case or _make_case(work, args.gb, args.matrix, results)
        _warm(case / "blobs")
        secret, public = agemod.keygen()
        key = work / "key.txt"
        key.write_text(secret)

        def export_age() -> dict[str, Any]:
            (work / "p.age").unlink(missing_ok=True)
            return _child("export-age", case, work / "p.age", public)

        def export_zip() -> dict[str, Any]:
            (work / "p.zip").unlink(missing_ok=True)
            return _child("export-zip", case, work / "p.zip", PASS)

        # The tools work on the very same files: the inner archive, and the files inside it.
        first = export_age()
        inner, layout = work / "inner.zip", work / "layout"
        subprocess.run(["age", "-d", "-i", str(key), "-o", str(inner), str(work / "p.age")], check=True)
        shutil.rmtree(layout, ignore_errors=True)
        subprocess.run(["7z", "x", f"-o{layout}", str(inner)], check=True, capture_output=True)
        names = sorted(p.name for p in layout.iterdir())
        results["inner_bytes"] = inner.stat().st_size
        results["instances"] = first["files"]
        _warm(inner)
        _warm(layout)

        def age_tool(fsync: bool) -> float:
            (work / "base.age").unlink(missing_ok=True)
            return _timed(["age", "-r", public, "-o", str(work / "base.age"), str(inner)],
                          fsync=work / "base.age" if fsync else None)

        def seven() -> float:
            (work / "base.zip").unlink(missing_ok=True)
            return _timed(["7z", "a", "-tzip", "-mem=AES256", "-mx=0", f"-p{PASS}", "-bd",
                           str(work / "base.zip"), *names], cwd=layout)

        # Rounds of every step, ours and the tool's side by side, so that the load of a shared
        # machine weighs on both alike; before each step the dirty pages of the one before are
        # written out (os.sync), so that no step pays for another's writing.
        steps: dict[str, Any] = {
            "export_age": export_age,
            "age_tool": lambda: age_tool(False),
            "age_tool_fsync": lambda: age_tool(True),
            "verify_age": lambda: _child("verify-age", case, work / "p.age", str(key)),
            "age_tool_decrypt": lambda: _timed(["age", "-d", "-i", str(key), "-o", os.devnull,
                                                str(work / "base.age")]),
            "export_zip": export_zip,
            "7z": seven,
            "verify_zip": lambda: _child("verify-zip", case, work / "p.zip", PASS),
            "7z_test": lambda: _timed(["7z", "t", f"-p{PASS}", str(work / "base.zip")]),
        }
        runs: dict[str, list[Any]] = {name: [] for name in steps}
        for _ in range(args.runs):
            for name, step in steps.items():
                os.sync()
                runs[name].append(step())

        def seconds(name: str) -> list[float]:
            return [r["seconds"] if isinstance(r, dict) else r for r in runs[name]]

        for name in steps:
            results[f"{name}_seconds"] = [round(x, 3) for x in seconds(name)]
        for name in ("export_age", "verify_age", "export_zip", "verify_zip"):
            results[f"{name}_peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs[name])
        pairs = {
            "export_age_vs_age": ("age_tool", "export_age"),
            "export_age_vs_age_with_fsync": ("age_tool_fsync", "export_age"),
            "export_zip_vs_7z": ("7z", "export_zip"),
            "verify_age_vs_export_age": ("export_age", "verify_age"),
            "verify_zip_vs_export_zip": ("export_zip", "verify_zip"),
        }
        # A ratio per round (each round's steps ran close together), then their median.
        results["ratios"] = {name: round(_median([a / b for a, b in zip(seconds(num), seconds(den))]), 3)
                             for name, (num, den) in pairs.items()}
        results["load_after"] = os.getloadavg()
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(results, indent=2))
        return
    payload = results["inner_bytes"]

    def mbs(name: str) -> str:
        t = _median(results[f"{name}_seconds"])
        return f"{payload / t / 1e6:7.0f} MB/s  (median {t:6.2f} s of {results[f'{name}_seconds']})"

    print(f"case: {results['instances']} files, inner archive {payload / 1e9:.2f} GB, {results['cpus']} CPUs, "
          f"load {results['load_before'][0]:.1f} before, {results['load_after'][0]:.1f} after")
    print(f"export age      {mbs('export_age')}  peak RSS {results['export_age_peak_rss_mb']:.0f} MB")
    print(f"age -r          {mbs('age_tool')}")
    print(f"age -r +fsync   {mbs('age_tool_fsync')}")
    print(f"verify age      {mbs('verify_age')}  peak RSS {results['verify_age_peak_rss_mb']:.0f} MB")
    print(f"age -d          {mbs('age_tool_decrypt')}")
    print(f"export zip      {mbs('export_zip')}  peak RSS {results['export_zip_peak_rss_mb']:.0f} MB")
    print(f"7z a AES256     {mbs('7z')}")
    print(f"verify zip      {mbs('verify_zip')}  peak RSS {results['verify_zip_peak_rss_mb']:.0f} MB")
    print(f"7z t            {mbs('7z_test')}")
    for name, value in results["ratios"].items():
        print(f"{name:32} {value:5.2f}  (median of per-round ratios)")


def _make_case(work: Path, gb: float, matrix: int, results: dict[str, Any]) -> Path:
    from bundler.demo import write_ct_series
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    per_file = matrix * matrix * 2 + 1600
    count = max(1, int(gb * 1e9 / per_file))
    t = time.perf_counter()
    write_ct_series(work / "ct", count=count, matrix=matrix, with_dicomdir=False)
    results["generate_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    with CaseStore.open(work / "case", create=True) as store:
        import_sources([work / "ct"], store)
    results["import_seconds"] = time.perf_counter() - t
    shutil.rmtree(work / "ct")
    return work / "case"


if __name__ == "__main__":
    main()
