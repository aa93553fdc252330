"""Start the window: ``albumsum`` or ``albumsum open [FOLDER]``."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from albumsum import __version__
from albumsum.ui.context import AppContext, ModelPipeline
from albumsum.ui.window import MainWindow


def check_qt_binding() -> None:
    """Refuse a PySide6 known to corrupt Python's reference counts here (a crash within seconds)."""
    import PySide6

    major_minor = tuple(int(x) for x in PySide6.__version__.split(".")[:2])
    if major_minor == (6, 12) and sys.version_info < (3, 12):
        raise RuntimeError(
            f"PySide6 {PySide6.__version__} crashes under Python {sys.version_info.major}.{sys.version_info.minor}; "
            'install PySide6-Essentials<6.12 (pip install "PySide6-Essentials<6.12") or use Python 3.12+'
        )


def preload() -> None:
    """Import the face pipeline's libraries now: an import on a worker thread holds the GIL for
    hundreds of milliseconds, which would freeze the window when the first album is indexed.

    Then move every object made so far out of the garbage collector's sight: the libraries leave
    ~270,000 objects that live as long as the app, and each full collection, which allocations
    start at any time (while scrolling too), would walk them all on the GUI thread (~250 ms)."""
    import sklearn.mixture  # noqa: F401
    import torch
    import torch.utils.serialization  # noqa: F401 - what torch.load imports on first use
    from PIL import Image

    import albumsum.core.faces
    import albumsum.core.inference
    import albumsum.core.mtcnn
    import albumsum.core.resources  # noqa: F401

    Image.init()  # every image plugin, else the first photo of each kind imports one on a worker
    gc.collect()
    gc.freeze()


def run_app(folder: Path | None = None, db: Path | None = None, model: Path | None = None) -> int:
    check_qt_binding()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("albumsum")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("albumsum")
    pool = QThreadPool()
    pool.setMaxThreadCount(4)  # indexing, index reads, thumbnails, photos/exports: the GUI thread stays free
    ctx = AppContext.create(pool=pool, pipeline=ModelPipeline(model))
    window = starting_window(ctx, folder)
    QTimer.singleShot(STARTUP_PAINT_MS, lambda: _after_first_paint(window, folder, db))
    return app.exec()


def starting_window(ctx: AppContext, folder: Path | None) -> MainWindow:
    """The window as it first shows, before the face model's libraries load: it says so, and what
    folder it is opening (the folder opens once they are loaded)."""
    window = MainWindow(ctx)
    window.show()
    window.statusBar().showMessage("Loading the face model…")
    if folder is not None:
        window.browse.set_opening(Path(folder).expanduser().resolve().name)
    return window


STARTUP_PAINT_MS = 100  # the window paints before the face model's libraries are loaded


def _after_first_paint(window: MainWindow, folder: Path | None, db: Path | None) -> None:
    """Load the pipeline's libraries (seconds: torch, scikit-learn) once the window is on screen,
    then open the folder asked for."""
    preload()
    window.statusBar().showMessage("Ready", 3000)
    if folder is not None:
        window.open_album(folder, db)
