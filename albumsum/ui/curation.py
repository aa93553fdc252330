"""The user's corrections and "more like this face" in the window.

A correction from a grid (Delete, or the context menu) is written by the core album on a worker
(:meth:`albumsum.core.album.Album.correct`) and the views are brought up to date from the index,
so the window shows exactly what the CLI and the exports see. "More like this face" opens a
window of the nearest faces in the embedding (:meth:`Album.similar`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from albumsum.ui.models import FaceListModel
from albumsum.ui.workers import BROWSE

if TYPE_CHECKING:
    from albumsum.ui.window import MainWindow

SIMILAR_K = 24


class Curation(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QDialog | None = None
        window.browse.correctionRequested.connect(self.correct)
        window.browse.similarRequested.connect(self.similar)

    def correct(self, face_id: int, emotion: str | None) -> None:
        session = self.window.session
        if session is None:
            return
        album = session.album

        def job(cancelled) -> int:
            album.correct(face_id, not_a_face=emotion is None, emotion=emotion)
            return face_id

        what = "not a face" if emotion is None else f"moved to {emotion}"
        self.window.ctx.runner.start(
            "correct",
            job,
            on_result=lambda _: (
                self.window.statusBar().showMessage(f"Face {face_id}: {what}", 8000),
                session.reload(),
            ),
            on_error=lambda exc: self.window.show_problem(f"Cannot save the correction: {exc}"),
            priority=BROWSE,
        )

    def similar(self, face_id: int) -> None:
        """A window with the faces most like ``face_id``, nearest first."""
        session, data = self.window.session, self.window.data
        if session is None or data is None:
            return
        found = session.album.similar(face_id, SIMILAR_K, data)
        from albumsum.ui.browse import FaceGrid

        dialog = QDialog(self.window)
        dialog.setWindowTitle(f"More like face {face_id}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(f"The {len(found)} faces of this album most like it, nearest first"))
        grid = FaceGrid(self.window.ctx.settings.thumb_size)
        ids = np.asarray([f for f, _ in found], np.int64)
        grid.setModel(FaceListModel(ids, data.faces, session.thumbs, None, grid))
        grid.activated.connect(lambda index: self.window.browse.select_face(int(ids[index.row()])))
        layout.addWidget(grid)
        dialog.resize(720, 420)
        dialog.show()
        self.dialog = dialog
