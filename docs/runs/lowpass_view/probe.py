"""A second test-time view at the same cost: the app embeds each face as the mean over the face and
its mirror image (two passes). Here the mirror is also low-passed (down-sampled to S px and back, as
the crowd-photo degradation's first step does), so a sharp face's embedding carries part of what
its small, blurred copy would give. Same two passes, so the same speed.

For each view, the training bank is embedded with it too, the class means are refitted on that bank
(σ and priors as stored), and on FER+ valid and its standard degraded copy (seed 0) it prints kNN
accuracy (k = 11; ours / paper's protocol), posterior accuracy (ours), degraded kNN, and how often a
face and its degraded copy get the same posterior emotion. Float32; bank embeddings cached in
~/albumsum-runs/lowpass_view_<view>.npz.

    python docs/runs/lowpass_view/probe.py [CHECKPOINT] [--sizes 0 32 24]   (0: the plain mirror)
"""

import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.gaussian import gaussian_log_posterior, log_priors_of
from albumsum.core.inference import Embedder, _prepare
from trainer.data import load_labelled
from trainer.degrade import degrade_images
from trainer.evaluate import load_for_evaluation
from trainer.evaluation import knn_predict


@torch.inference_mode()
def embed(e: Embedder, crops: np.ndarray, size: int) -> np.ndarray:
    out = []
    for s in range(0, len(crops), 256):
        x = _prepare(crops[s : s + 256], torch.device("cpu"), e.size, e.mean, e.std)
        m = torch.flip(x, dims=[3])
        if size:
            m = F.interpolate(m, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
            m = F.interpolate(m, size=(e.size, e.size), mode="bilinear", align_corners=False)
            m = m.contiguous(memory_format=torch.channels_last)
        z = e.net(torch.cat([x, m])).float()
        out.append((0.5 * (z[: len(x)] + z[len(x) :])).numpy())
    return np.concatenate(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    ap.add_argument("--sizes", type=int, nargs="+", default=[0, 32, 24])
    args = ap.parse_args()
    torch.set_num_threads(2)
    data = read_checkpoint(args.checkpoint)
    e = Embedder(data, device="cpu", bf16=False)
    valid = load_for_evaluation("../shared/data/ferplus/valid.npz")
    bad = degrade_images(valid.images, 0)
    train = load_labelled(data["train_config"]["train_data"])
    assert np.array_equal(train.labels, data["reference"]["labels"].numpy())
    paper = valid.paper_protocol()
    priors = log_priors_of(data["class_priors"])
    print(f"{args.checkpoint}: sigma {float(data['sigma']):.3f}")
    print("| second view | kNN ours / paper's | posterior ours | degraded kNN ours (gap) | same emotion |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        cache = os.path.expanduser(f"~/albumsum-runs/lowpass_view_{size}.npz")
        if not os.path.exists(cache):
            np.savez(cache, t=embed(e, train.images, size), v=embed(e, valid.images, size), d=embed(e, bad, size))
        c = np.load(cache)
        t, v, d = c["t"], c["v"], c["d"]
        means = torch.from_numpy(np.stack([t[train.labels == k].mean(0) for k in range(8)]))

        knn_v, knn_d = (knn_predict(z, t, train.labels) for z in (v, d))
        acc = 100 * np.mean(knn_v == valid.labels)
        acc_p = 100 * np.mean(knn_v[paper] == valid.labels[paper])
        acc_d = 100 * np.mean(knn_d == valid.labels)
        pv, pd = (
            gaussian_log_posterior(torch.from_numpy(z), means, float(data["sigma"]), priors).argmax(1).numpy()
            for z in (v, d)
        )
        name = f"mirror down-sampled to {size} px and back" if size else "mirror (the app's)"
        post_acc = 100 * np.mean(pv == valid.labels)
        same = 100 * np.mean(pv == pd)
        print(f"| {name} | {acc:.2f} / {acc_p:.2f} | {post_acc:.2f} | {acc_d:.2f} ({acc - acc_d:.1f}) | {same:.2f} % |")


if __name__ == "__main__":
    main()
