"""Burning a disc image with the operating system's own tool, and reading it back.

* Linux: writers are the ``/dev/sr*`` drives that ``/proc/sys/dev/cdrom/info`` says can write
  (or, without that file, that ``xorriso -devices`` lists); ``xorriso -as cdrecord`` burns,
  then the image's length is read back from the drive and its SHA-256 compared.
* macOS: ``drutil list`` finds a writer; ``hdiutil burn`` burns and verifies (it reads the
  disc back and compares it with the image).
* Windows: no burning here; the system's own "Burn disc image" does it.

No writer is not a failure of the app: :class:`NoWriter` says so plainly.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bundler.errors import BundlerError, Cancelled
from bundler.progress import NEVER, NO_PROGRESS, CancelToken, Progress

__all__ = ["BurnError", "BurnReport", "NoWriter", "Writer", "burn_image", "choose_writer", "find_writers",
           "media_capacity"]

log = logging.getLogger(__name__)

_PROC_INFO: Final = Path("/proc/sys/dev/cdrom/info")
_NO_WRITER: Final = ("No CD or DVD writer was found on this computer. Copy the disc folder to a USB "
                     "stick instead (records-bundler disc --case DIR --out FOLDER), or make the image "
                     "with --iso and burn it on a computer that has a writer.")
_WINDOWS: Final = ("Burning from Records Bundler is not available on Windows. Make the image with "
                   "--iso, then right-click the .iso file in Explorer and choose \"Burn disc image\".")


class NoWriter(BundlerError):
    """No disc writer (or none usable) on this computer."""

    code = "no_writer"

    def __init__(self, user_message: str = _NO_WRITER) -> None:
        super().__init__(user_message)


class BurnError(BundlerError):
    """The burning tool failed, or the disc read back differs from the image."""

    code = "burn_failed"


@dataclass(frozen=True, slots=True)
class Writer:
    device: str  # /dev/sr0 on Linux; the drutil/hdiutil device on macOS
    description: str = ""


@dataclass(frozen=True, slots=True)
class BurnReport:
    device: str
    size_bytes: int
    verified: bool  # read back: same SHA-256 (Linux), or hdiutil's own verification (macOS)
    seconds: float


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "LC_ALL": "C"})


def _proc_writers(text: str) -> list[str]:
    """Drive names that can write CD-R or DVD-R, from /proc/sys/dev/cdrom/info."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, values = line.partition(":")
        if sep:
            rows[key.strip().lower()] = values.split()
    names = rows.get("drive name", [])
    able = [False] * len(names)
    for key in ("can write cd-r", "can write dvd-r", "can write dvd+r"):
        for i, v in enumerate(rows.get(key, [])[:len(names)]):
            able[i] = able[i] or v == "1"
    return [name for name, ok in zip(names, able, strict=True) if ok]


def _xorriso_devices(text: str) -> list[Writer]:
    """Drives from ``xorriso -devices``: ``0  -dev '/dev/sr0' rwrw-- :  'VENDOR' 'MODEL'``."""
    out = []
    for m in re.finditer(r"-dev '([^']+)'\s+\S+\s*:\s*(.*)", text):
        out.append(Writer(m.group(1), " ".join(re.findall(r"'([^']*)'", m.group(2))).strip()))
    return out


def find_writers() -> list[Writer]:
    """The disc writers on this computer (empty when there are none).

    Raises :class:`NoWriter` on Windows, where the system's burner is the way.
    """
    if sys.platform == "win32":
        raise NoWriter(_WINDOWS)
    if sys.platform == "darwin":
        if shutil.which("drutil") is None:
            return []
        done = _run(["drutil", "list"])
        # hdiutil picks the burner itself; --device names another one
        return [Writer("", "the Mac's disc burner")] if re.search(r"Write:|CD-Write|DVD-Write", done.stdout) else []
    if _PROC_INFO.is_file():
        names = _proc_writers(_PROC_INFO.read_text(errors="replace"))
        return [Writer(f"/dev/{n}") for n in names if Path(f"/dev/{n}").exists()]
    if not list(Path("/dev").glob("sr[0-9]*")) or shutil.which("xorriso") is None:
        return []
    return _xorriso_devices(_run(["xorriso", "-devices"]).stdout)


