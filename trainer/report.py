"""``albumsum-train report``: the paper's tables and figures for our checkpoints.

For one or more checkpoints evaluated on one labelled set it writes ``table.md`` (Tables 1-2
layout, next to the paper's ResNet18 numbers), ``report.json`` (every metric, and the sub-class
structure measurements of :mod:`trainer.structure`) and PNG figures: t-SNE by emotion (Fig. 2),
Recall@K / Acc@K (Fig. 3), kNN F1 against k (Fig. 5), t-SNE of one emotion by sub-class (Fig. 7)
and the top-16 faces nearest each sub-class medoid of one emotion (Fig. 8).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.gaussian import medoid_order
from albumsum.core.inference import Embedder
from albumsum.core.projection import tsne_2d
from trainer.data import LabelledSet, load_labelled
from trainer.evaluate import evaluate_embedder
from trainer.evaluation import RETRIEVAL_KS, classification_metrics, nearest_neighbours, vote
from trainer.structure import assign_components, mixtures_from_checkpoint, structure_report

log = logging.getLogger(__name__)

# The paper's ResNet18 rows on FER+ test (Tables 1 and 2).
PAPER = {
    "CNN": {"knn_accuracy": 87.695, "knn_precision": 85.956, "knn_recall": 69.659, "knn_f1_paper": 76.954},
    "TripletLoss": {
        "knn_accuracy": 87.121,
        "knn_precision": 78.543,
        "knn_recall": 68.378,
        "knn_f1_paper": 73.109,
        "nmi_kmeans": 64.457,
    },
    "SGMLoss": {
        "knn_accuracy": 87.631,
        "knn_precision": 88.614,
        "knn_recall": 68.724,
        "knn_f1_paper": 77.412,
        "nmi_kmeans": 68.840,
    },
}
COLUMNS = [
    ("Acc.", "knn_accuracy"),
    ("Prec.", "knn_precision"),
    ("Rec.", "knn_recall"),
    ("F1", "knn_f1_paper"),
    ("macro-F1", "knn_f1_macro"),
    ("NMI k-means", "nmi_kmeans"),
    ("NMI kNN", "nmi_knn"),
    ("Recall@1", "recall@1"),
]
F1_KS = (1, 3, 5, 7, 9, 11, 15, 21, 31)


@dataclass
class Evaluated:
    label: str
    embedder: Embedder
    z: np.ndarray
    ref_z: np.ndarray
    ref_labels: np.ndarray
    metrics: dict[str, float]


def evaluate_one(label: str, checkpoint: str, data: LabelledSet, device: str) -> Evaluated:
    embedder = Embedder.from_file(checkpoint, device=device, bf16=False)  # the protocol's float32 numbers
    metrics, z, ref_z, ref_labels = evaluate_embedder(embedder, data)
    return Evaluated(label, embedder, z, ref_z, ref_labels, metrics)


def markdown_table(rows: list[Evaluated], paper: bool = True) -> str:
    head = "| Method | Source | " + " | ".join(name for name, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for row in rows:
        for prefix, source in (("", "ours, our protocol"), ("paper_", "ours, the paper's protocol")):
            if prefix and f"{prefix}count" not in row.metrics:
                continue
            vals = " | ".join(
                f"{row.metrics[prefix + key]:.2f}" if prefix + key in row.metrics else "" for _, key in COLUMNS
            )
            lines.append(f"| {row.label} | {source} | {vals} |")
    if paper:
        for method, numbers in PAPER.items():
            vals = " | ".join(f"{numbers[key]:.3f}" if key in numbers else "" for _, key in COLUMNS)
            lines.append(f"| {method} | paper (FER+ test) | {vals} |")
    return "\n".join(lines) + "\n"


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    log.info("wrote %s", path)
    return path


def tsne(z: np.ndarray, seed: int = 0) -> np.ndarray:
    """The app's map projection (:func:`albumsum.core.projection.tsne_2d`)."""
    return tsne_2d(z, seed)


def plot_scatter(points: np.ndarray, groups: np.ndarray, names: list[str], title: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap("tab10")
    for g in np.unique(groups):
        rows = groups == g
        ax.scatter(points[rows, 0], points[rows, 1], s=4, color=cmap(int(g) % 10), label=f"{names[g]} ({rows.sum()})")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=3, fontsize=8, loc="best")
    return _save(fig, path)


