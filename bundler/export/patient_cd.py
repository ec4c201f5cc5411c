"""The patient disc: the package's inner layout, unencrypted, as a folder or an ISO image.

IHE PDI (RAD TF-3 §4.47) on DICOM's STD-GEN-CD/DVD profiles (PS3.11, PS3.12 Annex F)::

    README.TXT  INDEX.HTM  DICOMDIR  DICOM/PTnnnnnn/STnnnnnn/SEnnnnnn/IMnnnnnn
    DOCS/DOCnnnnn.EXT  CASE.JSON  SUMMARY.PDF (when the app makes one)
    IHE_PDI/SEnnnnnn.JPG  (with web content: one preview per series, linked from INDEX.HTM)
    MANIFEST.TXT

The files are the encrypted package's (:func:`bundler.export.layout.plan_package`): the
instances byte for byte as imported, non-DICOM content outside DICOM/ and the DICOMDIR. Only
README.TXT (it speaks of a disc, not of an encrypted package) and INDEX.HTM (previews, the
summary link) differ, and the web folder and MANIFEST.TXT are added. Nothing autoruns.

The image is ISO 9660 Level 1 (PS3.12 §F.1.2: 8.3 names, at most 8 directory levels) with a
Joliet tree for the full names; the Primary Volume Descriptor's Volume Identifier is the
DICOMDIR's File-set ID (§F.1.1) and the Joliet volume name is the human label (patient name
and date); see docs/decisions.md. Writing is atomic: the folder or image is made beside the
target under a private name and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

from bundler import __version__
from bundler.errors import BundlerError, CaseError, UsageError
from bundler.export.index_html import SeriesPreview, index_html, person_name
from bundler.export.layout import (
    CASE_JSON,
    DICOMDIR,
    INDEX_HTM,
    MANIFEST,
    README,
    SUMMARY_PDF,
    ManifestEntry,
    PackageFile,
    manifest_bytes,
    plan_package,
)
from bundler.export.package import atomic_output
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.store import CaseStore

__all__ = [
    "CAPACITY",
    "WEB_DIR",
    "DiscLabel",
    "DiscPlan",
    "DiscReport",
    "DiscTooLarge",
    "Media",
    "SizeCheck",
    "check_size",
    "disc_label",
    "estimate_image_size",
    "make_disc",
    "plan_disc",
]

log = logging.getLogger(__name__)

SECTOR: Final = 2048
WEB_DIR: Final = "IHE_PDI"  # IHE PDI: web content in its own root folder
MAX_LEVELS: Final = 8  # PS3.12 §F.1.2.1: the root is level 1
_CHUNK: Final = 8 * 1024 * 1024


# --------------------------------------------------------------------------------------------
# media and the size check
# --------------------------------------------------------------------------------------------


class Media(StrEnum):
    CD = "cd"
    DVD = "dvd"
    DVD_DL = "dvd_dl"


# User-data capacity of a blank write-once disc, the smaller of the "-" and "+" formats:
# CD-R 80 min (the 700 MB disc; its 360,000 sectors less the lead-out margin burners keep),
# DVD+R (2,295,104 sectors; DVD-R has 2,298,496), DVD-R DL (4,171,712; DVD+R DL 4,173,824).
CAPACITY: Final[dict[Media, int]] = {
    Media.CD: 700 * 1024 * 1024,
    Media.DVD: 2_295_104 * SECTOR,
    Media.DVD_DL: 4_171_712 * SECTOR,
}
MEDIA_NAMES: Final[dict[Media, str]] = {
    Media.CD: "a CD (700 MB)",
    Media.DVD: "a DVD (4.7 GB)",
    Media.DVD_DL: "a double-layer DVD (8.5 GB)",
}


class DiscTooLarge(BundlerError):
    """The records do not fit on the disc asked for."""

    code = "too_large"


def _human(n: int) -> str:
    if n < 1000**2:
        return f"{max(n, 1) / 1000:.0f} KB"
    if n < 1000**3:
        return f"{n / 1000**2:.0f} MB"
    return f"{n / 1000**3:.1f} GB"


@dataclass(frozen=True, slots=True)
class SizeCheck:
    """Which discs an image of ``size_bytes`` fits on, and what to say when it does not."""

    size_bytes: int
    fits: dict[Media, bool]
    requested: Media | None = None

    @property
    def ok(self) -> bool:
        """True when the requested disc (or, with none requested, any disc) holds the image."""
        return self.fits[self.requested] if self.requested else any(self.fits.values())

    def message(self) -> str | None:
        """A plain sentence when the records do not fit; ``None`` when they do."""
        if self.ok:
            return None
        size = _human(self.size_bytes)
        bigger = [MEDIA_NAMES[m] for m in Media if self.fits[m]]
        if self.requested is not None:
            text = f"The records take {size}: too much for {MEDIA_NAMES[self.requested]}."
            if bigger:
                text += f" They fit on {bigger[0]}."
        else:
            text = f"The records take {size}: too much for any CD or DVD."
        return (text + " Or copy the disc folder to a USB stick (records-bundler disc --out FOLDER), "
                "or send the encrypted package instead (records-bundler export).")

    def to_json(self) -> dict[str, Any]:
        return {"size_bytes": self.size_bytes, "fits": {str(m): v for m, v in self.fits.items()},
                "requested": str(self.requested) if self.requested else None, "message": self.message()}


def check_size(size_bytes: int, requested: Media | str | None = None) -> SizeCheck:
    """Compare an image size with the capacity of each kind of disc."""
    media = Media(requested) if requested else None
    return SizeCheck(size_bytes, {m: size_bytes <= CAPACITY[m] for m in Media}, media)


def estimate_image_size(files: Sequence[tuple[str, int]]) -> int:
    """Bytes of the ISO 9660 + Joliet image holding ``files`` (``(path, size)``), as written
    by :func:`make_disc`: system area and volume descriptors, path tables, one directory extent
    per folder in each tree, and every file rounded up to whole 2048-byte sectors."""
    dirs: dict[str, list[str]] = defaultdict(list)
    dirs[""] = []
    sectors = 0
    for path, size in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent, name = "/".join(parts[:depth - 1]), parts[depth - 1]
            if "/".join(parts[:depth]) not in dirs:
                dirs["/".join(parts[:depth])] = []
                dirs[parent].append(name)
        dirs["/".join(parts[:-1])].append(parts[-1] + ".;1")
        sectors += -(-size // SECTOR)
    for entries in dirs.values():
        for width in (1, 2):  # ISO 9660 names in bytes, Joliet names in UCS-2
            used, extent = 68, 1  # "." and ".."
            for name in entries:
                record = 33 + width * len(name)
                record += record % 2
                if used + record > SECTOR:
                    extent, used = extent + 1, 0
                used += record
            sectors += extent
    table = sum(8 + len(p.rsplit("/", 1)[-1] or "x") + len(p.rsplit("/", 1)[-1] or "x") % 2 for p in dirs)
    # 16 system sectors, PVD, Joliet SVD, terminator, pycdlib's version descriptor; four path
    # tables (L and M) per tree.
    sectors += 20 + 2 * 4 * -(-2 * table // SECTOR)
    return sectors * SECTOR


# --------------------------------------------------------------------------------------------
# the label
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiscLabel:
    """The names a disc goes by.

    ``volume_id`` is the ISO 9660 Volume Identifier (32 d-characters; PS3.12 §F.1.1 makes it
    the DICOMDIR's File-set ID); ``joliet_id`` the name operating systems show (16 characters);
    ``volume_set_id`` the whole PDI label in d-characters (128); ``text`` the label to write
    on the disc: patient name, date, and "DICOM ONLY" or "DICOM PLUS WEB" (IHE PDI).
    """

    volume_id: str
    joliet_id: str
    volume_set_id: str
    text: str
    content: str  # "DICOM ONLY" or "DICOM PLUS WEB"

    def to_json(self) -> dict[str, str]:
        return {"volume_id": self.volume_id, "joliet_volume_id": self.joliet_id,
                "volume_set_id": self.volume_set_id, "text": self.text, "content": self.content}


def _d_characters(text: str) -> str:
    """Upper-case A–Z, 0–9 and _ (ISO 9660 d-characters), letters stripped of accents."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").upper()
    return re.sub(r"_+", "_", re.sub(r"[^A-Z0-9]", "_", folded)).strip("_")


