"""Decode an image file to 8-bit RGB, handling gray, alpha and 16-bit inputs explicitly.

Rules (every metric sees the same pixels):

- 8-bit RGB: as decoded by Pillow (what clean-fid and pyiqa read too).
- gray (L, LA, 16-bit gray, 1-bit): replicated to three channels.
- palette (P): converted to RGB by Pillow.
- alpha (RGBA, LA): a fully opaque alpha is dropped; a translucent one is an error unless
  ``alpha="drop"`` (ignore it) or ``alpha="white"`` / ``"black"`` (composite onto that colour).
- 16-bit (PNG/TIFF, gray or colour): read at full depth with OpenCV and scaled to 8 bits as
  ``round(v / 257)`` (65535 -> 255 exactly), since PSNR/SSIM conventions are defined on 8 bits.
- anything else (float images, CMYK, unknown codecs): :class:`UnreadableImageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

AlphaPolicy = Literal["error", "drop", "white", "black"]
ALPHA_POLICIES: tuple[str, ...] = ("error", "drop", "white", "black")
#: extensions listed as images (others in a folder are ignored, with a log line)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class UnreadableImageError(ValueError):
    """A file that cannot be decoded into an image (names the file and the reason)."""


@dataclass(frozen=True)
class DecodedImage:
    """Decoded pixels plus what was done to get them (recorded in the results)."""

    pixels: np.ndarray  # H x W x 3, uint8, RGB
    notes: tuple[str, ...] = ()


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return np.round(arr.astype(np.float64) / 257.0).astype(np.uint8)
    raise TypeError(f"unsupported sample type {arr.dtype}")


def _read_16bit(path: Path) -> np.ndarray:
    import cv2

    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16:
        raise UnreadableImageError(f"{path}: could not decode the 16-bit image")
    if arr.ndim == 3:  # OpenCV gives BGR(A)
        arr = arr[..., [2, 1, 0, 3]] if arr.shape[2] == 4 else arr[..., ::-1]
    return arr


def read_image(path: str | Path, alpha: AlphaPolicy = "error") -> DecodedImage:
    """Decode ``path`` to an ``H x W x 3`` uint8 RGB array.

    Raises:
        UnreadableImageError: the file is missing, truncated, not an image, or of an
            unsupported type; or (``alpha="error"``) it has a translucent alpha channel.
        ValueError: unknown ``alpha`` policy.
    """
    from PIL import Image, UnidentifiedImageError

    if alpha not in ALPHA_POLICIES:
        raise ValueError(f"alpha policy {alpha!r} not in {ALPHA_POLICIES}")
    path = Path(path)
    notes: list[str] = []
    try:
        with Image.open(path) as im:
            rawmodes = [t[3][0] if isinstance(t[3], tuple) else t[3] for t in (im.tile or [])]
            deep = im.mode.startswith("I") or any(isinstance(r, str) and ";16" in r for r in rawmodes)
            if deep:
                arr = _read_16bit(path)
                notes.append("16-bit scaled to 8-bit")
            elif im.mode in ("RGB", "L", "RGBA", "LA"):
                arr = np.asarray(im.convert(im.mode))
            elif im.mode in ("P", "1"):
                arr = np.asarray(im.convert("RGBA" if "transparency" in im.info else "RGB"))
            else:
                raise UnreadableImageError(f"{path}: unsupported image mode {im.mode!r}")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UnreadableImageError(f"{path}: {exc}") from exc
    arr = _to_uint8(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[2] in (2, 4):
        arr = _apply_alpha(arr, alpha, path, notes)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
        notes.append("gray replicated to RGB")
    return DecodedImage(np.ascontiguousarray(arr), tuple(notes))


def _apply_alpha(arr: np.ndarray, alpha: AlphaPolicy, path: Path, notes: list[str]) -> np.ndarray:
    color, a = arr[..., :-1], arr[..., -1]
    if (a == 255).all() or alpha == "drop":
        notes.append("alpha dropped")
        return color
    if alpha == "error":
        raise UnreadableImageError(
            f"{path}: translucent alpha channel; choose how to handle it (alpha='drop', 'white' or 'black')"
        )
    bg = 255.0 if alpha == "white" else 0.0
    w = a[..., None].astype(np.float64) / 255.0
    notes.append(f"alpha composited on {alpha}")
    return np.round(color * w + bg * (1.0 - w)).astype(np.uint8)
