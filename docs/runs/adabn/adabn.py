"""Batch-norm statistics of their own for small faces (AdaBN), as the app could keep them per face size
(docs/RESULTS.md 6.18).

The network's weights stay; only its batch norms' running means and variances are estimated again,
as cumulative averages over one pass (each face with its mirror image, as the app embeds), on:

- the training faces' degraded copy (seed 1): statistics for small faces;
- the training faces themselves (no augmentation): the same estimate on sharp faces, to tell the
  effect of re-estimating from that of degrading;
- both together.

Each row reads FER+ valid's standard degraded copy (seed 0, as `evaluate --degrade`) with those
statistics and the checkpoint's means, σ, priors and bank: the posterior's accuracy (ours / the
paper's protocol), how often it names the emotion the shipped network names on the sharp face, and
kNN(11) accuracy. About 8 minutes a pass over the training faces on a 2-core CPU with a training beside it.

    python docs/runs/adabn/adabn.py [CHECKPOINT]   # output: adabn.txt
"""

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parent / "paired_subclasses"))

from probe import Probe  # noqa: E402

from albumsum.core.checkpoint import network_from_checkpoint  # noqa: E402
from albumsum.core.inference import _prepare, embed_crops  # noqa: E402
from trainer.data import load_labelled  # noqa: E402
from trainer.degrade import degrade_images  # noqa: E402
from trainer.evaluation import knn_predict  # noqa: E402


def main(checkpoint: str = "resources/models/default.pt") -> None:
    probe = Probe(checkpoint)
    emb, data = probe.emb, probe.data
    y, paper = probe.valid.labels, probe.valid.paper_protocol()
    spec = data["input_spec"]
    size, mean, std = int(spec["size"]), float(spec["mean"]), float(spec["std"])
    net = network_from_checkpoint(data, checkpoint)
    train = load_labelled(data["train_config"]["train_data"])
    degraded_train = degrade_images(train.images, 1)
    degraded_valid = degrade_images(probe.valid.images, 0)
    norms = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    sharp = emb.posteriors(probe.v).argmax(1)

    def adapt(images: np.ndarray) -> None:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the pass
        net.train()
        with torch.no_grad():
            for start in range(0, len(images), 256):
                x = _prepare(images[start : start + 256], torch.device("cpu"), size, mean, std)
                net(torch.cat([x, torch.flip(x, dims=[3])]))
        net.eval()

    def report(name: str, z: np.ndarray) -> None:
        read = emb.posteriors(z).argmax(1)
        knn = knn_predict(z, probe.bank, probe.bank_labels)
        right, knn_right = read == y, knn == y
        print(
            f"| {name} | {100 * right.mean():.2f} / {100 * right[paper].mean():.2f} | "
            f"{100 * (read == sharp).mean():.2f} % | "
            f"{100 * knn_right.mean():.2f} / {100 * knn_right[paper].mean():.2f} |",
            flush=True,
        )

    def embed(images: np.ndarray) -> np.ndarray:
        return embed_crops(net, images, size=size, mean=mean, std=std, flip_tta=True)

    print(f"{checkpoint} ({probe.sha}); {len(norms)} batch norms; FER+ valid's degraded copy, {len(y)} faces")
    header = (
        "batch-norm statistics",
        "degraded posterior, ours / paper's",
        "same emotion",
        "degraded kNN, ours / paper's",
    )
    print("| " + " | ".join(header) + " |")
    print("|---" * len(header) + "|")
    report("the checkpoint's (from training)", probe.vd)
    adapt(degraded_train)
    report("the degraded training faces'", embed(degraded_valid))
    adapt(train.images)
    read = emb.posteriors(embed(probe.valid.images)).argmax(1)
    print(f"(the sharp training faces' statistics read sharp valid at {100 * (read == y).mean():.2f}, ours)")
    report("the sharp training faces'", embed(degraded_valid))
    adapt(np.concatenate([train.images, degraded_train]))
    report("both", embed(degraded_valid))


if __name__ == "__main__":
    main(*sys.argv[1:])
