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

from albumsum.core.faces import Detector, Face, MTCNNDetector, align_crop, best_face, frame_to_decoded, select
from albumsum.core.framing import DEFAULT_FRAMING, FrameRule
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
    detector: Detector | None,
    seed: int = 0,
    sizes: Sequence[int] = SIZES,
    angles: Sequence[float] = ANGLES,
    progress: bool = False,
    detections: Sequence[Face | None] | None = None,
    framing: FrameRule = DEFAULT_FRAMING,
) -> tuple[list[Placement], list[np.ndarray | None], list[Face | None]]:
    """Re-cropped faces (``None`` where no face was found), one per face x size x angle, and the
    detected face each crop was cut from. With ``detections`` (one per scene, from an earlier run on
    the same faces and seed) the detector is not run: the scenes are rebuilt and cropped again, with
    ``framing`` (the model's, or one under study)."""
    rng = np.random.default_rng(seed)
    placements, crops, found_faces = [], [], []
    bar = Progress(len(faces) * len(sizes) * len(angles), "scenes", enabled=progress)
    for i, face in enumerate(faces):
        for size in sizes:
            for angle in angles:
                scene = frame_to_decoded(np.asarray(place(face, size, angle, rng)))
                if detections is None:
                    found = select(detector.detect([scene])[0], min_score=0.9, min_size=20)
                    best = best_face(found) if found else None
                else:
                    best = detections[len(crops)]
                crop = None if best is None else align_crop(best, scene, size=48, thumb_size=0, framing=framing).crop
                crops.append(crop)
                found_faces.append(best)
                placements.append(Placement(i, size, float(angle)))
                bar.update()
    bar.close()
    return placements, crops, found_faces


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


def save_detections(path: Path, key: dict[str, int], detections: Sequence[Face | None]) -> None:
    """The face found in each scene of one run (box, landmarks, score; NaN where none was)."""
    rows = np.full((len(detections), 15), np.nan)
    for k, f in enumerate(detections):
        if f is not None:
            rows[k] = [*f.box, *np.asarray(f.landmarks, np.float64).ravel(), f.score]
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, faces=rows, key=np.array([key["n"], key["skip"], key["seed"]]))
    os.replace(tmp, path)


def load_detections(path: Path, key: dict[str, int]) -> list[Face | None] | None:
    """The detections saved by :func:`save_detections` for the same faces and scenes, else ``None``."""
    if not path.is_file():
        return None
    with np.load(path) as saved:
        if saved["key"].tolist() != [key["n"], key["skip"], key["seed"]]:
            log.info("%s holds the detections of other faces or scenes; detecting again", path)
            return None
        rows = saved["faces"]
    log.info("detections of %d scenes read from %s", len(rows), path)
    return [
        None if np.isnan(r[0]) else Face(tuple(r[:4]), r[4:14].reshape(5, 2).astype(np.float32), float(r[14]))
        for r in rows
    ]


def run_recrop(
    checkpoint: str | os.PathLike[str],
    data: str | os.PathLike[str],
    n: int = 300,
    skip: int = 0,
    seed: int = 0,
    device: str = "auto",
    out: str | os.PathLike[str] | None = None,
    detections_file: str | os.PathLike[str] | None = None,
) -> dict[str, float]:
    """The check on ``n`` faces of a seeded shuffle of ``data``, after the first ``skip`` (faces used
    to tune the crop framing are skipped, so the figure is held out); writes JSON to ``out``.

    Detection is the slow part and depends on neither the checkpoint nor the crop framing: with
    ``detections_file`` the faces found are saved there, and later runs on the same faces and
    scenes rebuild the scenes and crop them again without the detector.
    """
    from trainer.data import load_labelled

    test = load_labelled(data)
    pick = np.random.default_rng(seed).permutation(len(test))[skip : skip + n]
    faces = test.images[pick]
    embedder = Embedder.from_file(checkpoint, device=device)
    key = {"n": n, "skip": skip, "seed": seed}
    saved = load_detections(Path(detections_file), key) if detections_file else None
    detector = None if saved is not None else MTCNNDetector(device=str(embedder.device), min_face_px=20)
    log.info("re-cropping %d faces x %d sizes x %d angles", len(faces), len(SIZES), len(ANGLES))
    placements, crops, found = recrop(
        faces, detector, seed + 1, progress=True, detections=saved, framing=embedder.framing
    )
    if detections_file and saved is None:
        save_detections(Path(detections_file), key, found)
    metrics = agreement(embedder, faces, placements, crops)
    if out:
        Path(out).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def format_recrop(metrics: dict[str, float]) -> str:
    lines = [f"{'measure':<28}{'%':>8}"]
    lines += [f"{k:<28}{v:>8.2f}" for k, v in metrics.items() if k != "scenes"]
    lines.append(f"{'scenes':<28}{metrics['scenes']:>8.0f}")
    return "\n".join(lines)
