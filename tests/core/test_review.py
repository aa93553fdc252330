"""Likely non-faces: proposed from quality and detector doubt, rejected or kept by the user."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from albumsum import cli
from albumsum.core.album import Album
from albumsum.core.index import IndexWriter
from albumsum.core.quality import NON_FACE_QUALITY, NON_FACE_SCORE, likely_non_faces
from tests.core.helpers import indexed_album


def test_only_faces_both_poor_and_doubtful_are_proposed_worst_first() -> None:
    q = np.array([0.9, 0.2, 0.3, 0.2, np.nan, 0.1])
    s = np.array([0.91, 0.999, 0.95, 0.92, 0.91, 0.93])
    confirmed = np.array([False, False, False, False, False, True])
    assert likely_non_faces(q, s).tolist() == [5, 3, 2]  # 1 is sure, 0 is good, 4 unknown
    assert likely_non_faces(q, s, confirmed).tolist() == [3, 2]
    assert NON_FACE_QUALITY < 0.5 and NON_FACE_SCORE < 1


@pytest.fixture
def doubtful_album(tmp_path: Path) -> tuple[Path, Path, int]:
    album, db = indexed_album(tmp_path / "album", tmp_path / "db.sqlite", 3)
    with IndexWriter(db, album) as store:
        doubtful = int(store.faces().ids[0])
        store._conn.execute("UPDATE faces SET quality = 0.2, score = 0.93 WHERE id = ?", (doubtful,))
        store._conn.commit()
    return album, db, doubtful


def test_review_proposes_the_doubtful_face_and_a_kept_face_is_not_proposed_again(doubtful_album, capsys) -> None:
    album, db, doubtful = doubtful_album
    base = [str(album), "--db", str(db)]
    assert cli.main(["review", *base, "--json"]) == 0
    assert [r["face"] for r in json.loads(capsys.readouterr().out)["likely_non_faces"]] == [doubtful]
    assert cli.main(["correct", *base, "--face", str(doubtful), "--is-a-face"]) == 0
    capsys.readouterr()
    assert cli.main(["review", *base]) == 0
    assert "no likely non-faces" in capsys.readouterr().out
    albums = Album(album, db=db)
    assert doubtful in albums.snapshot().faces.ids  # kept
    albums.correct(doubtful, not_a_face=True)  # "not a face" replaces "is a face"
    assert doubtful not in albums.snapshot().faces.ids
    albums.correct(doubtful, is_a_face=True)  # and the other way round
    data = albums.snapshot()
    assert doubtful in data.faces.ids and data.faces.confirmed[data.faces.row(doubtful)]
    assert not data.faces.corrected[data.faces.row(doubtful)]  # its emotion is still the model's
    with pytest.raises(ValueError, match="one of"):
        albums.correct(doubtful, not_a_face=True, is_a_face=True)
