"""LDM x4 super-resolution (Rombach et al., CVPR 2022) through diffusers' ``LDMSuperResolutionPipeline``.

Weights: the ``ldm-sr-4x`` artifact, ``CompVis/ldm-super-resolution-4x-openimages`` (trained on
OpenImages with bicubic degradations). StableSR's Table 1 "LDM" row used LDM weights fine-tuned
by the StableSR authors, which are not published; tables label this row "OpenImages LDM".

Official procedure (the model card and the pipeline's docstring example):
``pipeline(low_res_img, num_inference_steps=100, eta=1)``: DDIM from the repo's scheduler
config, 100 steps, eta 1, fp32, output ``round((clamp(x, -1, 1) / 2 + 0.5) * 255)``. The pipeline
rounds the input down to a multiple of 32 with a Lanczos resize; we reflect-pad to the multiple
instead (its resize is then a no-op) and crop the x4 output back, so it stays pixel-aligned with
the ground truth (:mod:`baselines.diffusion_io`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from baselines.base import METHODS, Method
from baselines.diffusion_io import (
    from_pretrained,
    pad_to_multiple,
    seeded_global_rng,
    to_uint8,
)
from baselines.options import effective_dtype, resolve_options

logger = logging.getLogger(__name__)

#: model card: ``pipeline(low_res_img, num_inference_steps=100, eta=1)``; fp32 (no torch_dtype)
DEFAULTS: dict[str, Any] = {"steps": 100, "eta": 1.0, "dtype": "fp32"}
#: ``pipeline_latent_diffusion_superresolution.preprocess``: "resize to integer multiple of 32"
SIZE_MULTIPLE = 32


@METHODS.register("ldm")
class LDMMethod(Method):
    """OpenImages LDM x4 (``CompVis/ldm-super-resolution-4x-openimages``), the model card's settings.

    Params: ``steps`` (100), ``eta`` (1.0, DDIM), ``dtype`` (``fp32``; ``auto`` = fp16 on CUDA).
    """

    name = "ldm"
    scale = 4
    stochastic = True
    weights = ("ldm-sr-4x",)
    version = "1"

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        self.options = resolve_options(self.name, DEFAULTS, params)
        self.options["dtype"] = effective_dtype(self.options["dtype"], device)  # the key has no device
        if int(self.options["steps"]) < 1:
            raise ValueError(f"{self.name}: steps must be >= 1, got {self.options['steps']}")

    @property
    def label(self) -> str:
        return "OpenImages LDM"

    def load(self) -> None:
        from diffusers import LDMSuperResolutionPipeline

        from pasd import hub
        from pasd.pipeline.build import parse_dtype

        dtype = parse_dtype(self.options["dtype"], self.device)
        # the repo ships PyTorch .bin weights only; saying so skips a failed safetensors lookup
        pipe = from_pretrained(
            LDMSuperResolutionPipeline, hub.resolve("ldm-sr-4x"), dtype, use_safetensors=False
        )
        self.pipe = pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        import torch
        from PIL import Image

        h, w = image.shape[:2]
        padded = Image.fromarray(pad_to_multiple(image, SIZE_MULTIPLE))
        # a CPU generator gives the same starting noise on every device
        generator = torch.Generator("cpu").manual_seed(int(seed or 0))
        with seeded_global_rng(int(seed or 0), self.device):
            out = self.pipe(
                padded, num_inference_steps=int(self.options["steps"]), eta=float(self.options["eta"]),
                generator=generator, output_type="np",
            ).images[0]  # fmt: skip
        return to_uint8(out)[: h * self.scale, : w * self.scale]
