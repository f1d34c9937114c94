"""The two tilings of StableSR's canvas script, with the official tile order and Gaussian weights.

* Latent canvas (``LatentDiffusionSRTextWT.p_mean_variance_canvas``): every denoising step runs the
  time-aware encoder and the UNet on ``tile``-sized latent crops (``input_size / 8``, 64 for the
  release) overlapping by ``overlap`` (32), the last row/column snapped to the border, and blends
  the noise predictions with Gaussian weights.
* VAE patches (``scripts/util_image.py`` ``ImageSpliterTh``): an upsampled LQ larger than
  ``vqgantile_size`` (1280 px) is cut into patches with stride ``vqgantile_stride`` (1000) that are
  each encoded, sampled, decoded and colour-fixed alone, then Gaussian-blended.

Both Gaussians are the official ones: variance 0.01 of the squared tile size, the x axis centred on
``(w - 1) / 2`` but the y axis on ``h / 2`` (an off-by-half in the original that we keep), float64.
PASD's own tiling (:mod:`pasd.pipeline.tiling`) centres both axes, so it is not reused here.
"""

from __future__ import annotations

import math

import torch


def gaussian_weights(width: int, height: int) -> torch.Tensor:
    """``(height, width)`` float64 weights of the official ``_gaussian_weights``."""

    def axis(n: int, mid: float) -> torch.Tensor:
        x = torch.arange(n, dtype=torch.float64)
        return torch.exp(-((x - mid) ** 2) / (n * n) / (2 * 0.01)) / math.sqrt(2 * math.pi * 0.01)

    return torch.outer(axis(height, height / 2), axis(width, (width - 1) / 2))


def canvas_tiles(height: int, width: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Top-left corners ``(y, x)`` of the latent tiles, in the official order (x outer, y inner).

    Raises:
        ValueError: If the latent is smaller than a tile or ``overlap`` is not in ``[0, tile)``.
    """
    if height < tile or width < tile:
        raise ValueError(f"latent {height}x{width} is smaller than the {tile}x{tile} canvas tile")
    if not 0 <= overlap < tile:
        raise ValueError(f"tile overlap {overlap} must be in [0, {tile})")

    def count(length: int) -> int:
        n, end = 0, 0
        while end < length:
            end = max(n * tile - overlap * n, 0) + tile
            n += 1
        return n

    cols, rows = count(width), count(height)  # the official calls these grid_rows, grid_cols
    corners = []
    for c in range(cols):
        for r in range(rows):
            x = width - tile if c == cols - 1 else c * (tile - overlap)
            y = height - tile if r == rows - 1 else r * (tile - overlap)
            corners.append((y, x))
    return corners


def patch_starts(length: int, size: int, stride: int) -> list[int]:
    """``ImageSpliterTh.extract_starts``: stride steps, the overflowing ones pulled back to the end."""
    if length <= size:
        return [0]
    starts = [min(s, length - size) for s in range(0, length, stride)]
    return list(dict.fromkeys(starts))


def vae_patches(height: int, width: int, size: int, stride: int) -> list[tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` of each VAE patch, in the official order (x outer, y inner).

    Raises:
        ValueError: If ``stride`` exceeds ``size``.
    """
    if stride > size or stride <= 0:
        raise ValueError(f"vae tile stride {stride} must be in (0, size={size}]")
    ys, xs = patch_starts(height, size, stride), patch_starts(width, size, stride)
    return [(y, min(y + size, height), x, min(x + size, width)) for x in xs for y in ys]
