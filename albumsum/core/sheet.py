"""Contact sheets to print: A4 pages at 300 dpi of face pictures cut from the photos, with captions.

A sheet of the album summary shows each chosen photo's face (the best shot of its group) about
4 cm wide, under it the emotion and group number as the window shows them, the group's caption in
words, and the photo's file name (a video's with the time of its frame). A sheet per emotion
shows every face of the emotion, smaller, group by group. Pages follow each other as
``sheet.png``, ``sheet-2.png``, ...

Faces are cut from the photos themselves (a video's from its frame), not from the index's small
thumbnails, so they stay sharp in print; a photo that cannot be read any more falls back to its
thumbnail.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, group_numbers
from albumsum.core.index import AlbumFaces, IndexReader
from albumsum.core.summary import Pick, best_shots, group_caption
from albumsum.core.video import VideoError, frame_at, is_video, where_text

log = logging.getLogger(__name__)

DPI = 300
PAGE = (2480, 3508)  # A4 portrait at 300 dpi
MARGIN = 150  # px, 12.7 mm
FACE_MARGIN = 0.35  # share of the box's side added around a face when it is cut from its photo


@dataclass(frozen=True)
class Layout:
    """One sheet's cells: ``cols`` faces of ``face`` px a row, each with ``lines`` of caption."""

    cols: int
    face: int
    lines: int
    font: int  # px of the caption's first line; later lines are 80 % of it

    @property
    def cell(self) -> tuple[int, int]:
        width = (PAGE[0] - 2 * MARGIN) // self.cols
        return width, self.face + int(self.font * (1.25 + 1.0 * (self.lines - 1))) + self.font


SUMMARY = Layout(cols=4, face=480, lines=4, font=36)  # 4.1 cm faces, 3 mm captions
EMOTION = Layout(cols=7, face=280, lines=2, font=28)  # 2.4 cm faces


@dataclass(frozen=True)
class Cell:
    face_id: int
    lines: tuple[str, ...]


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=px)


def source_image(album: Path, rel: str, position: float = float("nan")) -> Image.Image:
    """The photo at ``album / rel`` upright (EXIF orientation applied, as the face boxes are), or
    a video's frame at ``position`` seconds: RGB. Raises ``OSError`` (or ``VideoError``) when it
    cannot be read."""
    path = album / rel
    if is_video(path):
        return Image.fromarray(frame_at(path, 0.0 if np.isnan(position) else float(position)))
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def face_picture(image: Image.Image, box: Sequence[float], side: int) -> Image.Image:
    """The face in ``box`` (x0, y0, x1, y1 in ``image``'s pixels) with :data:`FACE_MARGIN` around
    it, squared, ``side`` px; the part beyond the photo's edge is grey."""
    x0, y0, x1, y1 = (float(v) for v in box)
    half = max(x1 - x0, y1 - y0) * (0.5 + FACE_MARGIN)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top, right, bottom = (round(v) for v in (cx - half, cy - half, cx + half, cy + half))
    out = Image.new("RGB", (max(1, right - left), max(1, bottom - top)), (128, 128, 128))
    inside = (max(0, left), max(0, top), min(image.width, right), min(image.height, bottom))
    if inside[0] < inside[2] and inside[1] < inside[3]:
        out.paste(image.crop(inside), (inside[0] - left, inside[1] - top))
    return out.resize((side, side), Image.Resampling.LANCZOS)


