"""Run by test_resume_kill: index an album slowly so that the test can kill -9 it mid-way."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from tests.core.helpers import FakeDetector, make_embedder


class SlowDetector(FakeDetector):
    def detect(self, images):
        time.sleep(0.03)
        return super().detect(images)


if __name__ == "__main__":
    torch.set_num_threads(1)
    album, db = Path(sys.argv[1]), Path(sys.argv[2])
    settings = IndexSettings(min_face=5, photos_per_commit=3, workers=1)
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, SlowDetector(), make_embedder(), settings))
