"""The patient disc (bundler.export.patient_cd, previews, burn, the ``disc`` command).

On the demo case (plus a hostile patient name, a bare dataset and a hostile document name):
the folder and the ISO hold the layout, every instance byte for byte, nothing deeper than 8
levels, a correct MANIFEST.TXT; the previews are real pictures of the right size; the label
fits ISO 9660 and Joliet; the size check; atomic writes under cancel and failure; re-import;
the command's JSON and exit codes, and its plain "no writer" answer. The real tools (dciodvfy,
dcmdump, xorriso) check the same discs in tests/interop/test_disc.py.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pycdlib
import pydicom
import pytest
from PIL import Image
from pydicom.fileset import FileSet

from bundler import cli
from bundler.demo import write_demo
from bundler.errors import Cancelled, CaseError, UsageError
from bundler.export import burn, patient_cd, previews
from bundler.export.layout import MANIFEST, parse_manifest
from bundler.export.patient_cd import (
    CAPACITY,
    DiscTooLarge,
    Media,
    check_size,
    disc_label,
    estimate_image_size,
    make_disc,
)
from bundler.ingest.pipeline import import_sources
from bundler.progress import CancelToken
from bundler.store import CaseStore
from support import require_shared_data
from test_package import EVIL_NAME, _bare_bytes, _dataset, _part10_bytes, add_document

EVIL_DOC = '<script>alert("doc") Muñoz & report.pdf'  # its folder is cut off: no "/" in it'
MADE_AT = datetime.datetime(2026, 3, 14, 9, 30, tzinfo=datetime.UTC)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _dataset_bytes(part10: bytes) -> bytes:
    assert part10[128:132] == b"DICM"
    group_length = int.from_bytes(part10[140:144], "little")
    return part10[144 + group_length:]


@dataclass
class Disc:
    case: Path
    folder: Path
    iso: Path
    report: patient_cd.DiscReport
    iso_report: patient_cd.DiscReport


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("disc-case")
    demo = write_demo(root / "media", ct_slices=8, matrix=128)
    extra = root / "extra"
    extra.mkdir()
    (extra / "evil.dcm").write_bytes(_part10_bytes(_dataset(EVIL_NAME)))
    (extra / "bare_no_date").write_bytes(_bare_bytes(_dataset(EVIL_NAME, study_date=None, number=None)))
    with CaseStore.open(root / "case", create=True) as store:
        import_sources([demo.cd_dir, demo.documents_dir, extra], store, processes=False)
        add_document(store, EVIL_DOC, b"%PDF-1.4\n% a report\n%%EOF\n")
    return root / "case"


@pytest.fixture(scope="module")
def disc(case_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Disc:
    out = tmp_path_factory.mktemp("disc-out")
    with CaseStore.open(case_dir) as store:
        report = make_disc(store, out / "DISC", with_web=True, made_at=MADE_AT)
        iso_report = make_disc(store, out / "disc.iso", iso=True, with_web=True, made_at=MADE_AT)
    return Disc(case_dir, out / "DISC", out / "disc.iso", report, iso_report)


# --- the folder ----------------------------------------------------------------------------


def test_folder_layout(disc: Disc) -> None:
    files = _tree(disc.folder)
    for top in ("README.TXT", "INDEX.HTM", "DICOMDIR", "CASE.JSON", "MANIFEST.TXT"):
        assert top in files
    assert not any(name.lower() in ("autorun.inf", "autorun.exe") for name in files)
    for name in files:
        parts = name.split("/")
        assert len(parts) <= 8, name  # the root is level 1, so at most 7 folders above a file
        if parts[0] == "DICOM":
            assert all(re.fullmatch(r"[A-Z0-9_]{1,8}", p) for p in parts), name
        elif len(parts) > 1:
            assert parts[0] in ("DOCS", "IHE_PDI"), name  # non-DICOM content outside DICOM/
    # the DICOMDIR lists DICOM/ only, and every file it lists exists
    fs = FileSet(pydicom.dcmread(disc.folder / "DICOMDIR"))
    listed = {"/".join(Path(i.path).relative_to(disc.folder).parts) for i in fs}
    assert listed and all(p.startswith("DICOM/") for p in listed)
    assert listed <= set(files)
    assert disc.report.files == len(files)
    # nothing but the disc is left beside it (no temporary folder)
    assert sorted(p.name for p in disc.folder.parent.iterdir()) == ["DISC", "disc.iso"]


def test_every_instance_byte_identical_and_manifest(disc: Disc) -> None:
    files = _tree(disc.folder)
    case = json.loads(files["CASE.JSON"])
    with CaseStore.open(disc.case) as store:
        instances = store.instances()
        by_path = {f["path"]: f for s in case["studies"] for se in s["series"] for f in se["files"]}
        assert len(by_path) == len(instances) == disc.report.instances
        wrapped = 0
        for path, f in by_path.items():
            original = store.blob_path(f["sha256"]).read_bytes()
            if f["wrapped_into_part10"]:
                wrapped += 1
                assert _dataset_bytes(files[path]) == original
            else:
                assert files[path] == original
        assert wrapped == 1  # the bare dataset: a disc holds Part 10 files (PS3.10 §7)
        for d in case["documents"]:
            assert files[d["path"]] == store.blob_path(d["sha256"]).read_bytes()
    manifest = {e.path: e for e in parse_manifest(files[MANIFEST])}
    assert set(manifest) == set(files) - {MANIFEST}
    for path, entry in manifest.items():
        assert hashlib.sha256(files[path]).hexdigest() == entry.sha256 and len(files[path]) == entry.size


def test_readme_speaks_of_a_disc(disc: Disc) -> None:
    readme = (disc.folder / "README.TXT").read_text(encoding="utf-8")
    assert "IHE PDI" in readme and "DICOMDIR" in readme and "not encrypted" in readme
    assert "DICOM PLUS WEB" in readme and "IHE_PDI" in readme
    assert "age -d" not in readme  # not the encrypted package's README


def test_index_links_previews_and_escapes(disc: Disc) -> None:
    page = (disc.folder / "INDEX.HTM").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page  # the patient's name
    assert "&lt;script&gt;alert(&quot;doc&quot;) Muñoz &amp; report.pdf" in page  # a document's name
    assert "Content-Security-Policy" in page
    sources = re.findall(r'<img class="preview" src="([^"]+)" width="(\d+)" height="(\d+)"', page)
    assert len(sources) == disc.report.previews >= 6
    for src, width, height in sources:
        assert re.fullmatch(r"IHE_PDI/SE\d{6}\.JPG", src)
        with Image.open(disc.folder / src) as im:
            assert im.format == "JPEG"
            # shown at its size, or enlarged to 128 pixels on its longest side
            scale = max(1.0, 128 / max(im.size))
            assert (int(width), int(height)) == (round(im.width * scale), round(im.height * scale))


# --- previews ------------------------------------------------------------------------------


def test_previews_are_real_pictures_of_the_right_size(disc: Disc) -> None:
    with CaseStore.open(disc.case) as store:
        series = {s.series_uid: s for st in store.studies() for s in st.series}
    assert set(disc.report.preview_of) <= set(series)
    assert {series[uid].modality for uid in disc.report.preview_of} >= {"CT", "MR", "CR"}
    for uid, preview in disc.report.preview_of.items():
        key = previews.key_instances(series[uid].instances)[0]
        with CaseStore.open(disc.case) as store:
            header = pydicom.dcmread(store.blob_path(key.sha256), stop_before_pixels=True, force=True)
        with Image.open(disc.folder / preview.path) as im:
            im.load()
            expected = previews.preview_size(int(header.Rows), int(header.Columns), previews._aspect(header))
            assert im.size == expected == (preview.width, preview.height)
            assert max(im.size) <= previews.PREVIEW_BOX
            pixels = np.asarray(im.convert("L"), dtype=np.float64)
        assert pixels.std() > 20, series[uid].modality  # not blank, not flat grey
        assert pixels.max() - pixels.min() > 120


def test_ct_preview_shows_dark_lungs_in_a_bright_body(disc: Disc) -> None:
    with CaseStore.open(disc.case) as store:
        cts = [s for st in store.studies() for s in st.series if s.modality == "CT"]
    assert cts
    for se in cts:
        with Image.open(disc.folder / disc.report.preview_of[se.series_uid].path) as im:
            pixels = np.asarray(im.convert("L"), dtype=np.float64)
        h, w = pixels.shape

        def patch(u: float, v: float) -> float:  # the demo's normalised coordinates, -1..1
            r, c = int((v + 1) / 2 * h), int((u + 1) / 2 * w)
            return float(np.median(pixels[r - 3:r + 4, c - 3:c + 4]))

        lungs = max(patch(-0.45, 0.0), patch(0.52, 0.05))  # lateral parts of both lungs
        muscle = patch(0.0, 0.20)  # posterior mediastinum, 45 HU
        spine = patch(0.0, 0.36)  # vertebral body, 260 HU
        # Lung and soft-tissue windows alike: the lungs dark, the body brighter, bone bright.
        assert lungs < 100 and muscle > lungs + 60 and spine > 200, (lungs, muscle, spine)


def test_window_functions_follow_ps3_3() -> None:
    values = np.array([-1000.0, 39.5, 40.0, 89.0, 1000.0])
    linear = previews.apply_window(values, 40, 100)
    assert linear[0] == 0 and linear[-1] == 1 and abs(linear[1] - 0.5) < 1e-9  # centred on c - 0.5
    exact = previews.apply_window(values, 40, 100, function="LINEAR_EXACT")
    assert abs(exact[2] - 0.5) < 1e-9 and abs(exact[3] - 0.99) < 1e-9
    sigmoid = previews.apply_window(values, 40, 100, function="SIGMOID")
    assert abs(sigmoid[2] - 0.5) < 1e-9 and sigmoid[0] < 0.01 and sigmoid[-1] > 0.99
    # a robust window ignores a few hot pixels and the padding around the image
    image = np.full(10_000, -2000.0)
    image[3000:] = np.linspace(0, 100, 7000)
    image[:5] = 30000.0
    center, width = previews.robust_window(image)
    assert 40 < center < 60 and 90 < width < 110


def test_monochrome1_and_voi_lut_sequence() -> None:
    shared = require_shared_data() / "2_dicom_varied" / "modalities" / "DX_highdicom_dx_image.dcm"
    ds = pydicom.dcmread(shared)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    shown = previews.grayscale(ds.pixel_array, ds)
    ds.PhotometricInterpretation = "MONOCHROME2"
    if "PresentationLUTShape" in ds:
        del ds.PresentationLUTShape
    assert np.allclose(shown, 1.0 - previews.grayscale(ds.pixel_array, ds))  # white bone on film
    # A VOI LUT Sequence wins over the window (PS3.3 C.11.2.1.1): an inverting 8-bit LUT.
    mr = pydicom.dcmread(require_shared_data() / "2_dicom_varied" / "modalities" / "MR_small.dcm")
    arr = mr.pixel_array
    item = pydicom.Dataset()
    item.LUTDescriptor = [256, int(arr.min()), 8]
    item.LUTData = list(range(255, -1, -1))
    mr.VOILUTSequence = [item]
    out = previews.grayscale(arr, mr)
    assert out[arr == arr.min()].min() == 1.0 and out[arr >= arr.min() + 255].max() == 0.0
    assert np.allclose(out[arr < arr.min() + 255], (255 - (arr[arr < arr.min() + 255] - arr.min())) / 255)
    item.add_new(0x00283006, "OW", np.arange(255, -1, -1, dtype="<u2").tobytes())  # as files carry it
    assert np.array_equal(previews.grayscale(arr, mr), out)


@pytest.mark.parametrize("name", [
    "transfer_syntaxes/1.2.840.10008.1.2.4.50.dcm",  # JPEG baseline, YBR
    "transfer_syntaxes/1.2.840.10008.1.2.4.57.dcm",  # JPEG lossless
    "transfer_syntaxes/1.2.840.10008.1.2.4.70.dcm",
    "transfer_syntaxes/MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS
    "transfer_syntaxes/1.2.840.10008.1.2.4.91.dcm",  # JPEG 2000
    "transfer_syntaxes/MR_small_RLE.dcm",
    "transfer_syntaxes/1.2.840.10008.1.2.1.99.dcm",  # deflated
    "transfer_syntaxes/MR_small_bigendian.dcm",
    "multiframe/examples_ybr_color.dcm",  # multi-frame: the middle frame
    "modalities/DX_highdicom_dx_image.dcm",
])
def test_previews_decode_every_transfer_syntax(name: str) -> None:
    path = require_shared_data() / "2_dicom_varied" / name
    preview = previews.render_preview(path)
    assert preview is not None
    with Image.open(io.BytesIO(preview.jpeg)) as im:
        assert im.format == "JPEG" and im.size == (preview.width, preview.height)
        assert not im.info.get("exif") and not im.info.get("comment")  # pixels only
        assert np.asarray(im.convert("L"), dtype=np.float64).std() > 5


def test_no_preview_for_what_cannot_be_shown() -> None:
    edge = require_shared_data() / "2_dicom_varied" / "malformed_and_edge_cases"
    assert previews.render_preview(edge / "oob-monochrome-65535.dcm") is None  # 65535² pixels
    assert previews.render_preview(edge / "Issue22-NoPixelData.dcm") is None


# --- the ISO -------------------------------------------------------------------------------


def test_iso_holds_the_same_files_under_iso9660_level1_and_joliet(disc: Disc, tmp_path: Path) -> None:
    iso = pycdlib.PyCdlib()
    iso.open(str(disc.iso))
    try:
        joliet: dict[str, bytes] = {}
        for root, _dirs, names in iso.walk(joliet_path="/"):
            for name in names:
                path = f"{root.rstrip('/')}/{name}"
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, joliet_path=path)
                joliet[path.lstrip("/")] = out.getvalue()
        iso_names = [f"{root.rstrip('/')}/{name}" for root, _dirs, names in iso.walk(iso_path="/") for name in names]
        pvd = iso.pvd.volume_identifier.decode("ascii").rstrip()
        assert iso.joliet_vd is not None
        joliet_label = iso.joliet_vd.volume_identifier.decode("utf-16_be").rstrip()
    finally:
        iso.close()
    # The same files as the folder but for those made anew per disc: the DICOMDIR (a new
    # File-set UID), the summary page (the time it was made) and the manifest of both.
    folder = _tree(disc.folder)
    assert set(joliet) == set(folder)
    assert "SUMMARY.PDF" in folder
    assert {p for p in folder if joliet[p] != folder[p]} <= {"DICOMDIR", MANIFEST, "SUMMARY.PDF"}
    manifest = {e.path: e for e in parse_manifest(joliet[MANIFEST])}
    assert set(manifest) == set(joliet) - {MANIFEST}
    for path, entry in manifest.items():
        assert hashlib.sha256(joliet[path]).hexdigest() == entry.sha256, path
    for name in iso_names:  # PS3.12 F.1.2.1: Level 1 names, version 1
        assert re.fullmatch(r"(/[A-Z0-9_]{1,8})*/[A-Z0-9_]{1,8}\.[A-Z0-9_]{0,3};1", name), name
    assert "/DICOMDIR.;1" in iso_names and "/CASE.JSO;1" in iso_names
    dicomdir = pydicom.dcmread(disc.folder / "DICOMDIR")
    assert pvd == dicomdir.FileSetID == disc.report.label.volume_id  # PS3.12 §F.1.1
    assert joliet_label == disc.report.label.joliet_id
    assert disc.iso_report.size_bytes == disc.iso.stat().st_size


def test_size_estimate_is_the_iso_size(disc: Disc) -> None:
    # never below the image (the size check must not say a disc fits when it does not), and
    # within a few sectors of it (big folders cost a sector or two more in the estimate)
    actual = disc.iso.stat().st_size
    files = [(p, len(b)) for p, b in _tree(disc.folder).items()]
    assert actual <= estimate_image_size(files) <= actual + 16 * 2048
    assert actual <= disc.report.size_bytes <= actual + 16 * 2048


def test_reimport_gives_the_same_instances(disc: Disc, tmp_path: Path) -> None:
    with CaseStore.open(disc.case) as store:
        before = {(i.sop_instance_uid, i.sha256) for i in store.instances() if i.has_part10_header}
        bare = {i.sop_instance_uid for i in store.instances() if not i.has_part10_header}
    for source in (disc.folder, disc.iso):
        with CaseStore.open(tmp_path / source.name, create=True) as store:
            report = import_sources([source], store, processes=False)
            # only the test's fake PDF fails (it is not a real PDF); every DICOM file imports
            assert [r.reason for r in report.rows if r.status == "failed"] == ["document_unreadable"]
            after = {(i.sop_instance_uid, i.sha256) for i in store.instances()}
        assert before <= after
        assert {uid for uid, _ in after - before} == bare  # now wrapped, the dataset unchanged


# --- label and size ------------------------------------------------------------------------


def test_label_fits_iso9660_and_joliet() -> None:
    day = datetime.date(2026, 3, 14)
    label = disc_label("Muñoz-Šimková^Zoë", day, web=True, fileset_id="RECORDS")
    assert label.volume_id == "RECORDS"
    assert label.joliet_id == "Muñoz-Š 20260314"
    assert label.volume_set_id == "MUNOZ_SIMKOVA_ZOE_20260314_DICOM_PLUS_WEB"
    assert label.text == "Zoë Muñoz-Šimková - 2026-03-14 - DICOM PLUS WEB"
    assert disc_label("DOE^JANE", day, web=False).joliet_id == "DOE J 20260314"
    assert disc_label("DOE^JANE", day, web=False).content == "DICOM ONLY"
    for name in (EVIL_NAME, "山田^太郎", "", "A" * 300 + "^" + "B" * 300, "Ωμέγα^Άλφα", "a:b/c\\d?*;^\x00x"):
        for web in (True, False):
            label = disc_label(name, day, web=web, fileset_id="x" * 40)
            assert re.fullmatch(r"[A-Z0-9_]{0,32}", label.volume_id)
            assert re.fullmatch(r"[A-Z0-9_]{1,128}", label.volume_set_id)
            assert len(label.joliet_id) <= 16 and label.joliet_id.endswith("20260314")
            assert not re.search(r"[*/:;?\\\x00-\x1f]", label.joliet_id)
            assert len(label.joliet_id.encode("utf-16_be")) <= 32


def test_size_check() -> None:
    assert CAPACITY[Media.CD] == 734_003_200
    small = check_size(CAPACITY[Media.CD])
    assert small.fits == {Media.CD: True, Media.DVD: True, Media.DVD_DL: True} and small.ok
    assert small.message() is None
    dvd = check_size(CAPACITY[Media.CD] + 1, "cd")
    assert dvd.fits == {Media.CD: False, Media.DVD: True, Media.DVD_DL: True} and not dvd.ok
    message = dvd.message()
    assert message is not None and "too much for a CD" in message and "DVD (4.7 GB)" in message
    assert "USB" in message and "encrypted package" in message
    assert check_size(CAPACITY[Media.CD] + 1).ok  # no disc asked for: it fits on a DVD
    huge = check_size(CAPACITY[Media.DVD_DL] + 1)
    assert not any(huge.fits.values()) and not huge.ok
    assert "any CD or DVD" in (huge.message() or "") and "USB" in (huge.message() or "")
    assert check_size(CAPACITY[Media.DVD] + 1, "dvd").fits[Media.DVD_DL]
    assert huge.to_json()["fits"] == {"cd": False, "dvd": False, "dvd_dl": False}


def test_too_large_for_the_disc_asked_writes_nothing(case_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CAPACITY, Media.CD, 100_000)
    with CaseStore.open(case_dir) as store, pytest.raises(DiscTooLarge) as e:
        make_disc(store, tmp_path / "d.iso", iso=True, media="cd")
    assert "too much for a CD" in e.value.user_message
    assert list(tmp_path.iterdir()) == []


# --- atomic writes -------------------------------------------------------------------------


class _CancelAfter:
    def __init__(self, token: CancelToken, calls: int) -> None:
        self.token, self.calls = token, calls

    def __call__(self, done: int, total: int | None, message: str = "") -> None:
        if message.startswith("Writing"):
            self.calls -= 1
            if self.calls <= 0:
                self.token.cancel()


@pytest.mark.parametrize("iso", [False, True])
def test_cancel_leaves_nothing(case_dir: Path, tmp_path: Path, iso: bool) -> None:
    token = CancelToken()
    with CaseStore.open(case_dir) as store, pytest.raises(Cancelled):
        make_disc(store, tmp_path / "out", iso=iso, progress=_CancelAfter(token, 2), cancel=token)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("iso", [False, True])
def test_a_damaged_blob_leaves_nothing(tmp_path: Path, iso: bool) -> None:
    demo = write_demo(tmp_path / "media", ct_slices=4, matrix=32)
    with CaseStore.open(tmp_path / "case", create=True) as store:
        import_sources([demo.cd_dir], store, processes=False)
        victim = store.blob_path(store.instances()[-1].sha256)
        victim.chmod(0o600)
        victim.write_bytes(victim.read_bytes()[:-10])  # shorter than the index says
        out = tmp_path / "out"
        out.mkdir()
        with pytest.raises(CaseError):
            make_disc(store, out / "disc", iso=iso)
        assert list(out.iterdir()) == []


def test_refuses_a_folder_that_is_not_empty(case_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with CaseStore.open(case_dir) as store:
        with pytest.raises(UsageError):
            make_disc(store, tmp_path / "full")
        with pytest.raises(UsageError):
            make_disc(store, tmp_path / "full", iso=True)  # a folder is not an image name
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


# --- the command ---------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if "--json" in argv and out.strip() else out, err


def test_cli_writes_a_disc_and_reports_json(case_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(capsys, "disc", "--case", str(case_dir), "--out", str(tmp_path / "d.iso"), "--iso",
                         "--json")
    assert code == 0 and data["ok"] and data["format"] == "iso"
    assert data["size_bytes"] == (tmp_path / "d.iso").stat().st_size
    assert data["fits"] == {"cd": True, "dvd": True, "dvd_dl": True}
    assert data["label"]["content"] == "DICOM ONLY" and data["previews"] == 0
    code, text, _ = _run(capsys, "disc", "--case", str(case_dir), "--out", str(tmp_path / "folder"), "--with-web")
    assert code == 0 and "Disc folder written" in text and "It fits on a CD (700 MB)" in text
    assert (tmp_path / "folder" / "IHE_PDI").is_dir()


def test_cli_too_large_exit_1(case_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CAPACITY, Media.CD, 100_000)
    code, data, err = _run(capsys, "disc", "--case", str(case_dir), "--out", str(tmp_path / "d"),
                           "--media", "cd", "--json")
    assert code == 1 and data["error"]["code"] == "too_large"
    assert "too much for a CD" in err and "USB" in err
    assert not (tmp_path / "d").exists()


def test_cli_usage(case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "disc", "--case", str(case_dir))
    assert code == 2 and "--out" in err
    code, _, err = _run(capsys, "disc", "--case", str(case_dir), "--out", "x", "--device", "/dev/sr0")
    assert code == 2 and "--burn" in err


def test_burn_without_a_writer_says_so(case_dir: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # The same answer on a computer that has a writer: its drives are hidden from the command.
    monkeypatch.setattr(burn, "find_writers", lambda: [])
    code, _, err = _run(capsys, "disc", "--case", str(case_dir), "--burn")
    assert code == 1
    assert err.strip() == ("records-bundler: No CD or DVD writer was found on this computer. Copy the disc "
                           "folder to a USB stick instead (records-bundler disc --case DIR --out FOLDER), "
                           "or make the image with --iso and burn it on a computer that has a writer.")
    code, data, _ = _run(capsys, "disc", "--case", str(case_dir), "--burn", "--json")
    assert code == 1 and data == {"ok": False, "error": {"code": "no_writer", "message": burn.NoWriter().user_message}}
    assert not list((case_dir / "tmp").glob("disc-*"))  # nothing was made for it


def test_writer_detection_parsers() -> None:
    info = ("CD-ROM information, Id: cdrom.c 3.20 2003/12/17\n\n"
            "drive name:\t\tsr1\tsr0\n"
            "drive speed:\t\t24\t24\n"
            "Can write CD-R:\t\t0\t1\n"
            "Can write CD-RW:\t\t0\t1\n"
            "Can write DVD-R:\t\t0\t1\n")
    assert burn._proc_writers(info) == ["sr0"]
    devices = ("0  -dev '/dev/sr0' rwrw-- :  'HL-DT-ST' 'DVDRAM GH24NSD1'\n"
               "1  -dev '/dev/sr1' rwrw-- :  'ASUS    ' 'DRW-24D5MT'\n")
    found = burn._xorriso_devices(devices)
    assert [w.device for w in found] == ["/dev/sr0", "/dev/sr1"]
    assert found[0].description == "HL-DT-ST DVDRAM GH24NSD1"


def test_index_shows_small_previews_larger_and_escapes_their_names() -> None:
    from bundler.export.index_html import SeriesPreview, index_html

    case = {"identity": {"patients": [{"name": EVIL_NAME, "id": "1", "birth_date": ""}]},
            "generator": "Records Bundler", "exported_at": "2026-03-14T09:30:00Z", "documents": [],
            "missing_from_media": [],
            "studies": [{"date": "20260301", "description": "CT", "accession": "", "modalities": ["CT"],
                         "institution": "", "instances": 1,
                         "series": [{"series_uid": "1.2", "number": 1, "description": "<b>", "modality": "CT",
                                     "instances": 1, "files": [{"path": "DICOM/PT0/ST0/SE0/IM0"}]}]}]}
    page = index_html(case, previews={"1.2": SeriesPreview('IHE_PDI/"><script>.JPG', 16, 8)})
    assert '<img class="preview" src="IHE_PDI/&quot;&gt;&lt;script&gt;.JPG" width="128" height="64"' in page
    assert "<script" not in page and "<b>" not in page


def test_index_lists_what_the_checklist_finds_escaped() -> None:
    from bundler.export.index_html import index_html

    case = {"identity": {"patients": [{"name": "DOE^JANE", "id": "1", "birth_date": "19600101"}]},
            "studies": [], "documents": [], "missing_from_media": [], "generator": "Records Bundler",
            "exported_at": "2026-03-14T09:30:00Z",
            "findings": {"profile_title": "General second opinion", "complete": False,
                         "identity": {"stop": True},
                         "items": [{"id": "imaging_reports", "title": "A report for every scan", "status": "missing",
                                    "details": ["No report for: <script>alert(1)</script> CT chest."],
                                    "next_step": "Ask"},
                                   {"id": "labs", "title": "Laboratory results", "status": "present",
                                    "details": [], "next_step": ""}]}}
    page = index_html(case)
    assert "<h2>Checklist (General second opinion)</h2>" in page
    assert "A report for every scan" in page and "Laboratory results" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "more than one person" in page
