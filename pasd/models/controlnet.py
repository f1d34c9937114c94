"""PASD's ControlNet: diffusers' ``ControlNetModel`` with the degradation-removal embedding.

The encoder copy, zero convolutions and mid block are diffusers' own modules (built by
``ControlNetModel.__init__``); only ``controlnet_cond_embedding`` is swapped for
:class:`~pasd.models.dr_module.DegradationRemovalModule`, and ``forward`` additionally returns the
DR module's RGB estimates. ``return_rgbs``/``use_rrdb`` are yangxy/PASD's config names, so the
released ``controlnet/config.json`` files build the right layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from diffusers.configuration_utils import register_to_config
from diffusers.models.controlnets.controlnet import ControlNetModel
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel
from diffusers.utils import BaseOutput

from pasd.models.dr_module import DegradationRemovalModule
from pasd.models.unet_common import as_bias, run_encoder, time_embedding

#: UNet config entries a ControlNet copies in ``from_unet`` (diffusers ``ControlNetModel.from_unet``)
_FROM_UNET_KEYS = (
    "in_channels", "flip_sin_to_cos", "freq_shift", "down_block_types", "mid_block_type", "only_cross_attention",
    "block_out_channels", "layers_per_block", "downsample_padding", "mid_block_scale_factor", "act_fn",
    "norm_num_groups", "norm_eps", "cross_attention_dim", "transformer_layers_per_block", "attention_head_dim",
    "num_attention_heads", "use_linear_projection", "class_embed_type", "num_class_embeds", "upcast_attention",
    "resnet_time_scale_shift", "projection_class_embeddings_input_dim",
)  # fmt: skip


@dataclass
class PASDControlNetOutput(BaseOutput):
    """Output of :class:`PASDControlNetModel`.

    Args:
        rgbs: The DR module's HQ estimates at 1/2, 1/4, 1/8 of the LQ size (``L_DR`` targets).
        down_block_res_samples: Residuals for the UNet skip connections (already scaled).
        mid_block_res_sample: Residual for the UNet mid block (already scaled).
    """

    rgbs: tuple[torch.Tensor, ...]
    down_block_res_samples: tuple[torch.Tensor, ...]
    mid_block_res_sample: torch.Tensor


class PASDControlNetModel(ControlNetModel):
    """A ControlNet whose conditioning embedding is PASD's degradation-removal pyramid.

    Takes every ``diffusers.ControlNetModel`` argument, plus:

    Args:
        return_rgbs: Build the DR module's ``to_rgbs`` heads (all released models have them).
        use_rrdb: Two RRDB blocks after the DR module's ``conv_in`` (the ``pasd_rrdb`` release).

    Raises:
        ValueError: For ``addition_embed_type`` (SDXL-style conditioning), which PASD's SD1.5
            models do not use and this forward does not implement.
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 4,
        conditioning_channels: int = 3,
        flip_sin_to_cos: bool = True,
        freq_shift: int = 0,
        down_block_types: tuple[str, ...] = (
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        mid_block_type: str | None = "UNetMidBlock2DCrossAttn",
        only_cross_attention: bool | tuple[bool, ...] = False,
        block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280),
        layers_per_block: int = 2,
        downsample_padding: int = 1,
        mid_block_scale_factor: float = 1,
        act_fn: str = "silu",
        norm_num_groups: int | None = 32,
        norm_eps: float = 1e-5,
        cross_attention_dim: int = 1280,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        encoder_hid_dim: int | None = None,
        encoder_hid_dim_type: str | None = None,
        attention_head_dim: int | tuple[int, ...] = 8,
        num_attention_heads: int | tuple[int, ...] | None = None,
        use_linear_projection: bool = False,
        class_embed_type: str | None = None,
        addition_embed_type: str | None = None,
        addition_time_embed_dim: int | None = None,
        num_class_embeds: int | None = None,
        upcast_attention: bool = False,
        resnet_time_scale_shift: str = "default",
        projection_class_embeddings_input_dim: int | None = None,
        controlnet_conditioning_channel_order: str = "rgb",
        conditioning_embedding_out_channels: tuple[int, ...] | None = (16, 32, 96, 256),
        global_pool_conditions: bool = False,
        addition_embed_type_num_heads: int = 64,
        return_rgbs: bool = True,
        use_rrdb: bool = False,
    ) -> None:
        if addition_embed_type is not None:
            raise ValueError(f"addition_embed_type={addition_embed_type!r} is not supported; allowed: None")
        super().__init__(
            in_channels=in_channels, conditioning_channels=conditioning_channels, flip_sin_to_cos=flip_sin_to_cos,
            freq_shift=freq_shift, down_block_types=down_block_types, mid_block_type=mid_block_type,
            only_cross_attention=only_cross_attention, block_out_channels=block_out_channels,
            layers_per_block=layers_per_block, downsample_padding=downsample_padding,
            mid_block_scale_factor=mid_block_scale_factor, act_fn=act_fn, norm_num_groups=norm_num_groups,
            norm_eps=norm_eps, cross_attention_dim=cross_attention_dim,
            transformer_layers_per_block=transformer_layers_per_block, encoder_hid_dim=encoder_hid_dim,
            encoder_hid_dim_type=encoder_hid_dim_type, attention_head_dim=attention_head_dim,
            num_attention_heads=num_attention_heads, use_linear_projection=use_linear_projection,
            class_embed_type=class_embed_type, num_class_embeds=num_class_embeds, upcast_attention=upcast_attention,
            resnet_time_scale_shift=resnet_time_scale_shift,
            projection_class_embeddings_input_dim=projection_class_embeddings_input_dim,
            controlnet_conditioning_channel_order=controlnet_conditioning_channel_order,
            conditioning_embedding_out_channels=conditioning_embedding_out_channels,
            global_pool_conditions=global_pool_conditions,
            addition_embed_type_num_heads=addition_embed_type_num_heads,
        )  # fmt: skip
        # replaces diffusers' 4-conv embedding (built above; tiny, so building it twice costs nothing)
        self.controlnet_cond_embedding = DegradationRemovalModule(
            conditioning_embedding_channels=block_out_channels[0],
            conditioning_channels=conditioning_channels,
            block_out_channels=tuple(conditioning_embedding_out_channels),
            return_rgbs=return_rgbs,
            use_rrdb=use_rrdb,
        )

    @classmethod
    def from_unet(
        cls,
        unet: UNet2DConditionModel,
        controlnet_conditioning_channel_order: str = "rgb",
        conditioning_embedding_out_channels: tuple[int, ...] | None = (16, 32, 96, 256),
        load_weights_from_unet: bool = True,
        conditioning_channels: int = 3,
        use_rrdb: bool = False,
        return_rgbs: bool = True,
    ) -> PASDControlNetModel:
        """Build a PASD ControlNet with ``unet``'s encoder layout, copying its weights (as diffusers does).

        Args:
            unet: An SD UNet (plain or PASD); its config gives the encoder layout.
            controlnet_conditioning_channel_order: ``"rgb"`` or ``"bgr"``.
            conditioning_embedding_out_channels: DR pyramid widths.
            load_weights_from_unet: Copy ``conv_in``, time embedding, down and mid blocks from ``unet``.
            conditioning_channels: LQ image channels.
            use_rrdb: Add the two RRDB blocks (``pasd_rrdb``).
            return_rgbs: Build the ``to_rgbs`` heads.

        Returns:
            The new ControlNet (zero convolutions and DR ``conv_out`` at zero).
        """
        kwargs = {k: unet.config[k] for k in _FROM_UNET_KEYS if k in unet.config}
        controlnet = cls(
            **kwargs,
            controlnet_conditioning_channel_order=controlnet_conditioning_channel_order,
            conditioning_embedding_out_channels=conditioning_embedding_out_channels,
            conditioning_channels=conditioning_channels,
            use_rrdb=use_rrdb,
            return_rgbs=return_rgbs,
        )
        if load_weights_from_unet:
            for name in ("conv_in", "time_proj", "time_embedding", "down_blocks", "mid_block"):
                getattr(controlnet, name).load_state_dict(getattr(unet, name).state_dict())
            if controlnet.class_embedding is not None:
                controlnet.class_embedding.load_state_dict(unet.class_embedding.state_dict())
        return controlnet

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        controlnet_cond: torch.Tensor,
        conditioning_scale: float = 1.0,
        class_labels: torch.Tensor | None = None,
        timestep_cond: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
        guess_mode: bool = False,
        return_dict: bool = True,
    ) -> PASDControlNetOutput | tuple:
        """Run the ControlNet on a noisy latent and the LQ image.

        Args:
            sample: Noisy latents ``(B, 4, h, w)``.
            timestep: Diffusion step(s).
            encoder_hidden_states: Text embeddings ``(B, L, cross_attention_dim)``.
            controlnet_cond: LQ image ``(B, 3, 8h, 8w)`` in [0, 1].
            conditioning_scale: Multiplies every residual (diffusers' ``controlnet_conditioning_scale``).
            class_labels: For ``class_embed_type`` models.
            timestep_cond: Extra timestep conditioning (LCM-style).
            attention_mask: Mask for the text tokens (1 keep, 0 discard).
            cross_attention_kwargs: Passed to the attention processors.
            guess_mode: diffusers' guess mode (residuals scaled from 0.1 to 1.0 with depth).
            return_dict: Return :class:`PASDControlNetOutput` instead of ``(rgbs, down, mid)``.

        Returns:
            :class:`PASDControlNetOutput`, or the tuple ``(rgbs, down_block_res_samples, mid_block_res_sample)``.

        Raises:
            ValueError: On an unknown channel order, or missing ``class_labels`` for a class-embedding model.
        """
        order = self.config.controlnet_conditioning_channel_order
        if order == "bgr":
            controlnet_cond = torch.flip(controlnet_cond, dims=[1])
        elif order != "rgb":
            raise ValueError(
                f"unknown controlnet_conditioning_channel_order {order!r}; allowed: 'rgb', 'bgr'"
            )
        if attention_mask is not None:
            attention_mask = as_bias(attention_mask, sample.dtype)

        emb = self.time_embedding(time_embedding(self.time_proj, sample, timestep), timestep_cond)
        if self.class_embedding is not None:
            if class_labels is None:
                raise ValueError("class_labels must be given when the model has a class embedding")
            if self.config.class_embed_type == "timestep":
                class_labels = self.time_proj(class_labels)
            emb = emb + self.class_embedding(class_labels).to(dtype=emb.dtype)

        cond_embedding, rgbs = self.controlnet_cond_embedding(controlnet_cond)
        sample = self.conv_in(sample) + cond_embedding

        sample, down_res = run_encoder(
            self, sample, emb, encoder_hidden_states, attention_mask, cross_attention_kwargs
        )

        down = [zero_conv(r) for r, zero_conv in zip(down_res, self.controlnet_down_blocks)]
        mid = self.controlnet_mid_block(sample)
        if guess_mode and not self.config.global_pool_conditions:
            scales = torch.logspace(-1, 0, len(down) + 1, device=sample.device) * conditioning_scale
            down = [r * s for r, s in zip(down, scales)]
            mid = mid * scales[-1]
        else:
            down = [r * conditioning_scale for r in down]
            mid = mid * conditioning_scale
        if self.config.global_pool_conditions:
            down = [torch.mean(r, dim=(2, 3), keepdim=True) for r in down]
            mid = torch.mean(mid, dim=(2, 3), keepdim=True)

        if not return_dict:
            return (rgbs, tuple(down), mid)
        return PASDControlNetOutput(rgbs=rgbs, down_block_res_samples=tuple(down), mid_block_res_sample=mid)
