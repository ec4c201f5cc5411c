"""One image of a series, decoded for the viewer: task-side code (no widgets, no event loop).

The series viewer asks for one image at a time through :mod:`ui.tasks`; :func:`render` runs on
the worker, decodes that image only (pydicom, with pylibjpeg and its plugins for JPEG,
JPEG-LS and JPEG 2000; RLE and Deflate natively), keeps the decoded values in a small cache,
and windows them into an 8-bit ``QImage``. The display rules are the export previews'
(:mod:`bundler.export.previews`: Modality LUT, then the VOI LUT or the header's window, else a
robust window; MONOCHROME1 and INVERSE shown inverted), so the viewer and the INDEX.HTM
previews agree.

CT images can be shown through the usual window presets instead (Hounsfield units, after the
Modality LUT). These are conventional starting points, not diagnostic settings.

This belongs in the core (a ``decode_frame`` beside ``render_preview``); it lives here until
the core offers it, so that the pydicom dataset never leaves this module.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtGui import QImage

from bundler.export.previews import apply_window, grayscale
from bundler.model import DicomObjectKind, Series

__all__ = [
    "AUTO",
    "CT_PRESETS",
    "CACHE_BYTES",
    "DecodedImage",
    "FrameCache",
    "ImageRef",
    "RenderedImage",
    "decode",
    "image_refs",
    "render",
]

log = logging.getLogger(__name__)

AUTO: Final = "auto"
"""The window the scan was saved with (its VOI LUT or window), else one fitted to the image."""

# (key, name, centre, width) in Hounsfield units: the common CT starting points.
CT_PRESETS: Final[tuple[tuple[str, Any, float, float], ...]] = (
    ("lung", QT_TRANSLATE_NOOP("SeriesViewer", "Lung"), -600.0, 1500.0),
    ("soft-tissue", QT_TRANSLATE_NOOP("SeriesViewer", "Soft tissue"), 40.0, 400.0),
    ("bone", QT_TRANSLATE_NOOP("SeriesViewer", "Bone"), 400.0, 1800.0),
    ("brain", QT_TRANSLATE_NOOP("SeriesViewer", "Brain"), 40.0, 80.0),
)

CACHE_BYTES: Final = 160 * 1024 * 1024
"""Decoded values kept for quick paging back and forth (a 512 × 512 CT image is 1 MB)."""

_MAX_PIXELS: Final = 80_000_000
_MAX_WHOLE_FILE: Final = 512 * 1024 * 1024

_FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One picture of a series: a file, and a frame of it (multi-frame images have many)."""

    path: Path
    frame: int
    frames: int
    transfer_syntax_uid: str
    instance_number: int | None


def image_refs(series: Series, blob_path: Callable[[str], Path]) -> list[ImageRef]:
    """Every picture of ``series`` in viewing order: by Instance Number, then frame."""
    images = [i for i in series.instances if i.kind == DicomObjectKind.IMAGE]
    images.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0, i.sop_instance_uid))
    refs = []
    for instance in images:
        frames = max(1, instance.frames or 1)
        for frame in range(frames):
            refs.append(ImageRef(blob_path(instance.sha256), frame, frames, instance.transfer_syntax_uid,
                                 instance.instance_number))
    return refs


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """The decoded values of one picture, ready to be windowed again and again."""

    values: _FloatArray | None  # grayscale: after the Modality LUT (Hounsfield units for CT)
    default: npt.NDArray[np.uint8]  # as the scan says it is shown (2-D gray or 3-D RGB)
    inverted: bool  # MONOCHROME1 or an INVERSE presentation: white is low
    aspect: float  # a pixel's height over its width

    @property
    def nbytes(self) -> int:
        return int(self.default.nbytes + (self.values.nbytes if self.values is not None else 0))

    @property
    def colour(self) -> bool:
        return self.values is None


@dataclass(frozen=True, slots=True)
class RenderedImage:
    ref: ImageRef
    window: str
    image: QImage
    aspect: float
    colour: bool


