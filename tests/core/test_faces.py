"""Face stages: selection, FER framing geometry, alignment, crops from frames; MTCNN on real photos."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from albumsum.core.checkpoint import DEFAULT_INPUT_SPEC
from albumsum.core.faces import Face, MTCNNDetector, align_crop, crops_from_frames, select
from albumsum.core.framing import DEFAULT_FRAMING, Framing
from albumsum.core.images import Decoded, read_photo
from tests.core.helpers import FakeDetector

torch.set_num_threads(1)
F = DEFAULT_FRAMING
EYE_DISTANCE, EYE_LINE, EYE_TO_MOUTH, FRAME_SCALE = F.eye_distance, F.eye_line, F.eye_to_mouth, F.scale
face_frame = F.frame


def landmarks(cx: float, cy: float, eye: float, angle: float = 0.0) -> np.ndarray:
    """FER-proportioned landmarks around (cx, cy), eye distance ``eye``, rotated by ``angle``."""
    pts = np.array([[-0.5, 0], [0.5, 0], [0, 0.55], [-0.4, 1.07], [0.4, 1.07]]) * eye
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return (pts @ rot.T + [cx, cy]).astype(np.float32)


def test_select_applies_score_and_size() -> None:
    lm = landmarks(50, 50, 10)
    faces = [Face((0, 0, 30, 30), lm, 0.95), Face((0, 0, 30, 10), lm, 0.99), Face((0, 0, 40, 40), lm, 0.5)]
    assert select(faces, min_score=0.9, min_size=20) == [faces[0]]
    assert select([], min_score=0.9) == []


def test_frame_puts_the_eyes_where_fer_has_them() -> None:
    cx, cy, side, angle = face_frame(landmarks(100, 80, 37.3))
    assert side == pytest.approx(100 * FRAME_SCALE, rel=0.01) and angle == pytest.approx(0)
    assert cx == pytest.approx(100) and cy - side * (0.5 - EYE_LINE) == pytest.approx(80)


def test_frame_scale_is_the_mean_estimate_unless_the_face_is_turned() -> None:
    frontal = landmarks(100, 80, 37.3)
    wide_eyes = frontal.copy()
    wide_eyes[:2, 0] = 100 + (frontal[:2, 0] - 100) * 1.1  # eye distance 10 % above the mouth's estimate
    by_mouth = 1.07 * 37.3 / EYE_TO_MOUTH
    assert face_frame(wide_eyes)[2] == pytest.approx(FRAME_SCALE * 0.5 * (1.1 * 100 + by_mouth), rel=1e-4)
    turned = frontal.copy()
    turned[:2, 0] = 100 + (frontal[:2, 0] - 100) * 0.6  # eyes foreshortened: the mouth's estimate rules
    assert face_frame(turned)[2] == pytest.approx(FRAME_SCALE * by_mouth, rel=1e-4)


def test_align_crop_undoes_a_tilt() -> None:
    """Two dark eye dots on a tilted face land level, at FER's eye positions, in the crop."""
    size, eye, angle = 48, 60.0, math.radians(25)
    lm = landmarks(200, 180, eye, angle)
    im = Image.new("RGB", (400, 400), "white")
    draw = ImageDraw.Draw(im)
    for x, y in lm[:2]:
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill="black")
    face = align_crop(Face((0, 0, 1, 1), lm, 1.0), Decoded(np.asarray(im), 1.0, (400, 400)), size=size)
    assert face.crop.shape == (size, size) and face.crop.dtype == np.uint8 and face.thumb[:2] == b"\xff\xd8"
    dark = np.argwhere(face.crop < 100)
    left, right = dark[dark[:, 1] < size / 2], dark[dark[:, 1] >= size / 2]
    assert abs(left[:, 0].mean() - right[:, 0].mean()) < 1.0  # level
    assert left[:, 0].mean() == pytest.approx(EYE_LINE * size - 0.5, abs=1.2)
    gap = right[:, 1].mean() - left[:, 1].mean()
    assert gap == pytest.approx(EYE_DISTANCE * size / FRAME_SCALE, abs=1.5)


def test_framing_travels_in_the_checkpoint_and_old_ones_keep_the_defaults() -> None:
    assert (F.eye_distance, F.eye_line, F.eye_to_mouth, F.scale, F.agreement) == (0.373, 0.387, 0.402, 0.91, 0.15)
    assert Framing.from_spec(DEFAULT_INPUT_SPEC) == F
    old = {k: v for k, v in DEFAULT_INPUT_SPEC.items() if k != "framing"} | {"crop_margin": 0.0}
    assert Framing.from_spec(old) == F  # a checkpoint from before the framing was recorded
    wide = Framing(scale=1.0)
    assert Framing.from_spec({"framing": wide.to_spec()}) == wide and wide.identity != F.identity
    lm = landmarks(100, 80, 37.3)
    assert wide.frame(lm)[2] == pytest.approx(F.frame(lm)[2] / 0.91)


