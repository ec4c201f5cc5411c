"""A synthetic, realistic demo case: a hospital CD and a folder of documents.

Everything here is invented: the patient, the facilities, the clinicians and the findings.
The case tells one coherent story so that every later stage has something real to chew on:

* a screening low-dose CT of the chest found a small right upper lobe nodule;
* a chest X-ray (PA and lateral) for a cough, then a CT chest with contrast a year after the
  screening CT, showing the nodule has grown (Lung-RADS 4B, hedged findings, a comparison);
* a CT-guided biopsy (pathology report: adenocarcinoma, molecular results "to follow");
* a staging MR brain (images only: its report is missing, as it often is on a real disc);
* a pulmonology visit note that orders a PET/CT (not in the records: another real gap);
* lab results and a medication list.

:func:`write_demo` writes the CD (DICOMDIR through :class:`pydicom.fileset.FileSet`, viewer junk
at the root the way real discs have it) and the documents. :func:`write_ct_series` writes many
CT slices fast, for the import benchmark. Both are deterministic: the same ``seed`` (and
``today``) give byte-identical files.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import io
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt
from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset, validate_file_meta
from pydicom.filebase import DicomBytesIO
from pydicom.fileset import FileSet
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    UID,
    generate_uid,
)
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bundler.errors import UsageError
from bundler.export.dicomdir_writer import DicomdirWriter, directory_record
from bundler.progress import NO_PROGRESS, Progress

__all__ = ["DemoCase", "DemoStudy", "write_ct_series", "write_demo"]

_log = logging.getLogger(__name__)

_FloatImage = npt.NDArray[np.float32]


# --------------------------------------------------------------------------------------------
# What was written
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStudy:
    """One study written to the demo CD.

    Attributes
    ----------
    study_uid
        Study Instance UID.
    date
        Study Date as in the DICOM header, ``YYYYMMDD``.
    modality
        The study's imaging modality (``CT``, ``MR``, ``CR``); a study may also hold a ``DOC``
        series (the encapsulated PDF report), counted in ``series_count``.
    description
        Study Description.
    accession
        Accession Number.
    series_count, instance_count
        Number of series and of instances (files) in the study.
    """

    study_uid: str
    date: str
    modality: str
    description: str
    accession: str
    series_count: int
    instance_count: int


@dataclass(frozen=True)
class DemoCase:
    """What :func:`write_demo` wrote, for tests and the CLI.

    Attributes
    ----------
    root
        The output folder given to :func:`write_demo`.
    cd_dir
        ``root/CD``: a hospital-CD-like folder with ``DICOMDIR`` at its root.
    documents_dir
        ``root/Documents``: PDFs and a CSV, as a patient portal would give them.
    patient_name
        The DICOM Patient's Name, decoded (``Family^Given``; not ASCII, not even Latin-1).
    patient_id, birth_date
        Patient ID (the MRN in the documents) and birth date ``YYYYMMDD``.
    studies
        The studies on the CD, current CT first.
    dicom_files
        Instance files under ``cd_dir`` (not counting ``DICOMDIR`` or the viewer junk).
    document_files
        Files under ``documents_dir``.
    junk_files
        POSIX paths, relative to ``cd_dir``, of the non-DICOM viewer files on the disc.
    """

    root: Path
    cd_dir: Path
    documents_dir: Path
    patient_name: str
    patient_id: str
    birth_date: str
    studies: tuple[DemoStudy, ...]
    dicom_files: int
    document_files: int
    junk_files: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# The invented cast
# --------------------------------------------------------------------------------------------

# "Š" is outside Latin-1 (ISO_IR 100), so the name needs ISO_IR 192 (UTF-8) in DICOM, yet it is
# in WinAnsi, so the standard PDF fonts print it and text extraction gives it back.
_FAMILY = "Muñoz-Šimková"
_GIVEN = "Zoë"
_PATIENT_NAME = f"{_FAMILY}^{_GIVEN}"
_PATIENT_ID = "LUH-4471203"
_ISSUER = "LUH"
_BIRTH = datetime.date(1962, 8, 23)
_SEX = "F"
_CHARSET = "ISO_IR 192"

_UID_NAMESPACE = "records-bundler-demo"
_MANUFACTURER = "Northwind Medical Systems"  # invented, like everything else here
_FILESET_ID = "LUH_IMAGING"
_CT_FOV_MM = 360.0
_CT_COVERAGE_MM = 300.0
_MR_FOV_MM = 240.0
_CT_LUNG_SERIES = 3  # the current CT's lung-window series, which the report's findings cite
_CT_SERIES_MAX = 500  # write_ct_series: slices per series, as a scanner would split them
_MAX_FILES_PER_FOLDER = 10**6  # FileSet's numeric File IDs: IM000000..IM999999

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class _Facility:
    name: str
    address: str
    phone: str
    station: str


_RIVERSIDE = _Facility(
    "Riverside Imaging Center",
    "1450 Riverside Parkway, Suite 200, Millbrook, ST 01234",
    "(555) 014-2200",
    "RIC",
)
_LAKESIDE = _Facility(
    "Lakeside University Hospital",
    "800 Lakeshore Drive, Millbrook, ST 01235",
    "(555) 014-3000",
    "LUH",
)

_PULMONOLOGIST = ("Okafor", "Adaeze")
_RADIOLOGIST = ("Raman-Whitfield", "Priya")
_PATHOLOGIST = ("Etxeberria", "Marisol")
_INTERVENTIONALIST = ("Achterberg", "Daniel")


def _dicom_pn(person: tuple[str, str]) -> str:
    return f"{person[0]}^{person[1]}^^^MD"


def _human(person: tuple[str, str]) -> str:
    return f"{person[1]} {person[0]}, MD"


def _long_date(d: datetime.date) -> str:
    """``12 March 2025``, whatever the process locale."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _da(d: datetime.date) -> str:
    return d.strftime("%Y%m%d")


