"""Where things live on this computer (platformdirs), and user settings."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

from bundler.errors import UsageError

__all__ = [
    "APP_NAME",
    "cases_dir",
    "default_case_dir",
    "read_settings",
    "user_config_dir",
    "user_data_dir",
    "user_log_dir",
    "write_settings",
]

APP_NAME = "records-bundler"


def user_data_dir() -> Path:
    """The per-user data folder; ``RECORDS_BUNDLER_HOME`` overrides it (tests, portable use)."""
    override = os.environ.get("RECORDS_BUNDLER_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cases_dir() -> Path:
    return user_data_dir() / "cases"


def default_case_dir() -> Path:
    """The case used when none is named (the app's first case, the CLI without --case)."""
    return cases_dir() / "default"


def user_log_dir() -> Path:
    override = os.environ.get("RECORDS_BUNDLER_HOME")
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def user_config_dir() -> Path:
    """The per-user settings folder; under ``RECORDS_BUNDLER_HOME`` when that is set."""
    override = os.environ.get("RECORDS_BUNDLER_HOME")
    if override:
        return Path(override) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def read_settings(name: str) -> dict[str, Any]:
    """The JSON settings file ``name`` in :func:`user_config_dir` (``{}`` when absent).

    A file that is not a JSON object raises :class:`~bundler.errors.UsageError`: settings are
    never silently replaced.
    """
    path = user_config_dir() / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise UsageError(f"The settings file {path} cannot be read; fix or remove it.",
                         code="settings_damaged") from e
    if not isinstance(data, dict):
        raise UsageError(f"The settings file {path} cannot be read; fix or remove it.", code="settings_damaged")
    return data


def write_settings(name: str, data: dict[str, Any]) -> Path:
    """Write the JSON settings file ``name`` atomically (temp file beside it, fsync, rename),
    readable by this user only."""
    folder = user_config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
