"""Writing a file so that a crash never leaves half of it: a temporary file beside it, renamed over
it once complete (one copy, for the settings and the model checkpoint)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to write ``path``'s new content into ``tmp``, then rename it over ``path``
    (creating the folder). A failed ``write`` leaves ``path`` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """``path`` holds ``text`` (UTF-8), all of it or its old content."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
