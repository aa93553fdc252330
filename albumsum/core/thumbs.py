"""Face thumbnails for the window: read from the index in batches, decoded to RGB arrays, kept in a
small least-recently-used cache (Qt-free, so it can be tested and used from worker threads)."""

from __future__ import annotations

import io
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
from PIL import Image

from albumsum.core.index import IndexReader, StoredFace

log = logging.getLogger(__name__)


class LRUCache:
    """A bounded mapping that forgets the least recently used entry first (thread-safe)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key not in self._data:
                return None
            self._data.move_to_end(key)
            return self._data[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        return len(self._data)


def _decode(face: StoredFace) -> np.ndarray:
    """RGB uint8 [H, W, 3] from the stored JPEG thumbnail, or from the grey crop when there is none."""
    if face.thumb:
        try:
            with Image.open(io.BytesIO(face.thumb)) as im:
                return np.asarray(im.convert("RGB"))
        except OSError as exc:
            log.warning("unreadable thumbnail (%s): showing the crop", exc)
    return np.repeat(face.crop[:, :, None], 3, axis=2)


def load_thumbnails(db: str | os.PathLike[str], face_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Decoded thumbnails of ``face_ids`` from the index at ``db`` (read-only, its own connection, so
    it can run on any thread while the indexer writes)."""
    if not len(face_ids):
        return {}
    with IndexReader(db) as index:
        return {fid: _decode(face) for fid, face in index.face_details(face_ids).items()}
