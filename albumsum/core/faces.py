"""The face pipeline as composable stages over one frozen :class:`Face` record.

``detect`` (MTCNN on a detection-size image, boxes mapped back to original pixels) -> ``select``
(probability and size thresholds) -> ``align_crop`` (rotate on the eyes, FER framing, grayscale
``size x size``) -> embedding (:mod:`albumsum.core.inference`). "No faces" is ``[]``.

The framing of ``align_crop`` is a :class:`~albumsum.core.framing.Framing` record that comes with
the model (``Embedder.framing``); nothing here is a module constant to patch.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from PIL import Image

from albumsum.core.framing import DEFAULT_FRAMING, FrameRule
from albumsum.core.images import Decoded, decode

log = logging.getLogger(__name__)

THUMB_SIZE = 160  # colour thumbnail side, same framing as the crop: sharp in an 80 px grid cell at 2x
MIN_DETECT_FACE = 12  # MTCNN's smallest useful face, pixels of the detection image
SECOND_PASS_NEAR = 2.0  # a face within this factor of the first pass's smallest asks for a second pass


@dataclass(frozen=True, eq=False)
class Face:
    """One face. Coordinates are original-photo pixels (after EXIF orientation).

    ``box`` (x0, y0, x1, y1); ``landmarks`` float32 [5, 2]: eye left, eye right (as seen in the
    image), nose, mouth left, mouth right; ``crop`` uint8 [S, S] grayscale; ``thumb`` JPEG bytes;
    ``position``: seconds into the video the face was found in (``None`` in a photo).
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    crop: np.ndarray | None = field(default=None, repr=False)
    thumb: bytes | None = field(default=None, repr=False)
    position: float | None = None  # seconds into a video; None for a photo

    @property
    def short_side(self) -> float:
        return min(self.box[2] - self.box[0], self.box[3] - self.box[1])


class Detector(Protocol):
    """Finds faces in decoded photos; one list of faces per photo, in original-photo pixels."""

    def detect(self, images: Sequence[Decoded]) -> list[list[Face]]: ...


class MTCNNDetector:
    """MTCNN (facenet-pytorch's networks and weights, :mod:`albumsum.core.mtcnn`'s stages).

    ``min_face_px`` is the smallest face, in original pixels, the detector looks for. Detection runs
    at ``detect_scale`` pixels per original pixel (1.0: full resolution): a photo decoded smaller
    (a detection-size draft that kept its bytes, :attr:`Decoded.data`) is decoded again at that
    scale, so the pyramid reaches down to ``min_face_px`` original pixels and R-/O-Net see the
    candidates at the photo's own sharpness. (On a down-scaled copy, a face just large enough at
    full resolution falls below MTCNN's 12 px window or is judged on a blurred crop.) The minimum
    is mapped to each detection image and never below :data:`MIN_DETECT_FACE`. All photos of one
    call share the R-Net and O-Net batches; ``batch`` tells the indexer to group photos (true on
    CUDA). ``detect`` may be called from several threads at once (the minimum size is passed per
    call, not stored), which is how the indexer keeps two CPU cores busy.
    """

    def __init__(
        self,
        device: str = "cpu",
        min_face_px: float = 20.0,
        weights_dir: str | None = None,
        detect_scale: float = 1.0,
    ) -> None:
        from albumsum.core.mtcnn import MTCNNNets
        from albumsum.core.resources import mtcnn_weights_dir

        self.nets = MTCNNNets.load(weights_dir or mtcnn_weights_dir(), device)
        self.device = self.nets.device
        self.min_face_px = float(min_face_px)
        self.detect_scale = float(detect_scale)
        self.batch = self.device.type == "cuda"  # the indexer hands a GPU several photos per call

    def detection_image(self, image: Decoded) -> Decoded:
        """``image``, or the photo decoded again from its bytes when it is below ``detect_scale``."""
        if image.data is None or image.scale >= self.detect_scale * 0.99:
            return image
        side = math.ceil(max(image.size) * min(1.0, self.detect_scale))
        return decode(image.data, max_side=side)

    def detect(self, images: Sequence[Decoded]) -> list[list[Face]]:
        """Faces of each photo. A photo given at detection size is searched there first; it is
        decoded again at ``detect_scale`` and searched again only when that first pass may have
        missed faces: it found none, or found one within :data:`SECOND_PASS_NEAR` times the smallest
        face the first pass can see (a crowd or a group, where smaller faces are likely). A portrait
        or a photo of a few large faces is done in the first pass, at a fraction of the cost (a
        12 MP phone photo searched at full resolution for 20 px faces takes seconds)."""
        if not images:
            return []
        found = self._detect(list(images))
        again = [i for i, (im, faces) in enumerate(zip(images, found, strict=True)) if self._may_miss(im, faces)]
        if again:
            for i, faces in zip(again, self._detect([self.detection_image(images[i]) for i in again]), strict=True):
                found[i] = faces
        return found

    def _detect(self, images: list[Decoded]) -> list[list[Face]]:
        mins = [max(MIN_DETECT_FACE, self.min_face_px * im.scale) for im in images]
        found = self.nets.detect(images=[im.rgb for im in images], min_size=mins)
        return [_faces_from(b, pt, im.scale) for (b, pt), im in zip(found, images, strict=True)]

    def _may_miss(self, image: Decoded, faces: list[Face]) -> bool:
        """Whether a face of at least ``min_face_px`` may have been too small for the first pass."""
        if image.data is None or image.scale >= self.detect_scale * 0.99:
            return False  # the first pass already ran at the detection scale
        smallest_seen = MIN_DETECT_FACE / image.scale  # original pixels
        if smallest_seen <= self.min_face_px:
            return False
        return not faces or min(f.short_side for f in faces) < SECOND_PASS_NEAR * smallest_seen


