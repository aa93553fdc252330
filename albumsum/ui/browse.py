"""Browse by emotion: the emotion list with counts, and for the chosen emotion its groups on one
scroll surface, each under a header with its number in display order, its name if the user gave
one, and a caption from the group itself; faces sorted by closeness to the group's typical face,
by quality or by photo, the face the group is shown by outlined. Faces can be marked "not a face"
or moved to another emotion, asked for faces like them, and opened large; groups can be renamed.

:class:`FaceGrid` is the plain grid of the summary and "more like this face"."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.ui.delegates import PAD, ThumbDelegate
from albumsum.ui.models import EmotionListModel, Role
from albumsum.ui.sectiongrid import SectionGrid
from albumsum.ui.sections import SORTS
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

    def __init__(self, thumb_size: int, parent: QWidget | None = None, fill: bool = False) -> None:
        super().__init__(parent)
        self.fill = fill  # take the height the layout gives, instead of fitting the rows' height
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setItemDelegate(ThumbDelegate(thumb_size, self))
        self.set_thumb_size(thumb_size)

    def set_thumb_size(self, size: int) -> None:
        """Thumbnails of ``size`` px from now on, laid out again at once."""
        delegate = self.itemDelegate()
        assert isinstance(delegate, ThumbDelegate)
        delegate.size = size
        self.cell = size + 2 * PAD
        self.verticalScrollBar().setSingleStep(self.cell // 3)
        self.scheduleDelayedItemsLayout()
        self.fit_height()

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
        if self.fill:
            return
        per_row = max(1, (self.viewport().width() or self.width()) // self.cell)
        rows = min(MAX_ROWS, math.ceil(self.model().rowCount() / per_row)) if self.model() else 1
        self.setFixedHeight(max(1, rows) * self.cell + 2 * self.frameWidth() + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_height()


class BrowseView(QWidget):
    """Emotion list on the left; on the right the chosen emotion's groups on one scroll surface
    (:class:`~albumsum.ui.sectiongrid.SectionGrid`), with the sub-class source and the sort order."""

    faceSelected = Signal(int)
    faceActivated = Signal(int)  # Enter or double-click: the large viewer
    sourceChanged = Signal(str)
    correctionRequested = Signal(int, object)  # face id, emotion name or None (not a face)
    similarRequested = Signal(int)
    renameRequested = Signal(int, int, str)  # emotion, group number (1-based), the new name ("" forgets it)
    thumbSizeChanged = Signal(int)  # px, from Ctrl+wheel

    def __init__(self, thumb_size: int = 80, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: AlbumData | None = None
        self.thumbs: ThumbProvider | None = None
        self.emotion = -1
        self.rename_dialog: QInputDialog | None = None
        self.emotions = QListView()
        self.emotion_model = EmotionListModel(self)
        self.emotions.setModel(self.emotion_model)
        self.emotions.setAccessibleName("Emotions")
        widest = max(self.emotions.fontMetrics().horizontalAdvance(f"{name}  (99999)") for name in EMOTIONS)
        self.emotions.setMinimumWidth(widest + 48)  # the colour swatch and the frame
        self.emotions.selectionModel().currentChanged.connect(lambda cur, _: self.show_emotion(cur.row()))
        self.emotions.activated.connect(lambda _: self.focus_grid())
        self.source = QComboBox()
        self.source.addItem("the model's groups", "model")
        self.source.addItem("this album's own groups", "album")
        self.source.setToolTip("The model's groups mean the same in every album; this album's own groups fit it better")
        self.source.currentIndexChanged.connect(lambda _: self.sourceChanged.emit(self.source.currentData()))
        self.sort = QComboBox()
        for key, words in SORTS:
            self.sort.addItem(words, key)
        self.sort.setAccessibleName("Order of the faces")
        self.sort.currentIndexChanged.connect(lambda _: self._refill())
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.empty = QLabel("Open a photo folder (File ▸ Open, or drop a folder here) to see its faces by emotion.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.grid = SectionGrid(thumb_size)
        self.scroll = self.grid  # the one scroll surface
        self._wire_grid()
        self._layout()

    @property
    def thumb_size(self) -> int:
        return self.grid.thumb_size

    def _wire_grid(self) -> None:
        grid = self.grid
        grid.selectionModel().currentChanged.connect(self._current_changed)
        grid.view.connect(self.faceActivated)
        grid.escape.connect(self.emotions.setFocus)
        grid.correct.connect(self.correctionRequested)
        grid.similar.connect(self.similarRequested)
        grid.rename.connect(self.ask_rename)
        grid.zoomed.connect(self.thumbSizeChanged)

    def _layout(self) -> None:
        right = QWidget()
        col = QVBoxLayout(right)
        col.addWidget(self.title)
        self.controls = QWidget()  # hidden with the grid: nothing to show or order yet
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        for label, combo in (("Show", self.source), ("Order", self.sort)):
            # the combos may be narrower than their longest entry: the grid, not the controls, sets the width
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            controls.addWidget(QLabel(label))
            controls.addWidget(combo, 1)
        controls.addStretch(0)
        col.addWidget(self.controls)
        col.addWidget(self.empty)
        col.addWidget(self.grid, 1)
        split = QSplitter()
        split.addWidget(self.emotions)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([190, 800])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)
        self.grid.hide()
        self.controls.hide()

    def set_opening(self, name: str) -> None:
        """What the empty view says while a folder opens, until its first faces are found."""
        self.empty.setText(f"Opening {name}: its faces appear here as they are found.")

    def set_source(self, source: str) -> None:
        self.source.blockSignals(True)
        self.source.setCurrentIndex(max(0, self.source.findData(source)))
        self.source.blockSignals(False)

    def set_sort(self, key: str) -> None:
        self.sort.setCurrentIndex(max(0, self.sort.findData(key)))

    def set_thumb_size(self, size: int) -> None:
        """Thumbnails of ``size`` px at once (the settings' change, or Ctrl+wheel)."""
        self.grid.set_thumb_size(size)

    def set_data(self, data: AlbumData, thumbs: ThumbProvider) -> None:
        """Show a new snapshot; keeps the chosen emotion and, where it still exists, the chosen face."""
        keep = self.current_face()
        self.data, self.thumbs = data, thumbs
        self.emotion_model.set_counts(data.emotion_counts())
        emotion = self.emotion
        if emotion < 0 or not self.emotion_model.counts[emotion]:
            emotion = next((c for c, n in enumerate(self.emotion_model.counts) if n), -1)
        self.empty.setVisible(emotion < 0)
        self.grid.setVisible(emotion >= 0)
        self.controls.setVisible(emotion >= 0)
        if emotion < 0:
            self.empty.setText("No faces yet." if data.counts.get("photos") else self.empty.text())
            self.title.clear()
            return
        self.emotion = -1  # force a refill
        self.emotions.setCurrentIndex(self.emotion_model.index(emotion))
        self.show_emotion(emotion)
        if keep is not None:
            self.select_face(keep)

    def show_emotion(self, emotion: int) -> None:
        """Fill the grid with the emotion's groups, each under its header."""
        if self.data is None or self.thumbs is None or emotion == self.emotion or emotion < 0:
            return
        self.emotion = emotion
        groups = self.data.groups_of(emotion)
        total = sum(len(g) for g in groups)
        faces = "1 face" if total == 1 else f"{total} faces"
        subs = "1 group" if len(groups) == 1 else f"{len(groups)} groups"
        self.title.setText(f"{EMOTIONS[emotion].capitalize()}: {faces} in {subs}")
        self.thumbs.forget_queue()  # the faces asked for are no longer shown
        self._refill()
        self.grid.scrollToTop()

    def _refill(self) -> None:
        if self.data is None or self.thumbs is None or self.emotion < 0:
            return
        keep = self.current_face()
        self.grid.sections.set_groups(self.data, self.thumbs, self.emotion, self.sort.currentData())
        if keep is not None:
            self.grid.select_face(keep)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        face = self.grid.current_face()
        if face is not None:
            self.faceSelected.emit(face)

    def focus_grid(self, k: int = 0) -> None:
        """Keyboard focus to the grid, on the first face of group ``k`` when nothing is chosen."""
        self.grid.setFocus()
        m = self.grid.sections
        if self.grid.current_face() is None and 0 <= k < len(m.sections) and m.shown(k):
            self.grid.setCurrentIndex(m.index(m.face_row(k, 0)))

    def current_face(self) -> int | None:
        index = self.grid.currentIndex()
        if self.grid.current_face() is None or not self.grid.selectionModel().isSelected(index):
            return None
        return self.grid.current_face()

    def section_faces(self, face_id: int) -> list[int]:
        """Every face of ``face_id``'s group, in the order shown (also those behind "Show all")."""
        row = self.grid.sections.row_of(face_id)
        if row is None:
            return [int(face_id)]
        return [int(f) for f in self.grid.sections.sections[self.grid.sections.section_of(row)].order]

    def select_face(self, face_id: int) -> bool:
        """Show the face's emotion and select it (its group shows all when it is further down);
        ``False`` when it is not shown."""
        if self.data is None:
            return False
        where = self.data.group_of.get(int(face_id))
        if where is None:
            return False
        group = where[0]
        if group.emotion != self.emotion:
            self.emotions.setCurrentIndex(self.emotion_model.index(group.emotion))
        m = self.grid.sections
        if m.row_of(face_id) is None:
            k = next((k for k, s in enumerate(m.sections) if s.group.subclass == group.subclass), None)
            if k is None:
                return False
            m.set_expanded(k, True)
        return self.grid.select_face(face_id)

    def ask_rename(self, k: int) -> None:
        """A small dialog for group ``k``'s name; accepting it asks for the rename."""
        sections = self.grid.sections.sections
        if not 0 <= k < len(sections):
            return
        s = sections[k]
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename group")
        dialog.setLabelText(f"A name for group {s.number} of {EMOTIONS[s.group.emotion]} ({s.caption}); empty: no name")
        dialog.setTextValue(s.name or "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        emotion, number = s.group.emotion, s.number
        dialog.textValueSelected.connect(lambda text: self.renameRequested.emit(emotion, number, text.strip()))
        dialog.open()
        self.rename_dialog = dialog
