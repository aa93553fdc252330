"""A synthetic index of many faces for the benchmarks (no photos, random embeddings and posteriors)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumsum.core.index import FaceRecord, IndexWriter, PhotoRow

PER_PHOTO = 4


def write_synthetic_faces(
    store: IndexWriter, n_faces: int, seed: int = 0, shares: np.ndarray | None = None, thumbs: bool = False
) -> None:
    """``n_faces`` faces, four per photo. The emotion is drawn from ``shares`` when given, else it is
    the posterior's argmax; sub-classes 0-2 at random; with ``thumbs``, real 96 px JPEG thumbnails."""
    rng = np.random.default_rng(seed)
    jpegs: list[bytes | None] = [None]
    if thumbs:
        jpegs = []
        for _ in range(64):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(buf, "JPEG", quality=85)
            jpegs.append(buf.getvalue())
    landmarks = np.zeros((5, 2), np.float32)
    crop = np.zeros((48, 48), np.uint8)
    with store.batch():
        for p in range(n_faces // PER_PHOTO):
            digest = f"{p:032x}"
            emb = rng.standard_normal((PER_PHOTO, 64)).astype(np.float32)
            post = rng.dirichlet(np.ones(8), PER_PHOTO).astype(np.float32)
            records = []
            for k in range(PER_PHOTO):
                emotion = int(rng.choice(8, p=shares)) if shares is not None else int(post[k].argmax())
                thumb = jpegs[(PER_PHOTO * p + k) % len(jpegs)]
                sub = int(rng.integers(0, 3))
                box = (0.0, 0.0, 50.0, 50.0)
                records.append(FaceRecord(k, box, landmarks, 0.99, crop, thumb, emb[k], post[k], emotion, sub))
            store.put_content(digest, (4032, 3024), records, "m")
            store.put_photo(PhotoRow(f"p{p}.jpg", 1, 1, digest, "ok", None))
