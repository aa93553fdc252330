"""Importers of public data sets into the labelled-data npz contract (tiny synthetic fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumsum.core.emotions import EMOTIONS
from trainer.data import load_labelled
from trainer.importers import (
    ImportDataError,
    ImportReport,
    emotion_for_folder,
    import_class_folders,
    import_fer2013_csv,
    import_ferplus_folder,
)

HEADER_NEW = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"


def one_hot_votes(emotion: str) -> list[int]:
    """Ten FER+ vote columns: 8 votes for ``emotion`` (or a column name like NF), 2 for neutral."""
    columns = [*EMOTIONS, "unknown", "NF"]
    votes = [0] * 10
    votes[columns.index(emotion)] += 8
    votes[0] += 2
    return votes


def save_gray(path: Path, value: int, size: tuple[int, int] = (48, 48)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(path)


def assert_clean(out: Path) -> None:
    """The npz is at exactly ``out`` and no temporary file is left next to it."""
    assert out.is_file()
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(out.name)) == [out.name]


# --------------------------------------------------------------------------- FER+ folder


def ferplus_split(tmp_path: Path) -> Path:
    split = tmp_path / "FER2013Train"
    save_gray(split / "a.png", 10)
    save_gray(split / "b.png", 20)
    save_gray(split / "small.png", 30, size=(32, 32))
    save_gray(split / "nf.png", 40)
    (split / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    rows = [
        "a.png,(0, 0, 48, 48)," + ",".join(map(str, one_hot_votes("happiness"))),
        'b.png,"(0, 0, 48, 48)",' + ",".join(map(str, one_hot_votes("sadness"))),  # quoted, as FER+ ships it
        "small.png,(0, 0, 32, 32)," + ",".join(map(str, one_hot_votes("surprise"))),
        "nf.png,(0, 0, 48, 48)," + ",".join(map(str, one_hot_votes("NF"))),
        "missing.png,(0, 0, 48, 48)," + ",".join(map(str, one_hot_votes("anger"))),
        "corrupt.png,(0, 0, 48, 48)," + ",".join(map(str, one_hot_votes("fear"))),
        "a.png,(0, 0, 48, 48),1,2,x,0,0,0,0,0,0,0",
        "a.png,(0, 0, 48, 48),1,2",
        "",
    ]
    (split / "label.csv").write_text("\n".join(rows) + "\n")
    return split


def test_ferplus_folder_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "out" / "ferplus_train.npz"
    report = import_ferplus_folder(ferplus_split(tmp_path), out)

    assert isinstance(report, ImportReport)
    assert report.out == out and report.written == 4
    assert report.skipped == {"missing image": 1, "unreadable image": 1, "malformed votes": 2}
    assert_clean(out)
    with np.load(out) as z:
        assert z["images"].dtype == np.uint8 and z["images"].shape == (4, 48, 48)
        assert z["votes"].dtype == np.uint8 and z["votes"].shape == (4, 10)
        assert z["votes"][0].tolist() == one_hot_votes("happiness")
        assert z["images"][2].tolist() == np.full((48, 48), 30).tolist()  # resized from 32x32
    data = load_labelled(out)  # the NF face is dropped by the majority protocol
    assert data.has_votes
    assert data.names.tolist() == ["a.png", "b.png", "small.png"]
    assert [EMOTIONS[i] for i in data.labels] == ["happiness", "sadness", "surprise"]
    assert [int(im[0, 0]) for im in data.images] == [10, 20, 30]


def test_ferplus_folder_without_label_csv_or_faces_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"label\.csv"):
        import_ferplus_folder(tmp_path, tmp_path / "out.npz")
    (tmp_path / "label.csv").write_text("gone.png,(0, 0, 48, 48),0,10,0,0,0,0,0,0,0,0\n")
    with pytest.raises(ValueError, match=r"no faces could be imported.*missing image 1"):
        import_ferplus_folder(tmp_path, tmp_path / "out.npz")
    assert not (tmp_path / "out.npz").exists()


# --------------------------------------------------------------------------- FER2013 + FER+ csv


def fer2013_files(tmp_path: Path, drop_last_vote_row: bool = False) -> tuple[Path, Path]:
    """Five rows: happy, no FER+ image, PublicTest sadness, short pixels, surprise."""

    def pixels(value: int, count: int = 48 * 48) -> str:
        return " ".join([str(value)] * count)

    rows = [  # (Usage, pixels, image name, votes)
        ("Training", pixels(11), "fer0000000.png", one_hot_votes("happiness")),
        ("Training", pixels(12), "", one_hot_votes("NF")),
        ("PublicTest", pixels(13), "fer0000002.png", one_hot_votes("sadness")),
        ("Training", pixels(14, 48 * 48 - 1), "fer0000003.png", one_hot_votes("anger")),
        ("Training", pixels(15), "fer0000004.png", one_hot_votes("surprise")),
    ]
    fer = tmp_path / "fer2013.csv"
    new = tmp_path / "fer2013new.csv"
    fer.write_text("emotion,pixels,Usage\n" + "".join(f"0,{p},{u}\n" for u, p, _, _ in rows))
    vote_rows = rows[:-1] if drop_last_vote_row else rows
    lines = "".join(f"{u},{n},{','.join(map(str, v))}\n" for u, _, n, v in vote_rows)
    new.write_text(HEADER_NEW + "\n" + lines)
    return fer, new


def test_fer2013_csv_round_trips(tmp_path: Path) -> None:
    fer, new = fer2013_files(tmp_path)
    out = tmp_path / "fer_train.npz"
    report = import_fer2013_csv(fer, new, out)

    assert report.written == 2
    assert report.skipped == {"no FER+ image": 1, "wrong pixel count": 1}
    assert_clean(out)
    data = load_labelled(out)
    assert data.names.tolist() == ["fer0000000.png", "fer0000004.png"]
    assert [EMOTIONS[i] for i in data.labels] == ["happiness", "surprise"]
    assert data.images.shape == (2, 48, 48) and int(data.images[1, 5, 5]) == 15
    with np.load(out) as z:
        assert z["votes"][1].tolist() == one_hot_votes("surprise")


def test_fer2013_csv_selects_usage(tmp_path: Path) -> None:
    fer, new = fer2013_files(tmp_path)
    report = import_fer2013_csv(fer, new, tmp_path / "fer_public.npz", usage="PublicTest")
    assert report.written == 1 and report.skipped == {}
    assert [EMOTIONS[i] for i in load_labelled(report.out).labels] == ["sadness"]
    with pytest.raises(ValueError, match="usage"):
        import_fer2013_csv(fer, new, tmp_path / "x.npz", usage="Validation")


def test_fer2013_csv_mismatched_row_counts_raise(tmp_path: Path) -> None:
    fer, new = fer2013_files(tmp_path, drop_last_vote_row=True)
    out = tmp_path / "fer_train.npz"
    with pytest.raises(ValueError, match="row counts differ") as info:
        import_fer2013_csv(fer, new, out)
    assert str(fer) in str(info.value) and str(new) in str(info.value)
    assert not out.exists()


def test_fer2013_csv_without_rows_raises(tmp_path: Path) -> None:
    fer, new = tmp_path / "fer2013.csv", tmp_path / "fer2013new.csv"
    fer.write_text("emotion,pixels,Usage\n")
    new.write_text(HEADER_NEW + "\n")
    with pytest.raises(ImportDataError, match="no faces could be imported"):
        import_fer2013_csv(fer, new, tmp_path / "out.npz")


# --------------------------------------------------------------------------- class-per-folder trees


@pytest.mark.parametrize(
    ("folder", "emotion"),
    [
        ("happiness", "happiness"),
        ("Happy", "happiness"),
        ("SURPRISED", "surprise"),
        ("sad", "sadness"),
        ("angry", "anger"),
        ("disgusted", "disgust"),
        ("fearful", "fear"),
        ("afraid", "fear"),
        ("contemptuous", "contempt"),
        ("calm", "neutral"),
        ("3_sadness", "sadness"),
        ("7 - Contempt", "contempt"),
        ("selfies", None),
        ("3", None),
        ("unknown", None),
    ],
)
def test_emotion_for_folder(folder: str, emotion: str | None) -> None:
    assert emotion_for_folder(folder) == emotion


def class_tree(tmp_path: Path) -> Path:
    root = tmp_path / "faces"
    (root / "Happy").mkdir(parents=True)
    Image.new("RGB", (60, 40), (200, 200, 200)).save(root / "Happy" / "wide.jpg", quality=95)
    save_gray(root / "3_sadness" / "sub" / "deep.png", 50, size=(30, 30))
    save_gray(root / "angry" / "a.bmp", 90, size=(64, 64))
    (root / "angry" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated garbage")
    (root / "angry" / "notes.txt").write_text("not an image")
    save_gray(root / "selfies" / "me.png", 0)
    save_gray(root / "loose.png", 0)
    return root


def test_class_folders_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "faces.npz"
    report = import_class_folders(class_tree(tmp_path), out, size=32)

    assert report.written == 3
    assert report.skipped == {
        "unknown class folder selfies": 1,
        "unreadable image": 1,
        "image outside class folders": 1,
    }
    assert_clean(out)
    with np.load(out) as z:
        assert "votes" not in z and z["labels"].dtype.kind == "U"
    data = load_labelled(out)
    assert not data.has_votes
    assert data.names.tolist() == ["3_sadness/sub/deep.png", "Happy/wide.jpg", "angry/a.bmp"]
    assert [EMOTIONS[i] for i in data.labels] == ["sadness", "happiness", "anger"]
    assert data.images.shape == (3, 32, 32) and data.images.dtype == np.uint8
    assert int(data.images[2, 16, 16]) == 90
    assert abs(int(data.images[1, 16, 16]) - 200) <= 3  # RGB -> L, JPEG tolerance


def test_class_folders_exif_transpose_and_center_crop(tmp_path: Path) -> None:
    # Stored 80x40 with the left half black; EXIF orientation 6 means "rotate 90° clockwise to view",
    # so the upright image is 40x80 with the black half on top; the center square keeps half of each.
    stored = Image.new("L", (80, 40), 255)
    stored.paste(0, (0, 0, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "faces" / "neutral" / "rotated.jpg"
    path.parent.mkdir(parents=True)
    stored.save(path, exif=exif, quality=95)

    report = import_class_folders(tmp_path / "faces", tmp_path / "out.npz", size=20)
    face = load_labelled(report.out).images[0]
    assert face.shape == (20, 20)
    assert face[:8].mean() < 30 and face[-8:].mean() > 225


def test_class_folders_only_unknown_or_empty_raise(tmp_path: Path) -> None:
    root = tmp_path / "faces"
    root.mkdir()
    with pytest.raises(ValueError, match="no faces could be imported"):
        import_class_folders(root, tmp_path / "out.npz")
    save_gray(root / "selfies" / "me.png", 0)
    with pytest.raises(ImportDataError, match="unknown class folder selfies 1"):
        import_class_folders(root, tmp_path / "out.npz")
    with pytest.raises(FileNotFoundError):
        import_class_folders(tmp_path / "absent", tmp_path / "out.npz")


def test_failed_import_keeps_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "faces.npz"
    out.write_bytes(b"previous")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportDataError):
        import_class_folders(tmp_path / "empty", out)
    assert out.read_bytes() == b"previous"
