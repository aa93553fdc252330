"""What limits the re-crop agreement of ``albumsum-train recrop`` (figures in resources/models/MODEL_CARD.md).

    python scripts/recrop_diagnostics.py [--checkpoint resources/models/default.pt] [--n 300] [--skip 80]

On the held-out faces of the recrop check (same seeded shuffle, same scenes):

1. resampling alone: upscale, turn, turn back, downscale the original crop (no detection);
2. the original crop shifted by 1-3 px;
3. the app's eye-based framing against a five-point similarity alignment to FER's landmark template
   (the template measured with the app's MTCNN on 400 FER+ train faces);
4. the embedding averaged over the crop and its four 1 px shifts (test-time augmentation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import albumsum.core.faces as faces_mod  # noqa: E402
from albumsum.core.inference import Embedder  # noqa: E402
from trainer.data import load_labelled  # noqa: E402
from trainer.recrop import ANGLES, SIZES, recrop  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ferplus"


def landmark_template(detector: faces_mod.MTCNNDetector, images: np.ndarray) -> np.ndarray:
    """Median MTCNN landmarks [5, 2] of FER faces, in units of the crop side."""
    marks = []
    for face in images:
        big = Image.fromarray(face).resize((192, 192), Image.BICUBIC)
        canvas = Image.new("L", (288, 288), int(np.median(face)))
        canvas.paste(big, (48, 48))
        found = faces_mod.select(detector.detect([faces_mod.frame_to_decoded(np.asarray(canvas))])[0])
        if found:
            marks.append((faces_mod.best_face(found).landmarks - 48) / 192.0)
    return np.median(np.stack(marks), axis=0)


class FivePointFrame:
    """A frame rule for the crop stage (a :class:`albumsum.core.framing.FrameRule`): the
    least-squares similarity from the template to the landmarks."""

    identity = "five-point"

    def __init__(self, template: np.ndarray) -> None:
        self.template = template

    def frame(self, landmarks: np.ndarray) -> tuple[float, float, float, float]:
        src = self.template[:, 0] + 1j * self.template[:, 1]
        dst = landmarks[:, 0] + 1j * landmarks[:, 1]
        a = np.sum(np.conj(src - src.mean()) * (dst - dst.mean())) / np.sum(np.abs(src - src.mean()) ** 2)
        centre = a * (0.5 + 0.5j) + dst.mean() - a * src.mean()
        return float(centre.real), float(centre.imag), float(abs(a)), float(np.angle(a))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=str(ROOT / "resources" / "models" / "default.pt"))
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--skip", type=int, default=80)
    args = p.parse_args()
    valid = load_labelled(DATA / "valid.npz")
    pick = np.random.default_rng(0).permutation(len(valid))[args.skip : args.skip + args.n]  # as recrop
    originals = valid.images[pick]
    embedder = Embedder.from_file(args.checkpoint, device="cpu")
    before = embedder.predict(originals).proba.argmax(axis=1)

    def same(crops: np.ndarray, reference: np.ndarray = before) -> float:
        return 100.0 * float(np.mean(embedder.predict(crops).proba.argmax(axis=1) == reference))

    resampled = []
    for size in SIZES:
        for angle in ANGLES:
            crops = []
            for face in originals:
                big = (
                    Image.fromarray(face).resize((size, size), Image.BICUBIC).rotate(angle, Image.BICUBIC, expand=True)
                )
                back = big.rotate(-angle, Image.BILINEAR)
                left, top = (back.width - size) // 2, (back.height - size) // 2
                crops.append(
                    np.asarray(back.crop((left, top, left + size, top + size)).resize((48, 48), Image.LANCZOS))
                )
            resampled.append(same(np.stack(crops)))
    print(f"resampling alone (no detection): {np.mean(resampled):.1f} % same emotion")
    for dx in (1, 2, 3):
        print(f"original crop shifted {dx} px: {same(np.roll(originals, dx, axis=2)):.1f} %")

    detector = faces_mod.MTCNNDetector()
    placements, app_crops, detections = recrop(originals, detector, 1, framing=embedder.framing)  # recrop's scenes
    kept = [k for k, c in enumerate(app_crops) if c is not None]
    index = np.array([placements[k].index for k in kept])
    print(f"scenes with a face found: {len(kept)} of {len(app_crops)}")
    train = load_labelled(DATA / "train.npz")
    template = landmark_template(detector, train.images[np.random.default_rng(5).permutation(len(train))[:400]])
    _, five_point, _ = recrop(originals, None, 1, detections=detections, framing=FivePointFrame(template))
    crops_by = {
        "eye-based framing (the app)": np.stack([app_crops[k] for k in kept]),
        "five-point alignment": np.stack([five_point[k] for k in kept]),
    }
    for name, crops in crops_by.items():
        print(f"{name}: {same(crops, before[index]):.2f} % same emotion when found")

    shifts = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]

    def tta(crops: np.ndarray) -> np.ndarray:
        z = np.mean([embedder.embed(np.roll(np.roll(crops, dx, axis=2), dy, axis=1)) for dx, dy in shifts], axis=0)
        return embedder.posteriors(z).argmax(axis=1)

    agree = np.mean(tta(crops_by["eye-based framing (the app)"]) == tta(originals)[index])
    print(f"eye-based framing with 5-crop shift averaging on both sides: {100 * agree:.2f} %")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
