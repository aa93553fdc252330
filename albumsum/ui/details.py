"""Face details: the photo with every face boxed in its emotion's colour, the posterior as a bar
chart, the sub-class, and buttons to open the photo or its folder with the system's applications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.core.export import clock_text
from albumsum.ui.jobs import load_photo
from albumsum.ui.models import emotion_colour, to_qimage
from albumsum.ui.workers import BROWSE, Handle, Runner


class PhotoView(QWidget):
    """A photo scaled to fit, with face boxes (original-pixel coordinates) drawn over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.size_px = (1, 1)
        self.boxes: list[tuple[np.ndarray, int, bool]] = []  # box, emotion, is the chosen face
        self.message = ""
        self.setMinimumSize(240, 180)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:
        return QSize(360, self.heightForWidth(360))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """As tall as the photo at this width (no empty band between the photo and its caption)."""
        w, h = self.size_px if self.image is not None else (4, 3)
        return max(180, min(700, round(width * h / max(w, 1))))

    def set_photo(self, image: QImage | None, size: tuple[int, int], boxes: list[tuple[np.ndarray, int, bool]]) -> None:
        self.image, self.size_px, self.boxes, self.message = image, size, boxes, ""
        self.updateGeometry()
        self.update()

    def set_message(self, text: str) -> None:
        self.image, self.boxes, self.message = None, [], text
        self.update()

    def target(self) -> QRectF:
        w, h = self.size_px
        s = min(self.width() / max(w, 1), self.height() / max(h, 1))
        return QRectF((self.width() - w * s) / 2, 0, w * s, h * s)  # top-aligned: the caption follows it

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.image is None:
            p.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        t = self.target()
        p.drawImage(t, self.image)
        s = t.width() / max(self.size_px[0], 1)
        for box, emotion, chosen in sorted(self.boxes, key=lambda b: b[2]):
            x0, y0, x1, y1 = (float(v) for v in box)
            rect = QRectF(t.x() + x0 * s, t.y() + y0 * s, (x1 - x0) * s, (y1 - y0) * s)
            # a dark under-stroke (white for the chosen face) so every colour reads on any photo
            p.setPen(QPen(Qt.GlobalColor.white if chosen else Qt.GlobalColor.black, 7 if chosen else 4))
            p.drawRect(rect)
            p.setPen(QPen(emotion_colour(emotion), 4 if chosen else 2))
            p.drawRect(rect)


