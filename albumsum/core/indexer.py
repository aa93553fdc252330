"""Index an album: a generator of small frozen progress records (docs/ARCHITECTURE.md, convention 2).

``index_album`` lists the folder, drops deleted files, reads only new or changed files (size or
mtime differ), finds their faces, embeds the crops in batches and writes a few photos per
transaction. Stopping between photos (``should_stop``, or closing the generator) writes what is
complete; a kill at any moment loses at most the open transaction, which the next run redoes.
A new model re-embeds the stored crops without reading a photo again; one that frames faces
differently (its checkpoint's ``input_spec["framing"]``) has their photos read and cut again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from albumsum.core.faces import THUMB_SIZE, Detector, Face, align_crops, select, source_scale_needed
from albumsum.core.framing import Framing
from albumsum.core.groups import model_subclasses
from albumsum.core.images import DEFAULT_MAX_PIXELS, Decoded, ReadResult, decode, looks_like_image, read_photo
from albumsum.core.index import FaceRecord, IndexWriter, PhotoRow, model_identity
from albumsum.core.listing import list_album
from albumsum.core.quality import face_quality
from albumsum.core.video import VideoError, faces_in_video, is_video, video_duration
from albumsum.core.workers import prefetch

log = logging.getLogger(__name__)


class EmbedderLike(Protocol):
    """What the indexer needs of :class:`albumsum.core.inference.Embedder`."""

    checkpoint: dict[str, Any]
    class_names: list[str]

    def embed(self, crops: np.ndarray) -> np.ndarray: ...

    def posteriors(self, embeddings: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class IndexSettings:
    """Knobs of one indexing run."""

    detect_side: int = 1024  # longest side of the image the detector sees, pixels
    min_score: float = 0.9  # MTCNN face probability to keep a face
    min_face: float = 20.0  # shorter box side to keep a face, original pixels
    photos_per_commit: int = 8  # photos per transaction (and per detection / embedding batch)
    workers: int = 2  # threads that decode, detect and crop photos (Pillow and torch release the GIL); 0: inline
    max_pixels: int = DEFAULT_MAX_PIXELS  # decompression-bomb limit
    thumb_size: int = THUMB_SIZE  # colour thumbnail side, pixels
    retry_errors: bool = False  # read unreadable photos again even when their size and mtime did not change
    redetect: bool = False  # read every photo again (the detection settings changed; unchanged photos are skipped)


@dataclass(frozen=True)
class IndexProgress:
    """``phase`` is ``"index"`` (photos and videos) or ``"embed"`` (stored faces re-embedded);
    ``done`` of ``total`` files in that phase; running totals of faces found and unreadable files;
    seconds of video read so far of those to read (``video_done`` of ``video_total``)."""

    phase: str
    done: int
    total: int
    faces: int
    errors: int
    path: str | None = None
    elapsed: float = 0.0
    video_done: float = 0.0
    video_total: float = 0.0


@dataclass
class _Pending:
    """Photos read and cropped, waiting for the embedding batch and the transaction."""

    rows: list[PhotoRow] = field(default_factory=list)
    contents: list[tuple[str, tuple[int, int], list[Face]]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _read(root: Path, rel: str, settings: IndexSettings) -> ReadResult | None:
    """Read one photo; ``None`` when it vanished since it was listed."""
    try:
        return read_photo(root / rel, max_side=settings.detect_side, max_pixels=settings.max_pixels, keep_bytes=True)
    except FileNotFoundError:
        return None


@dataclass(frozen=True, eq=False)
class _Analysed:
    """One photo after a worker thread: ``faces`` is ``None`` when it was not analysed (vanished,
    unreadable, or its content is already indexed) or, with ``pending``, not yet detected."""

    result: ReadResult | None
    faces: list[Face] | None
    pending: bool = False


@dataclass(frozen=True)
class _Cut:
    """How the crops of this run are cut: the model's input size and framing."""

    size: int
    framing: Framing


