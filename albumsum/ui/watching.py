"""The open album's folder, watched: every few seconds a short background job lists it (no file is
read), and once a change has held still for one more look, :attr:`FolderWatcher.changed` says which
paths changed, so the window indexes them. No thread is kept busy between looks, and the
comparison is :mod:`albumsum.core.watch`'s, as in ``albumsum index --watch``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from albumsum.core.watch import album_state, changed_paths
from albumsum.ui.workers import BACKGROUND, Handle, Runner

WATCH_EVERY_MS = 2000


class FolderWatcher(QObject):
    changed = Signal(object)  # set[str] of relative paths

    def __init__(self, folder: Path, runner: Runner, interval_ms: int = WATCH_EVERY_MS, parent=None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.runner = runner
        self.state: dict[str, tuple[int, int]] | None = None  # the listing the index was brought up to
        self.pending: dict[str, tuple[int, int]] | None = None  # a new listing, waiting to hold still
        self._handle: Handle | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.look)
        self.timer.start()
        self.look()

    def look(self) -> None:
        """List the folder on a worker (skipped while the last look is still running)."""
        if self._handle is not None and not self._handle.done:
            return
        folder = self.folder
        self._handle = self.runner.start(
            "watch", lambda cancelled: album_state(folder), on_result=self._listed, priority=BACKGROUND
        )

    def _listed(self, now: dict[str, tuple[int, int]]) -> None:
        if self.state is None:
            self.state = now
        elif now == self.state:
            self.pending = None
        elif now == self.pending:  # the same change twice in a row: the files have settled
            changed = changed_paths(self.state, now)
            self.state, self.pending = now, None
            self.changed.emit(changed)
        else:
            self.pending = now

    def stop(self) -> None:
        self.timer.stop()
        if self._handle is not None:
            self._handle.cancel()
