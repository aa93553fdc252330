"""The app's embedding speed (faces/s) of two checkpoints, measured in one run.

    python bench/embed_throughput.py NEW.pt [--against resources/models/default.pt] [--faces 2048]
        [--batch 32 256] [--rounds 5] [--threads 2] [--device cpu] [--old-unfolded]

Each checkpoint is loaded as the app loads it (:class:`albumsum.core.inference.Embedder`, its own
input spec, flip averaging and the bfloat16 choice the app makes on this device) and embeds the same
``--faces`` random 48x48 crops followed by the Gaussian posteriors (``Embedder.predict``, what the
indexer calls per batch). The two run alternately, ``--rounds`` times per batch size, and the
median of each is printed with the ratio new / old. Throughput does not depend on the crops' content.
With ``--old-unfolded`` the old checkpoint runs without the batch-norm folding the app applies
(``albumsum.core.inference.inference_network``): pass the same file twice to time the folding alone.
Each network's header line counts the batch norms left in it as it runs (0: all folded).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsum.core.checkpoint import read_checkpoint  # noqa: E402
from albumsum.core.inference import Embedder  # noqa: E402


def faces_per_s(embedder: Embedder, crops: np.ndarray, batch: int) -> float:
    embedder.batch_size = batch
    t = time.perf_counter()
    for start in range(0, len(crops), batch):
        embedder.predict(crops[start : start + batch])
    return len(crops) / (time.perf_counter() - t)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("new")
    p.add_argument("--against", default=str(ROOT / "resources" / "models" / "default.pt"))
    p.add_argument("--faces", type=int, default=2048)
    p.add_argument("--batch", type=int, nargs="+", default=[32, 256])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--old-unfolded", action="store_true", help="run the old checkpoint without batch-norm folding")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    old = Embedder(read_checkpoint(args.against), args.device, source=args.against, fold=not args.old_unfolded)
    models = {"new": Embedder.from_file(args.new, args.device), "old": old}
    for name, path in (("new", args.new), ("old", args.against)):
        e = models[name]
        arch = e.checkpoint.get("model_args", {}).get("arch", "?")
        norms = sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in e.net.modules())
        print(f"{name}: {path} ({arch}, {e.size} px, flip averaging {e.flip_tta}, bf16 {e.bf16}, batch norms {norms})")
    crops = np.random.default_rng(0).integers(0, 256, (args.faces, 48, 48), dtype=np.uint8)
    for e in models.values():
        e.predict(crops[:64])  # warm-up
    print(f"{'batch':>6}{'new faces/s':>14}{'old faces/s':>14}{'new / old':>11}   ({args.rounds} rounds, medians)")
    for batch in args.batch:
        times: dict[str, list[float]] = {"new": [], "old": []}
        for _ in range(args.rounds):
            for name, e in models.items():
                times[name].append(faces_per_s(e, crops, batch))
        new, old = statistics.median(times["new"]), statistics.median(times["old"])
        print(f"{batch:>6}{new:>14.0f}{old:>14.0f}{new / old:>10.2f}x")


if __name__ == "__main__":
    main()
