"""CartoonGAN (Chen et al., CVPR 2018) with the authors' released generators (Table 2, GAN row).

The paper retrained CartoonGAN on ToonYou outputs and released nothing; these are the original
Hayao / Hosoda / Paprika / Shinkai generators, so every table and figure marks the row
"(released weights)". Procedure: CartoonGAN-Test-Pytorch-Torch ``test.py``
(:func:`baselines.gan_stylizers.stylize_cartoongan`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baselines.base import METHODS, Method
from baselines.gan_stylizers import RELEASED_WEIGHTS_NOTE, load_generator, stylize_cartoongan
from baselines.options import check_choice, resolve_options

#: style param -> the released file's style name (``<Style>_net_G_float.pth``)
STYLES = {"hayao": "Hayao", "hosoda": "Hosoda", "paprika": "Paprika", "shinkai": "Shinkai"}


@METHODS.register("cartoongan")
class CartoonGANMethod(Method):
    """CartoonGAN generator, official test procedure.

    Params:
        style: ``hayao`` (test.py's default), ``hosoda``, ``paprika`` or ``shinkai``.
        load_size: the long side the input is resized to (test.py's default 450).
    """

    name = "cartoongan"
    task = "stylization"
    scale = 1
    weights = ("cartoongan-hayao",)
    note = RELEASED_WEIGHTS_NOTE
    defaults = {"style": "hayao", "load_size": 450}

    def __init__(self, device: str = "cpu", **params: Any) -> None:
        super().__init__(device=device, **params)
        self.options = resolve_options(self.name, self.defaults, params)
        check_choice(self.name, "style", self.options["style"], STYLES)
        size = self.options["load_size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 8:
            raise ValueError(f"{self.name}: load_size must be an int >= 8, got {size!r}")
        self.weights = (f"cartoongan-{self.options['style']}",)

    @property
    def label(self) -> str:
        return f"{self.name} (released weights)"

    def load(self) -> None:
        from baselines.archs import CartoonGANGenerator
        from pasd import hub

        self.net = load_generator(CartoonGANGenerator(), hub.resolve_file(self.weights[0]), self.device)

    def _process(self, image: np.ndarray, seed: int | None) -> np.ndarray:
        return stylize_cartoongan(self.net, image, self.options["load_size"], self.device)
