"""SD img2img on the personalized base model (Table 2, "SD image2image").

diffusers ``StableDiffusionImg2ImgPipeline`` with its own defaults (strength 0.8, 50 steps,
guidance 7.5) on SD1.5 whose UNet (and single-file VAE) is replaced by ``style_model``; the
scheduler is the base folder's. The paper gives no input size: the input is fitted as
InstructPix2Pix's ``edit_cli.py`` does (long side ~512, sides multiples of 64, Lanczos), the same
for all three diffusion baselines, and the output stays at that size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.base import METHODS
from baselines.sd_stylize import RESOLUTION, DiffusersStylizer, fit_image, to_uint8
from baselines.style_model import apply_style_model


@METHODS.register("sd-img2img")
class SDImg2ImgMethod(DiffusersStylizer):
    """SD img2img over ``style_model``; ``prompt``/``negative_prompt`` are preset data."""

    name = "sd-img2img"
    weights = ("sd15",)
    defaults: dict[str, Any] = {
        "style_model": None, "prompt": "", "negative_prompt": "", "strength": 0.8, "steps": 50, "cfg": 7.5,
        "resolution": RESOLUTION, "dtype": "auto",
    }  # fmt: skip

    def build_pipeline(self):
        from diffusers import StableDiffusionImg2ImgPipeline

        from pasd import hub

        pipe = StableDiffusionImg2ImgPipeline.from_pretrained(
            str(hub.resolve("sd15")), safety_checker=None, requires_safety_checker=False,
            torch_dtype=self.torch_dtype(),
        )  # fmt: skip
        apply_style_model(pipe, self.options["style_model"])
        return pipe

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        o = self.options
        out = self.pipe(
            prompt=o["prompt"], negative_prompt=o["negative_prompt"] or None, image=fit_image(image, o["resolution"]),
            strength=o["strength"], num_inference_steps=o["steps"], guidance_scale=o["cfg"],
            generator=self.generator(seed), output_type="np",
        )  # fmt: skip
        return to_uint8(out.images, "round")
