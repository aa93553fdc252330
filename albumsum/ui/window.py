"""The main window: a view of an album's snapshots (docs/ARCHITECTURE.md, "Data flow"). Opening,
indexing and exporting are done by small controllers over the core :class:`~albumsum.core.album.Album`:
:class:`~albumsum.ui.session.AlbumSession`, :class:`~albumsum.ui.indexing.IndexController` and
:class:`~albumsum.ui.export.Exporter`; the window lays out the views and wires them."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QTabWidget

from albumsum.core.album import AlbumData
from albumsum.core.settings import Settings
from albumsum.ui import viewstate
from albumsum.ui.browse import BrowseView
from albumsum.ui.context import AppContext
from albumsum.ui.details import DetailsPanel
from albumsum.ui.export import KINDS, Exporter
from albumsum.ui.indexing import IndexBar, IndexController
from albumsum.ui.mapview import MapView
from albumsum.ui.menus import accept_folder_drops, build_menus, export_with_dialog, fill_recent
from albumsum.ui.problems import ProblemsPanel
from albumsum.ui.session import AlbumSession
from albumsum.ui.summaryview import SummaryView
from albumsum.ui.workers import Handle

log = logging.getLogger(__name__)

TABS = ("Faces", "Map", "Summary", "Problems")


class MainWindow(QMainWindow):
    indexingFinished = Signal(object)
    dataLoaded = Signal(object)
    exported = Signal(list)  # paths written
    problem = Signal(str)  # a message shown to the user

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.session: AlbumSession | None = None
        self._shown: AlbumData | None = None  # the snapshot the views show
        self.messages: list[str] = []
        self._build()
        self.indexer = IndexController(ctx.runner, self.index_bar, self)
        self.exporter = Exporter(ctx.runner, self)
        self._wire()
        build_menus(self)
        accept_folder_drops(self)
        self.resize(1200, 780)
        self.setMinimumSize(760, 520)
        self._title()

    @property
    def data(self) -> AlbumData | None:
        return self.session.data if self.session else None

    def _build(self) -> None:
        s, runner = self.ctx.settings, self.ctx.runner
        self.browse, self.map = BrowseView(s.thumb_size), MapView(runner)
        self.summary, self.problems = SummaryView(s.thumb_size), ProblemsPanel()
        self.browse.set_source(s.subclass_source)
        self.map.set_method(s.projection)
        self.summary.set_count(s.summary_size)
        self.tabs = QTabWidget()
        for view, name in zip((self.browse, self.map, self.summary, self.problems), TABS, strict=True):
            self.tabs.addTab(view, name)
        self.setCentralWidget(self.tabs)
        self.details = DetailsPanel(runner)
        self.dock = QDockWidget("Face details")
        self.dock.setObjectName("details")
        self.dock.setWidget(self.details)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [380], Qt.Orientation.Horizontal)
        self.index_bar = IndexBar()
        self.statusBar().addPermanentWidget(self.index_bar)

    def _wire(self) -> None:
        for view in (self.browse, self.summary):
            view.faceSelected.connect(self.details.show_face)
            view.faceSelected.connect(self.map.canvas.select)
        self.browse.faceActivated.connect(self._face_activated)
        self.map.faceClicked.connect(self._map_clicked)
        self.browse.sourceChanged.connect(lambda v: self._set_setting(subclass_source=v))
        self.map.projectionChanged.connect(lambda v: self._set_setting(projection=v))
        self.summary.countChanged.connect(lambda v: self._set_setting(summary_size=v))
        self.summary.exportRequested.connect(lambda: export_with_dialog(self))
        for source in (self.details, self.indexer, self.exporter):
            source.problem.connect(self.show_problem)
        for source in (self.indexer, self.exporter):
            source.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.indexer.progress.connect(lambda p: self.session and self.session.indexing(p))
        self.indexer.finished.connect(self._index_done)
        self.exporter.exported.connect(self.exported)

    def show_tab(self, k: int) -> None:
        self.tabs.setCurrentIndex(k)
        self.tabs.currentWidget().setFocus()
        if k == 0:
            self.browse.emotions.setFocus()

    def _title(self) -> None:
        name = f" — {self.session.album.folder.name}" if self.session else ""
        self.setWindowTitle(f"albumsum{name}{' (indexing…)' if self.indexer.running() else ''}")

    # -- the album ---------------------------------------------------------------------------------
    def open_album(self, folder: Path, db: Path | None = None, index: bool = True) -> bool:
        """Show ``folder``'s index (if any) at once and, with ``index``, bring it up to date in the background."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            self.show_problem(f"{folder} is not a folder.")
            return False
        self.indexer.cancel()
        if self.session is not None:
            self.session.close()
        self.session = AlbumSession(self.ctx.open_album(folder, db), self.ctx.runner, self, self.indexer.request)
        self.session.loaded.connect(self._loaded)
        self.session.problem.connect(self.show_problem)
        viewstate.show_opening(self)
        self.ctx.update_settings(self.ctx.settings.with_recent(self.session.album.folder))
        fill_recent(self)
        self.session.reload()
        if index:
            self.start_indexing()
        return True

    def start_indexing(self) -> None:
        if self.session is not None:
            self.indexer.start(self.session.album)
            self._title()

    def cancel_indexing(self) -> None:
        self.indexer.cancel()

    def _index_done(self, complete: bool | None) -> None:
        self._title()
        if self.session is not None:
            self.session.reload()
        self.indexingFinished.emit(complete)

    def _loaded(self, data: AlbumData) -> None:
        assert self.session is not None
        if data is not self._shown:  # an unchanged index gives back the same snapshot: nothing to redo
            thumbs, folder = self.session.thumbs, self.session.album.folder
            for view in (self.browse, self.summary, self.map):
                view.set_data(data, thumbs)
            self.details.set_album(folder, data)
            self.problems.set_errors(folder, data.errors)
            self.tabs.setTabText(3, f"Problems ({len(data.errors)})" if data.errors else "Problems")
            self._shown = data
        self.dataLoaded.emit(data)

    def _face_activated(self, face_id: int) -> None:
        self.details.show_face(face_id)
        self.dock.show()
        self.dock.raise_()

    def _map_clicked(self, face_id: int) -> None:
        self.details.show_face(face_id)
        self.browse.select_face(face_id)

    # -- settings, export, problems (the dialogs are in albumsum.ui.menus) --------------------------
    def _set_setting(self, **changes) -> None:
        self.apply_settings(dataclasses.replace(self.ctx.settings, **changes))

    def apply_settings(self, new: Settings) -> None:
        self.ctx.update_settings(new)
        self.browse.set_source(new.subclass_source)
        self.summary.set_count(new.summary_size)
        self.map.set_method(new.projection)
        if self.session is not None and self.session.apply_settings(new):
            self.open_album(self.session.album.folder)

    def export_to(self, dest: Path, kinds: tuple[str, ...] = KINDS) -> Handle | None:
        if self.session is None:
            return None
        return self.exporter.start(self.session.album, dest, kinds, self.summary.count.value())

    def show_problem(self, text: str) -> None:
        """Tell the user (a message box that does not block the window) and keep going."""
        log.warning("%s", text)
        self.messages.append(text)
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "albumsum", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.problem.emit(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session is not None:
            self.session.close()
        if not self.ctx.runner.shutdown():
            log.warning("a background job did not stop in time")
        event.accept()
