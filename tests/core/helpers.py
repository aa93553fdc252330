"""Small builders shared by the core tests: a tiny checkpoint, a fake detector, synthetic photos."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from albumsum.core.checkpoint import DEFAULT_INPUT_SPEC, save_checkpoint
from albumsum.core.emotions import EMOTIONS
from albumsum.core.faces import Face
from albumsum.core.images import Decoded
from albumsum.core.inference import Embedder
from albumsum.core.networks import build_network


def make_checkpoint(seed: int = 0, subclasses: bool = True) -> dict:
    """An untrained "small" network with 8 emotion means; two-component GMMs per emotion."""
    torch.manual_seed(seed)
    args = {"arch": "small", "embedding_dim": 16}
    gen = torch.Generator().manual_seed(seed)
    means = torch.randn(8, 16, generator=gen) * 0.05
    subs = {}
    if subclasses:
        for c, name in enumerate(EMOTIONS):
            mu = means[c] + torch.randn(2, 16, generator=gen) * 0.01
            covs = torch.eye(16).repeat(2, 1, 1)
            subs[name] = {"weights": torch.tensor([0.5, 0.5]), "means": mu, "covariances": covs}
    return {
        "model_args": args,
        "state_dict": build_network(**args).state_dict(),
        "class_names": list(EMOTIONS),
        "sigma": 0.5,
        "class_means": means,
        "class_priors": torch.full((8,), 1 / 8),
        "input_spec": dict(DEFAULT_INPUT_SPEC),
        "subclasses": subs,
        "created": f"test-{seed}",
    }


def make_embedder(seed: int = 0) -> Embedder:
    return Embedder(make_checkpoint(seed), device="cpu", batch_size=64)


def write_checkpoint(path: Path, seed: int = 0) -> Path:
    return save_checkpoint(make_checkpoint(seed), path)


class FakeDetector:
    """One face per photo in the middle of the image, two when the photo is wider than 2:1.

    Landmarks in FER proportions, so the crops are well defined; coordinates in original pixels.
    """

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, images: Sequence[Decoded]) -> list[list[Face]]:
        self.calls += len(images)
        return [self._faces(im) for im in images]

    @staticmethod
    def _faces(im: Decoded) -> list[Face]:
        w, h = im.size
        n = 2 if w > 2 * h else 1
        faces = []
        for i in range(n):
            cx, cy, side = w * (i + 0.5) / n, h * 0.5, min(w / n, h) * 0.6
            lm = np.array(
                [
                    [cx - 0.19 * side, cy - 0.11 * side],
                    [cx + 0.19 * side, cy - 0.11 * side],
                    [cx, cy + 0.1 * side],
                    [cx - 0.15 * side, cy + 0.29 * side],
                    [cx + 0.15 * side, cy + 0.29 * side],
                ],
                np.float32,
            )
            box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
            faces.append(Face(box=box, landmarks=lm, score=0.99))
        return faces


def write_photo(path: Path, size: tuple[int, int] = (160, 120), seed: int = 0, fmt: str = "JPEG") -> Path:
    """A small random-colour photo (distinct content per seed)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (size[1] // 8 + 1, size[0] // 8 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize(size, Image.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)
    return path


def indexed_album(
    album: Path, db: Path, n: int, size: tuple[int, int] = (160, 120), name: str = "p{}.jpg"
) -> tuple[Path, Path]:
    """``n`` photos of ``size`` written to ``album`` and indexed into ``db`` with the fake detector."""
    from albumsum.core.index import IndexWriter
    from albumsum.core.indexer import IndexSettings, index_album, run_to_end

    for i in range(n):
        write_photo(album / name.format(i), seed=i, size=size)
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), IndexSettings(min_face=5)))
    return album, db


def tree_snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry under ``root`` (not following links): mode, mtime and content of files."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            data = b""
            if p.is_file() and not p.is_symlink() and os.access(p, os.R_OK):
                data = p.read_bytes()
            out[str(p.relative_to(root))] = (st.st_mode, st.st_mtime_ns, data)
    return out


def fake_mtcnn(monkeypatch) -> list[float]:
    """Make the app's pipeline build a :class:`FakeDetector` instead of MTCNN; returns the list of the
    minimum face sizes it was built with."""
    import albumsum.core.faces

    built: list[float] = []

    class BuiltFake(FakeDetector):
        def __init__(self, device: str = "cpu", min_face_px: float = 20.0) -> None:
            super().__init__()
            built.append(min_face_px)

    monkeypatch.setattr(albumsum.core.faces, "MTCNNDetector", BuiltFake)
    return built


def write_settings(config_dir: Path, **values) -> Path:
    """A settings.json as the window writes it, with ``values``."""
    import json

    path = config_dir / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def sql(index, statement: str, params: tuple = ()) -> list[tuple]:
    """Rows of a raw query on an index (by path, or the index's ``path``): tests look at the stored
    schema directly; the product reads it only through albumsum.core.index."""
    import sqlite3

    path = getattr(index, "path", index)
    with contextlib.closing(sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True, timeout=30)) as conn:
        return conn.execute(statement, params).fetchall()
