"""The ``intake``, ``timeline`` and ``check`` commands (wired into ``bundler.cli``).

::

    records-bundler intake   --case DIR [FILE] [--replace] [--json]
    records-bundler timeline --case DIR [--json] [--lang en|es]
    records-bundler check    --case DIR [--profile NAME|FILE.toml] [--json] [--lang en|es]

``check`` exits 0 when every required item is present, 1 when a required item is missing or
needs attention, 2 on error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "run"]

EXIT_OK, EXIT_PROBLEM = 0, 1


def add_commands(sub: Any) -> None:
    intake = sub.add_parser("intake", help="load the patient's own part (concern, questions, symptoms...) "
                                           "from a TOML or JSON file, or print it")
    intake.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    intake.add_argument("file", nargs="?", type=Path, metavar="FILE",
                        help="intake file (.toml or .json; see docs/intake-format.md)")
    intake.add_argument("--replace", action="store_true",
                        help="replace the whole intake (default: replace only the sections in FILE)")
    intake.add_argument("--json", action="store_true", help="print the intake as JSON")

    timeline = sub.add_parser("timeline", help="one chronology of studies, documents, medicines and symptoms")
    timeline.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    timeline.add_argument("--json", action="store_true", help="print the result as one JSON document")
    timeline.add_argument("--lang", choices=("en", "es"), default="en", help="language of written dates")

    check = sub.add_parser("check", help="what is present, missing or needs attention for a second opinion")
    check.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    check.add_argument("--profile", default="general", metavar="NAME",
                       help="checklist profile: general, imaging_second_read, oncology, surgical, front_desk, "
                            "a clinic's own, or a .toml file")
    check.add_argument("--json", action="store_true", help="print the result as one JSON document")
    check.add_argument("--lang", choices=("en", "es"), default="en", help="language of the texts")


def _emit(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def run(args: argparse.Namespace) -> int:
    return {"intake": _intake, "timeline": _timeline, "check": _check}[args.command](args)


def _intake(args: argparse.Namespace) -> int:
    from bundler.intake import intake_document, load_intake, read_intake_file, save_intake
    from bundler.store import CaseStore

    if args.file is None:
        with CaseStore.open(args.case) as store:
            intake = load_intake(store)
        if args.json:
            _emit(intake_document(intake))
        else:
            print(json.dumps(intake_document(intake), ensure_ascii=False, indent=2))
        return EXIT_OK
    sections = read_intake_file(args.file)  # validated whole before the case is touched
    with CaseStore.open(args.case, create=True) as store:
        intake = save_intake(store, sections, replace=args.replace)
    if args.json:
        _emit(intake_document(intake))
    else:
        print(f"Loaded {len(sections)} section(s) into the case: {', '.join(sections) or 'none'}.")
    return EXIT_OK


def _timeline(args: argparse.Namespace) -> int:
    from bundler.store import CaseStore
    from bundler.timeline import build_timeline, timeline_json

    with CaseStore.open(args.case) as store:
        events = build_timeline(store)
    rows = timeline_json(events, args.lang)
    if args.json:
        _emit(rows)
        return EXIT_OK
    if not rows:
        print("The case holds no records yet.")
    for r in rows:
        when = r["date"] or "no date"
        note = f"  ({r['date_note']})" if r["date_note"] else ""
        print(f"{when:10}  {r['kind'].replace('_', ' '):16}  {r['title']}{note}")
    return EXIT_OK


_WORDS = {
    "en": {"missing": "Missing", "attention": "Needs attention", "present": "Present",
           "not_required": "Not needed for this case", "recommended": " (recommended)", "next": "Next step",
           "complete": "Complete: everything required is here.", "incomplete": "Not complete yet.",
           "checklist": "Checklist", "stop": "STOP: these records name more than one person.",
           "records": "{n} record(s)"},
    "es": {"missing": "Falta", "attention": "Requiere atención", "present": "Presente",
           "not_required": "No hace falta en este caso", "recommended": " (recomendado)", "next": "Siguiente paso",
           "complete": "Completo: está todo lo necesario.", "incomplete": "Aún no está completo.",
           "checklist": "Lista", "stop": "ALTO: estos documentos nombran a más de una persona.",
           "records": "{n} documento(s)"},
}


def _check(args: argparse.Namespace) -> int:
    from bundler.checklist import check_case, report_json
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        report = check_case(store, profile=args.profile, lang=args.lang)
    data = report_json(report)
    if args.json:
        _emit(data)
    else:
        _print_report(data, _WORDS[args.lang])
    return EXIT_OK if report.complete else EXIT_PROBLEM


def _print_report(data: dict[str, Any], w: dict[str, str]) -> None:
    identity = data["identity"]
    if identity.get("stop"):
        print(w["stop"])
        for c in identity["conflicts"]:
            if c["stop"]:
                values = "  |  ".join(f"{v['value']} ({w['records'].format(n=len(v['refs']))})" for v in c["values"])
                print(f"  {c['field']}: {values}")
        print()
    print(f"{w['checklist']}: {data['profile_title']}. " + (w["complete"] if data["complete"] else w["incomplete"]))
    for status in ("missing", "attention", "present", "not_required"):
        items = [i for i in data["items"] if i["status"] == status]
        if not items:
            continue
        print(f"\n{w[status]}:")
        for i in items:
            level = "" if i["required"] or status == "not_required" else w["recommended"]
            print(f"  - {i['title']}{level}")
            if status in ("missing", "attention"):
                for d in i["details"]:
                    print(f"      {d}")
                if i["next_step"]:
                    print(f"      {w['next']}: {i['next_step']}")
