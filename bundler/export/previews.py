"""Small JPEG previews of a key image per series, for INDEX.HTM on a patient disc.

A preview is the middle image of a series (the middle frame of a multi-frame image), decoded
through pydicom (pylibjpeg and its plugins for JPEG, JPEG-LS and JPEG 2000; RLE and Deflate
natively), rendered as a reviewer would first see it, and shrunk to fit a 256-pixel box:

* grayscale: the Modality LUT (Rescale Slope/Intercept, PS3.3 C.11.1), then the VOI: the VOI LUT
  Sequence when the header has one, else the first Window Center/Width with its VOI LUT
  Function (PS3.3 C.11.2.1.2), else a robust window from the 0.5th to the 99.5th percentile;
  MONOCHROME1 and an INVERSE Presentation LUT Shape are shown inverted (white bone on film);
* colour: YBR is converted to RGB, PALETTE COLOR goes through its palette.

Only pixel data is drawn: no overlay, no annotation, no text; the JPEG carries no metadata.
An image that cannot be decoded gets no preview (the series keeps its row in INDEX.HTM).
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from bundler.model import DicomObjectKind, Instance

__all__ = ["PREVIEW_BOX", "Preview", "key_instances", "render_preview"]

log = logging.getLogger(__name__)

PREVIEW_BOX: Final = 256  # pixels: the longest side of a preview
_MAX_PIXELS: Final = 80_000_000  # one frame; above this a preview is not worth the memory
_MAX_WHOLE_FILE: Final = 512 * 1024 * 1024  # bytes: a file read whole (deflated, bare, odd order)
_JPEG_QUALITY: Final = 85
_FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Preview:
    """A rendered preview: JPEG bytes and their pixel size."""

    jpeg: bytes
    width: int
    height: int


def key_instances(instances: Sequence[Instance]) -> list[Instance]:
    """The images of one series worth trying for its preview, best first.

    The middle image by Instance Number (an image without a number sorts last), then its
    neighbours, so that one undecodable file does not cost the series its preview.
    """
    images = [i for i in instances if i.kind == DicomObjectKind.IMAGE]
    images.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, i.sop_instance_uid))
    if not images:
        return []
    middle = len(images) // 2
    order = [middle]
    for step in (1, -1, 2, -2):
        if 0 <= middle + step < len(images):
            order.append(middle + step)
    return [images[k] for k in order]


def render_preview(path: Path, *, transfer_syntax_uid: str = "", box: int = PREVIEW_BOX) -> Preview | None:
    """Render the key frame of the DICOM file at ``path`` as a JPEG that fits ``box``.

    ``transfer_syntax_uid`` is the case index's, used for a file without File Meta. Returns
    ``None`` when the file has no pixel data, or pixel data this app cannot decode or show.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds, frame = _decode(path, transfer_syntax_uid)
            rgb_or_gray = _display(frame, ds)
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception:  # noqa: BLE001 - pydicom and its plugins raise many types on odd pixel data
        log.info("a key image could not be decoded for its preview")
        log.debug("preview decode failed", exc_info=True)
        return None
    return _jpeg(rgb_or_gray, _aspect(ds), box)


# --------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------


def _decode(path: Path, transfer_syntax_uid: str) -> tuple[Any, npt.NDArray[Any]]:
    import pydicom
    from pydicom.pixels.utils import pixel_array
    from pydicom.uid import UID, ImplicitVRLittleEndian

    header = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    rows, cols = int(header.get("Rows") or 0), int(header.get("Columns") or 0)
    samples = int(header.get("SamplesPerPixel") or 1)
    if not rows or not cols or rows * cols * samples > _MAX_PIXELS:
        raise ValueError("no frame, or a frame too large for a preview")
    frames = _number_of_frames(header)
    index = frames // 2
    meta = getattr(header, "file_meta", None)
    if meta is not None and meta.get("TransferSyntaxUID"):
        try:
            # From the path: pydicom reads only the frame it needs (a multi-frame stays on disk).
            ds = pydicom.Dataset()
            return ds, pixel_array(str(path), ds_out=ds, index=index)
        except AttributeError:
            pass  # a deflated dataset, or elements after the pixel data: read it whole below
    if path.stat().st_size > _MAX_WHOLE_FILE:
        raise ValueError("file too large to read whole for a preview")
    ds = pydicom.dcmread(path, force=True)
    if not ds.file_meta.get("TransferSyntaxUID"):
        # A bare dataset (no File Meta): the transfer syntax the index found when importing it.
        ds.file_meta.TransferSyntaxUID = UID(transfer_syntax_uid) if transfer_syntax_uid else ImplicitVRLittleEndian
    return ds, pixel_array(ds, index=index)


