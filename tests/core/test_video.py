"""Videos: frames sampled once a second and at scene cuts, faces linked into tracks, bad files named."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from albumsum.core.video import (
    Sighting,
    VideoError,
    best_of_tracks,
    link_tracks,
    sample_frames,
    video_duration,
)

av = pytest.importorskip("av")


def write_clip(path: Path, scenes: list[np.ndarray], seconds_each: float = 2.0, fps: int = 10) -> Path:
    """An mp4 of ``scenes`` (RGB [480, 640, 3]), each held for ``seconds_each`` with a little drift."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for image in scenes:
            for k in range(int(seconds_each * fps)):
                frame = av.VideoFrame.from_ndarray(np.roll(image, k, axis=1), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def scenes() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    for level in (40, 140, 230):
        base = np.full((480, 640, 3), level, np.uint8)
        base[100:300, 200:400] = rng.integers(0, 255, 3, dtype=np.uint8)
        out.append(base)
    return out


def test_one_frame_a_second_and_a_frame_at_every_cut(tmp_path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", scenes())
    before = hashlib.sha256(clip.read_bytes()).hexdigest()
    seen: list[float] = []
    frames = list(sample_frames(clip, on_position=seen.append))
    assert [(round(f.position, 1), f.scene) for f in frames] == [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (5, 2)]
    assert frames[0].image.shape == (480, 640, 3) and frames[0].image.dtype == np.uint8
    assert len(seen) == 60 and seen[-1] == pytest.approx(5.9)
    assert video_duration(clip) == pytest.approx(6.0, abs=0.15)
    assert next(sample_frames(clip, max_side=320)).image.shape == (240, 320, 3)
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == before  # read, never written


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "cannot read video"), (b"not a video at all " * 50, "cannot read video")],
)
def test_a_broken_video_is_an_error_with_a_reason(tmp_path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoError, match=reason):
        list(sample_frames(path))


def test_a_truncated_video_keeps_what_decodes_or_says_why(tmp_path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", scenes())
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: len(clip.read_bytes()) // 3])
    try:
        frames = list(sample_frames(cut))
    except VideoError as exc:
        assert str(exc)
    else:
        assert len(frames) < 6


def sighting(frame: int, scene: int, x: float, quality: float = 0.5, look: float = 0.0) -> Sighting:
    return Sighting(frame, scene, (x, 100.0, x + 50, 150.0), np.array([look, 0.0]), quality)


def test_faces_are_linked_by_overlap_within_a_scene_and_kept_once() -> None:
    # two people in frames 0-2 of scene 0 (one drifting right), then one of them after a cut
    found = [
        sighting(0, 0, 0, 0.4),
        sighting(0, 0, 300, 0.9),
        sighting(1, 0, 10, 0.8),
        sighting(1, 0, 302, 0.2),
        sighting(2, 0, 20, 0.6),
        sighting(2, 0, 305, 0.3),
        sighting(3, 1, 20, 0.7),  # same place, but a new scene: a new track
    ]
    tracks = link_tracks(found)
    assert sorted(map(sorted, tracks)) == [[0, 2, 4], [1, 3, 5], [6]]
    best = best_of_tracks(found, tracks)
    assert sorted(best) == [1, 2, 6]


def test_a_moved_face_links_when_its_embedding_stays_close() -> None:
    moved = [sighting(0, 0, 0, look=0.0), sighting(1, 0, 40, look=0.1)]  # IoU 0.11
    assert len(link_tracks(moved)) == 1
    changed = [sighting(0, 0, 0, look=0.0), sighting(1, 0, 40, look=5.0)]
    assert len(link_tracks(changed)) == 2
    gap = [sighting(0, 0, 0), sighting(5, 0, 0)]  # too many sampled frames apart
    assert len(link_tracks(gap)) == 2


def test_a_video_is_opened_at_the_faces_time_by_the_first_player_installed() -> None:
    from albumsum.core.video import player_command, where_text

    installed = {"vlc": "/usr/bin/vlc", "ffplay": "/usr/bin/ffplay"}
    assert player_command(Path("/a/clip.mp4"), 12.34, installed.get) == [
        "/usr/bin/vlc",
        "--start-time=12.3",
        "/a/clip.mp4",
    ]
    assert player_command(Path("/a/clip.mp4"), 3.0, {"ffplay": "/f"}.get) == [
        "/f",
        "-autoexit",
        "-ss",
        "3.0",
        "/a/clip.mp4",
    ]
    assert player_command(Path("/a/clip.mp4"), 3.0, lambda name: None) is None
    assert where_text("clip.mp4", 75.4) == "clip.mp4 at 1:15"
    assert where_text("IMG_1.jpg", float("nan")) == where_text("IMG_1.jpg", None) == "IMG_1.jpg"
