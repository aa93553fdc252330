"""The main window's menus and shortcuts (a standard key plus a fallback where a platform has none)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

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
    add_action(file, "&Open Folder…", std.Open, window.open_dialog)
    window.recent_menu = file.addMenu("Open &Recent")
    fill_recent(window)
    file.addSeparator()
    add_action(file, "&Export…", "Ctrl+E", window.export_dialog)
    add_action(file, "&Settings…", std.Preferences, window.settings_dialog, "Ctrl+,")
    file.addSeparator()
    add_action(file, "&Quit", std.Quit, window.close, "Ctrl+Q")
    view = window.menuBar().addMenu("&View")
    for k, name in enumerate(("&Faces", "&Map", "&Summary", "&Problems")):
        add_action(view, name, f"Ctrl+{k + 1}", lambda k=k: window.show_tab(k))
    view.addSeparator()
    add_action(view, "&Index Again", "F5", window.start_indexing)
    add_action(view, "Stop Indexing", "Ctrl+.", window.cancel_indexing)


def fill_recent(window: MainWindow) -> None:
    """The recent albums of the settings, newest first."""
    menu, recent = window.recent_menu, window.ctx.settings.recent_albums
    menu.clear()
    for path in recent:
        action = menu.addAction(path)
        action.triggered.connect(lambda *_, p=path: window.open_album(Path(p)))
    menu.setEnabled(bool(recent))
