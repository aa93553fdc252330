"""SGMLoss against a plain-Python loop, values and gradients."""

from __future__ import annotations

import math

import pytest
import torch

from trainer.losses import JointLoss, SGMLoss, build_loss, degradation_consistency


def naive_sgm(z: list[list[float]], labels: list[int], targets: list[list[float]], sigma: float, lam: float) -> float:
    """Eq. 4 + lambda * mean norm, written out with loops and math.exp (no log-sum-exp)."""
    n, d = len(z), len(z[0])
    present = sorted(set(labels))
    means = {}
    for j in present:
        rows = [z[i] for i in range(n) if labels[i] == j]
        means[j] = [sum(r[k] for r in rows) / len(rows) for k in range(d)]
    total = 0.0
    for i in range(n):
        dens = [math.exp(-sum((z[i][k] - means[j][k]) ** 2 for k in range(d)) / (2 * sigma**2)) for j in present]
        post = [x / sum(dens) for x in dens]
        total += sum((post[a] - targets[i][j]) ** 2 for a, j in enumerate(present))
    norm = sum(math.sqrt(sum(v * v for v in row)) for row in z) / n
    return total / n + lam * norm


def numeric_grad(z: torch.Tensor, fn, eps: float = 1e-6) -> torch.Tensor:
    grad = torch.zeros_like(z)
    for i in range(z.shape[0]):
        for k in range(z.shape[1]):
            plus, minus = z.clone(), z.clone()
            plus[i, k] += eps
            minus[i, k] -= eps
            grad[i, k] = (fn(plus.tolist()) - fn(minus.tolist())) / (2 * eps)
    return grad


def batch(seed: int = 0, n: int = 9, d: int = 3, classes: int = 4, scale: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=g, dtype=torch.float64) * scale
    labels = torch.tensor([0, 0, 0, 2, 2, 2, 3, 3, 3][:n])
    raw = torch.rand(n, classes, generator=g, dtype=torch.float64)
    return z, labels, raw / raw.sum(dim=1, keepdim=True)


@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_value_and_gradient_match_the_loop(lam: float) -> None:
    z, labels, targets = batch()
    fn = lambda zz: naive_sgm(zz, labels.tolist(), targets.tolist(), 0.5, lam)  # noqa: E731
    zt = z.clone().requires_grad_(True)
    loss = SGMLoss(sigma=0.5, norm_weight=lam)(zt, labels, targets)
    loss.backward()
    assert loss.item() == pytest.approx(fn(z.tolist()), rel=1e-10)
    torch.testing.assert_close(zt.grad, numeric_grad(z, fn), rtol=1e-5, atol=1e-7)


def test_absent_classes_are_left_out_of_posterior_and_targets() -> None:
    z, labels, targets = batch()  # class 1 absent
    full = SGMLoss(0.5, 0.0)(z, labels, targets)
    shifted = targets.clone()
    shifted[:, 1] += 5.0  # only the absent column changes
    assert SGMLoss(0.5, 0.0)(z, labels, shifted).item() == pytest.approx(full.item())


def test_one_hot_targets_and_float32() -> None:
    z, labels, _ = batch()
    one_hot = torch.nn.functional.one_hot(labels, 4).double()
    expected = naive_sgm(z.tolist(), labels.tolist(), one_hot.tolist(), 0.5, 0.01)
    got = SGMLoss(0.5, 0.01)(z.float(), labels, one_hot.float())
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_far_apart_points_keep_finite_gradients() -> None:
    # Hundreds of sigma apart: a naive exp(-d^2 / 2 sigma^2) underflows to 0/0 for every class.
    z, labels, targets = batch(scale=300.0)
    with torch.no_grad():
        naive_dens = torch.exp(-(z[:, None] - z[None]).pow(2).sum(-1) / 0.5)
    assert (naive_dens.sum(1) - 1.0).abs().max() < 1e-12  # only self-terms survive: the naive form breaks
    zt = z.clone().requires_grad_(True)
    loss = SGMLoss(0.5, 0.01)(zt, labels, targets)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(zt.grad).all()
    assert zt.grad.abs().sum() > 0


