"""The ``summary`` and ``letter`` commands (wired into ``bundler.cli``).

::

    records-bundler summary --case DIR --out FILE.pdf [--paper a4|letter] [--lang en|es]
                            [--profile NAME]
    records-bundler letter  --case DIR --out FILE.pdf [--sheet] [--paper a4|letter]
                            [--lang en|es] [--profile NAME]

``summary`` writes the one-page reviewer summary (outside a package, so its fingerprint reads
"not part of a package"). ``letter`` writes one records-request letter per facility, or with
``--sheet`` the one-page "missing items" sheet for a front desk.

Exit status: 0 when the file was written. ``letter`` exits 1 and prints "Nothing to
request." when the checklist finds nothing to ask any facility for (or, with ``--sheet``,
nothing missing at all); no file is written then, and an existing one is left as it was. 2 on
usage or other errors (``bundler.cli``). Files are written atomically (a temporary file beside
the target, fsync, rename).

Only argparse at import time: ReportLab and the fonts load when a command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "run"]

EXIT_OK = 0
EXIT_NOTHING = 1


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF to write")
    p.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)")
    p.add_argument("--lang", choices=("en", "es"), default="en", help="language of the page (default en)")
    p.add_argument("--profile", default="general", metavar="NAME",
                   help="checklist profile (general, imaging_second_read, oncology, surgical, front_desk...)")


def add_commands(sub: Any) -> None:
    """Add ``summary`` and ``letter`` to the top-level subparsers."""
    summary = sub.add_parser("summary", help="write the one-page summary PDF for a second reviewer")
    _common(summary)
    letter = sub.add_parser("letter", help="write records-request letters (or the front desk's missing-items sheet)")
    _common(letter)
    letter.add_argument("--sheet", action="store_true", help="one page with a checkbox per missing item instead")


def run(args: argparse.Namespace) -> int:
    """Run ``summary`` or ``letter``; see the module docstring for the exit status."""
    from bundler.checklist import check_case
    from bundler.intake import load_intake
    from bundler.store import CaseStore

    from bundler.errors import UsageError

    out: Path = args.out
    if out.is_dir():
        raise UsageError("--out names a folder; give the path of a PDF file.")
    if not out.parent.is_dir():
        raise UsageError("The folder for --out does not exist.")

    with CaseStore.open(args.case) as store:
        if args.command == "summary":
            from bundler.export.fonts import write_atomic
            from bundler.export.summary_pdf import case_summary_pdf

            write_atomic(out, case_summary_pdf(store, paper=args.paper, lang=args.lang, profile=args.profile))
            print(f"Summary written: {out}")
            return EXIT_OK
        report = check_case(store, profile=args.profile, lang=args.lang)
        intake = load_intake(store)

    from bundler.export.letters import render_missing_sheet, render_request_letters, requests_by_facility
    from bundler.model import ItemStatus

    if args.sheet:
        missing = any(i.status in (ItemStatus.MISSING, ItemStatus.ATTENTION) for i in report.items)
        if not missing and not requests_by_facility(report):
            print("Nothing to request.")
            return EXIT_NOTHING
        render_missing_sheet(report, out, paper=args.paper, lang=args.lang, intake=intake)
        print(f"Missing-items sheet written: {out}")
        return EXIT_OK
    count = render_request_letters(report, intake, out, paper=args.paper, lang=args.lang)
    if count == 0:
        print("Nothing to request.")
        return EXIT_NOTHING
    print(f"{count} letter{'s' if count != 1 else ''} written: {out}")
    return EXIT_OK
