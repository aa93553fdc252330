"""Where an album's index lives (the user's data folder, never the album) and the lock that keeps
one writer per index."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

# per kind: override variable, (Windows variable, fallback under home), macOS folder under home,
# (XDG variable, fallback under home)
_PLATFORM_DIRS = {
    "data": ("ALBUMSUM_DATA_DIR", ("LOCALAPPDATA", "AppData/Local"), "Library/Application Support",
             ("XDG_DATA_HOME", ".local/share")),
    "config": ("ALBUMSUM_CONFIG_DIR", ("APPDATA", "AppData/Roaming"), "Library/Preferences",
               ("XDG_CONFIG_HOME", ".config")),
}  # fmt: skip


def platform_dir(kind: str) -> Path:
    """The platform's per-user ``data`` or ``config`` directory for albumsum (an environment
    variable, ``ALBUMSUM_DATA_DIR`` or ``ALBUMSUM_CONFIG_DIR``, overrides it)."""
    override, (win_var, win_home), mac_home, (xdg_var, xdg_home) = _PLATFORM_DIRS[kind]
    if os.environ.get(override):
        return Path(os.environ[override])
    if sys.platform == "win32":
        base = Path(os.environ.get(win_var) or Path.home() / win_home)
    elif sys.platform == "darwin":
        base = Path.home() / mac_home
    else:
        base = Path(os.environ.get(xdg_var) or Path.home() / xdg_home)
    return base / "albumsum"


def user_data_dir() -> Path:
    """Where the album indexes live (``ALBUMSUM_DATA_DIR`` overrides)."""
    return platform_dir("data")


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
