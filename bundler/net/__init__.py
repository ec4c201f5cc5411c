"""DICOM networking: verify, query, retrieve and send (``scu``), receive (``scp``), reconcile.

Built on pynetdicom. See ``docs/networking.md`` for the workflows and the conformance notes.
"""

from bundler.net.ae import AllowEntry, NetworkError, Node, Timeouts, parse_allow, parse_node
from bundler.net.reconcile import LocalPatient, reconcile

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
