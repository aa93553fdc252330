from __future__ import annotations

import numpy as np
import pytest

from trainer.data import DataError, LabelledSet, load_labelled, majority_protocol, paper_protocol


def test_majority_protocol_by_hand() -> None:
    votes = np.array(
        [
            [6, 4, 0, 0, 0, 0, 0, 0, 0, 0],  # neutral, soft 0.6/0.4
            [0, 0, 3, 0, 0, 0, 2, 0, 5, 0],  # unknown wins -> dropped
            [0, 0, 0, 0, 0, 0, 0, 1, 0, 9],  # not a face -> dropped
            [1, 0, 0, 0, 0, 0, 0, 2, 1, 0],  # contempt
        ]
    )
    keep, labels, targets = majority_protocol(votes)
    assert keep.tolist() == [True, False, False, True]
    assert labels.tolist() == [0, 7]
    np.testing.assert_allclose(targets[0, :2], [0.6, 0.4])
    np.testing.assert_allclose(targets[1, [0, 7]], [1 / 3, 2 / 3])


def test_labels_file_and_limit(tmp_path) -> None:
    path = tmp_path / "d.npz"
    labels = np.array(["Happiness", "fear", "fear", "fear", "neutral"])
    np.savez(path, images=np.zeros((5, 8, 8), np.uint8), labels=labels)
    data = load_labelled(path, limit_per_class=2)
    assert data.labels.tolist() == [1, 6, 6, 0] and not data.has_votes
    assert data.targets.sum(axis=1).tolist() == [1.0] * 4


def test_second_choice() -> None:
    votes = np.array([[5, 3, 2, 0, 0, 0, 0, 0, 0, 0], [10, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    _, labels, targets = majority_protocol(votes)
    data = LabelledSet(np.zeros((2, 4, 4), np.uint8), labels, targets, np.array(["a", "b"]), True)
    assert data.second_choice().tolist() == [1, -1]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"votes": np.zeros((2, 10), np.uint8)}, "no 'images'"),
        ({"images": np.zeros((2, 4, 4), np.uint8)}, "needs 'votes'"),
        ({"images": np.zeros((1, 4, 4), np.uint8), "labels": np.array(["joy"])}, "unknown emotion 'joy'"),
        ({"images": np.zeros((1, 4, 4), np.float32), "labels": np.array(["fear"])}, "must be uint8"),
    ],
)
def test_contract_violations(tmp_path, arrays, message) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_labelled(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_labelled(tmp_path / "none.npz")


def test_paper_protocol_by_hand() -> None:
    """FER+'s majority mode: single votes dropped, the top emotion must hold > half of the rest."""
    votes = np.array(
        [
            [6, 4, 0, 0, 0, 0, 0, 0, 0, 0],  # 6 of 10: kept
            [5, 5, 0, 0, 0, 0, 0, 0, 0, 0],  # 5 of 10: a tie is not a majority
            [5, 1, 1, 1, 1, 1, 0, 0, 0, 0],  # the single votes go: 5 of 5
            [4, 0, 0, 0, 0, 0, 0, 0, 3, 2],  # unknown and NF count in the total: 4 of 9
            [2, 0, 0, 0, 0, 0, 0, 0, 0, 8],  # not a face
        ]
    )
    assert paper_protocol(votes).tolist() == [True, False, True, False, False]
    with pytest.raises(DataError, match="votes"):
        paper_protocol(votes[:, :8])


def test_paper_protocol_keeps_its_share_of_ferplus_valid(ferplus_dir) -> None:
    valid = load_labelled(ferplus_dir / "valid.npz")
    kept = valid.paper_protocol()
    assert valid.votes.shape == (len(valid), 10)
    assert kept.sum() == 3199  # of 3553 on our protocol; the figure the FER+ majority mode gives
    assert valid.subset(np.flatnonzero(kept)).votes.shape == (3199, 10)
