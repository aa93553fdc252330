"""Face quality: a sharp, frontal, well-lit, large face scores above its degraded copies."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from albumsum.core.quality import exposure_score, face_quality, pose_score, sharpness_score

FRONTAL = np.array([[30.0, 40], [66, 40], [48, 58], [34, 76], [62, 76]])


def synthetic_face(seed: int = 0) -> np.ndarray:
    """A 48 px face with edges and texture: an oval, eyes, brows, a mouth and some skin detail."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:48, :48]
    img = np.full((48, 48), 90.0)
    img[((yy - 25) / 21) ** 2 + ((xx - 24) / 16) ** 2 < 1] = 180
    for cx in (17, 31):
        img[(yy - 19) ** 2 + (xx - cx) ** 2 < 8] = 40
        img[(abs(yy - 13) < 1.5) & (abs(xx - cx) < 5)] = 60
    img[(abs(yy - 34) < 2) & (abs(xx - 24) < 8)] = 50
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def shrunk(crop: np.ndarray, side: int) -> np.ndarray:
    small = Image.fromarray(crop).resize((side, side), Image.Resampling.BOX)
    return np.asarray(small.resize(crop.shape[::-1], Image.Resampling.BILINEAR))


def blurred(crop: np.ndarray) -> np.ndarray:
    from PIL import ImageFilter

    return np.asarray(Image.fromarray(crop).filter(ImageFilter.GaussianBlur(1.5)))


def test_a_sharp_face_scores_above_its_blurred_shrunk_and_darkened_copies() -> None:
    crop = synthetic_face()
    sharp = face_quality(crop, 90, 0.999, FRONTAL)
    copies = {
        "blurred": face_quality(blurred(crop), 90, 0.999, FRONTAL),
        "shrunk": face_quality(shrunk(crop, 14), 22, 0.999, FRONTAL),  # a 22 px face in the photo
        "darkened": face_quality((crop * 0.15).astype(np.uint8), 90, 0.999, FRONTAL),
    }
    for name, worse in copies.items():
        assert worse.total < sharp.total - 0.1, (name, worse, sharp)
    assert copies["blurred"].sharpness < sharp.sharpness and copies["darkened"].exposure < sharp.exposure


def test_every_part_is_in_the_unit_interval() -> None:
    for crop in (synthetic_face(), np.zeros((48, 48), np.uint8), np.full((48, 48), 255, np.uint8)):
        q = face_quality(crop, 10, 0.5, FRONTAL)
        for value in (q.size, q.sharpness, q.confidence, q.pose, q.exposure, q.total):
            assert 0.0 <= value <= 1.0
    assert exposure_score(np.zeros((48, 48), np.uint8)) == 0.0
    assert sharpness_score(np.full((48, 48), 128, np.uint8)) == 0.0


@pytest.mark.parametrize(("nose_shift", "expected_below"), [(0, None), (10, 0.8), (20, 0.05)])
def test_pose_falls_as_the_nose_leaves_the_midline(nose_shift: float, expected_below: float | None) -> None:
    points = FRONTAL.copy()
    points[2, 0] += nose_shift
    score = pose_score(points)
    if expected_below is None:
        assert score == 1.0
    else:
        assert score < expected_below
