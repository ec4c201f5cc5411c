"""DICOM nodes the user saved, and our own AE title: ``nodes.json`` in the user config folder.

::

    {"local_ae_title": "RECBUNDLER",
     "nodes": {"pacs": {"ae_title": "PACS", "host": "10.0.0.5", "port": 11112, "tls": true,
                        "tls_ca": "/path/ca.pem", "tls_cert": null, "tls_key": null,
                        "check_hostname": true}}}

Plain TCP is stored as ``"tls": false`` and only ever set by the user's explicit choice.
"""

from __future__ import annotations

import re

from bundler.config import read_settings, write_settings
from bundler.errors import UsageError
from bundler.net.ae import DEFAULT_AE_TITLE, Node, validate_ae_title

__all__ = ["get_node", "load_nodes", "local_ae_title", "remove_node", "save_node", "set_local_ae_title"]

SETTINGS_FILE = "nodes.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def load_nodes() -> dict[str, Node]:
    """Saved nodes by name."""
    raw = read_settings(SETTINGS_FILE).get("nodes", {})
    out: dict[str, Node] = {}
    if isinstance(raw, dict):
        for name, d in raw.items():
            try:
                out[str(name)] = Node.from_json(d)
            except (KeyError, TypeError, ValueError, UsageError):
                continue  # one damaged entry must not hide the others
    return out


def get_node(name: str) -> Node:
    nodes = load_nodes()
    if name not in nodes:
        raise UsageError(f"No saved DICOM node is called {name!r}; see `records-bundler pacs nodes list`.",
                         code="no_such_node")
    return nodes[name]


def save_node(name: str, node: Node) -> None:
    """Save (or replace) a node under ``name`` (letters, digits, ``_ . -``)."""
    if not _NAME_RE.match(name):
        raise UsageError("A node name has letters, digits, '_', '.' or '-' (at most 64).", code="bad_node_name")
    data = read_settings(SETTINGS_FILE)
    nodes = data.get("nodes") if isinstance(data.get("nodes"), dict) else {}
    assert isinstance(nodes, dict)
    nodes[name] = node.to_json()
    data["nodes"] = nodes
    write_settings(SETTINGS_FILE, data)


def remove_node(name: str) -> bool:
    data = read_settings(SETTINGS_FILE)
    nodes = data.get("nodes")
    if not isinstance(nodes, dict) or name not in nodes:
        return False
    del nodes[name]
    write_settings(SETTINGS_FILE, data)
    return True


def local_ae_title() -> str:
    """Our AE title (calling AE for queries and sends, called AE for receiving)."""
    value = read_settings(SETTINGS_FILE).get("local_ae_title")
    try:
        return validate_ae_title(str(value)) if value else DEFAULT_AE_TITLE
    except UsageError:
        return DEFAULT_AE_TITLE


def set_local_ae_title(title: str) -> None:
    data = read_settings(SETTINGS_FILE)
    data["local_ae_title"] = validate_ae_title(title)
    write_settings(SETTINGS_FILE, data)
