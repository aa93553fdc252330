"""kill -9 in the middle of indexing, twice, then finish: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import torch

from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from tests.core.helpers import FakeDetector, make_embedder, sql, write_photo

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]
N = 40  # photos; every fifth is wide and has two faces


def stored_photos(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # schema not created yet


def start_and_kill(album: Path, db: Path, after: int) -> int:
    """Start the slow indexer in a child process; SIGKILL it once ``after`` photos are stored."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-m", "tests.core.kill_target", str(album), str(db)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while stored_photos(db) < after and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.045)  # land somewhere inside the next batch
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return stored_photos(db)


def test_kill_9_twice_then_resume(tmp_path: Path) -> None:
    album = tmp_path / "album"
    for i in range(N):
        write_photo(album / f"p{i:02d}.jpg", seed=i, size=(320, 120) if i % 5 == 0 else (160, 120))
    db = tmp_path / "index.sqlite"
    first = start_and_kill(album, db, after=6)
    second = start_and_kill(album, db, after=first + 9)
    assert 0 < first < second < N, (first, second)  # really killed mid-way, and the second run went on
    with IndexWriter(db) as store:
        assert store.integrity_ok()
        before = store.counts()["photos"]
        detector = FakeDetector()
        run_to_end(index_album(album, store, detector, make_embedder(), IndexSettings(min_face=5)))
        assert detector.calls == N - before  # only the photos not committed before the kills are read
        assert store.counts() == {"photos": N, "errors": 0, "contents": N, "faces": N + N // 5}
        assert sql(store, "SELECT SUM(n_faces) FROM contents")[0][0] == N + N // 5
        doubled = "SELECT COUNT(*) FROM (SELECT hash, idx FROM faces GROUP BY hash, idx HAVING COUNT(*) > 1)"
        assert sql(store, doubled) == [(0,)]
        assert store.integrity_ok()


def test_kill_9_while_videos_are_read_then_resume(tmp_path: Path) -> None:
    """Videos among the photos (the kills land wherever the scan is): the rerun reads what was not
    committed, each video whole and once."""
    import pytest

    pytest.importorskip("av")
    from tests.core.test_video import write_clip
    from tests.core.test_video_index import stills

    album = tmp_path / "album"
    photos, clips = 12, 3  # three different clips (the same bytes twice would be one content)
    for i in range(photos):
        write_photo(album / f"p{i:02d}.jpg", seed=i, size=(160, 120))
    scenes = stills(tmp_path / "frames")
    for k in range(clips):  # p02a.mp4 sorts between p02.jpg and p03.jpg: videos come mid-scan
        write_clip(album / f"p{3 * k + 2:02d}a.mp4", scenes[k % 3 :] + scenes[: k % 3], seconds_each=2.0)
    digests = {p.name: p.read_bytes() for p in album.glob("*.mp4")}
    db = tmp_path / "index.sqlite"
    first = start_and_kill(album, db, after=3)
    second = start_and_kill(album, db, after=first + 4)
    total = photos + clips
    assert 0 < first < second < total, (first, second)
    with IndexWriter(db) as store:
        assert store.integrity_ok()
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), IndexSettings(min_face=5)))
        counts = store.counts()
        assert counts["photos"] == total and counts["errors"] == 0
        assert counts["faces"] == photos + 3 * clips  # one face a scene of each clip, none doubled
        doubled = "SELECT COUNT(*) FROM (SELECT hash, idx FROM faces GROUP BY hash, idx HAVING COUNT(*) > 1)"
        assert sql(store, doubled) == [(0,)]
        positions = sql(store, "SELECT COUNT(*) FROM faces WHERE position IS NOT NULL")[0][0]
        assert positions == 3 * clips
    assert {p.name: p.read_bytes() for p in album.glob("*.mp4")} == digests  # videos only read
