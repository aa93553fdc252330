"""Shared fixtures: the read-only data beside the project, and offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FERPLUS = SHARED / "data" / "ferplus"
ALBUM = SHARED / "data" / "album"


@pytest.fixture(autouse=True)
def private_app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's settings and indexes in tmp: no test reads or writes the user's real ones."""
    monkeypatch.setenv("ALBUMSUM_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ALBUMSUM_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def ferplus_dir() -> Path:
    if not (FERPLUS / "train.npz").is_file() or not (FERPLUS / "valid.npz").is_file():
        pytest.skip(f"FER+ data not found at {FERPLUS} (it lives in ../shared beside the project)")
    return FERPLUS


@pytest.fixture(scope="session")
def album_dir() -> Path:
    """The shared test album (read-only real photos); never copied into the repository."""
    if not ALBUM.is_dir() or not any(ALBUM.glob("*.jpg")):
        pytest.skip(f"shared album not found at {ALBUM} (it lives in ../shared beside the project)")
    return ALBUM