class PosteriorChart(QWidget):
    """Eight horizontal bars: P(emotion | face)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.zeros(len(EMOTIONS))
        fm = QFontMetrics(self.font())
        self.row = fm.height() + 4
        self.setMinimumHeight(self.row * len(EMOTIONS) + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(300, self.row * len(EMOTIONS) + 4)

    def set_values(self, values: np.ndarray) -> None:
        self.values = np.asarray(values, np.float64)
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        fm = QFontMetrics(self.font())
        label_w = max(fm.horizontalAdvance(n) for n in EMOTIONS) + 8
        value_w = fm.horizontalAdvance("100 %") + 6
        bar_w = max(10, self.width() - label_w - value_w)
        text = self.palette().color(QPalette.ColorRole.WindowText)
        track = self.palette().color(QPalette.ColorRole.AlternateBase)
        for c, name in enumerate(EMOTIONS):
            y = c * self.row + 2
            v = float(self.values[c]) if c < len(self.values) else 0.0
            p.setPen(text)
            p.drawText(QRectF(0, y, label_w, self.row), Qt.AlignmentFlag.AlignVCenter, name)
            p.fillRect(QRectF(label_w, y + 3, bar_w, self.row - 6), track)
            p.fillRect(QRectF(label_w, y + 3, bar_w * v, self.row - 6), emotion_colour(c))
            p.drawText(
                QRectF(label_w + bar_w, y, value_w, self.row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{100 * v:.0f} %",
            )


class DetailsPanel(QWidget):
    """Everything about one face; loads its photo on a worker."""

    problem = Signal(str)

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.album: Path | None = None
        self.data: AlbumData | None = None
        self.face_id: int | None = None
        self._job: Handle | None = None
        self.photo = PhotoView()
        self.chart = PosteriorChart()
        self.caption = QLabel("Select a face to see its photo.")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open photo")
        self.open_button.setToolTip("Open the photo in the system's image viewer")
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.setToolTip("Open the photo's folder in the file manager")
        self.open_button.clicked.connect(self.open_photo)
        self.folder_button.clicked.connect(self.show_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        col = QVBoxLayout(self)
        col.addWidget(self.photo)
        col.addWidget(self.caption)
        col.addWidget(self.chart)
        col.addLayout(buttons)
        col.addStretch(1)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        self.open_button.setEnabled(on)
        self.folder_button.setEnabled(on)

    def set_album(self, album: Path | None, data: AlbumData | None) -> None:
        self.album, self.data = album, data
        if data is not None and self.face_id is not None and self.face_id not in data.group_of:
            self.clear()

    def clear(self) -> None:
        self.face_id = None
        self.photo.set_message("Select a face to see its photo.")
        self.caption.setText("")
        self.chart.set_values(np.zeros(len(EMOTIONS)))
        self._enable(False)

    def path(self) -> Path | None:
        if self.face_id is None or self.data is None or self.album is None:
            return None
        return self.album / self.data.faces.paths[self.data.faces.row(self.face_id)]

    def show_face(self, face_id: int) -> None:
        if self.data is None or face_id == self.face_id:
            return
        faces = self.data.faces
        row = faces.row(face_id)
        if row >= len(faces) or int(faces.ids[row]) != face_id:
            return
        self.face_id = face_id
        self.caption.setText(face_caption(self.data, face_id))
        self.chart.set_values(faces.posteriors[row])
        self._enable(True)
        self.photo.set_message("Loading the photo…")
        if self._job is not None:
            self._job.cancel()
        path = self.path()
        assert path is not None
        self._job = self.runner.start(
            "photo",
            load_photo(path, position=None if np.isnan(faces.positions[row]) else float(faces.positions[row])),
            on_result=lambda r, f=face_id: self._photo_loaded(f, r),
            on_error=self._failed,
            priority=BROWSE,
            slot=f"photo-{id(self)}",
        )

    def _photo_loaded(self, face_id: int, result: tuple[np.ndarray, tuple[int, int]]) -> None:
        if face_id != self.face_id or self.data is None:
            return
        rgb, size = result
        faces = self.data.faces
        row = faces.row(face_id)
        boxes = [
            (faces.boxes[r], int(faces.emotions[r]), int(faces.ids[r]) == face_id)
            for r in self.data.rows_by_hash.get(faces.hashes[row], [row])
        ]
        self.photo.set_photo(to_qimage(rgb), size, boxes)

    def _failed(self, exc: Exception) -> None:
        self.photo.set_message(f"Cannot show the photo: {exc}")
        self.problem.emit(f"Cannot show the photo: {exc}")

    def open_photo(self) -> None:
        path = self.path()
        if path is not None and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.problem.emit(f"No application opened {path}")

    def show_folder(self) -> None:
        path = self.path()
        if path is not None and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
            self.problem.emit(f"No file manager opened {path.parent}")


def face_caption(data: AlbumData, face_id: int) -> str:
    """In words: the face's emotion and group (numbered as the grids are), how typical of the group
    it is, whether the user set its emotion, and its photo (or video and time)."""
    faces = data.faces
    row = faces.row(face_id)
    emotion = int(faces.emotions[row])
    group, rank = data.group_of.get(face_id, (None, -1))
    where = f"{EMOTIONS[emotion].capitalize()}"
    if group is not None:
        number = [g for g in data.groups if g.emotion == emotion].index(group) + 1
        typical = "the most typical" if rank == 0 else f"the {_ordinal(rank + 1)} most typical"
        where += f", group {number}: {typical} of its {len(group)} faces"
    if faces.corrected[row]:
        where += " (emotion set by you)"
    position = faces.positions[row]
    source = faces.paths[row] if np.isnan(position) else f"{faces.paths[row]} at {clock_text(float(position))}"
    return f"{where}\n{source}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
