"""Real-ESRGAN x4plus (Wang et al. 2021) as ``inference_realesrgan.py -n RealESRGAN_x4plus`` runs it.

Official procedure (xinntao/Real-ESRGAN ``inference_realesrgan.py`` + ``realesrgan/utils.py``
``RealESRGANer``, read at a4abfb2; identical to the ``realesrgan`` 0.3.0 wheel):

* weights: ``RealESRGAN_x4plus.pth``, ``params_ema`` preferred over ``params``; RRDBNet 64 feat,
  23 blocks, grow 32, x4 (no pixel-unshuffle at x4);
* ``--pre_pad 0`` (the script's default; ``RealESRGANer``'s own default of 10 is overridden), so no
  reflect pre-pad; the mod-pad applies only to x2/x1 networks and never at x4;
* ``--tile 0``: the whole image in one call; with ``tile > 0``, ``tile_process`` with
  ``--tile_pad 10`` (our ``"crop"`` blend);
* ``half=not args.fp32``: fp16 by default, which on CUDA is what the script runs; on CPU fp32;
* output: ``.float().clamp_(0, 1)``, ``(x * 255).round()``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from baselines.base import METHODS
from baselines.feedforward import FeedForwardSR


@METHODS.register("realesrgan")
class RealESRGANMethod(FeedForwardSR):
    """Real-ESRGAN x4plus with ``RealESRGANer``'s procedure (fp16 on CUDA, fp32 on CPU)."""

    name = "realesrgan"
    artifact = "realesrgan-x4plus"
    arch = "ESRGAN"
    half_on_cuda = True
    defaults = {"tile": 0, "tile_overlap": 10, "tile_blend": "crop", "param_key": "params_ema>params"}
    extra_defaults = {"pre_pad": 0}
    fixed = {"pad": "reflect pre_pad (bottom/right)", "rounding": "round"}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        pre = self.options["pre_pad"]
        if not isinstance(pre, int) or isinstance(pre, bool) or pre < 0:
            raise ValueError(f"{self.name}: pre_pad must be an integer >= 0, got {pre!r}")

    def _procedure(self, x: torch.Tensor) -> torch.Tensor:
        pre = self.options["pre_pad"]
        if pre:
            # RealESRGANer.pre_process: F.pad(img, (0, pre_pad, 0, pre_pad), "reflect"), cropped after
            x = F.pad(x, (0, pre, 0, pre), "reflect")
        out = super()._procedure(x)
        if pre:
            out = out[..., : out.shape[-2] - pre * self.scale, : out.shape[-1] - pre * self.scale]
        return out
