"""Face thumbnails for the views: an LRU cache filled by background jobs, a few hundred at a time.

A view asks :meth:`ThumbProvider.get`; on a miss it gets ``None`` (the delegate paints a
placeholder), the id is queued, and one job at a time loads the queue; :attr:`ready` then names the
ids that arrived so the models repaint just those rows. The GUI thread never reads SQLite, decodes
a JPEG or converts pixels here: the job hands back ready ``QImage`` objects (``QImage`` is safe off
the GUI thread), so painting a cell allocates nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from albumsum.core.thumbs import LRUCache, load_thumbnails
from albumsum.ui.workers import BROWSE, Runner

BATCH = 256  # thumbnails per load job
CACHE = 1536  # decoded thumbnails kept (160 px, 32-bit: ~160 MB at most)


def to_qimage(rgb: np.ndarray) -> QImage:
    """RGB uint8 [H, W, 3] -> a QImage that owns its pixels."""
    rgb = np.ascontiguousarray(rgb, np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def load_images(db: Path, face_ids: list[int]) -> tuple[list[int], dict[int, QImage]]:
    """The thumbnails of ``face_ids`` as QImages (on a worker thread): (the ids asked, id -> image).

    In the 32-bit format that painting uses, so that drawing one needs no conversion (3x faster)."""
    rgb32 = QImage.Format.Format_RGB32
    thumbs = load_thumbnails(db, face_ids)
    return face_ids, {fid: to_qimage(rgb).convertToFormat(rgb32) for fid, rgb in thumbs.items()}


class ThumbProvider(QObject):
    ready = Signal(list)  # face ids whose thumbnails are now cached

    def __init__(self, db: Path, runner: Runner, parent: QObject | None = None, capacity: int = CACHE) -> None:
        super().__init__(parent)
        self.db = db
        self.runner = runner
        self.cache = LRUCache(capacity)
        self._queue: dict[int, None] = {}  # insertion-ordered set
        self._missing: set[int] = set()  # ids the index has no face for (deleted meanwhile)
        self._busy = False
        self._closed = False
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._load_next)

    def get(self, face_id: int) -> QImage | None:
        image = self.cache.get(face_id)
        if image is None and face_id not in self._queue and face_id not in self._missing:
            self._queue[face_id] = None
            if not self._busy:
                self._timer.start()
        return image

    def forget_queue(self) -> None:
        """Drop queued requests (the view they were for is gone)."""
        self._queue.clear()

    def close(self) -> None:
        self._closed = True
        self._queue.clear()

    def _load_next(self) -> None:
        if self._busy or not self._queue or self._closed:
            return
        newest = list(self._queue)[-BATCH:]  # what the user looks at now was asked for last
        for fid in newest:
            del self._queue[fid]
        self._busy = True
        db = self.db
        self.runner.start(
            "thumbnails",
            lambda cancelled: load_images(db, newest),
            on_result=self._loaded,
            on_finished=self._done,
            priority=BROWSE,
        )

    def _loaded(self, result: tuple[list[int], dict[int, QImage]]) -> None:
        asked, thumbs = result
        self._missing.update(set(asked) - set(thumbs))
        for fid, image in thumbs.items():
            self.cache.put(fid, image)
        if thumbs and not self._closed:
            self.ready.emit(list(thumbs))

    def _done(self) -> None:
        self._busy = False
        if self._queue and not self._closed:
            self._timer.start()
