"""Every metric against a hand-worked example."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.evaluation import (
    METRICS,
    classification_metrics,
    evaluate_embeddings,
    gaussian_posterior_predict,
    kmeans_nmi,
    knn_predict,
    nearest_neighbours,
    prediction_nmi,
    retrieval_metrics,
    vote,
)

# Five points on a line: labels 0 0 1 1 0.
LINE = np.array([[0.0], [1.0], [10.0], [11.0], [12.5]])
LINE_LABELS = np.array([0, 0, 1, 1, 0])


def test_nearest_neighbours_with_and_without_self() -> None:
    assert nearest_neighbours(LINE, LINE, 2).tolist() == [[0, 1], [1, 0], [2, 3], [3, 2], [4, 3]]
    assert nearest_neighbours(LINE, LINE, 2, exclude_self=True).tolist() == [[1, 2], [0, 2], [3, 4], [2, 4], [3, 2]]


def test_vote_majority_and_tie_to_nearest() -> None:
    assert vote(np.array([[1, 0, 0], [2, 1, 1], [3, 2, 1]]), 4).tolist() == [0, 1, 3]


def test_knn_predict_by_hand() -> None:
    query = np.array([[0.4], [11.9]])
    # k=3: neighbours of 0.4 are 0, 1, 10 -> labels 0 0 1 -> 0; of 11.9: 12.5, 11, 10 -> 0 1 1 -> 1
    assert knn_predict(query, LINE, LINE_LABELS, k=3, num_classes=2).tolist() == [0, 1]


def test_classification_metrics_by_hand() -> None:
    labels = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 2, 2])
    m = classification_metrics(labels, pred, "x")
    # precision per class: 0 -> 2/2, 1 -> 1/2, 2 -> 1/2; recall: 2/3, 1/2, 1/1
    p, r = (1 + 0.5 + 0.5) / 3, (2 / 3 + 0.5 + 1) / 3
    assert m["x_accuracy"] == pytest.approx(100 * 4 / 6)
    assert m["x_precision"] == pytest.approx(100 * p)
    assert m["x_recall"] == pytest.approx(100 * r)
    assert m["x_f1_paper"] == pytest.approx(100 * 2 * p * r / (p + r))
    f1s = [2 * 1 * (2 / 3) / (1 + 2 / 3), 0.5, 2 * 0.5 * 1 / 1.5]
    assert m["x_f1_macro"] == pytest.approx(100 * sum(f1s) / 3)


def test_classes_absent_from_labels_are_not_averaged() -> None:
    # A set without contempt (7): a wrong prediction of 7 costs recall, but 7 is no column of its own.
    m = classification_metrics(np.array([0, 0, 1]), np.array([0, 7, 1]), "x")
    assert m["x_precision"] == pytest.approx(100.0)
    assert m["x_recall"] == pytest.approx(100 * (0.5 + 1) / 2)


def test_retrieval_by_hand() -> None:
    m = retrieval_metrics(LINE, LINE_LABELS, ks=(1, 2))
    # nearest others: 0->1 (same), 1->0 (same), 2->3 (same), 3->2 (same), 4->3 (diff)
    assert m["recall@1"] == pytest.approx(80.0) and m["acc@1"] == pytest.approx(80.0)
    # two nearest: 0->[1,2] s,d; 1->[0,2] s,d; 2->[3,4] s,d; 3->[2,4] s,d; 4->[3,2] d,d
    assert m["recall@2"] == pytest.approx(80.0)
    assert m["acc@2"] == pytest.approx(100 * 4 / 10)


def test_nmi_perfect_and_independent() -> None:
    labels = np.array([0, 0, 1, 1])
    assert prediction_nmi(labels, np.array([1, 1, 0, 0]))["nmi_knn"] == pytest.approx(100.0)
    assert prediction_nmi(labels, np.array([0, 1, 0, 1]))["nmi_knn"] == pytest.approx(0.0, abs=1e-9)
    blobs = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5]])
    assert kmeans_nmi(blobs, labels)["nmi_kmeans"] == pytest.approx(100.0)


def test_gaussian_posterior_prior_can_flip_the_decision() -> None:
    means = np.array([[0.0], [1.0]])
    z = np.array([[0.55]])
    assert gaussian_posterior_predict(z, means, 0.5).tolist() == [1]
    assert gaussian_posterior_predict(z, means, 0.5, np.array([0.9, 0.1])).tolist() == [0]


def test_evaluate_embeddings_runs_every_group() -> None:
    rng = np.random.default_rng(0)
    ref = np.concatenate([rng.normal(0, 0.1, (40, 4)), rng.normal(3, 0.1, (40, 4))])
    ref_labels = np.repeat([0, 1], 40)
    out = evaluate_embeddings(
        ref[::2], ref_labels[::2], ref, ref_labels, class_means=np.array([[0.0] * 4, [3.0] * 4]), num_classes=2
    )
    assert out["knn_accuracy"] == 100.0 and out["posterior_accuracy"] == 100.0
    assert out["nmi_kmeans"] == pytest.approx(100.0) and out["recall@32"] == 100.0
    assert set(METRICS) == {"knn", "posterior", "nmi", "retrieval"}
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate_embeddings(ref, ref_labels, ref, ref_labels, parts=("bogus",))
