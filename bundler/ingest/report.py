"""The import report: every file seen, accounted for."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bundler.model import ImportStatus, LogRow, MissingReference, Reason

__all__ = ["ImportReport"]


@dataclass
class ImportReport:
    """What one import did. ``rows`` holds one row per file seen, in the order seen."""

    run_id: int
    rows: list[LogRow] = field(default_factory=list)
    missing: list[MissingReference] = field(default_factory=list)
    dicom_instances: int = 0
    documents: int = 0

    def add(self, row: LogRow) -> None:
        self.rows.append(row)

    @property
    def files_seen(self) -> int:
        return len(self.rows)

    def _count(self, status: ImportStatus) -> int:
        return sum(1 for r in self.rows if r.status is status)

    @property
    def imported(self) -> int:
        return self._count(ImportStatus.IMPORTED)

    @property
    def skipped(self) -> int:
        return self._count(ImportStatus.SKIPPED)

    @property
    def failed(self) -> int:
        return self._count(ImportStatus.FAILED)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.reason is Reason.DUPLICATE)

    def reasons(self) -> dict[str, int]:
        return dict(Counter(str(r.reason) for r in self.rows))

    def to_json(self) -> dict[str, Any]:
        """The ``import --json`` document (a contract: add fields, never rename)."""
        return {
            "files_seen": self.files_seen,
            "imported": self.imported,
            "skipped": self.skipped,
            "failed": self.failed,
            "dicom_instances": self.dicom_instances,
            "documents": self.documents,
            "duplicates": self.duplicates,
            "run_id": self.run_id,
            "reasons": self.reasons(),
            "missing_from_media": [
                {"dicomdir": m.dicomdir, "path": m.referenced_path, "reason": m.reason} for m in self.missing
            ],
        }
