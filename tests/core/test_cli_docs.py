"""docs/cli.md is the parser's own description: regenerated, never edited by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import REPO

from bundler import cli_docs
from bundler.cli import build_parser

REGENERATE = "run `python -m bundler.cli_docs > docs/cli.md` and commit the result"


def test_docs_cli_md_matches_the_parser() -> None:
    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == cli_docs.render(), f"docs/cli.md is out of date: {REGENERATE}"


def test_every_subcommand_is_documented() -> None:
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = cli_docs.subcommands(build_parser())
    assert {"import", "export", "fsck", "pacs nodes add"} <= set(commands)
    missing = [c for c in commands if f"`records-bundler {c}`" not in text]
    assert not missing, f"not in docs/cli.md: {missing}; {REGENERATE}"


def test_output_does_not_depend_on_the_terminal_width() -> None:
    outputs = {
        subprocess.run([sys.executable, "-m", "bundler.cli_docs"], capture_output=True, text=True, check=True,
                       env={**os.environ, "COLUMNS": columns}, cwd=REPO, timeout=120).stdout
        for columns in ("40", "250")
    }
    assert len(outputs) == 1


def test_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert cli_docs.main(["--check", "--doc", str(stale)]) == 1
    stale.write_text(cli_docs.render(), encoding="utf-8")
    assert cli_docs.main(["--check", "--doc", str(stale)]) == 0
