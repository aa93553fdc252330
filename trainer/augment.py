"""On-the-fly augmentation of whole batches in torch (cheap on a CPU, free on a GPU)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    """Random flip, rotation/scale/shift, brightness/contrast and one erased rectangle.

    Works on normalised images ``float [N, 1, H, W]``; draws from ``generator`` so runs repeat.
    """

    flip: bool = True
    max_rotate: float = 10.0
    max_scale: float = 0.1
    max_shift: float = 0.08
    brightness: float = 0.25
    contrast: float = 0.25
    erase_prob: float = 0.5

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n = x.shape[0]

        def uniform(lo: float, hi: float, *shape: int) -> torch.Tensor:
            return torch.rand(n, *shape, generator=generator).mul_(hi - lo).add_(lo).to(x.device)

        x = self._affine(x, uniform)
        if self.contrast or self.brightness:
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            gain = uniform(1 - self.contrast, 1 + self.contrast, 1, 1, 1)
            shift = uniform(-self.brightness, self.brightness, 1, 1, 1)
            x = (x - mean) * gain + mean + shift
        if self.erase_prob > 0:
            x = self._erase(x, uniform)
        return x

    def _affine(self, x: torch.Tensor, uniform) -> torch.Tensor:
        n = x.shape[0]
        angle = uniform(-self.max_rotate, self.max_rotate) * (math.pi / 180)
        scale = uniform(1 - self.max_scale, 1 + self.max_scale)
        flip = torch.ones(n, device=x.device)
        if self.flip:
            flip = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack(
            [
                torch.stack([cos * flip, -sin, uniform(-2 * self.max_shift, 2 * self.max_shift)], 1),
                torch.stack([sin * flip, cos, uniform(-2 * self.max_shift, 2 * self.max_shift)], 1),
            ],
            1,
        )
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def _erase(self, x: torch.Tensor, uniform) -> torch.Tensor:
        _, _, h, w = x.shape
        side = uniform(0.15, 0.4, 2) * torch.tensor([h, w], device=x.device)
        centre = uniform(0, 1, 2) * torch.tensor([h, w], device=x.device)
        ys = torch.arange(h, device=x.device)[None, :, None]
        xs = torch.arange(w, device=x.device)[None, None, :]
        box = ((ys - centre[:, 0, None, None]).abs() < side[:, 0, None, None] / 2) & (
            (xs - centre[:, 1, None, None]).abs() < side[:, 1, None, None] / 2
        )
        box &= (uniform(0, 1) < self.erase_prob)[:, None, None]
        return x.masked_fill(box[:, None], 0.0)
