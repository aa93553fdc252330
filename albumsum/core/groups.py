"""Emotion and sub-class groups of an album's faces, ranked by distance to the sub-class medoid.

Two sources of sub-classes (docs/ARCHITECTURE.md): the model's DGM sub-spaces stored in the checkpoint
(``subclasses[emotion]``: GMM weights [K], means [K, D], covariances [K, D, D]; a face goes to the
component of highest responsibility, so sub-class ids mean the same in every album), or EM fitted on
this album's own faces per emotion, with the number of components chosen by BIC (seeded).

The medoid of a group is the album face nearest the group's centroid (paper §4.2.3); faces are
ranked by their distance to it, medoid first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from albumsum.core.gaussian import gmm_log_responsibilities, medoid_order

log = logging.getLogger(__name__)

ALBUM_PCA_DIMS = 8  # album EM runs in this many principal dimensions: albums have tens of faces, D is 64
ALBUM_FIT_CAP = 4000  # EM is fitted on at most this many faces of an emotion (seeded sample), then applied to all


@dataclass(frozen=True, eq=False)
class Group:
    """Faces of one emotion and sub-class: ``face_ids`` ranked by ``distances`` to the medoid
    (``face_ids[0]`` is the medoid, distance 0)."""

    emotion: int
    subclass: int
    face_ids: np.ndarray
    distances: np.ndarray

    @property
    def medoid(self) -> int:
        return int(self.face_ids[0])

    def __len__(self) -> int:
        return len(self.face_ids)


def _array(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def model_subclasses(
    embeddings: np.ndarray, emotions: np.ndarray, subclasses: Mapping[str, Any], class_names: Sequence[str]
) -> np.ndarray:
    """Sub-class id (int64 [N]) of each face from the model's GMM of its emotion; 0 where the model
    has no GMM for that emotion (one sub-class)."""
    out = np.zeros(len(embeddings), np.int64)
    for c, name in enumerate(class_names):
        gmm = subclasses.get(name) if subclasses else None
        rows = np.flatnonzero(np.asarray(emotions) == c)
        if gmm is None or not len(rows):
            continue
        weights, means, covs = (_array(gmm[k]) for k in ("weights", "means", "covariances"))
        out[rows] = gmm_log_responsibilities(embeddings[rows], weights, means, covs).argmax(axis=1)
    return out


def album_subclasses(embeddings: np.ndarray, *, max_components: int = 4, seed: int = 0) -> np.ndarray:
    """EM on one emotion's album faces ``[N, D]``: sub-class ids int64 [N], K chosen by BIC.

    Runs in the first :data:`ALBUM_PCA_DIMS` principal dimensions; never fits more components than
    ``N // 5`` (at least five faces per component), so small groups stay one sub-class. Very large
    albums are fitted on a seeded sample of :data:`ALBUM_FIT_CAP` faces and every face is assigned.
    """
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    n = len(embeddings)
    k_max = min(max_components, n // 5)
    if k_max < 2:
        return np.zeros(n, np.int64)
    dims = min(ALBUM_PCA_DIMS, n - 1, embeddings.shape[1])
    # one thread: these fits are small, and OpenMP threads fighting a busy machine are 10x slower
    with threadpool_limits(limits=1):
        x = PCA(n_components=dims, random_state=seed).fit_transform(np.asarray(embeddings, np.float64))
        fit = x if n <= ALBUM_FIT_CAP else x[np.random.default_rng(seed).choice(n, ALBUM_FIT_CAP, replace=False)]
        best, best_bic = None, np.inf
        for k in range(1, k_max + 1):
            gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, n_init=2, random_state=seed).fit(fit)
            bic = gmm.bic(fit)
            if bic < best_bic:
                best, best_bic = gmm, bic
        labels = best.predict(x)
    _, contiguous = np.unique(labels, return_inverse=True)  # an emptied component leaves no gap
    return contiguous.astype(np.int64)


def rank_by_medoid(face_ids: np.ndarray, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Medoid = the face nearest the centroid; returns (ids, distances to the medoid), ascending
    (:func:`albumsum.core.gaussian.medoid_order`)."""
    order, dist = medoid_order(embeddings)
    return np.asarray(face_ids)[order], dist


def build_groups(
    face_ids: np.ndarray,
    embeddings: np.ndarray,
    emotions: np.ndarray,
    subclasses: np.ndarray | None = None,
    *,
    max_components: int = 4,
    seed: int = 0,
) -> list[Group]:
    """Groups per (emotion, sub-class), emotions in class order, sub-classes by size (largest first).

    ``subclasses`` int [N] from the model (:func:`model_subclasses`); ``None`` fits them on the album
    (:func:`album_subclasses`). Arrays: ``face_ids`` [N], ``embeddings`` [N, D], ``emotions`` [N].
    """
    face_ids, emotions = np.asarray(face_ids), np.asarray(emotions)
    groups: list[Group] = []
    for c in np.unique(emotions):
        rows = np.flatnonzero(emotions == c)
        emb = embeddings[rows]
        subs = (
            subclasses[rows]
            if subclasses is not None
            else album_subclasses(emb, max_components=max_components, seed=seed)
        )
        per_emotion = []
        for s in np.unique(subs):
            members = np.flatnonzero(subs == s)
            ids, dist = rank_by_medoid(face_ids[rows[members]], emb[members])
            per_emotion.append(Group(emotion=int(c), subclass=int(s), face_ids=ids, distances=dist))
        groups.extend(sorted(per_emotion, key=lambda g: (-len(g), g.subclass)))
    return groups


def group_numbers(groups: Sequence[Group]) -> dict[tuple[int, int], int]:
    """(emotion, sub-class) -> the group's number among its emotion's groups, as the window shows it."""
    numbers: dict[tuple[int, int], int] = {}
    for g in groups:
        numbers[(g.emotion, g.subclass)] = 1 + sum(1 for (e, _) in numbers if e == g.emotion)
    return numbers


def given_name(names: Mapping[tuple[int, int], str] | None, emotion: int, subclass: int) -> str | None:
    """The name the user gave the group (emotion, sub-class), if any."""
    return (names or {}).get((emotion, subclass))
