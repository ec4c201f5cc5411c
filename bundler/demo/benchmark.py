"""write_ct_series: many CT slices, fast, with their DICOMDIR (for the import benchmark)."""

from __future__ import annotations

import datetime
import logging
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset, validate_file_meta
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.uid import UID

from bundler.demo.images import (
    _FILESET_ID,
    _chest_ct_hu,
    _ct_dataset,
    _ct_stored,
    _SeriesSpec,
    _StudySpec,
)
from bundler.demo.story import _RIVERSIDE, _ds, _Uids
from bundler.errors import UsageError
from bundler.export.dicomdir_writer import DicomdirWriter, directory_record
from bundler.progress import NO_PROGRESS, Progress

__all__ = ["write_ct_series"]

_log = logging.getLogger(__name__)

_CT_SERIES_MAX = 500  # write_ct_series: slices per series, as a scanner would split them
_MAX_FILES_PER_FOLDER = 10**6  # FileSet's numeric File IDs: IM000000..IM999999


def _encode(elem: DataElement, encodings: list[str]) -> bytes:
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    write_data_element(fp, elem, encodings)
    return bytes(fp.getvalue())


class _SliceWriter:
    """Writes Part 10 files that differ from a template only in a few top-level elements.

    pydicom spends ~5 ms per element-rich dataset; a benchmark of thousands of slices cannot
    afford that. The template's constant elements are encoded once; per file only the varying
    elements (and the File Meta group, whose length depends on the SOP Instance UID) are
    encoded, each by pydicom itself. Explicit VR Little Endian is a concatenation of elements
    in tag order (PS3.5 §7.1), so the result is byte-identical to ``dcmwrite`` of the modified
    dataset, which the tests check.
    """

    def __init__(self, template: Dataset, varying: Sequence[str]) -> None:
        meta = FileMetaDataset(template.file_meta)
        validate_file_meta(meta, enforce_standard=True)  # adds version and implementation
        self._meta = meta
        self._encodings = convert_encodings(template.get("SpecificCharacterSet", "ISO_IR 6"))
        self._segments: list[bytes | str] = []
        for elem in template:
            key = elem.keyword
            if key in varying:
                self._segments.append(key)
            elif self._segments and isinstance(self._segments[-1], bytes):
                self._segments[-1] += _encode(elem, self._encodings)
            else:
                self._segments.append(_encode(elem, self._encodings))
        self._template = template

    def chunks(self, sop_instance_uid: str, values: dict[str, Any]) -> list[bytes]:
        """The encoded file for one instance, as a list of byte strings to write in order."""
        meta = FileMetaDataset(self._meta)
        meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
        fp = DicomBytesIO()
        fp.write(b"\x00" * 128 + b"DICM")
        write_file_meta_info(fp, meta, enforce_standard=True)
        out = [bytes(fp.getvalue())]
        for seg in self._segments:
            if isinstance(seg, bytes):
                out.append(seg)
                continue
            elem = self._template[seg]
            value = sop_instance_uid if seg == "SOPInstanceUID" else values[seg]
            out.append(_encode(DataElement(elem.tag, elem.VR, value), self._encodings))
        return out


def _ct_benchmark_template(
    uids: _Uids, matrix: int, pixels: bytes, seed: int, spacing: float
) -> Dataset:
    rng = random.Random(seed)
    day = datetime.date(2025, 11, 3)
    study = _StudySpec(
        key="ct-bench",
        uid=uids("study", "ct-bench"),
        date=day,
        time="101512",
        modality="CT",
        description="CT CHEST WO CONTRAST THIN",
        accession=f"RIC{day:%y%m%d}{rng.randrange(1000, 10000)}",
        study_id=str(rng.randrange(10000, 100000)),
        facility=_RIVERSIDE,
        body_part="CHEST",
        frame_of_reference=uids("for", "ct-bench"),
    )
    spec = _SeriesSpec(uids("series", "ct-bench", 1), 1, "CT", "AX 0.625MM LUNG", "101803")
    ds = _ct_dataset(
        uids, study, spec, 1, matrix=matrix, z=0.0, thickness=spacing, window=(-600, 1500),
        kernel="LUNG", kvp=120, ma=200, contrast=False, pixels=pixels,
    )  # fmt: skip
    return ds


def _file_id(series_index: int, image_index: int) -> tuple[str, str, str, str]:
    """PS3.10 §8.5 File ID components, the same as FileSet's default layout."""
    return ("PT000000", "ST000000", f"SE{series_index:06d}", f"IM{image_index:06d}")


