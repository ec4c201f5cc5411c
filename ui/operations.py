"""The work the screens hand to :func:`ui.tasks.run_task`: core calls bundled for one screen.

Plain functions with the task signature's ``progress`` and ``cancel``; they never touch a
widget. Each returns a small frozen result the screen shows on the main thread.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bundler.model import CompletenessReport, Document, Intake, Patient, Study, TimelineEvent
from bundler.progress import CancelToken, Progress

if TYPE_CHECKING:
    from bundler.checklist import Profile
    from bundler.store import CaseStore

__all__ = [
    "CaseListing",
    "ChecklistResult",
    "ImportOutcome",
    "check",
    "import_into_case",
    "optional_function",
    "read_listing",
    "timeline",
]


@dataclass(frozen=True, slots=True)
class CaseListing:
    studies: tuple[Study, ...] = ()
    documents: tuple[Document, ...] = ()
    patients: tuple[Patient, ...] = ()
    read_only: bool = False


def read_listing(store: CaseStore) -> CaseListing:
    """The small listing the Records screen shows (cheap enough for the UI thread)."""
    return CaseListing(store.studies(), store.documents(), store.patients(), store.is_read_only)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    store: CaseStore
    report: Any  # bundler.ingest.report.ImportReport
    listing: CaseListing | None = None  # read on the worker: a large case takes a while to list


def import_into_case(
    store: CaseStore | None,
    case_dir: Path,
    sources: Sequence[Path],
    progress: Progress,
    cancel: CancelToken,
) -> ImportOutcome:
    """Import ``sources`` into ``store``, or into a new case at ``case_dir``. Runs in a task.

    CaseStore is thread-safe (one connection behind a lock), so the window's store is used
    from the worker; a case that does not exist yet is created here, off the UI thread, and
    handed back in the outcome.
    """
    from bundler.ingest.pipeline import import_sources
    from bundler.store import CaseStore

    created = store is None
    if store is None:
        store = CaseStore.open(case_dir, create=True)
    try:
        report = import_sources(list(sources), store, progress=progress, cancel=cancel)
        # Listing thousands of instances takes a noticeable moment: here, not on the UI thread.
        listing = read_listing(store)
    except BaseException:
        if created:
            store.close()
        raise
    return ImportOutcome(store, report, listing)


@dataclass(frozen=True, slots=True)
class ChecklistResult:
    profiles: tuple[Profile, ...]
    report: CompletenessReport
    intake: Intake


def check(store: CaseStore, profile: str, progress: Progress, cancel: CancelToken) -> ChecklistResult:
    """The checklist on ``profile`` (and the profiles to choose from). Runs in a task."""
    from bundler.checklist import available_profiles, check_case
    from bundler.intake import load_intake

    progress(0, None, "")
    profiles = tuple(available_profiles())
    cancel.raise_if_cancelled()
    if profile not in {p.id for p in profiles} and profiles:
        profile = profiles[0].id
    report = check_case(store, profile=profile)
    return ChecklistResult(profiles, report, load_intake(store))


def timeline(store: CaseStore, progress: Progress, cancel: CancelToken) -> list[TimelineEvent]:
    """The case's timeline. Runs in a task."""
    from bundler.timeline import build_timeline

    return build_timeline(store, today=_dt.date.today())


def optional_function(module: str, name: str) -> Any | None:
    """``module.name`` when that part of the core exists (others may still be writing it)."""
    import importlib
    import importlib.util

    try:
        if importlib.util.find_spec(module) is None:
            return None
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def summary_available() -> bool:
    return (optional_function("bundler.export.summary_pdf", "summary_data") is not None
            and optional_function("bundler.export.summary_pdf", "summary_pdf") is not None)


def summary_bytes(store: CaseStore, profile: str = "general") -> bytes:
    """The one-page summary of the case as PDF bytes, gathered as the ``summary`` command does."""
    from bundler.checklist import check_case
    from bundler.export.summary_pdf import summary_data, summary_pdf
    from bundler.intake import load_intake
    from bundler.timeline import build_timeline

    intake = load_intake(store)
    report = check_case(store, profile=profile)
    data = summary_data(store, report=report, timeline=build_timeline(store, intake=intake), intake=intake)
    return bytes(summary_pdf(data))


def export(
    store: CaseStore,
    out: Path,
    *,
    fmt: str,
    passphrase: str | None,
    recipients: Sequence[str],
    with_summary: bool,
    progress: Progress,
    cancel: CancelToken,
) -> Any:
    """The encrypted package (with its summary page when asked). Runs in a task."""
    from bundler.export.package import export_package

    summary = None
    if with_summary and summary_available():
        progress(0, None, "Making the summary page…")
        summary = summary_bytes(store)
        cancel.raise_if_cancelled()
    return export_package(store, out, fmt=fmt, passphrase=passphrase, recipients=list(recipients),
                          summary_pdf=summary, progress=progress, cancel=cancel)


