"""Class-stratified batches: exactly n faces of each of c classes (paper 4.1: n=32, c=8), or,
with ``power > 0``, a fixed number per class proportional to ``count ** power`` (every class is in
every batch, so the SGM loss can always estimate every class mean)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def per_class_counts(
    counts: dict[int, int], n_per_class: int, power: float = 0.0, min_per_class: int = 8, multiple: int = 1
) -> dict[int, int]:
    """Faces per class in one batch of about ``n_per_class * len(counts)``.

    ``power = 0`` gives exactly ``n_per_class`` each (the paper's n x c); ``power = 0.5`` shares the
    batch in proportion to the square root of the class sizes, at least ``min_per_class`` each;
    ``power = 1`` follows the data. Every count is rounded up to a multiple of ``multiple`` (DDP).
    """
    if power == 0:
        out = dict.fromkeys(counts, n_per_class)
    else:
        weights = {c: float(n) ** power for c, n in counts.items()}
        total = n_per_class * len(counts)
        scale = total / sum(weights.values())
        out = {c: max(min_per_class, round(w * scale)) for c, w in weights.items()}
    return {c: n + (-n) % multiple for c, n in out.items()}


class ClassBalancedBatchSampler:
    """Yields index arrays with a fixed number of rows of every class, grouped by class.

    With the default ``power = 0`` every batch holds exactly ``n_per_class`` faces of each class.
    Each class is drawn without replacement from a shuffled pool that refills when it runs out,
    so every face is seen before any repeats; a class with fewer faces than its share is drawn
    with replacement within the batch. Classes with no faces are skipped. With
    ``num_replicas > 1`` (DDP), replica ``rank`` takes its own disjoint slice of each class's
    draw for the step, so the replicas' batches together form one global batch.
    """

    def __init__(
        self,
        labels: np.ndarray,
        n_per_class: int,
        batches: int,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        power: float = 0.0,
        min_per_class: int = 8,
    ) -> None:
        if power == 0 and n_per_class % num_replicas:
            raise ValueError(f"n_per_class={n_per_class} must divide by num_replicas={num_replicas}")
        labels = np.asarray(labels)
        self.classes = [int(c) for c in np.unique(labels)]
        self.pools = {c: np.flatnonzero(labels == c) for c in self.classes}
        self.per_class = per_class_counts(
            {c: len(p) for c, p in self.pools.items()}, n_per_class, power, min_per_class, num_replicas
        )
        self.batches = batches
        self.num_replicas, self.rank = num_replicas, rank
        self.rng = np.random.default_rng(seed)
        self._queues: dict[int, np.ndarray] = {c: np.empty(0, dtype=np.int64) for c in self.classes}

    @property
    def batch_size(self) -> int:
        """Rows per batch on this replica."""
        return sum(self.per_class.values()) // self.num_replicas

    def _draw(self, c: int) -> np.ndarray:
        pool, n = self.pools[c], self.per_class[c]
        if len(pool) < n:
            return self.rng.choice(pool, size=n, replace=True)
        queue = self._queues[c]
        while len(queue) < n:
            queue = np.concatenate([queue, self.rng.permutation(pool)])
        self._queues[c] = queue[n:]
        return queue[:n]

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[np.ndarray]:
        for _ in range(self.batches):
            parts = []
            for c in self.classes:
                share = self.per_class[c] // self.num_replicas
                parts.append(self._draw(c)[self.rank * share : (self.rank + 1) * share])
            yield np.concatenate(parts)

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state, "queues": {c: q.tolist() for c, q in self._queues.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]
        self._queues = {int(c): np.asarray(q, dtype=np.int64) for c, q in state["queues"].items()}
