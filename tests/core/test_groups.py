"""Sub-class assignment, EM on the album, medoid ranking and album summaries, on seeded blobs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from albumsum.core.emotions import EMOTIONS
from albumsum.core.gaussian import gmm_log_likelihood, gmm_log_responsibilities
from albumsum.core.groups import album_subclasses, build_groups, model_subclasses, rank_by_medoid
from albumsum.core.summary import AlbumFaces, pick_photos, summary_dict, summary_text


def blobs(centres: np.ndarray, n: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([c + spread * rng.standard_normal((n, centres.shape[1])) for c in centres])
    return x, np.repeat(np.arange(len(centres)), n)


def test_responsibilities_match_sklearn() -> None:
    x, _ = blobs(np.array([[0.0, 0, 0], [3, 3, 0]]), 40, 0.7, 0)
    gmm = GaussianMixture(2, covariance_type="full", random_state=0).fit(x)
    ours = gmm_log_responsibilities(x, gmm.weights_, gmm.means_, gmm.covariances_)
    np.testing.assert_allclose(np.exp(ours), gmm.predict_proba(x), atol=1e-3)
    exact = gmm_log_likelihood(x, gmm.weights_, gmm.means_, gmm.covariances_, ridge=0.0)
    np.testing.assert_allclose(exact, gmm.score_samples(x), rtol=1e-9, atol=1e-9)


def test_model_subclasses_per_emotion() -> None:
    means = np.array([[0.0, 0], [5, 0]])
    gmm = {"weights": np.array([0.5, 0.5]), "means": means, "covariances": np.stack([np.eye(2)] * 2)}
    x = np.array([[0.1, 0], [4.9, 0], [5.2, 0], [0, 0.1]])
    emotions = np.array([0, 0, 1, 1])
    subs = model_subclasses(x, emotions, {"neutral": gmm}, EMOTIONS)
    assert subs.tolist() == [0, 1, 0, 0]  # happiness has no GMM: one sub-class


def test_album_em_finds_the_planted_subclasses_and_is_repeatable() -> None:
    centres = np.zeros((3, 16))
    centres[0, 0], centres[1, 1], centres[2, 2] = 6, 6, 6
    x, truth = blobs(centres, 30, 0.5, 1)
    a = album_subclasses(x, max_components=5, seed=3)
    assert adjusted_rand_score(truth, a) > 0.95 and len(np.unique(a)) == 3
    assert (album_subclasses(x, max_components=5, seed=3) == a).all()
    assert (album_subclasses(x[:8]) == 0).all()  # too few faces: one sub-class


def test_medoid_is_the_face_nearest_the_centroid_by_brute_force() -> None:
    x = np.random.default_rng(2).standard_normal((25, 4))
    ids = np.arange(100, 125)
    ranked, dist = rank_by_medoid(ids, x)
    centroid = x.mean(axis=0)
    naive = min(range(25), key=lambda i: sum((x[i, d] - centroid[d]) ** 2 for d in range(4)))
    assert ranked[0] == 100 + naive and dist[0] == 0
    assert (np.diff(dist) >= 0).all() and sorted(ranked.tolist()) == ids.tolist()
    assert dist[3] == pytest.approx(np.linalg.norm(x[ranked[3] - 100] - x[naive]))


def album(n_photos: int = 10, per_photo: int = 3, seed: int = 0) -> AlbumFaces:
    rng = np.random.default_rng(seed)
    n = n_photos * per_photo
    emotions = rng.choice([0, 1, 1, 1, 3], n)
    emb = rng.standard_normal((n, 8)).astype(np.float32) + emotions[:, None] * 3
    return AlbumFaces(
        ids=np.arange(1, n + 1),
        hashes=[f"h{i // per_photo}" for i in range(n)],
        paths=[f"photo{i // per_photo}.jpg" for i in range(n)],
        embeddings=emb,
        posteriors=np.full((n, 8), 1 / 8, np.float32),
        emotions=emotions,
        subclasses=rng.integers(0, 2, n),
        scores=np.ones(n),
        boxes=np.zeros((n, 4)),
    )


def test_groups_cover_every_face_once() -> None:
    faces = album()
    groups = build_groups(faces.ids, faces.embeddings, faces.emotions, faces.subclasses)
    got = np.concatenate([g.face_ids for g in groups])
    assert sorted(got.tolist()) == faces.ids.tolist()
    assert [g.emotion for g in groups] == sorted(g.emotion for g in groups)


@pytest.mark.parametrize("n", [1, 4, 10, 50])
def test_summary_picks_no_photo_twice_and_starts_with_medoids_of_the_largest_groups(n: int) -> None:
    faces = album()
    groups = build_groups(faces.ids, faces.embeddings, faces.emotions, faces.subclasses)
    picks = pick_photos(groups, faces, n)
    paths = [p.path for p in picks]
    assert len(paths) == len(set(paths)) == min(n, 10)
    largest = max(groups, key=lambda g: (len(g), -g.emotion, -g.subclass))
    assert picks[0].face_id == largest.medoid and picks[0].rank == 0


def test_summary_dict_and_text() -> None:
    faces = album()
    groups = build_groups(faces.ids, faces.embeddings, faces.emotions, faces.subclasses)
    summary = summary_dict(groups, faces, {"photos": 10, "errors": 1})
    assert list(summary["emotions"]) == list(EMOTIONS)
    assert sum(e["faces"] for e in summary["emotions"].values()) == len(faces) == summary["faces"]
    assert "happiness" in summary_text(summary) and "contempt" not in summary_text(summary)
