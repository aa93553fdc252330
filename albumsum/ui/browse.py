"""Browse by emotion: the emotion list with counts, and for the chosen emotion one grid per group
(sub-class), numbered in display order and captioned from the group itself, its faces ranked by
closeness to the group's most typical face (the medoid, first and outlined). Faces can be marked
"not a face" or moved to another emotion, and asked for faces like them."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group
from albumsum.core.summary import group_caption
from albumsum.ui.delegates import PAD, ThumbDelegate
from albumsum.ui.models import EmotionListModel, FaceListModel, Role
from albumsum.ui.thumbs import ThumbProvider

MAX_ROWS = 3  # rows a sub-class grid shows before it scrolls


class FaceGrid(QListView):
    """A wrapping grid of faces; Up on its first row and Down on its last leave it (to the next grid).

    Delete marks the current face as not a face, S asks for faces like it; the context menu has
    both and "Move to emotion"."""

    leave = Signal(int)  # -1 up, +1 down
    escape = Signal()
    correct = Signal(int, object)  # face id, the emotion's name (None: not a face)
    similar = Signal(int)  # face id

    def __init__(self, thumb_size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setItemDelegate(ThumbDelegate(thumb_size, self))
        self.cell = thumb_size + 2 * PAD
        self.verticalScrollBar().setSingleStep(self.cell // 3)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        face = self._face()
        if face is not None and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.correct.emit(face, None)
            return
        if face is not None and key == Qt.Key.Key_S:
            self.similar.emit(face)
            return
        before = self.currentIndex()
        super().keyPressEvent(event)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.currentIndex() == before:
            self.leave.emit(-1 if key == Qt.Key.Key_Up else 1)

    def _face(self, index: QModelIndex | None = None) -> int | None:
        index = self.currentIndex() if index is None else index
        return int(index.data(Role.FACE_ID)) if index.isValid() else None

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        face = self._face(self.indexAt(event.pos()))
        if face is None:
            return
        menu = QMenu(self)
        menu.addAction("Not a face\tDelete", lambda: self.correct.emit(face, None))
        move = menu.addMenu("Move to emotion")
        for name in EMOTIONS:
            move.addAction(name.capitalize(), lambda name=name: self.correct.emit(face, name))
        menu.addAction("More like this face\tS", lambda: self.similar.emit(face))
        menu.exec(event.globalPos())

    def fit_height(self) -> None:
        per_row = max(1, (self.viewport().width() or self.width()) // self.cell)
        rows = min(MAX_ROWS, math.ceil(self.model().rowCount() / per_row)) if self.model() else 1
        self.setFixedHeight(max(1, rows) * self.cell + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_height()


class BrowseView(QWidget):
    """Emotion list on the left, the sub-class grids of the chosen emotion on the right."""

    faceSelected = Signal(int)
    faceActivated = Signal(int)
    sourceChanged = Signal(str)
    correctionRequested = Signal(int, object)  # face id, emotion name or None (not a face)
    similarRequested = Signal(int)

    def __init__(self, thumb_size: int = 80, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_size = thumb_size
        self.data: AlbumData | None = None
        self.thumbs: ThumbProvider | None = None
        self.grids: list[FaceGrid] = []  # the grids of the shown emotion, one per sub-class
        self._rows: list[tuple[QLabel, FaceGrid]] = []  # every row made so far; reused, never rebuilt
        self.emotion = -1
        self.emotions = QListView()
        self.emotion_model = EmotionListModel(self)
        self.emotions.setModel(self.emotion_model)
        self.emotions.setAccessibleName("Emotions")
        self.emotions.selectionModel().currentChanged.connect(lambda cur, _: self.show_emotion(cur.row()))
        self.emotions.activated.connect(lambda _: self.focus_grid(0))
        self.source = QComboBox()
        self.source.addItem("the model's sub-classes", "model")
        self.source.addItem("sub-classes fitted to this album", "album")
        self.source.setToolTip("Model sub-classes mean the same in every album; album ones find groups in this album")
        self.source.currentIndexChanged.connect(lambda _: self.sourceChanged.emit(self.source.currentData()))
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.empty = QLabel("Open a photo folder (File ▸ Open, or drop a folder here) to see its faces by emotion.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(self.empty.foregroundRole())
        self.rows = QWidget()
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.rows)
        self._layout()

    def _layout(self) -> None:
        right = QWidget()
        col = QVBoxLayout(right)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(QLabel("Show"))
        head.addWidget(self.source)
        col.addLayout(head)
        col.addWidget(self.empty)
        col.addWidget(self.scroll, 1)
        split = QSplitter()
        split.addWidget(self.emotions)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([190, 800])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)
        self.scroll.hide()

    def set_source(self, source: str) -> None:
        self.source.blockSignals(True)
        self.source.setCurrentIndex(max(0, self.source.findData(source)))
        self.source.blockSignals(False)

    def set_data(self, data: AlbumData, thumbs: ThumbProvider) -> None:
        """Show a new snapshot; keeps the chosen emotion and, where it still exists, the chosen face."""
        keep = self.current_face()
        self.data, self.thumbs = data, thumbs
        self.emotion_model.set_counts(data.emotion_counts())
        emotion = self.emotion
        if emotion < 0 or not self.emotion_model.counts[emotion]:
            emotion = next((c for c, n in enumerate(self.emotion_model.counts) if n), -1)
        self.empty.setVisible(emotion < 0)
        self.scroll.setVisible(emotion >= 0)
        if emotion < 0:
            self.empty.setText("No faces yet." if data.counts.get("photos") else self.empty.text())
            self.title.clear()
            return
        self.emotion = -1  # force a rebuild of the grids
        self.emotions.setCurrentIndex(self.emotion_model.index(emotion))
        self.show_emotion(emotion)
        if keep is not None:
            self.select_face(keep)

    def show_emotion(self, emotion: int) -> None:
        """Fill the rows with the emotion's sub-class groups: existing rows get new faces (a model
        reset), rows are only made when an emotion has more sub-classes than any shown before."""
        if self.data is None or self.thumbs is None or emotion == self.emotion or emotion < 0:
            return
        self.emotion = emotion
        groups = [g for g in self.data.groups if g.emotion == emotion]
        total = sum(len(g) for g in groups)
        faces = "1 face" if total == 1 else f"{total} faces"
        subs = "1 group" if len(groups) == 1 else f"{len(groups)} groups"
        self.title.setText(f"{EMOTIONS[emotion].capitalize()}: {faces} in {subs}")
        self.thumbs.forget_queue()  # the faces asked for are no longer shown
        while len(self._rows) < len(groups):
            self._rows.append(self._new_row(len(self._rows)))
        self.grids = []
        for k, (label, grid) in enumerate(self._rows):
            shown = k < len(groups)
            if shown:
                self._fill_row(label, grid, groups[k], k + 1)
                self.grids.append(grid)
            label.setVisible(shown)
            grid.setVisible(shown)

    def _new_row(self, k: int) -> tuple[QLabel, FaceGrid]:
        assert self.data is not None and self.thumbs is not None
        label = QLabel()
        grid = FaceGrid(self.thumb_size)
        grid.setModel(FaceListModel(np.zeros(0, np.int64), self.data.faces, self.thumbs, None, grid))
        grid.selectionModel().currentChanged.connect(self._current_changed)
        grid.activated.connect(lambda index: self.faceActivated.emit(int(index.data(Role.FACE_ID))))
        grid.leave.connect(lambda step, k=k: self.focus_grid(k + step))
        grid.escape.connect(self.emotions.setFocus)
        grid.correct.connect(self.correctionRequested)
        grid.similar.connect(self.similarRequested)
        at = self.rows_layout.count() - 1  # before the closing stretch
        self.rows_layout.insertWidget(at, label)
        self.rows_layout.insertWidget(at + 1, grid)
        return label, grid

    def _fill_row(self, label: QLabel, grid: FaceGrid, group: Group, number: int) -> None:
        assert self.data is not None and self.thumbs is not None
        plural = "s" if len(group) != 1 else ""
        caption = group_caption(group, self.data.faces)
        label.setText(f"Group {number}: {caption} · {len(group)} face{plural}, the most typical first")
        grid.setAccessibleName(f"Group {number}")
        model = grid.model()
        assert isinstance(model, FaceListModel)
        model.set_faces(group.face_ids, self.data.faces, self.thumbs, group)
        grid.scrollToTop()
        grid.fit_height()

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if not current.isValid():
            return
        for grid in self.grids:  # one selection across the grids
            if grid.model() is not current.model():
                grid.selectionModel().clearSelection()
        self.faceSelected.emit(int(current.data(Role.FACE_ID)))

    def focus_grid(self, k: int) -> None:
        if not 0 <= k < len(self.grids):
            if k < 0:
                self.emotions.setFocus()
            return
        grid = self.grids[k]
        grid.setFocus()
        if not grid.currentIndex().isValid():
            grid.setCurrentIndex(grid.model().index(0))
        self.scroll.ensureWidgetVisible(grid)

    def current_face(self) -> int | None:
        for grid in self.grids:
            idx = grid.currentIndex()
            if idx.isValid() and grid.selectionModel().isSelected(idx):
                return int(idx.data(Role.FACE_ID))
        return None

    def select_face(self, face_id: int) -> bool:
        """Show the face's emotion and select it in its grid; ``False`` when it is not shown."""
        if self.data is None:
            return False
        where = self.data.group_of.get(int(face_id))
        if where is None:
            return False
        group, rank = where
        if group.emotion != self.emotion:
            self.emotions.setCurrentIndex(self.emotion_model.index(group.emotion))
        for grid in self.grids:
            model = grid.model()
            if isinstance(model, FaceListModel) and model.group is not None and model.group.subclass == group.subclass:
                index = model.index(rank)
                grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                grid.scrollTo(index)
                self.scroll.ensureWidgetVisible(grid)
                return True
        return False