def test_named_terms_add_up() -> None:
    z, labels, targets = batch()
    terms = SGMLoss(0.5, 0.2).terms(z, labels, targets)
    assert terms["loss"].item() == pytest.approx(terms["rep"].item() + 0.2 * terms["norm"].item())


def test_empty_batch_is_an_explicit_zero_with_a_gradient_path() -> None:
    z = torch.zeros(0, 3, requires_grad=True)
    loss = SGMLoss()(z, torch.zeros(0, dtype=torch.long), torch.zeros(0, 4))
    loss.backward()
    assert loss.item() == 0.0


def test_single_class_batch_has_zero_rep_for_matching_targets() -> None:
    z = torch.randn(5, 3)
    labels = torch.zeros(5, dtype=torch.long)
    targets = torch.nn.functional.one_hot(labels, 8).float()
    assert SGMLoss(0.5, 0.0)(z, labels, targets).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("shapes", [((4, 3), (5,), (4, 8)), ((4,), (4,), (4, 8)), ((4, 3), (4,), (3, 8))])
def test_shape_errors_are_clear(shapes) -> None:
    z, lab, t = shapes
    with pytest.raises(ValueError, match="expected embeddings"):
        SGMLoss()(torch.zeros(z), torch.zeros(lab, dtype=torch.long), torch.zeros(t))


def test_sigma_must_be_positive() -> None:
    with pytest.raises(ValueError, match="sigma"):
        SGMLoss(sigma=0.0)


def naive_log_sgm(z: list[list[float]], labels: list[int], targets: list[list[float]], sigma: float) -> float:
    """The log form: mean_i -sum_j t_ij log P(w_j|z_i), with loops and math.exp."""
    n, d = len(z), len(z[0])
    present = sorted(set(labels))
    means = {j: [sum(z[i][k] for i in range(n) if labels[i] == j) / labels.count(j) for k in range(d)] for j in present}
    total = 0.0
    for i in range(n):
        dens = [math.exp(-sum((z[i][k] - means[j][k]) ** 2 for k in range(d)) / (2 * sigma**2)) for j in present]
        total -= sum(targets[i][j] * math.log(dens[a] / sum(dens)) for a, j in enumerate(present))
    return total / n


def test_log_form_matches_the_loop_and_keeps_its_gradient_deep_in_a_wrong_class() -> None:
    z, labels, targets = batch()
    fn = lambda zz: naive_log_sgm(zz, labels.tolist(), targets.tolist(), 0.5)  # noqa: E731
    zt = z.clone().requires_grad_(True)
    loss = SGMLoss(sigma=0.5, norm_weight=0.0, form="log")(zt, labels, targets)
    loss.backward()
    assert loss.item() == pytest.approx(fn(z.tolist()), rel=1e-10)
    torch.testing.assert_close(zt.grad, numeric_grad(z, fn), rtol=1e-5, atol=1e-7)
    # a face labelled 0 sitting on class 1's mean, far away: the squared error saturates, the log form does not
    z = torch.tensor([[0.0], [0.2], [10.0], [10.2], [10.1]], dtype=torch.float64)
    labels, targets = torch.tensor([0, 0, 1, 1, 0]), torch.eye(2, dtype=torch.float64)[[0, 0, 1, 1, 0]]
    grads = {}
    for form in ("squared", "log"):
        zt = z.clone().requires_grad_(True)
        SGMLoss(sigma=0.5, norm_weight=0.0, form=form)(zt, labels, targets).backward()
        grads[form] = float(zt.grad[4].abs())
    assert grads["log"] > 100 * grads["squared"], grads


