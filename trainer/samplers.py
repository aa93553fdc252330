"""Exactly class-balanced batches: n faces of each of c classes (paper 4.1: n=32, c=8)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class ClassBalancedBatchSampler:
    """Yields index arrays of exactly ``n_per_class * len(classes)`` rows, grouped by class.

    Each class is drawn without replacement from a shuffled pool that refills when it runs out,
    so every face is seen before any repeats; a class with fewer than ``n_per_class`` faces is
    drawn with replacement within the batch. Classes with no faces are skipped. With
    ``num_replicas > 1`` (DDP), replica ``rank`` takes its own disjoint slice of each class's
    draw for the step, so the replicas' batches together form one global n x c batch.
    """

    def __init__(
        self, labels: np.ndarray, n_per_class: int, batches: int, seed: int = 0, num_replicas: int = 1, rank: int = 0
    ) -> None:
        if n_per_class % num_replicas:
            raise ValueError(f"n_per_class={n_per_class} must divide by num_replicas={num_replicas}")
        labels = np.asarray(labels)
        self.classes = [int(c) for c in np.unique(labels)]
        self.pools = {c: np.flatnonzero(labels == c) for c in self.classes}
        self.n_per_class = n_per_class
        self.batches = batches
        self.num_replicas, self.rank = num_replicas, rank
        self.rng = np.random.default_rng(seed)
        self._queues: dict[int, np.ndarray] = {c: np.empty(0, dtype=np.int64) for c in self.classes}

    @property
    def batch_size(self) -> int:
        return self.n_per_class * len(self.classes) // self.num_replicas

    def _draw(self, c: int) -> np.ndarray:
        pool = self.pools[c]
        if len(pool) < self.n_per_class:
            return self.rng.choice(pool, size=self.n_per_class, replace=True)
        queue = self._queues[c]
        while len(queue) < self.n_per_class:
            queue = np.concatenate([queue, self.rng.permutation(pool)])
        self._queues[c] = queue[self.n_per_class :]
        return queue[: self.n_per_class]

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[np.ndarray]:
        share = self.n_per_class // self.num_replicas
        for _ in range(self.batches):
            parts = [self._draw(c)[self.rank * share : (self.rank + 1) * share] for c in self.classes]
            yield np.concatenate(parts)

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "queues": {c: q.tolist() for c, q in self._queues.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self._queues = {int(c): np.asarray(q, dtype=np.int64) for c, q in state["queues"].items()}
