"""A synthetic index of many faces for the benchmarks (no photos, random embeddings and posteriors)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from albumsum.core.index import IndexStore

PER_PHOTO = 4


def write_synthetic_faces(
    store: IndexStore, n_faces: int, seed: int = 0, shares: np.ndarray | None = None, thumbs: bool = False
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
    with store.batch():
        for p in range(n_faces // PER_PHOTO):
            digest = f"{p:032x}"
            store.conn.execute("INSERT INTO photos VALUES (?, 1, 1, ?, 'ok', NULL)", (f"p{p}.jpg", digest))
            store.conn.execute("INSERT INTO contents VALUES (?, 4032, 3024, ?)", (digest, PER_PHOTO))
            emb = rng.standard_normal((PER_PHOTO, 64)).astype(np.float32)
            post = rng.dirichlet(np.ones(8), PER_PHOTO).astype(np.float32)
            rows = []
            for k in range(PER_PHOTO):
                emotion = int(rng.choice(8, p=shares)) if shares is not None else int(post[k].argmax())
                thumb = jpegs[(PER_PHOTO * p + k) % len(jpegs)]
                sub = int(rng.integers(0, 3))
                blobs = (bytes(40), bytes(48 * 48), thumb, emb[k].tobytes(), post[k].tobytes())
                rows.append((digest, k, *blobs, emotion, sub))
            store.conn.executemany(
                "INSERT INTO faces(hash, idx, x0, y0, x1, y1, landmarks, score, crop, crop_size, thumb,"
                " embedding, posterior, emotion, subclass, model)"
                " VALUES (?, ?, 0, 0, 50, 50, ?, 0.99, ?, 48, ?, ?, ?, ?, ?, 'm')",
                rows,
            )
