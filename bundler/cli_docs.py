"""The CLI reference (``docs/cli.md``), rendered from the parser itself so it cannot drift.

::

    python -m bundler.cli_docs > docs/cli.md     # regenerate
    python -m bundler.cli_docs --check           # exit 1 if docs/cli.md differs

The usage lines are wrapped at a fixed width, whatever the terminal, so the output is the same
on every computer. Exit codes come from the docstrings of ``bundler.cli`` and of the modules
that hold the commands (``_MODULE_COMMANDS``): a paragraph that starts "Exit status", or a
sentence that says how a command exits.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bundler import cli

__all__ = ["render", "main", "DOC_PATH", "subcommands"]

WIDTH = 100
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
_REGENERATE = "python -m bundler.cli_docs > docs/cli.md"


def _fixed_width(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=WIDTH)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _children(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, help, parser) of each subcommand, in the order they were added."""
    sub = _subparsers(parser)
    if sub is None:
        return
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    for name, child in sub.choices.items():
        yield name, helps.get(name, ""), child


def subcommands(parser: argparse.ArgumentParser | None = None) -> list[str]:
    """Every command path, e.g. ``import``, ``pacs``, ``pacs nodes add``."""
    parser = parser or cli.build_parser()
    out: list[str] = []

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for name, _, child in _children(p):
            out.append(f"{prefix}{name}")
            walk(child, f"{prefix}{name} ")

    walk(parser, "")
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option_rows(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    groups = {id(a): g for g in parser._mutually_exclusive_groups for a in g._group_actions}
    rows: list[tuple[str, str]] = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.option_strings:
            names = ", ".join(action.option_strings)
            if action.nargs != 0:
                metavar = action.metavar or (action.dest.upper() if not action.choices else None)
                names += f" {metavar}" if metavar else " {" + ",".join(map(str, action.choices or ())) + "}"
        else:
            names = str(action.metavar or action.dest)
            if action.nargs in ("+", "*"):
                names += " ..."
        notes: list[str] = []
        if action.help and action.help != argparse.SUPPRESS:
            notes.append(action.help)
        if action.choices is not None and not isinstance(action, argparse._VersionAction):
            choices = [repr(c) if c == "" else str(c) for c in action.choices]
            notes.append("one of: " + ", ".join(f"`{c}`" for c in choices))
        group = groups.get(id(action))
        if group is not None:
            others = [o.option_strings[0] for o in group._group_actions if o is not action and o.option_strings]
            notes.append(("one of it and " if group.required else "not with ") + ", ".join(f"`{o}`" for o in others)
                         + (" is required" if group.required else ""))
        elif action.option_strings and action.required:
            notes.append("required")
        if isinstance(action, argparse._AppendAction) and "repeatable" not in (action.help or ""):
            notes.append("repeatable")
        default = action.default
        if (action.option_strings and default not in (None, False, "", argparse.SUPPRESS) and action.nargs != 0
                and "default" not in (action.help or "")):
            notes.append(f"default: `{default}`")
        rows.append((f"`{names}`", "; ".join(notes)))
    return rows


def _usage(parser: argparse.ArgumentParser) -> str:
    _fixed_width(parser)
    return parser.format_usage().strip()


def _markdown(text: str) -> str:
    """One docstring paragraph as Markdown: ``literal`` to `literal`, no dangling "prints::"."""
    text = re.sub(r"(?:^|(?<=[.;]) )[^.;]*::$", "", " ".join(text.split())).strip()
    return text.replace("``", "`")


def _exit_notes(command: str) -> list[str]:
    """What the docstring of the module holding ``command`` says about its exit status."""
    module = next((m for m, names in cli._MODULE_COMMANDS.items() if command in names), None)
    if module is None:
        return []
    names = cli._MODULE_COMMANDS[module]
    doc = importlib.import_module(module).__doc__ or ""
    notes: list[str] = []
    for para in re.split(r"\n\s*\n", doc):
        text = _markdown(para)
        if text.startswith("Exit status"):
            notes.append(text)
            continue
        for sentence in re.split(r"(?<=[.)])\s+(?=[A-Z`])", text):
            if re.search(r"\bexit", sentence) and (len(names) == 1 or f"`{command}`" in sentence):
                notes.append(sentence)
    return notes


def _general_exit_status() -> str:
    doc = cli.__doc__ or ""
    para = next((p for p in re.split(r"\n\s*\n", doc) if "Exit status" in p), "")
    return _markdown(para).removeprefix("Exit status: ")


def _section(lines: list[str], path: str, help_text: str, parser: argparse.ArgumentParser, level: int) -> None:
    lines += [f"{'#' * level} `{path}`", ""]
    if help_text:
        lines += [help_text[0].upper() + help_text[1:] + ".", ""]
    if parser.description:
        lines += [parser.description, ""]
    lines += ["```text", _usage(parser), "```", ""]
    rows = _option_rows(parser)
    if rows:
        lines += ["| Argument | Meaning |", "| --- | --- |"]
        lines += [f"| {_cell(name)} | {_cell(text)} |" for name, text in rows]
        lines.append("")
    children = list(_children(parser))
    if children:
        lines += ["Subcommands: " + ", ".join(f"`{name}`" for name, _, _ in children) + ".", ""]
    if level == 3:
        notes = _exit_notes(path.split()[-1])
        if notes:
            for note in notes:
                lines += [note, ""]
    if parser.epilog:
        lines += [parser.epilog, ""]
    for name, child_help, child in children:
        _section(lines, f"{path} {name}", child_help, child, min(level + 1, 6))


def render(parser: argparse.ArgumentParser | None = None) -> str:
    """The Markdown reference of every command of ``records-bundler``."""
    parser = parser or cli.build_parser()
    prog = parser.prog
    lines = [
        f"# `{prog}` command reference",
        "",
        f"<!-- Generated from the argparse parser by `{_REGENERATE}`; do not edit by hand. -->",
        "",
        parser.description or "",
        "",
        "```text",
        _usage(parser),
        "```",
        "",
        "| Argument | Meaning |",
        "| --- | --- |",
    ]
    lines += [f"| {_cell(name)} | {_cell(text)} |" for name, text in _option_rows(parser)]
    lines += ["", "## Exit status", "", _general_exit_status(), "", "## Commands", ""]
    lines += [f"- [`{name}`](#{prog}-{name}) — {_cell(text)}" for name, text, _ in _children(parser)]
    lines.append("")
    for name, text, child in _children(parser):
        _section(lines, f"{prog} {name}", text, child, 3)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bundler.cli_docs", description="Print the CLI reference (Markdown).")
    p.add_argument("--check", action="store_true", help=f"exit 1 if {DOC_PATH.name} differs from the parser")
    p.add_argument("--doc", type=Path, default=DOC_PATH, help="the file --check compares (default: docs/cli.md)")
    args = p.parse_args(argv)
    text = render()
    if not args.check:
        sys.stdout.buffer.write(text.encode("utf-8"))
        return 0
    try:
        current = args.doc.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != text:
        print(f"{args.doc} is out of date; regenerate it with: {_REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
