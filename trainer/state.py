"""The mutable state of a training run and its place in a ``torchrun`` job."""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from albumsum.core.inference import fast_bf16
from trainer.config import TrainConfig
from trainer.samplers import ClassBalancedBatchSampler

log = logging.getLogger(__name__)


def use_amp(config: TrainConfig, device: torch.device, net: torch.nn.Module | None = None) -> bool:
    """Whether to train under bfloat16 autocast: ``amp=on|off`` as said; ``auto``: on CUDA, and on
    a CPU with native bfloat16 only when a short probe of ``net`` finds it faster than float32
    (on some 2-core Xeons it is slower, on some EPYCs 1.6x faster: only a measurement tells)."""
    if config.amp != "auto":
        return config.amp == "on"
    if device.type == "cuda":
        return True
    if not fast_bf16(device) or net is None:
        return False
    batch = config.n_per_class * 8
    fp32, bf16 = probe_step_time(net, device, batch, False), probe_step_time(net, device, batch, True)
    log.info("amp probe on %s: %.0f ms a step in float32, %.0f ms in bfloat16", device, 1e3 * fp32, 1e3 * bf16)
    return bf16 < fp32


def probe_step_time(net: torch.nn.Module, device: torch.device, batch: int, bf16: bool, steps: int = 3) -> float:
    """Seconds per forward-backward step of a copy of ``net`` on random 48x48 faces (best of ``steps``,
    after one warm-up step); ``net`` itself, its weights and batch-norm statistics, stay untouched."""
    probe = copy.deepcopy(net).train()
    x = torch.randn(batch, 1, 48, 48, device=device).contiguous(memory_format=torch.channels_last)
    best = math.inf
    for i in range(steps + 1):
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = probe(x)
        out.float().square().mean().backward()
        if i:
            best = min(best, time.perf_counter() - start)
    return best


def lr_factor(config: TrainConfig, step: int, total: int, per_epoch: int) -> float:
    """Linear warm-up over ``warmup_epochs``, then cosine decay to zero (or constant)."""
    warm = max(1, int(config.warmup_epochs * per_epoch))
    if step < warm:
        return (step + 1) / warm
    if config.schedule == "constant":
        return 1.0
    progress = (step - warm) / max(1, total - warm)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(config: TrainConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; expected adamw or adam")


@dataclass(frozen=True)
class Distributed:
    """This process's place in a ``torchrun`` job (world 1 when not distributed)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        if not dist.is_initialized():
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        return cls(dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0")))

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


@dataclass
class Run:
    """Everything a training run mutates, so it can be saved and resumed as one state."""

    net: torch.nn.Module  # unwrapped
    loss: torch.nn.Module
    optimizer: torch.optim.Optimizer
    sampler: ClassBalancedBatchSampler
    generator: torch.Generator
    epoch: int = 0
    step: int = 0
    ema: torch.optim.swa_utils.AveragedModel | None = None  # the weights' moving average, when asked for

    @property
    def eval_net(self) -> torch.nn.Module:
        """The network to evaluate and ship: the moving average when there is one."""
        return self.ema.module if self.ema is not None else self.net

    def state_dict(self) -> dict[str, Any]:
        return {
            **({"ema": self.ema.state_dict()} if self.ema is not None else {}),
            "net": self.net.state_dict(),
            "loss": self.loss.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "sampler": self.sampler.state_dict(),
            "generator": self.generator.get_state(),
            "epoch": self.epoch,
            "step": self.step,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        if self.ema is not None:
            if "ema" not in state:
                raise ValueError("the saved run has no moving average of its weights; resume it without ema_decay")
            self.ema.load_state_dict(state["ema"])
        self.loss.load_state_dict(state["loss"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        self.generator.set_state(state["generator"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])


def moving_average(net: torch.nn.Module, decay: float) -> torch.optim.swa_utils.AveragedModel | None:
    """An exponential moving average of ``net``'s weights and batch-norm buffers (``None`` at decay 0)."""
    if not decay:
        return None
    if not 0.0 < decay < 1.0:
        raise ValueError(f"ema_decay must be in (0, 1), got {decay}")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def mix_batch(
    x: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor, alpha: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixup of a batch with itself reversed: one weight ``lam ~ Beta(alpha, alpha)`` a batch, kept
    at 0.5 or more so that each face keeps its own label (the SGM loss takes its class means by
    label), and the targets mixed alike."""
    lam = beta_draw(alpha, generator)
    lam = max(lam, 1.0 - lam)
    flip = torch.arange(len(x) - 1, -1, -1, device=x.device)
    return lam * x + (1 - lam) * x[flip], labels, lam * targets + (1 - lam) * targets[flip]


def beta_draw(alpha: float, generator: torch.Generator) -> float:
    """One draw of Beta(alpha, alpha) from ``generator`` (Johnk's method; alpha <= 1, as mixup uses)."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"mixup alpha must be in (0, 1], got {alpha}")
    while True:
        u, v = torch.rand(2, generator=generator, dtype=torch.float64).tolist()
        a, b = u ** (1.0 / alpha), v ** (1.0 / alpha)
        if 0.0 < a + b <= 1.0:
            return a / (a + b)


def atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)
