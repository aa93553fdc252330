"""The one explicit context (STYLE.md 6): settings, the worker runner and the face pipeline, built
once by the app (or a test) and passed to the windows. No singletons."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumsum.core.indexer import IndexSettings
from albumsum.core.settings import Settings, load_settings, save_settings, settings_path
from albumsum.ui.workers import ImmediatePool, Runner

log = logging.getLogger(__name__)

PipelineFactory = Callable[[Settings], tuple[Any, Any]]  # settings -> (detector, embedder)


class ModelPipeline:
    """Builds MTCNN and the embedder for the current device and face size, once per combination.

    Called on a worker thread (loading a model takes seconds); a lock keeps two jobs from loading
    it twice.
    """

    def __init__(self, model_path: Path | None = None, workers: int = 2) -> None:
        self.model_path = model_path
        self.workers = workers
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._built: tuple[Any, Any] | None = None

    def __call__(self, settings: Settings) -> tuple[Any, Any]:
        from albumsum.core.faces import MTCNNDetector
        from albumsum.core.inference import Embedder, pick_device
        from albumsum.core.resources import default_model_path

        device = str(pick_device(settings.device))
        key = (device, settings.min_face, self.model_path)
        with self._lock:
            if self._key != key or self._built is None:
                embedder = Embedder.from_file(self.model_path or default_model_path(), device=device)
                if device == "cpu":
                    import torch

                    from albumsum.core.workers import cpu_threads_for

                    torch.set_num_threads(cpu_threads_for(self.workers))
                self._built = (MTCNNDetector(device=device, min_face_px=settings.min_face), embedder)
                self._key = key
            return self._built


@dataclass
class AppContext:
    """What every part of the window needs; tests build one with fakes and a tmp settings file."""

    runner: Runner
    pipeline: PipelineFactory
    settings_file: Path
    settings: Settings = field(default_factory=Settings)
    index_defaults: IndexSettings = field(default_factory=IndexSettings)

    @classmethod
    def create(
        cls,
        *,
        pool: Any = None,
        pipeline: PipelineFactory | None = None,
        settings_file: Path | None = None,
        index_defaults: IndexSettings | None = None,
    ) -> AppContext:
        path = settings_file or settings_path()
        return cls(
            runner=Runner(pool),
            pipeline=pipeline or ModelPipeline(),
            settings_file=path,
            settings=load_settings(path),
            index_defaults=index_defaults or IndexSettings(),
        )

    def update_settings(self, settings: Settings) -> None:
        """Keep and store new settings; a failed write is logged (the app keeps working)."""
        self.settings = settings
        try:
            save_settings(settings, self.settings_file)
        except OSError as exc:
            log.warning("cannot save settings to %s: %s", self.settings_file, exc)

    def index_settings(self) -> IndexSettings:
        s = self.settings
        return dataclasses.replace(self.index_defaults, min_face=s.min_face, min_score=s.min_score)


__all__ = ["AppContext", "ImmediatePool", "ModelPipeline", "PipelineFactory"]
