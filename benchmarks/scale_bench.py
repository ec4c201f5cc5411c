"""Scale: a generated case of 2,000 and of 20,000 instances (small pixel matrices, realistic
headers and counts) plus documents (one per 40 instances: 50 and 500), through import, fsck,
check, timeline, summary and export. Reports each step's time and peak RSS, and how each grows
from the small case to the large one (10x the instances: a time ratio of 10 or less is linear or
better).

    python benchmarks/scale_bench.py [--sizes 2000 20000] [--matrix 64] [--keep DIR]

Each step runs the CLI in a fresh subprocess; peak RSS is that process's (and, for import, its
largest worker's). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "correct horse battery staple orbit lantern meadow"

_STEP = r"""
import json, resource, sys, time
from bundler.cli import main
if __name__ == "__main__":
    t = time.perf_counter()
    code = main(sys.argv[1:])
    print(json.dumps({"exit": code, "seconds": time.perf_counter() - t,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}),
          file=sys.stderr)
"""


def _documents(folder: Path, count: int, demo: Path) -> None:
    """``count`` distinct documents: the demo's PDFs and CSV, each made unique (a trailing PDF
    comment, a CSV row), so none is a duplicate of another."""
    folder.mkdir(parents=True)
    originals = sorted(p for p in (demo / "Documents").iterdir() if p.is_file())
    for i in range(count):
        src = originals[i % len(originals)]
        data = src.read_bytes()
        tail = f"\n% copy {i}\n" if src.suffix == ".pdf" else f"\nCopy {i},,,\n"
        (folder / f"{src.stem}_{i:04d}{src.suffix}").write_bytes(data + tail.encode())


def _step(name: str, args: list[str], work: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _STEP, *args], capture_output=True, text=True, cwd=work)
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    print(f"  {name}: {stats['seconds']:.1f} s, {stats['peak_rss_mb']:.0f} MB (exit {stats['exit']})",
          file=sys.stderr)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in stats.items()}


def _one(size: int, matrix: int, work: Path, demo: Path) -> dict[str, Any]:
    from bundler.demo import write_ct_series

    media = work / f"media-{size}"
    if not media.exists():
        t = time.perf_counter()
        write_ct_series(media / "CT", count=size, matrix=matrix, seed=7)
        _documents(media / "Documents", size // 40, demo)
        print(f"generated {size} instances in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    case = work / f"case-{size}"
    shutil.rmtree(case, ignore_errors=True)
    secret = work / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    out = work / f"package-{size}.age"
    print(f"{size} instances:", file=sys.stderr)
    steps = {
        "import": _step("import", ["import", str(media / "CT"), str(media / "Documents"), "--case", str(case)], work),
        "fsck": _step("fsck", ["fsck", "--case", str(case)], work),
        "check": _step("check", ["check", "--case", str(case), "--json"], work),
        "timeline": _step("timeline", ["timeline", "--case", str(case), "--json"], work),
        "summary": _step("summary", ["summary", "--case", str(case), "--out", str(work / f"summary-{size}.pdf")], work),
        "export": _step("export", ["export", "--case", str(case), "--out", str(out), "--passphrase-file", str(secret)],
                        work),
    }
    return {"instances": size, "documents": size // 40, "matrix": matrix,
            "case_mb": round(sum(p.stat().st_size for p in case.rglob("*") if p.is_file()) / 1e6, 1),
            "package_mb": round(out.stat().st_size / 1e6, 1) if out.exists() else None, "steps": steps}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--matrix", type=int, default=64)
    ap.add_argument("--keep", type=Path, help="reuse/keep generated media and cases in this folder")
    args = ap.parse_args()

    from bundler.demo import write_demo

    work = args.keep or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        demo = work / "demo"
        if not demo.exists():
            write_demo(demo)
        runs = [_one(size, args.matrix, work, demo) for size in sorted(args.sizes)]
        result: dict[str, Any] = {"runs": runs}
        if len(runs) >= 2:
            small, large = runs[0], runs[-1]
            factor = large["instances"] / small["instances"]
            result["growth"] = {
                step: {"size_factor": factor,
                       "time_ratio": round(large["steps"][step]["seconds"] / max(small["steps"][step]["seconds"], 1e-3), 2),
                       "rss_ratio": round(large["steps"][step]["peak_rss_mb"] / small["steps"][step]["peak_rss_mb"], 2)}
                for step in small["steps"]}
        print(json.dumps(result, indent=2))
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
