"""A user's corrections: "not a face", "this is a face" and "this face is <emotion>", kept as data
in the index.

A correction is stored against the face's photo (its content hash and its path) and its box, not
its face id: a photo read again (a new framing, or a file rewritten by an editor, which changes its
content hash but not its path) gets new face rows, and a correction finds its face again as the
face of that content, or else of that path, whose box overlaps the stored one most, by at least
:data:`MATCH_IOU`. A re-embed for a new model keeps the rows, so corrections
simply stay. Corrections are applied wherever faces are read (:meth:`IndexReader.faces`), so
groups, the summary, exports and the map all honour them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.faces import box_iou

MATCH_IOU = 0.5
KINDS = ("not_face", "is_face", "emotion")
EXCLUSIVE = {"not_face": ("is_face",), "is_face": ("not_face",)}  # kinds a correction replaces, besides its own


@dataclass(frozen=True)
class Correction:
    """``kind`` ``not_face``, ``is_face`` (the user kept a face the app proposed to reject) or
    ``emotion`` (``value`` the emotion's name) for the face of content ``hash`` at ``box``
    (x0, y0, x1, y1, original pixels)."""

    hash: str
    box: tuple[float, float, float, float]
    kind: str
    value: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown correction {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.kind == "emotion" and self.value not in EMOTIONS:
            raise ValueError(f"unknown emotion {self.value!r}; expected one of {', '.join(EMOTIONS)}")


def match(
    hashes: Sequence[str], paths: Sequence[str], boxes: np.ndarray, corrections: Sequence[Correction]
) -> dict[int, list[Correction]]:
    """Face row -> the corrections that belong to it: for each correction, the face of its content
    (else of its path) whose box overlaps it most (at least :data:`MATCH_IOU`)."""
    rows_of: dict[str, list[int]] = {}
    rows_at: dict[str, list[int]] = {}
    for row, (digest, path) in enumerate(zip(hashes, paths, strict=True)):
        rows_of.setdefault(digest, []).append(row)
        rows_at.setdefault(path, []).append(row)
    out: dict[int, list[Correction]] = {}
    for c in corrections:
        rows = rows_of.get(c.hash) or (rows_at.get(c.path) if c.path else None)
        if not rows:
            continue
        iou = box_iou(np.asarray(boxes)[rows], np.asarray(c.box))[:, 0]
        best = int(np.argmax(iou))
        if iou[best] >= MATCH_IOU:
            out.setdefault(rows[best], []).append(c)
    return out


def apply(
    emotions: np.ndarray, subclasses: np.ndarray, found: dict[int, list[Correction]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(keep mask, emotions, sub-classes, corrected mask, confirmed mask) after the matched
    corrections: a face marked not a face is left out; a face moved to another emotion gets it, in
    sub-class 0 of it (the model's sub-classes are fitted per emotion); a face the user kept as a
    face is confirmed."""
    n = len(emotions)
    keep, corrected, confirmed = np.ones(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    emotions, subclasses = np.array(emotions, np.int64), np.array(subclasses, np.int64)
    for row, items in found.items():
        for c in items:
            if c.kind == "not_face":
                keep[row] = False
            elif c.kind == "is_face":
                confirmed[row] = True
            else:
                if EMOTIONS.index(c.value) != emotions[row]:
                    emotions[row], subclasses[row] = EMOTIONS.index(c.value), 0
                corrected[row] = True
    return keep, emotions, subclasses, corrected, confirmed
