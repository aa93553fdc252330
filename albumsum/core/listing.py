"""List the photo files of an album folder without reading them (the fast path of a re-index).

Directory symlinks are not followed (no loops, nothing outside the album); file symlinks are, and a
broken or looping one is an error entry. Hidden files and folders (leading dot) are skipped.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class Listing:
    """``files``: relative POSIX path -> (size, mtime_ns); ``errors``: relative path -> reason."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _rel(root: Path, path: str) -> str | None:
    rel = Path(os.path.relpath(path, root)).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        log.warning("skipping %r: its name is not valid UTF-8", rel)
        return None
    return rel


def list_album(root: str | os.PathLike[str], is_candidate: Callable[[Path], bool]) -> Listing:
    """Walk ``root``; keep files for which ``is_candidate(path)`` is true (sorted by path)."""
    root = Path(root)
    out = Listing()
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = _rel(root, folder)
            if rel is not None:
                out.errors[rel + "/"] = f"cannot list folder: {exc.strerror or exc}"
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            _visit(root, entry, stack, out, is_candidate)
    out.files = dict(sorted(out.files.items()))
    return out


def _visit(
    root: Path, entry: os.DirEntry[str], stack: list[str], out: Listing, is_candidate: Callable[[Path], bool]
) -> None:
    rel = _rel(root, entry.path)
    if rel is None:
        return
    try:
        if entry.is_dir(follow_symlinks=False):
            stack.append(entry.path)
            return
        st = entry.stat(follow_symlinks=True)
    except OSError as exc:
        if entry.is_symlink():
            out.errors[rel] = f"broken or looping symbolic link: {exc.strerror or exc}"
        else:
            out.errors[rel] = f"cannot stat file: {exc.strerror or exc}"
        return
    if entry.is_symlink() and os.path.isdir(entry.path):
        return  # a link to a folder: not followed
    if is_candidate(Path(entry.path)):
        out.files[rel] = (st.st_size, st.st_mtime_ns)
