"""Progress of long jobs, one copy for the CLI, the window and the trainer: rate and time left
(:func:`rate_and_eta`, :func:`clock`), and a one-line bar on a terminal (:class:`Progress`)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def rate_and_eta(done: int, total: int, elapsed: float) -> tuple[float, float]:
    """Items per second so far and the seconds left at that rate (0 when nothing is known yet)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    return rate, (max(total - done, 0) / rate if rate > 0 else 0.0)


def clock(seconds: float) -> str:
    """``m:ss`` (minutes may exceed 59)."""
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


class Progress:
    """A one-line bar on ``stream`` (stderr): count, rate, live values and ETA, redrawn at most four
    times a second. ``update(n, loss=0.3)`` advances by ``n``; ``show(done, total)`` sets the
    position (a job whose progress records carry their own counts)."""

    def __init__(
        self, total: int, label: str, enabled: bool = True, stream: TextIO | None = None, unit: str = ""
    ) -> None:
        self.total, self.label, self.enabled, self.unit = total, label, enabled, unit
        self.stream = stream or sys.stderr
        self.count = 0
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, n: int = 1, **values: float | str) -> None:
        self.show(self.count + n, **values)

    def show(self, done: int, total: int | None = None, elapsed: float | None = None, **values: float | str) -> None:
        self.count = done
        self.total = self.total if total is None else total
        now = time.perf_counter()
        if self.enabled and (now - self.last > 0.25 or self.count >= self.total):
            self.last = now
            self._draw(now - self.start if elapsed is None else elapsed, values)

    def _draw(self, elapsed: float, values: dict[str, float | str]) -> None:
        rate, eta = rate_and_eta(self.count, self.total, elapsed)
        fill = int(20 * self.count / self.total) if self.total else 20
        extra = "".join(f" {k} {v:.4g}" if isinstance(v, float) else f" {k} {v}" for k, v in values.items())
        unit = f" {self.unit}" if self.unit else ""
        self.stream.write(
            f"\r{self.label} [{'#' * fill}{'-' * (20 - fill)}] {self.count}/{self.total}{unit} {rate:.1f}/s{extra}"
            f"  ETA {clock(eta)}   "
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
