"""Face details: the chosen face large, its photo (:mod:`albumsum.ui.photoview`) with every face
boxed in its emotion's colour, the face in words, the posterior as a bar chart, and buttons to open
the photo or its folder with the system's applications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QProcess, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.core.video import clock_text, player_command, where_text
from albumsum.ui.jobs import load_photo
from albumsum.ui.models import emotion_colour, to_qimage
from albumsum.ui.photoview import Box, FaceCrop, PhotoView
from albumsum.ui.workers import BROWSE, Handle, Runner

CROP_SIDE = 180  # the chosen face's crop, pixels


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


PANEL_WIDTH = 420  # the panel keeps its width whatever the photo's shape
EMPTY_TEXT = "Select a face to see its photo and emotions."


class DetailsPanel(QWidget):
    """Everything about one face: its large crop, the photo zoomed to it (every face boxed; a click on
    a box selects that face: :attr:`faceClicked`), what it is in words and its posterior. Loads the
    photo on a worker. With no face chosen it says how to choose one."""

    problem = Signal(str)
    faceClicked = Signal(int)  # another face of the photo, clicked in it

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.album: Path | None = None
        self.data: AlbumData | None = None
        self.face_id: int | None = None
        self._job: Handle | None = None
        self.crop = FaceCrop(CROP_SIDE)
        self.photo = PhotoView()
        self.photo.setFixedHeight(260)
        self.photo.faceClicked.connect(self.faceClicked)
        self.chart = PosteriorChart()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.zoom_button = QPushButton("Whole photo")
        self.zoom_button.setToolTip("Show the whole photo, or zoom back to the face (the mouse wheel zooms too)")
        self.zoom_button.clicked.connect(lambda: self.photo.set_zoomed(not self.photo.zoomed))
        self.photo.zoomChanged.connect(lambda on: self.zoom_button.setText("Whole photo" if on else "Zoom to face"))
        self.open_button = QPushButton("Open photo")
        self.open_button.setToolTip("Open the photo in the system's image viewer")
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.setToolTip("Open the photo's folder in the file manager")
        self.open_button.clicked.connect(self.open_photo)
        self.folder_button.clicked.connect(self.show_folder)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self._content())
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.pages)
        self.setFixedWidth(PANEL_WIDTH)
        self.clear()

    def _content(self) -> QWidget:
        side = QVBoxLayout()
        side.addWidget(self.caption)
        side.addWidget(self.open_button)
        side.addWidget(self.folder_button)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.crop, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(side, 1)
        hint = QLabel("Click a box to select that face.")
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        under = QHBoxLayout()
        under.addWidget(hint, 1)
        under.addWidget(self.zoom_button)
        page = QWidget()
        col = QVBoxLayout(page)
        col.addLayout(top)
        col.addWidget(self.photo)
        col.addLayout(under)
        col.addWidget(self.chart)
        col.addStretch(1)
        return page

    def set_album(self, album: Path | None, data: AlbumData | None) -> None:
        """A new snapshot: the chosen face's caption, posterior and boxes are read again from it (its
        group, rank and emotion may have changed); a face no longer there is let go."""
        self.album, self.data = album, data
        if data is None or self.face_id is None:
            return
        if self.face_id not in data.group_of:
            self.clear()
            return
        self._describe(self.face_id)
        if self.photo.image is not None:
            self.photo.set_boxes(self._boxes(self.face_id))

    def clear(self) -> None:
        self.face_id = None
        if self._job is not None:
            self._job.cancel()
        self.photo.set_message("")
        self.crop.set_face(None, (1, 1), None)
        self.caption.setText("")
        self.chart.set_values(np.zeros(len(EMOTIONS)))
        self.pages.setCurrentWidget(self.empty)

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
        same_photo = self.face_id is not None and faces.hashes[faces.row(self.face_id)] == faces.hashes[row]
        self.face_id = face_id
        self._describe(face_id)
        self.pages.setCurrentIndex(1)
        if same_photo and self.photo.image is not None:  # another face of the photo shown: no reload
            self._show_photo(self.photo.image, self.photo.size_px)
            return
        self.photo.set_message("Loading the photo…")
        self.crop.set_face(None, (1, 1), None)
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

    def _describe(self, face_id: int) -> None:
        assert self.data is not None
        self.caption.setText(face_caption(self.data, face_id))
        position = self.position()
        if position is None:
            self.open_button.setText("Open photo")
            self.open_button.setToolTip("Open the photo in the system's image viewer")
        else:
            self.open_button.setText(f"Play from {clock_text(position)}")
            self.open_button.setToolTip("Play the video from this face's time in a video player")
        self.chart.set_values(self.data.faces.posteriors[self.data.faces.row(face_id)])

    def _boxes(self, face_id: int) -> list[Box]:
        assert self.data is not None
        faces = self.data.faces
        row = faces.row(face_id)
        return [
            (faces.boxes[r], int(faces.emotions[r]), int(faces.ids[r]) == face_id, int(faces.ids[r]))
            for r in self.data.rows_by_hash.get(faces.hashes[row], [row])
        ]

    def _photo_loaded(self, face_id: int, result: tuple[np.ndarray, tuple[int, int]]) -> None:
        if face_id != self.face_id or self.data is None:
            return
        rgb, size = result
        self._show_photo(to_qimage(rgb), size)

    def _show_photo(self, image: QImage, size: tuple[int, int]) -> None:
        assert self.data is not None and self.face_id is not None
        boxes = self._boxes(self.face_id)
        self.photo.set_photo(image, size, boxes)
        chosen = next(b for b in boxes if b[2])
        self.crop.set_face(image, size, chosen[0], chosen[1])

    def _failed(self, exc: Exception) -> None:
        self.photo.set_message(f"Cannot show the photo: {exc}")
        self.problem.emit(f"Cannot show the photo: {exc}")

    def position(self) -> float | None:
        """Seconds into the video of the chosen face (``None`` for a photo, or nothing chosen)."""
        if self.face_id is None or self.data is None:
            return None
        position = float(self.data.faces.positions[self.data.faces.row(self.face_id)])
        return None if np.isnan(position) else position

    def open_photo(self) -> None:
        """The photo in the system's viewer; a video in a player at the face's time when one that
        can start there is installed (:func:`albumsum.core.video.player_command`), else from its start."""
        path, position = self.path(), self.position()
        if path is None:
            return
        if position is not None:
            command = player_command(path, position)
            if command is not None and QProcess.startDetached(command[0], command[1:])[0]:
                return
            self.problem.emit(
                f"Opened {path.name} from its start: no player that can start at {clock_text(position)} "
                "was found (mpv, VLC, Celluloid, SMPlayer or ffplay)"
            )
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
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
        number = data.numbers[(group.emotion, group.subclass)]
        if len(group) == 1:
            where += f", group {number}: its only face"
        else:
            typical = "the most typical" if rank == 0 else f"the {_ordinal(rank + 1)} most typical"
            where += f", group {number}: {typical} of its {len(group)} faces"
    if faces.corrected[row]:
        where += " (emotion set by you)"
    return f"{where}\n{where_text(faces.paths[row], float(faces.positions[row]))}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
