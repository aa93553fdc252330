"""``albumsum-train fit``: train an embedding (SGM, triplet or cross-entropy), resumable, and write
the model checkpoint.

A run directory holds ``config.json`` (the final config), ``metrics.jsonl`` (one line per epoch),
``last.pt`` (the full training state, rewritten atomically after every epoch, for resuming) and
``model.pt`` (the self-describing checkpoint the app loads). Under ``torchrun`` the run is data
parallel (DDP): each process takes its shard of every class-balanced batch and rank 0 writes.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from albumsum.core.checkpoint import DEFAULT_INPUT_SPEC, network_from_checkpoint, read_checkpoint, save_checkpoint
from albumsum.core.emotions import EMOTIONS, NUM_EMOTIONS
from albumsum.core.inference import embed_crops, pick_device
from albumsum.core.networks import build_network
from trainer.augment import Augment
from trainer.calibrate import fit_posterior_sigma, fold_into_head, within_class_whitening
from trainer.config import ConfigError, TrainConfig
from trainer.data import LabelledSet, describe, load_labelled
from trainer.degrade import Degrade, degrade_images
from trainer.emotion_span import fit_subclasses_in
from trainer.evaluation import evaluate_embeddings
from trainer.losses import build_loss, degradation_consistency
from trainer.progress import Progress
from trainer.samplers import ClassBalancedBatchSampler
from trainer.state import (
    Distributed,
    Run,
    atomic_save,
    lr_factor,
    make_optimizer,
    mix_batch,
    moving_average,
    use_amp,
)
from trainer.subspaces import SubclassFit

log = logging.getLogger(__name__)


def model_args(config: TrainConfig) -> dict[str, Any]:
    args: dict[str, Any] = {"arch": config.arch, "embedding_dim": config.embedding_dim}
    if config.arch == "resnet18":
        args["stem"] = config.stem
    if config.arch == "narrow_resnet":
        args["width"] = config.width
    return args


def initial_network(config: TrainConfig) -> torch.nn.Module | None:
    """The network of ``config.init_from`` (weights to fine-tune), or ``None`` to start at random.

    The checkpoint's ``model_args`` must be the ones ``config`` asks for: a run never silently
    trains a different network than its config.json says.
    """
    if not config.init_from:
        return None
    data = read_checkpoint(config.init_from)
    if data["model_args"] != model_args(config):
        raise ConfigError(
            f"init_from {config.init_from}: the checkpoint's network is {data['model_args']}, "
            f"the config asks for {model_args(config)}"
        )
    return network_from_checkpoint(data, config.init_from).float()


def training_targets(config: TrainConfig, data: LabelledSet) -> np.ndarray:
    """Vote distributions (``soft``) or one-hot majority labels (``hard``), float32 [N, 8]."""
    if config.targets == "soft":
        return data.targets
    if config.targets == "hard":
        return np.eye(NUM_EMOTIONS, dtype=np.float32)[data.labels]
    raise ValueError(f"targets must be 'soft' or 'hard', got {config.targets!r}")


class Trainer:
    """Fits one network on one labelled set; ``fit`` runs the epochs, ``finish`` writes model.pt."""

    def __init__(
        self,
        config: TrainConfig,
        train: LabelledSet,
        valid: LabelledSet | None = None,
        net: torch.nn.Module | None = None,
        world: Distributed | None = None,
    ) -> None:
        self.config = config
        self.train, self.valid = train, valid
        self.world = world or Distributed()
        self.device = pick_device(config.device)
        if self.device.type == "cuda" and self.world.world > 1:
            self.device = torch.device("cuda", self.world.local_rank)
        self.out_dir = Path(config.out_dir)
        torch.manual_seed(config.seed)
        net = (net or build_network(**model_args(config))).to(self.device)
        if config.channels_last:
            net = net.to(memory_format=torch.channels_last)
        self.amp = use_amp(config, self.device, net)
        self.model = DistributedDataParallel(net) if self.world.world > 1 else net
        self.augment = Augment(
            config.flip,
            config.max_rotate,
            config.max_scale,
            config.max_shift,
            config.brightness,
            config.contrast,
            config.erase_prob,
        )
        self.degrade = Degrade(prob=config.degrade_prob)
        if config.consistency and not 0.0 < config.consistency_share <= 1.0:
            raise ConfigError(f"consistency_share must be in (0, 1], got {config.consistency_share}")
        if (config.subclass_pairs or config.subclass_keep > 0) and config.subclass_space != "steady":
            # checked here, not when the sub-classes are fitted at the end of a long run
            raise ConfigError(
                f'subclass_pairs and subclass_keep need subclass_space = "steady", not {config.subclass_space!r}'
            )
        self.images = torch.from_numpy(train.images).to(self.device)
        self.mean, self.std = DEFAULT_INPUT_SPEC["mean"], DEFAULT_INPUT_SPEC["std"]
        self.set_labels(train.labels, training_targets(config, train), net=net)

    def set_labels(self, labels: np.ndarray, targets: np.ndarray, net: torch.nn.Module | None = None) -> None:
        """Train on new labels [N] and targets [N, K] (emotions, or sub-classes in Algorithm 2).

        Batches keep about the same size: n_per_class is scaled by 8 / (number of classes).
        """
        cfg = self.config
        classes = len(np.unique(labels))
        per_class = (
            max(2, round(cfg.n_per_class * NUM_EMOTIONS / classes)) if classes != NUM_EMOTIONS else cfg.n_per_class
        )
        per_class += (-per_class) % self.world.world
        batches = cfg.batches_per_epoch or max(1, len(labels) // (per_class * classes))
        net = net or self.run.net
        loss = build_loss(
            cfg.loss,
            sigma=cfg.sigma,
            norm_weight=cfg.norm_weight,
            embedding_dim=cfg.embedding_dim,
            num_classes=targets.shape[1],
            sgm_form=cfg.sgm_form,
            ce_weight=cfg.ce_weight,
            compact_weight=cfg.compact_weight,
        ).to(self.device)
        self.run = Run(
            net=net,
            loss=loss,
            optimizer=make_optimizer(cfg, [*net.parameters(), *loss.parameters()]),
            sampler=ClassBalancedBatchSampler(
                labels,
                per_class,
                batches,
                seed=cfg.seed,
                num_replicas=self.world.world,
                rank=self.world.rank,
                power=cfg.sampling_power,
            ),
            generator=torch.Generator().manual_seed(cfg.seed + self.world.rank),
            ema=moving_average(net, cfg.ema_decay),
        )
        self.labels = torch.from_numpy(np.asarray(labels)).to(self.device)
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.float32)).to(self.device)

    # ----------------------------------------------------------------- training
    def _batch(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Augmented faces, their labels and targets, and the rows picked for degraded copies."""
        idx = torch.from_numpy(index).to(self.device)
        x = self.images[idx].unsqueeze(1).float().div_(255.0)
        x, degraded = self.degrade.some(x, self.run.generator)
        x = self.augment(x.sub(self.mean).div_(self.std), self.run.generator)
        return x, self.labels[idx], self.targets[idx], self._pair_rows(len(index), degraded)

    def _pair_rows(self, n: int, degraded: torch.Tensor) -> torch.Tensor:
        """``consistency_share`` of the batch size in rows, drawn at random from its undegraded rows
        (fewer when too few are undegraded; none when the consistency term is off, or not yet on:
        ``consistency_after`` epochs train without it)."""
        cfg = self.config
        if not cfg.consistency or self.run.epoch < cfg.consistency_after:
            return torch.empty(0, dtype=torch.long, device=self.device)
        clean = torch.ones(n, dtype=torch.bool)
        clean[degraded] = False
        rows = clean.nonzero().squeeze(1)
        rows = rows[torch.randperm(len(rows), generator=self.run.generator)[: round(cfg.consistency_share * n)]]
        return rows.to(self.device)

    def _with_copies(self, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """``x`` followed by degraded copies of its ``rows`` (each copy sees the same augmentation)."""
        if len(rows):
            pixels = x[rows].mul(self.std).add_(self.mean).clamp_(0.0, 1.0)
            copies = self.degrade.apply(pixels, self.run.generator).sub_(self.mean).div_(self.std)
            x = torch.cat([x, copies])
        return x.contiguous(memory_format=torch.channels_last) if self.config.channels_last else x

    def train_epoch(self) -> dict[str, float]:
        run, cfg = self.run, self.config
        self.model.train()
        total_steps = cfg.epochs * len(run.sampler)
        sums: dict[str, torch.Tensor] = {}
        live_loss = self.device.type == "cpu"  # reading a CUDA value every step would stall the GPU's queue
        start, seen = time.perf_counter(), 0
        bar = Progress(
            len(run.sampler), f"epoch {run.epoch + 1}/{cfg.epochs}", enabled=cfg.progress and self.world.is_main
        )
        for index in run.sampler:
            for group in run.optimizer.param_groups:
                group["lr"] = cfg.lr * lr_factor(cfg, run.step, total_steps, len(run.sampler))
            x, labels, targets, rows = self._batch(index)
            if cfg.mixup:
                x, labels, targets = mix_batch(x, labels, targets, cfg.mixup, run.generator)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
                z = self.model(self._with_copies(x, rows)).float()
            n = len(labels)
            terms = run.loss.terms(z[:n], labels, targets)
            if len(rows):
                gap = degradation_consistency(z[rows], z[n:], z[:n], labels, cfg.sigma)
                terms = {**terms, "loss": terms["loss"] + cfg.consistency * gap, "consistency": gap}
            run.optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            run.optimizer.step()
            if run.ema is not None:
                run.ema.update_parameters(run.net)
            run.step += 1
            seen += len(index) * self.world.world
            for key, value in terms.items():
                sums[key] = sums[key] + value.detach() if key in sums else value.detach()
            live = {"loss": float(terms["loss"].detach())} if live_loss else {}
            bar.update(**live, img_s=seen / (time.perf_counter() - start))
        bar.close()
        means = {k: float(v) / len(run.sampler) for k, v in sums.items()}  # one device read an epoch
        elapsed = time.perf_counter() - start
        return {
            **means,
            "lr": run.optimizer.param_groups[0]["lr"],
            "images_per_s": seen / elapsed,
            "epoch_s": elapsed,
        }

    # --------------------------------------------------------------- evaluation
    def embed(self, images: np.ndarray, flip_tta: bool = True) -> np.ndarray:
        net = self.run.eval_net.eval()
        return embed_crops(
            net,
            images,
            size=images.shape[1],
            mean=self.mean,
            std=self.std,
            flip_tta=flip_tta,
            batch_size=512,
            bf16=self.amp,
        )

    def quick_eval(self, reference_size: int = 10000) -> dict[str, float]:
        """kNN accuracy on the valid set against a random part of the training set, no TTA."""
        if self.valid is None:
            return {}
        ref = np.random.default_rng(0).permutation(len(self.train))[:reference_size]
        metrics = evaluate_embeddings(
            self.embed(self.valid.images, False),
            self.valid.labels,
            self.embed(self.train.images[ref], False),
            self.train.labels[ref],
            parts=("knn",),
        )
        return {f"valid_{k}": v for k, v in metrics.items() if k.startswith("knn_")}

    # ------------------------------------------------------------------ the run
    def fit(self) -> None:
        """Run (or resume) the epochs of ``config``; the state is saved after every epoch."""
        cfg, run, main = self.config, self.run, self.world.is_main
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if main:
            (self.out_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
        last = self.out_dir / "last.pt"
        if last.exists():
            run.load_state_dict(torch.load(last, map_location=self.device, weights_only=False))
            log.info("resumed %s at epoch %d", last, run.epoch)
        log.info(
            "training %s on %d faces (%s); %d batches of %d per epoch; device %s, amp %s, %d process(es)",
            cfg.loss,
            len(self.train),
            describe(self.train),
            len(run.sampler),
            run.sampler.batch_size * self.world.world,
            self.device,
            self.amp,
            self.world.world,
        )
        while run.epoch < cfg.epochs:
            record: dict[str, Any] = {"epoch": run.epoch + 1, **self.train_epoch()}
            run.epoch += 1
            if main:
                if (
                    self.valid is not None
                    and cfg.eval_every
                    and run.epoch % cfg.eval_every == 0
                    and run.epoch < cfg.epochs
                ):
                    record.update(self.quick_eval())
                with open(self.out_dir / "metrics.jsonl", "a") as f:
                    f.write(json.dumps(record) + "\n")
                log.info(
                    "epoch %d: %s",
                    run.epoch,
                    ", ".join(f"{k} {v:.4g}" for k, v in record.items() if isinstance(v, float)),
                )
                atomic_save(run.state_dict(), last)
            self.world.barrier()

    def finish(self, components: int | None = None, name: str = "model.pt") -> Path:
        """Embed the training set, fit class statistics and sub-class mixtures, evaluate on valid,
        and write the checkpoint (rank 0 only)."""
        train_emb = self.embed(self.train.images)
        if self.config.whiten:
            centre, transform = within_class_whitening(train_emb, self.train.labels, self.config.whiten_shrink)
            fold_into_head(self.run.eval_net.head, centre, transform)
            train_emb = ((train_emb - centre) @ transform).astype(np.float32)
            log.info("folded a within-class whitening (shrink %g) into the embedding head", self.config.whiten_shrink)
        counts = np.bincount(self.train.labels, minlength=NUM_EMOTIONS)
        means = np.zeros((NUM_EMOTIONS, train_emb.shape[1]), dtype=np.float32)
        for c in np.flatnonzero(counts):
            means[c] = train_emb[self.train.labels == c].mean(axis=0)
        priors = (counts / counts.sum()).astype(np.float32)
        sigma = fit_posterior_sigma(train_emb, self.train.labels, means, priors)
        log.info("posterior sigma fitted on the training embeddings: %.4f (the loss's: %g)", sigma, self.config.sigma)
        subs = self.fit_subclasses(train_emb, means, components or self.config.subclasses)
        log.info("sub-classes per emotion: %s", "; ".join(f"{EMOTIONS[c]} {sizes}" for c, sizes in subs.sizes.items()))
        metrics: dict[str, float] = {}
        if self.valid is not None:
            found = evaluate_embeddings(
                self.embed(self.valid.images),
                self.valid.labels,
                train_emb,
                self.train.labels,
                class_means=means,
                sigma=sigma,
                priors=priors,
            )
            metrics = {f"valid_{k}": v for k, v in found.items()}
            log.info("valid: %s", ", ".join(f"{k} {v:.2f}" for k, v in metrics.items()))
        payload = self.checkpoint_payload(train_emb, means, priors, sigma, subs, metrics)
        path = save_checkpoint(payload, self.out_dir / name)
        log.info("wrote %s", path)
        return path

    def fit_subclasses(self, train_emb: np.ndarray, means: np.ndarray, components: int) -> SubclassFit:
        """Each emotion's mixture over the whole embedding, in the span of the emotion means, or in the
        span's directions that degradation moves least (``steady``; there optionally paired with the
        faces' degraded copies, and with a stability-chosen count: ``subclass_pairs``, ``subclass_keep``)."""
        cfg = self.config
        return fit_subclasses_in(
            cfg.subclass_space,
            train_emb,
            self.train.labels,
            means,
            components,
            cfg.min_subclass_size,
            cfg.seed,
            degraded=lambda i: self.embed(degrade_images(self.train.images, cfg.seed + i)),
            paired=cfg.subclass_pairs,
            keep=cfg.subclass_keep,
        )

    def checkpoint_payload(
        self,
        train_emb: np.ndarray,
        means: np.ndarray,
        priors: np.ndarray,
        sigma: float,
        subs: SubclassFit,
        metrics: dict[str, float],
    ) -> dict[str, Any]:
        state = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in self.run.eval_net.state_dict().items()}
        return {
            "model_args": model_args(self.config),
            "state_dict": state,
            "class_names": list(EMOTIONS),
            "sigma": sigma,
            "class_means": torch.from_numpy(means),
            "class_priors": torch.from_numpy(priors),
            "subclasses": {EMOTIONS[c]: m.to_checkpoint() for c, m in subs.mixtures.items()},
            "input_spec": {**DEFAULT_INPUT_SPEC, "size": int(self.train.images.shape[1])},
            "reference": {
                "embeddings": torch.from_numpy(train_emb).half(),
                "labels": torch.from_numpy(self.train.labels),
                "subclasses": torch.from_numpy(subs.labels),
            },
            "train_config": self.config.to_dict(),
            "metrics": metrics,
        }


def load_sets(config: TrainConfig) -> tuple[LabelledSet, LabelledSet | None]:
    train = load_labelled(config.train_data, config.limit)
    valid = load_labelled(config.valid_data) if config.valid_data else None
    return train, valid


def fit(config: TrainConfig) -> Path | None:
    """Load the data named in ``config``, train, and return the path of ``model.pt`` (rank 0)."""
    if config.threads:
        torch.set_num_threads(config.threads)
    world = Distributed.from_env()
    trainer = Trainer(config, *load_sets(config), net=initial_network(config), world=world)
    trainer.fit()
    path = trainer.finish() if world.is_main else None
    world.barrier()
    return path
