"""The window end to end, offscreen: open → index → browse, cancel, problems, details, map, export."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QPoint, Qt

from albumsum import cli
from albumsum.core.emotions import EMOTIONS
from albumsum.core.faces import THUMB_SIZE
from albumsum.core.summary import album_groups, representative
from albumsum.ui.models import Role
from albumsum.ui.window import MainWindow
from tests.core.helpers import fake_mtcnn, make_embedder, write_checkpoint, write_settings
from tests.ui.conftest import SlowDetector, make_album, make_context

WAIT = 20000


def open_and_index(qtbot, window: MainWindow, album: Path) -> None:
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        assert window.open_album(album)
    qtbot.waitUntil(lambda: window.data is not None and window.data.counts.get("photos") == 7, timeout=WAIT)


def test_open_index_and_browse(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    data = window.data
    assert len(data.faces) == 7  # six photos, the wide one with two faces
    counts = [window.browse.emotion_model.data(window.browse.emotion_model.index(c), Role.COUNT) for c in range(8)]
    assert sum(counts) == 7
    shown = window.browse.emotion
    assert counts[shown] > 0
    assert window.browse.title.text().startswith(EMOTIONS[shown].capitalize())
    groups = [g for g in data.groups if g.emotion == shown]
    model = window.browse.grid.sections
    assert [len(s.order) for s in model.sections] == [len(g) for g in groups]
    assert model.data(model.index(0), Role.HEADER) and not model.data(model.index(1), Role.HEADER)
    first = model.index(1)  # the group's best shot, outlined, under the group's header
    assert model.data(first, Role.FACE_ID) == representative(groups[0], data.faces) and model.data(first, Role.MEDOID)
    qtbot.waitUntil(lambda: model.data(first, Role.THUMB) is not None, timeout=WAIT)  # loaded in the background
    assert model.data(first, Role.THUMB).width() == THUMB_SIZE  # sharp on a 2x screen
    assert window.windowTitle() == f"albumsum — {album.name}"
    assert str(album.resolve()) in window.ctx.settings.recent_albums
    assert not any(p.suffix == ".sqlite" for p in album.iterdir())  # nothing written into the album


def test_a_newly_opened_folder_shows_none_of_the_last_albums_faces(
    qtbot, window: MainWindow, album: Path, tmp_path: Path
) -> None:
    open_and_index(qtbot, window, album)
    window.summary.count.setValue(3)
    assert window.browse.grid.isVisibleTo(window) and window.summary.picks
    fresh = tmp_path / "Holiday"
    fresh.mkdir()
    assert window.open_album(fresh, index=False)  # not indexed yet: its first faces are still to come
    browse = window.browse
    assert not browse.grid.isVisibleTo(window) and not browse.controls.isVisibleTo(window)
    assert browse.empty.isVisibleTo(window) and browse.empty.text().startswith("Opening Holiday")
    assert sum(browse.emotion_model.counts) == 0 and not window.summary.picks
    assert window.details.face_id is None


def test_problems_panel_lists_the_corrupt_photo(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    assert window.problems.paths() == ["broken.jpg"]
    assert window.problems.table.item(0, 1).text()
    assert window.tabs.tabText(3) == "Problems (1)"


def test_face_details_show_the_photo_and_its_faces(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    data = window.data
    wide = next(fid for fid, path in zip(data.faces.ids, data.faces.paths, strict=True) if path == "p0.jpg")
    assert window.browse.select_face(int(wide))
    assert window.details.face_id == int(wide)
    qtbot.waitUntil(lambda: window.details.photo.image is not None, timeout=WAIT)
    assert window.details.photo.size_px == (320, 120)
    assert len(window.details.photo.boxes) == 2 and sum(b[2] for b in window.details.photo.boxes) == 1
    np.testing.assert_allclose(window.details.chart.values.sum(), 1.0, atol=1e-4)
    assert "p0.jpg" in window.details.caption.text()


def test_keyboard_moves_from_the_emotions_to_the_grid_and_back(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(0)
    window.browse.emotions.setFocus()
    qtbot.keyClick(window.browse.emotions, Qt.Key.Key_Return)
    grid = window.browse.grid
    assert grid.currentIndex().row() == 1  # the first face, under its group's header
    with qtbot.waitSignal(window.browse.faceActivated, timeout=WAIT) as seen:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert seen.args[0] == grid.model().index(1).data(Role.FACE_ID)
    window.viewer.close()
    qtbot.keyClick(grid, Qt.Key.Key_Escape)
    assert window.focusWidget() is window.browse.emotions


def test_cancel_mid_way_keeps_what_was_done(qtbot, tmp_path: Path) -> None:
    album = make_album(tmp_path / "big", n=12)
    release = threading.Semaphore(0)
    ctx = make_context(tmp_path, detector=SlowDetector(lambda: release.acquire(timeout=10)))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.open_album(album)
    for _ in range(4):
        release.release()
    qtbot.waitUntil(lambda: window.index_bar.bar.value() >= 2, timeout=WAIT)
    assert window.windowTitle().endswith("(indexing…)")
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT) as done:
        window.cancel_indexing()
        for _ in range(8):  # let the photos already in flight finish
            release.release()
    assert done.args == [None]
    assert not window.index_bar.isVisible()
    qtbot.waitUntil(lambda: window.data is not None and 0 < window.data.counts["photos"] < 12, timeout=WAIT)
    window.close()


def test_map_places_every_face(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(1)
    canvas = window.map.canvas
    qtbot.waitUntil(lambda: len(canvas.ids) == 7, timeout=WAIT)
    assert canvas.points.min() >= 0 and canvas.points.max() <= 1
    xy = canvas._xy()
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    k = int(gaps.min(axis=1).argmax())  # the point farthest from its neighbours: a click there is unambiguous
    assert gaps[k].min() > 3
    with qtbot.waitSignal(window.map.faceClicked, timeout=WAIT) as clicked:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(xy[k, 0]), round(xy[k, 1])))
    assert clicked.args[0] == int(canvas.ids[k])
    assert window.details.face_id == int(canvas.ids[k])


def test_export_writes_every_kind(qtbot, window: MainWindow, album: Path, tmp_path: Path) -> None:
    open_and_index(qtbot, window, album)
    window.summary.count.setValue(4)
    assert len(window.summary.picks) == 4
    dest = tmp_path / "out"
    with qtbot.waitSignal(window.exported, timeout=WAIT) as done:
        window.export_to(dest)
    written = {p.relative_to(dest).as_posix() for p in done.args[0]}
    assert written == {"album/index.html", "contact_sheet.png", "summary.pdf", "photos/index.html"}
    assert (dest / "summary.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((dest / "photos").glob("*.jpg"))) == 4
    assert window.ctx.settings.summary_size == 4
    box = window.exporter.done_box  # "Open" when done
    assert box is not None and box.isVisible() and str(dest) in box.text()
    assert [b.text() for b in box.buttons() if b.text() == "Open"] == ["Open"]
    box.close()


def test_album_subclasses_switch_reloads_the_groups(qtbot, tmp_path: Path, album: Path) -> None:
    embedder = make_embedder()
    for gmm in embedder.checkpoint["subclasses"].values():  # every face in the model's sub-class 1
        gmm["weights"] = torch.tensor([1e-6, 1 - 1e-6])
    window = MainWindow(make_context(tmp_path, embedder=embedder))
    qtbot.addWidget(window)
    window.show()
    open_and_index(qtbot, window, album)
    faces = window.data.faces
    model = _layout(album_groups(faces, "model"))
    fitted = _layout(album_groups(faces, "album", window.ctx.settings.max_subclasses))
    assert model == _layout(window.data.groups) and model != fitted  # the switch has something to show
    with qtbot.waitSignal(window.dataLoaded, timeout=WAIT):
        window.browse.source.setCurrentIndex(window.browse.source.findData("album"))
    assert window.ctx.settings.subclass_source == "album"
    assert _layout(window.data.groups) == fitted
    shown = [g for g in window.data.groups if g.emotion == window.browse.emotion]
    assert [len(s.order) for s in window.browse.grid.sections.sections] == [len(g) for g in shown]
    window.close()


def _layout(groups) -> list[tuple[int, int, list[int]]]:
    return [(g.emotion, g.subclass, sorted(int(i) for i in g.face_ids)) for g in groups]


def test_the_window_and_the_cli_open_the_same_index(qtbot, tmp_path: Path, monkeypatch, capsys) -> None:
    """Done-when of issue 12: one settings.json, one index, whichever opens the album."""
    album = make_album(tmp_path / "album")
    chosen = tmp_path / "indexes"
    write_settings(tmp_path / "config", index_location=str(chosen), min_face=30)
    fake_mtcnn(monkeypatch)
    model = write_checkpoint(tmp_path / "m.pt")
    argv = ["index", str(album), "--model", str(model), "--device", "cpu", "--quiet", "--workers", "0"]
    assert cli.main(argv) == cli.EXIT_OK
    (db,) = chosen.glob("*.sqlite")
    window = MainWindow(make_context(tmp_path))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.dataLoaded, timeout=WAIT):
        window.open_album(album, index=False)
    assert window.session.album.index_path == db
    assert len(window.data.faces) == 7 and window.data.counts["photos"] == 6  # what the CLI indexed
    capsys.readouterr()
    assert cli.main(["summarize", str(album), "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["faces"] == len(window.data.faces)
    window.close()


def test_an_unreadable_folder_is_a_message_not_a_crash(qtbot, window: MainWindow, tmp_path: Path) -> None:
    assert not window.open_album(tmp_path / "missing")
    assert window.messages and "not a folder" in window.messages[-1]


def test_the_first_window_says_which_folder_it_opens_while_the_model_loads(qtbot, tmp_path: Path) -> None:
    from albumsum.ui.app import starting_window
    from tests.ui.conftest import make_context

    (tmp_path / "Wedding").mkdir()
    window = starting_window(make_context(tmp_path), tmp_path / "Wedding")
    qtbot.addWidget(window)
    assert window.statusBar().currentMessage() == "Loading the face model…"
    assert window.browse.empty.isVisibleTo(window) and window.browse.empty.text().startswith("Opening Wedding")
    window.close()
