"""The one explicit context (docs/ARCHITECTURE.md, convention 6): settings, the worker runner and
the face pipeline, built once by the app (or a test) and passed to the windows. No singletons."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumsum.core.album import Album, ModelPipeline, PipelineFactory
from albumsum.core.indexer import IndexSettings
from albumsum.core.settings import Settings, load_settings, save_settings, settings_path
from albumsum.ui.workers import ImmediatePool, Runner

log = logging.getLogger(__name__)


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

    def open_album(self, folder: Path, db: Path | None = None) -> Album:
        """The core album of ``folder`` under the current settings, with the shared pipeline."""
        return Album(folder, self.settings, self.pipeline, db, self.index_defaults)


__all__ = ["AppContext", "ImmediatePool", "ModelPipeline", "PipelineFactory"]
