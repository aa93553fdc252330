"""The open album in the window: the core :class:`~albumsum.core.album.Album`, its thumbnails and
its latest snapshot, brought up to date on a worker when asked (one read at a time; asks meanwhile
are merged into one read after it), and with ``on_change`` its folder watched
(:mod:`albumsum.ui.watching`). Each read starts from the last snapshot, so while indexing only the
new faces are read (:meth:`Album.snapshot`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from albumsum.core.album import Album, AlbumData
from albumsum.core.indexer import IndexProgress
from albumsum.core.settings import Settings
from albumsum.ui.thumbs import ThumbProvider
from albumsum.ui.watching import FolderWatcher
from albumsum.ui.workers import SNAPSHOT, Handle, Runner

RELOAD_EVERY_S = 1.5  # while indexing, show new results this often


class AlbumSession(QObject):
    loaded = Signal(object)  # AlbumData
    problem = Signal(str)

    def __init__(
        self,
        album: Album,
        runner: Runner,
        parent: QObject | None = None,
        on_change: Callable[[Album], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.album = album
        self.runner = runner
        self.watcher: FolderWatcher | None = None
        if on_change is not None:  # files added, changed, moved or deleted while the album is open
            self.watcher = FolderWatcher(album.folder, runner, parent=self)
            self.watcher.changed.connect(lambda _paths: on_change(self.album))
        self.thumbs = ThumbProvider(album.index_path, runner, self)
        self.data: AlbumData | None = None
        self.last_read = 0.0  # time.monotonic() of the last read started
        self._handle: Handle | None = None
        self._again = False
        self._closed = False

    def reload(self) -> None:
        """Read the snapshot again (the views get :attr:`loaded`)."""
        if self._closed:
            return
        if self._handle is not None and not self._handle.done:
            self._again = True
            return
        self.last_read = time.monotonic()
        album, previous = self.album, self.data
        self._handle = self.runner.start(
            "snapshot",
            lambda cancelled: album.snapshot(previous),
            on_result=self._loaded,
            on_error=lambda exc: self.problem.emit(f"Cannot read the index {album.index_path}: {exc}"),
            on_finished=self._finished,
            priority=SNAPSHOT,
        )

    def _finished(self) -> None:
        if self._again:
            self._again = False
            QTimer.singleShot(0, self.reload)

    def _loaded(self, data: AlbumData | None) -> None:
        if data is None or self._closed:
            return
        self.data = data
        self.loaded.emit(data)

    def indexing(self, p: IndexProgress) -> None:
        """Show new faces now and then while the album is indexed."""
        if p.faces and time.monotonic() - self.last_read > RELOAD_EVERY_S:
            self.reload()

    def apply_settings(self, new: Settings) -> bool:
        """Use ``new`` settings; regroup when the grouping changed. ``True`` when the index location
        changed (the window opens the album again)."""
        old, self.album.settings = self.album.settings, new
        if new.index_location != old.index_location:
            return True
        if (new.subclass_source, new.max_subclasses, new.min_quality) != (
            old.subclass_source,
            old.max_subclasses,
            old.min_quality,
        ):
            self.reload()
        return False

    def close(self) -> None:
        self._closed = True
        if self._handle is not None:
            self._handle.cancel()  # a read still waiting for a thread is dropped
        if self.watcher is not None:
            self.watcher.stop()
        self.thumbs.close()
