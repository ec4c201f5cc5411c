"""The inner layout of a package: which files, under which names, from which bytes.

The layout is IHE PDI shaped, so any DICOM viewer opens the folder once decrypted::

    README.TXT     how to open and what is inside (patient data allowed: it is encrypted)
    INDEX.HTM      the human index: patients, studies, documents, links (static, escaped)
    CASE.JSON      the machine-readable case: identity, studies with their files, documents
                   with their original names and kinds, timeline, findings
    DICOMDIR       the PS3.10 file-set directory of DICOM/
    DICOM/PTnnnnnn/STnnnnnn/SEnnnnnn/IMnnnnnn
                   the instances, byte-identical to the imported files (PS3.10 §8.5 File IDs:
                   at most 8 components of at most 8 characters A–Z 0–9 _)
    DOCS/DOCnnnnn.EXT
                   the documents, under neutral names (their real names are in CASE.JSON)
    SUMMARY.PDF    the one-page summary, when the app makes one
    MANIFEST.TXT   SHA-256 and size of every other file; always the last file

An instance imported without a Part 10 header (a bare dataset) is wrapped while it is
packaged: preamble, ``DICM`` and a File Meta group are put before its dataset bytes, which
stay as they were. Its manifest line gives both the packaged file's hash and the imported
file's (``wrapped-from=``). No name in the layout carries patient data: the AES ZIP's
directory is not encrypted.

docs/package-format.md is the normative description; this module and
:mod:`bundler.export.package` implement it.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import os
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final, Protocol

from bundler import __version__
from bundler.errors import CaseError, UnsafePath
from bundler.export.index_html import index_html, person_name
from bundler.model import Document, Instance
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress
from bundler.safepath import clean_member_name
from bundler.store import CaseStore

if TYPE_CHECKING:
    from bundler.export.dicomdir_writer import DicomdirResult

# pydicom (a third of a second to import) is imported where a plan is made, not here:
# verifying and opening a package need only the names and the manifest.

__all__ = [
    "CASE_JSON",
    "DICOMDIR",
    "FORMAT_VERSION",
    "INDEX_HTM",
    "MANIFEST",
    "README",
    "README_FIRST",
    "SUMMARY_PDF",
    "ManifestEntry",
    "ManifestError",
    "PackageFile",
    "PackagePlan",
    "check_name",
    "is_layout_name",
    "manifest_bytes",
    "parse_manifest",
    "plan_package",
    "readme_first_text",
]

log = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
README: Final = "README.TXT"
INDEX_HTM: Final = "INDEX.HTM"
CASE_JSON: Final = "CASE.JSON"
DICOMDIR: Final = "DICOMDIR"
SUMMARY_PDF: Final = "SUMMARY.PDF"
MANIFEST: Final = "MANIFEST.TXT"
README_FIRST: Final = "README-FIRST.TXT"
_TOP_LEVEL: Final = frozenset({README, INDEX_HTM, CASE_JSON, DICOMDIR, SUMMARY_PDF, MANIFEST})
_FILESET_ID: Final = "RECORDS"

_COMPONENT: Final = re.compile(r"[A-Z0-9_]{1,8}")  # PS3.10 §8.5 (and §8.2 character set)
_DOC_NAME: Final = re.compile(r"DOC[0-9]{5}\.[A-Z0-9]{1,4}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_MANIFEST_HEADER: Final = (
    f"# Records Bundler package manifest, format {FORMAT_VERSION}\n"
    "# SHA-256  size  path  [wrapped-from=SHA-256 of the file as imported]\n"
)

_EXTENSIONS: Final = {
    "application/pdf": "PDF",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "text/plain": "TXT",
    "text/html": "HTM",
    "application/xhtml+xml": "HTM",
    "application/xhtml": "HTM",
    "application/xml": "XML",
    "application/hl7-cda+xml": "XML",
    "application/fhir+json": "JSON",
    "application/json": "JSON",
    "application/hl7-v2": "HL7",
    "application/rtf": "RTF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/tiff": "TIF",
    "image/webp": "WEBP",
    "image/heic": "HEIC",
    "image/gif": "GIF",
    "image/bmp": "BMP",
}


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------


def is_layout_name(name: str) -> bool:
    """True when ``name`` is a name the layout allows (checked on every file we read back)."""
    if name in _TOP_LEVEL:
        return True
    parts = name.split("/")
    if parts[0] == "DICOM":
        return 2 <= len(parts) <= 8 and all(_COMPONENT.fullmatch(p) for p in parts[1:])
    return parts[0] == "DOCS" and len(parts) == 2 and _DOC_NAME.fullmatch(parts[1]) is not None


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe relative path; else raise :class:`UnsafePath`.

    Absolute paths, drive letters, ``..``, backslashes and NULs are unsafe (a hostile package
    could write outside the destination). A safe name that the layout does not allow is the
    caller's problem to report (:func:`is_layout_name`).
    """
    rel = clean_member_name(name)
    if "\\" in name or rel.as_posix() != name:
        raise UnsafePath("The package contains a file name that is not a plain relative path.")
    return name


