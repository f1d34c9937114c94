"""Interpolation baselines: the floor every Real-ISR method must beat."""

from __future__ import annotations

import numpy as np
from PIL import Image

from baselines.base import METHODS, Method


class _PILResize(Method):
    resample: int
    allowed_params = ()  # nothing to set: a typo'd param must not pass silently

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        h, w = image.shape[:2]
        out = Image.fromarray(image).resize((w * self.scale, h * self.scale), resample=self.resample)
        return np.asarray(out)


@METHODS.register("bicubic")
class BicubicMethod(_PILResize):
    """PIL bicubic upscaling (x4)."""

    name = "bicubic"
    resample = Image.BICUBIC


@METHODS.register("lanczos")
class LanczosMethod(_PILResize):
    """PIL Lanczos upscaling (x4)."""

    name = "lanczos"
    resample = Image.LANCZOS
