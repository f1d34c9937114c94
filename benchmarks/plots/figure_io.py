"""Figures of an exact pixel size, written atomically; matplotlib always runs headless (Agg).

A figure of ``width x height`` pixels is ``figsize = (width / dpi, height / dpi)`` saved at the same
dpi without ``bbox_inches="tight"`` (which would crop and change the size), so the PNG has exactly
the requested size; tests check it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pasd.utils.io import atomic_open

#: the palette of all charts: one colour for ordinary methods, one for the best, grey for tiny ones
BAR_COLOR = "#7f9fbf"
BEST_COLOR = "#d62728"
RANDOM_WEIGHTS_COLOR = "#bbbbbb"


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed, safe in worker processes)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def new_figure(width_px: int, height_px: int, dpi: int = 100) -> Any:
    """A blank figure that saves to exactly ``width_px x height_px`` pixels.

    Raises:
        ValueError: a size or dpi below 1.
    """
    if width_px < 1 or height_px < 1 or dpi < 1:
        raise ValueError(f"figure size and dpi must be >= 1, got {width_px}x{height_px} at {dpi} dpi")
    return pyplot().figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)


def save_png(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as PNG at its own dpi (exact pixel size), atomically, and close it."""
    path = Path(path)
    try:
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=fig.dpi)
    finally:
        pyplot().close(fig)
    return path
