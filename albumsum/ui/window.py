"""The main window: open an album, index it in the background, browse it by emotion, see a face's
details, map the faces, summarise and export. Built over an :class:`AppContext`."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QMessageBox, QTabWidget

from albumsum.core.indexer import IndexProgress
from albumsum.core.userdata import IndexBusy
from albumsum.ui.browse import BrowseView
from albumsum.ui.context import AppContext
from albumsum.ui.details import DetailsPanel
from albumsum.ui.dialogs import ExportDialog, SettingsDialog
from albumsum.ui.export import KINDS, ExportRequest, run_export
from albumsum.ui.indexing import IndexBar
from albumsum.ui.jobs import AlbumData, index_job, load_album
from albumsum.ui.mapview import MapView
from albumsum.ui.problems import ProblemsPanel
from albumsum.ui.summaryview import SummaryView
from albumsum.ui.thumbs import ThumbProvider
from albumsum.ui.workers import Handle

log = logging.getLogger(__name__)

RELOAD_EVERY_S = 1.5  # while indexing, show new results this often


class MainWindow(QMainWindow):
    indexingFinished = Signal(object)
    dataLoaded = Signal(object)
    exported = Signal(list)  # paths written
    problem = Signal(str)  # a message shown to the user

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.album: Path | None = None
        self.db: Path | None = None
        self.data: AlbumData | None = None
        self.thumbs: ThumbProvider | None = None
        self.index_handle: Handle | None = None
        self.load_handle: Handle | None = None
        self._reload_again = False
        self._last_reload = 0.0
        self.messages: list[str] = []
        self._build()
        self._menus()
        self.setAcceptDrops(True)
        self.resize(1200, 780)
        self.setMinimumSize(760, 520)
        self._title()

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        s = self.ctx.settings
        self.browse = BrowseView(s.thumb_size)
        self.browse.set_source(s.subclass_source)
        self.map = MapView(self.ctx.runner)
        self.map.set_method(s.projection)
        self.summary = SummaryView(s.thumb_size)
        self.summary.set_count(s.summary_size)
        self.problems = ProblemsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.browse, "Faces")
        self.tabs.addTab(self.map, "Map")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.problems, "Problems")
        self.setCentralWidget(self.tabs)
        self.details = DetailsPanel(self.ctx.runner)
        self.dock = QDockWidget("Face details")
        self.dock.setObjectName("details")
        self.dock.setWidget(self.details)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [380], Qt.Orientation.Horizontal)
        self.index_bar = IndexBar()
        self.index_bar.cancel.clicked.connect(self.cancel_indexing)
        self.statusBar().addPermanentWidget(self.index_bar)
        for view in (self.browse, self.summary):
            view.faceSelected.connect(self.details.show_face)
            view.faceSelected.connect(self.map.canvas.select)
        self.browse.faceActivated.connect(self._face_activated)
        self.map.faceClicked.connect(self._map_clicked)
        self.browse.sourceChanged.connect(lambda v: self._set_setting(subclass_source=v, reload=True))
        self.map.projectionChanged.connect(lambda v: self._set_setting(projection=v))
        self.summary.countChanged.connect(lambda v: self._set_setting(summary_size=v))
        self.summary.exportRequested.connect(self.export_dialog)
        self.details.problem.connect(self.show_problem)

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Open Folder…", QKeySequence.StandardKey.Open, self.open_dialog)
        self.recent_menu = file.addMenu("Open &Recent")
        self._fill_recent()
        file.addSeparator()
        self._action(file, "&Export…", "Ctrl+E", self.export_dialog)
        self._action(file, "&Settings…", QKeySequence.StandardKey.Preferences, self.settings_dialog, "Ctrl+,")
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.StandardKey.Quit, self.close, "Ctrl+Q")
        view = bar.addMenu("&View")
        for k, name in enumerate(("&Faces", "&Map", "&Summary", "&Problems")):
            self._action(view, name, f"Ctrl+{k + 1}", lambda k=k: self.show_tab(k))
        view.addSeparator()
        self._action(view, "&Index Again", "F5", self.start_indexing)
        self._action(view, "Stop Indexing", "Ctrl+.", self.cancel_indexing)

    def _action(self, menu, text: str, key, slot, fallback: str | None = None) -> QAction:
        action = QAction(text, self)
        keys = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) else [QKeySequence(key)]
        if fallback and QKeySequence(fallback) not in keys:  # a duplicate makes the shortcut ambiguous
            keys = [*keys, QKeySequence(fallback)]
        action.setShortcuts(keys)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.ctx.settings.recent_albums:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda *_, p=path: self.open_album(Path(p)))
        self.recent_menu.setEnabled(bool(self.ctx.settings.recent_albums))

    def show_tab(self, k: int) -> None:
        self.tabs.setCurrentIndex(k)
        self.tabs.currentWidget().setFocus()
        if k == 0:
            self.browse.emotions.setFocus()

    def _title(self) -> None:
        name = f" — {self.album.name}" if self.album else ""
        busy = " (indexing…)" if self.indexing() else ""
        self.setWindowTitle(f"albumsum{name}{busy}")

    # -- opening and indexing ----------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = (
            str(self.album.parent)
            if self.album
            else QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        )
        folder = QFileDialog.getExistingDirectory(self, "Open a photo folder", start)
        if folder:
            self.open_album(Path(folder))

    def open_album(self, folder: Path, db: Path | None = None, index: bool = True) -> bool:
        """Show ``folder``'s index (if any) at once and, with ``index``, bring it up to date in the background."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            self.show_problem(f"{folder} is not a folder.")
            return False
        self.cancel_indexing()
        if self.thumbs is not None:
            self.thumbs.close()
        self.album = folder.resolve()
        self.db = db or self.ctx.settings.index_path(self.album)
        self.thumbs = ThumbProvider(self.db, self.ctx.runner, self)
        self.data = None
        self.details.set_album(self.album, None)
        self.details.clear()
        self.ctx.update_settings(self.ctx.settings.with_recent(self.album))
        self._fill_recent()
        self.reload()
        if index:
            self.start_indexing()
        return True

    def indexing(self) -> bool:
        return self.index_handle is not None and not self.index_handle.done

    def start_indexing(self) -> None:
        if self.album is None or self.db is None or self.indexing():
            return
        ctx, settings = self.ctx, self.ctx.settings
        job = index_job(self.album, self.db, ctx.index_settings(), lambda: ctx.pipeline(settings))
        self.index_bar.start()
        self.index_handle = ctx.runner.start(
            "index", job, on_progress=self._progress, on_result=self._indexed, on_error=self._index_failed
        )
        self.index_handle.finished.connect(self._index_done)
        self._title()

    def cancel_indexing(self) -> None:
        if self.indexing():
            assert self.index_handle is not None
            self.index_handle.cancel()
            self.index_bar.stopping()

    def _progress(self, p: IndexProgress) -> None:
        self.index_bar.update_progress(p)
        if p.faces and time.monotonic() - self._last_reload > RELOAD_EVERY_S:
            self.reload()

    def _indexed(self, counts: dict[str, int]) -> None:
        self.statusBar().showMessage(
            f"Indexed: {counts['photos']} photos, {counts['faces']} faces, {counts['errors']} unreadable", 10000
        )

    def _index_failed(self, exc: Exception) -> None:
        if isinstance(exc, IndexBusy):
            self.show_problem("Another albumsum is indexing this album; showing what it has indexed so far.")
        else:
            self.show_problem(f"Indexing stopped: {exc}")

    def _index_done(self) -> None:
        handle = self.index_handle
        self.index_bar.hide()
        self._title()
        if handle is not None and handle.cancelled():
            self.statusBar().showMessage("Indexing stopped; what was done is kept (View ▸ Index Again resumes).")
        self.reload()
        self.indexingFinished.emit(None if handle is None or handle.cancelled() else True)

    # -- showing the index -------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the index again on a worker (one at a time; a request meanwhile runs after it)."""
        if self.db is None:
            return
        if self.load_handle is not None and not self.load_handle.done:
            self._reload_again = True
            return
        self._last_reload = time.monotonic()
        s = self.ctx.settings
        db, album = self.db, self.album
        self.load_handle = self.ctx.runner.start(
            "load",
            load_album(db, s.subclass_source, s.max_subclasses),
            on_result=lambda data: self._loaded(album, data),
            on_error=lambda exc: self.show_problem(f"Cannot read the index {db}: {exc}"),
            on_finished=self._load_finished,
        )

    def _load_finished(self) -> None:
        if self._reload_again:
            self._reload_again = False
            QTimer.singleShot(0, self.reload)

    def _loaded(self, album: Path | None, data: AlbumData | None) -> None:
        if data is None or album != self.album or self.thumbs is None:
            return
        self.data = data
        self.browse.set_data(data, self.thumbs)
        self.details.set_album(self.album, data)
        self.summary.set_data(data, self.thumbs)
        self.map.set_data(data, self.thumbs)
        self.problems.set_errors(self.album, data.errors)
        n = len(data.errors)
        self.tabs.setTabText(3, f"Problems ({n})" if n else "Problems")
        self.dataLoaded.emit(data)

    def _face_activated(self, face_id: int) -> None:
        self.details.show_face(face_id)
        self.dock.show()
        self.dock.raise_()

    def _map_clicked(self, face_id: int) -> None:
        self.details.show_face(face_id)
        self.browse.select_face(face_id)

    # -- settings, export, problems ----------------------------------------------------------------
    def _set_setting(self, reload: bool = False, **changes) -> None:
        import dataclasses

        self.ctx.update_settings(dataclasses.replace(self.ctx.settings, **changes))
        if reload:
            self.reload()

    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.ctx.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        try:
            new = dialog.values()
        except ValueError as exc:
            self.show_problem(f"Settings not saved: {exc}")
            return
        self.apply_settings(new)

    def apply_settings(self, new) -> None:
        old = self.ctx.settings
        self.ctx.update_settings(new)
        self.browse.set_source(new.subclass_source)
        self.summary.set_count(new.summary_size)
        self.map.set_method(new.projection)
        if (new.subclass_source, new.max_subclasses, new.summary_size) != (
            old.subclass_source,
            old.max_subclasses,
            old.summary_size,
        ):
            self.reload()
        if new.index_location != old.index_location and self.album is not None:
            self.open_album(self.album)

    def default_export_dir(self) -> Path:
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(docs or Path.home()) / "albumsum" / (self.album.name if self.album else "album")

    def export_dialog(self) -> None:
        if self.album is None or self.data is None or not len(self.data.faces):
            self.show_problem("Nothing to export yet: open and index a folder with faces first.")
            return
        dialog = ExportDialog(self.default_export_dir(), self)
        if dialog.exec() == ExportDialog.DialogCode.Accepted:
            self.export_to(dialog.folder(), dialog.kinds())

    def export_to(self, dest: Path, kinds: tuple[str, ...] = KINDS) -> Handle | None:
        if self.album is None or self.db is None:
            return None
        s = self.ctx.settings
        req = ExportRequest(
            dest, self.album, self.db, s.subclass_source, s.max_subclasses, self.summary.count.value(), kinds
        )
        self.statusBar().showMessage(f"Exporting to {dest}…")
        return self.ctx.runner.start(
            "export", lambda cancelled: run_export(req), on_result=self._exported, on_error=self._export_failed
        )

    def _exported(self, written: list[Path]) -> None:
        where = Path(os.path.commonpath([p.parent for p in written])) if written else Path()
        names = [p.relative_to(where).as_posix() for p in written]  # "photos/index.html", not a second "index.html"
        self.statusBar().showMessage(f"Exported {', '.join(names)} to {where}", 15000)
        self.exported.emit(written)

    def _export_failed(self, exc: Exception) -> None:
        self.show_problem(f"Export failed: {exc}")

    def show_problem(self, text: str) -> None:
        """Tell the user (a message box that does not block the window) and keep going."""
        log.warning("%s", text)
        self.messages.append(text)
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "albumsum", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.problem.emit(text)

    # -- drag and drop, closing --------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            self.open_album(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.thumbs is not None:
            self.thumbs.close()
        if not self.ctx.runner.shutdown():
            log.warning("a background job did not stop in time")
        event.accept()
