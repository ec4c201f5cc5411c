"""DICOM detection and header indexing (no pixels are read or decoded here).

Two kinds of files are DICOM: PS3.10 files (128-byte preamble, ``DICM``, File Meta group) and
bare datasets without preamble or File Meta, which some old discs and toolkits still write.
Detection is strict: bytes 128–131 spelling ``DICM`` by chance do not make a file DICOM, and a
bare dataset must start with a plausible data element in one of the three encodings.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError

from bundler.model import DicomObjectKind, Patient

__all__ = [
    "DicomHeader",
    "DicomReadError",
    "Encoding",
    "MEDIA_STORAGE_DIRECTORY",
    "object_kind",
    "read_header",
    "sniff",
]

log = logging.getLogger(__name__)

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"

# PS3.5 §6.2 value representations; a bare dataset in explicit VR must start with one.
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split()
)

# PS3.5 Annex A transfer syntaxes whose pixel data went through a lossy step.
_LOSSY_SYNTAXES = frozenset({
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline
    "1.2.840.10008.1.2.4.51",  # JPEG Extended
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000 (lossy allowed)
    "1.2.840.10008.1.2.4.93",  # JPIP JPEG 2000
    "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108",  # MPEG/HEVC
    "1.2.840.10008.1.2.4.203",  # HTJ2K
})

_PIXEL_TAGS_GE = {(0x7FE0, 0x0010), (0x7FE0, 0x0008), (0x7FE0, 0x0009)}
_DEFLATED = {"1.2.840.10008.1.2.1.99"}
_DEFER_BYTES = 256 * 1024
_UNDEFINED = 0xFFFFFFFF
_SEQ_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


class Encoding(StrEnum):
    PART10 = "part10"  # preamble + DICM + File Meta
    BARE = "bare"  # a dataset with neither preamble nor File Meta


class DicomReadError(Exception):
    """The file looks like DICOM but cannot be indexed; ``reason`` is a log reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DicomHeader:
    """What the index keeps of one DICOM file."""

    sop_instance_uid: str
    sop_class_uid: str
    study_uid: str
    series_uid: str
    patient: Patient
    study_date: str
    study_time: str
    study_description: str
    accession: str
    referring_physician: str
    institution: str
    modality: str
    body_part: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    transfer_syntax_uid: str
    frames: int
    lossy: bool
    image_type: str
    kind: DicomObjectKind
    encoding: Encoding
    specific_character_set: str
    document_title: str
    document_mime_type: str
    promised_count: int | None = None  # instances the header says the series/acquisition has

    @property
    def is_media_directory(self) -> bool:
        return self.sop_class_uid == MEDIA_STORAGE_DIRECTORY


def sniff(head: bytes) -> Encoding | None:
    """Say whether a file's first bytes (at least 132 when available) are DICOM, and which kind."""
    if len(head) >= 136 and head[128:132] == b"DICM":
        # PS3.10 §7.1: the File Meta group (0002,xxxx) follows, Explicit VR Little Endian.
        if head[132:134] == b"\x02\x00" and head[136:138] in _VRS:
            return Encoding.PART10
        # "DICM" by accident (or a meta group too damaged to trust): fall through.
    return Encoding.BARE if _plausible_bare_start(head) else None


def _plausible_bare_start(head: bytes) -> bool:
    if len(head) < 12:
        return False
    for endian in ("<", ">"):
        group, _element = struct.unpack(endian + "HH", head[:4])
        if group % 2 or not 0x0002 <= group <= 0x0028:
            continue
        if head[4:6] in _VRS:  # explicit VR
            return True
        if endian == "<":  # implicit VR is little endian only
            (length,) = struct.unpack("<I", head[4:8])
            if length < 1024 and (length % 2 == 0 or group == 0x0008):
                # The next element must be in the same or a later group.
                nxt = 8 + length
                if len(head) >= nxt + 4:
                    g2, _e2 = struct.unpack("<HH", head[nxt : nxt + 4])
                    if g2 >= group and g2 % 2 == 0:
                        return True
                else:
                    return True
    return False


