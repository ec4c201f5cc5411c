"""The open case, shared by every screen: its folder, its store and what changed.

Screens listen to the signals instead of to each other: an import changes the records, the
"About you" screen changes the intake, and the checklist and the timeline re-run on either.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

from bundler.errors import BundlerError
from ui import tasks
from ui.operations import CaseListing, read_listing

if TYPE_CHECKING:
    from bundler.store import CaseStore

__all__ = ["CaseSession"]

log = logging.getLogger(__name__)


class CaseSession(QObject):
    """One case at a time. ``case_dir`` need not exist: the first import creates it."""

    opened = Signal()
    """Another case is now open (screens drop what they showed)."""
    records_changed = Signal()
    """The records were re-read (after an import, or when a case opens)."""
    intake_changed = Signal()
    """The patient's own answers were saved."""
    busy_changed = Signal(bool)
    """An operation that writes to the case started (True) or ended (False)."""

    def __init__(self, case_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.case_dir = Path(case_dir)
        self.store: CaseStore | None = None
        self.listing = CaseListing()
        self.load_error: BaseException | None = None
        self.error_text = ""
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @property
    def read_only(self) -> bool:
        """A case opened from a package: the reviewer's copy, not to be changed."""
        return self.listing.read_only

    @property
    def has_records(self) -> bool:
        return bool(self.listing.studies or self.listing.documents)

    def refresh(self, listing: CaseListing | None = None) -> None:
        """Open the store if the case exists, re-read the listing, tell the screens.

        ``listing``: one a task has just read (after an import), used instead of reading again.
        """
        self.listing = CaseListing()
        self.load_error = None
        self.error_text = ""
        try:
            if self.store is None and self.case_dir.is_dir():
                from bundler.store import CaseStore

                self.store = CaseStore.open(self.case_dir)
            if listing is not None and self.store is not None:
                self.listing = listing
            elif self.store is not None:
                self.listing = read_listing(self.store)
        except BundlerError as exc:
            log.warning("could not read the case: %s", exc.code)
            self.error_text, self.load_error = exc.user_message, exc
        except Exception as exc:  # a bug: say so calmly and keep the window usable
            tasks.log_unexpected(exc, what="reading the case")
            self.error_text = QCoreApplication.translate(
                "CaseSession", "Your records could not be shown. Something went wrong."
            )
            self.load_error = exc
        self.records_changed.emit()

    def adopt(self, store: CaseStore) -> None:
        """Use the store a task created for a case that did not exist before."""
        if self.store is None:
            self.store = store

    def open(self, case_dir: Path) -> None:
        """Switch to the case in ``case_dir`` (the caller checks nothing is running)."""
        self.close()
        self.case_dir = Path(case_dir)
        self.opened.emit()
        self.refresh()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        self.listing = CaseListing()

    def notify_intake_saved(self) -> None:
        self.intake_changed.emit()
