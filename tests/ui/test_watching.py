"""An open album follows its folder: added, changed and deleted photos reach the window by themselves."""

from __future__ import annotations

import os
from pathlib import Path

from albumsum.ui.window import MainWindow
from tests.core.helpers import write_photo
from tests.ui.conftest import make_album, make_context

WAIT = 20000


def test_the_window_indexes_what_changes_in_the_open_folder(qtbot, tmp_path: Path) -> None:
    album = make_album(tmp_path / "album", n=3)
    ctx = make_context(tmp_path)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.indexingFinished, timeout=WAIT):
        assert window.open_album(album)
    qtbot.waitUntil(lambda: window.data is not None and window.data.counts.get("photos") == 3, timeout=WAIT)
    watcher = window.session.watcher
    assert watcher is not None
    watcher.timer.setInterval(150)  # look often, so the test is quick

    write_photo(album / "added.jpg", seed=9)
    qtbot.waitUntil(lambda: window.data.counts.get("photos") == 4, timeout=WAIT)
    assert "added.jpg" in window.data.faces.paths

    (album / "p1.jpg").unlink()
    write_photo(album / "p2.jpg", seed=21, size=(320, 120))  # now a wide photo: two faces
    os.utime(album / "p2.jpg", ns=(1, 2_000_000_000_000_000_000))
    qtbot.waitUntil(lambda: window.data.counts.get("photos") == 3, timeout=WAIT)
    qtbot.waitUntil(lambda: window.data.faces.paths.count("p2.jpg") == 2, timeout=WAIT)
    assert "p1.jpg" not in window.data.faces.paths
    window.close()
