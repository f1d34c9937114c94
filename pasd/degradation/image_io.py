"""Reading HQ images defensively, and writing 8-bit PNGs atomically.

Real test folders contain grayscale, RGBA, 16-bit and broken files. Each case is handled
explicitly: converted with a warning (returned, recorded in the manifest) or refused with
:class:`BadImageError` whose message is the reason recorded for the skipped image.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from pasd.utils.io import atomic_write_bytes

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class BadImageError(ValueError):
    """An input image that cannot be used; the message says why."""


def read_rgb8(path: str | Path) -> tuple[np.ndarray, list[str]]:
    """Read an image as ``(H, W, 3)`` uint8 RGB, converting what can be converted.

    Args:
        path: the image file.

    Returns:
        The pixels and a list of warnings (grayscale expanded, alpha dropped, 16-bit reduced).

    Raises:
        BadImageError: unreadable/corrupt file or an unsupported pixel type.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise BadImageError(f"unreadable file: {exc}") from None
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise BadImageError("unreadable or corrupt image file")
    warnings: list[str] = []
    if img.dtype == np.uint16:
        # round, not truncate: 257 * v maps 8-bit values exactly onto 16-bit ones
        img = np.clip(np.round(img.astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
        warnings.append("16-bit image converted to 8-bit")
    elif img.dtype != np.uint8:
        raise BadImageError(f"unsupported pixel type {img.dtype}; expected 8- or 16-bit integers")
    if img.ndim == 3 and img.shape[2] == 2:  # gray + alpha
        img = img[:, :, 0]
        warnings.append("alpha channel dropped")
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
        warnings.append("grayscale image converted to RGB")
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
        warnings.append("alpha channel dropped")
    elif img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    else:
        raise BadImageError(f"unsupported channel count {img.shape[2]}")
    return np.ascontiguousarray(img), warnings


def to_tensor(rgb8: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(3, H, W)`` float32 in [0, 1]."""
    return torch.from_numpy(rgb8).permute(2, 0, 1).float().div(255.0)


def to_rgb8(img: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` float in [0, 1] -> ``(H, W, 3)`` uint8 (rounded)."""
    arr = torch.clamp((img.detach().float().cpu() * 255.0).round(), 0, 255).to(torch.uint8)
    return arr.permute(1, 2, 0).numpy()


def write_png(path: str | Path, rgb8: np.ndarray) -> None:
    """Write ``(H, W, 3)`` uint8 RGB as PNG, atomically (same pixels -> same bytes)."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"PNG encoding failed for {path}")
    atomic_write_bytes(path, buf.tobytes())


def list_images(folder: str | Path) -> list[tuple[str, Path]]:
    """``(image id, path)`` for every image under ``folder``, sorted; the id is the relative path
    without suffix (``sub/0801``), so it is stable whatever the folder's location."""
    folder = Path(folder)
    found = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted((p.relative_to(folder).with_suffix("").as_posix(), p) for p in found)
