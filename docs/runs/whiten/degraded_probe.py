"""Whitening that also counts degradation as within-class spread: does it keep a face's emotion
on its degraded copy?

    python docs/runs/whiten/degraded_probe.py docs/runs/narrow_sq_ft_compact/model.pt

The map of ``trainer.calibrate.within_class_whitening`` (shrink 1) applied to ``S + b * D`` instead
of the pooled within-class covariance ``S`` alone, where ``D`` is the second moment of how far
degradation (``trainer.degrade``, seed 1) moves each training face's embedding. First on the
training faces (map, class means and sigma fitted on one random half, scored on the other half and
its degraded copy), then on FER+ valid and its degraded copy (seed 0, as ``evaluate --degrade``).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.inference import Embedder
from trainer.calibrate import fit_posterior_sigma
from trainer.data import load_labelled
from trainer.degrade import degrade_images
from trainer.emotion_span import degraded_training_embeddings
from trainer.evaluation import gaussian_posterior_predict, kmeans_nmi, knn_predict

BETAS = [None, 0.0, 0.5, 1.0, 2.0, 4.0]  # None: no map


def mapping(z, labels, moved, beta, shrink=1.0):
    if beta is None:
        return np.zeros(z.shape[1]), np.eye(z.shape[1])
    resid = np.concatenate([z[labels == c] - z[labels == c].mean(0) for c in np.unique(labels)])
    within = resid.T @ resid / len(resid)
    cov = within + beta * (moved.T @ moved / len(moved))
    level = np.trace(cov) / len(cov)
    values, vectors = np.linalg.eigh(cov + shrink * level * np.eye(len(cov)))
    m = (vectors * values**-0.5) @ vectors.T
    return z.mean(0), m * math.sqrt((np.trace(within) / len(within)) / (np.trace(m @ within @ m) / len(within)))


def fitted(ref, y):
    means = np.stack([ref[y == c].mean(0) for c in range(8)])
    priors = np.bincount(y, minlength=8) / len(y)
    return means, priors, fit_posterior_sigma(ref, y, means, priors)


def main(checkpoint: str, valid: str = "../shared/data/ferplus/valid.npz") -> None:
    data = read_checkpoint(checkpoint)
    ref, y = data["reference"]["embeddings"].float().numpy(), data["reference"]["labels"].numpy()
    ref_bad = degraded_training_embeddings(checkpoint, data, None, seed=1)
    moved = ref_bad - ref
    rng = np.random.default_rng(0)
    fit = rng.permutation(len(y)) < len(y) // 2
    print(f"{checkpoint}: training halves ({fit.sum()} / {(~fit).sum()} faces)")
    print("beta | held-out half: kNN | posterior | same emotion degraded (posterior / kNN)")
    for beta in BETAS:
        m, a = mapping(ref[fit], y[fit], moved[fit], beta)
        r, v, b = ((x - m) @ a for x in (ref[fit], ref[~fit], ref_bad[~fit]))
        means, priors, sigma = fitted(r, y[fit])
        knn, knn_b = (knn_predict(x, r, y[fit], 11, 8) for x in (v, b))
        post, post_b = (gaussian_posterior_predict(x, means, sigma, priors) for x in (v, b))
        print(
            f"{beta} | {100 * np.mean(knn == y[~fit]):.2f} | {100 * np.mean(post == y[~fit]):.2f} | "
            f"{100 * np.mean(post == post_b):.2f} / {100 * np.mean(knn == knn_b):.2f}",
            flush=True,
        )
    embedder = Embedder(data, device="cpu")
    val = load_labelled(valid)
    yv, paper = val.labels, val.paper_protocol()
    z, bad = embedder.embed(val.images), embedder.embed(degrade_images(val.images, 0))
    print(f"FER+ valid: {len(yv)} faces (ours), {int(paper.sum())} (paper's)")
    print(
        "beta | kNN ours/paper | posterior ours/paper | NMI paper's (5 seeds) | degraded kNN / posterior | same emotion"
    )
    for beta in BETAS:
        m, a = mapping(ref, y, moved, beta)
        r, v, b = ((x - m) @ a for x in (ref, z, bad))
        means, priors, sigma = fitted(r, y)
        knn, knn_b = (knn_predict(x, r, y, 11, 8) for x in (v, b))
        post, post_b = (gaussian_posterior_predict(x, means, sigma, priors) for x in (v, b))
        nmi = [kmeans_nmi(v[paper], yv[paper], s)["nmi_kmeans"] for s in range(5)]
        acc = lambda p, rows=slice(None): 100 * np.mean(p[rows] == yv[rows])  # noqa: E731
        print(
            f"{beta} | {acc(knn):.2f} / {acc(knn, paper):.2f} | {acc(post):.2f} / {acc(post, paper):.2f} | "
            f"{np.mean(nmi):.2f} ± {np.std(nmi):.2f} | {acc(knn_b):.2f} / {acc(post_b):.2f} | "
            f"{100 * np.mean(post == post_b):.2f} %",
            flush=True,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
