"""A picture on screen, fitted or zoomed: a photographed letter, or one image of a scan.

The image arrives decoded (a ``QImage`` made on a worker); this widget only draws it. The
mouse wheel is passed on as :attr:`ImageView.wheel_steps` when someone listens (the series
viewer pages through images with it); Ctrl and the wheel always zoom, as in every viewer.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPixmap, QResizeEvent, QTransform, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

__all__ = ["ImageView"]

MIN_ZOOM = 0.05
MAX_ZOOM = 16.0


class ImageView(QGraphicsView):
    """Shows one image, fitted to the view until the reader zooms."""

    wheel_steps = Signal(int)
    """The wheel turned by this many notches without Ctrl, when :attr:`page_with_wheel` is set
    (positive: turned down, towards the next image)."""
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if dark:
            # Medical images are read on black, whatever the theme.
            self.setBackgroundBrush(Qt.GlobalColor.black)
        self._fit = True
        self._aspect = 1.0
        self._wheel_rest = 0
        self.page_with_wheel = False

    @property
    def fitted(self) -> bool:
        return self._fit

    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    def set_image(self, image: QImage | None, *, aspect: float = 1.0) -> None:
        """Show ``image``; ``aspect`` is a pixel's height over its width (non-square pixels)."""
        if image is None or image.isNull():
            self._item.setPixmap(QPixmap())
            self._scene.setSceneRect(QRectF())
            return
        same_size = (self._item.pixmap().size() == image.size() and abs(aspect - self._aspect) < 1e-6)
        self._item.setPixmap(QPixmap.fromImage(image))
        self._aspect = aspect
        self._item.setTransform(QTransform.fromScale(1.0, aspect))
        self._scene.setSceneRect(self._item.sceneBoundingRect())
        if self._fit or not same_size:
            self.fit()

    def fit(self) -> None:
        """The whole image in view."""
        self._fit = True
        if self.has_image():
            self.fitInView(self._item.sceneBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.zoom)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        current = self.zoom
        target = min(max(current * factor, MIN_ZOOM), MAX_ZOOM)
        if current > 0 and target != current:
            self._fit = False
            self.scale(target / current, target / current)
            self.zoom_changed.emit(self.zoom)

    def actual_size(self) -> None:
        """One image pixel on one screen pixel."""
        self._fit = False
        self.setTransform(QTransform())
        self.zoom_changed.emit(self.zoom)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta:
                self.zoom_by(1.25 ** (delta / 120))
            event.accept()
            return
        if self.page_with_wheel and delta:
            # High-resolution wheels send small deltas: add them up to whole notches.
            self._wheel_rest += delta
            steps = int(self._wheel_rest / 120)
            if steps:
                self._wheel_rest -= steps * 120
                self.wheel_steps.emit(-steps)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)
