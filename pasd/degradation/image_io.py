"""HQ images for the synthesizer: read with the suite's one reader, written as 8-bit PNGs atomically.

Real test folders contain grayscale, RGBA, 16-bit and broken files. They are decoded by
:func:`pasd.utils.image_io.read_image` (the same rules as every other command): converted with a
note (returned, recorded in the manifest) or refused with :class:`BadImageError` whose message is
the reason recorded for the skipped image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from pasd.utils.image_io import DEFAULT_ALPHA, AlphaPolicy, UnreadableImageError, read_image
from pasd.utils.image_io import IMAGE_SUFFIXES as IMAGE_SUFFIXES  # re-exported: older imports
from pasd.utils.image_io import list_images as _list_images
from pasd.utils.image_io import write_png as write_png

#: the suite's one "this file is not a usable image" error (older name)
BadImageError = UnreadableImageError


def read_rgb8(path: str | Path, alpha: AlphaPolicy = DEFAULT_ALPHA) -> tuple[np.ndarray, list[str]]:
    """Read an image as ``(H, W, 3)`` uint8 RGB, converting what can be converted.

    Args:
        path: the image file.
        alpha: translucent alpha policy (see :mod:`pasd.utils.image_io`).

    Returns:
        The pixels and a list of notes (grayscale expanded, alpha dropped, 16-bit reduced).

    Raises:
        BadImageError: unreadable/corrupt file, an unsupported pixel type, or a translucent
            alpha channel under ``alpha="error"``.
    """
    img = read_image(path, alpha)
    return img.pixels, list(img.notes)


def to_tensor(rgb8: np.ndarray) -> torch.Tensor:
    """``(H, W, 3)`` uint8 -> ``(3, H, W)`` float32 in [0, 1]."""
    return torch.from_numpy(rgb8).permute(2, 0, 1).float().div(255.0)


def to_rgb8(img: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` float in [0, 1] -> ``(H, W, 3)`` uint8 (rounded)."""
    arr = torch.clamp((img.detach().float().cpu() * 255.0).round(), 0, 255).to(torch.uint8)
    return arr.permute(1, 2, 0).numpy()


def list_images(folder: str | Path) -> list[tuple[str, Path]]:
    """``(image id, path)`` for every image under ``folder``, sorted; the id is the relative path
    without suffix (``sub/0801``), so it is stable whatever the folder's location."""
    folder = Path(folder)
    found = _list_images(folder, recursive=True)
    return sorted((p.relative_to(folder).with_suffix("").as_posix(), p) for p in found)
