"""The desktop bundle builds and passes its self-test (opt-in: several minutes and ~1 GB of disk).

Run with ``ALBUMSUM_BUNDLE_TEST=1 python -m pytest -q tests/test_bundle.py``; CI's suite skips it.
The fast guard of the same property, that the app runs without torchvision and facenet_pytorch,
is ``tests/core/test_runtime_dependencies.py``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("ALBUMSUM_BUNDLE_TEST") != "1", reason="builds the PyInstaller bundle; set ALBUMSUM_BUNDLE_TEST=1"
)


def test_bundle_builds_and_passes_its_selftest() -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_bundle.sh")], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "selftest passed" in done.stdout and "platform plugin offscreen" in done.stdout
    assert "sha256:" in done.stdout
    internal = ROOT / "dist" / "albumsum" / "_internal"
    assert not (internal / "torchvision").exists() and not (internal / "facenet_pytorch").exists()
    assert not list(internal.rglob("libtorch_cuda*")) and not list(internal.rglob("libcudnn*"))
    assert sorted(p.name for p in (internal / "resources" / "mtcnn").iterdir()) == ["onet.pt", "pnet.pt", "rnet.pt"]
