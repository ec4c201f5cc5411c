"""age v1 throughput: bundler.export.age against the ``age`` tool, same recipient, same files.

Generates a file (512 MiB by default), then times, the median of ``--repeat`` runs each:

* encrypt: ``age -r RECIPIENT -o OUT IN`` against ``encrypt()`` to the same recipient;
* decrypt: ``age -d -i KEY -o OUT IN`` against ``decrypt()``, both on the file age wrote.

Ours runs in a child Python process like age does; its time is reported twice: the operation
alone (what the app pays, in-process) and the whole process (interpreter start and imports
included, what a command line would pay). Ratios are our throughput over age's (target ≥ 0.8
for the operation). The input is read once beforehand, so the page cache serves both sides.
MB is 10^6 bytes. Every output is checked against the input's SHA-256.

    python benchmarks/age_bench.py [--size-mib 512] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
from bundler.export.age import Identity, Recipient, decrypt, encrypt, parse_identities
op, src_path, dst_path, key_path = sys.argv[1:5]
(identity,) = parse_identities(open(key_path).read())
t = time.perf_counter()
with open(src_path, "rb") as src, open(dst_path, "wb") as dst:
    if op == "encrypt":
        encrypt(src, dst, recipients=[identity.recipient()])
    else:
        decrypt(src, dst, identities=[identity])
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _generate(path: Path, size: int) -> None:
    block = bytearray(os.urandom(1 << 20))
    with open(path, "wb") as f:
        for i in range(-(-size // len(block))):
            block[:8] = i.to_bytes(8, "big")  # no two MiB alike
            f.write(block[: min(len(block), size - i * len(block))])


def _time(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {result.stderr}")
    return elapsed, result.stdout


def _ours(op: str, src: Path, dst: Path, key: Path) -> tuple[float, float, float]:
    """(operation seconds, whole-process seconds, peak RSS MB) for one run of ours."""
    wall, out = _time([sys.executable, "-c", _CHILD, op, str(src), str(dst), str(key)])
    report = json.loads(out)
    return report["seconds"], wall, report["peak_rss_mb"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, help="work here (default: a temporary folder)")
    args = ap.parse_args()
    age, age_keygen = shutil.which("age"), shutil.which("age-keygen")
    if not age or not age_keygen:
        raise SystemExit("age and age-keygen must be installed (Debian package: age)")

    work = args.dir or Path(tempfile.mkdtemp(prefix="age-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        size = args.size_mib * 1024 * 1024
        plain, key = work / "plain.bin", work / "key.txt"
        _generate(plain, size)
        expected = _sha256(plain)  # also warms the page cache
        subprocess.run([age_keygen, "-o", str(key)], check=True, capture_output=True)
        recipient = subprocess.run([age_keygen, "-y", str(key)], check=True, capture_output=True,
                                   text=True).stdout.strip()

        runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in
                                                             ("age_enc", "ours_enc", "age_dec", "ours_dec")}
        for _ in range(args.repeat):
            # os.sync first: no run pays for writing out the files of the run before.
            os.sync()
            t, _out = _time([age, "-r", recipient, "-o", str(work / "age.age"), str(plain)])
            runs["age_enc"].append((t, t, 0.0))
            os.sync()
            runs["ours_enc"].append(_ours("encrypt", plain, work / "ours.age", key))
            os.sync()
            t, _out = _time([age, "-d", "-i", str(key), "-o", str(work / "age.out"), str(work / "age.age")])
            runs["age_dec"].append((t, t, 0.0))
            os.sync()
            runs["ours_dec"].append(_ours("decrypt", work / "age.age", work / "ours.out", key))
            for out in (work / "age.out", work / "ours.out"):
                if _sha256(out) != expected:
                    raise SystemExit(f"{out.name} does not match the input")
            # Our file must open with age as well.
            _time([age, "-d", "-i", str(key), "-o", str(work / "check.out"), str(work / "ours.age")])
            if _sha256(work / "check.out") != expected:
                raise SystemExit("age could not round-trip our file")

        def median(name: str, index: int) -> float:
            # The median: the machine may be shared, and the best run flatters whoever got lucky.
            return float(statistics.median(r[index] for r in runs[name]))

        mb = size / 1e6
        result = {"size_mib": args.size_mib, "repeat": args.repeat}
        for op in ("enc", "dec"):
            age_s, ours_op, ours_wall = median(f"age_{op}", 0), median(f"ours_{op}", 0), median(f"ours_{op}", 1)
            result[op] = {
                "age_MBps": round(mb / age_s, 1),
                "ours_MBps": round(mb / ours_op, 1),
                "ours_process_MBps": round(mb / ours_wall, 1),
                "ratio": round(age_s / ours_op, 2),
                "ratio_process": round(age_s / ours_wall, 2),
                "ours_peak_rss_mb": round(max(r[2] for r in runs[f"ours_{op}"]), 1),
            }
        print(json.dumps(result, indent=2))
        for op, label in (("enc", "encrypt"), ("dec", "decrypt")):
            r = result[op]
            assert isinstance(r, dict)
            print(f"{label}: age {r['age_MBps']} MB/s, ours {r['ours_MBps']} MB/s "
                  f"({r['ours_process_MBps']} MB/s with interpreter start), "
                  f"ratio {r['ratio']} ({r['ratio_process']}), peak RSS {r['ours_peak_rss_mb']} MB")
        return 0
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
