"""The PASD UNet forward with PACA: diffusers' ``UNet2DConditionModel.forward`` steps, PACA up path.

Everything up to the decoder reuses the diffusers UNet's own helpers (``get_time_embed``,
``get_class_embed``, ``get_aug_embed``, ``process_encoder_hidden_states``) and blocks; only the
up-block loop differs, handing each block its ControlNet residuals
(:func:`pasd.models.paca_forward.paca_up_block_forward`).
"""

from __future__ import annotations

from typing import Any

import torch
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel

from pasd.models.paca_forward import paca_up_block_forward
from pasd.models.unet_common import as_bias, run_encoder


def unet_forward_with_paca(
    unet: UNet2DConditionModel,
    sample: torch.Tensor,
    timestep: torch.Tensor | float | int,
    encoder_hidden_states: torch.Tensor,
    down_block_additional_residuals: tuple[torch.Tensor, ...],
    mid_block_additional_residual: torch.Tensor,
    class_labels: torch.Tensor | None = None,
    timestep_cond: torch.Tensor | None = None,
    attention_mask: torch.Tensor | None = None,
    cross_attention_kwargs: dict[str, Any] | None = None,
    added_cond_kwargs: dict[str, torch.Tensor] | None = None,
    encoder_attention_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Run ``unet`` (a :class:`~pasd.models.unet.PASDUNet2DConditionModel`) with PACA; returns the sample.

    Raises:
        ValueError: If the number of residuals differs from the number of skip connections, or
            GLIGEN inputs are given.
    """
    if cross_attention_kwargs is not None and cross_attention_kwargs.get("gligen") is not None:
        raise ValueError("GLIGEN inputs are not supported by the PASD UNet")
    up_factor = 2**unet.num_upsamplers
    forward_upsample_size = any(dim % up_factor != 0 for dim in sample.shape[-2:])
    upsample_size = None
    attention_mask = as_bias(attention_mask, sample.dtype)
    encoder_attention_mask = as_bias(encoder_attention_mask, sample.dtype)
    if unet.config.center_input_sample:
        sample = 2 * sample - 1.0

    # 1. time (+ class / added embeddings), exactly as diffusers
    emb = unet.time_embedding(unet.get_time_embed(sample=sample, timestep=timestep), timestep_cond)
    class_emb = unet.get_class_embed(sample=sample, class_labels=class_labels)
    if class_emb is not None:
        emb = torch.cat([emb, class_emb], dim=-1) if unet.config.class_embeddings_concat else emb + class_emb
    aug_emb = unet.get_aug_embed(
        emb=emb, encoder_hidden_states=encoder_hidden_states, added_cond_kwargs=added_cond_kwargs
    )
    if unet.config.addition_embed_type == "image_hint":
        aug_emb, hint = aug_emb
        sample = torch.cat([sample, hint], dim=1)
    emb = emb + aug_emb if aug_emb is not None else emb
    if unet.time_embed_act is not None:
        emb = unet.time_embed_act(emb)
    encoder_hidden_states = unet.process_encoder_hidden_states(
        encoder_hidden_states=encoder_hidden_states, added_cond_kwargs=added_cond_kwargs
    )

    # 2-3. encoder; the ControlNet residuals are added to the skips as in ControlNet
    sample = unet.conv_in(sample)
    sample, skips = run_encoder(
        unet,
        sample,
        emb,
        encoder_hidden_states,
        attention_mask,
        cross_attention_kwargs,
        encoder_attention_mask,
    )
    residuals = tuple(down_block_additional_residuals)
    if len(residuals) != len(skips):
        raise ValueError(
            f"got {len(residuals)} down-block residuals; this UNet has {len(skips)} skip connections"
        )
    skips = tuple(s + r for s, r in zip(skips, residuals))

    # 4. mid (run above with the encoder; diffusers adds the residual after the block)
    sample = sample + mid_block_additional_residual

    # 5. decoder with PACA: each block takes its skips and the matching (scaled) residuals
    for i, block in enumerate(unet.up_blocks):
        n = len(block.resnets)
        block_skips, skips = skips[-n:], skips[:-n]
        block_residuals, residuals = residuals[-n:], residuals[:-n]
        if i < len(unet.up_blocks) - 1 and forward_upsample_size:
            upsample_size = skips[-1].shape[2:]
        sample = paca_up_block_forward(
            block,
            unet.config.paca_type,
            sample,
            block_skips,
            block_residuals,
            temb=emb,
            encoder_hidden_states=encoder_hidden_states,
            cross_attention_kwargs=cross_attention_kwargs,
            upsample_size=upsample_size,
            attention_mask=attention_mask,
            encoder_attention_mask=encoder_attention_mask,
        )

    # 6. post-process
    if unet.conv_norm_out:
        sample = unet.conv_act(unet.conv_norm_out(sample))
    return unet.conv_out(sample)