def _joliet_text(text: str) -> str:
    # Joliet forbids * / : ; ? \ and control characters; names are UCS-2 (no astral planes).
    cleaned = "".join(c for c in text if ord(c) <= 0xFFFF and unicodedata.category(c)[0] != "C")
    return re.sub(r"\s+", " ", re.sub(r"[*/:;?\\]", " ", cleaned)).strip()


def disc_label(patient_name: str, made_on: datetime.date, *, web: bool, fileset_id: str = "") -> DiscLabel:
    """The label of a disc for ``patient_name`` (DICOM PN: ``Family^Given^Middle``) made on
    ``made_on``; ``fileset_id`` becomes the Volume Identifier (PS3.12 §F.1.1)."""
    content = "DICOM PLUS WEB" if web else "DICOM ONLY"
    parts = [p.strip() for p in (patient_name or "").split("=")[0].split("^")]
    family, given = (parts + ["", ""])[:2]
    day = made_on.strftime("%Y%m%d")
    # Joliet: 16 characters, the date takes 9 ("␣YYYYMMDD"): family name and initial in 7.
    who = _joliet_text(family) or _joliet_text(given) or "PATIENT"
    initial = _joliet_text(given)[:1] if _joliet_text(family) else ""
    short = who[:7] if not initial or len(who) > 5 else f"{who} {initial}"
    joliet = f"{short.strip()} {day}"
    ascii_name = "_".join(p for p in (_d_characters(family), _d_characters(given)) if p) or "PATIENT"
    volume_set = f"{ascii_name[:128 - 10 - len(content) - 1]}_{day}_{_d_characters(content)}"
    text = f"{person_name(patient_name) if patient_name else '(no name)'} - {made_on.isoformat()} - {content}"
    return DiscLabel(volume_id=_d_characters(fileset_id)[:32], joliet_id=joliet[:16],
                     volume_set_id=volume_set[:128], text=text, content=content)


