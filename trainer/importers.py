"""Importers that turn public face-expression data sets into the labelled-data npz contract.

Every importer writes ``np.savez_compressed(out, images=uint8 [N, H, W], votes=uint8 [N, 10] or
labels=str [N], names=str [N])`` atomically (a ``.tmp.npz`` file next to ``out``, then
``os.replace``) and returns an :class:`ImportReport`. Rows or files that cannot be used are
skipped and counted by reason; an input that yields nothing at all raises :class:`ImportDataError`.
The output loads with :func:`trainer.data.load_labelled`.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from albumsum.core.emotions import EMOTIONS

log = logging.getLogger(__name__)

VOTE_COLUMNS: tuple[str, ...] = (*EMOTIONS, "unknown", "NF")
FER2013_USAGES: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")
FER2013_SIDE = 48
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
FOLDER_SYNONYMS: dict[str, str] = {
    "happy": "happiness",
    "surprised": "surprise",
    "sad": "sadness",
    "angry": "anger",
    "disgusted": "disgust",
    "fearful": "fear",
    "afraid": "fear",
    "contemptuous": "contempt",
    "calm": "neutral",
}
_NUMERIC_PREFIX = re.compile(r"^\d+[\s_.-]+")
_UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)


class ImportDataError(ValueError):
    """An input that cannot be imported at all (nothing usable, or inconsistent files)."""


@dataclass(frozen=True)
class ImportReport:
    """Outcome of one import: faces ``written`` to ``out`` and ``skipped`` counts by reason."""

    out: Path
    written: int
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        """One line for the command line, e.g. ``wrote 10 faces to x.npz; skipped 2 (missing image 2)``."""
        text = f"wrote {self.written} faces to {self.out}"
        if self.skipped:
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.skipped.items()))
            text += f"; skipped {self.total_skipped} ({reasons})"
        return text


# --------------------------------------------------------------------------- shared helpers


def _save_atomic(out: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``out`` via a ``.tmp.npz`` sibling and ``os.replace``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    try:
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _finish(
    source: str | Path,
    out: Path,
    images: list[np.ndarray],
    names: list[str],
    skipped: Counter[str],
    **targets: np.ndarray,
) -> ImportReport:
    """Raise if nothing was imported, else save the npz and log and return the report."""
    report = ImportReport(out=out, written=len(images), skipped=dict(skipped))
    if not images:
        detail = f" (skipped: {', '.join(f'{r} {n}' for r, n in skipped.items())})" if skipped else ""
        raise ImportDataError(f"{source}: no faces could be imported{detail}")
    _save_atomic(out, images=np.stack(images).astype(np.uint8), names=np.array(names, dtype=str), **targets)
    for reason, n in sorted(skipped.items()):
        log.warning("%s: skipped %d: %s", source, n, reason)
    log.info("%s: %s", source, report.summary())
    return report


def _parse_votes(fields: Iterable[str]) -> np.ndarray | None:
    """Ten integer vote counts in 0..255 as uint8, or ``None`` when malformed."""
    try:
        votes = [int(v) for v in fields]
    except ValueError:
        return None
    if len(votes) != len(VOTE_COLUMNS) or not all(0 <= v <= 255 for v in votes):
        return None
    return np.array(votes, dtype=np.uint8)


def _votes_array(votes: list[np.ndarray]) -> np.ndarray:
    return np.array(votes, dtype=np.uint8).reshape(-1, len(VOTE_COLUMNS))


def _open_gray(path: Path) -> Image.Image:
    """Decode an image fully, upright per its EXIF orientation, as 8-bit grayscale (raises if unreadable)."""
    with Image.open(path) as img:
        upright = ImageOps.exif_transpose(img)
        return upright.convert("L")


# --------------------------------------------------------------------------- FER+ folder


def import_ferplus_folder(split_dir: str | Path, out: str | Path) -> ImportReport:
    """Import a FERPlus split folder (``label.csv`` of name, face box, ten votes; PNGs alongside).

    Images of another size than the first readable one are resized to it. Rows with a missing or
    unreadable PNG or malformed votes are skipped and counted.
    """
    split_dir, out = Path(split_dir), Path(out)
    label_csv = split_dir / "label.csv"
    if not label_csv.is_file():
        raise FileNotFoundError(f"{label_csv}: no such file (expected a FERPlus split folder with label.csv)")
    images: list[np.ndarray] = []
    names: list[str] = []
    votes: list[np.ndarray] = []
    skipped: Counter[str] = Counter()
    with label_csv.open(newline="") as fh:
        for row in csv.reader(fh):
            if not row or not "".join(row).strip():
                continue
            name = row[0].strip()
            row_votes = _parse_votes(row[-len(VOTE_COLUMNS) :]) if len(row) > len(VOTE_COLUMNS) else None
            if row_votes is None:
                skipped["malformed votes"] += 1
                continue
            image, reason = _read_ferplus_png(split_dir / name, images[0].shape if images else None)
            if image is None:
                skipped[reason] += 1
                continue
            images.append(image)
            names.append(name)
            votes.append(row_votes)
    return _finish(split_dir, out, images, names, skipped, votes=_votes_array(votes))


def _read_ferplus_png(path: Path, shape: tuple[int, ...] | None) -> tuple[np.ndarray | None, str]:
    """(grayscale uint8 image resized to ``shape`` [H, W] if given, "") or (None, skip reason)."""
    if not path.is_file():
        return None, "missing image"
    try:
        img = _open_gray(path)
    except _UNREADABLE as exc:
        log.debug("%s: unreadable: %s", path, exc)
        return None, "unreadable image"
    if shape is not None and img.size != (shape[1], shape[0]):
        log.debug("%s: resized from %s to %dx%d", path, img.size, shape[1], shape[0])
        img = img.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.uint8), ""


# --------------------------------------------------------------------------- FER2013 + FER+ csv


def import_fer2013_csv(
    fer2013_csv: str | Path, fer2013new_csv: str | Path, out: str | Path, usage: str = "Training"
) -> ImportReport:
    """Import one ``usage`` split of ``fer2013.csv`` (pixels) with the FER+ votes of ``fer2013new.csv``.

    Both files must have the same number of rows in the same order (else :class:`ImportDataError`).
    Rows without a FER+ image name, with a wrong pixel count or malformed votes are skipped.
    """
    if usage not in FER2013_USAGES:
        raise ImportDataError(f"usage must be one of {', '.join(FER2013_USAGES)}, got {usage!r}")
    fer2013_csv, fer2013new_csv, out = Path(fer2013_csv), Path(fer2013new_csv), Path(out)
    images: list[np.ndarray] = []
    names: list[str] = []
    votes: list[np.ndarray] = []
    skipped: Counter[str] = Counter()
    for pixel_row, vote_row in _paired_rows(fer2013_csv, fer2013new_csv):
        if (pixel_row["Usage"] or "").strip() != usage:
            continue
        name = (vote_row["Image name"] or "").strip()
        if not name:
            skipped["no FER+ image"] += 1
            continue
        image, reason = _parse_pixels(pixel_row["pixels"] or "")
        row_votes = _parse_votes(vote_row[c] or "" for c in VOTE_COLUMNS)
        if image is None or row_votes is None:
            skipped[reason or "malformed votes"] += 1
            continue
        images.append(image)
        names.append(name)
        votes.append(row_votes)
    return _finish(f"{fer2013_csv} [{usage}]", out, images, names, skipped, votes=_votes_array(votes))


def _paired_rows(fer2013_csv: Path, fer2013new_csv: Path) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """Yield matching rows of both csv files; raise :class:`ImportDataError` if their row counts differ."""
    with fer2013_csv.open(newline="") as fa, fer2013new_csv.open(newline="") as fb:
        pixels, votes = csv.DictReader(fa), csv.DictReader(fb)
        _require_columns(fer2013_csv, pixels.fieldnames, ("pixels", "Usage"))
        _require_columns(fer2013new_csv, votes.fieldnames, ("Image name", *VOTE_COLUMNS))
        for count, (a, b) in enumerate(zip_longest(pixels, votes), start=1):
            if a is None or b is None:
                raise _row_count_error(fer2013_csv, fer2013new_csv, first_ended=a is None, rows=count - 1)
            yield a, b


def _row_count_error(first: Path, second: Path, first_ended: bool, rows: int) -> ImportDataError:
    shorter, longer = (first, second) if first_ended else (second, first)
    return ImportDataError(
        f"row counts differ: {shorter} ends after {rows} rows but {longer} has more; "
        "fer2013.csv and fer2013new.csv must align row by row"
    )


def _require_columns(path: Path, header: Sequence[str] | None, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in (header or ())]
    if missing:
        raise ImportDataError(f"{path}: header lacks column(s) {', '.join(missing)}")


def _parse_pixels(text: str) -> tuple[np.ndarray | None, str]:
    """(48x48 uint8 image, "") from space-separated pixel values, or (None, skip reason)."""
    parts = text.split()
    if len(parts) != FER2013_SIDE * FER2013_SIDE:
        return None, "wrong pixel count"
    try:
        values = np.array(parts, dtype=np.int64)
    except ValueError:
        return None, "malformed pixels"
    if values.min() < 0 or values.max() > 255:
        return None, "malformed pixels"
    return values.astype(np.uint8).reshape(FER2013_SIDE, FER2013_SIDE), ""


# --------------------------------------------------------------------------- class-per-folder trees


def emotion_for_folder(name: str) -> str | None:
    """The emotion a class folder stands for (``Happy``, ``3_sadness``, ``angry`` ...), or ``None``."""
    key = _NUMERIC_PREFIX.sub("", name.strip().lower())
    key = FOLDER_SYNONYMS.get(key, key)
    return key if key in EMOTIONS else None


def import_class_folders(root: str | Path, out: str | Path, size: int = 48) -> ImportReport:
    """Import a class-per-folder tree (``root/<emotion>/**/*.jpg``) as ``size`` x ``size`` grayscale faces.

    Images are EXIF-transposed, center-cropped to a square and resized. Folders that name no emotion
    and unreadable images are skipped and counted; ``labels`` holds the emotion names.
    """
    root, out = Path(root), Path(out)
    if size < 1:
        raise ImportDataError(f"size must be positive, got {size}")
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (expected one subfolder per emotion)")
    images: list[np.ndarray] = []
    names: list[str] = []
    labels: list[str] = []
    skipped: Counter[str] = Counter()
    loose = sum(1 for p in root.iterdir() if _is_image(p))
    if loose:
        skipped["image outside class folders"] += loose
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        emotion = emotion_for_folder(folder.name)
        files = _image_files(folder)
        if emotion is None:
            log.warning("%s: folder %r names no emotion (%d images ignored)", root, folder.name, len(files))
            if files:
                skipped[f"unknown class folder {folder.name}"] += len(files)
            continue
        for path in files:
            image = _read_face(path, size)
            if image is None:
                skipped["unreadable image"] += 1
                continue
            images.append(image)
            names.append(path.relative_to(root).as_posix())
            labels.append(emotion)
    return _finish(root, out, images, names, skipped, labels=np.array(labels, dtype=str))


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


def _image_files(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, hidden files and folders left out), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if _is_image(p) and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _read_face(path: Path, size: int) -> np.ndarray | None:
    """Upright grayscale ``size`` x ``size`` uint8 face (center square crop), or ``None`` if unreadable."""
    try:
        img = _open_gray(path)
    except _UNREADABLE as exc:
        log.debug("%s: unreadable: %s", path, exc)
        return None
    square = ImageOps.fit(img, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    return np.asarray(square, dtype=np.uint8)
