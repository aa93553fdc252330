"""Best shots: a group is shown by a good face near its medoid, not by the medoid whatever its quality."""

from __future__ import annotations

import dataclasses

import numpy as np

from albumsum.core.groups import Group
from albumsum.core.summary import (
    best_shots,
    group_caption,
    group_rows,
    pick_photos,
    representative,
    summary_dict,
)
from tests.core.test_groups import album


def faces_with(qualities: list[float]):
    faces = album(n_photos=4, per_photo=2)
    q = np.full(len(faces), np.nan)
    q[: len(qualities)] = qualities
    return dataclasses.replace(faces, qualities=q)


def group(ids: list[int]) -> Group:
    return Group(emotion=1, subclass=0, face_ids=np.asarray(ids), distances=np.arange(len(ids), dtype=float))


def test_the_best_face_of_the_nearer_half_represents_the_group() -> None:
    faces = faces_with([0.1, 0.9, 0.3, 0.95, 0.2, 0.99])
    g = group([1, 2, 3, 4, 5, 6])  # ranked by distance: face 1 is the medoid, a poor one
    assert representative(g, faces) == 2  # best of the nearer half (1, 2, 3); face 6 is far
    order = [int(g.face_ids[r]) for r in best_shots(g, faces)]
    assert order == [2, 3, 1, 6, 4, 5]


def test_without_qualities_the_medoid_comes_first() -> None:
    faces = faces_with([])
    g = group([3, 1, 2])
    assert [int(g.face_ids[r]) for r in best_shots(g, faces)] == [3, 1, 2]


def test_picks_and_the_json_summary_use_the_representative() -> None:
    faces = faces_with([0.1, 0.9, 0.3, 0.95, 0.2, 0.99, 0.5, 0.5])
    g = group([1, 2, 3, 4])
    picks = pick_photos([g], faces, 1)
    assert picks[0].face_id == 2 and picks[0].rank == 1
    out = summary_dict([g], faces, {"photos": 4}, picks)
    entry = out["emotions"]["happiness"]["subclasses"][0]
    assert entry["medoid_face"] == 1 and entry["representative_face"] == 2
    assert out["summary"] == [{"photo": picks[0].path, "face": 2, "emotion": "happiness", "subclass": 0}]


def test_a_larger_face_represents_a_group_of_small_ones_even_when_far_from_the_medoid() -> None:
    faces = faces_with([0.6, 0.6, 0.6, 0.4])
    boxes = np.zeros((len(faces), 4))
    boxes[:4, 2:] = [[22, 22], [22, 22], [21, 21], [53, 53]]  # three 22 px crowd faces and one 53 px face
    faces = dataclasses.replace(faces, boxes=boxes)
    g = group([1, 2, 3, 4])
    assert representative(g, faces) == 4
    assert [int(g.face_ids[r]) for r in best_shots(g, faces)] == [4, 1, 2, 3]


def test_a_group_caption_names_its_lean_and_its_face_size() -> None:
    faces = faces_with([])
    post = np.zeros((len(faces), 8), np.float32)
    post[:, 1], post[:, 2] = 0.7, 0.3  # happy faces with some surprise
    boxes = np.zeros((len(faces), 4))
    boxes[:, 2:] = 60
    faces = dataclasses.replace(faces, posteriors=post, boxes=boxes)
    assert group_caption(group([1, 2, 3]), faces) == "happy, leaning to surprise · faces about 60 px"
    post[:, 2] = 0.05
    assert group_caption(group([1, 2, 3]), dataclasses.replace(faces, posteriors=post)) == "happy · faces about 60 px"


def test_a_group_of_small_crowd_faces_gets_a_photo_only_after_every_readable_group() -> None:
    faces = album(n_photos=6, per_photo=1)  # faces 1..6, one a photo
    boxes = np.zeros((len(faces), 4))
    boxes[:, 2:] = 60
    boxes[5, 2:] = 21  # face 6: a blurred crowd face, its group's only face
    faces = dataclasses.replace(faces, boxes=boxes, qualities=np.full(len(faces), 0.9))
    big = group([1, 2, 3])
    other = Group(emotion=2, subclass=0, face_ids=np.asarray([4, 5]), distances=np.arange(2.0))
    crowd = Group(emotion=4, subclass=0, face_ids=np.asarray([6]), distances=np.zeros(1))
    picks = [p.face_id for p in pick_photos([big, crowd, other], faces, 4)]
    assert picks == [1, 4, 2, 5]  # both readable groups twice before the crowd face
    assert [p.face_id for p in pick_photos([big, crowd, other], faces, 6)] == [1, 4, 2, 5, 3, 6]


def test_group_rows_follow_the_group_order_and_match_each_face_id() -> None:
    faces = faces_with([])
    g = group([5, 1, 8, 3])
    rows = group_rows(g, faces)
    assert rows.dtype == np.int64 and [int(faces.ids[r]) for r in rows] == [5, 1, 8, 3]
    assert group_rows(group([]), faces).shape == (0,)
