"""The album index: one SQLite file per album, outside the photo folder. This module owns its schema:
:class:`IndexWriter` (the one writer) and :class:`IndexReader` (read-only, any thread, beside the
writer) are the only code that holds SQL.

Tables (schema :data:`SCHEMA_VERSION`; :data:`_MIGRATIONS` brings an older index up to it):

- ``photos``: one row per file path (relative to the album root, POSIX separators): size, mtime,
  content hash, status ``ok`` / ``error`` and the error reason.
- ``contents``: one row per distinct content hash whose faces are stored: dimensions and face count.
  A content row and its faces are written in one transaction, so after a crash a photo either has
  all its faces or none (and is redone). Faces belong to the content, not the path, so a moved or
  renamed file keeps its faces.
- ``faces``: box, landmarks float32 [5, 2], detection score, aligned crop uint8 [S, S], colour
  thumbnail JPEG, embedding float32 [D], posterior float32 [C], emotion, model sub-class, the
  identity of the model that embedded it and of the framing its crop was cut with (schema 2; an
  index of schema 1 was cut with :data:`LEGACY_FRAMING`), and (schema 3) the face's quality in
  [0, 1] (:mod:`albumsum.core.quality`; filled in by :meth:`IndexWriter.fill_quality` for faces
  stored before it) and its ``position`` in seconds when it comes from a video (NULL for a photo).
- ``corrections`` (schema 4): the user's corrections (:mod:`albumsum.core.corrections`), by content
  hash and box, so that they survive a photo read again; they are applied by :meth:`IndexReader.faces`
  and are never removed by indexing.
- ``group_names`` (schema 5): the names the user gave groups, by (sub-class source, emotion,
  sub-class number); never touched by indexing or re-embedding (see :meth:`IndexWriter.name_group`).
- ``meta``: schema version, album root, current model identity, and ``revision``, counted up by
  every write that changes or removes what a reader has read (adding faces does not), so that a
  reader can add the new faces to its last snapshot instead of reading the index again.

WAL journal; one writer; the caller batches commits through :meth:`IndexWriter.batch`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from albumsum.core import corrections
from albumsum.core.corrections import Correction
from albumsum.core.faces import box_iou

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
# the framing identity (albumsum.core.framing.Framing().identity) of every crop an index of schema 1 holds
LEGACY_FRAMING = "fer-0.373-0.387-0.402-0.91-0.15"

_SCHEMA_1 = """
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

# version -> the statements that bring an index of the version before it up to it
_MIGRATIONS: dict[int, list[str]] = {
    1: [statement for statement in _SCHEMA_1.split(";") if statement.strip()],
    2: ["ALTER TABLE faces ADD COLUMN framing TEXT", f"UPDATE faces SET framing = '{LEGACY_FRAMING}'"],
    3: ["ALTER TABLE faces ADD COLUMN quality REAL", "ALTER TABLE faces ADD COLUMN position REAL"],
    4: [
        "CREATE TABLE IF NOT EXISTS corrections (hash TEXT NOT NULL, x0 REAL NOT NULL, y0 REAL NOT NULL,"
        " x1 REAL NOT NULL, y1 REAL NOT NULL, kind TEXT NOT NULL, value TEXT, created REAL NOT NULL, path TEXT)",
        "CREATE INDEX IF NOT EXISTS corrections_hash ON corrections(hash)",
    ],
    5: [
        "CREATE TABLE IF NOT EXISTS group_names (source TEXT NOT NULL, emotion INTEGER NOT NULL,"
        " subclass INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (source, emotion, subclass))",
    ],
}


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
    quality: float | None = None
    position: float | None = None  # seconds into a video; None for a photo


