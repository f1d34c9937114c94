"""What the three Table 2 diffusion baselines share: the style model, input sizing, seeds, bytes out.

The adapters (``sd_img2img_adapter``, ``controlnet_adapter``, ``instructpix2pix_adapter``)
each build one diffusers pipeline on the personalized base model (:mod:`baselines.style_model`)
and differ only in what they feed it.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np

from baselines.base import Method
from baselines.options import effective_dtype, resolve_options
from baselines.style_model import check_style_model

#: the default working resolution: SD1.5's training size
RESOLUTION = 512


def fit_size(width: int, height: int, resolution: int = RESOLUTION) -> tuple[int, int]:
    """InstructPix2Pix ``edit_cli.py``'s working size: long side ~``resolution``, sides multiples of 64.

    ``factor = resolution / max(w, h)``, raised so the short side is a whole multiple of 64, then
    each side floored to a multiple of 64.

    Example:
        >>> fit_size(1024, 1024)
        (512, 512)
        >>> fit_size(2040, 1356)  # the short side is rounded up first, so the long side can pass 512
        (576, 384)
    """
    factor = resolution / max(width, height)
    factor = math.ceil(min(width, height) * factor / 64) * 64 / min(width, height)
    return int((width * factor) // 64) * 64, int((height * factor) // 64) * 64


def fit_image(image: np.ndarray, resolution: int = RESOLUTION):
    """The input as ``edit_cli.py`` prepares it: ``ImageOps.fit`` (centre crop to the aspect) to :func:`fit_size`, Lanczos.

    The short side is always at least 64 px (it is rounded up to a multiple of 64).

    Returns:
        A PIL RGB image.
    """
    from PIL import Image, ImageOps

    pil = Image.fromarray(image)
    return ImageOps.fit(pil, fit_size(pil.width, pil.height, resolution), method=Image.Resampling.LANCZOS)


def to_uint8(images: np.ndarray, rounding: Literal["round", "truncate"]) -> np.ndarray:
    """A pipeline's ``output_type="np"`` image (float in [0, 1]) as uint8.

    ``round`` is diffusers' ``numpy_to_pil`` (what a pipeline's PIL output holds); ``truncate`` is
    ``x.type(torch.uint8)`` on ``255 * x``, what InstructPix2Pix's ``edit_cli.py`` saves.
    """
    x = np.clip(np.asarray(images[0], dtype=np.float32), 0.0, 1.0) * 255
    return (x.round() if rounding == "round" else x).astype(np.uint8)


class DiffusersStylizer(Method):
    """Shared adapter for the diffusion baselines: options, style model, lazy pipeline, seeded generator.

    Subclasses set ``defaults`` (every option with its default), ``base_weights`` and write
    :meth:`build_pipeline` and :meth:`_process`.
    """

    task = "stylization"
    scale = 1
    stochastic = True
    shared_params: ClassVar[tuple[str, ...]] = ("style_model",)
    defaults: ClassVar[dict[str, Any]] = {}
    base_weights: ClassVar[tuple[str, ...]] = ("sd15",)

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        self.options = resolve_options(self.name, self.defaults, params)
        style = check_style_model(self.name, self.options["style_model"])
        self.options["style_model"] = str(self.options["style_model"])  # a Path param records as text
        self.options["dtype"] = effective_dtype(self.options["dtype"], device)  # the key has no device
        res = self.options["resolution"]
        if not isinstance(res, int) or isinstance(res, bool) or res < 64:
            raise ValueError(f"{self.name}: resolution must be an int >= 64, got {res!r}")
        self.weights = tuple(dict.fromkeys(self.extra_weights() + style))

    def extra_weights(self) -> tuple[str, ...]:
        """Artifacts besides the style model (may depend on options, e.g. the ControlNet type)."""
        return self.base_weights

    def torch_dtype(self):
        from pasd.pipeline.build import parse_dtype

        return parse_dtype(self.options["dtype"], self.device)

    def load(self) -> None:
        self.pipe = self.build_pipeline().to(self.device)
        self.pipe.set_progress_bar_config(disable=True)

    def build_pipeline(self):  # pragma: no cover - abstract in spirit, every subclass writes it
        raise NotImplementedError

    @staticmethod
    def generator(seed: int | None):
        import torch

        # a CPU generator: the same seed gives the same noise on every device
        return torch.Generator("cpu").manual_seed(int(seed or 0))
