"""Run the real window under Xvfb and drive it with xdotool: open an album → index → browse an
emotion → face details → large viewer → more like this face → map → summary → export → problems →
settings, with a screenshot of each.

    python scripts/drive_app.py [ALBUM] [--out /tmp/albumsum_shots]

Needs Xvfb, xdotool and ImageMagick's ``import``. Screenshots of third-party photos are for review
only: the output folder is outside the repository by default. The index, settings and exports go
under the output folder, never into the album.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ALBUM = ROOT.parent / "shared" / "data" / "album"


class Driver:
    def __init__(self, out: Path, display: str) -> None:
        self.out = out
        self.env = {**os.environ, "DISPLAY": display}
        self.step = 0
        self.wid = ""

    def xdo(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True).stdout.strip()

    def window(self, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ids = self.xdo("search", "--onlyvisible", "--name", "^albumsum").split()
            if ids:
                return ids[-1]
            time.sleep(0.5)
        raise SystemExit("the window did not appear")

    def title(self, wid: str) -> str:
        return self.xdo("getwindowname", wid)

    def keys(self, *keys: str, pause: float = 0.6) -> None:
        if self.wid:  # no window manager under Xvfb: focus is given by hand
            self.xdo("windowfocus", "--sync", self.wid)
        for key in keys:
            self.xdo("key", "--clearmodifiers", key)
            time.sleep(pause)

    def dialog_keys(self, title: str, *keys: str) -> None:
        """Keys for a modal dialog (found by its title; the main window ignores keys while it is open)."""
        ids = self.xdo("search", "--onlyvisible", "--name", f"^{title}").split()
        if ids:
            self.xdo("windowfocus", "--sync", ids[-1])
        for key in keys:
            self.xdo("key", "--clearmodifiers", key)
            time.sleep(0.6)

    def shot(self, name: str, settle: float = 1.0) -> Path:
        time.sleep(settle)
        self.step += 1
        path = self.out / f"{self.step:02d}-{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True)
        print(path, flush=True)
        return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("album", type=Path, nargs="?", default=DEFAULT_ALBUM)
    ap.add_argument("--out", type=Path, default=Path("/tmp/albumsum_shots"))
    ap.add_argument("--display", default=":97")
    ap.add_argument("--size", default="1400x900")
    ap.add_argument("--index-timeout", type=float, default=900)
    args = ap.parse_args()
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install -y xvfb xdotool imagemagick")
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "home").mkdir(parents=True)
    xvfb = subprocess.Popen(["Xvfb", args.display, "-screen", "0", f"{args.size}x24", "-nolisten", "tcp"])
    app = None
    try:
        time.sleep(1.5)
        d = Driver(out, args.display)
        env = {
            **d.env,
            "QT_QPA_PLATFORM": "xcb",
            "ALBUMSUM_CONFIG_DIR": str(out / "config"),
            "ALBUMSUM_DATA_DIR": str(out / "data"),
            "HOME": str(out / "home"),
        }
        cmd = [sys.executable, "-m", "albumsum.cli", "open", str(args.album), "--db", str(out / "index.sqlite")]
        log = (out / "app.log").open("w")
        app = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wid = d.wid = d.window()
        d.shot("open", settle=2)
        time.sleep(8)
        d.shot("indexing")
        end = time.monotonic() + args.index_timeout
        while "indexing" in d.title(wid) and time.monotonic() < end:
            time.sleep(2)
        d.shot("indexed", settle=3)
        d.keys("ctrl+1", "Down", "Down")  # the emotion list: down to another emotion
        d.shot("emotion")
        d.keys("Return", "Right")  # into its grid, the second face: its details
        d.shot("details", settle=2.5)
        d.keys("Return")  # the large viewer
        d.shot("viewer", settle=2)
        d.dialog_keys(".+ — albumsum", "Escape")
        d.keys("s")  # more like this face
        d.shot("similar", settle=2)
        d.dialog_keys("Faces like the one in", "Escape")
        d.keys("ctrl+2")
        time.sleep(3)
        d.xdo("mousemove", "--window", wid, "520", "420")
        for x, y in ((560, 430), (600, 450), (640, 470), (700, 500)):
            d.xdo("mousemove", "--window", wid, str(x), str(y))
            time.sleep(0.2)
        d.shot("map", settle=1.5)
        d.xdo("click", "1")
        d.shot("map-click")
        d.keys("ctrl+3")
        d.shot("summary", settle=2)
        d.keys("ctrl+e")
        d.shot("export-dialog")
        d.dialog_keys("Export the album", "Return")
        exported = out / "home" / "Documents" / "albumsum" / args.album.name
        end = time.monotonic() + 120
        while not (exported / "summary.pdf").exists() and time.monotonic() < end:
            time.sleep(1)
        d.shot("exported", settle=3)
        d.dialog_keys("Export finished", "Escape")
        print("exported:", sorted(p.name for p in exported.iterdir()) if exported.exists() else "nothing", flush=True)
        d.keys("ctrl+4")
        d.shot("problems")
        d.keys("ctrl+comma")
        d.shot("settings")
        d.dialog_keys("Settings", "Escape")
        d.keys("ctrl+q")
        app.wait(timeout=30)
        print("app exit code", app.returncode)
        return 0 if app.returncode == 0 else 1
    finally:
        if app is not None and app.poll() is None:
            app.terminate()
        xvfb.terminate()


if __name__ == "__main__":
    sys.exit(main())
