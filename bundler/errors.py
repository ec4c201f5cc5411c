"""Errors a user may see.

Every error raised on purpose by the core is a :class:`BundlerError` with a stable ``code``
(for scripts and tests) and a ``user_message`` a patient can understand. Messages never carry
patient data: no names, IDs, dates of birth or document text.
"""

from __future__ import annotations

__all__ = [
    "BundlerError",
    "Cancelled",
    "CaseError",
    "PackageCorrupt",
    "PackageWrongKey",
    "LimitExceeded",
    "SourceError",
    "UnsafePath",
    "UsageError",
]


class BundlerError(Exception):
    """Root of the errors the core raises on purpose."""

    code: str = "error"

    def __init__(self, user_message: str, *, code: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.user_message


class UsageError(BundlerError):
    """The caller asked for something that cannot be done as asked."""

    code = "usage"


class Cancelled(BundlerError):
    """The user cancelled; never shown as an error."""

    code = "cancelled"

    def __init__(self, user_message: str = "Cancelled.") -> None:
        super().__init__(user_message)


class CaseError(BundlerError):
    """The case store is missing, locked, or damaged."""

    code = "case"


class SourceError(BundlerError):
    """A source (disc, folder, archive) cannot be read at all."""

    code = "source"


class UnsafePath(BundlerError):
    """A path from media or an archive points outside where it may."""

    code = "unsafe_path"


class LimitExceeded(BundlerError):
    """An input is larger, deeper or more compressed than we accept (zip bombs and the like)."""

    code = "limit_exceeded"


class PackageWrongKey(BundlerError):
    """The passphrase or key does not open a package (age or AES ZIP)."""

    code = "wrong_key"


class PackageCorrupt(BundlerError):
    """A package is damaged, truncated or was altered."""

    code = "corrupt"
