"""The evaluation protocol of docs/ARCHITECTURE.md: pure functions on embeddings returning ``dict[str, float]``.

Every metric is a function ``(query_emb, query_labels, ...) -> dict[str, float]`` listed by name
in :data:`METRICS`; :func:`evaluate_embeddings` runs them all. Percentages are in 0..100.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import f1_score, normalized_mutual_info_score, precision_recall_fscore_support

from albumsum.core.gaussian import gaussian_log_posterior, log_priors_of

RETRIEVAL_KS = (1, 2, 4, 8, 16, 32)


def nearest_neighbours(
    query: np.ndarray, reference: np.ndarray, k: int, exclude_self: bool = False, chunk: int = 2048
) -> np.ndarray:
    """Indices ``int64 [Q, k]`` of the k nearest reference rows (Euclidean), nearest first.

    ``exclude_self`` drops row i of the reference for query i (query and reference are one set).
    """
    ref = torch.as_tensor(np.asarray(reference, dtype=np.float32))
    q_all = torch.as_tensor(np.asarray(query, dtype=np.float32))
    k_eff = min(k + int(exclude_self), len(ref))
    out = []
    for start in range(0, len(q_all), chunk):
        q = q_all[start : start + chunk]
        d = torch.cdist(q, ref)
        if exclude_self:
            rows = torch.arange(len(q))
            d[rows, rows + start] = float("inf")
        out.append(d.topk(k_eff, dim=1, largest=False).indices[:, : k_eff - int(exclude_self)])
    return torch.cat(out).numpy() if out else np.zeros((0, k), dtype=np.int64)


def vote(neighbour_labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Majority vote per row of ``[Q, k]`` labels; ties go to the class met first (nearest)."""
    q, k = neighbour_labels.shape
    counts = np.zeros((q, num_classes))
    np.add.at(counts, (np.repeat(np.arange(q), k), neighbour_labels.ravel()), 1.0)
    first = np.full((q, num_classes), k, dtype=np.float64)
    for rank in range(k - 1, -1, -1):
        first[np.arange(q), neighbour_labels[:, rank]] = rank
    return (counts - first / (k + 1)).argmax(axis=1)


def knn_predict(
    query: np.ndarray, reference: np.ndarray, reference_labels: np.ndarray, k: int = 11, num_classes: int = 8
) -> np.ndarray:
    idx = nearest_neighbours(query, reference, k)
    return vote(np.asarray(reference_labels)[idx], num_classes)


def classification_metrics(labels: np.ndarray, predicted: np.ndarray, prefix: str = "knn") -> dict[str, float]:
    """Accuracy, macro precision and recall over the classes present in ``labels``, the paper's
    F1 = 2PR/(P+R) from those, and sklearn's macro F1 (mean of per-class F1)."""
    present = np.unique(labels)
    p, r, _, _ = precision_recall_fscore_support(labels, predicted, labels=present, average="macro", zero_division=0)
    f1_paper = 2 * p * r / (p + r) if p + r > 0 else 0.0
    f1_macro = f1_score(labels, predicted, labels=present, average="macro", zero_division=0)
    return {
        f"{prefix}_accuracy": 100.0 * float(np.mean(labels == predicted)),
        f"{prefix}_precision": 100.0 * float(p),
        f"{prefix}_recall": 100.0 * float(r),
        f"{prefix}_f1_paper": 100.0 * float(f1_paper),
        f"{prefix}_f1_macro": 100.0 * float(f1_macro),
    }


def retrieval_metrics(
    embeddings: np.ndarray, labels: np.ndarray, ks: tuple[int, ...] = RETRIEVAL_KS
) -> dict[str, float]:
    """Recall@K (a same-class face among the K nearest) and Acc@K (share of same-class faces in
    the K nearest) within one set, the query itself excluded (paper Fig. 3)."""
    idx = nearest_neighbours(embeddings, embeddings, max(ks), exclude_self=True)
    same = np.asarray(labels)[idx] == np.asarray(labels)[:, None]
    out = {}
    for k in ks:
        out[f"recall@{k}"] = 100.0 * float(same[:, :k].any(axis=1).mean())
        out[f"acc@{k}"] = 100.0 * float(same[:, :k].mean())
    return out


def kmeans_nmi(embeddings: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict[str, float]:
    """NMI between labels and k-means clusters, K = number of classes present (paper 4.2.1)."""
    k = len(np.unique(labels))
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(embeddings)
    return {"nmi_kmeans": 100.0 * float(normalized_mutual_info_score(labels, clusters))}


def prediction_nmi(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """NMI between labels and kNN predictions (what the authors' code reported as NMI)."""
    return {"nmi_knn": 100.0 * float(normalized_mutual_info_score(labels, predicted))}


def gaussian_posterior_predict(
    embeddings: np.ndarray, means: np.ndarray, sigma: float, priors: np.ndarray | None = None
) -> np.ndarray:
    """Eq. 1 argmax with isotropic Gaussians at ``means`` ``[C, D]`` (the app's posterior)."""
    z = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
    mu = torch.as_tensor(np.asarray(means, dtype=np.float32))
    log_priors = None if priors is None else log_priors_of(priors)
    return gaussian_log_posterior(z, mu, sigma, log_priors).argmax(dim=1).numpy()


METRICS: dict[str, str] = {
    "knn": "kNN (k=11, Euclidean, training set as reference): accuracy, macro P/R, F1",
    "posterior": "Gaussian-posterior classifier (eq. 1, stored means, sigma and priors)",
    "nmi": "NMI of k-means clusters and of kNN predictions",
    "retrieval": "Recall@K and Acc@K within the evaluated set, K = 1..32",
}


def evaluate_embeddings(
    embeddings: np.ndarray,
    labels: np.ndarray,
    reference: np.ndarray,
    reference_labels: np.ndarray,
    class_means: np.ndarray | None = None,
    sigma: float = 0.5,
    priors: np.ndarray | None = None,
    k: int = 11,
    num_classes: int = 8,
    parts: tuple[str, ...] = tuple(METRICS),
) -> dict[str, float]:
    """Run the named parts of the protocol; returns one flat ``dict[str, float]``."""
    unknown = set(parts) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metric group(s) {sorted(unknown)}; expected {sorted(METRICS)}")
    out: dict[str, float] = {"count": float(len(labels))}
    predicted = None
    if "knn" in parts or "nmi" in parts:
        predicted = knn_predict(embeddings, reference, reference_labels, k, num_classes)
    if "knn" in parts:
        out.update(classification_metrics(labels, predicted, "knn"))
    if "posterior" in parts and class_means is not None:
        post = gaussian_posterior_predict(embeddings, class_means, sigma, priors)
        out.update(classification_metrics(labels, post, "posterior"))
    if "nmi" in parts:
        out.update(kmeans_nmi(embeddings, labels))
        out.update(prediction_nmi(labels, predicted))
    if "retrieval" in parts:
        out.update(retrieval_metrics(embeddings, labels))
    return out
