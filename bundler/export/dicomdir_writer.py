"""DICOMDIR writing: a PS3.10 file-set directory in bounded memory and linear time.

:meth:`pydicom.fileset.FileSet.add` is quadratic in the number of instances (over five minutes
for 5,000), and a :class:`~pydicom.dataset.Dataset` per directory record costs kilobytes of
memory. :class:`DicomdirWriter` builds each record with pydicom's own record creators
(:data:`pydicom.fileset.DIRECTORY_RECORDERS`), encodes it at once, keeps only its bytes and
lays the records out with FileSet's algorithm: records in pre-order, defined-length items,
offsets counted from the first byte of the file (PS3.3 §F.3.2.1). For the same records the
bytes equal FileSet's (``tests/core/test_demo.py`` checks it).

:func:`case_dicomdir` lists a case's instances (PATIENT → STUDY → SERIES → leaf). A leaf's
record type follows the SOP Class as FileSet decides it. Type 1 keys that an instance lacks
(FileSet would refuse it) are filled in the *directory record only*, never in the instance:
a study without a Study Date is listed as ``19000101``, an instance without an Instance Number
gets its position in the series, and so on (see :func:`case_dicomdir`).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.fileset import DIRECTORY_RECORDERS
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.tag import Tag
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
    generate_uid,
)

from bundler.model import Instance
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress

__all__ = [
    "DicomdirResult",
    "DicomdirWriter",
    "DirectoryItem",
    "case_dicomdir",
    "directory_record",
    "image_record",
    "record_type",
    "valid_uid",
]

log = logging.getLogger(__name__)

_ITEM: Final = b"\xfe\xff\x00\xe0"  # (FFFE,E000) Item
_SEQUENCE_HEADER: Final = b"\x04\x00\x20\x12SQ\x00\x00"  # (0004,1220) SQ, explicit VR LE
# Every record starts (tag order) with (0004,1400) UL, (0004,1410) US, (0004,1420) UL.
_NEXT_HEADER: Final = b"\x04\x00\x00\x14UL\x04\x00"
_LOWER_HEADER: Final = b"\x04\x00\x20\x14UL\x04\x00"
_NEXT_AT: Final = 8
_LOWER_AT: Final = 30
_HEADER_DEFER: Final = 64 * 1024

# PS3.3 §F.5: the record type of a SOP Class that FileSet's table does not decide by class.
_ENCAPSULATED_DOCUMENT_CLASSES: Final = frozenset({
    "1.2.840.10008.5.1.4.1.1.104.1",  # Encapsulated PDF
    "1.2.840.10008.5.1.4.1.1.104.2",  # Encapsulated CDA
    "1.2.840.10008.5.1.4.1.1.104.3",  # Encapsulated STL
    "1.2.840.10008.5.1.4.1.1.104.4",  # Encapsulated OBJ
    "1.2.840.10008.5.1.4.1.1.104.5",  # Encapsulated MTL
})
_RT_PLAN_CLASSES: Final = frozenset({
    "1.2.840.10008.5.1.4.1.1.481.5",  # RT Plan
    "1.2.840.10008.5.1.4.1.1.481.8",  # RT Ion Plan
})


def record_type(sop_class_uid: str, modality: str = "") -> str:
    """The Directory Record Type (0004,1430) of a leaf, as :class:`~pydicom.fileset.FileSet`
    decides it; anything unknown is an ``IMAGE`` (FileSet's fallback too)."""
    from pydicom.fileset import _FOUR_LEVEL_SOP_CLASSES

    if modality in ("RTINTENT", "RTSEGANN", "RTRAD"):
        return "RADIOTHERAPY"
    if modality == "PLAN":
        return "PLAN"
    if sop_class_uid in _ENCAPSULATED_DOCUMENT_CLASSES:
        return "ENCAP DOC"
    if sop_class_uid in _RT_PLAN_CLASSES:
        return "RT PLAN"
    return str(_FOUR_LEVEL_SOP_CLASSES.get(UID(sop_class_uid), "IMAGE"))


def directory_record(kind: str, source: Dataset, charset: Any = None) -> Dataset:
    """A directory record of type ``kind`` made from ``source`` as FileSet makes it
    (PS3.3 §F.3.2.2): pydicom's record creator, then the record's own keys.

    Raises ``ValueError`` (from pydicom) when ``source`` lacks a Type 1 key of the record.
    """
    record: Dataset = DIRECTORY_RECORDERS[kind](source)
    record.OffsetOfTheNextDirectoryRecord = 0
    record.RecordInUseFlag = 0xFFFF
    record.OffsetOfReferencedLowerLevelDirectoryEntity = 0
    record.DirectoryRecordType = kind
    if charset is not None:
        record.SpecificCharacterSet = charset
    return record


def _short(tag: tuple[int, int], vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH", *tag) + vr + struct.pack("<H", len(value)) + value


def _text(value: str, pad: bytes) -> bytes:
    data = value.encode("ascii")
    return data + pad if len(data) % 2 else data


def image_record(file_id: Sequence[str], sop_class_uid: str, sop_instance_uid: str,
                 transfer_syntax_uid: str, instance_number: int) -> bytes:
    """An IMAGE record, encoded directly: byte for byte what ``_encode`` makes of
    :func:`directory_record` ``("IMAGE", …)`` plus the Referenced File keys (a test checks it),
    at a fiftieth of the cost, for file-sets of tens of thousands of images."""
    return b"".join((
        _short((0x0004, 0x1400), b"UL", b"\0\0\0\0"),
        _short((0x0004, 0x1410), b"US", b"\xff\xff"),
        _short((0x0004, 0x1420), b"UL", b"\0\0\0\0"),
        _short((0x0004, 0x1430), b"CS", b"IMAGE "),
        _short((0x0004, 0x1500), b"CS", _text("\\".join(file_id), b" ")),
        _short((0x0004, 0x1510), b"UI", _text(sop_class_uid, b"\0")),
        _short((0x0004, 0x1511), b"UI", _text(sop_instance_uid, b"\0")),
        _short((0x0004, 0x1512), b"UI", _text(transfer_syntax_uid, b"\0")),
        _short((0x0020, 0x0013), b"IS", _text(str(instance_number), b" ")),
    ))


def _encode(ds: Dataset) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


class DicomdirWriter:
    """Collect directory records, then write the DICOMDIR.

    Each record is encoded when it is added (Explicit VR Little Endian, as PS3.10 §8.6
    requires) and only its bytes are kept, a few hundred per instance. Records are written in
    pre-order, children in the order they were added.

    Parameters
    ----------
    fileset_uid
        The file-set's UID, written as the Media Storage SOP Instance UID.
    fileset_id
        File-set ID (0004,1130), at most 16 characters of A–Z 0–9 _ and space; ``None``
        writes it empty (it is Type 2).
    """

    def __init__(self, *, fileset_uid: str, fileset_id: str | None = None) -> None:
        self._uid = fileset_uid
        self._id = fileset_id
        self._encoded: list[bytes] = []
        self._children: list[list[int]] = []
        self._roots: list[int] = []

    def __len__(self) -> int:
        return len(self._encoded)

    def add(self, record: Dataset, parent: int | None = None) -> int:
        """Add ``record`` (from :func:`directory_record`) below ``parent`` (a handle this
        method returned, or ``None`` for the root); return the new record's handle."""
        return self.add_encoded(_encode(record), parent)

    def add_encoded(self, data: bytes, parent: int | None = None) -> int:
        """Add a record already encoded (Explicit VR Little Endian, offsets zero)."""
        if data[:_NEXT_AT] != _NEXT_HEADER or data[22:_LOWER_AT] != _LOWER_HEADER:
            raise ValueError("a directory record must start with the record keys")
        handle = len(self._encoded)
        self._encoded.append(data)
        self._children.append([])
        (self._roots if parent is None else self._children[parent]).append(handle)
        return handle

    def _preorder(self) -> Iterator[int]:
        stack = list(reversed(self._roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(self._children[node]))

    def _header(self, first: int, last: int) -> bytes:
        meta = FileMetaDataset()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.MediaStorageSOPInstanceUID = UID(self._uid)
        meta.MediaStorageSOPClassUID = MediaStorageDirectoryStorage
        ds = Dataset()
        ds.FileSetID = self._id
        ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity = first
        ds.OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity = last
        ds.FileSetConsistencyFlag = 0
        fp = DicomBytesIO()
        fp.is_little_endian = True
        fp.is_implicit_VR = False
        fp.write(b"\x00" * 128 + b"DICM")
        write_file_meta_info(fp, meta, enforce_standard=True)
        write_dataset(fp, ds)
        return bytes(fp.getvalue())

    def write(self, fp: BinaryIO) -> int:
        """Write the DICOMDIR to ``fp``; return the number of bytes written."""
        order = list(self._preorder())
        # The header's length does not depend on the offsets it holds (UL values).
        start = len(self._header(0, 0)) + len(_SEQUENCE_HEADER) + 4
        offsets = [0] * len(self._encoded)
        pos = start
        for node in order:
            offsets[node] = pos
            pos += 8 + len(self._encoded[node])
        following = [0] * len(self._encoded)
        for siblings in (self._roots, *self._children):
            for here, after in zip(siblings, siblings[1:]):
                following[here] = offsets[after]
        first = offsets[self._roots[0]] if self._roots else 0
        last = offsets[self._roots[-1]] if self._roots else 0
        out = bytearray(self._header(first, last))
        out += _SEQUENCE_HEADER + struct.pack("<I", pos - start)
        written = len(out)
        fp.write(out)
        for node in order:
            rec = bytearray(self._encoded[node])
            children = self._children[node]
            struct.pack_into("<I", rec, _NEXT_AT, following[node])
            struct.pack_into("<I", rec, _LOWER_AT, offsets[children[0]] if children else 0)
            fp.write(_ITEM + struct.pack("<I", len(rec)) + rec)
            written += 8 + len(rec)
        return written

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.write(buf)
        return buf.getvalue()


# --------------------------------------------------------------------------------------------
# A case's DICOMDIR
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectoryItem:
    """One instance to list: its File ID in the package and where its bytes are.

    ``file_id`` has five components, ``DICOM/PTnnnnnn/STnnnnnn/SEnnnnnn/IMnnnnnn``: the
    items of one patient, study and series share the first two, three and four.
    """

    file_id: tuple[str, ...]
    instance: Instance
    blob: Path
    transfer_syntax_uid: str


@dataclass(frozen=True, slots=True)
class DicomdirResult:
    data: bytes
    records: int
    filled: Mapping[str, int] = field(default_factory=dict)  # keyword → records it was filled in
    unlisted: tuple[tuple[str, ...], ...] = ()  # File IDs left out: no record could be made


_MISSING = re.compile(r"\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)")
_CODE_DEFAULTS: Final = {
    # A record needs a document title; the instance has none. Generic titles, record only.
    "SR DOCUMENT": ("18748-4", "LN", "Diagnostic imaging report"),
    "KEY OBJECT DOC": ("113000", "DCM", "Of Interest"),
}


def _code_item(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _default_for(keyword: str, kind: str, context: Mapping[str, Any]) -> Any:
    if keyword in context:
        return context[keyword]
    if keyword == "CompletionFlag":
        return "PARTIAL"
    if keyword == "VerificationFlag":
        return "UNVERIFIED"
    if keyword == "MIMETypeOfEncapsulatedDocument":
        return "application/octet-stream"
    if keyword == "ConceptNameCodeSequence":
        return [_code_item(*_CODE_DEFAULTS.get(kind, ("121071", "DCM", "Finding")))]
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise LookupError(keyword)
    vr = dictionary_VR(Tag(tag))
    defaults: dict[str, Any] = {
        "DA": "19000101", "TM": "000000", "DT": "19000101000000", "IS": "1", "DS": "0",
        "CS": "UNKNOWN", "SH": "UNKNOWN", "LO": "UNKNOWN", "PN": "UNKNOWN", "ST": "UNKNOWN",
        "LT": "UNKNOWN", "UT": "UNKNOWN", "US": 0, "UL": 0, "SS": 0, "SL": 0,
    }
    if vr in defaults:
        return defaults[vr]
    if vr == "UI":
        return generate_uid(entropy_srcs=[keyword, *map(str, context.values())])
    raise LookupError(keyword)


def _made_uid(level: str, fileset_uid: str, key: tuple[str, ...]) -> str:
    """A UID for a record whose instance lacks one: stable within this file-set only."""
    return str(generate_uid(entropy_srcs=[level, fileset_uid, *key]))


def _make_record(kind: str, source: Dataset, context: Mapping[str, Any], filled: Counter[str]) -> Dataset:
    """The record; a Type 1 key ``source`` lacks is set on ``source`` (a header we read into
    memory, never written back) and counted in ``filled``."""
    for _ in range(32):
        try:
            record = directory_record(kind, source, source.get("SpecificCharacterSet"))
        except ValueError as exc:
            match = _MISSING.search(str(exc))
            if match is None:
                raise
            keyword = pydicom.datadict.keyword_for_tag(Tag(int(match[1], 16), int(match[2], 16)))
            if not keyword:
                raise
            setattr(source, keyword, _default_for(keyword, kind, context))
            filled[keyword] += 1
            continue
        _conform(record, kind, context, filled)
        return record
    raise ValueError(f"could not complete a {kind} record")


_UID: Final = re.compile(r"[0-2](\.(0|[1-9][0-9]*))*")
_DA: Final = re.compile(r"\d{8}")
_TM: Final = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_MAX_LENGTH: Final = {"SH": 16, "CS": 16, "LO": 64, "PN": 64, "AE": 16}
_REQUIRED_DATES: Final = frozenset({"StudyDate", "StudyTime", "ContentDate", "ContentTime",
                                    "PresentationCreationDate", "PresentationCreationTime"})
_RECORD_UIDS: Final = frozenset({"StudyInstanceUID", "SeriesInstanceUID"})


def valid_uid(uid: str) -> bool:
    """A UID as PS3.5 §9.1 allows it (what dciodvfy checks): digits and dots, no leading
    zeros, a 0, 1 or 2 root, at most 64 characters."""
    return len(uid) <= 64 and _UID.fullmatch(uid) is not None


def _conform(record: Dataset, kind: str, context: Mapping[str, Any], filled: Counter[str]) -> None:
    """Make the values copied from an instance valid for their VR, in the record only.

    Old media carry ACR-NEMA dates (``1994.01.30``), times with colons, over-long strings and
    UIDs with impossible roots (``999.999…``); dciodvfy rejects them in a DICOMDIR. Dates and
    times are rewritten in the standard form, strings shortened to their VR's limit, and a
    study or series UID that cannot be used is replaced by one made for this file-set. A leaf's
    Referenced SOP Instance UID is never changed (the caller leaves such a leaf out).
    """
    if "ContentSequence" in record:
        # PS3.3 §F.5 (SR DOCUMENT, KEY OBJECT DOC): only the items that modify the root's
        # concept name belong in the record; pydicom copies the whole content tree.
        items = list(record.ContentSequence)
        kept = [item for item in items if item.get("RelationshipType") == "HAS CONCEPT MOD"]
        if len(kept) != len(items):
            if kept:
                record.ContentSequence = kept
            else:
                del record.ContentSequence
            filled["ContentSequence (reduced)"] += 1
    for elem in list(record):
        if elem.VR == "SQ" or elem.value in (None, "") or elem.VM != 1:
            continue
        keyword = elem.keyword
        value = str(elem.value)
        fixed: str | None = value
        if elem.VR == "DA" and not _DA.fullmatch(value):
            fixed = re.sub(r"[.\-/ ]", "", value)
            fixed = fixed if _DA.fullmatch(fixed) else ("19000101" if keyword in _REQUIRED_DATES else "")
        elif elem.VR == "TM" and not _TM.fullmatch(value):
            fixed = value.replace(":", "").strip()
            fixed = fixed if _TM.fullmatch(fixed) else ("000000" if keyword in _REQUIRED_DATES else "")
        elif elem.VR == "UI" and keyword in _RECORD_UIDS and not valid_uid(value):
            fixed = str(generate_uid(entropy_srcs=[keyword, value, *map(str, context.values())]))
        elif elem.VR in _MAX_LENGTH and len(value) > _MAX_LENGTH[elem.VR]:
            fixed = value[:_MAX_LENGTH[elem.VR]].rstrip()
        if fixed != value:
            record[elem.tag].value = fixed
            filled[f"{keyword} (made valid)"] += 1


def _index_header(inst: Instance) -> Dataset:
    """A header made from what the case index holds, when the file itself cannot be read."""
    ds = Dataset()
    values = {
        "PatientName": inst.patient.name, "PatientID": inst.patient.id,
        "StudyDate": inst.study_date, "StudyTime": inst.study_time,
        "StudyDescription": inst.study_description, "StudyInstanceUID": inst.study_uid,
        "AccessionNumber": inst.accession, "Modality": inst.modality,
        "SeriesInstanceUID": inst.series_uid, "SeriesNumber": inst.series_number,
        "InstanceNumber": inst.instance_number, "SOPClassUID": inst.sop_class_uid,
        "SOPInstanceUID": inst.sop_instance_uid,
    }
    text = "".join(str(v) for v in values.values() if v is not None)
    if not text.isascii():
        ds.SpecificCharacterSet = "ISO_IR 192"
    for keyword, value in values.items():
        if value not in (None, ""):
            setattr(ds, keyword, value)
    return ds


def _read_header(item: DirectoryItem) -> Dataset:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(item.blob, force=True, stop_before_pixels=True,
                                 defer_size=_HEADER_DEFER)
        ds.get("PatientID")  # decode lazily read elements now: a damaged header fails here
        return ds
    except Exception:  # noqa: BLE001 - pydicom raises many types on odd bytes; the index is the fallback
        log.debug("header of a listed instance unreadable; using the index", exc_info=True)
        return _index_header(item.instance)


def case_dicomdir(
    items: Sequence[DirectoryItem],
    *,
    fileset_uid: str,
    fileset_id: str | None = None,
    read_header: Callable[[DirectoryItem], Dataset] = _read_header,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> DicomdirResult:
    """The DICOMDIR of ``items`` (in File ID order: patient, study, series, instance).

    One header per patient, study and series is read from its first instance (pydicom, up to
    the pixel data) to make the PATIENT, STUDY and SERIES records, and one per leaf that is not
    an ``IMAGE``; ``IMAGE`` records are made from the case index alone (Instance Number).

    Type 1 keys an instance lacks are filled in its record only: dates ``19000101``, times
    ``000000``, Study ID the study's position, Series and Instance Numbers their position,
    Patient ID ``UNKNOWN``, codes and flags a generic value (see ``filled`` in the result). A
    leaf for which no record can be made stays in the package but out of the DICOMDIR
    (``unlisted``).
    """
    writer = DicomdirWriter(fileset_uid=fileset_uid, fileset_id=fileset_id)
    filled: Counter[str] = Counter()
    unlisted: list[tuple[str, ...]] = []
    handles: dict[tuple[str, ...], int] = {}
    counters: Counter[tuple[str, ...]] = Counter()
    for done, item in enumerate(items):
        if done % 256 == 0:
            cancel.raise_if_cancelled()
            progress(done, len(items), "Writing the DICOMDIR")
        fid = item.file_id
        if len(fid) != 5:
            raise ValueError("File IDs must be DICOM/PT/ST/SE/IM")
        inst = item.instance
        header: Dataset | None = None
        for depth, kind in ((2, "PATIENT"), (3, "STUDY"), (4, "SERIES")):
            key = fid[:depth]
            if key in handles:
                continue
            if header is None:
                header = read_header(item)
            parent = handles[fid[: depth - 1]] if depth > 2 else None
            counters[key[:-1]] += 1  # this record's position among its siblings
            context = {"PatientID": "UNKNOWN", "StudyID": str(counters[key[:-1]]),
                       "SeriesNumber": counters[key[:-1]],
                       "StudyInstanceUID": inst.study_uid or _made_uid("study", fileset_uid, key),
                       "SeriesInstanceUID": inst.series_uid or _made_uid("series", fileset_uid, key),
                       "Modality": inst.modality or "OT"}
            if kind == "STUDY" and not header.get("StudyInstanceUID"):
                # Type 1C in the record (dciodvfy requires it); the instance has none.
                header.StudyInstanceUID = context["StudyInstanceUID"]
                filled["StudyInstanceUID"] += 1
            record = _make_record(kind, header, context, filled)
            handles[key] = writer.add(record, parent)
        counters[fid[:4]] += 1
        position = counters[fid[:4]]
        kind = record_type(inst.sop_class_uid, inst.modality)
        ts = item.transfer_syntax_uid or ImplicitVRLittleEndian
        if not (valid_uid(inst.sop_instance_uid) and valid_uid(inst.sop_class_uid) and valid_uid(ts)):
            log.info("an instance has a UID a DICOMDIR cannot reference: kept, not listed")
            unlisted.append(fid)
            continue
        if kind == "IMAGE":
            number = inst.instance_number
            if number is None:
                filled["InstanceNumber"] += 1
                number = position
            writer.add_encoded(image_record(fid, inst.sop_class_uid, inst.sop_instance_uid, ts, number),
                               handles[fid[:4]])
            continue
        try:
            record = _make_record(kind, read_header(item), {"InstanceNumber": position}, filled)
        except (ValueError, LookupError):
            log.info("an instance has no directory record (%s): kept, not listed", kind)
            unlisted.append(fid)
            continue
        record.ReferencedFileID = list(fid)
        record.ReferencedSOPClassUIDInFile = inst.sop_class_uid
        record.ReferencedSOPInstanceUIDInFile = inst.sop_instance_uid
        record.ReferencedTransferSyntaxUIDInFile = ts
        writer.add(record, handles[fid[:4]])
    progress(len(items), len(items), "Writing the DICOMDIR")
    if filled:
        log.info("DICOMDIR: keys filled in records only: %s", dict(filled))
    return DicomdirResult(writer.to_bytes(), len(writer), dict(filled), tuple(unlisted))
