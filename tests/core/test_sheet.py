"""Contact sheets to print: faces cut from the photos at print size, captions, pages, fallbacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumsum.core import sheet
from albumsum.core.index import IndexReader
from albumsum.core.summary import album_groups, pick_photos
from tests.core.helpers import indexed_album


def test_a_face_is_cut_with_a_margin_and_grey_beyond_the_photo() -> None:
    photo = np.zeros((200, 300, 3), np.uint8)
    photo[50:100, 100:150] = (255, 0, 0)  # the face
    pic = np.asarray(sheet.face_picture(Image.fromarray(photo), (100, 50, 150, 100), 170))
    assert pic.shape == (170, 170, 3)
    assert tuple(pic[85, 85]) == (255, 0, 0)  # centred
    assert pic[5, 85].max() == 0  # the margin is the photo around the face (black here)
    edge = np.asarray(sheet.face_picture(Image.fromarray(photo), (0, 0, 40, 40), 100))
    assert tuple(edge[2, 2]) == (128, 128, 128)  # above and left of the photo


@pytest.fixture
def album_index(tmp_path: Path) -> tuple[Path, Path]:
    return indexed_album(tmp_path / "party", tmp_path / "db.sqlite", 6, (640, 480), "photo {}.jpg")


def _write(album: Path, db: Path, out: Path, per_emotion: bool = False, n: int = 6) -> list[Path]:
    with IndexReader(db) as index:
        faces = index.faces()
        groups = album_groups(faces)
        picks = pick_photos(groups, faces, n)
        return sheet.write_contact_sheets(out, index, faces, groups, picks, album, per_emotion)


def test_the_summary_sheet_is_an_a4_page_of_faces_cut_from_the_photos(album_index, tmp_path: Path) -> None:
    album, db = album_index
    [page] = _write(album, db, tmp_path / "sheet.png")
    im = Image.open(page)
    assert im.size == sheet.PAGE and round(im.info["dpi"][0]) == sheet.DPI
    with IndexReader(db) as index:
        faces = index.faces()
        picks = pick_photos(album_groups(faces), faces, 6)
        first = sheet.FacePictures(album, faces, index).get(picks[0].face_id, sheet.SUMMARY.face)
    width, _ = sheet.SUMMARY.cell
    x, y = sheet.MARGIN + (width - sheet.SUMMARY.face) // 2, sheet.MARGIN + 130
    cell = np.asarray(im.convert("RGB"))[y : y + sheet.SUMMARY.face, x : x + sheet.SUMMARY.face].astype(int)
    assert np.abs(cell - np.asarray(first).astype(int)).mean() < 2  # the first pick, at full size
    caption = np.asarray(im.convert("L"))[y + sheet.SUMMARY.face : y + sheet.SUMMARY.cell[1] - 20, x : x + 400]
    assert (caption < 128).sum() > 500  # its caption is printed under it


def test_many_faces_run_onto_further_pages_and_a_lost_photo_falls_back_to_its_thumbnail(
    album_index, tmp_path: Path
) -> None:
    album, db = album_index
    for photo in album.glob("photo [0-2].jpg"):
        photo.unlink()  # moved away after indexing
    written = _write(album, db, tmp_path / "all.png", per_emotion=True)
    assert written and all(p.exists() for p in written)
    with IndexReader(db) as index:
        faces = index.faces()
        lost = next(i for i, p in zip(faces.ids, faces.paths, strict=True) if p.startswith("photo 0"))
        picture = sheet.FacePictures(album, faces, index).get(int(lost), 64)
    assert picture.size == (64, 64) and np.asarray(picture).std() > 0  # the stored thumbnail, not a blank
    cells = [sheet.Cell(int(lost), ("x", "y"))] * 60
    with IndexReader(db) as index:
        pages = sheet.render_pages("t", cells, sheet.FacePictures(album, index.faces(), index), sheet.EMOTION)
    cols, height = sheet.EMOTION.cols, sheet.EMOTION.cell[1]
    first = cols * ((sheet.PAGE[1] - sheet.MARGIN - 130 - sheet.MARGIN) // height)  # under the title
    later = cols * ((sheet.PAGE[1] - 2 * sheet.MARGIN) // height)
    assert first < 60 and len(pages) == 1 + -(-(60 - first) // later)
    names = [p.name for p in sheet.save_pages(pages, tmp_path / "p.png")]
    assert names[:2] == ["p.png", "p-2.png"]


def test_a_video_face_is_cut_from_its_frame(tmp_path: Path) -> None:
    pytest.importorskip("av")
    from tests.core.test_video import scenes, write_clip

    write_clip(tmp_path / "clip.mp4", scenes())
    early = np.asarray(sheet.source_image(tmp_path, "clip.mp4", 0.5))
    late = np.asarray(sheet.source_image(tmp_path, "clip.mp4", 4.5))
    assert early.shape == (480, 640, 3)
    assert abs(float(early[10, 10].mean()) - 40) < 15 and abs(float(late[10, 10].mean()) - 230) < 15
