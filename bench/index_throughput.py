"""End-to-end indexing throughput, against the naive way and against decoding alone.

    python bench/index_throughput.py [--album ../shared/data/album] [--crowd 8] [--synth 2000] [--naive-limit 100]
        [--limit N] [--model M.pt] [--device cpu] [--threads 0] [--naive-threads 0] [--summary-faces 100000]
    python bench/index_throughput.py --profile [--album ../shared/data/album] [--crowd 2]

Rows (each mode runs in its own child process, so its peak RSS is its own):

- ``pipeline``: ``albumsum.core.indexer.index_album`` into a fresh SQLite index (photos read at
  1024 px, detection at full resolution from the same bytes, crops from a sharper decode only when
  needed, embedding batched)
- ``naive``: full-resolution decode, facenet-pytorch MTCNN at full resolution one photo at a time
  (probability >= 0.9, shorter box side >= 20 px), each face aligned and embedded alone; no index
- ``decode``: read and decode each photo at 1024 px (the floor no indexer can beat)
- ``reindex``: the pipeline run again over the unchanged album

on the shared album, on a crowd album built from it (``--crowd`` seeded 2400x1600 scenes of a few
hundred faces each, 18-64 px, cut from the shared photos: :mod:`bench.crowd`) and on a phone-size
album synthesised from it in a temporary folder (about 4032x3024 JPEG, quality 90; ``--synth``
photos; the naive way on its first ``--naive-limit`` photos only, compared by photos/s, as it takes
seconds a photo). Every mode is timed as a whole process (start-up, imports, model loading and all
photos: the child's wall time measured by the parent) beside its own loop's seconds. Resident memory
of the pipeline is printed after each quarter of the album. Face recall of the pipeline against the
naive detector on the shared and crowd albums is printed with every missed face. ``--summary-faces``
times ``summarize`` (load, groups, summary) on an index of that many synthetic faces.
``--naive-threads`` sets the naive child's torch threads apart from ``--threads``.

``--profile`` prints where a photo's time goes in the pipeline (one photo at a time, one thread):
reading and decoding, each MTCNN stage, alignment and thumbnails, embedding, SQLite.

Without ``--model`` an untrained network of the default architecture is used: throughput does not
depend on the weights. Use ``--limit 5 --synth 0 --summary-faces 0`` for a quick check.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from albumsum.core.faces import Face, MTCNNDetector, align_crop, box_iou, select  # noqa: E402
from albumsum.core.images import IMAGE_EXTENSIONS, read_photo  # noqa: E402
from albumsum.core.index import IndexReader, IndexWriter  # noqa: E402
from albumsum.core.indexer import IndexSettings, index_album, run_to_end  # noqa: E402
from albumsum.core.inference import Embedder  # noqa: E402
from albumsum.core.workers import cpu_threads_for  # noqa: E402
from bench.crowd import write_crowd_album  # noqa: E402
from bench.synthetic_index import write_synthetic_faces  # noqa: E402

SHARED_ALBUM = ROOT.parent / "shared" / "data" / "album"


def photos_of(album: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in album.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    return files[:limit] if limit else files


def make_embedder(model: str | None, device: str) -> Embedder:
    if model:
        return Embedder.from_file(model, device=device)
    from albumsum.core.checkpoint import DEFAULT_INPUT_SPEC
    from albumsum.core.emotions import EMOTIONS
    from albumsum.core.networks import build_network

    torch.manual_seed(0)
    args = {"arch": "resnet18", "embedding_dim": 64}
    ckpt = {
        "model_args": args,
        "state_dict": build_network(**args).state_dict(),
        "class_names": list(EMOTIONS),
        "sigma": 0.5,
        "class_means": torch.randn(8, 64),
        "class_priors": torch.full((8,), 0.125),
        "input_spec": dict(DEFAULT_INPUT_SPEC),
        "subclasses": {},
        "created": "bench",
    }
    return Embedder(ckpt, device=device)


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- child modes -------------------------------------------------------------------------------------
def run_pipeline(album: Path, files: list[Path], args: argparse.Namespace) -> dict:
    if args.device == "cpu" and not args.threads:
        torch.set_num_threads(cpu_threads_for(args.workers))  # as the CLI does
    embedder = make_embedder(args.model, args.device)
    detector = MTCNNDetector(device=args.device, min_face_px=20, detect_scale=args.detect_scale)
    with tempfile.TemporaryDirectory() as tmp:
        album = _limited(album, files, Path(tmp))
        with IndexWriter(Path(tmp) / "bench.sqlite", album) as store:
            t = time.perf_counter()
            rss_at = {}  # resident memory (MB) after each quarter of the photos: it must not grow with the album
            for p in index_album(album, store, detector, embedder, IndexSettings(workers=args.workers)):
                if p.phase == "index" and p.total and p.done * 4 // p.total > len(rss_at):
                    rss_at[f"{100 * p.done // p.total}%"] = current_rss_mb()
            seconds = time.perf_counter() - t
            t = time.perf_counter()
            run_to_end(index_album(album, store, detector, embedder, IndexSettings(workers=args.workers)))
            reindex = time.perf_counter() - t
            rows = store.face_boxes()
    boxes: dict[str, list[list[float]]] = {}
    for path, box in rows:
        boxes.setdefault(path, []).append(list(box))
    return {"seconds": seconds, "faces": len(rows), "reindex_s": reindex, "boxes": boxes, "rss_at": rss_at}


def _limited(album: Path, files: list[Path], tmp: Path) -> Path:
    """The album itself, or a folder of symbolic links to its first photos when ``--limit`` is used."""
    every = photos_of(album, None)
    if len(files) == len(every):
        return album
    linked = tmp / "album"
    linked.mkdir()
    for f in files:
        (linked / f.name).symlink_to(f)
    return linked


def run_naive(album: Path, files: list[Path], args: argparse.Namespace) -> dict:
    from facenet_pytorch import MTCNN

    embedder = make_embedder(args.model, args.device)
    mtcnn = MTCNN(keep_all=True, device=args.device)  # stock: min_face_size 20, NCHW layout
    faces, boxes = 0, {}
    t = time.perf_counter()
    for f in files:
        image = read_photo(f, max_side=None).image
        if image is None:
            continue
        b, p, pts = mtcnn.detect(image.rgb, landmarks=True)
        raw = (
            []
            if b is None
            else [
                Face(tuple(map(float, bb)), np.asarray(pt, np.float32), float(pp))
                for bb, pp, pt in zip(b, p, pts, strict=True)
            ]
        )
        found = select(raw, min_score=0.9, min_size=20)
        for face in found:
            embedder.embed(align_crop(face, image, thumb_size=0).crop[None])  # one face at a time
        faces += len(found)
        boxes[f.relative_to(album).as_posix()] = [[*fc.box, fc.score] for fc in found]
    return {"seconds": time.perf_counter() - t, "faces": faces, "boxes": boxes}


def run_decode(album: Path, files: list[Path], args: argparse.Namespace) -> dict:
    t = time.perf_counter()
    for f in files:
        read_photo(f, max_side=1024)
    return {"seconds": time.perf_counter() - t, "faces": 0}


MODES = {"pipeline": run_pipeline, "naive": run_naive, "decode": run_decode}


def child(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads or torch.get_num_threads())
    album = Path(args.album)
    files = photos_of(album, args.limit)
    result = MODES[args.child](album, files, args)
    result.update(photos=len(files), peak_rss_mb=peak_rss_mb(), threads=torch.get_num_threads())
    Path(args.out).write_text(json.dumps(result))


def measure(mode: str, album: Path, args: argparse.Namespace, limit: int = 0) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--album",
            str(album),
            "--out",
            out.name,
            "--device",
            args.device,
            "--workers",
            str(args.workers),
            "--detect-scale",
            str(args.detect_scale),
            "--threads",
            str(args.naive_threads if mode == "naive" and args.naive_threads else args.threads),
        ]
        limit = min(filter(None, (limit, args.limit)), default=0)
        cmd += ["--limit", str(limit)] if limit else []
        cmd += ["--model", args.model] if args.model else []
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
        result = json.loads(Path(out.name).read_text())
        result["process_s"] = wall
        return result


# -- profile ---------------------------------------------------------------------------------------
def profile(name: str, album: Path, args: argparse.Namespace) -> None:
    """Where a photo's time goes in ``index_album``, one photo at a time on one thread: each stage's
    function is wrapped with a timer for the run (the stages do not overlap, so they add up)."""
    import albumsum.core.faces as faces_mod
    import albumsum.core.indexer as indexer_mod
    import albumsum.core.mtcnn as mtcnn_mod

    spent: dict[str, float] = {}

    def timed(owner: object, attr: str, label: str) -> None:
        func = getattr(owner, attr)

        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t

        setattr(owner, attr, wrapper)

    def run_net(net, batch, device, bf16=False):
        t = time.perf_counter()
        try:
            return plain_run(net, batch, device, bf16)
        finally:
            label = {"PNet": "P-Net forward", "RNet": "R-Net forward", "ONet": "O-Net forward"}[type(net).__name__]
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - t

    embedder = make_embedder(args.model, args.device)
    detector = MTCNNDetector(device=args.device, min_face_px=20)
    plain_run = mtcnn_mod._run
    saved = [
        (m, a, getattr(m, a))
        for m, a in [
            (mtcnn_mod, "_run"),
            (mtcnn_mod, "_proposals"),
            (mtcnn_mod, "nms"),
            (mtcnn_mod, "_crops"),
            (indexer_mod, "read_photo"),
            (indexer_mod, "decode"),
            (faces_mod, "decode"),
            (indexer_mod, "align_crops"),
            (indexer_mod._Writer, "classify"),
            (indexer_mod._Writer, "flush"),
            (detector, "detect"),
        ]
    ]
    mtcnn_mod._run = run_net
    timed(mtcnn_mod, "_proposals", "P-Net stage (pyramid, forward, boxes, NMS)")
    timed(mtcnn_mod, "nms", "NMS (all stages)")
    timed(mtcnn_mod, "_crops", "R-/O-Net candidate crops")
    timed(indexer_mod, "read_photo", "read, hash, decode at 1024 px")
    timed(faces_mod, "decode", "decode again at full resolution")
    timed(indexer_mod, "decode", "decode again for sharper crops")
    timed(indexer_mod, "align_crops", "alignment, crops, thumbnails")
    timed(indexer_mod._Writer, "classify", "embedding and posteriors")
    timed(indexer_mod._Writer, "flush", "flush (embedding + SQLite)")
    timed(detector, "detect", "detection (all of MTCNN)")
    photos = photos_of(album, args.limit)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            album_dir = _limited(album, photos, Path(tmp))
            with IndexWriter(Path(tmp) / "profile.sqlite", album_dir) as store:
                t = time.perf_counter()
                run_to_end(index_album(album_dir, store, detector, embedder, IndexSettings(workers=0)))
                total = time.perf_counter() - t
                n_faces = len(store.face_boxes())
    finally:
        for m, a, f in saved:
            setattr(m, a, f)
    spent["SQLite (flush less embedding)"] = spent.pop("flush (embedding + SQLite)") - spent["embedding and posteriors"]
    pnet = spent["P-Net stage (pyramid, forward, boxes, NMS)"]
    spent["P-Net pyramid, boxes and NMS (stage less forward)"] = pnet - spent["P-Net forward"]
    n = len(photos)
    print(f"\nprofile: {name}, {n} photos, {n_faces} faces, {total:.2f} s ({1000 * total / n:.0f} ms a photo)")
    print(f"{'stage':<52}{'s':>8}{'ms/photo':>10}{'share':>8}")
    order = [
        "read, hash, decode at 1024 px",
        "decode again at full resolution",
        "detection (all of MTCNN)",
        "P-Net forward",
        "P-Net pyramid, boxes and NMS (stage less forward)",
        "NMS (all stages)",
        "R-/O-Net candidate crops",
        "R-Net forward",
        "O-Net forward",
        "decode again for sharper crops",
        "alignment, crops, thumbnails",
        "embedding and posteriors",
        "SQLite (flush less embedding)",
    ]
    for label in order:
        v = spent.get(label, 0.0)
        indent = "  " if label in order[3:9] else ""
        print(f"{indent + label:<52}{v:>8.2f}{1000 * v / n:>10.1f}{100 * v / total:>7.1f}%")


# -- synthetic data ----------------------------------------------------------------------------------
def synthesise_phone_album(source: Path, out: Path, n: int, size: tuple[int, int] = (4032, 3024)) -> Path:
    """``n`` distinct phone-size JPEGs (quality 90) made from the shared photos.

    Each shared photo is scaled to cover ``size`` and cropped, once as it is and once mirrored; the
    ``n`` files are those encodings with a numbered JPEG comment after the start-of-image marker,
    so every file has its own bytes and content hash (nothing is de-duplicated) while decoding
    costs what a real phone photo costs.
    """
    from PIL import Image, ImageOps

    sources = photos_of(source, None)
    out.mkdir(parents=True, exist_ok=True)
    bases = []
    for i in range(min(n, 2 * len(sources))):
        im = Image.open(sources[i % len(sources)]).convert("RGB")
        if i >= len(sources):
            im = ImageOps.mirror(im)
        f = max(size[0] / im.width, size[1] / im.height)
        im = im.resize((round(im.width * f), round(im.height * f)), Image.BICUBIC)
        left, top = (im.width - size[0]) // 2, (im.height - size[1]) // 2
        buf = io.BytesIO()
        im.crop((left, top, left + size[0], top + size[1])).save(buf, format="JPEG", quality=90)
        bases.append(buf.getvalue())
    for i in range(n):
        data = bases[i % len(bases)]
        comment = f"albumsum bench photo {i}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        (out / f"IMG_{i:05d}.jpg").write_bytes(data[:2] + segment + data[2:])
    return out


def synthesise_crowd_album(source: Path, out: Path, n: int, seed: int = 0) -> Path:
    """``n`` crowd scenes (:func:`bench.crowd.write_crowd_album`) from the sharp, frontal-enough faces
    of the shared photos (MTCNN at full resolution, p >= 0.99, shorter side >= 60 px)."""
    detector = MTCNNDetector(min_face_px=60)
    photos = photos_of(source, None)
    boxes = []
    for f in photos:
        image = read_photo(f, max_side=None).image
        found = select(detector.detect([image])[0], min_score=0.99, min_size=60) if image is not None else []
        boxes.append([face.box for face in found])
    return write_crowd_album(photos, boxes, out, n, seed=seed)


def time_summarize(n_faces: int) -> dict:
    """Seconds to load, group and summarise an index of ``n_faces`` synthetic faces."""
    from albumsum.core.summary import album_groups, summary_dict

    with tempfile.TemporaryDirectory() as tmp:
        with IndexWriter(Path(tmp) / "big.sqlite") as store:
            write_synthetic_faces(store, n_faces)
        out = {}
        with IndexReader(Path(tmp) / "big.sqlite") as index:
            for source in ("model", "album"):
                t = time.perf_counter()
                faces = index.faces()
                summary_dict(album_groups(faces, source), faces, index.counts())
                out[source] = time.perf_counter() - t
    return out


# -- report ------------------------------------------------------------------------------------------
def recall(naive: dict, pipeline: dict) -> tuple[int, int, list[str]]:
    found, total, missed = 0, 0, []
    for path, ref in naive["boxes"].items():
        mine = pipeline["boxes"].get(path, [])
        for box in ref:
            total += 1
            if len(mine) and box_iou(box[:4], np.asarray(mine)).max() >= 0.5:
                found += 1
            else:
                side = min(box[2] - box[0], box[3] - box[1])
                missed.append(f"{path}: box {[round(v) for v in box[:4]]} (short side {side:.0f} px, p={box[4]:.3f})")
    return found, total, missed


def table(name: str, rows: dict[str, dict]) -> None:
    print(f"\n{name}")
    print(
        f"{'mode':<10}{'photos':>8}{'faces':>8}{'seconds':>10}{'photos/s':>10}{'faces/s':>9}{'process s':>11}"
        f"{'photos/s':>10}{'peak RSS MB':>13}{'threads':>9}  (process: the whole child; threads: torch's per worker)"
    )
    for mode, r in rows.items():
        s, w = max(r["seconds"], 1e-9), r["process_s"]
        print(
            f"{mode:<10}{r['photos']:>8}{r['faces']:>8}{s:>10.2f}{r['photos'] / s:>10.2f}{r['faces'] / s:>9.2f}"
            f"{w:>11.2f}{r['photos'] / w:>10.2f}{r['peak_rss_mb']:>13.0f}{r['threads']:>9}"
        )
    if "naive" in rows and "pipeline" in rows:
        pipe, naive = rows["pipeline"], rows["naive"]
        rate = (pipe["photos"] / pipe["seconds"]) / (naive["photos"] / naive["seconds"])
        whole = (pipe["photos"] / pipe["process_s"]) / (naive["photos"] / naive["process_s"])
        print(
            f"pipeline speed-up over naive (photos/s): {whole:.2f}x as whole processes, {rate:.2f}x in the loops; "
            f"re-index of the unchanged album: {pipe['reindex_s']:.3f} s; "
            "pipeline resident memory after each quarter: "
            + ", ".join(f"{k} {v:.0f} MB" for k, v in pipe["rss_at"].items())
        )


def bench_album(name: str, album: Path, args: argparse.Namespace, with_recall: bool, naive_limit: int = 0) -> None:
    rows = {mode: measure(mode, album, args, naive_limit if mode == "naive" else 0) for mode in MODES}
    table(name, rows)
    if with_recall:
        found, total, missed = recall(rows["naive"], rows["pipeline"])
        print(f"face recall vs naive full-resolution MTCNN: {found}/{total} = {100 * found / max(total, 1):.1f} %")
        for line in missed:
            print("  missed", line)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--album", default=str(SHARED_ALBUM))
    p.add_argument("--crowd", type=int, default=8, help="crowd scenes to synthesise (0: skip)")
    p.add_argument("--crowd-seed", type=int, default=0)
    p.add_argument("--synth", type=int, default=2000, help="phone-size photos to synthesise (0: skip)")
    p.add_argument("--limit", type=int, default=0, help="only the first N photos of each album")
    p.add_argument("--naive-limit", type=int, default=100, help="photos of the phone-size album run the naive way")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--naive-threads", type=int, default=0, help="torch threads of the naive child (0: --threads)")
    p.add_argument(
        "--detect-scale",
        type=float,
        default=1.0,
        help="the pipeline's detection scale (MTCNNDetector.detect_scale; 0: on the 1024 px copy, as before issue 14)",
    )
    p.add_argument("--profile", action="store_true", help="where a photo's time goes (shared and crowd albums)")
    p.add_argument("--summary-faces", type=int, default=100_000)
    p.add_argument("--child", choices=tuple(MODES), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    if args.profile:
        torch.set_num_threads(1)
        profile(f"shared album ({args.album})", Path(args.album), args)
        if args.crowd:
            with tempfile.TemporaryDirectory() as tmp:
                crowd = synthesise_crowd_album(Path(args.album), Path(tmp) / "crowd", args.crowd, args.crowd_seed)
                profile(f"crowd album ({args.crowd} scenes, seed {args.crowd_seed})", crowd, args)
        return
    print(
        f"machine: {os.cpu_count()} CPUs, torch {torch.__version__}, device {args.device}, "
        f"threads {args.threads or torch.get_num_threads()}"
    )
    bench_album(f"shared album ({args.album})", Path(args.album), args, with_recall=True)
    if args.crowd:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            crowd = synthesise_crowd_album(Path(args.album), Path(tmp) / "crowd", args.crowd, args.crowd_seed)
            took = time.perf_counter() - t
            print(f"\nsynthesised {args.crowd} crowd scenes (seed {args.crowd_seed}) in {took:.0f} s")
            bench_album(f"crowd album ({args.crowd} x 2400x1600 JPEG q92, faces 18-64 px)", crowd, args, True)
    if args.synth:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            phone = synthesise_phone_album(Path(args.album), Path(tmp) / "phone", args.synth)
            print(f"\nsynthesised {args.synth} phone-size photos in {time.perf_counter() - t:.0f} s")
            bench_album(
                f"phone-size album ({args.synth} x 4032x3024 JPEG q90; naive on the first {args.naive_limit})",
                phone,
                args,
                with_recall=False,
                naive_limit=args.naive_limit,
            )
    if args.summary_faces:
        times = time_summarize(args.summary_faces)
        print(
            f"\nsummarize {args.summary_faces} faces: model sub-classes {times['model']:.2f} s, "
            f"album EM {times['album']:.2f} s"
        )


if __name__ == "__main__":
    main()
