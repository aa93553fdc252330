"""Read photos by content into EXIF-transposed RGB arrays; a bad file is a result with a reason.

Pillow identifies the format from the bytes, not the extension. Large JPEGs are decoded at a reduced
size with Pillow's draft mode (DCT scaling, 1/2 .. 1/8) when only a detection-size image is needed,
and read again at a higher scale when a face needs more pixels for its crop (:func:`read_photo` with
a larger ``max_side``). Nothing here raises for a bad photo: :func:`read_photo` returns a
:class:`ReadResult` whose ``error`` says what went wrong.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")
HEIF_FORMATS: tuple[str, ...] = ("HEIF", "AVIF")
IMAGE_EXTENSIONS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
        ".dib",
        ".gif",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".mpo",
    ]
)
DEFAULT_MAX_PIXELS = 150_000_000  # above any camera, below Pillow's own hard limit; checked before decoding

try:  # optional extra: pip install albumsum[heic]
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:
    HEIF_AVAILABLE = False

HEIF_MISSING = "HEIC/HEIF photo skipped: install the optional extra 'albumsum[heic]' (pillow-heif) to read it"

# Leading bytes of the formats above, to tell a photo without a known extension from other files.
_SIGNATURES: tuple[bytes, ...] = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\0",
    b"MM\0*",
)


@dataclass(frozen=True, eq=False)
class Decoded:
    """A decoded photo: ``rgb`` uint8 [H, W, 3] at ``scale`` pixels per original pixel (<= 1).

    ``size`` is the original (width, height) after the EXIF orientation is applied; face boxes are
    stored in those coordinates. ``data``: the file's bytes when the photo was decoded below its full
    size (``scale`` < 1), so the detector can decode it again at the scale its smallest face needs.
    """

    rgb: np.ndarray
    scale: float
    size: tuple[int, int]
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class ReadResult:
    """The outcome of reading one file: ``image`` or an ``error`` reason, and the content hash."""

    path: Path
    image: Decoded | None = None
    error: str | None = None
    content_hash: str | None = None
    data: bytes | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.image is not None


def looks_like_image(path: Path) -> bool:
    """A candidate photo: a known image extension, or image magic bytes in a file without one."""
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head.startswith(_SIGNATURES):
        return True
    return (head[:4] == b"RIFF" and head[8:12] == b"WEBP") or head[4:8] == b"ftyp"


def content_hash(data: bytes) -> str:
    """A 128-bit BLAKE2b digest of the file bytes: the photo's identity across moves and renames."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def to_rgb(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> uint8 [H, W, 3]: 16-bit and float scaled to 8 bits, alpha over white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = a.max(initial=0.0)
        if im.mode == "F" and top <= 1.0:
            a = a * 255.0
        elif top > 255.0:
            a = a / 257.0 if top <= 65535.0 else a * (255.0 / top)
        gray = np.clip(np.rint(a), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(canvas, rgba)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _draft_for(im: Image.Image, max_side: int | None) -> None:
    """Ask a JPEG decoder for the smallest DCT scale that still gives ``max_side`` pixels."""
    if im.format not in ("JPEG", "MPO") or not max_side:
        return
    w, h = im.size
    longest = max(w, h)
    if longest <= max_side:
        return
    f = max_side / longest
    im.draft("RGB", (math.ceil(w * f), math.ceil(h * f)))


def decode(data: bytes, *, max_side: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS) -> Decoded:
    """Decode photo bytes to :class:`Decoded`, at most ``max_side`` pixels on the longest side.

    Raises ``ValueError``/``OSError`` (and Pillow's errors) on a bad photo; :func:`read_photo` turns
    them into reasons.
    """
    formats = FORMATS + (HEIF_FORMATS if HEIF_AVAILABLE else ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check the size ourselves
        with Image.open(io.BytesIO(data), formats=formats) as im:
            w0, h0 = im.size
            if w0 * h0 > max_pixels:
                raise ValueError(f"decompression bomb refused: {w0}x{h0} pixels is over the limit of {max_pixels}")
            if w0 == 0 or h0 == 0:
                raise ValueError("image has no pixels")
            _draft_for(im, max_side)
            im.seek(0)  # first frame of an animation
            im.load()
            turned = ImageOps.exif_transpose(im)
            orig = (h0, w0) if turned.size != im.size and turned.size == (im.size[1], im.size[0]) else (w0, h0)
            rgb = to_rgb(turned)
    scale = rgb.shape[1] / orig[0]
    if max_side and max(rgb.shape[:2]) > max_side:
        f = max_side / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR, reducing_gap=2.0))
        scale = rgb.shape[1] / orig[0]
    return Decoded(rgb=rgb, scale=min(scale, 1.0), size=orig, data=data if scale < 1.0 else None)


def _heif_error(data: bytes) -> str | None:
    if not HEIF_AVAILABLE and data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return HEIF_MISSING
    return None


def read_bytes(path: Path) -> bytes:
    """The whole file (photos are read once: hashed and decoded from the same bytes)."""
    with open(path, "rb") as fh:
        return fh.read()


def read_photo(
    path: str | os.PathLike[str],
    *,
    max_side: int | None = 1024,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    keep_bytes: bool = False,
) -> ReadResult:
    """Read, hash and decode one photo; every failure becomes ``ReadResult.error``.

    ``FileNotFoundError`` is the one exception let through: a file that vanished during the scan is
    not an error of the photo but of the listing, and the caller drops it.
    """
    path = Path(path)
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise
    except OSError as exc:
        return ReadResult(path, error=f"cannot read file: {exc.strerror or exc}")
    digest = content_hash(data)
    if not data:
        return ReadResult(path, error="empty file (0 bytes)", content_hash=digest)
    reason = _heif_error(data)
    if reason:
        return ReadResult(path, error=reason, content_hash=digest)
    try:
        image = decode(data, max_side=max_side, max_pixels=max_pixels)
    except UnidentifiedImageError:
        return ReadResult(path, error="not a supported image (content not recognised)", content_hash=digest)
    except Image.DecompressionBombError as exc:
        return ReadResult(path, error=f"decompression bomb refused: {exc}", content_hash=digest)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, IndexError, TypeError) as exc:
        # Pillow reports truncated and corrupt data with these; the message is the reason.
        return ReadResult(path, error=f"cannot decode image: {exc}", content_hash=digest)
    except Exception as exc:  # a decoder plugin failing in an unforeseen way must not stop the scan
        log.exception("unexpected failure decoding %s", path)
        return ReadResult(path, error=f"cannot decode image ({type(exc).__name__}): {exc}", content_hash=digest)
    return ReadResult(path, image=image, content_hash=digest, data=data if keep_bytes else None)
