"""The one worker abstraction (docs/ARCHITECTURE.md, convention 3): jobs run on an injected
``QThreadPool`` and report back on the GUI thread through queued signals.

A job is ``job(cancelled) -> value`` or a generator: each yielded item is delivered as ``progress``,
the generator's return value as ``result``. ``cancelled()`` turns true after :meth:`Handle.cancel`;
generators are also closed between items, so a core generator stops cleanly. Every exception is
caught and delivered as ``error``: a failing job never takes the window down.

Each job has a priority (:data:`BROWSE` ahead of :data:`SNAPSHOT`, :data:`BACKGROUND` and
:data:`INDEX`), so that what the user looks at is never queued behind background work, and may name
a ``slot``: starting a job in a slot cancels the one before it there, and a job cancelled before it
started is dropped without running (a superseded map projection never runs).
"""

from __future__ import annotations

import inspect
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[Callable[[], bool]], Any]

# pool priorities: higher runs first among the jobs waiting for a thread
BROWSE = 30  # thumbnails and photos on screen
SNAPSHOT = 20  # reading the index for the views
BACKGROUND = 10  # map projections, exports
INDEX = 0  # indexing (long; one thread)


class Handle(QObject):
    """One running job: its signals (delivered on the thread that owns the handle) and its cancel flag.

    The worker emits the private signals; they reach this object's slots through queued connections
    (the handle lives on the GUI thread), which re-emit the public ones there, so that any callable
    connected to them runs on the GUI thread.
    """

    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)  # the exception; its traceback is logged
    finished = Signal()  # always last, after result or error
    _progress = Signal(object)
    _result = Signal(object)
    _error = Signal(object)
    _finished = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._cancel = threading.Event()
        self.done = False
        self._progress.connect(self._relay_progress)
        self._result.connect(self._relay_result)
        self._error.connect(self._relay_error)
        self._finished.connect(self._relay_finished)

    @Slot(object)
    def _relay_progress(self, item: object) -> None:
        self.progress.emit(item)

    @Slot(object)
    def _relay_result(self, value: object) -> None:
        self.result.emit(value)

    @Slot(object)
    def _relay_error(self, exc: object) -> None:
        self.error.emit(exc)

    @Slot()
    def _relay_finished(self) -> None:
        self.done = True
        self.finished.emit()

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Task(QRunnable):
    def __init__(self, job: Job, handle: Handle) -> None:
        super().__init__()
        self.job = job
        self.handle = handle

    def run(self) -> None:
        h = self.handle
        try:
            if h.cancelled():  # superseded or shut down while it waited: drop it
                return
            out = self.job(h.cancelled)
            if inspect.isgenerator(out):
                out = self._drain(out)
            if not h.cancelled():
                h._result.emit(out)
        except Exception as exc:
            log.error("job %s failed:\n%s", h.name, traceback.format_exc())
            h._error.emit(exc)
        finally:
            h._finished.emit()

    def _drain(self, gen: Any) -> Any:
        try:
            while True:
                if self.handle.cancelled():
                    gen.close()
                    return None
                self.handle._progress.emit(next(gen))
        except StopIteration as stop:
            return stop.value


class ImmediatePool:
    """A stand-in for ``QThreadPool`` that runs each job at once on the calling thread (tests)."""

    def start(self, runnable: QRunnable, priority: int = 0) -> None:
        runnable.run()

    def waitForDone(self, msecs: int = -1) -> bool:
        return True


class Runner(QObject):
    """Starts jobs on the pool and keeps each handle alive until it has finished."""

    def __init__(self, pool: QThreadPool | ImmediatePool | None = None) -> None:
        super().__init__()
        self.pool = pool if pool is not None else QThreadPool.globalInstance()
        self.active: set[Handle] = set()
        self.slots: dict[str, Handle] = {}

    def start(
        self,
        name: str,
        job: Job,
        *,
        on_progress: Callable[[Any], None] | None = None,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        priority: int = BACKGROUND,
        slot: str | None = None,
    ) -> Handle:
        """Run ``job`` on the pool; with a ``slot``, the job started there before is cancelled."""
        handle = Handle(name)
        if slot is not None:
            previous = self.slots.get(slot)
            if previous is not None:
                previous.cancel()
            self.slots[slot] = handle
        for signal, slot in (
            (handle.progress, on_progress),
            (handle.result, on_result),
            (handle.error, on_error),
            (handle.finished, on_finished),
        ):
            if slot is not None:
                signal.connect(slot)
        handle.finished.connect(lambda: self._forget(handle))
        self.active.add(handle)
        self.pool.start(_Task(job, handle), priority)
        return handle

    def _forget(self, handle: Handle) -> None:
        self.active.discard(handle)
        for slot, h in list(self.slots.items()):
            if h is handle:
                del self.slots[slot]

    def shutdown(self, msecs: int = 15000) -> bool:
        """Cancel every job and wait for the pool; ``False`` when a job did not stop in time."""
        for handle in list(self.active):
            handle.cancel()
        return self.pool.waitForDone(msecs)
