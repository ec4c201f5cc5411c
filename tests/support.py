"""Test helpers shared by every test folder: where the shared data lives, and tools that must
exist in CI (a missing one fails there and skips elsewhere)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> NoReturn:
    """A test's tool or data is missing: in CI that is a failure, elsewhere a skip."""
    pytest.fail(f"{message} (CI must install it: Makefile system-deps)") if IN_CI else pytest.skip(message)
    raise AssertionError("unreachable")


def require_tool(name: str, *, path: str | None = None) -> str:
    """The path of an external tool (``path`` first when it is executable)."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed")
    return found


def require_dir(path: Path, what: str = "shared test data") -> Path:
    if not path.is_dir():
        unavailable(f"{what} not found at {path}")
    return path


def require_shared_data() -> Path:
    return require_dir(SHARED_DATA)




def secondary_capture(i: int = 0, **values: object) -> Dataset:
    """A small Secondary Capture instance (number ``i + 1``, a new SOP Instance UID) with Part-10
    file meta, every key a DICOMDIR record needs, and ``values`` set over the defaults."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.2"
    ds.PatientName = "Øster^Åse"
    ds.PatientID = "P1"
    ds.StudyDate = "20260101"
    ds.StudyTime = "120000"
    ds.StudyID = "1"
    ds.Modality = "OT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = i + 1
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds
