"""One album, Qt-free: the layer that both the ``albumsum`` command and the window stand on
(docs/ARCHITECTURE.md, "Data flow").

An :class:`Album` is opened from a folder, the settings and a model. It owns

- the index location: :func:`index_location`, the one rule (``--db``, else the settings' index
  folder, else the user data folder);
- the face pipeline, built once per (device, minimum face size, model) by :class:`ModelPipeline`;
- :meth:`Album.index`, the indexer's generator of progress records;
- :meth:`Album.snapshot`, the faces, groups, counts and problems as the views and exports read them;
- :meth:`Album.export`, the files of an :class:`ExportPlan`.

The CLI parses its arguments into settings over ``settings.json`` and calls these; the window is a
view of the snapshots.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from albumsum.core.emotions import EMOTIONS
from albumsum.core.groups import Group, group_numbers
from albumsum.core.index import AlbumFaces, IndexReader, IndexWriter
from albumsum.core.indexer import IndexProgress, IndexSettings, index_album, is_up_to_date
from albumsum.core.settings import Settings
from albumsum.core.summary import Pick, album_groups, pick_photos
from albumsum.core.userdata import writer_lock

PipelineFactory = Callable[[Settings], tuple[Any, Any]]  # settings -> (detector, embedder)
NAME_MAX = 80  # characters of a group's name
LOADING = IndexProgress("model", 0, 0, 0, 0)  # first record of an indexing run: the model is loading
LAST_RUN = "last_complete_run"  # index meta: the model file and settings of the last run that finished


def index_location(
    folder: str | os.PathLike[str], settings: Settings, db: str | os.PathLike[str] | None = None
) -> Path:
    """Where the index of ``folder`` lives: ``db`` when given, else the settings' rule (the chosen
    index folder, or the user data folder)."""
    return Path(db).expanduser() if db else settings.index_path(folder)


class ModelPipeline:
    """Builds MTCNN and the embedder for the settings' device and face size, once per combination.

    Safe to call from worker threads (loading a model takes seconds): a lock keeps two jobs from
    loading it twice.
    """

    def __init__(self, model_path: Path | None = None, workers: int = 2) -> None:
        self.model_path = model_path
        self.workers = workers
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._built: tuple[Any, Any] | None = None

    def stamp(self, settings: Settings, index_settings: IndexSettings) -> str:
        """What a finished run depends on besides the files, read without loading the model: the
        model file (path, size, time), the device and the indexing settings."""
        from albumsum.core.resources import default_model_path

        model = Path(self.model_path or default_model_path()).resolve()
        try:
            st = model.stat()
            identity = f"{model}|{st.st_size}|{st.st_mtime_ns}"
        except OSError:
            identity = f"{model}|missing"
        knobs = dataclasses.replace(index_settings, workers=0, redetect=False)
        return f"{identity}|{settings.device}|{knobs!r}"

    def __call__(self, settings: Settings) -> tuple[Any, Any]:
        from albumsum.core.faces import MTCNNDetector
        from albumsum.core.inference import Embedder, pick_device
        from albumsum.core.resources import default_model_path

        device = str(pick_device(settings.device))
        key = (device, settings.min_face, self.model_path)
        with self._lock:
            if self._key != key or self._built is None:
                embedder = Embedder.from_file(self.model_path or default_model_path(), device=device)
                if device == "cpu":
                    import torch

                    from albumsum.core.workers import cpu_threads_for

                    torch.set_num_threads(cpu_threads_for(self.workers))
                self._built = (MTCNNDetector(device=device, min_face_px=settings.min_face), embedder)
                self._key = key
            return self._built


@dataclass(frozen=True, eq=False)
class AlbumData:
    """One snapshot of an album's index: what the views, the summary and the exports show."""

    faces: AlbumFaces
    groups: list[Group]
    counts: dict[str, int]
    errors: list[tuple[str, str]]
    revision: int = 0  # the index's revision it was read at
    grouping: tuple[Any, ...] = ()  # (sub-class source, most sub-classes, seed) of ``groups``
    names: dict[tuple[int, int], str] = field(default_factory=dict)  # (emotion, sub-class) -> the user's name

    def groups_of(self, emotion: int) -> list[Group]:
        """The groups of one emotion in display order: group ``k`` is ``groups_of(e)[k - 1]``."""
        return [g for g in self.groups if g.emotion == emotion]

    @cached_property
    def numbers(self) -> dict[tuple[int, int], int]:
        """(emotion, sub-class) -> the group's number (:func:`albumsum.core.groups.group_numbers`)."""
        return group_numbers(self.groups)

    def name_of(self, group: Group) -> str | None:
        """The name the user gave ``group`` (:meth:`Album.rename_group`), or ``None``."""
        return self.names.get((group.emotion, group.subclass))

    def emotion_counts(self) -> list[int]:
        return [int(np.sum(self.faces.emotions == c)) for c in range(8)]

    @cached_property
    def rows_by_hash(self) -> dict[str, list[int]]:
        """Photo content hash -> the rows of its faces."""
        rows: dict[str, list[int]] = {}
        for r, h in enumerate(self.faces.hashes):
            rows.setdefault(h, []).append(r)
        return rows

    @cached_property
    def group_of(self) -> dict[int, tuple[Group, int]]:
        """face id -> (its group, its rank there)."""
        return {int(fid): (g, r) for g in self.groups for r, fid in enumerate(g.face_ids)}


