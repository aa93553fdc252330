"""The Browse view's one scroll surface: a :class:`~albumsum.ui.sections.SectionModel` in a wrapping
list view, headers as wide as the view, face cells stretched so the columns fill the width.

Keys: arrows move through the faces and across groups (Down on a group's last row goes to the
next group's first), PageDown / PageUp to the next / previous group, Home / End, Enter opens the
large viewer, Delete marks "not a face", S asks for faces like this one; Ctrl+wheel zooms.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QStyleOptionViewItem,
    QWidget,
)

from albumsum.core.emotions import EMOTIONS
from albumsum.ui.delegates import PAD, ThumbDelegate
from albumsum.ui.models import Role, emotion_colour
from albumsum.ui.sections import SectionModel

AnyIndex = QModelIndex | QPersistentModelIndex
THUMB_RANGE = (48, 160)  # px, the settings' range of the thumbnail size
LAYOUT_BATCH = 500  # cells the grid lays out between two rounds of events
ZOOM_STEP = 8  # px per wheel notch
CursorAction = QAbstractItemView.CursorAction


class SectionDelegate(ThumbDelegate):
    """Faces as the thumbnail delegate paints them, in cells of the view's column width; headers
    a full row: the group's words on the left, "Show all N" / "Show fewer" on the right."""

    def __init__(self, view: SectionGrid, size: int) -> None:
        super().__init__(size, view)
        self.view = view
        self._sizes: tuple[tuple[int, int, int], QSize, QSize] = ((0, 0, 0), QSize(), QSize())

    def header_height(self) -> int:
        return QFontMetrics(self.header_font()).height() + 20

    def header_font(self) -> QFont:
        font = QFont(self.view.font())
        font.setBold(True)
        return font

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        # called for every row at each layout: kept to an array look-up and a cached size
        width = self.view.viewport().width()
        if self._sizes[0] != (width, self.view.sections.columns, self.size):
            side = width // self.view.sections.columns
            self._sizes = (
                (width, self.view.sections.columns, self.size),
                QSize(width, self.header_height()),
                QSize(side, side),
            )
        return self._sizes[1] if self.view.sections.is_header(index.row()) else self._sizes[2]

    def link_text(self, index: AnyIndex) -> str:
        model = index.model()
        s = model.data(index, Role.SECTION)
        if model.shown(s) >= model.data(index, Role.COUNT) and not model.data(index, Role.EXPANDED):
            return ""
        return "Show fewer" if model.data(index, Role.EXPANDED) else f"Show all {model.data(index, Role.COUNT)}"

    def link_rect(self, rect: QRect, index: AnyIndex) -> QRect:
        text = self.link_text(index)
        if not text:
            return QRect()
        width = QFontMetrics(self.view.font()).horizontalAdvance(text) + 16
        return QRect(rect.right() - width - 8, rect.top() + 8, width, rect.height() - 10)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        model = index.model()
        if not model.data(index, Role.HEADER):
            side = self.view.thumb_side() + 2 * PAD
            inner = QStyleOptionViewItem(option)
            r = option.rect
            inner.rect = QRect(r.x() + (r.width() - side) // 2, r.y() + (r.height() - side) // 2, side, side)
            super().paint(painter, inner, index)
            return
        painter.save()
        pal = option.palette
        link = self.link_rect(option.rect, index)
        text_rect = QRectF(option.rect.adjusted(14, 8, -(link.width() + 24), -2))
        painter.fillRect(QRectF(option.rect.left() + 2, option.rect.top() + 10, 5, option.rect.height() - 14),
                         emotion_colour(model.data(index, Role.EMOTION) or 0))  # fmt: skip
        painter.setFont(self.header_font())
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        title = QFontMetrics(painter.font()).elidedText(
            model.data(index, Role.TITLE), Qt.TextElideMode.ElideRight, int(text_rect.width())
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        if link.isValid():
            painter.setFont(self.view.font())
            painter.setPen(pal.color(QPalette.ColorRole.Link))
            painter.drawText(link, Qt.AlignmentFlag.AlignCenter, self.link_text(index))
        painter.restore()


class SectionGrid(QListView):
    """The faces of one emotion, grouped (see the module docstring)."""

    correct = Signal(int, object)  # face id, the emotion's name (None: not a face)
    similar = Signal(int)  # face id
    escape = Signal()
    view = Signal(int)  # face id: open the large viewer
    rename = Signal(int)  # section, 0-based
    zoomed = Signal(int)  # the new thumbnail size, px

    def __init__(self, thumb_size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_size = thumb_size
        self.sections = SectionModel(self)
        self.setModel(self.sections)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        # laid out a batch at a time between events: "Show all" on a group of thousands of faces
        # does not hold the window while every cell is placed
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # always there, so the width the columns fill does not change as the scroll bar comes and goes
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAccessibleName("Faces by group")
        self.delegate = SectionDelegate(self, thumb_size)
        self.setItemDelegate(self.delegate)
        self.activated.connect(self._activated)
        self.sections.thumbsArrived.connect(self.viewport().update)

    # -- geometry ---------------------------------------------------------------------------------
    def base_cell(self) -> int:
        return self.thumb_size + 2 * PAD

    def columns_for(self, width: int) -> int:
        return max(1, width // self.base_cell())

    def cell_width(self) -> int:
        """The columns share the whole width: each cell is a little wider than the thumbnail."""
        return self.viewport().width() // self.sections.columns

    def thumb_side(self) -> int:
        return min(self.cell_width() - 2 * PAD, round(self.thumb_size * 1.25))

    def set_thumb_size(self, size: int) -> None:
        size = max(THUMB_RANGE[0], min(THUMB_RANGE[1], int(size)))
        if size == self.thumb_size:
            return
        self.thumb_size = self.delegate.size = size
        self._fit_columns()
        self.verticalScrollBar().setSingleStep(self.base_cell() // 3)
        self.scheduleDelayedItemsLayout()

    def _fit_columns(self) -> None:
        current = self.current_face()
        k = self.sections.section_of(self.currentIndex().row()) if current is not None else -1
        if self.sections.set_columns(self.columns_for(self.viewport().width())) and current is not None:
            if self.sections.row_of(current) is None:  # fewer columns: the chosen face stays shown
                self.sections.set_expanded(k, True)
            self.select_face(current)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            notches = event.angleDelta().y() / 120
            if notches:
                before = self.thumb_size
                self.set_thumb_size(before + round(notches * ZOOM_STEP) or (ZOOM_STEP if notches > 0 else -ZOOM_STEP))
                if self.thumb_size != before:
                    self.zoomed.emit(self.thumb_size)
            event.accept()
            return
        super().wheelEvent(event)

    # -- faces ------------------------------------------------------------------------------------
    def current_face(self) -> int | None:
        index = self.currentIndex()
        if not index.isValid() or self.sections.is_header(index.row()):
            return None
        return int(self.sections.data(index, Role.FACE_ID))

    def select_face(self, face_id: int) -> bool:
        row = self.sections.row_of(face_id)
        if row is None:
            return False
        index = self.sections.index(row)
        self.selectionModel().setCurrentIndex(index, self.selectionModel().SelectionFlag.ClearAndSelect)
        self.scrollTo(index)
        return True

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid() and not self.sections.is_header(index.row()):
            self.view.emit(int(self.sections.data(index, Role.FACE_ID)))

    def keyboardSearch(self, search: str) -> None:
        """No search by typing: letters are shortcuts here (S)."""

    def moveCursor(self, action: CursorAction, modifiers: Qt.KeyboardModifier) -> QModelIndex:
        m = self.sections
        if not m.sections or not any(m.shown(k) for k in range(len(m.sections))):
            return QModelIndex()
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if row < 0 or m.is_header(row):
            k = next(k for k in range(len(m.sections)) if m.shown(k))
            return m.index(m.face_row(k, 0))
        target = self._target(action, m.section_of(row), m.position(row))
        return m.index(m.face_row(*target)) if target is not None else self.currentIndex()

    def _target(self, action: CursorAction, k: int, p: int) -> tuple[int, int] | None:
        """(section, position) the cursor goes to from position ``p`` of section ``k``."""
        m, cols = self.sections, self.sections.columns
        filled = [j for j in range(len(m.sections)) if m.shown(j)]
        after = [j for j in filled if j > k]
        before = [j for j in filled if j < k]
        n = m.shown(k)
        if action == CursorAction.MoveRight:
            return (k, p + 1) if p + 1 < n else ((after[0], 0) if after else None)
        if action == CursorAction.MoveLeft:
            return (k, p - 1) if p > 0 else ((before[-1], m.shown(before[-1]) - 1) if before else None)
        if action == CursorAction.MoveDown:
            if p + cols < n:
                return k, p + cols
            if p // cols < (n - 1) // cols:  # a shorter last row below
                return k, n - 1
            return (after[0], min(p % cols, m.shown(after[0]) - 1)) if after else None
        if action == CursorAction.MoveUp:
            if p >= cols:
                return k, p - cols
            if not before:
                return None
            j = before[-1]
            last_row = (m.shown(j) - 1) // cols * cols
            return j, min(last_row + p % cols, m.shown(j) - 1)
        if action == CursorAction.MovePageDown:
            return (after[0], 0) if after else (k, n - 1)
        if action == CursorAction.MovePageUp:
            return (k, 0) if p > 0 or not before else (before[-1], 0)
        if action == CursorAction.MoveHome:
            return filled[0], 0
        if action == CursorAction.MoveEnd:
            return filled[-1], m.shown(filled[-1]) - 1
        return k, p

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, face = event.key(), self.current_face()
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
        elif face is not None and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.correct.emit(face, None)
        elif face is not None and key == Qt.Key.Key_S:
            self.similar.emit(face)
        else:
            super().keyPressEvent(event)

    # -- headers: show all, rename ----------------------------------------------------------------
    def header_at(self, pos: QPoint) -> int | None:
        index = self.indexAt(pos)
        return (
            self.sections.section_of(index.row()) if index.isValid() and self.sections.is_header(index.row()) else None
        )

    def _on_link(self, pos: QPoint) -> bool:
        index = self.indexAt(pos)
        return self.delegate.link_rect(self.visualRect(index), index).contains(pos)

    def toggle(self, k: int) -> None:
        """Show all of section ``k``'s faces, or only its first rows again."""
        current = self.current_face()
        header = self.sections.headers[k]
        self.sections.set_expanded(k, not self.sections.sections[k].expanded)
        if current is not None:
            self.select_face(current)
        if not self.sections.sections[k].expanded:
            self.scrollTo(self.sections.index(header), QAbstractItemView.ScrollHint.PositionAtTop)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        k = self.header_at(event.position().toPoint())
        if k is None:
            super().mousePressEvent(event)
        elif event.button() == Qt.MouseButton.LeftButton and self._on_link(event.position().toPoint()):
            self.toggle(k)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        k = self.header_at(pos)
        if k is None:
            super().mouseDoubleClickEvent(event)
        elif not self._on_link(pos):
            self.rename.emit(k)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        k = self.header_at(event.pos())
        index = self.indexAt(event.pos())
        if k is not None:
            menu.addAction("Rename group…", lambda: self.rename.emit(k))
            text = self.delegate.link_text(index)
            if text:
                menu.addAction(text, lambda: self.toggle(k))
        elif index.isValid():
            face = int(self.sections.data(index, Role.FACE_ID))
            menu.addAction("View large\tEnter", lambda: self.view.emit(face))
            menu.addAction("Not a face\tDelete", lambda: self.correct.emit(face, None))
            move = menu.addMenu("Move to emotion")
            for name in EMOTIONS:
                move.addAction(name.capitalize(), lambda name=name: self.correct.emit(face, name))
            menu.addAction("More like this face\tS", lambda: self.similar.emit(face))
            menu.addAction("Rename this group…", lambda: self.rename.emit(self.sections.section_of(index.row())))
        else:
            return
        menu.exec(event.globalPos())