class FacePictures:
    """Face pictures of one album, each photo read once however many faces it has."""

    def __init__(self, album: Path, faces: AlbumFaces, index: IndexReader) -> None:
        self.album, self.faces, self.index = album, faces, index
        self._images: dict[tuple[str, float], Image.Image | None] = {}

    def get(self, face_id: int, side: int) -> Image.Image:
        r = self.faces.row(face_id)
        rel, position = self.faces.paths[r], float(self.faces.positions[r])
        key = (rel, position if is_video(Path(rel)) else 0.0)
        if key not in self._images:
            if len(self._images) > 8:  # photos in memory: a sheet's faces come photo by photo
                self._images.pop(next(iter(self._images)))
            try:
                self._images[key] = source_image(self.album, rel, position)
            except (OSError, VideoError) as exc:
                log.warning("contact sheet: %s: %s; its thumbnail is used", rel, exc)
                self._images[key] = None
        image = self._images[key]
        if image is not None:
            return face_picture(image, self.faces.boxes[r], side)
        thumbs = self.index.thumbnails([face_id])
        if face_id in thumbs:
            return Image.open(io.BytesIO(thumbs[face_id])).convert("RGB").resize((side, side))
        return Image.new("RGB", (side, side), (128, 128, 128))


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    """``text`` cut with an ellipsis to fit ``width`` px."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def render_pages(title: str, cells: Sequence[Cell], pictures: FacePictures, layout: Layout) -> list[Image.Image]:
    """A4 pages of ``cells`` under ``title`` (on the first page), white, 300 dpi."""
    width, height = layout.cell
    head_font, body = _font(64), (_font(layout.font), _font(int(layout.font * 0.8)))
    top = MARGIN + 130
    rows_first = (PAGE[1] - top - MARGIN) // height
    rows = (PAGE[1] - 2 * MARGIN) // height
    pages: list[Image.Image] = []
    k = 0
    while k < len(cells) or not pages:
        page = Image.new("RGB", PAGE, "white")
        draw = ImageDraw.Draw(page)
        y0 = MARGIN
        if not pages:
            draw.text(
                (MARGIN, MARGIN), _fit(draw, title, head_font, PAGE[0] - 2 * MARGIN), fill="black", font=head_font
            )
            y0 = top
        for i in range((rows_first if not pages else rows) * layout.cols):
            if k >= len(cells):
                break
            r, c = divmod(i, layout.cols)
            x, y = MARGIN + c * width + (width - layout.face) // 2, y0 + r * height
            page.paste(pictures.get(cells[k].face_id, layout.face), (x, y))
            ty = y + layout.face + layout.font // 3
            for n, line in enumerate(cells[k].lines[: layout.lines]):
                font = body[min(n, 1)]
                draw.text((x, ty), _fit(draw, line, font, layout.face), fill="black" if n == 0 else "#555", font=font)
                ty += int(layout.font * (1.25 if n == 0 else 1.0))
            k += 1
        pages.append(page)
    return pages


def _where(faces: AlbumFaces, face_id: int) -> str:
    r = faces.row(face_id)
    return where_text(Path(faces.paths[r]).name, float(faces.positions[r]))


def summary_cells(picks: Sequence[Pick], groups: Sequence[Group], faces: AlbumFaces) -> list[Cell]:
    numbers = group_numbers(groups)
    by_key = {(g.emotion, g.subclass): g for g in groups}
    cells = []
    for p in picks:
        group = by_key[(p.emotion, p.subclass)]
        head = f"{EMOTIONS[p.emotion].capitalize()} · group {numbers[(p.emotion, p.subclass)]}"
        words = tuple(group_caption(group, faces).split(" · "))[:2]  # "happy, leaning to surprise", "faces about 60 px"
        cells.append(Cell(p.face_id, (head, *words, _where(faces, p.face_id))))
    return cells


def emotion_cells(groups: Sequence[Group], faces: AlbumFaces, emotion: int) -> list[Cell]:
    """Every face of ``emotion``, group by group, each group's best shots first."""
    cells = []
    for number, group in enumerate((g for g in groups if g.emotion == emotion), start=1):
        for rank in best_shots(group, faces):
            fid = int(group.face_ids[int(rank)])
            cells.append(Cell(fid, (f"group {number}", _where(faces, fid))))
    return cells


def save_pages(pages: Sequence[Image.Image], path: Path) -> list[Path]:
    """``path``, then ``<stem>-2<suffix>``, ... ; PNG at 300 dpi."""
    suffix = path.suffix or ".png"
    out = []
    for k, page in enumerate(pages, start=1):
        target = path if k == 1 else path.with_name(f"{path.stem}-{k}{suffix}")
        page.save(target, dpi=(DPI, DPI))
        out.append(target)
    return out


def write_contact_sheets(
    path: Path,
    index: IndexReader,
    faces: AlbumFaces,
    groups: list[Group],
    picks: list[Pick],
    album: Path,
    per_emotion: bool,
) -> list[Path]:
    """The summary's sheet at ``path`` (more pages beside it when needed), or with ``per_emotion``
    one sheet per emotion (``<stem>-<emotion>.png``, and its further pages)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pictures = FacePictures(album, faces, index)
    if not per_emotion:
        title = f"{album.name}: summary in {len(picks)} photos, each by its group's best face"
        return save_pages(render_pages(title, summary_cells(picks, groups, faces), pictures, SUMMARY), path)
    written: list[Path] = []
    for c, name in enumerate(EMOTIONS):
        cells = emotion_cells(groups, faces, c)
        if cells:
            title = f"{album.name}: {name}, {len(cells)} face{'s' if len(cells) != 1 else ''}"
            out = path.with_name(f"{path.stem}-{name}{path.suffix or '.png'}")
            written += save_pages(render_pages(title, cells, pictures, EMOTION), out)
    return written
