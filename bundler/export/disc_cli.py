"""The ``disc`` command (wired into ``bundler.cli``)::

    records-bundler disc --case DIR --out PATH [--iso] [--with-web] [--media cd|dvd|dvd_dl] [--json]
    records-bundler disc --case DIR --burn [--device DEV] [--out IMAGE.iso] [--with-web] [--json]

Exit status: 0 written (or burned and checked); 1 the records do not fit on the disc asked
for, or there is no writer to burn with (the message says what to do instead); 2 usage or
unexpected error. With ``--json`` exactly one JSON document is printed on stdout.

Only argparse at import time: the disc modules load when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bundler.errors import UsageError
from bundler.progress import TerminalProgress

__all__ = ["add_command", "run"]

EXIT_OK = 0
EXIT_PROBLEM = 1


def add_command(sub: Any) -> None:
    """Add ``disc`` to the top-level subparsers."""
    disc = sub.add_parser("disc", help="make a patient disc (IHE PDI): a folder for a USB stick, an ISO "
                                       "image, or burn a CD/DVD")
    disc.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    disc.add_argument("--out", type=Path, metavar="PATH",
                      help="a new folder (for a USB stick, or to burn with another program); with --iso "
                           "or --burn, the image file")
    disc.add_argument("--iso", action="store_true", help="write an ISO 9660 + Joliet image instead of a folder")
    disc.add_argument("--with-web", action="store_true",
                      help="add a small picture of each series to INDEX.HTM (\"DICOM PLUS WEB\")")
    disc.add_argument("--media", choices=["cd", "dvd", "dvd_dl"],
                      help="the disc it is for: refuse, saying so, if the records do not fit")
    disc.add_argument("--burn", action="store_true", help="burn a CD or DVD, then read it back to check it")
    disc.add_argument("--device", metavar="DEV", help="the writer to burn with (default: the first one)")
    disc.add_argument("--json", action="store_true", help="print the result as one JSON document")


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _problem(args: argparse.Namespace, code: str, message: str, extra: dict[str, Any] | None = None) -> int:
    if args.json:
        _emit({"ok": False, "error": {"code": code, "message": message}, **(extra or {})})
    print(f"records-bundler: {message}", file=sys.stderr)
    return EXIT_PROBLEM


def run(args: argparse.Namespace) -> int:
    from bundler.export.burn import NoWriter
    from bundler.export.patient_cd import DiscTooLarge

    if args.out is None and not args.burn:
        raise UsageError("Say where to write the disc (--out PATH), or --burn to burn it.")
    if args.device and not args.burn:
        raise UsageError("--device goes with --burn.")
    try:
        return _burn(args) if args.burn else _write(args)
    except NoWriter as e:
        return _problem(args, e.code, e.user_message)
    except DiscTooLarge as e:
        return _problem(args, e.code, e.user_message)


def _write(args: argparse.Namespace) -> int:
    from bundler.export.patient_cd import make_disc
    from bundler.progress import CancelToken
    from bundler.store import CaseStore

    cancel = CancelToken()
    with CaseStore.open(args.case) as store:
        try:
            report = make_disc(store, args.out, iso=args.iso, with_web=args.with_web, media=args.media,
                               progress=TerminalProgress(), cancel=cancel)
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            cancel.cancel()
            raise
    if args.json:
        _emit({"ok": True, **report.to_json()})
        return EXIT_OK
    kind = "Disc image" if report.iso else "Disc folder"
    print(f"{kind} written: {report.path} ({report.size_bytes / 1e6:.1f} MB as a disc image; "
          f"{report.instances} DICOM files, {report.documents} documents"
          + (f", {report.previews} previews" if args.with_web else "") + ").")
    print(f"Disc name: {report.label.joliet_id}. Write on the disc: {report.label.text}")
    _print_fits(report.size_check)
    return EXIT_OK


def _print_fits(check: Any) -> None:
    from bundler.export.patient_cd import MEDIA_NAMES, Media

    fits = [MEDIA_NAMES[m] for m in Media if check.fits[m]]
    message = check.message() if check.requested is None else None
    if message:
        print(message)
    elif fits:
        print(f"It fits on {', '.join(fits)}.")


def _burn(args: argparse.Namespace) -> int:
    from bundler.export.burn import burn_image, choose_writer, media_capacity
    from bundler.export.patient_cd import DiscTooLarge, make_disc
    from bundler.progress import CancelToken
    from bundler.store import CaseStore

    writer = choose_writer(args.device)  # before any work: no writer, nothing to make
    cancel = CancelToken()
    with CaseStore.open(args.case) as store:
        store.tmp_dir.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="disc-", dir=store.tmp_dir) as tmp:
            image = args.out if args.out is not None else Path(tmp) / "disc.iso"
            try:
                report = make_disc(store, image, iso=True, with_web=args.with_web, media=args.media,
                                   progress=TerminalProgress(), cancel=cancel)
                capacity = media_capacity(writer)
                if capacity is not None and report.size_bytes > capacity:
                    raise DiscTooLarge(f"The records take {report.size_bytes / 1e6:.0f} MB but the disc in the "
                                       f"drive holds {capacity / 1e6:.0f} MB. Use a bigger disc, copy the disc "
                                       "folder to a USB stick, or send the encrypted package instead.")
                burned = burn_image(image, writer, progress=TerminalProgress(), cancel=cancel)
            except KeyboardInterrupt:  # pragma: no cover - interactive only
                cancel.cancel()
                raise
    if args.json:
        _emit({"ok": True, **report.to_json(), "burned": {"device": burned.device, "verified": burned.verified,
                                                          "seconds": round(burned.seconds, 1)}})
    else:
        print(f"Disc burned on {burned.device} and read back: it matches the image. "
              f"Write on the disc: {report.label.text}")
    return EXIT_OK
