"""AnimeGAN row of Table 2, run with the AnimeGANv2 PyTorch port's released generators.

Two differences from the paper, both shown wherever the row appears: the paper cites AnimeGAN
(v1, Chen et al. 2020) and retrained it on ToonYou outputs; no such weights exist, so this runs
the released AnimeGANv2 generators of bryandlee/animegan2-pytorch ("(released weights)").
The generator is called directly, as the port's ``test.py`` does (``face2paint`` would centre-crop
every input to a square): :func:`baselines.gan_stylizers.stylize_animegan`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.base import METHODS, Method
from baselines.gan_stylizers import RELEASED_WEIGHTS_NOTE, load_generator, stylize_animegan
from baselines.options import check_choice, resolve_options

#: style param -> the port's weight file stem
STYLES = {
    "paprika": "paprika",
    "face-paint-512-v1": "face_paint_512_v1",
    "face-paint-512-v2": "face_paint_512_v2",
    "celeba-distill": "celeba_distill",
}
VERSION_NOTE = "AnimeGANv2 (PyTorch port) weights; the paper cites AnimeGAN v1"


@METHODS.register("animegan")
class AnimeGANMethod(Method):
    """AnimeGANv2 generator, the port's ``test.py`` procedure.

    Params:
        style: ``paprika`` (test.py's default checkpoint), ``face-paint-512-v1``,
            ``face-paint-512-v2`` (hubconf's default) or ``celeba-distill``.
        upsample_align: ``align_corners`` in the decoder's upsampling (test.py default False).
        x32: resize to multiples of 32 first (test.py ``--x32``; default off).
    """

    name = "animegan"
    task = "stylization"
    scale = 1
    weights = ("animeganv2-paprika",)
    note = f"{VERSION_NOTE}; {RELEASED_WEIGHTS_NOTE}"
    defaults = {"style": "paprika", "upsample_align": False, "x32": False}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        self.options = resolve_options(self.name, self.defaults, params)
        check_choice(self.name, "style", self.options["style"], STYLES)
        for key in ("upsample_align", "x32"):
            if not isinstance(self.options[key], bool):
                raise TypeError(f"{self.name}: {key} must be true or false, got {self.options[key]!r}")
        self.weights = (f"animeganv2-{self.options['style']}",)

    @property
    def label(self) -> str:
        return f"{self.name} (released weights)"

    def load(self) -> None:
        from baselines.archs import AnimeGANv2Generator
        from pasd import hub

        self.net = load_generator(AnimeGANv2Generator(), hub.resolve_file(self.weights[0]), self.device)

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        o = self.options
        return stylize_animegan(self.net, image, o["upsample_align"], o["x32"], self.device)