# --------------------------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiscPlan:
    """Every file of the disc in order (MANIFEST.TXT last), and what it holds."""

    files: tuple[PackageFile, ...]
    label: DiscLabel
    instances: int
    documents: int
    previews: int
    summary: bool
    unlisted: int = 0
    preview_of: dict[str, SeriesPreview] = field(default_factory=dict)  # by Series Instance UID

    @property
    def payload_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def image_bytes(self) -> int:
        return estimate_image_size([(f.path, f.size) for f in self.files])


def _summary_pdf(store: CaseStore) -> Callable[[str], bytes]:
    """SUMMARY.PDF for the disc: the one-page summary, drawn with the records' fingerprint."""
    from bundler.export.summary_pdf import case_summary_pdf

    def draw(fingerprint: str) -> bytes:
        return case_summary_pdf(store, fingerprint=fingerprint)

    return draw


def _preview_files(
    store: CaseStore, progress: Progress, cancel: CancelToken,
) -> tuple[list[PackageFile], dict[str, SeriesPreview]]:
    from bundler.export.previews import key_instances, render_preview

    by_series: dict[str, list[Any]] = defaultdict(list)
    for inst in store.instances():
        by_series[inst.series_uid].append(inst)
    files: list[PackageFile] = []
    previews: dict[str, SeriesPreview] = {}
    failed = 0
    for n, (series_uid, members) in enumerate(by_series.items()):
        cancel.raise_if_cancelled()
        progress(n, len(by_series), "Making the previews")
        candidates = key_instances(members)
        for inst in candidates[:3]:
            preview = render_preview(store.blob_path(inst.sha256), transfer_syntax_uid=inst.transfer_syntax_uid)
            if preview is not None:
                path = f"{WEB_DIR}/SE{len(files) + 1:06d}.JPG"
                files.append(PackageFile(path, len(preview.jpeg), hashlib.sha256(preview.jpeg).hexdigest(),
                                         data=preview.jpeg))
                previews[series_uid] = SeriesPreview(path, preview.width, preview.height)
                break
        else:
            failed += 1 if candidates else 0
    progress(len(by_series), len(by_series), "Making the previews")
    log.info("previews: %d made, %d series without a decodable image", len(files), failed)
    return files, previews


