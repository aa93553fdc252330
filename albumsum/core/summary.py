"""Album summaries: the indexed faces as arrays, their groups, and a chosen set of photos.

:func:`pick_photos` chooses a fixed number of photos that cover the groups (paper §4.2.3, photo
album summarisation): largest groups first, each group's next best shot per round, and no photo
twice; faces of :data:`GOOD_SIDE` px or more are all offered before any smaller one. A photo is its
content, so two copies of one file count once.

A group's **best shots** (:func:`best_shots`) are its faces in the order a person should see them:
the nearer half of the group (by distance to the medoid, so they still show what the group has in
common) best quality first (:mod:`albumsum.core.quality`), then the farther half, best quality
first; faces under :data:`GOOD_SIDE` px come after all larger ones. The first is the group's
**representative**: a sharp, large, frontal face near the medoid rather than the medoid whatever
its quality, which in crowd photos is often a blurred 25 px face.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, build_groups, given_name
from albumsum.core.index import AlbumFaces

log = logging.getLogger(__name__)


def album_groups(faces: AlbumFaces, source: str = "model", max_components: int = 4, seed: int = 0) -> list[Group]:
    """Groups of the album: ``source`` ``"model"`` (the checkpoint's DGM) or ``"album"`` (EM here)."""
    if source not in ("model", "album"):
        raise ValueError(f"sub-class source must be 'model' or 'album', not {source!r}")
    if not len(faces):
        return []
    subs = faces.subclasses if source == "model" else None
    return build_groups(faces.ids, faces.embeddings, faces.emotions, subs, max_components=max_components, seed=seed)


@dataclass(frozen=True)
class Pick:
    """One chosen photo: the face that represents its group there, and its rank in that group."""

    face_id: int
    path: str
    emotion: int
    subclass: int
    rank: int


UNKNOWN_QUALITY = 0.5  # for a face stored without one
GOOD_SIDE = 40.0  # px: a face smaller than this represents its group only when the group has no larger one


def best_shots(group: Group, faces: AlbumFaces) -> np.ndarray:
    """Indices into ``group.face_ids`` (its ranks), best shot first.

    Faces of at least :data:`GOOD_SIDE` px come first when the group has any: the nearer half of
    them by quality, then the farther half by quality; then the smaller faces, by quality (nearer
    first among equals). A group of small faces only is ordered the same way by halves.
    """
    rows = group_rows(group, faces)
    quality = np.nan_to_num(np.asarray(faces.qualities, np.float64)[rows], nan=UNKNOWN_QUALITY)
    good = face_sides(faces)[rows] >= GOOD_SIDE
    if not good.any():
        good = np.ones(len(rows), bool)
    rank = np.arange(len(group))
    rank_among_good = np.cumsum(good) - 1
    far = rank_among_good >= max(1, (int(good.sum()) + 1) // 2)
    tier = np.where(good, far.astype(int), 2)
    return np.lexsort((rank, -quality, tier))


def representative(group: Group, faces: AlbumFaces) -> int:
    """The face id a group is shown by: its best shot."""
    return int(group.face_ids[best_shots(group, faces)[0]])


# Mean posterior of a second emotion for a group to be said to lean to it: about 2.4x the mean
# posterior of the most likely other emotion for FER+ valid faces that no voter gave a second
# emotion (0.026 with the shipped model's fitted sigma; 0.12 was the same ratio at sigma 0.5).
LEAN_SHARE = 0.06
ADJECTIVES = {
    "neutral": "neutral",
    "happiness": "happy",
    "surprise": "surprised",
    "sadness": "sad",
    "anger": "angry",
    "disgust": "disgusted",
    "fear": "afraid",
    "contempt": "contemptuous",
}


def group_caption(group: Group, faces: AlbumFaces) -> str:
    """Words for a group, from the group itself: its emotion, the second emotion its faces lean
    toward (when their mean posterior for it is at least :data:`LEAN_SHARE`), and its typical face
    size, e.g. "happy, leaning to surprise · faces about 60 px"."""
    rows = group_rows(group, faces)
    mean = np.asarray(faces.posteriors, np.float64)[rows].mean(axis=0) if len(rows) else np.zeros(len(EMOTIONS))
    words = ADJECTIVES[EMOTIONS[group.emotion]]
    if len(mean) == len(EMOTIONS):
        mean[group.emotion] = -1.0
        second = int(np.argmax(mean))
        if mean[second] >= LEAN_SHARE:
            words += f", leaning to {EMOTIONS[second]}"
    if len(rows):
        side = float(np.median(face_sides(faces)[rows]))
        if side > 0:
            words += f" · faces about {side:.0f} px"
    return words


def pick_photos(groups: list[Group], faces: AlbumFaces, n: int) -> list[Pick]:
    """Up to ``n`` photos covering the largest groups, best shots first, no photo twice.

    Two sweeps: first each group's faces of at least :data:`GOOD_SIDE` px, round by round; only the
    slots left after that go to small faces. A group known only from 20 px crowd faces (whose emotion
    the model names least reliably) is shown after every group with a face a person can read.
    """
    order = sorted(groups, key=lambda g: (-len(g), g.emotion, g.subclass))
    shots = [best_shots(g, faces) for g in order]
    sides = face_sides(faces)
    good = [int((sides[group_rows(g, faces)] >= GOOD_SIDE).sum()) for g in order]
    cursors = [0] * len(order)
    taken: set[str] = set()
    picks: list[Pick] = []
    for limits in (good, [len(g) for g in order]):  # best shots list a group's large faces first
        while len(picks) < n and any(c < lim for c, lim in zip(cursors, limits, strict=True)):
            for gi, group in enumerate(order):
                if len(picks) >= n:
                    break
                while cursors[gi] < limits[gi]:
                    rank = int(shots[gi][cursors[gi]])
                    cursors[gi] += 1
                    r = faces.row(int(group.face_ids[rank]))
                    if faces.hashes[r] not in taken:
                        taken.add(faces.hashes[r])
                        picks.append(Pick(int(faces.ids[r]), faces.paths[r], group.emotion, group.subclass, rank))
                        break
    return picks


def group_rows(group: Group, faces: AlbumFaces) -> np.ndarray:
    """The rows of ``faces`` that hold ``group``'s faces, in the group's order, ``int64 [len(group)]``."""
    return faces.rows(group.face_ids)


def face_sides(faces: AlbumFaces) -> np.ndarray:
    """Each face's shorter box side in photo pixels, ``float64 [N]``."""
    boxes = np.asarray(faces.boxes, np.float64).reshape(-1, 4)
    return np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def summary_dict(
    groups: list[Group],
    faces: AlbumFaces,
    counts: dict[str, int],
    picks: list[Pick] | None = None,
    names: Mapping[tuple[int, int], str] | None = None,
) -> dict[str, Any]:
    """The album summary as plain data (``summarize --json``): per emotion, counts and sub-classes
    (each with its group number as the window shows it, the user's ``name`` of it or ``None``, its
    medoid and its representative face), and with ``picks`` the chosen photos (``summary``: photo,
    face, emotion, sub-class; position in seconds for a video). ``names``: (emotion, sub-class) -> name."""
    emotions: dict[str, Any] = {}
    for name in EMOTIONS:
        emotions[name] = {"faces": 0, "subclasses": []}
    for g in groups:
        entry = emotions[EMOTIONS[g.emotion]]
        entry["faces"] += len(g)
        medoid, best = faces.row(g.medoid), representative(g, faces)
        entry["subclasses"].append(
            {
                "group": len(entry["subclasses"]) + 1,
                "name": given_name(names, g.emotion, g.subclass),
                "subclass": g.subclass,
                "faces": len(g),
                "medoid_face": g.medoid,
                "medoid_photo": faces.paths[medoid],
                "representative_face": best,
                "representative_photo": faces.paths[faces.row(best)],
            }
        )
    out: dict[str, Any] = {
        "photos": counts.get("photos", 0),
        "errors": counts.get("errors", 0),
        "faces": len(faces),
        "emotions": emotions,
    }
    if picks is not None:
        out["summary"] = [_pick_dict(p, faces) for p in picks]
    return out


def _pick_dict(pick: Pick, faces: AlbumFaces) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "photo": pick.path,
        "face": pick.face_id,
        "emotion": EMOTIONS[pick.emotion],
        "subclass": pick.subclass,
    }
    position = float(faces.positions[faces.row(pick.face_id)])
    if not np.isnan(position):
        entry["position_s"] = round(position, 2)
    return entry


def summary_text(summary: dict[str, Any]) -> str:
    """Human-readable form of :func:`summary_dict`."""
    lines = [f"{summary['photos']} photos ({summary['errors']} unreadable), {summary['faces']} faces"]
    for name, entry in summary["emotions"].items():
        if not entry["faces"]:
            continue
        subs = ", ".join(
            f"{s['group']}" + (f" “{s['name']}”" if s.get("name") else "") + f": {s['faces']}"
            for s in entry["subclasses"]
        )
        noun = "face " if entry["faces"] == 1 else "faces"
        lines.append(f"  {name:<10} {entry['faces']:>6} {noun}   groups {subs}")
    return "\n".join(lines)
