"""Algorithm 2: EM sub-classes on seeded blobs, the guards, and the full loop on planted images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score

from albumsum.core.checkpoint import read_checkpoint
from albumsum.core.gaussian import COV_RIDGE
from tests.trainer.synthetic import write_planted_npz
from trainer.cli import main as train_main
from trainer.subspaces import (
    SubclassFit,
    components_for,
    fit_subclasses,
    pair_log_likelihood,
    paired_mixture,
    single_gaussian,
    subclass_targets,
)

NO_AUGMENT = [
    "--flip=false",
    "--max_rotate=0",
    "--max_scale=0",
    "--max_shift=0",
    "--brightness=0",
    "--contrast=0",
    "--erase_prob=0",
]


def blobs(seed: int = 0):
    """Classes 0 and 1 with three planted sub-clusters each, class 2 with only 3 faces."""
    rng = np.random.default_rng(seed)
    centres = {0: [(0, 0), (6, 0), (0, 6)], 1: [(20, 20), (26, 20), (20, 26)]}
    z, labels, planted = [], [], []
    for c, cs in centres.items():
        for k, centre in enumerate(cs):
            z.append(rng.normal(centre, 0.5, (80, 2)))
            labels += [c] * 80
            planted += [k] * 80
    z.append(rng.normal((40, 40), 0.5, (3, 2)))
    labels += [2] * 3
    planted += [0] * 3
    return np.concatenate(z), np.array(labels), np.array(planted)


def test_em_recovers_planted_subclusters_with_contiguous_ids() -> None:
    z, labels, planted = blobs()
    fit = fit_subclasses(z, labels, components=3, min_size=20, seed=0)
    for c in (0, 1):
        rows = labels == c
        assert adjusted_rand_score(planted[rows], fit.labels[rows]) > 0.95
    assert sorted(np.unique(fit.labels).tolist()) == list(range(len(fit.parent)))
    assert fit.parent.tolist() == [0, 0, 0, 1, 1, 1, 2][: len(fit.parent)]
    assert fit.sizes[2] == [3]  # the 3-face class stays whole
    for mixture in fit.mixtures.values():
        assert mixture.weights.sum() == pytest.approx(1.0)
        assert mixture.means.shape[0] == mixture.covariances.shape[0] == len(mixture.weights)


def test_shuffled_blobs_score_near_chance() -> None:
    z, labels, planted = blobs()
    fit = fit_subclasses(z, labels, components=3, min_size=20, seed=0)
    rows = labels == 0
    shuffled = np.random.default_rng(1).permutation(planted[rows])
    assert adjusted_rand_score(shuffled, fit.labels[rows]) < 0.1


@pytest.mark.parametrize(
    "count, wanted, min_size, expected",
    [(1000, 5, 64, 5), (165, 5, 64, 2), (3, 5, 64, 1), (0, 5, 64, 1), (130, 2, 64, 2)],
)
def test_never_more_components_than_the_data_supports(count, wanted, min_size, expected) -> None:
    assert components_for(count, wanted, min_size) == expected


def test_mixture_log_likelihood_matches_scipy() -> None:
    z = np.random.default_rng(0).normal(size=(50, 3))
    g = single_gaussian(z)
    ridged = g.covariances[0] + COV_RIDGE * np.eye(3)  # the one ridge the app adds too
    expected = multivariate_normal(g.means[0], ridged).logpdf(z)
    np.testing.assert_allclose(g.log_likelihood(z), expected, rtol=1e-8)


def test_the_trainer_assigns_sub_classes_as_the_app_does() -> None:
    from albumsum.core.groups import model_subclasses

    rng = np.random.default_rng(2)
    z = np.concatenate([rng.normal(size=(40, 3)), rng.normal(size=(40, 3)) + 3])
    fit = fit_subclasses(z, np.zeros(80, np.int64), 2, min_size=10, seed=0)
    mixture = fit.mixtures[0]
    app = model_subclasses(z, np.zeros(80, np.int64), {"neutral": mixture.to_checkpoint()}, ["neutral"])
    np.testing.assert_array_equal(mixture.assign(z), app)


@pytest.mark.slow
def test_nested_targets_keep_the_emotion_targets_and_favour_the_own_subclass() -> None:
    # emotions 0 (sub-classes 0, 1, 2), 1 (sub-class 3), 2 (sub-classes 4, 5)
    fit = SubclassFit(labels=np.array([1, 3, 5, 0]), parent=np.array([0, 0, 0, 1, 2, 2]))
    votes = np.array([[0.6, 0.4, 0.0], [0.2, 0.8, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype=np.float32)
    t = subclass_targets(fit, votes, "nested", sibling_share=0.2)
    assert t.shape == (4, 6) and np.allclose(t.sum(axis=1), 1.0)
    per_emotion = np.stack([t[:, fit.parent == e].sum(axis=1) for e in range(3)], axis=1)
    np.testing.assert_allclose(per_emotion, votes, atol=1e-6)
    np.testing.assert_allclose(t[0], [0.06, 0.48, 0.06, 0.4, 0.0, 0.0], atol=1e-6)  # own sub-class 1: 0.8 of 0.6
    np.testing.assert_allclose(t[1], [0.2 / 3, 0.2 / 3, 0.2 / 3, 0.8, 0.0, 0.0], atol=1e-6)  # alone in its emotion
    np.testing.assert_allclose(t[2], [0.0, 0.0, 0.0, 0.5, 0.1, 0.4], atol=1e-6)
    np.testing.assert_array_equal(subclass_targets(fit, votes, "onehot"), np.eye(6, dtype=np.float32)[fit.labels])
    with pytest.raises(ValueError, match="subclass_targets"):
        subclass_targets(fit, votes, "soft")


@pytest.mark.parametrize("targets", ["onehot", "nested"])
def test_algorithm2_end_to_end_recovers_planted_subclasses(tmp_path, targets) -> None:
    torch.set_num_threads(2)
    emotion, planted = write_planted_npz(tmp_path / "planted.npz")
    common = [
        "--arch=small",
        "--n_per_class=16",
        "--batches_per_epoch=6",
        "--amp=off",
        "--progress=false",
        "--valid_data=",
        f"--train_data={tmp_path / 'planted.npz'}",
        "--min_subclass_size=20",
        *NO_AUGMENT,
    ]
    assert train_main(["fit", "--epochs=2", f"--out_dir={tmp_path / 'l1'}", "--subclasses=1", *common]) == 0
    assert (
        train_main(
            [
                "subspaces",
                "--checkpoint",
                str(tmp_path / "l1" / "model.pt"),
                "--levels=2",
                "--level_epochs=2",
                f"--subclass_targets={targets}",
                f"--out_dir={tmp_path / 'dgm'}",
                *common,
            ]
        )
        == 0
    )
    data = read_checkpoint(tmp_path / "dgm" / "model.pt")
    assert set(data["subclasses"]) == {"neutral", "happiness"}
    sub = data["reference"]["subclasses"].numpy()
    assert sorted(np.unique(sub).tolist()) == [0, 1, 2, 3]
    for e in (0, 1):
        rows = emotion == e
        assert adjusted_rand_score(planted[rows], sub[rows]) > 0.8
    assert (tmp_path / "dgm" / "levels.json").is_file() and (tmp_path / "dgm" / "level2.pt").is_file()


def two_clusters_shaken(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two clusters apart on axis 1; every face's copy moves far along axis 0 and stays in its cluster."""
    rng = np.random.default_rng(seed)
    planted = np.repeat([0, 1], 300)
    x = np.stack([np.zeros(600), np.where(planted == 1, 4.0, -4.0)], 1) + 0.5 * rng.standard_normal((600, 2))
    copies = x + np.stack([2.0 * rng.standard_normal(600), 0.1 * rng.standard_normal(600)], 1)
    return x, copies, planted


