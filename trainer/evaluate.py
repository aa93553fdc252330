"""``albumsum-train evaluate`` and ``embed``: run a checkpoint on a labelled set.

The evaluator embeds the set with the app's own :class:`~albumsum.core.inference.Embedder`, so the
numbers describe exactly what the app computes. Every figure is given twice, named apart: on our
protocol (every face whose most-voted column is an emotion: ``knn_accuracy`` ...) and on the
paper's (FER+'s majority mode, :func:`trainer.data.paper_protocol`: ``paper_knn_accuracy`` ...).
With ``degrade`` the set is also evaluated as crowd photos make faces (:mod:`trainer.degrade`,
``degraded_*``), with how often a face's emotion and sub-class survive (``survive_*``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from albumsum.core.groups import model_subclasses
from albumsum.core.inference import Embedder
from trainer.data import LabelledSet, load_labelled
from trainer.degrade import Degrade, degrade_images
from trainer.evaluation import METRICS, RETRIEVAL_KS, evaluate_embeddings, knn_predict
from trainer.structure import vote_structure

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
    return LabelledSet(crops, faces.labels, faces.targets, faces.names, faces.has_votes, faces.votes)


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
    metrics = both_protocols(embedder, emb, test, ref_emb, ref_labels)
    return metrics, emb, ref_emb, ref_labels


def both_protocols(
    embedder: Embedder,
    emb: np.ndarray,
    test: LabelledSet,
    ref_emb: np.ndarray,
    ref_labels: np.ndarray,
    parts: tuple[str, ...] = tuple(METRICS),
) -> dict[str, float]:
    """The protocol's figures on all of ``test`` (our protocol) and, prefixed ``paper_``, on the
    faces the paper's protocol keeps (the same kNN reference for both)."""

    def run(rows: np.ndarray) -> dict[str, float]:
        return evaluate_embeddings(
            emb[rows],
            test.labels[rows],
            ref_emb,
            ref_labels,
            class_means=embedder.class_means.numpy(),
            sigma=embedder.sigma,
            priors=embedder.log_priors.exp().numpy(),
            num_classes=len(embedder.class_names),
            parts=parts,
        )

    metrics = run(np.arange(len(test)))
    if test.votes is not None:
        metrics.update({f"paper_{k}": v for k, v in run(np.flatnonzero(test.paper_protocol())).items()})
    return metrics


def degradation_metrics(
    embedder: Embedder,
    emb: np.ndarray,
    test: LabelledSet,
    ref_emb: np.ndarray,
    ref_labels: np.ndarray,
    seed: int = 0,
    degrade: Degrade | None = None,
) -> dict[str, float]:
    """``test`` degraded as crowd photos degrade faces (seeded: the same copy every time; ``degrade``
    for another degradation than the standard one):
    kNN and posterior figures on it (``degraded_*``, both protocols), and in percent how often a
    face and its degraded copy get the same emotion (the app's, the posterior's argmax:
    ``survive_emotion``; kNN's: ``survive_knn``) and, of those, the same sub-class of the
    checkpoint's mixtures (``survive_subclass``)."""
    bad = embedder.embed(degrade_images(test.images, seed, degrade))
    degraded = LabelledSet(bad, test.labels, test.targets, test.names, test.has_votes, test.votes)
    found = both_protocols(embedder, bad, degraded, ref_emb, ref_labels, parts=("knn", "posterior"))
    out = {f"degraded_{k}": v for k, v in found.items()}
    classes = len(embedder.class_names)
    emotion, emotion_bad = embedder.posteriors(emb).argmax(1), embedder.posteriors(bad).argmax(1)
    knn, knn_bad = (knn_predict(z, ref_emb, ref_labels, 11, classes) for z in (emb, bad))
    same = emotion == emotion_bad
    subclasses = embedder.checkpoint.get("subclasses") or {}
    sub = model_subclasses(emb, emotion, subclasses, embedder.class_names)
    sub_bad = model_subclasses(bad, emotion_bad, subclasses, embedder.class_names)
    out["survive_emotion"] = 100.0 * float(same.mean())
    out["survive_knn"] = 100.0 * float((knn == knn_bad).mean())
    out["survive_subclass"] = 100.0 * float((sub[same] == sub_bad[same]).mean()) if same.any() else 0.0
    return out


def subclass_vote_link(embedder: Embedder, emb: np.ndarray, test: LabelledSet) -> dict[str, float]:
    """How much a face's sub-class says about its second-most-voted emotion (trainer.structure):
    the mean over emotions with two or more sub-classes of the mutual information (bits), the same
    for random splits of the same sizes, and how many emotions beat their random splits (p < 0.05).
    Faces are assigned by their labelled emotion's mixture."""
    subclasses = embedder.checkpoint.get("subclasses") or {}
    if not test.has_votes or not subclasses:
        return {}
    sub = model_subclasses(emb, test.labels, subclasses, embedder.class_names)
    second = test.second_choice()
    rows = [
        vote_structure(sub[test.labels == c], second[test.labels == c], repeats=100)
        for c in range(len(embedder.class_names))
        if len(np.unique(sub[test.labels == c])) > 1
    ]
    rows = [r for r in rows if "mi_bits" in r]
    if not rows:
        return {}
    return {
        "subclass_mi_bits": float(np.mean([r["mi_bits"] for r in rows])),
        "subclass_mi_random_bits": float(np.mean([r["mi_random_mean"] for r in rows])),
        "subclass_emotions_linked": float(sum(r["p_value"] < 0.05 for r in rows)),
        "subclass_emotions_split": float(len(rows)),
    }


