"""The window's background jobs as plain functions over the core (no widgets): each returns a
``job(cancelled)`` for :class:`albumsum.ui.workers.Runner`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from albumsum.core.groups import Group
from albumsum.core.index import IndexStore
from albumsum.core.indexer import IndexProgress, IndexSettings, index_album
from albumsum.core.summary import AlbumFaces, album_groups, load_faces
from albumsum.core.userdata import writer_lock

Cancelled = Callable[[], bool]
LOADING = IndexProgress("model", 0, 0, 0, 0)  # first record of an indexing job: the model is loading


def index_job(folder: Path, db: Path, index_settings: IndexSettings, make_pipeline: Callable[[], tuple[Any, Any]]):
    """Index ``folder`` into ``db``: yields :data:`LOADING`, then the indexer's progress records;
    returns the index's counts. Stops cleanly between photos when cancelled."""

    def job(cancelled: Cancelled) -> Iterator[IndexProgress]:
        yield LOADING
        detector, embedder = make_pipeline()
        with contextlib.ExitStack() as stack:
            stack.enter_context(writer_lock(db))
            store = stack.enter_context(IndexStore(db, folder))
            yield from index_album(folder, store, detector, embedder, index_settings, should_stop=cancelled)
            return store.counts()

    return job


@dataclass(frozen=True, eq=False)
class AlbumData:
    """One snapshot of an album's index, as the window shows it."""

    faces: AlbumFaces
    groups: list[Group]
    counts: dict[str, int]
    errors: list[tuple[str, str]]
    rows_by_hash: dict[str, list[int]] = field(default_factory=dict)

    def emotion_counts(self) -> list[int]:
        return [int(np.sum(self.faces.emotions == c)) for c in range(8)]

    @cached_property
    def group_of(self) -> dict[int, tuple[Group, int]]:
        """face id -> (its group, its rank there)."""
        return {int(fid): (g, r) for g in self.groups for r, fid in enumerate(g.face_ids)}


def load_album(db: Path, source: str, max_components: int):
    """Read faces, groups, counts and problems of the index at ``db`` (a reader beside the writer)."""

    def job(cancelled: Cancelled) -> AlbumData | None:
        if not db.is_file():
            return None
        with IndexStore(db) as store:
            faces = load_faces(store)
            counts = store.counts()
            errors = store.errors()
        groups = album_groups(faces, source, max_components)
        rows: dict[str, list[int]] = {}
        for r, h in enumerate(faces.hashes):
            rows.setdefault(h, []).append(r)
        return AlbumData(faces, groups, counts, errors, rows)

    return job


def load_photo(path: Path, max_side: int = 1600):
    """The photo at ``path``, EXIF-transposed and downscaled: (RGB uint8 [H, W, 3], original (w, h))."""

    def job(cancelled: Cancelled) -> tuple[np.ndarray, tuple[int, int]]:
        from albumsum.core.images import read_photo

        result = read_photo(path, max_side=max_side)
        if result.image is None:
            raise OSError(f"{path}: {result.error}")
        return result.image.rgb, result.image.size

    return job
