"""``albumsum-train evaluate`` and ``embed``: run a checkpoint on a labelled set.

The evaluator embeds the set with the app's own :class:`~albumsum.core.inference.Embedder`, so the
numbers describe exactly what the app computes.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from albumsum.core.inference import Embedder
from trainer.data import LabelledSet, load_labelled
from trainer.evaluation import RETRIEVAL_KS, evaluate_embeddings

log = logging.getLogger(__name__)


def load_for_evaluation(path: str | os.PathLike[str], detect: bool = False, device: str = "auto") -> LabelledSet:
    """The labelled set; with ``detect`` its images are full frames and the app's own face pipeline
    (MTCNN detect, select, align on the eyes, crop) turns each into the crop the model expects.
    Frames without a face are counted, reported and left out."""
    data = load_labelled(path)
    if not detect:
        return data
    from albumsum.core.faces import MTCNNDetector, crops_from_frames
    from albumsum.core.inference import pick_device

    detector = MTCNNDetector(device=str(pick_device(device)))
    crops, source, missing = crops_from_frames(data.images, detector, size=48)
    log.info(
        "%s: found a face in %d of %d frames; %d frames without a face are left out",
        path,
        len(source),
        len(data),
        missing,
    )
    if len(source) == 0:
        raise ValueError(f"{path}: no face found in any of its {len(data)} frames")
    faces = data.subset(source)
    return LabelledSet(crops, faces.labels, faces.targets, faces.names, faces.has_votes)


def reference_embeddings(embedder: Embedder, reference: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """The kNN reference: ``reference`` embedded now, else the checkpoint's stored training bank,
    else the training file named in its config. Returns (embeddings, labels, description)."""
    if reference:
        ref = load_labelled(reference)
        return embedder.embed(ref.images), ref.labels, str(reference)
    bank = embedder.checkpoint.get("reference")
    if bank:
        emb = np.asarray(bank["embeddings"].float().numpy(), dtype=np.float32)
        return emb, bank["labels"].numpy(), "the training set stored in the checkpoint"
    train_path = embedder.checkpoint.get("train_config", {}).get("train_data")
    if not train_path or not Path(train_path).is_file():
        raise FileNotFoundError(
            "the checkpoint stores no reference bank and its training data "
            f"({train_path!r}) is not here; pass --reference R.npz"
        )
    ref = load_labelled(train_path)
    return embedder.embed(ref.images), ref.labels, str(train_path)


def evaluate_embedder(
    embedder: Embedder, test: LabelledSet, reference: str | None = None
) -> tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray]:
    """The full protocol for a loaded model on a labelled set.

    Returns (metrics, test embeddings [N, D], reference embeddings [M, D], reference labels [M]).
    """
    emb = embedder.embed(test.images)
    ref_emb, ref_labels, described = reference_embeddings(embedder, reference)
    log.info("evaluating %d faces against %d reference faces (%s)", len(test), len(ref_labels), described)
    metrics = evaluate_embeddings(
        emb,
        test.labels,
        ref_emb,
        ref_labels,
        class_means=embedder.class_means.numpy(),
        sigma=embedder.sigma,
        priors=embedder.log_priors.exp().numpy(),
        num_classes=len(embedder.class_names),
    )
    return metrics, emb, ref_emb, ref_labels


def evaluate_checkpoint(
    checkpoint: str | os.PathLike[str],
    data: str | os.PathLike[str],
    reference: str | None = None,
    detect: bool = False,
    device: str = "auto",
    bf16: bool = False,
) -> dict[str, float]:
    """The full protocol of DESIGN.md for one checkpoint on one labelled set: float32 embeddings,
    or with ``bf16`` under bfloat16 autocast, as the app runs on a CPU that has it."""
    embedder = Embedder.from_file(checkpoint, device=device, bf16=bf16)
    return evaluate_embedder(embedder, load_for_evaluation(data, detect, device), reference)[0]


def format_table(metrics: dict[str, float]) -> str:
    """A plain-text table: classification rows, NMI, and the retrieval curve."""
    lines = [
        f"faces evaluated: {int(metrics.get('count', 0))}",
        "",
        f"{'classifier':<12}{'Acc':>8}{'Prec':>8}{'Rec':>8}{'F1':>8}{'macroF1':>9}",
    ]
    for name in ("knn", "posterior"):
        if f"{name}_accuracy" in metrics:
            vals = [metrics[f"{name}_{k}"] for k in ("accuracy", "precision", "recall", "f1_paper", "f1_macro")]
            lines.append(f"{name:<12}" + "".join(f"{v:8.2f}" for v in vals[:4]) + f"{vals[4]:9.2f}")
    if "nmi_kmeans" in metrics:
        lines += ["", f"NMI (k-means): {metrics['nmi_kmeans']:.2f}   NMI (kNN predictions): {metrics['nmi_knn']:.2f}"]
    if "recall@1" in metrics:
        lines += ["", f"{'K':<12}" + "".join(f"{k:>7}" for k in RETRIEVAL_KS)]
        for name in ("recall", "acc"):
            lines.append(f"{name + '@K':<12}" + "".join(f"{metrics[f'{name}@{k}']:7.2f}" for k in RETRIEVAL_KS))
    return "\n".join(lines)


def write_json(metrics: dict[str, float], out: str | os.PathLike[str]) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def embed_file(
    checkpoint: str | os.PathLike[str], data: str | os.PathLike[str], out: str | os.PathLike[str], device: str = "auto"
) -> int:
    """Write ``embeddings`` [N, D] float32, ``proba`` [N, C] float32, ``labels``, ``targets`` and
    ``names`` of a labelled set to ``out`` (npz), float32 embeddings. Returns N."""
    embedder = Embedder.from_file(checkpoint, device=device, bf16=False)
    data_set = load_labelled(data)
    pred = embedder.predict(data_set.images)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        embeddings=pred.embeddings,
        proba=pred.proba,
        labels=data_set.labels,
        targets=data_set.targets,
        names=data_set.names,
        class_names=np.asarray(embedder.class_names),
    )
    return len(data_set)
