"""One training config: a dataclass of defaults, overridden by a file and ``--key=value``.

Semantics follow nanoGPT's configurator without ``exec``: a JSON or TOML file and then command-line
overrides replace fields; every value is converted to the field's type; unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass
class TrainConfig:
    # data
    train_data: str = "../shared/data/ferplus/train.npz"  # labelled npz (docs/ARCHITECTURE.md contract)
    valid_data: str = "../shared/data/ferplus/valid.npz"  # evaluated during training; "" = none
    targets: str = "soft"  # "soft": FER+ vote distributions; "hard": one-hot majority labels
    limit: int = 0  # use only the first N training faces per class (0 = all); for quick runs
    # network
    arch: str = "resnet18"  # resnet18 | narrow_resnet | small | cvgg13 | preact_resnet18
    width: int = 32  # narrow_resnet only: channels of its first stage (then x2, x4, x8)
    stem: str = "stock"  # resnet18 only: "stock" (7x7/2 + pool), "deep" (3x3 convs + pool), "fine" (3x3 convs, no pool)
    embedding_dim: int = 64  # paper 4.2.3
    init_from: str = ""  # a model checkpoint whose network weights start the run (fine-tuning); "" = random
    # loss
    loss: str = "sgm"  # sgm (Structured Gaussian Manifold) | triplet (128 a batch) | ce (linear head)
    sigma: float = 0.5  # isotropic std of each class Gaussian (paper: 0.5)
    norm_weight: float = 0.01  # lambda of the mean embedding-norm penalty (Algorithm 1, step 6)
    sgm_form: str = "squared"  # sgm: "squared" error of the posterior (eq. 4) | "log": cross-entropy against it
    ce_weight: float = 0.0  # sgm: weight of a joint linear head's cross-entropy (0 = SGM alone)
    # sgm: weight of the compactness term, each face's squared distance to its class mean in units of
    # 2 sigma^2, weighted by its label's share of the votes (0 = off; trainer/losses.py)
    compact_weight: float = 0.0
    # after training: fold a within-class whitening of the training embeddings, shrunk towards the
    # identity by whiten_shrink, into the embedding head (trainer/calibrate.py; before the class means,
    # the posterior's sigma and the sub-classes are fitted)
    whiten: bool = False
    whiten_shrink: float = 1.0
    # sub-classes (Deep Gaussian Mixture sub-spaces, Algorithm 2)
    subclasses: int = 3  # Gaussians per emotion fitted on the final embedding by `fit`
    # where `fit` fits them: "embedding" (all of it) | "emotions" (the span of the means) | "steady" (the
    # span's directions that degradation moves least; trainer/emotion_span.py)
    subclass_space: str = "embedding"
    # "steady" only: EM keeps a face and its degraded copy in one component (trainer/subspaces.py:paired_mixture)
    subclass_pairs: bool = False
    # "steady" only, > 0: each emotion gets the most components (subclasses down to 2) whose sub-class holds on
    # a second degraded copy of the training faces for at least this share of them (docs/RESULTS.md 6.15)
    subclass_keep: float = 0.0
    levels: int = 5  # `subspaces`: L of Algorithm 2 (fine-tune on sub-classes for l = 2..L)
    level_epochs: int = 2  # `subspaces`: fine-tuning epochs per level
    level_lr: float = 2e-4  # `subspaces`: peak learning rate of each level's fine-tuning
    min_subclass_size: int = 64  # never fit a component for fewer faces than this
    subclass_targets: str = (
        "onehot"  # `subspaces`: "onehot" (paper) | "nested" (emotion targets spread over sub-classes)
    )
    sibling_share: float = 0.25  # "nested": the share of a face's own emotion given to its sub-class's siblings
    # batches: exactly n_per_class x classes faces; rare classes are drawn with replacement
    n_per_class: int = 32
    sampling_power: float = 0.0  # 0: exactly n per class (paper); 0.5: shares ~ sqrt(class size)
    batches_per_epoch: int = 0  # 0 = training faces // batch size
    # optimisation
    epochs: int = 30
    optimizer: str = "adamw"  # adamw | adam (paper: Adam, lr 1e-4, constant)
    lr: float = 1e-3
    weight_decay: float = 0.05
    schedule: str = "cosine"  # cosine (with linear warm-up) | constant
    warmup_epochs: float = 1.0
    # augmentation, applied on the fly to whole batches
    flip: bool = True
    max_rotate: float = 10.0  # degrees
    max_scale: float = 0.1  # +/- fraction
    max_shift: float = 0.08  # +/- fraction of the image side
    brightness: float = 0.25  # +/- additive, in units of the pixel std
    contrast: float = 0.25  # +/- multiplicative
    erase_prob: float = 0.5  # probability of erasing one random rectangle
    degrade_prob: float = 0.0  # share of faces made small, blurred, dark, noisy and JPEG'd (trainer/degrade.py)
    consistency: float = 0.0  # weight of the degraded-copy consistency term (trainer/losses.py; 0 = off)
    consistency_share: float = 0.25  # copies per batch, as a share of its size, of faces degrade_prob left clean
    consistency_after: int = 0  # epochs trained without the consistency term before it switches on (0 = from the start)
    mixup: float = 0.0  # alpha of mixup's Beta(alpha, alpha) pair weights, a whole batch at a time (0 = off)
    ema_decay: float = 0.0  # exponential moving average of the weights a step, evaluated and shipped (0 = off)
    # running
    out_dir: str = "runs/sgm"  # checkpoints, config.json, metrics.jsonl
    device: str = "auto"  # auto = CUDA when available, else CPU
    amp: str = "auto"  # auto = bfloat16 autocast on CUDA, and on a CPU where a short probe finds it faster; on | off
    channels_last: bool = True
    threads: int = 0  # torch CPU threads (0 = torch's default)
    seed: int = 0
    eval_every: int = 5  # epochs between kNN evaluations on valid_data (0 = only at the end)
    progress: bool = True  # progress bar on stderr

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ConfigError(ValueError):
    """An unknown key or a value that does not fit the field's type."""


def _convert(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}: expected true/false, got {value!r}")
    if isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}") from exc


_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def apply_overrides(config: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """Return a copy of ``config`` with ``overrides`` applied, type-checked, unknown keys rejected."""
    known = {f.name: _TYPES[f.type if isinstance(f.type, str) else f.type.__name__] for f in fields(config)}
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(unknown)}")
    values = {k: _convert(k, known[k], v) for k, v in overrides.items()}
    return dataclasses.replace(config, **values)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read overrides from a ``.toml`` or ``.json`` file (a flat table of config keys)."""
    path = Path(path)
    text = path.read_text()
    data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of config keys")
    return data


def parse_cli_overrides(args: list[str]) -> dict[str, str]:
    """``["--lr=1e-3", "--epochs=5"]`` -> ``{"lr": "1e-3", "epochs": "5"}``."""
    out: dict[str, str] = {}
    for arg in args:
        if not arg.startswith("--") or "=" not in arg:
            raise ConfigError(f"expected --key=value, got {arg!r}")
        key, value = arg[2:].split("=", 1)
        out[key.replace("-", "_")] = value
    return out


def build_config(file: str | None, cli: list[str], base: TrainConfig | None = None) -> TrainConfig:
    config = base or TrainConfig()
    if file:
        config = apply_overrides(config, load_config_file(file))
    return apply_overrides(config, parse_cli_overrides(cli))
