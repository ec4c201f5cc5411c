"""Where things live on this computer (platformdirs), and user settings."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "cases_dir", "default_case_dir", "user_data_dir", "user_log_dir"]

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
