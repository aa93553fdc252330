"""The album layer: one rule for the index location, settings.json under the CLI's flags."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from albumsum import cli
from albumsum.core.album import Album, ExportPlan, ModelPipeline, index_location
from albumsum.core.emotions import EMOTIONS
from albumsum.core.index import IndexWriter
from albumsum.core.settings import Settings
from albumsum.core.summary import group_caption
from albumsum.core.userdata import default_index_path
from tests.core.helpers import (
    FakeDetector,
    fake_mtcnn,
    make_embedder,
    tree_snapshot,
    write_checkpoint,
    write_photo,
    write_settings,
)

torch.set_num_threads(1)


def two_sizes(root: Path) -> Path:
    """Two photos whose fake face is 72 px, two whose face is 36 px."""
    for i in range(2):
        write_photo(root / f"big{i}.jpg", size=(160, 120), seed=i)
        write_photo(root / f"small{i}.jpg", size=(80, 60), seed=10 + i)
    return root


def test_index_location_one_rule(tmp_path: Path) -> None:
    album = tmp_path / "a"
    assert index_location(album, Settings()) == default_index_path(album)
    chosen = Settings(index_location=str(tmp_path / "idx"))
    assert index_location(album, chosen) == tmp_path / "idx" / default_index_path(album).name
    assert index_location(album, chosen, tmp_path / "x.sqlite") == tmp_path / "x.sqlite"
    assert Album(album, chosen).index_path == index_location(album, chosen)


def test_index_command_honours_settings_json(tmp_path: Path, monkeypatch, capsys) -> None:
    """Done-when of issue 12: index folder and minimum face size from settings.json, summarize finds it."""
    album = two_sizes(tmp_path / "album")
    idx = tmp_path / "chosen indexes"
    write_settings(Path(os.environ["ALBUMSUM_CONFIG_DIR"]), index_location=str(idx), min_face=60)
    built = fake_mtcnn(monkeypatch)
    model = write_checkpoint(tmp_path / "m.pt")
    argv = ["index", str(album), "--model", str(model), "--device", "cpu", "--quiet", "--workers", "0"]
    assert cli.main(argv) == cli.EXIT_OK
    assert built == [60.0]  # the detector was built with the stored size
    written = list(idx.glob("*.sqlite"))
    assert written == [idx / default_index_path(album).name]
    assert not default_index_path(album).exists()  # not in the user data folder
    capsys.readouterr()
    assert cli.main(["summarize", str(album), "--json"]) == cli.EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["photos"] == 4 and summary["faces"] == 2  # the 36 px faces were not kept

    other = tmp_path / "flag.sqlite"
    assert cli.main([*argv, "--db", str(other), "--min-face", "20"]) == cli.EXIT_OK  # flags beat the file
    capsys.readouterr()
    assert cli.main(["summarize", str(album), "--db", str(other), "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["faces"] == 4
    assert built[-1] == 20.0


def test_a_flag_out_of_the_settings_range_is_a_usage_error(tmp_path: Path, capsys) -> None:
    album = two_sizes(tmp_path / "album")
    assert cli.main(["index", str(album), "--min-face", "2", "--quiet"]) == cli.EXIT_USAGE
    assert "--min-face" in capsys.readouterr().err


def test_album_index_snapshot_and_export(tmp_path: Path) -> None:
    folder = two_sizes(tmp_path / "album")
    embedder = make_embedder()
    seen: list[Settings] = []

    def pipeline(settings: Settings):
        seen.append(settings)
        return FakeDetector(), embedder

    settings = Settings(min_face=30, summary_size=2)
    album = Album(folder, settings, pipeline, tmp_path / "i.sqlite")
    assert album.snapshot() is None and not album.is_indexed()
    records = list(album.index())
    assert records[0].phase == "model" and records[-1].done == records[-1].total
    assert seen == [settings]
    data = album.snapshot()
    assert data is not None and len(data.faces) == 4 and data.counts["photos"] == 4
    assert sum(len(g) for g in data.groups) == 4
    assert {data.faces.paths[r] for r in data.rows_by_hash[data.faces.hashes[0]]} == {data.faces.paths[0]}
    before = tree_snapshot(folder)
    out = tmp_path / "out"
    written = album.export(ExportPlan(html=out / "html", csv=out / "f.csv", summary=out / "s"), data)
    assert written == [out / "html" / "index.html", out / "s" / "index.html", out / "f.csv"]
    assert len(list((out / "s").glob("*.jpg"))) == 2  # the settings' summary size
    numbers = {(g.emotion, g.subclass): k for e in range(8) for k, g in enumerate(data.groups_of(e), start=1)}
    expected = {f"{EMOTIONS[p.emotion]}-group{numbers[(p.emotion, p.subclass)]}" for p in album.picks(data)}
    assert {
        "-".join(f.name.split("-")[1:3]) for f in (out / "s").glob("*.jpg")
    } == expected  # as the window numbers them
    assert "sub-class" not in (out / "s" / "index.html").read_text(encoding="utf-8")
    page = (out / "html" / "index.html").read_text(encoding="utf-8")
    assert all(group_caption(g, data.faces) in page for g in data.groups)  # each group in words
    assert tree_snapshot(folder) == before


def test_export_of_an_album_not_indexed_says_so(tmp_path: Path) -> None:
    album = Album(tmp_path, Settings(), lambda s: pytest.fail("no pipeline needed"), tmp_path / "none.sqlite")
    with pytest.raises(FileNotFoundError, match="not indexed"):
        album.export(ExportPlan(csv=tmp_path / "f.csv"))


def test_a_snapshot_reads_only_the_faces_added_since_the_last_one(tmp_path: Path, monkeypatch) -> None:
    from albumsum.core.index import IndexReader

    folder = tmp_path / "album"
    for i in range(6):
        write_photo(folder / f"p{i}.jpg", seed=i)
    album = Album(folder, Settings(), lambda s: (FakeDetector(), make_embedder()), tmp_path / "i.sqlite")
    album.index_defaults = dataclasses.replace(album.index_defaults, photos_per_commit=2, workers=0)
    seen = []
    for p in album.index():
        seen.append(p)
        if p.phase == "index" and p.done == 3:
            break  # stop half-way: the generator is closed, what was done is written
    first = album.snapshot()
    assert first is not None and 0 < len(first.faces) < 6
    reads: list[int] = []
    real = IndexReader.faces
    monkeypatch.setattr(IndexReader, "faces", lambda self, after=0: reads.append(after) or real(self, after))
    list(album.index())
    second = album.snapshot(first)
    assert reads == [int(first.faces.ids[-1])]  # only the new faces were read
    fresh = album.snapshot()
    np.testing.assert_array_equal(second.faces.ids, fresh.faces.ids)
    np.testing.assert_array_equal(second.faces.embeddings, fresh.faces.embeddings)
    assert second.faces.paths == fresh.faces.paths and second.counts == fresh.counts
    assert [list(g.face_ids) for g in second.groups] == [list(g.face_ids) for g in fresh.groups]
    assert album.snapshot(second) is second  # nothing changed: nothing to redo
    (folder / "p0.jpg").unlink()
    list(album.index())
    reads.clear()
    third = album.snapshot(second)
    assert reads == [0] and len(third.faces) == 5 and "p0.jpg" not in third.faces.paths  # a removal: read again


def test_redetect_applies_a_new_minimum_face_size_to_unchanged_photos(tmp_path: Path) -> None:
    folder = two_sizes(tmp_path / "album")
    embedder = make_embedder()
    album = Album(folder, Settings(min_face=30), lambda s: (FakeDetector(), embedder), tmp_path / "i.sqlite")
    list(album.index())
    assert album.counts()["faces"] == 4
    album.settings = Settings(min_face=50)
    list(album.index())  # unchanged photos are not read again: the old faces stay
    assert album.counts()["faces"] == 4
    list(album.index(redetect=True))
    assert album.counts()["faces"] == 2  # only the 72 px faces are kept
    album.settings = Settings(min_face=30)
    list(album.index(redetect=True))
    assert album.counts()["faces"] == 4


def test_an_unchanged_album_is_re_indexed_without_loading_the_model(tmp_path: Path, monkeypatch) -> None:
    """Nothing new, changed or gone, and the same model file and settings: no model is built; any
    of those changing, or an interrupted last run, brings the full run back."""
    album = two_sizes(tmp_path / "album")
    built = fake_mtcnn(monkeypatch)
    model = write_checkpoint(tmp_path / "m.pt")
    db = tmp_path / "db.sqlite"

    def run(**settings) -> int:
        """Index with a fresh Album (a new process, as the CLI is); how many pipelines were built."""
        before = len(built)
        a = Album(album, Settings(device="cpu", **settings), ModelPipeline(model, workers=0), db=db)
        counts = _drain(a.index())
        assert counts["photos"] == len(list(album.iterdir()))
        return len(built) - before

    assert run() == 1
    assert run() == 0  # up to date: the model is not loaded
    write_photo(album / "new.jpg", size=(160, 120), seed=7)
    assert run() == 1  # a new photo
    assert run() == 0
    (album / "new.jpg").unlink()
    assert run() == 1  # a photo gone
    os.utime(model, ns=(1, 1))
    assert run() == 1  # the model file changed
    assert run(min_face=30) == 1  # another minimum face size
    assert run(min_face=30) == 0
    stopped = Album(album, Settings(device="cpu", min_face=30), ModelPipeline(model, workers=0), db=db)
    _drain(stopped.index(redetect=True, should_stop=lambda: True))  # a run that did not finish
    with IndexWriter(db) as store:
        assert store.meta("last_complete_run") == ""  # leaves no stamp behind, as when killed
    assert run(min_face=30) == 1
    assert run(min_face=30) == 0


def _drain(progress) -> dict:
    while True:
        try:
            next(progress)
        except StopIteration as done:
            return done.value
