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

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, build_groups
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
