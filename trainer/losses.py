"""Structured Gaussian Manifold loss (paper eq. 4 with Algorithm 1, step 6), its baselines, and the
joint objective of the SGM loss with a linear classifier on the embedding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from albumsum.core.gaussian import gaussian_log_posterior


class SGMLoss(nn.Module):
    """``mean_i ||P(w|z_i) - t_i||^2 + norm_weight * mean_i ||z_i||_2`` (``form="squared"``, eq. 4).

    ``form="log"`` replaces the squared error by the cross-entropy of the targets against the
    same Gaussian posterior, ``-sum_j t_ij log P(w_j|z_i)``: the gradient does not vanish when a
    face sits deep in the wrong class's Gaussian, where the squared error saturates.

    ``P(w_j|z_i)`` is the softmax, over the classes present in the batch, of
    ``-||z_i - mu_j||^2 / (2 sigma^2)`` (uniform prior), with ``mu_j`` the mean of the batch rows
    labelled j (gradients flow through it). Columns of classes absent from the batch are left out
    of both P and the targets. Everything is in log-sum-exp form, so points hundreds of sigma apart
    keep finite values and gradients.

    ``compact_weight`` adds ``mean_i t_iy ||z_i - mu_y||^2 / (2 sigma^2)`` (``compact``; y the face's
    label, t_iy its share of the votes): the within-class spread, which the posterior stops asking
    to shrink once a face is nearer its own mean than the others. k-means needs it small: on the
    default model, k-means prefers splitting neutral and happiness to finding the emotions, whose
    partition has 11 % more inertia (docs/RESULTS.md, section 6.7). It pulls faces toward their class
    mean; for faces of equal vote shares its gradient through the mean sums to zero, so it moves no
    mean itself.
    """

    def __init__(
        self, sigma: float = 0.5, norm_weight: float = 0.01, form: str = "squared", compact_weight: float = 0.0
    ) -> None:
        super().__init__()
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        if form not in SGM_FORMS:
            raise ValueError(f"unknown SGM form {form!r}; expected one of {', '.join(SGM_FORMS)}")
        self.sigma = float(sigma)
        self.norm_weight = float(norm_weight)
        self.form = form
        if compact_weight < 0:
            raise ValueError(f"compact_weight must be 0 or more, got {compact_weight}")
        self.compact_weight = float(compact_weight)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.terms(embeddings, labels, targets)["loss"]

    def terms(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """The loss and its named parts ``rep``, ``norm`` and, when weighted, ``compact`` (all scalars).

        embeddings float [N, D]; labels long [N] in [0, C); targets float [N, C], rows sum to 1.
        """
        if (
            embeddings.ndim != 2
            or labels.shape != embeddings.shape[:1]
            or targets.ndim != 2
            or targets.shape[0] != embeddings.shape[0]
        ):
            raise ValueError(
                f"expected embeddings [N, D], labels [N], targets [N, C]; got "
                f"{tuple(embeddings.shape)}, {tuple(labels.shape)}, {tuple(targets.shape)}"
            )
        if embeddings.shape[0] == 0:
            zero = embeddings.sum() * 0.0
            return {"loss": zero, "rep": zero, "norm": zero, **({"compact": zero} if self.compact_weight else {})}
        z = embeddings if embeddings.dtype == torch.float64 else embeddings.float()
        present = torch.unique(labels)
        means = self.class_means(z, labels, present)
        log_p = self.log_posterior(z, means)
        t = targets.to(z.dtype)[:, present]
        squared = self.form == "squared"
        rep = (log_p.exp() - t).pow(2).sum(dim=1).mean() if squared else -(t * log_p).sum(dim=1).mean()
        norm = z.norm(dim=1).mean()
        out = {"loss": rep + self.norm_weight * norm, "rep": rep, "norm": norm}
        if self.compact_weight:
            slot = torch.searchsorted(present, labels)
            share = t[torch.arange(len(z), device=z.device), slot]
            compact = (share * (z - means[slot]).pow(2).sum(dim=1)).mean() / (2 * self.sigma**2)
            out.update(loss=out["loss"] + self.compact_weight * compact, compact=compact)
        return out

    @staticmethod
    def class_means(z: torch.Tensor, labels: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """``[N, D]`` -> ``[len(present), D]``: the mean embedding of each present class."""
        slot = torch.searchsorted(present, labels)
        sums = torch.zeros(len(present), z.shape[1], dtype=z.dtype, device=z.device).index_add(0, slot, z)
        counts = torch.bincount(slot, minlength=len(present)).to(z.dtype)
        return sums / counts[:, None]

    def log_posterior(self, z: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
        """``log P(w_j|z_i)`` ``[N, K]`` for K class means, uniform prior, isotropic sigma (eq. 1, the
        app's :func:`albumsum.core.gaussian.gaussian_log_posterior`)."""
        return gaussian_log_posterior(z, means, self.sigma)


class CrossEntropyHead(nn.Module):
    """The paper's "CNN" baseline: a linear classifier on the embedding, cross-entropy against the
    targets (one-hot or vote distributions). The head lives in the loss, so the network and its
    checkpoint stay the same embedding model for every loss."""

    def __init__(self, embedding_dim: int, num_classes: int) -> None:
        super().__init__()
        self.head = nn.Linear(embedding_dim, num_classes)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.terms(embeddings, labels, targets)["loss"]

    def terms(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """embeddings [N, D], labels [N] (unused), targets [N, C] -> ``loss`` (= ``ce``)."""
        if embeddings.shape[0] == 0:
            zero = embeddings.sum() * 0.0
            return {"loss": zero, "ce": zero}
        log_p = F.log_softmax(self.head(embeddings.float()), dim=1)
        ce = -(targets.float() * log_p).sum(dim=1).mean()
        return {"loss": ce, "ce": ce}


class TripletLoss(nn.Module):
    """Triplet loss with ``triplets`` anchors a batch (paper 4.1: 128), each paired with its
    hardest positive and hardest negative in the batch, soft margin ``log(1 + exp(d_ap - d_an))``
    (Hermans et al. 2017), which needs no margin to tune and no normalisation of the embedding."""

    def __init__(self, triplets: int = 128) -> None:
        super().__init__()
        self.triplets = triplets

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.terms(embeddings, labels, targets)["loss"]

    def terms(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        """embeddings [N, D], labels [N]; targets are not used. Anchors without a positive or a
        negative in the batch are skipped; a batch with none left returns an explicit zero."""
        z = embeddings.float()
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool, device=z.device)
        valid = ((same & ~eye).any(dim=1) & (~same).any(dim=1)).nonzero().squeeze(1)
        if len(valid) == 0:
            zero = z.sum() * 0.0
            return {"loss": zero, "active": zero}
        anchors = valid[torch.randperm(len(valid), device=z.device)[: self.triplets]]
        d = torch.cdist(z[anchors], z)
        d_ap = d.masked_fill(~(same[anchors] & ~eye[anchors]), float("-inf")).max(dim=1).values
        d_an = d.masked_fill(same[anchors], float("inf")).min(dim=1).values
        loss = F.softplus(d_ap - d_an).mean()
        return {"loss": loss, "active": (d_ap > d_an).float().mean()}


class JointLoss(nn.Module):
    """The SGM loss plus ``ce_weight`` times a linear head's cross-entropy on the same embedding.

    The SGM term keeps defining the embedding's Gaussian structure (the app's posterior and
    sub-classes rely on it); the head adds a classifier's margin. Terms: ``loss``, the SGM
    terms (``rep``, ``norm``) and ``ce``. The head is not part of the checkpoint's network.
    """

    def __init__(self, sgm: SGMLoss, head: CrossEntropyHead, ce_weight: float) -> None:
        super().__init__()
        self.sgm, self.head, self.ce_weight = sgm, head, float(ce_weight)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.terms(embeddings, labels, targets)["loss"]

    def terms(self, embeddings: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        sgm = self.sgm.terms(embeddings, labels, targets)
        ce = self.head.terms(embeddings, labels, targets)["ce"]
        return {**sgm, "loss": sgm["loss"] + self.ce_weight * ce, "ce": ce}


def degradation_consistency(
    clean: torch.Tensor, degraded: torch.Tensor, embeddings: torch.Tensor, labels: torch.Tensor, sigma: float
) -> torch.Tensor:
    """``mean_i KL(P(w|sg(z_i)) || P(w|z'_i))``: how much the Gaussian posterior of a degraded copy
    ``z'`` [P, D] differs from its face's ``z`` [P, D], over the emotion means of the batch
    (``embeddings`` [N, D] by ``labels`` [N], as the SGM loss takes them).

    The face and the means are the target (no gradient), so the term moves a degraded face toward
    where its sharp original sits, not the original toward the blur. The posterior's logits are the
    face's position in the span of the means, which is where the sub-classes are fitted
    (``trainer/emotion_span.py``), so the term asks the emotion and the sub-class to survive.
    Distances themselves would not do: in a probe, a squared-distance term shrank the emotions
    together (to a third of their spread in two epochs), and a ratio to the means' spread was
    unbounded while the means started close together.
    """
    if clean.shape != degraded.shape or clean.ndim != 2:
        raise ValueError(f"expected two [P, D] embeddings; got {tuple(clean.shape)}, {tuple(degraded.shape)}")
    if clean.shape[0] == 0:
        return degraded.sum() * 0.0
    z = embeddings.detach().float()
    means = SGMLoss.class_means(z, labels, torch.unique(labels))
    target = gaussian_log_posterior(clean.detach().float(), means, sigma)
    found = gaussian_log_posterior(degraded.float(), means, sigma)
    return (target.exp() * (target - found)).sum(dim=1).mean()


LOSSES = ("sgm", "ce", "triplet")
SGM_FORMS = ("squared", "log")


def build_loss(
    name: str,
    *,
    sigma: float,
    norm_weight: float,
    embedding_dim: int,
    num_classes: int,
    sgm_form: str = "squared",
    ce_weight: float = 0.0,
    compact_weight: float = 0.0,
) -> nn.Module:
    """The training loss by name: ``sgm`` (ours; with ``ce_weight > 0`` joint with a linear head),
    ``ce`` (linear head) or ``triplet``."""
    if name == "sgm":
        sgm = SGMLoss(sigma=sigma, norm_weight=norm_weight, form=sgm_form, compact_weight=compact_weight)
        if ce_weight > 0:
            return JointLoss(sgm, CrossEntropyHead(embedding_dim, num_classes), ce_weight)
        return sgm
    if name == "ce":
        return CrossEntropyHead(embedding_dim, num_classes)
    if name == "triplet":
        return TripletLoss()
    raise ValueError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