def _ds(value: float) -> str:
    """A Decimal String of at most 16 characters (PS3.5 §6.2), without float noise."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _age(on: datetime.date) -> int:
    return on.year - _BIRTH.year - ((on.month, on.day) < (_BIRTH.month, _BIRTH.day))


class _Uids:
    """Deterministic UIDs: the same seed and label give the same UID on every run."""

    def __init__(self, seed: int) -> None:
        self._seed = str(seed)

    def __call__(self, *label: object) -> str:
        parts = [_UID_NAMESPACE, self._seed, *(str(p) for p in label)]
        return str(generate_uid(entropy_srcs=["/".join(parts)]))


# --------------------------------------------------------------------------------------------
# Pixels: a few numpy operations that look like a chest, a brain and a chest film
# --------------------------------------------------------------------------------------------


def _grid(rows: int, cols: int) -> tuple[_FloatImage, _FloatImage]:
    """Normalised coordinates: u left→right, v top→bottom, both in [-1, 1]."""
    v, u = np.mgrid[0:rows, 0:cols].astype(np.float32)
    return (u - (cols - 1) / 2) / (cols / 2), (v - (rows - 1) / 2) / (rows / 2)


def _ellipse(
    u: _FloatImage, v: _FloatImage, cu: float, cv: float, au: float, av: float
) -> npt.NDArray[np.bool_]:
    return ((u - cu) / au) ** 2 + ((v - cv) / av) ** 2 <= 1.0


def _chest_ct_hu(
    matrix: int,
    frac: float,
    rng: np.random.Generator,
    *,
    contrast: bool,
    nodule_radius: float,
    noise_hu: float,
) -> _FloatImage:
    """One axial slice of a chest in Hounsfield units, seen from the feet (patient right on the
    image left, anterior at the top). ``frac`` runs from the lung apex (0) to the bases (1);
    ``nodule_radius`` is in normalised units (0 for none)."""
    u, v = _grid(matrix, matrix)
    hu = np.full((matrix, matrix), -1000.0, dtype=np.float32)
    hu[(v > 0.70) & (v < 0.76) & (np.abs(u) < 0.9)] = 150.0  # the table
    hu[_ellipse(u, v, 0.0, 0.04, 0.82, 0.60)] = -95.0  # subcutaneous fat
    hu[_ellipse(u, v, 0.0, 0.04, 0.75, 0.53)] = 45.0  # muscle and mediastinum
    # Lungs are small at the apex, largest in the middle, cut by the diaphragm at the bases.
    size = float(np.sin(np.pi * (0.12 + 0.80 * frac))) ** 0.5
    heart = _ellipse(u, v, 0.12, -0.10, 0.27 * size, 0.24 * size) if frac > 0.45 else None
    # The mediastinum and the spine flatten the lungs' medial borders; the heart notches the left.
    medial = _ellipse(u, v, 0.02, -0.05, 0.15, 0.60) | _ellipse(u, v, 0.0, 0.36, 0.17, 0.15)
    if heart is not None:
        medial |= _ellipse(u, v, 0.12, -0.10, 0.30 * size, 0.27 * size)
    right = _ellipse(u, v, -0.37, 0.0, 0.31 * size + 0.04, 0.45 * size) & ~medial
    left = _ellipse(u, v, 0.38, 0.02, 0.29 * size + 0.04, 0.43 * size) & ~medial
    lungs = right | left
    hu[lungs] = -860.0
    if heart is not None:  # anterior and to the patient's left
        hu[heart] = 160.0 if contrast else 40.0
    else:  # great vessels and the trachea above the heart
        hu[_ellipse(u, v, -0.04, -0.16, 0.07, 0.07)] = 260.0 if contrast else 45.0
        hu[_ellipse(u, v, 0.0, -0.02, 0.055, 0.05)] = -1000.0
    hu[_ellipse(u, v, 0.11, 0.27, 0.06, 0.06)] = 240.0 if contrast else 45.0  # descending aorta
    # Vessels and a little emphysema make the lungs look like lungs.
    for value, radius, count in ((-20.0, 0.012 + 1.0 / matrix, max(8, matrix // 6)),
                                 (-960.0, 0.02, max(4, matrix // 20))):  # fmt: skip
        cu = rng.uniform(-0.6, 0.6, count)
        cv = rng.uniform(-0.35, 0.4, count)
        half = int(np.ceil(radius * matrix / 2)) + 1
        for pu, pv in zip(cu, cv, strict=True):
            # Only the spot's neighbourhood: whole-image masks per spot are slow at 512².
            col, row = int((pu + 1) * matrix / 2), int((pv + 1) * matrix / 2)
            box = np.s_[max(0, row - half) : row + half + 1, max(0, col - half) : col + half + 1]
            spot = _ellipse(u[box], v[box], float(pu), float(pv), radius, radius) & lungs[box]
            hu[box][spot] = value
    if nodule_radius > 0:  # posterior segment of the right upper lobe
        hu[_ellipse(u, v, -0.36, 0.10, nodule_radius, nodule_radius) & right] = 30.0
    # Spine: cortical ring, cancellous body, canal; sternum; ribs along the chest wall.
    hu[_ellipse(u, v, 0.0, 0.36, 0.10, 0.09)] = 750.0
    hu[_ellipse(u, v, 0.0, 0.36, 0.075, 0.065)] = 260.0
    hu[_ellipse(u, v, 0.0, 0.50, 0.045, 0.04)] = 20.0
    hu[_ellipse(u, v, 0.0, 0.55, 0.09, 0.025)] = 650.0
    hu[_ellipse(u, v, 0.0, -0.47, 0.06, 0.025)] = 550.0
    for angle in np.linspace(0.35, np.pi - 0.35, 8):  # ribs, just inside the chest wall
        ru = 0.70 * float(np.cos(angle))
        for rv in (0.04 - 0.49 * float(np.sin(angle)), 0.04 + 0.47 * float(np.sin(angle))):
            hu[_ellipse(u, v, ru, rv, 0.035, 0.022)] = 700.0
    hu += rng.normal(0.0, noise_hu, hu.shape).astype(np.float32)
    return hu


def _ct_stored(hu: _FloatImage) -> bytes:
    """HU → stored signed 16-bit values with Rescale Intercept -1024, slope 1."""
    return np.clip(np.rint(hu) + 1024.0, -1024, 3071).astype("<i2").tobytes()


def _brain_mr(matrix: int, frac: float, rng: np.random.Generator, *, flair: bool) -> bytes:
    """One axial slice of a head, skull base (0) to vertex (1), 12-bit unsigned."""
    u, v = _grid(matrix, matrix)
    img = np.zeros((matrix, matrix), dtype=np.float32)
    scale = float(np.sqrt(max(0.05, 1.0 - (frac * 0.9) ** 2)))
    au, av = 0.72 * scale, 0.88 * scale
    img[_ellipse(u, v, 0, 0, au, av)] = 380.0 if flair else 900.0  # scalp fat
    img[_ellipse(u, v, 0, 0, au * 0.93, av * 0.94)] = 40.0  # skull
    img[_ellipse(u, v, 0, 0, au * 0.87, av * 0.89)] = 120.0 if flair else 260.0  # CSF
    img[_ellipse(u, v, 0, 0, au * 0.84, av * 0.86)] = 520.0 if flair else 560.0  # grey matter
    img[_ellipse(u, v, 0, 0.02, au * 0.64, av * 0.68)] = 430.0 if flair else 680.0  # white
    if 0.3 < frac < 0.75:  # lateral ventricles
        for side in (-1.0, 1.0):
            img[_ellipse(u, v, side * 0.09, -0.02, 0.06, 0.26 * scale)] = 90.0 if flair else 200.0
    img += rng.normal(0.0, 12.0, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 4095).astype("<u2").tobytes()


def _dome(u: _FloatImage, v: _FloatImage, cu: float, cv: float, au: float, av: float) -> _FloatImage:
    """Thickness of an ellipsoid seen end-on: 1 at the centre, 0 at and beyond the rim."""
    r2 = ((u - cu) / au) ** 2 + ((v - cv) / av) ** 2
    return np.sqrt(np.clip(1.0 - r2, 0.0, None)).astype(np.float32)


def _chest_film(rows: int, cols: int, rng: np.random.Generator, *, lateral: bool) -> bytes:
    """A chest radiograph (MONOCHROME2: dense is bright), 12-bit unsigned. Brightness follows
    the thickness of ellipsoids, which gives the soft shading of a real film."""
    u, v = _grid(rows, cols)
    img = np.full((rows, cols), 180.0, dtype=np.float32)
    if lateral:
        body = _dome(u, v, 0.0, 0.15, 0.62, 1.15)
        img += 2100.0 * body
        img -= 1100.0 * _dome(u, v, -0.02, -0.08, 0.44, 0.62)  # lungs, superimposed
        img += 450.0 * _dome(u, v, -0.22, 0.22, 0.24, 0.27)  # heart, anterior
        spine = (u > 0.33) & (u < 0.46) & (body > 0.05)
        img[spine] += 700.0
    else:
        body = _dome(u, v, 0.0, 0.15, 0.95, 1.15)
        img += 2100.0 * body
        for side, width in ((-1.0, 0.31), (1.0, 0.29)):
            img -= 1400.0 * _dome(u, v, side * 0.38, -0.08, width, 0.62)
        img += 650.0 * _dome(u, v, 0.10, 0.30, 0.30, 0.25)  # heart, to the patient's left
        img += 380.0 * np.sqrt(np.clip(1.0 - (u / 0.08) ** 2, 0.0, None)) * (body > 0.05)
        inside = (np.abs(u) > 0.08) & (body > 0.05)
        for k in range(8):  # posterior ribs
            arc = np.abs(v - (-0.62 + 0.14 * k) - 0.20 * u**2) < 0.018
            img[arc & inside & (np.abs(u) < 0.72)] += 380.0
        clavicles = np.abs(v - (-0.66 + 0.18 * np.abs(u))) < 0.025
        img[clavicles & inside & (np.abs(u) < 0.55)] += 450.0
        img += 420.0 * _dome(u, v, -0.38, -0.28, 0.035, 0.035)  # the right upper lobe nodule
    img += rng.normal(0.0, 25.0, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 4095).astype("<u2").tobytes()


# --------------------------------------------------------------------------------------------
# DICOM headers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StudySpec:
    key: str
    uid: str
    date: datetime.date
    time: str
    modality: str
    description: str
    accession: str
    study_id: str
    facility: _Facility
    body_part: str
    frame_of_reference: str


@dataclass(frozen=True)
class _SeriesSpec:
    uid: str
    number: int
    modality: str
    description: str
    time: str


def _new_instance(sop_class: str, sop_uid: str) -> Dataset:
    """A dataset with a File Meta Information group for Explicit VR Little Endian (PS3.10 §7)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = _CHARSET
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    return ds


