"""The photo of the face details: zoomed to the chosen face or the whole photo (the wheel zooms
between them), every face boxed in its emotion's colour, a click on a box selects that face; and
the chosen face's large crop (:class:`FaceCrop`)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPalette, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from albumsum.ui.models import emotion_colour

Box = tuple[np.ndarray, int, bool, int]  # box (x0, y0, x1, y1, original pixels), emotion, chosen, face id
FACE_SPAN = 4.0  # zoomed to the face, the view spans this many face widths
WHEEL_STEP = 1.25  # zoom per wheel notch


def face_region(box: np.ndarray, size: tuple[int, int], span: float, aspect: float) -> QRectF:
    """The photo region (original pixels) ``span`` times the face's size around it, of ``aspect``
    (width / height), kept inside the photo where it fits."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    w, h = size
    side = max(x1 - x0, y1 - y0) * span
    rw, rh = (side * aspect, side) if aspect >= 1 else (side, side / aspect)
    rw, rh = min(rw, w), min(rh, h)
    cx = min(max((x0 + x1) / 2, rw / 2), w - rw / 2)
    cy = min(max((y0 + y1) / 2, rh / 2), h - rh / 2)
    return QRectF(cx - rw / 2, cy - rh / 2, rw, rh)


class PhotoView(QWidget):
    """A photo region scaled to fit, with face boxes drawn over it; clicking a box emits its face."""

    faceClicked = Signal(int)
    zoomChanged = Signal(bool)  # True: zoomed in on the chosen face

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.size_px = (1, 1)
        self.boxes: list[Box] = []
        self.message = ""
        self.span = FACE_SPAN  # face widths shown; None-like 0 means the whole photo
        self.zoomed = True
        self.view = QRectF()  # the photo region shown, original pixels
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(380, 280)

    def set_photo(self, image: QImage | None, size: tuple[int, int], boxes: list[Box]) -> None:
        self.image, self.size_px, self.boxes, self.message = image, size, boxes, ""
        self.span = FACE_SPAN
        self._fit()

    def set_boxes(self, boxes: list[Box]) -> None:
        self.boxes = boxes
        self.update()

    def set_message(self, text: str) -> None:
        self.image, self.boxes, self.message = None, [], text
        self.update()

    def chosen(self) -> Box | None:
        return next((b for b in self.boxes if b[2]), None)

    def set_zoomed(self, on: bool) -> None:
        """Zoom to the chosen face, or show the whole photo."""
        self.span = FACE_SPAN if on else 0.0
        self._fit()

    def _fit(self) -> None:
        w, h = self.size_px
        whole = QRectF(0, 0, w, h)
        chosen = self.chosen()
        aspect = self.width() / max(self.height(), 1)
        region = face_region(chosen[0], self.size_px, self.span, aspect) if chosen is not None and self.span else whole
        self.view = region if region.width() < w or region.height() < h else whole
        zoomed = self.view != whole
        if zoomed != self.zoomed:
            self.zoomed = zoomed
            self.zoomChanged.emit(zoomed)
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _scale(self) -> tuple[float, QPointF]:
        """Widget pixels per photo pixel, and where the view's top-left lands on the widget."""
        v = self.view
        s = min(self.width() / max(v.width(), 1e-6), self.height() / max(v.height(), 1e-6))
        return s, QPointF((self.width() - v.width() * s) / 2, (self.height() - v.height() * s) / 2)

    def box_rect(self, box: np.ndarray) -> QRectF:
        """A box (original pixels) on the widget."""
        s, off = self._scale()
        x0, y0, x1, y1 = (float(v) for v in box[:4])
        return QRectF(
            off.x() + (x0 - self.view.x()) * s, off.y() + (y0 - self.view.y()) * s, (x1 - x0) * s, (y1 - y0) * s
        )

    def face_at(self, pos: QPointF) -> int | None:
        """The face whose box is under ``pos`` (the smallest where boxes overlap)."""
        hits = [
            (b[0][2] - b[0][0], b[3]) for b in self.boxes if self.box_rect(b[0]).adjusted(-3, -3, 3, 3).contains(pos)
        ]
        return min(hits)[1] if hits else None

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Dark))
        if self.image is None:
            p.setPen(self.palette().color(QPalette.ColorRole.BrightText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        s, off = self._scale()
        target = QRectF(off.x(), off.y(), self.view.width() * s, self.view.height() * s)
        sx, sy = self.image.width() / max(self.size_px[0], 1), self.image.height() / max(self.size_px[1], 1)
        v = self.view
        p.drawImage(target, self.image, QRectF(v.x() * sx, v.y() * sy, v.width() * sx, v.height() * sy))
        p.setClipRect(target)
        for box, emotion, chosen, _ in sorted(self.boxes, key=lambda b: b[2]):
            rect = self.box_rect(box)
            # a dark under-stroke (white for the chosen face) so every colour reads on any photo
            p.setPen(QPen(Qt.GlobalColor.white if chosen else Qt.GlobalColor.black, 7 if chosen else 4))
            p.drawRect(rect)
            p.setPen(QPen(emotion_colour(emotion), 4 if chosen else 2))
            p.drawRect(rect)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        face = self.face_at(event.position())
        chosen = self.chosen()
        if face is not None and (chosen is None or face != chosen[3]):
            self.faceClicked.emit(face)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        on_box = self.face_at(event.position()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if on_box else Qt.CursorShape.ArrowCursor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Up zooms in toward the chosen face, down out to the whole photo."""
        if self.image is None or self.chosen() is None:
            return
        steps = event.angleDelta().y() / 120
        whole_span = max(self.size_px) / max(1.0, float(np.ptp(self.chosen()[0][[0, 2]])))
        span = self.span or whole_span
        self.span = float(np.clip(span / WHEEL_STEP**steps, 1.5, whole_span))
        if self.span >= whole_span:
            self.span = 0.0
        self._fit()
        event.accept()


class FaceCrop(QWidget):
    """The chosen face, large, cut from the photo with a margin around its box."""

    MARGIN = 0.35  # of the box's side, on each side

    def __init__(self, side: int = 180, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.colour = Qt.GlobalColor.gray
        self.setFixedSize(side, side)

    def set_face(self, photo: QImage | None, size: tuple[int, int], box: np.ndarray | None, emotion: int = 0) -> None:
        self.image = None
        if photo is not None and box is not None:
            x0, y0, x1, y1 = (float(v) for v in box[:4])
            side = max(x1 - x0, y1 - y0) * (1 + 2 * self.MARGIN)
            sx = photo.width() / max(size[0], 1)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            rect = QRectF((cx - side / 2) * sx, (cy - side / 2) * sx, side * sx, side * sx).toAlignedRect()
            self.image = photo.copy(rect)  # outside the photo: filled black
            self.colour = emotion_colour(emotion)
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Dark))
        if self.image is None:
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(QRectF(self.rect()), self.image)
        p.setPen(QPen(self.colour, 4))
        p.drawRect(QRectF(self.rect()).adjusted(2, 2, -2, -2))
