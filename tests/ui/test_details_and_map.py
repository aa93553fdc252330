"""The face details panel, the map's selection and hover card, the settings in words, and re-detect
after a detection setting changes (offscreen, over the fake pipeline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group
from albumsum.ui import viewstate
from albumsum.ui.details import EMPTY_TEXT, PANEL_WIDTH, face_caption
from albumsum.ui.dialogs import SettingsDialog
from albumsum.ui.mapview import ScatterCanvas
from albumsum.ui.models import emotion_colour
from albumsum.ui.window import MainWindow
from tests.core.helpers import write_photo
from tests.ui.test_window import WAIT


def open_and_index(qtbot, window: MainWindow, album: Path, photos: int = 7) -> None:
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        assert window.open_album(album)
    qtbot.waitUntil(lambda: window.data is not None and window.data.counts.get("photos") == photos, timeout=WAIT)


def face_of(window: MainWindow, name: str, k: int = 0) -> int:
    faces = window.data.faces
    return int([fid for fid, p in zip(faces.ids, faces.paths, strict=True) if p == name][k])


def show_and_load(qtbot, window: MainWindow, face_id: int) -> None:
    window.details.show_face(face_id)
    qtbot.waitUntil(lambda: window.details.photo.image is not None, timeout=WAIT)


def test_with_no_face_chosen_the_panel_says_how_to_choose_one(qtbot, window: MainWindow, album: Path) -> None:
    details = window.details
    assert details.pages.currentWidget() is details.empty and details.empty.text() == EMPTY_TEXT
    assert not details.chart.isVisible()  # no eight bars at 0 %
    open_and_index(qtbot, window, album)
    show_and_load(qtbot, window, face_of(window, "p1.jpg"))
    assert details.chart.isVisible() and not details.empty.isVisible()
    details.clear()
    assert not details.chart.isVisible() and details.empty.isVisible()


def test_clicking_a_box_in_the_photo_selects_that_face(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    first, second = face_of(window, "p0.jpg", 0), face_of(window, "p0.jpg", 1)  # the wide photo has two faces
    show_and_load(qtbot, window, first)
    photo = window.details.photo
    photo.set_zoomed(False)  # both boxes in view
    box = next(b for b in photo.boxes if b[3] == second)[0]
    centre = photo.box_rect(box).center()
    qtbot.mouseClick(photo, Qt.MouseButton.LeftButton, pos=QPoint(round(centre.x()), round(centre.y())))
    assert window.details.face_id == second
    assert window.browse.current_face() == second
    assert [b[3] for b in photo.boxes if b[2]] == [second]


def test_the_photo_is_zoomed_to_the_face_and_can_show_the_whole_photo(qtbot, window: MainWindow, album: Path) -> None:
    write_photo(album / "wide.jpg", size=(1600, 120), seed=41)  # two 72 px faces in a wide photo
    open_and_index(qtbot, window, album, photos=8)
    show_and_load(qtbot, window, face_of(window, "wide.jpg", 1))
    photo, button = window.details.photo, window.details.zoom_button
    assert photo.zoomed and photo.view.width() < 800 and button.text() == "Whole photo"
    box = photo.chosen()[0]
    assert photo.view.contains(QPointF((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    button.click()
    assert not photo.zoomed and (photo.view.width(), photo.view.height()) == (1600, 120)
    assert button.text() == "Zoom to face"
    crop = window.details.crop.image
    assert crop is not None and crop.width() > 72  # the face with a margin


def test_the_panel_keeps_its_width_for_portrait_and_landscape_photos(qtbot, window: MainWindow, album: Path) -> None:
    write_photo(album / "tall.jpg", size=(120, 360), seed=40)
    open_and_index(qtbot, window, album, photos=8)
    show_and_load(qtbot, window, face_of(window, "p0.jpg"))
    qtbot.wait(20)
    wide = (window.dock.width(), window.details.chart.width())
    window.details.photo.image = None
    show_and_load(qtbot, window, face_of(window, "tall.jpg"))
    qtbot.wait(20)
    assert window.details.photo.size_px == (120, 360)
    assert (window.dock.width(), window.details.chart.width()) == wide
    assert window.details.width() == PANEL_WIDTH


def test_the_caption_follows_a_new_grouping(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    data = window.data
    group = max(data.groups, key=len)
    fid = int(group.face_ids[0])
    window.details.show_face(fid)
    assert "the most typical" in window.details.caption.text()
    window.browse.source.setCurrentIndex(window.browse.source.findData("album"))  # the sub-class source
    qtbot.waitUntil(lambda: window.data.grouping[0] == "album", timeout=WAIT)
    assert window.details.caption.text() == face_caption(window.data, fid)
    reranked = Group(group.emotion, group.subclass, group.face_ids[::-1].copy(), group.distances[::-1].copy())
    again = dataclasses.replace(data, groups=[reranked if g is group else g for g in data.groups])
    window.details.set_album(window.session.album.folder, again)
    assert f"the {len(group)}" in window.details.caption.text()  # now ranked last


def canvas_with(qtbot, emotions: list[int]) -> ScatterCanvas:
    canvas = ScatterCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 400)
    points = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]][: len(emotions)], np.float32)
    canvas.set_points(points, np.arange(10, 10 + len(emotions)), np.array(emotions))
    canvas.show()
    return canvas


def test_the_selected_point_is_drawn_in_its_own_emotions_colour(qtbot) -> None:
    happy, anger = EMOTIONS.index("happiness"), EMOTIONS.index("anger")
    canvas = canvas_with(qtbot, [happy, anger, happy])
    canvas.select(12)
    assert canvas.selected_id() == 12
    x, y = canvas._xy()[2]
    pixel = canvas.grab().toImage().pixelColor(round(x), round(y))
    assert pixel.name() == emotion_colour(happy).name()


def test_the_hover_card_reads_in_words_at_once(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(1)
    canvas = window.map.canvas
    qtbot.waitUntil(lambda: len(canvas.ids) == 7 and not canvas.message, timeout=WAIT)
    k = 0
    fid = int(canvas.ids[k])
    row = window.data.faces.row(fid)
    lines = canvas.describe(fid)
    assert lines[0] == EMOTIONS[int(window.data.faces.emotions[row])].capitalize()
    assert lines[-1] == Path(window.data.faces.paths[row]).name and any(t.startswith("Group ") for t in lines)
    canvas.hover = k
    with_text = canvas.grab().toImage()
    canvas.describe = lambda face_id: []
    assert canvas.grab().toImage() != with_text  # the card's text is painted with the first paint
    repaints = []
    canvas.update = lambda: repaints.append(1)
    window.session.thumbs.ready.emit([fid])  # the thumbnail arrives: the card is painted again
    assert repaints


def test_a_face_selected_before_the_map_is_placed_is_selected_once_it_is(qtbot) -> None:
    canvas = ScatterCanvas()
    qtbot.addWidget(canvas)
    canvas.select(11)  # chosen in the grid while the map had no points yet
    assert canvas.selected_id() is None
    canvas.set_points(np.array([[0.0, 0.0], [1.0, 1.0]], np.float32), np.array([10, 11]), np.array([0, 1]))
    assert canvas.selected_id() == 11


def test_the_selection_survives_a_new_projection(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(1)
    canvas = window.map.canvas
    qtbot.waitUntil(lambda: len(canvas.ids) == 7 and not canvas.message, timeout=WAIT)
    fid = int(canvas.ids[3])
    x, y = canvas._xy()[3]
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    chosen = canvas.selected_id()
    assert chosen is not None
    before = canvas.points.copy()
    method = window.map.method
    method.setCurrentIndex(1 - method.currentIndex())
    qtbot.waitUntil(lambda: not canvas.message and not np.array_equal(canvas.points, before), timeout=WAIT)
    assert canvas.selected_id() == chosen
    assert fid in canvas.ids


def test_the_map_names_its_layouts_in_plain_words(qtbot, window: MainWindow) -> None:
    names = [window.map.method.itemText(k) for k in range(window.map.method.count())]
    assert all(not n.startswith(("PCA", "t-SNE")) for n in names) and len(names) == 2


def test_settings_show_choices_in_words_and_round_trip(qtbot, window: MainWindow) -> None:
    settings = window.ctx.settings
    dialog = SettingsDialog(settings, window)
    qtbot.addWidget(dialog)
    device = dialog.editors["device"]
    assert [device.itemText(k) for k in range(device.count())] == [
        "Automatic (GPU when available)",
        "Processor only",
        "GPU (CUDA)",
    ]
    raw = {"auto", "cpu", "cuda", "pca", "tsne", "model", "album"}
    assert not any(box.itemText(k) in raw for box in dialog.findChildren(QComboBox) for k in range(box.count()))
    score = dialog.editors["min_score"]
    assert score.suffix() == " %" and score.value() == 90
    texts = {label.text() for label in dialog.findChildren(QLabel)}
    assert any(t.startswith("Smaller faces are left out") for t in texts)  # the help is visible, not a tooltip
    assert dialog.values() == settings
    score.setValue(80)
    dialog.editors["min_quality"].setValue(25)
    dialog.editors["projection"].setCurrentIndex(1)
    new = dialog.values()
    assert (new.min_score, new.min_quality, new.projection) == (0.8, 0.25, "tsne")
    assert SettingsDialog(new, window).values() == new


def test_a_new_minimum_face_size_and_re_detect_change_the_faces(qtbot, window: MainWindow, album: Path) -> None:
    write_photo(album / "big.jpg", size=(640, 480), seed=50)  # its fake face is 288 px, the others' 72 px
    open_and_index(qtbot, window, album, photos=8)
    qtbot.waitUntil(lambda: len(window.data.faces) == 8, timeout=WAIT)
    new = dataclasses.replace(window.ctx.settings, min_face=100.0)
    viewstate.apply_edited(window, new)
    box = window.findChild(QMessageBox, "redetect")
    assert box is not None and box.text() == viewstate.REDETECT_QUESTION
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: len(window.data.faces) == 1, timeout=WAIT)
    assert list(window.data.faces.paths) == ["big.jpg"]


def test_the_centre_says_a_new_folder_is_being_indexed(qtbot, window: MainWindow, album: Path) -> None:
    seen: list[str] = []
    window.indexer.progress.connect(lambda p: seen.append(window.browse.empty.text()))
    open_and_index(qtbot, window, album)
    assert seen and seen[0].startswith(f"Indexing {album.name}")


def test_the_details_panel_can_be_hidden_and_it_is_remembered(qtbot, window: MainWindow) -> None:
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    action = next(a for m in menus for a in m.actions() if a.text() == "Face &Details")
    assert action is window.dock.toggleViewAction() and "F9" in [k.toString() for k in action.shortcuts()]
    assert window.dock.isVisible()
    action.trigger()
    assert not window.dock.isVisible() and window.ctx.settings.show_details is False
    action.trigger()
    assert window.dock.isVisible() and window.ctx.settings.show_details is True
    window.dock.close()  # its close button
    assert window.ctx.settings.show_details is False
    action.trigger()
    window.close()  # closing hides the panel: that is not the user hiding it
    assert window.ctx.settings.show_details is True
