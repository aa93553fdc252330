"""Within-class whitening of a checkpoint's embedding, fitted on its training bank: does it bring the
isotropic Gaussians of eq. 1 closer to the data, and k-means to the emotions?

    python docs/runs/whiten/whiten_probe.py docs/runs/narrow_sq_ft_compact/model.pt [valid.npz]

For each shrinkage ``a`` the map is ``trainer.calibrate.within_class_whitening`` of the training bank:
``(S + a * tr(S)/D * I)^(-1/2)`` of the pooled within-class covariance ``S``, scaled to keep the mean
within-class variance (a = inf: no map). The class means and the posterior's sigma are refitted on
the mapped bank. Prints, on FER+ valid (ours / the paper's protocol): kNN(11), the posterior,
k-means NMI over seeds 0-4, and on the degraded copy (seed 0, as ``evaluate --degrade``) kNN and
how often the posterior's emotion survives.
"""

from __future__ import annotations

import sys

import numpy as np

from albumsum.core.inference import Embedder
from trainer.calibrate import fit_posterior_sigma, within_class_whitening
from trainer.data import load_labelled
from trainer.degrade import degrade_images
from trainer.evaluation import gaussian_posterior_predict, kmeans_nmi, knn_predict


def main(checkpoint: str, valid: str = "../shared/data/ferplus/valid.npz") -> None:
    embedder = Embedder.from_file(checkpoint, device="cpu")
    data = load_labelled(valid)
    y, paper = data.labels, data.paper_protocol()
    z, bad = embedder.embed(data.images), embedder.embed(degrade_images(data.images, 0))
    bank = embedder.checkpoint["reference"]
    ref, ref_y = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    print(f"{checkpoint} on {valid}: {len(y)} faces (ours), {int(paper.sum())} (paper's)")
    print("shrink | kNN ours/paper | posterior ours/paper | NMI 5 seeds ours / paper | degraded kNN | same emotion")
    for shrink in [np.inf, 1.0, 0.3, 0.1, 0.03, 0.0]:
        if np.isinf(shrink):
            m, a = np.zeros(ref.shape[1]), np.eye(ref.shape[1])
        else:
            m, a = within_class_whitening(ref, ref_y, shrink)
        r, v, b = ((x - m) @ a for x in (ref, z, bad))
        classes = np.unique(ref_y)
        means = np.stack([r[ref_y == c].mean(0) for c in range(8)])
        priors = np.bincount(ref_y, minlength=8) / len(ref_y)
        sigma = fit_posterior_sigma(r, ref_y, means, priors)
        knn, knn_b = (knn_predict(x, r, ref_y, 11, 8) for x in (v, b))
        post, post_b = (gaussian_posterior_predict(x, means, sigma, priors) for x in (v, b))
        nmi = [[kmeans_nmi(v[rows], y[rows], seed)["nmi_kmeans"] for seed in range(5)] for rows in (slice(None), paper)]
        acc = lambda p, rows=slice(None): 100 * np.mean(p[rows] == y[rows])  # noqa: E731
        print(
            f"{shrink:6} | {acc(knn):.2f} / {acc(knn, paper):.2f} | {acc(post):.2f} / {acc(post, paper):.2f} | "
            f"{np.mean(nmi[0]):.2f} ± {np.std(nmi[0]):.2f} / {np.mean(nmi[1]):.2f} ± {np.std(nmi[1]):.2f} | "
            f"{acc(knn_b):.2f} | {100 * np.mean(post == post_b):.2f} %  (sigma {sigma:.3f}, {len(classes)} classes)",
            flush=True,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
