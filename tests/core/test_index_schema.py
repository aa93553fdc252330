"""The index schema: one owner, versions, and an index of the first release opening in this one."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from albumsum.core.index import LEGACY_FRAMING, SCHEMA_VERSION, IndexReader, IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from tests.core.helpers import FakeDetector, make_embedder, write_photo

ROOT = Path(__file__).resolve().parents[2]

# the first release's schema (user_version 1), as it created an index
RELEASE_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE photos (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')), error TEXT);
CREATE INDEX photos_hash ON photos(hash);
CREATE TABLE contents (hash TEXT PRIMARY KEY, width INTEGER NOT NULL, height INTEGER NOT NULL,
    n_faces INTEGER NOT NULL);
CREATE TABLE faces (id INTEGER PRIMARY KEY, hash TEXT NOT NULL REFERENCES contents(hash) ON DELETE CASCADE,
    idx INTEGER NOT NULL, x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    landmarks BLOB NOT NULL, score REAL NOT NULL, crop BLOB NOT NULL, crop_size INTEGER NOT NULL, thumb BLOB,
    embedding BLOB, posterior BLOB, emotion INTEGER, subclass INTEGER, model TEXT, UNIQUE (hash, idx));
"""


def release_1_index(db: Path, album: Path) -> np.ndarray:
    """An index as the first release wrote it: one photo with two faces, one unreadable file; the
    photo exists in ``album`` with the size and mtime recorded. Returns the stored embeddings [2, 16]."""
    photo = write_photo(album / "p.jpg", size=(320, 120))
    st = photo.stat()
    (album / "bad.jpg").write_bytes(b"nope")
    emb = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    post = np.full(8, 1 / 8, np.float32)
    conn = sqlite3.connect(db)
    conn.executescript(RELEASE_1)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO photos VALUES ('p.jpg', ?, ?, 'h1', 'ok', NULL)", (st.st_size, st.st_mtime_ns))
    bad = (album / "bad.jpg").stat()
    conn.execute("INSERT INTO photos VALUES ('bad.jpg', ?, ?, NULL, 'error', 'not a supported image')",
                 (bad.st_size, bad.st_mtime_ns))  # fmt: skip
    conn.execute("INSERT INTO contents VALUES ('h1', 320, 120, 2)")
    for k in range(2):
        conn.execute(
            "INSERT INTO faces (hash, idx, x0, y0, x1, y1, landmarks, score, crop, crop_size, thumb, embedding,"
            " posterior, emotion, subclass, model) VALUES ('h1', ?, 10, 10, 60, 60, ?, 0.99, ?, 48, NULL, ?, ?, 3, 0,"
            " 'old-model')",
            (k, bytes(40), bytes(48 * 48), emb[k].tobytes(), post.tobytes()),
        )
    conn.execute("PRAGMA user_version=1")
    conn.commit()
    conn.close()
    return emb


def test_a_release_1_index_opens_and_upgrades_with_faces_and_errors_intact(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    emb = release_1_index(db, tmp_path / "album")
    with IndexReader(db) as index:
        assert index.schema_version() == SCHEMA_VERSION == 5
        faces = index.faces()
        np.testing.assert_array_equal(faces.embeddings, emb)
        assert faces.paths == ["p.jpg", "p.jpg"] and list(faces.emotions) == [3, 3]
        assert index.errors() == [("bad.jpg", "not a supported image")]
        assert index.counts() == {"photos": 2, "errors": 1, "contents": 1, "faces": 2}
        assert [f for _, _, f in index.face_models()] == [LEGACY_FRAMING] * 2
        assert index.meta("schema_version") == str(SCHEMA_VERSION) and index.integrity_ok()


def test_the_legacy_framing_is_the_default_framing() -> None:
    """Schema 1 crops were cut with the framing the shipped model records as its default."""
    from albumsum.core.framing import DEFAULT_FRAMING

    assert DEFAULT_FRAMING.identity == LEGACY_FRAMING


def test_an_upgraded_index_is_not_detected_again(tmp_path: Path) -> None:
    """The photo is unchanged and its crops were cut with the framing the model expects: indexing
    only re-embeds the stored crops for the new model."""
    db, album = tmp_path / "old.sqlite", tmp_path / "album"
    release_1_index(db, album)
    detector = FakeDetector()
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, detector, make_embedder(), IndexSettings(min_face=5, workers=0)))
        assert detector.calls == 0
        assert store.counts() == {"photos": 2, "errors": 1, "contents": 1, "faces": 2}
        assert {m for _, m, _ in store.face_models()} != {"old-model"}  # re-embedded by the new model
        faces = store.faces()
        assert ((faces.qualities >= 0) & (faces.qualities <= 1)).all()  # filled in from the stored crops
        assert np.isnan(faces.positions).all()  # photos have no position


def test_an_index_of_a_newer_albumsum_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite"
    IndexWriter(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer than this albumsum"):
        IndexReader(db)


def test_a_writer_that_read_an_old_version_does_not_migrate_twice(tmp_path: Path, monkeypatch) -> None:
    """Two writers opening one old index at once (the indexer and a rename): the second reads the
    old version before the first commits its migration, and must not run the steps again."""
    db = tmp_path / "old.sqlite"
    release_1_index(db, tmp_path / "album")
    IndexWriter(db).close()  # the first writer migrated it
    stale = iter([1])  # what the second writer read before the first one committed
    real = IndexWriter.schema_version
    monkeypatch.setattr(IndexWriter, "schema_version", lambda self: next(stale, None) or real(self))
    with IndexWriter(db) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.integrity_ok()
        assert store.counts()["faces"] == 2


SQL = re.compile(r"\bimport sqlite3\b|\b(SELECT|INSERT|UPDATE|DELETE)\b[^\n]*\b(FROM|INTO|SET)\b")


def test_only_the_index_module_holds_sql() -> None:
    """The app, its window and the benchmarks read and write the index through albumsum.core.index."""
    owners = []
    for path in sorted([*(ROOT / "albumsum").rglob("*.py"), *(ROOT / "bench").glob("*.py")]):
        if path != ROOT / "albumsum" / "core" / "index.py" and SQL.search(path.read_text(encoding="utf-8")):
            owners.append(path.relative_to(ROOT).as_posix())
    assert owners == []


def test_no_window_module_builds_a_pipeline() -> None:
    builders = re.compile(r"\b(MTCNNDetector|Embedder|index_album)\b")
    found = [p.name for p in sorted((ROOT / "albumsum" / "ui").glob("*.py")) if builders.search(p.read_text("utf-8"))]
    assert found == []


def test_every_document_a_docstring_cites_is_in_the_repository() -> None:
    """Names such as DESIGN.md or docs/X.md in the code must lead somewhere in a clone."""
    cited = re.compile(r"\b((?:[\w.-]+/)+[\w.-]+\.md|[A-Z][A-Z_]+\.md)\b")
    missing = []
    for folder in ("albumsum", "trainer", "bench", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for name in cited.findall(path.read_text(encoding="utf-8")):
                if not (ROOT / name).is_file() and not list(ROOT.glob(f"**/{name}")):
                    missing.append(f"{path.relative_to(ROOT).as_posix()}: {name}")
    assert missing == []
