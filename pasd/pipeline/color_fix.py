"""Colour correction of a diffusion output towards its LQ input (PASD applies wavelet after every SR).

Diffusion models drift in colour; PASD (following StableSR's colour fix by Li Yi) keeps the
output's high frequencies and takes the low frequencies (colour, illumination) from the
upscaled LQ. ``adain`` matches per-channel mean/std instead.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

ColorFix = Literal["wavelet", "adain", "none"]
COLOR_FIXES: tuple[str, ...] = ("wavelet", "adain", "none")
#: 5 levels of the a-trous ("with holes") B3-like 3x3 binomial blur, dilations 1, 2, 4, 8, 16
WAVELET_LEVELS = 5


def _binomial_blur(image: torch.Tensor, dilation: int) -> torch.Tensor:
    """3x3 [1, 2, 1]^T [1, 2, 1] / 16 blur with holes; replicate padding keeps borders unbiased."""
    c = image.shape[1]
    k1 = torch.tensor([0.25, 0.5, 0.25], dtype=image.dtype, device=image.device)
    kernel = (k1[:, None] * k1[None, :]).expand(c, 1, 3, 3)
    padded = F.pad(image, (dilation,) * 4, mode="replicate")
    return F.conv2d(padded, kernel, groups=c, dilation=dilation)


def wavelet_split(image: torch.Tensor, levels: int = WAVELET_LEVELS) -> tuple[torch.Tensor, torch.Tensor]:
    """Split ``(B, C, H, W)`` into ``(high, low)`` with ``high + low == image``.

    Args:
        image: Float tensor.
        levels: Number of a-trous levels (dilation ``2**i`` at level ``i``).

    Returns:
        ``(high_frequencies, low_frequencies)``.
    """
    low = image
    for i in range(levels):
        low = _binomial_blur(low, 2**i)
    return image - low, low


def wavelet_color_fix(output: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Low frequencies of ``reference`` plus high frequencies of ``output`` (same shape, [0, 1]).

    Returns:
        The corrected image, clamped to [0, 1].
    """
    _check_pair(output, reference)
    high, _ = wavelet_split(output)
    _, low = wavelet_split(reference)
    return (high + low).clamp(0.0, 1.0)


def adain_color_fix(output: torch.Tensor, reference: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Give ``output`` the per-channel mean and std of ``reference`` (adaptive instance norm).

    Returns:
        The corrected image, clamped to [0, 1].
    """
    _check_pair(output, reference)
    dims = (2, 3)
    # unbiased variance as torch.var's default, the same statistic the official colour fix uses
    o_mean, o_std = output.mean(dims, keepdim=True), (output.var(dims, keepdim=True) + eps).sqrt()
    r_mean, r_std = reference.mean(dims, keepdim=True), (reference.var(dims, keepdim=True) + eps).sqrt()
    return ((output - o_mean) / o_std * r_std + r_mean).clamp(0.0, 1.0)


def apply_color_fix(
    output: torch.Tensor, reference: torch.Tensor, mode: ColorFix = "wavelet"
) -> torch.Tensor:
    """Dispatch on ``mode`` (``wavelet``, ``adain`` or ``none``).

    Raises:
        ValueError: For an unknown mode or mismatched shapes.
    """
    if mode == "wavelet":
        return wavelet_color_fix(output, reference)
    if mode == "adain":
        return adain_color_fix(output, reference)
    if mode == "none":
        return output
    raise ValueError(f"color fix {mode!r} is not one of {COLOR_FIXES}")


def _check_pair(output: torch.Tensor, reference: torch.Tensor) -> None:
    if output.ndim != 4 or output.shape != reference.shape:
        raise ValueError(
            f"colour fix needs two (B, C, H, W) tensors of one shape, got {tuple(output.shape)} "
            f"and {tuple(reference.shape)}"
        )
