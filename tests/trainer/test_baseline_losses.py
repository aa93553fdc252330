"""The baselines' losses against plain-Python references."""

from __future__ import annotations

import math

import pytest
import torch

from trainer.losses import CrossEntropyHead, TripletLoss, build_loss


def test_cross_entropy_head_matches_torch_for_one_hot_and_soft() -> None:
    torch.manual_seed(0)
    loss = CrossEntropyHead(4, 3)
    z, labels = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    one_hot = torch.nn.functional.one_hot(labels, 3).float()
    expected = torch.nn.functional.cross_entropy(loss.head(z), labels)
    assert loss(z, labels, one_hot).item() == pytest.approx(expected.item(), rel=1e-6)
    soft = torch.softmax(torch.randn(6, 3), dim=1)
    expected_soft = torch.nn.functional.cross_entropy(loss.head(z), soft)
    assert loss(z, labels, soft).item() == pytest.approx(expected_soft.item(), rel=1e-6)


def naive_batch_hard(z: list[list[float]], labels: list[int]) -> float:
    def dist(a, b):
        return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))

    terms = []
    for i, zi in enumerate(z):
        pos = [dist(zi, z[j]) for j in range(len(z)) if j != i and labels[j] == labels[i]]
        neg = [dist(zi, z[j]) for j in range(len(z)) if labels[j] != labels[i]]
        if pos and neg:
            terms.append(math.log1p(math.exp(max(pos) - min(neg))))
    return sum(terms) / len(terms)


def test_triplet_matches_the_loop_when_every_anchor_is_used() -> None:
    torch.manual_seed(1)
    z = torch.randn(10, 3, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3])  # the lone 3 has no positive: skipped
    got = TripletLoss(triplets=128)(z, labels, torch.zeros(10, 4))
    assert got.item() == pytest.approx(naive_batch_hard(z.tolist(), labels.tolist()), rel=1e-5)


def test_triplet_uses_at_most_the_requested_anchors_and_has_gradients() -> None:
    z = torch.randn(300, 8, requires_grad=True)
    labels = torch.arange(300) % 5
    terms = TripletLoss(triplets=128).terms(z, labels, torch.zeros(300, 5))
    terms["loss"].backward()
    touched = (z.grad.abs().sum(dim=1) > 0).sum().item()
    assert 0 < touched <= 128 * 3
    assert 0.0 <= terms["active"].item() <= 1.0


def test_triplet_degenerate_batch_is_zero() -> None:
    z = torch.randn(4, 3, requires_grad=True)
    assert TripletLoss()(z, torch.zeros(4, dtype=torch.long), torch.zeros(4, 1)).item() == 0.0


def test_build_loss_names() -> None:
    for name in ("sgm", "ce", "triplet"):
        assert build_loss(name, sigma=0.5, norm_weight=0.0, embedding_dim=8, num_classes=3) is not None
    with pytest.raises(ValueError, match="unknown loss 'arcface'"):
        build_loss("arcface", sigma=0.5, norm_weight=0.0, embedding_dim=8, num_classes=3)
