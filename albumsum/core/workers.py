"""Worker threads for the indexer: ordered read-ahead, and how many torch threads each may use."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def cpu_threads_for(workers: int) -> int:
    """Torch intra-op threads per worker on CPU: the cores shared out, at least one.

    Two photos detected at once on one thread each beat one photo on two threads: MTCNN is many
    small operations that do not spread over cores.
    """
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def prefetch(func: Callable[[Any], Any], items: list[Any], workers: int) -> Iterator[tuple[Any, Any]]:
    """``(item, func(item))`` in order, computed ``2 * workers`` ahead on a thread pool."""
    if workers <= 0:
        for item in items:
            yield item, func(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="albumsum-decode") as pool:
        queue: list[tuple[Any, Future[Any]]] = []
        it = iter(items)
        try:
            for item in it:
                queue.append((item, pool.submit(func, item)))
                if len(queue) > 2 * workers:
                    head, fut = queue.pop(0)
                    yield head, fut.result()
            for head, fut in queue:
                yield head, fut.result()
        finally:
            for _, fut in queue:
                fut.cancel()
