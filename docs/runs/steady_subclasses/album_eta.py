"""Do a model's sub-classes sort an album's faces by image quality? η² within emotions.

    python -m albumsum index ../shared/data/album --db /tmp/album.sqlite
    python docs/runs/steady_subclasses/album_eta.py /tmp/album.sqlite A.pt [B.pt ...]

For each checkpoint, the faces of the index (their stored embeddings and emotions) are given the
sub-classes of that checkpoint's mixtures, and the share of the variance of each face's quality
(albumsum/core/quality.py) and of its log face size that the sub-class explains within its emotion
is printed (η²: between-sub-class sum of squares over the total, both taken within emotions).
The checkpoints must share the index's network: only their mixtures differ.
"""

from __future__ import annotations

import sys

import numpy as np

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import model_subclasses
from albumsum.core.index import IndexReader


def eta_squared(values: np.ndarray, emotions: np.ndarray, subclasses: np.ndarray) -> float:
    """Share of the within-emotion variance of ``values`` [N] that the sub-classes explain."""
    between = total = 0.0
    for c in np.unique(emotions):
        rows = emotions == c
        v, s = values[rows], subclasses[rows]
        total += float(((v - v.mean()) ** 2).sum())
        between += sum(float((s == k).sum() * (v[s == k].mean() - v.mean()) ** 2) for k in np.unique(s))
    return between / total if total else 0.0


def main(db: str, checkpoints: list[str]) -> None:
    faces = IndexReader(db).faces()
    keep = np.isfinite(faces.qualities)
    side = np.minimum(faces.boxes[:, 2] - faces.boxes[:, 0], faces.boxes[:, 3] - faces.boxes[:, 1])
    print(f"{db}: {len(faces)} faces, {int(keep.sum())} with a quality")
    for path in checkpoints:
        subs = model_subclasses(faces.embeddings, faces.emotions, read_checkpoint(path)["subclasses"], EMOTIONS)
        quality = eta_squared(faces.qualities[keep], faces.emotions[keep], subs[keep])
        size = eta_squared(np.log(side[keep]), faces.emotions[keep], subs[keep])
        print(f"{path}: quality explained {100 * quality:.1f} %, log size explained {100 * size:.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
