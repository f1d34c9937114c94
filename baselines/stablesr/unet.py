"""StableSR's denoiser: the SD 2.1 UNet (diffusers) whose residual blocks carry SFT/SPADE layers.

The released ``model.diffusion_model`` is IceClear/StableSR's ``UNetModelDualcondV2``: the SD 2.1
UNet (linear-projection transformers, OpenCLIP-H context) where every residual block is a
``ResBlockDual`` that modulates its residual branch with the time-aware encoder's features of the
same width. Here diffusers builds the SD UNet and :mod:`.spade` swaps in SPADE residual blocks;
the forward pass is diffusers' own.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import register_to_config
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel, UNet2DConditionOutput
from torch import nn

from baselines.stablesr.spade import SPADEResnetBlock2D, StructCond


class StableSRUNet2DConditionModel(UNet2DConditionModel):
    """SD 2.1-layout UNet with SPADE-modulated residual blocks (``semb_channels`` = encoder width).

    Takes the diffusers ``UNet2DConditionModel`` arguments StableSR's UNet uses (defaults: the
    released SD 2.1-base size, ``configs/stableSRNew/v2-finetune_text_T_512.yaml``), plus:

    Args:
        semb_channels: Channels of the time-aware encoder features fed to every SPADE block.
    """

    @register_to_config
    def __init__(
        self,
        sample_size: int = 64,
        in_channels: int = 4,
        out_channels: int = 4,
        down_block_types: tuple[str, ...] = (
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        up_block_types: tuple[str, ...] = (
            "UpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
        ),
        block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280),
        layers_per_block: int = 2,
        # diffusers' historical name: these are head *counts* (see UNet2DConditionModel's note)
        attention_head_dim: int | tuple[int, ...] = (5, 10, 20, 20),
        cross_attention_dim: int = 1024,
        use_linear_projection: bool = True,
        transformer_layers_per_block: int = 1,
        norm_num_groups: int = 32,
        norm_eps: float = 1e-5,
        semb_channels: int = 256,
    ) -> None:
        super().__init__(
            sample_size=sample_size,
            in_channels=in_channels,
            out_channels=out_channels,
            down_block_types=down_block_types,
            up_block_types=up_block_types,
            block_out_channels=block_out_channels,
            layers_per_block=layers_per_block,
            attention_head_dim=attention_head_dim,
            cross_attention_dim=cross_attention_dim,
            use_linear_projection=use_linear_projection,
            transformer_layers_per_block=transformer_layers_per_block,
            norm_num_groups=norm_num_groups,
            norm_eps=norm_eps,
        )
        struct = StructCond()
        self.__dict__["_struct"] = struct  # not a submodule: no weights, one per UNet
        for block in (*self.down_blocks, self.mid_block, *self.up_blocks):
            block.resnets = nn.ModuleList(
                SPADEResnetBlock2D.like(r, semb_channels, struct) for r in block.resnets
            )

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        struct_cond: dict[str, torch.Tensor] | None = None,
        return_dict: bool = True,
        **kwargs,
    ) -> UNet2DConditionOutput | tuple:
        """diffusers' UNet forward with the encoder features made visible to the SPADE blocks.

        Args:
            sample: Noisy latents ``(B, 4, h, w)``.
            timestep: The *original* (1000-step) timestep, as the official code passes ``t_replace``.
            encoder_hidden_states: Text context ``(B, 77, cross_attention_dim)``.
            struct_cond: :class:`~baselines.stablesr.encoder.TimeAwareEncoderModel` output, maps keyed
                by their width (``"64"``, ``"32"``, ...).
            return_dict, **kwargs: As ``UNet2DConditionModel.forward``.

        Raises:
            ValueError: If ``struct_cond`` is missing.
        """
        if struct_cond is None:
            raise ValueError("StableSR's UNet needs struct_cond (the time-aware encoder's features)")
        self._struct.features = struct_cond
        try:
            return super().forward(sample, timestep, encoder_hidden_states, return_dict=return_dict, **kwargs)
        finally:
            self._struct.features = None