def _readme(case: dict[str, Any], label: DiscLabel, *, web: bool, summary: bool) -> str:
    names = ", ".join(person_name(p["name"]) for p in case["identity"]["patients"]) or "(not named)"
    n_images = sum(s["instances"] for s in case["studies"])
    lines = [
        "MEDICAL RECORDS FOR A SECOND OPINION",
        "====================================",
        "",
        f"Patient: {names}",
        f"Made: {case['exported_at'][:10]} with {case['generator']}",
        f"Disc label: {label.text}",
        f"Contents: {len(case['studies'])} imaging studies ({n_images} DICOM files), "
        f"{len(case['documents'])} documents.",
        "",
        "This disc follows IHE PDI (Portable Data for Imaging): any DICOM viewer or hospital",
        "import station reads it. Nothing on it starts by itself.",
        "",
        "WHAT IS ON THIS DISC",
        "  INDEX.HTM     Open in a web browser: the studies and documents, with links"
        + (" and a" if web else "."),
        *(["                small picture of each series (in the IHE_PDI folder)."] if web else []),
        *(["  SUMMARY.PDF   The one-page summary for the reviewer: read it first."] if summary else []),
        "  DICOMDIR      Open with a DICOM viewer (Weasis, Horos, OsiriX, RadiAnt, MicroDicom...)",
        "                to see the images. The images are in the DICOM folder, unchanged from",
        "                the discs and files they came from.",
        "  DOCS          The documents (reports, letters, lab results). Their original names",
        "                are listed in INDEX.HTM and CASE.JSON.",
        "  CASE.JSON     The same information for software.",
        "  MANIFEST.TXT  The SHA-256 checksum and size of every file, to check nothing changed:",
        "                sha256sum (Linux), shasum -a 256 (macOS), certutil -hashfile F SHA256",
        "                (Windows).",
        "",
        "FOR A HOSPITAL IMPORT STATION",
        "  Import through the DICOMDIR. The DICOM files keep their original patient IDs;",
        "  please reconcile them with your own.",
        "",
        "This disc is not encrypted (IHE PDI does not allow it). It holds personal health",
        "information: keep it safe and give it only to the people caring for the patient.",
    ]
    return "\r\n".join(lines) + "\r\n"


def _generated(name: str, data: bytes) -> PackageFile:
    return PackageFile(name, len(data), hashlib.sha256(data).hexdigest(), data=data)


def _hash(file: PackageFile, cancel: CancelToken) -> str:
    sha = hashlib.sha256()
    with file.open() as src:
        buf = bytearray(1024 * 1024)
        view = memoryview(buf)
        while n := src.readinto(view):
            cancel.raise_if_cancelled()
            sha.update(view[:n])
    return sha.hexdigest()


def _check_levels(paths: Sequence[str]) -> None:
    for path in paths:
        if path.count("/") + 1 > MAX_LEVELS:  # folders on the way, the root counting as one
            raise CaseError("The disc would hold folders nested more than 8 deep.", code="too_deep")