def _put_common(ds: Dataset, study: _StudySpec, series: _SeriesSpec, number: int) -> None:
    """Patient, General Study, Patient Study, General Series and General Equipment modules."""
    ds.PatientName = _PATIENT_NAME
    ds.PatientID = _PATIENT_ID
    ds.IssuerOfPatientID = _ISSUER
    ds.PatientBirthDate = _da(_BIRTH)
    ds.PatientSex = _SEX
    ds.PatientAge = f"{_age(study.date):03d}Y"
    ds.StudyInstanceUID = study.uid
    ds.StudyDate = _da(study.date)
    ds.StudyTime = study.time
    ds.StudyID = study.study_id
    ds.AccessionNumber = study.accession
    ds.StudyDescription = study.description
    ds.ReferringPhysicianName = _dicom_pn(_PULMONOLOGIST)
    ds.InstitutionName = study.facility.name
    ds.InstitutionAddress = study.facility.address
    ds.Manufacturer = _MANUFACTURER
    ds.Modality = series.modality
    ds.SeriesInstanceUID = series.uid
    ds.SeriesNumber = series.number
    ds.SeriesDescription = series.description
    ds.SeriesDate = _da(study.date)
    ds.SeriesTime = series.time
    ds.InstanceNumber = number


def _put_image_pixel(
    ds: Dataset, rows: int, cols: int, *, signed: bool, bits_stored: int, pixels: bytes
) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.add_new(0x7FE00010, "OW", pixels)


def _put_plane(
    ds: Dataset, *, fov_mm: float, matrix: int, z: float, thickness: float, study: _StudySpec
) -> None:
    """Image Plane and Frame of Reference modules for an axial slice (PS3.3 C.7.6.2)."""
    spacing = fov_mm / matrix
    corner = -fov_mm / 2 + spacing / 2  # centre of the first voxel
    ds.FrameOfReferenceUID = study.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.ImagePositionPatient = [_ds(corner), _ds(corner), _ds(z)]
    ds.SliceLocation = _ds(z)
    ds.PixelSpacing = [_ds(spacing), _ds(spacing)]
    ds.SliceThickness = _ds(thickness)


def _ct_dataset(
    uids: _Uids,
    study: _StudySpec,
    series: _SeriesSpec,
    number: int,
    *,
    matrix: int,
    z: float,
    thickness: float,
    window: tuple[int, int],
    kernel: str,
    kvp: int,
    ma: int,
    contrast: bool,
    pixels: bytes,
) -> Dataset:
    """A CT Image Storage instance (PS3.3 A.3)."""
    sop_uid = uids("sop", study.key, series.number, number)
    ds = _new_instance(CTImageStorage, sop_uid)
    _put_common(ds, study, series, number)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.StationName = f"{study.facility.station}-CT1"
    ds.ManufacturerModelName = "Helix 128"
    ds.BodyPartExamined = study.body_part
    ds.ProtocolName = study.description
    ds.AcquisitionNumber = 1
    ds.ContentDate = _da(study.date)
    ds.ContentTime = series.time
    ds.AcquisitionDate = _da(study.date)
    ds.AcquisitionTime = series.time
    _put_plane(ds, fov_mm=_CT_FOV_MM, matrix=matrix, z=z, thickness=thickness, study=study)
    ds.KVP = str(kvp)
    ds.XRayTubeCurrent = ma
    ds.ConvolutionKernel = kernel
    ds.ReconstructionDiameter = _ds(_CT_FOV_MM)
    ds.DataCollectionDiameter = "500"
    ds.GantryDetectorTilt = "0"
    ds.RotationDirection = "CW"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = str(window[0])
    ds.WindowWidth = str(window[1])
    if contrast:  # Contrast/Bolus module, required when contrast was given (PS3.3 C.7.6.4)
        ds.ContrastBolusAgent = "Iohexol 350 mgI/mL"
        ds.ContrastBolusRoute = "IV"
        ds.ContrastBolusVolume = "75"
    _put_image_pixel(ds, matrix, matrix, signed=True, bits_stored=16, pixels=pixels)
    return ds


