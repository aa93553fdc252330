"""The ``albumsum`` command: the window (no command, or ``open``); index a photo folder, summarise it,
export it, list unreadable photos.

Exit codes: 0 done; 1 failed (message on stderr); 2 bad usage; 3 the folder is not indexed yet;
130 indexing stopped by Ctrl-C (what was done is kept: run the same command again to resume).
Photos that cannot be read are not failures: they are recorded and listed by ``albumsum errors``.
Settings come from the window's settings.json (File > Settings), flags override them for one run:
the index folder, minimum face size, detection threshold, device, sub-classes and summary size.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from albumsum.core.album import LOADING, Album, ExportPlan, ModelPipeline
from albumsum.core.emotions import EMOTIONS
from albumsum.core.indexer import IndexSettings
from albumsum.core.progress import Progress
from albumsum.core.settings import Settings, check, load_settings
from albumsum.core.userdata import IndexBusy
from albumsum.core.watch import album_state, watch_changes

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_INDEXED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

log = logging.getLogger("albumsum.cli")


class CliError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, help="the photo folder (never written to)")
    p.add_argument(
        "--db", type=Path, help="index file (default: one per album in the settings' index folder or user data folder)"
    )


def _grouping(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--subclasses",
        choices=("model", "album"),
        help="sub-classes from the model's DGM sub-spaces, or EM on this album's faces (default: settings, model)",
    )
    p.add_argument("--max-components", type=int, help="most EM sub-classes per emotion (album; default: settings, 4)")
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
    p.add_argument("--device", help="auto (CUDA when available), cpu, cuda, cuda:1 ... (default: settings, auto)")
    p.add_argument("--workers", type=int, default=2, help="threads that decode and detect photos")
    p.add_argument("--min-score", type=float, help="face detection probability to keep a face (default: settings, 0.9)")
    p.add_argument("--min-face", type=float, help="smallest face kept, px, shorter box side (default: settings, 20)")
    p.add_argument(
        "--detect-side",
        type=int,
        default=1024,
        help="longest side of the image searched first (small faces: a second pass at full resolution)",
    )
    p.add_argument("--retry-errors", action="store_true", help="read unreadable photos again")
    p.add_argument(
        "--redetect", action="store_true", help="read every photo again (after changing --min-face or --min-score)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--watch",
        action="store_true",
        help="after indexing, keep watching the folder and index added, changed, moved and deleted files until Ctrl-C",
    )
    p = sub.add_parser("correct", help="mark a face as not a face, or as another emotion (kept through re-indexing)")
    _common(p)
    p.add_argument("--face", type=int, required=True, help="the face's id (albumsum export --csv lists them)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--not-a-face", action="store_true", help="leave it out of groups, summaries and exports")
    what.add_argument("--emotion", choices=EMOTIONS, help="the emotion it shows")
    what.add_argument("--is-a-face", action="store_true", help="keep it: a face after all (review stops proposing it)")
    what.add_argument("--undo", action="store_true", help="forget the corrections of this face")
    p = sub.add_parser("review", help="faces that are likely not faces (poor and doubtful), proposed for rejection")
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("rename", help="give a group a name (kept through re-indexing), or --clear it")
    _common(p)
    _grouping(p)
    p.add_argument("--emotion", choices=EMOTIONS, required=True, help="the group's emotion")
    p.add_argument("--group", type=int, required=True, metavar="N", help="the group's number, as summarize shows it")
    name = p.add_mutually_exclusive_group(required=True)
    name.add_argument("--name", metavar="TEXT", help="the group's new name")
    name.add_argument("--clear", action="store_true", help="forget the group's name")
    p = sub.add_parser("similar", help="more like this face: the faces nearest to it in expression")
    _common(p)
    p.add_argument("--face", type=int, required=True, help="the face's id (albumsum export --csv lists them)")
    p.add_argument("-k", type=int, default=12, help="how many faces (default 12)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
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
    p.add_argument("--photos", type=int, help="photos in the album summary (default: settings, 12)")
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


# flag -> setting it overrides (flags left out keep the value of settings.json)
_OVERRIDES = {
    "device": "device",
    "min_face": "min_face",
    "min_score": "min_score",
    "subclasses": "subclass_source",
    "max_components": "max_subclasses",
    "photos": "summary_size",
}


def _settings(args: argparse.Namespace) -> Settings:
    """The stored settings (settings.json in the user config folder) with the given flags over them."""
    changes = {}
    for flag, name in _OVERRIDES.items():
        value = getattr(args, flag, None)
        if value is None:
            continue
        try:  # a device such as cuda:1 is checked by torch, not by the settings' short list
            changes[name] = value if name == "device" else check(name, value)
        except ValueError as exc:
            raise CliError(f"--{flag.replace('_', '-')}: {exc}", EXIT_USAGE) from exc
    return dataclasses.replace(load_settings(), **changes)


def _album(args: argparse.Namespace, **kwargs: object) -> Album:
    folder = args.folder.expanduser()
    if not folder.is_dir():
        raise CliError(f"{folder}: not a folder")
    return Album(folder, _settings(args), db=args.db, seed=getattr(args, "seed", 0), **kwargs)  # type: ignore[arg-type]


def _open_existing(args: argparse.Namespace) -> Album:
    album = _album(args)
    if not album.is_indexed():
        raise CliError(
            f"{album.folder} is not indexed yet (no {album.index_path}); run: albumsum index {args.folder}",
            EXIT_NOT_INDEXED,
        )
    return album


def cmd_index(args: argparse.Namespace) -> int:
    defaults = IndexSettings(detect_side=args.detect_side, workers=args.workers, retry_errors=args.retry_errors)
    album = _album(args, pipeline=ModelPipeline(args.model, args.workers), index_defaults=defaults)
    with StopFlag() as stop:
        # listed before indexing, so that what changes while the first run indexes is noticed
        before = album_state(album.folder) if args.watch else None
        _index_once(album, args, stop, redetect=args.redetect)
        if args.watch and not stop():
            print(f"watching {album.folder} (Ctrl-C to stop)", file=sys.stderr)
            for changed in watch_changes(album.folder, should_stop=stop, since=before):
                print(f"{len(changed)} file(s) changed", file=sys.stderr)
                _index_once(album, args, stop)
            return EXIT_OK
    if stop():
        print("stopped: run the same command again to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _index_once(album: Album, args: argparse.Namespace, stop: StopFlag, redetect: bool = False) -> None:
    """One incremental index run (with ``redetect``, every photo read again) with its progress bar
    and closing line."""
    bar = Progress(0, "indexing", enabled=not args.quiet and sys.stderr.isatty())
    last = None
    try:
        for p in album.index(should_stop=stop, redetect=redetect):
            if p.phase != LOADING.phase:
                last = p
                bar.label, bar.unit = ("indexing", "files") if p.phase == "index" else ("new model", "faces")
                video = {"video": f"{p.video_done:.0f}/{p.video_total:.0f} s"} if p.video_total else {}
                bar.show(p.done, p.total, p.elapsed, faces=p.faces, unreadable=p.errors, **video)
    except Exception as exc:
        # a bad checkpoint can only be met once its module (and torch) is imported: an up-to-date
        # album is re-indexed without either
        checkpoint = sys.modules.get("albumsum.core.checkpoint")
        if isinstance(exc, IndexBusy) or (checkpoint is not None and isinstance(exc, checkpoint.CheckpointError)):
            raise CliError(str(exc)) from exc
        raise
    finally:
        bar.close()
    counts = album.counts()
    print(
        f"{counts['photos']} photos, {counts['faces']} faces, {counts['errors']} unreadable"
        + (f" ({last.done} read now in {last.elapsed:.1f} s)" if last and last.phase == "index" else "")
    )


def cmd_summarize(args: argparse.Namespace) -> int:
    from albumsum.core.summary import summary_dict, summary_text

    album = _open_existing(args)
    data = album.snapshot()
    assert data is not None
    summary = summary_dict(data.groups, data.faces, data.counts, album.picks(data), data.names)
    print(json.dumps(summary, indent=2) if args.json else summary_text(summary))
    return EXIT_OK


def cmd_similar(args: argparse.Namespace) -> int:
    album = _open_existing(args)
    data = album.snapshot()
    assert data is not None
    try:
        found = album.similar(args.face, args.k, data)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from exc
    faces = data.faces
    rows = [
        {
            "face": fid,
            "photo": faces.paths[faces.row(fid)],
            "emotion": EMOTIONS[faces.emotions[faces.row(fid)]],
            "distance": round(d, 4),
        }
        for fid, d in found
    ]
    if args.json:
        print(json.dumps({"face": args.face, "similar": rows}, indent=2))
    else:
        for r in rows:
            print(f"{r['face']:>7}  {r['distance']:7.3f}  {r['emotion']:<10} {r['photo']}")
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    album = _open_existing(args)
    data = album.snapshot()
    assert data is not None
    faces = data.faces
    rows = []
    for fid in album.likely_non_faces(data):
        r = faces.row(fid)
        rows.append(
            {
                "face": fid,
                "photo": faces.paths[r],
                "quality": round(float(faces.qualities[r]), 3),
                "detector": round(float(faces.scores[r]), 4),
                "emotion": EMOTIONS[faces.emotions[r]],
            }
        )
    if args.json:
        print(json.dumps({"likely_non_faces": rows}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"no likely non-faces among {len(faces)} faces")
        return EXIT_OK
    print(f"{len(rows)} of {len(faces)} faces are likely not faces (poor picture and doubtful detection):")
    for r in rows:
        print(f"{r['face']:>7}  quality {r['quality']:.2f}  detector {r['detector']:.3f}  {r['photo']}")
    where = f'"{album.folder}"' + (f' --db "{args.db}"' if args.db else "")
    print(
        f"Reject one with: albumsum correct {where} --face ID --not-a-face\n"
        f"Keep one (not proposed again) with: albumsum correct {where} --face ID --is-a-face"
    )
    return EXIT_OK


def cmd_correct(args: argparse.Namespace) -> int:
    album = _open_existing(args)
    try:
        if args.undo:
            n = album.undo_correction(args.face)
            print(f"face {args.face}: {n} correction(s) forgotten")
        else:
            album.correct(args.face, not_a_face=args.not_a_face, emotion=args.emotion, is_a_face=args.is_a_face)
            said = "not a face" if args.not_a_face else "a face" if args.is_a_face else args.emotion
            print(f"face {args.face}: {said}")
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from exc
    return EXIT_OK


def cmd_rename(args: argparse.Namespace) -> int:
    album = _open_existing(args)
    try:
        group = album.rename_group(args.emotion, args.group, None if args.clear else args.name)
    except (KeyError, ValueError) as exc:
        raise CliError(str(exc.args[0])) from exc
    what = "name forgotten" if args.clear else f"named “{args.name.strip()}”"
    print(f"{args.emotion}, group {args.group} ({len(group)} faces): {what}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    plan = ExportPlan(args.html, args.contact_sheet, args.per_emotion, args.summary, args.csv)
    if plan.empty():
        raise CliError("nothing to export: give --html DIR, --contact-sheet PNG, --summary DIR and/or --csv FILE", 2)
    for path in _open_existing(args).export(plan):
        print(path)
    return EXIT_OK


def cmd_errors(args: argparse.Namespace) -> int:
    for path, reason in _open_existing(args).errors():
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
    "correct": cmd_correct,
    "similar": cmd_similar,
    "review": cmd_review,
    "rename": cmd_rename,
    "summarize": cmd_summarize,
    "export": cmd_export,
    "errors": cmd_errors,
}

if __name__ == "__main__":
    sys.exit(main())
