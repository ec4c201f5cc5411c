"""Event-loop stalls of the desktop app during a large import and an export (issue 7: < 100 ms).

Writes a CT series (``bundler.demo.write_ct_series``, 512 x 512 slices), opens the app's main
window on a new case, and measures with :class:`ui.stall_probe.StallProbe` (a 10 ms QTimer;
the worst gap between its runs is the longest the window could not answer) while:

1. the series is imported through the window (``MainWindow.add_records``), and
2. the case is exported as an AES-256 ZIP with its summary page (the Export screen's
   ``export_to``).

Then, with ``--viewer``, while paging through every image of the series in the viewer.

Every phase runs --runs times on a fresh case; the table gives the worst stall, the 99th
percentile gap and the wall time of each run, and the median of the worst stalls (the machine
may be shared). Runs on Qt's offscreen platform unless a display is set (``xvfb-run`` works).

    python benchmarks/ui_stall_bench.py [--count 2000] [--matrix 512] [--runs 3] [--viewer] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=2000, help="CT images to import (default 2000)")
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--viewer", action="store_true", help="also page through the series in the viewer")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one, removed after)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("RECORDS_BUNDLER_HOME", tempfile.mkdtemp(prefix="stall-home-"))
    sys.path.insert(0, str(REPO))

    from PySide6.QtWidgets import QApplication

    from bundler.demo import write_ct_series
    from ui import tasks
    from ui.app import freeze_startup_objects
    from ui.main_window import MainWindow
    from ui.settings import AppSettings
    from ui.stall_probe import StallProbe, StallReport

    app = QApplication.instance() or QApplication([sys.argv[0]])
    work = args.dir or Path(tempfile.mkdtemp(prefix="ui-stall-"))
    work.mkdir(parents=True, exist_ok=True)
    media = work / "cd"
    if not media.exists():
        started = time.perf_counter()
        write_ct_series(media, count=args.count, matrix=args.matrix)
        print(f"wrote {args.count} CT images in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    try:
        for run in range(1, args.runs + 1):
            case_dir = work / f"case-{run}"
            shutil.rmtree(case_dir, ignore_errors=True)
            window = MainWindow(case_dir, settings=AppSettings({}, writable=False))
            window.show()
            for _ in range(20):
                app.processEvents()
            freeze_startup_objects()  # as the app does once its window is built
            probe = StallProbe(window)

            def measure(phase: str, start: Any, done: Any = None) -> StallReport:
                probe.start()
                clock = time.perf_counter()
                if start() is None:
                    raise SystemExit(f"{phase}: could not start")
                if not tasks.wait_all(3_600_000):
                    raise SystemExit(f"{phase}: did not finish")
                if done is not None:
                    done()
                report = probe.stop()
                rows.append({"run": run, "phase": phase, "worst_ms": round(report.worst_ms, 1),
                             "p99_ms": round(report.p99_ms, 1), "seconds": round(time.perf_counter() - clock, 2)})
                return report

            measure("import", lambda: window.add_records([media]))
            if window.listing.studies[0].instance_count != args.count:
                raise SystemExit("import: not every image was imported")
            window.show_screen("export")
            window.export_view.fmt_zip.setChecked(True)
            out = work / f"records-{run}.zip"
            out.unlink(missing_ok=True)
            measure("export", lambda: window.export_view.export_to(out))
            if not out.is_file():
                raise SystemExit("export: no package was written")
            if args.viewer:
                window.show_screen("records")
                records = window.records_view
                study = records.model.studies_group.children[0].children[0].obj  # type: ignore[union-attr]
                records.show_record(f"series:{study.series_uid}")
                viewer = records.series_viewer

                def page() -> bool:
                    for index in range(len(viewer.refs)):
                        viewer.slider.setValue(index)
                        app.processEvents()
                    return True

                measure("viewer", page)
            window.close()
            tasks.wait_all(60_000)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)

    summary = {}
    for phase in dict.fromkeys(r["phase"] for r in rows):
        worst = [r["worst_ms"] for r in rows if r["phase"] == phase]
        summary[phase] = {"median_worst_ms": statistics.median(worst), "max_worst_ms": max(worst)}
    if args.json:
        json.dump({"count": args.count, "matrix": args.matrix, "target_ms": TARGET_MS, "runs": rows,
                   "summary": summary}, sys.stdout, indent=2)
        print()
        return 0
    print(f"{'run':>3}  {'phase':<7} {'worst ms':>9} {'p99 ms':>7} {'seconds':>8}")
    for r in rows:
        print(f"{r['run']:>3}  {r['phase']:<7} {r['worst_ms']:>9.1f} {r['p99_ms']:>7.1f} {r['seconds']:>8.2f}")
    for phase, s in summary.items():
        verdict = "under" if s["median_worst_ms"] < TARGET_MS else "OVER"
        print(f"{phase}: median worst stall {s['median_worst_ms']:.0f} ms ({verdict} the {TARGET_MS:.0f} ms target), "
              f"max {s['max_worst_ms']:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
