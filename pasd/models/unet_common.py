"""Small helpers shared by the PASD ControlNet and UNet forwards."""

from __future__ import annotations

import torch
from torch import nn


def time_embedding(
    time_proj: nn.Module, sample: torch.Tensor, timestep: torch.Tensor | float | int
) -> torch.Tensor:
    """Sinusoidal timestep features broadcast to the batch of ``sample`` (as diffusers' ``get_time_embed``).

    Args:
        time_proj: The model's ``Timesteps`` projection.
        sample: The latent batch (gives batch size, device and dtype).
        timestep: A Python number, a 0-d tensor or a ``(B,)`` tensor.

    Returns:
        ``(B, C)`` features in ``sample.dtype`` (``Timesteps`` always computes in float32).
    """
    timesteps = timestep
    if not torch.is_tensor(timesteps):
        # mps has no float64/int64 kernels for this; elsewhere keep full precision like diffusers
        is_mps = sample.device.type == "mps"
        if isinstance(timestep, float):
            dtype = torch.float32 if is_mps else torch.float64
        else:
            dtype = torch.int32 if is_mps else torch.int64
        timesteps = torch.tensor([timesteps], dtype=dtype, device=sample.device)
    elif timesteps.ndim == 0:
        timesteps = timesteps[None].to(sample.device)
    timesteps = timesteps.expand(sample.shape[0])
    return time_proj(timesteps).to(dtype=sample.dtype)


def as_bias(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """A (1 keep, 0 discard) ``(B, L)`` mask as the additive ``(B, 1, L)`` bias diffusers' attention expects."""
    return None if mask is None else ((1 - mask.to(dtype)) * -10000.0).unsqueeze(1)


def run_encoder(
    model: nn.Module,
    sample: torch.Tensor,
    emb: torch.Tensor,
    encoder_hidden_states: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    cross_attention_kwargs: dict | None = None,
    encoder_attention_mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Down blocks then mid block of a UNet or ControlNet, as diffusers runs them.

    Args:
        sample: the output of ``conv_in`` (the ControlNet adds its condition embedding first).

    Returns:
        ``(mid-block output, skips)``; ``skips`` starts with ``sample`` itself, as in diffusers.
    """
    cross = {
        "encoder_hidden_states": encoder_hidden_states,
        "attention_mask": attention_mask,
        "cross_attention_kwargs": cross_attention_kwargs,
        "encoder_attention_mask": encoder_attention_mask,
    }
    skips: tuple[torch.Tensor, ...] = (sample,)
    for block in model.down_blocks:
        if getattr(block, "has_cross_attention", False):
            sample, res = block(hidden_states=sample, temb=emb, **cross)
        else:
            sample, res = block(hidden_states=sample, temb=emb)
        skips += res
    if model.mid_block is not None:
        if getattr(model.mid_block, "has_cross_attention", False):
            sample = model.mid_block(sample, emb, **cross)
        else:
            sample = model.mid_block(sample, emb)
    return sample, skips