def test_paired_em_fits_each_component_to_faces_and_their_copies() -> None:
    x, copies, planted = two_clusters_shaken()
    paired = paired_mixture(x, copies, 2, seed=0)
    assert adjusted_rand_score(planted, paired.assign(x)) > 0.95
    assert np.mean(paired.assign(x) == paired.assign(copies)) > 0.99
    assert paired.weights.sum() == pytest.approx(1.0)
    # both members update the covariance: along the copies' move the paired components are wider
    # than plain EM's (0.25 + 4 / 2 against 0.25)
    plain = fit_subclasses(x, np.zeros(600, np.int64), 2, min_size=20).mixtures[0]
    assert paired.covariances[:, 0, 0].min() > 1.5 > 0.5 > plain.covariances[:, 0, 0].max()


def test_paired_em_keeps_the_likeliest_of_its_starts() -> None:
    """Pairs that straddle clusters: a face of cluster 1 has its copy in cluster 2 and back."""
    rng = np.random.default_rng(0)
    centres = np.array([(0, 0), (6, 0), (0, 6)], float)
    planted = np.repeat([0, 1, 2], 100)
    x = centres[planted] + 0.5 * rng.standard_normal((300, 2))
    copies = centres[np.array([0, 2, 1])[planted]] + 0.5 * rng.standard_normal((300, 2))
    each = [pair_log_likelihood(paired_mixture(x, copies, 2, seed=s, starts=1), x, copies) for s in range(4)]
    best = pair_log_likelihood(paired_mixture(x, copies, 2, seed=0, starts=4), x, copies)
    assert best == pytest.approx(max(each))
    with pytest.raises(ValueError, match="a copy of every face"):
        paired_mixture(x, copies[:10], 2)


def test_fit_subclasses_with_copies_pairs_them() -> None:
    x, copies, planted = two_clusters_shaken()
    fit = fit_subclasses(x, np.zeros(600, np.int64), 2, min_size=20, copies=copies)
    assert adjusted_rand_score(planted, fit.labels) > 0.95
    assert fit.mixtures[0].covariances[:, 0, 0].min() > 1.5
