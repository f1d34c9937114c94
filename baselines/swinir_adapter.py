"""SwinIR real-world x4 GAN models (Liang et al. 2021) as ``main_test_swinir.py --task real_sr`` runs them.

Official procedure (JingyunLiang/SwinIR ``main_test_swinir.py``, read at 6545850):

* weights: ``pretrained_model["params_ema"]`` if present, else the file itself (``param_key_g =
  'params_ema'`` for ``real_sr``: "use ema for GAN training"), strict. M =
  ``003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth`` (embed 180, 6x6 blocks, 6 heads, ``1conv``);
  L = ``..._DFOWMFC_s64w8_SwinIR-L_x4_GAN.pth`` (``--large_model``: embed 240, 9x6 blocks, 8 heads,
  ``3conv``); both window 8, ``nearest+conv`` upsampler;
* padding: the image is extended to ``(h // 8 + 1) * 8`` rows and ``(w // 8 + 1) * 8`` columns by
  appending its own flipped copy (``torch.cat([img, torch.flip(img, [2])], 2)``), so a side that is
  already a multiple of 8 still grows by 8; the output is cropped back to ``4h x 4w``;
* ``--tile`` unset: the whole padded image in one call; with a tile, ``test()`` runs square tiles of
  ``min(tile, h, w)`` (a multiple of 8) at stride ``tile - tile_overlap`` (default overlap 32) and
  averages (our ``"average"`` blend), on the padded image;
* fp32; output ``clamp_(0, 1)``, ``(x * 255).round()``.

``swinir-gan`` is the name Table 1 uses; it is the L model (see ``benchmarks/presets/table1.toml``).
"""

from __future__ import annotations

import torch

from baselines.base import METHODS
from baselines.feedforward import FeedForwardSR

WINDOW = 8


def flip_pad(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Extend ``x`` to ``(h // m + 1) * m`` x ``(w // m + 1) * m`` with its mirror image (SwinIR/FeMaSR rule).

    The mirror repeats the edge row (``[..., a, b, c, c, b, a]``), so the padding can be at most
    the side itself.

    Raises:
        ValueError: a side is so small that its mirror cannot fill the padding (the official code
            would silently return a tensor of the wrong size).
    """
    _, _, h, w = x.shape
    hp, wp = (h // multiple + 1) * multiple, (w // multiple + 1) * multiple
    if hp - h > h or wp - w > w:
        raise ValueError(
            f"image {h}x{w} px is too small to flip-pad to a multiple of {multiple} "
            f"(each side needs at least {multiple // 2} px)"
        )
    x = torch.cat([x, torch.flip(x, [2])], 2)[:, :, :hp, :]
    return torch.cat([x, torch.flip(x, [3])], 3)[:, :, :, :wp]


class _SwinIRRealSR(FeedForwardSR):
    arch = "SwinIR"
    tile_multiple = WINDOW
    defaults = {"tile": 0, "tile_overlap": 32, "tile_blend": "average", "param_key": "params_ema>raw"}
    fixed = {"pad": f"flip to (h//{WINDOW}+1)*{WINDOW}", "rounding": "round"}

    def _procedure(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return super()._procedure(flip_pad(x, WINDOW))[..., : h * self.scale, : w * self.scale]


@METHODS.register("swinir-gan-m")
class SwinIRGANMMethod(_SwinIRRealSR):
    """SwinIR-M real-world x4 GAN (``003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN``)."""

    name = "swinir-gan-m"
    artifact = "swinir-gan-realsr-m"


@METHODS.register("swinir-gan-l")
class SwinIRGANLMethod(_SwinIRRealSR):
    """SwinIR-L real-world x4 GAN (``003_realSR_BSRGAN_DFOWMFC_s64w8_SwinIR-L_x4_GAN``, ``--large_model``)."""

    name = "swinir-gan-l"
    artifact = "swinir-gan-realsr"


@METHODS.register("swinir-gan")
class SwinIRGANMethod(SwinIRGANLMethod):
    """Table 1's "SwinIR-GAN": the L model (the paper does not say which; see the table1 preset)."""

    name = "swinir-gan"
