"""Forward of the PACA layers (see :mod:`pasd.models.paca` for what they are and where they sit).

Each function mirrors the diffusers forward it extends, so with the PACA contribution at zero it
reproduces diffusers exactly (tested in ``tests/pasd/models/test_unet.py``).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from diffusers.models.attention import BasicTransformerBlock, _chunked_feed_forward
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from diffusers.utils.torch_utils import apply_freeu
from torch import nn

from pasd.models.paca import PacaType
from pasd.models.unet_common import as_bias


def _light_block_forward(
    block: BasicTransformerBlock,
    hidden_states: torch.Tensor,
    attention_mask: torch.Tensor | None,
    encoder_hidden_states: torch.Tensor | None,
    encoder_attention_mask: torch.Tensor | None,
    pixel_context: torch.Tensor,
    cross_attention_kwargs: dict[str, Any],
) -> torch.Tensor:
    """``BasicTransformerBlock.forward`` (layer-norm case) with PACA between text attention and FF."""
    ctx = encoder_hidden_states if block.only_cross_attention else None
    hidden_states = hidden_states + block.attn1(
        block.norm1(hidden_states),
        encoder_hidden_states=ctx,
        attention_mask=attention_mask,
        **cross_attention_kwargs,
    )
    if block.attn2 is not None:
        hidden_states = hidden_states + block.attn2(
            block.norm2(hidden_states),
            encoder_hidden_states=encoder_hidden_states,
            attention_mask=encoder_attention_mask,
            **cross_attention_kwargs,
        )
    hidden_states = hidden_states + block.attn2_plus(
        block.norm2_plus(hidden_states), encoder_hidden_states=pixel_context, **cross_attention_kwargs
    )
    norm = block.norm3(hidden_states)
    if block._chunk_size is not None:
        return hidden_states + _chunked_feed_forward(block.ff, norm, block._chunk_dim, block._chunk_size)
    return hidden_states + block.ff(norm)


def _light_transformer_forward(
    transformer: Transformer2DModel,
    hidden_states: torch.Tensor,
    pixel_state: torch.Tensor,
    encoder_hidden_states: torch.Tensor | None,
    cross_attention_kwargs: dict[str, Any] | None,
    attention_mask: torch.Tensor | None,
    encoder_attention_mask: torch.Tensor | None,
) -> torch.Tensor:
    """``Transformer2DModel.forward`` (continuous input) with the light PACA context path."""
    if encoder_attention_mask is not None and encoder_attention_mask.ndim == 2:
        encoder_attention_mask = as_bias(encoder_attention_mask, hidden_states.dtype)
    batch, _, height, width = hidden_states.shape
    residual = hidden_states
    hidden_states, inner_dim = transformer._operate_on_continuous_inputs(hidden_states)
    if transformer.use_linear_projection:
        pixel_context = transformer.proj_in_plus(pixel_state.flatten(2).transpose(1, 2))
    else:
        pixel_context = transformer.proj_in_plus(pixel_state).flatten(2).transpose(1, 2)
    kwargs = dict(cross_attention_kwargs or {})
    for block in transformer.transformer_blocks:
        step = functools.partial(_light_block_forward, block, cross_attention_kwargs=kwargs)
        args = (hidden_states, attention_mask, encoder_hidden_states, encoder_attention_mask, pixel_context)
        if torch.is_grad_enabled() and transformer.gradient_checkpointing:
            hidden_states = transformer._gradient_checkpointing_func(step, *args)
        else:
            hidden_states = step(*args)
    return transformer._get_output_for_continuous_inputs(
        hidden_states, residual, batch, height, width, inner_dim
    )


def paca_up_block_forward(
    block: nn.Module,
    paca_type: PacaType,
    hidden_states: torch.Tensor,
    res_hidden_states_tuple: tuple[torch.Tensor, ...],
    pixel_states: tuple[torch.Tensor, ...],
    temb: torch.Tensor | None = None,
    encoder_hidden_states: torch.Tensor | None = None,
    cross_attention_kwargs: dict[str, Any] | None = None,
    upsample_size: Any = None,
    attention_mask: torch.Tensor | None = None,
    encoder_attention_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Forward of a diffusers ``UpBlock2D``/``CrossAttnUpBlock2D`` with PACA on each layer.

    Mirrors the diffusers block forward (skip concat, FreeU, resnet, text attention, upsampler)
    and adds the PACA step of ``paca_type``; a block without PACA layers (the light variant's
    ``UpBlock2D``) runs its own diffusers forward.

    Args:
        block: The up block (with ``pixel_attentions`` for ``"full"``, ``*_plus`` layers for ``"light"``).
        paca_type: ``"full"`` or ``"light"``.
        hidden_states: Decoder features entering the block.
        res_hidden_states_tuple: The skip connections of this block (already + ControlNet residuals).
        pixel_states: This block's ControlNet residuals, same order as ``res_hidden_states_tuple``.
        temb: Time embedding.
        encoder_hidden_states: Text embeddings.
        cross_attention_kwargs: Passed to every attention processor.
        upsample_size: Forced output size of the upsampler.
        attention_mask: Self-attention mask (bias form).
        encoder_attention_mask: Text mask.

    Returns:
        The block output.

    Raises:
        ValueError: If ``pixel_states`` and the skip connections differ in number.
    """
    if len(pixel_states) != len(res_hidden_states_tuple):
        raise ValueError(
            f"{len(pixel_states)} ControlNet residuals for {len(res_hidden_states_tuple)} skip connections"
        )
    attentions = getattr(block, "attentions", None)
    has_paca = hasattr(block, "pixel_attentions") if paca_type == "full" else attentions is not None
    if not has_paca:
        kwargs = {}
        if attentions is not None:
            kwargs = dict(encoder_hidden_states=encoder_hidden_states, cross_attention_kwargs=cross_attention_kwargs,
                          attention_mask=attention_mask, encoder_attention_mask=encoder_attention_mask)  # fmt: skip
        return block(hidden_states, res_hidden_states_tuple, temb, upsample_size=upsample_size, **kwargs)

    freeu = all(getattr(block, name, None) for name in ("s1", "s2", "b1", "b2"))
    for i, resnet in enumerate(block.resnets):
        res_hidden = res_hidden_states_tuple[-1 - i]
        pixel_state = pixel_states[-1 - i]
        if freeu:
            hidden_states, res_hidden = apply_freeu(
                block.resolution_idx,
                hidden_states,
                res_hidden,
                s1=block.s1,
                s2=block.s2,
                b1=block.b1,
                b2=block.b2,
            )
        hidden_states = torch.cat([hidden_states, res_hidden], dim=1)
        if torch.is_grad_enabled() and block.gradient_checkpointing:
            hidden_states = block._gradient_checkpointing_func(resnet, hidden_states, temb)
        else:
            hidden_states = resnet(hidden_states, temb)
        if paca_type == "light":
            hidden_states = _light_transformer_forward(
                attentions[i], hidden_states, pixel_state, encoder_hidden_states,
                cross_attention_kwargs, attention_mask, encoder_attention_mask,
            )  # fmt: skip
            continue
        if attentions is not None:
            hidden_states = attentions[i](
                hidden_states,
                encoder_hidden_states=encoder_hidden_states,
                cross_attention_kwargs=cross_attention_kwargs,
                attention_mask=attention_mask,
                encoder_attention_mask=encoder_attention_mask,
                return_dict=False,
            )[0]
        # the residual map (B, c, h, w) becomes an h*w-token context of width c. The official UNet
        # calls UpBlock2D without cross_attention_kwargs, so its PACA never sees them (e.g. a LoRA scale)
        hidden_states = block.pixel_attentions[i](
            hidden_states,
            encoder_hidden_states=pixel_state.flatten(2).transpose(1, 2),
            cross_attention_kwargs=cross_attention_kwargs if attentions is not None else None,
            return_dict=False,
        )[0]
    if block.upsamplers is not None:
        for upsampler in block.upsamplers:
            hidden_states = upsampler(hidden_states, upsample_size)
    return hidden_states
