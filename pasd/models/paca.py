"""Pixel-aware cross attention (PACA): the layers it adds to the SD UNet decoder (see ``paca_forward``).

PASD feeds each ControlNet residual ``y`` (``(B, c, h, w)``, the one added to the matching skip
connection) to the decoder as an ``h*w``-token context, so every latent position can attend to
the un-encoded control features (paper, Eq. 2). Two released layouts, both composed from
diffusers modules so the diffusers blocks themselves stay untouched:

* ``"full"`` (``pasd``, ``pasd_rrdb``): after every decoder layer (resnet [+ text attention]) of
  every up block, a whole ``Transformer2DModel`` (``up_blocks.i.pixel_attentions.j``) whose
  cross-attention context is ``y`` with ``cross_attention_dim`` = skip channels.
* ``"light"`` (``pasd_light``): inside each text ``Transformer2DModel`` of the cross-attention up
  blocks, a 1x1 ``proj_in_plus`` on ``y`` and, in each ``BasicTransformerBlock``, a
  ``norm2_plus``/``attn2_plus`` cross attention between the text attention and the feed-forward.

Names and shapes follow yangxy/PASD so the released checkpoints load strictly.
"""

from __future__ import annotations

from typing import Literal

from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.attention_processor import Attention
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from torch import nn

PacaType = Literal["full", "light"]
PACA_TYPES: tuple[str, ...] = ("full", "light")


def build_full_paca(
    res_skip_channels: list[int],
    out_channels: int,
    num_attention_heads: int,
    transformer_layers_per_block: int,
    norm_num_groups: int,
    use_linear_projection: bool,
    only_cross_attention: bool,
    upcast_attention: bool,
) -> nn.ModuleList:
    """The ``pixel_attentions`` of one up block: one transformer per decoder layer.

    Args:
        res_skip_channels: Channels of each layer's skip connection (= its ControlNet residual).
        out_channels: The up block's width (the attention's query dim).
        num_attention_heads: Heads, as the block's text attention.
        transformer_layers_per_block: Transformer depth, as the block's text attention.
        norm_num_groups: GroupNorm groups of the transformer's input norm.
        use_linear_projection: Linear instead of 1x1-conv ``proj_in``/``proj_out``.
        only_cross_attention: diffusers' flag (``attn1`` also attends to the context).
        upcast_attention: Compute attention scores in float32.

    Returns:
        ``nn.ModuleList`` of ``Transformer2DModel``.
    """
    # yangxy/PASD uses out_channels as the context dim in UpBlock2D; that equals the skip width at
    # every SD size and is the only value that works for other widths, so the skip width is used.
    return nn.ModuleList(
        Transformer2DModel(
            num_attention_heads,
            out_channels // num_attention_heads,
            in_channels=out_channels,
            num_layers=transformer_layers_per_block,
            cross_attention_dim=skip,
            norm_num_groups=norm_num_groups,
            use_linear_projection=use_linear_projection,
            only_cross_attention=only_cross_attention,
            upcast_attention=upcast_attention,
        )
        for skip in res_skip_channels
    )


def add_light_paca(transformer: Transformer2DModel, context_channels: int) -> None:
    """Add ``proj_in_plus`` and per-block ``norm2_plus``/``attn2_plus`` to a text transformer in place.

    Args:
        transformer: A continuous-input ``Transformer2DModel`` of ``BasicTransformerBlock`` (layer norm).
        context_channels: Channels of the ControlNet residual this layer receives.

    Raises:
        ValueError: For transformer layouts the light PACA forward does not implement.
    """
    if not transformer.is_input_continuous:
        raise ValueError(
            "light PACA needs a continuous-input Transformer2DModel (in_channels set, no patches)"
        )
    if transformer.use_linear_projection:
        transformer.proj_in_plus = nn.Linear(context_channels, context_channels)
    else:
        transformer.proj_in_plus = nn.Conv2d(context_channels, context_channels, kernel_size=1)
    for block in transformer.transformer_blocks:
        if not isinstance(block, BasicTransformerBlock) or block.norm_type != "layer_norm" or block.pos_embed:
            raise ValueError(
                "light PACA supports BasicTransformerBlock with norm_type='layer_norm' and no pos_embed"
            )
        text_attn = block.attn1 if block.attn2 is None else block.attn2
        block.norm2_plus = nn.LayerNorm(
            block.norm3.normalized_shape,
            eps=block.norm3.eps,
            elementwise_affine=block.norm3.elementwise_affine,
        )
        block.attn2_plus = Attention(
            query_dim=text_attn.query_dim,
            cross_attention_dim=context_channels,
            heads=text_attn.heads,
            dim_head=text_attn.inner_dim // text_attn.heads,
            dropout=block.attn1.to_out[1].p,
            bias=text_attn.to_q.bias is not None,
            upcast_attention=text_attn.upcast_attention,
        )