def choose_writer(device: str | None = None) -> Writer:
    """The writer to burn with: ``device`` if it is one, else the only or first one."""
    writers = find_writers()
    if not writers:
        raise NoWriter()
    if device is None:
        return writers[0]
    if sys.platform == "darwin":
        return Writer(device)
    for w in writers:
        if w.device == device:
            return w
    raise NoWriter(f"{device} is not a CD or DVD writer on this computer. "
                   f"Writers found: {', '.join(w.device for w in writers)}.")


def media_capacity(writer: Writer) -> int | None:
    """Bytes the blank disc in ``writer`` holds (Linux, xorriso), or ``None`` when unknown."""
    if sys.platform != "linux" or shutil.which("xorriso") is None:
        return None
    done = _run(["xorriso", "-outdev", writer.device, "-tell_media_space"], timeout=120)
    m = re.search(r"Media space\s*:\s*(\d+)s", done.stdout + done.stderr)
    return int(m.group(1)) * 2048 if m else None


def _sha256_of(path: Path, size: int, cancel: CancelToken) -> str:
    sha = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        left = size
        while left > 0:
            cancel.raise_if_cancelled()
            data = fh.read(min(8 << 20, left))
            if not data:
                raise BurnError("The disc was written, but it is shorter than the image: the burn "
                                "failed. Try another blank disc.")
            sha.update(data)
            left -= len(data)
    return sha.hexdigest()


def _watch(proc: subprocess.Popen[bytes], cancel: CancelToken, progress: Progress) -> None:
    """Wait for the burning tool, polling cancel; stop it if the user cancels."""
    started = time.monotonic()
    while proc.poll() is None:
        if cancel.cancelled:
            proc.terminate()
            proc.wait(timeout=60)
            raise Cancelled("Burning was stopped; the disc is probably unusable.")
        progress(int(time.monotonic() - started), None, "Burning the disc")
        time.sleep(0.5)
    if proc.returncode != 0:
        log.info("burning tool failed with exit status %d", proc.returncode)
        raise BurnError("The disc could not be written (the burning tool reported an error). "
                        "Check that a blank, writable disc is in the drive.")


def burn_image(
    image: Path,
    writer: Writer,
    *,
    progress: Progress = NO_PROGRESS,
    cancel: CancelToken = NEVER,
) -> BurnReport:
    """Burn ``image`` with the operating system's tool, then check what was written."""
    started = time.monotonic()
    size = image.stat().st_size
    cancel.raise_if_cancelled()
    if sys.platform == "darwin":
        args = ["hdiutil", "burn", str(image), "-noeject", "-verifyburn",
                *(["-device", writer.device] if writer.device else [])]
    elif shutil.which("xorriso") is None:
        raise NoWriter("The burning tool (xorriso) is not installed; install it, or burn the "
                       "image with another program.")
    else:
        args = ["xorriso", "-as", "cdrecord", "-v", f"dev={writer.device}", "blank=as_needed", str(image)]
    log.info("burning %d bytes", size)
    # The tool's chatter is not kept (it would fill a pipe during a long burn; it names paths).
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, "LC_ALL": "C"}) as proc:
        _watch(proc, cancel, progress)
    if sys.platform == "darwin":
        return BurnReport(writer.device, size, True, time.monotonic() - started)
    progress(0, size, "Reading the disc back")
    expected = _sha256_of(image, size, cancel)
    # xorriso's "stdio:PATH" pseudo-drive writes a file as it would a disc (tests, and burning to
    # a disk image on purpose): read back the file.
    readback = Path(writer.device.removeprefix("stdio:"))
    try:
        written = _sha256_of(readback, size, cancel)
    except OSError:
        raise BurnError("The disc was written but could not be read back to check it. Eject it, "
                        "put it back, and compare it with MANIFEST.TXT.") from None
    if written != expected:
        raise BurnError("The disc read back differs from the image: do not use it. Try another blank disc.")
    progress(size, size, "Disc checked")
    return BurnReport(writer.device, size, True, time.monotonic() - started)
