"""Deep Gaussian Mixture sub-spaces (paper Algorithm 2): sub-classes inside each emotion.

:func:`fit_subclasses` is one EM step of the algorithm: a Gaussian mixture per emotion over the
embeddings, with guards for small classes and contiguous sub-class ids.
:func:`trainer.dgm.run_subspaces` alternates it with fine-tuning on the sub-class labels for levels
2..L (the paper's loop, with l incremented; one level is :func:`trainer.dgm.run_level`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from albumsum.core.gaussian import gmm_log_densities, gmm_log_likelihood, gmm_log_responsibilities

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassMixture:
    """One emotion's mixture: ``weights`` [K], ``means`` [K, D], ``covariances`` [K, D, D]."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def to_checkpoint(self) -> dict[str, torch.Tensor]:
        return {
            k: torch.from_numpy(np.asarray(v, dtype=np.float32))
            for k, v in (("weights", self.weights), ("means", self.means), ("covariances", self.covariances))
        }

    def log_likelihood(self, z: np.ndarray) -> np.ndarray:
        """Per-row log density ``[N]`` of the mixture (the app's ridge: :mod:`albumsum.core.gaussian`)."""
        return gmm_log_likelihood(z, self.weights, self.means, self.covariances)

    def assign(self, z: np.ndarray) -> np.ndarray:
        """The most responsible component of each row of ``z`` [N, D] -> [N], as the app assigns faces."""
        return gmm_log_responsibilities(z, self.weights, self.means, self.covariances).argmax(axis=1)


@dataclass
class SubclassFit:
    """Result of one EM step: ``labels`` [N] contiguous sub-class ids, ``parent`` [S] the emotion of
    each sub-class, ``mixtures`` per emotion index, ``sizes`` per emotion (faces per sub-class)."""

    labels: np.ndarray
    parent: np.ndarray
    mixtures: dict[int, ClassMixture] = field(default_factory=dict)
    sizes: dict[int, list[int]] = field(default_factory=dict)


