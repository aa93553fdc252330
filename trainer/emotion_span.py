"""Sub-classes fitted in the span of the emotion means, stored as ordinary Gaussians of the embedding.

The SGM embedding places each emotion's faces around a Gaussian mean. The directions that
separate those means (at most C - 1 of them) are the directions the loss trains for expression;
the other directions of the 64-d embedding are free, and there a full-dimensional mixture finds
image quality (sharp against blurred, lit against dark) as readily as expression. Fitting each
emotion's mixture in the span of the means makes its sub-classes differ by how a face leans
toward the other emotions ("happy, leaning to surprise"): in FER+ valid they carry 2-4x more
information about the second-most-voted emotion than the 64-d mixture's (docs/RESULTS.md).

A mixture fitted in the span is stored as a mixture of the full embedding whose covariances are
the span's covariance plus a wide, equal variance in every other direction, and whose means lie
on the same offset there. Its responsibilities in 64-d are then those of the span's mixture,
so the app assigns faces with its usual code and the checkpoint format is unchanged.

Within the span, degradation does not move faces alike in every direction, so a mixture of the
whole span can split an emotion where a small, blurred copy of a face lands in another sub-class.
The ``steady`` fit keeps, for each emotion, the directions of the span in which its faces spread
most relative to how far a degraded copy moves them (:func:`steady_directions`): there a face's
sub-class holds on its degraded copy 76 % of the time instead of 64 % (docs/RESULTS.md section 6.6).
There, paired EM (a face and its degraded copy share a component) with a count per emotion chosen
by how often the sub-classes hold on another degraded copy of the training faces takes that to
83 %, with the link to the second-choice vote kept (section 6.15; the shipped model's fit).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from albumsum.core.checkpoint import read_checkpoint, save_checkpoint
from albumsum.core.emotions import EMOTIONS
from trainer.subspaces import ClassMixture, SubclassFit, components_for, fit_subclasses

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmotionSpan:
    """An orthonormal basis ``basis`` [D, R] of the span of the class means around their mean ``centre`` [D]."""

    centre: np.ndarray
    basis: np.ndarray

    @classmethod
    def from_means(cls, class_means: np.ndarray, present: np.ndarray | None = None) -> EmotionSpan:
        means = np.asarray(class_means, dtype=np.float64)
        if present is not None:
            means = means[np.asarray(present, dtype=bool)]
        centre = means.mean(axis=0)
        _, s, vt = np.linalg.svd(means - centre, full_matrices=False)
        rank = int((s > s.max() * 1e-6).sum()) if s.size else 0
        return cls(centre, vt[:rank].T)

    def project(self, z: np.ndarray) -> np.ndarray:
        """``[N, D] -> [N, R]``: coordinates in the span."""
        return (np.asarray(z, dtype=np.float64) - self.centre) @ self.basis

    def lift(self, mixture: ClassMixture, outside_variance: float) -> ClassMixture:
        """The span's mixture as a mixture of the embedding with the same responsibilities."""
        d = len(self.centre)
        outside = np.eye(d) - self.basis @ self.basis.T
        means = self.centre + mixture.means @ self.basis.T
        covs = np.stack([self.basis @ c @ self.basis.T + outside_variance * outside for c in mixture.covariances])
        return ClassMixture(mixture.weights, means, covs)


STEADY_DIMS = 2  # directions of the span kept by the "steady" fit (docs/RESULTS.md section 6.6)


def steady_directions(clean: np.ndarray, degraded: np.ndarray, dims: int = STEADY_DIMS) -> np.ndarray:
    """An orthonormal basis [R, dims] of the directions in which faces [N, R] spread most relative to
    how far degradation moves them (``degraded`` [N, R]: the same faces' degraded copies): the top
    generalised eigenvectors of ``B v = lambda W v``, with ``B`` the faces' covariance and ``W`` the
    second moment of the moves (so a shift that moves every face alike also counts)."""
    spread = np.cov(np.asarray(clean, np.float64).T).reshape(clean.shape[1], -1)
    moves = np.asarray(degraded, np.float64) - clean
    shaken = moves.T @ moves / len(moves)
    shaken += 1e-6 * max(float(np.trace(shaken)), 1e-12) / len(shaken) * np.eye(len(shaken))
    _, vectors = scipy.linalg.eigh(spread, shaken)
    basis, _ = np.linalg.qr(vectors[:, ::-1][:, :dims])
    return basis


