"""Image lookup, crop choice and exact (nearest-neighbour) magnification for comparison grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pasd.utils.image_io import IMAGE_SUFFIXES as IMAGE_SUFFIXES  # re-exported: report/figures imports it

Box = tuple[int, int, int, int]  # x, y, width, height in pixels


def find_image(folder: str | Path, name: str) -> Path | None:
    """The file for image ``name`` (a stem, or a file name) in ``folder``, or ``None``.

    LQ files of paired datasets often carry a suffix (RealSR ``*_LR4``): a stem match is tried
    first, then a file whose stem starts with ``name`` and is unique.
    """
    folder = Path(folder)
    stem = Path(name).stem
    for suffix in IMAGE_SUFFIXES:
        for cand in (folder / f"{stem}{suffix}", folder / f"{stem}{suffix.upper()}"):
            if cand.is_file():
                return cand
    prefixed = [p for p in folder.glob(f"{stem}*") if p.suffix.lower() in IMAGE_SUFFIXES]
    return prefixed[0] if len(prefixed) == 1 else None


def load_rgb(path: str | Path) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 array for display (the suite's reader; alpha dropped, greyscale expanded)."""
    from pasd.utils.image_io import read_rgb

    return read_rgb(path, alpha="drop")


def resize(img: np.ndarray, width: int, height: int, nearest: bool = False) -> np.ndarray:
    """Resize with PIL (``nearest`` for LQ display, where invented detail would mislead; else Lanczos)."""
    from PIL import Image

    if img.shape[1] == width and img.shape[0] == height:
        return img
    mode = Image.NEAREST if nearest else Image.LANCZOS
    return np.asarray(Image.fromarray(img).resize((width, height), mode))


def auto_crop(img: np.ndarray, size: int) -> Box:
    """The ``size x size`` window with the most gradient energy (texture), on a coarse grid.

    Comparison figures zoom where methods differ, and they differ most where there is detail.
    """
    h, w = img.shape[:2]
    size = max(1, min(size, h, w))
    gray = img.astype(np.float32).mean(axis=2)
    energy = np.abs(np.diff(gray, axis=0, append=gray[-1:])) + np.abs(
        np.diff(gray, axis=1, append=gray[:, -1:])
    )
    # summed-area table: each window's energy in O(1)
    sat = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    stride = max(1, size // 4)
    best, box = -1.0, (0, 0, size, size)
    for y in range(0, h - size + 1, stride):
        for x in range(0, w - size + 1, stride):
            e = sat[y + size, x + size] - sat[y, x + size] - sat[y + size, x] + sat[y, x]
            if e > best:
                best, box = float(e), (x, y, size, size)
    return box


def check_box(box: Box, width: int, height: int) -> Box:
    """Validate a crop box against an image size.

    Raises:
        ValueError: a box that is empty or leaves the image.
    """
    x, y, bw, bh = (int(v) for v in box)
    if bw < 1 or bh < 1 or x < 0 or y < 0 or x + bw > width or y + bh > height:
        raise ValueError(f"crop {box} (x, y, w, h) does not fit in a {width}x{height} image")
    return x, y, bw, bh


def magnify(crop: np.ndarray, factor: int) -> np.ndarray:
    """Repeat each pixel ``factor x factor`` times: the zoom shows the real pixels, nothing invented."""
    return np.repeat(np.repeat(crop, factor, axis=0), factor, axis=1)


def draw_rect(
    img: np.ndarray, box: Box, color: tuple[int, int, int] = (255, 0, 0), width: int = 2
) -> np.ndarray:
    """A copy of ``img`` with the outline of ``box`` drawn ``width`` pixels wide, inside the box."""
    out = img.copy()
    x, y, bw, bh = box
    t = max(1, min(width, bw // 2, bh // 2))
    c = np.array(color, dtype=out.dtype)
    out[y : y + t, x : x + bw] = c
    out[y + bh - t : y + bh, x : x + bw] = c
    out[y : y + bh, x : x + t] = c
    out[y : y + bh, x + bw - t : x + bw] = c
    return out
