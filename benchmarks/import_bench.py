"""Import throughput and memory, against DCMTK's dcmmkdir on the same files in the same run.

Generates N single-frame 512×512 CT instances in a CD layout (bundler.demo.write_ct_series),
then times:

* ``dcmmkdir`` building a DICOMDIR over the files (it reads every header too), and
* ``records-bundler import`` into a fresh case (reads, hashes and copies every byte, indexes
  every header),

and reports files/s, our time as a ratio to dcmmkdir's (target ≤ 1.0) and our peak RSS
(target < 300 MB whatever N, all processes together). Both runs read from a warm page cache (the files are read once
beforehand) so the comparison is of the work, not of the disk.

    python benchmarks/import_bench.py [--count 5000] [--keep DIR]
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

_CHILD = r"""
import json, resource, sys, time
from bundler.store import CaseStore
from bundler.ingest.pipeline import import_sources
t = time.perf_counter()
with CaseStore.open(sys.argv[2], create=True) as store:
    report = import_sources([sys.argv[1]], store)
elapsed = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest worker process
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024, "worker_peak_rss_mb": worker_kb / 1024,
                  "imported": report.imported,
                  "failed": report.failed, "files_seen": report.files_seen}))
"""


def _warm(root: Path) -> int:
    total = 0
    for p in root.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                while chunk := f.read(1 << 20):
                    total += len(chunk)
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--matrix", type=int, default=512)
    ap.add_argument("--keep", type=Path, help="reuse/keep generated media in this folder")
    args = ap.parse_args()

    dcmmkdir = shutil.which("dcmmkdir")
    if dcmmkdir is None:
        print("dcmmkdir (DCMTK) is required: apt-get install dcmtk", file=sys.stderr)
        return 2

    from bundler.demo import write_ct_series

    work = Path(tempfile.mkdtemp(prefix="import-bench-"))
    media = args.keep or work / "media"
    try:
        if not (media / "DICOMDIR").exists():
            t = time.perf_counter()
            write_ct_series(media, count=args.count, matrix=args.matrix, with_dicomdir=True)
            print(f"generated {args.count} instances in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        files = [p for p in media.rglob("*") if p.is_file() and p.name != "DICOMDIR"]
        nbytes = _warm(media)

        out = work / "DICOMDIR.dcmtk"
        t = time.perf_counter()
        subdirs = sorted(p.name for p in media.iterdir() if p.is_dir())
        subprocess.run([dcmmkdir, "+r", "-Pgp", "+I", "+D", str(out), "+id", str(media), *subdirs],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dcmtk_s = time.perf_counter() - t

        proc = subprocess.run([sys.executable, "-c", _CHILD, str(media), str(work / "case")],
                              check=True, capture_output=True, text=True)
        ours = json.loads(proc.stdout)
        from bundler.ingest.pipeline import default_workers

        workers = default_workers()
        result = {
            "instances": len(files),
            "bytes": nbytes,
            "dcmmkdir_seconds": round(dcmtk_s, 3),
            "import_seconds": round(ours["seconds"], 3),
            "import_files_per_second": round(len(files) / ours["seconds"], 1),
            "import_mb_per_second": round(nbytes / 1e6 / ours["seconds"], 1),
            "ratio_to_dcmmkdir": round(ours["seconds"] / dcmtk_s, 3),
            "peak_rss_mb_main": round(ours["peak_rss_mb"], 1),
            "peak_rss_mb_per_worker": round(ours["worker_peak_rss_mb"], 1),
            # every process at its own peak at once: an upper bound of the whole import's RSS
            "peak_rss_mb_all_processes_bound": round(ours["peak_rss_mb"] + workers * ours["worker_peak_rss_mb"], 1),
            "imported": ours["imported"],
            "failed": ours["failed"],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "case", ignore_errors=True)
            (work / "DICOMDIR.dcmtk").unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
