"""Watch mode: an added, a changed and a deleted photo are noticed, and indexed by the next run."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from albumsum.core.watch import album_state, changed_paths, watch_changes
from tests.core.helpers import FakeDetector, make_embedder, write_photo


def test_changed_paths_names_additions_changes_and_removals() -> None:
    before = {"a.jpg": (1, 1), "b.jpg": (2, 2), "c.jpg": (3, 3)}
    after = {"a.jpg": (1, 1), "b.jpg": (2, 5), "d.jpg": (4, 4)}
    assert changed_paths(before, after) == {"b.jpg", "c.jpg", "d.jpg"}


def test_a_file_still_being_written_is_reported_once_it_settles(tmp_path: Path) -> None:
    """Fake time: the file grows over two polls and is reported once, complete."""
    album = tmp_path / "album"
    album.mkdir()
    steps = iter([b"\xff\xd8\xff" + b"x" * 10, b"\xff\xd8\xff" + b"x" * 20, None, None])

    def sleep(_: float) -> None:
        step = next(steps, None)
        if step is not None:
            (album / "new.jpg").write_bytes(step)

    changes = watch_changes(album, sleep=sleep)
    assert next(changes) == {"new.jpg"}


def test_changes_since_an_earlier_listing_are_reported_at_the_first_look(tmp_path: Path) -> None:
    """A photo added and one deleted after ``since`` was listed (while a first index ran) are reported
    without any later change; a watch that lists the folder itself only when it starts sees none."""
    album = tmp_path / "album"
    write_photo(album / "p0.jpg", seed=0)
    write_photo(album / "p1.jpg", seed=1)
    before = album_state(album)
    write_photo(album / "added.jpg", seed=2)
    (album / "p0.jpg").unlink()
    sleeps: list[float] = []
    assert next(watch_changes(album, interval=2.0, settle=1.0, sleep=sleeps.append, since=before)) == {
        "added.jpg",
        "p0.jpg",
    }
    assert sleeps == [1.0]  # the settle check, without first waiting an interval
    looks = iter(range(4))
    assert list(watch_changes(album, sleep=lambda _: None, should_stop=lambda: next(looks, None) is None)) == []


def test_index_watch_notices_a_photo_added_while_the_first_index_ran(tmp_path: Path, monkeypatch) -> None:
    """``albumsum index --watch`` compares against the folder as it was before its first run, so a
    photo that arrived after that run listed the folder is indexed by the watch."""
    from albumsum import cli
    from tests.core.helpers import write_checkpoint

    album = tmp_path / "album"
    write_photo(album / "p0.jpg", seed=0)
    db, model = tmp_path / "index.sqlite", write_checkpoint(tmp_path / "tiny.pt")
    real_index_once, real_watch = cli._index_once, cli.watch_changes
    photos_after_run: list[int] = []
    deadline = time.monotonic() + 60  # a watch that never notices ends the test instead of hanging it

    def index_once(album_, args, stop, redetect=False) -> None:
        real_index_once(album_, args, stop, redetect)
        photos_after_run.append(_photos_in(db))
        if len(photos_after_run) == 1:  # the run has listed and indexed the folder: a photo arrives late
            write_photo(album / "added.jpg", seed=5)
        else:
            stop.stop = True

    def watch(root, should_stop, since):
        def done() -> bool:
            return should_stop() or time.monotonic() > deadline

        return real_watch(root, interval=0.1, settle=0.1, should_stop=done, since=since)

    monkeypatch.setattr(cli, "_index_once", index_once)
    monkeypatch.setattr(cli, "watch_changes", watch)
    argv = ["index", str(album), "--db", str(db), "--model", str(model), "--watch", "--quiet", "--workers", "1"]
    assert cli.main(argv) == cli.EXIT_OK
    assert photos_after_run == [1, 2]


def test_watching_an_album_indexes_added_changed_and_deleted_photos(tmp_path: Path) -> None:
    album = tmp_path / "album"
    for i in range(3):
        write_photo(album / f"p{i}.jpg", seed=i)
    settings = IndexSettings(min_face=5, workers=0)
    with IndexWriter(tmp_path / "index.sqlite", album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), settings))
        assert store.counts()["photos"] == 3
        stop = threading.Event()
        deadline = time.monotonic() + 30  # a watcher that never notices fails the test instead of hanging it
        seen: list[set[str]] = []

        def edit() -> None:
            time.sleep(0.3)
            write_photo(album / "added.jpg", seed=7)
            (album / "p0.jpg").unlink()
            write_photo(album / "p1.jpg", seed=11, size=(200, 150))  # changed content
            os.utime(album / "p1.jpg", ns=(1, 2_000_000_000_000_000_000))

        threading.Thread(target=edit, daemon=True).start()
        for changed in watch_changes(
            album, interval=0.2, settle=0.3, should_stop=lambda: stop.is_set() or time.monotonic() > deadline
        ):
            seen.append(changed)
            run_to_end(index_album(album, store, FakeDetector(), make_embedder(), settings))
            if set().union(*seen) >= {"added.jpg", "p0.jpg", "p1.jpg"}:
                stop.set()
        photos = store.photos()
        assert sorted(photos) == ["added.jpg", "p1.jpg", "p2.jpg"]
        assert photos["p1.jpg"].size == (album / "p1.jpg").stat().st_size


def _photos_in(db: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    except sqlite3.OperationalError:
        return -1


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_albumsum_index_watch_follows_the_folder_until_ctrl_c(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from tests.core.helpers import write_checkpoint

    album = tmp_path / "album"
    for i in range(2):
        write_photo(album / f"p{i}.jpg", seed=i)
    db, model = tmp_path / "index.sqlite", write_checkpoint(tmp_path / "tiny.pt")
    command = [sys.executable, "-m", "albumsum", "index", str(album), "--db", str(db), "--model", str(model)]
    proc = subprocess.Popen([*command, "--watch", "--quiet", "--workers", "1"], stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: _photos_in(db) == 2), "the first index did not finish"
        write_photo(album / "added.jpg", seed=5)
        assert _wait_for(lambda: _photos_in(db) == 3), "an added photo was not indexed"
        (album / "p0.jpg").unlink()
        assert _wait_for(lambda: _photos_in(db) == 2), "a deleted photo stayed in the index"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "watching" in err
