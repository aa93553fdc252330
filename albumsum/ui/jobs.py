"""The window's background jobs that are not the album's own (those are :class:`albumsum.core.album.Album`
methods): plain functions over the core, each returning a ``job(cancelled)`` for
:class:`albumsum.ui.workers.Runner`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Cancelled = Callable[[], bool]


def load_photo(path: Path, max_side: int = 1600, position: float | None = None):
    """The photo at ``path``, EXIF-transposed and downscaled: (RGB uint8 [H, W, 3], original (w, h));
    for a video, its frame ``position`` seconds in."""

    def job(cancelled: Cancelled) -> tuple[np.ndarray, tuple[int, int]]:
        from albumsum.core.images import read_photo
        from albumsum.core.video import frame_at, is_video

        if is_video(path):  # the frame the face was found in
            rgb = frame_at(path, position or 0.0)
            h, w = rgb.shape[:2]
            scale = min(1.0, max_side / max(w, h))
            if scale < 1.0:
                from PIL import Image

                rgb = np.asarray(Image.fromarray(rgb).resize((round(w * scale), round(h * scale))))
            return rgb, (w, h)

        result = read_photo(path, max_side=max_side)
        if result.image is None:
            raise OSError(f"{path}: {result.error}")
        return result.image.rgb, result.image.size

    return job
