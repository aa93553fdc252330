"""Find shipped assets (the default model, the self-test image, MTCNN's weights) in a checkout, an
installed wheel or a PyInstaller bundle.

Where ``resources/`` is, first match wins:

1. a PyInstaller bundle: ``<sys._MEIPASS>/resources`` (``build_app.spec`` puts it there);
2. a checkout or an editable install: ``resources/`` beside the ``albumsum`` package, next to
   ``pyproject.toml``;
3. a wheel install: the wheel installs ``resources/`` as data files under
   ``<prefix>/share/albumsum/resources`` (``[tool.setuptools.data-files]`` in pyproject.toml),
   found through the distribution's own file list, so ``--prefix`` and ``--user`` installs work too.

Nothing here imports torch: ``albumsum --version`` stays fast.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

from albumsum import __version__

DEFAULT_MODEL = "models/default.pt"
SELFTEST_IMAGE = "sample/selftest_face.png"
MTCNN_WEIGHTS = ("pnet.pt", "rnet.pt", "onet.pt")
INSTALLED_DATA = "share/albumsum/resources"  # must match the data-files targets in pyproject.toml


def _bundle_resources() -> Path | None:
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) / "resources" if bundle else None


def _checkout_resources() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root / "resources" if (root / "pyproject.toml").is_file() else None


def _installed_resources() -> Path | None:
    try:
        dist = importlib.metadata.distribution("albumsum")
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        posix = file.as_posix()  # relative to site-packages, e.g. ../../../share/albumsum/resources/models/x.pt
        at = posix.find(INSTALLED_DATA + "/")
        if at >= 0:
            return Path(str(dist.locate_file(posix[: at + len(INSTALLED_DATA)]))).resolve()
    return None


def resource_candidates() -> list[Path]:
    """The places ``resources/`` may be, in the order they are tried."""
    found = (_bundle_resources(), _checkout_resources(), _installed_resources())
    return [path for path in found if path is not None]


def resources_dir() -> Path:
    """The first existing ``resources/`` folder; ``FileNotFoundError`` naming every place tried."""
    candidates = resource_candidates()
    for path in candidates:
        if path.is_dir():
            return path
    tried = ", ".join(str(p) for p in candidates) or "no bundle, checkout or installed data files"
    raise FileNotFoundError(f"albumsum's resources folder not found (looked in: {tried}); reinstall albumsum")


def resource_path(name: str) -> Path:
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"bundled resource {name!r} not found at {path}")
    return path


def default_model_path() -> Path:
    return resource_path(DEFAULT_MODEL)


def mtcnn_weights_dir() -> Path:
    """The folder holding MTCNN's ``pnet.pt``, ``rnet.pt`` and ``onet.pt`` (facenet-pytorch's weights).

    ``resources/mtcnn/`` when it exists (the desktop bundle), else the ``data/`` folder of the
    installed facenet-pytorch distribution. ``find_spec`` of a top-level package locates it without
    running its ``__init__`` (which would import torchvision), so only the weight files are used.
    """
    shipped = [root / "mtcnn" for root in resource_candidates() if (root / "mtcnn").is_dir()]
    with_weights = shipped[0] if shipped else None
    if with_weights is None:
        spec = importlib.util.find_spec("facenet_pytorch")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                "MTCNN face-detector weights not found: no resources/mtcnn/ folder and the facenet-pytorch "
                "package (which ships pnet.pt, rnet.pt, onet.pt) is not installed; "
                "run: pip install --no-deps facenet-pytorch==2.5.3"
            )
        with_weights = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing = [name for name in MTCNN_WEIGHTS if not (with_weights / name).is_file()]
    if missing:
        raise FileNotFoundError(f"MTCNN face-detector weights missing in {with_weights}: {', '.join(missing)}")
    return with_weights


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_text() -> str:
    """``albumsum --version``: the version and the default model with a short SHA-256 (no torch import)."""
    try:
        path = default_model_path()
    except FileNotFoundError as exc:
        return f"albumsum {__version__}\ndefault model: missing ({exc})"
    return f"albumsum {__version__}\ndefault model: {DEFAULT_MODEL} sha256:{file_sha256(path)[:16]} ({path})"


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
