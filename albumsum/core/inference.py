"""Face crops in, embeddings and emotion posteriors out: the model as the app uses it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from albumsum.core.checkpoint import network_from_checkpoint, read_checkpoint
from albumsum.core.framing import Framing
from albumsum.core.gaussian import gaussian_log_posterior, log_priors_of

log = logging.getLogger(__name__)


def pick_device(name: str = "auto") -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; any other name is taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def fast_bf16(device: torch.device) -> bool:
    """Whether bfloat16 autocast pays on ``device``: CUDA, or a CPU with native bfloat16 (AVX512-BF16
    or AMX), where it doubles ResNet18 inference (docs/BENCHMARKS.md)."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def inference_network(net: torch.nn.Module) -> torch.nn.Module:
    """``net`` (eval mode) with every batch norm folded into the convolution before it, for embedding.

    The same function up to float rounding (max difference about 1e-6 on the shipped model), one
    pass over memory less per convolution: on a 2-core AMD EPYC without native bfloat16 (AVX2),
    float32, the shipped narrow network embeds 1.3x as fast folded (docs/BENCHMARKS.md;
    ``bench/embed_throughput.py M --against M --old-unfolded``). A network that torch.fx cannot
    trace is returned as it is.
    """
    from torch.fx.experimental.optimization import fuse

    try:
        folded = fuse(net)
    except Exception as exc:  # an untraceable network still embeds, only unfolded
        log.info("batch norms left unfolded: %s cannot be traced (%s)", type(net).__name__, exc)
        return net
    folded.embedding_dim = net.embedding_dim
    return folded


def _prepare(crops: np.ndarray, device: torch.device, size: int, mean: float, std: float) -> torch.Tensor:
    x = torch.from_numpy(np.ascontiguousarray(crops)).to(device, non_blocking=True)
    x = x.unsqueeze(1).float().div_(255.0)
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


@torch.inference_mode()
def embed_crops(
    net: torch.nn.Module,
    crops: np.ndarray,
    *,
    size: int,
    mean: float,
    std: float,
    flip_tta: bool = True,
    batch_size: int = 256,
    bf16: bool = False,
) -> np.ndarray:
    """Run ``net`` (eval mode) on ``uint8 [N, H, W]`` crops in batches -> ``float32 [N, D]``.

    With ``flip_tta`` the embedding is the mean over the face and its mirror image (one forward pass
    over both); with ``bf16`` the network runs under bfloat16 autocast (as it was trained).
    """
    crops = np.asarray(crops)
    if crops.ndim != 3 or crops.dtype != np.uint8:
        raise ValueError(f"expected uint8 crops [N, H, W], got {crops.dtype} {crops.shape}")
    device = next(net.parameters()).device
    chunks = []
    for start in range(0, len(crops), batch_size):
        x = _prepare(crops[start : start + batch_size], device, size, mean, std)
        if flip_tta:
            x = torch.cat([x, torch.flip(x, dims=[3])])
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            z = net(x).float()
        if flip_tta:
            z = 0.5 * (z[: len(z) // 2] + z[len(z) // 2 :])
        chunks.append(z.cpu())
    if not chunks:
        return np.zeros((0, net.embedding_dim), dtype=np.float32)
    return torch.cat(chunks).numpy()


@dataclass(frozen=True)
class Prediction:
    """Embeddings ``float32 [N, D]`` and emotion posteriors ``float32 [N, C]`` of N faces."""

    embeddings: np.ndarray
    proba: np.ndarray


# faces per forward pass when none is given: on a CPU small passes stay in the cache (the shipped
# narrow network embeds 1,266 faces/s in passes of 32 against 926 in passes of 256 under bfloat16, two
# threads of a 2-core AMD EPYC; folded, in float32 on an AVX2-only EPYC, 474 against 320:
# `bench/embed_throughput.py`); a GPU wants large ones
CPU_BATCH, CUDA_BATCH = 32, 256


class Embedder:
    """Runs a checkpoint on aligned face crops, batched, on CPU or CUDA."""

    def __init__(
        self,
        checkpoint: dict[str, Any],
        device: str = "auto",
        batch_size: int | None = None,
        source: str | os.PathLike[str] = "<memory>",
        bf16: bool | None = None,
        fold: bool = True,
    ) -> None:
        self.checkpoint = checkpoint
        self.device = pick_device(device)
        self.bf16 = fast_bf16(self.device) if bf16 is None else bf16
        self.batch_size = batch_size or (CUDA_BATCH if self.device.type == "cuda" else CPU_BATCH)
        net = network_from_checkpoint(checkpoint, source).to(self.device)
        self.net = (inference_network(net) if fold else net).to(memory_format=torch.channels_last)
        spec = checkpoint["input_spec"]
        self.size = int(spec["size"])
        self.mean, self.std = float(spec["mean"]), float(spec["std"])
        self.flip_tta = bool(spec.get("flip_tta", False))
        self.framing = Framing.from_spec(spec)  # how the crops this model reads are cut
        self.class_names: list[str] = list(checkpoint["class_names"])
        self.sigma = float(checkpoint["sigma"])
        self.class_means = torch.as_tensor(checkpoint["class_means"], dtype=torch.float32)
        self.log_priors = log_priors_of(torch.as_tensor(checkpoint["class_priors"], dtype=torch.float32))

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], device: str = "auto", batch_size: int | None = None, bf16: bool | None = None
    ) -> Embedder:
        return cls(read_checkpoint(path), device=device, batch_size=batch_size, source=path, bf16=bf16)

    @property
    def embedding_dim(self) -> int:
        return int(self.class_means.shape[1])

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """``uint8 [N, H, W]`` grayscale crops -> ``float32 [N, D]`` embeddings."""
        return embed_crops(
            self.net,
            crops,
            size=self.size,
            mean=self.mean,
            std=self.std,
            flip_tta=self.flip_tta,
            batch_size=self.batch_size,
            bf16=self.bf16,
        )

    @torch.inference_mode()
    def posteriors(self, embeddings: np.ndarray) -> np.ndarray:
        """Eq. 1 with the stored means, sigma and priors: ``[N, D] -> float32 [N, C]``."""
        z = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
        return gaussian_log_posterior(z, self.class_means, self.sigma, self.log_priors).exp().numpy()

    def predict(self, crops: np.ndarray) -> Prediction:
        emb = self.embed(crops)
        return Prediction(embeddings=emb, proba=self.posteriors(emb))
