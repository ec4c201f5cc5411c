"""Check a case store end to end, and repair what can be repaired without losing anything.

What is checked:

* SQLite's own ``integrity_check`` of the index;
* every blob the index lists: present, of the recorded size, and hashing to its name (SHA-256);
* every index row that needs a blob (``instances``, ``documents``) against the ``blobs`` table,
  and every ``document_content`` row against its document;
* every file under ``blobs/``: named by a SHA-256 in the right folder, and needed by some row.

``repair`` never deletes a file: blobs that are missing, damaged or unwanted are moved to
``quarantine/`` in the case, and the index rows that needed them are removed in one
transaction, each with a ``log`` row saying why (re-importing the media restores them).
Problems name hashes, sizes and tables, never patient data or source paths.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bundler.errors import CaseError
from bundler.model import Reason
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.store import CaseStore

__all__ = ["FsckProblem", "FsckReport", "ProblemKind", "check_case"]

log = logging.getLogger(__name__)

_CHUNK = 1024 * 1024
_SHA_NAME = re.compile(r"[0-9a-f]{64}")


class ProblemKind:
    """The ``kind`` of a problem (stable: scripts rely on these)."""

    INDEX_INTEGRITY = "index_integrity"  # SQLite's integrity check failed
    BLOB_MISSING = "blob_missing"  # listed in the index, no file
    BLOB_SIZE = "blob_size"  # the file's size differs from the index
    BLOB_HASH = "blob_hash"  # the file's SHA-256 differs from its name
    BLOB_UNREADABLE = "blob_unreadable"  # the file cannot be read (I/O error)
    ROW_WITHOUT_BLOB = "row_without_blob"  # an instance or document row whose blob is not listed
    UNREFERENCED_BLOB = "unreferenced_blob"  # a blob no instance or document row needs
    STRAY_FILE = "stray_file"  # a file under blobs/ that is not named like a blob
    ORPHAN_CONTENT = "orphan_content"  # document_content rows without their document


_REPAIRABLE_CONTENT = {ProblemKind.BLOB_MISSING, ProblemKind.BLOB_SIZE, ProblemKind.BLOB_HASH,
                       ProblemKind.BLOB_UNREADABLE, ProblemKind.ROW_WITHOUT_BLOB}


@dataclass(frozen=True, slots=True)
class FsckProblem:
    kind: str
    sha256: str  # "" when the problem is not about one blob
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "sha256": self.sha256, "detail": self.detail}


@dataclass
class FsckReport:
    """What :func:`check_case` found and, with ``repair``, did."""

    blobs_checked: int = 0
    problems: list[FsckProblem] = field(default_factory=list)
    repaired: bool = False
    quarantined: list[str] = field(default_factory=list)  # paths relative to the case
    rows_removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """The ``fsck --json`` document (a contract: add fields, never rename)."""
        return {"ok": self.ok, "blobs_checked": self.blobs_checked,
                "problems": [p.to_json() for p in self.problems], "repaired": self.repaired,
                "quarantined": self.quarantined, "rows_removed": self.rows_removed}


def check_case(store: CaseStore, *, repair: bool = False, progress: Progress = NO_PROGRESS,
               cancel: CancelToken = NEVER) -> FsckReport:
    """Verify the case in ``store``; with ``repair``, quarantine bad blobs and drop their rows.

    Holds the case's import lock throughout (an import in progress writes blobs before their
    rows, which would look like problems): raises :class:`~bundler.errors.CaseError` with code
    ``case_busy`` when an import is running. A cancel (:class:`~bundler.errors.Cancelled`)
    before the repair starts leaves the case untouched; the repair itself is one transaction
    followed by renames, and a repair interrupted between the two leaves only unreferenced
    blobs, which the next run quarantines. A read-only case (opened from a package) is checked
    but never repaired (``case_read_only``).
    """
    if repair and store.is_read_only:
        raise CaseError("This case was opened from a package and is read-only: it can be checked, not "
                        "repaired. Open the package again to get an intact copy.", code="case_read_only")
    report = FsckReport()
    with store.exclusive():
        messages = store.integrity_messages()
        if messages != ["ok"]:
            report.problems.append(FsckProblem(ProblemKind.INDEX_INTEGRITY, "", "; ".join(messages)[:2000]))
        listed = {b.sha256: b.size for b in store.blob_records()}
        references = store.blob_references()
        files = dict(_blob_files(store.blobs_dir))
        total = len(listed) + len(files)
        done = 0
        bad: set[str] = set()
        for sha in sorted(listed):
            cancel.raise_if_cancelled()
            problem = _check_blob(files.get(sha), sha, listed[sha])
            if problem is not None:
                report.problems.append(problem)
                bad.add(sha)
            report.blobs_checked += 1
            done += 1
            if done % 64 == 0:
                progress(done, total, "Checking stored files")
        for sha in sorted(set(references) - set(listed)):
            n = len(references[sha])
            report.problems.append(FsckProblem(
                ProblemKind.ROW_WITHOUT_BLOB, sha,
                f"{n} index row(s) in {', '.join(sorted(set(references[sha])))} need a blob the index does not list"))
            bad.add(sha)
        unwanted: list[tuple[str, Path]] = []
        for name, path in sorted(files.items()):
            cancel.raise_if_cancelled()
            done += 1
            if done % 64 == 0:
                progress(done, total, "Checking stored files")
            if not _SHA_NAME.fullmatch(name) or path.parent.name != name[:2]:
                report.problems.append(FsckProblem(ProblemKind.STRAY_FILE, "",
                                                   "a file under blobs/ that is not named like a blob"))
                unwanted.append(("", path))
            elif name not in references and name not in bad:
                where = "listed in the index" if name in listed else "not listed in the index"
                report.problems.append(FsckProblem(ProblemKind.UNREFERENCED_BLOB, name,
                                                   f"no instance or document needs it ({where})"))
                unwanted.append((name, path))
        orphans = store.orphan_contents()
        if orphans:
            report.problems.append(FsckProblem(ProblemKind.ORPHAN_CONTENT, "",
                                               f"{orphans} document_content row(s) without their document"))
        progress(total, total, "Checking stored files")
        cancel.raise_if_cancelled()
        log.info("fsck: %d blobs checked, %d problem(s)", report.blobs_checked, len(report.problems))
        if repair and report.problems:
            _repair(store, report, bad, unwanted, files, orphans)
    return report


def _blob_files(blobs: Path) -> Iterator[tuple[str, Path]]:
    """Every file under ``blobs/`` (name → path), however it is named."""
    if not blobs.is_dir():
        return
    for top in os.scandir(blobs):
        if top.is_dir(follow_symlinks=False):
            for f in os.scandir(top.path):
                yield f.name if f.is_file(follow_symlinks=False) else f.name + "/", Path(f.path)
        else:
            yield top.name, Path(top.path)


def _check_blob(path: Path | None, sha: str, size: int) -> FsckProblem | None:
    if path is None:
        return FsckProblem(ProblemKind.BLOB_MISSING, sha, "listed in the index, but its file is missing")
    try:
        actual = path.stat().st_size
        if actual != size:
            return FsckProblem(ProblemKind.BLOB_SIZE, sha, f"{actual} bytes, the index says {size}")
        digest = hashlib.sha256()
        with open(path, "rb", buffering=0) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except OSError as e:
        return FsckProblem(ProblemKind.BLOB_UNREADABLE, sha, f"cannot be read ({type(e).__name__})")
    if digest.hexdigest() != sha:
        return FsckProblem(ProblemKind.BLOB_HASH, sha, "its content no longer matches its SHA-256")
    return None


def _repair(store: CaseStore, report: FsckReport, bad: set[str], unwanted: list[tuple[str, Path]],
            files: dict[str, Path], orphans: int) -> None:
    # Index first: once the transaction commits the case is consistent; a crash before the
    # renames below only leaves unreferenced blobs, which the next fsck quarantines.
    listed_unwanted = {sha for sha, _ in unwanted if sha} & set(store.known_hashes())
    if bad or orphans or listed_unwanted:
        report.rows_removed = store.remove_content(
            sorted(bad | listed_unwanted), Reason.UNREADABLE,
            "The case's copy of this file was missing or damaged (found by fsck) and was moved "
            "to the case's quarantine folder; import the original again to restore it.")
    quarantine = store.path / "quarantine"
    moves = [files[sha] for sha in sorted(bad) if sha in files] + [p for _, p in unwanted]
    for path in moves:
        quarantine.mkdir(mode=0o700, exist_ok=True)
        target = _free_name(quarantine / path.name)
        os.replace(path, target)
        report.quarantined.append(str(target.relative_to(store.path)))
    report.repaired = True
    log.info("fsck repair: %d index row(s) removed, %d file(s) quarantined", report.rows_removed, len(moves))


def _free_name(path: Path) -> Path:
    n = 0
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate
