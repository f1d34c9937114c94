"""InstructPix2Pix on the personalized base model (Table 2, "Instruct-Pix2Pix").

diffusers ``StableDiffusionInstructPix2PixPipeline`` sampled as ``edit_cli.py`` samples, with
``edit_cli.py``'s settings: 100 steps, text guidance 7.5, image guidance 1.5, input fitted to
~512 px (:func:`baselines.sd_stylize.fit_image`), output saved by truncation
(:func:`baselines.sd_stylize.to_uint8`). An empty instruction returns the fitted input, as
``edit_cli.py`` does.

The sampler: ``edit_cli.py`` runs k-diffusion's ``sample_euler_ancestral`` on
``CompVisDenoiser.get_sigmas(steps)``; diffusers' ``EulerAncestralDiscreteScheduler`` with
``timestep_spacing="linspace"`` (set here, whatever the repository ships) takes the same steps
and, from the same CPU seed, the same noise draws in the same order. Its sigmas are interpolated
linearly between training steps where k-diffusion's are log-linear (at most 8.5e-5 relative at
100 steps): on the tiny test model the final latents equal ``edit_cli.py``'s to 6e-4 (latents of
mean magnitude 34; 1e-3 grey levels after decoding; ``tests/baselines/test_ip2p_sampler.py``).
``edit_cli.py`` on a GPU draws from the CUDA generator, where ours is a CPU generator on every
device, so GPU outputs differ from a GPU run of ``edit_cli.py`` by that noise.

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
        from diffusers import (
            EulerAncestralDiscreteScheduler,
            StableDiffusionInstructPix2PixPipeline,
            UNet2DConditionModel,
        )

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
        pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(
            pipe.scheduler.config, timestep_spacing="linspace"
        )
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