def components_for(count: int, wanted: int, min_size: int) -> int:
    """Never more components than the class supports: at least ``min_size`` faces each."""
    return max(1, min(wanted, count // max(1, min_size)))


def paired_mixture(
    x: np.ndarray,
    copies: np.ndarray,
    components: int,
    seed: int = 0,
    reg_covar: float = 1e-3,
    max_iter: int = 200,
    starts: int = 4,
) -> ClassMixture:
    """EM for a full-covariance mixture of ``x`` [N, D] in which each face and its copy ``copies[i]``
    (e.g. the embedding of its degraded copy) belong to the same component: a pair's responsibility
    for a component is the product of both members' densities, and both members update the
    component's mean and covariance (EM with equivalence constraints, Shental et al. 2003), so a
    component is a group whose faces' degraded copies belong to it too. On the shipped network's
    steady directions this kept 0.27 bits of the link to the second-choice vote where plain EM kept
    0.22 at the same stability-chosen counts (docs/RESULTS.md 6.15).

    EM runs from ``starts`` plain-EM fits of ``x`` (seeds ``seed``, ``seed + 1``, ...) and the fit
    with the highest pair likelihood is kept: from one start, pairs that straddle two of its
    components can pull every face into one wide component. Faces are assigned one by one
    afterwards, as the app assigns them."""
    x, copies = np.asarray(x, np.float64), np.asarray(copies, np.float64)
    if x.shape != copies.shape:
        raise ValueError(f"expected a copy of every face; got {x.shape} and {copies.shape}")
    best, best_loglik = None, -np.inf
    for start in range(seed, seed + max(1, starts)):
        plain = GaussianMixture(components, covariance_type="full", reg_covar=reg_covar, random_state=start).fit(x)
        start_mixture = ClassMixture(plain.weights_, plain.means_, plain.covariances_)
        mixture = _paired_em(x, copies, start_mixture, reg_covar, max_iter)
        loglik = pair_log_likelihood(mixture, x, copies)
        if loglik > best_loglik:
            best, best_loglik = mixture, loglik
    return best


def _pair_log(x: np.ndarray, copies: np.ndarray, weights, means, covs) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's log joint density per component, less its row maximum [N, K], and that maximum [N]."""
    pair_log = gmm_log_densities(x, weights, means, covs) + gmm_log_densities(
        copies, np.ones_like(weights), means, covs
    )
    top = pair_log.max(axis=1)
    return pair_log - top[:, None], top


def pair_log_likelihood(mixture: ClassMixture, x: np.ndarray, copies: np.ndarray) -> float:
    """Mean log-likelihood of the pairs ``(x_i, copies_i)`` when both members come from one component."""
    shifted, top = _pair_log(x, copies, mixture.weights, mixture.means, mixture.covariances)
    return float(np.mean(top + np.log(np.exp(shifted).sum(axis=1))))


def _paired_em(
    x: np.ndarray, copies: np.ndarray, mixture: ClassMixture, reg_covar: float, max_iter: int
) -> ClassMixture:
    """:func:`paired_mixture` from one start."""
    weights, means, covs = mixture.weights, mixture.means, mixture.covariances
    both = np.concatenate([x, copies])
    ridge = reg_covar * np.eye(x.shape[1])
    previous = -np.inf
    for _ in range(max_iter):
        shifted, top = _pair_log(x, copies, weights, means, covs)
        resp = np.exp(shifted)
        total = resp.sum(axis=1, keepdims=True)
        loglik = float(np.mean(top + np.log(total[:, 0])))
        if loglik - previous < 1e-6 * max(1.0, abs(loglik)):
            break
        previous = loglik
        resp = np.concatenate([resp / total] * 2)
        mass = resp.sum(axis=0) + 1e-12
        weights = mass / mass.sum()
        means = resp.T @ both / mass[:, None]
        centred = [both - m for m in means]
        covs = np.stack([(resp[:, j, None] * c).T @ c / mass[j] + ridge for j, c in enumerate(centred)])
    return ClassMixture(weights, means, covs)


def fit_subclasses(
    embeddings: np.ndarray,
    labels: np.ndarray,
    components: int,
    min_size: int = 64,
    seed: int = 0,
    reg_covar: float = 1e-3,
    copies: np.ndarray | None = None,
) -> SubclassFit:
    """EM with up to ``components`` full-covariance Gaussians per class of ``labels``; with
    ``copies`` [N, D] (a copy of each face, e.g. degraded) a face and its copy share a component
    (:func:`paired_mixture`).

    Sub-class ids are contiguous over the classes in ascending order (a class's components that
    end up empty are dropped); a class smaller than ``2 * min_size`` stays whole.
    """
    embeddings = np.asarray(embeddings, dtype=np.float64)
    sub = np.full(len(labels), -1, dtype=np.int64)
    fit = SubclassFit(labels=sub, parent=np.zeros(0, dtype=np.int64))
    parents: list[int] = []
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        k = components_for(len(rows), components, min_size)
        if copies is not None and k > 1:
            mixture = paired_mixture(embeddings[rows], copies[rows], k, seed, reg_covar)
        else:
            gmm = GaussianMixture(
                k, covariance_type="full", reg_covar=reg_covar, random_state=seed, n_init=1, max_iter=200
            ).fit(embeddings[rows])
            mixture = ClassMixture(gmm.weights_, gmm.means_, gmm.covariances_)
        assigned = mixture.assign(embeddings[rows])
        used = np.unique(assigned)
        remap = np.full(k, -1)
        remap[used] = np.arange(len(used))
        sub[rows] = len(parents) + remap[assigned]
        parents += [int(c)] * len(used)
        fit.mixtures[int(c)] = ClassMixture(
            mixture.weights[used] / mixture.weights[used].sum(), mixture.means[used], mixture.covariances[used]
        )
        fit.sizes[int(c)] = np.bincount(remap[assigned], minlength=len(used)).tolist()
    fit.parent = np.asarray(parents, dtype=np.int64)
    return fit


SUBCLASS_TARGETS = ("onehot", "nested")


def subclass_targets(
    fit: SubclassFit, emotion_targets: np.ndarray, kind: str = "onehot", sibling_share: float = 0.25
) -> np.ndarray:
    """Training targets over the sub-classes of ``fit``, float32 [N, S].

    ``onehot``: each face's EM sub-class (the paper's Algorithm 2). ``nested``: each emotion's
    share of the face's emotion targets (vote distribution or one-hot) is spread evenly over that
    emotion's sub-classes, except the face's own emotion, where its sub-class takes
    ``1 - sibling_share`` and its siblings the rest. Summed over each emotion's sub-classes the
    targets are the emotion targets again, so fine-tuning on them keeps training the emotions as
    level 1 did, and sub-classes of one emotion are pushed apart less than emotions are.
    """
    if kind == "onehot":
        return np.eye(len(fit.parent), dtype=np.float32)[fit.labels]
    if kind != "nested":
        raise ValueError(f"subclass_targets must be one of {', '.join(SUBCLASS_TARGETS)}, got {kind!r}")
    if not 0.0 <= sibling_share < 1.0:
        raise ValueError(f"sibling_share must be in [0, 1), got {sibling_share}")
    emotion_targets = np.asarray(emotion_targets, dtype=np.float64)
    per_emotion = np.bincount(fit.parent, minlength=emotion_targets.shape[1])
    targets = emotion_targets[:, fit.parent] / per_emotion[fit.parent][None, :]
    rows = np.arange(len(fit.labels))
    emotion = fit.parent[fit.labels]
    share = emotion_targets[rows, emotion]
    siblings = per_emotion[emotion]
    alone = siblings == 1
    sibling_value = np.where(alone, 0.0, share * sibling_share / np.maximum(siblings - 1, 1))
    targets = np.where(fit.parent[None, :] == emotion[:, None], sibling_value[:, None], targets)
    targets[rows, fit.labels] = np.where(alone, share, share * (1.0 - sibling_share))
    return targets.astype(np.float32)


def single_gaussian(embeddings: np.ndarray, reg_covar: float = 1e-3) -> ClassMixture:
    """The one-component baseline the mixture is compared with."""
    z = np.asarray(embeddings, dtype=np.float64)
    cov = np.cov(z, rowvar=False) + reg_covar * np.eye(z.shape[1])
    return ClassMixture(np.ones(1), z.mean(axis=0, keepdims=True), cov[None])
