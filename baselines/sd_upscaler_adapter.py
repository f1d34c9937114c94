"""Stable Diffusion x4 upscaler through diffusers' ``StableDiffusionUpscalePipeline``, tiled above 128 px.

Weights: the ``sd-x4-upscaler`` artifact (``stabilityai/stable-diffusion-x4-upscaler``).

Official procedure (the pipeline's defaults, which the model card's example uses):
75 DDIM steps (v-prediction, the repo's scheduler config), classifier-free guidance 9.0 with an
empty negative prompt, the low-res image noised to ``noise_level`` 20 by the repo's DDPM
``low_res_scheduler``, eta 0, VAE decoding in fp32 (the pipeline upcasts an fp16 VAE because
fp16 overflows; we load the VAE in fp32 outright, which is what the upcast computes), output
``round(clamp(x / 2 + 0.5, 0, 1) * 255)``. The prompt is a param (default empty: benchmark images
have no caption); with the prompt equal to the negative prompt, as by default, the guided and
unguided predictions coincide and the guidance scale has no effect (the pipeline still runs both). Inputs larger than one 128-px tile are denoised with latent tiling and decoded
with a tiled VAE (:mod:`baselines.latent_tiling`; diffusers issue #1434). Inputs are reflect-padded
to the UNet's size multiple and the output cropped back (:mod:`baselines.diffusion_io`).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from baselines.base import METHODS, Method
from baselines.diffusion_io import from_pretrained, pad_to_multiple, to_uint8
from baselines.latent_tiling import DEFAULT_TILE, needs_tiling, tiled_unet, tiled_vae_decode
from baselines.options import effective_dtype, resolve_options

logger = logging.getLogger(__name__)

#: ``StableDiffusionUpscalePipeline.__call__`` defaults (num_inference_steps=75, guidance_scale=9.0,
#: noise_level=20, eta=0.0); negative prompt "" is what None encodes to
DEFAULTS: dict[str, Any] = {
    "steps": 75, "guidance": 9.0, "noise_level": 20, "eta": 0.0, "prompt": "", "negative_prompt": "",
    "dtype": "auto", "tile": DEFAULT_TILE, "tile_overlap": None, "tile_batch": 1,
}  # fmt: skip


@METHODS.register("sd-upscaler")
class SDUpscalerMethod(Method):
    """SD x4 upscaler, the pipeline's official defaults; latent + VAE tiling for inputs > ``tile`` px.

    Params: ``steps`` (75), ``guidance`` (9.0), ``noise_level`` (20), ``eta`` (0.0), ``prompt``
    (""), ``negative_prompt`` (""), ``dtype`` (``auto``: fp16 UNet/text encoder on CUDA, fp32 on
    CPU; the VAE is always fp32), ``tile`` (128 latent = input px), ``tile_overlap`` (32 = tile / 4),
    ``tile_batch`` (1 tile per UNet call). ``tile_overlap`` defaults to a quarter of ``tile``.
    """

    name = "sd-upscaler"
    scale = 4
    stochastic = True
    weights = ("sd-x4-upscaler",)
    version = "1"

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        o = self.options = resolve_options(self.name, DEFAULTS, params)
        o["dtype"] = effective_dtype(
            o["dtype"], device
        )  # the cache key has no device: fp16 vs fp32 must show
        if o["tile_overlap"] is None:  # a quarter of the tile, as diffusers' VAE tiling blends
            o["tile_overlap"] = int(o["tile"]) // 4
        for key in ("prompt", "negative_prompt"):
            if not isinstance(o[key], str):
                raise TypeError(f"{self.name}: {key} must be a string, got {type(o[key]).__name__}")
        if int(o["steps"]) < 1 or int(o["noise_level"]) < 0 or float(o["guidance"]) < 0:
            raise ValueError(
                f"{self.name}: need steps >= 1, noise_level >= 0, guidance >= 0; got {o['steps']}, "
                f"{o['noise_level']}, {o['guidance']}"
            )
        # multiples of 8 keep every tile a whole number of the released UNet's 8x downsampling
        if int(o["tile"]) < 8 or int(o["tile"]) % 8 or not 0 <= int(o["tile_overlap"]) < int(o["tile"]):
            raise ValueError(
                f"{self.name}: tile must be a multiple of 8 (>= 8) and 0 <= tile_overlap < tile; got "
                f"tile={o['tile']}, tile_overlap={o['tile_overlap']}"
            )
        if int(o["tile_batch"]) < 1:
            raise ValueError(f"{self.name}: tile_batch must be >= 1, got {o['tile_batch']}")

    def load(self) -> None:
        import torch
        from diffusers import AutoencoderKL, StableDiffusionUpscalePipeline

        from pasd import hub
        from pasd.pipeline.build import parse_dtype

        root = hub.resolve("sd-x4-upscaler")
        dtype = parse_dtype(self.options["dtype"], self.device)
        extra = {}
        if dtype != torch.float32:  # the VAE stays fp32; the pipeline casts latents to its dtype
            extra["vae"] = from_pretrained(AutoencoderKL, root, torch.float32, subfolder="vae")
        pipe = from_pretrained(StableDiffusionUpscalePipeline, root, dtype, **extra)
        self.pipe = pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        if self.pipe.vae_scale_factor != self.scale:
            raise ValueError(
                f"{self.name}: the VAE upsamples x{self.pipe.vae_scale_factor}, expected x{self.scale}"
            )
        max_level = self.pipe.config.max_noise_level
        if int(self.options["noise_level"]) > max_level:
            raise ValueError(
                f"{self.name}: noise_level must be <= {max_level}, got {self.options['noise_level']}"
            )
        unet_multiple = 2 ** (len(self.pipe.unet.config.block_out_channels) - 1)
        self.multiple = math.lcm(unet_multiple, self.pipe.vae_scale_factor)

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        import torch
        from PIL import Image

        o = self.options
        h, w = image.shape[:2]
        padded = pad_to_multiple(image, self.multiple)
        kwargs = dict(
            prompt=o["prompt"], image=Image.fromarray(padded), num_inference_steps=int(o["steps"]),
            guidance_scale=float(o["guidance"]), noise_level=int(o["noise_level"]),
            negative_prompt=o["negative_prompt"], eta=float(o["eta"]),
            generator=torch.Generator("cpu").manual_seed(int(seed or 0)), output_type="np",
        )  # fmt: skip
        tile = int(o["tile"])
        if needs_tiling(*padded.shape[:2], tile):
            with (
                tiled_unet(self.pipe.unet, tile, int(o["tile_overlap"]), int(o["tile_batch"])),
                tiled_vae_decode(self.pipe.vae, tile, self.pipe.vae_scale_factor),
            ):
                out = self.pipe(**kwargs).images[0]
        else:
            out = self.pipe(**kwargs).images[0]
        return to_uint8(out)[: h * self.scale, : w * self.scale]
