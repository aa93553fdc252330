"""The indexer over a tmp album: bad input, incremental runs, moves, deletes, stops and model changes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from albumsum.core import images
from albumsum.core.index import SCHEMA_VERSION, IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from albumsum.core.inference import Embedder
from albumsum.core.userdata import default_index_path
from tests.core.helpers import FakeDetector, make_embedder, sql, tree_snapshot, write_photo
from tests.core.test_images import oriented_jpeg, png_claiming

torch.set_num_threads(1)
SETTINGS = IndexSettings(min_face=5, photos_per_commit=3, workers=1)


def good_album(root: Path, n: int = 5) -> Path:
    for i in range(n):
        write_photo(root / f"p{i}.jpg", seed=i, size=(320, 120) if i == 0 else (160, 120))  # p0 has two faces
    return root


def run(album: Path, store: IndexWriter, detector: FakeDetector | None = None, **kw) -> FakeDetector:
    detector = detector or FakeDetector()
    run_to_end(index_album(album, store, detector, kw.pop("embedder", None) or make_embedder(), SETTINGS, **kw))
    return detector


@pytest.fixture
def store(tmp_path: Path):
    with IndexWriter(tmp_path / "index" / "a.sqlite") as s:
        yield s


def bad_corpus(root: Path) -> dict[str, str | None]:
    """Every kind of trouble in one folder; maps name -> expected error fragment (None: indexed fine)."""
    root.mkdir(parents=True)
    good = write_photo(root / "good one.jpg", seed=1)
    data = good.read_bytes()
    (root / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (root / "zero.jpg").write_bytes(b"")
    (root / "random.jpg").write_bytes(np.random.default_rng(0).integers(0, 256, 4000, np.uint8).tobytes())
    (root / "text.png").write_text("not an image\n")
    Image.new("CMYK", (120, 90), (10, 200, 30, 0)).save(root / "cmyk.jpg")
    Image.fromarray((np.arange(120 * 90).reshape(90, 120) * 6).astype(np.uint16)).save(root / "deep16.png")
    for k in range(1, 9):
        oriented_jpeg(root / f"orient{k}.jpg", k)
    (root / "bomb.png").write_bytes(png_claiming(40000, 40000))
    (root / "locked.jpg").write_bytes(data)
    os.symlink("loop_b.jpg", root / "loop_a.jpg")
    os.symlink("loop_a.jpg", root / "loop_b.jpg")
    (root / "sub dir").mkdir()
    os.symlink("..", root / "sub dir" / "parent")  # a folder loop
    shutil.copy(good, root / "sub dir" / "été à Zürich.jpg")
    (root / "notes.txt").write_text("ignored: not a photo")
    expected: dict[str, str | None] = {
        "truncated.jpg": "decode",
        "zero.jpg": "empty",
        "random.jpg": "not a supported image",
        "text.png": "not a supported image",
        "bomb.png": "bomb",
        "locked.jpg": "Permission denied",
        "loop_a.jpg": "symbolic link",
        "loop_b.jpg": "symbolic link",
    }
    for name in ("good one.jpg", "cmyk.jpg", "deep16.png", "sub dir/été à Zürich.jpg"):
        expected[name] = None
    for k in range(1, 9):
        expected[f"orient{k}.jpg"] = None
    return expected


def test_bad_corpus_is_recorded_and_the_album_is_untouched(tmp_path: Path, store: IndexWriter, monkeypatch) -> None:
    album = tmp_path / "album"
    expected = bad_corpus(album)
    real_read = images.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "locked.jpg":  # chmod 000 is no barrier to root: make the denial explicit
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(images, "read_bytes", read_bytes)
    (album / "locked.jpg").chmod(0)
    before = tree_snapshot(album)
    album.chmod(stat.S_IRUSR | stat.S_IXUSR)  # read-only album folder
    try:
        run(album, store)
    finally:
        album.chmod(0o755)
        (album / "locked.jpg").chmod(0o644)
    (album / "locked.jpg").chmod(0)
    assert tree_snapshot(album) == before
    rows = store.photos()
    assert set(rows) == set(expected), set(rows) ^ set(expected)
    for name, fragment in expected.items():
        row = rows[name]
        if fragment is None:
            assert row.status == "ok", (name, row.error)
        else:
            assert row.status == "error" and fragment in row.error, (name, row.error)
    counts = store.counts()
    # the two good copies share one content; with cmyk, deep16 and the eight orientations: 11 photos, a face each
    assert counts["contents"] == 11 and counts["faces"] == 11
    assert store.integrity_ok()


def test_orientation_gives_upright_sizes(tmp_path: Path, store: IndexWriter) -> None:
    album = tmp_path / "album"
    album.mkdir()
    for k in (1, 6):
        oriented_jpeg(album / f"o{k}.jpg", k)
    run(album, store)
    sizes = dict(sql(store, "SELECT p.path, c.width FROM photos p JOIN contents c ON c.hash = p.hash"))
    assert sizes == {"o1.jpg": 60, "o6.jpg": 60}


def test_unchanged_album_is_not_read_again(tmp_path: Path, store: IndexWriter) -> None:
    album = good_album(tmp_path / "album")
    assert run(album, store).calls == 5
    counts = store.counts()
    assert counts == {"photos": 5, "errors": 0, "contents": 5, "faces": 6}
    assert run(album, store).calls == 0
    assert store.counts() == counts


def test_changed_file_is_read_again_and_its_old_faces_leave(tmp_path: Path, store: IndexWriter) -> None:
    album = good_album(tmp_path / "album")
    run(album, store)
    write_photo(album / "p0.jpg", seed=99, size=(160, 120))  # two faces -> one
    os.utime(album / "p0.jpg", ns=(1, 1))
    assert run(album, store).calls == 1
    assert store.counts()["faces"] == 5 and store.counts()["contents"] == 5


def test_moved_file_keeps_its_faces_and_deleted_file_leaves(tmp_path: Path, store: IndexWriter) -> None:
    album = good_album(tmp_path / "album")
    run(album, store)
    ids = sql(store, "SELECT f.id FROM faces f JOIN photos p ON p.hash = f.hash WHERE p.path = 'p1.jpg'")
    (album / "new").mkdir()
    (album / "p1.jpg").rename(album / "new" / "renamed.jpg")
    (album / "p2.jpg").unlink()
    assert run(album, store).calls == 0  # the moved file is hashed, not detected again
    assert ids == sql(
        store, "SELECT f.id FROM faces f JOIN photos p ON p.hash = f.hash WHERE p.path = ?", ("new/renamed.jpg",)
    )
    assert "p2.jpg" not in store.photos() and store.counts() == {"photos": 4, "errors": 0, "contents": 4, "faces": 5}


def test_file_deleted_during_the_scan_is_dropped(tmp_path: Path, store: IndexWriter) -> None:
    album = good_album(tmp_path / "album")

    class Deleter(FakeDetector):
        def detect(self, images):
            (album / "p4.jpg").unlink(missing_ok=True)
            return super().detect(images)

    settings = IndexSettings(min_face=5, workers=0)  # read lazily, so p4 is still to be read
    run_to_end(index_album(album, store, Deleter(), make_embedder(), settings))
    assert "p4.jpg" not in store.photos() and store.counts()["photos"] == 4


@pytest.mark.parametrize("how", ["flag", "close"])
def test_stop_between_photos_then_resume(tmp_path: Path, store: IndexWriter, how: str) -> None:
    album = good_album(tmp_path / "album", n=8)
    stop = {"now": False}
    gen = index_album(album, store, FakeDetector(), make_embedder(), SETTINGS, should_stop=lambda: stop["now"])
    for progress in gen:
        if progress.done == 4:
            if how == "close":
                gen.close()
                break
            stop["now"] = True
    partial = store.counts()
    assert 4 <= partial["photos"] < 8  # what was complete is kept
    detector = run(album, store)
    assert detector.calls == 8 - partial["photos"]
    assert store.counts() == {"photos": 8, "errors": 0, "contents": 8, "faces": 9} and store.integrity_ok()


def test_new_model_reembeds_stored_crops_without_detecting(tmp_path: Path, store: IndexWriter) -> None:
    album = good_album(tmp_path / "album")
    run(album, store, embedder=make_embedder(seed=0))
    first = sql(store, "SELECT id, embedding, model FROM faces ORDER BY id")
    other = make_embedder(seed=1)
    progress = list(index_album(album, store, FakeDetector(), other, SETTINGS))
    assert [p.phase for p in progress] == ["embed"] and progress[-1].done == 6
    second = sql(store, "SELECT id, embedding, model FROM faces ORDER BY id")
    assert [r[0] for r in first] == [r[0] for r in second]
    assert all(a[1] != b[1] and a[2] != b[2] for a, b in zip(first, second, strict=True))
    crops = np.stack(
        [np.frombuffer(c, np.uint8).reshape(48, 48) for (c,) in sql(store, "SELECT crop FROM faces ORDER BY id")]
    )
    np.testing.assert_allclose(np.frombuffer(second[0][1], np.float32), other.embed(crops)[0], atol=1e-5)


@pytest.mark.parametrize("refit", ["sigma", "subclasses"])
def test_a_refitted_model_with_the_same_network_recomputes_the_faces(tmp_path: Path, store: IndexWriter, refit) -> None:
    """A checkpoint refitted without training (a new posterior sigma or new sub-class mixtures)
    keeps its weights and creation time, and the faces' posteriors and sub-classes still follow it."""
    album = good_album(tmp_path / "album")
    first = make_embedder(seed=0)
    run(album, store, embedder=first)
    checkpoint = dict(first.checkpoint)
    if refit == "sigma":
        checkpoint["sigma"] = 0.05
    else:
        checkpoint["subclasses"] = {
            name: {**gmm, "means": gmm["means"].flip(0)} for name, gmm in checkpoint["subclasses"].items()
        }
    before = sql(store, "SELECT id, posterior, subclass, model FROM faces ORDER BY id")
    progress = list(index_album(album, store, FakeDetector(), Embedder(checkpoint, device="cpu"), SETTINGS))
    assert [p.phase for p in progress] == ["embed"]
    after = sql(store, "SELECT id, posterior, subclass, model FROM faces ORDER BY id")
    assert all(a[3] != b[3] for a, b in zip(before, after, strict=True))
    column = 1 if refit == "sigma" else 2
    assert any(a[column] != b[column] for a, b in zip(before, after, strict=True))