def plan_disc(
    store: CaseStore,
    *,
    with_web: bool = False,
    made_at: datetime.datetime | None = None,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> DiscPlan:
    """Lay out ``store`` as a patient disc (see the module docstring). Holds no instance in
    memory; the previews (with ``with_web``) are made here."""
    made_at = made_at or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    summary = _summary_pdf(store)
    plan = plan_package(store, summary_pdf=summary, exported_at=made_at, progress=progress, cancel=cancel)
    if not plan.instances and not plan.documents:
        raise UsageError("This case holds no records to put on a disc yet.")
    by_name = {f.path: f for f in plan.files}
    case = json.loads(by_name[CASE_JSON].data or b"{}")
    web_files: list[PackageFile] = []
    previews: dict[str, SeriesPreview] = {}
    if with_web:
        web_files, previews = _preview_files(store, progress, cancel)
    patients = case["identity"]["patients"]
    label = disc_label(patients[0]["name"] if patients else "", made_at.date(), web=with_web,
                       fileset_id=_fileset_id(by_name[DICOMDIR].data or b""))
    readme = _readme(case, label, web=with_web, summary=summary is not None).encode("utf-8")
    index = index_html(case, previews=previews, summary=SUMMARY_PDF if summary is not None else None)
    replaced = {README: _generated(README, readme), INDEX_HTM: _generated(INDEX_HTM, index.encode("utf-8"))}
    files = [replaced.get(f.path, f) for f in plan.files] + web_files
    entries: list[ManifestEntry] = []
    for f in files:
        sha = f.sha256 or _hash(f, cancel)  # a wrapped instance: hashed now, for MANIFEST.TXT
        entries.append(ManifestEntry(f.path, f.size, sha, f.original_sha256))
    files.append(_generated(MANIFEST, manifest_bytes(entries)))
    _check_levels([f.path for f in files])
    return DiscPlan(tuple(files), label, plan.instances, plan.documents, len(web_files),
                    summary is not None, plan.unlisted, previews)


def _fileset_id(dicomdir: bytes) -> str:
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(dicomdir), specific_tags=[(0x0004, 0x1130)])
        return str(ds.get("FileSetID") or "")
    except Exception:  # noqa: BLE001 - our own DICOMDIR; a label without it is still a label
        log.debug("no File-set ID read from the DICOMDIR", exc_info=True)
        return ""


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiscReport:
    path: Path
    iso: bool
    size_bytes: int  # the image (ISO), or the image the folder would make
    payload_bytes: int
    files: int
    instances: int
    documents: int
    previews: int
    summary: bool
    label: DiscLabel
    size_check: SizeCheck
    seconds: float
    unlisted: int = 0
    preview_of: dict[str, SeriesPreview] = field(default_factory=dict)  # by Series Instance UID

    def to_json(self) -> dict[str, Any]:
        check = self.size_check.to_json()
        return {
            "path": str(self.path), "format": "iso" if self.iso else "folder",
            "size_bytes": self.size_bytes, "fits": check["fits"], "media_message": check["message"],
            "payload_bytes": self.payload_bytes, "files": self.files, "instances": self.instances,
            "documents": self.documents, "previews": self.previews, "summary_pdf": self.summary,
            "unlisted_in_dicomdir": self.unlisted, "label": self.label.to_json(),
            "seconds": round(self.seconds, 3),
        }


class _Bytes:
    """Progress in bytes over the whole disc, at most once per MiB."""

    def __init__(self, progress: Progress, total: int, message: str) -> None:
        self.progress, self.total, self.message = progress, total, message
        self.done = 0
        self._reported = -(1 << 20)

    def add(self, n: int) -> None:
        self.done += n
        if self.done - self._reported >= 1 << 20 or self.done >= self.total:
            self._reported = self.done
            self.progress(self.done, self.total, self.message)


class _ChangedWhileWriting(CaseError):
    def __init__(self) -> None:
        super().__init__("A file of this case changed or was damaged while the disc was being made.",
                         code="case_damaged")


def _copy(file: PackageFile, target: Path, bytes_done: _Bytes, cancel: CancelToken) -> None:
    with open(target, "xb") as dst:
        if file.data is not None:
            dst.write(file.data)
            bytes_done.add(file.size)
        else:
            left = file.size
            with file.open() as src:
                buf = bytearray(_CHUNK)
                view = memoryview(buf)
                while left > 0:
                    cancel.raise_if_cancelled()
                    n = src.readinto(view[:min(_CHUNK, left)]) or 0
                    if n <= 0:
                        raise _ChangedWhileWriting()
                    dst.write(view[:n])
                    left -= n
                    bytes_done.add(n)
                if src.read(1):
                    raise _ChangedWhileWriting()
        dst.flush()
        os.fsync(dst.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_folder(plan: DiscPlan, out: Path, progress: Progress, cancel: CancelToken) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".records-bundler-", suffix=".partial", dir=out.parent))
    try:
        bytes_done = _Bytes(progress, plan.payload_bytes, "Writing the disc folder")
        made: set[Path] = {staging}
        for f in plan.files:
            cancel.raise_if_cancelled()
            target = staging.joinpath(*f.path.split("/"))
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            _copy(f, target, bytes_done, cancel)
        for folder in sorted(made, key=lambda p: -len(p.parts)):
            _fsync_dir(folder)
        try:
            out.rmdir()  # an empty folder may be replaced; anything else was refused before
        except FileNotFoundError:
            pass
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(out.parent)


