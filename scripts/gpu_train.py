"""The heaviest training runs of the default model, on a lent GPU, inside one `device` call.

    python3 scripts/gpu_train.py --data /tmp/ferplus --out "$OUT" [--budget 480] [--runs fine,stock]

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
with the machine's own torch. ``--probe`` and ``--fit`` are the driver's worker modes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMON = {"sampling_power": 0.5, "targets": "soft", "eval_every": 25, "progress": False}
PRESETS = {
    "fine": {"arch": "resnet18", "stem": "fine"},
    "deep": {"arch": "resnet18", "stem": "deep"},
    "stock": {"arch": "resnet18", "stem": "stock"},
}
PROBE_BATCHES = 12
MAX_EPOCHS = 300
RESERVE_S = 90.0  # after training: embed the training set, fit the mixtures, write, evaluate
SAFETY = 0.92  # of the probed epoch time: quick evaluations every eval_every epochs, a busier GPU
PART_BYTES = 15 * 1024 * 1024
MAX_FILES = 8


SETTINGS: dict[str, str] = {}  # --set key=value, for every run (after the preset)


def make_config(name: str, data: Path, out_dir: Path, **overrides):
    from trainer.config import TrainConfig, apply_overrides

    values = {
        **COMMON,
        **PRESETS[name],
        **SETTINGS,
        "train_data": str(data / "train.npz"),
        "valid_data": str(data / "valid.npz"),
        "out_dir": str(out_dir),
        **overrides,
    }
    return apply_overrides(TrainConfig(), values)


def probe(name: str, data: Path) -> dict[str, float]:
    """Seconds per full epoch of preset ``name``: a warm-up pass of a few batches, then a timed one."""
    import tempfile

    import torch

    from trainer.fit import Trainer, load_sets

    torch.backends.cudnn.benchmark = True
    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(name, data, Path(tmp), epochs=2, batches_per_epoch=PROBE_BATCHES, eval_every=0)
        train, _ = load_sets(config)
        trainer = Trainer(config, train)
        full_batches = max(1, len(train) // trainer.run.sampler.batch_size)  # as the trainer counts
        trainer.train_epoch()
        timed = trainer.train_epoch()
    return {"epoch_s": timed["epoch_s"] * full_batches / PROBE_BATCHES, "batches": full_batches}


def fit(name: str, data: Path, out_dir: Path, epochs: int) -> None:
    import logging

    import torch

    from trainer.fit import fit as run_fit

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    torch.backends.cudnn.benchmark = True
    run_fit(make_config(name, data, out_dir, epochs=epochs))


def _workers(args: list[list[str]], logs: list[Path]) -> list[subprocess.Popen]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    settings = [f"--set={k}={v}" for k, v in SETTINGS.items()]
    return [
        subprocess.Popen(
            [sys.executable, __file__, *a, *settings], stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env
        )
        for a, log in zip(args, logs, strict=True)
    ]


def split_into(path: Path, out: Path, stem: str) -> list[str]:
    data, names = path.read_bytes(), []
    for k in range(0, len(data), PART_BYTES):
        name = f"{stem}.pt.part{k // PART_BYTES + 1}"
        (out / name).write_bytes(data[k : k + PART_BYTES])
        names.append(name)
    return names


def drive(names: list[str], data: Path, out: Path, budget: float, work: Path) -> None:
    start = time.time()
    summary: dict = {"runs": {}, "budget_s": budget}
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        summary["elapsed_s"] = round(time.time() - start, 1)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    import torch

    summary["device"] = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    summary["torch"] = torch.__version__
    logs = [work / f"probe_{n}.log" for n in names]
    for proc in _workers([["--probe", n, "--data", str(data)] for n in names], logs):
        proc.wait()
    for n, log in zip(names, logs, strict=True):
        found = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        if not found:
            raise SystemExit(f"probe of {n} failed:\n{log.read_text()[-3000:]}")
        left = budget - (time.time() - start) - RESERVE_S
        epochs = int(max(1, min(MAX_EPOCHS, SAFETY * left // found[-1]["epoch_s"])))
        summary["runs"][n] = {**found[-1], "epochs": epochs, "config": make_config(n, data, work / n).to_dict()}
    save()
    logs = [work / f"fit_{n}.log" for n in names]
    procs = _workers(
        [
            ["--fit", n, "--data", str(data), "--run-dir", str(work / n), "--epochs", str(summary["runs"][n]["epochs"])]
            for n in names
        ],
        logs,
    )
    for n, proc, log in zip(names, procs, logs, strict=True):
        proc.wait()
        summary["runs"][n]["fit_exit"] = proc.returncode
        summary["runs"][n]["log_tail"] = log.read_text()[-2000:]
        metrics = work / n / "metrics.jsonl"
        if metrics.exists():
            summary["runs"][n]["epochs_log"] = [json.loads(line) for line in metrics.read_text().splitlines()]
        save()

    from trainer.evaluate import evaluate_checkpoint

    for n in names:
        model = work / n / "model.pt"
        if model.exists():
            summary["runs"][n]["valid"] = evaluate_checkpoint(model, data / "valid.npz", None, False, "auto", False)
            save()
    ranked = sorted(
        (n for n in names if "valid" in summary["runs"][n]),
        key=lambda n: -summary["runs"][n]["valid"]["knn_accuracy"],
    )
    files = 1
    for n in ranked:
        size = (work / n / "model.pt").stat().st_size
        if files + -(-size // PART_BYTES) > MAX_FILES:
            break
        summary["runs"][n]["parts"] = split_into(work / n / "model.pt", out, n)
        files += len(summary["runs"][n]["parts"])
    summary["ranking"] = ranked
    save()
    for n in ranked:
        v = summary["runs"][n]["valid"]
        epochs = summary["runs"][n]["epochs"]
        print(f"{n}: {epochs} epochs, kNN {v['knn_accuracy']:.2f}, posterior {v['posterior_accuracy']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with train.npz and valid.npz")
    parser.add_argument("--out", type=Path, help="where summary.json and the checkpoint parts go")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for probing, training and evaluating")
    parser.add_argument("--runs", default="fine,stock", help=f"comma-separated presets: {', '.join(PRESETS)}")
    parser.add_argument("--work", type=Path, default=Path("/tmp/albumsum_gpu"), help="run folders")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--fit", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", default=[], help="key=value for every run's config (repeatable)")
    args = parser.parse_args()
    SETTINGS.update(item.split("=", 1) for item in args.set)
    if args.probe:
        print(json.dumps(probe(args.probe, args.data)), flush=True)
    elif args.fit:
        fit(args.fit, args.data, args.run_dir, args.epochs)
    else:
        names = [n for n in args.runs.split(",") if n]
        unknown = [n for n in names if n not in PRESETS]
        if unknown or not args.out:
            parser.error(f"unknown presets {unknown}" if unknown else "--out is required")
        drive(names, args.data, args.out, args.budget, args.work)


if __name__ == "__main__":
    main()
