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