def plot_retrieval(rows: list[Evaluated], path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, ("recall", "acc"), strict=True):
        for row in rows:
            ax.plot(RETRIEVAL_KS, [row.metrics[f"{name}@{k}"] for k in RETRIEVAL_KS], marker="o", label=row.label)
        ax.set_xscale("log", base=2)
        ax.set_xticks(RETRIEVAL_KS, [str(k) for k in RETRIEVAL_KS])
        ax.set_xlabel("K")
        ax.set_ylabel(f"{'Recall' if name == 'recall' else 'Acc'}@K (%)")
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def knn_f1_curve(row: Evaluated, labels: np.ndarray, ks: tuple[int, ...] = F1_KS) -> dict[int, float]:
    idx = nearest_neighbours(row.z, row.ref_z, max(ks))
    neigh = row.ref_labels[idx]
    return {k: classification_metrics(labels, vote(neigh[:, :k], len(EMOTIONS)), "x")["x_f1_paper"] for k in ks}


def plot_knn_f1(rows: list[Evaluated], labels: np.ndarray, path: Path) -> tuple[Path, dict[str, dict[int, float]]]:
    curves = {row.label: knn_f1_curve(row, labels) for row in rows}
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, curve in curves.items():
        ax.plot(list(curve), list(curve.values()), marker="o", label=label)
    ax.set_xlabel("k (neighbours)")
    ax.set_ylabel("F1 = 2PR/(P+R) (%)")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path), curves


def medoid_ranking(z: np.ndarray, members: np.ndarray, top: int = 16) -> np.ndarray:
    """Rows of ``members`` ranked by distance to the medoid (the member nearest their centroid)."""
    order, _ = medoid_order(z[members])
    return members[order[:top]]


def plot_medoid_grid(
    images: np.ndarray, z: np.ndarray, subclass: np.ndarray, emotion: str, path: Path, top: int = 16
) -> Path:
    groups = np.unique(subclass)
    fig, axes = plt.subplots(len(groups), top, figsize=(top * 0.8, len(groups) * 0.9 + 0.4), squeeze=False)
    for r, g in enumerate(groups):
        ranked = medoid_ranking(z, np.flatnonzero(subclass == g), top)
        for c in range(top):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(ranked):
                ax.imshow(images[ranked[c]], cmap="gray", vmin=0, vmax=255)
        axes[r, 0].set_title(f"{emotion} {g + 1}: {int((subclass == g).sum())} faces", fontsize=7, loc="left")
    return _save(fig, path)


def build_report(
    checkpoints: list[str],
    labels: list[str],
    data_path: str | os.PathLike[str],
    out: str | Path,
    emotion: str = "happiness",
    device: str = "auto",
    tsne_max: int = 3000,
    face_figures: bool = True,
) -> dict:
    """Write the table, JSON and figures to ``out``; returns the JSON content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_labelled(data_path)
    rows = [evaluate_one(label, ckpt, data, device) for label, ckpt in zip(labels, checkpoints, strict=True)]
    (out / "table.md").write_text(markdown_table(rows))
    plot_retrieval(rows, out / "retrieval.png")
    _, f1_curves = plot_knn_f1(rows, data.labels, out / "knn_f1.png")
    first = rows[0]
    pick = np.random.default_rng(0).permutation(len(data))[:tsne_max]
    plot_scatter(
        tsne(first.z[pick]),
        data.labels[pick],
        list(EMOTIONS),
        f"t-SNE of the {first.label} embedding, {Path(data_path).name}",
        out / "tsne_emotion.png",
    )
    result = {"metrics": {r.label: r.metrics for r in rows}, "knn_f1": f1_curves}
    mixtures = mixtures_from_checkpoint(first.embedder.checkpoint)
    c = EMOTIONS.index(emotion)
    if c in mixtures and len(mixtures[c].weights) > 1:
        rows_c = np.flatnonzero(data.labels == c)
        sub = assign_components(mixtures[c], first.z[rows_c])
        names = [f"{emotion} {i + 1}" for i in range(len(mixtures[c].weights))]
        title = f"t-SNE of {emotion} by sub-class ({first.label})"
        plot_scatter(tsne(first.z[rows_c]), sub, names, title, out / f"tsne_subclass_{emotion}.png")
        if face_figures:
            plot_medoid_grid(data.images[rows_c], first.z[rows_c], sub, emotion, out / f"medoids_{emotion}.png")
    else:
        log.warning("%s has no sub-classes of %s: no sub-class figures", first.label, emotion)
    if any(len(m.weights) > 1 for m in mixtures.values()):
        ref_labels = np.asarray(first.embedder.checkpoint["reference"]["labels"])
        result["structure"] = structure_report(
            mixtures, first.ref_z, ref_labels, first.z, data.labels, data.second_choice()
        )
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    return result
