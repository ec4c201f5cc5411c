"""Read a DICOMDIR (PS3.10 §8, PS3.3 Annex F) as an index of what the media should hold.

We use a DICOMDIR to learn what the disc promises (files, SOP Instance UIDs, series), never to
decide what to import: every file on the media is looked at anyway, and files a DICOMDIR
lists but the media lacks are reported.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pydicom

from bundler.errors import UnsafePath
from bundler.safepath import clean_member_name

__all__ = ["IndexedFile", "read_dicomdir", "is_dicomdir_name"]


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """One file a DICOMDIR references."""

    file_id: str  # '/'-joined ReferencedFileID, as written (may be unsafe: see ``safe``)
    safe: bool
    record_type: str
    sop_instance_uid: str
    series_uid: str
    study_uid: str


def is_dicomdir_name(name: str) -> bool:
    """The media directory file is named DICOMDIR (PS3.10 §8.6); ISO adds ';1' or a dot."""
    return name.upper().split(";", 1)[0].rstrip(".") == "DICOMDIR"


def read_dicomdir(data: bytes) -> list[IndexedFile]:
    """Every file a DICOMDIR references, with its series and study when the records say.

    Raises ``ValueError`` (with a fixed message, never a value from the file) when the bytes
    are not a readable DICOMDIR: pydicom parses lazily and raises many types (struct errors,
    KeyError, NotImplementedError for an unknown VR...) as late as the walk over the records,
    so the whole read, walk included, is inside the guard.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            records = list(ds.get("DirectoryRecordSequence") or [])
            return list(_walk(ds, records))
    except Exception as e:  # noqa: BLE001 - any failure of a damaged DICOMDIR is "unreadable"
        raise ValueError("unreadable DICOMDIR") from e


def _walk(ds: Any, records: list[Any]) -> Iterator[IndexedFile]:
    by_offset = {getattr(r, "seq_item_tell", None): r for r in records}
    root = _int(ds, "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity")
    visited: set[int] = set()
    if root and root in by_offset:
        # Follow the offsets (PS3.3 F.3.2.1): robust against records stored out of order.
        yield from _follow(by_offset, root, "", "", visited)
        leftovers = [r for r in records if id(r) not in visited]
    else:
        leftovers = records
    # No usable offsets: fall back to the order of the records (depth first by convention).
    study_uid = series_uid = ""
    for r in leftovers:
        rtype = _text(r, "DirectoryRecordType").upper()
        if rtype == "STUDY":
            study_uid, series_uid = _text(r, "StudyInstanceUID"), ""
        elif rtype == "SERIES":
            series_uid = _text(r, "SeriesInstanceUID")
        item = _indexed(r, rtype, series_uid, study_uid)
        if item is not None:
            yield item


def _follow(by_offset: dict[Any, Any], offset: int, study_uid: str, series_uid: str,
            visited: set[int]) -> Iterator[IndexedFile]:
    guard = 0
    while offset and offset in by_offset:
        r = by_offset[offset]
        if id(r) in visited or guard > 1_000_000:
            return  # a loop in the offsets
        visited.add(id(r))
        guard += 1
        rtype = _text(r, "DirectoryRecordType").upper()
        st, se = study_uid, series_uid
        if rtype == "STUDY":
            st, se = _text(r, "StudyInstanceUID"), ""
        elif rtype == "SERIES":
            se = _text(r, "SeriesInstanceUID")
        item = _indexed(r, rtype, se, st)
        if item is not None:
            yield item
        lower = _int(r, "OffsetOfReferencedLowerLevelDirectoryEntity")
        if lower:
            yield from _follow(by_offset, lower, st, se, visited)
        offset = _int(r, "OffsetOfTheNextDirectoryRecord")


def _indexed(r: Any, rtype: str, series_uid: str, study_uid: str) -> IndexedFile | None:
    raw = r.get("ReferencedFileID")
    if raw is None or raw == "":
        return None
    parts = [str(p) for p in raw] if isinstance(raw, (list, tuple, pydicom.multival.MultiValue)) else [str(raw)]
    file_id = "/".join(p.strip() for p in parts)
    try:
        clean_member_name(file_id)
        safe = True
    except UnsafePath:
        safe = False
    return IndexedFile(
        file_id=file_id,
        safe=safe,
        record_type=rtype,
        sop_instance_uid=_text(r, "ReferencedSOPInstanceUIDInFile"),
        series_uid=series_uid,
        study_uid=study_uid,
    )


def _text(ds: Any, keyword: str) -> str:
    try:
        v = ds.get(keyword)
    except Exception:  # noqa: BLE001 - damaged outside data means "absent"
        return ""
    return "" if v is None else str(v).strip()


def _int(ds: Any, keyword: str) -> int:
    try:
        return int(ds.get(keyword) or 0)
    except (TypeError, ValueError):
        return 0
