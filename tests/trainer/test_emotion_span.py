"""Sub-classes in the span of the emotion means, lifted to the embedding without changing them."""

from __future__ import annotations

import numpy as np
import pytest

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import model_subclasses
from trainer.emotion_span import EmotionSpan, fit_span_subclasses, fit_subclasses_in, steady_directions
from trainer.subspaces import fit_subclasses


def blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three classes in 6-d: means on axes 0 and 1; class 0 splits in two along the means' span
    (toward class 1 or class 2), and every class is spread widely along axis 5 (a "quality" axis)."""
    rng = np.random.default_rng(seed)
    means = np.zeros((8, 6))
    means[1, 0], means[2, 1] = 4.0, 4.0
    labels = np.repeat([0, 1, 2], 400)
    z = means[labels] + 0.3 * rng.standard_normal((len(labels), 6))
    lean = np.where(rng.random(len(labels)) < 0.5, 1, 2)
    toward = np.flatnonzero(labels == 0)
    z[toward] += 0.35 * (means[lean[toward]] - means[0])
    z[:, 5] += np.where(rng.random(len(labels)) < 0.5, -3.0, 3.0)  # two quality clusters in every class
    present = np.bincount(labels, minlength=8) > 0
    class_means = np.stack([z[labels == c].mean(0) if present[c] else np.zeros(6) for c in range(8)])
    return z, labels, class_means, lean


def test_the_span_is_orthonormal_and_spans_the_means() -> None:
    _, _, class_means, _ = blobs()
    span = EmotionSpan.from_means(class_means, np.bincount([0, 1, 2], minlength=8) > 0)
    assert span.basis.shape == (6, 2)
    np.testing.assert_allclose(span.basis.T @ span.basis, np.eye(2), atol=1e-10)
    back = span.centre + span.project(class_means[:3]) @ span.basis.T
    np.testing.assert_allclose(back, class_means[:3], atol=1e-8)


def test_span_subclasses_follow_the_lean_not_the_quality_axis_and_survive_lifting() -> None:
    z, labels, class_means, lean = blobs()
    fit = fit_span_subclasses(z, labels, class_means, components=2, min_size=50)
    rows = labels == 0
    sub = fit.labels[rows] - fit.labels[rows].min()
    agreement = max(np.mean(sub == (lean[rows] == 2)), np.mean(sub != (lean[rows] == 2)))
    assert agreement > 0.95
    # the lifted 64-d mixture gives the same sub-classes with the app's own assignment code
    stored = {EMOTIONS[c]: m.to_checkpoint() for c, m in fit.mixtures.items()}
    app = model_subclasses(z.astype(np.float32), labels, stored, EMOTIONS)
    first = {c: fit.labels[labels == c].min() for c in fit.mixtures}
    expected = fit.labels - np.array([first[c] for c in labels])
    assert np.mean(app == expected) > 0.99


def test_a_mixture_of_the_whole_embedding_splits_on_the_quality_axis_instead() -> None:
    """The reason for the span: on the same faces, EM over all dimensions finds the wide axis."""
    z, labels, _, _ = blobs()
    fit = fit_subclasses(z, labels, components=2, min_size=50)
    rows = labels == 0
    sub = fit.labels[rows] - fit.labels[rows].min()
    assert max(np.mean(sub == (z[rows, 5] > 0)), np.mean(sub != (z[rows, 5] > 0))) > 0.95


def test_steady_directions_avoid_the_direction_degradation_shakes() -> None:
    rng = np.random.default_rng(0)
    clean = rng.standard_normal((4000, 3))
    moves = rng.standard_normal((4000, 3)) * np.array([2.0, 0.1, 1.0])
    one = steady_directions(clean, clean + moves, dims=1)
    assert abs(one[1, 0]) > 0.99
    two = steady_directions(clean, clean + moves, dims=2)
    np.testing.assert_allclose(two.T @ two, np.eye(2), atol=1e-10)
    assert np.linalg.norm(two[[1, 2]], axis=0).min() > 0.99  # axes 1 and 2, not the shaken axis 0


def shaken_blobs(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three classes in 6-d with means on axes 0 and 1. Class 0 splits two ways inside the span,
    along u = (1, 1)/sqrt 2 and along v = (1, -1)/sqrt 2; its degraded copies move far along v only.
    Returns faces, their degraded copies, labels, class means and each face's side of u."""
    rng = np.random.default_rng(seed)
    means = np.zeros((8, 6))
    means[1, 0], means[2, 1] = 4.0, 4.0
    labels = np.repeat([0, 1, 2], 600)
    z = means[labels] + 0.15 * rng.standard_normal((len(labels), 6))
    u, v = np.array([1, 1, 0, 0, 0, 0]) / np.sqrt(2), np.array([1, -1, 0, 0, 0, 0]) / np.sqrt(2)
    side_u, side_v = rng.random(len(labels)) < 0.5, rng.random(len(labels)) < 0.5
    rows = labels == 0
    z[rows] += np.where(side_u[rows, None], 0.8, -0.8) * u + np.where(side_v[rows, None], 0.8, -0.8) * v
    degraded = z + 0.02 * rng.standard_normal(z.shape) + 1.5 * rng.standard_normal((len(z), 1)) * v
    present = np.bincount(labels, minlength=8) > 0
    class_means = np.stack([z[labels == c].mean(0) if present[c] else np.zeros(6) for c in range(8)])
    return z, degraded, labels, class_means, side_u


