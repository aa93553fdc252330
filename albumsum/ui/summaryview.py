"""The album summary: the chosen number of photos that cover the emotion groups (paper §4.2.3),
each shown by the face that represents its group; Export writes them out."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from albumsum.core.album import AlbumData
from albumsum.core.emotions import EMOTIONS
from albumsum.core.summary import Pick, pick_photos
from albumsum.ui.browse import FaceGrid
from albumsum.ui.models import FaceListModel, Role
from albumsum.ui.thumbs import ThumbProvider


class SummaryView(QWidget):
    faceSelected = Signal(int)
    countChanged = Signal(int)
    exportRequested = Signal()

    def __init__(self, thumb_size: int = 80, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: AlbumData | None = None
        self.thumbs: ThumbProvider | None = None
        self.picks: list[Pick] = []
        self.count = QSpinBox()
        self.count.setRange(1, 500)
        self.count.setValue(12)
        self.count.setSuffix(" photos")
        self.count.valueChanged.connect(self._count_changed)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self.exportRequested)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.grid = FaceGrid(self.side_for(thumb_size), fill=True)
        self.grid.setWrapping(True)
        head = QHBoxLayout()
        head.addWidget(QLabel("Summary of"))
        head.addWidget(self.count)
        head.addStretch(1)
        head.addWidget(self.export_button)
        col = QVBoxLayout(self)
        col.addLayout(head)
        col.addWidget(self.info)
        col.addWidget(self.grid, 1)

    @staticmethod
    def side_for(thumb_size: int) -> int:
        """The summary's thumbnails are half as large again as the grid's."""
        return thumb_size * 3 // 2

    def set_thumb_size(self, thumb_size: int) -> None:
        self.grid.set_thumb_size(self.side_for(thumb_size))

    def set_count(self, n: int) -> None:
        self.count.blockSignals(True)
        self.count.setValue(n)
        self.count.blockSignals(False)

    def _count_changed(self, n: int) -> None:
        self.countChanged.emit(n)
        self._refresh()

    def set_data(self, data: AlbumData, thumbs: ThumbProvider) -> None:
        self.data, self.thumbs = data, thumbs
        self._refresh()

    def _refresh(self) -> None:
        if self.data is None or self.thumbs is None:
            return
        self.picks = pick_photos(self.data.groups, self.data.faces, self.count.value())
        ids = np.array([p.face_id for p in self.picks], np.int64)
        model = FaceListModel(ids, self.data.faces, self.thumbs, None, self.grid)
        old = self.grid.model()
        self.grid.setModel(model)
        if old is not None:
            old.deleteLater()
        self.grid.selectionModel().currentChanged.connect(
            lambda cur, _: cur.isValid() and self.faceSelected.emit(int(cur.data(Role.FACE_ID)))
        )
        covered = sorted({(p.emotion, p.subclass) for p in self.picks})
        emotions = ", ".join(sorted({EMOTIONS[e] for e, _ in covered}, key=EMOTIONS.index))
        self.info.setText(
            f"{len(self.picks)} photos covering {len(covered)} of {len(self.data.groups)} groups"
            + (f" ({emotions})." if emotions else ".")
            + " Each photo is shown by the face that represents its group; select one to see the photo."
        )
        self.export_button.setEnabled(bool(self.picks))


__all__ = ["Qt", "SummaryView"]
