"""The Gaussian math shared by the app and the trainer, in one copy, so that the model's report and
the app cannot assign a face differently:

- :func:`gaussian_log_posterior`: eq. 1 of the paper, isotropic class Gaussians (the SGM loss, the
  posterior classifier of the evaluation, and the app's emotion of a face);
- :func:`gmm_log_densities` and its two reductions, :func:`gmm_log_responsibilities` (which
  sub-class a face is in) and :func:`gmm_log_likelihood`, full-covariance mixtures with one ridge,
  :data:`COV_RIDGE`, added to every stored covariance;
- :func:`medoid_order`: a group's medoid and the distances to it (paper §4.2.3).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where the posterior is computed: grouping and the CLI need only numpy
    import torch

COV_RIDGE = 1e-4  # added to stored covariances: sub-class GMMs of tiny classes can be singular


def gaussian_log_posterior(
    z: torch.Tensor, means: torch.Tensor, sigma: float, log_priors: torch.Tensor | None = None
) -> torch.Tensor:
    """Eq. 1 with isotropic Gaussians, in log space: ``z`` [N, D], ``means`` [C, D] -> [N, C] log P(w|z).

    Computed as ``log_softmax(log p(w_j) - ||z - mu_j||^2 / (2 sigma^2))`` (uniform priors when
    ``log_priors`` [C] is ``None``), so that points far from every mean keep finite, informative
    values instead of 0/0. The squared distances are taken exactly (not through the ``cdist``
    matrix-product shortcut), so the loss has exact gradients at small distances.
    """
    import torch.nn.functional as F

    sq_dist = (z[:, None, :] - means[None, :, :]).pow(2).sum(dim=2)
    logits = -sq_dist / (2.0 * sigma * sigma)
    if log_priors is not None:
        logits = logits + log_priors
    return F.log_softmax(logits, dim=1)


def log_priors_of(priors: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Class priors [C] -> their logs, float32, with empty classes at log(1e-12) rather than -inf."""
    import torch

    return torch.as_tensor(np.asarray(priors, np.float32)).clamp_min(1e-12).log()


def gmm_log_densities(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, ridge: float = COV_RIDGE
) -> np.ndarray:
    """``log w_k + log N(x | mu_k, cov_k + ridge I)`` [N, K] of a full-covariance GMM at ``x`` [N, D]."""
    x = np.asarray(x, np.float64)
    d = x.shape[1]
    out = np.empty((len(x), len(weights)))
    for k, (w, mu, cov) in enumerate(zip(weights, means, covs, strict=True)):
        chol = np.linalg.cholesky(np.asarray(cov, np.float64) + ridge * np.eye(d))
        sol = np.linalg.solve(chol, (x - np.asarray(mu, np.float64)).T)
        maha = (sol * sol).sum(axis=0)
        logdet = 2.0 * np.log(np.diag(chol)).sum()
        out[:, k] = math.log(max(float(w), 1e-300)) - 0.5 * (maha + logdet + d * math.log(2 * math.pi))
    return out


def _logsumexp(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=1, keepdims=True))


def gmm_log_responsibilities(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, ridge: float = COV_RIDGE
) -> np.ndarray:
    """Log responsibilities [N, K] of each component for each row of ``x`` [N, D]."""
    dens = gmm_log_densities(x, weights, means, covs, ridge)
    return dens - _logsumexp(dens)


def gmm_log_likelihood(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, ridge: float = COV_RIDGE
) -> np.ndarray:
    """Per-row log density [N] of the mixture."""
    return _logsumexp(gmm_log_densities(x, weights, means, covs, ridge))[:, 0]


def medoid_order(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The medoid of the rows of ``x`` [N, D] is the row nearest their centroid; returns the row
    order by distance to it (the medoid first) and those distances, ascending."""
    x = np.asarray(x, np.float64)
    if not len(x):
        return np.zeros(0, np.int64), np.zeros(0)
    medoid = int(np.argmin(np.linalg.norm(x - x.mean(axis=0), axis=1)))
    dist = np.linalg.norm(x - x[medoid], axis=1)
    order = np.argsort(dist, kind="stable")  # ties keep the input order, so results are repeatable
    return order, dist[order]
