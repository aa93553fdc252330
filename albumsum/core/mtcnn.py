"""MTCNN face detection: facenet-pytorch's three networks and weights, with faster resampling.

The networks (P-, R- and O-Net) and their weights are facenet-pytorch's, loaded from the weight
files in its wheel (or a bundle's ``resources/mtcnn``) without importing that package, so the app's
runtime needs neither it nor torchvision. The stage arithmetic (box generation, regression, squaring,
padding, non-maximum suppression with the same thresholds) follows facenet-pytorch's
``detect_face``. Two things differ, both for speed on a CPU:

- the image pyramid is Pillow's box filter on the uint8 photo, each level from the one above (area
  averaging, as facenet-pytorch's ``interpolate(mode="area")`` on float tensors, at a tenth of the
  cost), and
- the candidate crops for R-Net and O-Net are cut and resized by Pillow (one C call per box) instead
  of one tensor interpolation per box; all candidates of all photos of a call go through R-Net and
  O-Net as one batch.

On the shared album it finds the same faces as facenet-pytorch's ``detect_face``, boxes within 2 px
at the median (tests/core/test_mtcnn.py checks faces and landmarks on real photos).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

THRESHOLDS = (0.6, 0.7, 0.7)  # P-, R-, O-Net face probability to pass a candidate on
FACTOR = 0.709  # scale step of the image pyramid
CELL, STRIDE = 12, 2  # P-Net's window and stride, pixels of a pyramid level
CHUNK = 512  # candidates per R-/O-Net forward pass


def _conv(cin: int, cout: int, k: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel_size=k), nn.PReLU(cout)]


class PNet(nn.Module):
    """Proposal network: fully convolutional, a face probability and a box offset per 12 px window."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 10, 3)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(10, 16, 3)
        self.conv3, self.prelu3 = _conv(16, 32, 3)
        self.conv4_1 = nn.Conv2d(32, 2, kernel_size=1)
        self.conv4_2 = nn.Conv2d(32, 4, kernel_size=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv1(x)
        if x.is_contiguous(memory_format=torch.channels_last) and x.shape[1] == self.prelu1.num_parameters:
            x = _pool2x2_channels_last(_prelu_channels_last(x, self.prelu1.weight))
        else:
            x = self.pool1(self.prelu1(x))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self.conv4_2(x), torch.softmax(self.conv4_1(x), dim=1)


def _prelu_channels_last(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """PReLU of a channels-last [N, C, H, W] tensor as one [N*H*W, C] matrix: the same numbers, 1.4x
    faster than ``nn.PReLU`` on P-Net's 10-channel first layer (a strided channel broadcast)."""
    n, c, h, w = x.shape
    flat = torch.nn.functional.prelu(x.permute(0, 2, 3, 1).reshape(-1, c), weight)
    return flat.view(n, h, w, c).permute(0, 3, 1, 2)


def _pool2x2_channels_last(x: torch.Tensor) -> torch.Tensor:
    """``MaxPool2d(2, 2, ceil_mode=True)`` of a channels-last tensor as two pairwise maxima over
    [N, H, W, C] views: the same numbers, 3x faster than the pooling kernel on 10 channels."""
    n, c, h, w = x.shape
    v = x.permute(0, 2, 3, 1)
    rows = torch.empty((n, (h + 1) // 2, w, c), dtype=x.dtype, device=x.device)
    torch.maximum(v[:, 0 : h - 1 : 2], v[:, 1:h:2], out=rows[:, : h // 2])
    if h % 2:
        rows[:, h // 2] = v[:, h - 1]
    out = torch.empty((n, (h + 1) // 2, (w + 1) // 2, c), dtype=x.dtype, device=x.device)
    torch.maximum(rows[:, :, 0 : w - 1 : 2], rows[:, :, 1:w:2], out=out[:, :, : w // 2])
    if w % 2:
        out[:, :, w // 2] = rows[:, :, w - 1]
    return out.permute(0, 3, 1, 2)


class RNet(nn.Module):
    """Refinement network on 24x24 candidates."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 28, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(28, 48, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv(48, 64, 2)
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        x = self.prelu4(self.dense4(x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)))  # the weights' layout
        return self.dense5_2(x), torch.softmax(self.dense5_1(x), dim=1)


class ONet(nn.Module):
    """Output network on 48x48 candidates: probability, box offset and five landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.prelu1 = _conv(3, 32, 3)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2, self.prelu2 = _conv(32, 64, 3)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3, self.prelu3 = _conv(64, 64, 3)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4, self.prelu4 = _conv(64, 128, 2)
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.prelu5(self.dense5(x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)))
        return self.dense6_2(x), self.dense6_3(x), torch.softmax(self.dense6_1(x), dim=1)


@dataclass(frozen=True)
class MTCNNNets:
    """The three networks, in eval mode on one device, channels-last (max-pooling, the slowest op
    of R- and O-Net in the stock layout, runs ~3x faster so on a CPU). All three run in float32 by
    default: bfloat16 makes P- and R-Net's few-channel convolutions slower, and under bfloat16 O-Net's
    box regression shrinks faces by 1 % on average (median width 0.990 of facenet-pytorch's on a crowd
    scene, against 0.999 in float32), which drops faces of 20-21 px under a 20 px minimum; on the
    2-core Xeon it was also no faster there (402 against 418 ms for 512 candidates)."""

    pnet: PNet
    rnet: RNet
    onet: ONet
    device: torch.device
    onet_bf16: bool = False  # O-Net under bfloat16 autocast (opt-in: see above)

    @classmethod
    def load(cls, weights_dir: str | Path, device: str | torch.device = "cpu") -> MTCNNNets:
        """Networks from ``pnet.pt``, ``rnet.pt`` and ``onet.pt`` (facenet-pytorch's state dicts)."""
        device = torch.device(device)
        nets = []
        for name, net in (("pnet", PNet()), ("rnet", RNet()), ("onet", ONet())):
            path = Path(weights_dir) / f"{name}.pt"
            if not path.is_file():
                raise FileNotFoundError(f"MTCNN weights {path} not found (expected facenet-pytorch's {name}.pt)")
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            nets.append(net.eval().to(device, memory_format=torch.channels_last).requires_grad_(False))
        return cls(*nets, device=device)

    def detect(
        self, images: Sequence[np.ndarray], min_size: float | Sequence[float]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """:func:`detect_faces` with these networks."""
        return detect_faces(self, images, min_size)


def _to_input(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> normalised float [N, 3, H, W], channels-last, on ``device``."""
    x = torch.from_numpy(batch).to(device).permute(0, 3, 1, 2).float()
    return ((x - 127.5) * 0.0078125).contiguous(memory_format=torch.channels_last)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, method: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, best first.

    ``union``: intersection over union with continuous areas (torchvision's ``nms``); ``min``:
    intersection over the smaller box with inclusive pixel areas (MTCNN's last stage). The overlaps
    are computed only for pairs whose x-extents meet (a sweep over the boxes sorted by x0), so the
    thousands of proposals of a large pyramid level cost milliseconds.
    """
    n = len(boxes)
    if n == 0:
        return np.zeros(0, np.int64)
    plus = 1.0 if method == "min" else 0.0
    order = np.argsort(-scores, kind="stable")
    b = np.asarray(boxes, np.float64)[order]
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = (x1 - x0 + plus) * (y1 - y0 + plus)
    # pairs (i, j) with x0[i] <= x0[j] < x1[i] + plus: every pair of overlapping boxes appears once
    by_x = np.argsort(x0, kind="stable")
    sx0 = x0[by_x]
    lo = np.arange(n) + 1
    hi = np.searchsorted(sx0, x1[by_x] + plus, side="left")
    hi = np.maximum(hi, lo)
    counts = hi - lo
    first = np.repeat(by_x, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    second = by_x[np.repeat(lo, counts) + offsets]
    w = np.maximum(0.0, np.minimum(x1[first], x1[second]) - np.maximum(x0[first], x0[second]) + plus)
    h = np.maximum(0.0, np.minimum(y1[first], y1[second]) - np.maximum(y0[first], y0[second]) + plus)
    inter = w * h
    a, c = area[first], area[second]
    denom = np.minimum(a, c) if method == "min" else a + c - inter
    over = inter > threshold * denom
    # suppress the lower-scored box of each overlapping pair, in score order
    i, j = np.minimum(first[over], second[over]), np.maximum(first[over], second[over])
    by_i = np.argsort(i, kind="stable")
    i, j = i[by_i], j[by_i]
    starts = np.searchsorted(i, np.arange(n + 1))
    suppressed = np.zeros(n, bool)
    keep = []
    for k in range(n):
        if not suppressed[k]:
            keep.append(k)
            suppressed[j[starts[k] : starts[k + 1]]] = True
    return order[np.asarray(keep, np.int64)]


def _nms_per_image(boxes: np.ndarray, scores: np.ndarray, owner: np.ndarray, threshold: float, method: str = "union"):
    """:func:`nms` within each photo of ``owner``; indices into the inputs."""
    keep = [
        np.flatnonzero(owner == k)[nms(boxes[owner == k], scores[owner == k], threshold, method)]
        for k in np.unique(owner)
    ]
    return np.concatenate(keep) if keep else np.zeros(0, np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box [n, >=4] to a square around its centre (``rerec``)."""
    out = boxes.copy()
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    out[:, 0] = boxes[:, 0] + 0.5 * (w - side)
    out[:, 1] = boxes[:, 1] + 0.5 * (h - side)
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply R-/O-Net box offsets (fractions of the inclusive width and height; ``bbreg``)."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, :4] = boxes[:, :4] + offsets * np.stack([w, h, w, h], axis=1)
    return out


def _regions(boxes: np.ndarray, sizes: list[tuple[int, int]], owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel regions (left, top, right, bottom) of the boxes clipped to their photo (``pad``:
    MTCNN resizes the part inside the photo), and which regions are not empty."""
    b = np.trunc(boxes[:, :4]).astype(np.int64)
    w = np.array([sizes[k][0] for k in owner], np.int64)
    h = np.array([sizes[k][1] for k in owner], np.int64)
    left, top = np.maximum(b[:, 0], 1) - 1, np.maximum(b[:, 1], 1) - 1
    right, bottom = np.minimum(b[:, 2], w), np.minimum(b[:, 3], h)
    regions = np.stack([left, top, right, bottom], axis=1)
    return regions, (right > left) & (bottom > top)


def _crops(images: list[Image.Image], regions: np.ndarray, owner: np.ndarray, size: int) -> np.ndarray:
    """uint8 [n, size, size, 3]: each region of its photo, area-resampled."""
    out = np.empty((len(regions), size, size, 3), np.uint8)
    for i, (region, k) in enumerate(zip(regions, owner, strict=True)):
        out[i] = images[k].resize((size, size), Image.BOX, box=tuple(int(v) for v in region))
    return out


def _run(net: nn.Module, batch: np.ndarray, device: torch.device, bf16: bool = False) -> list[np.ndarray]:
    """Outputs of ``net`` on uint8 crops, in chunks, as float64 arrays."""
    outs: list[list[np.ndarray]] = []
    for i in range(0, len(batch), CHUNK):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            res = net(_to_input(batch[i : i + CHUNK], device))
        outs.append([r.float().cpu().numpy().astype(np.float64) for r in res])
    return [np.concatenate(parts) for parts in zip(*outs, strict=True)]


def _pyramid_scales(width: int, height: int, min_size: float, factor: float) -> list[float]:
    scales, scale = [], CELL / min_size
    shortest = min(width, height) * scale
    while shortest >= CELL:
        scales.append(scale)
        scale *= factor
        shortest *= factor
    return scales


def _proposals(nets: MTCNNNets, image: Image.Image, min_size: float, factor: float) -> np.ndarray:
    """Stage 1 on one photo: [n, 5] squared candidate boxes (x0, y0, x1, y1, p)."""
    width, height = image.size
    found, level = [], image
    for scale in _pyramid_scales(width, height, min_size, factor):
        level = level.resize((int(width * scale + 1), int(height * scale + 1)), Image.BOX)  # from the level above
        reg, prob = _run(nets.pnet, np.array(level)[None], nets.device)
        ys, xs = np.nonzero(prob[0, 1] >= THRESHOLDS[0])
        if not len(ys):
            continue
        cells = np.stack([xs, ys], axis=1).astype(np.float64)
        boxes = np.concatenate(
            [
                np.floor((STRIDE * cells + 1) / scale),
                np.floor((STRIDE * cells + CELL) / scale),
                prob[0, 1, ys, xs][:, None],
                reg[0][:, ys, xs].T,
            ],
            axis=1,
        )
        found.append(boxes[nms(boxes[:, :4], boxes[:, 4], 0.5)])
    if not found:
        return np.zeros((0, 5))
    boxes = np.concatenate(found)
    boxes = boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    moved = boxes[:, :4] + boxes[:, 5:9] * np.stack([w, h, w, h], axis=1)
    return _square(np.concatenate([moved, boxes[:, 4:5]], axis=1))


def detect_faces(
    nets: MTCNNNets, images: Sequence[np.ndarray], min_size: float | Sequence[float], factor: float = FACTOR
) -> list[tuple[np.ndarray, np.ndarray]]:
    """MTCNN on uint8 RGB photos [H, W, 3] (any sizes): per photo ``(boxes [n, 5], landmarks [n, 5, 2])``,
    boxes (x0, y0, x1, y1, p) and landmarks in that photo's pixels. ``min_size``: smallest face, pixels
    of the photos (one number for all, or one per photo)."""
    pils = [Image.fromarray(np.ascontiguousarray(im)) for im in images]
    sizes = [p.size for p in pils]
    mins = [float(min_size)] * len(pils) if np.isscalar(min_size) else [float(m) for m in min_size]  # type: ignore[union-attr]
    if len(mins) != len(pils):
        raise ValueError(f"{len(mins)} minimum sizes for {len(pils)} photos")
    empty = [(np.zeros((0, 5)), np.zeros((0, 5, 2))) for _ in pils]
    with torch.inference_mode():
        stage1 = [_proposals(nets, p, m, factor) for p, m in zip(pils, mins, strict=True)]
        boxes = np.concatenate(stage1)
        owner = np.concatenate([np.full(len(b), k) for k, b in enumerate(stage1)]).astype(np.int64)
        # stage 2: R-Net on 24x24 crops of every candidate of every photo
        regions, ok = _regions(boxes, sizes, owner)
        boxes, owner, regions = boxes[ok], owner[ok], regions[ok]
        if not len(boxes):
            return empty
        reg, prob = _run(nets.rnet, _crops(pils, regions, owner, 24), nets.device)
        passed = prob[:, 1] > THRESHOLDS[1]
        boxes = np.concatenate([boxes[passed, :4], prob[passed, 1:2]], axis=1)
        owner, reg = owner[passed], reg[passed]
        keep = _nms_per_image(boxes[:, :4], boxes[:, 4], owner, 0.7)
        boxes = _square(_regress(boxes[keep], reg[keep]))
        owner = owner[keep]
        # stage 3: O-Net on 48x48 crops: final probability, box and landmarks
        regions, ok = _regions(boxes, sizes, owner)
        boxes, owner, regions = boxes[ok], owner[ok], regions[ok]
        if not len(boxes):
            return empty
        reg, marks, prob = _run(nets.onet, _crops(pils, regions, owner, 48), nets.device, nets.onet_bf16)
    passed = prob[:, 1] > THRESHOLDS[2]
    boxes = np.concatenate([boxes[passed, :4], prob[passed, 1:2]], axis=1)
    owner, reg, marks = owner[passed], reg[passed], marks[passed]
    w = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
    h = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
    points = np.stack([w * marks[:, :5] + boxes[:, 0:1] - 1, h * marks[:, 5:] + boxes[:, 1:2] - 1], axis=2)
    boxes = _regress(boxes, reg)
    keep = _nms_per_image(boxes[:, :4], boxes[:, 4], owner, 0.7, method="min")
    boxes, points, owner = boxes[keep], points[keep], owner[keep]
    return [(boxes[owner == k], points[owner == k]) for k in range(len(pils))]
