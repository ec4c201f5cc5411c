"""Python warnings (pydicom's quote header values) go through logging, with their text withheld,
so no header value reaches the log file or stderr, even at DEBUG."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pydicom.config
from pydicom.valuerep import validate_value

from bundler.ingest import documents
from bundler.ingest.pipeline import import_sources
from bundler.logs import capture_warnings, setup_logging
from bundler.model import ImportStatus
from bundler.store import CaseStore

MARKER = "ZQXWARN4417"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    pydicom_level = logging.getLogger("pydicom").level
    show = warnings.showwarning
    try:
        yield
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
            if h not in handlers:
                h.close()
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        logging.getLogger("pydicom").setLevel(pydicom_level)
        warnings.showwarning = show


def _pydicom_warns() -> None:
    """pydicom's own code warns "Invalid value for VR DA: '<value>'" (bundler.ingest sets its
    reading validation to IGNORE, so the mode is asked for here)."""
    validate_value("DA", f"{MARKER}-not-a-date", pydicom.config.WARN)


def _flush() -> None:
    for h in logging.getLogger().handlers:
        h.flush()


def test_a_pydicom_warning_quoting_a_value_is_logged_without_it(tmp_path: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    log_file = tmp_path / "app.log"
    setup_logging(logging.DEBUG, file=log_file)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        _pydicom_warns()
    _flush()
    logged = log_file.read_text(encoding="utf-8")
    out, err = capfd.readouterr()
    assert "UserWarning" in logged and "pydicom" in logged  # captured, and says where from
    for text in (logged, out, err):
        assert MARKER.casefold() not in text.casefold()


def test_a_warning_raised_while_importing_does_not_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    """The readers silence pydicom today; a reader that forgets to must still not leak."""
    log_file = tmp_path / "debug.log"
    setup_logging(logging.DEBUG, file=log_file)
    original = documents.read_document

    def warning_reader(*args: Any, **kwargs: Any) -> Any:
        _pydicom_warns()
        return original(*args, **kwargs)

    monkeypatch.setattr("bundler.ingest.onefile.read_document", warning_reader)
    src = tmp_path / "src"
    src.mkdir()
    (src / "note.txt").write_text("Visit note\n\nImpression: stable.\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with CaseStore.open(tmp_path / "case", create=True) as store:
            report = import_sources([src], store, processes=False)
    assert [r.status for r in report.rows] == [ImportStatus.IMPORTED]
    _flush()
    logged = log_file.read_text(encoding="utf-8")
    out, err = capfd.readouterr()
    assert "UserWarning" in logged
    for text in (logged, out, err):
        assert MARKER.casefold() not in text.casefold()


def test_a_worker_without_handlers_does_not_print_warning_text(capfd: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)  # a spawned import worker: no handlers, logging's last resort prints
    capture_warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        _pydicom_warns()
    out, err = capfd.readouterr()
    assert "UserWarning" in err
    assert MARKER.casefold() not in (out + err).casefold()
