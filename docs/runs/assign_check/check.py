"""How often the app's assignment (``ClassMixture.assign``, with its covariance ridge) and sklearn's
``GaussianMixture.predict`` disagree on a plain EM fit's own training faces, the fit that
``trainer.subspaces.fit_subclasses`` now labels with the app's code: per emotion, 3 components (fewer
where the emotion is small, ``components_for``), in the emotion span and in its steady directions
(docs/RESULTS.md 6.6), on the checkpoint's training bank (the steady directions from its degraded
copy, seed 1, read from docs/runs/paired_subclasses/probe.py's cache).

    python docs/runs/assign_check/check.py [CHECKPOINT]     # output: docs/runs/assign_check/check.txt
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.mixture import GaussianMixture

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE.parent / "paired_subclasses"))

from probe import Probe  # noqa: E402

from trainer.emotion_span import EmotionSpan, steady_directions  # noqa: E402
from trainer.subspaces import ClassMixture, components_for  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint", nargs="?", default="resources/models/default.pt")
    args = ap.parse_args()
    probe = Probe(args.checkpoint)
    bank, labels = probe.bank.astype(np.float64), probe.bank_labels
    span = EmotionSpan.from_means(probe.data["class_means"].numpy())
    print(f"{args.checkpoint} ({probe.sha}): {len(labels)} training faces")
    for space in ("emotions", "steady"):
        differ = 0
        for c in np.unique(labels):
            rows = labels == c
            x = span.project(bank[rows])
            if space == "steady":
                x = x @ steady_directions(x, span.project(probe.td1[rows]))
            k = components_for(int(rows.sum()), 3, 64)
            gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=0, max_iter=200).fit(x)
            app = ClassMixture(gmm.weights_, gmm.means_, gmm.covariances_).assign(x)
            differ += int((app != gmm.predict(x)).sum())
        print(f"{space}: the two assignments differ on {differ} faces ({100 * differ / len(labels):.3f} %)")


if __name__ == "__main__":
    main()
