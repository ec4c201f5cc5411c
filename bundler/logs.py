"""Logging setup with a patient-data guard.

Our own log calls carry counts, codes and hashes only. The filter below is a second line of
defence for messages from libraries (pydicom and friends quote element values in warnings):
DICOM person names (with ``^``), DICOM dates and long digit runs (record numbers) are masked.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

__all__ = ["RedactingFilter", "redact", "setup_logging"]

_PATTERNS = (
    re.compile(r"\S*\^\S*"),  # DICOM PN: Family^Given
    re.compile(r"(?<![\d.])(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\d.])"),  # DA
    re.compile(r"(?<![\d.])\d{6,}(?![\d.])"),  # record numbers; UIDs (dotted) are left alone
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Masks patient-looking values in every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception messages from libraries may quote values: keep the type and the trace.
            record.exc_text = None
        return True


def setup_logging(level: int = logging.WARNING, *, file: Path | None = None) -> None:
    """Configure the root logger for the CLI or the app (stderr, and a file when given)."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFilter())
        root.addHandler(h)
    root.setLevel(level)
    logging.getLogger("pydicom").setLevel(max(level, logging.ERROR))
