"""``albumsum-train subspaces``: Algorithm 2 on top of a trained embedding.

Level 1 is the given checkpoint (trained on emotions). For l = 2..L: embed the un-augmented
training set, fit EM with l components per emotion (:func:`trainer.subspaces.fit_subclasses`),
relabel every face with its contiguous sub-class id and fine-tune on those labels. The final
checkpoint carries the per-emotion mixtures of the last embedding and every training face's
sub-class. Each finished level is saved (``level<l>.pt``), so an interrupted run resumes there.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

import torch

from albumsum.core.checkpoint import network_from_checkpoint, read_checkpoint
from albumsum.core.emotions import EMOTIONS
from trainer.config import TrainConfig, apply_overrides
from trainer.fit import Distributed, Trainer, load_sets, training_targets
from trainer.subspaces import fit_subclasses, subclass_targets

log = logging.getLogger(__name__)


def config_from_checkpoint(data: dict[str, Any], overrides: dict[str, Any]) -> TrainConfig:
    """The checkpoint's training config (keys this version does not know are dropped), then overrides."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    stored = {k: v for k, v in data.get("train_config", {}).items() if k in known}
    return apply_overrides(apply_overrides(TrainConfig(), stored), overrides)


def run_subspaces(checkpoint: str | os.PathLike[str], overrides: dict[str, Any]) -> Path:
    """Run levels 2..L from ``checkpoint``; returns the path of the new ``model.pt``."""
    data = read_checkpoint(checkpoint)
    config = config_from_checkpoint(data, overrides)
    if config.loss != "sgm":
        raise ValueError(
            "Algorithm 2 fine-tunes with the SGM loss; the checkpoint was trained with "
            f"loss={config.loss!r} (pass --loss=sgm to fine-tune it anyway)"
        )
    out_dir = Path(config.out_dir)
    level_config = dataclasses.replace(
        config, epochs=config.level_epochs, lr=config.level_lr, warmup_epochs=0.25, eval_every=0
    )
    train, valid = load_sets(config)
    trainer = Trainer(
        level_config, train, valid, net=network_from_checkpoint(data, checkpoint), world=Distributed.from_env()
    )
    history: list[dict[str, Any]] = []
    for level in range(2, config.levels + 1):
        history.append(run_level(trainer, level, out_dir))
    trainer.out_dir = out_dir
    path = trainer.finish(components=config.levels)
    (out_dir / "levels.json").write_text(json.dumps(history, indent=2) + "\n")
    return path


def run_level(trainer: Trainer, level: int, out_dir: Path) -> dict[str, Any]:
    """One level of Algorithm 2: EM with ``level`` components per emotion, relabel, fine-tune."""
    done = out_dir / f"level{level}.pt"
    if done.exists():
        state = torch.load(done, map_location=trainer.device, weights_only=True)
        trainer.run.net.load_state_dict(state["net"])
        log.info("level %d already done (%s)", level, done)
        return json.loads(state["report"])
    cfg = trainer.config
    subs = fit_subclasses(
        trainer.embed(trainer.train.images), trainer.train.labels, level, cfg.min_subclass_size, seed=cfg.seed
    )
    sizes = {EMOTIONS[c]: s for c, s in subs.sizes.items()}
    log.info("level %d: %d sub-classes: %s", level, len(subs.parent), sizes)
    targets = subclass_targets(subs, training_targets(cfg, trainer.train), cfg.subclass_targets, cfg.sibling_share)
    trainer.set_labels(subs.labels, targets)
    trainer.out_dir = out_dir / f"level{level}"
    trainer.fit()
    report = {"level": level, "subclasses": len(subs.parent), "sizes": sizes}
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save({"net": trainer.run.net.state_dict(), "report": json.dumps(report)}, done)
    return report