def _mr_dataset(
    uids: _Uids,
    study: _StudySpec,
    series: _SeriesSpec,
    number: int,
    *,
    matrix: int,
    z: float,
    flair: bool,
    pixels: bytes,
) -> Dataset:
    """An MR Image Storage instance (PS3.3 A.4)."""
    ds = _new_instance(MRImageStorage, uids("sop", study.key, series.number, number))
    _put_common(ds, study, series, number)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    ds.StationName = f"{study.facility.station}-MR2"
    ds.ManufacturerModelName = "Meridian 1.5T"
    ds.BodyPartExamined = study.body_part
    ds.ProtocolName = study.description
    ds.AcquisitionNumber = 1
    ds.ContentDate = _da(study.date)
    ds.ContentTime = series.time
    if flair:
        ds.ScanningSequence = ["SE", "IR"]
        ds.SequenceVariant = ["SK", "SP", "MP"]
        ds.ScanOptions = ""
        ds.RepetitionTime = "9000"
        ds.EchoTime = "120"
        ds.InversionTime = "2500"
        ds.EchoTrainLength = 24
        window = (450, 900)
    else:
        ds.ScanningSequence = ["SE"]
        ds.SequenceVariant = ["SP"]
        ds.ScanOptions = ""
        ds.RepetitionTime = "550"
        ds.EchoTime = "12"
        ds.EchoTrainLength = 1
        ds.ContrastBolusAgent = "Gadoterate meglumine 0.5 mmol/mL"
        ds.ContrastBolusRoute = "IV"
        window = (550, 1100)
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = "tirm2d" if flair else "se2d"
    ds.MagneticFieldStrength = "1.5"
    ds.ImagedNucleus = "1H"
    ds.ImagingFrequency = "63.87"
    ds.SpacingBetweenSlices = "6"
    _put_plane(ds, fov_mm=_MR_FOV_MM, matrix=matrix, z=z, thickness=5.0, study=study)
    ds.WindowCenter = str(window[0])
    ds.WindowWidth = str(window[1])
    _put_image_pixel(ds, matrix, matrix, signed=False, bits_stored=12, pixels=pixels)
    return ds


def _cr_dataset(
    uids: _Uids,
    study: _StudySpec,
    series: _SeriesSpec,
    *,
    size: int,
    lateral: bool,
    pixels: bytes,
) -> Dataset:
    """A Computed Radiography Image Storage instance (PS3.3 A.2)."""
    ds = _new_instance(ComputedRadiographyImageStorage, uids("sop", study.key, series.number, 1))
    _put_common(ds, study, series, 1)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.StationName = f"{study.facility.station}-CR3"
    ds.ManufacturerModelName = "Clearview CR"
    ds.BodyPartExamined = study.body_part
    ds.ViewPosition = "LL" if lateral else "PA"
    # Row and column directions as the film is hung (PS3.3 C.7.6.1.1.1).
    ds.PatientOrientation = ["A", "F"] if lateral else ["L", "F"]
    ds.ContentDate = _da(study.date)
    ds.ContentTime = series.time
    ds.KVP = "110" if lateral else "120"
    ds.ImagerPixelSpacing = [_ds(430.0 / size), _ds(430.0 / size)]
    ds.WindowCenter = "1300"
    ds.WindowWidth = "2400"
    _put_image_pixel(ds, size, size, signed=False, bits_stored=12, pixels=pixels)
    return ds


def _pdf_dataset(
    uids: _Uids,
    study: _StudySpec,
    series: _SeriesSpec,
    *,
    title: str,
    signed_at: datetime.datetime,
    pdf: bytes,
) -> Dataset:
    """An Encapsulated PDF Storage instance (PS3.3 A.45.1) carrying the radiology report."""
    ds = _new_instance(EncapsulatedPDFStorage, uids("sop", study.key, series.number, 1))
    _put_common(ds, study, series, 1)
    ds.ConversionType = "WSD"  # SC Equipment module: workstation
    ds.ContentDate = signed_at.strftime("%Y%m%d")
    ds.ContentTime = signed_at.strftime("%H%M%S")
    ds.AcquisitionDateTime = signed_at.strftime("%Y%m%d%H%M%S")
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = title
    code = Dataset()
    code.CodeValue = "18748-4"
    code.CodingSchemeDesignator = "LN"
    code.CodeMeaning = "Diagnostic imaging study"
    ds.ConceptNameCodeSequence = [code]
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    # OB values have even length (PS3.5 §7.1.1); the true length travels beside them.
    ds.EncapsulatedDocumentLength = len(pdf)
    ds.add_new(0x00420011, "OB", pdf + (b"\x00" if len(pdf) % 2 else b""))
    return ds


# --------------------------------------------------------------------------------------------
# PDFs (reportlab): deterministic, with real, extractable text
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Doc:
    """One clinical document: header fields, then titled sections of paragraphs."""

    facility: _Facility
    department: str
    title: str
    date: datetime.datetime
    fields: tuple[tuple[str, str], ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    signature: str
    table: tuple[tuple[str, ...], ...] = field(default=())


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["Normal"], fontSize=9.5, leading=12.5)
    return {
        "facility": ParagraphStyle("Facility", parent=base["Title"], fontSize=15, spaceAfter=1),
        "address": ParagraphStyle("Address", parent=body, fontSize=8, alignment=1),
        "title": ParagraphStyle("DocTitle", parent=base["Heading2"], alignment=1, spaceAfter=4),
        "heading": ParagraphStyle(
            "Section", parent=base["Heading4"], fontSize=10, spaceBefore=7, spaceAfter=2
        ),
        "body": body,
        "cell": ParagraphStyle("Cell", parent=body, fontSize=8, leading=10),
    }


def _pdf_bytes(doc: _Doc) -> bytes:
    """Render ``doc``; fixed dates and ID (reportlab invariant mode) make the bytes repeatable."""
    st = _styles()
    story: list[Flowable] = [
        Paragraph(escape(doc.facility.name), st["facility"]),
        Paragraph(
            escape(f"{doc.department} · {doc.facility.address} · Tel {doc.facility.phone}"),
            st["address"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(escape(doc.title), st["title"]),
    ]
    pairs = list(doc.fields)
    if len(pairs) % 2:
        pairs.append(("", ""))
    grid = [
        [
            Paragraph(f"<b>{escape(a)}</b>", st["cell"]),
            Paragraph(escape(b), st["cell"]),
            Paragraph(f"<b>{escape(c)}</b>", st["cell"]),
            Paragraph(escape(d), st["cell"]),
        ]
        for (a, b), (c, d) in zip(pairs[0::2], pairs[1::2], strict=True)
    ]
    header = Table(grid, colWidths=[28 * mm, 58 * mm, 30 * mm, 58 * mm])
    header.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.95, 0.95, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [header, Spacer(1, 2 * mm)]
    for heading, paragraphs in doc.sections:
        story.append(Paragraph(escape(heading), st["heading"]))
        story += [Paragraph(escape(p), st["body"]) for p in paragraphs]
    if doc.table:
        rows = [[Paragraph(escape(c), st["cell"]) for c in row] for row in doc.table]
        table = Table(rows, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ]
            )
        )
        story += [Spacer(1, 2 * mm), table]
    story += [Spacer(1, 5 * mm), Paragraph(escape(doc.signature), st["body"])]

    stamp = doc.date
    footer = f"{doc.facility.name} · {doc.title} · MRN {_PATIENT_ID}"

    def on_page(canvas: Any, _doc: Any) -> None:
        canvas.setDateFormatter(
            lambda *_: f"D:{stamp:%Y%m%d%H%M%S}+00'00'"  # the document's date, not "now"
        )
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(LETTER[0] - 18 * mm, 10 * mm, f"Page {canvas.getPageNumber()}")

    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=LETTER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=doc.title,
        author=doc.facility.name,
        subject=doc.title,
        creator=doc.facility.name,
        invariant=1,
    )
    template.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _patient_fields() -> tuple[tuple[str, str], ...]:
    return (
        ("Patient", f"{_FAMILY}, {_GIVEN}"),
        ("MRN", _PATIENT_ID),
        ("DOB", _long_date(_BIRTH)),
        ("Sex", "Female"),
    )


