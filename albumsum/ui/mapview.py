"""The map: every face of the album as a point in 2-D (PCA or t-SNE of the embeddings, paper Figs.
2 and 7), coloured by emotion. Hovering shows the face and what it is; clicking selects it, and the
selection is kept when the points are placed again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.core.projection import normalise, project
from albumsum.core.settings import fields
from albumsum.ui.models import emotion_colour
from albumsum.ui.thumbs import ThumbProvider
from albumsum.ui.workers import Handle, Runner

MARGIN = 24
PROJECTION = next(f for f in fields() if f.name == "projection")  # its choices, in words
HOVER_PX = 14  # how near the pointer a point must be to count as hovered


class ScatterCanvas(QWidget):
    faceClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(300, 240)
        self.points = np.zeros((0, 2), np.float32)  # normalised [0, 1]
        self.ids = np.zeros(0, np.int64)
        self.emotions = np.zeros(0, np.int64)
        self.thumbs: ThumbProvider | None = None
        self.hover = -1
        self.selected = -1  # its row, -1 while not placed
        self.chosen: int | None = None  # the selected face's id, kept until the points that show it arrive
        self.message = "No faces yet."
        self._cache: QPixmap | None = None
        self.describe: Callable[[int], list[str]] = lambda face_id: []  # the hover card's lines

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def set_points(self, points: np.ndarray, ids: np.ndarray, emotions: np.ndarray) -> None:
        """New positions (a new snapshot or projection); the selected face stays selected."""
        self.points, self.ids, self.emotions = normalise(points), ids, emotions
        self.hover = -1
        self.message = "" if len(ids) else "No faces yet."
        self._cache = None
        self._place_selection()

    def selected_id(self) -> int | None:
        return int(self.ids[self.selected]) if 0 <= self.selected < len(self.ids) else None

    def set_thumbs(self, thumbs: ThumbProvider) -> None:
        """Where the hover card's faces come from; a face that arrives while hovered is painted."""
        if self.thumbs is thumbs:
            return
        self.thumbs = thumbs
        thumbs.ready.connect(self._thumbs_ready)

    def _thumbs_ready(self, face_ids: list[int]) -> None:
        if 0 <= self.hover < len(self.ids) and int(self.ids[self.hover]) in face_ids:
            self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def select(self, face_id: int) -> None:
        """Select ``face_id`` (selected as soon as it is placed, when it is not yet)."""
        self.chosen = int(face_id)
        self._place_selection()

    def _place_selection(self) -> None:
        hits = np.flatnonzero(self.ids == self.chosen) if self.chosen is not None else []
        self.selected = int(hits[0]) if len(hits) else -1
        self.update()

    def _xy(self) -> np.ndarray:
        side = min(self.width(), self.height()) - 2 * MARGIN
        off = np.array([(self.width() - side) / 2, (self.height() - side) / 2])
        return self.points * side + off

    def resizeEvent(self, event) -> None:
        self._cache = None
        super().resizeEvent(event)

    def _render(self) -> QPixmap:
        """All points drawn once into a pixmap at the screen's pixel ratio (repainted on resize only)."""
        dpr = self.devicePixelRatioF()
        pix = QPixmap(self.size() * dpr)
        pix.setDevicePixelRatio(dpr)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        xy = self._xy()
        radius = 7 if len(xy) < 500 else 4
        for c in range(len(EMOTIONS)):
            rows = np.flatnonzero(self.emotions == c)
            if not len(rows):
                continue
            p.setPen(QPen(emotion_colour(c), radius, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawPoints(QPolygonF([QPointF(float(x), float(y)) for x, y in xy[rows]]))
        p.end()
        return pix

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        if self.message or not len(self.ids):
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        if self._cache is None:
            self._cache = self._render()
        p.drawPixmap(0, 0, self._cache)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._legend(p)
        xy = self._xy()
        if 0 <= self.selected < len(xy):
            self._selected_point(p, QPointF(*xy[self.selected]), int(self.emotions[self.selected]))
        if 0 <= self.hover < len(xy):
            self._hover_card(p, xy[self.hover])

    def _selected_point(self, p: QPainter, at: QPointF, emotion: int) -> None:
        """Filled in its own emotion's colour inside a ring, dark then light, that reads on any point."""
        p.setBrush(emotion_colour(emotion))
        p.setPen(QPen(Qt.GlobalColor.white, 2))
        p.drawEllipse(at, 6, 6)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(self.palette().color(QPalette.ColorRole.WindowText), 2.5))
        p.drawEllipse(at, 10, 10)

    def _legend(self, p: QPainter) -> None:
        fm = p.fontMetrics()
        y = 6
        for c, name in enumerate(EMOTIONS):
            n = int(np.sum(self.emotions == c))
            if not n:
                continue
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(emotion_colour(c))
            p.drawEllipse(QRectF(6, y + fm.height() / 2 - 5, 10, 10))
            p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
            p.drawText(QPointF(22, y + fm.ascent()), f"{name} ({n})")
            y += fm.height() + 2

    def _hover_card(self, p: QPainter, at: np.ndarray) -> None:
        """The hovered face (its thumbnail once loaded; asked for now) and what it is, in words."""
        fid = int(self.ids[self.hover])
        image = self.thumbs.get(fid) if self.thumbs is not None else None
        lines = self.describe(fid)
        fm = p.fontMetrics()
        side, pad = 96, 6
        text_w = min(260, max((fm.horizontalAdvance(t) for t in lines), default=0))
        w, h = side + 3 * pad + text_w, max(side, len(lines) * fm.height()) + 2 * pad
        x = float(at[0]) + 14 if at[0] + 14 + w < self.width() else float(at[0]) - 14 - w
        y = min(max(0.0, float(at[1]) - h / 2), self.height() - h)
        card = QRectF(x, y, w, h)
        p.setPen(QPen(emotion_colour(int(self.emotions[self.hover])), 3))
        p.setBrush(self.palette().color(QPalette.ColorRole.Base))
        p.drawRect(card)
        face = QRectF(x + pad, y + pad, side, side)
        if image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(face, image)
        else:
            p.fillRect(face, self.palette().color(QPalette.ColorRole.AlternateBase))
        p.setPen(self.palette().color(QPalette.ColorRole.Text))
        top = y + (h - len(lines) * fm.height()) / 2 + fm.ascent()  # the lines centred beside the face
        for k, line in enumerate(lines):
            text = fm.elidedText(line, Qt.TextElideMode.ElideMiddle, text_w)
            p.drawText(QPointF(x + side + 2 * pad, top + k * fm.height()), text)

    def nearest(self, pos: QPointF) -> int:
        if not len(self.ids):
            return -1
        d = np.hypot(*(self._xy() - np.array([pos.x(), pos.y()])).T)
        k = int(d.argmin())
        return k if d[k] <= HOVER_PX else -1

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        k = self.nearest(event.position())
        if k != self.hover:
            self.hover = k
            self.update()

    def leaveEvent(self, event) -> None:
        self.hover = -1
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        k = self.nearest(event.position())
        if k >= 0:
            self.select(int(self.ids[k]))
            self.faceClicked.emit(int(self.ids[k]))


class MapView(QWidget):
    """The canvas plus the choice of projection; projections run on a worker."""

    faceClicked = Signal(int)
    projectionChanged = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.data: AlbumData | None = None
        self._job: Handle | None = None
        self.canvas = ScatterCanvas()
        self.canvas.faceClicked.connect(self.faceClicked)
        self.canvas.describe = self._describe
        self.method = QComboBox()
        for value, label in zip(PROJECTION.metadata["choices"], PROJECTION.metadata["labels"], strict=True):
            self.method.addItem(label, value)
        self.method.setToolTip(PROJECTION.metadata["help"])
        self.method.currentIndexChanged.connect(self._method_changed)
        head = QHBoxLayout()
        head.addWidget(
            QLabel("Each point is a face; alike expressions lie close. Hover to see one, click to select it."), 1
        )
        head.addWidget(QLabel("Layout"))
        head.addWidget(self.method)
        col = QVBoxLayout(self)
        col.addLayout(head)
        col.addWidget(self.canvas, 1)
        self.stale = True

    def set_method(self, method: str) -> None:
        self.method.blockSignals(True)
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.method.blockSignals(False)

    def _method_changed(self) -> None:
        self.projectionChanged.emit(self.method.currentData())
        self.stale = True
        self.refresh()

    def set_data(self, data: AlbumData, thumbs: ThumbProvider) -> None:
        self.data = data
        self.canvas.set_thumbs(thumbs)
        self.stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Project again when the data or the method changed (only while the map is shown)."""
        if not self.stale or self.data is None:
            return
        self.stale = False
        faces, method = self.data.faces, self.method.currentData()
        self.canvas.set_message("Placing the faces…")
        self._job = self.runner.start(
            "projection",
            lambda cancelled: (faces, project(faces.embeddings, method)),
            on_result=self._projected,
            slot=f"projection-{id(self)}",  # a newer projection drops this one if it has not started
        )

    def _describe(self, face_id: int) -> list[str]:
        """The hover card's lines: the emotion, the group, the photo's file name."""
        if self.data is None:
            return []
        row = self.data.faces.row(face_id)
        if row >= len(self.data.faces) or int(self.data.faces.ids[row]) != face_id:
            return []
        emotion = int(self.data.faces.emotions[row])
        lines = [EMOTIONS[emotion].capitalize()]
        group = self.data.group_of.get(face_id)
        if group is not None:
            number = [g for g in self.data.groups if g.emotion == emotion].index(group[0]) + 1
            lines.append(f"Group {number} of {len(group[0])} faces")
        lines.append(Path(self.data.faces.paths[row]).name)
        return lines

    def _projected(self, result: tuple) -> None:
        faces, points = result
        if self.data is None or faces is not self.data.faces:
            return
        self.canvas.set_points(points, faces.ids, faces.emotions)


__all__ = ["MapView", "QImage"]
