from __future__ import annotations

import numpy as np
import pytest

from trainer.samplers import ClassBalancedBatchSampler


def labels_with_counts(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def test_every_batch_has_exactly_n_of_each_class() -> None:
    labels = labels_with_counts([100, 40, 3, 0, 25])  # class 3 absent, class 2 rare
    sampler = ClassBalancedBatchSampler(labels, n_per_class=8, batches=20, seed=1)
    assert sampler.batch_size == 32 and len(sampler) == 20
    for index in sampler:
        assert len(index) == 32
        assert np.bincount(labels[index], minlength=5).tolist() == [8, 8, 8, 0, 8]


def test_large_classes_see_every_face_before_repeating() -> None:
    labels = labels_with_counts([40, 16])
    sampler = ClassBalancedBatchSampler(labels, n_per_class=8, batches=5, seed=0)
    drawn = np.concatenate(list(sampler))
    first_pass = drawn[labels[drawn] == 0][:40]
    assert len(np.unique(first_pass)) == 40


def test_rare_class_is_drawn_with_replacement() -> None:
    labels = labels_with_counts([50, 3])
    index = next(iter(ClassBalancedBatchSampler(labels, n_per_class=10, batches=1)))
    rare = index[labels[index] == 1]
    assert len(rare) == 10 and set(rare.tolist()) <= {50, 51, 52}


def test_same_seed_same_batches_and_state_round_trip() -> None:
    labels = labels_with_counts([30, 30, 30])
    a = ClassBalancedBatchSampler(labels, 4, 6, seed=3)
    b = ClassBalancedBatchSampler(labels, 4, 6, seed=3)
    first = [x.tolist() for x in a]
    assert first == [x.tolist() for x in b]
    state = a.state_dict()
    nxt = [x.tolist() for x in a]
    a2 = ClassBalancedBatchSampler(labels, 4, 6, seed=99)
    a2.load_state_dict(state)
    assert [x.tolist() for x in a2] == nxt


def test_ddp_replicas_split_one_global_batch() -> None:
    labels = labels_with_counts([60, 20, 5])
    full = list(ClassBalancedBatchSampler(labels, 8, 4, seed=7))
    shards = [list(ClassBalancedBatchSampler(labels, 8, 4, seed=7, num_replicas=2, rank=r)) for r in (0, 1)]
    for step, whole in enumerate(full):
        joined = np.concatenate([shards[0][step], shards[1][step]])
        assert sorted(joined.tolist()) == sorted(whole.tolist())
        for shard in (shards[0][step], shards[1][step]):
            assert np.bincount(labels[shard], minlength=3).tolist() == [4, 4, 4]


def test_n_must_divide_by_replicas() -> None:
    with pytest.raises(ValueError, match="divide"):
        ClassBalancedBatchSampler(labels_with_counts([5, 5]), 3, 1, num_replicas=2)


def test_square_root_shares_keep_every_class_in_every_batch() -> None:
    labels = labels_with_counts([10000, 2500, 100])
    sampler = ClassBalancedBatchSampler(labels, n_per_class=32, batches=3, power=0.5, min_per_class=8)
    # sqrt sizes 100 : 50 : 10 of a 96-face batch -> 60, 30, 8 (the minimum)
    assert sampler.per_class == {0: 60, 1: 30, 2: 8}
    for index in sampler:
        assert np.bincount(labels[index]).tolist() == [60, 30, 8]
    sharded = ClassBalancedBatchSampler(labels, 32, 1, power=0.5, num_replicas=4, rank=1)
    assert all(n % 4 == 0 for n in sharded.per_class.values())
