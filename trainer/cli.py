"""``albumsum-train``: fit, evaluate, embed and prepare data (also ``python -m trainer``).

albumsum-train fit [--config FILE] [--key=value ...]
albumsum-train subspaces --checkpoint C [--config FILE] [--key=value ...]
albumsum-train subclasses --checkpoint C --out C2 [--space emotions|steady|embedding] [--components 3] [--data T.npz]
                          [--paired] [--keep 0.8]
albumsum-train calibrate --checkpoint C --out C2
albumsum-train evaluate --checkpoint C --data D.npz [--reference R.npz] [--detect] [--bf16 [on|off|auto]]
                        [--degrade] [--out M.json]
albumsum-train embed --checkpoint C --data D.npz --out E.npz
albumsum-train report --checkpoint C [C ...] --data D.npz --out DIR [--label L ...]
albumsum-train prepare ferplus|fer2013|folders ... --out D.npz
albumsum-train gpu-budget --data DIR --out DIR [--budget 480] [--runs fine,stock]
albumsum-train recrop --checkpoint C --data D.npz [--n 300] [--skip 0] [--out R.json] [--detections D.npz]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from trainer.config import ConfigError, build_config

log = logging.getLogger("trainer")


def _cmd_fit(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.fit import fit

    print(fit(build_config(args.config, extra)))
    return 0


def _cmd_subspaces(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.config import load_config_file, parse_cli_overrides
    from trainer.dgm import run_subspaces

    overrides = load_config_file(args.config) if args.config else {}
    overrides.update(parse_cli_overrides(extra))
    print(run_subspaces(args.checkpoint, overrides))
    return 0


def _cmd_subclasses(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.emotion_span import refit_checkpoint

    out = refit_checkpoint(
        args.checkpoint,
        args.out,
        args.space,
        args.components,
        args.min_size,
        train_data=args.data,
        paired=args.paired,
        keep=args.keep,
    )
    print(out)
    return 0


def _cmd_calibrate(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.calibrate import calibrate_checkpoint

    print(calibrate_checkpoint(args.checkpoint, args.out))
    return 0


def _cmd_gpu_budget(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.gpu_budget import main as gpu_budget

    return gpu_budget(extra)


def _cmd_report(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.report import build_report

    labels = args.label or [f"model {i + 1}" for i in range(len(args.checkpoint))]
    if len(labels) != len(args.checkpoint):
        raise ValueError(f"{len(args.checkpoint)} checkpoints but {len(labels)} labels")
    build_report(
        args.checkpoint,
        labels,
        args.data,
        args.out,
        emotion=args.emotion,
        device=args.device,
        face_figures=not args.no_faces,
    )
    print((Path(args.out) / "table.md").read_text())
    return 0


# evaluate --bf16 on|off|auto -> Embedder(bf16=...): None lets it choose as the app does (inference.fast_bf16)
BF16_CHOICES = {"on": True, "off": False, "auto": None}


def _cmd_evaluate(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.evaluate import evaluate_checkpoint, format_table, write_json

    metrics = evaluate_checkpoint(
        args.checkpoint, args.data, args.reference, args.detect, args.device, BF16_CHOICES[args.bf16], args.degrade
    )
    print(format_table(metrics))
    if args.out:
        write_json(metrics, args.out)
        log.info("wrote %s", args.out)
    return 0


def _cmd_embed(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.evaluate import embed_file

    n = embed_file(args.checkpoint, args.data, args.out, args.device)
    log.info("wrote %d embeddings to %s", n, args.out)
    return 0


def _cmd_recrop(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer.recrop import format_recrop, run_recrop

    metrics = run_recrop(
        args.checkpoint, args.data, args.n, args.skip, args.seed, args.device, args.out, args.detections
    )
    print(format_recrop(metrics))
    return 0


def _cmd_prepare(args: argparse.Namespace, extra: list[str]) -> int:
    from trainer import importers

    if args.source == "ferplus":
        report = importers.import_ferplus_folder(args.inputs[0], args.out)
    elif args.source == "fer2013":
        if len(args.inputs) != 2:
            raise ValueError("prepare fer2013 takes two files: fer2013.csv fer2013new.csv")
        report = importers.import_fer2013_csv(args.inputs[0], args.inputs[1], args.out, usage=args.usage)
    else:
        report = importers.import_class_folders(args.inputs[0], args.out, size=args.size)
    print(report.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="albumsum-train", description="Train and evaluate albumsum's Structured Gaussian Manifold embedding."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fit", help="train an embedding; settings as --key=value (see trainer/config.py)")
    p.add_argument("--config", help="a .toml or .json file of settings, applied before --key=value")
    p.set_defaults(func=_cmd_fit, takes_extra=True)

    p = sub.add_parser("subspaces", help="Algorithm 2: fine-tune a checkpoint on EM sub-classes, levels 2..L")
    p.add_argument("--checkpoint", required=True, help="a checkpoint trained on emotions (level 1)")
    p.add_argument("--config", help="a .toml or .json file of settings, applied before --key=value")
    p.set_defaults(func=_cmd_subspaces, takes_extra=True)

    p = sub.add_parser(
        "gpu-budget",
        add_help=False,
        help="train candidate networks on a lent GPU within a time budget (options: gpu-budget --help)",
    )
    p.set_defaults(func=_cmd_gpu_budget, takes_extra=True)

    p = sub.add_parser("subclasses", help="refit a checkpoint's sub-class mixtures on its stored training embeddings")
    p.add_argument("--checkpoint", required=True, help="model checkpoint (.pt)")
    p.add_argument("--out", required=True, help="the checkpoint to write")
    p.add_argument(
        "--space",
        default="emotions",
        choices=("emotions", "steady", "embedding"),
        help="fit in the span of the emotion means (default), in its directions that degradation moves "
        "least (steady), or in the whole embedding",
    )
    p.add_argument("--data", help="steady: the training set to degrade (default: the one its config names)")
    p.add_argument("--components", type=int, default=3, help="Gaussians per emotion (fewer for small emotions)")
    p.add_argument("--min-size", type=int, default=64, help="faces a component needs at least")
    p.add_argument(
        "--paired", action="store_true", help="steady: keep a face and its degraded copy in one component while fitting"
    )
    p.add_argument(
        "--keep",
        type=float,
        default=0.0,
        help="steady: give each emotion the most components (--components down to 2) whose sub-class holds on "
        "another degraded copy of the training faces for at least this share of them (0: always --components)",
    )
    p.set_defaults(func=_cmd_subclasses)

    p = sub.add_parser("calibrate", help="refit a checkpoint's posterior sigma on its stored training embeddings")
    p.add_argument("--checkpoint", required=True, help="model checkpoint (.pt)")
    p.add_argument("--out", required=True, help="the checkpoint to write")
    p.set_defaults(func=_cmd_calibrate)

    for name, func, help_text in [
        ("evaluate", _cmd_evaluate, "the evaluation protocol, as a table and JSON"),
        ("embed", _cmd_embed, "write embeddings and posteriors of a set"),
    ]:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--checkpoint", required=True, help="model checkpoint (.pt)")
        p.add_argument("--data", required=True, help="labelled faces (.npz: images + votes or labels)")
        p.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:1 ...")
        p.set_defaults(func=func)
        if name == "evaluate":
            p.add_argument("--reference", help="kNN reference set (default: the training set of the checkpoint)")
            p.add_argument("--detect", action="store_true", help="images are full frames: find faces first")
            p.add_argument(
                "--bf16",
                nargs="?",
                const="on",
                default="off",
                choices=("on", "off", "auto"),
                help="embed under bfloat16 autocast (--bf16 or --bf16 on), or as the app would on this device: "
                "bfloat16 only where it is native and fast (--bf16 auto); float32 without the flag",
            )
            p.add_argument(
                "--degrade",
                action="store_true",
                help="also evaluate a seeded degraded copy (small, blurred, dark, noisy, JPEG faces)",
            )
            p.add_argument("--out", help="write the metrics as JSON here")
        else:
            p.add_argument("--out", required=True, help="output .npz")

    p = sub.add_parser("report", help="the paper's tables and figures for one or more checkpoints")
    p.add_argument(
        "--checkpoint", required=True, nargs="+", help="checkpoints; the first one gets the t-SNE and sub-class figures"
    )
    p.add_argument("--label", nargs="+", help="a name per checkpoint (e.g. SGMLoss TripletLoss CNN)")
    p.add_argument("--data", required=True, help="labelled faces to evaluate on (.npz)")
    p.add_argument("--out", required=True, help="folder for table.md, report.json and the PNG figures")
    p.add_argument("--emotion", default="happiness", help="the emotion of the sub-class figures")
    p.add_argument("--no-faces", action="store_true", help="skip the figure that shows face images")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("recrop", help="agreement of predictions on app re-crops of faces placed in scenes")
    p.add_argument("--checkpoint", required=True, help="model checkpoint (.pt)")
    p.add_argument("--data", required=True, help="labelled 48x48 faces (.npz), e.g. FER+ valid")
    p.add_argument("--n", type=int, default=300, help="faces to place (each at 3 sizes x 3 angles)")
    p.add_argument("--skip", type=int, default=0, help="skip the first faces of the seeded shuffle (held out)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", help="write the measures as JSON here")
    p.add_argument("--detections", help="save the faces found here (.npz); reused for the same faces and scenes")
    p.set_defaults(func=_cmd_recrop)

    p = sub.add_parser("prepare", help="convert a dataset into the labelled npz contract")
    p.add_argument(
        "source",
        choices=["ferplus", "fer2013", "folders"],
        help="ferplus: a FERPlus split folder (label.csv + PNGs); fer2013: fer2013.csv and "
        "fer2013new.csv; folders: one sub-folder of images per emotion",
    )
    p.add_argument("inputs", nargs="+", help="the folder, or the two CSV files for fer2013")
    p.add_argument("--out", required=True, help="output .npz")
    p.add_argument("--usage", default="Training", help="fer2013: Training, PublicTest or PrivateTest")
    p.add_argument("--size", type=int, default=48, help="folders: output side in pixels")
    p.set_defaults(func=_cmd_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "takes_extra", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args, extra)
    except Exception as exc:
        if isinstance(exc, ConfigError | ValueError | FileNotFoundError | RuntimeError | OSError):
            log.error("%s", exc)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
