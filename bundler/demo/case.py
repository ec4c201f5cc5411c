"""write_demo: the demo CD (DICOMDIR, viewer junk), the documents folder and the patient's
intake file, written in a staging folder and moved into place."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet
from pydicom.uid import UID

from bundler.demo.documents import (
    _ct_report,
    _Doc,
    _lab_results,
    _medications,
    _mr_report,
    _pathology_report,
    _pdf_bytes,
    _prior_ct_report,
    _procedure_note,
    _visit_note,
    _xray_report,
)
from bundler.demo.images import (
    _CT_COVERAGE_MM,
    _FILESET_ID,
    _brain_mr,
    _chest_film,
    _cr_dataset,
    _ct_study_datasets,
    _mr_dataset,
    _pdf_dataset,
    _SeriesSpec,
    _StudySpec,
)
from bundler.demo.intake import _intake_toml
from bundler.demo.story import (
    _BIRTH,
    _CT_LUNG_SERIES,
    _LAKESIDE,
    _PATIENT_ID,
    _PATIENT_NAME,
    _RIVERSIDE,
    _da,
    _ds,
    _Facility,
    _label_int,
    _make_story,
    _Story,
    _Uids,
)
from bundler.errors import UsageError

__all__ = ["DemoCase", "DemoStudy", "write_demo"]

_log = logging.getLogger(__name__)

_INTAKE = "intake.toml"
_OUTPUTS = ("CD", "Documents", _INTAKE)
_PRIOR_CT_REPORT = "CT_Chest_Low_Dose_Report.pdf"
_MR_REPORT = "MR_Brain_Report.pdf"
_XRAY_REPORT = "Chest_XRay_Report.pdf"
# Documents beyond the four the story began with, each written from the story alone.
_REPORTS: dict[str, Callable[[_Story], _Doc]] = {
    _PRIOR_CT_REPORT: _prior_ct_report,
    _MR_REPORT: _mr_report,
    _XRAY_REPORT: _xray_report,
    "Biopsy_Procedure_Note.pdf": _procedure_note,
}


# --------------------------------------------------------------------------------------------
# What was written
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoStudy:
    """One study written to the demo CD.

    Attributes
    ----------
    study_uid
        Study Instance UID.
    date
        Study Date as in the DICOM header, ``YYYYMMDD``.
    modality
        The study's imaging modality (``CT``, ``MR``, ``CR``); a study may also hold a ``DOC``
        series (the encapsulated PDF report), counted in ``series_count``.
    description
        Study Description.
    accession
        Accession Number.
    series_count, instance_count
        Number of series and of instances (files) in the study.
    report
        File name, in ``Documents``, of the study's radiology report (its accession number and
        exam date are the study's).
    """

    study_uid: str
    date: str
    modality: str
    description: str
    accession: str
    series_count: int
    instance_count: int
    report: str = ""


@dataclass(frozen=True)
class DemoCase:
    """What :func:`write_demo` wrote, for tests and the CLI.

    Attributes
    ----------
    root
        The output folder given to :func:`write_demo`.
    cd_dir
        ``root/CD``: a hospital-CD-like folder with ``DICOMDIR`` at its root.
    documents_dir
        ``root/Documents``: PDFs and a CSV, as a patient portal would give them.
    intake_file
        ``root/intake.toml``: the patient's own part of the case (docs/intake-format.md).
    patient_name
        The DICOM Patient's Name, decoded (``Family^Given``; not ASCII, not even Latin-1).
    patient_id, birth_date
        Patient ID (the MRN in the documents) and birth date ``YYYYMMDD``.
    studies
        The studies on the CD, current CT first.
    dicom_files
        Instance files under ``cd_dir`` (not counting ``DICOMDIR`` or the viewer junk).
    document_files
        Files under ``documents_dir``.
    junk_files
        POSIX paths, relative to ``cd_dir``, of the non-DICOM viewer files on the disc.
    """

    root: Path
    cd_dir: Path
    documents_dir: Path
    intake_file: Path
    patient_name: str
    patient_id: str
    birth_date: str
    studies: tuple[DemoStudy, ...]
    dicom_files: int
    document_files: int
    junk_files: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# The viewer junk real discs carry
# --------------------------------------------------------------------------------------------


def _junk() -> dict[str, bytes]:
    autorun = (
        "[autorun]\r\nopen=VIEWER\\VIEWER.EXE\r\nicon=VIEWER\\VIEWER.EXE,0\r\n"
        "label=LUH IMAGING\r\n"
    ).encode("ascii")
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    exe = header + bytes(64 - len(header)) + stub
    exe += bytes(range(256)) * ((4096 - len(exe)) // 256 + 1)
    readme = (
        "Lakeside University Hospital - Patient Imaging CD\r\n\r\n"
        "This disc contains medical images in DICOM format (see DICOMDIR).\r\n"
        "On Windows the viewer starts automatically; otherwise run VIEWER\\VIEWER.EXE.\r\n"
        "Any DICOM viewer can open the DICOMDIR file at the root of this disc.\r\n"
        "Questions: Radiology Film Library, (555) 014-3000.\r\n"
    ).encode("ascii")
    return {
        "AUTORUN.INF": autorun,
        "VIEWER/VIEWER.EXE": exe[:4096],
        "VIEWER/README.TXT": readme,
    }


# --------------------------------------------------------------------------------------------
# write_demo
# --------------------------------------------------------------------------------------------


def _prepare_outputs(out_dir: Path, names: Iterable[str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        if (out_dir / name).exists():
            raise UsageError(
                f"The folder already holds a '{name}' entry; choose an empty folder.",
                code="demo_exists",
            )


def write_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    ct_slices: int = 24,
    matrix: int = 128,
    today: datetime.date | None = None,
) -> DemoCase:
    """Write the synthetic demo case: ``CD``, ``Documents`` and ``intake.toml`` in ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into; created if missing. It must not already hold ``CD``,
        ``Documents`` or ``intake.toml``.
    seed
        Drives UIDs, accession numbers and image noise. The same seed and ``today`` give
        byte-identical files.
    ct_slices
        Slices per CT series (the current CT has two series, the prior one). They always span
        the whole chest, so fewer slices are thicker.
    matrix
        Rows and columns of CT and MR images (radiographs are twice that).
    today
        The day the story is told from (dates are relative to it); default ``date.today()``.

    Returns
    -------
    DemoCase
        What was written.

    Raises
    ------
    UsageError
        If the sizes are out of range or ``CD``, ``Documents`` or ``intake.toml`` already exist.

    Notes
    -----
    Everything is written in a staging folder inside ``out_dir`` and moved into place at the
    end, so a failure while writing leaves nothing behind. The ``DICOMDIR`` is written by
    :class:`pydicom.fileset.FileSet` with its default PS3.10 layout
    (``PT000000/ST000000/SE000000/IM000000``). The encapsulated PDF report on the CD is the
    very same file as ``Documents/CT_Chest_Report.pdf``.
    """
    if not 4 <= ct_slices <= 1000:
        raise UsageError("ct_slices must be between 4 and 1000.", code="demo_size")
    if not 16 <= matrix <= 1024:
        raise UsageError("matrix must be between 16 and 1024.", code="demo_size")
    today = today or datetime.date.today()
    out_dir = Path(out_dir)
    _prepare_outputs(out_dir, _OUTPUTS)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=out_dir))
    try:
        case = _write_demo_into(staging, seed=seed, ct_slices=ct_slices, matrix=matrix,
                                today=today)  # fmt: skip
        for name in _OUTPUTS:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _log.info(
        "demo case written: %d DICOM files, %d documents", case.dicom_files, case.document_files
    )
    return dataclasses.replace(
        case,
        root=out_dir,
        cd_dir=out_dir / "CD",
        documents_dir=out_dir / "Documents",
        intake_file=out_dir / _INTAKE,
    )


def _write_demo_into(
    root: Path, *, seed: int, ct_slices: int, matrix: int, today: datetime.date
) -> DemoCase:
    uids = _Uids(seed)
    rng = random.Random(seed)
    nodule_slice = round(0.3 * (ct_slices - 1))
    story = _make_story(today, rng, nodule_image=nodule_slice + 1)

    def study(key: str, date: datetime.date, time: str, modality: str, desc: str,
              accession: str, facility: _Facility, body_part: str) -> _StudySpec:  # fmt: skip
        return _StudySpec(
            key=key,
            uid=uids("study", key),
            date=date,
            time=time,
            modality=modality,
            description=desc,
            accession=accession,
            study_id=str(rng.randrange(10000, 100000)),
            facility=facility,
            body_part=body_part,
            frame_of_reference=uids("for", key),
        )

    def series(st: _StudySpec, number: int, modality: str, desc: str, time: str) -> _SeriesSpec:
        return _SeriesSpec(uids("series", st.key, number), number, modality, desc, time)

    thk = _ds(_CT_COVERAGE_MM / ct_slices)
    cur = study("ct-current", story.current_ct, "101512", "CT", "CT CHEST WITH CONTRAST",
                story.ct_accession, _RIVERSIDE, "CHEST")  # fmt: skip
    prior = study("ct-prior", story.prior_ct, "083040", "CT",
                  "CT CHEST LOW DOSE LUNG SCREENING WO CONTRAST", story.prior_accession,
                  _LAKESIDE, "CHEST")  # fmt: skip
    mr = study("mr-brain", story.mr, "141005", "MR", "MRI BRAIN WITH AND WITHOUT CONTRAST",
               story.mr_accession, _LAKESIDE, "HEAD")  # fmt: skip
    xr = study("xr-chest", story.xray, "091845", "CR", "XR CHEST PA AND LATERAL",
               story.xr_accession, _RIVERSIDE, "CHEST")  # fmt: skip

    datasets: dict[str, list[Dataset]] = {}
    datasets[cur.key] = _ct_study_datasets(
        uids,
        cur,
        [
            (series(cur, 2, "CT", f"AX {thk}MM SOFT TISSUE", "101803"), (40, 400), "SOFT"),
            (series(cur, _CT_LUNG_SERIES, "CT", f"AX {thk}MM LUNG", "101803"), (-600, 1500),
             "LUNG"),  # fmt: skip
        ],
        slices=ct_slices,
        matrix=matrix,
        contrast=True,
        nodule_mm=14.0,
        nodule_slice=nodule_slice,
        kvp=120,
        ma=220,
        noise_hu=14.0,
        seed=seed,
    )
    report = _ct_report(story)
    report_pdf = _pdf_bytes(report)
    datasets[cur.key].append(
        _pdf_dataset(
            uids,
            cur,
            series(cur, 900, "DOC", "RADIOLOGY REPORT", "164200"),
            title="CT CHEST WITH CONTRAST REPORT",
            signed_at=report.date,
            pdf=report_pdf,
        )
    )
    datasets[prior.key] = _ct_study_datasets(
        uids,
        prior,
        [(series(prior, 2, "CT", f"AX {thk}MM LUNG LOW DOSE", "083302"), (-600, 1500), "LUNG")],
        slices=ct_slices,
        matrix=matrix,
        contrast=False,
        nodule_mm=6.0,
        nodule_slice=nodule_slice,
        kvp=100,
        ma=40,
        noise_hu=28.0,
        seed=seed,
    )
    mr_slices = 14
    mr_list: list[Dataset] = []
    for number, desc, flair, time in ((3, "AX T2 FLAIR", True, "141630"),
                                      (7, "AX T1 SE POST GAD", False, "143210")):  # fmt: skip
        spec = series(mr, number, "MR", desc, time)
        mrng = np.random.default_rng([seed, number, _label_int(mr.key)])
        for i in range(mr_slices):
            mr_list.append(
                _mr_dataset(
                    uids,
                    mr,
                    spec,
                    i + 1,
                    matrix=matrix,
                    z=-30.0 + 6.0 * i,
                    flair=flair,
                    pixels=_brain_mr(matrix, i / (mr_slices - 1), mrng, flair=flair),
                )
            )
    datasets[mr.key] = mr_list
    xrng = np.random.default_rng([seed, _label_int(xr.key)])
    datasets[xr.key] = [
        _cr_dataset(
            uids,
            xr,
            series(xr, number, "CR", desc, time),
            size=2 * matrix,
            lateral=lateral,
            pixels=_chest_film(2 * matrix, 2 * matrix, xrng, lateral=lateral),
        )
        for number, desc, lateral, time in ((1, "CHEST PA", False, "091912"),
                                            (2, "CHEST LATERAL", True, "092047"))  # fmt: skip
    ]

    cd = root / "CD"
    cd.mkdir()
    fs = FileSet()
    fs.ID = _FILESET_ID
    fs.UID = UID(uids("fileset"))
    for key in (cur.key, prior.key, mr.key, xr.key):
        for ds in datasets[key]:
            fs.add(ds)
    fs.write(cd)
    for rel, data in _junk().items():
        target = cd / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    docs = root / "Documents"
    docs.mkdir()
    (docs / "CT_Chest_Report.pdf").write_bytes(report_pdf)
    (docs / "Pathology_Report.pdf").write_bytes(_pdf_bytes(_pathology_report(story)))
    (docs / "Visit_Note.pdf").write_bytes(_pdf_bytes(_visit_note(story)))
    (docs / "Lab_Results.pdf").write_bytes(_pdf_bytes(_lab_results(story)))
    for name, doc in _REPORTS.items():  # the other studies' reports and the biopsy note
        (docs / name).write_bytes(_pdf_bytes(doc(story)))
    with open(docs / "Medication_List.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "dose", "frequency", "start_date", "notes"])
        writer.writeheader()
        writer.writerows(_medications(story))
    (root / _INTAKE).write_text(_intake_toml(story), encoding="utf-8", newline="\n")

    reports = {cur.key: "CT_Chest_Report.pdf", prior.key: _PRIOR_CT_REPORT, mr.key: _MR_REPORT,
               xr.key: _XRAY_REPORT}  # fmt: skip
    studies = []
    for st in (cur, prior, mr, xr):
        items = datasets[st.key]
        studies.append(
            DemoStudy(
                study_uid=st.uid,
                date=_da(st.date),
                modality=st.modality,
                description=st.description,
                accession=st.accession,
                series_count=len({ds.SeriesInstanceUID for ds in items}),
                instance_count=len(items),
                report=reports[st.key],
            )
        )
    return DemoCase(
        root=root,
        cd_dir=cd,
        documents_dir=docs,
        intake_file=root / _INTAKE,
        patient_name=_PATIENT_NAME,
        patient_id=_PATIENT_ID,
        birth_date=_da(_BIRTH),
        studies=tuple(studies),
        dicom_files=sum(s.instance_count for s in studies),
        document_files=sum(1 for p in docs.iterdir() if p.is_file()),
        junk_files=tuple(_junk()),
    )