def test_steady_subclasses_follow_the_split_degradation_keeps_and_survive_lifting() -> None:
    z, degraded, labels, class_means, side_u = shaken_blobs()
    fit = fit_span_subclasses(z, labels, class_means, components=2, min_size=50, degraded=degraded, dims=1)
    rows = labels == 0
    sub = fit.labels[rows] - fit.labels[rows].min()
    assert max(np.mean(sub == side_u[rows]), np.mean(sub != side_u[rows])) > 0.95
    assert np.array_equal(np.unique(fit.labels), np.arange(len(fit.parent)))
    assert fit.parent.tolist() == [0, 0, 1, 1, 2, 2]
    stored = {EMOTIONS[c]: m.to_checkpoint() for c, m in fit.mixtures.items()}
    app = model_subclasses(z.astype(np.float32), labels, stored, EMOTIONS)
    first = {c: fit.labels[labels == c].min() for c in fit.mixtures}
    assert np.mean(app == fit.labels - np.array([first[c] for c in labels])) > 0.99
    # the degraded copies keep their sub-class, where the mixture of the whole span loses a quarter
    app_bad = model_subclasses(degraded.astype(np.float32), labels, stored, EMOTIONS)
    assert np.mean(app_bad[rows] == app[rows]) > 0.95
    span = fit_span_subclasses(z, labels, class_means, components=2, min_size=50)
    stored = {EMOTIONS[c]: m.to_checkpoint() for c, m in span.mixtures.items()}
    kept = model_subclasses(z, labels, stored, EMOTIONS) == model_subclasses(degraded, labels, stored, EMOTIONS)
    assert np.mean(kept[rows]) < 0.8


def held_on(fit, z, copies, labels) -> dict[int, tuple[int, float]]:
    """Each emotion's component count and the share of its faces whose copy keeps their component."""
    return {
        c: (len(m.weights), float(np.mean(m.assign(z[labels == c]) == m.assign(copies[labels == c]))))
        for c, m in fit.mixtures.items()
    }


def test_paired_em_and_a_stability_chosen_count_keep_sub_classes_on_degraded_copies() -> None:
    """Every class is shaken along v. Plain EM in the 2-d span splits along it too; paired EM
    stretches its components along the move, so four of them hold on another degraded copy (the
    check copy: other moves of the same faces). ``keep`` gives each emotion the most components
    (``components`` down to 2) whose sub-class holds that often on the check copy."""
    z, degraded, labels, class_means, _ = shaken_blobs()
    check = z + (degraded - z)[np.random.default_rng(5).permutation(len(z))]
    kwargs = dict(components=4, min_size=50, degraded=degraded, dims=2)
    plain = held_on(fit_span_subclasses(z, labels, class_means, **kwargs), z, check, labels)
    assert [plain[c][0] for c in (0, 1, 2)] == [4, 4, 4] and max(h for _, h in plain.values()) < 0.8
    # no count holds 90 % under plain EM: each emotion falls back to two components
    chosen = held_on(fit_span_subclasses(z, labels, class_means, **kwargs, check=check, keep=0.9), z, check, labels)
    assert [chosen[c][0] for c in (0, 1, 2)] == [2, 2, 2]
    paired = held_on(fit_span_subclasses(z, labels, class_means, **kwargs, paired=True), z, check, labels)
    assert paired[0][0] == 4 and paired[0][1] > 0.95
    kept = fit_span_subclasses(z, labels, class_means, **kwargs, paired=True, check=check, keep=0.9)
    counts = held_on(kept, z, check, labels)
    assert all(h >= 0.9 for _, h in counts.values())
    assert counts[0][0] == 4 and all(counts[c][0] < 4 for c in (1, 2) if paired[c][1] < 0.9)
    assert np.array_equal(np.unique(kept.labels), np.arange(len(kept.parent)))
    with pytest.raises(ValueError, match="second degraded copy"):
        fit_span_subclasses(z, labels, class_means, **kwargs, keep=0.9)
    with pytest.raises(ValueError, match="need the degraded copies"):
        fit_span_subclasses(z, labels, class_means, components=2, min_size=50, paired=True)
    with pytest.raises(ValueError, match="steady space"):
        fit_subclasses_in("emotions", z, labels, class_means, 2, 50, 0, degraded=lambda i: degraded, keep=0.9)
