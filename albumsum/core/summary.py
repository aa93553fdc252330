"""Album summaries: the indexed faces as arrays, their groups, and a chosen set of photos.

:func:`pick_photos` chooses a fixed number of photos that cover the groups (paper §4.2.3, photo
album summarisation): largest groups first, each group's best-ranked face (its medoid when that
photo is still free) per round, and no photo twice. A photo is its content, so two copies of one
file count once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, build_groups
from albumsum.core.index import IndexStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class AlbumFaces:
    """Every embedded face of an album. Arrays of length N: ``ids``, ``emotions``, ``subclasses``
    (the model's), ``scores``; ``embeddings`` [N, D], ``posteriors`` [N, C], ``boxes`` [N, 4];
    ``hashes`` and ``paths`` (one path per photo content) as lists."""

    ids: np.ndarray
    hashes: list[str]
    paths: list[str]
    embeddings: np.ndarray
    posteriors: np.ndarray
    emotions: np.ndarray
    subclasses: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, face_id: int) -> int:
        return int(np.searchsorted(self.ids, face_id))


def load_faces(store: IndexStore) -> AlbumFaces:
    """All embedded faces, ordered by id, each with the first path (by name) of its photo."""
    rows = store.query(
        "SELECT f.id, f.hash, p.path, f.embedding, f.posterior, f.emotion, f.subclass, f.score,"
        " f.x0, f.y0, f.x1, f.y1 FROM faces f"
        " JOIN (SELECT hash, MIN(path) AS path FROM photos WHERE status = 'ok' GROUP BY hash) p ON p.hash = f.hash"
        " WHERE f.embedding IS NOT NULL ORDER BY f.id"
    )
    if not rows:
        z = np.zeros(0)
        return AlbumFaces(
            z.astype(np.int64),
            [],
            [],
            np.zeros((0, 0), np.float32),
            np.zeros((0, 0), np.float32),
            z.astype(np.int64),
            z.astype(np.int64),
            z,
            np.zeros((0, 4)),
        )
    cols = list(zip(*rows, strict=True))
    return AlbumFaces(
        ids=np.asarray(cols[0], np.int64),
        hashes=list(cols[1]),
        paths=list(cols[2]),
        embeddings=np.frombuffer(b"".join(cols[3]), np.float32).reshape(len(rows), -1),
        posteriors=np.frombuffer(b"".join(cols[4]), np.float32).reshape(len(rows), -1),
        emotions=np.asarray(cols[5], np.int64),
        subclasses=np.asarray(cols[6], np.int64),
        scores=np.asarray(cols[7], np.float64),
        boxes=np.asarray([cols[8], cols[9], cols[10], cols[11]], np.float64).T,
    )


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


def pick_photos(groups: list[Group], faces: AlbumFaces, n: int) -> list[Pick]:
    """Up to ``n`` photos covering the largest groups, best-ranked (medoid) faces first, no photo twice."""
    order = sorted(groups, key=lambda g: (-len(g), g.emotion, g.subclass))
    cursors = [0] * len(order)
    taken: set[str] = set()
    picks: list[Pick] = []
    while len(picks) < n and any(c < len(g) for c, g in zip(cursors, order, strict=True)):
        for gi, group in enumerate(order):
            if len(picks) >= n:
                break
            while cursors[gi] < len(group):
                rank = cursors[gi]
                cursors[gi] += 1
                r = faces.row(int(group.face_ids[rank]))
                if faces.hashes[r] not in taken:
                    taken.add(faces.hashes[r])
                    picks.append(Pick(int(faces.ids[r]), faces.paths[r], group.emotion, group.subclass, rank))
                    break
    return picks


def summary_dict(groups: list[Group], faces: AlbumFaces, counts: dict[str, int]) -> dict[str, Any]:
    """The album summary as plain data (``summarize --json``): per emotion, counts and sub-classes."""
    emotions: dict[str, Any] = {}
    for name in EMOTIONS:
        emotions[name] = {"faces": 0, "subclasses": []}
    for g in groups:
        entry = emotions[EMOTIONS[g.emotion]]
        entry["faces"] += len(g)
        medoid = faces.row(g.medoid)
        entry["subclasses"].append(
            {"subclass": g.subclass, "faces": len(g), "medoid_face": g.medoid, "medoid_photo": faces.paths[medoid]}
        )
    return {
        "photos": counts.get("photos", 0),
        "errors": counts.get("errors", 0),
        "faces": len(faces),
        "emotions": emotions,
    }


def summary_text(summary: dict[str, Any]) -> str:
    """Human-readable form of :func:`summary_dict`."""
    lines = [f"{summary['photos']} photos ({summary['errors']} unreadable), {summary['faces']} faces"]
    for name, entry in summary["emotions"].items():
        if not entry["faces"]:
            continue
        subs = ", ".join(f"#{s['subclass']}: {s['faces']}" for s in entry["subclasses"])
        noun = "face " if entry["faces"] == 1 else "faces"
        lines.append(f"  {name:<10} {entry['faces']:>6} {noun}   sub-classes {subs}")
    return "\n".join(lines)
