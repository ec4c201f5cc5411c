"""No patient data leaks: a case whose every identifying field holds a marker goes through import,
check, timeline, export (age and AES ZIP), verify and open with debug logging, and the markers
are searched for everywhere they must not be: stderr, every file under the user folder, the
names and contents of temporary files, every process's argument list, and the packages' bytes.
Temporary folders are private (0700) and gone after success, failure and cancel.
"""

from __future__ import annotations

import shutil
import stat
import warnings
from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest

from faultkit import PASSPHRASE, Watched, clean_env, committed_rows, watched_run, write_passphrase

# Identifying values planted in the records; the demo's own identity (its documents keep it) too.
NAME = "Zqxmarkerfam^Zqxmarkergiv"
PATIENT_ID = "ZQXID4417"
BIRTH = "19230517"
ACCESSION = "ZQXACC8812"
INSTITUTION = "Zqxinstitution General"
REFERRER = "Zqxrefdoc^Amy"
MARKERS = ("zqxmarkerfam", "zqxmarkergiv", "zqxid4417", "19230517", "1923-05-17", "zqxacc8812", "zqxinstitution",
           "zqxrefdoc", "muñoz", "šimková", "simkova", "luh-4471203", "19620823", "1962-08-23")


WRONG_PASSPHRASE = "not the passphrase at all, sorry"
SECRETS = (PASSPHRASE, WRONG_PASSPHRASE)


def _leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    lower = text.casefold()
    return [m for m in MARKERS if m in lower]


