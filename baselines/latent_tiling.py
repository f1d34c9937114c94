"""Tiled denoising for the SD x4 upscaler: the UNet runs on overlapping latent tiles, blended each step.

Without tiling, ``StableDiffusionUpscalePipeline`` on an input larger than 128 px tries to allocate
hundreds of GiB (diffusers issue #1434: 256 GiB for a 512 px input, in the VAE decoder's
full-image self-attention; the UNet's attention grows the same way). The remedy here keeps the
official pipeline and only changes how its networks are evaluated:

* the UNet's ``forward`` is swapped, for the duration of the call, for one that splits the
  latent (+ the noised low-res image concatenated to it) into overlapping tiles, runs the real
  UNet tile by tile (or several tiles per batch) and blends the noise predictions with
  :func:`pasd.pipeline.tiling.tiled_predict`'s Gaussian weights. Every step therefore updates one
  global latent: tiles agree on their overlaps after each step, so no seam forms (the
  MultiDiffusion / Mixture-of-Diffusers approach, as PASD's own tiled inference);
* the VAE decodes with diffusers' own tiled decoder (``enable_tiling``: overlapping tiles,
  linear blends over a quarter of the tile).

An input no larger than one tile runs exactly the untiled pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

#: the size the released UNet was trained at (unet/config.json ``sample_size``; latent px = input px)
DEFAULT_TILE = 128
#: a quarter of the tile, as diffusers' VAE tiling blends
DEFAULT_OVERLAP = DEFAULT_TILE // 4


def needs_tiling(height: int, width: int, tile: int) -> bool:
    """Tile when either latent side exceeds the tile (the x4 upscaler's latent has the input's size)."""
    return max(height, width) > tile


@contextmanager
def tiled_unet(unet: torch.nn.Module, tile: int, overlap: int, tile_batch: int = 1) -> Iterator[None]:
    """Evaluate ``unet`` tile-wise inside the block (its ``forward`` is restored afterwards).

    The pipeline calls ``unet(sample, t, encoder_hidden_states=..., class_labels=..., ...)`` with
    ``sample`` = latents concatenated with the noised low-res image, both at the same size, so
    one tile grid serves both. Prompt embeddings and noise-level labels are repeated per tile.

    Raises:
        ValueError: For ``tile < 8``, an overlap outside ``[0, tile)`` or ``tile_batch < 1``.
    """
    from pasd.pipeline.tiling import tiled_predict

    if tile < 8 or not 0 <= overlap < tile or tile_batch < 1:
        raise ValueError(
            f"need tile >= 8, 0 <= overlap < tile and tile_batch >= 1; got tile={tile}, overlap={overlap}, "
            f"tile_batch={tile_batch}"
        )
    original = unet.forward
    # accelerate's offload hooks also live as an instance ``forward``: put back exactly what was there
    shadowed = "forward" in vars(unet)

    def forward(sample, timestep, encoder_hidden_states=None, class_labels=None, return_dict=True, **kwargs):
        h, w = sample.shape[-2:]
        if not needs_tiling(h, w, tile):
            return original(sample, timestep, encoder_hidden_states=encoder_hidden_states,
                            class_labels=class_labels, return_dict=return_dict, **kwargs)  # fmt: skip
        b = sample.shape[0]

        def predict(tiles: torch.Tensor, _control: torch.Tensor, _cond: torch.Tensor) -> torch.Tensor:
            k = tiles.shape[0] // b  # tiles stacked tile-major: k copies of the batch
            embeds = encoder_hidden_states.repeat(k, 1, 1) if encoder_hidden_states is not None else None
            labels = class_labels.repeat(k) if class_labels is not None else None
            return original(tiles, timestep, encoder_hidden_states=embeds, class_labels=labels,
                            return_dict=False, **kwargs)[0]  # fmt: skip

        # tiled_predict also slices a control image per tile; here everything is in ``sample``
        nothing = sample[:, :0]
        out = tiled_predict(predict, sample, nothing, tile, overlap, tile_batch, scale=1).to(sample.dtype)
        return (out,) if not return_dict else _unet_output(out)

    unet.forward = forward
    try:
        yield
    finally:
        if shadowed:
            unet.forward = original
        else:
            del unet.forward


def _unet_output(sample: torch.Tensor):
    from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

    return UNet2DConditionOutput(sample=sample)


@contextmanager
def tiled_vae_decode(vae: torch.nn.Module, tile: int, scale: int) -> Iterator[None]:
    """diffusers' tiled VAE decoding for latents larger than ``tile``, off again after the block.

    Args:
        vae: An ``AutoencoderKL``.
        tile: Latent tile side (the decoded tile is ``tile * scale`` pixels).
        scale: Pixels per latent pixel (the VAE's factor: 4 for the x4 upscaler).
    """
    saved = (vae.use_tiling, vae.tile_latent_min_size, vae.tile_sample_min_size)
    vae.enable_tiling()
    vae.tile_latent_min_size = tile
    vae.tile_sample_min_size = tile * scale
    try:
        yield
    finally:
        vae.use_tiling, vae.tile_latent_min_size, vae.tile_sample_min_size = saved