def held(mixture: ClassMixture, faces: np.ndarray, copies: np.ndarray) -> float:
    """The share of ``faces`` [N, R] whose copy [N, R] falls in the same component of ``mixture``."""
    return float(np.mean(mixture.assign(faces) == mixture.assign(copies))) if len(faces) else 1.0


def fit_span_subclasses(
    embeddings: np.ndarray,
    labels: np.ndarray,
    class_means: np.ndarray,
    components: int,
    min_size: int = 64,
    seed: int = 0,
    degraded: np.ndarray | None = None,
    dims: int = STEADY_DIMS,
    paired: bool = False,
    check: np.ndarray | None = None,
    keep: float = 0.0,
) -> SubclassFit:
    """:func:`trainer.subspaces.fit_subclasses` for each emotion in the span of ``class_means``
    [C, D], its mixture lifted back to the embedding, with contiguous sub-class ids.

    With ``degraded`` [N, D] (the embeddings of degraded copies of the same faces), each emotion's
    mixture is fitted in only the ``dims`` directions of the span in which its faces spread most
    relative to how far degradation moves them (:func:`steady_directions`): the ``steady`` space.
    There, ``paired`` keeps a face and its degraded copy in one component while EM fits
    (:func:`trainer.subspaces.paired_mixture`), and with ``keep`` > 0 and ``check`` [N, D] (another
    degraded copy, used by no fit) each emotion gets the most components, from ``components`` down
    to 2, whose sub-class holds on ``check`` for at least ``keep`` of its faces (2 if none does):
    the count is chosen by stability on training faces (docs/RESULTS.md section 6.15)."""
    if (paired or keep > 0) and degraded is None:
        raise ValueError("paired or stability-chosen sub-classes need the degraded copies of the faces")
    if keep > 0 and check is None:
        raise ValueError("a stability-chosen count (keep > 0) needs a second degraded copy to check on")
    present = np.bincount(labels, minlength=len(class_means)) > 0
    span = EmotionSpan.from_means(class_means, present)
    fit = SubclassFit(labels=np.full(len(labels), -1, dtype=np.int64), parent=np.zeros(0, dtype=np.int64))
    for c in np.flatnonzero(present):
        rows = np.flatnonzero(labels == c)
        own = span
        if degraded is not None:
            turn = steady_directions(span.project(embeddings[rows]), span.project(degraded[rows]), dims)
            own = EmotionSpan(span.centre, span.basis @ turn)
        coords = own.project(embeddings[rows])
        copies = own.project(degraded[rows]) if paired else None
        one = fit_subclasses(coords, np.zeros(len(rows), np.int64), components, min_size, seed, copies=copies)
        if keep > 0:
            # from the count the emotion supports (components_for), so no fit is repeated at the same count
            checked, wanted = own.project(check[rows]), components_for(len(rows), components, min_size)
            while wanted > 2 and held(one.mixtures[0], coords, checked) < keep:
                wanted -= 1
                one = fit_subclasses(coords, np.zeros(len(rows), np.int64), wanted, min_size, seed, copies=copies)
        fit.labels[rows] = len(fit.parent) + one.labels
        fit.parent = np.concatenate([fit.parent, np.full(len(one.parent), c, dtype=np.int64)])
        fit.mixtures[int(c)] = own.lift(one.mixtures[0], outside_variance=10.0 * max(float(coords.var(0).max()), 1e-6))
        fit.sizes[int(c)] = one.sizes[0]
    return fit


SPACES = ("emotions", "steady", "embedding")


