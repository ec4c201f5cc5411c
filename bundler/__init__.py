"""Records Bundler core: import, check and package medical records for a second opinion.

This package never imports Qt; the desktop app (`ui`) and the CLI (`bundler.cli`) are two
thin faces over the same operations.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
