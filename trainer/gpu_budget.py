"""The heaviest training runs of the default model, on a lent GPU, inside one `device` call.

    python3 -m trainer.gpu_budget --data /tmp/ferplus --out "$OUT" [--budget 480] [--runs fine,stock]
    (or python3 scripts/gpu_train.py with the same arguments, from a bare checkout)

A lent GPU comes for minutes, so the number of epochs is set by the clock, not guessed:

1. every run in ``--runs`` (presets below, each a full config of the trainer) is probed at once
   for a few batches, concurrently, as they will train; that gives each one's seconds per epoch;
2. the runs then train concurrently (one process each: a 48x48 ResNet18 leaves the GPU idle
   between its small kernels, which another process fills), each for as many epochs as fit in
   what is left of ``--budget`` seconds after a reserve for writing and evaluating the models;
3. each ``model.pt`` is evaluated by the protocol of ``albumsum-train evaluate`` on the valid
   set (float32, flip averaging, kNN k = 11 against the training set);
4. ``$OUT`` receives ``summary.json`` (configs, epochs, seconds, per-epoch logs, metrics) and the
   checkpoints in parts of at most 15 MiB, best first (the device tool returns files of at most
   16 MiB, eight in all): ``cat fine.pt.part* > fine.pt`` puts one back together.

Nothing here needs facenet-pytorch or Qt; the trainer runs from the checkout (``PYTHONPATH=.``)
with the machine's own torch. ``--probe`` and ``--fit`` are the driver's worker modes. The limits of a
session are one :class:`Budget` record, passed in (tests use a small one).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMON = {"sampling_power": 0.5, "targets": "soft", "eval_every": 25, "progress": False}
RECIPE = ROOT / "trainer" / "recipes" / "narrow.toml"  # the shipped model's recipe (resources/models/MODEL_CARD.md)
# ...with the terms the default was made with since: squared SGM, the compactness term, the whitening at the end
SHIPPED = {"sgm_form": "squared", "compact_weight": 0.1, "whiten": True, "whiten_shrink": 1.0, "threads": 0}
PRESETS = {
    "fine": {"arch": "resnet18", "stem": "fine"},
    "deep": {"arch": "resnet18", "stem": "deep"},
    "stock": {"arch": "resnet18", "stem": "stock"},
    "narrow64": {"recipe": RECIPE, **SHIPPED, "width": 64},  # the shipped network at twice its width
    "narrow96": {"recipe": RECIPE, **SHIPPED, "width": 96},
    # the widest that embeds no slower than the stock ResNet18 on an AVX2 CPU (docs/BENCHMARKS.md), with the
    # degraded-copy consistency term from the start: on a GPU, the long schedule a CPU cannot give it
    "narrow36cons": {"recipe": RECIPE, **SHIPPED, "width": 36, "consistency": 1.0},
}


@dataclass(frozen=True)
class Budget:
    """The limits of one GPU session."""

    seconds: float = 480.0  # for probing, training and evaluating
    settings: dict[str, str] = field(default_factory=dict)  # key=value for every run (after the preset)
    probe_batches: int = 12
    max_epochs: int = 300
    reserve_s: float = 90.0  # after training: embed the training set, fit the mixtures, write, evaluate
    safety: float = 0.92  # of the probed epoch time: quick evaluations every eval_every epochs, a busier GPU
    part_bytes: int = 15 * 1024 * 1024  # the device tool returns files of at most 16 MiB...
    max_files: int = 8  # ...eight in all

    def epochs_for(self, epoch_s: float, left_s: float) -> int:
        """Epochs of ``epoch_s`` seconds that fit in ``left_s`` seconds less the reserve."""
        return int(max(1, min(self.max_epochs, self.safety * (left_s - self.reserve_s) // epoch_s)))


def make_config(name: str, data: Path, out_dir: Path, settings: dict[str, str], **overrides):
    from trainer.config import TrainConfig, apply_overrides, load_config_file

    preset = dict(PRESETS[name])
    recipe = load_config_file(preset.pop("recipe")) if "recipe" in preset else {}
    values = {
        **recipe,
        **COMMON,
        **preset,
        **settings,
        "train_data": str(data / "train.npz"),
        "valid_data": str(data / "valid.npz"),
        "out_dir": str(out_dir),
        **overrides,
    }
    return apply_overrides(TrainConfig(), values)


def probe(name: str, data: Path, settings: dict[str, str], batches: int = 12) -> dict[str, float]:
    """Seconds per full epoch of preset ``name``: a warm-up pass of a few batches, then a timed one."""
    import tempfile

    import torch

    from trainer.fit import Trainer, load_sets

    torch.backends.cudnn.benchmark = True
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(name, data, Path(tmp), settings, epochs=2, batches_per_epoch=batches, eval_every=0)
        train, _ = load_sets(config)
        trainer = Trainer(config, train)
        full_batches = max(1, len(train) // trainer.run.sampler.batch_size)  # as the trainer counts
        trainer.train_epoch()
        timed = trainer.train_epoch()
    return {"epoch_s": timed["epoch_s"] * full_batches / batches, "batches": full_batches}


def fit(name: str, data: Path, out_dir: Path, epochs: int, settings: dict[str, str]) -> None:
    import logging

    import torch

    from trainer.fit import fit as run_fit

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    torch.backends.cudnn.benchmark = True
    run_fit(make_config(name, data, out_dir, settings, epochs=epochs))


def _workers(args: list[list[str]], logs: list[Path], budget: Budget) -> list[subprocess.Popen]:
    """One process per run, this module in a worker mode (a GPU fills one run's idle time with another's)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    settings = [f"--set={k}={v}" for k, v in budget.settings.items()]
    extra = [f"--probe-batches={budget.probe_batches}"]
    return [
        subprocess.Popen(
            [sys.executable, "-m", "trainer.gpu_budget", *a, *settings, *extra],
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        for a, log in zip(args, logs, strict=True)
    ]


def split_into(path: Path, out: Path, stem: str, part_bytes: int) -> list[str]:
    """``path`` as ``<stem>.pt.part1..n`` under ``out``, each at most ``part_bytes``."""
    data, names = path.read_bytes(), []
    for k in range(0, len(data), part_bytes):
        name = f"{stem}.pt.part{k // part_bytes + 1}"
        (out / name).write_bytes(data[k : k + part_bytes])
        names.append(name)
    return names


def drive(names: list[str], data: Path, out: Path, budget: Budget, work: Path) -> dict:
    """Probe, train, evaluate and return the runs ``names`` within ``budget``; returns the summary."""
    start = time.time()
    summary: dict = {"runs": {}, "budget_s": budget.seconds}
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        summary["elapsed_s"] = round(time.time() - start, 1)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    import torch

    summary["device"] = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    summary["torch"] = torch.__version__
    logs = [work / f"probe_{n}.log" for n in names]
    for proc in _workers([["--probe", n, "--data", str(data)] for n in names], logs, budget):
        proc.wait()
    for n, log in zip(names, logs, strict=True):
        found = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        if not found:
            raise SystemExit(f"probe of {n} failed:\n{log.read_text()[-3000:]}")
        epochs = budget.epochs_for(found[-1]["epoch_s"], budget.seconds - (time.time() - start))
        config = make_config(n, data, work / n, budget.settings).to_dict()
        summary["runs"][n] = {**found[-1], "epochs": epochs, "config": config}
    save()
    _train(names, data, work, budget, summary, save)
    _evaluate_and_return(names, data, out, work, budget, summary, save)
    return summary


def _train(names: list[str], data: Path, work: Path, budget: Budget, summary: dict, save) -> None:
    logs = [work / f"fit_{n}.log" for n in names]
    runs = summary["runs"]
    args = [
        ["--fit", n, "--data", str(data), "--run-dir", str(work / n), "--epochs", str(runs[n]["epochs"])] for n in names
    ]
    for n, proc, log in zip(names, _workers(args, logs, budget), logs, strict=True):
        proc.wait()
        runs[n]["fit_exit"] = proc.returncode
        runs[n]["log_tail"] = log.read_text()[-2000:]
        metrics = work / n / "metrics.jsonl"
        if metrics.exists():
            runs[n]["epochs_log"] = [json.loads(line) for line in metrics.read_text().splitlines()]
        save()


def _evaluate_and_return(names: list[str], data: Path, out: Path, work: Path, budget: Budget, summary: dict, save):
    from trainer.evaluate import evaluate_checkpoint

    runs = summary["runs"]
    for n in names:
        model = work / n / "model.pt"
        if model.exists():
            runs[n]["valid"] = evaluate_checkpoint(model, data / "valid.npz", None, False, "auto", False)
            save()
    ranked = sorted((n for n in names if "valid" in runs[n]), key=lambda n: -runs[n]["valid"]["knn_accuracy"])
    files = 1  # summary.json
    for n in ranked:
        size = (work / n / "model.pt").stat().st_size
        if files + -(-size // budget.part_bytes) > budget.max_files:
            break
        runs[n]["parts"] = split_into(work / n / "model.pt", out, n, budget.part_bytes)
        files += len(runs[n]["parts"])
    summary["ranking"] = ranked
    save()
    for n in ranked:
        v = runs[n]["valid"]
        print(f"{n}: {runs[n]['epochs']} epochs, kNN {v['knn_accuracy']:.2f}, posterior {v['posterior_accuracy']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.gpu_budget", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with train.npz and valid.npz")
    parser.add_argument("--out", type=Path, help="where summary.json and the checkpoint parts go")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for probing, training and evaluating")
    parser.add_argument("--runs", default="fine,stock", help=f"comma-separated presets: {', '.join(PRESETS)}")
    parser.add_argument("--work", type=Path, default=Path("/tmp/albumsum_gpu"), help="run folders")
    parser.add_argument("--set", action="append", default=[], help="key=value for every run's config (repeatable)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-batches", type=int, default=Budget.probe_batches, help=argparse.SUPPRESS)
    parser.add_argument("--fit", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    if args.probe:
        print(json.dumps(probe(args.probe, args.data, settings, args.probe_batches)), flush=True)
    elif args.fit:
        fit(args.fit, args.data, args.run_dir, args.epochs, settings)
    else:
        names = [n for n in args.runs.split(",") if n]
        unknown = [n for n in names if n not in PRESETS]
        if unknown or not args.out:
            parser.error(f"unknown presets {unknown}" if unknown else "--out is required")
        drive(names, args.data, args.out, Budget(args.budget, settings), args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
