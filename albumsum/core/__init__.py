"""The Qt-free core of albumsum: faces, the embedding network, checkpoints and inference.

Nothing under ``albumsum.core`` imports PySide6 or ``albumsum.ui`` (a test enforces it), so the
CLI, the trainer and tests use it on machines without Qt.
"""