# --------------------------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PackageFile:
    """One file of the package and where its bytes come from.

    The content is ``data`` (a generated file) or ``prefix`` followed by the bytes of
    ``blob`` from ``blob_offset`` to its end (an imported file, wrapped when ``prefix``).
    """

    path: str
    size: int
    sha256: str | None  # None: computed while packaging (a wrapped instance)
    data: bytes | None = None
    blob: Path | None = None
    blob_offset: int = 0
    prefix: bytes = b""
    original_sha256: str | None = None  # the imported file, when it was wrapped into Part 10
    compress: bool = False  # text: worth deflating in the AES ZIP
    crc32: int | None = None  # of the content, when known without reading it (recorded at import)

    def open(self) -> io.RawIOBase | io.BytesIO:
        """A reader of the content (the caller closes it); it has ``readinto``."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.blob is not None
        return _PrefixedFile(self.prefix, self.blob, self.blob_offset)


class _PrefixedFile(io.RawIOBase):
    """``prefix`` then a file from ``offset``: a wrapped instance, read without a copy."""

    def __init__(self, prefix: bytes, path: Path, offset: int) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        if offset:
            self._file.seek(offset)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._file.readinto(view) or 0

    def close(self) -> None:
        self._file.close()
        super().close()


@dataclass(frozen=True, slots=True)
class PackagePlan:
    """Every file of a package but the manifest, in package order."""

    files: tuple[PackageFile, ...]
    instances: int
    documents: int
    wrapped: int
    dicomdir_records: int
    dicomdir_filled: dict[str, int] = field(default_factory=dict)
    unlisted: int = 0  # instances packaged but not in the DICOMDIR

    @property
    def payload_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(slots=True)
class _Placed:
    instance: Instance
    file_id: tuple[str, ...]
    blob: Path
    size: int
    in_dicomdir: bool = True
    wrapped: bool = False


def _patient_key(inst: Instance) -> tuple[str, ...]:
    # As FileSet: one PATIENT per Patient ID; without an ID, per name and birth date.
    p = inst.patient
    return ("id", p.id) if p.id else ("name", p.name, p.birth_date)


def _place_instances(store: CaseStore, instances: Sequence[Instance]) -> list[_Placed]:
    tree: dict[tuple[str, ...], dict[str, dict[str, list[Instance]]]] = {}
    for inst in instances:
        tree.setdefault(_patient_key(inst), {}).setdefault(inst.study_uid, {}).setdefault(
            inst.series_uid, []).append(inst)
    placed: list[_Placed] = []
    seen_uids: set[str] = set()
    blobs = str(store.blobs_dir)
    for p, studies in enumerate(tree.values()):
        for s, series in enumerate(studies.values()):
            for e, members in enumerate(series.values()):
                for i, inst in enumerate(members):
                    # PS3.10 §8.5, as FileSet lays out a file-set: numbered components.
                    fid = ("DICOM", f"PT{p:06d}", f"ST{s:06d}", f"SE{e:06d}", f"IM{i:06d}")
                    if i >= 1_000_000:
                        raise CaseError("A series has more than a million instances.", code="too_many")
                    blob = f"{blobs}/{inst.sha256[:2]}/{inst.sha256}"  # store.blob_path, without pathlib's cost
                    try:
                        size = os.stat(blob).st_size
                    except OSError:
                        size = -1
                    if size != inst.size:
                        raise CaseError("A file of this case is missing or damaged in its store; "
                                        "the case cannot be exported.", code="case_damaged")
                    # The same SOP Instance UID with other bytes: packaged, listed once.
                    listed = inst.sop_instance_uid not in seen_uids
                    seen_uids.add(inst.sop_instance_uid)
                    placed.append(_Placed(inst, fid, Path(blob), size, in_dicomdir=listed))
    return placed


_LONG_VRS: Final = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN",
                              b"UR", b"UT", b"UV"})


def _bare_meta_length(head: bytes) -> int:
    """Bytes of group 0002 elements at the start of a bare dataset (a File Meta group without
    preamble); they are replaced by the File Meta we write, the dataset after them is kept."""
    pos = 0
    while pos + 8 <= len(head):
        group = struct.unpack_from("<H", head, pos)[0]
        if group != 0x0002:
            break
        vr = head[pos + 4:pos + 6]
        if vr.isalpha() and vr.isupper():
            if vr in _LONG_VRS:
                if pos + 12 > len(head):
                    break
                length = struct.unpack_from("<I", head, pos + 8)[0]
                pos += 12 + length
            else:
                pos += 8 + struct.unpack_from("<H", head, pos + 6)[0]
        else:
            pos += 8 + struct.unpack_from("<I", head, pos + 4)[0]
    return pos


def _part10_prefix(inst: Instance, transfer_syntax: str) -> bytes:
    """Preamble, ``DICM`` and a File Meta group for a bare dataset (PS3.10 §7.1)."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.filebase import DicomBytesIO
    from pydicom.filewriter import write_file_meta_info
    from pydicom.uid import UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(inst.sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(inst.sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    fp = DicomBytesIO()
    fp.is_little_endian = True
    fp.is_implicit_VR = False
    fp.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(fp, meta, enforce_standard=True)
    return bytes(fp.getvalue())


def _instance_file(placed: _Placed, crcs: dict[str, int]) -> PackageFile:
    inst = placed.instance
    path = "/".join(placed.file_id)
    if inst.has_part10_header or not inst.sop_class_uid:
        return PackageFile(path, placed.size, inst.sha256, blob=placed.blob, crc32=crcs.get(inst.sha256))
    from pydicom.uid import ImplicitVRLittleEndian

    with open(placed.blob, "rb") as fh:
        skip = _bare_meta_length(fh.read(64 * 1024))
    skip = min(skip, placed.size)
    prefix = _part10_prefix(inst, inst.transfer_syntax_uid or ImplicitVRLittleEndian)
    placed.wrapped = True
    return PackageFile(path, len(prefix) + placed.size - skip, None, blob=placed.blob,
                       blob_offset=skip, prefix=prefix, original_sha256=inst.sha256)


def _original_name(source: str) -> str:
    name = re.sub(r" \((embedded|#\d+)\)$", "", source)
    return re.split(r"[\\/]|!/", name)[-1] or name


def _document_name(index: int, doc: Document) -> str:
    ext = _EXTENSIONS.get(doc.media_type.split(";")[0].strip().lower())
    if ext is None:
        suffix = PurePosixPath(_original_name(doc.source)).suffix.lstrip(".").upper()
        ext = suffix if re.fullmatch(r"[A-Z0-9]{1,4}", suffix) else "BIN"
    return f"DOCS/DOC{index:05d}.{ext}"


def plan_package(
    store: CaseStore,
    *,
    summary_pdf: bytes | Callable[[str], bytes] | None = None,
    exported_at: datetime.datetime | None = None,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> PackagePlan:
    """Lay out ``store`` as a package: names, sources, and the generated files.

    Reads every blob's size (and the first 64 KiB of bare datasets, to wrap them) and one
    header per patient, study and series (the DICOMDIR); holds no instance in memory.

    ``summary_pdf`` is SUMMARY.PDF, or a function that draws it given the records' fingerprint
    (:func:`records_fingerprint`), so that the page can print it.

    Raises :class:`~bundler.errors.CaseError` if a blob is missing or has the wrong size.
    """
    from pydicom.uid import generate_uid

    from bundler.export.dicomdir_writer import DirectoryItem, case_dicomdir
    from bundler.overview import describe_case

    exported_at = exported_at or datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    progress(0, None, "Preparing the package")
    instances = store.instances()
    placed = _place_instances(store, instances)
    cancel.raise_if_cancelled()
    crcs = store.blob_crc32s()
    instance_files = [_instance_file(p, crcs) for p in placed]
    cancel.raise_if_cancelled()
    directory = case_dicomdir(
        [DirectoryItem(p.file_id, p.instance, p.blob, p.instance.transfer_syntax_uid)
         for p in placed if p.in_dicomdir],
        fileset_uid=generate_uid(), fileset_id=_FILESET_ID, progress=progress, cancel=cancel)
    unlisted = set(directory.unlisted)
    for p in placed:
        if p.file_id in unlisted:
            p.in_dicomdir = False

    documents = store.documents()
    doc_files: list[PackageFile] = []
    doc_paths: dict[str, str] = {}
    for n, doc in enumerate(documents, start=1):
        blob = store.blob_path(doc.sha256)
        try:
            size = blob.stat().st_size
        except OSError:
            size = -1
        if size != doc.size:
            raise CaseError("A file of this case is missing or damaged in its store; "
                            "the case cannot be exported.", code="case_damaged")
        name = _document_name(n, doc)
        doc_paths[doc.id] = name
        compress = doc.media_type.startswith("text/") or doc.media_type.endswith(("xml", "json"))
        doc_files.append(PackageFile(name, size, doc.sha256, blob=blob, compress=compress,
                                     crc32=crcs.get(doc.sha256)))

    described = describe_case(store)
    fingerprint = records_fingerprint([*instance_files, *doc_files])
    case = _case_json(store, described, placed, doc_paths, documents, exported_at, directory)
    case["records_fingerprint"] = fingerprint
    # Compact: json's C encoder (indent= falls back to the pure-Python one, ~0.1 ms an instance).
    case_bytes = (json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    index = index_html(case).encode("utf-8")
    readme = _readme(case).encode("utf-8")

    files: list[PackageFile] = [
        _generated(README, readme),
        _generated(INDEX_HTM, index),
        _generated(CASE_JSON, case_bytes),
        _generated(DICOMDIR, directory.data),
        *instance_files,
        *doc_files,
    ]
    if callable(summary_pdf):
        summary_pdf = summary_pdf(fingerprint)
    if summary_pdf is not None:
        files.append(_generated(SUMMARY_PDF, summary_pdf, compress=False))
    return PackagePlan(
        files=tuple(files),
        instances=len(instance_files),
        documents=len(doc_files),
        wrapped=sum(1 for p in placed if p.wrapped),
        dicomdir_records=directory.records,
        dicomdir_filled=dict(directory.filled),
        unlisted=sum(1 for p in placed if not p.in_dicomdir),
    )


def _generated(name: str, data: bytes, *, compress: bool = True) -> PackageFile:
    return PackageFile(name, len(data), hashlib.sha256(data).hexdigest(), data=data, compress=compress)


# --------------------------------------------------------------------------------------------
# CASE.JSON
# --------------------------------------------------------------------------------------------


def _case_findings(store: CaseStore) -> dict[str, Any]:
    """The patient's own part, the timeline and the checklist's result, for CASE.JSON."""
    from bundler.checklist import check_case, report_json
    from bundler.intake import intake_document, load_intake
    from bundler.timeline import build_timeline, timeline_json

    intake = load_intake(store)
    return {
        "intake": intake_document(intake),
        "timeline": timeline_json(build_timeline(store, intake=intake)),
        "findings": report_json(check_case(store)),
    }


def _case_json(
    store: CaseStore,
    described: dict[str, Any],
    placed: Sequence[_Placed],
    doc_paths: dict[str, str],
    documents: Sequence[Document],
    exported_at: datetime.datetime,
    directory: DicomdirResult,
) -> dict[str, Any]:
    files: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in placed:
        inst = p.instance
        files.setdefault((inst.study_uid, inst.series_uid), []).append({
            "path": "/".join(p.file_id),
            "sop_instance_uid": inst.sop_instance_uid,
            "sop_class_uid": inst.sop_class_uid,
            "instance_number": inst.instance_number,
            "kind": str(inst.kind),
            "sha256": inst.sha256,  # of the file as imported
            "size": inst.size,
            "transfer_syntax_uid": inst.transfer_syntax_uid,
            "wrapped_into_part10": p.wrapped,
            "in_dicomdir": p.in_dicomdir,
            "uid_conflict": inst.uid_conflict,
        })
    studies = []
    for study in described["studies"]:
        study = dict(study)
        study["series"] = [dict(se, files=files.get((study["study_uid"], se["series_uid"]), []))
                           for se in study["series"]]
        studies.append(study)
    by_id = {d.id: d for d in documents}
    docs = []
    for d in described["documents"]:
        entry = dict(d)
        original = _original_name(by_id[d["id"]].source)
        entry["source"] = original  # the name only: the user's folders stay on their computer
        entry["original_name"] = original
        entry["path"] = doc_paths.get(d["id"])
        entry["size"] = by_id[d["id"]].size
        docs.append(entry)
    missing = [{k: v for k, v in m.items() if k != "dicomdir"} for m in described["missing_from_media"]]
    return {
        "format": "records-bundler-case",
        "format_version": FORMAT_VERSION,
        "generator": f"Records Bundler {__version__}",
        "exported_at": exported_at.isoformat().replace("+00:00", "Z"),
        "case_id": store.case_id,
        "identity": {"patients": described["patients"]},
        "studies": studies,
        "documents": docs,
        **_case_findings(store),
        "missing_from_media": missing,
        "dicomdir": {"records": directory.records, "filled_in_records": dict(directory.filled),
                     "unlisted_files": sum(1 for p in placed if not p.in_dicomdir)},
    }


# --------------------------------------------------------------------------------------------
# INDEX.HTM and README.TXT
# --------------------------------------------------------------------------------------------


def _pn(name: str) -> str:
    return person_name(name)


def _readme(case: dict[str, Any]) -> str:
    names = ", ".join(_pn(p["name"]) for p in case["identity"]["patients"]) or "(not named)"
    n_images = sum(s["instances"] for s in case["studies"])
    lines = [
        "MEDICAL RECORDS FOR A SECOND OPINION",
        "====================================",
        "",
        f"Patient: {names}",
        f"Prepared: {case['exported_at'][:10]} with {case['generator']}",
        f"Contents: {len(case['studies'])} imaging studies ({n_images} DICOM files), "
        f"{len(case['documents'])} documents.",
        "",
        "WHAT IS IN THIS FOLDER",
        "  INDEX.HTM     Open in a web browser: the list of studies and documents, with links.",
        "  DICOMDIR      Open in a DICOM viewer (Weasis, Horos, OsiriX, RadiAnt, MicroDicom...)",
        "                to see the images. The images are in the DICOM folder, unchanged.",
        "  DOCS          The documents (reports, letters, lab results). Their original names",
        "                are listed in INDEX.HTM and CASE.JSON.",
        "  CASE.JSON     The same information for software (identity, studies, documents).",
        "  MANIFEST.TXT  The SHA-256 checksum and size of every file, to check nothing changed.",
        "",
        "HOW THIS PACKAGE WAS PROTECTED",
        "  It was sent encrypted, as an age file (.age) or an AES-256 ZIP file (.zip). If you",
        "  are reading this, it has been opened. To open such a package again:",
        "  - with Records Bundler: records-bundler open PACKAGE --passphrase-file FILE --to DIR",
        "    (or --identity KEYFILE); it checks every file before showing the folder;",
        "  - an .age file with the age tool (https://age-encryption.org):",
        "      age -d -o package.zip PACKAGE.age        (asks for the passphrase)",
        "      age -d -i key.txt -o package.zip PACKAGE.age   (with a key file)",
        "    then unzip package.zip (any ZIP tool);",
        "  - a .zip file with 7-Zip, WinZip or Keka (the Windows and macOS built-in ZIP",
        "    tools cannot open AES-encrypted ZIP files).",
        "",
        "CHECKING THE FILES",
        "  records-bundler verify PACKAGE --passphrase-file FILE   checks the whole package.",
        "  By hand: each line of MANIFEST.TXT is 'SHA-256  size  path'; compare with",
        "  sha256sum (Linux), shasum -a 256 (macOS) or certutil -hashfile FILE SHA256 (Windows).",
        "  A line ending in wrapped-from=... is a DICOM file that was imported without its",
        "  Part 10 header: the header was added, the image data is unchanged, and the other",
        "  hash is that of the file as it was imported.",
        "",
        "This package holds personal health information. Keep it private.",
    ]
    return "\r\n".join(lines) + "\r\n"


def readme_first_text() -> str:
    """The note written beside a package: how to open it. No patient data, whatever the case."""
    lines = [
        "HOW TO OPEN THE MEDICAL RECORDS PACKAGE NEXT TO THIS NOTE",
        "=========================================================",
        "",
        "The package is encrypted. You need the passphrase (sent to you separately, for",
        "example read out over the phone) or, if it was made for your key, your age key file.",
        "",
        "A file ending in .age:",
        "  - Records Bundler:  records-bundler open FILE.age --passphrase-file PASS.txt --to FOLDER",
        "                      (or --identity KEY.txt instead of --passphrase-file)",
        "  - the age tool (https://age-encryption.org, Windows, macOS, Linux):",
        "      age -d -o records.zip FILE.age            asks for the passphrase",
        "      age -d -i KEY.txt -o records.zip FILE.age  with your key file",
        "    then open records.zip with any ZIP tool (it is not encrypted again).",
        "",
        "A file ending in .zip:",
        "  - 7-Zip (Windows, Linux), Keka (macOS) or WinZip: open it and type the passphrase.",
        "    The ZIP tools built into Windows and macOS cannot open AES-encrypted ZIP files.",
        "",
        "Inside, open INDEX.HTM in a web browser for the list of records, and the DICOMDIR",
        "file with a DICOM viewer for the images. README.TXT inside says more.",
        "",
        "Check the package before relying on it:",
        "  records-bundler verify FILE --passphrase-file PASS.txt",
        "",
    ]
    return "\r\n".join(lines)


# --------------------------------------------------------------------------------------------
# MANIFEST.TXT
# --------------------------------------------------------------------------------------------


class ManifestError(ValueError):
    """MANIFEST.TXT is not in the format we write (the reason is in ``args[0]``)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    size: int
    sha256: str
    original_sha256: str | None = None


class _Hashed(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def sha256(self) -> str | None: ...
    @property
    def original_sha256(self) -> str | None: ...


def records_fingerprint(files: Iterable[_Hashed]) -> str:
    """The fingerprint of the records a package or disc carries.

    SHA-256 of the sorted, distinct SHA-256s of the imported files, one per line: the DICOM
    instances as imported (before any Part 10 wrapping) and the documents. Generated files
    (CASE.JSON, INDEX.HTM, SUMMARY.PDF...) are left out, so the same records give the same
    fingerprint in any package or disc made of them, and the summary page, made before the
    manifest, can print it; ``verify`` computes it again from MANIFEST.TXT.
    """
    hashes = sorted({f.original_sha256 or f.sha256 or "" for f in files
                     if f.path.startswith(("DICOM/", "DOCS/"))} - {""})
    return hashlib.sha256("".join(f"{h}\n" for h in hashes).encode("ascii")).hexdigest()


def manifest_bytes(entries: Iterable[ManifestEntry]) -> bytes:
    """MANIFEST.TXT: two comment lines, then ``sha256  size  path[  wrapped-from=sha256]``."""
    out = [_MANIFEST_HEADER]
    for e in entries:
        line = f"{e.sha256}  {e.size}  {e.path}"
        if e.original_sha256:
            line += f"  wrapped-from={e.original_sha256}"
        out.append(line + "\n")
    return "".join(out).encode("ascii")


def parse_manifest(data: bytes, *, max_entries: int = 2_000_000) -> list[ManifestEntry]:
    """Parse MANIFEST.TXT strictly; raise :class:`ManifestError` on anything unexpected.

    Paths are checked with :func:`check_name` (raises :class:`UnsafePath`) and must be unique.
    """
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ManifestError("not ASCII") from None
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("  ")
        if len(parts) not in (3, 4) or not _SHA256.fullmatch(parts[0]) or not parts[1].isdigit():
            raise ManifestError("a line is not 'sha256  size  path'")
        original = None
        if len(parts) == 4:
            key, _, value = parts[3].partition("=")
            if key != "wrapped-from" or not _SHA256.fullmatch(value):
                raise ManifestError("unknown field after the path")
            original = value
        path = check_name(parts[2])
        if path in seen or path == MANIFEST:
            raise ManifestError("a path is listed twice, or the manifest lists itself")
        seen.add(path)
        entries.append(ManifestEntry(path, int(parts[1]), parts[0], original))
        if len(entries) > max_entries:
            raise ManifestError("too many entries")
    return entries
