"""Sub-class survival under degradation for three ways of fitting each emotion's mixture in its two
steady directions (docs/RESULTS.md section 6.6), on one network (the shipped default):

- ``shipped``: EM on the training faces (the default's fit, refitted here as a check);
- ``paired``: EM in which a training face and its degraded copy (seed 1, the copy the steady
  directions come from) must share a component (``trainer.subspaces.paired_mixture``). Faces are
  then assigned one by one, as the app does;
- ``union``: EM on the training faces and their degraded copies together, unconstrained.

Each with 2, 3 or 4 components per emotion, and a per-emotion count chosen on training faces only:
the most components whose sub-class holds on a second degraded copy of the training faces (seed 2,
not used by any fit) at least ``--keep`` of the time. Printed, on FER+ valid and its standard degraded
copy (seed 0, as `evaluate --degrade`): same sub-class on the degraded copy among faces whose
posterior emotion held, the sub-classes' mutual information with the second-choice vote (bits;
random splits of the same sizes; emotions linked at p < 0.05) and the number of sub-classes.
Embeddings in float32, cached in ~/albumsum-runs/paired_probe_<sha>.npz.

    python docs/runs/paired_subclasses/probe.py [CHECKPOINT] [--keep 0.8] [--seed 0] [--starts 4]

docs/RESULTS.md 6.15 ran it on the default before it (939d0a69a4cbea5d: `git show fc464ec:resources/models/default.pt`):
probe_seeds.txt holds seeds 0, 1 and 2 in that order (4 starts), probe_one_start.txt seed 0 with one start.
"""

import argparse
import hashlib
import os

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.gaussian import gmm_log_responsibilities
from albumsum.core.groups import model_subclasses
from albumsum.core.inference import Embedder
from trainer.degrade import degrade_images
from trainer.emotion_span import EmotionSpan, degraded_training_embeddings, steady_directions
from trainer.evaluate import load_for_evaluation
from trainer.structure import vote_structure
from trainer.subspaces import components_for, paired_mixture

REG = 1e-3


def fit_one(mode, x, xd, k, seed, starts):
    if mode == "paired" and k > 1:
        m = paired_mixture(x, xd, k, seed, REG, starts=starts)
        return m.weights, m.means, m.covariances
    data = np.concatenate([x, xd]) if mode == "union" else x
    g = GaussianMixture(k, covariance_type="full", reg_covar=REG, random_state=seed).fit(data)
    return g.weights_, g.means_, g.covariances_


def assign(params, x):
    return gmm_log_responsibilities(x, *params).argmax(1)


