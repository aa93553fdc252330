"""The faces of one emotion as one list: a header row per group, then the group's faces
(docs/ARCHITECTURE.md, convention 5). One model, so the Browse view has one scroll surface, one
selection and one keyboard path through every group.

Each section shows its first :data:`FIRST_ROWS` rows of faces until the user asks for all of them.
Its faces are ordered by one of :data:`SORTS`; whatever the order, the face that represents the
group (its best shot, :func:`albumsum.core.summary.representative`) is marked, and in the default
order it comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from albumsum.core.album import AlbumData
from albumsum.core.groups import Group
from albumsum.core.index import AlbumFaces
from albumsum.core.summary import group_caption, representative
from albumsum.ui.models import Role
from albumsum.ui.thumbs import ThumbProvider

AnyIndex = QModelIndex | QPersistentModelIndex
FIRST_ROWS = 3  # rows of faces a section shows before "Show all"
# (key, what the sort combo says)
SORTS = (
    ("closeness", "most typical first"),
    ("quality", "best quality first"),
    ("photo", "by photo"),
)


@dataclass
class Section:
    """One group as shown: ``order`` its face ids in the chosen order."""

    group: Group
    number: int  # 1-based, the order the window, summarize and the exports number groups in
    caption: str
    name: str | None
    order: np.ndarray
    best: int  # face id of the representative
    expanded: bool = False

    def title(self) -> str:
        faces = "1 face" if len(self.group) == 1 else f"{len(self.group)} faces"
        head = f"Group {self.number}: {self.name}" if self.name else f"Group {self.number}"
        return f"{head} · {self.caption} · {faces}"


def face_order(group: Group, data: AlbumData, sort: str) -> tuple[np.ndarray, int]:
    """(the group's face ids in ``sort`` order, its representative): ``closeness`` puts the
    representative first, then the group's own ranking; ``quality`` best first (unknown last);
    ``photo`` by file name, then left to right in the photo."""
    faces = data.faces
    best = representative(group, faces)
    ids = np.asarray(group.face_ids, np.int64)
    if sort == "closeness":
        return np.concatenate([[best], ids[ids != best]]), best
    rows = faces.rows(ids)
    if sort == "quality":
        quality = np.asarray(faces.qualities, np.float64)[rows]
        order = np.lexsort((np.arange(len(ids)), -np.nan_to_num(quality, nan=-1.0), np.isnan(quality)))
    elif sort == "photo":
        paths = np.asarray([faces.paths[r] for r in rows])
        order = np.lexsort((np.asarray(faces.boxes, np.float64)[rows, 0], paths))
    else:
        raise ValueError(f"unknown sort {sort!r}; expected one of {', '.join(k for k, _ in SORTS)}")
    return ids[order], best


class SectionModel(QAbstractListModel):
    """Rows: for each section a header (``Role.HEADER`` true) and then its shown faces."""

    thumbsArrived = Signal()  # thumbnails of shown faces are ready: repaint

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sections: list[Section] = []
        self.columns = 1
        self.thumbs: ThumbProvider | None = None
        self.faces: AlbumFaces | None = None
        self._face = np.zeros(0, np.int64)  # per row: face id, -1 for a header
        self._section = np.zeros(0, np.int64)  # per row: its section
        self._pos = np.zeros(0, np.int64)  # per row: place in its section's order (-1: header)
        self._row_of: dict[int, int] = {}
        self.headers: list[int] = []  # row of each section's header

    # -- filling ----------------------------------------------------------------------------------
    def set_groups(self, data: AlbumData, thumbs: ThumbProvider, emotion: int, sort: str) -> None:
        """Show the groups of ``emotion`` (a reset); sections keep "show all" by sub-class."""
        expanded = {s.group.subclass for s in self.sections if s.expanded and s.group.emotion == emotion}
        sections = []
        for k, group in enumerate(data.groups_of(emotion), start=1):
            order, best = face_order(group, data, sort)
            caption = group_caption(group, data.faces)
            name = data.name_of(group)
            sections.append(Section(group, k, caption, name, order, best, group.subclass in expanded))
        self.faces = data.faces
        if thumbs is not self.thumbs:
            if self.thumbs is not None:
                self.thumbs.ready.disconnect(self._thumbs_ready)
            self.thumbs = thumbs
            thumbs.ready.connect(self._thumbs_ready)
        self._reset(sections)

    def set_columns(self, columns: int) -> bool:
        """Faces per row (the first batch of a section is whole rows); ``True`` when it changed."""
        columns = max(1, int(columns))
        if columns == self.columns:
            return False
        self.columns = columns
        self._reset(self.sections)
        return True

    def set_expanded(self, k: int, on: bool) -> None:
        if 0 <= k < len(self.sections) and self.sections[k].expanded != on:
            self.sections[k].expanded = on
            self._reset(self.sections)

    def shown(self, k: int) -> int:
        """How many faces section ``k`` shows now."""
        s = self.sections[k]
        return len(s.order) if s.expanded else min(len(s.order), FIRST_ROWS * self.columns)

    def _reset(self, sections: list[Section]) -> None:
        self.beginResetModel()
        self.sections = sections
        face, section, pos, self.headers = [], [], [], []
        for k, s in enumerate(sections):
            n = self.shown(k)
            self.headers.append(len(face))
            face += [-1, *s.order[:n].tolist()]
            section += [k] * (n + 1)
            pos += range(-1, n)
        self._face = np.asarray(face, np.int64)
        self._section = np.asarray(section, np.int64)
        self._pos = np.asarray(pos, np.int64)
        self._row_of = {int(f): r for r, f in enumerate(face) if f >= 0}
        self.endResetModel()

    # -- reading ----------------------------------------------------------------------------------
    def row_of(self, face_id: int) -> int | None:
        return self._row_of.get(int(face_id))

    def section_of(self, row: int) -> int:
        return int(self._section[row])

    def position(self, row: int) -> int:
        """Place of the face at ``row`` in its section (-1 for a header)."""
        return int(self._pos[row])

    def face_row(self, k: int, position: int) -> int:
        return self.headers[k] + 1 + position

    def is_header(self, row: int) -> bool:
        return bool(self._face[row] < 0)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._face)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if index.isValid() and self._face[index.row()] < 0:
            return Qt.ItemFlag.ItemIsEnabled  # a header: never current, never selected
        return super().flags(index)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = index.row()
        fid, s = int(self._face[r]), self.sections[int(self._section[r])]
        if role == Role.HEADER:
            return fid < 0
        if role == Role.SECTION:
            return int(self._section[r])
        if fid < 0:
            return self._header_data(s, role)
        if role in (Role.THUMB, Qt.ItemDataRole.DecorationRole):
            assert self.thumbs is not None
            return self.thumbs.get(fid)
        if role == Role.FACE_ID:
            return fid
        if role == Role.MEDOID:  # the face that represents the group: outlined
            return fid == s.best
        if role == Role.EMOTION:
            return s.group.emotion
        if role == Role.SUBCLASS:
            return s.group.subclass
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._face_text(s, fid)
        return None

    def _header_data(self, s: Section, role: int) -> Any:
        if role == Role.TITLE:
            return s.title()
        if role == Role.COUNT:
            return len(s.order)
        if role == Role.EXPANDED:
            return s.expanded
        if role == Role.EMOTION:
            return s.group.emotion
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return s.title()
        return None

    def _face_text(self, s: Section, fid: int) -> str:
        assert self.faces is not None
        best = "\nthe face this group is shown by" if fid == s.best else ""
        return f"{self.faces.paths[self.faces.row(fid)]}{best}"

    def _thumbs_ready(self, ids: list[int]) -> None:
        # not dataChanged: a list view with cells of several sizes lays every row out again on it
        if any(i in self._row_of for i in ids):
            self.thumbsArrived.emit()
