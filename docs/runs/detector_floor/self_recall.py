"""How often full-resolution MTCNN finds its own faces again when the photo moves by a pixel or is
scaled by 1-2 %: the repeatability floor of "recall against full-resolution MTCNN" at a size
threshold (docs/BENCHMARKS.md, issue 14's recall).

    python docs/runs/detector_floor/self_recall.py [--crowd 2] [--crowd-seed 0]
    python docs/runs/detector_floor/self_recall.py --sizes [--crowd 2]   # where the misses lie (below)

The reference is what ``bench/index_throughput.py`` calls the naive way: facenet-pytorch MTCNN on the
full-resolution photo, p >= 0.9, shorter side >= 20 px. Each perturbed copy is detected the same way
(boxes mapped back to the original photo's pixels before the same selection), and a reference face
counts as found when a copy's face overlaps it at IoU >= 0.5, as in the benchmark. Copies:

- ``shift1``: the photo with one edge-replicated pixel added at the left and top (the content is
  the same; P-Net's grid and the pyramid's resampling fall one pixel elsewhere);
- ``scale0.99`` and ``scale0.98``: the photo resized by Pillow's bilinear filter (the threshold
  stays 20 px of the original photo).

``--sizes`` asks where the misses lie. It compares the reference with the app's own detector
(``MTCNNDetector`` at full resolution, as the index runs on a crowd photo) and with the reference on
the ``shift1`` copy, all three reporting faces down to 16 px (p >= 0.9): how many reference faces
(>= 20 px) each finds at the 20 px setting, how many at any size, and how far the shorter sides of
matched faces differ (median and 90th percentile, px; and the signed median and mean, which show a
bias). A detector that finds a face but measures its side a pixel smaller drops it at the 20 px
setting: a miss at the threshold, not a face unseen.
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


def detect(mtcnn, rgb: np.ndarray, scale: float = 1.0, shift: int = 0, min_size: float = 20) -> np.ndarray:
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
    return np.asarray([[*f.box, f.score] for f in select(faces, min_score=0.9, min_size=min_size)]).reshape(-1, 5)


def short_side(boxes: np.ndarray) -> np.ndarray:
    return np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def sizes(albums: dict[str, Path], floor: float = 16) -> None:
    """The reference against the app's detector and against itself shifted by a pixel, every face
    down to ``floor`` px: matches at the 20 px setting and at any size, and side differences."""
    from facenet_pytorch import MTCNN

    from albumsum.core.faces import MTCNNDetector, box_iou
    from albumsum.core.images import decode

    mtcnn = MTCNN(keep_all=True, device="cpu", min_face_size=floor)
    app = MTCNNDetector(device="cpu", min_face_px=floor)

    def app_boxes(path: Path) -> np.ndarray:
        faces = select(app.detect([decode(path.read_bytes())])[0], min_score=0.9, min_size=floor)
        return np.asarray([[*f.box, f.score] for f in faces]).reshape(-1, 5)

    for name, album in albums.items():
        stats = {"app": [0, 0, []], "shift1": [0, 0, []]}
        total = 0
        for f in photos_of(album, None):
            image = read_photo(f, max_side=None).image
            if image is None:
                continue
            ref = detect(mtcnn, image.rgb, min_size=floor)
            ref = ref[short_side(ref) >= 20]
            total += len(ref)
            shifted = detect(mtcnn, image.rgb, shift=1, min_size=floor)
            for other_name, other in (("app", app_boxes(f)), ("shift1", shifted)):
                if not len(ref) or not len(other):
                    continue
                iou = box_iou(ref[:, :4], other[:, :4])
                best = iou.argmax(axis=1)
                hit = iou.max(axis=1) >= 0.5
                side = short_side(other)[best]
                stats[other_name][0] += int((hit & (side >= 20)).sum())
                stats[other_name][1] += int(hit.sum())
                stats[other_name][2] += list((side - short_side(ref))[hit])
        for other_name, (at20, anywhere, diffs) in stats.items():
            d = np.abs(np.asarray(diffs))
            pct = 100 / max(total, 1)
            print(
                f"{name}: {other_name} finds {at20}/{total} = {at20 * pct:.1f} % of the reference's faces at the 20 px "
                f"setting, {anywhere}/{total} = {anywhere * pct:.1f} % at any size >= {floor:g} px; shorter side "
                f"differs by {np.median(d):.2f} px at the median, {np.percentile(d, 90):.2f} px at the 90th percentile "
                f"(signed, detector minus reference: median {np.median(diffs):+.2f}, mean {np.mean(diffs):+.2f} px)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--album", type=Path, default=SHARED)
    parser.add_argument("--crowd", type=int, default=2)
    parser.add_argument("--crowd-seed", type=int, default=0)
    parser.add_argument("--sizes", action="store_true", help="where the misses lie (the module's docstring)")
    args = parser.parse_args()
    from facenet_pytorch import MTCNN

    mtcnn = MTCNN(keep_all=True, device="cpu")
    copies = {"shift1": dict(shift=1), "scale0.99": dict(scale=0.99), "scale0.98": dict(scale=0.98)}
    with tempfile.TemporaryDirectory() as tmp:
        albums = {"shared": args.album}
        if args.crowd:
            albums["crowd"] = synthesise_crowd_album(args.album, Path(tmp) / "crowd", args.crowd, args.crowd_seed)
        if args.sizes:
            sizes(albums)
            return
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
