"""Sub-class survival under degradation for mixtures in the whole emotion span, in its steady
directions (1-4 of them, "robust"), and in its top principal directions ("pca"), with 2 or 3
components; the probe behind docs/RESULTS.md section 6.6 (printed figures: same sub-class on the
degraded copy among faces whose posterior emotion held, MI with the second-choice vote, emotions
linked). Embeds FER+ valid and train and their degraded copies under bfloat16 once, cached in
~/albumsum-runs/steady_probe.npz.

    python docs/runs/steady_subclasses/probe.py
"""

import os

import numpy as np
import scipy.linalg
import torch
from sklearn.mixture import GaussianMixture

from albumsum.core.inference import Embedder
from trainer.data import load_labelled
from trainer.degrade import degrade_images
from trainer.emotion_span import EmotionSpan
from trainer.evaluate import load_for_evaluation
from trainer.structure import vote_structure
from trainer.subspaces import components_for

torch.set_num_threads(2)
ck = "resources/models/default.pt"
e = Embedder.from_file(ck, device="cpu", bf16=True)
C = os.path.expanduser("~/albumsum-runs/steady_probe.npz")
valid = load_for_evaluation("../shared/data/ferplus/valid.npz")
train = load_labelled("../shared/data/ferplus/train.npz")
if not os.path.exists(C):
    v, vd = e.embed(valid.images), e.embed(degrade_images(valid.images, 0))
    t, td = e.embed(train.images), e.embed(degrade_images(train.images, 1))
    np.savez(C, v=v, vd=vd, t=t, td=td)
d = np.load(C)
v, vd, t, td = d["v"], d["vd"], d["t"], d["td"]
means = e.class_means.numpy()
span = EmotionSpan.from_means(means)


def P(z):
    return span.project(z)


tv, tdv, vv, vdv = P(t), P(td), P(v), P(vd)
em, emd = e.posteriors(v).argmax(1), e.posteriors(vd).argmax(1)
same = em == emd
second = valid.second_choice()
print("survive emotion %.2f" % (100 * same.mean()))


def run(r, mode, comps=3, seed=0):
    sub, subd = np.zeros(len(v), int), np.zeros(len(v), int)
    mis = []
    for c in range(8):
        rows = train.labels == c
        X, D = tv[rows], tdv[rows] - tv[rows]
        if mode == "robust":
            B = np.cov(X.T)
            W = (D.T @ D) / len(D)
            _, V = scipy.linalg.eigh(B, W)
            A = V[:, ::-1][:, :r]
        elif mode == "pca":
            _w, V = np.linalg.eigh(np.cov(X.T))
            A = V[:, ::-1][:, :r]
        else:
            A = np.eye(X.shape[1])
        k = components_for(rows.sum(), comps, 64)
        g = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed, max_iter=200).fit(X @ A)
        for arr, coords, emo in ((sub, vv, em), (subd, vdv, emd)):
            m = emo == c
            if m.any():
                arr[m] = g.predict(coords[m] @ A)
        lab = valid.labels == c
        if k > 1:
            s = vote_structure(g.predict(vv[lab] @ A), second[lab], repeats=100)
            if "mi_bits" in s:
                mis.append((s["mi_bits"], s["mi_random_mean"], s["p_value"] < 0.05))
    surv = 100 * np.mean(sub[same] == subd[same])
    mi = np.mean([m[0] for m in mis])
    mr = np.mean([m[1] for m in mis])
    linked = sum(m[2] for m in mis)
    print(
        f"{mode:6s} r={r} comps={comps}: same sub-class {surv:.2f} %, MI {mi:.3f} (random {mr:.3f}),"
        f" linked {linked} of {len(mis)}"
    )


run(7, "span")
run(7, "span", comps=2)
for r in (1, 2, 3, 4):
    run(r, "robust")
for r in (1, 2, 3):
    run(r, "pca")
run(2, "robust", comps=2)
for seed in (1, 2):
    run(7, "span", seed=seed)
    run(2, "robust", seed=seed)
    run(2, "robust", comps=2, seed=seed)