@dataclass(frozen=True)
class ExportPlan:
    """What to write, each ``None`` to skip it. ``photos``: the summary size (``None``: the settings')."""

    html: Path | None = None  # a folder: index.html
    contact_sheet: Path | None = None  # a PNG file (with ``per_emotion``, one per emotion beside it)
    per_emotion: bool = False
    summary: Path | None = None  # a folder: copies of the chosen photos and an index.html
    csv: Path | None = None  # a file: one row per face
    photos: int | None = None

    def empty(self) -> bool:
        return not (self.html or self.contact_sheet or self.summary or self.csv)


DETECTION_SETTINGS = ("min_face", "min_score")  # settings that change which faces are found


def detection_changed(old: Settings, new: Settings) -> bool:
    """Whether ``new`` finds other faces than ``old`` (the photos must be read again to apply it)."""
    return any(getattr(old, name) != getattr(new, name) for name in DETECTION_SETTINGS)


def visible(faces: AlbumFaces, min_quality: float) -> AlbumFaces:
    """The faces of at least ``min_quality`` (the setting "Hide faces below quality"; faces stored
    without a quality are kept)."""
    if min_quality <= 0 or not len(faces):
        return faces
    rows = np.flatnonzero(~(np.asarray(faces.qualities) < min_quality))
    return faces if len(rows) == len(faces) else faces.take(rows)


