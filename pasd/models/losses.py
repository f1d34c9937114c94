"""Training losses of PASD: the degradation-removal pyramid loss ``L_DR``."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def dr_loss(rgbs: Sequence[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    """``L_DR = sum_s L1(toRGB_s, resize(GT, s))`` (paper, "Degradation Removal Module").

    As in yangxy/PASD ``train_pasd.py``, each scale's L1 is the mean absolute error, the GT is
    resized with plain bilinear interpolation (``align_corners=False``, no antialiasing) to each
    estimate's size, and the per-scale terms are summed. The paper adds this to the diffusion
    loss with weight ``alpha = 1``.

    Args:
        rgbs: The DR module's RGB estimates (``PASDControlNetOutput.rgbs``), each ``(B, 3, h, w)``.
        target: The HQ ground truth ``(B, 3, H, W)`` in [-1, 1] (the VAE's input range).

    Returns:
        A scalar float32 tensor.

    Raises:
        ValueError: If ``rgbs`` is empty or a shape does not match the target's batch/channels.

    Example:
        >>> import torch
        >>> gt = torch.zeros(1, 3, 8, 8)
        >>> dr_loss([torch.ones(1, 3, 4, 4), torch.ones(1, 3, 2, 2)], gt)
        tensor(2.)
    """
    if len(rgbs) == 0:
        raise ValueError("dr_loss needs at least one RGB estimate; got none (was return_rgbs off?)")
    if target.ndim != 4:
        raise ValueError(f"target must be (B, C, H, W), got shape {tuple(target.shape)}")
    total = target.new_zeros((), dtype=torch.float32)
    for i, rgb in enumerate(rgbs):
        if rgb.ndim != 4 or rgb.shape[:2] != target.shape[:2]:
            raise ValueError(
                f"rgbs[{i}] has shape {tuple(rgb.shape)}; expected (B, C, h, w) with (B, C) = {tuple(target.shape[:2])}"
            )
        scaled = F.interpolate(target.float(), size=rgb.shape[-2:], mode="bilinear", align_corners=False)
        total = total + F.l1_loss(rgb.float(), scaled, reduction="mean")
    return total
