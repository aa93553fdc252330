"""The ``albumsum`` command and the exports, on a tmp album indexed with a fake detector."""

from __future__ import annotations

import base64
import csv
import json
import socket
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch
from PIL import Image

from albumsum import cli
from albumsum.core.emotions import EMOTIONS
from albumsum.core.index import IndexWriter
from albumsum.core.indexer import IndexSettings, index_album, run_to_end
from tests.core.helpers import FakeDetector, make_embedder, tree_snapshot, write_checkpoint, write_photo

torch.set_num_threads(1)


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    album = tmp_path / "my album"
    for i in range(6):
        write_photo(album / f"photo {i}.jpg", seed=i, size=(320, 120) if i < 2 else (160, 120))
    (album / "broken.jpg").write_bytes(b"nope")
    db = tmp_path / "db.sqlite"
    with IndexWriter(db, album) as store:
        run_to_end(index_album(album, store, FakeDetector(), make_embedder(), IndexSettings(min_face=5)))
    return album, db


def test_summarize_text_and_json(indexed, capsys) -> None:
    album, db = indexed
    assert cli.main(["summarize", str(album), "--db", str(db)]) == cli.EXIT_OK
    assert "8 faces" in capsys.readouterr().out
    assert cli.main(["summarize", str(album), "--db", str(db), "--json", "--subclasses", "album"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["photos"] == 7 and data["errors"] == 1 and data["faces"] == 8
    assert list(data["emotions"]) == list(EMOTIONS)


def test_errors_lists_reasons(indexed, capsys) -> None:
    album, db = indexed
    assert cli.main(["errors", str(album), "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith("broken.jpg\tnot a supported image")


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"] or "")
        elif tag == "a":
            self.links.append(a["href"] or "")
        elif tag == "img":
            self.images.append(a["src"] or "")


def test_export_everything(indexed, tmp_path: Path, capsys) -> None:
    album, db = indexed
    before = tree_snapshot(album)
    out = tmp_path / "out"
    argv = [
        "export",
        str(album),
        "--db",
        str(db),
        "--html",
        str(out / "html"),
        "--contact-sheet",
        str(out / "sheet.png"),
        "--summary",
        str(out / "summary"),
        "--photos",
        "3",
        "--csv",
        str(out / "f.csv"),
    ]
    assert cli.main(argv) == 0
    assert tree_snapshot(album) == before  # nothing written into the album

    page = PageParser()
    page.feed((out / "html" / "index.html").read_text(encoding="utf-8"))
    assert page.sections and all(s in EMOTIONS for s in page.sections)
    assert len(page.images) == len(page.links) == 8
    html_dir = (out / "html").resolve()
    for link in page.links:  # shareable: relative links to files inside the export folder
        assert "://" not in link and not link.startswith("/"), link
        target = (html_dir / link).resolve()
        assert target.is_relative_to(html_dir) and target.is_file(), link
    assert str(album) not in (out / "html" / "index.html").read_text(encoding="utf-8")
    assert len({link for link in page.links}) == 6  # one copy per photo (the wide ones have two faces)
    jpeg = base64.b64decode(page.images[0].split(",", 1)[1])
    assert page.images[0].startswith("data:image/jpeg;base64,") and jpeg[:2] == b"\xff\xd8"  # self-contained

    sheet = Image.open(out / "sheet.png")
    assert sheet.size == (2480, 3508) and round(sheet.info["dpi"][0]) == 300  # A4 to print
    copies = sorted(p.name for p in (out / "summary").iterdir())
    assert len(copies) == 4 and "index.html" in copies  # 3 photos, each once
    with open(out / "f.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and {r["emotion"] for r in rows} <= set(EMOTIONS)
    assert sum(r["rank"] == "0" for r in rows) >= 1


def test_contact_sheets_per_emotion(indexed, tmp_path: Path) -> None:
    album, db = indexed
    argv = ["export", str(album), "--db", str(db), "--contact-sheet", str(tmp_path / "s.png"), "--per-emotion"]
    assert cli.main(argv) == 0
    assert list(tmp_path.glob("s-*.png"))


def test_exit_codes(tmp_path: Path, indexed, capsys) -> None:
    album, _ = indexed
    assert cli.main(["summarize", str(album), "--db", str(tmp_path / "none.sqlite")]) == cli.EXIT_NOT_INDEXED
    assert cli.main(["errors", str(tmp_path / "missing")]) == cli.EXIT_FAILED
    assert cli.main(["index", str(album), "--db", str(tmp_path / "x.sqlite"), "--model", str(tmp_path / "no.pt")]) == 1
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["summarize"])
    assert usage.value.code == cli.EXIT_USAGE
    assert cli.main(["export", str(album)]) == cli.EXIT_USAGE
    with pytest.raises(SystemExit) as version:
        cli.main(["--version"])
    assert version.value.code == 0


class NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs) -> None:
        raise AssertionError("the pipeline tried to open a socket")


def test_index_command_end_to_end_without_network(tmp_path: Path, monkeypatch, capsys, request) -> None:
    """Real MTCNN and a real (untrained) checkpoint; with the shared album, two real photos too."""
    monkeypatch.setattr(socket, "socket", NoNetwork)
    monkeypatch.setattr(socket, "create_connection", NoNetwork)
    album = tmp_path / "album"
    write_photo(album / "noface.png", seed=1, fmt="PNG")
    faces_expected = False
    try:
        real = request.getfixturevalue("album_dir")
        for photo in sorted(real.glob("deepface*.jpg"))[:2]:
            (album / photo.name).symlink_to(photo)  # linked, not copied
        faces_expected = True
    except pytest.skip.Exception:
        pass
    model = write_checkpoint(tmp_path / "m.pt")
    db = tmp_path / "db.sqlite"
    argv = ["index", str(album), "--db", str(db), "--model", str(model), "--device", "cpu", "--quiet"]
    assert cli.main(argv) == 0
    with IndexWriter(db) as store:
        counts = store.counts()
        assert counts["errors"] == 0 and counts["photos"] == 1 + 2 * faces_expected
        assert (counts["faces"] >= 2) == faces_expected
        assert store.integrity_ok()
    monkeypatch.setattr(cli.StopFlag, "__call__", lambda self: True)  # as if Ctrl-C came at once
    (album / "late.png").write_bytes((album / "noface.png").read_bytes())
    assert cli.main(argv) == cli.EXIT_INTERRUPTED
    assert "run the same command again" in capsys.readouterr().err


def test_a_second_writer_is_refused(indexed, tmp_path: Path, capsys) -> None:
    from albumsum.core.userdata import writer_lock

    album, db = indexed
    model = write_checkpoint(tmp_path / "m.pt")
    with writer_lock(db):
        code = cli.main(["index", str(album), "--db", str(db), "--model", str(model), "--device", "cpu", "--quiet"])
    assert code == cli.EXIT_FAILED and "another albumsum process" in capsys.readouterr().err


def test_the_html_page_says_how_many_of_a_group_it_shows(indexed, tmp_path: Path) -> None:
    from albumsum.core.export import write_html
    from albumsum.core.index import IndexReader
    from albumsum.core.summary import album_groups

    album, db = indexed
    with IndexReader(db) as index:
        faces = index.faces()
        groups = album_groups(faces)
        page = write_html(tmp_path / "html", index, faces, groups, album, per_group=1).read_text(encoding="utf-8")
    biggest = max(len(g) for g in groups)
    assert biggest > 1 and f"1 of {biggest} faces" in page
    assert page.count("<img") == len(groups)
