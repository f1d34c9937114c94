"""StableSR's time-aware encoder (``structcond_stage_model``, official ``EncoderUNetModelWT``).

A half UNet on the LQ latent, conditioned on the diffusion timestep: per resolution the features
just before each downsampling plus the middle block's output each pass one more residual block
(``fea_tran``) to ``out_channels`` and are returned keyed by their width, the key the UNet's SPADE
blocks look up. Built from diffusers blocks: ``AttnDownBlock2D``/``DownBlock2D`` (the official
``AttentionBlock`` is diffusers' group-norm ``Attention``), ``UNetMidBlock2D`` and
``ResnetBlock2D``.
"""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.resnet import ResnetBlock2D
from diffusers.models.unets.unet_2d_blocks import AttnDownBlock2D, DownBlock2D, UNetMidBlock2D
from torch import nn

#: GroupNorm32 in the official blocks uses PyTorch's default eps
_EPS = 1e-5


class TimeAwareEncoderModel(ModelMixin, ConfigMixin):
    """The time-aware encoder; defaults are the released size.

    Args:
        in_channels: Latent channels of the LQ latent.
        model_channels: Base width.
        out_channels: Width of every returned feature map (the UNet's ``semb_channels``).
        num_res_blocks: Residual blocks per resolution.
        attention_resolutions: Downsampling rates (1, 2, 4, ...) that get self-attention.
        channel_mult: Width multiplier per resolution.
        num_heads: Attention heads (the official ``num_head_channels=-1`` setting: fixed head count).

    Raises:
        ValueError: For widths GroupNorm(32) cannot split.
    """

    @register_to_config
    def __init__(
        self,
        in_channels: int = 4,
        model_channels: int = 256,
        out_channels: int = 256,
        num_res_blocks: int = 2,
        attention_resolutions: tuple[int, ...] = (4, 2, 1),
        channel_mult: tuple[int, ...] = (1, 1, 2, 2),
        num_heads: int = 4,
    ) -> None:
        super().__init__()
        widths = [model_channels * m for m in channel_mult]
        bad = [w for w in (*widths, out_channels) if w % 32]
        if bad:
            raise ValueError(f"widths {bad} are not multiples of 32 (GroupNorm(32) groups)")
        temb = model_channels * 4
        self.time_proj = Timesteps(model_channels, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embedding = TimestepEmbedding(model_channels, temb)
        self.conv_in = nn.Conv2d(in_channels, model_channels, 3, padding=1)
        blocks = []
        ch = model_channels
        last = len(widths) - 1
        for level, width in enumerate(widths):
            common = dict(
                in_channels=ch, out_channels=width, temb_channels=temb, num_layers=num_res_blocks,
                resnet_eps=_EPS, resnet_groups=32,
            )  # fmt: skip
            if 2**level in attention_resolutions:
                block = AttnDownBlock2D(
                    **common,
                    attention_head_dim=width // num_heads,
                    downsample_type="conv" if level < last else None,
                )
            else:
                block = DownBlock2D(**common, add_downsample=level < last)
            blocks.append(block)
            ch = width
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = UNetMidBlock2D(
            in_channels=ch,
            temb_channels=temb,
            resnet_eps=_EPS,
            resnet_groups=32,
            attention_head_dim=ch // num_heads,
        )
        # one feature per downsampling (taken before it) plus the middle block's output
        self.fea_tran = nn.ModuleList(
            ResnetBlock2D(in_channels=c, out_channels=out_channels, temb_channels=temb, eps=_EPS, groups=32)
            for c in [*widths[:-1], ch]
        )

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> dict[str, torch.Tensor]:
        """Encoder features of the LQ latent at diffusion time ``timestep``.

        Args:
            sample: LQ latent ``(B, in_channels, h, w)`` (scaled by the VAE scale factor).
            timestep: ``(B,)`` original timesteps.

        Returns:
            ``{str(width): (B, out_channels, ., width)}``, e.g. keys ``"64", "32", "16", "8"``.
        """
        emb = self.time_embedding(self.time_proj(timestep).to(sample.dtype))
        h = self.conv_in(sample)
        taps = []
        for block in self.down_blocks:
            h, states = block(h, emb)
            if block.downsamplers is not None:
                taps.append(states[-2])  # the last state is the downsampled one
        taps.append(self.mid_block(h, emb))
        return {str(t.shape[-1]): tran(t, emb) for t, tran in zip(taps, self.fea_tran)}
