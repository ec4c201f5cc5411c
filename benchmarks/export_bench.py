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
is read once before its timings). Results go to stdout as a table and, with --json, as JSON.

    python benchmarks/export_bench.py [--gb 2] [--runs 1] [--dir DIR] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gb", type=float, default=2.0, help="case size in GB (default 2)")
    ap.add_argument("--matrix", type=int, default=512)
    ap.add_argument("--runs", type=int, default=1, help="timed runs of each step (best is kept)")
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for tool in ("age", "age-keygen", "7z"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")

    sys.path.insert(0, str(REPO))
    from bundler.demo import write_ct_series
    from bundler.export import age as agemod
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    work = args.dir or Path(tempfile.mkdtemp(prefix="export-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"gb": args.gb, "matrix": args.matrix, "cpus": os.cpu_count()}
    try:
        per_file = args.matrix * args.matrix * 2 + 1600
        count = max(1, int(args.gb * 1e9 / per_file))
        t = time.perf_counter()
        write_ct_series(work / "ct", count=count, matrix=args.matrix, with_dicomdir=False)
        results["generate_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        with CaseStore.open(work / "case", create=True) as store:
            report = import_sources([work / "ct"], store)
        results["import_seconds"] = time.perf_counter() - t
        results["instances"] = report.dicom_instances
        shutil.rmtree(work / "ct")
        _warm(work / "case" / "blobs")

        secret, public = agemod.keygen()
        key = work / "key.txt"
        key.write_text(secret)

        def best(fn: Any) -> Any:
            runs = [fn() for _ in range(args.runs)]
            return min(runs, key=lambda r: r["seconds"] if isinstance(r, dict) else r)

        def export_age() -> dict[str, Any]:
            (work / "p.age").unlink(missing_ok=True)
            return _child("export-age", work / "case", work / "p.age", public)

        results["export_age"] = best(export_age)
        results["verify_age"] = best(lambda: _child("verify-age", work / "case", work / "p.age", str(key)))
        inner = work / "inner.zip"
        subprocess.run(["age", "-d", "-i", str(key), "-o", str(inner), str(work / "p.age")], check=True)
        results["inner_bytes"] = inner.stat().st_size

        def age_tool(fsync: bool) -> float:
            (work / "base.age").unlink(missing_ok=True)
            return _timed(["age", "-r", public, "-o", str(work / "base.age"), str(inner)],
                          fsync=work / "base.age" if fsync else None)

        results["age_tool_seconds"] = best(lambda: age_tool(False))
        results["age_tool_fsync_seconds"] = best(lambda: age_tool(True))
        results["age_tool_decrypt_seconds"] = best(lambda: _timed(
            ["age", "-d", "-i", str(key), "-o", os.devnull, str(work / "base.age")]))
        (work / "p.age").unlink()
        (work / "base.age").unlink()

        def export_zip() -> dict[str, Any]:
            (work / "p.zip").unlink(missing_ok=True)
            return _child("export-zip", work / "case", work / "p.zip", PASS)

        results["export_zip"] = best(export_zip)
        results["verify_zip"] = best(lambda: _child("verify-zip", work / "case", work / "p.zip", PASS))
        layout = work / "layout"
        subprocess.run(["7z", "x", f"-o{layout}", str(inner)], check=True, capture_output=True)
        inner.unlink()
        _warm(layout)
        names = sorted(p.name for p in layout.iterdir())

        def seven() -> float:
            (work / "base.zip").unlink(missing_ok=True)
            return _timed(["7z", "a", "-tzip", "-mem=AES256", "-mx=0", f"-p{PASS}", "-bd",
                           str(work / "base.zip"), *names], cwd=layout)

        results["7z_seconds"] = best(seven)
        results["7z_test_seconds"] = best(lambda: _timed(["7z", "t", f"-p{PASS}", str(work / "base.zip")]))
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)

    payload = results["inner_bytes"]
    ea, va, ez, vz = (results[k]["seconds"] for k in ("export_age", "verify_age", "export_zip", "verify_zip"))
    results["ratios"] = {
        "export_age_vs_age": results["age_tool_seconds"] / ea,
        "export_age_vs_age_with_fsync": results["age_tool_fsync_seconds"] / ea,
        "export_zip_vs_7z": results["7z_seconds"] / ez,
        "verify_age_vs_export_age": ea / va,
        "verify_zip_vs_export_zip": ez / vz,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return

    def mbs(seconds: float) -> str:
        return f"{payload / seconds / 1e6:7.0f} MB/s  ({seconds:6.2f} s)"

    print(f"case: {results['instances']} CT instances, inner archive {payload / 1e9:.2f} GB, "
          f"{results['cpus']} CPUs (import {results['import_seconds']:.0f} s)")
    print(f"export age      {mbs(ea)}  peak RSS {results['export_age']['peak_rss_mb']:.0f} MB")
    print(f"age -r          {mbs(results['age_tool_seconds'])}   (+fsync {results['age_tool_fsync_seconds']:.2f} s)")
    print(f"verify age      {mbs(va)}  peak RSS {results['verify_age']['peak_rss_mb']:.0f} MB")
    print(f"age -d          {mbs(results['age_tool_decrypt_seconds'])}")
    print(f"export zip      {mbs(ez)}  peak RSS {results['export_zip']['peak_rss_mb']:.0f} MB")
    print(f"7z a AES256     {mbs(results['7z_seconds'])}")
    print(f"verify zip      {mbs(vz)}  peak RSS {results['verify_zip']['peak_rss_mb']:.0f} MB")
    print(f"7z t            {mbs(results['7z_test_seconds'])}")
    for name, value in results["ratios"].items():
        print(f"{name:32} {value:5.2f}")


if __name__ == "__main__":
    main()
