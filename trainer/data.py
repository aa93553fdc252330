"""Labelled face sets in the npz contract of docs/ARCHITECTURE.md, with the FER+ majority protocol.

An npz holds ``images`` uint8 [N, H, W] and either ``votes`` [N, 10] (FER+ columns: the eight
emotions, ``unknown``, ``NF``) or ``labels`` [N] (emotion names). Majority protocol: the label is
the argmax of the eight emotion votes; faces whose argmax over all ten columns is ``unknown`` or
``NF`` are dropped. Soft targets are the eight emotion votes normalised to sum to one.

The paper's figures use a stricter protocol, FER+'s own "majority" mode (Barsoum et al. 2016):
single votes are dropped as outliers, and a face is kept only if its top emotion holds more than
half of the remaining votes, ``unknown`` and ``NF`` counted in the total
(:func:`paper_protocol`). It keeps about 89 % of the faces, the easier ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from albumsum.core.emotions import EMOTIONS, NUM_EMOTIONS, emotion_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledSet:
    """Faces with labels: ``images`` uint8 [N, H, W], ``labels`` int64 [N] (emotion index),
    ``targets`` float32 [N, 8] (rows sum to 1), ``names`` str [N]."""

    images: np.ndarray
    labels: np.ndarray
    targets: np.ndarray
    names: np.ndarray
    has_votes: bool
    votes: np.ndarray | None = None  # the raw [N, 10] FER+ votes of the kept faces, where the file has them

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: np.ndarray) -> LabelledSet:
        votes = None if self.votes is None else self.votes[index]
        return LabelledSet(
            self.images[index], self.labels[index], self.targets[index], self.names[index], self.has_votes, votes
        )

    def paper_protocol(self) -> np.ndarray:
        """Bool mask [N] of the faces the paper's protocol keeps (all of them without votes)."""
        if self.votes is None:
            return np.ones(len(self), dtype=bool)
        return paper_protocol(self.votes)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=NUM_EMOTIONS)

    def second_choice(self) -> np.ndarray:
        """Index of the second-most-voted emotion per face (-1 where no other emotion got votes)."""
        masked = self.targets.copy()
        masked[np.arange(len(self)), self.labels] = -1.0
        second = masked.argmax(axis=1)
        return np.where(masked.max(axis=1) > 0, second, -1)


class DataError(ValueError):
    """A labelled-data file that does not follow the npz contract."""


def majority_protocol(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``votes`` [N, 8 or 10] -> (keep mask [N], labels [n], soft targets float32 [n, 8])."""
    votes = np.asarray(votes, dtype=np.float64)
    emo = votes[:, :NUM_EMOTIONS]
    keep = votes.argmax(axis=1) < NUM_EMOTIONS
    keep &= emo.sum(axis=1) > 0
    emo = emo[keep]
    return keep, emo.argmax(axis=1).astype(np.int64), (emo / emo.sum(axis=1, keepdims=True)).astype(np.float32)


def paper_protocol(votes: np.ndarray) -> np.ndarray:
    """FER+'s "majority" mode: ``votes`` [N, 10] -> keep mask [N].

    Votes of 1 are dropped as outliers; a face is kept when its most-voted column is an emotion
    holding more than half of the remaining votes of all ten columns. Its label is then the
    argmax of the emotion votes, as in :func:`majority_protocol`.
    """
    votes = np.asarray(votes, dtype=np.float64)
    if votes.ndim != 2 or votes.shape[1] != NUM_EMOTIONS + 2:
        raise DataError(f"the paper's protocol needs votes [N, {NUM_EMOTIONS + 2}], got {votes.shape}")
    kept = np.where(votes > 1, votes, 0.0)
    top = kept.argmax(axis=1)
    peak = kept[np.arange(len(kept)), top]
    return (top < NUM_EMOTIONS) & (peak > 0.5 * kept.sum(axis=1))


def load_labelled(path: str | Path, limit_per_class: int = 0) -> LabelledSet:
    """Read an npz of the contract; ``limit_per_class`` keeps the first N faces of each class."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file (expected an .npz with images and votes or labels)")
    with np.load(path, allow_pickle=False) as z:
        if "images" not in z:
            raise DataError(f"{path}: has no 'images' array (uint8 [N, H, W])")
        images = np.asarray(z["images"])
        names = np.asarray(z["names"]).astype(str) if "names" in z else np.arange(len(images)).astype(str)
        votes = None
        if "votes" in z:
            keep, labels, targets = majority_protocol(z["votes"])
            if z["votes"].shape[1] == NUM_EMOTIONS + 2:
                votes = np.asarray(z["votes"])[keep]
            dropped = int((~keep).sum())
            if dropped:
                log.info("%s: dropped %d faces voted unknown / not-a-face", path.name, dropped)
            images, names, has_votes = images[keep], names[keep], True
        elif "labels" in z:
            try:
                labels = np.array([emotion_index(str(s)) for s in z["labels"]], dtype=np.int64)
            except ValueError as exc:
                raise DataError(f"{path}: {exc}") from exc
            targets = np.eye(NUM_EMOTIONS, dtype=np.float32)[labels]
            has_votes = False
        else:
            raise DataError(f"{path}: needs 'votes' [N, 10] or 'labels' [N] next to 'images'")
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataError(f"{path}: 'images' must be uint8 [N, H, W], got {images.dtype} {images.shape}")
    data = LabelledSet(images, labels, targets, names, has_votes, votes)
    if limit_per_class:
        index = np.concatenate([np.flatnonzero(labels == c)[:limit_per_class] for c in range(NUM_EMOTIONS)])
        data = data.subset(np.sort(index))
    return data


def describe(data: LabelledSet) -> str:
    counts = data.class_counts()
    return ", ".join(f"{name} {n}" for name, n in zip(EMOTIONS, counts, strict=True))