def _number_of_frames(ds: Any) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames") or 1))
    except (TypeError, ValueError):
        return 1


# --------------------------------------------------------------------------------------------
# display values
# --------------------------------------------------------------------------------------------


def _display(arr: npt.NDArray[Any], ds: Any) -> npt.NDArray[np.uint8]:
    """0–255 display values: 2-D grayscale or 3-D RGB."""
    photometric = str(ds.get("PhotometricInterpretation") or "MONOCHROME2").strip().upper()
    if photometric == "PALETTE COLOR":
        from pydicom.pixels.processing import apply_color_lut

        rgb = apply_color_lut(arr, ds)
        return _to_uint8(rgb.astype(np.float64) / (np.iinfo(rgb.dtype).max if rgb.dtype.kind in "ui" else 1.0))
    if arr.ndim == 3:  # RGB (pydicom has converted YBR)
        bits = int(ds.get("BitsStored") or 8)
        return _to_uint8(arr.astype(np.float64) / float((1 << bits) - 1))
    return _to_uint8(grayscale(arr, ds))


def grayscale(arr: npt.NDArray[Any], ds: Any) -> _FloatArray:
    """Stored values → 0.0–1.0 as displayed: Modality LUT, VOI, polarity (PS3.3 C.11)."""
    from pydicom.pixels.processing import apply_modality_lut

    values = np.asarray(apply_modality_lut(arr, ds), dtype=np.float64)
    out: _FloatArray | None = None
    voi_lut = ds.get("VOILUTSequence")
    if voi_lut:
        try:
            out = apply_voi_lut_item(values, voi_lut[0], signed=ds.get("PixelRepresentation") == 1)
        except (AttributeError, IndexError, ValueError, TypeError):
            out = None
    if out is None:
        window = _header_window(ds)
        if window is not None:
            out = apply_window(values, *window, function=str(ds.get("VOILUTFunction") or "LINEAR"))
    if out is None:
        out = apply_window(values, *robust_window(values), function="LINEAR_EXACT")
    out = np.clip(out, 0.0, 1.0)
    inverse = str(ds.get("PresentationLUTShape") or "").strip().upper() == "INVERSE"
    if str(ds.get("PhotometricInterpretation") or "").strip().upper() == "MONOCHROME1" or inverse:
        out = 1.0 - out
    return out


def apply_voi_lut_item(values: _FloatArray, item: Any, *, signed: bool = False) -> _FloatArray | None:
    """Map ``values`` through one VOI LUT Sequence item (PS3.3 C.11.2.1.1), to 0.0–1.0.

    Values below the first mapped value take the first entry, values past the end the last.
    The output is scaled by the LUT's own range (many LUTs declare 16 bits and use 12).
    """
    n, first, _bits = (int(v) for v in item.LUTDescriptor)
    n = n or 65536
    if signed and first > 32767:  # the descriptor is US; the first value is SS for signed data
        first -= 65536
    data = item.LUTData
    if isinstance(data, bytes):  # OW: little endian, as nearly every file is
        lut = np.frombuffer(data[:2 * n], dtype="<u2").astype(np.float64)
    else:
        lut = np.asarray(data if isinstance(data, (list, tuple)) else [data], dtype=np.float64).ravel()
    if lut.size == 0:
        return None
    lo, hi = float(lut.min()), float(lut.max())
    if hi <= lo:
        return None
    index = np.clip(np.rint(values) - first, 0, lut.size - 1).astype(np.int64)
    return np.asarray((lut[index] - lo) / (hi - lo), dtype=np.float64)


