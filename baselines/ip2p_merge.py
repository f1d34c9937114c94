"""Personalizing InstructPix2Pix by add-difference merging: ``ip2p + multiplier * (style - sd15)``.

InstructPix2Pix's UNet takes 8 input channels (4 noisy-latent + 4 input-image latents), so a
personalized SD1.5 UNet (4 channels) cannot simply replace it. Both InstructPix2Pix and the
personalized model are fine-tunes of SD1.5, so their deltas from SD1.5 can be combined: every
tensor becomes ``ip2p + m * (style - sd15)``. For ``conv_in.weight`` (``[320, 8, 3, 3]`` vs
``[320, 4, 3, 3]``) the delta is added to the first 4 input channels, the ones that see the
noisy latents; the 4 image-conditioning channels have no SD1.5 counterpart and keep
InstructPix2Pix's weights. This is the "add difference" checkpoint merge commonly used to make
InstructPix2Pix variants of community models; the paper does not say how it swapped the base.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

#: the one tensor whose shapes differ between InstructPix2Pix and SD1.5
CONV_IN = "conv_in.weight"


def add_difference(
    ip2p: Mapping[str, torch.Tensor],
    style: Mapping[str, torch.Tensor],
    base: Mapping[str, torch.Tensor],
    multiplier: float = 1.0,
) -> dict[str, torch.Tensor]:
    """Merge UNet state dicts: ``ip2p + multiplier * (style - base)``, tensor by tensor.

    Computed in float32 and cast back to each ``ip2p`` tensor's dtype.

    Args:
        ip2p: InstructPix2Pix UNet weights (diffusers names).
        style: the personalized SD1.5 UNet's weights (same names as ``base``).
        base: SD1.5's UNet weights, the model both others were fine-tuned from.
        multiplier: how much of the personalization to add (1 = all of it).

    Returns:
        The merged state dict, with ``ip2p``'s names, shapes and dtypes.

    Raises:
        KeyError: ``style`` and ``base`` hold different names, or a name ``ip2p`` lacks.
        ValueError: shapes that do not line up (other than the ``conv_in`` channel rule).

    Example:
        >>> ones = {"w": torch.ones(2)}
        >>> add_difference(ones, {"w": torch.full((2,), 3.0)}, ones)["w"].tolist()
        [3.0, 3.0]
    """
    if set(style) != set(base):
        odd = sorted(set(style) ^ set(base))
        raise KeyError(f"style and base UNets differ in {len(odd)} tensor names, e.g. {odd[:3]}")
    extra = sorted(set(base) - set(ip2p))
    if extra:
        raise KeyError(f"InstructPix2Pix UNet lacks {len(extra)} SD1.5 tensors, e.g. {extra[:3]}")
    merged: dict[str, torch.Tensor] = {}
    for key, target in ip2p.items():
        if key not in base:
            merged[key] = target.clone()
            continue
        delta = style[key].float() - base[key].float()
        if style[key].shape != base[key].shape:
            raise ValueError(f"{key}: style {tuple(style[key].shape)} vs base {tuple(base[key].shape)}")
        out = target.float().clone()
        if delta.shape == out.shape:
            out += multiplier * delta
        elif (
            key == CONV_IN
            and out.ndim == 4
            and out.shape[1] > delta.shape[1]
            and out.shape[0] == delta.shape[0]
        ):
            out[:, : delta.shape[1]] += multiplier * delta
        else:
            raise ValueError(f"{key}: InstructPix2Pix {tuple(out.shape)} vs SD1.5 {tuple(delta.shape)}")
        merged[key] = out.to(target.dtype)
    return merged
