"""The indexing bar in the status bar: progress, photos/s, faces found, ETA, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from albumsum.core.indexer import IndexProgress


def describe(p: IndexProgress) -> str:
    """One line for the user: what is done, how fast, faces found, time left."""
    if p.phase == "model":
        return "Loading the face model…"
    rate = p.done / p.elapsed if p.elapsed > 0 else 0.0
    eta = (p.total - p.done) / rate if rate > 0 else 0.0
    if p.phase == "embed":
        return f"Updating {p.done}/{p.total} faces for the new model · ETA {int(eta) // 60}:{int(eta) % 60:02d}"
    return (
        f"{p.done}/{p.total} photos · {rate:.1f} photos/s · {p.faces} faces · "
        f"{p.errors} unreadable · ETA {int(eta) // 60}:{int(eta) % 60:02d}"
    )


class IndexBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop after the current photo; what is done is kept")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.cancel)
        self.hide()

    def start(self) -> None:
        self.bar.setRange(0, 0)
        self.label.setText("Listing the photos…")
        self.cancel.setEnabled(True)
        self.show()

    def update_progress(self, p: IndexProgress) -> None:
        if p.total:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        else:
            self.bar.setRange(0, 0)
        self.label.setText(describe(p))

    def stopping(self) -> None:
        self.cancel.setEnabled(False)
        self.label.setText("Stopping after this photo…")
