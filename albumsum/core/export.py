"""Exports of an indexed album: a self-contained HTML page, a summary folder, CSV (contact sheets to
print are in :mod:`albumsum.core.sheet`).

Nothing is written into the album: every function writes only under the path it is given.
"""

from __future__ import annotations

import base64
import csv
import html
import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, given_name, group_numbers
from albumsum.core.index import AlbumFaces, IndexReader
from albumsum.core.sheet import source_image
from albumsum.core.summary import Pick, best_shots, group_caption
from albumsum.core.video import VideoError, is_video, where_text

log = logging.getLogger(__name__)

THUMBS_PER_ROW = 24  # faces shown per group of the HTML page (the page says "24 of 117 faces")
_CSS = (
    "body{font:14px system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}"
    "h2{margin-top:1.5em;border-bottom:1px solid #ccc}"
    ".row{display:flex;flex-wrap:wrap;gap:4px;margin:.4em 0 1em}"
    ".row img{width:112px;height:112px;border-radius:4px}.row a:first-child img{outline:3px solid #c60}"
    ".meta{color:#666}.caption{font-weight:normal;margin-left:.6em}"
)


SHARED_PHOTO_SIDE = 1600  # px, longest side of the photo copies in a shared HTML export


def write_html(
    out_dir: Path,
    index: IndexReader,
    faces: AlbumFaces,
    groups: list[Group],
    album: Path,
    per_group: int = THUMBS_PER_ROW,
    names: Mapping[tuple[int, int], str] | None = None,
) -> Path:
    """``out_dir/index.html``, a page that can be zipped and shared: per emotion, per sub-class, the
    faces as inline thumbnails, best shots first (:func:`albumsum.core.summary.best_shots`), each
    linking to a copy of its photo in ``out_dir/photos/`` (JPEG, at most :data:`SHARED_PHOTO_SIDE`
    px; for a video, the face's own picture). Every link is relative and every file it refers to is
    inside ``out_dir``. A group shows its ``per_group`` best shots (0: all) and, when it has more,
    says "N of M faces"; a group the user named (``names``: (emotion, sub-class) -> name) is headed by it."""
    order = {id(g): best_shots(g, faces) for g in groups}
    shown = {id(g): [int(g.face_ids[r]) for r in order[id(g)]][: per_group or None] for g in groups}
    thumbs = index.thumbnails([f for ids in shown.values() for f in ids])
    numbers = group_numbers(groups)
    photos = out_dir / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>albumsum: {html.escape(album.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(album.name)}</h1>",
        f"<p class='meta'>{_count(len(faces), 'face')} in {_count(len(set(faces.hashes)), 'photo')}</p>",
    ]
    for c, name in enumerate(EMOTIONS):
        mine = [g for g in groups if g.emotion == c]
        if not mine:
            continue
        total = sum(len(g) for g in mine)
        parts.append(
            f"<section class='emotion' id='{name}'><h2>{name} <span class='meta'>{_count(total, 'face')}</span></h2>"
        )
        for g in mine:
            k, ids = numbers[(g.emotion, g.subclass)], shown[id(g)]
            counted = _count(len(g), "face") if len(ids) == len(g) else f"{len(ids)} of {len(g)} faces"
            given = given_name(names, g.emotion, g.subclass)
            title = f"{name}, group {k}" + (f": {html.escape(given)}" if given else "")
            words = html.escape(group_caption(g, faces))
            parts.append(
                f"<h3 class='meta'>{title} ({counted}) <span class='caption'>{words}</span></h3><div class='row'>"
            )
            for fid in ids:
                parts.append(_thumb_link(fid, faces, thumbs, album, photos))
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</body></html>")
    page = out_dir / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _shared_copy(album: Path, rel: str, digest: str, position: float, photos: Path, thumb: bytes) -> str:
    """The file name in ``photos`` of a shareable copy of a photo (made once per content), or of
    a video's frame at ``position`` seconds; the face's own picture when neither can be read."""
    video = is_video(Path(rel))
    out = photos / (f"{digest}-{round(1000 * float(position))}ms.jpg" if video else f"{digest}.jpg")
    if out.exists():
        return out.name
    try:
        im = source_image(album, rel, position)
        im.thumbnail((SHARED_PHOTO_SIDE, SHARED_PHOTO_SIDE))
        im.save(out, format="JPEG", quality=85)
    except (OSError, VideoError) as exc:
        log.warning("HTML export: %s: %s; the face's picture stands for it", rel, exc)
        out.write_bytes(thumb)
    return out.name


