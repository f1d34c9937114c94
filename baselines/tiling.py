"""Image-space tiling for feed-forward SR networks: one grid-and-blend implementation for every baseline.

A network that maps ``(N, C, h, w)`` to ``(N, C, h*s, w*s)`` runs on a large image as a set of
tiles. Three blend rules are offered; each is the official rule of some method, so an adapter
reproduces its method's tiling by choosing one:

``"crop"`` (``RealESRGANer.tile_process`` in xinntao/Real-ESRGAN ``realesrgan/utils.py``; FeMaSR's
    ``test_tile`` is a copy of it): a grid of ``tile``-px cells from ``(0, 0)``, the last row and
    column smaller when ``tile`` does not divide the image. Each cell runs with up to ``overlap`` px
    of context on every side, clipped at the image border (the image itself is never padded), and
    only the cell's own ``tile*s`` output is kept. Outputs never overlap, so nothing is blended.
``"average"`` (``test()`` in JingyunLiang/SwinIR ``main_test_swinir.py``): square tiles of
    ``t = min(tile, h, w)`` px at offsets ``0, stride, 2*stride, ...`` with ``stride = t - overlap``,
    plus one tile flush with the far border; outputs are summed and divided by how many tiles cover
    each pixel.
``"feather"`` (ours, for methods whose official code has no tiling: BSRGAN, LDL): the ``"average"``
    grid, but each tile's output is weighted by a separable linear ramp that rises over the tile's
    first ``overlap`` px and falls over its last ``overlap`` px (``(i + 1) / (overlap + 1)``), so
    where two tiles overlap the result moves from one to the other without a step. Pixels that only
    one tile covers (the image border) get that tile's output exactly.

Pad rules: the tiler never pads the image; a method's own padding (reflect pre-pad, flip-pad to a
window multiple) happens before it (on the whole image) or inside the network call (per tile), as
its official code does. ``multiple`` checks that ``"average"``/``"feather"`` tiles keep a size the
network accepts (SwinIR asserts ``tile % window_size == 0``).

Tiles of equal size are stacked ``batch`` at a time into one network call; a batch of ``N`` images
is tiled together (tile-major), so ``N`` equal-size images cost the same number of calls as one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch

Blend = Literal["crop", "average", "feather"]
BLENDS: tuple[str, ...] = ("crop", "average", "feather")

#: (y0, y1, x0, x1) in input pixels
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class TileConfig:
    """How to tile one forward pass.

    Attributes:
        size: tile side in input pixels; 0 runs the whole image in one call.
        overlap: ``"crop"``: context px on each side of a cell; ``"average"``/``"feather"``: overlap
            of neighbouring tiles.
        blend: one of :data:`BLENDS`.
        batch: tiles per network call.
        multiple: ``"average"``/``"feather"`` tile sides must be a multiple of this.
    """

    size: int = 0
    overlap: int = 0
    blend: Blend = "crop"
    batch: int = 1
    multiple: int = 1

    def __post_init__(self) -> None:
        if self.blend not in BLENDS:
            raise ValueError(f"tile blend {self.blend!r} is not one of {list(BLENDS)}")
        for field, value in (("tile", self.size), ("tile overlap", self.overlap)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{field} must be an integer >= 0, got {value!r}")
        if not isinstance(self.batch, int) or self.batch < 1:
            raise ValueError(f"tile batch must be an integer >= 1, got {self.batch!r}")
        if self.size and self.blend != "crop":
            if self.overlap >= self.size:
                raise ValueError(f"tile overlap {self.overlap} must be smaller than the tile ({self.size})")
            if self.size % self.multiple:
                raise ValueError(f"tile {self.size} must be a multiple of {self.multiple} for this method")


def crop_grid(height: int, width: int, tile: int, context: int) -> list[tuple[Box, Box]]:
    """``"crop"`` cells: ``(cell, cell + context clipped to the image)`` boxes, row-major.

    Example:
        >>> crop_grid(5, 7, 4, 1)
        [((0, 4, 0, 4), (0, 5, 0, 5)), ((0, 4, 4, 7), (0, 5, 3, 7)), ((4, 5, 0, 4), (3, 5, 0, 5)), ((4, 5, 4, 7), (3, 5, 3, 7))]
    """
    out = []
    for gy in range(math.ceil(height / tile)):
        for gx in range(math.ceil(width / tile)):
            y0, x0 = gy * tile, gx * tile
            y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
            pad = (
                max(y0 - context, 0),
                min(y1 + context, height),
                max(x0 - context, 0),
                min(x1 + context, width),
            )
            out.append(((y0, y1, x0, x1), pad))
    return out


def overlap_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Tile offsets of the ``"average"``/``"feather"`` grid along one axis (``main_test_swinir.py`` rule).

    ``list(range(0, length - tile, stride)) + [length - tile]``. Where the official rule breaks
    (``tile <= overlap``, possible only when the image is smaller than the overlap along one side:
    a zero or negative stride), the stride becomes ``max(1, tile // 2)`` instead of crashing or
    leaving pixels uncovered.

    Example:
        >>> overlap_starts(100, 48, 16)
        [0, 32, 52]
    """
    stride = tile - overlap if tile > overlap else max(1, tile // 2)
    return list(range(0, length - tile, stride)) + [length - tile]


def _ramp(n: int, overlap: int, device: torch.device) -> torch.Tensor:
    i = torch.arange(n, device=device, dtype=torch.float32)
    return torch.minimum(torch.ones_like(i), torch.minimum(i + 1, n - i) / (overlap + 1))


def tiled_forward(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, config: TileConfig
) -> torch.Tensor:
    """Run ``fn`` on ``x`` tile by tile and assemble the ``scale``-times larger output.

    Args:
        fn: the network call, ``(n, C, h, w) -> (n, C', h*scale, w*scale)``.
        x: ``(N, C, H, W)`` input batch.
        scale: output px per input px.
        config: tile size, overlap, blend rule and tiles per call.

    Returns:
        ``(N, C', H*scale, W*scale)`` in ``fn``'s output dtype (``"crop"``, as RealESRGANer does) or
        float32 (the blended modes accumulate in float32).

    Raises:
        ValueError: if ``config`` asks for tiles the network cannot take.
    """
    _, _, height, width = x.shape
    if config.size <= 0 or (config.size >= height and config.size >= width and config.blend == "crop"):
        return fn(x)
    if config.blend == "crop":
        return _crop(fn, x, scale, config)
    return _blend(fn, x, scale, config)


def _run_chunks(fn, x: torch.Tensor, items: list[tuple[Box, Box]], batch: int):
    """Yield ``(key, output of fn on box)`` per ``(key, box)``, ``batch`` equal-size tiles per call.

    Tiles are grouped by size (a call stacks equal shapes only) and keep their order within a
    size, so accumulation order matches a plain row-major loop when all tiles are the same size.
    The ``N`` images of ``x`` are stacked tile-major: rows ``j*N .. (j+1)*N`` of a call are tile ``j``.
    """
    n = x.shape[0]
    by_shape: dict[tuple[int, int], list[tuple[Box, Box]]] = {}
    for key, box in items:
        by_shape.setdefault((box[1] - box[0], box[3] - box[2]), []).append((key, box))
    for same in by_shape.values():
        for i in range(0, len(same), batch):
            chunk = same[i : i + batch]
            out = fn(torch.cat([x[:, :, y0:y1, x0:x1] for _, (y0, y1, x0, x1) in chunk]))
            for j, (key, _) in enumerate(chunk):
                yield key, out[j * n : (j + 1) * n]


def _crop(fn, x: torch.Tensor, scale: int, config: TileConfig) -> torch.Tensor:
    n, _, height, width = x.shape
    grid = crop_grid(height, width, config.size, config.overlap)
    pads = dict(grid)
    out: torch.Tensor | None = None
    for cell, tile_out in _run_chunks(fn, x, grid, config.batch):
        if out is None:
            out = tile_out.new_zeros(n, tile_out.shape[1], height * scale, width * scale)
        y0, y1, x0, x1 = cell
        oy, ox = (y0 - pads[cell][0]) * scale, (x0 - pads[cell][2]) * scale
        out[:, :, y0 * scale : y1 * scale, x0 * scale : x1 * scale] = tile_out[
            :, :, oy : oy + (y1 - y0) * scale, ox : ox + (x1 - x0) * scale
        ]
    assert out is not None  # the grid is never empty for a non-empty image (internal invariant)
    return out


def _blend(fn, x: torch.Tensor, scale: int, config: TileConfig) -> torch.Tensor:
    n, _, height, width = x.shape
    t = min(config.size, height, width)
    if t % config.multiple:
        raise ValueError(
            f"an image side of {min(height, width)} px gives a {t}-px tile, not a multiple of {config.multiple}"
        )
    boxes = [
        (y, y + t, x0, x0 + t)
        for y in overlap_starts(height, t, config.overlap)
        for x0 in overlap_starts(width, t, config.overlap)
    ]
    if config.blend == "feather":
        ramp = _ramp(t * scale, config.overlap * scale, x.device)
        weight = torch.outer(ramp, ramp)
    else:
        weight = torch.ones(t * scale, t * scale, device=x.device)
    acc: torch.Tensor | None = None
    norm = torch.zeros(height * scale, width * scale, device=x.device)
    for (y0, y1, x0, x1), tile_out in _run_chunks(fn, x, [(b, b) for b in boxes], config.batch):
        if acc is None:
            acc = torch.zeros(n, tile_out.shape[1], height * scale, width * scale, device=x.device)
        region = (slice(None), slice(None), slice(y0 * scale, y1 * scale), slice(x0 * scale, x1 * scale))
        acc[region] += tile_out.float() * weight
        norm[region[2:]] += weight
    assert acc is not None  # the grid is never empty for a non-empty image (internal invariant)
    return acc / norm
