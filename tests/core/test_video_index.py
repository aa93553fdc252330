"""Videos in an album: one face per person per scene, the position recorded, broken clips reported."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumsum.core.export import csv_cell, write_csv
from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from albumsum.core.summary import album_groups
from tests.core.helpers import FakeDetector, make_embedder, write_photo
from tests.core.test_video import write_clip

av = pytest.importorskip("av")


def stills(root: Path, n: int = 3) -> list[np.ndarray]:
    """Three different scenes: synthetic photos, each in its own light (a cut changes the picture)."""
    out = []
    for i in range(n):
        path = write_photo(root / f"still{i}.jpg", seed=i, size=(640, 480))
        rgb = np.asarray(Image.open(path).convert("RGB"), np.float32)
        out.append(np.clip(rgb * (0.4, 1.0, 1.6)[i] + (0, 0, 40)[i], 0, 255).astype(np.uint8))
    return out


def test_a_clip_of_three_scenes_indexes_one_face_a_scene_with_its_position(tmp_path: Path) -> None:
    album = tmp_path / "album"
    album.mkdir()
    clip = write_clip(album / "clip.mp4", stills(tmp_path / "frames"))  # 3 scenes x 2 s
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()
    (album / "broken.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + b"garbage" * 100)
    with IndexWriter(tmp_path / "index.sqlite", album) as store:
        records = list(index_album(album, store, FakeDetector(), make_embedder(), IndexSettings(min_face=5, workers=1)))
        read = [r for r in records if r.phase == "index"]
        assert read[-1].video_total == pytest.approx(6.0, abs=0.2)  # progress counts video seconds
        assert read[-1].video_done == read[-1].video_total and read[0].video_done < read[-1].video_done
        faces = store.faces()
        assert faces.paths == ["clip.mp4"] * 3  # one face per scene: the fake detector sees one a frame
        assert sorted((faces.positions // 2).tolist()) == [0.0, 1.0, 2.0]  # one face from each 2 s scene
        assert ((faces.qualities >= 0) & (faces.qualities <= 1)).all()
        errors = dict(store.errors())
        assert "cannot" in errors["broken.mov"]
        out = write_csv(tmp_path / "faces.csv", faces, album_groups(faces))
    rows = list(csv.DictReader(out.open()))
    assert [r["position_s"] != "" for r in rows] == [True] * 3
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == digest  # the video is only read


def test_the_html_export_links_each_video_face_to_its_own_frame(tmp_path: Path) -> None:
    from albumsum.core.export import write_html
    from albumsum.core.index import IndexReader

    album = tmp_path / "album"
    album.mkdir()
    write_clip(album / "clip.mp4", stills(tmp_path / "frames"))
    with IndexWriter(tmp_path / "index.sqlite", album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), IndexSettings(min_face=5, workers=1)))
    with IndexReader(tmp_path / "index.sqlite") as index:
        faces = index.faces()
        page = write_html(tmp_path / "html", index, faces, album_groups(faces), album, per_group=0)
    frames = sorted((page.parent / "photos").glob("*ms.jpg"))
    assert len(frames) == 3  # one picture a scene, each the whole frame, not the face's thumbnail
    means = [np.asarray(Image.open(f).convert("RGB"), np.float32).mean() for f in frames]
    assert all(Image.open(f).size == (640, 480) for f in frames) and len({round(m) for m in means}) == 3
    text = page.read_text(encoding="utf-8")
    assert all(f"photos/{f.name}" in text for f in frames) and "clip.mp4 at 0:0" in text


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    assert csv_cell('=HYPERLINK("x").jpg') == '\'=HYPERLINK("x").jpg'
    assert csv_cell("+1.jpg") == "'+1.jpg" and csv_cell("@a.jpg") == "'@a.jpg"
    assert csv_cell("holiday.jpg") == "holiday.jpg"


@pytest.mark.slow
def test_a_real_clip_has_at_least_the_faces_of_its_stills_and_at_most_twice(tmp_path: Path, album_dir) -> None:
    """The shipped model and MTCNN on a 6 s clip made of three album photos (2 s each, drifting)."""
    from albumsum.core.faces import MTCNNDetector
    from albumsum.core.inference import Embedder
    from albumsum.core.resources import default_model_path

    photos = sorted(album_dir.glob("*.jpg"))[:3]
    frames = [np.asarray(Image.open(p).convert("RGB").resize((640, 480))) for p in photos]
    stills_dir, video_dir = tmp_path / "stills", tmp_path / "video"
    stills_dir.mkdir()
    video_dir.mkdir()
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(stills_dir / f"s{i}.png")
    write_clip(video_dir / "clip.mp4", frames)
    detector, embedder = MTCNNDetector(), Embedder.from_file(default_model_path(), device="cpu")
    counts = {}
    for name, folder in (("stills", stills_dir), ("video", video_dir)):
        with IndexWriter(tmp_path / f"{name}.sqlite", folder) as store:
            run_to_end(index_album(folder, store, detector, embedder, IndexSettings(workers=1)))
            counts[name] = len(store.faces())
    assert counts["stills"] > 0
    assert counts["stills"] <= counts["video"] <= 2 * counts["stills"], counts
