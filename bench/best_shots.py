"""How large the faces are that represent an album's groups: best shots against medoids.

    python bench/best_shots.py [--album ../shared/data/album] [--crowd 2] [--model M.pt] [--keep DIR]

Indexes the album (and, with ``--crowd N``, the same album plus N seeded crowd scenes cut from it,
:mod:`bench.crowd`: a mixed album of portraits, groups and crowds), groups its faces as the window
does (the model's sub-classes) and prints, per album:

- the album's median face (shorter box side, px);
- for each group's representative (:func:`albumsum.core.summary.representative`, the best shot)
  and, the naive way, its medoid: the median shorter side, its ratio to the album's median (the
  target is >= 2x), and how many are under 40 px while their group has a larger face (target 0);
- the same for the summary's chosen photos' faces (:func:`albumsum.core.summary.pick_photos`).

``--keep DIR`` keeps the indexes there (re-running then only reads them).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsum.core.album import Album, ModelPipeline  # noqa: E402
from albumsum.core.index import AlbumFaces  # noqa: E402
from albumsum.core.indexer import run_to_end  # noqa: E402
from albumsum.core.settings import Settings  # noqa: E402
from albumsum.core.summary import GOOD_SIDE, representative  # noqa: E402

SHARED_ALBUM = ROOT.parent / "shared" / "data" / "album"


def sides(faces: AlbumFaces, face_ids) -> np.ndarray:
    boxes = np.asarray(faces.boxes, np.float64)[[faces.row(int(f)) for f in face_ids]]
    return np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])


def report(name: str, album: Album) -> dict:
    data = album.snapshot()
    assert data is not None
    faces, groups = data.faces, data.groups
    median = float(np.median(sides(faces, faces.ids)))
    largest = {id(g): float(sides(faces, g.face_ids).max()) for g in groups}
    photos = data.counts.get("photos", 0)
    print(f"\n{name}: {photos} photos, {len(faces)} faces, {len(groups)} groups, median face {median:.0f} px")
    print(f"{'faces shown':<34}{'n':>5}{'median px':>11}{'x album':>9}{'small while larger exists':>28}")
    out = {"album_median": median}
    chosen = {
        "group representatives (best shot)": [(g, representative(g, faces)) for g in groups],
        "group medoids (the naive way)": [(g, g.medoid) for g in groups],
    }
    by_key = {(g.emotion, g.subclass): g for g in groups}
    chosen["summary photos' faces"] = [(by_key[(p.emotion, p.subclass)], p.face_id) for p in album.picks(data)]
    for label, pairs in chosen.items():
        s = sides(faces, [f for _, f in pairs])
        small = sum(
            1 for (g, _), side in zip(pairs, s, strict=True) if side < GOOD_SIDE and largest[id(g)] >= GOOD_SIDE
        )
        ratio = float(np.median(s)) / median
        print(f"{label:<34}{len(s):>5}{np.median(s):>11.0f}{ratio:>9.2f}{small:>28}")
        out[label] = {"median": float(np.median(s)), "ratio": ratio, "small": small}
    return out


def indexed(folder: Path, db: Path, model: str | None) -> Album:
    album = Album(folder, Settings(), pipeline=ModelPipeline(Path(model) if model else None), db=db)
    run_to_end(album.index())
    return album


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--album", default=str(SHARED_ALBUM))
    p.add_argument("--crowd", type=int, default=2, help="crowd scenes added for the mixed album (0: skip)")
    p.add_argument("--model", default=None, help="checkpoint (default: the shipped model)")
    p.add_argument("--keep", default=None, help="keep the indexes (and the mixed album) in this folder")
    args = p.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    work.mkdir(parents=True, exist_ok=True)
    try:
        source = Path(args.album)
        report(f"album {source}", indexed(source, work / "album.sqlite", args.model))
        if args.crowd:
            mixed = work / "mixed"
            if not mixed.is_dir():
                from bench.index_throughput import synthesise_crowd_album

                synthesise_crowd_album(source, mixed / "crowd", args.crowd)
                for f in source.iterdir():
                    if f.is_file():
                        shutil.copy2(f, mixed / f.name)
            name = f"mixed album (the album + {args.crowd} crowd scenes)"
            report(name, indexed(mixed, work / "mixed.sqlite", args.model))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
