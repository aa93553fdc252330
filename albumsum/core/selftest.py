"""``albumsum --selftest``: the shipped model and the whole face pipeline on the shipped sample image.

decode -> detect -> select -> align_crop -> embed -> posterior -> sub-class, on
``resources/sample/selftest_face.png``: a synthetic face drawn by ``scripts/make_selftest_face.py``
(no photo: the album photos may not be redistributed). It checks that exactly one face is found with
its eyes where they were drawn, and that the embedding and posterior are finite and well formed. It
says nothing about accuracy (a drawn face is no FER face); it proves an install or a bundle has
every file, library and weight the app needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from albumsum.core.resources import SELFTEST_IMAGE, default_model_path, mtcnn_weights_dir, resource_path

SELFTEST_EYES = np.array([[118.0, 150.0], [202.0, 150.0]])  # drawn eye centres, pixels of the sample image
EYE_TOLERANCE = 15.0  # pixels


class SelftestError(RuntimeError):
    """A stage of the self-test failed; the message says which and why."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SelftestError(message)


def run_selftest(report: Callable[[str], None], device: str = "cpu") -> None:
    """Run every stage, passing one line per stage to ``report``; :class:`SelftestError` on a failure."""
    from albumsum.core.faces import MTCNNDetector, align_crop, select
    from albumsum.core.groups import model_subclasses
    from albumsum.core.images import decode, read_bytes
    from albumsum.core.inference import Embedder

    start = time.perf_counter()
    model = default_model_path()
    embedder = Embedder.from_file(model, device=device)
    args = embedder.checkpoint["model_args"]
    report(f"model: {model.name} ({args.get('arch')}, {embedder.embedding_dim}-d) loaded on {embedder.device}")
    report(f"MTCNN weights: {mtcnn_weights_dir()}")
    detector = MTCNNDetector(device=device)
    image = resource_path(SELFTEST_IMAGE)
    decoded = decode(read_bytes(image), max_side=1024)
    found = detector.detect([decoded])[0]
    faces = select(found, min_score=0.9, min_size=20.0)
    _check(len(faces) == 1, f"expected 1 face in {image}, found {len(found)} ({len(faces)} above p=0.9)")
    face = faces[0]
    eye_error = float(np.abs(face.landmarks[:2] - SELFTEST_EYES).max())
    _check(eye_error <= EYE_TOLERANCE, f"eye landmarks {face.landmarks[:2].tolist()} are {eye_error:.0f} px off")
    report(f"detect: 1 face, p={face.score:.3f}, eyes within {eye_error:.1f} px of where they were drawn")
    face = align_crop(face, decoded, size=embedder.size, framing=embedder.framing)
    _check(face.crop is not None and face.crop.shape == (embedder.size,) * 2, "align_crop gave no crop")
    pred = embedder.predict(face.crop[None])
    z, proba = pred.embeddings, pred.proba
    _check(z.shape == (1, embedder.embedding_dim) and bool(np.isfinite(z).all()), f"embedding not finite: {z}")
    _check(bool(np.isfinite(proba).all()) and abs(float(proba.sum()) - 1.0) < 1e-4, f"posterior invalid: {proba}")
    emotion = int(proba.argmax())
    sub = model_subclasses(z, np.array([emotion]), embedder.checkpoint.get("subclasses") or {}, embedder.class_names)
    report(
        f"embed: |z|={float(np.linalg.norm(z)):.3f}; emotion {embedder.class_names[emotion]} "
        f"p={float(proba[0, emotion]):.2f}, sub-class {int(sub[0])}"
    )
    report(f"pipeline passed in {time.perf_counter() - start:.1f} s")
