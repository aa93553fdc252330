"""Exports from the window: the core's HTML page, contact sheet and summary folder, plus a PDF drawn
with Qt's own PDF writer. Runs on a worker; writes only under the chosen folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMarginsF, QObject, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QImageReader, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QMessageBox, QWidget

from albumsum.core.album import Album, AlbumData, ExportPlan
from albumsum.core.emotions import EMOTIONS
from albumsum.core.sheet import source_image
from albumsum.core.summary import Pick
from albumsum.core.video import VideoError, is_video, where_text
from albumsum.ui.models import to_qimage
from albumsum.ui.workers import BACKGROUND, Handle, Runner

KINDS = ("html", "contact_sheet", "pdf", "photos")
PER_PAGE = 2  # photos per PDF page


def write_pdf(path: Path, picks: list[Pick], album: Path, title: str, data: AlbumData) -> Path:
    """An A4 PDF of the chosen photos (a video's frame at its face's time), two a page, each with
    its emotion and group, numbered as the window shows them (``data``: the snapshot of ``picks``)."""
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
            position = float(data.faces.positions[data.faces.row(pick.face_id)])
            _draw_photo(painter, album, pick.path, position, QRectF(0, top, page.width(), slot_h - 50))
            group = data.numbers[(pick.emotion, pick.subclass)]
            caption = f"{k + 1}. {EMOTIONS[pick.emotion]}, group {group}: {where_text(pick.path, position)}"
            painter.drawText(QRectF(0, top + slot_h - 45, page.width(), 40), Qt.AlignmentFlag.AlignLeft, caption)
    finally:
        painter.end()
    return path


def _draw_photo(painter: QPainter, album: Path, rel: str, position: float, box: QRectF) -> None:
    path = album / rel
    if is_video(path):
        try:
            image = to_qimage(np.asarray(source_image(album, rel, position)))
        except (OSError, VideoError) as exc:
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"cannot read {path.name}: {exc}")
            return
    else:
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)  # EXIF orientation, as the index saw it
        size = reader.size()
        if size.isValid():
            size.scale(int(box.width()), int(box.height()), Qt.AspectRatioMode.KeepAspectRatio)  # 150 dpi on the page
            reader.setScaledSize(size)
        image = reader.read()
        if image.isNull():
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"cannot read {path.name}: {reader.errorString()}")
            return
    s = min(box.width() / image.width(), box.height() / image.height())
    w, h = image.width() * s, image.height() * s
    painter.drawImage(QRectF(box.x() + (box.width() - w) / 2, box.y(), w, h), image)


def run_export(album: Album, dest: Path, kinds: tuple[str, ...] = KINDS, photos: int | None = None) -> list[Path]:
    """Write the requested kinds under ``dest`` (the album's core exports, plus the PDF); returns the
    files and folders written."""
    data = album.snapshot()
    if data is None:
        raise FileNotFoundError(f"{album.folder} is not indexed yet")
    plan = ExportPlan(
        html=dest / "album" if "html" in kinds else None,
        contact_sheet=dest / "contact_sheet.png" if "contact_sheet" in kinds else None,
        summary=dest / "photos" if "photos" in kinds else None,
        photos=photos,
    )
    written = album.export(plan, data)
    if "pdf" in kinds:
        picks = album.picks(data, photos)
        title = f"{album.folder.name}: summary in {len(picks)} photos"
        written.append(write_pdf(dest / "summary.pdf", picks, album.folder, title, data))
    return written


class Exporter(QObject):
    """Runs exports on a worker and reports what was written, or why not."""

    exported = Signal(list)  # paths written
    message = Signal(str)  # for the status bar
    problem = Signal(str)  # for the user

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.done_box: QMessageBox | None = None

    def start(self, album: Album, dest: Path, kinds: tuple[str, ...], photos: int) -> Handle:
        self.message.emit(f"Exporting to {dest}…")
        return self.runner.start(
            "export",
            lambda cancelled: run_export(album, dest, kinds, photos),
            on_result=self._exported,
            on_error=lambda exc: self.problem.emit(f"Export failed: {exc}"),
            priority=BACKGROUND,
        )

    def _exported(self, written: list[Path]) -> None:
        where = Path(os.path.commonpath([p.parent for p in written])) if written else Path()
        names = [p.relative_to(where).as_posix() for p in written]  # "photos/index.html", not a second "index.html"
        self.message.emit(f"Exported {', '.join(names)} to {where}")
        self.exported.emit(written)
        parent = self.parent()
        if written and isinstance(parent, QWidget):
            self.done_box = self._done_box(parent, written, where)

    @staticmethod
    def _done_box(parent: QWidget, written: list[Path], where: Path) -> QMessageBox:
        """Say where the export is, with a button that opens it (the page when there is one)."""
        page = next((p for p in written if p.name == "index.html"), None)
        target = page or where
        box = QMessageBox(QMessageBox.Icon.Information, "Export finished", f"The export is in {where}.", parent=parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        open_button = box.addButton("Open", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(target))))
        box.open()
        return box
