"""Tiled VAE encode/decode with GroupNorm statistics shared by all tiles (PASD's large-image path).

The official PASD pipeline replaces the VAE encoder/decoder forward with Li Yi's ``VAEHook``
(``myutils/vaehook.py``): the input is cut into padded tiles, every layer runs tile by tile, and at
each GroupNorm the statistics of all tiles are gathered first and applied to every tile, so the
tiles are normalised as one image and no seam shows. Tiling starts only above one tile plus its
padding: the encoder works on tiles of 1024 px (pad 32), the decoder on tiles of 224 latent px
(pad 11), so images up to 1088 px are encoded and latents up to 246 px (1968 px output) decoded
exactly. diffusers' ``enable_tiling`` instead normalises each tile on its own statistics.

This module is our own implementation of that idea on diffusers' ``Encoder``/``Decoder``: the tile
grid (sizes, padding, the "best tile size" rounding, output crops) follows ``VAEHook.split_tiles``;
each GroupNorm uses the pooled statistics of the padded tiles, weighted by their pixel counts. Two
deliberate differences, both documented in the README: the pooled variance includes the spread of
the tile means (law of total variance; ``VAEHook`` averages the per-tile variances), and the
mid-block attention normalises once (``VAEHook``'s attention applies its GroupNorm a second time,
per tile). In diffusers 0.29.2, the version PASD pins, ``VAEHook``'s attention cannot run at all
(``Attention.to_q`` no longer takes ``scale``), so the official script skips every image that
needs VAE tiling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

#: official test_pasd.py --encoder_tiled_size (pixels) and VAEHook encoder padding
ENCODER_TILE, ENCODER_PAD = 1024, 32
#: official test_pasd.py --decoder_tiled_size (latent pixels) and VAEHook decoder padding
DECODER_TILE, DECODER_PAD = 224, 11

Tiles = list[torch.Tensor]


@dataclass(frozen=True)
class TileBox:
    """One tile: the padded input box and where its valid part goes in the output (x0, x1, y0, y1)."""

    inp: tuple[int, int, int, int]
    out: tuple[int, int, int, int]


def needs_tiling(height: int, width: int, tile: int, pad: int) -> bool:
    """True when the longest side exceeds one tile plus its padding (official threshold)."""
    return max(height, width) > tile + 2 * pad


def _round_tile(size: int, limit: int) -> int:
    # VAEHook.get_best_tile_size: round up to a multiple of 32 (then 16, 8, 4, 2) if it stays <= limit
    divider = 32
    while divider >= 2:
        if size % divider == 0:
            return size
        candidate = size - size % divider + divider
        if candidate <= limit:
            return candidate
        divider //= 2
    return size


def split_tiles(height: int, width: int, tile: int, pad: int, decoder: bool) -> list[TileBox]:
    """The ``VAEHook.split_tiles`` grid for an input of ``height x width``.

    Args:
        height, width: Input size (pixels for the encoder, latent pixels for the decoder).
        tile: Nominal tile side.
        pad: Context added on each side of a tile (cropped from its output).
        decoder: Output boxes are x8 (decoder) or //8 (encoder) of the input boxes.

    Returns:
        Row-major tiles.

    Raises:
        ValueError: For a non-positive size.
    """
    if min(height, width, tile) <= 0 or pad < 0:
        raise ValueError(f"bad tiling: {height}x{width}, tile {tile}, pad {pad}")
    rows = max(math.ceil((height - 2 * pad) / tile), 1)
    cols = max(math.ceil((width - 2 * pad) / tile), 1)
    th = _round_tile(math.ceil((height - 2 * pad) / rows), tile)
    tw = _round_tile(math.ceil((width - 2 * pad) / cols), tile)

    def scale(v: int) -> int:
        return v * 8 if decoder else v // 8

    boxes = []
    for i in range(rows):
        for j in range(cols):
            x0, x1 = pad + j * tw, min(pad + (j + 1) * tw, width)
            y0, y1 = pad + i * th, min(pad + (i + 1) * th, height)
            if x0 >= x1 or y0 >= y1:  # rounding up the tile size can leave nothing for a last tile
                continue
            # tiles touching the border (within pad) own the border too
            out = (x0 if x0 > pad else 0, x1 if x1 < width - pad else width,
                   y0 if y0 > pad else 0, y1 if y1 < height - pad else height)  # fmt: skip
            inp = (max(0, x0 - pad), min(width, x1 + pad), max(0, y0 - pad), min(height, y1 + pad))
            boxes.append(TileBox(inp=inp, out=tuple(scale(v) for v in out)))
    return boxes


def shared_group_norm(tiles: Tiles, norm: nn.GroupNorm) -> Tiles:
    """GroupNorm of every tile with the statistics of all tiles together.

    Per (sample, group) mean and variance are pooled over the tiles by pixel count (law of total
    variance), computed in float32 so fp16 activations of large images cannot overflow.
    """
    groups, eps = norm.num_groups, norm.eps
    counts, means, sq = [], [], []
    for t in tiles:
        b, c = t.shape[:2]
        x = t.float().reshape(b, groups, -1)
        counts.append(x.shape[-1])
        means.append(x.mean(-1))
        sq.append(x.pow(2).mean(-1))
    w = torch.tensor(counts, dtype=torch.float32, device=means[0].device)
    w = (w / w.sum()).view(-1, 1, 1)
    mean = (torch.stack(means) * w).sum(0)
    var = ((torch.stack(sq) * w).sum(0) - mean.pow(2)).clamp_min(0)
    out = []
    for t in tiles:
        b, c = t.shape[:2]
        x = t.float().reshape(b, groups, -1)
        x = (x - mean[..., None]) * torch.rsqrt(var[..., None] + eps)
        x = x.reshape(t.shape).to(t.dtype)
        if norm.affine:
            x = x * norm.weight.view(1, -1, 1, 1) + norm.bias.view(1, -1, 1, 1)
        out.append(x)
    return out


def _each(fn: Callable[[torch.Tensor], torch.Tensor], tiles: Tiles) -> Tiles:
    return [fn(t) for t in tiles]


def _resnet(block: nn.Module, tiles: Tiles) -> Tiles:
    """diffusers ``ResnetBlock2D`` (no time embedding, as in the VAE) over tiles."""
    shortcut = block.conv_shortcut if block.conv_shortcut is not None else (lambda x: x)
    residual = _each(shortcut, tiles)
    h = _each(block.nonlinearity, shared_group_norm(tiles, block.norm1))
    h = _each(block.conv1, h)
    h = _each(block.nonlinearity, shared_group_norm(h, block.norm2))
    h = _each(lambda x: block.conv2(block.dropout(x)), h)
    return [(r + x) / block.output_scale_factor for r, x in zip(residual, h)]


def _self_attention(attn: nn.Module, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
    """``AttnProcessor2_0`` on one tile whose GroupNorm is already applied."""
    b, c, h, w = x.shape
    hidden = x.view(b, c, h * w).transpose(1, 2)
    q, k, v = attn.to_q(hidden), attn.to_k(hidden), attn.to_v(hidden)
    head_dim = k.shape[-1] // attn.heads
    q, k, v = (t.view(b, -1, attn.heads, head_dim).transpose(1, 2) for t in (q, k, v))
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=False)
    out = out.transpose(1, 2).reshape(b, -1, attn.heads * head_dim).to(q.dtype)
    out = attn.to_out[1](attn.to_out[0](out))
    out = out.transpose(-1, -2).reshape(b, c, h, w)
    if attn.residual_connection:
        out = out + residual
    return out / attn.rescale_output_factor


def _attention(attn: nn.Module, tiles: Tiles) -> Tiles:
    if attn.group_norm is None or attn.spatial_norm is not None:
        raise ValueError("tiled VAE expects the SD VAE's mid-block attention (GroupNorm, no spatial norm)")
    normed = shared_group_norm(tiles, attn.group_norm)
    return [_self_attention(attn, n, t) for n, t in zip(normed, tiles)]


def _mid_block(mid: nn.Module, tiles: Tiles) -> Tiles:
    tiles = _resnet(mid.resnets[0], tiles)
    for attn, resnet in zip(mid.attentions, mid.resnets[1:]):
        if attn is not None:
            tiles = _attention(attn, tiles)
        tiles = _resnet(resnet, tiles)
    return tiles


def _encoder_body(encoder: nn.Module, tiles: Tiles) -> Tiles:
    tiles = _each(encoder.conv_in, tiles)
    for block in encoder.down_blocks:
        for resnet in block.resnets:
            tiles = _resnet(resnet, tiles)
        for down in block.downsamplers or ():
            tiles = _each(down, tiles)
    tiles = _mid_block(encoder.mid_block, tiles)
    tiles = _each(encoder.conv_act, shared_group_norm(tiles, encoder.conv_norm_out))
    return _each(encoder.conv_out, tiles)


def _decoder_body(decoder: nn.Module, tiles: Tiles) -> Tiles:
    tiles = _each(decoder.conv_in, tiles)
    tiles = _mid_block(decoder.mid_block, tiles)
    dtype = next(iter(decoder.up_blocks.parameters())).dtype
    tiles = _each(lambda t: t.to(dtype), tiles)
    for block in decoder.up_blocks:
        for resnet in block.resnets:
            tiles = _resnet(resnet, tiles)
        for up in block.upsamplers or ():
            tiles = _each(up, tiles)
    tiles = _each(decoder.conv_act, shared_group_norm(tiles, decoder.conv_norm_out))
    return _each(decoder.conv_out, tiles)


def _check_supported(net: nn.Module, decoder: bool) -> None:
    if decoder and getattr(net, "conv_norm_out", None) is None:
        raise ValueError("tiled VAE decode needs a diffusers Decoder with conv_norm_out (no spatial norm)")
    if not isinstance(getattr(net, "conv_norm_out", None), nn.GroupNorm):
        raise ValueError(f"tiled VAE supports diffusers' GroupNorm Encoder/Decoder, not {type(net).__name__}")


@torch.no_grad()
def tiled_forward(net: nn.Module, x: torch.Tensor, tile: int, pad: int, decoder: bool) -> torch.Tensor:
    """Run a diffusers VAE ``Encoder`` or ``Decoder`` on ``x`` in tiles with shared GroupNorm statistics.

    Args:
        net: ``vae.encoder`` or ``vae.decoder`` of an ``AutoencoderKL``.
        x: ``(B, 3, H, W)`` image in [-1, 1] (encoder) or ``(B, C, h, w)`` latent (decoder).
        tile: Nominal tile side (pixels for the encoder, latent pixels for the decoder).
        pad: Context on each side of a tile.
        decoder: Whether ``net`` is the decoder (8x up) or the encoder (8x down).

    Returns:
        What ``net(x)`` returns, assembled from the tiles' valid regions.

    Raises:
        ValueError: If ``net`` is not a GroupNorm diffusers VAE encoder/decoder.
    """
    _check_supported(net, decoder)
    b, _, h, w = x.shape
    boxes = split_tiles(h, w, tile, pad, decoder)
    tiles = [x[:, :, y0:y1, x0:x1] for x0, x1, y0, y1 in (bx.inp for bx in boxes)]
    body = _decoder_body if decoder else _encoder_body
    outs = body(net, tiles)
    factor = 8
    oh, ow = (h * factor, w * factor) if decoder else (h // factor, w // factor)
    result = outs[0].new_zeros(b, outs[0].shape[1], oh, ow)
    for box, out in zip(boxes, outs):
        ix0, _, iy0, _ = box.inp
        ox0, ox1, oy0, oy1 = box.out
        # the output box in the tile's own coordinates (VAEHook.crop_valid_region)
        sx, sy = (ix0 * factor, iy0 * factor) if decoder else (ix0 // factor, iy0 // factor)
        result[:, :, oy0:oy1, ox0:ox1] = out[:, :, oy0 - sy : oy1 - sy, ox0 - sx : ox1 - sx]
    return result


def encode_hidden(encoder: nn.Module, x: torch.Tensor, tile: int | None = ENCODER_TILE,
                  pad: int = ENCODER_PAD) -> torch.Tensor:  # fmt: skip
    """``encoder(x)``, tiled when ``x`` is larger than one tile plus padding (``tile=None``: never)."""
    if tile is None or not needs_tiling(x.shape[-2], x.shape[-1], tile, pad):
        return encoder(x)
    return tiled_forward(encoder, x, tile, pad, decoder=False)


def decode_hidden(decoder: nn.Module, z: torch.Tensor, tile: int | None = DECODER_TILE,
                  pad: int = DECODER_PAD) -> torch.Tensor:  # fmt: skip
    """``decoder(z)``, tiled when ``z`` is larger than one tile plus padding (``tile=None``: never)."""
    if tile is None or not needs_tiling(z.shape[-2], z.shape[-1], tile, pad):
        return decoder(z)
    return tiled_forward(decoder, z, tile, pad, decoder=True)
