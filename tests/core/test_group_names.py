"""Group names: kept in the index by (sub-class source, emotion, sub-class), through a re-index of
the photos, shown by ``summarize`` and the HTML export, and an index of schema 4 upgrades to hold them."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from albumsum import cli
from albumsum.core.album import Album, ExportPlan
from albumsum.core.emotions import EMOTIONS
from albumsum.core.index import SCHEMA_VERSION, IndexReader, IndexWriter
from albumsum.core.indexer import IndexSettings, run_to_end
from tests.core.helpers import FakeDetector, make_embedder, write_photo


def make_album(tmp_path: Path) -> Album:
    folder = tmp_path / "album"
    for i in range(4):
        write_photo(folder / f"p{i}.jpg", seed=i, size=(320, 120) if i == 0 else (160, 120))
    embedder = make_embedder()
    album = Album(
        folder,
        pipeline=lambda settings: (FakeDetector(), embedder),
        db=tmp_path / "index.sqlite",
        index_defaults=IndexSettings(min_face=5, workers=0),
    )
    run_to_end(album.index())
    return album


def summarize(album: Album, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(["summarize", str(album.folder), "--db", str(album.index_path), "--json"]) == cli.EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_a_name_survives_a_reindex_of_the_photos_and_shows_in_summarize(tmp_path: Path, capsys) -> None:
    album = make_album(tmp_path)
    data = album.snapshot()
    group = data.groups[0]
    emotion = EMOTIONS[group.emotion]
    named = album.rename_group(emotion, 1, "  Birthday smiles ")
    assert (named.emotion, named.subclass) == (group.emotion, group.subclass)
    before = set(album.snapshot().faces.ids.tolist())
    for path in sorted(album.folder.glob("*.jpg")):  # every photo rewritten: new content, faces found anew
        Image.open(path).save(path, quality=70)
        os.utime(path, ns=(1, 3_000_000_000_000_000_000))
    run_to_end(album.index())
    after = album.snapshot()
    assert before.isdisjoint(after.faces.ids.tolist())  # the faces really were detected again
    assert after.name_of(after.groups_of(group.emotion)[0]) == "Birthday smiles"
    entry = summarize(album, capsys)["emotions"][emotion]["subclasses"]
    assert (entry[0]["group"], entry[0]["name"]) == (1, "Birthday smiles")
    assert all(s["name"] is None for s in entry[1:])
    assert cli.main(["summarize", str(album.folder), "--db", str(album.index_path)]) == cli.EXIT_OK
    assert "“Birthday smiles”" in capsys.readouterr().out
    page = album.export(ExportPlan(html=tmp_path / "html"))[0].read_text(encoding="utf-8")
    assert f"{emotion}, group 1: Birthday smiles" in page


def test_the_cli_renames_and_clears(tmp_path: Path, capsys) -> None:
    album = make_album(tmp_path)
    emotion = EMOTIONS[album.snapshot().groups[0].emotion]
    argv = ["rename", str(album.folder), "--db", str(album.index_path), "--emotion", emotion, "--group", "1"]
    assert cli.main([*argv, "--name", "Friends"]) == cli.EXIT_OK
    assert summarize(album, capsys)["emotions"][emotion]["subclasses"][0]["name"] == "Friends"
    assert cli.main([*argv, "--clear"]) == cli.EXIT_OK
    assert summarize(album, capsys)["emotions"][emotion]["subclasses"][0]["name"] is None
    bad = ["rename", str(album.folder), "--db", str(album.index_path), "--emotion", emotion, "--group", "99"]
    assert cli.main([*bad, "--name", "x"]) != cli.EXIT_OK
    assert "not group 99" in capsys.readouterr().err


def test_names_are_kept_per_subclass_source(tmp_path: Path) -> None:
    db = tmp_path / "i.sqlite"
    with IndexWriter(db) as store:
        store.name_group("model", 1, 2, "Model's")
        store.name_group("album", 1, 2, "Album's")
        store.name_group("model", 3, 0, "gone")
        store.name_group("model", 3, 0, "  ")  # blank: forgotten
    with IndexReader(db) as index:
        assert index.group_names("model") == {(1, 2): "Model's"}
        assert index.group_names("album") == {(1, 2): "Album's"}


def test_an_index_of_schema_4_upgrades_to_hold_names(tmp_path: Path) -> None:
    db = tmp_path / "v4.sqlite"
    with IndexWriter(db) as store:
        store.set_meta("album_root", "/photos")
    with sqlite3.connect(db) as conn:  # as schema 4 left it: no group_names table
        conn.execute("DROP TABLE group_names")
        conn.execute("PRAGMA user_version=4")
    with sqlite3.connect(db) as conn:
        assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'group_names'").fetchall()
    with IndexReader(db) as index:
        assert index.schema_version() == SCHEMA_VERSION == 5
        assert index.group_names("model") == {} and index.meta("album_root") == "/photos"
    with IndexWriter(db) as store:
        store.name_group("model", 0, 1, "Calm")
    with IndexReader(db) as index:
        assert index.group_names("model") == {(0, 1): "Calm"}


def test_a_name_too_long_is_refused(tmp_path: Path) -> None:
    album = make_album(tmp_path)
    with pytest.raises(ValueError, match="at most"):
        album.rename_group(album.snapshot().groups[0].emotion, 1, "x" * 200)
