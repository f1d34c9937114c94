"""StableSR (Wang et al., IJCV 2024) behind the :class:`~baselines.base.Method` interface.

Our diffusers port (:mod:`baselines.stablesr`) of IceClear/StableSR loads the released files
strictly and runs the official canvas-tile sampler. ``stablesr`` is the paper's setting (Table 1
baseline): ``stablesr_000117.ckpt`` + ``vqgan_cfw_00011.ckpt``, DDPM 200 steps, ``dec_w`` 0.5,
AdaIN colour fix, seed 42, ``input_size`` 512, latent tiles 64/overlap 32, VAE patches 1280/1000.
``stablesr-turbo`` is the README's SD-Turbo variant: ``stablesr_turbo.ckpt``, 4 steps, wavelet fix.

The official script's own defaults differ (1000 steps, no colour fix, 2 samples per batch); the
values here are the paper's/README's commands, and the presets repeat them as data.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from baselines.base import METHODS, Method

logger = logging.getLogger(__name__)

#: every param a StableSR method accepts (the sampling flags plus where the weights come from)
_PARAMS = (
    "steps", "dec_w", "color_fix", "input_size", "tile_overlap", "vae_tile_size", "vae_tile_stride",
    "tile_batch", "precision", "seed_offset", "model_config",
)  # fmt: skip
_DEFAULTS: dict[str, Any] = {
    "steps": 200, "dec_w": 0.5, "color_fix": "adain", "input_size": 512, "tile_overlap": 32,
    "vae_tile_size": 1280, "vae_tile_stride": 1000, "tile_batch": 1, "precision": "autocast",
    # the script's --seed 42; the runner's seed s samples with 42 + s
    "seed_offset": 42,
    # JSON architecture file (see baselines.stablesr.configs); None = the released size
    "model_config": None,
}  # fmt: skip


class _StableSRMethod(Method):
    """Shared adapter: strict release loading on first use, one image per call."""

    stochastic = True
    scale = 4
    allowed_params = _PARAMS
    version = "1"
    #: pasd.hub artifact holding the diffusion checkpoint
    release: ClassVar[str] = "stablesr"
    #: this variant's defaults over :data:`_DEFAULTS`
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)  # refuses params not in _PARAMS
        self.options = {**_DEFAULTS, **self.defaults, **params}
        # what the device makes of the settings, since the cache key has no device: autocast is
        # fp16 on CUDA only; a relative architecture file is named absolutely (its content is keyed)
        if self.options["precision"] == "autocast" and not str(device).startswith("cuda"):
            self.options["precision"] = "full"
        if self.options["model_config"]:
            self.options["model_config"] = str(Path(self.options["model_config"]).expanduser().resolve())
        from baselines.stablesr.settings import StableSRSettings

        self.settings = StableSRSettings(
            **{k: self.options[k] for k in StableSRSettings.names() if k != "upscale"}, upscale=self.scale
        )
        self.settings.check()  # bad flags fail at planning time, not after loading 7 GB

    def load(self) -> None:
        from baselines.stablesr.configs import load_config
        from baselines.stablesr.loading import load_stablesr
        from baselines.stablesr.pipeline import StableSRPipeline
        from pasd import hub

        ckpt = hub.resolve_file(self.release)
        cfw = hub.resolve_file("stablesr-cfw")
        models = load_stablesr(ckpt, cfw, load_config(self.options["model_config"]))
        self.pipe = StableSRPipeline(models, self.device)

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        out = self.pipe(image, int(seed or 0) + int(self.options["seed_offset"]), self.settings)
        return _exact_size(out, image.shape[0] * self.scale, image.shape[1] * self.scale)


def _exact_size(out: np.ndarray, h: int, w: int) -> np.ndarray:
    """Crop what the official script leaves beyond ``scale x`` the input (its padding, in the
    ``short side < input_size / upscale`` case); resize if its int() rounding fell one pixel short."""
    if out.shape[0] >= h and out.shape[1] >= w:
        return np.ascontiguousarray(out[:h, :w])
    from PIL import Image

    logger.warning("StableSR output %s is smaller than %dx%d; resizing (bicubic)", out.shape[:2], h, w)
    return np.asarray(Image.fromarray(out).resize((w, h), Image.BICUBIC))


@METHODS.register("stablesr")
class StableSRMethod(_StableSRMethod):
    """StableSR as in the paper: 200 DDPM steps, dec_w 0.5, AdaIN colour fix, seed 42."""

    name = "stablesr"
    weights = ("stablesr", "stablesr-cfw")


@METHODS.register("stablesr-turbo")
class StableSRTurboMethod(_StableSRMethod):
    """StableSR-Turbo (SD-Turbo based): 4 DDPM steps, wavelet colour fix, otherwise as ``stablesr``."""

    name = "stablesr-turbo"
    weights = ("stablesr-turbo", "stablesr-cfw")
    release = "stablesr-turbo"
    defaults = {"steps": 4, "color_fix": "wavelet"}
