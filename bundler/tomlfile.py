"""Reading TOML files people write by hand, with errors that name the file and the line.

``tomllib`` reports syntax errors with a line; a file that parses but holds a wrong key or
value only has a key path. :func:`line_of` finds that key's line again so the message can say
"line 12" either way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from typing import Any

from bundler.errors import BundlerError

__all__ = ["line_of", "loads"]


def loads(text: str, source: str, error: Callable[[str], BundlerError]) -> dict[str, Any]:
    """Parse TOML; a syntax error becomes ``error("<source> is not valid TOML: ... (at line L...)")``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # its message ends "(at line L, column C)"
        raise error(f"{source} is not valid TOML: {e}.") from e


def _header(line: str) -> tuple[bool, str] | None:
    """``(is_array, dotted name)`` when ``line`` is a table header."""
    m = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$", line)
    if not m:
        return None
    return m.group(1) == "[[", ".".join(part.strip().strip('"') for part in m.group(2).split("."))


def line_of(text: str, path: Sequence[str | int]) -> int:
    """The 1-based line of the key at ``path`` (``("symptoms", 2, "date")``); 0 if not found.

    Finds ``[table]`` headers, the n-th ``[[array]]`` header for an integer index, and
    ``key =`` lines inside the table reached so far. When the exact key is not written out
    (an inline table, a default), the line of the closest enclosing table is returned.
    """
    lines = text.splitlines()
    start, best, prefix = 0, 0, ""
    i = 0
    while i < len(path):
        part = path[i]
        if isinstance(part, int):
            i += 1
            continue
        name = f"{prefix}.{part}" if prefix else part
        index = path[i + 1] if i + 1 < len(path) and isinstance(path[i + 1], int) else None
        found = None
        seen = -1
        for n in range(start, len(lines)):
            h = _header(lines[n])
            if h is None:
                continue
            is_array, header = h
            if header == name and (index is None or is_array):
                seen += 1
                if index is None or seen == index:
                    found = n
                    break
        if found is not None:
            start, best, prefix = found + 1, found + 1, name
            i += 2 if index is not None else 1
            continue
        if i + 1 < len(path) and isinstance(path[i + 1], str):
            # A table only named by a deeper header ("[[medications.items]]"): go deeper.
            prefix = name
            i += 1
            continue
        # Not a table of its own: a ``key = value`` line in the table reached so far.
        for n in range(start, len(lines)):
            if _header(lines[n]) is not None:
                break
            if re.match(rf"\s*\"?{re.escape(part)}\"?\s*=", lines[n]):
                return n + 1
        return best
    return best
    return best
