"""Shipped assets are found in a checkout, a wheel install and a bundle; MTCNN's weights without facenet_pytorch."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from albumsum.core import resources
from albumsum.core.resources import (
    DEFAULT_MODEL,
    MTCNN_WEIGHTS,
    SELFTEST_IMAGE,
    default_model_path,
    file_sha256,
    mtcnn_weights_dir,
    resources_dir,
    version_text,
)

ROOT = Path(__file__).resolve().parents[2]


def test_checkout_finds_the_shipped_files() -> None:
    assert resources_dir() == ROOT / "resources"
    assert default_model_path() == ROOT / "resources" / DEFAULT_MODEL
    assert resources.resource_path(SELFTEST_IMAGE).is_file()


def test_every_resources_folder_ships_in_the_wheel() -> None:
    """pyproject.toml's data-files name folders one by one: a new folder of resources/ needs its line."""
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    folders = {p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and p.name != "mtcnn"}
    assert {f"share/albumsum/resources/{name}" for name in folders} <= set(data_files)
    assert all(data_files[f"share/albumsum/resources/{name}"] == [f"resources/{name}/*"] for name in folders)


def test_bundle_resources_come_first(tmp_path, monkeypatch) -> None:
    mtcnn = tmp_path / "resources" / "mtcnn"
    mtcnn.mkdir(parents=True)
    for name in MTCNN_WEIGHTS:
        (mtcnn / name).write_bytes(b"w")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
    assert mtcnn_weights_dir() == mtcnn
    (mtcnn / "rnet.pt").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing in .*mtcnn: rnet\.pt"):
        mtcnn_weights_dir()


def test_no_resources_anywhere_names_the_places_tried(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(resources, "resource_candidates", lambda: [tmp_path / "nope"])
    with pytest.raises(FileNotFoundError, match="nope"):
        resources_dir()


def test_missing_facenet_weights_say_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="facenet-pytorch"):
        mtcnn_weights_dir()


def _run(code: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_mtcnn_weights_are_found_without_importing_facenet_or_torch() -> None:
    if importlib.util.find_spec("facenet_pytorch") is None:
        pytest.skip("facenet-pytorch is not installed")
    out = _run(
        "import sys; from albumsum.core.resources import mtcnn_weights_dir; print(mtcnn_weights_dir()); "
        "print(sorted(m for m in ('facenet_pytorch', 'torchvision', 'torch') if m in sys.modules))"
    )
    where, imported = out.splitlines()
    assert Path(where).name == "data" and Path(where).parent.name == "facenet_pytorch"
    assert imported == "[]"


def test_version_names_the_model_and_its_checksum_without_torch() -> None:
    out = _run(
        "import sys\nfrom albumsum.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('torch' in sys.modules)"
    )
    assert out.startswith("albumsum ")
    assert f"sha256:{file_sha256(default_model_path())[:16]}" in out and DEFAULT_MODEL in out
    assert out.splitlines()[-1] == "False"
    assert version_text() in out


def test_a_wheel_install_ships_the_resources(tmp_path) -> None:
    """Build the wheel from the checkout and install it elsewhere: ``resources/`` comes along as data files."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("albumsum", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", src], check=True)
    wheel = next((tmp_path / "dist").glob("albumsum-*.whl"))
    prefix = tmp_path / "prefix"
    # --ignore-installed: without it pip uninstalls the albumsum this suite runs from before it installs
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-compile", "--ignore-installed", "--prefix", prefix, wheel], check=True
    )
    site = next(prefix.glob("lib/python3*/site-packages"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = _run(
        "import albumsum.core.resources as r; print(r.__file__); print(r.resources_dir()); print(r.version_text())",
        env=env,
        cwd=tmp_path,
    )
    module, found = out.splitlines()[:2]
    assert Path(module).is_relative_to(site)
    assert Path(found) == (prefix / "share" / "albumsum" / "resources").resolve()
    assert (Path(found) / SELFTEST_IMAGE).is_file()
    assert f"sha256:{file_sha256(default_model_path())[:16]}" in out
