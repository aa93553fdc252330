"""Faces made the way group and crowd photos make them: small, blurred, compressed, dark, noisy.

One random degradation serves two uses:

- training augmentation (:class:`Degrade`, on a batch of pixel values in [0, 1], for a random
  share of the faces), so the embedding learns to ignore what the app's real-photo faces lose;
- a seeded, reproducible degraded copy of an evaluation set (:func:`degrade_images`), on which
  ``albumsum-train evaluate --degrade`` reports accuracy and how often a face's emotion and
  sub-class survive.

Each degraded face goes through, in this order: down-sampling to a side drawn from
``[min_side, max_side]`` px (area average, as a camera's small face is) and back up (bilinear, as
the app's crop stage enlarges it), a Gaussian blur, a darkening (gamma and gain, as in low light),
sensor noise, and JPEG compression at a low quality.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


@dataclass(frozen=True)
class Degrade:
    """Degrade a random share ``prob`` of a batch ``float [N, 1, H, W]`` of pixels in [0, 1]."""

    prob: float = 0.3
    min_side: int = 16
    max_side: int = 32
    max_blur: float = 1.0  # Gaussian sigma, in pixels of the 48 px face
    max_gamma: float = 1.5  # > 1 darkens the mid-tones
    min_gain: float = 0.6
    max_noise: float = 0.04  # std, in units of the pixel range
    min_quality: int = 20  # JPEG quality
    max_quality: int = 60

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return self.some(x, generator)[0]

    def some(self, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` with a random share ``prob`` of its faces degraded, and which rows (long, on the CPU)."""
        if self.prob <= 0:
            return x, torch.empty(0, dtype=torch.long)
        n = x.shape[0]
        chosen = (torch.rand(n, generator=generator) < self.prob).nonzero().squeeze(1)
        if len(chosen) == 0:
            return x, chosen
        out = x.clone()
        out[chosen.to(x.device)] = self.apply(x[chosen.to(x.device)], generator)
        return out, chosen

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Degrade every face of ``x`` ``float [N, 1, H, W]`` (pixels in [0, 1])."""
        n, _, h, w = x.shape

        def uniform(lo: float, hi: float) -> torch.Tensor:
            return torch.rand(n, generator=generator).mul_(hi - lo).add_(lo)

        sides = torch.randint(self.min_side, self.max_side + 1, (n,), generator=generator)
        x = _resample(x, sides, (h, w))
        x = _blur(x, uniform(0.0, self.max_blur).to(x.device))
        gamma = uniform(1.0, self.max_gamma).to(x.device)[:, None, None, None]
        gain = uniform(self.min_gain, 1.0).to(x.device)[:, None, None, None]
        x = x.clamp(0, 1).pow(gamma) * gain
        noise = (
            torch.randn(x.shape, generator=generator).to(x.device)
            * uniform(0.0, self.max_noise).to(x.device)[:, None, None, None]
        )
        x = (x + noise).clamp(0, 1)
        qualities = torch.randint(self.min_quality, self.max_quality + 1, (n,), generator=generator)
        return _jpeg(x, qualities)


def _resample(x: torch.Tensor, sides: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Each face down to ``sides[i]`` px (area) and back to ``size`` (bilinear), grouped by side."""
    out = torch.empty_like(x)
    for side in torch.unique(sides).tolist():
        rows = (sides == side).nonzero().squeeze(1).to(x.device)
        small = F.interpolate(x[rows], size=(side, side), mode="area")
        out[rows] = F.interpolate(small, size=size, mode="bilinear", align_corners=False)
    return out


def _blur(x: torch.Tensor, sigma: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """Separable Gaussian blur with one sigma per face (sigma 0 leaves the face as it is)."""
    n, c, h, w = x.shape
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(t[None, :] ** 2) / (2 * sigma[:, None].clamp_min(1e-3) ** 2))
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # [N, 2r+1]
    flat = F.pad(x.reshape(1, n * c, h, w), (radius, radius, radius, radius), mode="replicate")
    k = kernel.repeat_interleave(c, dim=0)
    flat = F.conv2d(flat, k[:, None, None, :], groups=n * c)
    flat = F.conv2d(flat, k[:, None, :, None], groups=n * c)
    return flat.reshape(n, c, h, w)


def _jpeg(x: torch.Tensor, qualities: torch.Tensor) -> torch.Tensor:
    """JPEG-compress each face at its own quality (Pillow's libjpeg, on the CPU)."""
    pixels = x.mul(255).round_().to(torch.uint8).squeeze(1).cpu().numpy()
    out = np.empty_like(pixels)
    for i, (face, quality) in enumerate(zip(pixels, qualities.tolist(), strict=True)):
        buffer = io.BytesIO()
        Image.fromarray(face).save(buffer, format="JPEG", quality=int(quality))
        out[i] = np.asarray(Image.open(buffer))
    return torch.from_numpy(out).unsqueeze(1).to(x.device, dtype=x.dtype).div_(255.0)


def degrade_images(images: np.ndarray, seed: int = 0, degrade: Degrade | None = None) -> np.ndarray:
    """A degraded copy of every face of ``images`` uint8 [N, H, W], the same for the same seed.

    This is the standard degraded evaluation set (``seed=0``, the default :class:`Degrade`).
    """
    degrade = degrade or Degrade()
    generator = torch.Generator().manual_seed(seed)
    out = np.empty_like(images)
    for start in range(0, len(images), 512):  # the draws of a chunk depend only on the seed and order
        x = torch.from_numpy(np.ascontiguousarray(images[start : start + 512])).unsqueeze(1).float().div_(255.0)
        out[start : start + 512] = degrade.apply(x, generator).mul_(255).round_().squeeze(1).to(torch.uint8).numpy()
    return out
