"""ControlNet on the personalized base model (Table 2, "ControlNet").

diffusers ``StableDiffusionControlNetImg2ImgPipeline`` with its defaults (strength 0.8, 50
steps, guidance 7.5, conditioning scale 0.8) on SD1.5 + ``style_model``. The paper does not
name its control type; ``control`` picks it and the table footnote shows it:

* ``tile`` (default): ControlNet v1.1 tile (``control_v11f1e_sd15_tile``), the fitted input as
  the control image;
* ``canny``: ControlNet v1.1 canny (``control_v11p_sd15_canny``), ``cv2.Canny`` edges of the
  fitted input (thresholds ``canny_low``/``canny_high``, the diffusers docs' 100/200).

Input sizing and output bytes as in :mod:`baselines.sd_img2img_adapter`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.base import METHODS
from baselines.options import check_choice
from baselines.sd_stylize import RESOLUTION, DiffusersStylizer, fit_image, to_uint8
from baselines.style_model import apply_style_model

#: control type -> pasd.hub artifact of its ControlNet
CONTROLS = {"tile": "controlnet-tile", "canny": "controlnet-canny"}


def canny_control(image, low: int, high: int):
    """A 3-channel Canny edge map of a PIL image (``cv2.Canny`` on RGB, as the diffusers ControlNet docs do)."""
    import cv2
    from PIL import Image

    edges = cv2.Canny(np.asarray(image), low, high)
    return Image.fromarray(np.stack([edges] * 3, axis=2))


@METHODS.register("controlnet")
class ControlNetMethod(DiffusersStylizer):
    """ControlNet (tile or canny) img2img over ``style_model``."""

    name = "controlnet"
    weights = ("sd15", "controlnet-tile")
    defaults: dict[str, Any] = {
        "style_model": None, "control": "tile", "prompt": "", "negative_prompt": "", "strength": 0.8,
        "steps": 50, "cfg": 7.5, "conditioning_scale": 0.8, "canny_low": 100, "canny_high": 200,
        "resolution": RESOLUTION, "dtype": "auto",
    }  # fmt: skip

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        check_choice(self.name, "control", params.get("control", "tile"), CONTROLS)
        super().__init__(device=device, **params)

    def extra_weights(self) -> tuple[str, ...]:
        return ("sd15", CONTROLS[self.options["control"]])

    def build_pipeline(self):
        from diffusers import ControlNetModel, StableDiffusionControlNetImg2ImgPipeline

        from pasd import hub

        dtype = self.torch_dtype()
        controlnet = ControlNetModel.from_pretrained(
            str(hub.resolve(CONTROLS[self.options["control"]])), torch_dtype=dtype
        )
        pipe = StableDiffusionControlNetImg2ImgPipeline.from_pretrained(
            str(hub.resolve("sd15")), controlnet=controlnet, safety_checker=None, requires_safety_checker=False,
            torch_dtype=dtype,
        )  # fmt: skip
        apply_style_model(pipe, self.options["style_model"])
        return pipe

    def control_image(self, fitted):
        """The control image for the fitted input: itself (tile) or its Canny edges."""
        o = self.options
        return fitted if o["control"] == "tile" else canny_control(fitted, o["canny_low"], o["canny_high"])

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        o = self.options
        fitted = fit_image(image, o["resolution"])
        out = self.pipe(
            prompt=o["prompt"], negative_prompt=o["negative_prompt"] or None, image=fitted,
            control_image=self.control_image(fitted), strength=o["strength"], num_inference_steps=o["steps"],
            guidance_scale=o["cfg"], controlnet_conditioning_scale=o["conditioning_scale"],
            generator=self.generator(seed), output_type="np",
        )  # fmt: skip
        return to_uint8(out.images, "round")
