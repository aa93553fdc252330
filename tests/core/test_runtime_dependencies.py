"""The app runs without torchvision and facenet_pytorch: what the CPU desktop bundle relies on."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import albumsum

BLOCKED = ("torchvision", "facenet_pytorch", "trainer")

# importing is checked through sys.modules, not by blocking the finders: locating facenet-pytorch's
# weight files with importlib.util.find_spec is allowed (it runs none of the package)
RUN_AND_LIST = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
from albumsum.cli import main
code = main(['--selftest'])
print('imported:', sorted({m.split('.')[0] for m in sys.modules} & set(%r)))
sys.exit(code)
"""


def test_every_module_and_the_selftest_run_without_torchvision_or_facenet() -> None:
    modules = [m.name for m in pkgutil.walk_packages(albumsum.__path__, "albumsum.") if m.name != "albumsum.__main__"]
    assert "albumsum.core.faces" in modules and "albumsum.cli" in modules
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    code = RUN_AND_LIST % (BLOCKED,)
    done = subprocess.run([sys.executable, "-c", code, *modules], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "selftest passed" in done.stdout
    assert "imported: []" in done.stdout
