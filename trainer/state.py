"""The mutable state of a training run and its place in a ``torchrun`` job."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from albumsum.core.inference import fast_bf16
from trainer.config import TrainConfig
from trainer.samplers import ClassBalancedBatchSampler


def use_amp(config: TrainConfig, device: torch.device) -> bool:
    if config.amp == "auto":
        return fast_bf16(device)
    return config.amp == "on"


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

    def state_dict(self) -> dict[str, Any]:
        return {
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
        self.loss.load_state_dict(state["loss"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        self.generator.set_state(state["generator"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])


def atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)