@dataclass(frozen=True, eq=False)
class AlbumFaces:
    """Every embedded face of an album. Arrays of length N: ``ids``, ``emotions``, ``subclasses``
    (the model's), ``scores``, ``qualities`` (NaN where unknown), ``positions`` (seconds into a
    video, NaN for a photo); ``embeddings`` [N, D], ``posteriors`` [N, C], ``boxes`` [N, 4];
    ``hashes`` and ``paths`` (one path per photo content) as lists."""

    ids: np.ndarray
    hashes: list[str]
    paths: list[str]
    embeddings: np.ndarray
    posteriors: np.ndarray
    emotions: np.ndarray
    subclasses: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray
    qualities: np.ndarray | None = None
    positions: np.ndarray | None = None
    corrected: np.ndarray | None = None  # bool: the user set this face's emotion
    confirmed: np.ndarray | None = None  # bool: the user kept this face when the app proposed to reject it

    def __post_init__(self) -> None:
        nan = np.full(len(self.ids), np.nan)
        if self.qualities is None:
            object.__setattr__(self, "qualities", nan)
        if self.positions is None:
            object.__setattr__(self, "positions", nan.copy())
        if self.corrected is None:
            object.__setattr__(self, "corrected", np.zeros(len(self.ids), bool))
        if self.confirmed is None:
            object.__setattr__(self, "confirmed", np.zeros(len(self.ids), bool))

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, face_id: int) -> int:
        return int(np.searchsorted(self.ids, face_id))

    def rows(self, face_ids: Any) -> np.ndarray:
        """The rows of many face ids at once, in their order, ``int64 [len(face_ids)]`` (one call: the
        window looks up groups of thousands of faces on an emotion switch)."""
        return np.searchsorted(self.ids, np.asarray(face_ids, np.int64).reshape(-1)).astype(np.int64, copy=False)

    @classmethod
    def empty(cls) -> AlbumFaces:
        z = np.zeros(0, np.int64)
        flat = np.zeros((0, 0), np.float32)
        return cls(z, [], [], flat, flat, z, z, np.zeros(0), np.zeros((0, 4)))

    def take(self, rows: np.ndarray) -> AlbumFaces:
        """The faces at ``rows`` (in that order)."""
        rows = np.asarray(rows, np.int64)
        return AlbumFaces(
            self.ids[rows],
            [self.hashes[r] for r in rows],
            [self.paths[r] for r in rows],
            *(np.asarray(a)[rows] for a in _arrays(self)),
        )

    @classmethod
    def concat(cls, a: AlbumFaces, b: AlbumFaces) -> AlbumFaces:
        """``a`` then ``b`` (``b``'s ids all above ``a``'s)."""
        if not len(a) or not len(b):
            return b if not len(a) else a
        return cls(
            np.concatenate([a.ids, b.ids]),
            a.hashes + b.hashes,
            a.paths + b.paths,
            *(np.concatenate([x, y]) for x, y in zip(_arrays(a), _arrays(b), strict=True)),
        )


def _arrays(f: AlbumFaces) -> tuple[np.ndarray, ...]:
    return (
        f.embeddings,
        f.posteriors,
        f.emotions,
        f.subclasses,
        f.scores,
        f.boxes,
        f.qualities,
        f.positions,
        f.corrected,
        f.confirmed,
    )


