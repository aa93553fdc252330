"""Face framing: where the square that the network sees lies around a face's landmarks.

The framing is model input, so it travels in the checkpoint (``input_spec["framing"]``, the fields of
:class:`Framing`), is passed to the crop stage (:func:`albumsum.core.faces.align_crops`) and is
stored with every face in the index (:attr:`Framing.identity`): faces cut with another framing are
cut again from their photo when the model changes. A checkpoint without a framing was made with
the defaults below.

FER framing. The defaults were measured by running the app's MTCNN on 285 FER+ ``valid`` faces
(upscaled to 192 px and padded so the detector sees the whole face): the median distance between
the eye centres is 0.373 of the crop width, the eye line lies at 0.387 of the height and the mouth
at 0.789 (eye line to mouth 0.402). The eye distance and the eye-to-mouth distance each estimate
the face's scale; where they agree within ``agreement`` (15 %) the crop takes their mean, otherwise
the larger one, so a face turned sideways (short eye distance) or nodding (short eye-to-mouth) is
not zoomed in on. (Always taking the larger one made frontal crops about 5 % too wide: the larger
of two noisy estimates is biased upwards.) The crop side is then ``scale`` (0.91) of that estimate:
registering the app's crops of FER faces placed in scenes onto the original crops found them still
wider than FER's framing, and a too-wide crop brings in what FER crops never show
(``albumsum-train recrop``; the choice was made on 80 faces and checked on 300 others, see
resources/models/MODEL_CARD.md and ``scripts/recrop_framing.py``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


class FrameRule(Protocol):
    """Anything that places the square: a :class:`Framing`, or an experiment's own rule."""

    @property
    def identity(self) -> str: ...

    def frame(self, landmarks: np.ndarray) -> tuple[float, float, float, float]: ...


@dataclass(frozen=True)
class Framing:
    """The FER framing rule and its constants (see the module docstring)."""

    eye_distance: float = 0.373  # eye-centre distance / crop width in FER2013
    eye_line: float = 0.387  # eye line / crop height
    eye_to_mouth: float = 0.402  # eye line to mouth centre / crop height
    scale: float = 0.91  # crop side / the landmarks' estimate of the FER-framed side
    agreement: float = 0.15  # the two scale estimates "agree" when they differ by at most this fraction

    @property
    def identity(self) -> str:
        """A short stable name of the framing, stored with each face cut with it."""
        return "fer-" + "-".join(f"{v:g}" for v in dataclasses.astuple(self))

    def to_spec(self) -> dict[str, float]:
        return dataclasses.asdict(self)

    @classmethod
    def from_spec(cls, input_spec: Mapping[str, Any]) -> Framing:
        """The framing of a checkpoint's ``input_spec`` (the defaults when it records none)."""
        return cls(**{k: float(v) for k, v in dict(input_spec.get("framing") or {}).items()})

    def frame(self, landmarks: np.ndarray) -> tuple[float, float, float, float]:
        """Centre (x, y), side and angle (radians) of the framed square around a face.

        ``landmarks`` [5, 2] (eyes, nose, mouth corners) in any pixel unit; the result is in that
        unit. The side is ``scale`` times the mean of the two scale estimates where they differ by at
        most ``agreement`` of the larger, else the larger (``agreement=0``: always the larger;
        ``inf``: always the mean).
        """
        lm = np.asarray(landmarks, np.float64)
        eye_l, eye_r = lm[0], lm[1]
        mouth = 0.5 * (lm[3] + lm[4])
        eyes = 0.5 * (eye_l + eye_r)
        angle = math.atan2(eye_r[1] - eye_l[1], eye_r[0] - eye_l[0])
        by_eyes = np.linalg.norm(eye_r - eye_l) / self.eye_distance
        by_mouth = np.linalg.norm(mouth - eyes) / self.eye_to_mouth
        larger = max(by_eyes, by_mouth)
        estimate = 0.5 * (by_eyes + by_mouth) if abs(by_eyes - by_mouth) <= self.agreement * larger else larger
        side = max(self.scale * estimate, 1.0)
        # the eye line sits eye_line down the square: move from the eyes to the centre along the face's "down"
        down = np.array([-math.sin(angle), math.cos(angle)])
        centre = eyes + down * side * (0.5 - self.eye_line)
        return float(centre[0]), float(centre[1]), float(side), angle


DEFAULT_FRAMING = Framing()