def test_joint_loss_adds_the_weighted_head_term() -> None:
    z, labels, targets = batch()
    joint = build_loss("sgm", sigma=0.5, norm_weight=0.1, embedding_dim=3, num_classes=4, ce_weight=0.5)
    assert isinstance(joint, JointLoss)
    terms = joint.terms(z.float(), labels, targets.float())
    alone = SGMLoss(sigma=0.5, norm_weight=0.1).terms(z.float(), labels, targets.float())
    head = joint.head.terms(z.float(), labels, targets.float())["ce"]
    torch.testing.assert_close(terms["loss"], alone["loss"] + 0.5 * head)
    assert isinstance(build_loss("sgm", sigma=0.5, norm_weight=0.1, embedding_dim=3, num_classes=4), SGMLoss)
    with pytest.raises(ValueError, match="unknown SGM form 'cubic'"):
        SGMLoss(form="cubic")


def test_degradation_consistency_is_the_posterior_kl_and_moves_only_the_copies() -> None:
    z, labels, _ = batch(seed=4)
    clean = z[:4].clone().requires_grad_(True)
    copies = (z[:4] + 0.3).requires_grad_(True)
    value = degradation_consistency(clean, copies, z, labels, sigma=0.7)
    means = SGMLoss.class_means(z, labels, torch.unique(labels))
    p, q = (SGMLoss(sigma=0.7).log_posterior(x, means).exp() for x in (z[:4], z[:4] + 0.3))
    torch.testing.assert_close(value, (p * (p / q).log()).sum(dim=1).mean().float())
    value.backward()
    assert clean.grad is None and copies.grad.abs().sum() > 0
    assert float(degradation_consistency(z[:4], z[:4].clone(), z, labels, sigma=0.7)) == pytest.approx(0.0, abs=1e-12)
    assert float(value) > 1e-3


def test_degradation_consistency_checks_shapes_and_handles_no_copies() -> None:
    z, labels, _ = batch()
    with pytest.raises(ValueError, match=r"\[P, D\]"):
        degradation_consistency(z[:2], z[:3], z, labels, sigma=0.5)
    none = z[:0].clone().requires_grad_(True)
    assert float(degradation_consistency(z[:0], none, z, labels, sigma=0.5)) == 0.0


def naive_compact(z: list[list[float]], labels: list[int], targets: list[list[float]], sigma: float) -> float:
    """mean_i t_iy ||z_i - mu_y||^2 / (2 sigma^2), written out with loops."""
    n, d = len(z), len(z[0])
    means = {}
    for j in set(labels):
        rows = [z[i] for i in range(n) if labels[i] == j]
        means[j] = [sum(r[k] for r in rows) / len(rows) for k in range(d)]
    total = sum(targets[i][labels[i]] * sum((z[i][k] - means[labels[i]][k]) ** 2 for k in range(d)) for i in range(n))
    return total / n / (2 * sigma**2)


def test_compactness_term_matches_the_loop_and_moves_faces_only_within_their_class() -> None:
    z, labels, targets = batch(seed=3)
    w = 0.7

    def fn(zz: list[list[float]]) -> float:
        return naive_sgm(zz, labels.tolist(), targets.tolist(), 0.5, 0.1) + w * naive_compact(
            zz, labels.tolist(), targets.tolist(), 0.5
        )

    zt = z.clone().requires_grad_(True)
    terms = SGMLoss(sigma=0.5, norm_weight=0.1, compact_weight=w).terms(zt, labels, targets)
    terms["loss"].backward()
    assert terms["loss"].item() == pytest.approx(fn(z.tolist()), rel=1e-10)
    assert terms["compact"].item() == pytest.approx(naive_compact(z.tolist(), labels.tolist(), targets.tolist(), 0.5))
    torch.testing.assert_close(zt.grad, numeric_grad(z, fn), rtol=1e-5, atol=1e-7)
    # the term alone moves no class mean when the faces' vote shares are equal
    equal = torch.full_like(targets, 0.25)
    zc = z.clone().requires_grad_(True)
    SGMLoss(compact_weight=1.0).terms(zc, labels, equal)["compact"].backward()
    for j in labels.unique():
        torch.testing.assert_close(zc.grad[labels == j].sum(dim=0), torch.zeros(z.shape[1], dtype=z.dtype))
    assert "compact" not in SGMLoss().terms(z, labels, targets)
    with pytest.raises(ValueError, match="compact_weight"):
        SGMLoss(compact_weight=-1.0)