def _thumb_link(fid: int, faces: AlbumFaces, thumbs: dict[int, bytes], album: Path, photos: Path) -> str:
    row = faces.row(fid)
    path, thumb = faces.paths[row], thumbs.get(fid, b"")
    position = faces.positions[row]
    target = f"photos/{_shared_copy(album, path, faces.hashes[row], position, photos, thumb)}"
    caption = where_text(Path(path).name, position)
    data = base64.b64encode(thumb).decode("ascii")
    title = html.escape(caption, quote=True)
    return (
        f"<a href='{html.escape(target, quote=True)}' title='{title}'><img alt='{title}' "
        f"src='data:image/jpeg;base64,{data}'></a>"
    )


def write_summary_folder(
    out_dir: Path,
    picks: list[Pick],
    album: Path,
    numbers: Mapping[tuple[int, int], int],
    names: Mapping[tuple[int, int], str] | None = None,
) -> Path:
    """Copies of the chosen photos (numbered, emotion and group in the name) and an ``index.html``
    showing them, captioned with the group's name if given. ``numbers``: (emotion, sub-class) -> the
    group's number as the window shows it (:func:`albumsum.core.groups.group_numbers`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    items = []
    for k, p in enumerate(picks, start=1):
        number = numbers[(p.emotion, p.subclass)]
        name = f"{k:03d}-{EMOTIONS[p.emotion]}-group{number}-{Path(p.path).name}"
        shutil.copy2(album / p.path, out_dir / name)
        given = given_name(names, p.emotion, p.subclass)
        group = f"group {number}" + (f" “{given}”" if given else "")
        items.append(
            f"<figure><img src='{html.escape(name, quote=True)}' style='max-width:480px'>"
            f"<figcaption>{html.escape(EMOTIONS[p.emotion])}, {html.escape(group)}: "
            f"{html.escape(p.path)}</figcaption></figure>"
        )
    page = out_dir / "index.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>album summary</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(album.name)}: summary</h1>"
        + "\n".join(items)
        + "</body></html>",
        encoding="utf-8",
    )
    return page


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula (``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) gets a leading apostrophe, as OWASP advises against CSV
    injection (a photo named ``=HYPERLINK(...).jpg`` must not become a link)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(path: str | os.PathLike[str], faces: AlbumFaces, groups: list[Group]) -> Path:
    """One row per face: id, photo (or video), its position in seconds in a video (empty for a
    photo), emotion, sub-class, rank and distance to the medoid, detector score, quality, box,
    posteriors."""
    rank: dict[int, tuple[int, int, float]] = {}
    for g in groups:
        for r, (fid, d) in enumerate(zip(g.face_ids, g.distances, strict=True)):
            rank[int(fid)] = (g.subclass, r, float(d))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "face_id",
                "photo",
                "position_s",
                "emotion",
                "subclass",
                "rank",
                "distance_to_medoid",
                "score",
                "quality",
                "x0",
                "y0",
                "x1",
                "y1",
                *[f"p_{e}" for e in EMOTIONS],
            ]
        )
        for k, fid in enumerate(faces.ids):
            sub, r, d = rank.get(int(fid), (-1, -1, float("nan")))
            box = np.round(faces.boxes[k], 1).tolist()
            post = [f"{v:.4f}" for v in faces.posteriors[k]]
            position, quality = faces.positions[k], faces.qualities[k]
            out.writerow(
                [
                    int(fid),
                    csv_cell(faces.paths[k]),
                    "" if np.isnan(position) else f"{position:.2f}",
                    EMOTIONS[faces.emotions[k]],
                    sub,
                    r,
                    f"{d:.4f}",
                    f"{faces.scores[k]:.4f}",
                    "" if np.isnan(quality) else f"{quality:.3f}",
                    *box,
                    *post,
                ]
            )
    return path
