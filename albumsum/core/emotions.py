"""The eight FER+ emotion classes, always in FER+ column order."""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
)
NUM_EMOTIONS = len(EMOTIONS)


def emotion_index(name: str) -> int:
    """Index of an emotion name (case-insensitive); ``ValueError`` names the valid ones."""
    key = name.strip().lower()
    if key not in EMOTIONS:
        raise ValueError(f"unknown emotion {name!r}; expected one of {', '.join(EMOTIONS)}")
    return EMOTIONS.index(key)
