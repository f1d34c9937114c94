"""Small helpers shared by the baseline tests."""

from __future__ import annotations

import numpy as np


def photo(h: int, w: int, y: int = 100, x: int = 180) -> np.ndarray:
    """An ``h x w`` crop of scikit-image's astronaut photo (uint8 RGB)."""
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut()[y : y + h, x : x + w])


def astronaut_square(side: int) -> np.ndarray:
    """Scikit-image's astronaut photo resized (bicubic) to ``side x side`` (uint8 RGB)."""
    from PIL import Image
    from skimage.data import astronaut

    return np.asarray(Image.fromarray(astronaut()).resize((side, side), Image.BICUBIC))


def max_diff(a: np.ndarray, b: np.ndarray) -> int:
    """Largest per-pixel difference in 8-bit levels."""
    assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


def assert_matches(ours: np.ndarray, ref: np.ndarray, max_frac: float = 1e-3) -> None:
    """Equal within 1 level of 255, and at most ``max_frac`` of the values off by that level.

    The second bound pins the rounding rule: truncating instead of rounding also stays within one
    level, but moves about half of all values.
    """
    assert max_diff(ours, ref) <= 1
    frac = float(np.mean(ours != ref))
    assert frac <= max_frac, f"{frac:.2%} of the values differ by one level"