class Probe:
    """A checkpoint as both probes read it: its data, SHA-256 prefix, float32 embedder, FER+ valid,
    and float32 embeddings of valid (``v``), its standard degraded copy (seed 0, ``vd``) and two
    degraded copies of the training faces (seeds 1 and 2, ``td1``, ``td2``), cached in
    ~/albumsum-runs/paired_probe_<sha>.npz."""

    def __init__(self, checkpoint):
        torch.set_num_threads(2)
        self.data = read_checkpoint(checkpoint)
        with open(checkpoint, "rb") as f:
            self.sha = hashlib.sha256(f.read()).hexdigest()[:16]
        self.emb = Embedder(self.data, device="cpu", bf16=False)
        self.valid = load_for_evaluation("../shared/data/ferplus/valid.npz")
        cache = os.path.expanduser(f"~/albumsum-runs/paired_probe_{self.sha}.npz")
        if not os.path.exists(cache):
            v, vd = self.emb.embed(self.valid.images), self.emb.embed(degrade_images(self.valid.images, 0))
            td1 = degraded_training_embeddings(checkpoint, self.data, None, 1)
            td2 = degraded_training_embeddings(checkpoint, self.data, None, 2)
            np.savez(cache, v=v, vd=vd, td1=td1, td2=td2)
        c = np.load(cache)
        self.v, self.vd, self.td1, self.td2 = c["v"], c["vd"], c["td1"], c["td2"]
        self.bank = self.data["reference"]["embeddings"].float().numpy()
        self.bank_labels = self.data["reference"]["labels"].numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    ap.add_argument("--keep", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=0, help="EM's seed (paired: the first of its starts)")
    ap.add_argument("--starts", type=int, default=4, help="paired EM's starts (trainer.subspaces.paired_mixture)")
    args = ap.parse_args()
    probe = Probe(args.checkpoint)
    data, sha, emb, valid = probe.data, probe.sha, probe.emb, probe.valid
    v, vd, td1, td2 = probe.v, probe.vd, probe.td1, probe.td2
    t, labels = probe.bank, probe.bank_labels
    names = emb.class_names
    em, emd = emb.posteriors(v).argmax(1), emb.posteriors(vd).argmax(1)
    same = em == emd
    second = valid.second_choice()
    sub = model_subclasses(v, em, data["subclasses"], names)
    subd = model_subclasses(vd, emd, data["subclasses"], names)
    print(f"EM seed {args.seed}, paired starts {args.starts}, keep {args.keep}")
    print(
        f"{args.checkpoint} ({sha}): same emotion {100 * same.mean():.2f} %, the checkpoint's own sub-classes "
        f"{100 * np.mean(sub[same] == subd[same]):.2f} %"
    )
    span = EmotionSpan.from_means(data["class_means"].numpy())
    bases = {}
    for k in range(len(names)):
        rows = labels == k
        bases[k] = span.basis @ steady_directions(span.project(t[rows]), span.project(td1[rows]))

    def coords(k, z):
        return (z - span.centre) @ bases[k]

    fits = {}  # (mode, emotion, K) -> params, train survival on seed 2
    for mode in ("shipped", "paired", "union"):
        for k in range(len(names)):
            rows = labels == k
            x, xd1, xd2 = coords(k, t[rows]), coords(k, td1[rows]), coords(k, td2[rows])
            for K in (2, 3, 4):
                kk = components_for(int(rows.sum()), K, 64)
                p = fit_one(mode, x, xd1, kk, args.seed, args.starts)
                fits[mode, k, K] = (p, float(np.mean(assign(p, x) == assign(p, xd2))), kk)

    def report(mode, choose):
        s, sd = np.zeros(len(v), int), np.zeros(len(v), int)
        mis, total, per = [], 0, []
        for k in range(len(names)):
            p, _, kk = fits[mode, k, choose(mode, k)]
            total += kk
            per.append(kk)
            for arr, z, e in ((s, v, em), (sd, vd, emd)):
                m = e == k
                if m.any():
                    arr[m] = assign(p, coords(k, z[m]))
            lab = valid.labels == k
            if kk > 1:
                r = vote_structure(assign(p, coords(k, v[lab])), second[lab], repeats=100)
                if "mi_bits" in r:
                    mis.append((r["mi_bits"], r["mi_random_mean"], r["p_value"] < 0.05))
        surv = 100 * np.mean(s[same] == sd[same])
        mi, mr, linked = np.mean([m[0] for m in mis]), np.mean([m[1] for m in mis]), sum(m[2] for m in mis)
        return surv, mi, mr, linked, len(mis), total, per

    def fixed(K):
        return lambda mode, k: K

    def chosen(mode, k):
        ok = [K for K in (2, 3, 4) if fits[mode, k, K][1] >= args.keep]
        return max(ok) if ok else 2

    print("| fit | components | same sub-class | MI bits (random) | linked | sub-classes | per emotion |")
    print("|---|---|---|---|---|---|---|")
    for mode in ("shipped", "paired", "union"):
        for label, rule in (("2", fixed(2)), ("3", fixed(3)), ("4", fixed(4)), (f"chosen, keep {args.keep}", chosen)):
            surv, mi, mr, linked, split, total, per = report(mode, rule)
            print(f"| {mode} | {label} | {surv:.2f} % | {mi:.3f} ({mr:.3f}) | {linked} of {split} | {total} | {per} |")
    print("training faces' sub-class survival on their seed-2 copy, per emotion (K = 2 / 3 / 4):")
    for mode in ("shipped", "paired", "union"):
        cells = [" / ".join(f"{100 * fits[mode, k, K][1]:.0f}" for K in (2, 3, 4)) for k in range(len(names))]
        print(f"  {mode}: " + "; ".join(f"{names[k]} {c}" for k, c in enumerate(cells)))


if __name__ == "__main__":
    main()
