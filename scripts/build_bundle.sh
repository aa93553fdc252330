#!/usr/bin/env bash
# Build the albumsum desktop bundle (PyInstaller one-folder, CPU-only torch) and smoke-test it.
#
#   scripts/build_bundle.sh            -> dist/albumsum/albumsum (run it; --selftest checks it)
#
# Environment: TORCH_WHEEL (default: the CPU-only wheel in /opt/wheels), BUNDLE_VENV (default:
# build/bundle-venv, reused when it exists), PYTHON (default: python3.11).
# The venv gets the CPU torch wheel, the app's other runtime dependencies from pyproject.toml,
# facenet-pytorch with --no-deps (only for MTCNN's weight files: no torchvision), PyInstaller, and
# albumsum itself with --no-deps. Then build_app.spec runs and the bundle is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
PYTHON=${PYTHON:-python3.11}
VENV=${BUNDLE_VENV:-build/bundle-venv}
TORCH_WHEEL=${TORCH_WHEEL:-$(ls /opt/wheels/torch-*+cpu-cp311-*.whl 2>/dev/null | head -n 1)}
if [ -z "$TORCH_WHEEL" ] || [ ! -f "$TORCH_WHEEL" ]; then
    echo "build_bundle: no CPU-only torch wheel; set TORCH_WHEEL=/path/to/torch-*+cpu-*.whl" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)

# runtime requirements from pyproject.toml, less torch (the CPU wheel instead) and the packages
# the app no longer imports (torchvision; facenet-pytorch comes without its dependencies below)
mapfile -t REQS < <("$VENV/bin/python" - <<'PY'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
for dep in deps:
    name = re.split(r"[<>=!;\[ ]", dep, maxsplit=1)[0].lower()
    if name not in ("torch", "torchvision", "facenet-pytorch"):
        print(dep)
PY
)
FACENET=$("$VENV/bin/python" -c 'import tomllib; print(next(d for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"] if d.startswith("facenet-pytorch")))')
"${PIP[@]}" "$TORCH_WHEEL" "${REQS[@]}" "pyinstaller>=6.11"
"${PIP[@]}" --no-deps "$FACENET"
"${PIP[@]}" --no-deps --force-reinstall .
if "$VENV/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torchvision") is None)'; then
    echo "build_bundle: torchvision is installed in $VENV; the bundle must not carry it (remove the venv)" >&2
    exit 1
fi

"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller build_app.spec
built=$(date +%s)

echo "--- dist/albumsum/albumsum --version"
dist/albumsum/albumsum --version
echo "--- QT_QPA_PLATFORM=offscreen dist/albumsum/albumsum --selftest"
QT_QPA_PLATFORM=offscreen dist/albumsum/albumsum --selftest
echo "--- bundle"
du -sh dist/albumsum
echo "build: $((built - start)) s, checks: $(($(date +%s) - built)) s"