def _analyse(
    root: Path,
    rel: str,
    detector: Detector | None,
    settings: IndexSettings,
    cut: _Cut,
    known: frozenset[str],
    video_detector: Detector | None = None,
) -> _Analysed:
    """Read, detect, select and crop one photo or video (runs on a worker thread: no database here).

    Without a ``detector`` a photo is only read, for :func:`_detect_in_batches`; a video is
    always detected here, frame by frame, with ``video_detector``.
    """
    if is_video(root / rel):
        return _analyse_video(root / rel, video_detector or detector, settings, cut, known)
    result = _read(root, rel, settings)
    if result is None or result.image is None or result.content_hash in known:
        return _Analysed(result, None)
    if detector is None:
        return _Analysed(result, None, pending=True)
    return _finish(result, detector.detect([result.image])[0], settings, cut)


def _finish(result: ReadResult, found: list[Face], settings: IndexSettings, cut: _Cut) -> _Analysed:
    """Select and crop the detected faces; keep only what the index needs of the photo."""
    faces = select(found, min_score=settings.min_score, min_size=settings.min_face)
    faces = _crop_faces(result, faces, settings, cut) if faces else []
    image = result.image
    assert image is not None
    small = Decoded(np.zeros((0, 0, 3), np.uint8), image.scale, image.size)  # drop the pixels and bytes now
    return _Analysed(ReadResult(result.path, small, None, result.content_hash), faces)


