"""Corrections that last: not a face, another emotion, through re-indexing, new framings and undo."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumsum import cli
from albumsum.core.corrections import Correction, match
from albumsum.core.emotions import EMOTIONS
from albumsum.core.faces import box_iou
from albumsum.core.index import IndexReader, IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from tests.core.helpers import FakeDetector, make_embedder, write_photo

SETTINGS = IndexSettings(min_face=5, workers=0)


def index(album: Path, db: Path) -> None:
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), SETTINGS))


def faces_of(db: Path):
    with IndexReader(db) as reader:
        return reader.faces()


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    album = tmp_path / "album"
    write_photo(album / "wide.jpg", seed=0, size=(320, 120))  # two faces
    write_photo(album / "one.jpg", seed=1)
    db = tmp_path / "index.sqlite"
    index(album, db)
    return album, db


def test_iou_and_matching_by_content_then_by_path() -> None:
    assert box_iou(np.array([0, 0, 10, 10]), np.array([[0, 0, 10, 10], [5, 0, 15, 10]])).tolist() == [
        [1.0, pytest.approx(1 / 3)]
    ]
    boxes = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [0, 0, 10, 10]])
    c = [Correction("h1", (19, 0, 29, 10), "not_face"), Correction("gone", (0, 0, 10, 10), "not_face", path="b.jpg")]
    assert match(["h1", "h1", "h2"], ["a.jpg", "a.jpg", "b.jpg"], boxes, c) == {1: [c[0]], 2: [c[1]]}
    with pytest.raises(ValueError, match="unknown emotion"):
        Correction("h", (0, 0, 1, 1), "emotion", "joy")


def test_corrections_apply_and_survive_a_rewritten_photo_a_recut_and_a_new_model(indexed, capsys) -> None:
    album, db = indexed
    faces = faces_of(db)
    assert len(faces) == 3
    wide = [int(i) for i, p in zip(faces.ids, faces.paths, strict=True) if p == "wide.jpg"]
    other = next(e for e in range(8) if e != faces.emotions[faces.row(wide[1])])
    assert cli.main(["correct", str(album), "--db", str(db), "--face", str(wide[0]), "--not-a-face"]) == 0
    assert cli.main(["correct", str(album), "--db", str(db), "--face", str(wide[1]), "--emotion", EMOTIONS[other]]) == 0

    def check() -> None:
        now = faces_of(db)
        assert len(now) == 2 and now.paths.count("wide.jpg") == 1
        row = now.paths.index("wide.jpg")
        assert now.emotions[row] == other and now.corrected[row] and not now.corrected[now.paths.index("one.jpg")]

    check()
    # the file rewritten by an editor: new bytes (a new content hash), same picture, a later mtime
    image = Image.open(album / "wide.jpg")
    image.save(album / "wide.jpg", quality=80)
    os.utime(album / "wide.jpg", ns=(1, 3_000_000_000_000_000_000))
    index(album, db)
    assert set(faces_of(db).ids).isdisjoint(wide)  # its faces were detected again
    check()
    # a new model re-embeds the stored crops: the corrections stay
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(seed=3), SETTINGS))
    check()


def test_undo_and_a_bad_face_id(indexed, capsys) -> None:
    album, db = indexed
    first = int(faces_of(db).ids[0])
    assert cli.main(["correct", str(album), "--db", str(db), "--face", str(first), "--not-a-face"]) == 0
    assert len(faces_of(db)) == 2
    assert cli.main(["correct", str(album), "--db", str(db), "--face", str(first), "--undo"]) == 0
    assert len(faces_of(db)) == 3 and "1 correction(s) forgotten" in capsys.readouterr().out
    assert cli.main(["correct", str(album), "--db", str(db), "--face", "999", "--not-a-face"]) != 0
    assert "no face 999" in capsys.readouterr().err


def test_similar_lists_the_nearest_faces_without_the_query(indexed, capsys) -> None:
    import json

    album, db = indexed
    faces = faces_of(db)
    query = int(faces.ids[0])
    assert cli.main(["similar", str(album), "--db", str(db), "--face", str(query), "-k", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ids = [r["face"] for r in out["similar"]]
    dist = np.linalg.norm(faces.embeddings - faces.embeddings[0], axis=1)
    expected = [int(faces.ids[i]) for i in np.argsort(dist)[1:]]
    assert ids == expected and query not in ids  # nearest first, 2 of the 3 faces
    assert [r["distance"] for r in out["similar"]] == sorted(r["distance"] for r in out["similar"])
    assert cli.main(["correct", str(album), "--db", str(db), "--face", str(expected[0]), "--not-a-face"]) == 0
    capsys.readouterr()
    assert cli.main(["similar", str(album), "--db", str(db), "--face", str(query), "--json"]) == 0
    assert [r["face"] for r in json.loads(capsys.readouterr().out)["similar"]] == expected[1:]  # not a face: left out
    assert cli.main(["similar", str(album), "--db", str(db), "--face", "999"]) != 0


def test_hiding_faces_below_a_quality_leaves_them_out_and_back_in(indexed) -> None:
    import dataclasses

    from albumsum.core.album import Album
    from albumsum.core.settings import Settings

    album_dir, db = indexed
    album = Album(album_dir, Settings(), db=db)
    everything = album.snapshot()
    qualities = np.sort(everything.faces.qualities)
    assert len(qualities) == 3 and qualities[0] < qualities[-1]
    album.settings = dataclasses.replace(album.settings, min_quality=float(qualities[-1]))
    strict = album.snapshot(everything)  # a new threshold reads the index again
    assert len(strict.faces) == 1 and sum(len(g) for g in strict.groups) == 1
    album.settings = dataclasses.replace(album.settings, min_quality=0.0)
    assert len(album.snapshot(strict).faces) == 3
