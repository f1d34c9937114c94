"""Gaussian and Poisson noise with explicit parameters and an explicit generator.

Same arithmetic and the same random draws, in the same order, as basicsr's
``generate_gaussian_noise_pt`` / ``generate_poisson_noise_pt`` for one image, but from a
``torch.Generator`` instead of the global RNG (tests prove equality under the same seed).
The noise is drawn on the CPU and moved to the image's device, so CPU and GPU runs get the same
noise (``torch.Generator`` streams differ between devices).
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.transforms.functional import rgb_to_grayscale


def _generator(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(int(seed))


def gaussian_noise(img: torch.Tensor, sigma: float, gray: bool, seed: int) -> torch.Tensor:
    """Gaussian noise for one image ``(1, C, H, W)`` in [0, 1]; ``sigma`` is on the 0-255 scale.

    Gray noise is one field shared by all channels. basicsr draws the gray field first and then a
    colour field it throws away for gray images; the gray field is the first draw either way.
    """
    if img.dim() != 4 or img.size(0) != 1:
        raise ValueError(f"expected one image of shape (1, C, H, W), got {tuple(img.shape)}")
    gen = _generator(seed)
    _, c, h, w = img.shape
    shape = (h, w) if gray else (1, c, h, w)
    noise = torch.randn(*shape, generator=gen, dtype=img.dtype) * sigma / 255.0
    if gray:
        noise = noise.view(1, 1, h, w).expand(1, c, h, w)
    return noise.to(img.device)


def _shot(img: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    # basicsr: quantise to 8 bit, count distinct levels, use the next power of two as photon count
    levels = torch.clamp((img * 255.0).round(), 0, 255)
    img = levels / 255.0
    # distinct 8-bit levels, as basicsr's len(torch.unique(img)) but by counting, not sorting
    count = int(torch.bincount(levels.flatten().to(torch.int64), minlength=256).count_nonzero())
    vals = float(2 ** np.ceil(np.log2(count)))
    return torch.poisson(img * vals, generator=gen) / vals - img


def poisson_noise(img: torch.Tensor, scale: float, gray: bool, seed: int) -> torch.Tensor:
    """Poisson (shot) noise for one image ``(1, C, H, W)`` in [0, 1], multiplied by ``scale``."""
    if img.dim() != 4 or img.size(0) != 1:
        raise ValueError(f"expected one image of shape (1, C, H, W), got {tuple(img.shape)}")
    gen = _generator(seed)
    cpu = img.detach().to("cpu")
    if gray:
        noise = _shot(rgb_to_grayscale(cpu, num_output_channels=1), gen).expand_as(cpu)
    else:
        noise = _shot(cpu, gen)
    return (noise * scale).to(img.device)


def add_noise(img: torch.Tensor, spec: dict) -> torch.Tensor:
    """Add the noise described by a recorded spec and clip to [0, 1] (as Real-ESRGAN)."""
    if spec["type"] == "gaussian":
        noise = gaussian_noise(img, spec["sigma"], spec["gray"], spec["seed"])
    elif spec["type"] == "poisson":
        noise = poisson_noise(img, spec["scale"], spec["gray"], spec["seed"])
    else:
        raise KeyError(f"unknown noise type {spec['type']!r}; allowed: ['gaussian', 'poisson']")
    return torch.clamp(img + noise, 0, 1)
