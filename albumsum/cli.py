"""The ``albumsum`` command: the window (no command, or ``open``); index a photo folder, summarise it,
export it, list unreadable photos.

Exit codes: 0 done; 1 failed (message on stderr); 2 bad usage; 3 the folder is not indexed yet;
130 indexing stopped by Ctrl-C (what was done is kept: run the same command again to resume).
Photos that cannot be read are not failures: they are recorded and listed by ``albumsum errors``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from albumsum.core.index import IndexStore
from albumsum.core.userdata import IndexBusy, default_index_path, writer_lock

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_INDEXED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

log = logging.getLogger("albumsum.cli")


class CliError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, help="the photo folder (never written to)")
    p.add_argument("--db", type=Path, help="index file (default: one per album in the user data folder)")


def _grouping(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subclasses",
        choices=("model", "album"),
        default="model",
        help="sub-classes from the model's DGM sub-spaces, or EM on this album's faces",
    )
    p.add_argument("--max-components", type=int, default=4, help="most EM sub-classes per emotion (album)")
    p.add_argument("--seed", type=int, default=0, help="seed of the album EM")


class _VersionAction(argparse.Action):
    """``--version`` hashes the default model when asked, not every time the parser is built."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from albumsum.core.resources import version_text

        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="albumsum",
        description="Summarise photo albums by facial expression.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="version, default model and its SHA-256")
    parser.add_argument("--model-info", action="store_true", help="describe the bundled default model")
    parser.add_argument("--selftest", action="store_true", help="run the face pipeline on the shipped sample image")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("index", help="find, embed and classify the faces of a folder (incremental, resumable)")
    _common(p)
    p.add_argument("--model", type=Path, help="model checkpoint (default: the bundled model)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1 ...")
    p.add_argument("--workers", type=int, default=2, help="threads that decode and detect photos")
    p.add_argument("--min-score", type=float, default=0.9, help="face detection probability to keep a face")
    p.add_argument("--min-face", type=float, default=20.0, help="smallest face kept, pixels (shorter box side)")
    p.add_argument("--detect-side", type=int, default=1024, help="longest side of the image given to the detector")
    p.add_argument("--retry-errors", action="store_true", help="read unreadable photos again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("summarize", help="per emotion, the face counts and sub-classes")
    _common(p)
    _grouping(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("export", help="HTML page, contact sheets, summary folder, CSV")
    _common(p)
    _grouping(p)
    p.add_argument("--html", type=Path, metavar="DIR", help="self-contained static page DIR/index.html")
    p.add_argument("--contact-sheet", type=Path, metavar="PNG", help="contact sheet of the album summary")
    p.add_argument("--per-emotion", action="store_true", help="with --contact-sheet: one sheet per emotion")
    p.add_argument("--summary", type=Path, metavar="DIR", help="copies of the chosen photos plus an index page")
    p.add_argument("--photos", type=int, default=12, help="photos in the album summary")
    p.add_argument("--csv", type=Path, metavar="FILE", help="one row per face")
    p = sub.add_parser("errors", help="list the photos that could not be read, with reasons")
    _common(p)
    p = sub.add_parser("open", help="open the window (the default with no command), optionally on a folder")
    p.add_argument("folder", type=Path, nargs="?", help="the photo folder to show and index")
    p.add_argument("--db", type=Path, help="index file (default: one per album in the user data folder)")
    p.add_argument("--model", type=Path, help="model checkpoint (default: the bundled model)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        if args.model_info:
            from albumsum.core.resources import describe_default_model

            print(describe_default_model())
            return EXIT_OK
        if args.selftest:
            return cmd_selftest()
        if args.command is None:
            return cmd_open(argparse.Namespace(folder=None, db=None, model=None))
        return COMMANDS[args.command](args)
    except CliError as exc:
        print(f"albumsum: {exc}", file=sys.stderr)
        return exc.code
    except FileNotFoundError as exc:
        print(f"albumsum: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return EXIT_OK


class StopFlag:
    """First Ctrl-C asks the indexer to stop after the current photo; a second one interrupts."""

    def __init__(self) -> None:
        self.stop = False
        self._previous = None

    def __call__(self) -> bool:
        return self.stop

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True
        print("\nstopping after this photo (Ctrl-C again to abort)...", file=sys.stderr)

    def __enter__(self) -> StopFlag:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)


class ProgressBar:
    """A one-line progress bar on stderr: photos/s, faces found, ETA."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = 0.0

    def update(self, phase: str, done: int, total: int, faces: int, errors: int, elapsed: float) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        width = 24
        fill = int(width * done / total) if total else width
        unit = "photos" if phase == "index" else "faces re-embedded"
        line = (
            f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {unit} {rate:5.1f}/s  {faces} faces  "
            f"{errors} unreadable  ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )
        sys.stderr.write(line)
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _folder(args: argparse.Namespace) -> Path:
    folder = args.folder.expanduser()
    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder")
    return folder


def _db(args: argparse.Namespace, folder: Path) -> Path:
    return args.db if args.db else default_index_path(folder)


def _open_existing(args: argparse.Namespace) -> tuple[Path, IndexStore]:
    folder = _folder(args)
    db = _db(args, folder)
    if not db.is_file():
        raise CliError(f"{folder} is not indexed yet (no {db}); run: albumsum index {folder}", EXIT_NOT_INDEXED)
    return folder, IndexStore(db)


def cmd_index(args: argparse.Namespace) -> int:
    from albumsum.core.checkpoint import CheckpointError
    from albumsum.core.faces import MTCNNDetector
    from albumsum.core.indexer import IndexSettings, index_album
    from albumsum.core.inference import Embedder, pick_device
    from albumsum.core.resources import default_model_path

    folder = _folder(args)
    device = str(pick_device(args.device))
    try:
        embedder = Embedder.from_file(args.model or default_model_path(), device=device)
    except CheckpointError as exc:
        raise CliError(str(exc)) from exc
    if device == "cpu":
        import torch

        from albumsum.core.workers import cpu_threads_for

        torch.set_num_threads(cpu_threads_for(args.workers))
    detector = MTCNNDetector(device=device, min_face_px=args.min_face)
    settings = IndexSettings(
        detect_side=args.detect_side,
        min_score=args.min_score,
        min_face=args.min_face,
        workers=args.workers,
        retry_errors=args.retry_errors,
    )
    bar = ProgressBar(not args.quiet)
    last = None
    db = _db(args, folder)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(writer_lock(db))
        except IndexBusy as exc:
            raise CliError(str(exc)) from exc
        store = stack.enter_context(IndexStore(db, folder))
        stop = stack.enter_context(StopFlag())
        try:
            for last in index_album(folder, store, detector, embedder, settings, should_stop=stop):
                bar.update(last.phase, last.done, last.total, last.faces, last.errors, last.elapsed)
        finally:
            bar.close()
        counts = store.counts()
    print(
        f"{counts['photos']} photos, {counts['faces']} faces, {counts['errors']} unreadable"
        + (f" ({last.done} read now in {last.elapsed:.1f} s)" if last and last.phase == "index" else "")
    )
    if stop():
        print("stopped: run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _groups(args: argparse.Namespace, store: IndexStore):
    from albumsum.core.summary import album_groups, load_faces

    faces = load_faces(store)
    return faces, album_groups(faces, args.subclasses, args.max_components, args.seed)


def cmd_summarize(args: argparse.Namespace) -> int:
    from albumsum.core.summary import summary_dict, summary_text

    _, store = _open_existing(args)
    with store:
        faces, groups = _groups(args, store)
        summary = summary_dict(groups, faces, store.counts())
    print(json.dumps(summary, indent=2) if args.json else summary_text(summary))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from albumsum.core import export
    from albumsum.core.summary import pick_photos

    if not (args.html or args.contact_sheet or args.summary or args.csv):
        raise CliError("nothing to export: give --html DIR, --contact-sheet PNG, --summary DIR and/or --csv FILE", 2)
    folder, store = _open_existing(args)
    with store:
        faces, groups = _groups(args, store)
        picks = pick_photos(groups, faces, args.photos)
        written = []
        if args.html:
            written.append(export.write_html(args.html, store, faces, groups, folder))
        if args.contact_sheet:
            written += export.write_contact_sheets(args.contact_sheet, store, groups, picks, args.per_emotion)
        if args.summary:
            written.append(export.write_summary_folder(args.summary, picks, folder))
        if args.csv:
            written.append(export.write_csv(args.csv, faces, groups))
    for path in written:
        print(path)
    return EXIT_OK


def cmd_errors(args: argparse.Namespace) -> int:
    _, store = _open_existing(args)
    with store:
        for path, reason in store.errors():
            print(f"{path}\t{reason}")
    return EXIT_OK


def cmd_open(args: argparse.Namespace) -> int:
    """The window; Qt is imported only here, so the other commands work without it."""
    try:
        from albumsum.ui.app import check_qt_binding, run_app

        check_qt_binding()
    except RuntimeError as exc:
        raise CliError(str(exc)) from exc
    except ImportError as exc:
        raise CliError(
            f"the window needs PySide6 ({exc}); the index, summarize and export commands work without it"
        ) from exc
    if args.folder is not None and not args.folder.expanduser().is_dir():
        raise CliError(f"{args.folder}: not a folder", EXIT_USAGE)
    return run_app(args.folder, args.db, args.model)


def cmd_selftest() -> int:
    from albumsum.core.selftest import SelftestError, run_selftest

    try:
        run_selftest(print)
        print(_qt_selftest())
        print("selftest passed")
    except (SelftestError, OSError, RuntimeError, ImportError) as exc:
        raise CliError(f"selftest failed: {type(exc).__name__}: {exc}") from exc
    return EXIT_OK


def _qt_selftest() -> str:
    """The window's modules import and Qt starts its platform plugin (offscreen in a terminal)."""
    import PySide6
    from PySide6.QtWidgets import QApplication

    import albumsum.ui.window  # noqa: F401

    app = QApplication.instance() or QApplication(["albumsum"])
    return f"Qt: PySide6 {PySide6.__version__}, platform plugin {app.platformName()}, window modules import"


COMMANDS = {
    "open": cmd_open,
    "index": cmd_index,
    "summarize": cmd_summarize,
    "export": cmd_export,
    "errors": cmd_errors,
}

if __name__ == "__main__":
    sys.exit(main())
