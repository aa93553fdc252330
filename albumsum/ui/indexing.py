"""Indexing in the window: the bar in the status bar (progress, photos/s, faces found, ETA, and
Cancel) and the controller that runs the album's indexer on a worker."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from albumsum.core.album import Album
from albumsum.core.indexer import IndexProgress
from albumsum.core.progress import clock, rate_and_eta
from albumsum.core.userdata import IndexBusy
from albumsum.ui.workers import INDEX, Handle, Runner


def describe(p: IndexProgress) -> str:
    """One line for the user: what is done, how fast, faces found, time left."""
    if p.phase == "model":
        return "Loading the face model…"
    rate, eta = rate_and_eta(p.done, p.total, p.elapsed)
    if p.phase == "embed":
        return f"Updating {p.done}/{p.total} faces for the new model · ETA {clock(eta)}"
    video = f" · {p.video_done:.0f}/{p.video_total:.0f} s of video" if p.video_total else ""
    return (
        f"{p.done}/{p.total} files{video} · {rate:.1f} files/s · {p.faces} faces · {p.errors} unreadable"
        f" · ETA {clock(eta)}"
    )


class IndexBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop after the current photo; what is done is kept")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel)
        self.hide()

    def start(self) -> None:
        self.bar.setRange(0, 0)
        self.label.setText("Listing the photos…")
        self.cancel.setEnabled(True)
        self.show()

    def update_progress(self, p: IndexProgress) -> None:
        if p.total:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        else:
            self.bar.setRange(0, 0)
        self.label.setText(describe(p))

    def stopping(self) -> None:
        self.cancel.setEnabled(False)
        self.label.setText("Stopping after this photo…")


class IndexController(QObject):
    """Indexes one album at a time on a worker, showing its progress in an :class:`IndexBar`."""

    progress = Signal(object)  # IndexProgress
    finished = Signal(object)  # True when it ran to the end, None when stopped or failed
    message = Signal(str)  # for the status bar
    problem = Signal(str)  # for the user

    def __init__(self, runner: Runner, bar: IndexBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.bar = bar
        self.handle: Handle | None = None
        self._again: Album | None = None
        self._redetect: Album | None = None  # re-detect once the run being stopped has stopped
        bar.cancel.clicked.connect(self.cancel)

    def running(self) -> bool:
        return self.handle is not None and not self.handle.done

    def request(self, album: Album) -> None:
        """Index ``album`` now, or once the run in progress has finished (the folder changed)."""
        if self.running():
            self._again = album
        else:
            self.start(album)

    def start(self, album: Album, redetect: bool = False) -> None:
        """Index ``album`` (with ``redetect``, every photo read again) unless a run is in progress."""
        if self.running():
            return
        self.bar.start()
        self.handle = self.runner.start(
            "index",
            lambda cancelled: album.index(cancelled, redetect=redetect),
            on_progress=self._progress,
            on_result=self._indexed,
            on_error=self._failed,
            priority=INDEX,
        )
        self.handle.finished.connect(self._done)

    def redetect(self, album: Album) -> None:
        """Read every photo of ``album`` again (its detection settings changed); a run in progress
        is stopped first and the new one starts when it has."""
        if self.running():
            self.cancel()
            self._redetect = album
        else:
            self.start(album, redetect=True)

    def cancel(self) -> None:
        self._again = self._redetect = None
        if self.running():
            assert self.handle is not None
            self.handle.cancel()
            self.bar.stopping()

    def _progress(self, p: IndexProgress) -> None:
        self.bar.update_progress(p)
        self.progress.emit(p)

    def _indexed(self, counts: dict[str, int]) -> None:
        self.message.emit(f"Indexed: {counts['photos']} photos, {counts['faces']} faces, {counts['errors']} unreadable")

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, IndexBusy):
            self.problem.emit("Another albumsum is indexing this album; showing what it has indexed so far.")
        else:
            self.problem.emit(f"Indexing stopped: {exc}")

    def _done(self) -> None:
        handle = self.handle
        self.bar.hide()
        stopped = handle is None or handle.cancelled()
        if handle is not None and handle.cancelled() and self._redetect is None:
            self.message.emit("Indexing stopped; what was done is kept (View ▸ Index Again resumes).")
        self.finished.emit(None if stopped else True)
        again, self._again = self._again, None
        redetect, self._redetect = self._redetect, None
        if redetect is not None:
            self.start(redetect, redetect=True)
        elif again is not None and not stopped:
            self.start(again)
