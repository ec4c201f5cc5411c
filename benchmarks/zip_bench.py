"""AES-256 ZIP write throughput: ours (bundler.export.ziparchive) against 7-Zip, same input.

Generates one file of --size MiB (default 512; AES-CTR keystream, so nothing compresses or
repeats), reads it once so the page cache is warm, then times, --runs times each:

* ``ZipWriter`` storing it (method 99, AE-2, AES-256, stored) into a fresh archive, in a child
  process (so the figure includes interpreter start and import, as a CLI run would), and
* ``7z a -tzip -mem=AES256 -mx=0 -pPASS`` of the same file into a fresh archive,

and reports the median MB/s of each and our throughput as a ratio to 7-Zip's (target ≥ 0.8).
Neither run fsyncs. Each archive is checked afterwards (ours by 7z t, 7-Zip's by our reader)
outside the timings.

    python benchmarks/zip_bench.py [--size 512] [--runs 3] [--dir DIR] [--profile]
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

PASS = "benchmark-passphrase"

_CHILD = r"""
import json, resource, sys, time
t = time.perf_counter()
from bundler.export.ziparchive import ZipWriter
size = int(sys.argv[3])
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
    with ZipWriter(dst, passphrase=sys.argv[4]) as w:
        w.add_file("input.bin", src, size=size)
elapsed = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024}))
"""


def _generate(path: Path, mib: int) -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
    zeros = bytes(1 << 20)
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(enc.update(zeros))


def _warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def _ours(src: Path, dst: Path, size: int) -> dict[str, float]:
    dst.unlink(missing_ok=True)
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(dst), str(size), PASS],
                         capture_output=True, text=True, check=True, cwd=repo)
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _seven(seven_zip: str, src: Path, dst: Path) -> float:
    dst.unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run([seven_zip, "a", "-tzip", "-mem=AES256", "-mx=0", f"-p{PASS}", "-bd", str(dst),
                    str(src)], capture_output=True, check=True)
    return time.perf_counter() - t


def _profile(src: Path, dst: Path, size: int) -> None:
    import cProfile
    import pstats

    from bundler.export.ziparchive import ZipWriter

    prof = cProfile.Profile()
    with open(src, "rb") as f, open(dst, "wb") as out, ZipWriter(out, passphrase=PASS) as w:
        prof.runcall(w.add_file, "input.bin", f, size=size)
    pstats.Stats(prof).sort_stats("tottime").print_stats(10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=512, help="input size in MiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of our writer")
    args = ap.parse_args()

    seven_zip = shutil.which("7z")
    if seven_zip is None:
        print("7z not found (Debian: apt install p7zip-full)", file=sys.stderr)
        return 2
    work = args.dir or Path(tempfile.mkdtemp(prefix="zip_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    src, ours_zip, seven_zip_out = work / "input.bin", work / "ours.zip", work / "7z.zip"
    size = args.size << 20
    try:
        if not src.exists() or src.stat().st_size != size:
            _generate(src, args.size)
        _warm(src)
        mb = size / 1e6
        ours_runs, seven_runs = [], []
        for _ in range(args.runs):
            ours_runs.append(_ours(src, ours_zip, size))
            seven_runs.append(_seven(seven_zip, src, seven_zip_out))
        # Medians: the machine may be shared, and the best run flatters whoever got lucky.
        ours_best = statistics.median(r["seconds"] for r in ours_runs)
        seven_best = statistics.median(seven_runs)

        check = subprocess.run([seven_zip, "t", f"-p{PASS}", "-bd", str(ours_zip)], capture_output=True)
        if check.returncode != 0:
            print("7z t failed on our archive", file=sys.stderr)
            return 1
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from bundler.export.ziparchive import ZipReader

        with open(seven_zip_out, "rb") as f:
            ZipReader(f, passphrase=PASS).verify()

        report = {
            "input_mib": args.size,
            "ours_seconds": [round(r["seconds"], 3) for r in ours_runs],
            "7z_seconds": [round(s, 3) for s in seven_runs],
            "ours_mb_s": round(mb / ours_best, 1),
            "7z_mb_s": round(mb / seven_best, 1),
            "ratio_ours_to_7z": round(seven_best / ours_best, 2),
            "ours_peak_rss_mb": round(max(r["peak_rss_mb"] for r in ours_runs), 1),
            "ours_archive_bytes": ours_zip.stat().st_size,
            "7z_archive_bytes": seven_zip_out.stat().st_size,
            "target": "ratio >= 0.8",
        }
        print(json.dumps(report, indent=2))
        if args.profile:
            _profile(src, ours_zip, size)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
