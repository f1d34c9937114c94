"""InstructPix2Pix on the personalized base model (Table 2, "Instruct-Pix2Pix").

diffusers ``StableDiffusionInstructPix2PixPipeline`` with the repository's scheduler (Euler
ancestral, as ``edit_cli.py`` samples) and ``edit_cli.py``'s settings: 100 steps, text guidance
7.5, image guidance 1.5, input fitted to ~512 px (:func:`baselines.sd_stylize.fit_image`),
output saved by truncation (:func:`baselines.sd_stylize.to_uint8`). An empty instruction
returns the fitted input, as ``edit_cli.py`` does. The sampler's noise draws are diffusers',
not k-diffusion's, so a seed does not give ``edit_cli.py``'s exact pixels.

Its UNet has 8 input channels, so the personalized model is merged in by add-difference
(:func:`baselines.ip2p_merge.add_difference`: ip2p + multiplier * (style - sd15)). A full
single-file style model's VAE and text encoder replace InstructPix2Pix's, as for the other
methods. (Replacing equals adding the text encoder's difference only if InstructPix2Pix kept
SD1.5's text encoder frozen; we did not verify that against the released weights.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.base import METHODS
from baselines.sd_stylize import RESOLUTION, DiffusersStylizer, fit_image, to_uint8


@METHODS.register("instructpix2pix")
class InstructPix2PixMethod(DiffusersStylizer):
    """InstructPix2Pix merged with ``style_model``; ``instruction`` is preset data.

    The default instruction is ours (the paper does not print the one it used).
    """

    name = "instructpix2pix"
    weights = ("instruct-pix2pix", "sd15")
    base_weights = ("instruct-pix2pix", "sd15")
    defaults: dict[str, Any] = {
        "style_model": None, "instruction": "turn it into a cartoon", "negative_prompt": "", "steps": 100,
        "cfg": 7.5, "image_cfg": 1.5, "merge_multiplier": 1.0, "resolution": RESOLUTION, "dtype": "auto",
    }  # fmt: skip

    def build_pipeline(self):
        from diffusers import StableDiffusionInstructPix2PixPipeline, UNet2DConditionModel

        from baselines.ip2p_merge import add_difference
        from baselines.style_model import (
            load_ldm_text_encoder,
            load_ldm_vae,
            load_unet_weights,
            resolve_style_model,
        )
        from pasd import hub
        from pasd.pipeline.personalize import load_base_unet_state

        pipe = StableDiffusionInstructPix2PixPipeline.from_pretrained(
            str(hub.resolve("instruct-pix2pix")), safety_checker=None, requires_safety_checker=False,
            torch_dtype=self.torch_dtype(),
        )  # fmt: skip
        base = UNet2DConditionModel.from_pretrained(str(hub.resolve("sd15")), subfolder="unet")
        style_path = resolve_style_model(self.options["style_model"])
        style, ldm_checkpoint = load_base_unet_state(style_path, base.config)
        merged = add_difference(
            pipe.unet.state_dict(), style, base.state_dict(), self.options["merge_multiplier"]
        )
        load_unet_weights(pipe.unet, merged, source=style_path)
        if ldm_checkpoint is not None:
            load_ldm_vae(pipe.vae, ldm_checkpoint)
            load_ldm_text_encoder(pipe.text_encoder, ldm_checkpoint, source=style_path)
        return pipe

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        o = self.options
        fitted = fit_image(image, o["resolution"])
        if o["instruction"] == "":
            return np.asarray(fitted)
        out = self.pipe(
            prompt=o["instruction"], negative_prompt=o["negative_prompt"] or None, image=fitted,
            num_inference_steps=o["steps"], guidance_scale=o["cfg"], image_guidance_scale=o["image_cfg"],
            generator=self.generator(seed), output_type="np",
        )  # fmt: skip
        return to_uint8(out.images, "truncate")
