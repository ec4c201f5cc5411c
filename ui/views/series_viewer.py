"""A simple viewer for one series: page through its images, choose a CT window, zoom.

Only the image on screen is decoded, on a worker (:func:`ui.imaging.render` through
:class:`ui.tasks.LatestTask`): paging quickly asks for the newest image only, and a small cache
of decoded values makes going back and changing the window instant. The slider, the mouse
wheel, and the arrow and Page keys move through the images; Ctrl and the wheel, or + and -,
zoom; 0 fits the image again.

This is for looking, not for diagnosis: no measurements, no annotations, and the presets are
the usual starting points.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from bundler.model import Series, Study
from ui import tasks
from ui.imaging import AUTO, CT_PRESETS, FrameCache, ImageRef, RenderedImage, image_refs, render
from ui.session import CaseSession
from ui.text import format_date, instance_contents, modality_text
from ui.views.image_view import ImageView
from ui.widgets import button, subheading

__all__ = ["SeriesViewer"]

log = logging.getLogger(__name__)


class SeriesViewer(QWidget):
    def __init__(self, session: CaseSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setAccessibleName(self.tr("Image viewer"))
        self.series: Series | None = None
        self.study: Study | None = None
        self.refs: list[ImageRef] = []
        self.shown: RenderedImage | None = None
        self.cache = FrameCache()
        self._failed_index: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.title_label = subheading("")
        layout.addWidget(self.title_label)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.position_label = QLabel()
        self.position_label.setAccessibleName(self.tr("Which image"))
        self.position_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(self.tr("Image 888 of 888")) + 8)
        row.addWidget(self.position_label)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName(self.tr("Image"))
        self.slider.setAccessibleDescription(self.tr("Move through the images of this series"))
        self.slider.setMinimum(0)
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self._index_changed)
        row.addWidget(self.slider, 1)
        self.window_label = QLabel(self.tr("Contrast:"))
        row.addWidget(self.window_label)
        self.window_combo = QComboBox()
        self.window_combo.setAccessibleName(self.tr("Contrast"))
        self.window_combo.view().setAccessibleName(self.tr("Contrast"))
        self.window_combo.setToolTip(self.tr("Brightness and contrast for CT images: the usual settings for "
                                             "looking at lungs, soft tissue, bone or the brain"))
        self.window_combo.activated.connect(lambda _i: self._request())
        self.window_label.setBuddy(self.window_combo)
        row.addWidget(self.window_combo)
        self.fit_button = button(self.tr("Fit"), self.tr("Fit the image to the view"), self._fit,
                                 self.tr("Show the whole image (0)"))
        self.zoom_out_button = button(self.tr("−"), self.tr("Zoom out"), lambda: self.view.zoom_by(0.8),
                                      self.tr("Zoom out (Ctrl and the mouse wheel, or -)"))
        self.zoom_in_button = button(self.tr("+"), self.tr("Zoom in"), lambda: self.view.zoom_by(1.25),
                                     self.tr("Zoom in (Ctrl and the mouse wheel, or +)"))
        for widget in (self.zoom_out_button, self.zoom_in_button):
            widget.setFixedWidth(max(widget.fontMetrics().horizontalAdvance("M") * 3, widget.sizeHint().height()))
        for widget in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            widget.setMinimumWidth(0)
            row.addWidget(widget)
        layout.addLayout(row)

        self.view = ImageView(dark=True)
        self.view.setAccessibleName(self.tr("Image"))
        self.view.setAccessibleDescription(self.tr("The mouse wheel or the arrow keys move through the images; "
                                                   "Ctrl and the wheel zoom"))
        self.view.page_with_wheel = True
        self.view.wheel_steps.connect(self.step)
        self.view.installEventFilter(self)
        layout.addWidget(self.view, 1)
        self.message_label = QLabel()
        self.message_label.setAccessibleName(self.tr("About this image"))
        self.message_label.setWordWrap(True)
        layout.addWidget(self.message_label)
        self.note_label = QLabel(self.tr("For looking only: the reviewer's own viewer is what counts for a diagnosis."))
        self.note_label.setAccessibleName(self.tr("About this viewer"))
        self.note_label.setWordWrap(True)
        layout.addWidget(self.note_label)

        self._renderer = tasks.LatestTask(self, self._make_render, on_success=self._rendered,
                                          on_error=self._render_failed, label="Showing an image")
        session.opened.connect(self.cache.clear)

    # -- showing a series -----------------------------------------------------------------------

    def show_series(self, series: Series, study: Study | None = None) -> None:
        store = self.session.store
        if self.series is not None and self.series.series_uid == series.series_uid and self.refs:
            return
        self.series, self.study = series, study
        self.refs = image_refs(series, store.blob_path) if store is not None else []
        self.shown = None
        self._failed_index = None
        self.view.set_image(None)
        self.view.fit()
        name = series.description.strip() or modality_text((series.modality,)) or self.tr("Series")
        if study is not None and study.description.strip():
            title = self.tr("{study} — {series}").format(study=study.description.strip(), series=name)
        else:
            title = name
        self.title_label.setText(title)
        self.title_label.setAccessibleName(title)
        self._set_windows(series.modality)
        count = len(self.refs)
        for widget in (self.slider, self.window_combo, self.fit_button, self.zoom_in_button, self.zoom_out_button,
                       self.position_label):
            widget.setEnabled(count > 0)
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(count - 1, 0))
        self.slider.setValue(count // 2 if series.modality in ("CT", "MR", "PT", "NM") else 0)
        self.slider.blockSignals(False)
        self.slider.setVisible(count > 1)
        if count == 0:
            contents = instance_contents(series.instances)
            self.message_label.setText(self.tr("This series has no pictures to show ({contents}).").format(
                contents=contents) if contents else self.tr("This series has no pictures to show."))
            self.position_label.setText("")
            return
        self.message_label.setText(self._about())
        self._update_position()
        self._request()

    def clear(self) -> None:
        self._renderer.cancel()
        self.series = None
        self.refs = []
        self.shown = None
        self.view.set_image(None)

    @property
    def index(self) -> int:
        return self.slider.value()

    @property
    def window_key(self) -> str:
        """The contrast in use: :data:`~ui.imaging.AUTO` or a CT preset's key."""
        return str(self.window_combo.currentData() or AUTO)

    def set_window(self, key: str) -> None:
        index = self.window_combo.findData(key)
        if index >= 0:
            self.window_combo.setCurrentIndex(index)
            self._request()

    def step(self, steps: int) -> None:
        """Move ``steps`` images on (negative: back)."""
        if self.refs:
            self.slider.setValue(min(max(self.slider.value() + steps, 0), len(self.refs) - 1))

    def _set_windows(self, modality: str) -> None:
        self.window_combo.clear()
        self.window_combo.addItem(self.tr("As saved in the scan"), AUTO)
        if modality == "CT":
            for key, name, _center, _width in CT_PRESETS:
                self.window_combo.addItem(QCoreApplication.translate("SeriesViewer", name), key)
        else:
            self.window_combo.setItemText(0, self.tr("Automatic"))
        ct = modality == "CT"
        self.window_combo.setVisible(ct)
        self.window_label.setVisible(ct)

    def _about(self) -> str:
        """"CT · 24 images · 23 Aug 2026": what the series is, in one line."""
        if self.series is None:
            return ""
        parts = [modality_text((self.series.modality,)), instance_contents(self.series.instances)]
        if self.study is not None:
            parts.append(format_date(self.study.date))
        return " · ".join(p for p in parts if p)

    def _update_position(self) -> None:
        if not self.refs:
            return
        ref = self.refs[self.index]
        total = len(self.refs)
        if ref.frames > 1:
            text = self.tr("Frame {n} of {total}").format(n=self.index + 1, total=total)
        else:
            text = self.tr("Image {n} of {total}").format(n=self.index + 1, total=total)
        self.position_label.setText(text)
        self.slider.setAccessibleDescription(text)

    def _index_changed(self, _value: int) -> None:
        self._update_position()
        self._request()

    def _fit(self) -> None:
        self.view.fit()

    # -- rendering (on a worker) ------------------------------------------------------------------

    def _request(self) -> None:
        if self.refs:
            self._renderer.request()

    def _make_render(self) -> tasks.TaskFn | None:
        if not self.refs:
            return None
        ref, window, cache = self.refs[self.index], self.window_key, self.cache
        return lambda progress, cancel: render(ref, window, cache)

    def _rendered(self, result: RenderedImage) -> None:
        if not self.refs or result.ref not in self.refs:
            return
        self.shown = result
        self._failed_index = None
        self.view.set_image(result.image, aspect=result.aspect)
        self.window_combo.setEnabled(not result.colour)
        self.message_label.setText(self._about())

    def _render_failed(self, exc: BaseException) -> None:
        # A picture this app cannot decode is not an error to interrupt anyone with.
        log.info("an image could not be shown: %s", type(exc).__name__)
        self._failed_index = self.index
        self.view.set_image(None)
        self.message_label.setText(self.tr("This image cannot be shown here. It is still part of your records, "
                                           "and the reviewer's viewer may show it."))

    # -- keyboard ---------------------------------------------------------------------------------

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if watched is self.view and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            steps = {Qt.Key.Key_Down: 1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Left: -1,
                     Qt.Key.Key_PageDown: 10, Qt.Key.Key_PageUp: -10}.get(Qt.Key(event.key()))
            if steps is not None:
                self.step(steps)
                return True
            if event.key() == Qt.Key.Key_Home:
                self.slider.setValue(0)
                return True
            if event.key() == Qt.Key.Key_End:
                self.slider.setValue(self.slider.maximum())
                return True
        return super().eventFilter(watched, event)
