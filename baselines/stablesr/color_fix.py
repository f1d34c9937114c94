"""StableSR's colour correction (``scripts/wavelet_color_fix.py``), applied in [-1, 1] before clamping.

The official script corrects the decoded output towards the (upsampled, padded) LQ while both are
still in [-1, 1] and unclamped; :mod:`pasd.pipeline.color_fix` works on [0, 1] images and clamps,
and its variance ``eps`` then acts on a 4x smaller variance, so the formulas are restated here in
the official form. ``adain`` (the paper's choice) matches per-channel mean and std (unbiased
variance + 1e-5); ``wavelet`` keeps the output's high frequencies over 5 a-trous levels and takes
the LQ's residual low frequencies.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from baselines.stablesr.settings import COLOR_FIXES, ColorFix


def _mean_std(x: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    flat = x.reshape(*x.shape[:2], -1)
    return flat.mean(dim=2)[..., None, None], (flat.var(dim=2) + eps).sqrt()[..., None, None]


def adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """``content`` with the per-channel mean/std of ``style`` (official ``adaptive_instance_normalization``)."""
    s_mean, s_std = _mean_std(style)
    c_mean, c_std = _mean_std(content)
    return (content - c_mean) / c_std * s_std + s_mean


def _blur(x: torch.Tensor, radius: int) -> torch.Tensor:
    k = torch.tensor(
        [[0.0625, 0.125, 0.0625], [0.125, 0.25, 0.125], [0.0625, 0.125, 0.0625]],
        dtype=x.dtype,
        device=x.device,
    )
    x = F.pad(x, (radius,) * 4, mode="replicate")
    return F.conv2d(x, k[None, None].repeat(3, 1, 1, 1), groups=3, dilation=radius)


def _decompose(x: torch.Tensor, levels: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    high = torch.zeros_like(x)
    for i in range(levels):
        low = _blur(x, 2**i)
        high += x - low  # accumulated level by level, as the official sum (not x - final low)
        x = low
    return high, x


def wavelet(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """``content``'s high frequencies plus ``style``'s low ones (official ``wavelet_reconstruction``)."""
    return _decompose(content)[0] + _decompose(style)[1]


def apply_color_fix(output: torch.Tensor, lq: torch.Tensor, mode: ColorFix) -> torch.Tensor:
    """Dispatch on the official ``--colorfix_type``.

    Raises:
        ValueError: For an unknown mode.
    """
    if mode == "adain":
        return adain(output, lq)
    if mode == "wavelet":
        return wavelet(output, lq)
    if mode == "nofix":
        return output
    raise ValueError(f"color fix {mode!r} is not one of {COLOR_FIXES}")
