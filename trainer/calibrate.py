"""The posterior's sigma, fitted to the trained embedding.

The SGM loss trains with a fixed sigma (the paper's 0.5), but the embedding it produces sets its
own scale: the shipped model's faces lie about 0.11 per dimension from their class mean (0.89 in
64-d) and the means 1.0-1.8 apart. Eq. 1 evaluated with the loss's sigma gives faces between two
means log-likelihood differences of the size of the log prior ratios (up to 4.1, neutral against
contempt), so the priors move faces to neutral, 36 % of FER+: on FER+ valid it names 1,635 faces
neutral where 1,335 are (1,457 with the fitted sigma; docs/RESULTS.md section 6.5).

The posterior's sigma is therefore fitted after training, as a temperature is: the value that
minimises the posterior's cross-entropy of the training labels (the same faces the class means and
priors come from). The cross-entropy is convex in ``1 / (2 sigma^2)`` (a log-sum-exp of linear
functions minus a linear one), so a bounded scalar search finds its minimum.

The maximum-likelihood sigma of the isotropic Gaussians (the root mean squared distance to the
class mean per dimension) is not used: in 64 dimensions it makes the posterior nearly one-hot
(mean confidence 0.99 on FER+ valid for 85 % accuracy, docs/RESULTS.md §6.5), because the
classes are not isotropic.

The classes are not isotropic because their shared (pooled) within-class covariance is not: its
largest directions hold four to five times the variance of the fifth. Eq. 1 and k-means both
measure plain Euclidean distances, so :func:`within_class_whitening` fits, on the training
embeddings, the linear map that makes that covariance nearer the identity (shrunk towards it, as
regularised discriminant analysis does), and :func:`fold_into_head` writes the map into the
network's last linear layer: the network is unchanged in shape and cost, and its embedding is the
mapped one (``fit --whiten``; docs/RESULTS.md section 6.10).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from albumsum.core.checkpoint import read_checkpoint, save_checkpoint

log = logging.getLogger(__name__)

SIGMA_RANGE = (1e-3, 1e3)  # the search's bounds, far outside any embedding's scale


def posterior_cross_entropy(sq_dist: np.ndarray, labels: np.ndarray, log_priors: np.ndarray, sigma: float) -> float:
    """Mean ``-log P(w_y | z)`` of eq. 1 from the squared distances ``[N, C]`` to the class means."""
    logits = log_priors[None, :] - sq_dist / (2.0 * sigma * sigma)
    return float(np.mean(logsumexp(logits, axis=1) - logits[np.arange(len(labels)), labels]))


def fit_posterior_sigma(
    embeddings: np.ndarray, labels: np.ndarray, means: np.ndarray, priors: np.ndarray | None = None
) -> float:
    """The sigma of eq. 1 that minimises the posterior's cross-entropy of ``labels`` [N] for
    ``embeddings`` [N, D] and class ``means`` [C, D], with class ``priors`` [C] (uniform if ``None``).

    Where the nearest mean classifies every face right, the cross-entropy falls as sigma shrinks,
    and the search stops at :data:`SIGMA_RANGE`'s lower bound: the posterior is then the nearest
    mean's, with finite log-probabilities (eq. 1 is computed in log-softmax form)."""
    z, mu = np.asarray(embeddings, np.float64), np.asarray(means, np.float64)
    labels = np.asarray(labels, np.int64)
    if len(z) == 0:
        raise ValueError("no embeddings to fit the posterior's sigma on")
    sq_dist = ((z[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)
    p = np.full(len(mu), 1.0 / len(mu)) if priors is None else np.asarray(priors, np.float64)
    log_priors = np.log(np.clip(p, 1e-12, None))
    found = minimize_scalar(
        lambda log_sigma: posterior_cross_entropy(sq_dist, labels, log_priors, math.exp(log_sigma)),
        bounds=tuple(math.log(s) for s in SIGMA_RANGE),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(math.exp(found.x))


def within_class_whitening(
    embeddings: np.ndarray, labels: np.ndarray, shrink: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """(centre ``[D]``, symmetric map ``[D, D]``) whose ``(z - centre) @ map`` has the pooled
    within-class covariance ``S`` of ``embeddings`` ``[N, D]`` turned into ``M S M`` with
    ``M = (S + shrink * tr(S)/D * I)^(-1/2)``, scaled so that the mean within-class variance
    per dimension, ``tr(S)/D``, stays as it was (``shrink=0``: fully whitened, ``M S M`` is that
    variance times the identity; larger: nearer the identity map)."""
    if shrink < 0:
        raise ValueError(f"shrink must be >= 0, got {shrink}")
    z = np.asarray(embeddings, np.float64)
    labels = np.asarray(labels)
    resid = np.concatenate([z[labels == c] - z[labels == c].mean(axis=0) for c in np.unique(labels)])
    cov = resid.T @ resid / len(resid)
    level = float(np.trace(cov)) / len(cov)
    if level <= 0:
        raise ValueError("the embeddings have no within-class spread to whiten")
    values, vectors = np.linalg.eigh(cov + shrink * level * np.eye(len(cov)))
    if values.min() <= 1e-12 * level:
        raise ValueError("the within-class covariance is singular: pass shrink > 0")
    m = (vectors * values**-0.5) @ vectors.T
    m *= math.sqrt(level / (float(np.trace(m @ cov @ m)) / len(cov)))
    return z.mean(axis=0), m


def fold_into_head(head: torch.nn.Linear, centre: np.ndarray, transform: np.ndarray) -> None:
    """Rewrite ``head`` (``z = W h + b``) in place so that it outputs ``(z - centre) @ transform``:
    ``W' = T^T W``, ``b' = T^T (b - centre)``."""
    with torch.no_grad():
        t = torch.as_tensor(transform, dtype=torch.float64)
        w, b = head.weight.double(), head.bias.double()
        head.weight.copy_((t.T @ w).to(head.weight.dtype))
        head.bias.copy_((t.T @ (b - torch.as_tensor(centre, dtype=torch.float64))).to(head.bias.dtype))


def calibrate_checkpoint(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write ``checkpoint`` again with its posterior's sigma fitted on its stored training
    embeddings, means and priors (:func:`fit_posterior_sigma`). Everything else is unchanged; the
    loss's sigma stays in ``train_config``."""
    data = read_checkpoint(checkpoint)
    bank = data.get("reference")
    if not bank:
        raise ValueError(f"{checkpoint}: stores no training embeddings to fit the posterior's sigma on")
    z, labels = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    sigma = fit_posterior_sigma(z, labels, data["class_means"].numpy(), data["class_priors"].numpy())
    log.info("posterior sigma: %.4f (was %.4f)", sigma, float(data["sigma"]))
    data["sigma"] = sigma
    return save_checkpoint(data, out)