def test_a_model_with_another_framing_cuts_the_faces_again_from_the_photos(tmp_path: Path, store: IndexWriter) -> None:
    from albumsum.core.framing import DEFAULT_FRAMING, Framing
    from albumsum.core.inference import Embedder
    from tests.core.helpers import make_checkpoint

    album = good_album(tmp_path / "album")
    run(album, store)
    first = sql(store, "SELECT crop, framing FROM faces ORDER BY hash, idx")
    assert {f for _, f in first} == {DEFAULT_FRAMING.identity}
    wide = Framing(scale=1.2)
    checkpoint = make_checkpoint()
    checkpoint["input_spec"] = {**checkpoint["input_spec"], "framing": wide.to_spec()}
    detector = run(album, store, embedder=Embedder(checkpoint, device="cpu"))
    assert detector.calls == 5  # every photo read and its faces found again
    second = sql(store, "SELECT crop, framing FROM faces ORDER BY hash, idx")
    assert len(second) == len(first) == 6 and {f for _, f in second} == {wide.identity}
    assert all(a != b for (a, _), (b, _) in zip(first, second, strict=True))  # cut wider
    assert run(album, store, embedder=Embedder(checkpoint, device="cpu")).calls == 0  # and only once


def test_index_lives_outside_the_album(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ALBUMSUM_DATA_DIR", str(tmp_path / "data"))
    album = good_album(tmp_path / "album", n=1)
    path = default_index_path(album)
    assert path.is_relative_to(tmp_path / "data") and not path.is_relative_to(album)
    with IndexWriter(path, album) as s:
        run(album, s)
        assert s.meta("album_root") == str(album.resolve()) and s.meta("schema_version") == str(SCHEMA_VERSION)
    assert sorted(p.name for p in album.iterdir()) == ["p0.jpg"]


def test_small_face_in_a_big_photo_is_cropped_from_a_sharper_decode(tmp_path: Path, store: IndexWriter) -> None:
    from albumsum.core.faces import Face, align_crop
    from albumsum.core.images import read_photo

    album = tmp_path / "album"
    rng = np.random.default_rng(5)
    big = Image.fromarray(rng.integers(0, 255, (150, 200, 3), np.uint8)).resize((2000, 1500), Image.NEAREST)
    album.mkdir()
    big.save(album / "big.jpg", quality=95)
    lm = np.array([[980, 700], [1020, 700], [1000, 722], [984, 743], [1016, 743]], np.float32)  # eyes 40 px apart

    class Tiny:
        def detect(self, images):
            return [[Face((970, 680, 1030, 760), lm, 0.99)] for _ in images]

    settings = IndexSettings(detect_side=256, min_face=5, workers=0)
    run_to_end(index_album(album, store, Tiny(), make_embedder(), settings))
    (crop,) = sql(store, "SELECT crop FROM faces")[0]
    stored = np.frombuffer(crop, np.uint8).reshape(48, 48).astype(int)
    sharp = align_crop(Face((0, 0, 1, 1), lm, 1.0), read_photo(album / "big.jpg", max_side=None).image).crop
    blurry = align_crop(Face((0, 0, 1, 1), lm, 1.0), read_photo(album / "big.jpg", max_side=256).image).crop
    assert np.abs(stored - sharp).mean() < 0.5 * np.abs(blurry.astype(int) - sharp).mean()


def test_batching_detector_gets_several_photos_per_call_and_the_same_index(tmp_path: Path) -> None:
    class Batching(FakeDetector):
        batch = True

        def __init__(self) -> None:
            super().__init__()
            self.sizes: list[int] = []

        def detect(self, images):
            self.sizes.append(len(images))
            return super().detect(images)

    album = good_album(tmp_path / "album", n=7)
    results = []
    for detector in (FakeDetector(), Batching()):
        with IndexWriter(tmp_path / f"{type(detector).__name__}.sqlite") as s:
            run(album, s, detector)
            results.append(sql(s, "SELECT p.path, f.x0, f.crop FROM faces f JOIN photos p USING (hash) ORDER BY 1, 2"))
    assert results[0] == results[1] and len(results[0]) == 8
    assert detector.sizes == [3, 3, 1]  # photos_per_commit at a time
