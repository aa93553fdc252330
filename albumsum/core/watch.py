"""A folder that keeps itself up to date: notice added, changed, moved and deleted files.

:func:`watch_changes` lists the album (names, sizes and modification times, no file is read: a
2,000-photo album lists in milliseconds) every ``interval`` seconds and yields the set of paths
that differ, once the listing has held still for ``settle`` seconds, so a copy in progress is
indexed once, when it is complete. The caller then runs the ordinary incremental index, which
reads only those files. Polling needs no platform watcher and works the same on network and
removable drives, where file system events are unreliable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from albumsum.core.images import looks_like_image
from albumsum.core.listing import list_album
from albumsum.core.video import is_video


def album_state(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of every photo and video under ``root``."""
    return list_album(root, lambda p: is_video(p) or looks_like_image(p)).files


def changed_paths(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    """Paths added, removed or changed between two listings."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def watch_changes(
    root: str | Path,
    interval: float = 2.0,
    settle: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    since: dict[str, tuple[int, int]] | None = None,
) -> Iterator[set[str]]:
    """Yield the paths that changed under ``root``, each batch once its files have settled.

    Changes are counted from ``since`` (an :func:`album_state` listing), else from the folder as it
    is when watching starts. Pass a listing taken before an index run that precedes the watch, so
    that files added, changed or deleted while that run was indexing are noticed too.
    """
    root = Path(root)
    state = album_state(root) if since is None else since
    first = since is not None  # look at once: the folder may already differ from ``since``
    while not should_stop():
        if not first:
            sleep(interval)
        first = False
        now = album_state(root)
        if now == state:
            continue
        while not should_stop():  # debounce: wait until two listings ``settle`` apart agree
            sleep(settle)
            later = album_state(root)
            if later == now:
                break
            now = later
        changed = changed_paths(state, now)
        state = now
        if changed:
            yield changed
