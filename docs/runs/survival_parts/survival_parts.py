"""Where a face's emotion is lost on its degraded copy: each part of the degradation alone.

    python docs/runs/survival_parts/survival_parts.py [CHECKPOINT] [--data ../shared/data/ferplus/valid.npz]

The standard degraded copy of FER+ valid (``trainer/degrade.py``, seed 0) takes every face through
down-sampling to 16-32 px and back, blur, darkening, noise and JPEG at quality 20-60. Here each part
runs alone (the others set to leave the face as it is; JPEG then at quality 100), and the
down-sampling alone at fixed sides, and the figures ``albumsum-train evaluate --degrade`` reports
are printed for each: how often the face's emotion (the posterior's argmax, as the app names it)
and its sub-class survive, and kNN accuracy on the copy, both protocols. Float32 embeddings.

The last row is the standard degradation with crops of 22-32 px only: the app cuts a face's crop at
about 1.09x its detected box's shorter side (median over the shared album's 160 faces; 1.02-1.17 for
the middle 80 %), so the smallest face it indexes at its 20 px minimum makes a crop of about 22 px.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from albumsum.core.inference import Embedder  # noqa: E402
from trainer.degrade import Degrade  # noqa: E402
from trainer.evaluate import degradation_metrics, evaluate_embedder, load_for_evaluation  # noqa: E402

# every part off: no down-sampling (to 48 px and back is the identity), no blur, no darkening, no
# noise, JPEG at quality 100
NONE = Degrade(prob=1.0, min_side=48, max_side=48, max_blur=0.0, max_gamma=1.0, min_gain=1.0, max_noise=0.0,
               min_quality=100, max_quality=100)  # fmt: skip
STANDARD = Degrade()


def variants() -> list[tuple[str, Degrade]]:
    rows = [
        ("the standard degradation (all parts)", STANDARD),
        ("none (JPEG at quality 100 only)", NONE),
        ("down-sampling to 16-32 px alone", replace(NONE, min_side=STANDARD.min_side, max_side=STANDARD.max_side)),
        ("blur alone (sigma 0-1 px)", replace(NONE, max_blur=STANDARD.max_blur)),
        ("darkening alone", replace(NONE, max_gamma=STANDARD.max_gamma, min_gain=STANDARD.min_gain)),
        ("noise alone", replace(NONE, max_noise=STANDARD.max_noise)),
        ("JPEG 20-60 alone", replace(NONE, min_quality=STANDARD.min_quality, max_quality=STANDARD.max_quality)),
        ("all but the down-sampling", replace(STANDARD, min_side=48, max_side=48)),
        ("the standard, crops of 22-32 px", replace(STANDARD, min_side=22)),
    ]
    rows += [
        (f"down-sampling to {side} px alone", replace(NONE, min_side=side, max_side=side))
        for side in (16, 20, 24, 28, 32)
    ]
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", nargs="?", default=str(ROOT / "resources" / "models" / "default.pt"))
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ferplus" / "valid.npz"))
    args = p.parse_args()
    embedder = Embedder.from_file(args.checkpoint, device="cpu", bf16=False)
    test = load_for_evaluation(args.data)
    clean, emb, ref_emb, ref_labels = evaluate_embedder(embedder, test)
    print(
        f"{args.checkpoint} on {args.data}: clean kNN {clean['knn_accuracy']:.2f} / {clean['paper_knn_accuracy']:.2f}"
    )
    print(f"{'degradation':<40}{'same emotion %':>15}{'same sub-class %':>17}{'kNN ours':>10}{'kNN paper':>10}")
    for label, degrade in variants():
        m = degradation_metrics(embedder, emb, test, ref_emb, ref_labels, seed=0, degrade=degrade)
        print(
            f"{label:<40}{m['survive_emotion']:>15.2f}{m['survive_subclass']:>17.2f}"
            f"{m['degraded_knn_accuracy']:>10.2f}{m['degraded_paper_knn_accuracy']:>10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
