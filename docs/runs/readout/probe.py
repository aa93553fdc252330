"""Is the degraded faces' lost emotion in the embedding or in how it is read? (docs/RESULTS.md 6.17)

One network (the checkpoint's), its embeddings fixed, read out in several ways on FER+ valid and its
standard degraded copy (seed 0, as `evaluate --degrade`):

- kNN(11) against the stored training bank, and against that bank joined by the network's embeddings
  of degraded copies of the same training faces (seed 1, seeds 1 and 2): a gallery that holds
  degraded faces for degraded queries to find;
- the app's Gaussian posterior (the checkpoint's means, σ and priors), and heads fitted on the
  training bank alone or with its seed-1 degraded copy: linear discriminant analysis, logistic
  regression and quadratic discriminant analysis.

Each row: accuracy on the clean and the degraded copy (ours / the paper's protocol), the clean −
degraded gap (ours) and how often a face and its copy get the same emotion from that read-out. Then the
posterior's same emotion by how far the face's voters agreed, and a
bootstrap over valid's faces (2,000 resamples) of the shipped read-outs' gap and emotion survival:
how far the measured figures are from the issue's targets, in their own uncertainty.

    python docs/runs/readout/probe.py [CHECKPOINT]

Embeddings are float32 and shared with docs/runs/paired_subclasses/probe.py's cache.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parent / "paired_subclasses"))

from probe import Probe  # noqa: E402

from trainer.evaluation import knn_predict  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    args = ap.parse_args()
    probe = Probe(args.checkpoint)
    sha, emb, valid = probe.sha, probe.emb, probe.valid
    v, vd, td1, td2 = probe.v, probe.vd, probe.td1, probe.td2
    t, tl = probe.bank, probe.bank_labels
    y, paper = valid.labels, valid.paper_protocol()

    print(f"{args.checkpoint} ({sha}); FER+ valid, {len(y)} faces ({paper.sum()} on the paper's protocol)")
    print("| read-out | clean, ours / paper's | degraded, ours / paper's | gap (ours) | same emotion |")
    print("|---|---|---|---|---|")

    def row(name, a, b):
        ok, okd = a == y, b == y
        print(
            f"| {name} | {100 * ok.mean():.2f} / {100 * ok[paper].mean():.2f} | "
            f"{100 * okd.mean():.2f} / {100 * okd[paper].mean():.2f} | "
            f"{100 * (ok.mean() - okd.mean()):.2f} | {100 * (a == b).mean():.2f} % |",
            flush=True,
        )
        return a, b

    galleries = (
        ("kNN(11), the stored bank", t, tl),
        ("kNN(11), bank + its degraded copy (seed 1)", np.concatenate([t, td1]), np.concatenate([tl, tl])),
        ("kNN(11), bank + two degraded copies", np.concatenate([t, td1, td2]), np.concatenate([tl, tl, tl])),
    )
    knn = [row(name, knn_predict(v, bank, labels), knn_predict(vd, bank, labels)) for name, bank, labels in galleries]
    posterior = row("the app's Gaussian posterior", emb.posteriors(v).argmax(1), emb.posteriors(vd).argmax(1))
    sets = (("bank", t, tl), ("bank + degraded copy", np.concatenate([t, td1]), np.concatenate([tl, tl])))
    for train_name, x, labels in sets:
        heads = (
            ("LDA", LinearDiscriminantAnalysis()),
            ("logistic regression", LogisticRegression(max_iter=2000)),
            ("QDA", QuadraticDiscriminantAnalysis(reg_param=0.05)),
        )
        for head_name, head in heads:
            head.fit(x, labels)
            row(f"{head_name}, fitted on the {train_name}", head.predict(v), head.predict(vd))

    same_emotion = posterior[0] == posterior[1]
    share = valid.votes.max(1) / valid.votes.sum(1)
    print("the posterior's same emotion by how far the clean face's voters agreed (top emotion's share of votes):")
    for lo, hi in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        rows = (share >= lo) & (share < hi)
        right = posterior[0][rows] == y[rows]
        print(
            f"  {lo:.1f}-{min(hi, 1.0):.1f}: {rows.sum()} faces, same emotion {100 * same_emotion[rows].mean():.2f} %, "
            f"clean posterior right {100 * right.mean():.2f} %"
        )
    right = posterior[0] == y
    print(
        f"  paper's protocol {100 * same_emotion[paper].mean():.2f} %, "
        f"the rest {100 * same_emotion[~paper].mean():.2f} %; "
        f"faces the clean posterior gets right {100 * same_emotion[right].mean():.2f} %, "
        f"wrong {100 * same_emotion[~right].mean():.2f} %"
    )

    rng = np.random.default_rng(0)
    (a, b), (pa, pb) = knn[0], posterior
    gap, same = [], []
    for _ in range(2000):
        i = rng.integers(0, len(y), len(y))
        gap.append(100 * ((a[i] == y[i]).mean() - (b[i] == y[i]).mean()))
        same.append(100 * (pa[i] == pb[i]).mean())
    for name, x in (("kNN gap, ours (target <= 6)", gap), ("same emotion, posterior (target >= 88)", same)):
        lo, hi = np.percentile(x, [2.5, 97.5])
        print(f"bootstrap, {name}: {np.mean(x):.2f}, 95 % interval {lo:.2f} to {hi:.2f}")


if __name__ == "__main__":
    main()
