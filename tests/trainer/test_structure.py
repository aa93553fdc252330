from __future__ import annotations

import numpy as np
import pytest

from trainer.structure import heldout_loglik, structure_report, vote_structure
from trainer.subspaces import fit_subclasses


def test_vote_structure_detects_planted_dependence_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    sub = np.repeat([0, 1], 200)
    leaning = np.where(rng.random(400) < 0.8, sub * 2, rng.integers(0, 4, 400))  # sub 1 leans to class 2
    found = vote_structure(sub, leaning, repeats=100)
    assert found["mi_bits"] > found["mi_random_p95"] and found["p_value"] < 0.02
    noise = vote_structure(sub, rng.integers(0, 4, 400), repeats=100)
    assert noise["p_value"] > 0.05


def test_rows_without_a_second_choice_are_left_out() -> None:
    sub = np.array([0, 0, 1, 1, 0, 1])
    second = np.array([1, 1, 2, 2, -1, -1])
    assert vote_structure(sub, second, repeats=10)["faces"] == 4.0


def test_mixture_beats_one_gaussian_on_bimodal_held_out_data() -> None:
    rng = np.random.default_rng(0)
    train = np.concatenate([rng.normal(-4, 1, (300, 2)), rng.normal(4, 1, (300, 2))])
    test = np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2))])
    mixture = fit_subclasses(train, np.zeros(600, int), 2, min_size=10).mixtures[0]
    result = heldout_loglik(mixture, train, test)
    assert result["gain"] > 0.5
    unimodal = rng.normal(0, 1, (600, 2))
    flat = heldout_loglik(
        fit_subclasses(unimodal, np.zeros(600, int), 2, min_size=10).mixtures[0], unimodal, rng.normal(0, 1, (200, 2))
    )
    assert flat["gain"] == pytest.approx(0.0, abs=0.1)


def test_structure_report_covers_emotions_with_subclasses() -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(-4, 1, (100, 2)), rng.normal(4, 1, (100, 2)), rng.normal(20, 1, (50, 2))])
    labels = np.repeat([0, 0, 1], [100, 100, 50])
    fit = fit_subclasses(z, labels, 2, min_size=40)
    second = np.where(z[:, 0] > 0, 2, 3)
    report = structure_report(fit.mixtures, z, labels, z, labels, second, repeats=20)
    assert list(report) == ["neutral"]  # happiness (id 1) has 50 faces: one component, no report row
    assert report["neutral"]["mi_bits"] > 0.9


def test_labels_without_votes_give_no_mutual_information() -> None:
    assert vote_structure(np.array([0, 1, 0]), np.full(3, -1)) == {"faces": 0.0}
