"""Pixels and DICOM datasets of the demo CD: a chest CT, a brain MR and a chest film.

The pixels are a few numpy operations that look like anatomy; the headers fill the modules
each IOD requires (dciodvfy finds no errors), with the patient and dates of the story.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    EncapsulatedPDFStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    UID,
)

from bundler.demo.story import (
    _BIRTH,
    _ISSUER,
    _PATIENT_ID,
    _PATIENT_NAME,
    _PULMONOLOGIST,
    _SEX,
    _age,
    _da,
    _dicom_pn,
    _ds,
    _Facility,
    _label_int,
    _Uids,
)

_FloatImage = npt.NDArray[np.float32]

_CHARSET = "ISO_IR 192"
_MANUFACTURER = "Northwind Medical Systems"  # invented, like everything else here
_FILESET_ID = "LUH_IMAGING"
_CT_FOV_MM = 360.0
_CT_COVERAGE_MM = 300.0
_MR_FOV_MM = 240.0


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