def _file_hash(path: Path) -> str:
    """The content hash of a file read in pieces (videos are too large to hold in memory)."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for piece in iter(lambda: fh.read(1 << 20), b""):
            h.update(piece)
    return h.hexdigest()


def _analyse_video(
    path: Path, detector: Detector | None, settings: IndexSettings, cut: _Cut, known: frozenset[str]
) -> _Analysed:
    """One face per person per scene of a video (:func:`albumsum.core.video.faces_in_video`)."""
    try:
        digest = _file_hash(path)
    except FileNotFoundError:
        return _Analysed(None, None)
    except OSError as exc:
        return _Analysed(ReadResult(path, error=f"cannot read file: {exc.strerror or exc}"), None)
    if digest in known:
        return _Analysed(ReadResult(path, Decoded(np.zeros((0, 0, 3), np.uint8), 1.0, (0, 0)), None, digest), None)
    assert detector is not None

    def find(frame: Decoded) -> list[Face]:
        faces = select(detector.detect([frame])[0], min_score=settings.min_score, min_size=settings.min_face)
        return align_crops(faces, frame, size=cut.size, thumb_size=settings.thumb_size, framing=cut.framing)

    try:
        size, faces = faces_in_video(path, find, max_side=settings.detect_side)
    except VideoError as exc:
        return _Analysed(ReadResult(path, error=str(exc), content_hash=digest), None)
    return _Analysed(ReadResult(path, Decoded(np.zeros((0, 0, 3), np.uint8), 1.0, size), None, digest), faces)


def _detect_in_batches(
    work: Iterator[tuple[str, _Analysed]], detector: Detector, settings: IndexSettings, cut: _Cut
) -> Iterator[tuple[str, _Analysed]]:
    """Detect read photos ``photos_per_commit`` at a time in one detector call (a GPU wants
    batches); yields in the original order."""
    buffer: list[tuple[str, _Analysed]] = []

    def drain() -> Iterator[tuple[str, _Analysed]]:
        todo = [a for _, a in buffer if a.pending]
        found = detector.detect([a.result.image for a in todo]) if todo else []  # type: ignore[union-attr]
        done = iter(found)
        for rel, a in buffer:
            yield rel, (_finish(a.result, next(done), settings, cut) if a.pending else a)  # type: ignore[arg-type]
        buffer.clear()

    for item in work:
        buffer.append(item)
        if sum(a.pending for _, a in buffer) >= settings.photos_per_commit:
            yield from drain()
    yield from drain()


def _crop_faces(result: ReadResult, faces: list[Face], settings: IndexSettings, cut: _Cut) -> list[Face]:
    """Align and crop, re-decoding the photo at a higher scale when the detection image is too small."""
    source = result.image
    assert source is not None
    need = source_scale_needed(faces, cut.size, cut.framing)
    if need > source.scale * 1.25 and result.data is not None:
        longest = max(source.size)
        source = decode(result.data, max_side=int(np.ceil(longest * need)) + 1, max_pixels=settings.max_pixels)
    return align_crops(faces, source, size=cut.size, thumb_size=settings.thumb_size, framing=cut.framing)


class _Writer:
    """Embeds the pending crops and writes them in one transaction."""

    def __init__(self, store: IndexWriter, embedder: EmbedderLike) -> None:
        self.store = store
        self.embedder = embedder
        self.model = model_identity(embedder.checkpoint)
        self.framing = Framing.from_spec(embedder.checkpoint["input_spec"]).identity
        self.subclasses = embedder.checkpoint.get("subclasses") or {}

    def classify(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """crops uint8 [N, S, S] -> embeddings [N, D], posteriors [N, C], emotions [N], sub-classes [N]."""
        emb = self.embedder.embed(crops)
        post = self.embedder.posteriors(emb)
        emotions = post.argmax(axis=1) if len(post) else np.zeros(0, np.int64)
        subs = model_subclasses(emb, emotions, self.subclasses, self.embedder.class_names)
        return emb, post, emotions, subs

    def flush(self, pending: _Pending) -> None:
        faces = [f for _, _, fs in pending.contents for f in fs]
        crops = np.stack([f.crop for f in faces]) if faces else np.zeros((0, 48, 48), np.uint8)
        emb, post, emotions, subs = self.classify(crops)
        k = 0
        with self.store.batch():
            self.store.remove_photos(pending.gone)
            for digest, size, fs in pending.contents:
                records = []
                for i, f in enumerate(fs):
                    records.append(_record(i, f, emb[k], post[k], emotions[k], subs[k]))
                    k += 1
                self.store.put_content(digest, size, records, self.model, self.framing)
            for row in pending.rows:
                self.store.put_photo(row)
        pending.rows.clear()
        pending.contents.clear()
        pending.gone.clear()


def _record(i: int, f: Face, emb: np.ndarray, post: np.ndarray, emotion: Any, sub: Any) -> FaceRecord:
    assert f.crop is not None
    quality = face_quality(f.crop, f.short_side, f.score, f.landmarks).total
    return FaceRecord(
        i, f.box, f.landmarks, f.score, f.crop, f.thumb, emb, post, int(emotion), int(sub), quality, f.position
    )


def index_album(
    root: str | os.PathLike[str],
    store: IndexWriter,
    detector: Detector,
    embedder: EmbedderLike,
    settings: IndexSettings | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[IndexProgress]:
    """Bring ``store`` up to date with the photos under ``root``; yields progress after each photo."""
    settings = settings or IndexSettings()
    root = Path(root)
    start = time.monotonic()
    listing = list_album(root, lambda p: is_video(p) or looks_like_image(p))
    fill_quality(store)
    known = store.photos()
    writer = _Writer(store, embedder)
    pending = _Pending(gone=[p for p in known if p not in listing.files])
    for rel, reason in listing.errors.items():
        pending.rows.append(PhotoRow(rel, 0, 0, None, "error", reason))
    spec = embedder.checkpoint["input_spec"]
    cut = _Cut(int(spec["size"]), Framing.from_spec(spec))
    recut = store.contents_framed_otherwise(cut.framing.identity)  # cut for another model: read those again
    if settings.redetect:  # detected with other settings: every stored photo is read again
        recut |= set(store.content_hashes())
    todo = [
        rel
        for rel, st in listing.files.items()
        if _changed(known.get(rel), st, settings.retry_errors) or (rel in known and known[rel].hash in recut)
    ]
    faces_found = 0
    video_seconds = {rel: _duration(root / rel) for rel in todo if is_video(root / rel)}
    video_total, video_done = sum(video_seconds.values()), 0.0
    todo_set = set(todo)
    kept_errors = [r for r, row in known.items() if row.status == "error" and r in listing.files and r not in todo_set]
    errors = len(listing.errors) + len(kept_errors)
    log.info("%s: %d files, %d to read, %d gone", root, len(listing.files), len(todo), len(pending.gone))
    known_hashes = frozenset(store.content_hashes()) - recut
    try:
        batched = bool(getattr(detector, "batch", False))
        per_photo = None if batched else detector
        work = prefetch(
            lambda r: _analyse(root, r, per_photo, settings, cut, known_hashes, detector), todo, settings.workers
        )
        if batched:
            work = _detect_in_batches(work, detector, settings, cut)
        for done, (rel, analysed) in enumerate(work, start=1):
            if should_stop():
                break
            found, failed = _process(rel, analysed, listing.files[rel], store, pending, recut)
            faces_found += found
            errors += failed
            if len(pending.rows) >= settings.photos_per_commit:
                writer.flush(pending)
            video_done += video_seconds.get(rel, 0.0)
            yield IndexProgress(
                "index", done, len(todo), faces_found, errors, rel, time.monotonic() - start, video_done, video_total
            )
    finally:
        writer.flush(pending)
        with store.batch():
            store.prune_contents()
    if not should_stop():
        yield from reembed(store, embedder, should_stop)


def is_up_to_date(root: str | os.PathLike[str], store: IndexWriter, settings: IndexSettings) -> bool:
    """Whether :func:`index_album` would find nothing to read under ``root``: no file new, changed or
    gone since ``store`` saw it, nothing to re-detect or retry, every face's quality known. Whether
    the model changed is the caller's to know (checking it needs the model)."""
    listing = list_album(Path(root), lambda p: is_video(p) or looks_like_image(p))
    known = store.photos()
    if settings.redetect or listing.errors or known.keys() != listing.files.keys():
        return False
    if any(_changed(known[rel], st, settings.retry_errors) for rel, st in listing.files.items()):
        return False
    return not store.faces_without_quality(limit=1)


