"""Project-wide guarantees: the core never imports Qt, it type-checks strictly, and it works
from a real (non-editable) install with its resources."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from support import REPO

BIN = Path(sys.executable).parent


def test_core_never_imports_qt_or_ui() -> None:
    proc = subprocess.run([str(BIN / "lint-imports")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout


def test_core_type_checks_strictly() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheel_installs_and_finds_its_resources(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = wheels.glob("records_bundler-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bundler/py.typed" in names
    for folder in sorted(p.name for p in (REPO / "resources").iterdir() if p.is_dir() and p.name != "__pycache__"):
        data = [p for p in (REPO / "resources" / folder).iterdir() if p.is_file()]
        assert all(f"bundler_resources/{folder}/{p.name}" in names for p in data), folder
    assert any(n.startswith("ui/") for n in names)
    assert not any(n.startswith("tests/") for n in names)

    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    probe = (
        "import bundler, bundler_resources, importlib.resources as r\n"
        "assert bundler.__file__.startswith(%r), bundler.__file__\n"
        "icon = r.files('bundler_resources').joinpath('icons/app.svg').read_text()\n"
        "assert '<svg' in icon\n"
        "from bundler.cli import main\n"
        "raise SystemExit(main(['--version']))\n"
    ) % str(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("records-bundler ")