def _plant_markers(cd: Path) -> None:
    """Rewrite every identifying DICOM field of the CD (and its DICOMDIR) with a marker."""
    for path in sorted(p for p in cd.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(path)
        except pydicom.errors.InvalidDicomError:
            continue
        if path.name == "DICOMDIR":
            for record in ds.DirectoryRecordSequence:
                for keyword, value in (("PatientName", NAME), ("PatientID", PATIENT_ID),
                                       ("AccessionNumber", ACCESSION)):
                    if keyword in record:
                        setattr(record, keyword, value)
        else:
            for keyword, value in (("PatientName", NAME), ("PatientID", PATIENT_ID), ("PatientBirthDate", BIRTH),
                                   ("AccessionNumber", ACCESSION), ("InstitutionName", INSTITUTION),
                                   ("ReferringPhysicianName", REFERRER), ("OtherPatientIDs", PATIENT_ID)):
                setattr(ds, keyword, value)
        ds.save_as(path)


@pytest.fixture(scope="module")
def marked(demo_media: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bundler.demo import write_ct_series

    root = tmp_path_factory.mktemp("marked")
    shutil.copytree(demo_media / "CD", root / "CD")
    shutil.copytree(demo_media / "Documents", root / "Documents")
    _plant_markers(root / "CD")
    # Enough files for the import to spawn worker processes (their argument lists are checked).
    write_ct_series(root / "CT", count=150, matrix=32, seed=5)
    _plant_markers(root / "CT")
    # Malformed values that a library might quote in a warning: a DA written as a date, a name
    # with broken bytes, an over-long ID and accession.
    extra = root / "CD" / "EXTRA"
    extra.mkdir()
    for i, path in enumerate(sorted((root / "CD").rglob("IM*"))[:3]):
        ds = pydicom.dcmread(path)
        ds.SOPInstanceUID = f"{ds.SOPInstanceUID[:50]}.9{i}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom warns (quoting them) about the values set here
            ds.PatientBirthDate = "1923-05-17"
            ds.add_new(0x00100010, "PN", b"Zqxmarkerfam\\Zqxmarkergiv^^^^^Zqxmarkerfam\xff\x1b(J")
            ds.PatientID = PATIENT_ID * 8
            ds.AccessionNumber = ACCESSION * 3
            ds.save_as(extra / f"BAD{i}")
    # A document whose text, and whose file name, carry the identity (portals name files so).
    (root / "Documents" / "Zqxmarkerfam_Zqxmarkergiv_clinic_letter.txt").write_text(
        "CLINIC LETTER\n\nPatient: Zqxmarkergiv Zqxmarkerfam\nDate of birth: 1923-05-17\nMRN: ZQXID4417\n"
        "Accession: ZQXACC8812\nZqxinstitution General, Department of Pulmonology\n\n"
        "Dear Dr Zqxrefdoc,\n\nImpression: a 9 mm nodule in the right upper lobe; follow-up CT advised.\n",
        encoding="utf-8")
    return root


class _Env:
    def __init__(self, tmp: Path) -> None:
        self.home = tmp / "home"
        self.tmpdir = tmp / "tmpdir"
        self.case = tmp / "case"
        self.out = tmp / "out"
        self.logs = tmp / "logs"
        for d in (self.home, self.tmpdir, self.out, self.logs):
            d.mkdir()
        self.env = clean_env(RECORDS_BUNDLER_HOME=str(self.home), TMPDIR=str(self.tmpdir), TMP=str(self.tmpdir),
                             TEMP=str(self.tmpdir))
        self.runs: list[tuple[list[str], Watched]] = []

    def run(self, *args: str | Path, expect: int | tuple[int, ...] = 0,
            interrupt_when: Callable[[], bool] | None = None) -> Watched:
        argv = ["-vv", *map(str, args)]
        watch = [self.tmpdir, self.out, self.case / "tmp"]
        w = watched_run(argv, env=self.env, watch=watch, read=[self.tmpdir], out_dir=self.logs,
                        interrupt_when=interrupt_when)
        allowed = expect if isinstance(expect, tuple) else (expect,)
        assert w.returncode in allowed, (args, w.returncode, w.stderr[-2000:])
        self.runs.append((argv, w))
        self.assert_clean_after(argv, w)
        return w

    def assert_clean_after(self, argv: list[str], w: Watched) -> None:
        assert not _leaks(w.stderr), (argv, _leaks(w.stderr))
        for line in w.cmdlines:
            assert not _leaks(line), (argv, line)
        # The passphrase is read from its file and then lives only in memory: never in output,
        # a child's arguments, or any file written while the command ran.
        for secret in SECRETS:
            assert secret not in w.stdout and secret not in w.stderr, argv
            assert not any(secret.encode() in line for line in w.cmdlines), argv
            assert not any(secret.encode() in data for data in w.contents.values()), argv
        for p in w.paths:
            assert not _leaks(p.name), (argv, p)  # no marker in any temporary or output name
        for p, mode in w.dir_modes.items():
            if self.tmpdir in p.parents or self.case / "tmp" in p.parents:
                assert mode == 0o700, (argv, p, oct(mode))
        for p, data in w.contents.items():
            assert not _leaks(data), (argv, p, _leaks(data))
        assert not any(self.tmpdir.iterdir()), (argv, sorted(self.tmpdir.iterdir()))  # removed, whatever happened
        if (self.case / "tmp").exists():
            tmp = self.case / "tmp"
            assert stat.S_IMODE(tmp.stat().st_mode) == 0o700
            assert not any(tmp.iterdir()), (argv, sorted(tmp.iterdir()))


def _everything_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.slow
def test_no_marker_leaks_from_import_check_timeline_export_and_open(marked: Path, tmp_path: Path) -> None:
    e = _Env(tmp_path)
    secret = write_passphrase(tmp_path)
    imp = e.run("import", marked / "CD", marked / "Documents", marked / "CT", "--case", e.case)
    assert any(b"spawn_main" in line for line in imp.cmdlines), imp.cmdlines  # workers were seen
    assert any(p.name.startswith("run-") for p in imp.dir_modes), imp.dir_modes  # and the scratch folder
    assert "DEBUG" in imp.stderr or "INFO" in imp.stderr  # logging was on
    assert _leaks(NAME) and _leaks(b"x 1923-05-17 y")  # the search itself works
    e.run("check", "--case", e.case, expect=(0, 1))
    e.run("timeline", "--case", e.case)
    e.run("show", "--case", e.case)  # prints the patient to stdout (for the user), never to stderr
    e.run("export", "--case", e.case, "--out", e.out / "package.age", "--passphrase-file", secret)
    e.run("export", "--case", e.case, "--out", e.out / "package.zip", "--passphrase-file", secret)
    for package in ("package.age", "package.zip"):
        e.run("verify", e.out / package, "--passphrase-file", secret)
    opened = tmp_path / "opened"
    e.run("open", e.out / "package.age", "--passphrase-file", secret, "--to", opened)
    assert _leaks(b"".join(p.read_bytes() for p in _everything_under(opened)))  # it is the records, decrypted
    e.run("fsck", "--case", e.case)

    # A failure: the wrong passphrase leaves no temporary folder anywhere.
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(WRONG_PASSPHRASE + "\n", encoding="utf-8")
    e.run("open", e.out / "package.age", "--passphrase-file", wrong, "--to", tmp_path / "opened2", expect=2)
    assert not (tmp_path / "opened2").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".records-bundler")]

    # Outside the case store, nothing holds a marker in plain text: the packages are encrypted
    # (AES ZIP names included), README-FIRST and the user folder carry none.
    for p in _everything_under(e.out) + _everything_under(e.home):
        assert not _leaks(p.read_bytes()), p
        assert not _leaks(p.name), p
    # Nor the passphrases (the right one and the wrong one), anywhere the app writes: the
    # case store (its index and journal included), the user folder, the packages.
    written = b"".join(p.read_bytes() for p in _everything_under(e.out) + _everything_under(e.home)
                       + _everything_under(e.case))
    assert _leaks(written)  # the search does see the case store's own bytes
    for secret in SECRETS:
        assert secret.encode() not in written


def test_a_cancelled_import_leaves_no_temporary_files(marked: Path, tmp_path: Path) -> None:
    from bundler.store import CaseStore

    e = _Env(tmp_path)
    # Ctrl+C once the run has started (the import lock and the run row exist).
    w = e.run("import", marked / "CD", marked / "Documents", marked / "CT", "--case", e.case, expect=(0, 1),
              interrupt_when=lambda: committed_rows(e.case, "runs") > 0)
    if w.returncode == 1:  # Ctrl+C in time: cancelled, and the case is as before (empty)
        assert "cancelled" in w.stderr.lower()
        with CaseStore.open(e.case) as store:
            assert not store.instances() and not store.documents() and not store.log_rows()
            assert not [p for p in store.blobs_dir.rglob("*") if p.is_file()]
