"""The ``fsck`` command (wired into ``bundler.cli``): check a case store, and repair it.

::

    records-bundler fsck --case DIR [--repair] [--json]

Exit status: 0 the case is healthy; 1 problems were found (and, with ``--repair``, dealt
with: bad blobs moved to ``quarantine/`` in the case, their index rows removed and logged);
2 usage error, or the case is busy with an import. ``--json`` prints::

    {"ok", "blobs_checked", "problems": [{"kind", "sha256", "detail"}], "repaired",
     "quarantined", "rows_removed"}

An index SQLite cannot open at all is reported as one ``index_integrity`` problem (exit 1);
``--repair`` cannot mend it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bundler.fsck import FsckReport

__all__ = ["add_command", "run"]


def add_command(sub: Any) -> None:
    """Add ``fsck`` to the top-level subparsers."""
    cmd: argparse.ArgumentParser = sub.add_parser(
        "fsck", help="check every stored file of a case against its checksum, and the index against the files")
    cmd.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    cmd.add_argument("--repair", action="store_true",
                     help="move bad stored files to the case's quarantine folder and drop their index rows "
                          "(import the media again to restore them)")
    cmd.add_argument("--json", action="store_true", help="print the result as one JSON document")


def run(args: argparse.Namespace) -> int:
    """Run ``fsck``; 0 healthy, 1 problems found."""
    from bundler.errors import CaseError
    from bundler.fsck import FsckProblem, FsckReport, ProblemKind, check_case
    from bundler.progress import CancelToken
    from bundler.store import CaseStore

    try:
        store = CaseStore.open(args.case)
    except CaseError as e:
        if e.code != "case_damaged":
            raise
        report = FsckReport(problems=[FsckProblem(ProblemKind.INDEX_INTEGRITY, "", e.user_message)])
    else:
        with store:
            report = check_case(store, repair=args.repair, cancel=CancelToken())
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print(report)
    return 0 if report.ok else 1


def _print(report: FsckReport) -> None:
    from bundler.fsck import ProblemKind

    if report.ok:
        print(f"The case is healthy: {report.blobs_checked} stored files checked.")
        return
    print(f"{len(report.problems)} problem(s) found ({report.blobs_checked} stored files checked):")
    for p in report.problems:
        print(f"  {p.kind:18} {p.sha256[:16] or '-':16}  {p.detail}")
    if report.repaired:
        print(f"Repaired: {len(report.quarantined)} file(s) moved to the case's quarantine folder, "
              f"{report.rows_removed} index row(s) removed (see `records-bundler log`). "
              "Import the original media again to restore them.")
    elif any(p.kind != ProblemKind.INDEX_INTEGRITY for p in report.problems):
        print("Run again with --repair to quarantine the bad files and drop their index rows.")