@dataclass(frozen=True)
class _Story:
    """Dates and numbers shared by the images and the documents, so they agree."""

    current_ct: datetime.date
    prior_ct: datetime.date
    xray: datetime.date
    biopsy: datetime.date
    pathology_signed: datetime.date
    mr: datetime.date
    visit: datetime.date
    labs: tuple[datetime.date, datetime.date, datetime.date]
    ct_accession: str
    prior_accession: str
    mr_accession: str
    xr_accession: str
    pathology_accession: str
    nodule_image: int  # instance number of the nodule's centre in the lung series


def _ct_report(story: _Story) -> _Doc:
    prior = _long_date(story.prior_ct)
    age = _age(story.current_ct)
    signed = datetime.datetime.combine(story.current_ct, datetime.time(16, 42))
    return _Doc(
        facility=_RIVERSIDE,
        department="Department of Radiology",
        title="CT CHEST WITH CONTRAST - RADIOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Accession", story.ct_accession),
            ("Exam date", _long_date(story.current_ct)),
            ("Referring", _human(_PULMONOLOGIST)),
            ("Status", "Final"),
        ),
        sections=(
            ("EXAM", ("CT chest with intravenous contrast.",)),
            (
                "HISTORY/CLINICAL INDICATION",
                (
                    f"{age}-year-old woman, former smoker (38 pack-years, quit 2019), with a "
                    "persistent cough for 6 weeks. Right upper lobe nodule on screening CT. "
                    "Follow-up.",
                ),
            ),
            (
                "TECHNIQUE",
                (
                    "Helical CT of the chest from the thoracic inlet through the adrenal glands "
                    "after intravenous administration of 75 mL iohexol 350 mgI/mL, in the "
                    "portal venous phase. Axial soft-tissue and lung reconstructions with "
                    "coronal and sagittal reformats. CTDIvol 8.4 mGy; DLP 312 mGy·cm.",
                ),
            ),
            (
                "COMPARISON",
                (
                    f"Low-dose CT chest of {prior} (Lakeside University Hospital, "
                    f"accession {story.prior_accession}).",
                ),
            ),
            (
                "FINDINGS",
                (
                    "Lungs and airways: Solid nodule in the posterior segment of the right upper "
                    "lobe measuring 14 x 11 mm "
                    f"(series {_CT_LUNG_SERIES}, image {story.nodule_image}), "
                    f"previously 6 mm on the CT chest of {prior}. Its margins are lobulated with "
                    "mild spiculation. Mild centrilobular emphysema, upper lobe predominant. "
                    "No consolidation. The central airways are patent.",
                    "Mediastinum and hila: A right lower paratracheal lymph node measures 9 mm "
                    "in short axis (previously 6 mm) and is indeterminate. No hilar "
                    "lymphadenopathy. Heart size is normal. No pericardial effusion. "
                    "Mild coronary artery calcification.",
                    "Pleura: No pleural effusion or pneumothorax.",
                    "Upper abdomen: An 11 mm left adrenal nodule measuring 28 HU in the portal "
                    "venous phase cannot be characterized on this examination; it was not "
                    "clearly seen on the prior low-dose CT.",
                    "Bones and soft tissues: No suspicious osseous lesion. Mild degenerative "
                    "changes of the thoracic spine.",
                ),
            ),
            (
                "IMPRESSION",
                (
                    "1. Enlarging solid right upper lobe nodule, 14 x 11 mm, previously 6 mm, "
                    "suspicious for primary lung malignancy. Lung-RADS 4B. Tissue sampling is "
                    "recommended; PET/CT may be considered.",
                    "2. Indeterminate 9 mm right lower paratracheal lymph node; metastatic "
                    "involvement cannot be excluded.",
                    "3. Indeterminate 11 mm left adrenal nodule. Adrenal-protocol CT or MRI, or "
                    "attention on PET/CT; follow-up recommended.",
                    "4. Mild centrilobular emphysema.",
                    "Findings discussed by telephone with Dr. Okafor at 16:35 on the day of the "
                    "examination.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_RADIOLOGIST)}, {_long_date(signed.date())} "
            f"{signed:%H:%M}."
        ),
    )


def _pathology_report(story: _Story) -> _Doc:
    signed = datetime.datetime.combine(story.pathology_signed, datetime.time(11, 5))
    return _Doc(
        facility=_LAKESIDE,
        department="Department of Pathology and Laboratory Medicine",
        title="SURGICAL PATHOLOGY REPORT",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Case", story.pathology_accession),
            ("Collected", _long_date(story.biopsy)),
            ("Received", _long_date(story.biopsy)),
            ("Reported", _long_date(story.pathology_signed)),
            ("Submitting", _human(_INTERVENTIONALIST)),
            ("Copy to", _human(_PULMONOLOGIST)),
        ),
        sections=(
            (
                "SPECIMEN",
                ("A. Lung, right upper lobe nodule, CT-guided core needle biopsy (18 gauge).",),
            ),
            (
                "CLINICAL HISTORY",
                (
                    "Enlarging 14 mm right upper lobe nodule, Lung-RADS 4B. Former smoker. "
                    "Rule out malignancy.",
                ),
            ),
            (
                "GROSS DESCRIPTION",
                (
                    "Received in formalin, labeled with the patient's name and medical record "
                    "number and designated 'right upper lobe lung', are four tan-pink "
                    "cylindrical cores of soft tissue measuring 0.6 to 1.4 cm in length and "
                    "0.1 cm in diameter. Entirely submitted in cassette A1.",
                ),
            ),
            (
                "MICROSCOPIC DESCRIPTION",
                (
                    "Sections show lung parenchyma infiltrated by atypical glandular cells "
                    "forming acinar structures within a desmoplastic stroma. The cells have "
                    "enlarged, pleomorphic nuclei with prominent nucleoli. A minor lepidic "
                    "component is present at the edge of one core. No necrosis is identified. "
                    "Lymphovascular invasion cannot be assessed on biopsy material.",
                    "Immunohistochemistry (with appropriate controls): tumor cells are "
                    "positive for TTF-1, Napsin A and CK7, and negative for p40, CK20 and "
                    "CDX2, supporting a primary lung adenocarcinoma.",
                ),
            ),
            (
                "DIAGNOSIS",
                (
                    "A. LUNG, RIGHT UPPER LOBE, CT-GUIDED CORE NEEDLE BIOPSY: INVASIVE "
                    "ADENOCARCINOMA, ACINAR PREDOMINANT. See comment.",
                ),
            ),
            (
                "COMMENT",
                (
                    "Block A1 has been sent for molecular testing (EGFR, ALK, ROS1, BRAF, KRAS, "
                    "MET, RET, NTRK) and PD-L1 (22C3) immunohistochemistry. Results will be "
                    "reported in an addendum.",
                ),
            ),
        ),
        signature=(
            f"Electronically signed by {_human(_PATHOLOGIST)}, {_long_date(signed.date())} "
            f"{signed:%H:%M}."
        ),
    )


