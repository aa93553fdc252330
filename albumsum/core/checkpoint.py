"""The model checkpoint: one self-describing file that loads without the trainer.

The file is a plain ``dict`` of tensors, numbers, strings, lists and dicts, so it opens with
``torch.load(..., weights_only=True)``. Keys (``format_version`` 1):

- ``model_args``: kwargs for :func:`albumsum.core.networks.build_network`
- ``state_dict``: weights of the unwrapped network (float16 when written by the trainer)
- ``class_names``: emotion names, FER+ order; ``sigma``: isotropic std of the class Gaussians of
  the posterior (eq. 1), fitted on the training embeddings after training (``trainer/calibrate.py``;
  the loss's sigma is ``train_config["sigma"]``, and older checkpoints store that one here)
- ``class_means`` float32 [C, D], ``class_priors`` float32 [C] over the full training set
- ``subclasses``: per emotion name, ``{"weights" [K], "means" [K, D], "covariances" [K, D, D]}``
  (empty until the sub-spaces are fitted)
- ``input_spec``: ``{"size", "grayscale", "mean", "std", "framing", "align", "flip_tta"}``; ``framing``
  holds the fields of :class:`albumsum.core.framing.Framing` (a checkpoint without it was made with
  the defaults; older ones also carry an unused ``crop_margin``)
- ``reference``: optional kNN bank ``{"embeddings" [M, D] float16, "labels" [M] int64,
  "subclasses" [M] int64}`` (the training set; each face's sub-class id, contiguous over emotions)
- ``train_config``, ``metrics``, ``created`` (ISO time), ``kind`` (``"albumsum-model"``)
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import torch

from albumsum.core.files import atomic_write
from albumsum.core.framing import DEFAULT_FRAMING
from albumsum.core.networks import EmbeddingNet, build_network

FORMAT_VERSION = 1
KIND = "albumsum-model"
REQUIRED_KEYS = (
    "format_version",
    "kind",
    "model_args",
    "state_dict",
    "class_names",
    "sigma",
    "class_means",
    "class_priors",
    "input_spec",
)

DEFAULT_INPUT_SPEC: dict[str, Any] = {
    "size": 48,
    "grayscale": True,
    "mean": 0.5077,  # FER+ train pixel mean / std on the 0..1 scale
    "std": 0.2550,
    "framing": DEFAULT_FRAMING.to_spec(),  # how the app cuts the faces the model reads
    "align": "eyes",
    "flip_tta": True,  # average the embeddings of the face and its mirror image
}


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable, foreign or from a newer albumsum."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


def save_checkpoint(payload: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``payload`` (the keys above) atomically: a crash never leaves half a file."""
    missing = [k for k in REQUIRED_KEYS if k not in payload and k not in ("format_version", "kind")]
    if missing:
        raise ValueError(f"checkpoint payload lacks {', '.join(missing)}")
    out = {"format_version": FORMAT_VERSION, "kind": KIND, "subclasses": {}, "metrics": {}}
    out["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    out.update(payload)
    return atomic_write(path, lambda tmp: torch.save(out, tmp))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load and validate the raw checkpoint dict; every failure is a :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file (expected an albumsum model checkpoint, .pt)")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many types on garbage; all mean the same here
        raise CheckpointError(path, f"not a readable checkpoint (truncated or not a torch file): {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise CheckpointError(path, f"not an albumsum model (expected kind={KIND!r})")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"format_version {version!r} is newer than this albumsum reads ({FORMAT_VERSION}); upgrade albumsum",
        )
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise CheckpointError(path, f"missing keys: {', '.join(missing)}")
    return data


def network_from_checkpoint(data: dict[str, Any], path: str | os.PathLike[str] = "<memory>") -> EmbeddingNet:
    """Rebuild the network from ``model_args`` alone and load its weights (eval mode, CPU)."""
    try:
        net = build_network(**data["model_args"])
        net.load_state_dict(data["state_dict"])
    except (TypeError, ValueError, RuntimeError, KeyError) as exc:
        raise CheckpointError(path, f"weights do not fit model_args {data.get('model_args')}: {exc}") from exc
    return net.eval()
