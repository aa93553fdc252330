"""A posterior of its own for small faces: the Bayesian reading of a degraded face (docs/RESULTS.md 6.17).

A degraded face's embedding is its sharp face's plus noise, so Bayes reads it with a wider Gaussian
(σ² + τ² instead of σ²), which leans it on the class priors where its distances say little; the app
knows a face's size, so it could read small faces that way. Here the degraded copy of FER+ valid
(seed 0, as `evaluate --degrade`) is read by the checkpoint's posterior with:

- a σ scaled by 1.0 to 2.5 (the sharp faces keep the checkpoint's σ), each with its mean negative
  log-likelihood of the labels on degraded copies of the training faces (seed 1): the σ a fit on
  training faces would choose is the one with the lowest;
- the class means of those degraded training faces instead of the checkpoint's, at σ × 1.0 and the
  σ their own fit chooses.

Each row: the degraded copy's posterior accuracy (ours / the paper's protocol) and how often its
emotion is the sharp face's.

    python docs/runs/readout/small_face_posterior.py [CHECKPOINT]   # output: small_face_posterior.txt

Embeddings are float32 and shared with docs/runs/paired_subclasses/probe.py's cache.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parent / "paired_subclasses"))

from probe import Probe  # noqa: E402

from albumsum.core.gaussian import gaussian_log_posterior  # noqa: E402

SCALES = (1.0, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0, 2.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    args = ap.parse_args()
    probe = Probe(args.checkpoint)
    emb, valid, labels = probe.emb, probe.valid, probe.bank_labels
    y, paper = valid.labels, valid.paper_protocol()
    means, sigma, log_priors = emb.class_means, emb.sigma, emb.log_priors
    degraded_means = torch.stack([torch.as_tensor(probe.td1[labels == c].mean(0)) for c in range(len(means))])

    def log_posterior(z, s, m):
        return gaussian_log_posterior(torch.as_tensor(z), m, s, log_priors).numpy()

    def nll(s, m):
        return -log_posterior(probe.td1, s, m)[np.arange(len(labels)), labels].mean()

    sharp = log_posterior(probe.v, sigma, means).argmax(1)
    print(f"{args.checkpoint} ({probe.sha}); σ {sigma:.4f}; FER+ valid's degraded copy, {len(y)} faces")
    header = ("small faces read with", "NLL, degraded training faces", "degraded posterior, ours / paper's", "same emotion")
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")

    def row(name, s, m):
        read = log_posterior(probe.vd, s, m).argmax(1)
        ok = read == y
        print(
            f"| {name} | {nll(s, m):.4f} | {100 * ok.mean():.2f} / {100 * ok[paper].mean():.2f} | "
            f"{100 * (read == sharp).mean():.2f} % |",
            flush=True,
        )

    for scale in SCALES:
        row(f"the checkpoint's means, σ × {scale}", scale * sigma, means)
    best = min(SCALES, key=lambda scale: nll(scale * sigma, degraded_means))
    row("the degraded training faces' means, σ × 1.0", sigma, degraded_means)
    row(f"the degraded training faces' means, σ × {best} (their lowest NLL)", best * sigma, degraded_means)


if __name__ == "__main__":
    main()
