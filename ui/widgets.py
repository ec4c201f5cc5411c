"""Small building blocks shared by the screens: headings, paragraphs, buttons, a screen frame.

Colours come from the palette (so light and dark follow the system); sizes are relative to the
application font (so text scales with the system's font size).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "STOP_RED",
    "Screen",
    "button",
    "card",
    "heading",
    "paragraph",
    "stop_sign",
    "subheading",
]

STOP_RED = QColor("#c62828")
"""The stop sign's red: the same in light and dark themes, with white text on it."""

READING_WIDTH = 760
"""Paragraphs wider than this are hard to read; in pixels at 100 %, scaled by the font."""


def _scaled(font: QFont, factor: float, weight: QFont.Weight) -> QFont:
    font = QFont(font)
    size = font.pointSizeF()
    if size > 0:
        font.setPointSizeF(size * factor)
    else:
        font.setPixelSize(round(font.pixelSize() * factor))
    font.setWeight(weight)
    return font


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setFont(_scaled(label.font(), 1.5, QFont.Weight.DemiBold))
    label.setAccessibleName(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


def subheading(text: str) -> QLabel:
    label = QLabel(text)
    label.setFont(_scaled(label.font(), 1.15, QFont.Weight.DemiBold))
    label.setAccessibleName(text)
    label.setWordWrap(True)
    return label


def paragraph(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMaximumWidth(round(READING_WIDTH * max(label.fontMetrics().height() / 17, 1.0)))
    return label


def button(text: str, name: str, slot: Callable[[], object] | None = None, description: str = "") -> QPushButton:
    widget = QPushButton(text)
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    if slot is not None:
        widget.clicked.connect(slot)
    widget.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    widget.setAutoDefault(False)
    return widget


def card(name: str, *, tone: str = "plain") -> tuple[QFrame, QVBoxLayout]:
    """A framed box; ``tone`` "plain", "note" (highlighted) or "stop" (red border)."""
    frame = QFrame()
    frame.setObjectName("card")
    frame.setAccessibleName(name)
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    border = {"stop": STOP_RED.name(), "note": "palette(highlight)"}.get(tone, "palette(mid)")
    background = "palette(alternate-base)" if tone != "plain" else "palette(base)"
    frame.setStyleSheet(
        f"QFrame#card {{ border: 1px solid {border}; border-radius: 6px; background: {background}; }}"
    )
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 12, 14, 12)
    layout.setSpacing(8)
    return frame, layout


def stop_sign(size: int) -> QPixmap:
    """A red octagon with a white bar: drawn, so it needs no icon font or emoji."""
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    k = s * 0.2929  # 1 - 1/sqrt(2): where the octagon's corners are cut
    points = [QPointF(k, 0), QPointF(s - k, 0), QPointF(s, k), QPointF(s, s - k),
              QPointF(s - k, s), QPointF(k, s), QPointF(0, s - k), QPointF(0, k)]
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(STOP_RED)
    painter.drawPolygon(QPolygonF(points))
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(int(s * 0.2), int(s * 0.42), int(s * 0.6), int(s * 0.16), 2, 2)
    painter.end()
    return pixmap


class Screen(QWidget):
    """One screen: a heading and a body, optionally scrolling as a whole."""

    def __init__(self, title: str, parent: QWidget | None = None, *, scroll: bool = False) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(28, 24, 28, 20)
        self.body.setSpacing(12)
        self.title_label = heading(title)
        self.body.addWidget(self.title_label)
        if scroll:
            area = QScrollArea()
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setAccessibleName(title)
            area.setWidget(body)
            outer.addWidget(area)
            self.scroll_area: QScrollArea | None = area
        else:
            outer.addWidget(body)
            self.scroll_area = None
