"""The large viewer (Enter or double-click on a face): the face's photo as large as the screen
allows, the face boxed, its caption; Left / Right step through the faces of its group, Esc closes.
The photo is read on a worker (:func:`albumsum.ui.jobs.load_photo`), never on the GUI thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QKeyEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from albumsum.core.album import AlbumData
from albumsum.ui.details import face_caption
from albumsum.ui.jobs import load_photo
from albumsum.ui.models import emotion_colour, to_qimage
from albumsum.ui.workers import BROWSE, Handle, Runner

MAX_SIDE = 2560  # px: the photo is read at most this large


class LargePhoto(QWidget):
    """A photo scaled to fit, centred, with one face's box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.size_px = (1, 1)
        self.box: np.ndarray | None = None
        self.emotion = 0
        self.message = "Loading the photo…"

    def show_photo(self, image: QImage | None, size: tuple[int, int], box: np.ndarray | None, emotion: int) -> None:
        self.image, self.size_px, self.box, self.emotion = image, size, box, emotion
        self.update()

    def show_message(self, text: str) -> None:
        self.image, self.message = None, text
        self.update()

    def placed(self) -> tuple[QRectF, float]:
        """Where the photo is drawn and its scale (shown px per original px)."""
        w, h = self.size_px
        s = min(self.width() / max(w, 1), self.height() / max(h, 1))
        return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s), s

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 24))
        if self.image is None:
            p.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target, s = self.placed()
        p.drawImage(target, self.image)
        if self.box is not None:
            x0, y0, x1, y1 = (float(v) * s for v in self.box[:4])
            rect = QRectF(target.x() + x0, target.y() + y0, x1 - x0, y1 - y0).adjusted(-3, -3, 3, 3)
            p.setPen(QPen(Qt.GlobalColor.white, 6))
            p.drawRect(rect)
            p.setPen(QPen(emotion_colour(self.emotion), 3))
            p.drawRect(rect)


class FaceViewer(QDialog):
    """One face large; ``faces`` the group it steps through."""

    def __init__(self, runner: Runner, album: Path, data: AlbumData, faces: list[int], face_id: int, parent=None):
        super().__init__(parent)
        self.runner, self.album, self.data, self.faces = runner, album, data, list(faces)
        self.at = self.faces.index(face_id) if face_id in self.faces else 0
        self._job: Handle | None = None
        self._open = True
        self.photo = LargePhoto()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        col = QVBoxLayout(self)
        col.addWidget(self.photo, 1)
        col.addWidget(self.caption)
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.resize(int(area.width() * 0.9), int(area.height() * 0.9))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.show_face()

    @property
    def face_id(self) -> int:
        return self.faces[self.at]

    def show_face(self) -> None:
        fid, faces = self.face_id, self.data.faces
        row = faces.row(fid)
        count = f"face {self.at + 1} of {len(self.faces)} in this group (Left, Right)"
        self.caption.setText(f"{face_caption(self.data, fid)}\n{count}")
        self.setWindowTitle(f"{Path(faces.paths[row]).name} — albumsum")
        self.photo.show_message("Loading the photo…")
        position = faces.positions[row]
        self._job = self.runner.start(
            "viewer photo",
            load_photo(self.album / faces.paths[row], MAX_SIDE, None if np.isnan(position) else float(position)),
            on_result=lambda result, f=fid: self._loaded(f, result),
            on_error=lambda exc: self._open and self.photo.show_message(f"Cannot show the photo: {exc}"),
            priority=BROWSE,
            slot=f"viewer-{id(self)}",
        )

    def _loaded(self, face_id: int, result: tuple[np.ndarray, tuple[int, int]]) -> None:
        if face_id != self.face_id or not self._open:
            return  # the user stepped on, or closed the viewer, meanwhile
        rgb, size = result
        row = self.data.faces.row(face_id)
        self.photo.show_photo(to_qimage(rgb), size, self.data.faces.boxes[row], int(self.data.faces.emotions[row]))

    def done(self, result: int) -> None:
        """Esc or closed: the photo still loading is not wanted any more."""
        self._open = False
        if self._job is not None:
            self._job.cancel()
        super().done(result)

    def closeEvent(self, event) -> None:
        self._open = False
        super().closeEvent(event)

    def step(self, by: int) -> None:
        at = max(0, min(len(self.faces) - 1, self.at + by))
        if at != self.at:
            self.at = at
            self.show_face()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Left):
            self.step(1 if event.key() == Qt.Key.Key_Right else -1)
        else:
            super().keyPressEvent(event)