def _duration(path: Path) -> float:
    try:
        return video_duration(path)
    except VideoError:
        return 0.0  # reported when the video is read


def fill_quality(store: IndexWriter) -> int:
    """Give every face stored before the index recorded quality its quality; returns how many."""
    done = 0
    while rows := store.faces_without_quality():
        with store.batch():
            store.set_quality([(i, face_quality(c, side, p, lm).total) for i, c, side, p, lm in rows])
        done += len(rows)
    return done


def _changed(row: PhotoRow | None, st: tuple[int, int], retry_errors: bool) -> bool:
    return row is None or (row.size, row.mtime_ns) != st or (retry_errors and row.status == "error")


def _process(
    rel: str, analysed: _Analysed, st: tuple[int, int], store: IndexWriter, pending: _Pending, recut: set[str]
) -> tuple[int, int]:
    """Queue one analysed photo in ``pending``; returns (faces found, 1 if unreadable). A content in
    ``recut`` is stored again (its faces were cut with another framing) and leaves the set."""
    result, faces = analysed.result, analysed.faces
    if result is None:
        log.info("%s vanished during the scan", rel)
        pending.gone.append(rel)
        return 0, 0
    digest = result.content_hash
    stored = digest is not None and digest not in recut and store.has_content(digest)
    duplicate = stored or any(d == digest for d, _, _ in pending.contents)
    if result.image is None or faces is None or duplicate:
        status = "error" if result.image is None else "ok"
        pending.rows.append(PhotoRow(rel, st[0], st[1], digest, status, result.error))
        if result.error:
            log.warning("%s: %s", rel, result.error)
        return 0, int(result.image is None)
    recut.discard(digest)
    pending.contents.append((digest, result.image.size, faces))
    pending.rows.append(PhotoRow(rel, st[0], st[1], digest, "ok", None))
    return len(faces), 0


def reembed(
    store: IndexWriter, embedder: EmbedderLike, should_stop: Callable[[], bool] = lambda: False, batch: int = 256
) -> Iterator[IndexProgress]:
    """Re-embed stored crops made by another model (no photo is read); yields progress per batch."""
    writer = _Writer(store, embedder)
    total = store.count_stale(writer.model)
    done = 0
    start = time.monotonic()
    while done < total and not should_stop():
        rows = store.stale_faces(writer.model, batch)
        if not rows:
            break
        emb, post, emotions, subs = writer.classify(np.stack([c for _, c in rows]))
        with store.batch():
            store.update_embeddings(
                [(i, emb[j], post[j], int(emotions[j]), int(subs[j])) for j, (i, _) in enumerate(rows)], writer.model
            )
        done += len(rows)
        yield IndexProgress("embed", done, total, 0, 0, None, time.monotonic() - start)
    with store.batch():
        store.set_meta("model", writer.model)


def run_to_end(progress: Iterable[IndexProgress]) -> IndexProgress | None:
    """Drain a progress generator; the last record (``None`` when there was nothing to do)."""
    last = None
    for last in progress:  # noqa: B007 - the last one is the answer
        pass
    return last
