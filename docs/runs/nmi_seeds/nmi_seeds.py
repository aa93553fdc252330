"""How much the evaluation's k-means NMI moves with k-means' seed: for each checkpoint, FER+ valid
embedded once (as the app embeds), then `trainer.evaluation.kmeans_nmi` (10 starts, the best kept)
with seeds 0-4, on our protocol and on the paper's.

    python docs/runs/nmi_seeds/nmi_seeds.py CHECKPOINT [CHECKPOINT ...]
"""

from __future__ import annotations

import sys

import numpy as np

from albumsum.core.inference import Embedder
from trainer.data import load_labelled
from trainer.evaluation import kmeans_nmi

SEEDS = range(5)


def main(checkpoints: list[str], valid: str = "../shared/data/ferplus/valid.npz") -> None:
    data = load_labelled(valid)
    paper = np.flatnonzero(data.paper_protocol())
    print(f"FER+ valid: {len(data)} faces (ours), {len(paper)} (the paper's); k-means seeds {list(SEEDS)}")
    for path in checkpoints:
        z = Embedder.from_file(path, device="cpu").embed(data.images)
        for name, rows in (("ours", np.arange(len(data))), ("paper's", paper)):
            values = [kmeans_nmi(z[rows], data.labels[rows], seed)["nmi_kmeans"] for seed in SEEDS]
            runs = " ".join(f"{v:.2f}" for v in values)
            print(f"{path}  {name:8s} NMI {np.mean(values):.2f} ± {np.std(values):.2f}  ({runs})")


if __name__ == "__main__":
    main(sys.argv[1:])