def _iso_names(paths: Sequence[str]) -> dict[str, str]:
    """ISO 9660 Level 1 path for each path (and its folders): 8.3 d-character names, the
    version ``;1``; the names the layout makes already conform, other ones are shortened."""
    out: dict[str, str] = {"": ""}
    taken: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key in out:
                continue
            parent = "/".join(parts[:depth - 1])
            is_file = depth == len(parts)
            stem, dot, ext = parts[depth - 1].rpartition(".") if is_file else ("", "", parts[depth - 1])
            stem = stem if dot else ext
            ext = ext if dot else ""
            base = _d_characters(stem)[:8] or "FILE"
            ext = _d_characters(ext)[:3]
            name = f"{base}.{ext};1" if is_file else base
            counter = 0
            while name.split(";")[0] in taken[parent]:
                counter += 1
                base = f"{base[:8 - len(str(counter)) - 1]}_{counter}"
                name = f"{base}.{ext};1" if is_file else base
            taken[parent].add(name.split(";")[0])
            out[key] = f"{out[parent]}/{name}"
    return out


class _Prefixed(io.RawIOBase):
    """``prefix`` then a blob from ``offset``, seekable, opened only while being read: a
    wrapped instance for pycdlib, which seeks to each file as it writes the image."""

    def __init__(self, file: PackageFile) -> None:
        super().__init__()
        assert file.blob is not None
        self._file = file
        self._pos = 0
        self._fh: io.BufferedReader | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._file.size}[whence]
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        # Fills the buffer (pycdlib takes a short read for the end of the file).
        view = memoryview(buffer).cast("B")
        prefix = self._file.prefix
        filled = 0
        while filled < len(view) and self._pos < self._file.size:
            if self._pos < len(prefix):
                n = min(len(view) - filled, len(prefix) - self._pos)
                view[filled:filled + n] = prefix[self._pos:self._pos + n]
            else:
                if self._fh is None:
                    assert self._file.blob is not None
                    self._fh = open(self._file.blob, "rb")  # noqa: SIM115 - closed at the end or in close()
                self._fh.seek(self._file.blob_offset + self._pos - len(prefix))
                n = self._fh.readinto(view[filled:filled + min(len(view) - filled, self._file.size - self._pos)]) or 0
                if n == 0:
                    raise _ChangedWhileWriting()
            self._pos += n
            filled += n
        if self._pos >= self._file.size:
            self._close_blob()
        return filled

    def _close_blob(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        self._close_blob()
        super().close()


def _write_iso(plan: DiscPlan, out: Path, progress: Progress, cancel: CancelToken) -> None:
    import pycdlib
    from pycdlib import utils as cdutils

    label = plan.label
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=1, joliet=3, vol_ident=label.volume_id, vol_set_ident=label.volume_set_id,
            app_ident_str=f"RECORDS BUNDLER {__version__}".upper()[:128],
            preparer_ident_str="RECORDS BUNDLER")
    # pycdlib gives Joliet the ISO Volume Identifier; operating systems show the Joliet one.
    assert iso.joliet_vd is not None
    iso.joliet_vd.volume_identifier = cdutils.encode_space_pad(label.joliet_id.encode("utf-8"), 32, "utf-16_be")
    names = _iso_names([f.path for f in plan.files])
    opened: list[io.IOBase] = []
    try:
        file_paths = {f.path for f in plan.files}
        folders = sorted((k for k in names if k and k not in file_paths), key=lambda k: (k.count("/"), k))
        for folder in folders:
            iso.add_directory(names[folder], joliet_path="/" + folder)
        for f in plan.files:
            cancel.raise_if_cancelled()
            joliet = "/" + f.path
            if f.data is not None:
                fp: io.IOBase = io.BytesIO(f.data)
                opened.append(fp)
                iso.add_fp(cast(BinaryIO, fp), f.size, names[f.path], joliet_path=joliet)
            elif f.prefix or f.blob_offset:
                fp = _Prefixed(f)
                opened.append(fp)
                iso.add_fp(cast(BinaryIO, fp), f.size, names[f.path], joliet_path=joliet)
            else:
                assert f.blob is not None
                if f.blob.stat().st_size != f.size:
                    raise _ChangedWhileWriting()
                iso.add_file(str(f.blob), names[f.path], joliet_path=joliet)

        def report(done: int, total: int, opaque: Any) -> None:
            cancel.raise_if_cancelled()
            progress(done, total, "Writing the disc image")

        with atomic_output(out) as fh:
            iso.write_fp(fh, blocksize=1 << 20, progress_cb=report)
    finally:
        with contextlib.suppress(Exception):
            iso.close()
        for fp in opened:
            fp.close()


