"""The window never freezes: event-loop stalls during a large import and an export (a QTimer probe).

Issue 7 targets a worst stall under 100 ms; this machine is shared with other work, so the test
asserts a generous bound and prints the figure (``pytest -s`` shows it, and it is recorded as a
test property). ``benchmarks/ui_stall_bench.py`` reports it at full size.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ui import tasks
from ui.app import freeze_startup_objects
from ui.main_window import MainWindow
from ui.stall_probe import StallProbe

INSTANCES = 300
BOUND_MS = 500.0


@pytest.fixture(scope="module")
def ct_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bundler.demo import write_ct_series

    out = tmp_path_factory.mktemp("stall") / "cd"
    write_ct_series(out, count=INSTANCES, matrix=256)
    return out


def test_no_stall_during_a_large_import_and_an_export(
    qtbot: QtBot, tmp_path: Path, ct_series: Path, messages: list[tuple[str, str]],
    record_property: pytest.RecordProperty, capsys: pytest.CaptureFixture[str],
) -> None:
    window = MainWindow(tmp_path / "case")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    freeze_startup_objects()  # as the app does once its window is built
    probe = StallProbe(window)

    probe.start()
    handle = window.add_records([ct_series])
    assert handle is not None
    assert tasks.wait_all(600_000)
    imported = probe.stop()
    assert messages == []
    with_series = window.records_view.model.studies_group
    assert with_series is not None and window.listing.studies[0].instance_count == INSTANCES

    window.show_screen("export")
    out = tmp_path / "records.zip"
    window.export_view.fmt_zip.setChecked(True)
    probe.start()
    assert window.export_view.export_to(out) is not None
    assert tasks.wait_all(600_000)
    exported = probe.stop()
    assert messages == [] and out.is_file()

    for name, report in (("import", imported), ("export", exported)):
        record_property(f"worst_stall_{name}_ms", round(report.worst_ms, 1))
        with capsys.disabled():
            print(f"\nstall probe, {name} of {INSTANCES} CT images: {report}")
    assert imported.ticks > 10 and exported.ticks > 10
    assert imported.worst_ms < BOUND_MS, f"the window froze for {imported.worst_ms:.0f} ms during the import"
    assert exported.worst_ms < BOUND_MS, f"the window froze for {exported.worst_ms:.0f} ms during the export"
    window.close()
    assert tasks.wait_all(30_000)
