"""The whitening's shrinkage chosen without FER+ valid: fit the map on one random half of a
checkpoint's training bank and score the other half (kNN(11) against the first half, k-means NMI
over seeds 0-2), for two random splits.

    python docs/runs/whiten/whiten_trainsplit.py docs/runs/narrow_sq_ft_compact/model.pt
"""

from __future__ import annotations

import sys

import numpy as np

from albumsum.core.inference import Embedder
from trainer.calibrate import within_class_whitening
from trainer.evaluation import kmeans_nmi, knn_predict


def main(checkpoint: str) -> None:
    bank = Embedder.from_file(checkpoint, device="cpu").checkpoint["reference"]
    ref, y = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    rng = np.random.default_rng(0)
    for split in range(2):
        fit = rng.permutation(len(y)) < len(y) // 2
        score = ~fit
        print(f"split {split}: fit on {fit.sum()}, score on {score.sum()} training faces")
        for shrink in [np.inf, 1.0, 0.3, 0.1, 0.03, 0.0]:
            if np.isinf(shrink):
                m, a = np.zeros(ref.shape[1]), np.eye(ref.shape[1])
            else:
                m, a = within_class_whitening(ref[fit], y[fit], shrink)
            r, v = (ref[fit] - m) @ a, (ref[score] - m) @ a
            knn = knn_predict(v, r, y[fit], 11, 8)
            nmi = [kmeans_nmi(v, y[score], s)["nmi_kmeans"] for s in range(3)]
            print(f"  {shrink:6}  kNN {100 * np.mean(knn == y[score]):.2f}  NMI {np.mean(nmi):.2f} ± {np.std(nmi):.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