def _faces_from(boxes: np.ndarray, points: np.ndarray, scale: float) -> list[Face]:
    """MTCNN output of one image, boxes [n, 5] (x0, y0, x1, y1, p) and points [n, 5, 2] in detection
    pixels -> faces in original pixels."""
    faces = []
    for box, pts in zip(
        np.asarray(boxes, np.float64).reshape(-1, 5), np.asarray(points).reshape(-1, 5, 2), strict=True
    ):
        prob = box[4]
        b = box[:4] / scale
        faces.append(
            Face(
                box=tuple(float(v) for v in b),
                landmarks=(np.asarray(pts) / scale).astype(np.float32),
                score=float(prob),
            )
        )
    return faces


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box of ``a`` [N, 4] with every box of ``b`` [M, 4]
    (x0, y0, x1, y1) -> [N, M]; one box may be given as [4]."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def best_face(faces: Sequence[Face]) -> Face:
    """The most probable of a frame's faces (a labelled frame has one face)."""
    return max(faces, key=lambda f: f.score)


def select(faces: Sequence[Face], *, min_score: float = 0.9, min_size: float = 20.0) -> list[Face]:
    """Faces with detection probability >= ``min_score`` and shorter box side >= ``min_size`` px."""
    return [f for f in faces if f.score >= min_score and f.short_side >= min_size]


def warp_square(
    image: Image.Image, landmarks: np.ndarray, out: int, framing: FrameRule = DEFAULT_FRAMING
) -> Image.Image:
    """The upright framed square of a face, ``out x out`` pixels, sampled from ``image``.

    Downscaling by more than 2x is done in two steps (affine at 2-4x, then an antialiased resize)
    so small crops of big faces do not alias.
    """
    cx, cy, side, angle = framing.frame(landmarks)
    work = out * min(4, max(1, int(side / out)))
    s = side / work
    cos, sin = math.cos(angle) * s, math.sin(angle) * s
    # output (u, v) -> input: centre + R(angle) * s * (u - work/2, v - work/2)
    a, b = cos, -sin
    d, e = sin, cos
    c = cx - a * work / 2 - b * work / 2
    f = cy - d * work / 2 - e * work / 2
    warped = image.transform((work, work), Image.AFFINE, (a, b, c, d, e, f), resample=Image.BILINEAR)
    if work != out:
        warped = warped.resize((out, out), Image.LANCZOS)
    return warped


