"""The one exception document readers raise for input they cannot read."""

from __future__ import annotations

__all__ = ["DocumentReadError"]


class DocumentReadError(Exception):
    """A document could not be read; ``reason`` is a stable code, ``detail`` plain words.

    ``detail`` never carries patient data (it ends up in the import log).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
