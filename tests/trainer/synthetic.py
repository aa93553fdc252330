"""Synthetic faces with planted emotions and sub-classes, for tests that train end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from albumsum.core.emotions import EMOTIONS


def planted_images(per_group: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two "emotions" (a horizontal or a vertical bar), each with two planted sub-classes (a bright
    square in the top-left or the bottom-right corner). Returns images uint8 [N, 48, 48],
    emotion ids [N] (0 or 1) and planted sub-class ids within the emotion [N] (0 or 1)."""
    rng = np.random.default_rng(seed)
    images, emotion, sub = [], [], []
    for e in (0, 1):
        for s in (0, 1):
            for _ in range(per_group):
                img = rng.normal(90, 12, (48, 48))
                if e == 0:
                    img[20:28, 6:42] += 110
                else:
                    img[6:42, 20:28] += 110
                if s == 0:
                    img[2:14, 2:14] += 120
                else:
                    img[34:46, 34:46] += 120
                images.append(np.clip(img, 0, 255).astype(np.uint8))
                emotion.append(e)
                sub.append(s)
    return np.stack(images), np.array(emotion), np.array(sub)


def write_planted_npz(
    path: Path, per_group: int = 60, seed: int = 0, votes: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """With ``votes`` the faces carry FER+ votes: 8 for the emotion and 2 for a second choice that
    follows the planted sub-class (surprise for sub-class 0, fear for 1); else plain labels."""
    images, emotion, sub = planted_images(per_group, seed)
    if votes:
        table = np.zeros((len(emotion), 10), dtype=np.uint8)
        table[np.arange(len(emotion)), emotion] = 8
        table[np.arange(len(emotion)), np.where(sub == 0, 2, 6)] = 2
        np.savez(path, images=images, votes=table)
    else:
        np.savez(path, images=images, labels=np.array(EMOTIONS)[emotion])
    return emotion, sub
