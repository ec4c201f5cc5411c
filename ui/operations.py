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
    except BaseException:
        if created:
            store.close()
        raise
    return ImportOutcome(store, report)


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