def _visit_note(story: _Story) -> _Doc:
    signed = datetime.datetime.combine(story.visit, datetime.time(17, 20))
    age = _age(story.visit)
    return _Doc(
        facility=_LAKESIDE,
        department="Pulmonology Clinic",
        title="OUTPATIENT VISIT NOTE - PULMONOLOGY",
        date=signed,
        fields=(
            *_patient_fields(),
            ("Visit date", _long_date(story.visit)),
            ("Provider", _human(_PULMONOLOGIST)),
            ("Visit type", "Follow-up, established patient"),
            ("PCP", "Samuel Bright-Osei, MD"),
        ),
        sections=(
            ("CHIEF COMPLAINT", ("Follow-up of lung biopsy results.",)),
            (
                "HISTORY OF PRESENT ILLNESS",
                (
                    f"Ms. {_FAMILY} is a {age}-year-old former smoker (38 pack-years, quit "
                    "2019) with COPD who presented with 6 weeks of dry cough. CT chest of "
                    f"{_long_date(story.current_ct)} showed growth of a right upper lobe "
                    f"nodule from 6 mm (low-dose CT of {_long_date(story.prior_ct)}) to 14 mm, "
                    "an indeterminate right paratracheal node and an indeterminate left "
                    f"adrenal nodule. CT-guided biopsy on {_long_date(story.biopsy)} showed "
                    "invasive adenocarcinoma, acinar predominant. Small apical pneumothorax "
                    "after the biopsy resolved without intervention. MRI brain of "
                    f"{_long_date(story.mr)} was reported to her as showing no metastases; "
                    "the written report is not yet available to us. Cough is improving. No "
                    "hemoptysis, weight loss or bone pain.",
                ),
            ),
            (
                "EXAMINATION",
                (
                    "BP 132/78, HR 76, SpO2 95% on room air, BMI 24.1. Well appearing. Lungs: "
                    "mildly decreased breath sounds bilaterally, no wheeze or crackles. No "
                    "cervical or supraclavicular lymphadenopathy.",
                ),
            ),
            (
                "ASSESSMENT",
                (
                    "1. Invasive adenocarcinoma of the right upper lobe, 14 mm (cT1b). Nodal "
                    "and adrenal status indeterminate: staging incomplete.",
                    "2. COPD, GOLD 1, stable on tiotropium.",
                    "3. Hyperlipidemia and hypertension, controlled.",
                ),
            ),
            (
                "PLAN",
                (
                    "1. PET/CT ordered for staging; EBUS-TBNA if the paratracheal node is "
                    "FDG-avid.",
                    "2. Full pulmonary function tests with DLCO before surgical evaluation.",
                    "3. Referral to thoracic surgery; case to be presented at the "
                    "multidisciplinary thoracic tumor board.",
                    "4. Molecular and PD-L1 results pending (pathology addendum to follow).",
                    "5. The patient requests a second opinion; records release signed today.",
                    "6. Continue current medications; aspirin was resumed 2 days after biopsy.",
                    "Return visit in 2 weeks or sooner if hemoptysis, chest pain or dyspnea.",
                ),
            ),
        ),
        signature=f"Electronically signed by {_human(_PULMONOLOGIST)}, "
        f"{_long_date(signed.date())} {signed:%H:%M}.",
    )


_LAB_ROWS: tuple[tuple[str, str, str, tuple[str, str, str]], ...] = (
    ("WBC", "10^3/uL", "4.0-11.0", ("7.8", "8.4", "7.1")),
    ("RBC", "10^6/uL", "3.90-5.20", ("4.31", "4.12", "4.25")),
    ("Hemoglobin", "g/dL", "12.0-15.5", ("12.6", "11.8 L", "12.2")),
    ("Hematocrit", "%", "36.0-46.0", ("38.9", "35.7 L", "37.4")),
    ("MCV", "fL", "80-100", ("90", "87", "88")),
    ("Platelets", "10^3/uL", "150-400", ("268", "301", "279")),
    ("Sodium", "mmol/L", "135-145", ("139", "137", "140")),
    ("Potassium", "mmol/L", "3.5-5.1", ("4.2", "4.5", "4.0")),
    ("Chloride", "mmol/L", "98-107", ("102", "101", "103")),
    ("CO2", "mmol/L", "22-29", ("26", "25", "27")),
    ("BUN", "mg/dL", "7-20", ("15", "18", "14")),
    ("Creatinine", "mg/dL", "0.50-1.10", ("0.82", "0.91", "0.85")),
    ("eGFR", "mL/min/1.73m2", ">60", ("79", "70", "76")),
    ("Glucose", "mg/dL", "70-99", ("104 H", "97", "92")),
    ("Calcium", "mg/dL", "8.6-10.3", ("9.4", "9.2", "9.5")),
    ("Total protein", "g/dL", "6.0-8.3", ("7.1", "6.9", "7.0")),
    ("Albumin", "g/dL", "3.5-5.0", ("4.1", "3.9", "4.0")),
    ("ALT", "U/L", "7-35", ("22", "24", "19")),
    ("AST", "U/L", "10-35", ("25", "27", "23")),
    ("Alkaline phosphatase", "U/L", "35-104", ("88", "91", "86")),
    ("Total bilirubin", "mg/dL", "0.2-1.2", ("0.6", "0.5", "0.7")),
)


def _lab_results(story: _Story) -> _Doc:
    dates = tuple(d.isoformat() for d in story.labs)
    rows = (("Test", "Units", "Reference range", *dates),) + tuple(
        (name, unit, ref, *values) for name, unit, ref, values in _LAB_ROWS
    )
    reported = datetime.datetime.combine(story.labs[-1], datetime.time(14, 3))
    return _Doc(
        facility=_LAKESIDE,
        department="Clinical Laboratory",
        title="LABORATORY RESULTS - CBC AND METABOLIC PANEL",
        date=reported,
        fields=(
            *_patient_fields(),
            ("Ordering", _human(_PULMONOLOGIST)),
            ("Reported", _long_date(story.labs[-1])),
        ),
        sections=(
            (
                "RESULTS",
                (
                    "Complete blood count (CBC) and comprehensive metabolic panel (CMP), "
                    "venous blood. H = above, L = below the reference range.",
                ),
            ),
        ),
        table=rows,
        signature="Results verified by the Clinical Laboratory, Lakeside University Hospital. "
        "CLIA ID 99D0000000 (demo).",
    )


