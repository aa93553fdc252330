"""How often full-resolution MTCNN finds its own faces again when the photo moves by a pixel or is
scaled by 1-2 %: the repeatability floor of "recall against full-resolution MTCNN" at a size
threshold (docs/BENCHMARKS.md, issue 14's recall).

    python docs/runs/detector_floor/self_recall.py [--crowd 2] [--crowd-seed 0]

The reference is what ``bench/index_throughput.py`` calls the naive way: facenet-pytorch MTCNN on the
full-resolution photo, p >= 0.9, shorter side >= 20 px. Each perturbed copy is detected the same way
(boxes mapped back to the original photo's pixels before the same selection), and a reference face
counts as found when a copy's face overlaps it at IoU >= 0.5, as in the benchmark. Copies:

- ``shift1``: the photo with one edge-replicated pixel added at the left and top (the content is
  the same; P-Net's grid and the pyramid's resampling fall one pixel elsewhere);
- ``scale0.99`` and ``scale0.98``: the photo resized by Pillow's bilinear filter (the threshold
  stays 20 px of the original photo).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from albumsum.core.faces import Face, select  # noqa: E402
from albumsum.core.images import read_photo  # noqa: E402
from bench.index_throughput import photos_of, recall, synthesise_crowd_album  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "album"


def detect(mtcnn, rgb: np.ndarray, scale: float = 1.0, shift: int = 0) -> np.ndarray:
    """MTCNN's selected faces on ``rgb`` moved by ``shift`` px or scaled by ``scale``, as boxes
    [x0, y0, x1, y1, p] in the original photo's pixels."""
    img = rgb
    if shift:
        img = np.pad(rgb, ((shift, 0), (shift, 0), (0, 0)), mode="edge")
    if scale != 1.0:
        h, w = rgb.shape[:2]
        img = np.asarray(Image.fromarray(rgb).resize((round(w * scale), round(h * scale)), Image.BILINEAR))
    b, p, pts = mtcnn.detect(img, landmarks=True)
    if b is None:
        return np.zeros((0, 5))
    faces = []
    for bb, pp, pt in zip(b, p, pts, strict=True):
        box = (np.asarray(bb, float) - shift) / scale
        faces.append(Face(tuple(map(float, box)), (np.asarray(pt, np.float32) - shift) / scale, float(pp)))
    return np.asarray([[*f.box, f.score] for f in select(faces, min_score=0.9, min_size=20)]).reshape(-1, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--album", type=Path, default=SHARED)
    parser.add_argument("--crowd", type=int, default=2)
    parser.add_argument("--crowd-seed", type=int, default=0)
    args = parser.parse_args()
    from facenet_pytorch import MTCNN

    mtcnn = MTCNN(keep_all=True, device="cpu")
    copies = {"shift1": dict(shift=1), "scale0.99": dict(scale=0.99), "scale0.98": dict(scale=0.98)}
    with tempfile.TemporaryDirectory() as tmp:
        albums = {"shared": args.album}
        if args.crowd:
            albums["crowd"] = synthesise_crowd_album(args.album, Path(tmp) / "crowd", args.crowd, args.crowd_seed)
        for name, album in albums.items():
            total, found = 0, dict.fromkeys(copies, 0)
            count = dict.fromkeys(copies, 0)
            for f in photos_of(album, None):
                image = read_photo(f, max_side=None).image
                if image is None:
                    continue
                ref = detect(mtcnn, image.rgb)
                total += len(ref)
                for c, kw in copies.items():
                    other = detect(mtcnn, image.rgb, **kw)
                    found[c] += recall({"boxes": {f.name: ref.tolist()}}, {"boxes": {f.name: other[:, :4].tolist()}})[0]
                    count[c] += len(other)
            for c in copies:
                print(
                    f"{name}: MTCNN on the {c} copy finds {found[c]}/{total} = {100 * found[c] / max(total, 1):.1f} % "
                    f"of its own faces on the original ({count[c]} faces found)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
