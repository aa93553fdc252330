"""``albumsum --selftest`` runs the face pipeline on the shipped sample and fails loudly."""

from __future__ import annotations

import albumsum.core.faces
from albumsum.cli import EXIT_FAILED, EXIT_OK, main


def test_selftest_passes_on_the_shipped_model_and_image(capsys) -> None:
    assert main(["--selftest"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "detect: 1 face" in out and "emotion" in out and "platform plugin" in out
    assert out.rstrip().splitlines()[-1] == "selftest passed"


class _Blind:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def detect(self, images: list) -> list[list]:
        return [[] for _ in images]


def test_selftest_failure_is_a_clear_message_and_exit_code(monkeypatch, capsys) -> None:
    monkeypatch.setattr(albumsum.core.faces, "MTCNNDetector", _Blind)
    assert main(["--selftest"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "selftest failed" in err and "expected 1 face" in err and "selftest_face.png" in err
