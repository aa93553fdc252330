"""The longest GUI-thread stall of the window while it indexes a folder, while the groups of the
biggest emotion of 10,000 faces are shown in full ("Show all") and scrolled on the one grid, and while
emotions are switched. A 5 ms timer on the GUI thread records the gaps between its ticks; a gap is how long
the thread could not answer the user. Target: under ~50 ms. An idle phase (the window shown,
nothing to do) gives the stalls that the machine's other load alone causes.

    python bench/gui_stall.py [--album DIR] [--faces 10000] [--skip-index] [--single-pass]

``--single-pass`` lays the grid out in one pass, as before its batched layout (the "before" of
"Show all" on groups of thousands of faces).

Indexing uses the real face pipeline on the album (default: the shared test album when it is
present, else synthetic photos); scrolling uses a synthetic index (no photos needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PIL import Image
from PySide6.QtCore import QEventLoop, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QListView

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumsum.core.index import IndexWriter
from albumsum.ui.app import preload
from albumsum.ui.context import AppContext, ModelPipeline
from albumsum.ui.window import MainWindow
from bench.synthetic_index import write_synthetic_faces

SHARED_ALBUM = Path(__file__).resolve().parents[2] / "shared" / "data" / "album"
TICK_MS = 5
IDLE_S = 5.0  # seconds the shown window is left idle before scrolling


class StallMeter:
    """Gaps between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer(interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.last = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self.last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = np.asarray(self.gaps or [0.0])
        return {"ticks": len(gaps), "longest_ms": float(gaps.max()), "p99_ms": float(np.percentile(gaps, 99))}


def wait_for(signal, timeout_s: float) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def settle(seconds: float) -> None:
    """Run an event loop for ``seconds``, as the app's own loop would (the timer keeps measuring
    meanwhile): it sleeps when idle and runs deferred deletions, unlike ``processEvents`` polling."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def context(tmp: Path) -> AppContext:
    pool = QThreadPool()
    pool.setMaxThreadCount(4)
    return AppContext.create(pool=pool, pipeline=ModelPipeline(), settings_file=tmp / "settings.json")


def bench_index(album: Path, tmp: Path) -> dict[str, float]:
    window = MainWindow(context(tmp))
    window.show()
    meter = StallMeter()
    meter.start()
    t = time.perf_counter()
    window.open_album(album, tmp / "index.sqlite")
    wait_for(window.indexingFinished, 1800)
    wait_for(window.dataLoaded, 60)
    out = meter.stop()
    out["seconds"] = time.perf_counter() - t
    out["faces"] = len(window.data.faces) if window.data else 0
    window.close()
    return out


def synthetic_index(db: Path, n_faces: int, seed: int = 0) -> None:
    """``n_faces`` faces, four per photo, most of them happy (one long grid), with real JPEG thumbnails."""
    shares = np.array([0.1, 0.6, 0.08, 0.08, 0.05, 0.03, 0.03, 0.03])
    with IndexWriter(db) as store:
        write_synthetic_faces(store, n_faces, seed, shares=shares, thumbs=True)


def bench_scroll(n_faces: int, tmp: Path, single_pass: bool = False) -> tuple[dict[str, float], ...]:
    db = tmp / "big.sqlite"
    synthetic_index(db, n_faces)
    (tmp / "empty").mkdir(exist_ok=True)
    window = MainWindow(context(tmp))
    window.resize(1400, 900)
    window.show()
    window.open_album(tmp / "empty", db, index=False)
    wait_for(window.dataLoaded, 120)
    browse = window.browse
    browse.emotions.setCurrentIndex(browse.emotion_model.index(1))
    settle(0.5)  # lay the grid out
    grid, sections = browse.grid, browse.grid.sections
    if single_pass:
        grid.setLayoutMode(QListView.LayoutMode.SinglePass)
    meter = StallMeter()
    meter.start()  # the window doing nothing: what the machine's other load alone costs
    t = time.perf_counter()
    settle(IDLE_S)
    idle = meter.stop()
    idle["seconds"] = time.perf_counter() - t
    meter.start()
    t = time.perf_counter()
    for k in range(len(sections.sections)):  # "Show all" on every group of the big emotion
        grid.toggle(k)
        settle(0.3)
    expand = meter.stop()
    expand["seconds"] = time.perf_counter() - t
    expand["faces"] = sum(sections.shown(k) for k in range(len(sections.sections)))
    grid.scrollToTop()
    settle(0.3)
    meter.start()
    t = time.perf_counter()
    steps = 0
    bar = grid.verticalScrollBar()  # the one surface, top to bottom, a third of a row every 16 ms
    while bar.value() < bar.maximum():
        bar.setValue(bar.value() + grid.base_cell() // 3)
        steps += 1
        settle(0.016)
    out = meter.stop()
    out["seconds"] = time.perf_counter() - t
    out["faces"] = len(window.data.faces)
    out["scroll_steps"] = steps
    out["largest_grid"] = max(len(s.order) for s in sections.sections)
    meter.start()
    t = time.perf_counter()
    for c in [*range(8), 1]:  # through every emotion: each refills the grid with its groups
        browse.emotions.setCurrentIndex(browse.emotion_model.index(c))
        settle(0.3)
    switch = meter.stop()
    switch["seconds"] = time.perf_counter() - t
    window.close()
    return idle, expand, out, switch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--album", type=Path, default=SHARED_ALBUM if SHARED_ALBUM.is_dir() else None)
    ap.add_argument("--faces", type=int, default=10000)
    ap.add_argument("--skip-index", action="store_true")
    ap.add_argument(
        "--single-pass", action="store_true", help="lay the grid out in one pass, as before the batched layout"
    )
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    preload()  # what the app does before its window shows
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["ALBUMSUM_DATA_DIR"] = str(tmp_path / "data")
        if not args.skip_index:
            album = args.album
            if album is None:
                album = tmp_path / "photos"
                album.mkdir()
                rng = np.random.default_rng(0)
                for i in range(40):
                    Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)).save(album / f"{i}.jpg")
            results[f"indexing {album.name}"] = bench_index(album, tmp_path)
        idle, expand, scroll, switch = bench_scroll(args.faces, tmp_path, args.single_pass)
        results["idle (baseline)"] = idle
        results["show all, every group"] = expand
        results[f"scrolling {args.faces} faces"] = scroll
        results["switching emotions"] = switch
    print(f"{'phase':<28} {'longest stall':>14} {'99th pct':>10} {'ticks':>7} {'seconds':>8}  notes")
    for name, r in results.items():
        notes = ", ".join(f"{k}={r[k]}" for k in ("faces", "scroll_steps", "largest_grid") if k in r)
        stall = f"{r['longest_ms']:>11.1f} ms {r['p99_ms']:>7.1f} ms"
        print(f"{name:<28} {stall} {r['ticks']:>7} {r['seconds']:>8.1f}  {notes}")
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
