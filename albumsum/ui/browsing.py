"""The Browse view's wiring to the album: Enter or double-click opens the large viewer on the
face's group, Ctrl+wheel's thumbnail size is kept in the settings and shown in the summary too,
and a group renamed from its header is named in the index on a worker
(:meth:`albumsum.core.album.Album.rename_group`), then the views are brought up to date from the
index, as the CLI and the exports see it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from albumsum.ui.workers import BROWSE

if TYPE_CHECKING:
    from albumsum.ui.window import MainWindow


def wire_browse(window: MainWindow) -> None:
    browse = window.browse
    browse.faceActivated.connect(lambda face_id: open_viewer(window, face_id))
    browse.thumbSizeChanged.connect(lambda size: keep_thumb_size(window, size))
    browse.renameRequested.connect(lambda emotion, number, name: rename_group(window, emotion, number, name))


def open_viewer(window: MainWindow, face_id: int) -> None:
    """The face large, stepping through the faces of its group."""
    from albumsum.ui.viewer import FaceViewer

    if window.session is None or window.data is None:
        return
    faces = window.browse.section_faces(face_id)
    window.viewer = FaceViewer(window.ctx.runner, window.session.album.folder, window.data, faces, face_id, window)
    window.viewer.show()


def keep_thumb_size(window: MainWindow, size: int) -> None:
    """A size zoomed to in the grid: kept in the settings and shown in the summary too."""
    if size != window.ctx.settings.thumb_size:
        window.ctx.update_settings(dataclasses.replace(window.ctx.settings, thumb_size=size))
    show_thumb_size(window)


def show_thumb_size(window: MainWindow) -> None:
    """The settings' thumbnail size, in every grid at once."""
    window.browse.set_thumb_size(window.ctx.settings.thumb_size)
    window.summary.set_thumb_size(window.ctx.settings.thumb_size)


def rename_group(window: MainWindow, emotion: int, number: int, name: str) -> None:
    """Name group ``number`` of ``emotion`` (``""``: forget its name)."""
    session = window.session
    if session is None:
        return
    album, data = session.album, window.data
    window.ctx.runner.start(
        "rename",
        lambda cancelled: album.rename_group(emotion, number, name or None, data),
        on_result=lambda _: session.reload(),
        on_error=lambda exc: window.show_problem(f"Cannot rename the group: {exc}"),
        priority=BROWSE,
    )