def align_crop(
    face: Face, source: Decoded, *, size: int = 48, thumb_size: int = THUMB_SIZE, framing: FrameRule = DEFAULT_FRAMING
) -> Face:
    """Add the grayscale ``size x size`` crop and a colour JPEG thumbnail, cut from ``source`` with
    the model's ``framing``.

    ``source`` may be any scale of the photo; landmarks are mapped to it.
    """
    return align_crops([face], source, size=size, thumb_size=thumb_size, framing=framing)[0]


def align_crops(
    faces: Sequence[Face],
    source: Decoded,
    *,
    size: int = 48,
    thumb_size: int = THUMB_SIZE,
    framing: FrameRule = DEFAULT_FRAMING,
) -> list[Face]:
    """:func:`align_crop` for every face of one photo, converting the photo to grayscale once."""
    rgb = Image.fromarray(source.rgb)
    gray = rgb.convert("L")
    out = []
    for face in faces:
        lm = face.landmarks * source.scale
        crop = np.array(warp_square(gray, lm, size, framing), dtype=np.uint8)  # a writable copy
        thumb = None
        if thumb_size:
            buf = io.BytesIO()
            warp_square(rgb, lm, thumb_size, framing).save(buf, format="JPEG", quality=85)
            thumb = buf.getvalue()
        out.append(replace(face, crop=crop, thumb=thumb))
    return out


def source_scale_needed(faces: Sequence[Face], size: int, framing: FrameRule = DEFAULT_FRAMING) -> float:
    """Scale (source pixels per original pixel) at which the smallest face's crop is not upsampled."""
    sides = [framing.frame(f.landmarks)[2] for f in faces]
    return min(1.0, size / min(sides)) if sides else 0.0


def frame_to_decoded(frame: np.ndarray, min_side: int = 0) -> Decoded:
    """A uint8 frame [H, W] (grayscale) or [H, W, 3] (RGB) as a :class:`Decoded` photo.

    Frames whose longest side is under ``min_side`` are upscaled for the detector; ``scale`` records it.
    """
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 frame [H, W] or [H, W, 3], got {frame.dtype} {frame.shape}")
    rgb = np.repeat(frame[:, :, None], 3, axis=2) if frame.ndim == 2 else frame[:, :, :3]
    h, w = rgb.shape[:2]
    f = max(1.0, min_side / max(h, w)) if min_side else 1.0
    if f > 1.0:
        rgb = np.asarray(Image.fromarray(rgb).resize((round(w * f), round(h * f)), Image.BICUBIC))
    return Decoded(rgb=np.ascontiguousarray(rgb), scale=f, size=(w, h))


def crops_from_frames(
    frames: Sequence[np.ndarray] | np.ndarray,
    detector: Detector | None = None,
    *,
    size: int = 48,
    min_score: float = 0.9,
    min_size: float = 20.0,
    one_per_frame: bool = True,
    min_side: int = 160,
    framing: FrameRule = DEFAULT_FRAMING,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Run detect -> select -> align_crop on full frames (``albumsum-train evaluate --detect``).

    ``frames``: uint8 [N, H, W] grayscale or [N, H, W, 3] RGB (or a list of differently sized ones).
    Frames smaller than ``min_side`` are upscaled first so MTCNN can see a face that fills them;
    ``min_size`` is in the frame's own pixels. With ``one_per_frame`` only the most probable face of
    each frame is kept (a labelled frame has one label). Returns ``crops`` uint8 [M, size, size],
    ``source`` int64 [M] (index of each crop's frame) and the number of frames with no face.
    """
    detector = detector or MTCNNDetector(device="cpu", min_face_px=min_size)
    crops: list[np.ndarray] = []
    source: list[int] = []
    missing = 0
    for i, frame in enumerate(frames):
        decoded = frame_to_decoded(frame, min_side)
        faces = select(detector.detect([decoded])[0], min_score=min_score, min_size=min_size)
        if not faces:
            missing += 1
            continue
        if one_per_frame:
            faces = [best_face(faces)]
        for face in faces:
            crops.append(align_crop(face, decoded, size=size, thumb_size=0, framing=framing).crop)
            source.append(i)
    out = np.stack(crops) if crops else np.zeros((0, size, size), np.uint8)
    return out, np.asarray(source, dtype=np.int64), missing
