"""The project's commands for the app's translations (Qt Linguist ``.ts`` → ``.qm``).

::

    python -m ui.translations update   collect the strings of ui/ into records_bundler_es.ts
                                       (translations already there are kept)
    python -m ui.translations build    build records_bundler_es.qm with pyside6-lrelease
    python -m ui.translations check    list strings without a translation (exit 1 if any)

The strings are found the way they are looked up at run time: ``self.tr("…")`` in a class
(context: the class), ``QCoreApplication.translate("Context", "…")``,
``QT_TRANSLATE_NOOP("Context", "…")``, and a module's ``_t("…")`` helper (context: the one its
``_t`` passes to ``translate``). ``pyside6-lupdate`` does not know such helpers, hence this
small extractor; the files it writes are ordinary ``.ts`` files for Qt Linguist.

The ``.ts`` file is the source of truth and is kept in the repository; the ``.qm`` is built
from it (``build``, also run by ``make``-style packaging) and loaded by :mod:`ui.i18n`.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["LANGUAGES", "Message", "build", "collect", "main", "read_ts", "update"]

REPO: Final = Path(__file__).resolve().parents[1]
UI_DIR: Final = REPO / "ui"
TRANSLATIONS_DIR: Final = REPO / "resources" / "translations"
LANGUAGES: Final = ("es",)
TS_NAME: Final = "records_bundler_{lang}.ts"
QM_NAME: Final = "records_bundler_{lang}.qm"


@dataclass(frozen=True, slots=True)
class Message:
    context: str
    source: str
    filename: str
    line: int


# -- collecting -------------------------------------------------------------------------------


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _helper_context(tree: ast.Module) -> str | None:
    """The context a module-level ``def _t(text)`` passes to ``translate``."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_t":
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and _name(call.func) == "translate" and call.args:
                    return _literal(call.args[0])
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Collector(ast.NodeVisitor):
    def __init__(self, filename: str, helper: str | None) -> None:
        self.filename = filename
        self.helper = helper
        self.classes: list[str] = []
        self.found: list[Message] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        args = node.args
        if name == "tr" and isinstance(node.func, ast.Attribute) and args and self.classes:
            text = _literal(args[0])
            if text is not None:
                self._add(self.classes[-1], text, node)
        elif name in ("translate", "QT_TRANSLATE_NOOP") and len(args) >= 2:
            context, text = _literal(args[0]), _literal(args[1])
            if context is not None and text is not None:
                self._add(context, text, node)
        elif name == "_t" and isinstance(node.func, ast.Name) and args and self.helper:
            text = _literal(args[0])
            if text is not None:
                self._add(self.helper, text, node)
        self.generic_visit(node)

    def _add(self, context: str, text: str, node: ast.AST) -> None:
        self.found.append(Message(context, text, self.filename, getattr(node, "lineno", 0)))


def collect(root: Path = UI_DIR) -> list[Message]:
    """Every translatable string under ``root``, in file and line order (repeats kept)."""
    out: list[Message] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        collector = _Collector(path.relative_to(REPO).as_posix(), _helper_context(tree))
        collector.visit(tree)
        out += collector.found
    return out


# -- the .ts file ---------------------------------------------------------------------------------


def read_ts(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(context, source) → (translation, type) from a .ts file ({} when there is none)."""
    if not path.is_file():
        return {}
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            text = (translation.text or "") if translation is not None else ""
            kind = translation.get("type", "") if translation is not None else "unfinished"
            found[(name, message.findtext("source") or "")] = (text, kind)
    return found


def update(lang: str, *, extra: dict[tuple[str, str], str] | None = None) -> tuple[int, int]:
    """Rewrite the .ts for ``lang`` from the source; returns (strings, untranslated)."""
    path = TRANSLATIONS_DIR / TS_NAME.format(lang=lang)
    old = read_ts(path)
    if extra:
        for key, text in extra.items():
            old[key] = (text, "")
    by_context: dict[str, dict[str, list[Message]]] = {}
    for message in collect():
        by_context.setdefault(message.context, {}).setdefault(message.source, []).append(message)
    root = ET.Element("TS", {"version": "2.1", "language": f"{lang}_ES" if lang == "es" else lang,
                             "sourcelanguage": "en"})
    count = missing = 0
    for context in sorted(by_context):
        element = ET.SubElement(root, "context")
        ET.SubElement(element, "name").text = context
        for source, places in by_context[context].items():
            entry = ET.SubElement(element, "message")
            for place in places:
                ET.SubElement(entry, "location", {"filename": f"../../{place.filename}", "line": str(place.line)})
            ET.SubElement(entry, "source").text = source
            text, kind = old.get((context, source), ("", "unfinished"))
            attributes = {"type": "unfinished"} if not text or kind == "unfinished" else {}
            ET.SubElement(entry, "translation", attributes).text = text
            count += 1
            missing += 1 if attributes else 0
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")
    return count, missing


def _lrelease() -> str:
    exe = Path(sys.executable).with_name("pyside6-lrelease")
    if exe.exists():
        return str(exe)
    found = shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    if found is None:
        raise SystemExit("pyside6-lrelease was not found (it comes with PySide6)")
    return found


def build(lang: str) -> Path:
    """Build the .qm for ``lang`` next to its .ts."""
    ts = TRANSLATIONS_DIR / TS_NAME.format(lang=lang)
    qm = TRANSLATIONS_DIR / QM_NAME.format(lang=lang)
    subprocess.run([_lrelease(), "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


def untranslated(lang: str) -> Iterator[tuple[str, str]]:
    for (context, source), (text, kind) in read_ts(TRANSLATIONS_DIR / TS_NAME.format(lang=lang)).items():
        if not text or kind == "unfinished":
            yield context, source


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "build"
    if command == "update":
        for lang in LANGUAGES:
            count, missing = update(lang)
            print(f"{TS_NAME.format(lang=lang)}: {count} strings, {missing} without a translation")
        return 0
    if command == "build":
        for lang in LANGUAGES:
            print(f"built {build(lang).relative_to(REPO)}")
        return 0
    if command == "check":
        todo = [(lang, c, s) for lang in LANGUAGES for c, s in untranslated(lang)]
        for lang, context, source in todo:
            print(f"{lang} {context}: {source!r}")
        return 1 if todo else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
