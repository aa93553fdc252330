"""Seconds from launching the app to its window on screen, and from asking it to quit to the
process's end: ``python bench/startup.py [--runs 3]``.

Each run starts ``python -m albumsum`` in a fresh process (offscreen Qt unless a display is set),
with a hook that prints when the main window is first shown and then closes it; the parent times
both from outside. Prints every run and the best, which is what a person sees on a warm disk cache, and the same for
the previous release's order (the face model's libraries imported before the window is made).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HOOK = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import albumsum.ui.window as w
shown = w.MainWindow.show
def show(self):
    shown(self)
    QApplication.processEvents()
    print("shown", flush=True)
    def close():
        print("closing", flush=True)
        self.close()
        QApplication.instance().quit()
    QTimer.singleShot(2500, close)  # after the model's libraries have loaded
w.MainWindow.show = show
from albumsum.ui.app import preload, run_app
if "--preload-first" in sys.argv:  # the previous release: the model's libraries before the window
    QApplication.instance() or QApplication(sys.argv[:1])
    preload()
sys.exit(run_app())
"""


def one_run(env: dict[str, str], preload_first: bool = False) -> tuple[float, float]:
    start = time.perf_counter()
    command = [sys.executable, "-c", HOOK] + (["--preload-first"] if preload_first else [])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    shown = closing = None
    for line in proc.stdout:
        now = time.perf_counter()
        if line.strip() == "shown":
            shown = now - start
        elif line.strip() == "closing":
            closing = now
    proc.wait(timeout=60)
    if shown is None or closing is None:
        raise RuntimeError(f"the app did not show its window (exit code {proc.returncode})")
    return shown, time.perf_counter() - closing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else env.get("QT_QPA_PLATFORM", ""))
    with tempfile.TemporaryDirectory() as home:
        env["ALBUMSUM_CONFIG_DIR"], env["ALBUMSUM_DATA_DIR"] = f"{home}/config", f"{home}/data"
        runs = [one_run(env) for _ in range(args.runs)]
        old = [one_run(env, preload_first=True) for _ in range(args.runs)]
    for k, (shown, quit_s) in enumerate(runs, start=1):
        print(f"run {k}: window shown after {shown:.2f} s, quit took {quit_s:.2f} s")
    best, best_old = min(r[0] for r in runs), min(r[0] for r in old)
    print(f"best: shown {best:.2f} s, quit {min(r[1] for r in runs):.2f} s")
    print(f"libraries loaded before the window (the previous release): shown {best_old:.2f} s; {best_old / best:.1f}x")


if __name__ == "__main__":
    main()
