"""The command-line face of the core: the same operations as the app, for scripts and tests.

Exit status: 0 success; 1 the command ran but found a problem it reports (files that failed
to import, files a DICOMDIR lists but the media lacks); 2 usage or unexpected error, with a
one-line message on stderr. Read commands take ``--json`` and then print exactly one JSON
document on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from bundler import __version__
from bundler.errors import BundlerError, Cancelled, UsageError
from bundler.model import DocumentKind
from bundler.progress import CancelToken, TerminalProgress

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
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log more, -vv for debugging (never patient data)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    imp = sub.add_parser("import", help="import discs, folders, DICOMDIRs, ISO or ZIP files into a case")
    imp.add_argument("sources", nargs="+", type=Path, metavar="SRC",
                     help="CD/DVD drive folders, folders, DICOMDIR, ISO or ZIP files, documents")
    imp.add_argument("--case", required=True, type=Path, metavar="DIR", help="case folder (created if absent)")
    imp.add_argument("--json", action="store_true", help="print the import summary as JSON")

    def read_command(name: str, help: str) -> argparse.ArgumentParser:
        """A command that reads a case and can print JSON."""
        cmd: argparse.ArgumentParser = sub.add_parser(name, help=help)
        cmd.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
        cmd.add_argument("--json", action="store_true", help="print the result as one JSON document")
        return cmd

    read_command("show", "what a case holds: patients, studies, documents")
    read_command("log", "the import log: one row per file seen")
    read_command("meds", "one medication list from every record, without duplicates")
    read_command("allergies", "one allergy list from every record")
    relabel = read_command("relabel", "say what a document is (kept when it is imported again)")
    relabel.add_argument("doc_id", metavar="DOC_ID", help="the document's id, as `show` lists it")
    relabel.add_argument("kind", metavar="KIND", choices=[k.value for k in DocumentKind],
                         help="the document's kind")

    demo = sub.add_parser("demo", help="write a synthetic demo patient's CD and documents")
    demo.add_argument("out", type=Path, metavar="OUTDIR", help="folder to write the demo CD and documents into")
    demo.add_argument("--json", action="store_true", help="print the result as one JSON document")

    drives = sub.add_parser("drives", help="list mounted CD/DVD drives")
    drives.add_argument("--json", action="store_true", help="print the result as one JSON document")

    delete = sub.add_parser("delete", help="delete a case from this computer: its records, answers and log "
                                           "(sources and exported packages are kept)")
    delete.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    delete.add_argument("--yes", action="store_true", help="do not ask (required when not on a terminal)")
    _add_module_commands(sub, "bundler.checklist_cli")
    _add_package_commands(sub)
    for module in _MODULE_COMMANDS:
        if module != "bundler.checklist_cli":
            _add_module_commands(sub, module)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # import workers are spawned processes (PyInstaller builds)
    args = build_parser().parse_args(argv)
    from bundler.logs import setup_logging

    setup_logging({0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG))
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


def _cmd_import(args: argparse.Namespace) -> int:
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    with CaseStore.open(args.case, create=True) as store:
        cancel = CancelToken()
        try:
            report = import_sources(args.sources, store, progress=TerminalProgress(), cancel=cancel)
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


def _sources(ids: Sequence[str], titles: dict[str, str]) -> list[dict[str, str]]:
    return [{"id": i, "title": titles.get(i, "")} for i in ids]


def _cmd_meds(args: argparse.Namespace) -> int:
    from bundler.medications import merge_medications
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        documents = store.documents()
        merged = merge_medications(store.document_contents(), documents)
    titles = {d.id: d.title for d in documents}
    if args.json:
        _emit([{"name": m.name, "dose": m.dose, "route": m.route, "frequency": m.frequency, "start": m.start,
                "stop": m.stop, "status": m.status, "sources": _sources(m.sources, titles)} for m in merged])
        return EXIT_OK
    if not merged:
        print("No medications found in the records.")
    for m in merged:
        dates = f"  from {m.start}" if m.start else ""
        dates += f" to {m.stop}" if m.stop else ""
        print(f"{m.name}  {m.dose}  {m.frequency}{dates}  [{len(m.sources)} source(s)]")
    return EXIT_OK


def _cmd_allergies(args: argparse.Namespace) -> int:
    from bundler.medications import merge_allergies
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        titles = {d.id: d.title for d in store.documents()}
        merged = merge_allergies(store.document_contents())
    if args.json:
        _emit([{"substance": a.substance, "reaction": a.reaction, "severity": a.severity,
                "none_known": a.none_known, "sources": _sources(a.sources, titles)} for a in merged])
        return EXIT_OK
    if not merged:
        print("No allergy information found in the records.")
    for a in merged:
        print("No known allergies" if a.none_known else f"{a.substance}: {a.reaction or 'reaction not recorded'}")
    return EXIT_OK


def _cmd_delete(args: argparse.Namespace) -> int:
    from bundler.store import delete_case

    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("Deleting a case cannot be undone: add --yes to confirm.")
        answer = input("Delete this case and everything imported into it? It cannot be undone. "
                       "Type yes to delete: ")
        if answer.strip().casefold() != "yes":
            print("Nothing was deleted.")
            return EXIT_OK
    delete_case(args.case)
    print("The case was deleted.")
    return EXIT_OK


def _cmd_relabel(args: argparse.Namespace) -> int:
    from bundler.overview import document_json
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        doc = store.set_kind(args.doc_id, args.kind)
    if args.json:
        _emit(document_json(doc))
    else:
        print(f"“{doc.title}” is now labelled {doc.kind.replace('_', ' ')}.")
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


# ------------------------------------------------------------------ packages: export, verify, open, keygen


def _add_package_commands(sub: Any) -> None:
    ex = sub.add_parser("export", help="export the case as an encrypted package (.age or AES-256 .zip)")
    ex.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    ex.add_argument("--out", required=True, type=Path, metavar="FILE", help="the package to write (.age or .zip)")
    key = ex.add_mutually_exclusive_group(required=True)
    key.add_argument("--passphrase-file", type=Path, metavar="F", help="its first line is the passphrase")
    key.add_argument("--recipient", action="append", metavar="AGE1...", help="a reviewer's age public key "
                     "(repeatable; age format only)")
    ex.add_argument("--format", choices=["age", "zip"], help="container (default: zip for a .zip name, else age)")
    ex.add_argument("--json", action="store_true", help="print the result as one JSON document")
    for name, text in (("verify", "check a package end to end: container and every manifest checksum"),
                       ("open", "decrypt and verify a package; publish the folder only if it is intact")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("file", type=Path, metavar="FILE", help="the package (.age or .zip)")
        key = cmd.add_mutually_exclusive_group(required=True)
        key.add_argument("--passphrase-file", type=Path, metavar="F", help="its first line is the passphrase")
        key.add_argument("--identity", type=Path, metavar="F", help="an age identity file (AGE-SECRET-KEY-1...)")
        if name == "open":
            dest = cmd.add_mutually_exclusive_group(required=True)
            dest.add_argument("--to", type=Path, metavar="DIR", help="a new folder for the files")
            dest.add_argument("--as-case", type=Path, metavar="DIR", help="import as a new read-only case")
        cmd.add_argument("--json", action="store_true", help="print the result as one JSON document")
    kg = sub.add_parser("keygen", help="make an age key pair for a reviewer (prints the public key)")
    kg.add_argument("--out", required=True, type=Path, metavar="FILE", help="the secret key file (must not exist)")
    kg.add_argument("--json", action="store_true", help="print the result as one JSON document")
    pw = sub.add_parser("passphrase", help="print a generated passphrase (7 words, about 90 bits)")
    pw.add_argument("--json", action="store_true", help="print the result as one JSON document")


def _read_passphrase(path: Path) -> str:

    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raise UsageError("The passphrase file cannot be read (it must be UTF-8 text).") from None
    line = text.lstrip("\ufeff").splitlines()[0] if text.strip("\r\n") else ""
    if not line:
        raise UsageError("The passphrase file is empty.")
    return line


def _read_identities(path: Path) -> list[Any]:
    from bundler.export.age import parse_identities

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise UsageError("The key file cannot be read.") from None
    return list(parse_identities(text))


def _keys(args: argparse.Namespace) -> dict[str, Any]:
    if args.passphrase_file is not None:
        return {"passphrase": _read_passphrase(args.passphrase_file)}
    return {"identities": _read_identities(args.identity)}


def _cmd_export(args: argparse.Namespace) -> int:
    from bundler.export.package import NoSpace, export_package
    from bundler.store import CaseStore

    fmt = args.format or ("zip" if args.out.suffix.lower() == ".zip" else "age")
    passphrase = _read_passphrase(args.passphrase_file) if args.passphrase_file else None
    cancel = CancelToken()
    with CaseStore.open(args.case) as store:
        try:
            report = export_package(store, args.out, fmt=fmt, passphrase=passphrase,
                                    recipients=args.recipient or (), progress=TerminalProgress(), cancel=cancel)
        except NoSpace as e:
            print(f"records-bundler: {e.user_message}", file=sys.stderr)
            return EXIT_PROBLEM
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            cancel.cancel()
            raise
    if args.json:
        _emit(report.to_json())
    else:
        print(f"Package written: {report.path} ({report.size / 1e6:.1f} MB, {report.files} files, "
              f"{report.instances} DICOM files, {report.documents} documents).")
        if passphrase is not None:
            print("Send the passphrase to the reviewer separately (for example by phone).")
        if report.readme_first:
            print(f"How to open it: {report.readme_first}")
    return EXIT_OK


def _print_problems(problems: Sequence[Any]) -> None:
    for problem in problems:
        print(f"  {problem.path}: {problem.message}" if problem.path else f"  {problem.message}")


def _wrong_key(args: argparse.Namespace, e: BundlerError) -> int:
    if args.json:
        _emit({"ok": False, "error": {"code": e.code, "message": e.user_message}})
    print(f"records-bundler: {e.user_message}", file=sys.stderr)
    return EXIT_ERROR


def _cmd_verify(args: argparse.Namespace) -> int:
    from bundler.export.package import PackageWrongKey, verify_package

    try:
        report = verify_package(args.file, progress=TerminalProgress(), **_keys(args))
    except PackageWrongKey as e:
        return _wrong_key(args, e)
    if args.json:
        _emit(report.to_json())
    elif report.ok:
        print(f"The package is intact: {report.files} files checked, every checksum matches MANIFEST.TXT.")
        if report.records_fingerprint:
            print(f"Records fingerprint (compare with the summary page): {report.records_fingerprint}")
    else:
        print("The package is NOT intact:")
        _print_problems(report.problems)
    return EXIT_OK if report.ok else EXIT_PROBLEM


def _cmd_open(args: argparse.Namespace) -> int:
    from bundler.export.package import PackageWrongKey, open_package, open_package_as_case

    try:
        if args.to is not None:
            report = open_package(args.file, to=args.to, progress=TerminalProgress(), **_keys(args))
        else:
            report = open_package_as_case(args.file, case_dir=args.as_case, progress=TerminalProgress(),
                                          **_keys(args))
    except PackageWrongKey as e:
        return _wrong_key(args, e)
    failed = bool(report.case and report.case.get("failed"))
    if args.json:
        _emit(report.to_json())
    elif report.ok:
        where = "Case created (read-only)" if args.as_case is not None else "Package opened"
        print(f"{where}: {report.path} ({report.verify.files} files, all checksums match).")
        if failed:
            print("Some files could not be imported; see `records-bundler log --case DIR`.")
    else:
        print("The package is NOT intact, so nothing was extracted:")
        _print_problems(report.verify.problems)
    return EXIT_OK if report.ok and not failed else EXIT_PROBLEM


def _cmd_keygen(args: argparse.Namespace) -> int:
    from bundler.export.age import keygen

    secret, public = keygen()
    try:
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError("The key file already exists; choose another name.") from None
    except OSError:
        raise UsageError("The key file cannot be written there.") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret)
        fh.flush()
        os.fsync(fh.fileno())
    if args.json:
        _emit({"public_key": public, "identity_file": str(args.out)})
    else:
        print(public)
        print(f"Secret key written to {args.out}: keep it private. Give the line above to whoever "
              "sends you records.", file=sys.stderr)
    return EXIT_OK


def _cmd_passphrase(args: argparse.Namespace) -> int:
    from bundler.export.passphrase import DEFAULT_WORDS, generate_passphrase, passphrase_bits

    text = generate_passphrase()
    if args.json:
        _emit({"passphrase": text, "words": DEFAULT_WORDS, "bits": round(passphrase_bits(), 1)})
    else:
        print(text)
    return EXIT_OK


_PACKAGE_COMMANDS = {
    "export": _cmd_export,
    "verify": _cmd_verify,
    "open": _cmd_open,
    "keygen": _cmd_keygen,
    "passphrase": _cmd_passphrase,
}


_COMMANDS = {
    "import": _cmd_import,
    "show": _cmd_show,
    "log": _cmd_log,
    "meds": _cmd_meds,
    "allergies": _cmd_allergies,
    "relabel": _cmd_relabel,
    "delete": _cmd_delete,
    "demo": _cmd_demo,
    "drives": _cmd_drives,
}
_COMMANDS.update(_PACKAGE_COMMANDS)


# ------------------------------------------------------------- commands that live in their own module
# Each module has ``add_commands(sub)`` (or ``add_command``) and ``run(args)``; it is imported
# only when the parser is built, and the heavy libraries it needs only when a command runs.

_MODULE_COMMANDS: dict[str, tuple[str, ...]] = {
    "bundler.checklist_cli": ("intake", "timeline", "check"),
    "bundler.net.cli": ("pacs", "receive"),
    "bundler.export.disc_cli": ("disc",),
    "bundler.export.pdf_cli": ("summary", "letter"),
    "bundler.explain_cli": ("explain",),
    "bundler.fsck_cli": ("fsck",),
}


def _add_module_commands(sub: Any, module_name: str) -> None:
    module = importlib.import_module(module_name)
    (getattr(module, "add_commands", None) or module.add_command)(sub)


def _run_module_command(args: argparse.Namespace) -> int:
    module = next(m for m, names in _MODULE_COMMANDS.items() if args.command in names)
    result: int = importlib.import_module(module).run(args)
    return result


_COMMANDS.update({name: _run_module_command for names in _MODULE_COMMANDS.values() for name in names})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
