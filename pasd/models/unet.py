"""PASD's UNet: diffusers' SD ``UNet2DConditionModel`` plus pixel-aware cross attention (PACA).

The SD UNet is built by diffusers itself; :mod:`pasd.models.paca` then adds the PACA layers under
yangxy/PASD's parameter names. With PACA off (or without ControlNet residuals) ``forward`` *is*
diffusers' forward, i.e. ControlNet-style residual addition only (the paper's "w/o PACA", Fig 7b).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import torch
from diffusers.configuration_utils import register_to_config
from diffusers.models.unets.unet_2d_condition import UNet2DConditionModel, UNet2DConditionOutput

from pasd.models.paca import PACA_TYPES, PacaType, add_light_paca, build_full_paca
from pasd.models.unet_forward import unet_forward_with_paca

logger = logging.getLogger(__name__)

_UP_BLOCK_TYPES = ("UpBlock2D", "CrossAttnUpBlock2D")
#: substrings that mark a PACA parameter (absent from an SD base UNet)
PACA_KEY_MARKERS = ("pixel_attentions.", "_plus.")


def _per_block(value: Any, n: int) -> list[Any]:
    return [value] * n if isinstance(value, (int, bool)) else list(value)


class PASDUNet2DConditionModel(UNet2DConditionModel):
    """SD UNet with PASD's pixel-aware cross attention in the decoder.

    Takes every ``diffusers.UNet2DConditionModel`` argument, plus:

    Args:
        paca_type: ``"full"`` (``pasd``/``pasd_rrdb`` releases) or ``"light"`` (``pasd_light``);
            see :mod:`pasd.models.paca`. The released ``config.json`` files do not record it, so
            loaders pass it (:func:`pasd.models.loading.load_pasd_unet` detects it from the weights).

    Raises:
        ValueError: For an unknown ``paca_type``, up blocks other than ``UpBlock2D``/
            ``CrossAttnUpBlock2D``, or dual cross attention.
    """

    @register_to_config
    def __init__(
        self,
        sample_size: int | tuple[int, int] | None = None,
        in_channels: int = 4,
        out_channels: int = 4,
        center_input_sample: bool = False,
        flip_sin_to_cos: bool = True,
        freq_shift: int = 0,
        down_block_types: tuple[str, ...] = (
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        mid_block_type: str | None = "UNetMidBlock2DCrossAttn",
        up_block_types: tuple[str, ...] = (
            "UpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
        ),
        only_cross_attention: bool | tuple[bool, ...] = False,
        block_out_channels: tuple[int, ...] = (320, 640, 1280, 1280),
        layers_per_block: int | tuple[int, ...] = 2,
        downsample_padding: int = 1,
        mid_block_scale_factor: float = 1,
        dropout: float = 0.0,
        act_fn: str = "silu",
        norm_num_groups: int | None = 32,
        norm_eps: float = 1e-5,
        cross_attention_dim: int | tuple[int, ...] = 1280,
        transformer_layers_per_block: int | tuple[int, ...] = 1,
        reverse_transformer_layers_per_block: tuple[tuple[int, ...], ...] | None = None,
        encoder_hid_dim: int | None = None,
        encoder_hid_dim_type: str | None = None,
        attention_head_dim: int | tuple[int, ...] = 8,
        num_attention_heads: int | tuple[int, ...] | None = None,
        dual_cross_attention: bool = False,
        use_linear_projection: bool = False,
        class_embed_type: str | None = None,
        addition_embed_type: str | None = None,
        addition_time_embed_dim: int | None = None,
        num_class_embeds: int | None = None,
        upcast_attention: bool = False,
        resnet_time_scale_shift: str = "default",
        resnet_skip_time_act: bool = False,
        resnet_out_scale_factor: float = 1.0,
        time_embedding_type: str = "positional",
        time_embedding_dim: int | None = None,
        time_embedding_act_fn: str | None = None,
        timestep_post_act: str | None = None,
        time_cond_proj_dim: int | None = None,
        conv_in_kernel: int = 3,
        conv_out_kernel: int = 3,
        projection_class_embeddings_input_dim: int | None = None,
        attention_type: str = "default",
        class_embeddings_concat: bool = False,
        mid_block_only_cross_attention: bool | None = None,
        cross_attention_norm: str | None = None,
        addition_embed_type_num_heads: int = 64,
        paca_type: PacaType = "full",
    ) -> None:
        if paca_type not in PACA_TYPES:
            raise ValueError(f"paca_type={paca_type!r} is not one of {PACA_TYPES}")
        bad = [t for t in up_block_types if t not in _UP_BLOCK_TYPES]
        if bad:
            raise ValueError(f"PACA supports up blocks {_UP_BLOCK_TYPES}; got {bad}")
        if dual_cross_attention:
            raise ValueError("PACA does not support dual_cross_attention=True")
        # every diffusers argument goes to the diffusers UNet unchanged
        kwargs = {k: v for k, v in locals().items() if k not in ("self", "__class__", "paca_type", "bad")}
        super().__init__(**kwargs)
        #: runtime switch for the "w/o PACA" ablation; ``forward(use_paca=...)`` overrides it per call
        self.paca_enabled = True
        self._add_paca(paca_type)

    def _add_paca(self, paca_type: PacaType) -> None:
        cfg = self.config
        n = len(cfg.block_out_channels)
        heads = _per_block(cfg.num_attention_heads or cfg.attention_head_dim, n)[::-1]
        depth = _per_block(cfg.transformer_layers_per_block, n)[::-1]
        only_cross = _per_block(cfg.only_cross_attention, n)[::-1]
        channels = list(cfg.block_out_channels)[::-1]
        for i, block in enumerate(self.up_blocks):
            num_layers = len(block.resnets)
            skip = [
                channels[min(i + 1, n - 1)] if j == num_layers - 1 else channels[i] for j in range(num_layers)
            ]
            if paca_type == "full":
                block.pixel_attentions = build_full_paca(
                    skip, channels[i], heads[i], depth[i], cfg.norm_num_groups,
                    cfg.use_linear_projection, only_cross[i], cfg.upcast_attention,
                )  # fmt: skip
            elif getattr(block, "attentions", None) is not None:
                for transformer, context in zip(block.attentions, skip):
                    add_light_paca(transformer, context)

    def paca_state_dict_keys(self) -> list[str]:
        """Names of the PACA parameters (those an SD base UNet lacks)."""
        return [k for k in self.state_dict() if any(m in k for m in PACA_KEY_MARKERS)]

    def load_sd_weights(self, state_dict: Mapping[str, torch.Tensor]) -> list[str]:
        """Load an SD base UNet's weights; the PACA layers keep their current values.

        Used to start training (PACA freshly initialised) and for personalized stylization
        (paper: swap the base model, e.g. a DreamBooth/anime UNet, under trained PASD layers).

        Args:
            state_dict: A ``UNet2DConditionModel`` state dict of the same config.

        Returns:
            The PACA parameter names that were not in ``state_dict`` (left as they were).

        Raises:
            ValueError: If ``state_dict`` lacks non-PACA keys or has keys this model does not know.
        """
        result = self.load_state_dict(dict(state_dict), strict=False)
        missing_base = [k for k in result.missing_keys if not any(m in k for m in PACA_KEY_MARKERS)]
        if missing_base or result.unexpected_keys:
            raise ValueError(
                f"SD UNet weights do not fit this PASD UNet: missing {missing_base[:10]} "
                f"({len(missing_base)} total), unexpected {result.unexpected_keys[:10]} "
                f"({len(result.unexpected_keys)} total)"
            )
        new = list(result.missing_keys)
        logger.info("loaded SD base weights; %d PACA parameters newly initialised", len(new))
        return new

    @classmethod
    def from_sd_unet(
        cls, unet: UNet2DConditionModel, paca_type: PacaType = "full"
    ) -> PASDUNet2DConditionModel:
        """A PASD UNet with ``unet``'s config and weights, PACA layers freshly initialised (for training).

        Args:
            unet: A diffusers SD UNet (e.g. ``UNet2DConditionModel.from_pretrained(sd15, subfolder="unet")``).
            paca_type: ``"full"`` or ``"light"``.

        Returns:
            The new model, on ``unet``'s device and dtype.
        """
        config = {k: v for k, v in unet.config.items() if not k.startswith("_")}
        config["paca_type"] = paca_type
        model = cls.from_config(config)
        model.load_sd_weights(unet.state_dict())
        model.to(unet.device)
        # casting only when needed avoids diffusers' "cast with to()" warning for the float32 default
        return model if model.dtype == unet.dtype else model.to(unet.dtype)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        class_labels: torch.Tensor | None = None,
        timestep_cond: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
        added_cond_kwargs: dict[str, torch.Tensor] | None = None,
        down_block_additional_residuals: tuple[torch.Tensor, ...] | None = None,
        mid_block_additional_residual: torch.Tensor | None = None,
        down_intrablock_additional_residuals: tuple[torch.Tensor, ...] | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        return_dict: bool = True,
        use_paca: bool | None = None,
    ) -> UNet2DConditionOutput | tuple:
        """diffusers' UNet forward, with the ControlNet residuals also used as PACA contexts.

        Args:
            use_paca: Override :attr:`paca_enabled` for this call. Off, or without
                ``down_block_additional_residuals``/``mid_block_additional_residual``, this is
                exactly ``UNet2DConditionModel.forward`` (residual addition only).
            (others): As ``diffusers.UNet2DConditionModel.forward``; the residuals come from
                :class:`~pasd.models.controlnet.PASDControlNetModel`, already scaled.

        Returns:
            ``UNet2DConditionOutput`` or ``(sample,)``.

        Raises:
            ValueError: If the residual count does not match the skip connections, or T2I-adapter
                residuals are combined with PACA.
        """
        kwargs = dict(
            class_labels=class_labels, timestep_cond=timestep_cond, attention_mask=attention_mask,
            cross_attention_kwargs=cross_attention_kwargs, added_cond_kwargs=added_cond_kwargs,
            down_block_additional_residuals=down_block_additional_residuals,
            mid_block_additional_residual=mid_block_additional_residual,
            encoder_attention_mask=encoder_attention_mask,
        )  # fmt: skip
        paca = self.paca_enabled if use_paca is None else use_paca
        if not paca or down_block_additional_residuals is None or mid_block_additional_residual is None:
            return super().forward(
                sample, timestep, encoder_hidden_states, return_dict=return_dict,
                down_intrablock_additional_residuals=down_intrablock_additional_residuals, **kwargs,
            )  # fmt: skip
        if down_intrablock_additional_residuals is not None:
            raise ValueError(
                "down_intrablock_additional_residuals (T2I-Adapter) cannot be combined with PACA"
            )
        out = unet_forward_with_paca(self, sample, timestep, encoder_hidden_states, **kwargs)
        return UNet2DConditionOutput(sample=out) if return_dict else (out,)