def test_the_crop_stage_uses_the_framing_it_is_given() -> None:
    lm = landmarks(200, 180, 60.0)
    im = np.asarray(Image.effect_noise((400, 400), 60).convert("RGB"))
    source = Decoded(im, 1.0, (400, 400))
    tight = align_crop(Face((0, 0, 1, 1), lm, 1.0), source, thumb_size=0).crop
    wide = align_crop(Face((0, 0, 1, 1), lm, 1.0), source, thumb_size=0, framing=Framing(scale=1.3)).crop
    assert tight.shape == wide.shape and not np.array_equal(tight, wide)


def test_crop_maps_landmarks_to_a_downscaled_source() -> None:
    lm = landmarks(200, 180, 60)
    im = np.random.default_rng(0).integers(0, 255, (400, 400, 3), np.uint8)
    full = align_crop(Face((0, 0, 1, 1), lm, 1.0), Decoded(im, 1.0, (400, 400)), thumb_size=0).crop
    half = np.asarray(Image.fromarray(im).resize((200, 200), Image.BILINEAR))
    from_half = align_crop(Face((0, 0, 1, 1), lm, 1.0), Decoded(half, 0.5, (400, 400)), thumb_size=0).crop
    assert np.abs(full.astype(int) - from_half.astype(int)).mean() < 12


def test_crops_from_frames_with_a_detector() -> None:
    frames = np.random.default_rng(0).integers(0, 255, (3, 120, 120), np.uint8)
    crops, source, missing = crops_from_frames(frames, FakeDetector(), size=48, min_size=5)
    assert crops.shape == (3, 48, 48) and source.tolist() == [0, 1, 2] and missing == 0


def test_crops_from_frames_counts_frames_without_a_face() -> None:
    class Nobody:
        def detect(self, images):
            return [[] for _ in images]

    crops, source, missing = crops_from_frames(np.zeros((2, 48, 48), np.uint8), Nobody())
    assert crops.shape == (0, 48, 48) and source.shape == (0,) and missing == 2


@pytest.fixture(scope="module")
def mtcnn() -> MTCNNDetector:
    return MTCNNDetector(device="cpu", min_face_px=20)


def test_mtcnn_finds_faces_in_a_real_photo(album_dir: Path, mtcnn: MTCNNDetector) -> None:
    photo = sorted(album_dir.glob("deepface*.jpg"))[0]
    image = read_photo(photo, max_side=512).image
    faces = select(mtcnn.detect([image])[0])
    assert faces, f"no face found in {photo.name}"
    w, h = image.size
    for f in faces:  # boxes are in original pixels, inside the photo
        assert -5 <= f.box[0] < f.box[2] <= w + 5 and -5 <= f.box[1] < f.box[3] <= h + 5
        assert f.landmarks.shape == (5, 2) and f.landmarks[0, 0] < f.landmarks[1, 0]
    crop = align_crop(faces[0], image).crop
    assert crop.shape == (48, 48) and crop.std() > 10


def test_mtcnn_batch_of_unequal_photos_matches_one_at_a_time(album_dir: Path) -> None:
    photos = sorted(album_dir.glob("ultralight*.jpg"))[:2]
    images = [read_photo(p, max_side=400).image for p in photos]
    detector = MTCNNDetector(device="cpu")
    one = [detector.detect([im])[0] for im in images]
    many = detector.detect(images)
    for a, b in zip(one, many, strict=True):
        a, b = select(a), select(b)
        assert len(a) == len(b)
        for fa, fb in zip(sorted(a, key=lambda f: f.box), sorted(b, key=lambda f: f.box), strict=True):
            assert np.allclose(fa.box, fb.box, atol=2.0)


def test_crops_from_frames_with_mtcnn_on_a_real_frame(album_dir: Path, mtcnn: MTCNNDetector) -> None:
    photo = sorted(album_dir.glob("deepface*.jpg"))[0]
    gray = np.asarray(Image.open(photo).convert("L").resize((300, 400)))
    crops, source, missing = crops_from_frames([gray, np.zeros((60, 60), np.uint8)], mtcnn)
    assert crops.shape == (1, 48, 48) and source.tolist() == [0] and missing == 1
