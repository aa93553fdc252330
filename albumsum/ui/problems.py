"""The problems panel: photos that could not be read, with the reason, and how to act on them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class ProblemsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.album: Path | None = None
        self.summary = QLabel("No problems.")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Photo", "Why it could not be read"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.activated.connect(lambda index: self.show_in_folder(index.row()))
        col = QVBoxLayout(self)
        col.addWidget(self.summary)
        col.addWidget(self.table, 1)

    def set_errors(self, album: Path | None, errors: list[tuple[str, str]]) -> None:
        self.album = album
        self.table.setRowCount(len(errors))
        for r, (path, reason) in enumerate(errors):
            for c, text in enumerate((path, reason or "unknown error")):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self.summary.setText(
            "No problems: every photo could be read."
            if not errors
            else f"{len(errors)} photo{'s' if len(errors) != 1 else ''} could not be read. Fix or remove them "
            "and index again (View ▸ Index again); press Enter on a row to open its folder."
        )

    def paths(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def show_in_folder(self, row: int) -> None:
        if self.album is None or row < 0:
            return
        path = self.album / self.table.item(row, 0).text()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


__all__ = ["ProblemsPanel", "Qt"]
