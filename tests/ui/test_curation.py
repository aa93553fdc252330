"""Corrections and "more like this face" in the window: the grid's Delete key and emotion moves reach
the index and every view, and S opens the nearest faces."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from albumsum.core.index import IndexReader
from albumsum.ui.browse import FaceGrid
from albumsum.ui.models import Role
from albumsum.ui.window import MainWindow
from tests.ui.test_window import WAIT, open_and_index


def test_delete_marks_a_face_as_not_a_face_everywhere(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(0)
    grid = window.browse.grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(1))  # the first face, under its group's header
    face = int(grid.currentIndex().data(Role.FACE_ID))
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: face not in set(window.data.faces.ids.tolist()), timeout=WAIT)
    assert len(window.data.faces) == 6 and all(face not in g.face_ids for g in window.data.groups)
    with IndexReader(window.session.album.index_path) as index:
        assert face not in set(index.faces().ids.tolist())  # stored, so the CLI and exports agree


def test_moving_a_face_to_another_emotion_regroups_it(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    data = window.data
    face = int(data.faces.ids[0])
    target = "surprise" if data.faces.emotions[0] != 2 else "anger"
    window.browse.correctionRequested.emit(face, target)
    qtbot.waitUntil(lambda: window.data is not data, timeout=WAIT)
    group, _ = window.data.group_of[face]
    assert group.emotion == {"surprise": 2, "anger": 4}[target]
    assert window.data.faces.corrected[window.data.faces.row(face)]


def test_s_opens_the_faces_most_like_the_selected_one(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    grid = window.browse.grid
    grid.setFocus()
    grid.setCurrentIndex(grid.model().index(1))  # the first face, under its group's header
    face = int(grid.currentIndex().data(Role.FACE_ID))
    qtbot.keyClick(grid, Qt.Key.Key_S)
    dialog = window.curation.dialog
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    shown = dialog.findChild(FaceGrid)
    ids = [int(shown.model().index(r).data(Role.FACE_ID)) for r in range(shown.model().rowCount())]
    assert ids == [f for f, _ in window.session.album.similar(face, 24, window.data)] and face not in ids
    assert len(ids) == 6
    assert shown.height() > 2 * shown.cell  # the grid fills the dialog, not a strip of rows
    shown.setFocus()
    qtbot.keyClick(shown, Qt.Key.Key_Escape)  # closes the dialog, though the grid has the focus
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)


def test_a_video_face_shows_its_frame_and_time_and_plays_from_there(qtbot, tmp_path: Path, monkeypatch) -> None:
    import numpy as np
    from PIL import Image

    from tests.core.helpers import write_photo
    from tests.core.test_video import write_clip
    from tests.ui.conftest import make_context

    album = tmp_path / "clips"
    album.mkdir()
    frames = []
    for i, light in enumerate((0.5, 1.0, 1.5)):
        rgb = np.asarray(Image.open(write_photo(tmp_path / f"f{i}.jpg", seed=i, size=(640, 480))).convert("RGB"))
        frames.append(np.clip(rgb * light, 0, 255).astype(np.uint8))
    write_clip(album / "clip.mp4", frames)
    window = MainWindow(make_context(tmp_path))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        window.open_album(album)
    qtbot.waitUntil(lambda: window.data is not None and len(window.data.faces) == 3, timeout=WAIT)
    faces = window.data.faces
    last = int(faces.ids[int(np.argmax(faces.positions))])
    window.details.show_face(last)
    assert "clip.mp4 at 0:0" in window.details.caption.text()
    qtbot.waitUntil(lambda: window.details.photo.image is not None, timeout=WAIT)
    assert window.details.photo.size_px == (640, 480)
    position = float(faces.positions[faces.row(last)])
    assert position > 0 and window.details.open_button.text() == f"Play from 0:0{int(position)}"
    player = tmp_path / "bin" / "mpv"  # an installed player that writes down how it was started
    player.parent.mkdir()
    player.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "played.txt"}\n')
    player.chmod(0o755)
    monkeypatch.setenv("PATH", str(player.parent))
    window.details.open_button.click()
    qtbot.waitUntil(lambda: (tmp_path / "played.txt").is_file(), timeout=WAIT)
    assert (tmp_path / "played.txt").read_text().split() == [f"--start={position:.1f}", str(album / "clip.mp4")]
    window.close()


def test_review_shows_the_doubtful_faces_and_not_faces_rejects_them(
    qtbot, window: MainWindow, album: Path, monkeypatch
) -> None:
    import numpy as np

    import albumsum.core.quality as quality
    from albumsum.ui.curation import ReviewDialog

    open_and_index(qtbot, window, album)
    window.curation.review_action.trigger()
    assert not isinstance(window.curation.dialog, ReviewDialog)  # none doubtful: a status line says so
    assert "No likely non-faces" in window.statusBar().currentMessage()
    faces = window.data.faces
    worst = int(np.argmin(faces.qualities))
    doubtful = int(faces.ids[worst])
    # thresholds that make the album's poorest face the one doubtful face
    monkeypatch.setattr(quality, "NON_FACE_QUALITY", float(np.sort(faces.qualities)[:2].mean()))
    monkeypatch.setattr(quality, "NON_FACE_SCORE", 1.01)
    window.curation.review_action.trigger()
    dialog = window.curation.dialog
    assert isinstance(dialog, ReviewDialog) and dialog.isVisible()
    assert dialog.face_ids == [doubtful] and dialog.selected() == [doubtful]  # proposed, all selected
    qtbot.mouseClick(dialog.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: doubtful not in set(window.data.faces.ids.tolist()), timeout=WAIT)
    assert window.session.album.likely_non_faces() != [doubtful]  # rejected: no longer proposed


def test_the_pdf_draws_a_video_face_by_its_frame(qtbot, tmp_path: Path) -> None:
    import numpy as np
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    from albumsum.ui.export import _draw_photo
    from tests.core.test_video import write_clip

    red, blue = np.zeros((480, 640, 3), np.uint8), np.zeros((480, 640, 3), np.uint8)
    red[..., 0], blue[..., 2] = 220, 220
    write_clip(tmp_path / "clip.mp4", [red, blue])  # red for two seconds, then blue
    canvas = QImage(320, 240, QImage.Format.Format_RGB32)
    for position, channel in ((0.5, "red"), (3.0, "blue")):
        canvas.fill(QColor("white"))
        painter = QPainter(canvas)
        _draw_photo(painter, tmp_path, "clip.mp4", position, QRectF(0, 0, 320, 240))
        painter.end()
        centre = canvas.pixelColor(160, 120)
        assert getattr(centre, channel)() > 180 and min(centre.red(), centre.blue()) < 60  # the frame at that time
