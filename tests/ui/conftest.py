"""The window offscreen, over a fake face pipeline, with settings and indexes in tmp folders."""

from __future__ import annotations

import os
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest
import torch
from PySide6.QtCore import QThreadPool

from albumsum.core.indexer import IndexSettings
from albumsum.ui.context import AppContext
from albumsum.ui.window import MainWindow
from tests.core.helpers import FakeDetector, make_embedder, write_photo

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and documents in tmp: no test touches the user's real folders."""
    monkeypatch.setenv("ALBUMSUM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ALBUMSUM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


class SlowDetector(FakeDetector):
    """The fake detector, slowed by a gate the test opens photo by photo (to cancel mid-way)."""

    def __init__(self, gate) -> None:
        super().__init__()
        self.gate = gate

    def detect(self, images):
        self.gate()
        return super().detect(images)


def make_context(tmp_path: Path, detector=None, pool=None, embedder=None) -> AppContext:
    embedder = embedder or make_embedder()
    det = detector or FakeDetector()
    pool = pool or QThreadPool()
    return AppContext.create(
        pool=pool,
        pipeline=lambda settings: (det, embedder),
        settings_file=tmp_path / "config" / "settings.json",
        index_defaults=IndexSettings(min_face=5, photos_per_commit=3, workers=1),
    )


def make_album(root: Path, n: int = 6, corrupt: bool = False) -> Path:
    for i in range(n):
        write_photo(root / f"p{i}.jpg", seed=i, size=(320, 120) if i == 0 else (160, 120))
    if corrupt:
        (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return root


@pytest.fixture
def album(tmp_path: Path) -> Path:
    return make_album(tmp_path / "album", corrupt=True)


@pytest.fixture
def window(qtbot, tmp_path: Path):
    ctx = make_context(tmp_path)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
