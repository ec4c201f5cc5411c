"""Records Bundler desktop app (PySide6): windows and item models over the core.

A thin face over :mod:`bundler`: widgets call core operations and show their results. Only
:mod:`ui.tasks` starts threads; nothing here parses DICOM or writes case files.
"""

__all__: list[str] = []
