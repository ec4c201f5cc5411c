"""English and Spanish: every string of the app translated, the .qm built from the .ts, and
the app shown in Spanish when asked."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from pytestqt.qtbot import QtBot

from ui import i18n, tasks
from ui.translations import QM_NAME, TRANSLATIONS_DIR, TS_NAME, collect, read_ts

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TAG = re.compile(r"<[^>]+>")


def test_every_string_has_a_spanish_translation() -> None:
    translations = read_ts(TRANSLATIONS_DIR / TS_NAME.format(lang="es"))
    missing = sorted({(m.context, m.source) for m in collect()} - set(translations))
    assert missing == [], "run `python -m ui.translations update` and translate the new strings"
    for (context, source), (text, kind) in translations.items():
        assert text and kind != "unfinished", f"{context}: {source!r} has no translation"
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (context, source)
        assert sorted(TAG.findall(text)) == sorted(TAG.findall(source)), (context, source)
        assert text.count("&") == source.count("&"), (context, source)  # keyboard accelerators


def test_the_qm_file_is_built_from_the_ts(tmp_path: Path) -> None:
    from ui.translations import _lrelease

    ts = TRANSLATIONS_DIR / TS_NAME.format(lang="es")
    built = tmp_path / "es.qm"
    subprocess.run([_lrelease(), "-silent", str(ts), "-qm", str(built)], check=True)
    shipped = TRANSLATIONS_DIR / QM_NAME.format(lang="es")
    assert shipped.read_bytes() == built.read_bytes(), "run `python -m ui.translations build`"


@pytest.fixture
def spanish(qapp: Any) -> Iterator[None]:
    assert i18n.install(qapp, "es") == "es"
    try:
        yield
    finally:
        i18n.install(qapp, "en")
        QLocale.setDefault(QLocale.system())
        i18n._current = ""


def test_the_app_in_spanish(qtbot: QtBot, tmp_path: Path, demo_case: Any, spanish: None) -> None:
    from bundler.glossary import note
    from bundler.store import CaseStore
    from ui.main_window import MainWindow

    assert QCoreApplication.translate("MainWindow", "Records") == "Registros"
    case_dir = tmp_path / "case"
    shutil.copytree(demo_case.case_dir, case_dir)
    window = MainWindow(case_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert [window.nav.item(i).text() for i in range(3)] == ["Inicio", "Añadir registros", "Registros"]
    assert "23 de agosto de 1962" in window.records_view.patient_label.text()
    with CaseStore.open(case_dir) as store:
        doc_id = next(d.id for d in store.documents() if "CT CHEST WITH CONTRAST" in d.title)
    assert window.records_view.show_record(f"document:{doc_id}")
    viewer = window.records_view.document_viewer
    qtbot.waitUntil(lambda: viewer.reading is not None and not viewer.busy, timeout=30_000)
    # The explanations follow the app's language.
    assert viewer.reading.explanation.lang == "es"
    assert viewer.panel.note_label.text() == note("es")
    assert viewer.panel.questions_title.text() == "Preguntas que podría hacer"
    assert viewer.kind_combo.currentText() == "Informe de radiología"
    window.close()
    assert tasks.wait_all(30_000)


def test_choosing_the_language_is_remembered(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.main_window import MainWindow
    from ui.settings import AppSettings

    settings = AppSettings({})
    window = MainWindow(tmp_path / "case", settings=settings)
    qtbot.addWidget(window)
    assert window.language_actions["system"].isChecked()
    assert window.language_actions["es"].text() == "Español"
    window.language_actions["es"].trigger()
    assert settings.language == "es"
    assert "next time" in window.statusBar().currentMessage()
    assert i18n.resolve(settings.language) == "es" and i18n.resolve("klingon") in i18n.LANGUAGES
    window.close()
    assert tasks.wait_all(30_000)
