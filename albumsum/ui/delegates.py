"""The thumbnail delegate: paints a face sharp at the screen's device pixel ratio, marks the face a
group is shown by and the selection with palette colours (so light and dark themes both read well)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from albumsum.ui.models import Role, emotion_colour

PAD = 3


class ThumbDelegate(QStyledItemDelegate):
    def __init__(self, size: int = 80, parent=None) -> None:
        super().__init__(parent)
        self.size = size

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.size + 2 * PAD, self.size + 2 * PAD)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        pal = option.palette
        cell = QRectF(option.rect).adjusted(PAD, PAD, -PAD, -PAD)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, pal.color(QPalette.ColorRole.Highlight))
        # ask the Python model directly: QModelIndex.data() returning an empty QVariant drops a
        # reference to None in PySide6 6.12, which crashes Python 3.11 after a few thousand calls
        model = index.model()
        image = model.data(index, Role.THUMB)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if image is None:
            painter.fillRect(cell, pal.color(QPalette.ColorRole.AlternateBase))
        else:
            # scaled into the cell in device pixels: a 160 px thumbnail stays sharp in an 80 px cell at 2x
            painter.drawImage(cell, image)
        if model.data(index, Role.MEDOID):
            painter.setPen(QPen(emotion_colour(model.data(index, Role.EMOTION) or 0), 3))
            painter.drawRect(cell.adjusted(1.5, 1.5, -1.5, -1.5))
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(
                QPen(
                    pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text),
                    1,
                    Qt.PenStyle.DotLine,
                )
            )
            painter.drawRect(QRectF(option.rect).adjusted(0.5, 0.5, -1.5, -1.5))
        painter.restore()
