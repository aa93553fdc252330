"""The window's background jobs that are not the album's own (those are :class:`albumsum.core.album.Album`
methods): plain functions over the core, each returning a ``job(cancelled)`` for
:class:`albumsum.ui.workers.Runner`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Cancelled = Callable[[], bool]


def load_photo(path: Path, max_side: int = 1600):
    """The photo at ``path``, EXIF-transposed and downscaled: (RGB uint8 [H, W, 3], original (w, h))."""

    def job(cancelled: Cancelled) -> tuple[np.ndarray, tuple[int, int]]:
        from albumsum.core.images import read_photo

        result = read_photo(path, max_side=max_side)
        if result.image is None:
            raise OSError(f"{path}: {result.error}")
        return result.image.rgb, result.image.size

    return job
