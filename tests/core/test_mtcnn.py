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


def test_pnet_fast_first_layer_gives_the_stock_numbers() -> None:
    """P-Net's first PReLU and pooling as matrix operations: the same numbers as the stock layers,
    odd sizes (ceil-mode pooling's partial windows) included."""
    pnet = MTCNNNets.load(mtcnn_weights_dir()).pnet
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for h, w in [(12, 12), (13, 12), (12, 15), (41, 77)]:
            x = torch.randn(1, 3, h, w, generator=gen).contiguous(memory_format=torch.channels_last)
            y = pnet.pool1(pnet.prelu1(pnet.conv1(x)))
            y = pnet.prelu3(pnet.conv3(pnet.prelu2(pnet.conv2(y))))
            reg, prob = pnet(x)
            assert torch.equal(reg, pnet.conv4_2(y)) and torch.equal(prob, torch.softmax(pnet.conv4_1(y), dim=1))


def _crowd_photo(album_dir: Path, tmp_path: Path, side: float) -> tuple[Path, list[tuple[float, ...]]]:
    """A 2400x1600 JPEG with 12 faces of shorter side ``side`` px pasted on a plain textured
    background (faces cut from a real photo); the pasted boxes."""
    from PIL import Image

    from albumsum.core.faces import MTCNNDetector, select
    from bench.crowd import cut_faces, paste_face

    photo = album_dir / "face_recognition__examples_biden.jpg"
    detector = MTCNNDetector(min_face_px=60)
    boxes = [f.box for f in select(detector.detect([read_photo(photo, max_side=None).image])[0], min_score=0.99)]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (patch,) = cut_faces([Image.open(photo).convert("RGB")], [boxes[:1]])
    rng = np.random.default_rng(0)
    noise = rng.integers(90, 160, (100, 150, 3), np.uint8)
    scene = Image.fromarray(noise).resize((2400, 1600), Image.BICUBIC)
    pasted = [paste_face(scene, patch, side, (300 + 360 * i, 500 + 500 * j)) for i in range(6) for j in range(2)]
    path = tmp_path / "crowd.jpg"
    scene.save(path, quality=92)
    return path, pasted


def _found(faces, pasted) -> int:
    return sum(any(box_iou(np.array(b), np.array(f.box)) >= 0.5 for f in faces) for b in pasted)


def test_small_faces_in_a_large_photo_are_found_in_original_pixels(album_dir: Path, tmp_path: Path) -> None:
    """22 px faces in a 2400x1600 photo read at 1024 px: 9.4 px in the detection-size copy, under
    MTCNN's 12 px window, so detecting on that copy misses them; the detector decodes the photo
    again at full resolution and finds them, with boxes in original pixels."""
    from dataclasses import replace

    from albumsum.core.faces import MTCNNDetector, select

    path, pasted = _crowd_photo(album_dir, tmp_path, 22.0)
    image = read_photo(path, max_side=1024).image
    assert image.scale < 0.5 and image.data is not None
    detector = MTCNNDetector(min_face_px=20)
    on_the_copy = select(detector.detect([replace(image, data=None)])[0])
    at_full_size = select(detector.detect([image])[0])
    assert _found(on_the_copy, pasted) <= 2
    assert _found(at_full_size, pasted) >= 11, [f.box for f in at_full_size]


def test_each_photo_of_a_batch_has_its_own_minimum_size(album_dir: Path, tmp_path: Path) -> None:
    """One call, two photos: the minimum face size of each is its own (photos read at different
    scales map the same minimum in original pixels to different sizes)."""
    from albumsum.core.faces import Face, select

    path, pasted = _crowd_photo(album_dir, tmp_path, 22.0)
    rgb = read_photo(path, max_side=None).image.rgb
    nets = MTCNNNets.load(mtcnn_weights_dir())
    (b20, p20), (b60, p60) = detect_faces(nets, [rgb, rgb], [20, 60])

    def faces(boxes, points):
        return select([Face(tuple(b[:4]), p, float(b[4])) for b, p in zip(boxes, points, strict=True)])

    assert _found(faces(b20, p20), pasted) >= 11 and _found(faces(b60, p60), pasted) <= 2
    with pytest.raises(ValueError, match="minimum sizes"):
        detect_faces(nets, [rgb, rgb], [20])


def test_a_photo_of_large_faces_is_searched_once_and_a_crowd_twice(album_dir: Path, tmp_path: Path) -> None:
    """The second, full-resolution pass runs only where the first may have missed faces: a
    2400x1600 photo of 200 px faces is done at detection size; the same photo with 22 px faces,
    and one with no face found, are searched again."""
    from albumsum.core.faces import MTCNNDetector, select

    detector = MTCNNDetector(min_face_px=20)
    calls: list[list[tuple[int, int]]] = []
    detect = detector.nets.detect

    def counting(images, min_size):
        calls.append([im.shape[:2] for im in images])
        return detect(images=images, min_size=min_size)

    object.__setattr__(detector.nets, "detect", counting)  # count the calls (the nets record is frozen)
    big_path, big = _crowd_photo(album_dir, tmp_path / "big", 200.0)
    small_path, small = _crowd_photo(album_dir, tmp_path / "small", 22.0)
    big_image = read_photo(big_path, max_side=1024).image
    found = select(detector.detect([big_image])[0])
    assert _found(found, big) >= 11 and len(calls) == 1  # one pass, at detection size
    calls.clear()
    assert _found(select(detector.detect([read_photo(small_path, max_side=1024).image])[0]), small) >= 11
    assert len(calls) == 2 and calls[1][0] == (1600, 2400)  # the second pass at full resolution
