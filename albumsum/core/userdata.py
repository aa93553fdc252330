"""Where an album's index lives (the user's data folder, never the album) and the lock that keeps
one writer per index."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


def user_data_dir() -> Path:
    """The platform's per-user data directory for albumsum (``ALBUMSUM_DATA_DIR`` overrides)."""
    override = os.environ.get("ALBUMSUM_DATA_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "albumsum"


def default_index_path(album: str | os.PathLike[str]) -> Path:
    """``<user data>/indexes/<folder name>-<hash of its absolute path>.sqlite``."""
    root = Path(album).resolve()
    key = hashlib.sha1(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return user_data_dir() / "indexes" / f"{root.name or 'album'}-{key}.sqlite"


class IndexBusy(RuntimeError):
    """Another process is writing this index."""


@contextlib.contextmanager
def writer_lock(index_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``<index>.lock`` exclusively while writing, so that one process indexes an album at a time.

    The operating system drops the lock when the process dies, so a killed run never leaves the
    album locked. Raises :class:`IndexBusy` at once when another process holds it.
    """
    path = Path(str(index_path) + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            _lock(fh.fileno())
        except OSError as exc:
            raise IndexBusy(f"{index_path} is being written by another albumsum process") from exc
        try:
            yield
        finally:
            _unlock(fh.fileno())


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
