"""StableSR's sampling flags (the official scripts' command-line options), checked without importing torch.

The adapter builds these at planning time, so bad flags fail before any weights are read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

ColorFix = Literal["adain", "wavelet", "nofix"]
COLOR_FIXES: tuple[str, ...] = ("adain", "wavelet", "nofix")

Precision = Literal["autocast", "full"]


@dataclass(frozen=True)
class StableSRSettings:
    """The sampling flags of the official scripts (defaults: the paper's StableSR run).

    Attributes:
        steps: ``--ddpm_steps`` (the script default is 1000; the paper and README use 200).
        dec_w: CFW weight ``--dec_w``.
        color_fix: ``--colorfix_type`` (script default ``nofix``; the paper uses ``adain``).
        input_size: ``--input_size``; the canvas tile is ``input_size // 8`` latent pixels.
        upscale: ``--upscale``.
        tile_overlap: ``--tile_overlap`` in latent pixels.
        vae_tile_size / vae_tile_stride: ``--vqgantile_size`` / ``--vqgantile_stride`` in pixels.
        tile_batch: Canvas tiles per network call (the script's ``n_samples``, 1).
        precision: ``--precision``: ``autocast`` = fp16 autocast on CUDA (no effect on CPU).
    """

    steps: int = 200
    dec_w: float = 0.5
    color_fix: ColorFix = "adain"
    input_size: int = 512
    upscale: int = 4
    tile_overlap: int = 32
    vae_tile_size: int = 1280
    vae_tile_stride: int = 1000
    tile_batch: int = 1
    precision: Precision = "autocast"

    def check(self) -> None:
        """Raise ``ValueError`` naming the first bad setting and what is allowed."""
        if not 1 <= self.steps <= 1000:
            raise ValueError(f"steps must be in [1, 1000], got {self.steps}")
        if self.color_fix not in COLOR_FIXES:
            raise ValueError(f"color_fix {self.color_fix!r} is not one of {COLOR_FIXES}")
        if self.precision not in ("autocast", "full"):
            raise ValueError(f"precision {self.precision!r} is not one of ('autocast', 'full')")
        if self.input_size < 64 or self.input_size % 64:
            raise ValueError(f"input_size must be a positive multiple of 64, got {self.input_size}")
        if not 0 <= self.tile_overlap < self.input_size // 8:
            raise ValueError(f"tile_overlap must be in [0, {self.input_size // 8}), got {self.tile_overlap}")
        if not 0 < self.vae_tile_stride <= self.vae_tile_size or self.vae_tile_size % 32:
            raise ValueError(
                f"need 0 < vae_tile_stride <= vae_tile_size, size a multiple of 32; got "
                f"{self.vae_tile_stride}, {self.vae_tile_size}"
            )
        if self.upscale < 1 or self.tile_batch < 1:
            raise ValueError(f"upscale and tile_batch must be >= 1, got {self.upscale}, {self.tile_batch}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
