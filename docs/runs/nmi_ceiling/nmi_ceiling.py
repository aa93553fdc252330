"""How far k-means NMI can go on a checkpoint's embedding without training: the evaluation's k-means,
k-means started at the training class means (the clusters the SGM loss asks for), and k-means after
linear maps fitted on the training bank (within-class whitening, LDA, the span of the class means).

    python docs/runs/nmi_ceiling/nmi_ceiling.py resources/models/default.pt [valid.npz]

Prints, per space: kNN(11) accuracy (ours), k-means NMI (ours / the paper's protocol), k-means NMI
started at the class means (ours), and the sizes of the k-means clusters.
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import normalized_mutual_info_score as nmi

from albumsum.core.inference import Embedder
from trainer.data import load_labelled
from trainer.evaluation import knn_predict


def main(checkpoint: str, valid: str = "../shared/data/ferplus/valid.npz") -> None:
    embedder = Embedder.from_file(checkpoint, device="cpu")
    data = load_labelled(valid)
    z, y, paper = embedder.embed(data.images), data.labels, data.paper_protocol()
    bank = embedder.checkpoint["reference"]
    ref, ref_y = bank["embeddings"].float().numpy(), bank["labels"].numpy()
    classes = np.unique(ref_y)
    means = np.stack([ref[ref_y == c].mean(0) for c in classes])
    within = sum(np.cov((ref[ref_y == c] - means[i]).T) * (ref_y == c).sum() for i, c in enumerate(classes))
    values, vectors = np.linalg.eigh(within / len(ref))
    lda = LinearDiscriminantAnalysis().fit(ref, ref_y)
    span, _ = np.linalg.qr((means - means.mean(0)).T)
    spaces = {
        "embedding": lambda a: a,
        "within-class whitened": lambda a: (a - ref.mean(0)) @ (vectors / np.sqrt(values)),
        "LDA (7-d)": lda.transform,
        "span of the class means (7-d)": lambda a: a @ span[:, : len(classes) - 1],
    }
    print(f"{checkpoint} on {valid}: {len(y)} faces (ours), {int(paper.sum())} (paper's protocol)")
    print("within-class variance, largest 5 directions:", np.round(values[::-1][:5], 4))
    for name, f in spaces.items():
        q, r = f(z), f(ref)
        acc = 100 * (knn_predict(q, r, ref_y, 11, 8) == y).mean()
        ours = KMeans(len(np.unique(y)), n_init=10, random_state=0).fit_predict(q)
        theirs = KMeans(len(np.unique(y[paper])), n_init=10, random_state=0).fit_predict(q[paper])
        start = np.stack([r[ref_y == c].mean(0) for c in classes])
        seeded = KMeans(len(classes), init=start, n_init=1).fit_predict(q)
        seeded_paper = KMeans(len(classes), init=start, n_init=1).fit_predict(q[paper])
        print(
            f"{name:30s} kNN {acc:.2f}  NMI {100 * nmi(y, ours):.2f} / {100 * nmi(y[paper], theirs):.2f}"
            f"  from the class means {100 * nmi(y, seeded):.2f} / {100 * nmi(y[paper], seeded_paper):.2f}  clusters {np.bincount(ours).tolist()}"
        )
    print("faces per class (ours):", np.bincount(y).tolist())
    for label, q, truth in (("ours", z, y), ("paper's", z[paper], y[paper])):
        found = KMeans(len(classes), n_init=10, random_state=0).fit(q)
        seeded = KMeans(len(classes), init=means, n_init=1).fit(q)
        print(
            f"k-means inertia ({label}): {found.inertia_:.1f} for the partition it finds (NMI "
            f"{100 * nmi(truth, found.labels_):.2f}), {seeded.inertia_:.1f} started at the class means "
            f"(NMI {100 * nmi(truth, seeded.labels_):.2f})"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