def _medications(story: _Story) -> list[dict[str, str]]:
    cur = story.current_ct
    return [
        {
            "name": "Tiotropium inhaler",
            "dose": "2.5 mcg (2 inhalations)",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 3, 5, 2).isoformat(),
            "notes": "COPD maintenance",
        },
        {
            "name": "Albuterol HFA inhaler",
            "dose": "90 mcg/puff, 2 puffs",
            "frequency": "every 6 hours as needed",
            "start_date": datetime.date(cur.year - 3, 5, 2).isoformat(),
            "notes": "shortness of breath or wheeze",
        },
        {
            "name": "Atorvastatin",
            "dose": "20 mg",
            "frequency": "once daily at bedtime",
            "start_date": datetime.date(cur.year - 8, 1, 15).isoformat(),
            "notes": "hyperlipidemia",
        },
        {
            "name": "Lisinopril",
            "dose": "10 mg",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 6, 9, 30).isoformat(),
            "notes": "hypertension",
        },
        {
            "name": "Aspirin",
            "dose": "81 mg",
            "frequency": "once daily",
            "start_date": datetime.date(cur.year - 6, 9, 30).isoformat(),
            "notes": f"held 5 days before biopsy on {story.biopsy.isoformat()}; resumed",
        },
    ]


# --------------------------------------------------------------------------------------------
# The viewer junk real discs carry
# --------------------------------------------------------------------------------------------


def _junk() -> dict[str, bytes]:
    autorun = (
        "[autorun]\r\nopen=VIEWER\\VIEWER.EXE\r\nicon=VIEWER\\VIEWER.EXE,0\r\n"
        "label=LUH IMAGING\r\n"
    ).encode("ascii")
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    exe = header + bytes(64 - len(header)) + stub
    exe += bytes(range(256)) * ((4096 - len(exe)) // 256 + 1)
    readme = (
        "Lakeside University Hospital - Patient Imaging CD\r\n\r\n"
        "This disc contains medical images in DICOM format (see DICOMDIR).\r\n"
        "On Windows the viewer starts automatically; otherwise run VIEWER\\VIEWER.EXE.\r\n"
        "Any DICOM viewer can open the DICOMDIR file at the root of this disc.\r\n"
        "Questions: Radiology Film Library, (555) 014-3000.\r\n"
    ).encode("ascii")
    return {
        "AUTORUN.INF": autorun,
        "VIEWER/VIEWER.EXE": exe[:4096],
        "VIEWER/README.TXT": readme,
    }


# --------------------------------------------------------------------------------------------
# write_demo
# --------------------------------------------------------------------------------------------


def _prepare_outputs(out_dir: Path, names: Iterable[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (out_dir / name).exists():
            raise UsageError(
                f"The folder already holds a '{name}' entry; choose an empty folder.",
                code="demo_exists",
            )


def _make_story(today: datetime.date, rng: random.Random, nodule_image: int) -> _Story:
    cur = today - datetime.timedelta(days=91)
    prior = cur - datetime.timedelta(days=365)
    biopsy = cur + datetime.timedelta(days=16)

    def ric(d: datetime.date) -> str:
        return f"RIC{d:%y%m%d}{rng.randrange(1000, 10000)}"

    def luh() -> str:
        return f"LUH{rng.randrange(10**7, 10**8)}"

    xray = cur - datetime.timedelta(days=9)
    return _Story(
        current_ct=cur,
        prior_ct=prior,
        xray=xray,
        biopsy=biopsy,
        pathology_signed=biopsy + datetime.timedelta(days=3),
        mr=cur + datetime.timedelta(days=27),
        visit=cur + datetime.timedelta(days=33),
        labs=(
            cur - datetime.timedelta(days=2),
            biopsy - datetime.timedelta(days=2),
            cur + datetime.timedelta(days=33),
        ),
        ct_accession=ric(cur),
        prior_accession=luh(),
        mr_accession=luh(),
        xr_accession=ric(xray),
        pathology_accession=f"S{biopsy:%y}-{rng.randrange(1000, 99999):05d}",
        nodule_image=nodule_image,
    )


def _ct_study_datasets(
    uids: _Uids,
    study: _StudySpec,
    series: Sequence[tuple[_SeriesSpec, tuple[int, int], str]],
    *,
    slices: int,
    matrix: int,
    contrast: bool,
    nodule_mm: float,
    nodule_slice: int,
    kvp: int,
    ma: int,
    noise_hu: float,
    seed: int,
) -> list[Dataset]:
    spacing = _CT_COVERAGE_MM / slices
    z0 = -40.0  # thoracic inlet, head-first supine: z falls towards the feet
    px = _CT_FOV_MM / matrix
    out: list[Dataset] = []
    for spec, window, kernel in series:
        rng = np.random.default_rng([seed, spec.number, _label_int(study.key)])
        for i in range(slices):
            z = z0 - i * spacing
            dz = abs(i - nodule_slice) * spacing
            r_mm = nodule_mm / 2
            radius = float(np.sqrt(r_mm**2 - dz**2)) if dz < r_mm else 0.0
            if radius:
                radius = max(radius / px, 1.0) / (matrix / 2)  # at least one pixel
            hu = _chest_ct_hu(
                matrix,
                i / max(1, slices - 1),
                rng,
                contrast=contrast,
                nodule_radius=radius,
                noise_hu=noise_hu,
            )
            out.append(
                _ct_dataset(
                    uids,
                    study,
                    spec,
                    i + 1,
                    matrix=matrix,
                    z=z,
                    thickness=spacing,
                    window=window,
                    kernel=kernel,
                    kvp=kvp,
                    ma=ma,
                    contrast=contrast,
                    pixels=_ct_stored(hu),
                )
            )
    return out


def _label_int(label: str) -> int:
    """A stable integer for a label (``hash()`` of a str changes from run to run)."""
    return int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "little")


def write_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    ct_slices: int = 24,
    matrix: int = 128,
    today: datetime.date | None = None,
) -> DemoCase:
    """Write the synthetic demo case: ``out_dir/CD`` and ``out_dir/Documents``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. It must not already hold ``CD`` or
        ``Documents``.
    seed
        Drives UIDs, accession numbers and image noise. The same seed and ``today`` give
        byte-identical files.
    ct_slices
        Slices per CT series (the current CT has two series, the prior one). They always span
        the whole chest, so fewer slices are thicker.
    matrix
        Rows and columns of CT and MR images (radiographs are twice that).
    today
        The day the story is told from (dates are relative to it); default ``date.today()``.

    Returns
    -------
    DemoCase
        What was written.

    Raises
    ------
    UsageError
        If the sizes are out of range or ``CD``/``Documents`` already exist.

    Notes
    -----
    Everything is written in a staging folder inside ``out_dir`` and moved into place at the
    end, so a failure while writing leaves nothing behind. The ``DICOMDIR`` is written by
    :class:`pydicom.fileset.FileSet` with its default PS3.10 layout
    (``PT000000/ST000000/SE000000/IM000000``). The encapsulated PDF report on the CD is the
    very same file as ``Documents/CT_Chest_Report.pdf``.
    """
    if not 4 <= ct_slices <= 1000:
        raise UsageError("ct_slices must be between 4 and 1000.", code="demo_size")
    if not 16 <= matrix <= 1024:
        raise UsageError("matrix must be between 16 and 1024.", code="demo_size")
    today = today or datetime.date.today()
    out_dir = Path(out_dir)
    _prepare_outputs(out_dir, ("CD", "Documents"))
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=out_dir))
    try:
        case = _write_demo_into(staging, seed=seed, ct_slices=ct_slices, matrix=matrix,
                                today=today)  # fmt: skip
        for name in ("CD", "Documents"):
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _log.info(
        "demo case written: %d DICOM files, %d documents", case.dicom_files, case.document_files
    )
    return dataclasses.replace(
        case, root=out_dir, cd_dir=out_dir / "CD", documents_dir=out_dir / "Documents"
    )


