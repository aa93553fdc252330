"""The app's settings: one typed schema with defaults, units and ranges, stored as JSON in the
platform config directory (``ALBUMSUM_CONFIG_DIR`` overrides it, which is how tests stay out of the
user's real config).

Loading never fails on a bad file: unknown keys are dropped and invalid values fall back to their
default, each with a warning, so one bad edit cannot lock the user out of the app.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from albumsum.core.files import atomic_write_text
from albumsum.core.userdata import default_index_path, platform_dir

log = logging.getLogger(__name__)

MAX_RECENT = 8


def setting(
    default: Any,
    label: str,
    *,
    choices: tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    kind: str = "",
    help: str = "",
    group: str = "",
) -> Any:
    """A schema field: the default plus what a settings form needs to edit and check it: ``labels``
    name the ``choices`` in words, ``kind`` "fraction" is shown as a percentage, ``group`` is the
    form's section."""
    meta = {
        "label": label,
        "choices": choices,
        "labels": labels or choices,
        "lo": lo,
        "hi": hi,
        "unit": unit,
        "kind": kind,
        "help": help,
        "group": group,
    }
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Everything the user can set. Fields with an empty ``label`` are kept but not shown in the form."""

    device: str = setting(
        "auto",
        "Run the face model on",
        choices=("auto", "cpu", "cuda"),
        labels=("Automatic (GPU when available)", "Processor only", "GPU (CUDA)"),
        help="A GPU makes indexing several times faster; the faces found are the same.",
        group="Detection",
    )
    min_face: float = setting(
        20.0,
        "Minimum face size",
        lo=8,
        hi=1000,
        unit="px",
        help="Smaller faces are left out (the shorter side of a face's box, in photo pixels).",
        group="Detection",
    )
    min_score: float = setting(
        0.9,
        "Detection certainty",
        lo=0.5,
        hi=0.999,
        kind="fraction",
        help="How sure the detector must be; lower finds more faces, and more mistakes.",
        group="Detection",
    )
    subclass_source: str = setting(
        "model",
        "Groups within an emotion",
        choices=("model", "album"),
        labels=("The model's groups (the same in every album)", "Groups found in this album"),
        help="The model's groups mean the same in every album; album groups fit this one.",
        group="Display",
    )
    max_subclasses: int = setting(
        4,
        "Most groups per emotion",
        lo=1,
        hi=8,
        unit="groups",
        help="When the groups are found in this album.",
        group="Display",
    )
    summary_size: int = setting(
        12, "Summary photos", lo=1, hi=500, unit="photos", help="Photos in the album summary.", group="Display"
    )
    min_quality: float = setting(
        0.0,
        "Hide faces below quality",
        lo=0.0,
        hi=1.0,
        kind="fraction",
        help="0 % shows every face; higher hides small, blurred, dark or turned faces.",
        group="Display",
    )
    thumb_size: int = setting(
        80, "Thumbnail size", lo=48, hi=160, unit="px", help="The faces in the grids.", group="Display"
    )
    projection: str = setting(
        "pca",
        "Map layout",
        choices=("pca", "tsne"),
        labels=("Overview map (PCA, fast)", "Similarity map (t-SNE, clusters)"),
        help="Overview: the big picture; similarity map: alike faces side by side.",
        group="Display",
    )
    index_location: str = setting(
        "",
        "Index folder",
        kind="folder",
        help="Where album indexes are kept; empty: the user data folder. Never in the album.",
        group="Storage",
    )
    show_details: bool = setting(True, "")  # the window's face details panel (View ▸ Face Details)
    recent_albums: tuple[str, ...] = setting((), "")

    def with_recent(self, folder: str | os.PathLike[str]) -> Settings:
        """These settings with ``folder`` first in the recent albums (no duplicates, at most MAX_RECENT)."""
        path = str(Path(folder).resolve())
        recent = (path, *[p for p in self.recent_albums if p != path])[:MAX_RECENT]
        return dataclasses.replace(self, recent_albums=recent)

    def index_path(self, album: str | os.PathLike[str]) -> Path:
        """Where the index of ``album`` lives: the chosen index folder, or the user data folder."""
        default = default_index_path(album)
        return Path(self.index_location).expanduser() / default.name if self.index_location else default


def fields() -> list[dataclasses.Field]:
    """The schema's fields, in form order."""
    return list(dataclasses.fields(Settings))


def check(name: str, value: Any) -> Any:
    """``value`` converted to the type of setting ``name``; ``ValueError`` when it is out of range."""
    f = next((f for f in fields() if f.name == name), None)
    if f is None:
        raise ValueError(f"unknown setting {name!r}")
    meta = f.metadata
    kind = type(Settings().__getattribute__(name))
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: expected true or false, got {value!r}")
        return value
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name}: expected a list of strings")
        return tuple(value)
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        value = kind(value)
        if (meta["lo"] is not None and value < meta["lo"]) or (meta["hi"] is not None and value > meta["hi"]):
            raise ValueError(f"{name}: {value} is outside {meta['lo']}..{meta['hi']}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected text, got {value!r}")
    if meta["choices"] and value not in meta["choices"]:
        raise ValueError(f"{name}: {value!r} is not one of {', '.join(meta['choices'])}")
    return value


def config_dir() -> Path:
    """The platform's per-user config directory for albumsum (``ALBUMSUM_CONFIG_DIR`` overrides)."""
    return platform_dir("config")


def settings_path() -> Path:
    return config_dir() / "settings.json"


def from_dict(data: dict[str, Any]) -> Settings:
    """Settings from plain data; unknown keys and bad values are logged and left at their defaults."""
    good = {}
    names = {f.name for f in fields()}
    for key, value in data.items():
        if key not in names:
            log.warning("settings: ignoring unknown key %r", key)
            continue
        try:
            good[key] = check(key, value)
        except ValueError as exc:
            log.warning("settings: %s; using the default", exc)
    return Settings(**good)


def load_settings(path: Path | None = None) -> Settings:
    """The stored settings, or the defaults when there is no (readable) file."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings: cannot read %s (%s); using the defaults", path, exc)
        return Settings()
    return from_dict(data) if isinstance(data, dict) else Settings()


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically (a temporary file renamed over the old one)."""
    return atomic_write_text(path or settings_path(), json.dumps(dataclasses.asdict(settings), indent=2))
