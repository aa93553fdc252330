"""What the window says and shows between the album's states: the face details panel (shown or
hidden, remembered in the settings; a click on a face in its photo selects that face everywhere),
the centre while a folder is indexed for the first time, and settings whose change needs the faces
found again (asked, then done through :meth:`IndexController.redetect`)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMessageBox

from albumsum.core.album import AlbumData, detection_changed
from albumsum.core.index import AlbumFaces
from albumsum.core.indexer import IndexProgress
from albumsum.core.settings import Settings

if TYPE_CHECKING:
    from albumsum.ui.window import MainWindow

REDETECT_QUESTION = "Re-detect faces in this album now?"


def install(window: MainWindow, view: QMenu) -> None:
    """The View menu's Face Details and Re-detect Faces, and the state messages' wiring."""
    window.dock.setFeatures(window.dock.features() | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.dock.installEventFilter(_DockClosed(window))
    toggle: QAction = window.dock.toggleViewAction()
    toggle.setText("Face &Details")
    toggle.setShortcuts([QKeySequence("F9"), QKeySequence("Ctrl+I")])
    view.addAction(toggle)
    window.dock.setVisible(window.ctx.settings.show_details)
    toggle.triggered.connect(lambda on: _remember(window, show_details=on))  # the user's choice, not a closing window
    redetect = QAction("Re-detect Faces", view)
    redetect.setShortcut(QKeySequence("Shift+F5"))
    redetect.setToolTip("Read every photo again with the current detection settings")
    redetect.triggered.connect(lambda *_: redetect_now(window))
    view.addAction(redetect)
    window.details.faceClicked.connect(lambda face_id: select_everywhere(window, face_id))
    window.indexer.progress.connect(lambda p: _indexing_first_time(window, p))


def select_everywhere(window: MainWindow, face_id: int) -> None:
    """Select ``face_id`` in the details, the grids and the map (a face clicked in its photo)."""
    window.details.show_face(face_id)
    window.browse.select_face(face_id)
    window.map.canvas.select(face_id)


class _DockClosed(QObject):
    """The panel's close button: the user hid it (a closing window hides it too, and is not remembered)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.window.isVisible():
            _remember(self.window, show_details=False)
        return False


def _remember(window: MainWindow, **changes: object) -> None:
    new = dataclasses.replace(window.ctx.settings, **changes)
    if new != window.ctx.settings:
        window.ctx.update_settings(new)


def _indexing_first_time(window: MainWindow, p: IndexProgress) -> None:
    """While a folder with no index yet is indexed, the centre says so (not "Open a photo folder")."""
    if window.session is None or window.data is not None:
        return
    folder = window.session.album.folder
    window.browse.empty.setText(f"Indexing {folder.name}… faces appear here as they are found.")
    window.map.canvas.set_message(f"Indexing {folder.name}…")


def apply_edited(window: MainWindow, new: Settings) -> None:
    """Use settings edited in the dialog; when they change which faces are found and an album is
    open, ask whether to find them again now (photos already read are not read again otherwise)."""
    old = window.ctx.settings
    window.apply_settings(new)
    if window.session is None or not detection_changed(old, new):
        return
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Re-detect faces",
        REDETECT_QUESTION,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        window,
    )
    box.setObjectName("redetect")
    box.setInformativeText(
        "The new detection settings apply to photos read from now on. Re-detecting reads every photo"
        " of the album again; your corrections are kept."
    )
    box.button(QMessageBox.StandardButton.Yes).setText("Re-detect now")
    box.button(QMessageBox.StandardButton.No).setText("Later")
    box.button(QMessageBox.StandardButton.Yes).clicked.connect(lambda: redetect_now(window))
    box.button(QMessageBox.StandardButton.No).clicked.connect(
        lambda: window.statusBar().showMessage("View ▸ Re-detect Faces (Shift+F5) applies the new settings.", 15000)
    )
    box.open()


def redetect_now(window: MainWindow) -> None:
    """Find the faces of every photo of the open album again, with the current settings."""
    if window.session is not None:
        window.indexer.redetect(window.session.album)
        window.statusBar().showMessage("Re-detecting the faces of every photo…", 15000)


def show_opening(window: MainWindow) -> None:
    """The views as a folder opens: nothing selected, and for a folder not indexed yet no faces
    (not the last album's) and "Opening …" until its first faces are found."""
    session = window.session
    assert session is not None
    window.details.set_album(session.album.folder, None)
    window.details.clear()
    window.browse.set_opening(session.album.folder.name)
    if not session.album.is_indexed():
        empty = AlbumData(AlbumFaces.empty(), [], {}, [])
        for view in (window.browse, window.summary, window.map):
            view.set_data(empty, session.thumbs)