def evaluate_checkpoint(
    checkpoint: str | os.PathLike[str],
    data: str | os.PathLike[str],
    reference: str | None = None,
    detect: bool = False,
    device: str = "auto",
    bf16: bool | None = False,
    degrade: bool = False,
) -> dict[str, float]:
    """The full protocol for one checkpoint on one labelled set, on both protocols: float32
    embeddings, or with ``bf16`` under bfloat16 autocast, as the app runs on a CPU that has it
    (``None``: whichever the app would use on this device, :func:`albumsum.core.inference.fast_bf16`);
    with ``degrade`` also on the set's seeded degraded copy (:func:`degradation_metrics`)."""
    embedder = Embedder.from_file(checkpoint, device=device, bf16=bf16)
    test = load_for_evaluation(data, detect, device)
    metrics, emb, ref_emb, ref_labels = evaluate_embedder(embedder, test, reference)
    metrics.update(subclass_vote_link(embedder, emb, test))
    if degrade:
        metrics.update(degradation_metrics(embedder, emb, test, ref_emb, ref_labels))
    return metrics


def _classifier_rows(metrics: dict[str, float], prefix: str, title: str) -> list[str]:
    rows = []
    for name in ("knn", "posterior"):
        if f"{prefix}{name}_accuracy" in metrics:
            vals = [metrics[f"{prefix}{name}_{k}"] for k in ("accuracy", "precision", "recall", "f1_paper", "f1_macro")]
            rows.append(f"{name + ' ' + title:<28}" + "".join(f"{v:8.2f}" for v in vals[:4]) + f"{vals[4]:9.2f}")
    return rows


def format_table(metrics: dict[str, float]) -> str:
    """A plain-text table: classification rows on both protocols (and degraded), NMI, retrieval."""
    count, paper = int(metrics.get("count", 0)), int(metrics.get("paper_count", 0))
    lines = [
        f"faces evaluated: {count} (our protocol), {paper} (the paper's protocol)",
        "",
        f"{'classifier':<28}{'Acc':>8}{'Prec':>8}{'Rec':>8}{'F1':>8}{'macroF1':>9}",
    ]
    for prefix, title in (("", "ours"), ("paper_", "paper's"), ("degraded_", "ours, degraded")):
        lines += _classifier_rows(metrics, prefix, title)
    lines += _classifier_rows(metrics, "degraded_paper_", "paper's, degraded")
    for prefix, title in (("", "ours"), ("paper_", "paper's")):
        if f"{prefix}nmi_kmeans" in metrics:
            lines.append(
                f"NMI, {title} (k-means): {metrics[f'{prefix}nmi_kmeans']:.2f}   "
                f"(kNN predictions): {metrics[f'{prefix}nmi_knn']:.2f}"
            )
    if "survive_emotion" in metrics:
        lines.append(
            f"same on the degraded copy: emotion {metrics['survive_emotion']:.2f} %, kNN emotion "
            f"{metrics['survive_knn']:.2f} %, sub-class {metrics['survive_subclass']:.2f} % (of the same emotion)"
        )
    if "subclass_mi_bits" in metrics:
        lines.append(
            f"sub-class and second-choice vote: {metrics['subclass_mi_bits']:.3f} bits "
            f"(random splits {metrics['subclass_mi_random_bits']:.3f}); linked in "
            f"{int(metrics['subclass_emotions_linked'])} of {int(metrics['subclass_emotions_split'])} emotions"
        )
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
    """Write ``embeddings`` [N, D] float32, ``proba`` [N, C] float32, ``emotion`` (the argmax of
    ``proba``, as the app gives it), ``subclass`` (of that emotion, by the checkpoint's mixtures, as
    the app gives it), ``labels``, ``targets`` and ``names`` of a labelled set to ``out`` (npz).
    Returns N."""
    embedder = Embedder.from_file(checkpoint, device=device, bf16=False)
    data_set = load_labelled(data)
    pred = embedder.predict(data_set.images)
    emotion = pred.proba.argmax(axis=1)
    subclass = model_subclasses(
        pred.embeddings, emotion, embedder.checkpoint.get("subclasses") or {}, embedder.class_names
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        embeddings=pred.embeddings,
        proba=pred.proba,
        emotion=emotion,
        subclass=subclass,
        labels=data_set.labels,
        targets=data_set.targets,
        names=data_set.names,
        class_names=np.asarray(embedder.class_names),
    )
    return len(data_set)
