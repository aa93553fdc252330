"""Find shipped assets (the default model, icons, style sheet) in a checkout, an installed
package or a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_MODEL = "models/default.pt"


def resources_dir() -> Path:
    """``resources/`` beside the package in a checkout, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"bundled resource {name!r} not found at {path}")
    return path


def default_model_path() -> Path:
    return resource_path(DEFAULT_MODEL)


def describe_default_model() -> str:
    from albumsum.core.checkpoint import read_checkpoint

    path = default_model_path()
    data = read_checkpoint(path)
    metrics = data.get("metrics", {})
    acc = metrics.get("valid_knn_accuracy")
    args = ", ".join(f"{k}={v}" for k, v in data["model_args"].items())
    line = f"{path}\n  network: {args}\n  created: {data.get('created')}"
    if acc is not None:
        line += f"\n  FER+ valid kNN accuracy: {acc:.2f} %"
    return line
