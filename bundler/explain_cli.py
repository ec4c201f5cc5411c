"""The ``explain`` command (wired into ``bundler.cli``): a document's words in plain language.

::

    records-bundler explain --case DIR DOC_ID [--lang en|es] [--json]

Plain text: the document's text, then the calm note, the words explained, the flagged
wording with its meaning, and the questions the patient could ask. ``--json`` prints::

    {"document_id", "lang", "note",
     "terms": [{"term", "start", "end", "entry_id", "definition", "question", "reference"}],
     "flags": [{"phrase", "kind", "sentence", "section", "entry_id", "definition", "question"}],
     "suggested_questions": [...]}

``start`` and ``end`` index the document's text (Python string positions). An unknown
DOC_ID is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bundler.errors import UsageError
from bundler.glossary import Explanation, explain_document

__all__ = ["add_command", "run"]

_LABELS = {
    "en": {
        "terms": "Words explained",
        "flags": "Wording to ask about",
        "questions": "Questions you could ask",
        "ask": "Question to ask",
        "source": "Checked against",
        "in": "In the report",
        "no_text": "This document has no readable text to explain.",
        "none": "(none)",
    },
    "es": {
        "terms": "Palabras explicadas",
        "flags": "Expresiones sobre las que preguntar",
        "questions": "Preguntas que podría hacer",
        "ask": "Pregunta que puede hacer",
        "source": "Verificado con",
        "in": "En el informe",
        "no_text": "Este documento no tiene texto legible que explicar.",
        "none": "(ninguna)",
    },
}


def add_command(sub: Any) -> None:
    """Add ``explain`` to the top-level subparsers."""
    cmd: argparse.ArgumentParser = sub.add_parser(
        "explain", help="a document's words and uncertain wording in plain language (English or Spanish)")
    cmd.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    cmd.add_argument("doc_id", metavar="DOC_ID", help="the document's id, as `show` lists it")
    cmd.add_argument("--lang", choices=["en", "es"], default="en", help="language of the explanations")
    cmd.add_argument("--json", action="store_true", help="print the result as one JSON document")


def run(args: argparse.Namespace) -> int:
    """Run ``explain``; 0 on success. Raises UsageError for an unknown document."""
    from bundler.model import ParsedDocument
    from bundler.store import CaseStore

    with CaseStore.open(args.case) as store:
        known = {d.id: d for d in store.documents()}
        if args.doc_id not in known:
            raise UsageError("There is no document with that ID in this case "
                             "(`records-bundler show --case DIR --json` lists them).")
        parsed = store.document_content(args.doc_id) or ParsedDocument(media_type=known[args.doc_id].media_type)
    explanation = explain_document(parsed, lang=args.lang)
    if args.json:
        json.dump({"document_id": args.doc_id, **explanation.to_json()}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_text(parsed.text, explanation)
    return 0


def _print_text(text: str, explanation: Explanation) -> None:
    labels = _LABELS[explanation.lang]
    out = sys.stdout
    if text.strip():
        out.write(text.rstrip() + "\n\n")
    else:
        out.write(labels["no_text"] + "\n\n")
    out.write(f"{explanation.note}\n\n")

    out.write(f"{labels['terms']}\n")
    written: dict[str, list[str]] = {}
    for m in explanation.terms:
        forms = written.setdefault(m.entry.id, [])
        form = " ".join(m.written.split())
        if form.casefold() not in (f.casefold() for f in forms):
            forms.append(form)
    if not written:
        out.write(f"  {labels['none']}\n")
    for entry in explanation.entries:
        forms = written[entry.id]
        shown = ", ".join(f"“{f}”" for f in forms[:3]) + (", …" if len(forms) > 3 else "")
        out.write(f"- {shown}: {entry.definition}\n")
        if entry.question:
            out.write(f"    {labels['ask']}: {entry.question}\n")
        out.write(f"    {labels['source']}: {entry.reference}\n")

    out.write(f"\n{labels['flags']}\n")
    if not explanation.flags:
        out.write(f"  {labels['none']}\n")
    for f in explanation.flags:
        where = f" ({f.flag.section})" if f.flag.section else ""
        out.write(f"- “{f.flag.phrase}”{where}: {f.definition}\n")
        if f.flag.sentence:
            out.write(f"    {labels['in']}: “{f.flag.sentence}”\n")

    out.write(f"\n{labels['questions']}\n")
    if not explanation.questions:
        out.write(f"  {labels['none']}\n")
    for n, q in enumerate(explanation.questions, 1):
        out.write(f"{n}. {q.text}\n")
    out.write(f"\n{explanation.note}\n")