@dataclass
class Album:
    """A photo folder and its index under the given settings (see the module docstring).

    ``settings`` may be replaced between calls (the window does when the user edits them); the
    index location is fixed when the album is opened.
    """

    folder: Path
    settings: Settings = field(default_factory=Settings)
    pipeline: PipelineFactory = field(default_factory=ModelPipeline)
    db: Path | None = None
    index_defaults: IndexSettings = field(default_factory=IndexSettings)
    seed: int = 0  # of the album EM

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).expanduser().resolve()
        self.db = index_location(self.folder, self.settings, self.db)

    @property
    def index_path(self) -> Path:
        assert self.db is not None
        return self.db

    def is_indexed(self) -> bool:
        return self.index_path.is_file()

    def index_settings(self) -> IndexSettings:
        """The indexing knobs: the run's defaults with the user's face size and threshold."""
        s = self.settings
        return dataclasses.replace(self.index_defaults, min_face=s.min_face, min_score=s.min_score)

    def index(
        self, should_stop: Callable[[], bool] = lambda: False, redetect: bool = False
    ) -> Generator[IndexProgress, None, dict[str, int]]:
        """Bring the index up to date: yields :data:`LOADING`, then the indexer's progress records;
        returns the index's counts. Stops cleanly between photos when ``should_stop()`` turns true.
        A photo whose size and time did not change is not read again, unless ``redetect`` (after a
        change of :data:`DETECTION_SETTINGS`): then every photo is read and its faces found anew.

        Raises :class:`albumsum.core.userdata.IndexBusy` when another process writes this index."""
        yield LOADING
        settings = dataclasses.replace(self.index_settings(), redetect=redetect)
        stamp = self.pipeline.stamp(self.settings, settings) if isinstance(self.pipeline, ModelPipeline) else None
        with contextlib.ExitStack() as stack:
            stack.enter_context(writer_lock(self.index_path))
            store = stack.enter_context(IndexWriter(self.index_path, self.folder))
            if stamp is not None and store.meta(LAST_RUN) == stamp and is_up_to_date(self.folder, store, settings):
                return store.counts()  # nothing to read, same model and settings: the model is not even loaded
            detector, embedder = self.pipeline(self.settings)
            with store.batch():
                store.set_meta(LAST_RUN, "")  # a run stopped or killed from here on leaves no stamp
            yield from index_album(self.folder, store, detector, embedder, settings, should_stop=should_stop)
            if stamp is not None and not should_stop():
                with store.batch():
                    store.set_meta(LAST_RUN, stamp)
            return store.counts()

    def snapshot(self, previous: AlbumData | None = None) -> AlbumData | None:
        """Faces, groups, counts and problems of the index (``None`` before the first indexing).
        Reads beside a running writer.

        With the ``previous`` snapshot, only what changed is read: when the index has only gained
        faces since (its revision is the same), just the new faces are read and added; when nothing
        changed and the grouping settings are the same, ``previous`` itself is returned."""
        if not self.is_indexed():
            return None
        s = self.settings
        grouping = (s.subclass_source, s.max_subclasses, self.seed, s.min_quality)
        with IndexReader(self.index_path) as index, index.consistent():
            revision, counts = index.revision(), index.counts()
            if previous is not None and previous.revision == revision and previous.grouping[3:] == grouping[3:]:
                last = int(previous.faces.ids[-1]) if len(previous.faces) else 0
                added = visible(index.faces(after=last), s.min_quality)
                if not len(added) and counts == previous.counts and grouping == previous.grouping:
                    return previous
                faces = AlbumFaces.concat(previous.faces, added)
            else:
                faces = visible(index.faces(), s.min_quality)
            errors = index.errors()
            names = index.group_names(s.subclass_source)
        groups = album_groups(faces, s.subclass_source, s.max_subclasses, self.seed)
        return AlbumData(faces, groups, counts, errors, revision, grouping, names)

    def picks(self, data: AlbumData, n: int | None = None) -> list[Pick]:
        """The summary's photos (``n``: the settings' summary size)."""
        return pick_photos(data.groups, data.faces, self.settings.summary_size if n is None else n)

    def export(self, plan: ExportPlan, data: AlbumData | None = None) -> list[Path]:
        """Write what ``plan`` asks (from ``data``, else a fresh snapshot); the files and folders written.
        Nothing is written into the album."""
        from albumsum.core import export, sheet

        data = data or self.snapshot()
        if data is None:
            raise FileNotFoundError(f"{self.folder} is not indexed yet (no {self.index_path})")
        picks = self.picks(data, plan.photos)
        written: list[Path] = []
        with IndexReader(self.index_path) as index:
            if plan.html:
                page = export.write_html(plan.html, index, data.faces, data.groups, self.folder, names=data.names)
                written.append(page)
            if plan.contact_sheet:
                written += sheet.write_contact_sheets(
                    plan.contact_sheet, index, data.faces, data.groups, picks, self.folder, plan.per_emotion
                )
        if plan.summary:
            written.append(export.write_summary_folder(plan.summary, picks, self.folder, data.numbers, data.names))
        if plan.csv:
            written.append(export.write_csv(plan.csv, data.faces, data.groups))
        return written

    def similar(self, face_id: int, k: int = 12, data: AlbumData | None = None) -> list[tuple[int, float]]:
        """More like this face: the ``k`` faces nearest to ``face_id`` in the embedding (the
        expression-retrieval task of the SGM paper), as (face id, distance), nearest first, the
        face itself left out. Faces marked not a face are not searched."""
        data = data or self.snapshot()
        if data is None:
            raise FileNotFoundError(f"{self.folder} is not indexed yet (no {self.index_path})")
        faces = data.faces
        row = faces.row(face_id)
        if row >= len(faces) or int(faces.ids[row]) != face_id:
            raise KeyError(f"no face {face_id} in {self.index_path}")
        dist = np.linalg.norm(faces.embeddings - faces.embeddings[row], axis=1)
        dist[row] = np.inf
        order = np.argsort(dist, kind="stable")[: max(0, min(k, len(faces) - 1))]
        return [(int(faces.ids[i]), float(dist[i])) for i in order]

    def correct(
        self, face_id: int, *, not_a_face: bool = False, emotion: str | None = None, is_a_face: bool = False
    ) -> None:
        """Record the user's correction of a face: not a face, a face after all (kept when the app
        proposed to reject it), or another emotion (by name). It is kept through re-indexing and
        model changes (:mod:`albumsum.core.corrections`); it may be made while the album is being
        indexed."""
        if not_a_face + is_a_face + (emotion is not None) != 1:
            raise ValueError("a correction is one of not_a_face, is_a_face or an emotion")
        kind = "not_face" if not_a_face else "is_face" if is_a_face else "emotion"
        with IndexWriter(self.index_path, self.folder) as store:
            store.correct(face_id, kind, emotion)

    def likely_non_faces(self, data: AlbumData | None = None) -> list[int]:
        """Face ids the app proposes to reject as not faces, worst first
        (:func:`albumsum.core.quality.likely_non_faces`); faces the user kept are not proposed again."""
        from albumsum.core.quality import likely_non_faces

        data = data or self.snapshot()
        if data is None:
            raise FileNotFoundError(f"{self.folder} is not indexed yet (no {self.index_path})")
        f = data.faces
        return [int(f.ids[r]) for r in likely_non_faces(f.qualities, f.scores, f.confirmed)]

    def rename_group(self, emotion: int | str, number: int, name: str | None, data: AlbumData | None = None) -> Group:
        """Name group ``number`` (1-based, in the order the window, ``summarize`` and the exports
        show) of ``emotion`` (its index or name); ``None`` or blank forgets the name. Returns the group.

        The name is kept in the index by (sub-class source, emotion, sub-class), so it survives
        re-indexing, a new model's re-embedding and restarts. The model's sub-classes mean the same
        faces in every album, so the name keeps meaning them; the album's own sub-classes are fitted
        again as faces change, and the name stays with the sub-class number whatever faces it holds then."""
        c = EMOTIONS.index(emotion) if isinstance(emotion, str) else int(emotion)
        data = data or self.snapshot()
        groups = data.groups_of(c) if data is not None else []
        if not 1 <= number <= len(groups):
            shown = f"groups 1 to {len(groups)}" if groups else "no groups"
            raise KeyError(f"{EMOTIONS[c]} has {shown} in {self.folder}, not group {number}")
        group = groups[number - 1]
        if name is not None and len(name.strip()) > NAME_MAX:
            raise ValueError(f"a group name has at most {NAME_MAX} characters")
        with IndexWriter(self.index_path, self.folder) as store:
            store.name_group(self.settings.subclass_source, group.emotion, group.subclass, name)
        return group

    def undo_correction(self, face_id: int) -> int:
        """Forget the corrections of a face; returns how many there were."""
        with IndexWriter(self.index_path, self.folder) as store:
            return store.undo_corrections(face_id)

    def counts(self) -> dict[str, int]:
        """Photos, unreadable photos, contents and faces in the index."""
        with IndexReader(self.index_path) as index:
            return index.counts()

    def errors(self) -> list[tuple[str, str]]:
        """(path, reason) of every unreadable photo."""
        with IndexReader(self.index_path) as index:
            return index.errors()
