"""albumsum.core must import on a machine without PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import albumsum.core

BLOCK_QT = """
import sys
class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'albumsum.ui') or name.startswith('albumsum.ui'):
            raise ImportError(f'{name} is blocked: albumsum.core must not need it')
        return None
sys.meta_path.insert(0, BlockQt())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
assert 'PySide6' not in sys.modules
print('ok')
"""


def core_modules() -> list[str]:
    return [f"albumsum.core.{m.name}" for m in pkgutil.iter_modules(albumsum.core.__path__)]


def test_core_imports_with_pyside6_unavailable() -> None:
    modules = core_modules()
    assert "albumsum.core.checkpoint" in modules and "albumsum.core.inference" in modules
    result = subprocess.run([sys.executable, "-c", BLOCK_QT, *modules], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_itself_catches_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCK_QT, "PySide6"], capture_output=True, text=True)
    assert result.returncode != 0 and "blocked" in result.stderr


def test_the_app_never_imports_the_trainer() -> None:
    """albumsum loads models through albumsum.core; the trainer is an optional, separate package."""
    import ast
    from pathlib import Path

    root = Path(albumsum.core.__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "trainer" or n.startswith("trainer.") for n in names):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
