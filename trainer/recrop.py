"""Does the app's face pipeline hand the network the crops it was trained on?

``albumsum-train recrop`` places labelled 48x48 faces (FER+ valid), upscaled to several sizes and
turned by small angles, into larger scenes, runs the app's own detect -> select -> align_crop
pipeline on each scene, and compares the emotion predicted from the re-cropped face with the one
predicted from the original crop. A face the detector misses counts as a disagreement; the
detection rate is reported beside the agreement.

Scenes are grayscale like the faces: a smooth random background (gradients and blurred blobs, no
face-like structure), the face pasted with a soft-edged mask so no hard square border frames it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from albumsum.core.faces import Detector, MTCNNDetector, align_crop, frame_to_decoded, select
from albumsum.core.inference import Embedder
from trainer.progress import Progress

log = logging.getLogger(__name__)

SIZES = (96, 160, 256)  # face side in the scene, pixels
ANGLES = (-10.0, 0.0, 10.0)  # degrees, counter-clockwise
SCENE = (640, 480)


@dataclass(frozen=True)
class Placement:
    """Where a face went in its scene: the label-free original, its side and angle."""

    index: int
    size: int
    angle: float


def background(rng: np.random.Generator, size: tuple[int, int] = SCENE) -> Image.Image:
    """A smooth grayscale scene: a random gradient plus heavily blurred noise."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    a, b, c = rng.uniform(-80, 80, 3)
    base = 120 + a * xx + b * yy + c * xx * yy
    noise = Image.fromarray(rng.integers(0, 256, (h // 8, w // 8), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    blurred = np.asarray(noise.filter(ImageFilter.GaussianBlur(6)), np.float64) - 128
    return Image.fromarray(np.clip(base + 0.6 * blurred, 0, 255).astype(np.uint8))


def place(face: np.ndarray, size: int, angle: float, rng: np.random.Generator) -> Image.Image:
    """One scene with ``face`` (uint8 [48, 48]) upscaled to ``size`` and turned by ``angle``."""
    scene = background(rng)
    big = Image.fromarray(face).resize((size, size), Image.BICUBIC)
    mask = Image.new("L", (size, size), 0)
    inset = max(2, size // 24)
    mask.paste(255, (inset, inset, size - inset, size - inset))
    mask = mask.filter(ImageFilter.GaussianBlur(inset))
    big, mask = big.rotate(angle, Image.BICUBIC, expand=True), mask.rotate(angle, Image.BICUBIC, expand=True)
    w, h = scene.size
    x = int(rng.integers(0, w - big.width))
    y = int(rng.integers(0, h - big.height))
    scene.paste(big, (x, y), mask)
    return scene


def recrop(
    faces: np.ndarray,
    detector: Detector,
    seed: int = 0,
    sizes: Sequence[int] = SIZES,
    angles: Sequence[float] = ANGLES,
    progress: bool = False,
) -> tuple[list[Placement], list[np.ndarray | None]]:
    """Re-cropped faces (``None`` where no face was found), one per face x size x angle."""
    rng = np.random.default_rng(seed)
    placements, crops = [], []
    bar = Progress(len(faces) * len(sizes) * len(angles), "scenes", enabled=progress)
    for i, face in enumerate(faces):
        for size in sizes:
            for angle in angles:
                scene = frame_to_decoded(np.asarray(place(face, size, angle, rng)))
                found = select(detector.detect([scene])[0], min_score=0.9, min_size=20)
                best = max(found, key=lambda f: f.score) if found else None
                crops.append(None if best is None else align_crop(best, scene, size=48, thumb_size=0).crop)
                placements.append(Placement(i, size, float(angle)))
                bar.update()
    bar.close()
    return placements, crops


def agreement(
    embedder: Embedder, faces: np.ndarray, placements: list[Placement], crops: list[np.ndarray | None]
) -> dict[str, float]:
    """Agreement of the emotion from each re-crop with the emotion from its original crop (percent),
    overall and per size and angle; a missed face disagrees."""
    original = embedder.predict(faces).proba.argmax(axis=1)
    found = [k for k, c in enumerate(crops) if c is not None]
    pred = np.full(len(crops), -1)
    if found:
        pred[found] = embedder.predict(np.stack([crops[k] for k in found])).proba.argmax(axis=1)
    same = np.array([pred[k] == original[p.index] for k, p in enumerate(placements)])
    detected = pred >= 0
    out = {
        "agreement": 100.0 * same.mean(),
        "agreement_when_detected": 100.0 * same[detected].mean() if detected.any() else 0.0,
        "detected": 100.0 * detected.mean(),
        "scenes": float(len(crops)),
    }
    for key, values in (
        ("size", sorted({p.size for p in placements})),
        ("angle", sorted({p.angle for p in placements})),
    ):
        for v in values:
            rows = np.array([getattr(p, key) == v for p in placements])
            out[f"agreement_{key}_{v:g}"] = 100.0 * same[rows].mean()
    return out


def save_crops(path: Path, key: dict[str, int], placements: list[Placement], crops: list[np.ndarray | None]) -> None:
    """The re-crops of one run (``None`` stored as an all-zero crop with ``found`` False)."""
    blank = np.zeros((48, 48), np.uint8)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        crops=np.stack([blank if c is None else c for c in crops]),
        found=np.array([c is not None for c in crops]),
        placements=np.array([(p.index, p.size, p.angle) for p in placements], np.float64),
        key=np.array([key["n"], key["skip"], key["seed"]]),
    )
    os.replace(tmp, path)


def load_crops(path: Path, key: dict[str, int]) -> tuple[list[Placement], list[np.ndarray | None]] | None:
    """The re-crops saved by :func:`save_crops` for the same faces and scenes, else ``None``."""
    if not path.is_file():
        return None
    with np.load(path) as saved:
        if saved["key"].tolist() != [key["n"], key["skip"], key["seed"]]:
            log.info("%s holds the re-crops of other faces or scenes; detecting again", path)
            return None
        placements = [Placement(int(i), int(s), float(a)) for i, s, a in saved["placements"]]
        crops = [c if f else None for c, f in zip(saved["crops"], saved["found"], strict=True)]
    log.info("re-crops of %d scenes read from %s", len(crops), path)
    return placements, crops


def run_recrop(
    checkpoint: str | os.PathLike[str],
    data: str | os.PathLike[str],
    n: int = 300,
    skip: int = 0,
    seed: int = 0,
    device: str = "auto",
    out: str | os.PathLike[str] | None = None,
    crops_file: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """The check on ``n`` faces of a seeded shuffle of ``data``, after the first ``skip`` (faces used
    to tune the crop framing are skipped, so the figure is held out); writes JSON to ``out``.

    Detection is the slow part and does not depend on the checkpoint: with ``crops_file`` the
    re-crops are saved there, and read back by later runs on the same faces and scenes.
    """
    from trainer.data import load_labelled

    test = load_labelled(data)
    pick = np.random.default_rng(seed).permutation(len(test))[skip : skip + n]
    faces = test.images[pick]
    embedder = Embedder.from_file(checkpoint, device=device)
    key = {"n": n, "skip": skip, "seed": seed}
    cached = load_crops(Path(crops_file), key) if crops_file else None
    if cached is None:
        detector = MTCNNDetector(device=str(embedder.device), min_face_px=20)
        log.info("re-cropping %d faces x %d sizes x %d angles", len(faces), len(SIZES), len(ANGLES))
        cached = recrop(faces, detector, seed + 1, progress=True)
        if crops_file:
            save_crops(Path(crops_file), key, *cached)
    metrics = agreement(embedder, faces, *cached)
    if out:
        Path(out).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def format_recrop(metrics: dict[str, float]) -> str:
    lines = [f"{'measure':<28}{'%':>8}"]
    lines += [f"{k:<28}{v:>8.2f}" for k, v in metrics.items() if k != "scenes"]
    lines.append(f"{'scenes':<28}{metrics['scenes']:>8.0f}")
    return "\n".join(lines)
