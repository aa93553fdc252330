"""The GPU-session scripts work before a GPU is lent: the data survives packing, and the driver
probes, trains, evaluates and returns a checkpoint in parts (here on the CPU, a tiny network)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from albumsum.core.checkpoint import read_checkpoint

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fake_ferplus(folder: Path, n_train: int = 200, n_valid: int = 40) -> Path:
    """A labelled set in the FER+ npz contract: random faces, votes with a clear majority."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("valid", n_valid)):
        labels = np.arange(n) % 8
        votes = np.zeros((n, 10), np.uint8)
        votes[np.arange(n), labels] = 8
        votes[np.arange(n), (labels + 1) % 8] = 2
        images = rng.integers(0, 256, (n, 48, 48), dtype=np.uint8)
        images[:, :6, :] = (labels * 30)[:, None, None]  # a label-dependent band: learnable
        np.savez(
            folder / f"{name}.npz",
            images=images,
            votes=votes,
            names=np.array([f"fer{i:07d}.png" for i in range(n)]),
            columns=np.array(
                ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"]
            ),
        )
    return folder


def test_pack_then_unpack_gives_back_the_same_arrays(tmp_path: Path) -> None:
    gpu_data = load_script("gpu_data")
    source = fake_ferplus(tmp_path / "src", n_train=101)
    written = gpu_data.pack(source, tmp_path / "packed", parts=3)
    assert sorted(p.parent.name for p in written) == ["part1", "part2", "part3", "part3"]
    with pytest.raises(SystemExit, match=r"expected 1\.\.3"):
        gpu_data.unpack([tmp_path / "packed" / "part1", tmp_path / "packed" / "part3"], tmp_path / "out")
    gpu_data.unpack(sorted((tmp_path / "packed").iterdir()), tmp_path / "out")
    for name in ("train", "valid"):
        with np.load(source / f"{name}.npz") as a, np.load(tmp_path / "out" / f"{name}.npz") as b:
            assert sorted(a.files) == sorted(b.files)
            for key in a.files:
                assert np.array_equal(a[key], b[key]), (name, key)


@pytest.mark.slow
def test_driver_probes_trains_evaluates_and_returns_parts(tmp_path: Path) -> None:
    gpu_train = load_script("gpu_train")
    data = fake_ferplus(tmp_path / "data")
    gpu_train.SETTINGS.update({"arch": "small", "device": "cpu", "amp": "off", "threads": "1"})
    gpu_train.PART_BYTES = 100_000  # the small network's checkpoint comes back in several parts
    gpu_train.MAX_EPOCHS, gpu_train.MAX_FILES = 3, 100
    try:
        gpu_train.drive(["stock"], data, tmp_path / "out", budget=gpu_train.RESERVE_S + 20, work=tmp_path / "work")
    finally:
        gpu_train.SETTINGS.clear()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    run = summary["runs"]["stock"]
    assert run["fit_exit"] == 0 and run["epoch_s"] > 0 and run["epochs"] >= 1
    assert len(run["epochs_log"]) == run["epochs"] and summary["ranking"] == ["stock"]
    assert 0 <= run["valid"]["knn_accuracy"] <= 100 and run["valid"]["count"] == 40
    parts = [tmp_path / "out" / p for p in run["parts"]]
    assert len(parts) >= 2 and all(p.stat().st_size <= gpu_train.PART_BYTES for p in parts)
    joined = tmp_path / "joined.pt"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    assert read_checkpoint(joined)["model_args"]["arch"] == "small"
