"""Exports from the window: the core's HTML page, contact sheet and summary folder, plus a PDF drawn
with Qt's own PDF writer. Runs on a worker; writes only under the chosen folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QFont, QImageReader, QPageLayout, QPageSize, QPainter, QPdfWriter

from albumsum.core import export
from albumsum.core.emotions import EMOTIONS
from albumsum.core.index import IndexStore
from albumsum.core.summary import Pick, album_groups, load_faces, pick_photos

KINDS = ("html", "contact_sheet", "pdf", "photos")
PER_PAGE = 2  # photos per PDF page


@dataclass(frozen=True)
class ExportRequest:
    dest: Path
    album: Path
    db: Path
    source: str = "model"
    max_components: int = 4
    photos: int = 12
    kinds: tuple[str, ...] = KINDS


def write_pdf(path: Path, picks: list[Pick], album: Path, title: str) -> Path:
    """An A4 PDF of the chosen photos, two a page, each with its emotion and sub-class."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setResolution(150)
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF(15, 15, 15, 15))
    )
    painter = QPainter(writer)
    try:
        page = QRectF(writer.pageLayout().paintRectPixels(writer.resolution()))
        page.moveTo(0, 0)
        font = QFont("sans-serif")
        font.setPixelSize(28)
        painter.setFont(font)
        painter.drawText(QRectF(0, 0, page.width(), 40), Qt.AlignmentFlag.AlignLeft, title)
        slot_h = (page.height() - 50) / PER_PAGE
        for k, pick in enumerate(picks):
            if k and k % PER_PAGE == 0:
                writer.newPage()
            top = 50 + (k % PER_PAGE) * slot_h
            _draw_photo(painter, album / pick.path, QRectF(0, top, page.width(), slot_h - 50))
            caption = f"{k + 1}. {EMOTIONS[pick.emotion]}, sub-class {pick.subclass}: {pick.path}"
            painter.drawText(QRectF(0, top + slot_h - 45, page.width(), 40), Qt.AlignmentFlag.AlignLeft, caption)
    finally:
        painter.end()
    return path


def _draw_photo(painter: QPainter, path: Path, box: QRectF) -> None:
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # EXIF orientation, as the index saw it
    size = reader.size()
    if size.isValid():
        size.scale(int(box.width() * 2), int(box.height() * 2), Qt.AspectRatioMode.KeepAspectRatio)
        reader.setScaledSize(size)
    image = reader.read()
    if image.isNull():
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"cannot read {path.name}: {reader.errorString()}")
        return
    s = min(box.width() / image.width(), box.height() / image.height())
    w, h = image.width() * s, image.height() * s
    painter.drawImage(QRectF(box.x() + (box.width() - w) / 2, box.y(), w, h), image)


def run_export(req: ExportRequest) -> list[Path]:
    """Write the requested kinds under ``req.dest``; returns the files and folders written."""
    written: list[Path] = []
    with IndexStore(req.db) as store:
        faces = load_faces(store)
        groups = album_groups(faces, req.source, req.max_components)
        picks = pick_photos(groups, faces, req.photos)
        if "html" in req.kinds:
            written.append(export.write_html(req.dest / "album", store, faces, groups, req.album))
        if "contact_sheet" in req.kinds:
            written += export.write_contact_sheets(req.dest / "contact_sheet.png", store, groups, picks, False)
    if "pdf" in req.kinds:
        written.append(write_pdf(req.dest / "summary.pdf", picks, req.album, f"{req.album.name}: album summary"))
    if "photos" in req.kinds:
        written.append(export.write_summary_folder(req.dest / "photos", picks, req.album))
    return written
