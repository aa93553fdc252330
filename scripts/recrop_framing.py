"""How the crop framing moves the re-crop agreement (the choice of albumsum.core.framing.Framing).

    python scripts/recrop_framing.py [--checkpoint resources/models/default.pt]

The scenes and detections of ``albumsum-train recrop`` (seed 0): the first 80 faces of its seeded
shuffle choose the framing, the 300 after them (``--skip 80``) check it. Detections are saved under
``runs/recrop/`` and reused, so only the first run pays for MTCNN. For each framing the script
prints the agreement when the face is found; then, for the previous and the present framing, how
the content of each re-crop registers onto its original crop (the zoom and shift of the original that correlates
best with the re-crop: a zoom below 1 means the re-crop shows more than FER's framing did).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import affine_transform

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsum.core.faces import MTCNNDetector  # noqa: E402
from albumsum.core.framing import DEFAULT_FRAMING, Framing  # noqa: E402
from albumsum.core.inference import Embedder  # noqa: E402
from trainer.data import load_labelled  # noqa: E402
from trainer.recrop import load_detections, recrop, save_detections  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ferplus" / "valid.npz"
SETS = {"choose (80 faces)": (80, 0), "check (300 faces)": (300, 80)}


RULES = {"larger": 0.0, "mean": math.inf, "app": DEFAULT_FRAMING.agreement}  # Framing.agreement


def frame_with(combine: str, scale: float) -> Framing:
    """The app's framing with another scale rule: the ``larger`` of the two estimates, their
    ``mean``, or ``app`` (the mean where they agree within 15 %, else the larger), times ``scale``."""
    return Framing(scale=scale, agreement=RULES[combine])


def registration(originals: np.ndarray, placements, crops) -> np.ndarray:
    """Best (zoom, dx, dy) of each original onto its re-crop, by correlation of the inner 32x32."""
    zooms, shifts = np.round(np.arange(0.86, 1.145, 0.02), 3), (-2, -1, 0, 1, 2)
    grid = [(z, dx, dy) for z in zooms for dx in shifts for dy in shifts]
    centre = np.array([23.5, 23.5])

    def inner(a: np.ndarray) -> np.ndarray:
        a = a[8:40, 8:40].astype(np.float64)
        return ((a - a.mean()) / (a.std() + 1e-6)).ravel()

    bank: dict[int, np.ndarray] = {}
    best = []
    for p, crop in zip(placements, crops, strict=True):
        if crop is None:
            continue
        if p.index not in bank:
            face = originals[p.index].astype(np.float64)
            bank[p.index] = np.stack(
                [
                    inner(
                        affine_transform(
                            face,
                            np.eye(2) / z,
                            offset=centre - centre / z - np.array([dy, dx]) / z,
                            order=1,
                            mode="nearest",
                        )
                    )
                    for z, dx, dy in grid
                ]
            )
        best.append(grid[int(np.argmax(bank[p.index] @ inner(crop)))])
    return np.array(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "resources" / "models" / "default.pt"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    valid = load_labelled(DATA)
    embedder = Embedder.from_file(args.checkpoint, device="cpu")
    variants = [(c, s) for c in ("larger", "mean") for s in (1.0, 0.97, 0.94, 0.91)] + [("app", 0.91)]
    for name, (n, skip) in SETS.items():
        faces = valid.images[np.random.default_rng(0).permutation(len(valid))[skip : skip + n]]
        before = embedder.predict(faces).proba.argmax(axis=1)
        cache = ROOT / "runs" / "recrop" / f"detections_{n}_{skip}.npz"
        cache.parent.mkdir(parents=True, exist_ok=True)
        key = {"n": n, "skip": skip, "seed": 0}
        found = load_detections(cache, key)
        if found is None:
            _, _, found = recrop(faces, MTCNNDetector(min_face_px=20), 1, progress=True)
            save_detections(cache, key, found)
        for combine, scale in variants:
            placements, crops, _ = recrop(faces, None, 1, detections=found, framing=frame_with(combine, scale))
            kept = [k for k, c in enumerate(crops) if c is not None]
            after = embedder.predict(np.stack([crops[k] for k in kept])).proba.argmax(axis=1)
            same = 100 * np.mean(after == before[[placements[k].index for k in kept]])
            print(f"{name}: {combine:<6} x {scale:.2f}: {same:.2f} % same emotion when found", flush=True)
        if skip:
            for combine, scale in (("larger", 1.0), ("app", 0.91)):
                placements, crops, _ = recrop(faces, None, 1, detections=found, framing=frame_with(combine, scale))
                best = registration(faces, placements, crops)
                print(
                    f"{name}: {combine} x {scale:.2f}: zoom of the original that best matches the re-crop: "
                    f"median {np.median(best[:, 0]):.3f}, mean {best[:, 0].mean():.3f} ({len(best)} crops)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
