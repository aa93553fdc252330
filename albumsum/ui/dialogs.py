"""The settings dialog (a form built from the typed schema) and the export dialog."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumsum.core.settings import Settings, check, fields
from albumsum.ui.export import KINDS

KIND_LABELS = {
    "html": "HTML page (faces by emotion and sub-class)",
    "contact_sheet": "Contact sheet (PNG)",
    "pdf": "PDF of the summary photos",
    "photos": "Folder with copies of the summary photos",
}


def _folder_row(edit: QLineEdit, parent: QWidget, title: str) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    browse = QPushButton("Browse…")

    def pick() -> None:
        chosen = QFileDialog.getExistingDirectory(parent, title, edit.text())
        if chosen:
            edit.setText(chosen)

    browse.clicked.connect(pick)
    lay.addWidget(browse)
    return row


def _lay_out_form(dialog: QDialog, form: QLayout, min_width: int, ok_text: str = "") -> None:
    """``form`` above OK / Cancel (OK relabelled ``ok_text``), wired to accept and reject."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    if ok_text:
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    col = QVBoxLayout(dialog)
    col.addLayout(form)
    col.addWidget(buttons)
    dialog.setMinimumWidth(min_width)


class SettingsDialog(QDialog):
    """One editor per schema field, in the schema's groups (Detection, Display, Storage): choices in
    words, numbers with their units (fractions as percentages) and each field's help under it."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.editors: dict[str, QWidget] = {}
        self.kinds: dict[str, str] = {}
        forms: dict[str, QFormLayout] = {}
        col = QVBoxLayout()
        for f in fields():
            meta = f.metadata
            if not meta["label"]:
                continue
            if meta["group"] not in forms:
                box = QGroupBox(meta["group"] or "Other")
                forms[meta["group"]] = QFormLayout(box)
                col.addWidget(box)
            editor, widget = self._editor(f, getattr(settings, f.name))
            self.editors[f.name] = editor
            self.kinds[f.name] = meta["kind"]
            forms[meta["group"]].addRow(meta["label"], _with_help(widget, meta["help"]))
        _lay_out_form(self, col, 620)

    def _editor(self, f: dataclasses.Field, value: Any) -> tuple[QWidget, QWidget]:
        meta = f.metadata
        if meta["choices"]:
            box = QComboBox()
            for choice, label in zip(meta["choices"], meta["labels"], strict=True):
                box.addItem(label, choice)
            box.setCurrentIndex(max(0, box.findData(value)))
            return box, box
        if meta["kind"] == "folder" or isinstance(value, str):
            edit = QLineEdit(str(value))
            edit.setPlaceholderText("the user data folder")
            return edit, _folder_row(edit, self, meta["label"])
        if meta["kind"] == "fraction":
            spin: QSpinBox | QDoubleSpinBox = QDoubleSpinBox()
            spin.setDecimals(1)
            spin.setRange(100 * meta["lo"], 100 * meta["hi"])
            spin.setValue(100 * value)
            spin.setSuffix(" %")
            return spin, spin
        spin = QSpinBox() if isinstance(value, int) else QDoubleSpinBox()
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(0 if meta["hi"] >= 10 else 2)
        spin.setRange(meta["lo"], meta["hi"])
        spin.setValue(value)
        spin.setSuffix(f" {meta['unit']}" if meta["unit"] else "")
        return spin, spin

    def values(self) -> Settings:
        """The edited settings (each value checked against the schema)."""
        changes: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                value: Any = editor.currentData()
            elif isinstance(editor, QLineEdit):
                value = editor.text().strip()
            else:
                value = editor.value()  # type: ignore[attr-defined]
                if self.kinds[name] == "fraction":
                    value = round(value / 100, 4)
            changes[name] = check(name, value)
        return dataclasses.replace(self.settings, **changes)


def _with_help(widget: QWidget, text: str) -> QWidget:
    """``widget`` with a one-line help under it, in the palette's quieter text colour."""
    if not text:
        return widget
    cell = QWidget()
    lay = QVBoxLayout(cell)
    lay.setContentsMargins(0, 0, 0, 4)
    lay.setSpacing(2)
    lay.addWidget(widget)
    help_label = QLabel(text)
    help_label.setWordWrap(False)  # one line: a wrapped label in a form is squeezed when the dialog opens
    help_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = help_label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    help_label.setFont(font)
    lay.addWidget(help_label)
    return cell


class ExportDialog(QDialog):
    """Where to export and what; Enter accepts with the proposed folder."""

    def __init__(self, dest: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the album")
        self.dest = QLineEdit(str(dest))
        self.boxes = {k: QCheckBox(KIND_LABELS[k]) for k in KINDS}
        form = QFormLayout()
        form.addRow("Folder", _folder_row(self.dest, self, "Export into"))
        for box in self.boxes.values():
            box.setChecked(True)
            form.addRow("", box)
        _lay_out_form(self, form, 520, ok_text="Export")

    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k, box in self.boxes.items() if box.isChecked())

    def folder(self) -> Path:
        return Path(self.dest.text().strip()).expanduser()
