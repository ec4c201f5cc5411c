"""Logging setup with a patient-data guard.

Our own log calls carry counts, codes and hashes only. The filter below is a second line of
defence for messages from libraries (pydicom and friends quote element values in warnings):
DICOM person names (with ``^``), DICOM dates and long digit runs (record numbers) are masked.

Python ``warnings`` would bypass both (they print straight to stderr), and pydicom's quote the
values they complain about ("Invalid value for VR DA: '...'"): :func:`capture_warnings` sends
every warning to the ``py.warnings`` logger instead, with a library's warning text withheld.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, TextIO

__all__ = ["RedactingFilter", "capture_warnings", "redact", "setup_logging"]

_OUR_PACKAGES = tuple(str(Path(__file__).resolve().parents[1] / d) + os.sep for d in ("bundler", "ui"))

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
    capture_warnings()


def capture_warnings() -> None:
    """Send Python warnings to logging (``py.warnings``) instead of stderr, so the handlers'
    redaction applies; the text of a warning raised outside our own code is not logged at all,
    only its category and where it was raised (a library's warning may quote a header value
    that no pattern recognises, such as a patient ID)."""
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    where, ours = _where(filename)
    text = str(message) if ours else "(text withheld: it may quote the contents of a file)"
    logging.getLogger("py.warnings").warning("%s at %s:%d: %s", category.__name__, where, lineno, text)


def _where(filename: Any) -> tuple[str, bool]:
    """A short, user-free name for a source file, and whether it is ours."""
    name = str(filename)
    for package in _OUR_PACKAGES:
        if name.startswith(package):
            return Path(package).name + "/" + name[len(package):], True
    marker = "site-packages"
    if marker in name:
        return name.split(marker, 1)[1].lstrip("/\\"), False
    return Path(name).name, False
