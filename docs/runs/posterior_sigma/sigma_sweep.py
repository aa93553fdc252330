"""The posterior's accuracy, cross-entropy and calibration against its sigma, for one checkpoint.

    python docs/runs/posterior_sigma/sigma_sweep.py resources/models/default.pt > docs/runs/posterior_sigma/sweep.txt

Eq. 1 with the checkpoint's means, with its training priors and with uniform priors, at a range of
sigmas, the maximum-likelihood sigma of isotropic classes, and the cross-entropy fit of
trainer/calibrate.py: on the stored training embeddings (where the fit is made) and on FER+ valid
(embedded under bfloat16 autocast, as `evaluate --bf16` does; both protocols). ECE: expected
calibration error over 10 confidence bins. "neutral": how many valid faces the posterior names
neutral (the labels: the header). "baseline": the mean posterior of the most likely other emotion for
the valid faces no voter gave a second emotion (what albumsum/core/summary.py's LEAN_SHARE is set
against).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from albumsum.core.gaussian import gaussian_log_posterior
from albumsum.core.inference import Embedder
from trainer.calibrate import fit_posterior_sigma
from trainer.evaluate import load_for_evaluation


def scores(z: np.ndarray, labels: np.ndarray, means: torch.Tensor, sigma: float, log_priors) -> tuple[float, ...]:
    """Accuracy %, mean cross-entropy, ECE % and mean confidence of eq. 1 at ``sigma``."""
    log_post = gaussian_log_posterior(torch.as_tensor(z), means, sigma, log_priors).numpy()
    conf, right = np.exp(log_post.max(1)), log_post.argmax(1) == labels
    edges = np.linspace(0, 1, 11)
    ece = sum(
        np.mean(inside) * abs(right[inside].mean() - conf[inside].mean())
        for inside in ((conf > a) & (conf <= b) for a, b in zip(edges[:-1], edges[1:], strict=True))
        if inside.any()
    )
    ce = -log_post[np.arange(len(labels)), labels].mean()
    return 100 * right.mean(), ce, 100 * ece, conf.mean()


def valid_extras(z: np.ndarray, valid, means: torch.Tensor, sigma: float, log_priors) -> tuple[int, float]:
    """Valid faces named neutral, and the lean baseline (see the module docstring)."""
    post = gaussian_log_posterior(torch.as_tensor(z), means, sigma, log_priors).exp().numpy()
    lone = np.flatnonzero(valid.second_choice() < 0)
    others = post[lone].copy()
    others[np.arange(len(lone)), valid.labels[lone]] = 0.0
    return int((post.argmax(1) == 0).sum()), float(others.max(1).mean())


def main(path: str) -> None:
    torch.set_num_threads(2)
    embedder = Embedder.from_file(path, device="cpu", bf16=True)
    valid = load_for_evaluation("../shared/data/ferplus/valid.npz")
    emb = embedder.embed(valid.images)
    bank = embedder.checkpoint["reference"]
    train, train_labels = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    means, priors = embedder.class_means, embedder.log_priors.exp().numpy()
    paper = np.flatnonzero(valid.paper_protocol())
    ml = float(np.sqrt(((train - means.numpy()[train_labels]) ** 2).mean()))
    fitted = fit_posterior_sigma(train, train_labels, means.numpy(), priors)
    print(f"checkpoint {path}: stored sigma {embedder.sigma:.4f}")
    print(f"maximum-likelihood sigma of isotropic classes, training embeddings: {ml:.4f}")
    print(f"cross-entropy fit (trainer/calibrate.py) with the training priors: {fitted:.4f}")
    print(f"valid faces labelled neutral: {int((valid.labels == 0).sum())}")
    print(
        "priors   sigma  | train: acc    CE    ECE | valid: acc ours / paper's    CE    ECE  confidence"
        "  neutral  baseline"
    )
    for name, log_priors in (("training", embedder.log_priors), ("uniform", None)):
        for sigma in (ml, 0.2, 0.25, 0.3, fitted, 0.4, 0.45, 0.5):
            tr = scores(train, train_labels, means, sigma, log_priors)
            va = scores(emb, valid.labels, means, sigma, log_priors)
            pa = scores(emb[paper], valid.labels[paper], means, sigma, log_priors)
            neutral, baseline = valid_extras(emb, valid, means, sigma, log_priors)
            print(
                f"{name:8s} {sigma:.3f}  |  {tr[0]:6.2f} {tr[1]:6.3f} {tr[2]:5.2f} |"
                f"  {va[0]:6.2f} / {pa[0]:6.2f}    {va[1]:6.3f} {va[2]:5.2f}  {va[3]:.3f}"
                f"      {neutral:5d}  {baseline:.3f}"
            )


if __name__ == "__main__":
    main(sys.argv[1])