def _first(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        seq = list(value) if not isinstance(value, (str, bytes, int, float)) else [value]
        number = float(seq[0])
    except (TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None


def _header_window(ds: Any) -> tuple[float, float] | None:
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is None or width is None or width < 1:
        return None
    return center, width


def apply_window(values: _FloatArray, center: float, width: float, *, function: str = "LINEAR") -> _FloatArray:
    """Window ``values`` to 0.0–1.0 as PS3.3 C.11.2.1.2 defines the three VOI LUT Functions."""
    function = function.strip().upper()
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (values - center) / max(width, 1e-6)))
    if function == "LINEAR_EXACT":
        width = max(width, 1e-6)
        return np.clip((values - center) / width + 0.5, 0.0, 1.0)
    # LINEAR (C.11.2.1.2.1): width ≥ 1, centred on c - 0.5.
    width = max(width, 1.0)
    if width == 1.0:
        return (values > center - 0.5).astype(np.float64)
    return np.clip((values - (center - 0.5)) / (width - 1.0) + 0.5, 0.0, 1.0)


def robust_window(values: _FloatArray) -> tuple[float, float]:
    """Center and width from the 0.5th to the 99.5th percentile (a few hot or dead pixels, or a
    text overlay burned in at full scale, do not flatten the image).

    Pixels at the image's minimum (padding, the air outside a CT's field of view) are left out
    when they are at least a tenth of the image but not nearly all of it: a head CT then gets a
    window over the head, not over the head and the empty frame around it.
    """
    sample = values.ravel()
    if sample.size > 1_000_000:
        sample = sample[:: sample.size // 1_000_000]
    floor = sample.min()
    rest = sample[sample > floor]
    if 0.1 * sample.size <= sample.size - rest.size and rest.size >= 0.05 * sample.size:
        sample = rest
    lo, hi = (float(v) for v in np.percentile(sample, [0.5, 99.5]))
    if hi <= lo:
        lo, hi = float(sample.min()), float(sample.max())
    if hi <= lo:
        hi = lo + 1.0
    return (lo + hi) / 2.0, hi - lo


def _to_uint8(values: _FloatArray) -> npt.NDArray[np.uint8]:
    return np.asarray(np.rint(np.clip(values, 0.0, 1.0) * 255.0), dtype=np.uint8)


# --------------------------------------------------------------------------------------------
# JPEG
# --------------------------------------------------------------------------------------------


def _aspect(ds: Any) -> float:
    """Height of a pixel over its width (Pixel Spacing is row spacing \\ column spacing)."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        spacing = ds.get(keyword)
        try:
            row, col = float(spacing[0]), float(spacing[1])
        except (TypeError, ValueError, IndexError):
            continue
        if row > 0 and col > 0 and 0.2 <= row / col <= 5:
            return row / col
    ratio = ds.get("PixelAspectRatio")
    try:
        vertical, horizontal = float(ratio[0]), float(ratio[1])
        if vertical > 0 and horizontal > 0 and 0.2 <= vertical / horizontal <= 5:
            return vertical / horizontal
    except (TypeError, ValueError, IndexError):
        pass
    return 1.0


def preview_size(rows: int, cols: int, aspect: float = 1.0, box: int = PREVIEW_BOX) -> tuple[int, int]:
    """(width, height) of the preview of a ``rows`` × ``cols`` image: the image as displayed
    (``aspect`` = pixel height / width) shrunk to fit ``box``, never enlarged."""
    width, height = float(cols), rows * aspect
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _jpeg(pixels: npt.NDArray[np.uint8], aspect: float, box: int) -> Preview:
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(pixels))  # uint8: "L" or "RGB"
    size = preview_size(pixels.shape[0], pixels.shape[1], aspect, box)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    # No EXIF, no comment: the preview is pixels only.
    image.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return Preview(out.getvalue(), image.width, image.height)
