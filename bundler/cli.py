"""The command-line face of the core: the same operations as the app, for scripts and tests.

Exit status: 0 success; 1 the command ran but found a problem it reports (files that failed
to import, files a DICOMDIR lists but the media lacks); 2 usage or unexpected error, with a
one-line message on stderr. Read commands take ``--json`` and then print exactly one JSON
document on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from bundler import __version__
from bundler.errors import BundlerError, Cancelled
from bundler.progress import CancelToken

__all__ = ["main"]

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="records-bundler", description="Gather medical records for a second opinion.")
    p.add_argument("--version", action="version", version=f"records-bundler {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log more (never patient data)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    imp = sub.add_parser("import", help="import discs, folders, DICOMDIRs, ISO or ZIP files into a case")
    imp.add_argument("sources", nargs="+", type=Path, metavar="SRC")
    imp.add_argument("--case", required=True, type=Path, metavar="DIR", help="case folder (created if absent)")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")

    show = sub.add_parser("show", help="what a case holds: patients, studies, documents")
    show.add_argument("--case", required=True, type=Path, metavar="DIR")
    show.add_argument("--json", action="store_true")

    lg = sub.add_parser("log", help="the import log: one row per file seen")
    lg.add_argument("--case", required=True, type=Path, metavar="DIR")
    lg.add_argument("--json", action="store_true")

    demo = sub.add_parser("demo", help="write a synthetic demo patient's CD and documents")
    demo.add_argument("out", type=Path, metavar="OUTDIR")
    demo.add_argument("--json", action="store_true")

    drives = sub.add_parser("drives", help="list mounted CD/DVD drives")
    drives.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # import workers are spawned processes (PyInstaller builds)
    args = build_parser().parse_args(argv)
    from bundler.logs import setup_logging

    setup_logging(logging.INFO if args.verbose else logging.WARNING)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except Cancelled as e:
        print(e.user_message, file=sys.stderr)
        return EXIT_PROBLEM
    except BundlerError as e:
        print(f"records-bundler: {e.user_message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, no traceback
        log.debug("unexpected error", exc_info=True)
        print(f"records-bundler: unexpected error ({type(e).__name__}); run with -v for details",
              file=sys.stderr)
        return EXIT_ERROR


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


class _TerminalProgress:
    """Progress on stderr when it is a terminal, at most 5 updates a second."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        if not self._tty:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and not (total and done >= total):
            return
        self._last = now
        shown = f"{done}/{total}" if total else f"{done}"
        sys.stderr.write(f"\r{message}: {shown}\x1b[K")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _cmd_import(args: argparse.Namespace) -> int:
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    with CaseStore.open(args.case, create=True) as store:
        cancel = CancelToken()
        try:
            report = import_sources(args.sources, store, progress=_TerminalProgress(), cancel=cancel)
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            cancel.cancel()
            raise
    if args.json:
        _emit(report.to_json())
    else:
        print(f"{report.files_seen} files seen: {report.imported} imported "
              f"({report.dicom_instances} DICOM, {report.documents} documents), "
              f"{report.skipped} skipped ({report.duplicates} already in the case), {report.failed} failed.")
        if report.missing:
            print(f"{len(report.missing)} files listed in a DICOMDIR are not on the media.")
        if report.failed:
            print("See `records-bundler log --case DIR` for the reasons.")
    return EXIT_PROBLEM if report.failed or report.missing else EXIT_OK


def _cmd_show(args: argparse.Namespace) -> int:
    from bundler.overview import describe_case
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        data = describe_case(store)
    if args.json:
        _emit(data)
        return EXIT_OK
    for p in data["patients"]:
        print(f"Patient: {p['name']}  ID {p['id']}  born {p['birth_date'] or '?'}")
    for s in data["studies"]:
        print(f"{s['date'] or '????????'}  {'/'.join(s['modalities']) or '?':8} {s['description'] or '(no description)'}"
              f"  [{len(s['series'])} series, {s['instances']} objects]")
    for d in data["documents"]:
        print(f"Document: {d['title']} ({d['media_type']})")
    return EXIT_OK


def _cmd_log(args: argparse.Namespace) -> int:
    from bundler.overview import log_json
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        rows = store.log_rows()
    if args.json:
        _emit([{k: v for k, v in r.items()} for r in log_json(rows)])
        return EXIT_OK
    for r in rows:
        print(f"{r.status:8} {r.reason:20} {r.source}" + (f"  — {r.detail}" if r.status != "imported" else ""))
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from bundler.demo import write_demo

    case = write_demo(args.out)
    data = {"root": str(case.root), "cd": str(case.cd_dir), "documents": str(case.documents_dir),
            "dicom_files": case.dicom_files, "document_files": case.document_files,
            "studies": len(case.studies)}
    if args.json:
        _emit(data)
    else:
        print(f"Demo media written: {case.cd_dir} (disc) and {case.documents_dir} (documents).")
    return EXIT_OK


def _cmd_drives(args: argparse.Namespace) -> int:
    from bundler.ingest.sources import list_optical_drives

    drives = list_optical_drives()
    data = [{"mount_point": str(d.mount_point), "label": d.label, "device": d.device} for d in drives]
    if args.json:
        _emit(data)
    elif not drives:
        print("No CD or DVD is mounted.")
    else:
        for d in drives:
            print(f"{d.mount_point}  {d.label}  ({d.device})")
    return EXIT_OK


_COMMANDS = {
    "import": _cmd_import,
    "show": _cmd_show,
    "log": _cmd_log,
    "demo": _cmd_demo,
    "drives": _cmd_drives,
}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