def write_ct_series(
    out_dir: Path,
    *,
    count: int,
    matrix: int = 512,
    seed: int = 1,
    with_dicomdir: bool = True,
    progress: Progress | None = None,
) -> list[Path]:
    """Write ``count`` single-frame CT slices (int16, ``matrix`` x ``matrix``) as a CD layout.

    For the import benchmark: pixel data is generated once and only a few pixels (an
    instance counter in the air corner) and header fields change per file. Slices are split
    into series of at most 500, as a scanner would, under
    ``PT000000/ST000000/SE00000n/IM00000m``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing, and must be empty.
    count
        Number of instances (1 to 999,999).
    matrix
        Rows and columns.
    seed
        Drives UIDs and noise; the same seed gives byte-identical files.
    with_dicomdir
        Also write a ``DICOMDIR`` (STD-GEN-CD file-set) at ``out_dir``.
    progress
        Called with (files written, ``count``, message) every 50 files and at the end.

    Returns
    -------
    list of Path
        The instance files, in instance order.

    Notes
    -----
    :meth:`pydicom.fileset.FileSet.add` is quadratic in the number of instances (over five
    minutes for 5,000), so the ``DICOMDIR`` is written by :func:`_write_dicomdir`, which builds
    the same records with pydicom's own record creators and lays them out with the same offset
    algorithm. For a given set of files its bytes equal FileSet's (a test checks it).
    """
    if not 1 <= count < _MAX_FILES_PER_FOLDER:
        raise UsageError("count must be between 1 and 999,999.", code="demo_size")
    if not 16 <= matrix <= 2048:
        raise UsageError("matrix must be between 16 and 2048.", code="demo_size")
    report = progress or NO_PROGRESS
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError("The output folder must be empty.", code="demo_exists")
    out_dir.mkdir(parents=True, exist_ok=True)

    uids = _Uids(seed)
    spacing = 0.625
    hu = _chest_ct_hu(
        matrix, 0.35, np.random.default_rng(seed), contrast=False, nodule_radius=0.03,
        noise_hu=18.0,
    )  # fmt: skip
    base = np.frombuffer(_ct_stored(hu), dtype="<i2").copy()
    template = _ct_benchmark_template(uids, matrix, base.tobytes(), seed, spacing)
    varying = ("SOPInstanceUID", "SeriesInstanceUID", "SeriesNumber", "SeriesDescription",
               "InstanceNumber", "ImagePositionPatient", "SliceLocation", "PixelData")  # fmt: skip
    writer = _SliceWriter(template, varying)
    air = 24  # stored value of -1000 HU
    corner = template.ImagePositionPatient[0]

    paths: list[Path] = []
    records: list[tuple[tuple[str, ...], Dataset]] = []
    for i in range(count):
        s, k = divmod(i, _CT_SERIES_MAX)
        number = k + 1
        series_uid = uids("series", "ct-bench", s + 1)
        sop_uid = uids("sop", "ct-bench", s + 1, number)
        z = -40.0 - k * spacing
        # A counter in the top-left air pixels makes every slice's pixel data unique.
        base[:6] = np.asarray([int(c) for c in f"{i:06d}"], dtype="<i2") + air
        values: dict[str, Any] = {
            "SeriesInstanceUID": series_uid,
            "SeriesNumber": s + 1,
            "SeriesDescription": f"AX 0.625MM LUNG PART {s + 1}",
            "InstanceNumber": number,
            "ImagePositionPatient": [corner, corner, _ds(z)],
            "SliceLocation": _ds(z),
            "PixelData": base.tobytes(),
        }
        file_id = _file_id(s, k)
        path = out_dir.joinpath(*file_id)
        if k == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.writelines(writer.chunks(sop_uid, values))
        paths.append(path)
        if with_dicomdir:
            header = Dataset()
            header.SOPClassUID = template.SOPClassUID
            header.SOPInstanceUID = sop_uid
            header.SeriesInstanceUID = series_uid
            header.SeriesNumber = s + 1
            header.InstanceNumber = number
            records.append((file_id, header))
        if (i + 1) % 50 == 0 or i + 1 == count:
            report(i + 1, count, "Writing CT instances")

    if with_dicomdir:
        _write_dicomdir(
            out_dir / "DICOMDIR",
            template=template,
            instances=records,
            fileset_uid=uids("fileset", "ct-bench"),
            fileset_id=_FILESET_ID,
        )
    _log.info("wrote %d CT instances (%d x %d)", count, matrix, matrix)
    return paths


# --------------------------------------------------------------------------------------------
# The DICOMDIR of write_ct_series: one patient and one study (bundler.export.dicomdir_writer
# does FileSet's layout without its O(n²))
# --------------------------------------------------------------------------------------------


def _write_dicomdir(
    path: Path,
    *,
    template: Dataset,
    instances: Sequence[tuple[tuple[str, ...], Dataset]],
    fileset_uid: str,
    fileset_id: str,
) -> None:
    """Write a DICOMDIR for instances of the template's patient and study.

    ``instances`` holds (File ID components, header) pairs, in the order FileSet would have
    added them; a header carries the SOP Class/Instance UIDs, the Series Instance UID and
    Number and the Instance Number.
    """
    charset = template.get("SpecificCharacterSet")
    writer = DicomdirWriter(fileset_uid=fileset_uid, fileset_id=fileset_id)
    patient = writer.add(directory_record("PATIENT", template, charset))
    study = writer.add(directory_record("STUDY", template, charset), patient)
    series: dict[str, int] = {}
    for file_id, header in instances:
        node = series.get(header.SeriesInstanceUID)
        if node is None:
            probe = Dataset()
            probe.Modality = template.Modality
            probe.SeriesInstanceUID = header.SeriesInstanceUID
            probe.SeriesNumber = header.SeriesNumber
            node = series[header.SeriesInstanceUID] = writer.add(
                directory_record("SERIES", probe, charset), study
            )
        leaf = directory_record("IMAGE", header, charset)
        leaf.ReferencedFileID = list(file_id)
        leaf.ReferencedSOPClassUIDInFile = header.SOPClassUID
        leaf.ReferencedSOPInstanceUIDInFile = header.SOPInstanceUID
        leaf.ReferencedTransferSyntaxUIDInFile = template.file_meta.TransferSyntaxUID
        writer.add(leaf, node)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        writer.write(fh)
    os.replace(tmp, path)
