"""Colour correction of a diffusion output towards its LQ input (PASD applies wavelet after every SR).

Diffusion models drift in colour; PASD (following StableSR's colour fix by Li Yi) keeps the
output's high frequencies and takes the low frequencies (colour, illumination) from the
control image. ``adain`` matches per-channel mean/std instead.

The official ``test_pasd.py`` runs the fix on 8-bit images: the pipeline's PIL output (the decode
rounded to ``uint8``) and the control image, both read back as ``uint8 / 255``, and the result is
written back with ``torchvision``'s ``ToPILImage``, which *truncates* (``(x * 255).byte()``).
:func:`color_fix_uint8` reproduces that; :func:`apply_color_fix` is the float path.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

ColorFix = Literal["wavelet", "adain", "none"]
COLOR_FIXES: tuple[str, ...] = ("wavelet", "adain", "none")
#: 5 levels of the a-trous ("with holes") 3x3 binomial blur, dilations 1, 2, 4, 8, 16 (official)
WAVELET_LEVELS = 5
#: eps added to the variance in the AdaIN statistics (official ``calc_mean_std``)
ADAIN_EPS = 1e-5


def _binomial_blur(image: torch.Tensor, dilation: int) -> torch.Tensor:
    """3x3 [1, 2, 1]^T [1, 2, 1] / 16 blur with holes; replicate padding keeps borders unbiased."""
    c = image.shape[1]
    k1 = torch.tensor([0.25, 0.5, 0.25], dtype=image.dtype, device=image.device)
    kernel = (k1[:, None] * k1[None, :]).expand(c, 1, 3, 3)  # powers of two: exact in any float
    padded = F.pad(image, (dilation,) * 4, mode="replicate")
    return F.conv2d(padded, kernel, groups=c, dilation=dilation)


def wavelet_split(image: torch.Tensor, levels: int = WAVELET_LEVELS) -> tuple[torch.Tensor, torch.Tensor]:
    """Split ``(B, C, H, W)`` into ``(high, low)``; ``high + low == image`` up to float rounding.

    The high band is accumulated level by level (``sum_i (low_{i-1} - low_i)``) as the official
    ``wavelet_decomposition`` does, so the float rounding is the same as there.

    Args:
        image: Float tensor.
        levels: Number of a-trous levels (dilation ``2**i`` at level ``i``).

    Returns:
        ``(high_frequencies, low_frequencies)``.
    """
    high = torch.zeros_like(image)
    low = image
    for i in range(levels):
        blurred = _binomial_blur(low, 2**i)
        high += low - blurred
        low = blurred
    return high, low


def wavelet_color_fix(output: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Low frequencies of ``reference`` plus high frequencies of ``output`` (same shape, [0, 1]).

    Returns:
        The corrected image, clamped to [0, 1].
    """
    _check_pair(output, reference)
    high, _ = wavelet_split(output)
    _, low = wavelet_split(reference)
    return (high + low).clamp(0.0, 1.0)


def adain_color_fix(output: torch.Tensor, reference: torch.Tensor, eps: float = ADAIN_EPS) -> torch.Tensor:
    """Give ``output`` the per-channel mean and std of ``reference`` (adaptive instance norm).

    Returns:
        The corrected image, clamped to [0, 1].
    """
    _check_pair(output, reference)
    b, c = output.shape[:2]

    def stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # unbiased variance over the flattened pixels, the official calc_mean_std statistic
        flat = x.reshape(b, c, -1)
        return flat.mean(2).reshape(b, c, 1, 1), (flat.var(2) + eps).sqrt().reshape(b, c, 1, 1)

    o_mean, o_std = stats(output)
    r_mean, r_std = stats(reference)
    return ((output - o_mean) / o_std * r_std + r_mean).clamp(0.0, 1.0)


def apply_color_fix(
    output: torch.Tensor, reference: torch.Tensor, mode: ColorFix = "wavelet"
) -> torch.Tensor:
    """Dispatch on ``mode`` (``wavelet``, ``adain`` or ``none``) on float images in [0, 1].

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


def color_fix_uint8(output: np.ndarray, reference: np.ndarray, mode: ColorFix = "wavelet") -> np.ndarray:
    """The official 8-bit colour fix: ``uint8`` in, ``uint8`` out, truncating on the way back.

    Args:
        output: ``(H, W, 3)`` ``uint8`` diffusion output (already rounded from the decode).
        reference: ``(H, W, 3)`` ``uint8`` control image.
        mode: ``wavelet``, ``adain`` or ``none`` (``none`` returns ``output`` unchanged).

    Returns:
        ``(H, W, 3)`` ``uint8``: ``floor(clamp(fix(output/255, reference/255)) * 255)``.

    Raises:
        ValueError: For an unknown mode or arrays that are not matching ``uint8`` RGB.
    """
    if mode not in COLOR_FIXES:
        raise ValueError(f"color fix {mode!r} is not one of {COLOR_FIXES}")
    for name, arr in (("output", output), ("reference", reference)):
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f"{name} must be a uint8 (H, W, 3) array, got {arr.dtype} {arr.shape}")
    if mode == "none":
        return output

    def to_tensor(arr: np.ndarray) -> torch.Tensor:  # torchvision ToTensor: uint8 / 255 in float32
        return torch.from_numpy(np.array(arr)).permute(2, 0, 1)[None].float().div(255)

    fixed = apply_color_fix(to_tensor(output), to_tensor(reference), mode)[0]
    # ToPILImage: pic.mul(255).byte() -- truncation, not rounding
    return fixed.mul(255).byte().permute(1, 2, 0).numpy()


def _check_pair(output: torch.Tensor, reference: torch.Tensor) -> None:
    if output.ndim != 4 or output.shape != reference.shape:
        raise ValueError(
            f"colour fix needs two (B, C, H, W) tensors of one shape, got {tuple(output.shape)} "
            f"and {tuple(reference.shape)}"
        )
