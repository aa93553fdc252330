"""The user's corrections and "more like this face" in the window.

A correction from a grid (Delete, or the context menu) is written by the core album on a worker
(:meth:`albumsum.core.album.Album.correct`) and the views are brought up to date from the index,
so the window shows exactly what the CLI and the exports see. "More like this face" opens a
window of the nearest faces in the embedding (:meth:`Album.similar`). Edit ▸ Review Likely
Non-Faces shows the faces the app doubts (:meth:`Album.likely_non_faces`) for the user to reject
or keep; nothing is hidden without the user."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
)

from albumsum.ui.delegates import ThumbDelegate
from albumsum.ui.models import FaceListModel, Role
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
        bar = window.menuBar()
        edit = QMenu("&Edit", bar)
        bar.insertMenu(bar.actions()[1] if len(bar.actions()) > 1 else None, edit)
        self.review_action = edit.addAction("&Review Likely Non-Faces…", self.review)

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

    def review(self) -> None:
        """Edit ▸ Review Likely Non-Faces: a dialog of the doubtful faces, or a word that there are none."""
        session, data = self.window.session, self.window.data
        if session is None or data is None:
            self.window.statusBar().showMessage("Open an indexed folder first", 5000)
            return
        ids = session.album.likely_non_faces(data)
        if not ids:
            self.window.statusBar().showMessage(f"No likely non-faces among the {len(data.faces)} faces", 8000)
            return
        self.dialog = ReviewDialog(self.window, ids)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.show()

    def similar(self, face_id: int) -> None:
        """A window with the faces most like ``face_id``, nearest first."""
        session, data = self.window.session, self.window.data
        if session is None or data is None:
            return
        found = session.album.similar(face_id, SIMILAR_K, data)
        from albumsum.ui.browse import FaceGrid

        dialog = QDialog(self.window)
        name = Path(data.faces.paths[data.faces.row(face_id)]).name
        dialog.setWindowTitle(f"Faces like the one in {name}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(f"The {len(found)} faces of this album most like it, nearest first"))
        grid = FaceGrid(self.window.ctx.settings.thumb_size, fill=True)
        ids = np.asarray([f for f, _ in found], np.int64)
        grid.setModel(FaceListModel(ids, data.faces, session.thumbs, None, grid))
        grid.activated.connect(lambda index: self.window.browse.select_face(int(ids[index.row()])))
        grid.escape.connect(dialog.close)  # the grid takes Escape from the dialog
        layout.addWidget(grid, 1)
        dialog.resize(720, 420)
        dialog.show()
        self.dialog = dialog


class ReviewDialog(QDialog):
    """The faces the app doubts are faces, all selected: "Not Faces" rejects the selected ones,
    "Keep as Faces" keeps them (they are not proposed again)."""

    def __init__(self, window: MainWindow, face_ids: list[int]) -> None:
        super().__init__(window)
        self.window_, self.face_ids = window, face_ids
        self.setWindowTitle("Review likely non-faces")
        layout = QVBoxLayout(self)
        many = f"{len(face_ids)} faces look" if len(face_ids) != 1 else "1 face looks"
        self.label = QLabel(
            f"{many} unlike a face: a poor picture and a doubtful detection (a hand, the back of a head…). "
            "Select those that are not faces."
        )
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        session = window.session
        assert session is not None and window.data is not None
        size = window.ctx.settings.thumb_size
        self.grid = QListView(self)
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.setItemDelegate(ThumbDelegate(size, self.grid))
        self.grid.setModel(FaceListModel(np.asarray(face_ids, np.int64), window.data.faces, session.thumbs, None, self))
        self.grid.selectAll()
        layout.addWidget(self.grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.reject_button = QPushButton("&Not Faces", self)
        self.keep_button = QPushButton("&Keep as Faces", self)
        buttons.addButton(self.reject_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        self.reject_button.clicked.connect(lambda: self.decide(not_a_face=True))
        self.keep_button.clicked.connect(lambda: self.decide(not_a_face=False))
        layout.addWidget(buttons)
        self.resize(640, 420)

    def selected(self) -> list[int]:
        return [int(i.data(Role.FACE_ID)) for i in self.grid.selectionModel().selectedIndexes()]

    def decide(self, not_a_face: bool) -> None:
        """Record the choice for the selected faces on a worker, then bring the views up to date."""
        chosen, window = self.selected(), self.window_
        session = window.session
        if not chosen or session is None:
            return
        album = session.album

        def job(cancelled) -> int:
            for fid in chosen:
                album.correct(fid, not_a_face=not_a_face, is_a_face=not not_a_face)
            return len(chosen)

        what = "marked not faces" if not_a_face else "kept as faces"
        window.ctx.runner.start(
            "review",
            job,
            on_result=lambda n: (window.statusBar().showMessage(f"{n} face(s) {what}", 8000), session.reload()),
            on_error=lambda exc: window.show_problem(f"Cannot save the corrections: {exc}"),
            priority=BROWSE,
        )
        self.close()
