"""A small progress bar for long loops: count, rate, ETA and live values, on stderr."""

from __future__ import annotations

import sys
import time


class Progress:
    """``bar.update(loss=0.3)`` once per step; redraws at most 4 times a second."""

    def __init__(self, total: int, label: str, enabled: bool = True, stream=None) -> None:
        self.total, self.label, self.enabled = total, label, enabled
        self.stream = stream or sys.stderr
        self.count = 0
        self.start = self.last = time.perf_counter()

    def update(self, n: int = 1, **values: float) -> None:
        self.count += n
        now = time.perf_counter()
        if self.enabled and (now - self.last > 0.25 or self.count == self.total):
            self.last = now
            self._draw(now, values)

    def _draw(self, now: float, values: dict[str, float]) -> None:
        elapsed = now - self.start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.count) / rate if rate > 0 else 0.0
        frac = self.count / self.total if self.total else 1.0
        bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
        extra = " ".join(f"{k} {v:.4g}" for k, v in values.items())
        self.stream.write(
            f"\r{self.label} [{bar}] {self.count}/{self.total} {extra} eta {int(eta) // 60}:{int(eta) % 60:02d}   "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
