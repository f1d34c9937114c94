"""FeMaSR x4 (Chen et al. 2022) as ``inference_femasr.py`` runs it.

Official procedure (chaofengc/FeMaSR ``inference_femasr.py`` + ``basicsr/archs/femasr_arch.py``,
read at 1ca4295):

* weights: ``FeMaSR_SRX4_model_g.pth``, ``torch.load(...)["params"]`` into
  ``FeMaSRNet(codebook_params=[[32, 1024, 512]], LQ_stage=True, scale_factor=4)``. The official load
  is ``strict=False`` because the file carries unused keys; spandrel_extra_arches drops exactly
  those (``sft_fusion_group``, ``multiscale_encoder.upsampler``, ``conv_semantic``,
  ``vgg_feat_extractor``) and loads the rest strictly;
* ``--max_size 600``: the whole image through ``test()`` when ``h * w < 600**2``, else
  ``test_tile(tile_size=240, tile_pad=16)``, a copy of ``RealESRGANer.tile_process`` (our ``"crop"``
  blend) that calls ``test()`` per tile;
* ``test()`` flip-pads every call to ``(h // 16 + 1) * 16`` (``wsz = 8 // scale * 8``) like SwinIR and
  crops the output back;
* fp32; ``img2tensor(img) / 255.``; ``tensor2img``: ``clamp_(0, 1)``, ``(x * 255).round()``.

The architecture code is CC BY-NC-SA 4.0 and ships in the optional ``spandrel_extra_arches``
package (``pip install 'pasd-bench[femasr]'``).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import torch

from baselines.base import METHODS, MethodNotAvailableError
from baselines.feedforward import FeedForwardSR
from baselines.swinir_adapter import flip_pad
from baselines.tiling import tiled_forward

#: test(): wsz = 8 // scale_factor * 8
PAD_MULTIPLE = 16
INSTALL = "pip install 'pasd-bench[femasr]'  (or: pip install spandrel_extra_arches)"


@METHODS.register("femasr")
class FeMaSRMethod(FeedForwardSR):
    """FeMaSR x4: ``test()`` on the whole image below 600x600 px, ``test_tile`` 240/16 above."""

    name = "femasr"
    artifact = "femasr-x4"
    arch = "FeMaSR"
    extra_arch = True
    defaults = {"tile": 240, "tile_overlap": 16, "tile_blend": "crop", "param_key": "params"}
    extra_defaults = {"max_size": 600}
    fixed = {"pad": f"flip to (h//{PAD_MULTIPLE}+1)*{PAD_MULTIPLE} per call", "rounding": "round"}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        if importlib.util.find_spec("spandrel_extra_arches") is None:
            raise MethodNotAvailableError(
                "femasr needs the optional package spandrel_extra_arches (FeMaSR's architecture code is "
                f"CC BY-NC-SA 4.0, so it is not installed by default); install it with: {INSTALL}"
            )
        super().__init__(device=device, **params)
        size = self.options["max_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"{self.name}: max_size must be an integer >= 0, got {size!r}")

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        # FeMaSRNet.test(): flip-pad each call, run encode_and_decode, crop back
        h, w = x.shape[-2:]
        return self.net(flip_pad(x, PAD_MULTIPLE))[..., : h * self.scale, : w * self.scale]

    def _procedure(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h * w < self.options["max_size"] ** 2:
            return self._forward(x)
        return tiled_forward(self._forward, x, self.scale, self.tiling)