def fit_subclasses_in(
    space: str,
    embeddings: np.ndarray,
    labels: np.ndarray,
    class_means: np.ndarray,
    components: int,
    min_size: int,
    seed: int,
    degraded: Callable[[int], np.ndarray],
    paired: bool = False,
    keep: float = 0.0,
) -> SubclassFit:
    """Each emotion's mixture in one of :data:`SPACES`: the span of the emotion means, its steady
    directions, or the whole embedding. ``degraded(i)`` gives the embeddings of the same faces
    degraded with the run's seed + ``i``, called only for ``steady``: copy 1 sets the directions
    (and the pairs, with ``paired``), copy 2 checks the stability-chosen count (``keep`` > 0;
    :func:`fit_span_subclasses`). A space not in :data:`SPACES`, or ``paired``/``keep`` outside
    ``steady``, is a ``ValueError``."""
    if (paired or keep > 0) and space != "steady":
        raise ValueError(f"paired or stability-chosen sub-classes are fitted in the steady space, not {space!r}")
    if space == "emotions":
        return fit_span_subclasses(embeddings, labels, class_means, components, min_size, seed)
    if space == "steady":
        return fit_span_subclasses(
            embeddings,
            labels,
            class_means,
            components,
            min_size,
            seed,
            degraded=degraded(1),
            paired=paired,
            check=degraded(2) if keep > 0 else None,
            keep=keep,
        )
    if space == "embedding":
        return fit_subclasses(embeddings, labels, components, min_size, seed=seed)
    raise ValueError(f"subclass space must be one of {', '.join(SPACES)}, got {space!r}")


def degraded_training_embeddings(
    checkpoint: str | os.PathLike[str], data: dict, train_data: str | None, seed: int
) -> np.ndarray:
    """The checkpoint's network on a degraded copy (:func:`trainer.degrade.degrade_images`) of the
    training faces its kNN bank holds, read from ``train_data`` or the file its config names."""
    from albumsum.core.inference import Embedder
    from trainer.data import load_labelled
    from trainer.degrade import degrade_images

    config = data.get("train_config", {})
    path = train_data or config.get("train_data")
    if not path or not Path(path).is_file():
        raise FileNotFoundError(f"{checkpoint}: its training data ({path!r}) is not here; pass --data TRAIN.npz")
    train = load_labelled(path, int(config.get("limit", 0)) if not train_data else 0)
    bank_labels = data["reference"]["labels"].numpy()
    if len(train) != len(bank_labels) or not np.array_equal(train.labels, bank_labels):
        raise ValueError(
            f"{path}: {len(train)} faces, but {checkpoint} stores embeddings of {len(bank_labels)} "
            "(expected the training set the checkpoint was made from)"
        )
    # float32, as `fit` embeds the bank: the moves are degradation's, not also bfloat16's rounding
    return Embedder(data, device="cpu", bf16=False).embed(degrade_images(train.images, seed))


def refit_checkpoint(
    checkpoint: str | os.PathLike[str],
    out: str | os.PathLike[str],
    space: str = "emotions",
    components: int = 3,
    min_size: int = 64,
    seed: int = 0,
    train_data: str | None = None,
    paired: bool = False,
    keep: float = 0.0,
) -> Path:
    """Write ``checkpoint`` again with each emotion's sub-class mixture refitted on its stored
    training embeddings: in the span of the emotion means (``emotions``), in the span's directions
    that degradation moves least (``steady``: the training faces are degraded and embedded again,
    from ``train_data`` or the file the checkpoint's config names) or in the whole embedding
    (``embedding``). The network, the means and the kNN bank are unchanged."""
    data = read_checkpoint(checkpoint)
    bank = data.get("reference")
    if not bank:
        raise ValueError(f"{checkpoint}: stores no training embeddings to fit sub-classes on")
    z, labels = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    fit = fit_subclasses_in(
        space,
        z,
        labels,
        data["class_means"].numpy(),
        components,
        min_size,
        seed,
        degraded=lambda i: degraded_training_embeddings(checkpoint, data, train_data, seed + i),
        paired=paired,
        keep=keep,
    )
    log.info("sub-classes per emotion: %s", "; ".join(f"{EMOTIONS[c]} {n}" for c, n in fit.sizes.items()))
    data["subclasses"] = {EMOTIONS[c]: m.to_checkpoint() for c, m in fit.mixtures.items()}
    data["reference"] = {**bank, "subclasses": torch.from_numpy(fit.labels)}
    data["train_config"] = {
        **data.get("train_config", {}),
        "subclass_space": space,
        "subclasses": components,
        "subclass_pairs": paired,
        "subclass_keep": keep,
    }
    return save_checkpoint(data, out)