def _check_target(out: Path, *, iso: bool) -> None:
    if not out.parent.is_dir():
        raise UsageError("The folder where the disc is to be written does not exist.")
    if iso:
        if out.is_dir():
            raise UsageError("The output must be a file name for the disc image, not a folder.")
    elif out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError("The output folder already exists and is not empty; choose a new name.")


def make_disc(
    store: CaseStore,
    out: Path | str,
    *,
    iso: bool = False,
    with_web: bool = False,
    media: Media | str | None = None,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
    made_at: datetime.datetime | None = None,
) -> DiscReport:
    """Write the patient disc of ``store`` at ``out``: a folder, or with ``iso`` an ISO image.

    Parameters
    ----------
    store
        The case (read only).
    out
        A new (or empty) folder, or the image file (an existing file is replaced). Until the
        disc is complete nothing appears under this name; a failure or cancel leaves nothing.
    with_web
        Add a preview of each series for INDEX.HTM (IHE PDI web content: "DICOM PLUS WEB").
    media
        The disc it is meant for (``cd``, ``dvd``, ``dvd_dl``): when the records do not fit,
        :class:`DiscTooLarge` is raised before anything is written.
    progress, cancel
        Called and polled per file and per MiB; a cancel raises
        :class:`~bundler.errors.Cancelled`.

    Raises
    ------
    UsageError
        An empty case or an unusable ``out``.
    DiscTooLarge
        The records do not fit on ``media``.
    CaseError
        A file of the case is missing or damaged in the store.
    """
    started = time.monotonic()
    out = Path(out)
    requested = Media(media) if media else None
    _check_target(out, iso=iso)
    plan = plan_disc(store, with_web=with_web, made_at=made_at, progress=progress, cancel=cancel)
    estimate = plan.image_bytes
    check = check_size(estimate, requested)
    if requested is not None and not check.ok:
        raise DiscTooLarge(check.message() or "")
    free = shutil.disk_usage(out.parent).free
    needed = (estimate if iso else plan.payload_bytes) + (1 << 20)
    if free < needed:
        raise UsageError(f"There is not enough free space for the disc: it needs about {_human(needed)} "
                         f"and {_human(free)} are free.", code="no_space")
    log.info("writing a patient disc (%s): %d files, %d bytes", "iso" if iso else "folder",
             len(plan.files), plan.payload_bytes)
    if iso:
        _write_iso(plan, out, progress, cancel)
        size = out.stat().st_size
        check = check_size(size, requested)
    else:
        _write_folder(plan, out, progress, cancel)
        size = estimate
    report = DiscReport(
        path=out, iso=iso, size_bytes=size, payload_bytes=plan.payload_bytes, files=len(plan.files),
        instances=plan.instances, documents=plan.documents, previews=plan.previews, summary=plan.summary,
        label=plan.label, size_check=check, seconds=time.monotonic() - started, unlisted=plan.unlisted,
        preview_of=plan.preview_of,
    )
    log.info("patient disc written: %d bytes in %.1f s", size, report.seconds)
    return report