class FrameCache:
    """Decoded pictures, least recently used first out; safe to use from worker threads."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Path, int], DecodedImage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, ref: ImageRef) -> DecodedImage | None:
        with self._lock:
            item = self._items.get((ref.path, ref.frame))
            if item is not None:
                self._items.move_to_end((ref.path, ref.frame))
            return item

    def put(self, ref: ImageRef, item: DecodedImage) -> None:
        key = (ref.path, ref.frame)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = item
            self._bytes += item.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def render(ref: ImageRef, window: str, cache: FrameCache) -> RenderedImage:
    """``ref`` as an 8-bit image through ``window`` (:data:`AUTO` or a CT preset key).

    Raises ``ValueError`` (or pydicom's errors) when the picture cannot be decoded.
    """
    decoded = cache.get(ref)
    if decoded is None:
        decoded = decode(ref)
        cache.put(ref, decoded)
    pixels = decoded.default
    if window != AUTO and decoded.values is not None:
        preset = next((p for p in CT_PRESETS if p[0] == window), None)
        if preset is not None:
            shown = apply_window(decoded.values.astype(np.float64), preset[2], preset[3])
            if decoded.inverted:
                shown = 1.0 - shown
            pixels = np.asarray(np.rint(np.clip(shown, 0.0, 1.0) * 255.0), dtype=np.uint8)
    return RenderedImage(ref, window, _qimage(pixels), decoded.aspect, decoded.colour)


def _qimage(pixels: npt.NDArray[np.uint8]) -> QImage:
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.ndim == 3:
        image = QImage(pixels.data, width, height, width * 3, QImage.Format.Format_RGB888)
    else:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    return image.copy()  # the array's memory is not the image's


# --------------------------------------------------------------------------------------------
# decoding
# --------------------------------------------------------------------------------------------


def decode(ref: ImageRef) -> DecodedImage:
    """Decode one picture. Errors propagate; the viewer says the image cannot be shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds, arr = _read_frame(ref)
        _flatten_functional_groups(ds, ref.frame)
        photometric = str(ds.get("PhotometricInterpretation") or "MONOCHROME2").strip().upper()
        aspect = _aspect(ds)
        if photometric == "PALETTE COLOR":
            from pydicom.pixels.processing import apply_color_lut

            rgb = apply_color_lut(arr, ds)
            scale = float(np.iinfo(rgb.dtype).max) if rgb.dtype.kind in "ui" else 1.0
            return DecodedImage(None, _to_uint8(rgb.astype(np.float64) / scale), False, aspect)
        if arr.ndim == 3:  # RGB (pydicom has converted YBR)
            bits = int(ds.get("BitsStored") or 8)
            return DecodedImage(None, _to_uint8(arr.astype(np.float64) / float((1 << bits) - 1)), False, aspect)
        from pydicom.pixels.processing import apply_modality_lut

        values = np.asarray(apply_modality_lut(arr, ds), dtype=np.float32)
        inverted = (photometric == "MONOCHROME1"
                    or str(ds.get("PresentationLUTShape") or "").strip().upper() == "INVERSE")
        return DecodedImage(values, _to_uint8(grayscale(arr, ds)), inverted, aspect)


def _read_frame(ref: ImageRef) -> tuple[Any, npt.NDArray[Any]]:
    import pydicom
    from pydicom.pixels.utils import pixel_array
    from pydicom.uid import UID, ImplicitVRLittleEndian

    header = pydicom.dcmread(ref.path, force=True, stop_before_pixels=True)
    rows, cols = int(header.get("Rows") or 0), int(header.get("Columns") or 0)
    samples = int(header.get("SamplesPerPixel") or 1)
    if not rows or not cols or rows * cols * samples > _MAX_PIXELS:
        raise ValueError("no picture, or a picture too large to show")
    meta = getattr(header, "file_meta", None)
    if meta is not None and meta.get("TransferSyntaxUID"):
        try:
            # From the path: pydicom reads only the frame it needs (a multi-frame stays on disk).
            ds = pydicom.Dataset()
            arr = pixel_array(str(ref.path), ds_out=ds, index=ref.frame)
            return _with_groups(ds, header), arr
        except AttributeError:
            pass  # a deflated dataset, or elements after the pixel data: read it whole below
    if ref.path.stat().st_size > _MAX_WHOLE_FILE:
        raise ValueError("file too large to read whole")
    ds = pydicom.dcmread(ref.path, force=True)
    if not ds.file_meta.get("TransferSyntaxUID"):
        # A bare dataset (no File Meta): the transfer syntax the index found when importing it.
        ds.file_meta.TransferSyntaxUID = UID(ref.transfer_syntax_uid) if ref.transfer_syntax_uid else ImplicitVRLittleEndian
    return ds, pixel_array(ds, index=ref.frame)


def _with_groups(ds: Any, header: Any) -> Any:
    # pixel_array's ds_out holds only the Image Pixel elements; the Presentation LUT Shape and
    # an enhanced multi-frame image's functional groups are elsewhere: take them from the header.
    for element in header:
        if element.tag not in ds:
            ds.add(element)
    return ds


def _flatten_functional_groups(ds: Any, frame: int) -> None:
    """Enhanced multi-frame images (PS3.3 C.7.6.16) keep the rescale and the window per frame
    or shared; copy this frame's to the top level, where the display code looks for them."""
    groups: list[Any] = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame < len(per_frame):
        groups.append(per_frame[frame])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        groups.append(shared[0])
    for group in groups:
        transform = group.get("PixelValueTransformationSequence")
        if transform and "RescaleSlope" not in ds:
            item = transform[0]
            for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType"):
                if keyword in item:
                    setattr(ds, keyword, item.get(keyword))
        voi = group.get("FrameVOILUTSequence")
        if voi and "WindowCenter" not in ds:
            item = voi[0]
            for keyword in ("WindowCenter", "WindowWidth", "VOILUTFunction"):
                if keyword in item:
                    setattr(ds, keyword, item.get(keyword))
        measures = group.get("PixelMeasuresSequence")
        if measures and "PixelSpacing" not in ds and "PixelSpacing" in measures[0]:
            ds.PixelSpacing = measures[0].PixelSpacing


def _aspect(ds: Any) -> float:
    """A pixel's height over its width (Pixel Spacing is row spacing \\ column spacing)."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        try:
            row, col = (float(v) for v in list(ds.get(keyword))[:2])
        except (TypeError, ValueError):
            continue
        if row > 0 and col > 0 and 0.2 <= row / col <= 5:
            return row / col
    try:
        vertical, horizontal = (float(v) for v in list(ds.get("PixelAspectRatio"))[:2])
        if vertical > 0 and horizontal > 0 and 0.2 <= vertical / horizontal <= 5:
            return vertical / horizontal
    except (TypeError, ValueError):
        pass
    return 1.0


def _to_uint8(values: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    return np.asarray(np.rint(np.clip(values, 0.0, 1.0) * 255.0), dtype=np.uint8)


def preset_names() -> Sequence[tuple[str, str]]:
    """(key, untranslated name) of the CT presets, for the viewer's menu."""
    return [(key, name) for key, name, _c, _w in CT_PRESETS]
