"""The one image reader (and PNG writer) of the suite: every command decodes pixels the same way.

Datasets, the metric engine, the degradation synthesizer, ``infer`` and the report all call
:func:`read_image`, so a file gives the same bytes whichever command reads it. Rules:

- 8-bit RGB: as decoded by Pillow (what clean-fid and pyiqa read too).
- gray (L, LA, 16-bit gray, 1-bit): replicated to three channels.
- palette (P): converted by Pillow (to RGBA when it has a transparent index). CMYK and YCbCr
  (some JPEGs): converted to RGB by Pillow.
- 16-bit (PNG/TIFF, gray or colour): read at full depth with OpenCV and scaled to 8 bits as
  ``round(v / 257)`` (65535 -> 255 exactly; 257 * v maps 8-bit values onto 16-bit ones).
  Pillow alone would keep only the high byte of 16-bit colour PNGs (``floor(v / 256)``).
- alpha (RGBA, LA, transparent palette): a fully opaque alpha is dropped; a translucent one is
  an error unless ``alpha="drop"`` (ignore it) or ``"white"`` / ``"black"`` (composite onto that
  colour). The default is the same everywhere (``"error"``): which background a translucent
  image should have changes the pixels, so the caller must say. A display (the user study) that
  shows images on a grey page passes ``matte=<grey level>``: translucent pixels are composited
  over that grey, which is what a rater would see.
- anything else (float images, unknown codecs, truncated files): :class:`UnreadableImageError`.

Each conversion is returned as a note (``DecodedImage.notes``) that callers record.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from pasd.utils.io import atomic_write_bytes

AlphaPolicy = Literal["error", "drop", "white", "black"]
ALPHA_POLICIES: tuple[str, ...] = ("error", "drop", "white", "black")
#: what every reader does with a translucent alpha channel unless told otherwise
DEFAULT_ALPHA: AlphaPolicy = "error"
#: file name endings listed as images (lower case); other files in a folder are ignored
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

NOTE_GRAY = "gray replicated to RGB"
NOTE_ALPHA_DROPPED = "alpha dropped"
NOTE_16BIT = "16-bit scaled to 8-bit"


class UnreadableImageError(ValueError):
    """A file that cannot be decoded into an image, or not under the chosen alpha policy.

    The message names the file and the reason; it is what a skipped image is recorded with.
    """


@dataclass(frozen=True)
class DecodedImage:
    """Decoded pixels plus what was done to get them (recorded next to results)."""

    pixels: np.ndarray  # H x W x 3, uint8, RGB
    notes: tuple[str, ...] = ()


def check_alpha_policy(alpha: str) -> AlphaPolicy:
    """Return ``alpha`` if it is a known policy.

    Raises:
        ValueError: naming the bad value and the allowed ones.
    """
    if alpha not in ALPHA_POLICIES:
        raise ValueError(f"alpha policy {alpha!r} not in {ALPHA_POLICIES}")
    return alpha  # type: ignore[return-value]


def _read_16bit(path: Path) -> np.ndarray:
    import cv2

    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16:
        raise UnreadableImageError(f"{path}: could not decode the 16-bit image")
    if arr.ndim == 3:  # OpenCV gives BGR(A)
        arr = arr[..., [2, 1, 0, 3]] if arr.shape[2] == 4 else arr[..., ::-1]
    return arr


def _is_deep(im) -> bool:  # noqa: ANN001 - a PIL image
    rawmodes = [t[3][0] if isinstance(t[3], tuple) else t[3] for t in (im.tile or [])]
    return im.mode.startswith("I") or any(isinstance(r, str) and ";16" in r for r in rawmodes)


def read_image(
    path: str | Path, alpha: AlphaPolicy = DEFAULT_ALPHA, *, matte: int | None = None
) -> DecodedImage:
    """Decode ``path`` to an ``H x W x 3`` uint8 RGB array, by the rules in the module docstring.

    Args:
        path: the image file.
        alpha: what to do with a translucent alpha channel.
        matte: composite translucent pixels over this grey level (0-255) instead (``alpha`` is
            then not used); for images shown on a page of that colour.

    Returns:
        A :class:`DecodedImage` (pixels and conversion notes).

    Raises:
        UnreadableImageError: the file is missing, truncated, not an image, or of an
            unsupported type; or (``alpha="error"``) it has a translucent alpha channel.
        ValueError: unknown ``alpha`` policy.
    """
    from PIL import Image, UnidentifiedImageError

    check_alpha_policy(alpha)
    if matte is not None and (isinstance(matte, bool) or not isinstance(matte, int) or not 0 <= matte <= 255):
        raise ValueError(f"matte must be a grey level 0-255, got {matte!r}")
    path = Path(path)
    notes: list[str] = []
    try:
        with Image.open(path) as im:
            if _is_deep(im):
                arr = _read_16bit(path)
                notes.append(NOTE_16BIT)
            elif im.mode in ("RGB", "L", "RGBA", "LA"):
                arr = np.asarray(im.convert(im.mode))
            elif im.mode in ("P", "1"):
                arr = np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
            elif im.mode in ("CMYK", "YCbCr"):
                arr = np.asarray(im.convert("RGB"))
                notes.append(f"{im.mode} converted to RGB")
            else:
                raise UnreadableImageError(f"{path}: unsupported image mode {im.mode!r}")
    except FileNotFoundError as exc:
        raise UnreadableImageError(f"{path}: no such file") from exc
    except UnidentifiedImageError as exc:
        raise UnreadableImageError(
            f"{path}: unreadable or corrupt image file (not a known image format)"
        ) from exc
    except (OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnreadableImageError(f"{path}: unreadable or corrupt image file ({exc})") from exc
    if arr.dtype == np.uint16:
        arr = np.round(arr.astype(np.float64) / 257.0).astype(np.uint8)
    elif arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        raise UnreadableImageError(f"{path}: unsupported sample type {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] in (2, 4):
        arr = _apply_alpha(arr, alpha, path, notes, matte)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
        notes.append(NOTE_GRAY)
    arr = np.ascontiguousarray(arr)
    if not arr.flags.writeable:  # Pillow's buffers are read-only; callers (torch.from_numpy) write
        arr = arr.copy()
    return DecodedImage(arr, tuple(notes))


def read_rgb(path: str | Path, alpha: AlphaPolicy = DEFAULT_ALPHA, *, matte: int | None = None) -> np.ndarray:
    """:func:`read_image` without the notes: the ``uint8`` RGB pixels.

    Raises:
        UnreadableImageError: see :func:`read_image`.
    """
    return read_image(path, alpha, matte=matte).pixels


def _apply_alpha(
    arr: np.ndarray, alpha: AlphaPolicy, path: Path, notes: list[str], matte: int | None = None
) -> np.ndarray:
    color, a = arr[..., :-1], arr[..., -1]
    if (a == 255).all() or (alpha == "drop" and matte is None):
        notes.append(NOTE_ALPHA_DROPPED)
        return color
    if matte is not None:
        bg, what = float(matte), f"grey {matte}"
    elif alpha == "error":
        raise UnreadableImageError(
            f"{path}: translucent alpha channel; choose how to handle it "
            "(--alpha drop, white or black; alpha='drop'|'white'|'black' in code)"
        )
    else:
        bg, what = (255.0 if alpha == "white" else 0.0), alpha
    w = a[..., None].astype(np.float64) / 255.0
    notes.append(f"alpha composited on {what}")
    return np.round(color * w + bg * (1.0 - w)).astype(np.uint8)


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` from the file header, without decoding the pixels.

    Raises:
        UnreadableImageError: not an image Pillow can open.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UnreadableImageError(f"{path}: {exc}") from exc


def is_image_file(path: Path) -> bool:
    """A regular, non-hidden file whose name ends in one of :data:`IMAGE_SUFFIXES`."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (``recursive``: and below), sorted by path.

    Raises:
        FileNotFoundError: ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} does not exist")
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if is_image_file(p))


def is_gray(pixels: np.ndarray) -> bool:
    """True when all three channels are equal (a grayscale picture stored as RGB)."""
    return bool(
        np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2])
    )


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of ``(H, W, 3)`` uint8 RGB (Pillow; same pixels give the same bytes)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def write_png(path: str | Path, rgb: np.ndarray) -> None:
    """Write ``(H, W, 3)`` uint8 RGB as PNG, atomically."""
    atomic_write_bytes(path, encode_png(rgb))
