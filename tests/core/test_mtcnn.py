"""The MTCNN stages against facenet-pytorch's reference implementation, and NMS against torchvision's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from albumsum.core.images import read_photo
from albumsum.core.mtcnn import MTCNNNets, detect_faces, nms
from albumsum.core.resources import mtcnn_weights_dir

torch.set_num_threads(1)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_nms_union_matches_torchvision() -> None:
    from torchvision.ops import nms as tv_nms

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 200, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 60, (300, 2))], axis=1)
    scores = rng.uniform(0, 1, 300)
    for threshold in (0.3, 0.5, 0.7):
        ours = nms(boxes, scores, threshold)
        ref = tv_nms(torch.from_numpy(boxes), torch.from_numpy(scores), threshold).numpy()
        assert ours.tolist() == ref.tolist()
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)


def test_nms_min_suppresses_a_box_inside_a_better_one() -> None:
    boxes = np.array([[0, 0, 100, 100], [10, 10, 40, 40], [200, 200, 220, 220]], float)
    scores = np.array([0.9, 0.95, 0.5])
    assert sorted(nms(boxes, scores, 0.7, method="min").tolist()) == [1, 2]  # the small one wins: higher score
    assert sorted(nms(boxes, scores, 0.7).tolist()) == [0, 1, 2]  # IoU 0.09: both kept


def test_weights_load_without_importing_facenet_or_torchvision() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from albumsum.core.faces import MTCNNDetector; MTCNNDetector();"
        "bad = [m for m in ('facenet_pytorch', 'torchvision') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_missing_weights_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"pnet\.pt"):
        MTCNNNets.load(tmp_path)


def test_boxes_and_landmarks_match_facenet_pytorch(album_dir: Path) -> None:
    """Same faces as facenet-pytorch's ``detect_face`` on real photos, boxes within a few pixels."""
    from facenet_pytorch import MTCNN
    from facenet_pytorch.models.utils.detect_face import detect_face

    nets = MTCNNNets.load(mtcnn_weights_dir())
    ref = MTCNN(keep_all=True)
    photos = sorted(album_dir.glob("*.jpg"))[::6]
    images = [read_photo(p, max_side=640).image.rgb for p in photos]
    ours = detect_faces(nets, images, 20)  # all photos in one call: shared R-/O-Net batches
    matched = total = 0
    for image, (boxes, points) in zip(images, ours, strict=True):
        with torch.inference_mode():
            rb, rp = detect_face(image[None].copy(), 20, ref.pnet, ref.rnet, ref.onet, [0.6, 0.7, 0.7], 0.709, "cpu")
        for b, p in zip(rb[0], rp[0], strict=True):
            if b[4] < 0.9:
                continue
            total += 1
            ious = [box_iou(b, o) for o in boxes]
            if ious and max(ious) > 0.7:
                j = int(np.argmax(ious))
                matched += 1
                assert np.abs(points[j] - p).max() < 0.1 * (b[2] - b[0])  # landmarks within 10 % of the face
    assert total >= 5 and matched >= total - 1, (matched, total)
