"""Does Algorithm 2 find real structure? Two measurements per emotion (pure functions).

1. Mutual information between a face's sub-class and its second-most-voted FER+ emotion, against
   the same figure for random splits of the emotion's faces into groups of the same sizes.
2. Held-out log-likelihood per face of the emotion's Gaussian mixture against a single Gaussian
   fitted to the same training faces.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mutual_info_score

from albumsum.core.emotions import EMOTIONS
from trainer.subspaces import ClassMixture, single_gaussian

LN2 = float(np.log(2.0))


def assign_components(mixture: ClassMixture, z: np.ndarray) -> np.ndarray:
    """The most responsible component of each row of ``z`` [N, D] -> [N] (:meth:`ClassMixture.assign`)."""
    return mixture.assign(z)


def vote_structure(subclass: np.ndarray, second: np.ndarray, repeats: int = 200, seed: int = 0) -> dict[str, float]:
    """MI (bits) between sub-class and second-choice emotion, and the same for ``repeats`` random
    splits with the same group sizes: mean, 95th percentile and the share at least as high."""
    rows = second >= 0
    if rows.sum() < 2:  # labels without votes: there is no second choice to relate to
        return {"faces": float(rows.sum())}
    sub, sec = subclass[rows], second[rows]
    observed = mutual_info_score(sub, sec) / LN2
    rng = np.random.default_rng(seed)
    shuffled = np.array([mutual_info_score(rng.permutation(sub), sec) / LN2 for _ in range(repeats)])
    return {
        "faces": float(rows.sum()),
        "mi_bits": float(observed),
        "mi_random_mean": float(shuffled.mean()),
        "mi_random_p95": float(np.percentile(shuffled, 95)),
        "p_value": float((1 + np.sum(shuffled >= observed)) / (1 + repeats)),
    }


def heldout_loglik(mixture: ClassMixture, train_z: np.ndarray, test_z: np.ndarray) -> dict[str, float]:
    """Mean log-likelihood per held-out face of the mixture and of one Gaussian on ``train_z``."""
    gmm = float(mixture.log_likelihood(test_z).mean())
    single = float(single_gaussian(train_z).log_likelihood(test_z).mean())
    return {"gmm_loglik": gmm, "single_loglik": single, "gain": gmm - single}


def structure_report(
    mixtures: dict[int, ClassMixture],
    train_z: np.ndarray,
    train_labels: np.ndarray,
    test_z: np.ndarray,
    test_labels: np.ndarray,
    test_second: np.ndarray,
    repeats: int = 200,
) -> dict[str, dict[str, float]]:
    """Both measurements for every emotion with at least two sub-classes, on the held-out set:
    its faces are assigned to sub-classes by their labelled emotion's mixture."""
    out: dict[str, dict[str, float]] = {}
    for c, mixture in sorted(mixtures.items()):
        test_rows = test_labels == c
        if len(mixture.weights) < 2 or test_rows.sum() < 2:
            continue
        z = test_z[test_rows]
        row = {
            "subclasses": float(len(mixture.weights)),
            **vote_structure(assign_components(mixture, z), test_second[test_rows], repeats),
        }
        row.update(heldout_loglik(mixture, train_z[train_labels == c], z))
        out[EMOTIONS[c]] = row
    return out


def mixtures_from_checkpoint(data: dict) -> dict[int, ClassMixture]:
    out = {}
    for name, m in data.get("subclasses", {}).items():
        out[EMOTIONS.index(name)] = ClassMixture(
            m["weights"].double().numpy(), m["means"].double().numpy(), m["covariances"].double().numpy()
        )
    return out
