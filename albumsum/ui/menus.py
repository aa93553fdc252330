"""The main window's menus and shortcuts (a standard key plus a fallback where a platform has none),
the dialogs they open, and folders dropped on the window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QStandardPaths
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu

from albumsum.ui import viewstate
from albumsum.ui.browsing import show_thumb_size, wire_browse
from albumsum.ui.curation import Curation
from albumsum.ui.dialogs import ExportDialog, SettingsDialog

if TYPE_CHECKING:
    from albumsum.ui.window import MainWindow


def add_action(
    menu: QMenu, text: str, key: QKeySequence.StandardKey | str, slot: Callable[[], object], fallback: str | None = None
) -> QAction:
    action = QAction(text, menu)
    keys = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) else [QKeySequence(key)]
    if fallback and QKeySequence(fallback) not in keys:  # a duplicate makes the shortcut ambiguous
        keys = [*keys, QKeySequence(fallback)]
    action.setShortcuts(keys)
    action.triggered.connect(lambda *_: slot())
    menu.addAction(action)
    return action


def build_menus(window: MainWindow) -> None:
    """File (open, recent, export, settings, quit) and View (tabs, index again, stop)."""
    std = QKeySequence.StandardKey
    file = window.menuBar().addMenu("&File")
    add_action(file, "&Open Folder…", std.Open, lambda: open_with_dialog(window))
    window.recent_menu = file.addMenu("Open &Recent")
    fill_recent(window)
    file.addSeparator()
    add_action(file, "&Export…", "Ctrl+E", lambda: export_with_dialog(window))
    add_action(file, "&Settings…", std.Preferences, lambda: settings_with_dialog(window), "Ctrl+,")
    file.addSeparator()
    add_action(file, "&Quit", std.Quit, window.close, "Ctrl+Q")
    view = window.menuBar().addMenu("&View")
    for k, name in enumerate(("&Faces", "&Map", "&Summary", "&Problems")):
        add_action(view, name, f"Ctrl+{k + 1}", lambda k=k: window.show_tab(k))
    view.addSeparator()
    add_action(view, "&Index Again", "F5", window.start_indexing)
    add_action(view, "Stop Indexing", "Ctrl+.", window.cancel_indexing)
    view.addSeparator()
    viewstate.install(window, view)  # Face Details (F9), Re-detect Faces, the state messages
    window.curation = Curation(window)  # the grids' "not a face", "move to emotion" and "more like this"
    wire_browse(window)  # the large viewer, Ctrl+wheel's thumbnail size, group renames
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction("&Keyboard Shortcuts", lambda: show_shortcuts(window))


SHORTCUTS = (
    ("Ctrl+O", "open a photo folder"),
    ("Ctrl+1 … Ctrl+4", "faces, map, summary, problems"),
    ("F5", "index again (new and changed photos)"),
    ("Shift+F5", "re-detect the faces of every photo"),
    ("F9, Ctrl+I", "show or hide the face details"),
    ("Ctrl+.", "stop indexing"),
    ("Ctrl+E", "export"),
    ("Arrows, Enter", "move through the faces, view one large"),
    ("Page Down, Page Up", "next group, previous group"),
    ("Ctrl+wheel", "larger or smaller thumbnails"),
    ("Delete", "mark the selected face as not a face"),
    ("S", "more like this face"),
    ("Esc", "back to the emotions"),
)


def show_shortcuts(window: MainWindow) -> None:
    from PySide6.QtWidgets import QMessageBox

    rows = "".join(f"<tr><td><b>{key}</b></td><td>&nbsp;{what}</td></tr>" for key, what in SHORTCUTS)
    QMessageBox.information(window, "Keyboard shortcuts", f"<table>{rows}</table>")


def fill_recent(window: MainWindow) -> None:
    """The recent albums of the settings, newest first."""
    menu, recent = window.recent_menu, window.ctx.settings.recent_albums
    menu.clear()
    for path in recent:
        action = menu.addAction(path)
        action.triggered.connect(lambda *_, p=path: window.open_album(Path(p)))
    menu.setEnabled(bool(recent))


def open_with_dialog(window: MainWindow) -> None:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    start = str(window.session.album.folder.parent) if window.session else pictures
    folder = QFileDialog.getExistingDirectory(window, "Open a photo folder", start)
    if folder:
        window.open_album(Path(folder))


def settings_with_dialog(window: MainWindow) -> None:
    dialog = SettingsDialog(window.ctx.settings, window)
    if dialog.exec() == SettingsDialog.DialogCode.Accepted:
        try:
            viewstate.apply_edited(window, dialog.values())
            show_thumb_size(window)
        except ValueError as exc:
            window.show_problem(f"Settings not saved: {exc}")


def export_with_dialog(window: MainWindow) -> None:
    if window.session is None or window.data is None or not len(window.data.faces):
        window.show_problem("Nothing to export yet: open and index a folder with faces first.")
        return
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    dialog = ExportDialog(Path(docs or Path.home()) / "albumsum" / window.session.album.folder.name, window)
    if dialog.exec() == ExportDialog.DialogCode.Accepted:
        window.export_to(dialog.folder(), dialog.kinds())


class _FolderDrops(QObject):
    """Opens a folder dropped on the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QDragEnterEvent | QDropEvent):
            urls = event.mimeData().urls()
            path = Path(urls[0].toLocalFile()) if urls and urls[0].isLocalFile() else None
            if path is not None and path.is_dir():
                if isinstance(event, QDropEvent) and event.type() == QEvent.Type.Drop:
                    self.window.open_album(path)
                event.acceptProposedAction()
                return True
        return False


def accept_folder_drops(window: MainWindow) -> None:
    window.setAcceptDrops(True)
    window.installEventFilter(_FolderDrops(window))
