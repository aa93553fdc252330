"""Carry FER+ to a lent GPU machine in parts small enough for its working-tree limit, and put it back.

The `device` tool sends the checkout plus at most 64 MiB of carried paths a call, and the checkout
(with the shipped model) already takes about 28 MB. FER+ train and valid are 70 MB of npz, so they
travel in two calls: each part is the rows of one slice of the training set (half of it by default),
LZMA-compressed, and the last part also holds the valid set.

    python scripts/gpu_data.py pack [--parts 2] [--out .gpu]      # here: .gpu/part1, .gpu/part2, ...
    python3 scripts/gpu_data.py unpack DIR [DIR ...] --out /tmp/ferplus   # there: train.npz, valid.npz

``unpack`` takes the part files from every DIR given, checks that they are all the parts of one
pack, and writes ``train.npz`` and ``valid.npz`` with exactly the arrays of the originals. The
data stays under ``.gpu/`` (ignored by git): it is never committed.
"""

from __future__ import annotations

import argparse
import io
import lzma
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ferplus"
ROW_ALIGNED = ("images", "votes", "votes_labelcsv", "names", "fer2013_row")


def _dump(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lzma.compress(buffer.getvalue(), preset=6))


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(lzma.decompress(path.read_bytes()))) as z:
        return {k: z[k] for k in z.files}


def pack(source: Path, out: Path, parts: int) -> list[Path]:
    with np.load(source / "train.npz") as z:
        train = {k: z[k] for k in z.files}
    with np.load(source / "valid.npz") as z:
        valid = {k: z[k] for k in z.files}
    bounds = np.linspace(0, len(train["images"]), parts + 1).astype(int)
    written = []
    for k in range(parts):
        rows = slice(bounds[k], bounds[k + 1])
        part = {name: (a[rows] if name in ROW_ALIGNED else a) for name, a in train.items()}
        path = out / f"part{k + 1}" / f"train_{k + 1}_of_{parts}.npz.xz"
        _dump(path, part)
        written.append(path)
    path = out / f"part{parts}" / "valid.npz.xz"
    _dump(path, valid)
    written.append(path)
    return written


def unpack(dirs: list[Path], out: Path) -> None:
    files = sorted({p for d in dirs for p in d.glob("train_*_of_*.npz.xz")}, key=lambda p: int(p.name.split("_")[1]))
    if not files:
        raise SystemExit(f"no train_K_of_N.npz.xz parts in {', '.join(map(str, dirs))}")
    total = int(files[0].name.split("_of_")[1].split(".")[0])
    numbers = [int(p.name.split("_")[1]) for p in files]
    if numbers != list(range(1, total + 1)):
        raise SystemExit(f"parts {numbers} found, expected 1..{total}: carry every part of the pack")
    valid = [p for d in dirs for p in d.glob("valid.npz.xz")]
    if not valid:
        raise SystemExit("valid.npz.xz not found (it travels with the last part)")
    parts = [_load(p) for p in files]
    train = {
        name: (np.concatenate([p[name] for p in parts]) if name in ROW_ALIGNED else parts[0][name]) for name in parts[0]
    }
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "train.npz", **train)
    np.savez(out / "valid.npz", **_load(valid[0]))
    print(f"{out}: train.npz ({len(train['images'])} faces), valid.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--source", type=Path, default=SHARED)
    p.add_argument("--out", type=Path, default=Path(".gpu"))
    p.add_argument("--parts", type=int, default=2)
    p = sub.add_parser("unpack")
    p.add_argument("dirs", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "pack":
        for path in pack(args.source, args.out, args.parts):
            print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")
    else:
        unpack(args.dirs, args.out)


if __name__ == "__main__":
    main()