def read_header(fp: BinaryIO, *, size: int, encoding: Encoding) -> DicomHeader:
    """Index one DICOM file from a seekable binary stream; never decodes pixels.

    Raises :class:`DicomReadError` for files that cannot be indexed (truncated, malformed, no
    SOP Instance UID).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Stop before pixels; defer large values so an absurd length is a seek, not a read.
            ds = pydicom.dcmread(fp, force=encoding is Encoding.BARE, stop_before_pixels=True,
                                 defer_size=_DEFER_BYTES)
            end_of_header = fp.tell()
    except (InvalidDicomError, EOFError) as e:
        raise DicomReadError("dicom_truncated" if isinstance(e, EOFError) else "dicom_malformed",
                             "The file ends early or its header is damaged.") from e
    except (RecursionError, MemoryError) as e:
        raise DicomReadError("dicom_malformed", "The DICOM header is absurdly nested or sized.") from e
    except Exception as e:  # noqa: BLE001 - pydicom raises many types on hostile bytes; all mean "malformed"
        raise DicomReadError("dicom_malformed", "The DICOM header could not be read.") from e

    meta = getattr(ds, "file_meta", None)
    sop_uid = _text(ds, "SOPInstanceUID") or (_text(meta, "MediaStorageSOPInstanceUID") if meta else "")
    sop_class = _text(ds, "SOPClassUID") or (_text(meta, "MediaStorageSOPClassUID") if meta else "")
    if sop_class == MEDIA_STORAGE_DIRECTORY or (meta is not None and _text(meta, "MediaStorageSOPClassUID") == MEDIA_STORAGE_DIRECTORY):
        sop_class = MEDIA_STORAGE_DIRECTORY
        sop_uid = sop_uid or "dicomdir"
    if not sop_uid:
        raise DicomReadError("dicom_no_uid", "The file has no SOP Instance UID, so it cannot be indexed.")
    ts = ""
    if meta is not None:
        ts = _text(meta, "TransferSyntaxUID")
    if not ts:
        ts = _implied_syntax(ds)
    has_pixels = False
    if ts not in _DEFLATED:  # a deflated stream's offsets are not file offsets
        has_pixels = _check_complete(fp, end_of_header, size)
    frames = _int(ds, "NumberOfFrames") or 1
    lossy = _text(ds, "LossyImageCompression") == "01" or ts in _LOSSY_SYNTAXES
    charset = ds.get("SpecificCharacterSet")
    charset_text = "\\".join(charset) if isinstance(charset, (list, tuple, pydicom.multival.MultiValue)) else str(charset or "")
    return DicomHeader(
        sop_instance_uid=sop_uid,
        sop_class_uid=sop_class,
        study_uid=_text(ds, "StudyInstanceUID"),
        series_uid=_text(ds, "SeriesInstanceUID"),
        patient=Patient(
            name=_text(ds, "PatientName"),
            id=_text(ds, "PatientID"),
            birth_date=_text(ds, "PatientBirthDate"),
            sex=_text(ds, "PatientSex"),
        ),
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        study_description=_text(ds, "StudyDescription"),
        accession=_text(ds, "AccessionNumber"),
        referring_physician=_text(ds, "ReferringPhysicianName"),
        institution=_text(ds, "InstitutionName"),
        modality=_text(ds, "Modality"),
        body_part=_text(ds, "BodyPartExamined"),
        series_description=_text(ds, "SeriesDescription"),
        series_number=_int(ds, "SeriesNumber"),
        instance_number=_int(ds, "InstanceNumber"),
        transfer_syntax_uid=ts,
        frames=frames,
        lossy=lossy,
        image_type="\\".join(_multi(ds, "ImageType")),
        kind=object_kind(sop_class, has_pixels=has_pixels or "Rows" in ds),
        encoding=encoding,
        specific_character_set=charset_text,
        document_title=_text(ds, "DocumentTitle"),
        document_mime_type=_text(ds, "MIMETypeOfEncapsulatedDocument"),
        # (0020,1209) is rare in files; (0020,1002) is what modalities write (PS3.3 C.7.6.1).
        promised_count=_int(ds, "NumberOfSeriesRelatedInstances") or _int(ds, "ImagesInAcquisition"),
    )


def _check_complete(fp: BinaryIO, end_of_header: int, size: int) -> bool:
    """Raise if the file is shorter than its header promises; return whether pixel data follows.

    pydicom stops with the stream at the pixel data element's tag (or at the end). A header
    element that claimed more bytes than the file holds leaves the stream past the end.
    """
    if end_of_header > size:
        raise DicomReadError("dicom_truncated", "The file ends early: the copy is incomplete.")
    fp.seek(end_of_header)
    head = fp.read(12)
    if len(head) < 8:
        return False
    le = struct.unpack("<HH", head[:4])
    be = struct.unpack(">HH", head[:4])
    if le in _PIXEL_TAGS_GE:
        endian = "<"
    elif be in _PIXEL_TAGS_GE:
        endian = ">"
    else:
        return False
    if head[4:6] in _VRS:  # explicit VR: OB/OW/OF/OD have 2 reserved bytes then a 4-byte length
        if len(head) < 12:
            raise DicomReadError("dicom_truncated", "The image data ends early: the copy is incomplete.")
        (length,) = struct.unpack(endian + "I", head[8:12])
        start = end_of_header + 12
    else:
        (length,) = struct.unpack(endian + "I", head[4:8])
        start = end_of_header + 8
    if length == _UNDEFINED:
        # Encapsulated pixel data must end with a Sequence Delimitation Item (PS3.5 §A.4),
        # possibly followed by trailing padding.
        fp.seek(max(size - 4096, start))
        if _SEQ_DELIMITER not in fp.read():
            raise DicomReadError("dicom_truncated", "The image data ends early: the copy is incomplete.")
    elif start + length > size:
        raise DicomReadError("dicom_truncated", "The image data ends early: the copy is incomplete.")
    return True


def _implied_syntax(ds: Any) -> str:
    if getattr(ds, "is_little_endian", True) is False:
        return "1.2.840.10008.1.2.2"
    if getattr(ds, "is_implicit_VR", False):
        return "1.2.840.10008.1.2"
    return "1.2.840.10008.1.2.1"


def _text(ds: Any, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - any decoding failure of outside data means "absent"
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        value = value[0] if len(value) else ""
    try:
        text = str(value)
    except Exception:  # noqa: BLE001
        return ""
    return text.strip("\x00 ").replace("\x00", "")


def _multi(ds: Any, keyword: str) -> list[str]:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001
        return []
    if value is None:
        return []
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [str(v) for v in value]
    return [str(value)]


def _int(ds: Any, keyword: str) -> int | None:
    text = _text(ds, keyword)
    try:
        return int(float(text)) if text else None
    except (ValueError, OverflowError):
        return None


def object_kind(sop_class_uid: str, *, has_pixels: bool) -> DicomObjectKind:
    """What an instance is, from its SOP Class (PS3.4 Annex B)."""
    uid = sop_class_uid
    if uid == "1.2.840.10008.5.1.4.1.1.104.1":
        return DicomObjectKind.ENCAPSULATED_PDF
    if uid.startswith("1.2.840.10008.5.1.4.1.1.104."):
        return DicomObjectKind.ENCAPSULATED_DOCUMENT
    if uid == "1.2.840.10008.5.1.4.1.1.88.59":
        return DicomObjectKind.KEY_OBJECT_SELECTION
    if uid.startswith("1.2.840.10008.5.1.4.1.1.88."):
        return DicomObjectKind.STRUCTURED_REPORT
    if uid.startswith("1.2.840.10008.5.1.4.1.1.11."):
        return DicomObjectKind.PRESENTATION_STATE
    if uid.startswith("1.2.840.10008.5.1.4.1.1.9."):
        return DicomObjectKind.WAVEFORM
    if uid == "1.2.840.10008.5.1.4.1.1.66.4":
        return DicomObjectKind.SEGMENTATION
    if uid.startswith("1.2.840.10008.5.1.4.1.1.481."):
        return DicomObjectKind.RT_OBJECT if not (uid.endswith(".481.1") and has_pixels) else DicomObjectKind.IMAGE
    if has_pixels:
        return DicomObjectKind.IMAGE
    return DicomObjectKind.OTHER


def read_header_bytes(data: bytes, *, encoding: Encoding) -> DicomHeader:
    """Convenience for in-memory files."""
    return read_header(io.BytesIO(data), size=len(data), encoding=encoding)
