"""amp=auto decides by measuring, and the measurement leaves the network as it was."""

from __future__ import annotations

import pytest
import torch

import trainer.state as state
from albumsum.core.networks import build_network
from trainer.config import TrainConfig


@pytest.mark.parametrize(("fp32", "bf16", "chosen"), [(1.0, 0.6, True), (0.8, 1.1, False)])
def test_auto_picks_bfloat16_only_when_the_probe_finds_it_faster(monkeypatch, fp32, bf16, chosen) -> None:
    monkeypatch.setattr(state, "fast_bf16", lambda device: True)
    monkeypatch.setattr(state, "probe_step_time", lambda net, device, batch, use: bf16 if use else fp32)
    net = build_network("small")
    assert state.use_amp(TrainConfig(amp="auto"), torch.device("cpu"), net) is chosen


def test_without_native_bfloat16_auto_is_off_and_on_off_are_obeyed(monkeypatch) -> None:
    monkeypatch.setattr(state, "fast_bf16", lambda device: False)
    cpu = torch.device("cpu")
    assert state.use_amp(TrainConfig(amp="auto"), cpu, build_network("small")) is False
    assert state.use_amp(TrainConfig(amp="on"), cpu) is True
    assert state.use_amp(TrainConfig(amp="off"), cpu) is False


def test_the_probe_times_a_copy() -> None:
    torch.manual_seed(0)
    net = build_network("small").train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    seconds = state.probe_step_time(net, torch.device("cpu"), batch=8, bf16=False, steps=1)
    assert 0 < seconds < 60
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, before[key], msg=key)  # running BN statistics included
    assert all(p.grad is None for p in net.parameters())


def test_beta_draws_are_reproducible_and_have_the_beta_mean_and_spread() -> None:
    draws = [state.beta_draw(0.4, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert draws[0] == draws[1]
    g = torch.Generator().manual_seed(0)
    sample = torch.tensor([state.beta_draw(0.4, g) for _ in range(4000)], dtype=torch.float64)
    assert sample.min() >= 0 and sample.max() <= 1
    assert abs(float(sample.mean()) - 0.5) < 0.02
    # Var of Beta(a, a) = 1 / (4 (2a + 1)): 0.1389 at a = 0.4; 0.0833 would be uniform
    assert abs(float(sample.var()) - 1 / (4 * 1.8)) < 0.01
    with pytest.raises(ValueError, match="alpha"):
        state.beta_draw(2.0, g)


def test_mixup_keeps_each_face_s_label_and_mixes_the_targets_by_its_weight() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.arange(4, dtype=torch.float32).view(4, 1, 1, 1).expand(4, 1, 2, 2).clone()
    labels = torch.tensor([0, 1, 2, 3])
    targets = torch.eye(4)
    mixed, kept, t = state.mix_batch(x, labels, targets, 0.4, g)
    assert torch.equal(kept, labels)
    lam = float(t[0, 0])
    assert lam >= 0.5 and torch.allclose(t.sum(dim=1), torch.ones(4))
    assert float(t[0, 3]) == pytest.approx(1 - lam)  # the first face is mixed with the last
    assert float(mixed[0, 0, 0, 0]) == pytest.approx(lam * 0 + (1 - lam) * 3)