def _write_demo_into(
    root: Path, *, seed: int, ct_slices: int, matrix: int, today: datetime.date
) -> DemoCase:
    uids = _Uids(seed)
    rng = random.Random(seed)
    nodule_slice = round(0.3 * (ct_slices - 1))
    story = _make_story(today, rng, nodule_image=nodule_slice + 1)

    def study(key: str, date: datetime.date, time: str, modality: str, desc: str,
              accession: str, facility: _Facility, body_part: str) -> _StudySpec:  # fmt: skip
        return _StudySpec(
            key=key,
            uid=uids("study", key),
            date=date,
            time=time,
            modality=modality,
            description=desc,
            accession=accession,
            study_id=str(rng.randrange(10000, 100000)),
            facility=facility,
            body_part=body_part,
            frame_of_reference=uids("for", key),
        )

    def series(st: _StudySpec, number: int, modality: str, desc: str, time: str) -> _SeriesSpec:
        return _SeriesSpec(uids("series", st.key, number), number, modality, desc, time)

    thk = _ds(_CT_COVERAGE_MM / ct_slices)
    cur = study("ct-current", story.current_ct, "101512", "CT", "CT CHEST WITH CONTRAST",
                story.ct_accession, _RIVERSIDE, "CHEST")  # fmt: skip
    prior = study("ct-prior", story.prior_ct, "083040", "CT",
                  "CT CHEST LOW DOSE LUNG SCREENING WO CONTRAST", story.prior_accession,
                  _LAKESIDE, "CHEST")  # fmt: skip
    mr = study("mr-brain", story.mr, "141005", "MR", "MRI BRAIN WITH AND WITHOUT CONTRAST",
               story.mr_accession, _LAKESIDE, "HEAD")  # fmt: skip
    xr = study("xr-chest", story.xray, "091845", "CR", "XR CHEST PA AND LATERAL",
               story.xr_accession, _RIVERSIDE, "CHEST")  # fmt: skip

    datasets: dict[str, list[Dataset]] = {}
    datasets[cur.key] = _ct_study_datasets(
        uids,
        cur,
        [
            (series(cur, 2, "CT", f"AX {thk}MM SOFT TISSUE", "101803"), (40, 400), "SOFT"),
            (series(cur, _CT_LUNG_SERIES, "CT", f"AX {thk}MM LUNG", "101803"), (-600, 1500),
             "LUNG"),  # fmt: skip
        ],
        slices=ct_slices,
        matrix=matrix,
        contrast=True,
        nodule_mm=14.0,
        nodule_slice=nodule_slice,
        kvp=120,
        ma=220,
        noise_hu=14.0,
        seed=seed,
    )
    report = _ct_report(story)
    report_pdf = _pdf_bytes(report)
    datasets[cur.key].append(
        _pdf_dataset(
            uids,
            cur,
            series(cur, 900, "DOC", "RADIOLOGY REPORT", "164200"),
            title="CT CHEST WITH CONTRAST REPORT",
            signed_at=report.date,
            pdf=report_pdf,
        )
    )
    datasets[prior.key] = _ct_study_datasets(
        uids,
        prior,
        [(series(prior, 2, "CT", f"AX {thk}MM LUNG LOW DOSE", "083302"), (-600, 1500), "LUNG")],
        slices=ct_slices,
        matrix=matrix,
        contrast=False,
        nodule_mm=6.0,
        nodule_slice=nodule_slice,
        kvp=100,
        ma=40,
        noise_hu=28.0,
        seed=seed,
    )
    mr_slices = 14
    mr_list: list[Dataset] = []
    for number, desc, flair, time in ((3, "AX T2 FLAIR", True, "141630"),
                                      (7, "AX T1 SE POST GAD", False, "143210")):  # fmt: skip
        spec = series(mr, number, "MR", desc, time)
        mrng = np.random.default_rng([seed, number, _label_int(mr.key)])
        for i in range(mr_slices):
            mr_list.append(
                _mr_dataset(
                    uids,
                    mr,
                    spec,
                    i + 1,
                    matrix=matrix,
                    z=-30.0 + 6.0 * i,
                    flair=flair,
                    pixels=_brain_mr(matrix, i / (mr_slices - 1), mrng, flair=flair),
                )
            )
    datasets[mr.key] = mr_list
    xrng = np.random.default_rng([seed, _label_int(xr.key)])
    datasets[xr.key] = [
        _cr_dataset(
            uids,
            xr,
            series(xr, number, "CR", desc, time),
            size=2 * matrix,
            lateral=lateral,
            pixels=_chest_film(2 * matrix, 2 * matrix, xrng, lateral=lateral),
        )
        for number, desc, lateral, time in ((1, "CHEST PA", False, "091912"),
                                            (2, "CHEST LATERAL", True, "092047"))  # fmt: skip
    ]

    cd = root / "CD"
    cd.mkdir()
    fs = FileSet()
    fs.ID = _FILESET_ID
    fs.UID = UID(uids("fileset"))
    for key in (cur.key, prior.key, mr.key, xr.key):
        for ds in datasets[key]:
            fs.add(ds)
    fs.write(cd)
    for rel, data in _junk().items():
        target = cd / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    docs = root / "Documents"
    docs.mkdir()
    (docs / "CT_Chest_Report.pdf").write_bytes(report_pdf)
    (docs / "Pathology_Report.pdf").write_bytes(_pdf_bytes(_pathology_report(story)))
    (docs / "Visit_Note.pdf").write_bytes(_pdf_bytes(_visit_note(story)))
    (docs / "Lab_Results.pdf").write_bytes(_pdf_bytes(_lab_results(story)))
    with open(docs / "Medication_List.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "dose", "frequency", "start_date", "notes"])
        writer.writeheader()
        writer.writerows(_medications(story))

    studies = []
    for st in (cur, prior, mr, xr):
        items = datasets[st.key]
        studies.append(
            DemoStudy(
                study_uid=st.uid,
                date=_da(st.date),
                modality=st.modality,
                description=st.description,
                accession=st.accession,
                series_count=len({ds.SeriesInstanceUID for ds in items}),
                instance_count=len(items),
            )
        )
    return DemoCase(
        root=root,
        cd_dir=cd,
        documents_dir=docs,
        patient_name=_PATIENT_NAME,
        patient_id=_PATIENT_ID,
        birth_date=_da(_BIRTH),
        studies=tuple(studies),
        dicom_files=sum(s.instance_count for s in studies),
        document_files=sum(1 for p in docs.iterdir() if p.is_file()),
        junk_files=tuple(_junk()),
    )


# --------------------------------------------------------------------------------------------
# write_ct_series: many slices, fast
# --------------------------------------------------------------------------------------------


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