class _Index:
    """What the reader and the writer both read."""

    path: Path
    _conn: sqlite3.Connection

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version"))

    def meta(self, key: str, default: str | None = None) -> str | None:
        value = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return default if value is None else value

    def photos(self) -> dict[str, PhotoRow]:
        rows = self._conn.execute("SELECT path, size, mtime_ns, hash, status, error FROM photos")
        return {r[0]: PhotoRow(*r) for r in rows}

    def content_hashes(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT hash FROM contents")]

    def has_content(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM contents WHERE hash = ?", (digest,)) is not None

    def content_sizes(self) -> dict[str, tuple[int, int]]:
        """Path -> (width, height) of every photo whose faces are stored."""
        rows = self._conn.execute("SELECT p.path, c.width, c.height FROM photos p JOIN contents c ON c.hash = p.hash")
        return {path: (w, h) for path, w, h in rows}

    def counts(self) -> dict[str, int]:
        return {
            "photos": self._one("SELECT COUNT(*) FROM photos"),
            "errors": self._one("SELECT COUNT(*) FROM photos WHERE status = 'error'"),
            "contents": self._one("SELECT COUNT(*) FROM contents"),
            "faces": self._one("SELECT COUNT(*) FROM faces"),
        }

    def errors(self) -> list[tuple[str, str]]:
        return list(self._conn.execute("SELECT path, error FROM photos WHERE status = 'error' ORDER BY path"))

    def revision(self) -> int:
        """How many times stored faces or paths were changed or removed (appends do not count)."""
        return int(self.meta("revision", "0") or 0)

    def group_names(self, source: str) -> dict[tuple[int, int], str]:
        """The user's names of the groups of sub-class ``source`` (``"model"`` or ``"album"``):
        (emotion, sub-class) -> name."""
        rows = self._conn.execute("SELECT emotion, subclass, name FROM group_names WHERE source = ?", (source,))
        return {(int(e), int(k)): str(n) for e, k, n in rows}

    def integrity_ok(self) -> bool:
        return self._one("PRAGMA integrity_check") == "ok"

    def max_face_id(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(id), 0) FROM faces"))

    def faces(self, after: int = 0) -> AlbumFaces:
        """The embedded faces with an id above ``after``, ordered by id, each with the first path (by
        name) of its photo."""
        rows = self._conn.execute(
            "SELECT f.id, f.hash, p.path, f.embedding, f.posterior, f.emotion, f.subclass, f.score,"
            " f.x0, f.y0, f.x1, f.y1, f.quality, f.position FROM faces f"
            " JOIN (SELECT hash, MIN(path) AS path FROM photos WHERE status = 'ok' GROUP BY hash) p ON p.hash = f.hash"
            " WHERE f.embedding IS NOT NULL AND f.id > ? ORDER BY f.id",
            (after,),
        ).fetchall()
        if not rows:
            return AlbumFaces.empty()
        cols = list(zip(*rows, strict=True))
        faces = AlbumFaces(
            ids=np.asarray(cols[0], np.int64),
            hashes=list(cols[1]),
            paths=list(cols[2]),
            embeddings=np.frombuffer(b"".join(cols[3]), np.float32).reshape(len(rows), -1),
            posteriors=np.frombuffer(b"".join(cols[4]), np.float32).reshape(len(rows), -1),
            emotions=np.asarray(cols[5], np.int64),
            subclasses=np.asarray(cols[6], np.int64),
            scores=np.asarray(cols[7], np.float64),
            boxes=np.asarray([cols[8], cols[9], cols[10], cols[11]], np.float64).T,
            qualities=np.asarray([np.nan if q is None else q for q in cols[12]], np.float64),
            positions=np.asarray([np.nan if t is None else t for t in cols[13]], np.float64),
        )
        return self._corrected(faces)

    def corrections(self, hashes: Sequence[str] | None = None, paths: Sequence[str] = ()) -> list[Correction]:
        """The user's corrections (of the given contents or paths; all without ``hashes``), oldest first."""
        sql = "SELECT hash, x0, y0, x1, y1, kind, value, path FROM corrections"
        if hashes is None:
            rows = self._conn.execute(sql + " ORDER BY created, rowid").fetchall()
        else:
            rows = []
            for column, keys in (("hash", hashes), ("path", paths)):
                for chunk in _chunks_of(sorted(set(keys))):
                    q = f"{sql} WHERE {column} IN ({','.join('?' * len(chunk))}) ORDER BY created, rowid"
                    rows += self._conn.execute(q, chunk).fetchall()
            rows = list(dict.fromkeys(rows))
        return [Correction(h, (x0, y0, x1, y1), kind, value, p) for h, x0, y0, x1, y1, kind, value, p in rows]

    def _corrected(self, faces: AlbumFaces) -> AlbumFaces:
        found = corrections.match(faces.hashes, faces.paths, faces.boxes, self.corrections(faces.hashes, faces.paths))
        if not found:
            return faces
        keep, emotions, subclasses, corrected, confirmed = corrections.apply(faces.emotions, faces.subclasses, found)
        fixed = dataclasses.replace(
            faces, emotions=emotions, subclasses=subclasses, corrected=corrected, confirmed=confirmed
        )
        return fixed.take(np.flatnonzero(keep))

    def face_details(self, face_ids: Sequence[int]) -> dict[int, StoredFace]:
        """What is stored of the given faces beyond :meth:`faces`: crop, thumbnail, landmarks, models."""
        out: dict[int, StoredFace] = {}
        for chunk in _chunks(face_ids):
            sql = (
                "SELECT id, crop, crop_size, thumb, landmarks, model, framing FROM faces"
                f" WHERE id IN ({','.join('?' * len(chunk))})"
            )
            for fid, crop, size, thumb, lm, model, framing in self._conn.execute(sql, chunk):
                crop_arr = np.frombuffer(crop, np.uint8).reshape(size, size)
                out[fid] = StoredFace(fid, crop_arr, thumb, np.frombuffer(lm, np.float32).reshape(5, 2), model, framing)
        return out

    def thumbnails(self, face_ids: Sequence[int]) -> dict[int, bytes]:
        """Stored colour thumbnails (JPEG bytes) of the given faces that have one."""
        out: dict[int, bytes] = {}
        for chunk in _chunks(face_ids):
            sql = f"SELECT id, thumb FROM faces WHERE id IN ({','.join('?' * len(chunk))}) AND thumb IS NOT NULL"
            out.update(self._conn.execute(sql, chunk).fetchall())
        return out

    def face_boxes(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """(photo path, box) of every stored face, one row per path that shows it."""
        rows = self._conn.execute("SELECT p.path, f.x0, f.y0, f.x1, f.y1 FROM faces f JOIN photos p ON p.hash = f.hash")
        return [(path, (x0, y0, x1, y1)) for path, x0, y0, x1, y1 in rows]

    def face_models(self) -> list[tuple[int, str | None, str | None]]:
        """(face id, model identity, framing identity) of every face, by id."""
        return list(self._conn.execute("SELECT id, model, framing FROM faces ORDER BY id"))


@dataclass(frozen=True, eq=False)
class StoredFace:
    """One face's stored crop uint8 [S, S], JPEG thumbnail, landmarks [5, 2] and identities."""

    id: int
    crop: np.ndarray
    thumb: bytes | None
    landmarks: np.ndarray
    model: str | None
    framing: str | None


def _chunks_of(items: Sequence[str], n: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), n):
        yield list(items[start : start + n])


def _chunks(ids: Sequence[int], n: int = 500) -> Iterator[list[int]]:
    """``ids`` as ints, ``n`` at a time (SQLite's limit on bound parameters)."""
    flat = [int(i) for i in ids]
    for start in range(0, len(flat), n):
        yield flat[start : start + n]


class IndexReader(_Index):
    """A read-only view of an index (a context manager), usable on any thread while the writer writes.

    An index of an older schema is upgraded first (by a short-lived writer), so the queries see the
    current schema; one of a newer albumsum is refused."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no index at {self.path}")
        self._conn = sqlite3.connect(f"file:{os.fspath(self.path)}?mode=ro", uri=True, timeout=30.0)
        version = self.schema_version()
        if version != SCHEMA_VERSION:
            self._conn.close()
            IndexWriter(self.path).close()  # migrates, or refuses a newer schema
            self._conn = sqlite3.connect(f"file:{os.fspath(self.path)}?mode=ro", uri=True, timeout=30.0)
        self._conn.isolation_level = None  # transactions only where :meth:`consistent` opens one

    @contextlib.contextmanager
    def consistent(self) -> Iterator[IndexReader]:
        """Every read inside sees the index as it was at the first one (one read transaction)."""
        self._conn.execute("BEGIN")
        try:
            yield self
        finally:
            self._conn.execute("COMMIT")


class IndexWriter(_Index):
    """The one writer of an album index (a context manager; ``close()`` when done)."""

    def __init__(self, path: str | os.PathLike[str], album_root: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()
        if album_root is not None:
            with self.batch():
                self.set_meta("album_root", str(Path(album_root).resolve()))

    def __enter__(self) -> IndexWriter:
        return self

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: index schema {version} is newer than this albumsum ({SCHEMA_VERSION}); upgrade albumsum"
            )
        if version < SCHEMA_VERSION:
            with self.batch():
                # read again under the write lock: another writer opening the same new index (the
                # indexer and a rename at once) may have migrated it since
                version = self.schema_version()
                if version >= SCHEMA_VERSION:
                    return
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[step]:
                        self._conn.execute(statement)
                    log.info("%s: index schema %d -> %d", self.path, step - 1, step)
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self.set_meta("schema_version", str(SCHEMA_VERSION))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction: everything inside is committed together or not at all."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- meta and photos --------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def _changed(self, rows: int = 1) -> None:
        """Count a write that changed or removed stored rows (see :meth:`revision`)."""
        if rows:
            self.set_meta("revision", str(self.revision() + 1))

    def put_photo(self, row: PhotoRow) -> None:
        if row.hash is not None and self._one(
            "SELECT 1 FROM photos WHERE hash = ? AND path != ?", (row.hash, row.path)
        ):  # another path to stored faces: which path a face shows may change
            self._changed()
        self._conn.execute(
            "INSERT OR REPLACE INTO photos(path, size, mtime_ns, hash, status, error) VALUES (?, ?, ?, ?, ?, ?)",
            (row.path, row.size, row.mtime_ns, row.hash, row.status, row.error),
        )

    def remove_photos(self, paths: list[str]) -> None:
        self._conn.executemany("DELETE FROM photos WHERE path = ?", [(p,) for p in paths])
        self._changed(len(paths))

    def prune_contents(self) -> int:
        """Drop contents (and their faces) that no photo path refers to any more."""
        cur = self._conn.execute("DELETE FROM contents WHERE hash NOT IN (SELECT hash FROM photos WHERE hash NOT NULL)")
        self._changed(cur.rowcount)
        return cur.rowcount

    # -- faces ------------------------------------------------------------------------------------
    def put_content(
        self, digest: str, size: tuple[int, int], faces: list[FaceRecord], model: str, framing: str = LEGACY_FRAMING
    ) -> None:
        """Store a photo content and all its faces, cut with ``framing`` (call inside :meth:`batch`)."""
        self._changed(self._conn.execute("DELETE FROM contents WHERE hash = ?", (digest,)).rowcount)
        self._conn.execute(
            "INSERT INTO contents(hash, width, height, n_faces) VALUES (?, ?, ?, ?)",
            (digest, size[0], size[1], len(faces)),
        )
        self._conn.executemany(
            "INSERT INTO faces(hash, idx, x0, y0, x1, y1, landmarks, score, crop, crop_size, thumb, embedding,"
            " posterior, emotion, subclass, model, framing, quality, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(digest, f.idx, *f.box, *_face_blobs(f), model, framing, f.quality, f.position) for f in faces],
        )

    def faces_without_quality(self, limit: int = 2000) -> list[tuple[int, np.ndarray, float, float, np.ndarray]]:
        """Up to ``limit`` (face id, crop, shorter box side, score, landmarks [5, 2]) of faces stored
        before the index recorded quality."""
        rows = self._conn.execute(
            "SELECT id, crop, crop_size, MIN(x1 - x0, y1 - y0), score, landmarks FROM faces"
            " WHERE quality IS NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            (
                i,
                np.frombuffer(c, np.uint8).reshape(n, n),
                float(side),
                float(score),
                np.frombuffer(lm, np.float32).reshape(5, 2),
            )
            for i, c, n, side, score, lm in rows
        ]

    def _face_key(self, face_id: int) -> tuple[str, tuple[float, float, float, float], str | None]:
        row = self._conn.execute(
            "SELECT f.hash, f.x0, f.y0, f.x1, f.y1, (SELECT MIN(path) FROM photos p WHERE p.hash = f.hash)"
            " FROM faces f WHERE f.id = ?",
            (int(face_id),),
        ).fetchone()
        if row is None:
            raise KeyError(f"no face {face_id} in {self.path}")
        return row[0], tuple(row[1:5]), row[5]

    def correct(self, face_id: int, kind: str, value: str | None = None) -> Correction:
        """Record that face ``face_id`` is not a face (``kind="not_face"``), is one after all
        (``"is_face"``), or shows the emotion ``value`` (``kind="emotion"``); a later correction of
        the same kind replaces an earlier one, and "is a face" and "not a face" replace each other."""
        digest, box, path = self._face_key(face_id)
        correction = Correction(digest, box, kind, value, path)
        with self.batch():
            for replaced in (kind, *corrections.EXCLUSIVE.get(kind, ())):
                self._forget(face_id, replaced)
            self._conn.execute(
                "INSERT INTO corrections(hash, x0, y0, x1, y1, kind, value, created, path)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (digest, *box, kind, value, time.time(), path),
            )
            self._changed()
        return correction

    def undo_corrections(self, face_id: int) -> int:
        """Forget every correction of face ``face_id``; returns how many there were."""
        with self.batch():
            n = self._forget(face_id)
            self._changed(n)
        return n

    def _forget(self, face_id: int, kind: str | None = None) -> int:
        digest, box, path = self._face_key(face_id)
        rows = self._conn.execute(
            "SELECT rowid, x0, y0, x1, y1, kind FROM corrections WHERE hash = ? OR path = ?", (digest, path)
        ).fetchall()
        mine = [
            r[0]
            for r in rows
            if (kind is None or r[5] == kind)
            and box_iou(np.asarray(box), np.asarray(r[1:5]))[0, 0] >= corrections.MATCH_IOU
        ]
        self._conn.executemany("DELETE FROM corrections WHERE rowid = ?", [(r,) for r in mine])
        return len(mine)

    def name_group(self, source: str, emotion: int, subclass: int, name: str | None) -> None:
        """Name the group (``source``, ``emotion``, ``subclass``), or forget its name (``None`` or blank).

        The key is the sub-class number: for the model's sub-classes it means the same set in every
        album and after every re-index; for the album's own (fitted again when faces change) the
        name stays with the number, whatever faces that sub-class holds next."""
        name = (name or "").strip()
        with self.batch():
            key = (source, int(emotion), int(subclass))
            if name:
                self._conn.execute("INSERT OR REPLACE INTO group_names VALUES (?, ?, ?, ?)", (*key, name))
            else:
                self._conn.execute("DELETE FROM group_names WHERE source = ? AND emotion = ? AND subclass = ?", key)
            self._changed()

    def set_quality(self, rows: list[tuple[int, float]]) -> None:
        """(face id, quality) for faces stored without one (call inside :meth:`batch`)."""
        self._changed(len(rows))
        self._conn.executemany("UPDATE faces SET quality = ? WHERE id = ?", [(q, i) for i, q in rows])

    def update_embeddings(self, rows: list[tuple[int, np.ndarray, np.ndarray, int, int | None]], model: str) -> None:
        """(face id, embedding [D], posterior [C], emotion, sub-class) for re-embedded faces."""
        self._changed(len(rows))
        self._conn.executemany(
            "UPDATE faces SET embedding = ?, posterior = ?, emotion = ?, subclass = ?, model = ? WHERE id = ?",
            [(_f32(e), _f32(p), int(k), s, model, i) for i, e, p, k, s in rows],
        )

    def stale_faces(self, model: str, limit: int) -> list[tuple[int, np.ndarray]]:
        """Up to ``limit`` (face id, crop) not embedded by ``model``."""
        rows = self._conn.execute(
            "SELECT id, crop, crop_size FROM faces WHERE model IS NOT ? ORDER BY id LIMIT ?", (model, limit)
        )
        return [(i, np.frombuffer(c, np.uint8).reshape(s, s)) for i, c, s in rows]

    def count_stale(self, model: str) -> int:
        return int(self._one("SELECT COUNT(*) FROM faces WHERE model IS NOT ?", (model,)))

    def contents_framed_otherwise(self, framing: str) -> set[str]:
        """Content hashes with a face cut with another framing than ``framing`` (to be cut again)."""
        rows = self._conn.execute("SELECT DISTINCT hash FROM faces WHERE framing IS NOT ?", (framing,))
        return {r[0] for r in rows}


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
    """A short stable id of a checkpoint's weights and statistics (independent of its file name).

    Everything a face's stored embedding, posterior, emotion and sub-class depend on goes in: a
    checkpoint refitted without retraining (a new posterior sigma, new sub-class mixtures) keeps
    its network and ``created`` time, and must still be a new model to the index."""
    h = hashlib.sha256(json.dumps(checkpoint.get("model_args", {}), sort_keys=True).encode())
    h.update(str(checkpoint.get("created", "")).encode())
    for name, tensor in sorted(checkpoint.get("state_dict", {}).items()):
        h.update(name.encode())
        h.update(np.ascontiguousarray(tensor.detach().cpu().float().numpy()).tobytes()[:4096])
    h.update(np.asarray(checkpoint.get("class_means", []), np.float32).tobytes())
    h.update(np.asarray(checkpoint.get("class_priors", []), np.float32).tobytes())
    h.update(repr(float(checkpoint.get("sigma", 0.0))).encode())
    for name, mixture in sorted((checkpoint.get("subclasses") or {}).items()):
        h.update(name.encode())
        for key in ("weights", "means", "covariances"):
            h.update(np.asarray(mixture[key], np.float32).tobytes())
    return h.hexdigest()[:16]
