"""The app's language: English or Spanish, chosen in the settings or taken from the system.

The Spanish strings live in ``resources/translations/records_bundler_es.ts`` (Qt Linguist),
built to ``.qm`` by ``python -m ui.translations build``. :func:`install` loads the ``.qm``
into the application before the first window is made; changing the language in the settings
takes effect the next time the app starts (every window is built in one language).

The explanations of report words (:mod:`bundler.glossary`) come in the same two languages and
follow :func:`app_language` by default.
"""

from __future__ import annotations

import logging
from typing import Final

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "SYSTEM",
    "app_language",
    "install",
    "resolve",
    "system_language",
]

log = logging.getLogger(__name__)

LANGUAGES: Final = ("en", "es")
"""The languages the app is written in (English is the source language)."""

LANGUAGE_NAMES: Final = {"en": "English", "es": "Español"}
"""Each language named in itself: never translated, so a reader always finds their own."""

SYSTEM: Final = "system"
"""The setting's value for "the computer's language"."""

QM_NAME: Final = "records_bundler_{lang}.qm"

_current = ""
_translators: list[QTranslator] = []
_loaded: dict[str, bytes] = {}  # QTranslator.load(bytes) keeps a pointer, not a copy: keep them alive


def _load(translator: QTranslator, lang: str) -> bool:
    data = _loaded.get(lang) or _qm_bytes(lang)
    if data is None or not translator.load(data):
        return False
    _loaded[lang] = data
    return True


def system_language() -> str:
    """``"es"`` when the computer's language is Spanish (any country), else ``"en"``."""
    return "es" if QLocale.system().language() == QLocale.Language.Spanish else "en"


def resolve(setting: str | None) -> str:
    """The language a setting stands for: ``"en"``, ``"es"``, or the system's for anything else."""
    value = (setting or "").strip().lower()
    return value if value in LANGUAGES else system_language()


def app_language() -> str:
    """The language the app is showing now (the system's until :func:`install` ran)."""
    return _current or system_language()


def _qm_bytes(lang: str) -> bytes | None:
    import importlib.resources

    try:
        item = importlib.resources.files("bundler_resources").joinpath("translations", QM_NAME.format(lang=lang))
        return item.read_bytes() if item.is_file() else None
    except (OSError, ModuleNotFoundError):
        return None


def install(app: QCoreApplication, setting: str | None = None) -> str:
    """Load the translation for ``setting`` (a language code or "system") into ``app``.

    Returns the language now in use. Spanish without its ``.qm`` file (a source checkout
    where the translations were not built) falls back to English with a log line. Reads one
    small packaged file: call it at start-up, before the first window.
    """
    global _current
    lang = resolve(setting)
    for translator in _translators:
        app.removeTranslator(translator)
    _translators.clear()
    if lang != "en":
        translator = QTranslator(app)
        if _load(translator, lang):
            app.installTranslator(translator)
            _translators.append(translator)
            # Qt's own words (Cancel, OK, Yes) in the same language, when Qt ships them.
            from PySide6.QtCore import QLibraryInfo

            qt_translator = QTranslator(app)
            if qt_translator.load(QLocale(lang), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                app.installTranslator(qt_translator)
                _translators.append(qt_translator)
        else:
            log.warning("no translation found for %s; showing English", lang)
            lang = "en"
    # Dates and numbers as people of that language write them (the system's own country when
    # the language is the system's: es_MX keeps Mexican formats).
    QLocale.setDefault(QLocale.system() if lang == system_language()
                       else QLocale(QLocale.Language.Spanish if lang == "es" else QLocale.Language.English))
    _current = lang
    return lang


_other: dict[str, QTranslator | None] = {}


def translate_in(lang: str, context: str, text: str) -> str:
    """``text`` in ``lang``, whatever language the app shows (the Plain words panel can explain
    in Spanish inside an English window, and its headings should match its explanations)."""
    if lang == app_language():
        return QCoreApplication.translate(context, text)
    if lang not in LANGUAGES or lang == "en":
        return text
    if lang not in _other:
        translator = QTranslator()
        _other[lang] = translator if _load(translator, lang) else None
    other = _other[lang]
    found = other.translate(context, text) if other is not None else ""
    return found or text
