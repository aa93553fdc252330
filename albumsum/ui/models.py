"""Qt item models over plain records (docs/ARCHITECTURE.md, convention 5): the emotion list and the
faces of one group.

Numpy thumbnails become ``QImage`` only inside ``data()``; the data itself stays in the core's
arrays. Named roles let the delegate, the tests and the details panel ask for what they need.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group
from albumsum.core.summary import AlbumFaces
from albumsum.ui.thumbs import ThumbProvider, to_qimage

__all__ = ["EMOTION_COLOURS", "EmotionListModel", "FaceListModel", "Role", "emotion_colour", "to_qimage"]

AnyIndex = QModelIndex | QPersistentModelIndex

# Fixed categorical colours for the eight emotions (data colours, readable on light and dark):
EMOTION_COLOURS = ("#8c8c8c", "#f2b233", "#4fa8e0", "#3d6fd6", "#e0453a", "#5cae4f", "#a46ad8", "#d8779f")


def emotion_colour(emotion: int) -> QColor:
    return QColor(EMOTION_COLOURS[emotion % len(EMOTION_COLOURS)])


class Role(IntEnum):
    FACE_ID = Qt.ItemDataRole.UserRole + 1
    EMOTION = Qt.ItemDataRole.UserRole + 2
    SUBCLASS = Qt.ItemDataRole.UserRole + 3
    RANK = Qt.ItemDataRole.UserRole + 4
    DISTANCE = Qt.ItemDataRole.UserRole + 5
    PATH = Qt.ItemDataRole.UserRole + 6
    THUMB = Qt.ItemDataRole.UserRole + 7  # QImage or None while it loads
    COUNT = Qt.ItemDataRole.UserRole + 8
    MEDOID = Qt.ItemDataRole.UserRole + 9  # True for the face a group is shown by (outlined)
    HEADER = Qt.ItemDataRole.UserRole + 10  # True for a group's header row (albumsum.ui.sections)
    SECTION = Qt.ItemDataRole.UserRole + 11  # the row's group, 0-based in display order
    TITLE = Qt.ItemDataRole.UserRole + 12  # a header's words
    EXPANDED = Qt.ItemDataRole.UserRole + 13  # a header: its group shows all its faces


class EmotionListModel(QAbstractListModel):
    """The eight emotions with their face counts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.counts = [0] * len(EMOTIONS)

    def set_counts(self, counts: list[int]) -> None:
        self.counts = list(counts)
        self.dataChanged.emit(self.index(0), self.index(len(EMOTIONS) - 1))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(EMOTIONS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{EMOTIONS[c]}  ({self.counts[c]})"
        if role == Qt.ItemDataRole.DecorationRole:
            return emotion_colour(c)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self.counts[c]} faces classified as {EMOTIONS[c]}"
        if role == Role.EMOTION:
            return c
        if role == Role.COUNT:
            return self.counts[c]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and not self.counts[index.row()]:
            flags &= ~Qt.ItemFlag.ItemIsEnabled
        return flags


class FaceListModel(QAbstractListModel):
    """The faces of one group (or any list of face ids), ranked; thumbnails from a :class:`ThumbProvider`."""

    def __init__(
        self,
        face_ids: np.ndarray,
        faces: AlbumFaces,
        thumbs: ThumbProvider,
        group: Group | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.thumbs: ThumbProvider | None = None
        self._set(face_ids, faces, thumbs, group)

    def set_faces(
        self, face_ids: np.ndarray, faces: AlbumFaces, thumbs: ThumbProvider, group: Group | None = None
    ) -> None:
        """Show other faces in place (a reset): cheaper than a new model and a new selection model per view."""
        self.beginResetModel()
        self._set(face_ids, faces, thumbs, group)
        self.endResetModel()

    def _set(self, face_ids: np.ndarray, faces: AlbumFaces, thumbs: ThumbProvider, group: Group | None) -> None:
        self.face_ids = np.asarray(face_ids, np.int64)
        self.faces = faces
        self.group = group
        self._row_of = {int(f): r for r, f in enumerate(self.face_ids.tolist())}
        if thumbs is not self.thumbs:
            if self.thumbs is not None:
                self.thumbs.ready.disconnect(self._thumbs_ready)
            self.thumbs = thumbs
            thumbs.ready.connect(self._thumbs_ready)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.face_ids)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = index.row()
        fid = int(self.face_ids[r])
        if role in (Role.THUMB, Qt.ItemDataRole.DecorationRole):
            assert self.thumbs is not None
            return self.thumbs.get(fid)  # a QImage decoded on a worker, or None while it loads
        if role == Role.FACE_ID:
            return fid
        if role == Role.RANK:
            return r
        if role == Role.MEDOID:
            return r == 0 and self.group is not None
        row = self.faces.row(fid)
        if role == Role.EMOTION:
            return int(self.faces.emotions[row])
        if role == Role.SUBCLASS:
            return self.group.subclass if self.group is not None else int(self.faces.subclasses[row])
        if role == Role.DISTANCE:
            return float(self.group.distances[r]) if self.group is not None else None
        if role == Role.PATH:
            return self.faces.paths[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            typical = "\nthe group's most typical face" if r == 0 and self.group is not None else ""
            return f"{self.faces.paths[row]}{typical}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{EMOTIONS[int(self.faces.emotions[row])]} face {r + 1} in {self.faces.paths[row]}"
        return None

    def _thumbs_ready(self, ids: list[int]) -> None:
        rows = [self._row_of[i] for i in ids if i in self._row_of]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), [Role.THUMB])
