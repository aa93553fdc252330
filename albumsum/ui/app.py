"""Start the window: ``albumsum`` or ``albumsum open [FOLDER]``."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from albumsum import __version__
from albumsum.ui.context import AppContext, ModelPipeline
from albumsum.ui.window import MainWindow


def run_app(folder: Path | None = None, db: Path | None = None, model: Path | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("albumsum")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("albumsum")
    pool = QThreadPool()
    pool.setMaxThreadCount(4)  # indexing, index reads, thumbnails, photos/exports: the GUI thread stays free
    ctx = AppContext.create(pool=pool, pipeline=ModelPipeline(model))
    window = MainWindow(ctx)
    window.show()
    if folder is not None:
        window.open_album(folder, db)
    return app.exec()
