"""The posterior's sigma fitted after training: recovered on data drawn from eq. 1's model, and
written into a checkpoint without touching anything else."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from albumsum.core.checkpoint import read_checkpoint, save_checkpoint
from albumsum.core.gaussian import gaussian_log_posterior
from tests.core.helpers import make_checkpoint
from trainer.calibrate import (
    calibrate_checkpoint,
    fit_posterior_sigma,
    fold_into_head,
    posterior_cross_entropy,
    within_class_whitening,
)
from trainer.cli import main as train_main
from trainer.evaluation import gaussian_posterior_predict


def gaussian_classes(sigma: float, priors: list[float], n: int = 20_000, seed: int = 0):
    """Faces drawn from isotropic Gaussians of std ``sigma`` around three means 1 apart in 4-d."""
    rng = np.random.default_rng(seed)
    means = np.zeros((3, 4))
    means[1, 0], means[2, 1] = 1.0, 1.0
    labels = rng.choice(3, size=n, p=priors)
    return means[labels] + sigma * rng.standard_normal((n, 4)), labels, means


def test_the_cross_entropy_is_the_app_s_posterior() -> None:
    z, labels, means = gaussian_classes(0.4, [0.5, 0.3, 0.2], n=50)
    priors = np.array([0.5, 0.3, 0.2])
    sq = ((z[:, None, :] - means[None]) ** 2).sum(2)
    found = posterior_cross_entropy(sq, labels, np.log(priors), 0.4)
    log_post = gaussian_log_posterior(torch.tensor(z), torch.tensor(means), 0.4, torch.tensor(np.log(priors)))
    assert found == pytest.approx(-float(log_post[torch.arange(50), torch.tensor(labels)].mean()), rel=1e-9)


@pytest.mark.parametrize("priors", [[1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1]])
def test_the_fitted_sigma_recovers_the_sigma_the_faces_were_drawn_with(priors) -> None:
    z, labels, means = gaussian_classes(0.3, priors)
    sigma = fit_posterior_sigma(z, labels, means, np.array(priors))
    assert sigma == pytest.approx(0.3, rel=0.05)
    sq = ((z[:, None, :] - means[None]) ** 2).sum(2)
    best = posterior_cross_entropy(sq, labels, np.log(priors), sigma)
    for other in (0.8 * sigma, 1.25 * sigma):
        assert best < posterior_cross_entropy(sq, labels, np.log(priors), other)


def test_a_sigma_far_above_the_spread_lets_the_priors_decide_and_the_fitted_one_does_not() -> None:
    """The failure the fit is for: a loss's sigma of 0.5 on classes that spread 0.1 sends faces to
    the most frequent class."""
    priors = np.array([0.8, 0.1, 0.1])
    z, labels, means = gaussian_classes(0.1, list(priors), seed=1)
    means = means * 0.3  # the means 0.3 apart: about one sigma of 0.5
    z = means[labels] + 0.1 * np.random.default_rng(2).standard_normal(z.shape)
    at_loss_sigma = np.mean(gaussian_posterior_predict(z, means, 0.5, priors) == labels)
    sigma = fit_posterior_sigma(z, labels, means, priors)
    fitted = np.mean(gaussian_posterior_predict(z, means, sigma, priors) == labels)
    assert at_loss_sigma < 0.9 < fitted


def test_calibrate_writes_the_fitted_sigma_and_keeps_the_rest(tmp_path) -> None:
    data = make_checkpoint()
    means = data["class_means"].numpy().astype(np.float64)
    labels = np.repeat(np.arange(8), 200)
    z = means[labels] + 0.1 * np.random.default_rng(0).standard_normal((len(labels), means.shape[1]))
    data["reference"] = {"embeddings": torch.from_numpy(z).half(), "labels": torch.from_numpy(labels)}
    src = save_checkpoint(data, tmp_path / "in.pt")
    assert train_main(["calibrate", "--checkpoint", str(src), "--out", str(tmp_path / "out.pt")]) == 0
    before, after = read_checkpoint(src), read_checkpoint(tmp_path / "out.pt")
    expected = fit_posterior_sigma(z.astype(np.float16).astype(np.float32), labels, means, np.full(8, 1 / 8))
    assert before["sigma"] == 0.5 and after["sigma"] == pytest.approx(expected, rel=1e-6)
    for key in ("class_means", "class_priors"):
        torch.testing.assert_close(after[key], before[key])
    for key, value in before["state_dict"].items():
        torch.testing.assert_close(after["state_dict"][key], value, msg=key)


def test_calibrate_refuses_a_checkpoint_without_training_embeddings(tmp_path) -> None:
    src = save_checkpoint(make_checkpoint(), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match=r"bare\.pt: stores no training embeddings"):
        calibrate_checkpoint(src, tmp_path / "out.pt")


def within_covariance(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    resid = np.concatenate([z[labels == c] - z[labels == c].mean(0) for c in np.unique(labels)])
    return resid.T @ resid / len(resid)


def anisotropic_classes(n: int = 6000, seed: int = 1):
    """Three classes sharing a covariance stretched 4x along one tilted direction."""
    rng = np.random.default_rng(seed)
    stretch = np.diag([2.0, 1.0, 0.5, 0.5])
    tilt, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    labels = rng.integers(0, 3, n)
    means = 3.0 * rng.standard_normal((3, 4))
    return means[labels] + rng.standard_normal((n, 4)) @ stretch @ tilt.T, labels


def test_full_whitening_makes_the_within_class_covariance_isotropic_at_the_same_level() -> None:
    z, labels = anisotropic_classes()
    before = within_covariance(z, labels)
    centre, m = within_class_whitening(z, labels, shrink=0.0)
    after = within_covariance((z - centre) @ m, labels)
    level = np.trace(before) / 4
    np.testing.assert_allclose(after, level * np.eye(4), atol=1e-9 * level)
    assert np.allclose(m, m.T)


def test_shrinkage_moves_the_map_towards_the_identity() -> None:
    z, labels = anisotropic_classes()
    ratios = []
    for shrink in (0.0, 1.0, 1e6):
        _, m = within_class_whitening(z, labels, shrink)
        values = np.linalg.eigvalsh(within_covariance(z @ m, labels))
        ratios.append(values.max() / values.min())
    raw = np.linalg.eigvalsh(within_covariance(z, labels))
    assert ratios[0] == pytest.approx(1.0, abs=1e-6)
    assert 1.5 < ratios[1] < raw.max() / raw.min() - 1  # part of the way
    assert ratios[2] == pytest.approx(raw.max() / raw.min(), rel=1e-3)  # nearly the identity map


def test_whitening_refuses_a_negative_shrink_and_a_singular_covariance() -> None:
    z, labels = anisotropic_classes(n=300)
    with pytest.raises(ValueError, match="shrink"):
        within_class_whitening(z, labels, -0.1)
    flat = np.concatenate([z, np.zeros((len(z), 1))], axis=1)
    with pytest.raises(ValueError, match="singular"):
        within_class_whitening(flat, labels, 0.0)


def test_the_folded_head_outputs_the_mapped_embedding() -> None:
    torch.manual_seed(0)
    head = torch.nn.Linear(10, 4)
    h = torch.randn(32, 10)
    z = head(h).detach().numpy().astype(np.float64)
    labels = np.arange(32) % 3
    centre, m = within_class_whitening(z, labels, shrink=0.5)
    fold_into_head(head, centre, m)
    np.testing.assert_allclose(head(h).detach().numpy(), (z - centre) @ m, atol=1e-5)
