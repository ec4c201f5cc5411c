"""A probe for event-loop stalls: how long the window could not answer, at worst.

A ``QTimer`` asks to run every 10 ms; each time it runs, the probe notes how long it has been
since the last run. While the UI thread is free the gap stays near 10 ms; any work done on the
UI thread (parsing, hashing, a long repaint) shows up as a longer gap. The worst gap is what a
user would feel as a freeze. Used by the UI tests and by ``benchmarks/ui_stall_bench.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QObject, Qt, QTimer

__all__ = ["INTERVAL_MS", "StallProbe", "StallReport"]

INTERVAL_MS: Final = 10


@dataclass(frozen=True, slots=True)
class StallReport:
    worst_ms: float  # the longest gap between two timer runs, minus nothing: what a user waits
    p99_ms: float
    ticks: int
    seconds: float

    def __str__(self) -> str:
        return (f"worst gap {self.worst_ms:.0f} ms, 99th percentile {self.p99_ms:.0f} ms "
                f"over {self.ticks} ticks in {self.seconds:.1f} s")


class StallProbe(QObject):
    """Measures the gaps between runs of a 10 ms timer on the thread it lives in (the UI's)."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._gaps: list[float] = []
        self._last = 0.0
        self._started = 0.0
        self._stopped = 0.0

    def start(self) -> None:
        self._gaps = []
        self._started = self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> StallReport:
        self._timer.stop()
        self._stopped = time.perf_counter()
        self._gaps.append((self._stopped - self._last) * 1000.0)  # a stall at the very end counts too
        return self.report()

    def _tick(self) -> None:
        now = time.perf_counter()
        self._gaps.append((now - self._last) * 1000.0)
        self._last = now

    def report(self) -> StallReport:
        gaps = sorted(self._gaps) or [0.0]
        p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
        end = self._stopped or time.perf_counter()
        return StallReport(gaps[-1], p99, len(self._gaps), end - self._started)
