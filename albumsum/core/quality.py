"""How good a face is to show: size, sharpness, detector confidence, pose and exposure, in [0, 1].

A summary should show a sharp, frontal, well-lit face that fills the crop, not the blurred 25 px
face at the back of a crowd, even when both sit near their group's centre. Each part is a score in
[0, 1]; the quality is their weighted mean (:data:`WEIGHTS`):

- **size**: the face box's shorter side in original photo pixels, 0 at :data:`SIZE_RANGE`'s low
  end (the smallest face the app keeps) and 1 from its high end on;
- **sharpness**: the mean absolute Laplacian of the grayscale crop at half its size (the 2x2
  average takes sensor noise out, not the blur of a face enlarged from a few pixels), on a log
  scale between :data:`SHARPNESS_RANGE` (FER+ faces: 28-65 at the 5th-95th percentile; their
  copies made small, blurred and dark as in crowd photos: 10-31);
- **confidence**: the detector's probability, 0 at the app's threshold 0.9 and 1 at 1.0;
- **pose**: how frontal the landmarks are: the nose's offset from the eyes' midline and the
  eyes-to-mouth line, relative to the distance between the eyes (0 for a profile);
- **exposure**: the crop's mean brightness away from black and white, and its contrast.

All of it comes from what the detector and the crop stage already have, in microseconds a face.

**Likely non-faces.** A hand, the back of a head or a camera lens that the detector took for a
face is usually both a poor face to show and a doubtful detection. :func:`likely_non_faces`
proposes the faces below :data:`NON_FACE_QUALITY` whose detector probability is below
:data:`NON_FACE_SCORE`, for the user to reject or keep; nothing is hidden without the user. On the
41-photo sample album it proposes 1 of 160 faces: the top of a head in a crowd.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SIZE_RANGE = (20.0, 96.0)  # px, shorter side of the face box in the photo
SHARPNESS_RANGE = (8.0, 45.0)  # mean |Laplacian| at half the crop's size, grey levels: blurred .. sharp
NON_FACE_QUALITY = 0.45  # below this quality ...
NON_FACE_SCORE = 0.98  # ... and this detector probability, a face is proposed as a likely non-face
WEIGHTS = {"size": 0.3, "sharpness": 0.25, "confidence": 0.1, "pose": 0.15, "exposure": 0.2}


@dataclass(frozen=True)
class Quality:
    """The parts and their weighted mean ``total``, each in [0, 1]."""

    size: float
    sharpness: float
    confidence: float
    pose: float
    exposure: float

    @property
    def total(self) -> float:
        return float(sum(WEIGHTS[name] * getattr(self, name) for name in WEIGHTS))


def _ramp(value: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (value - lo) / (hi - lo))))


def sharpness_score(crop: np.ndarray) -> float:
    """Mean absolute 4-neighbour Laplacian of ``crop`` uint8 [S, S] averaged 2x2, log scale, in [0, 1]."""
    x = np.asarray(crop, dtype=np.float32)
    x = x[: x.shape[0] // 2 * 2, : x.shape[1] // 2 * 2]
    x = (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2]) / 4
    lap = 4 * x[1:-1, 1:-1] - x[:-2, 1:-1] - x[2:, 1:-1] - x[1:-1, :-2] - x[1:-1, 2:]
    energy = float(np.abs(lap).mean())
    lo, hi = SHARPNESS_RANGE
    return _ramp(math.log1p(energy), math.log1p(lo), math.log1p(hi))


def pose_score(landmarks: np.ndarray) -> float:
    """1 for a frontal face, falling to 0 as the nose leaves the midline (a turned head).

    ``landmarks`` [5, 2]: eye left, eye right, nose, mouth left, mouth right (image coordinates).
    """
    p = np.asarray(landmarks, dtype=np.float64)
    eyes, mouth = p[:2].mean(axis=0), p[3:].mean(axis=0)
    across = p[1] - p[0]
    span = float(np.hypot(*across))
    if span < 1e-6:
        return 0.0
    axis = mouth - eyes  # the face's vertical midline
    length = float(np.hypot(*axis))
    if length < 1e-6:
        return 0.0
    normal = np.array([-axis[1], axis[0]]) / length
    offset = abs(float((p[2] - eyes) @ normal)) / span  # 0 frontal, ~0.5 in near-profile
    return _ramp(0.45 - offset, 0.0, 0.35)


def exposure_score(crop: np.ndarray) -> float:
    """1 for a crop of mid brightness and normal contrast; 0 for a black, white or flat one."""
    x = np.asarray(crop, dtype=np.float32)
    mean, std = float(x.mean()), float(x.std())
    level = min(_ramp(mean, 25.0, 80.0), _ramp(255.0 - mean, 25.0, 80.0))
    return level * _ramp(std, 8.0, 35.0)


def face_quality(crop: np.ndarray, short_side: float, score: float, landmarks: np.ndarray) -> Quality:
    """The quality of one face: its grayscale ``crop``, its box's ``short_side`` in photo pixels,
    the detector's ``score`` and its five ``landmarks``."""
    return Quality(
        size=_ramp(short_side, *SIZE_RANGE),
        sharpness=sharpness_score(crop),
        confidence=_ramp(score, 0.9, 1.0),
        pose=pose_score(landmarks),
        exposure=exposure_score(crop),
    )


def likely_non_faces(qualities: np.ndarray, scores: np.ndarray, confirmed: np.ndarray | None = None) -> np.ndarray:
    """Rows of the faces to propose as not faces: quality below :data:`NON_FACE_QUALITY` and
    detector probability below :data:`NON_FACE_SCORE`, leaving out those the user kept
    (``confirmed``) and those of unknown quality; worst first."""
    q = np.asarray(qualities, np.float64)
    doubtful = (q < NON_FACE_QUALITY) & (np.asarray(scores, np.float64) < NON_FACE_SCORE)
    if confirmed is not None:
        doubtful &= ~np.asarray(confirmed, bool)
    rows = np.flatnonzero(doubtful)
    return rows[np.argsort(q[rows], kind="stable")]
