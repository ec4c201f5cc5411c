"""DICOM networking: verify, query, retrieve and send (``scu``), receive (``scp``), reconcile.

Built on pynetdicom. See ``docs/networking.md`` for the workflows and the conformance notes.
The names below load on first use, so that importing ``bundler.net.cli`` (every CLI start)
does not load pydicom and pynetdicom.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AllowEntry",
    "LocalPatient",
    "NetworkError",
    "Node",
    "Timeouts",
    "parse_allow",
    "parse_node",
    "reconcile",
]

_HOME = {
    "AllowEntry": "bundler.net.ae", "NetworkError": "bundler.net.ae", "Node": "bundler.net.ae",
    "Timeouts": "bundler.net.ae", "parse_allow": "bundler.net.ae", "parse_node": "bundler.net.ae",
    "LocalPatient": "bundler.net.reconcile", "reconcile": "bundler.net.reconcile",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'bundler.net' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
