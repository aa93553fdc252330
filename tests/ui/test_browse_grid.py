"""The Browse view's one scroll surface: groups under headers, columns that fill the width, "Show
all", Ctrl+wheel zoom, the keyboard across groups, the sort, the large viewer and group renaming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QScrollArea

from albumsum import cli
from albumsum.core.emotions import EMOTIONS
from albumsum.core.index import IndexReader, IndexWriter
from albumsum.ui.delegates import PAD
from albumsum.ui.models import Role
from albumsum.ui.sections import FIRST_ROWS
from albumsum.ui.window import MainWindow
from bench.synthetic_index import write_synthetic_faces
from tests.ui.conftest import make_context
from tests.ui.test_window import WAIT, open_and_index

SHARES = np.array([0.02, 0.9, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01])  # one emotion with three big groups


@pytest.fixture
def big(qtbot, tmp_path: Path) -> MainWindow:
    """A window on a synthetic index of 600 faces, each with a stored quality."""
    db = tmp_path / "big.sqlite"
    with IndexWriter(db) as store:
        write_synthetic_faces(store, 600, seed=1, shares=SHARES, thumbs=True)
        ids = store.faces().ids
        with store.batch():
            quality = np.random.default_rng(2).random(len(ids))
            store.set_quality([(int(f), float(q)) for f, q in zip(ids, quality, strict=True)])
    (tmp_path / "empty").mkdir()
    window = MainWindow(make_context(tmp_path))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    with qtbot.waitSignal(window.dataLoaded, timeout=WAIT):
        window.open_album(tmp_path / "empty", db, index=False)
    window.browse.emotions.setCurrentIndex(window.browse.emotion_model.index(1))
    qtbot.waitUntil(lambda: len(window.browse.grid.sections.sections) == 3, timeout=WAIT)
    yield window
    window.close()


def face_rect(grid, k: int, p: int):
    return grid.visualRect(grid.sections.index(grid.sections.face_row(k, p)))


def test_one_scroll_surface_holds_every_group(big: MainWindow) -> None:
    browse = big.browse
    assert not browse.findChildren(QScrollArea)  # no grid inside an outer scroll area
    shown = [a for a in browse.findChildren(QAbstractScrollArea) if a.isVisible()]  # (combo pop-ups are hidden)
    faces_areas = [a for a in shown if a is not browse.emotions]
    assert faces_areas == [browse.grid]
    model = browse.grid.sections
    groups = big.data.groups_of(1)
    assert [s.group.subclass for s in model.sections] == [g.subclass for g in groups]
    assert [model.data(model.index(r), Role.HEADER) for r in model.headers] == [True] * 3
    assert "Group 2" in model.data(model.index(model.headers[1]), Role.TITLE)


@pytest.mark.parametrize("width", [1000, 1600])
def test_columns_fill_the_width(qtbot, big: MainWindow, width: int) -> None:
    big.resize(width, 800)
    grid = big.browse.grid
    qtbot.waitUntil(lambda: grid.sections.columns == grid.columns_for(grid.viewport().width()), timeout=WAIT)
    cols, vw = grid.sections.columns, grid.viewport().width()
    assert cols == vw // grid.base_cell() and cols > 3
    qtbot.waitUntil(lambda: face_rect(grid, 0, cols - 1).right() + 1 == cols * grid.cell_width(), timeout=WAIT)
    assert vw - cols * grid.cell_width() < cols  # what is left at the right is rounding only
    assert face_rect(grid, 0, cols - 1).top() == face_rect(grid, 0, 0).top()  # one row...
    assert face_rect(grid, 0, cols).top() > face_rect(grid, 0, 0).top()  # ...then the next
    header = grid.visualRect(grid.sections.index(grid.sections.headers[1]))
    assert header.width() == vw and header.left() == 0  # a header spans the whole width


def test_show_all_expands_in_place(qtbot, big: MainWindow) -> None:
    grid = big.browse.grid
    model = grid.sections
    total = len(model.sections[0].order)
    assert model.shown(0) == FIRST_ROWS * model.columns < total
    header = model.index(model.headers[0])
    link = grid.delegate.link_rect(grid.visualRect(header), header)
    assert link.isValid()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=link.center())
    assert model.shown(0) == total and model.sections[0].expanded
    assert model.headers[1] == total + 1  # group 2's header follows all of group 1's faces
    assert grid.delegate.link_text(model.index(model.headers[0])) == "Show fewer"


def ctrl_wheel(grid, notches: int) -> None:
    pos = QPointF(grid.viewport().rect().center())
    event = QWheelEvent(
        pos,
        QPointF(grid.viewport().mapToGlobal(pos.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(grid.viewport(), event)


def test_ctrl_wheel_changes_the_thumbnail_size_and_keeps_it(qtbot, big: MainWindow) -> None:
    grid = big.browse.grid
    before, columns, scrolled = grid.thumb_size, grid.sections.columns, grid.verticalScrollBar().value()
    ctrl_wheel(grid, 3)
    assert grid.thumb_size == before + 24 and grid.delegate.size == before + 24
    assert grid.sections.columns < columns  # larger faces, fewer columns
    assert grid.verticalScrollBar().value() == scrolled  # zoomed, not scrolled
    assert big.ctx.settings.thumb_size == before + 24
    assert json.loads(big.ctx.settings_file.read_text())["thumb_size"] == before + 24
    summary = big.summary.grid  # the summary's faces follow, half as large again
    assert summary.cell == big.summary.side_for(before + 24) + 2 * PAD
    assert summary.model().rowCount() > 0
    qtbot.waitUntil(lambda: summary.visualRect(summary.model().index(0, 0)).width() == summary.cell, timeout=WAIT)
    ctrl_wheel(grid, -40)
    assert grid.thumb_size == 48  # the settings' smallest


def test_down_crosses_into_the_next_group_and_page_down_jumps(qtbot, big: MainWindow) -> None:
    grid = big.browse.grid
    model = grid.sections
    cols = model.columns
    grid.setFocus()
    start = model.face_row(0, model.shown(0) - cols + 1)  # the second column of group 1's last row
    grid.setCurrentIndex(model.index(start))
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    row = grid.currentIndex().row()
    assert (model.section_of(row), model.position(row)) == (1, 1)  # group 2's first row, same column
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert grid.currentIndex().row() == start
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)
    assert grid.currentIndex().row() == model.face_row(1, 0)
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)
    assert grid.currentIndex().row() == model.face_row(2, 0)
    qtbot.keyClick(grid, Qt.Key.Key_End)
    assert grid.currentIndex().row() == model.rowCount() - 1
    qtbot.keyClick(grid, Qt.Key.Key_Home)
    assert grid.currentIndex().row() == model.face_row(0, 0)
    assert big.details.face_id == int(model.data(grid.currentIndex(), Role.FACE_ID))  # selection drives details


def test_sort_by_quality_orders_by_the_stored_quality(qtbot, big: MainWindow) -> None:
    browse = big.browse
    with IndexReader(big.session.album.index_path) as index:
        stored = index.faces()
    quality = dict(zip(stored.ids.tolist(), stored.qualities.tolist(), strict=True))
    first = browse.grid.sections.sections[0].order
    assert np.any(np.diff([quality[int(f)] for f in first]) > 0)  # closeness order is not by quality
    browse.sort.setCurrentIndex(browse.sort.findData("quality"))
    for section in browse.grid.sections.sections:
        shown = [quality[int(f)] for f in section.order]
        assert shown == sorted(shown, reverse=True) and len(shown) == len(section.group)
    model = browse.grid.sections
    assert model.data(model.index(1), Role.FACE_ID) == int(model.sections[0].order[0])


def test_enter_opens_the_viewer_and_right_steps(qtbot, window: MainWindow, album: Path) -> None:
    open_and_index(qtbot, window, album)
    window.show_tab(0)
    grid = window.browse.grid
    big_group = max(range(len(grid.sections.sections)), key=lambda k: len(grid.sections.sections[k].order))
    order = [int(f) for f in grid.sections.sections[big_group].order]
    assert len(order) >= 2
    grid.setFocus()
    grid.setCurrentIndex(grid.sections.index(grid.sections.face_row(big_group, 0)))
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    viewer = window.viewer
    assert viewer.isVisible() and viewer.face_id == order[0]
    qtbot.waitUntil(lambda: viewer.photo.image is not None, timeout=WAIT)
    row = window.data.faces.row(order[0])
    assert viewer.photo.box.tolist() == window.data.faces.boxes[row].tolist()
    assert window.data.faces.paths[row] in viewer.caption.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.face_id == order[1] and "face 2 of" in viewer.caption.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


def test_rename_from_the_header_is_kept_and_summarized(qtbot, window: MainWindow, album: Path, capsys) -> None:
    open_and_index(qtbot, window, album)
    grid = window.browse.grid
    header = grid.sections.index(grid.sections.headers[0])
    qtbot.mouseDClick(
        grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(header).topLeft() + QPoint(40, 14)
    )
    dialog = window.browse.rename_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("Our smiles")
    data = window.data
    dialog.accept()
    qtbot.waitUntil(lambda: window.data is not data, timeout=WAIT)
    assert "Group 1: Our smiles" in grid.sections.data(grid.sections.index(0), Role.TITLE)
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        window.start_indexing()  # Album.index again
    capsys.readouterr()
    assert cli.main(["summarize", str(album), "--json"]) == cli.EXIT_OK
    emotion = window.browse.emotion
    entry = json.loads(capsys.readouterr().out)["emotions"][EMOTIONS[emotion]]["subclasses"][0]
    assert entry["name"] == "Our smiles" and entry["group"] == 1


def test_a_narrower_window_keeps_the_chosen_face_shown(qtbot, big: MainWindow) -> None:
    big.resize(1600, 800)
    grid = big.browse.grid
    qtbot.waitUntil(lambda: grid.sections.columns == grid.columns_for(grid.viewport().width()), timeout=WAIT)
    last = int(grid.sections.sections[0].order[grid.sections.shown(0) - 1])  # the last face group 1 shows
    assert big.browse.select_face(last)
    wide = grid.sections.columns
    big.resize(1000, 800)
    qtbot.waitUntil(lambda: grid.sections.columns < wide, timeout=WAIT)
    assert grid.current_face() == last and big.browse.current_face() == last
    assert grid.sections.sections[0].expanded  # it would be behind "Show all" otherwise


def test_the_settings_dialogs_thumbnail_size_applies_at_once(qtbot, big: MainWindow, monkeypatch) -> None:
    import dataclasses

    from albumsum.ui import menus

    class Accepting:  # the settings dialog, the user having chosen 120 px and pressed OK
        DialogCode = menus.SettingsDialog.DialogCode

        def __init__(self, settings, parent) -> None:
            self.settings = settings

        def exec(self):
            return self.DialogCode.Accepted

        def values(self):
            return dataclasses.replace(self.settings, thumb_size=120)

    monkeypatch.setattr(menus, "SettingsDialog", Accepting)
    grid = big.browse.grid
    assert grid.thumb_size != 120
    menus.settings_with_dialog(big)
    assert grid.thumb_size == 120 and grid.sections.columns == grid.columns_for(grid.viewport().width())
    assert big.ctx.settings.thumb_size == 120
    summary = big.summary.grid
    assert summary.model().rowCount() > 0
    qtbot.waitUntil(lambda: summary.visualRect(summary.model().index(0, 0)).width() == 180 + 2 * PAD, timeout=WAIT)