# -- documents: reading, explaining, relabelling ------------------------------------------------

MAX_SHOWN_FILE = 256 * 1024 * 1024
"""Bytes: a document larger than this is not loaded for its page view (its text still is)."""
MAX_PICTURE_SIDE = 4096
"""Pixels: a larger photo or scan is shrunk for the screen (the case keeps the original)."""


@dataclass(frozen=True, slots=True)
class DocumentReading:
    """What the document viewer shows: the file's bytes (PDF), a picture, the text and its words."""

    document: Document
    parsed: Any  # bundler.model.ParsedDocument | None (None: nothing was read from it)
    explanation: Any  # bundler.glossary.Explanation | None (None: no readable text)
    pdf: bytes | None = None
    picture: Any = None  # QImage, decoded on the worker (QImage, unlike QPixmap, may be)
    too_large: bool = False
    unreadable: bool = False  # the file could not be read or decoded for its page view


def read_document(store: CaseStore, document: Document, lang: str,
                  progress: Progress, cancel: CancelToken) -> DocumentReading:
    """Everything the viewer needs for ``document``, read off the UI thread. Runs in a task."""
    from bundler.model import ParsedDocument

    progress(0, None, "")
    parsed = store.document_content(document.id) or ParsedDocument(media_type=document.media_type)
    cancel.raise_if_cancelled()
    explanation = explain(parsed, lang)
    cancel.raise_if_cancelled()
    media = document.media_type.lower()
    if media != "application/pdf" and not media.startswith("image/"):
        return DocumentReading(document, parsed, explanation)
    path = store.blob_path(document.sha256)
    try:
        size = path.stat().st_size
        if size > MAX_SHOWN_FILE:
            return DocumentReading(document, parsed, explanation, too_large=True)
        data = path.read_bytes()
    except OSError:
        return DocumentReading(document, parsed, explanation, unreadable=True)
    cancel.raise_if_cancelled()
    if media == "application/pdf":
        return DocumentReading(document, parsed, explanation, pdf=data)
    picture = decode_picture(data)
    return DocumentReading(document, parsed, explanation, picture=picture, unreadable=picture is None)


def explain(parsed: Any, lang: str) -> Any:
    """The plain-words explanation of a parsed document in ``lang``, or None without text."""
    from bundler.glossary import explain_document

    if parsed is None or not parsed.text.strip():
        return None
    return explain_document(parsed, lang=lang)


def decode_picture(data: bytes) -> Any:
    """A QImage of a photo or scan (JPEG, PNG, TIFF, HEIC...), at most MAX_PICTURE_SIDE; None if
    it cannot be decoded. Safe on a worker thread."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = QImage.fromData(data)
    if image.isNull():
        image = _picture_through_pillow(data)
    if image is None or image.isNull():
        return None
    if max(image.width(), image.height()) > MAX_PICTURE_SIDE:
        image = image.scaled(MAX_PICTURE_SIDE, MAX_PICTURE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def _picture_through_pillow(data: bytes) -> Any:
    """HEIC and the odd formats Qt's image plugins do not read."""
    import io

    from PIL import Image, ImageOps
    from PySide6.QtGui import QImage

    try:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # pragma: no cover - a dependency, but pictures work without it
            pass
        with Image.open(io.BytesIO(data)) as opened:
            opened.thumbnail((MAX_PICTURE_SIDE, MAX_PICTURE_SIDE))
            rgba = ImageOps.exif_transpose(opened).convert("RGBA")
            raw = rgba.tobytes()
            return QImage(raw, rgba.width, rgba.height, rgba.width * 4, QImage.Format.Format_RGBA8888).copy()
    except Exception:  # noqa: BLE001 - Pillow raises many types on odd files; the viewer says so
        return None


@dataclass(frozen=True, slots=True)
class Relabelled:
    document: Document
    listing: CaseListing


def relabel(store: CaseStore, doc_id: str, kind: str, progress: Progress, cancel: CancelToken) -> Relabelled:
    """Set what a document is, by hand (kept by content, so it survives a re-import), and re-read
    the listing the Records screen shows. Runs in a task."""
    progress(0, None, "")
    document = store.set_kind(doc_id, kind)
    return Relabelled(document, read_listing(store))


def optical_drives(progress: Progress, cancel: CancelToken) -> list[Any]:
    """The mounted CDs and DVDs (bundler.ingest.sources.OpticalDrive). Runs in a task."""
    from bundler.ingest import sources

    return list(sources.list_optical_drives())
