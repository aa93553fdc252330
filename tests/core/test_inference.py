from __future__ import annotations

import math

import numpy as np
import torch

from albumsum.core.checkpoint import DEFAULT_INPUT_SPEC
from albumsum.core.inference import CPU_BATCH, Embedder, gaussian_log_posterior, inference_network
from albumsum.core.networks import build_network


def make_checkpoint(net: torch.nn.Module, args: dict, flip_tta: bool = True) -> dict:
    dim = args["embedding_dim"]
    return {
        "model_args": args,
        "state_dict": net.state_dict(),
        "class_names": ["a", "b", "c"],
        "sigma": 0.5,
        "class_means": torch.randn(3, dim),
        "class_priors": torch.tensor([0.5, 0.3, 0.2]),
        "input_spec": {**DEFAULT_INPUT_SPEC, "flip_tta": flip_tta},
    }


def make_embedder(batch_size: int | None = 4, flip_tta: bool = True) -> Embedder:
    torch.manual_seed(0)
    args = {"arch": "small", "embedding_dim": 64}
    return Embedder(make_checkpoint(build_network(**args), args, flip_tta), device="cpu", batch_size=batch_size)


def test_shapes_dtypes_and_posteriors_sum_to_one() -> None:
    crops = np.random.default_rng(0).integers(0, 256, (10, 48, 48), dtype=np.uint8)
    pred = make_embedder().predict(crops)
    assert pred.embeddings.shape == (10, 64) and pred.embeddings.dtype == np.float32
    assert pred.proba.shape == (10, 3) and pred.proba.dtype == np.float32
    np.testing.assert_allclose(pred.proba.sum(axis=1), 1.0, rtol=1e-5)


def test_batching_does_not_change_results() -> None:
    crops = np.random.default_rng(1).integers(0, 256, (9, 48, 48), dtype=np.uint8)
    a = make_embedder(batch_size=2).embed(crops)
    b = make_embedder(batch_size=64).embed(crops)
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert make_embedder(batch_size=None).batch_size == CPU_BATCH  # on a CPU, small passes by default


def test_other_crop_sizes_are_resized_and_empty_input_is_empty() -> None:
    emb = make_embedder()
    assert emb.embed(np.zeros((2, 96, 96), np.uint8)).shape == (2, 64)
    assert emb.embed(np.zeros((0, 48, 48), np.uint8)).shape == (0, 64)


def test_flip_tta_is_mirror_invariant() -> None:
    crops = np.random.default_rng(2).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    emb = make_embedder()
    np.testing.assert_allclose(emb.embed(crops), emb.embed(crops[:, :, ::-1].copy()), atol=1e-4)


def test_posterior_matches_bayes_rule_by_hand() -> None:
    z = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    means = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    priors = torch.tensor([0.25, 0.75])
    got = gaussian_log_posterior(z, means, 0.5, priors.log()).exp()
    for i, point in enumerate(z.tolist()):
        dens = [
            p * math.exp(-((point[0] - m[0]) ** 2 + (point[1] - m[1]) ** 2) / (2 * 0.25))
            for p, m in zip(priors.tolist(), means.tolist(), strict=True)
        ]
        for j in range(2):
            assert abs(got[i, j].item() - dens[j] / sum(dens)) < 1e-6


def test_posterior_is_finite_far_from_every_mean() -> None:
    z = torch.tensor([[1000.0, -1000.0]])
    means = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    p = gaussian_log_posterior(z, means, 0.5).exp()
    assert torch.isfinite(p).all() and abs(p.sum().item() - 1.0) < 1e-6
    assert p[0, 1] > 0.99  # the nearer mean wins instead of 0/0


def _checkpoint_with_trained_batch_norms(arch_args: dict) -> dict:
    """A checkpoint whose batch norms hold non-trivial statistics and affine weights, as a trained one does."""
    torch.manual_seed(0)
    args = {**arch_args, "embedding_dim": 16}
    net = build_network(**args)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return make_checkpoint(net, args)


def test_folding_the_batch_norms_keeps_the_embeddings() -> None:
    checkpoint = _checkpoint_with_trained_batch_norms({"arch": "narrow_resnet", "width": 8})
    folded = Embedder(checkpoint, device="cpu")
    plain = Embedder(checkpoint, device="cpu", fold=False)
    batch_norms = [m for m in folded.net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert batch_norms == [] and any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.net.modules())
    crops = np.random.default_rng(3).integers(0, 256, (6, 48, 48), dtype=np.uint8)
    a, b = folded.embed(crops), plain.embed(crops)
    assert np.abs(b).max() > 0.1  # a real signal, not two zero vectors
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert folded.embed(np.zeros((0, 48, 48), np.uint8)).shape == (0, 16)


def test_a_network_fx_cannot_trace_is_embedded_unfolded() -> None:
    class DataDependent(torch.nn.Module):
        embedding_dim = 4

        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:  # control flow on values: symbolic tracing fails
                x = -x
            return self.bn(self.conv(x)).mean(dim=(2, 3))

    net = DataDependent().eval()
    assert inference_network(net) is net
