"""A seeded crowd album: many small faces cut from real photos and composited into large scenes.

Each scene is a real photo scaled to cover the scene size and blurred (a background with no sharp
face in it), with rows of faces pasted on it, smaller towards the top as in a crowd seen in
perspective. The faces are cut from the source photos around the boxes MTCNN finds there (large,
sharp faces only), resized so that their box's shorter side is the drawn size, and pasted with a
feathered elliptical mask so no hard edge frames them. Nothing here is stored in the repository:
the scenes are written to a folder the caller names (a temporary one in the benchmark).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

MARGIN = 0.45  # patch margin around a face box, fractions of the box side


@dataclass(frozen=True, eq=False)
class FacePatch:
    """A face cut from a photo: ``image`` RGB and its face box ``box`` (x0, y0, x1, y1) in it."""

    image: Image.Image
    box: tuple[float, float, float, float]


def cut_faces(photos: Sequence[Image.Image], boxes: Sequence[Sequence[Sequence[float]]]) -> list[FacePatch]:
    """The face patches of ``photos`` around ``boxes`` (one list of boxes per photo)."""
    out = []
    for photo, found in zip(photos, boxes, strict=True):
        for x0, y0, x1, y1 in (b[:4] for b in found):
            side = max(x1 - x0, y1 - y0)
            m = MARGIN * side
            region = (round(x0 - m), round(y0 - m), round(x1 + m), round(y1 + m))
            if region[0] < 0 or region[1] < 0 or region[2] > photo.width or region[3] > photo.height:
                continue  # a face at the border: its patch would be padded
            out.append(FacePatch(photo.crop(region), (x0 - region[0], y0 - region[1], x1 - region[0], y1 - region[1])))
    return out


def _mask(size: tuple[int, int]) -> Image.Image:
    """A feathered ellipse filling most of ``size``."""
    w, h = size
    mask = Image.new("L", (w, h), 0)
    inset_x, inset_y = 0.12 * w, 0.08 * h
    ImageDraw.Draw(mask).ellipse((inset_x, inset_y, w - inset_x, h - inset_y), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(max(1.0, 0.06 * min(w, h))))


def paste_face(scene: Image.Image, patch: FacePatch, side: float, at: tuple[float, float]) -> tuple[float, ...]:
    """Paste ``patch`` so its face box has shorter side ``side`` px, its centre at ``at``; the box."""
    bw, bh = patch.box[2] - patch.box[0], patch.box[3] - patch.box[1]
    f = side / min(bw, bh)
    size = (max(1, round(patch.image.width * f)), max(1, round(patch.image.height * f)))
    face = patch.image.resize(size, Image.LANCZOS)
    cx = (patch.box[0] + patch.box[2]) / 2 * f
    cy = (patch.box[1] + patch.box[3]) / 2 * f
    left, top = round(at[0] - cx), round(at[1] - cy)
    scene.paste(face, (left, top), _mask(size))
    return (left + patch.box[0] * f, top + patch.box[1] * f, left + patch.box[2] * f, top + patch.box[3] * f)


def crowd_scene(
    background: Image.Image,
    patches: Sequence[FacePatch],
    rng: np.random.Generator,
    size: tuple[int, int] = (2400, 1600),
    sides: tuple[float, float] = (18.0, 64.0),
) -> tuple[Image.Image, list[tuple[float, ...]]]:
    """One scene and the boxes of the faces pasted into it.

    Rows from the top of the scene down; a row's faces have a shorter side drawn around a size that
    grows linearly from ``sides[0]`` at the top to ``sides[1]`` at the bottom (±15 %), spaced about
    2.4 sides apart with jitter, so faces never overlap.
    """
    w, h = size
    f = max(w / background.width, h / background.height)
    bg = background.resize((round(background.width * f), round(background.height * f)), Image.BILINEAR)
    left, top = (bg.width - w) // 2, (bg.height - h) // 2
    scene = bg.crop((left, top, left + w, top + h)).filter(ImageFilter.GaussianBlur(12))
    boxes = []
    y = 0.04 * h
    while True:
        base = sides[0] + (sides[1] - sides[0]) * min(1.0, y / h)
        pitch = 2.4 * base
        if y + pitch > h:
            break
        x = rng.uniform(0.3, 1.0) * pitch
        while x + pitch < w:
            side = base * rng.uniform(0.85, 1.15)
            patch = patches[int(rng.integers(len(patches)))]
            at = (x + 0.5 * pitch + rng.uniform(-0.15, 0.15) * pitch, y + 0.5 * pitch + rng.uniform(-0.1, 0.1) * pitch)
            boxes.append(paste_face(scene, patch, side, at))
            x += pitch * rng.uniform(1.0, 1.2)
        y += pitch
    return scene, boxes


def write_crowd_album(
    photos: Sequence[Path], boxes: Sequence[Sequence[Sequence[float]]], out: Path, n: int, seed: int = 0, **scene
) -> Path:
    """``n`` crowd scenes (JPEG quality 92) in ``out``, faces cut from ``photos`` around ``boxes``,
    backgrounds drawn from the same photos; the same ``seed`` gives the same files."""
    rng = np.random.default_rng(seed)
    images = [Image.open(p).convert("RGB") for p in photos]
    patches = cut_faces(images, boxes)
    if not patches:
        raise ValueError("no face large enough to cut from the source photos")
    out.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        image, _ = crowd_scene(images[int(rng.integers(len(images)))], patches, rng, **scene)
        image.save(out / f"crowd_{i:03d}.jpg", quality=92)
    return out
