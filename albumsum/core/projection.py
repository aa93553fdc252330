"""2-D maps of embeddings (paper Figs. 2 and 7): PCA, or t-SNE for a truer picture of the clusters."""

from __future__ import annotations

import numpy as np

TSNE_CAP = 5000  # t-SNE beyond this many faces takes minutes: larger albums are mapped with PCA


def pca_2d(x: np.ndarray) -> np.ndarray:
    """``[N, D] -> [N, 2]`` float32: the first two principal components (zeros when N < 2)."""
    x = np.asarray(x, np.float64)
    if len(x) < 2:
        return np.zeros((len(x), 2), np.float32)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    if out.shape[1] < 2:
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    signs = np.sign(out[np.abs(out).argmax(axis=0), range(2)])  # deterministic orientation
    return (out * np.where(signs == 0, 1, signs)).astype(np.float32)


def tsne_2d(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """``[N, D] -> [N, 2]`` float32 by t-SNE (PCA initialised, seeded); PCA when N is tiny or huge."""
    n = len(x)
    if n < 5 or n > TSNE_CAP:
        return pca_2d(x)
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, (n - 1) / 3))
    out = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(np.asarray(x, np.float64))
    return out.astype(np.float32)


def project(x: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    if method not in ("pca", "tsne"):
        raise ValueError(f"projection must be 'pca' or 'tsne', not {method!r}")
    return pca_2d(x) if method == "pca" else tsne_2d(x, seed)


def normalise(points: np.ndarray) -> np.ndarray:
    """Points scaled into [0, 1]² keeping the aspect ratio, centred."""
    if not len(points):
        return np.zeros((0, 2), np.float32)
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = float(max((hi - lo).max(), 1e-9))
    return ((points - lo) / span + (1 - (hi - lo) / span) / 2).astype(np.float32)
