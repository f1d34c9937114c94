"""Gaussian-weighted latent tiling for ControlNet + UNet on images larger than one tile.

Each tile's noise prediction is weighted by a 2-D Gaussian centred on the tile (so tile borders,
where the network sees least context, count least) and the weighted sum is normalised by the
summed weights: overlapping tiles blend smoothly and no seam shows. The tile grid (square tiles
of side ``min(320, h, w)``), the Gaussian (variance 0.01 of the squared tile size, y centre at
``H/2`` and x centre at ``(W-1)/2``), the float64 weights and float32 blend and the defaults
(320 latent px, overlap 8) follow the official ``pipeline_pasd.py``; tiles may be run in batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

#: official defaults (test_pasd.py --latent_tiled_size / --latent_tiled_overlap), in latent pixels
DEFAULT_TILE = 320
DEFAULT_OVERLAP = 8
#: variance of the tile weighting Gaussian, in units of the squared tile side (official ``var = 0.01``)
TILE_GAUSSIAN_VAR = 0.01


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


def gaussian_weights(size: int, var: float = TILE_GAUSSIAN_VAR) -> torch.Tensor:
    """``(size, size)`` float64 Gaussian weights of a square tile, std ``sqrt(var)`` in tile sizes.

    As the official ``_gaussian_weights``: the x centre is ``(size - 1) / 2`` but the y centre
    is ``size / 2`` (half a pixel low), and the weights stay float64 (numpy's ``np.outer``).
    """

    def axis(mid: float) -> torch.Tensor:
        x = torch.arange(size, dtype=torch.float64)
        return torch.exp(-((x - mid) ** 2) / (size * size) / (2 * var)) / math.sqrt(2 * math.pi * var)

    return torch.outer(axis(size / 2), axis((size - 1) / 2))


def tile_boxes(height: int, width: int, tile: int, overlap: int) -> tuple[int, list[tuple[int, int]]]:
    """The official tile grid: square side ``min(tile, height, width)``, boxes ``(y, x)`` x-major.

    Returns:
        ``(side, boxes)``; ``boxes`` runs over x (outer) then y (inner), the order in which the
        official loop accumulates the tiles (which fixes the float rounding of the blend).

    Raises:
        ValueError: For a non-positive size or an overlap not in ``[0, tile)``.
    """
    side = min(tile, height, width)
    ov = min(overlap, side - 1)
    return side, [(y, x) for x in tile_starts(width, side, ov) for y in tile_starts(height, side, ov)]


def tiled_predict(
    predict: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    latents: torch.Tensor,
    control: torch.Tensor,
    tile: int = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    tile_batch: int = 1,
    scale: int = 8,
    cond_latents: torch.Tensor | None = None,
) -> torch.Tensor:
    """Run ``predict(latent_tiles, control_tiles, cond_tiles)`` tile by tile; blend with Gaussian weights.

    Args:
        predict: Maps ``(n*B, C, t, t)`` UNet latents, ``(n*Bc, 3, t*scale, t*scale)`` control
            images and ``(n*Bc, C, t, t)`` ControlNet latents (``n`` tiles stacked tile-major) to
            ``(n*B, C', t, t)`` predictions.
        latents: ``(B, C, h, w)`` UNet input.
        control: ``(Bc, 3, h*scale, w*scale)`` control images (``Bc`` is ``B``, or ``B/2`` in guess mode).
        tile: Tile side in latent pixels (the official square ``min(tile, h, w)`` is used).
        overlap: Minimum overlap of neighbouring tiles.
        tile_batch: Tiles per ``predict`` call (official: 1; more is faster on a GPU).
        scale: Control-image pixels per latent pixel (the VAE factor).
        cond_latents: ``(Bc, C, h, w)`` ControlNet input (guess mode: the conditional half);
            default ``latents``.

    Returns:
        ``(B, C', h, w)`` float32 blend (the official blend is float32 whatever the model dtype).

    Raises:
        ValueError: For a bad tile/overlap/batch or mismatched shapes.
    """
    b, _, h, w = latents.shape
    cond_latents = latents if cond_latents is None else cond_latents
    if control.shape[-2:] != (h * scale, w * scale) or cond_latents.shape[-2:] != (h, w):
        raise ValueError(
            f"control {tuple(control.shape)} does not match latents {tuple(latents.shape)} x{scale}"
        )
    if tile_batch < 1:
        raise ValueError(f"tile_batch must be >= 1, got {tile_batch}")
    side, boxes = tile_boxes(h, w, tile, overlap)
    weights = gaussian_weights(side).to(latents.device)
    out: torch.Tensor | None = None
    norm = torch.zeros(h, w, device=latents.device)
    for i in range(0, len(boxes), tile_batch):
        chunk = boxes[i : i + tile_batch]
        lat = torch.cat([latents[:, :, y : y + side, x : x + side] for y, x in chunk])
        cond = torch.cat([cond_latents[:, :, y : y + side, x : x + side] for y, x in chunk])
        ctl = torch.cat(
            [control[:, :, y * scale : (y + side) * scale, x * scale : (x + side) * scale] for y, x in chunk]
        )
        pred = predict(lat, ctl, cond)
        if out is None:
            out = torch.zeros(b, pred.shape[1], h, w, device=latents.device)
        for j, (y, x) in enumerate(chunk):
            # float64 product added into float32 sums, as the official stitching
            out[:, :, y : y + side, x : x + side] += pred[j * b : (j + 1) * b] * weights
            norm[y : y + side, x : x + side] += weights
    assert out is not None  # boxes is never empty (internal invariant, not user input)
    return out / norm
