"""Reading photos: formats by content, EXIF orientation, colour modes, draft mode, bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from albumsum.core import images
from albumsum.core.images import looks_like_image, read_photo, to_rgb

# ImageOps.exif_transpose applies these to an image with the tag; storing the inverse makes it upright
_INVERSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright() -> Image.Image:
    """60 x 40 grey with a red block at the top left: where it lands shows the orientation."""
    a = np.full((40, 60, 3), 128, np.uint8)
    a[:10, :15] = (255, 0, 0)
    return Image.fromarray(a)


def oriented_jpeg(path: Path, orientation: int) -> Path:
    im = upright()
    if orientation in _INVERSE:
        im = im.transpose(_INVERSE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.save(path, format="JPEG", quality=95, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_reads_upright(tmp_path: Path, orientation: int) -> None:
    result = read_photo(oriented_jpeg(tmp_path / f"o{orientation}.jpg", orientation))
    assert result.ok, result.error
    rgb = result.image.rgb
    assert rgb.shape == (40, 60, 3) and result.image.size == (60, 40)
    assert rgb[4, 6, 0] > 200 and rgb[4, 6, 1] < 60  # red at the top left
    assert rgb[35, 55, 0] < 160  # grey at the bottom right


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP", "GIF", "JPEG"])
def test_formats_are_read_by_content_whatever_the_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "photo.dat"  # no image extension: the bytes decide
    upright().save(path, format=fmt)
    result = read_photo(path)
    assert result.ok, result.error
    assert result.image.rgb.shape == (40, 60, 3) and result.image.rgb.dtype == np.uint8
    assert looks_like_image(path)


def test_gif_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    rgb = read_photo(tmp_path / "a.gif").image.rgb
    assert rgb[10, 10, 0] > 200 and rgb[10, 10, 2] < 50


def test_colour_modes_become_rgb() -> None:
    sixteen = Image.fromarray((np.arange(100, dtype=np.uint16).reshape(10, 10) * 600).astype(np.uint16))
    assert sixteen.mode.startswith("I;16")
    out = to_rgb(sixteen)
    assert out.dtype == np.uint8 and out.shape == (10, 10, 3) and out.max() > 200
    assert to_rgb(Image.new("CMYK", (5, 5), (0, 0, 0, 0)))[0, 0].tolist() == [255, 255, 255]
    rgba = Image.new("RGBA", (5, 5), (0, 0, 0, 0))
    assert to_rgb(rgba)[0, 0].tolist() == [255, 255, 255]  # transparent over white
    pal = Image.new("P", (5, 5), 3)
    assert to_rgb(pal).shape == (5, 5, 3)
    assert to_rgb(Image.new("LA", (5, 5), (10, 255)))[0, 0].tolist() == [10, 10, 10]
    assert to_rgb(Image.new("F", (5, 5), 0.5))[0, 0, 0] == 128
    assert to_rgb(Image.new("1", (5, 5), 1))[0, 0].tolist() == [255, 255, 255]


def test_cmyk_jpeg_and_16_bit_png_files(tmp_path: Path) -> None:
    Image.new("CMYK", (30, 20), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg")
    Image.fromarray(np.full((20, 30), 65535, np.uint16)).save(tmp_path / "deep.png")
    cmyk = read_photo(tmp_path / "cmyk.jpg")
    deep = read_photo(tmp_path / "deep.png")
    assert cmyk.ok and deep.ok, (cmyk.error, deep.error)
    assert cmyk.image.rgb[5, 5, 0] > 200 and cmyk.image.rgb[5, 5, 1] < 60
    assert deep.image.rgb[5, 5].tolist() == [255, 255, 255]


def test_big_jpeg_uses_draft_mode_and_can_be_read_sharper(tmp_path: Path) -> None:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (1500, 2000, 3), np.uint8)).save(tmp_path / "big.jpg")
    small = read_photo(tmp_path / "big.jpg", max_side=500)
    assert small.ok and max(small.image.rgb.shape[:2]) == 500
    assert small.image.size == (2000, 1500) and small.image.scale == pytest.approx(0.25)
    full = read_photo(tmp_path / "big.jpg", max_side=None)
    assert full.image.rgb.shape == (1500, 2000, 3) and full.image.scale == 1.0


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (with almost no data): a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_bad_files_become_reasons(tmp_path: Path) -> None:
    good = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (200, 300, 3), np.uint8)).save(good, format="JPEG")
    cases = {
        "truncated.jpg": good.getvalue()[: len(good.getvalue()) // 2],
        "empty.jpg": b"",
        "random.jpg": np.random.default_rng(2).integers(0, 256, 5000, np.uint8).tobytes(),
        "text.png": b"this is not a picture\n" * 20,
        "bomb.png": png_claiming(40000, 40000),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    reasons = {name: read_photo(tmp_path / name).error for name in cases}
    assert all(reasons.values()), reasons
    assert "empty" in reasons["empty.jpg"]
    assert "bomb" in reasons["bomb.png"]
    assert "not a supported image" in reasons["text.png"]
    assert "truncated" in reasons["truncated.jpg"] or "decode" in reasons["truncated.jpg"]


def test_pixel_limit_is_a_setting(tmp_path: Path) -> None:
    upright().save(tmp_path / "a.png")
    assert "bomb" in read_photo(tmp_path / "a.png", max_pixels=100).error


def test_unreadable_file_is_a_reason_and_a_vanished_one_raises(tmp_path: Path, monkeypatch) -> None:
    def denied(path: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(images, "read_bytes", denied)
    assert "Permission denied" in read_photo(tmp_path / "locked.jpg").error
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError):
        read_photo(tmp_path / "gone.jpg")


def test_heic_without_pillow_heif_gives_the_install_hint(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(images, "HEIF_AVAILABLE", False)
    (tmp_path / "x.heic").write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 100)
    assert "albumsum[heic]" in read_photo(tmp_path / "x.heic").error


def test_non_images_without_image_extension_are_not_candidates(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.jpg").write_text("hello")
    assert not looks_like_image(tmp_path / "notes.txt")
    assert looks_like_image(tmp_path / "broken.jpg")  # an image by name: read, and its error recorded
