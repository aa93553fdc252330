"""The re-crop check: scenes built from 48x48 faces, the app's pipeline on them, and the agreement count."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from albumsum.core.faces import MTCNNDetector
from trainer.data import load_labelled
from trainer.recrop import Placement, agreement, load_detections, place, recrop, save_detections

torch.set_num_threads(1)


class MeanEmbedder:
    """Predicts class 0 for dark crops and class 1 for bright ones."""

    def predict(self, crops: np.ndarray) -> SimpleNamespace:
        bright = np.asarray(crops, np.float64).reshape(len(crops), -1).mean(axis=1) > 127
        proba = np.stack([~bright, bright], axis=1).astype(np.float32)
        return SimpleNamespace(proba=proba)


def test_agreement_counts_a_missed_face_as_disagreement() -> None:
    faces = np.stack([np.zeros((48, 48), np.uint8), np.full((48, 48), 255, np.uint8)])
    placements = [Placement(0, 96, 0.0), Placement(0, 160, 10.0), Placement(1, 96, 0.0), Placement(1, 160, 10.0)]
    crops = [faces[0], faces[1], faces[1], None]  # agree, disagree, agree, missed
    m = agreement(MeanEmbedder(), faces, placements, crops)  # type: ignore[arg-type]
    assert m["agreement"] == 50.0 and m["detected"] == 75.0
    assert abs(m["agreement_when_detected"] - 200 / 3) < 1e-9
    assert m["agreement_size_96"] == 100.0 and m["agreement_size_160"] == 0.0 and m["scenes"] == 4


def test_scene_keeps_its_size_and_holds_the_face() -> None:
    face = np.zeros((48, 48), np.uint8)
    face[12:36, 12:36] = 255  # a bright square, 80 x 80 px once upscaled to 160
    scene = np.asarray(place(face, 160, 10.0, np.random.default_rng(0)))
    assert scene.shape == (480, 640) and scene.dtype == np.uint8
    assert 4000 < (scene > 250).sum() < 8000  # the square is in it, turned, and the background is not white


def test_mtcnn_finds_placed_fer_faces_and_crops_them(ferplus_dir: Path) -> None:
    faces = load_labelled(ferplus_dir / "valid.npz").images[:4]
    placements, crops, _ = recrop(faces, MTCNNDetector(), sizes=(160,), angles=(0.0,))
    assert [p.index for p in placements] == [0, 1, 2, 3]
    found = [c for c in crops if c is not None]
    assert len(found) >= 3 and all(c.shape == (48, 48) and c.dtype == np.uint8 for c in found)


def test_saved_detections_crop_the_same_faces_without_the_detector(ferplus_dir: Path, tmp_path: Path) -> None:
    faces = load_labelled(ferplus_dir / "valid.npz").images[:2]
    placements, crops, found = recrop(faces, MTCNNDetector(), seed=3, sizes=(160,), angles=(0.0, 10.0))
    assert any(f is not None for f in found)
    key = {"n": 2, "skip": 0, "seed": 3}
    path = tmp_path / "detections.npz"
    assert load_detections(path, key) is None
    save_detections(path, key, found)
    assert load_detections(path, {**key, "skip": 5}) is None
    saved = load_detections(path, key)
    again = recrop(faces, None, seed=3, sizes=(160,), angles=(0.0, 10.0), detections=saved)
    assert again[0] == placements
    for a, b in zip(crops, again[1], strict=True):
        assert (a is None and b is None) or np.array_equal(a, b)
