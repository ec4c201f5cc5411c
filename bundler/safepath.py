"""Guards for every path that comes from media or archives, and archive limits.

Paths inside a DICOMDIR, a ZIP or an ISO are attacker-controlled: ``../../etc/passwd``, absolute
paths, drive letters, NUL bytes. Everything that turns such a path into a location goes
through :func:`safe_join` or :func:`clean_member_name`.
"""

from __future__ import annotations


import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bundler.errors import UnsafePath

__all__ = [
    "ArchiveLimits",
    "DEFAULT_LIMITS",
    "clean_member_name",
    "is_within",
    "safe_join",
    "sanitize_filename",
]

_DRIVE = re.compile(r"^[A-Za-z]:")


def clean_member_name(name: str) -> PurePosixPath:
    """Return an archive member or media file ID as a relative POSIX path, or raise.

    Backslashes count as separators (DICOMDIR file IDs and ZIPs made on Windows use them).
    Raises :class:`UnsafePath` for absolute paths, drive letters, ``..`` components and NULs.
    """
    if "\x00" in name:
        raise UnsafePath("A file name on the media contains a NUL character.")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise UnsafePath("A file on the media has an absolute path.")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePath("A file on the media points outside its folder (“..”).")
    if not parts:
        raise UnsafePath("A file on the media has an empty name.")
    return PurePosixPath(*parts)


def is_within(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved) is ``root`` (resolved) or below it."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def safe_join(root: Path, *parts: str) -> Path:
    """Join untrusted ``parts`` under ``root``; raise :class:`UnsafePath` if it would leave it.

    Symbolic links are resolved before the check, so a link on the media that points outside
    the root is refused as well.
    """
    rel = clean_member_name("/".join(parts))
    candidate = root.joinpath(*rel.parts)
    if not is_within(candidate, root):
        raise UnsafePath("A file on the media points outside its folder.")
    return candidate


_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def sanitize_filename(name: str, *, max_len: int = 120) -> str:
    """A name that is safe as one file-name component on Windows, macOS and Linux."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_CHARS.sub("_", name).strip(" .")
    if name.upper().split(".")[0] in {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                                       *(f"LPT{i}" for i in range(1, 10))}:
        name = "_" + name
    return (name or "file")[:max_len]


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Zip-bomb and nesting guards. One entry beyond a limit fails; the rest goes on."""

    max_entry_bytes: int = 8 * 1024**3  # one member, uncompressed
    max_total_bytes: int = 64 * 1024**3  # one archive, uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, for members above ratio_floor_bytes
    ratio_floor_bytes: int = 16 * 1024**2
    max_entries: int = 200_000
    max_depth: int = 3  # archive inside archive inside archive


DEFAULT_LIMITS = ArchiveLimits()

