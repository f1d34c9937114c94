"""Gaussian-weighted latent tiling for ControlNet + UNet on images larger than one tile.

Each tile's noise prediction is weighted by a 2-D Gaussian centred on the tile (so tile borders,
where the network sees least context, count least) and the weighted sum is normalised by the
summed weights: overlapping tiles blend smoothly and no seam shows. The tile grid, the Gaussian
(variance 0.01 of the squared tile size) and the defaults (320 latent px, overlap 8) follow the
official PASD pipeline; tiles may be run in batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

#: official defaults (test_pasd.py --latent_tiled_size / --latent_tiled_overlap), in latent pixels
DEFAULT_TILE = 320
DEFAULT_OVERLAP = 8


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets covering ``[0, length)`` with tiles of ``tile`` that overlap by >= ``overlap``.

    The last tile is aligned to the end, so every tile is full size.

    Raises:
        ValueError: If ``overlap`` is not in ``[0, tile)`` or a size is not positive.
    """
    if tile <= 0 or length <= 0:
        raise ValueError(f"tile ({tile}) and length ({length}) must be positive")
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap {overlap} must be in [0, tile={tile})")
    if length <= tile:
        return [0]
    stride = tile - overlap
    n = math.ceil((length - tile) / stride) + 1
    return sorted({min(i * stride, length - tile) for i in range(n)})


def gaussian_weights(height: int, width: int, var: float = 0.01) -> torch.Tensor:
    """``(height, width)`` float32 Gaussian weights, std ``sqrt(var)`` in units of the tile size."""

    def axis(n: int) -> torch.Tensor:
        x = torch.arange(n, dtype=torch.float64)
        mid = (n - 1) / 2
        return torch.exp(-((x - mid) ** 2) / (n * n) / (2 * var)) / math.sqrt(2 * math.pi * var)

    return torch.outer(axis(height), axis(width)).float()


def tiled_predict(
    predict: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    latents: torch.Tensor,
    control: torch.Tensor,
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    tile_batch: int = 1,
    scale: int = 8,
) -> torch.Tensor:
    """Run ``predict(latent_tiles, control_tiles)`` tile by tile and blend with Gaussian weights.

    Args:
        predict: Maps ``(n*B, C, t, t)`` latents and ``(n*B, 3, t*scale, t*scale)`` control
            images (``n`` tiles stacked tile-major) to ``(n*B, C', t, t)`` predictions.
        latents: ``(B, C, h, w)``.
        control: ``(B, 3, h*scale, w*scale)``.
        tile: Tile side in latent pixels (clipped to the latent size).
        overlap: Minimum overlap of neighbouring tiles.
        tile_batch: Tiles per ``predict`` call (more is faster on a GPU, costs memory).
        scale: Control-image pixels per latent pixel (the VAE factor).

    Returns:
        ``(B, C', h, w)`` blended predictions.

    Raises:
        ValueError: For a bad tile/overlap/batch or mismatched shapes.
    """
    b, _, h, w = latents.shape
    if control.shape[0] != b or control.shape[-2:] != (h * scale, w * scale):
        raise ValueError(
            f"control {tuple(control.shape)} does not match latents {tuple(latents.shape)} x{scale}"
        )
    if tile_batch < 1:
        raise ValueError(f"tile_batch must be >= 1, got {tile_batch}")
    th, tw = min(tile, h), min(tile, w)
    boxes = [
        (y, x)
        for y in tile_starts(h, th, min(overlap, th - 1))
        for x in tile_starts(w, tw, min(overlap, tw - 1))
    ]
    weights = gaussian_weights(th, tw).to(latents.device, torch.float32)
    out: torch.Tensor | None = None
    norm = torch.zeros(h, w, device=latents.device)
    for i in range(0, len(boxes), tile_batch):
        chunk = boxes[i : i + tile_batch]
        lat = torch.cat([latents[:, :, y : y + th, x : x + tw] for y, x in chunk])
        ctl = torch.cat(
            [control[:, :, y * scale : (y + th) * scale, x * scale : (x + tw) * scale] for y, x in chunk]
        )
        pred = predict(lat, ctl).float()
        if out is None:
            out = torch.zeros(b, pred.shape[1], h, w, device=latents.device)
        for j, (y, x) in enumerate(chunk):
            out[:, :, y : y + th, x : x + tw] += pred[j * b : (j + 1) * b] * weights
            norm[y : y + th, x : x + tw] += weights
    assert out is not None  # boxes is never empty (internal invariant, not user input)
    return (out / norm).to(latents.dtype)
