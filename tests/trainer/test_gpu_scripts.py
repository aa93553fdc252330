"""The GPU-session tooling works before a GPU is lent: the data survives packing, and the budget
trainer (trainer.gpu_budget) probes, trains, evaluates and returns a checkpoint in parts (here on
the CPU, a tiny network)."""

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


def test_the_budget_sets_the_epochs_by_the_clock() -> None:
    from trainer.gpu_budget import Budget

    budget = Budget(seconds=480, reserve_s=90, safety=0.9, max_epochs=300)
    assert budget.epochs_for(epoch_s=2.0, left_s=480) == int(0.9 * 390 // 2.0)
    assert budget.epochs_for(epoch_s=0.01, left_s=480) == 300  # capped
    assert budget.epochs_for(epoch_s=50.0, left_s=100) == 1  # at least one


def test_the_wide_presets_are_the_shipped_recipe_at_their_width(tmp_path: Path) -> None:
    """``narrow64`` trains what the default was made with (trainer/recipes/narrow.toml and the terms
    added since), wider; a ``--set`` still overrides it."""
    from trainer.gpu_budget import make_config

    cfg = make_config("narrow64", tmp_path, tmp_path / "run", {"lr": "1e-3"}, epochs=7)
    assert (cfg.arch, cfg.width, cfg.embedding_dim) == ("narrow_resnet", 64, 64)
    assert (cfg.sgm_form, cfg.compact_weight, cfg.whiten, cfg.whiten_shrink) == ("squared", 0.1, True, 1.0)
    assert (cfg.ce_weight, cfg.degrade_prob, cfg.subclass_space, cfg.max_rotate) == (0.5, 0.3, "steady", 20.0)
    assert (cfg.lr, cfg.epochs, cfg.threads, cfg.progress) == (1e-3, 7, 0, False)
    assert cfg.train_data == str(tmp_path / "train.npz")
    assert make_config("stock", tmp_path, tmp_path / "run", {}).arch == "resnet18"
    shippable = make_config("narrow36cons", tmp_path, tmp_path / "run", {})
    assert (shippable.width, shippable.consistency, shippable.consistency_after) == (36, 1.0, 0)
    assert (shippable.sgm_form, shippable.compact_weight, shippable.whiten) == ("squared", 0.1, True)


def test_the_script_is_the_package_module(capsys) -> None:
    import trainer.gpu_budget

    script = load_script("gpu_train")
    assert script.main is trainer.gpu_budget.main
    with pytest.raises(SystemExit):
        script.main(["--data", "x", "--runs", "nope", "--out", "o"])
    assert "unknown presets ['nope']" in capsys.readouterr().err


@pytest.mark.slow
def test_driver_probes_trains_evaluates_and_returns_parts(tmp_path: Path) -> None:
    from trainer.gpu_budget import Budget, drive

    data = fake_ferplus(tmp_path / "data")
    settings = {"arch": "small", "device": "cpu", "amp": "off", "threads": "1"}
    # the small network's checkpoint comes back in several parts
    budget = Budget(seconds=90 + 20, settings=settings, max_epochs=3, part_bytes=100_000, max_files=100)
    summary = drive(["stock"], data, tmp_path / "out", budget, work=tmp_path / "work")
    assert summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    run = summary["runs"]["stock"]
    assert run["fit_exit"] == 0 and run["epoch_s"] > 0 and run["epochs"] >= 1
    assert len(run["epochs_log"]) == run["epochs"] and summary["ranking"] == ["stock"]
    assert 0 <= run["valid"]["knn_accuracy"] <= 100 and run["valid"]["count"] == 40
    parts = [tmp_path / "out" / p for p in run["parts"]]
    assert len(parts) >= 2 and all(p.stat().st_size <= budget.part_bytes for p in parts)
    joined = tmp_path / "joined.pt"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    assert read_checkpoint(joined)["model_args"]["arch"] == "small"
