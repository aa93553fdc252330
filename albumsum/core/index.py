"""The album index: one SQLite file per album, outside the photo folder.

Tables (schema :data:`SCHEMA_VERSION`):

- ``photos``: one row per file path (relative to the album root, POSIX separators): size, mtime,
  content hash, status ``ok`` / ``error`` and the error reason.
- ``contents``: one row per distinct content hash whose faces are stored: dimensions and face count.
  A content row and its faces are written in one transaction, so after a crash a photo either has
  all its faces or none (and is redone). Faces belong to the content, not the path, so a moved or
  renamed file keeps its faces.
- ``faces``: box, landmarks float32 [5, 2], detection score, aligned crop uint8 [S, S], colour
  thumbnail JPEG, embedding float32 [D], posterior float32 [C], emotion, model sub-class, and the
  identity of the model that embedded it.
- ``meta``: schema version, album root, current model identity.

WAL journal; one writer (this object); the caller batches commits through :meth:`IndexStore.batch`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS photos (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error TEXT
);
CREATE INDEX IF NOT EXISTS photos_hash ON photos(hash);
CREATE TABLE IF NOT EXISTS contents (
    hash TEXT PRIMARY KEY,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    n_faces INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL REFERENCES contents(hash) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    landmarks BLOB NOT NULL,
    score REAL NOT NULL,
    crop BLOB NOT NULL,
    crop_size INTEGER NOT NULL,
    thumb BLOB,
    embedding BLOB,
    posterior BLOB,
    emotion INTEGER,
    subclass INTEGER,
    model TEXT,
    UNIQUE (hash, idx)
);
"""


@dataclass(frozen=True)
class PhotoRow:
    """What the index knows of one file path."""

    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    error: str | None


@dataclass(frozen=True, eq=False)
class FaceRecord:
    """A stored face, as written by the indexer. Arrays: landmarks [5, 2], crop [S, S], embedding [D],
    posterior [C]."""

    idx: int
    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    crop: np.ndarray
    thumb: bytes | None
    embedding: np.ndarray | None
    posterior: np.ndarray | None
    emotion: int | None
    subclass: int | None


class IndexStore:
    """The one writer of an album index (a context manager; ``close()`` when done)."""

    def __init__(self, path: str | os.PathLike[str], album_root: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        if album_root is not None:
            with self.batch():
                self.set_meta("album_root", str(Path(album_root).resolve()))

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: index schema {version} is newer than this albumsum ({SCHEMA_VERSION}); upgrade albumsum"
            )
        if version < SCHEMA_VERSION:
            with self.batch():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self.set_meta("schema_version", str(SCHEMA_VERSION))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction: everything inside is committed together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    # -- photos -----------------------------------------------------------------------------------
    def photos(self) -> dict[str, PhotoRow]:
        rows = self.conn.execute("SELECT path, size, mtime_ns, hash, status, error FROM photos")
        return {r[0]: PhotoRow(*r) for r in rows}

    def put_photo(self, row: PhotoRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO photos(path, size, mtime_ns, hash, status, error) VALUES (?, ?, ?, ?, ?, ?)",
            (row.path, row.size, row.mtime_ns, row.hash, row.status, row.error),
        )

    def remove_photos(self, paths: list[str]) -> None:
        self.conn.executemany("DELETE FROM photos WHERE path = ?", [(p,) for p in paths])

    def content_hashes(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT hash FROM contents")]

    def has_content(self, digest: str) -> bool:
        return self.conn.execute("SELECT 1 FROM contents WHERE hash = ?", (digest,)).fetchone() is not None

    def prune_contents(self) -> int:
        """Drop contents (and their faces) that no photo path refers to any more."""
        cur = self.conn.execute("DELETE FROM contents WHERE hash NOT IN (SELECT hash FROM photos WHERE hash NOT NULL)")
        return cur.rowcount

    # -- faces ------------------------------------------------------------------------------------
    def put_content(self, digest: str, size: tuple[int, int], faces: list[FaceRecord], model: str) -> None:
        """Store a photo content and all its faces (call inside :meth:`batch`)."""
        self.conn.execute("DELETE FROM contents WHERE hash = ?", (digest,))
        self.conn.execute(
            "INSERT INTO contents(hash, width, height, n_faces) VALUES (?, ?, ?, ?)",
            (digest, size[0], size[1], len(faces)),
        )
        self.conn.executemany(
            "INSERT INTO faces(hash, idx, x0, y0, x1, y1, landmarks, score, crop, crop_size, thumb, embedding,"
            " posterior, emotion, subclass, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(digest, f.idx, *f.box, *_face_blobs(f), model) for f in faces],
        )

    def update_embeddings(self, rows: list[tuple[int, np.ndarray, np.ndarray, int, int | None]], model: str) -> None:
        """(face id, embedding [D], posterior [C], emotion, sub-class) for re-embedded faces."""
        self.conn.executemany(
            "UPDATE faces SET embedding = ?, posterior = ?, emotion = ?, subclass = ?, model = ? WHERE id = ?",
            [(_f32(e), _f32(p), int(k), s, model, i) for i, e, p, k, s in rows],
        )

    def stale_faces(self, model: str, limit: int) -> list[tuple[int, np.ndarray]]:
        """Up to ``limit`` (face id, crop) not embedded by ``model``."""
        rows = self.conn.execute(
            "SELECT id, crop, crop_size FROM faces WHERE model IS NOT ? ORDER BY id LIMIT ?", (model, limit)
        )
        return [(i, np.frombuffer(c, np.uint8).reshape(s, s)) for i, c, s in rows]

    def count_stale(self, model: str) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM faces WHERE model IS NOT ?", (model,)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        q = self.conn.execute
        return {
            "photos": q("SELECT COUNT(*) FROM photos").fetchone()[0],
            "errors": q("SELECT COUNT(*) FROM photos WHERE status = 'error'").fetchone()[0],
            "contents": q("SELECT COUNT(*) FROM contents").fetchone()[0],
            "faces": q("SELECT COUNT(*) FROM faces").fetchone()[0],
        }

    def errors(self) -> list[tuple[str, str]]:
        return list(self.conn.execute("SELECT path, error FROM photos WHERE status = 'error' ORDER BY path"))

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()


def _f32(a: np.ndarray | None) -> bytes | None:
    return None if a is None else np.asarray(a, np.float32).tobytes()


def _face_blobs(f: FaceRecord) -> tuple[Any, ...]:
    crop = np.ascontiguousarray(f.crop, np.uint8)
    return (
        _f32(f.landmarks),
        float(f.score),
        crop.tobytes(),
        int(crop.shape[0]),
        f.thumb,
        _f32(f.embedding),
        _f32(f.posterior),
        f.emotion,
        f.subclass,
    )


def blob_f32(blob: bytes | None) -> np.ndarray | None:
    """A float32 vector stored by the index, or ``None``."""
    return None if blob is None else np.frombuffer(blob, np.float32)


def model_identity(checkpoint: dict[str, Any]) -> str:
    """A short stable id of a checkpoint's weights and statistics (independent of its file name)."""
    h = hashlib.sha256(json.dumps(checkpoint.get("model_args", {}), sort_keys=True).encode())
    h.update(str(checkpoint.get("created", "")).encode())
    for name, tensor in sorted(checkpoint.get("state_dict", {}).items()):
        h.update(name.encode())
        h.update(np.ascontiguousarray(tensor.detach().cpu().float().numpy()).tobytes()[:4096])
    h.update(np.asarray(checkpoint.get("class_means", []), np.float32).tobytes())
    return h.hexdigest()[:16]
