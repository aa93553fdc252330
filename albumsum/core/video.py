"""Videos as albums: sampled frames, faces tracked within a scene and kept once.

A phone clip holds the same faces in every frame. :func:`sample_frames` decodes a video with
PyAV (FFmpeg's libraries ship in its wheel; the file is only ever opened for reading) and yields
one frame a second plus the first frame of every scene (a cut is a large change of a small
grayscale thumbnail between consecutive frames). :func:`link_tracks` links the faces found in
those frames into tracks, within a scene, by box overlap and embedding distance, and
:func:`best_of_tracks` keeps the best-quality sighting of each: one face per person per scene,
with its time in the video.

A file that is not a video, has no video stream or no decodable frame raises :class:`VideoError`
with the reason, which the indexer records as the file's error before it goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from albumsum.core.faces import Face, box_iou
from albumsum.core.images import Decoded
from albumsum.core.quality import face_quality

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})
SCENE_CUT = 28.0  # mean absolute change of a 32x32 grey thumbnail (0-255) that starts a new scene


class VideoError(Exception):
    """A video that cannot be read; the message says why."""


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class Frame:
    """A sampled frame: ``position`` in seconds from the start, ``scene`` (0, 1, ...) and ``image``
    RGB uint8 [H, W, 3]."""

    position: float
    scene: int
    image: np.ndarray


def video_duration(path: Path) -> float:
    """Seconds of video in ``path`` (0.0 where the container does not say)."""
    import av

    try:
        with av.open(str(path), mode="r") as container:
            if container.duration:
                return float(container.duration) / 1e6
            stream = container.streams.video[0] if container.streams.video else None
            if stream is not None and stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except (av.FFmpegError, IndexError, OSError) as exc:
        raise VideoError(f"cannot read video: {_reason(exc)}") from exc
    return 0.0


def sample_frames(
    path: Path,
    every: float = 1.0,
    scene_cut: float = SCENE_CUT,
    max_side: int | None = None,
    on_position: Callable[[float], None] | None = None,
) -> Iterator[Frame]:
    """One frame every ``every`` seconds and the first frame of each scene, in order.

    ``max_side`` scales frames down so that their longer side is at most that; ``on_position``
    is told the position of every decoded frame (for progress in video seconds).
    """
    import av

    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError) as exc:
        raise VideoError(f"cannot read video: {_reason(exc)}") from exc
    with container:
        if not container.streams.video:
            raise VideoError("the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yielded = 0
        try:
            for frame, position, scene, sample in _walk(container.decode(stream), every, scene_cut, on_position):
                if not sample:
                    continue
                yield Frame(position, scene, _rgb(frame, max_side))
                yielded += 1
        except av.FFmpegError as exc:
            if not yielded:
                raise VideoError(f"cannot decode video: {_reason(exc)}") from exc
            log.warning("%s: decoding stopped at a damaged part after %d frames: %s", path, yielded, exc)
        if not yielded:
            raise VideoError("the video has no frame that can be decoded")


def _reason(exc: BaseException) -> str:
    """FFmpeg's words for a failure, without the file's path (the error row names the file)."""
    return getattr(exc, "strerror", None) or str(exc)


def _walk(
    frames: Iterator[Any], every: float, scene_cut: float, on_position: Callable[[float], None] | None
) -> Iterator[tuple[Any, float, int, bool]]:
    """(frame, position, scene, whether to sample it) for every decoded frame."""
    previous: np.ndarray | None = None
    scene, next_sample, start = -1, 0.0, None
    for frame in frames:
        position = float(frame.time) if frame.time is not None else 0.0
        start = position if start is None else start
        position -= start
        thumb = frame.reformat(width=32, height=32, format="gray").to_ndarray().astype(np.float32)
        cut = previous is None or float(np.abs(thumb - previous).mean()) > scene_cut
        previous = thumb
        if on_position is not None:
            on_position(position)
        if cut:
            scene += 1
            next_sample = position + every
            yield frame, position, scene, True
        elif position >= next_sample:
            next_sample += every * max(1.0, np.floor((position - next_sample) / every) + 1)
            yield frame, position, scene, True
        else:
            yield frame, position, scene, False


def clock_text(seconds: float) -> str:
    """``75.4`` -> ``"1:15"``: a position in a video as a person reads it."""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def where_text(name: str, position: float | None) -> str:
    """A face's source as a person reads it: ``"IMG_1.jpg"``, or ``"clip.mp4 at 0:12"`` for a face
    found ``position`` seconds into a video (``None`` or NaN: a photo)."""
    if position is None or np.isnan(position):
        return name
    return f"{name} at {clock_text(float(position))}"


# video players that can start at a time: (program, arguments before the file for ``seconds``)
PLAYERS: tuple[tuple[str, Callable[[float], list[str]]], ...] = (
    ("mpv", lambda s: [f"--start={s:.1f}"]),
    ("vlc", lambda s: [f"--start-time={s:.1f}"]),
    ("celluloid", lambda s: [f"--mpv-start={s:.1f}"]),
    ("smplayer", lambda s: ["-ss", f"{s:.1f}"]),
    ("ffplay", lambda s: ["-autoexit", "-ss", f"{s:.1f}"]),
)


def player_command(path: Path, position: float, which: Callable[[str], str | None] | None = None) -> list[str] | None:
    """The command that opens the video ``path`` at ``position`` seconds in the first player of
    :data:`PLAYERS` installed here (``which``: :func:`shutil.which`), or ``None`` when none is."""
    import shutil

    which = which or shutil.which
    for program, start in PLAYERS:
        found = which(program)
        if found:
            return [found, *start(max(0.0, float(position))), str(path)]
    return None


def frame_at(path: Path, position: float, max_side: int | None = None) -> np.ndarray:
    """The frame shown ``position`` seconds into the video, RGB uint8 [H, W, 3] (the last frame
    when the video is shorter)."""
    import av

    try:
        with av.open(str(path), mode="r") as container:
            stream = container.streams.video[0]
            start = None
            last = None
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else 0.0
                start = t if start is None else start
                last = frame
                if t - start >= position - 1e-3:
                    break
            if last is None:
                raise VideoError("the video has no frame that can be decoded")
            return _rgb(last, max_side)
    except (av.FFmpegError, IndexError, OSError) as exc:
        raise VideoError(f"cannot read video: {_reason(exc)}") from exc


def _rgb(frame: Any, max_side: int | None) -> np.ndarray:
    w, h = frame.width, frame.height
    if max_side and max(w, h) > max_side:
        scale = max_side / max(w, h)
        return frame.reformat(width=round(w * scale), height=round(h * scale), format="rgb24").to_ndarray()
    return frame.to_ndarray(format="rgb24")


@dataclass(frozen=True)
class Sighting:
    """A face in a sampled frame: its ``frame`` number, ``scene``, ``box`` (x0, y0, x1, y1),
    ``embedding`` [D] and ``quality`` in [0, 1]."""

    frame: int
    scene: int
    box: tuple[float, float, float, float]
    embedding: np.ndarray
    quality: float


def link_tracks(
    sightings: Sequence[Sighting], min_iou: float = 0.3, near: float = 1.0, max_gap: int = 2
) -> list[list[int]]:
    """Tracks as lists of indices into ``sightings`` (ordered by frame), one person each.

    A sighting continues the track whose last sighting is in the same scene, at most ``max_gap``
    sampled frames back, with the best box overlap, when the overlap is at least ``min_iou``, or
    when the boxes touch at all and the embeddings are within ``near`` (a face that moved but kept
    its look). Each track takes at most one sighting a frame; the rest start new tracks.
    """
    tracks: list[list[int]] = []
    order = sorted(range(len(sightings)), key=lambda i: sightings[i].frame)
    for frame in sorted({s.frame for s in sightings}):
        here = [i for i in order if sightings[i].frame == frame]
        open_tracks = [
            t
            for t in tracks
            if sightings[t[-1]].scene == sightings[here[0]].scene and 0 < frame - sightings[t[-1]].frame <= max_gap
        ]
        pairs = []
        for i in here:
            for t in open_tracks:
                last = sightings[t[-1]]
                iou = float(box_iou(sightings[i].box, last.box)[0, 0])
                close = float(np.linalg.norm(sightings[i].embedding - last.embedding)) <= near
                if iou >= min_iou or (iou > 0 and close):
                    pairs.append((iou, i, id(t), t))
        taken_s, taken_t = set(), set()
        for _, i, key, t in sorted(pairs, key=lambda p: -p[0]):
            if i in taken_s or key in taken_t:
                continue
            t.append(i)
            taken_s.add(i)
            taken_t.add(key)
        tracks += [[i] for i in here if i not in taken_s]
    return tracks


def appearance(crop: np.ndarray) -> np.ndarray:
    """A face crop's look for linking, float32 [144]: the crop at 12x12, zero mean, unit length
    (expression embeddings say little about who a face is; the pixels of a person's face in
    consecutive frames do)."""
    x = np.asarray(crop, dtype=np.float32)
    n = x.shape[0] // 12
    small = x[: n * 12, : n * 12].reshape(12, n, 12, n).mean(axis=(1, 3)).ravel()
    small -= small.mean()
    return small / max(float(np.linalg.norm(small)), 1e-6)


def faces_in_video(
    path: Path,
    find: Callable[[Decoded], list[Face]],
    *,
    every: float = 1.0,
    max_side: int | None = 1024,
    on_position: Callable[[float], None] | None = None,
) -> tuple[tuple[int, int], list[Face]]:
    """The video's frame size and one face per person per scene: its best-quality sighting, with
    ``position`` (seconds) set. ``find`` detects, selects and crops the faces of one frame."""
    sightings: list[Sighting] = []
    faces: list[Face] = []
    size = (0, 0)
    for number, frame in enumerate(sample_frames(path, every, max_side=None, on_position=on_position)):
        h, w = frame.image.shape[:2]
        size = (w, h)
        for face in find(_decoded(frame.image, max_side)):
            assert face.crop is not None
            q = face_quality(face.crop, face.short_side, face.score, face.landmarks).total
            sightings.append(Sighting(number, frame.scene, face.box, appearance(face.crop), q))
            faces.append(replace(face, position=frame.position))
    tracks = link_tracks(sightings, near=0.6)
    kept = sorted(best_of_tracks(sightings, tracks), key=lambda i: (faces[i].position, faces[i].box[0]))
    return size, [faces[i] for i in kept]


def _decoded(rgb: np.ndarray, max_side: int | None) -> Decoded:
    """A frame as the detector's input: its pixels at detection size, ``size`` the frame's own."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(w, h)) if max_side else 1.0
    small = rgb if scale == 1.0 else np.asarray(Image.fromarray(rgb).resize((round(w * scale), round(h * scale))))
    return Decoded(np.ascontiguousarray(small), scale, (w, h))


def best_of_tracks(sightings: Sequence[Sighting], tracks: Sequence[Sequence[int]]) -> list[int]:
    """The index of each track's best-quality sighting (the earliest among equals)."""
    return [max(track, key=lambda i: (sightings[i].quality, -sightings[i].frame)) for track in tracks]
