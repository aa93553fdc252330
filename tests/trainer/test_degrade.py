"""The crowd-photo degradation: reproducible, and it takes away what small, dark faces lose."""

from __future__ import annotations

import numpy as np
import torch

from trainer.degrade import Degrade, degrade_images


def faces(n: int = 16) -> np.ndarray:
    """Sharp synthetic faces: a bright oval with dark eyes and mouth, on a mid-grey ground."""
    yy, xx = np.mgrid[:48, :48]
    out = np.full((n, 48, 48), 120, np.uint8)
    for i in range(n):
        oval = ((yy - 24) / 20) ** 2 + ((xx - 24) / (15 + i % 3)) ** 2 < 1
        out[i][oval] = 210
        for cx in (17, 31):
            out[i][(yy - 19) ** 2 + (xx - cx) ** 2 < 9] = 30
        out[i][(abs(yy - 33) < 2) & (abs(xx - 24) < 7 + i % 4)] = 40
    return out


def sharpness(images: np.ndarray) -> np.ndarray:
    """Mean absolute Laplacian per image."""
    x = images.astype(np.float64)
    lap = 4 * x[:, 1:-1, 1:-1] - x[:, :-2, 1:-1] - x[:, 2:, 1:-1] - x[:, 1:-1, :-2] - x[:, 1:-1, 2:]
    return np.abs(lap).mean(axis=(1, 2))


def test_the_degraded_copy_is_the_same_for_a_seed_and_differs_between_seeds() -> None:
    clean = faces()
    a, b, c = degrade_images(clean, seed=0), degrade_images(clean, seed=0), degrade_images(clean, seed=1)
    assert a.dtype == np.uint8 and a.shape == clean.shape
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 1


def test_degraded_faces_are_blurrier_darker_and_noisier() -> None:
    clean = faces()
    bad = degrade_images(clean, seed=0)
    assert bad.mean() < clean.mean() - 5
    # without noise and with near-lossless JPEG, what is left (size, blur, light) takes the detail away
    soft = degrade_images(clean, seed=0, degrade=Degrade(max_noise=0.0, min_quality=95, max_quality=95))
    assert (sharpness(soft) < 0.7 * sharpness(clean)).all()
    # noise and compression add what a clean small face does not have
    assert np.abs(bad.astype(int) - soft).mean() > 1


def test_training_degradation_touches_its_share_of_the_batch_only() -> None:
    x = torch.from_numpy(faces(400)).unsqueeze(1).float() / 255
    out = Degrade(prob=0.3)(x, torch.Generator().manual_seed(0))
    changed = (out != x).flatten(1).any(dim=1).float().mean().item()
    assert 0.22 < changed < 0.38
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert Degrade(prob=0.0)(x, torch.Generator()) is x


def test_some_names_the_rows_it_degraded() -> None:
    x = torch.from_numpy(faces(200)).unsqueeze(1).float() / 255
    out, rows = Degrade(prob=0.3).some(x, torch.Generator().manual_seed(1))
    changed = (out != x).flatten(1).any(dim=1).nonzero().squeeze(1)
    assert torch.equal(changed, rows)
    torch.testing.assert_close(out, Degrade(prob=0.3)(x, torch.Generator().manual_seed(1)))
