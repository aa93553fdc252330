"""The trainer's progress bar is the app's (:class:`albumsum.core.progress.Progress`)."""

from albumsum.core.progress import Progress

__all__ = ["Progress"]
