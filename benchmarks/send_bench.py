"""C-STORE throughput to a real Orthanc on loopback, against DCMTK storescu in the same run.

Generates N single-frame 512×512 CT instances (bundler.demo.write_ct_series), imports them into
a case, then, for each round and each client, starts a fresh Orthanc (its own configuration,
free loopback ports, storage on tmpfs when /dev/shm exists so that Orthanc's disk is not what
is measured), sends the case's copies of the files and checks through Orthanc's REST API that
all N arrived:

* ours: ``bundler.net.scu.send`` (the code behind ``records-bundler pacs send``), one association;
* storescu: DCMTK ``storescu`` with the same files on its command line, one association, with
  ``TCP_NODELAY=1`` (DCMTK leaves Nagle's algorithm on unless told; without it storescu waits
  for delayed ACKs: its default run is reported too, for reference).

Orthanc runs with ``TCP_NODELAY=1`` as well. Reports instances/s and MB/s per client (median
of the rounds) and our rate as a ratio to storescu's (target ≥ 0.8).

    python benchmarks/send_bench.py [--count 2000] [--rounds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ORTHANC = "/usr/sbin/Orthanc"
AET = "ORTHANC"

_CHILD = r"""
import json, sys, time
from bundler.net.ae import parse_node
from bundler.net.scu import send
from bundler.store import CaseStore
with CaseStore.open(sys.argv[1]) as store:
    node = parse_node(sys.argv[2], tls=False)
    t = time.perf_counter()
    report = send(store, node, resume=False)
    print(json.dumps({"seconds": time.perf_counter() - t, "sent": report.sent, "failed": report.failed,
                      "associations": report.associations}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Orthanc:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.dicom_port, self.http_port = _free_port(), _free_port()
        storage = root / "storage"
        storage.mkdir(parents=True)
        config = {
            "Name": "send-bench", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
            "DicomAet": AET, "DicomPort": self.dicom_port, "HttpPort": self.http_port,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "DicomCheckCalledAet": True,
            "DicomAlwaysAllowStore": True, "ConcurrentJobs": 1, "SaveJobs": False, "Plugins": [],
            "DicomAssociationCloseDelay": 0, "StorageCompression": False,
        }
        (root / "orthanc.json").write_text(json.dumps(config))
        self.log = open(root / "orthanc.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([ORTHANC, str(root / "orthanc.json")], stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "TCP_NODELAY": "1"})
        deadline = time.monotonic() + 30
        while True:
            try:
                self.rest("/system")
                with socket.create_connection(("127.0.0.1", self.dicom_port), timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("Orthanc did not start") from None
                time.sleep(0.1)

    def rest(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=30) as r:  # noqa: S310
            return json.loads(r.read())

    def count(self) -> int:
        return int(self.rest("/statistics")["CountInstances"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _warm(files: list[Path]) -> int:
    total = 0
    for p in files:
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                total += len(chunk)
    return total


def _run_ours(case: Path, orthanc: _Orthanc) -> float:
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(case), f"{AET}@127.0.0.1:{orthanc.dicom_port}"],
                          check=True, capture_output=True, text=True, timeout=3600)
    out = json.loads(proc.stdout)
    if out["failed"] or out["associations"] != 1:
        raise RuntimeError(f"our send failed: {out}")
    return float(out["seconds"])


def _run_storescu(storescu: str, files: list[Path], orthanc: _Orthanc, *, nodelay: bool) -> float:
    env = {**os.environ, **({"TCP_NODELAY": "1"} if nodelay else {})}
    t = time.perf_counter()
    subprocess.run([storescu, "-aec", AET, "127.0.0.1", str(orthanc.dicom_port), *map(str, files)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=3600)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--matrix", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="reuse/keep the generated media and case in this folder")
    args = ap.parse_args()

    storescu = shutil.which("storescu")
    if storescu is None or not os.access(ORTHANC, os.X_OK):
        print("DCMTK storescu and Orthanc are required: apt-get install dcmtk orthanc", file=sys.stderr)
        return 2

    from bundler.demo import write_ct_series
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    work = Path(tempfile.mkdtemp(prefix="send-bench-"))
    keep = args.keep or work
    media, case = keep / "media", keep / "case"
    shm = Path("/dev/shm")
    orthanc_root = Path(tempfile.mkdtemp(prefix="send-bench-orthanc-", dir=shm if shm.is_dir() else None))
    try:
        if not media.exists():
            t = time.perf_counter()
            write_ct_series(media, count=args.count, matrix=args.matrix, with_dicomdir=False)
            print(f"generated {args.count} instances in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        if not case.exists():
            with CaseStore.open(case, create=True) as store:
                import_sources([media], store)
        with CaseStore.open(case) as store:
            files = [store.blob_path(i.sha256) for i in store.instances()]
        nbytes = _warm(files)
        n = len(files)

        runs: dict[str, list[float]] = {"ours": [], "storescu": []}
        for r in range(args.rounds):
            order = ["ours", "storescu"] if r % 2 == 0 else ["storescu", "ours"]
            for who in order:
                orthanc = _Orthanc(orthanc_root / f"{who}-{r}")
                try:
                    seconds = (_run_ours(case, orthanc) if who == "ours"
                               else _run_storescu(storescu, files, orthanc, nodelay=True))
                    arrived = orthanc.count()
                finally:
                    orthanc.stop()
                if arrived != n:
                    raise RuntimeError(f"{who}: Orthanc holds {arrived} of {n} instances")
                runs[who].append(seconds)
                print(f"round {r + 1} {who}: {n / seconds:.0f} instances/s", file=sys.stderr)
        orthanc = _Orthanc(orthanc_root / "storescu-default")
        try:
            default_seconds = _run_storescu(storescu, files, orthanc, nodelay=False)
        finally:
            orthanc.stop()

        def rates(seconds: list[float]) -> dict[str, Any]:
            med = statistics.median(seconds)
            return {"seconds": [round(s, 3) for s in seconds], "median_seconds": round(med, 3),
                    "instances_per_second": round(n / med, 1), "mb_per_second": round(nbytes / 1e6 / med, 1)}

        ours, theirs = rates(runs["ours"]), rates(runs["storescu"])
        result = {
            "instances": n, "bytes": nbytes, "matrix": args.matrix, "rounds": args.rounds,
            "ours": ours, "storescu_tcp_nodelay": theirs,
            "storescu_default": {"seconds": round(default_seconds, 3),
                                 "instances_per_second": round(n / default_seconds, 1)},
            "ratio_to_storescu": round(ours["instances_per_second"] / theirs["instances_per_second"], 3),
            "target_ratio": 0.8, "orthanc_storage": str(orthanc_root.parent), "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        shutil.rmtree(orthanc_root, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
